import { Hono } from 'hono'

/** One structured log line: exactly one per request. */
export interface LogEntry {
  requestId: string
  method: string
  /** The path without the query string. */
  path: string
  query: Record<string, unknown>
  status: number
  durationMs: number
  requestHeaders: Record<string, unknown>
  /** The parsed JSON request body, redacted; null when there is none. */
  requestBody: unknown
  responseHeaders: Record<string, unknown>
  /** The parsed JSON response body, redacted; null when it is not JSON. */
  responseBody: unknown
  /** Only when a handler threw: the error's message, redacted. */
  error?: string
}

export interface Tokens {
  accessToken: string
  refreshToken: string
}

export interface Payment {
  card_number: string
  amount: number
  email: string
}

export interface LogRedactionOptions {
  /** Where log entries go (a file, stdout, a log shipper). */
  log: (entry: LogEntry) => void
  /** The current time in milliseconds. */
  now: () => number
  /** A fresh request id; defaults to crypto.randomUUID. */
  requestId?: () => string
  /** Checks a login; the tokens, or null for wrong credentials. */
  authenticate: (email: string, password: string) => Tokens | null
  /** Charges a card; throws when the payment provider refuses. */
  charge: (payment: Payment) => { id: string }
}

export const REDACTED = '[REDACTED]'
export const CIRCULAR = '[CIRCULAR]'

// A key is sensitive when, lower-cased and without - and _, it contains one of these: a name
// list catches `new_password`, `X-Api-Key` and `refresh_token` without listing every spelling.
const SENSITIVE = ['password', 'secret', 'token', 'apikey', 'authorization', 'cookie', 'cardnumber', 'cvv']
const isSensitive = (key: string) => {
  const flat = key.toLowerCase().replace(/[-_]/g, '')
  return SENSITIVE.some((word) => flat.includes(word))
}

const CARD = /(?<!\d)\d(?:[ -]?\d){12,18}(?!\d)/g
const EMAIL = /[\w.+-]+@([\w-]+(?:\.[\w-]+)+)/g

/** The Luhn checksum every payment card number satisfies; order numbers mostly do not. */
function luhn(digits: string): boolean {
  let sum = 0
  for (let i = 0; i < digits.length; i++) {
    let d = Number(digits[digits.length - 1 - i])
    if (i % 2 === 1) d = d * 2 > 9 ? d * 2 - 9 : d * 2
    sum += d
  }
  return sum % 10 === 0
}

/** Masks what a value cannot hide behind a key name: card numbers and email addresses. */
function redactText(text: string): string {
  return text
    .replace(CARD, (match) => {
      const digits = match.replace(/\D/g, '')
      return luhn(digits) ? `****${digits.slice(-4)}` : match
    })
    .replace(EMAIL, (_, domain: string) => `***@${domain}`)
}

/**
 * A redacted copy of `value`: sensitive keys at any depth become "[REDACTED]", strings are
 * masked, and a reference back to an object being copied becomes "[CIRCULAR]". The input is
 * never changed: the same object may still be on its way to the handler or the client.
 */
export function redact(value: unknown, ancestors: object[] = []): unknown {
  if (typeof value === 'string') return redactText(value)
  if (typeof value !== 'object' || value === null) return value
  if (ancestors.includes(value)) return CIRCULAR
  const inside = [...ancestors, value]
  if (Array.isArray(value)) return value.map((item) => redact(item, inside))
  const out: Record<string, unknown> = {}
  for (const [key, item] of Object.entries(value)) {
    // defineProperty: a "__proto__" key in a logged body stays a plain member of the copy.
    const clean = isSensitive(key) ? REDACTED : redact(item, inside)
    Object.defineProperty(out, key, { value: clean, enumerable: true, writable: true, configurable: true })
  }
  return out
}

type Env = { Variables: { requestId: string } }

export function createApp(options: LogRedactionOptions) {
  const { log, now, authenticate, charge } = options
  const nextId = options.requestId ?? (() => crypto.randomUUID())
  const app = new Hono<Env>()

  app.use('*', async (c, next) => {
    const started = now()
    const requestId = nextId()
    c.set('requestId', requestId)
    c.header('X-Request-Id', requestId)
    // Hono caches the parsed body, so the handler reads it again for free; we only ever log a
    // redacted *copy*, so the handler still sees the real password.
    let requestBody: unknown = null
    if (c.req.header('Content-Type')?.includes('application/json')) {
      requestBody = await c.req.json().catch(() => null)
    }
    await next()
    const responseBody: unknown = c.res.headers.get('Content-Type')?.includes('application/json')
      ? await c.res.clone().json().catch(() => null)
      : null
    const entry: LogEntry = {
      requestId,
      method: c.req.method,
      // Never the full URL: `?token=...` would reach the log unredacted.
      path: c.req.path,
      query: redact(c.req.query()) as Record<string, unknown>,
      status: c.res.status,
      durationMs: now() - started,
      requestHeaders: redact(c.req.header()) as Record<string, unknown>,
      requestBody: redact(requestBody),
      responseHeaders: redact(Object.fromEntries(c.res.headers)) as Record<string, unknown>,
      responseBody: redact(responseBody),
    }
    if (c.error) entry.error = redactText(c.error.message)
    log(entry)
  })

  app.get('/health', (c) => c.json({ status: 'ok' }))

  app.post('/api/login', async (c) => {
    const { email, password } = await c.req.json<{ email: string; password: string }>()
    const tokens = authenticate(email, password)
    if (!tokens) return c.json({ error: 'invalid_credentials' }, 401)
    c.header('Set-Cookie', `session=${tokens.refreshToken}; HttpOnly; Secure; SameSite=Strict`)
    return c.json({ access_token: tokens.accessToken, refresh_token: tokens.refreshToken, token_type: 'Bearer' })
  })

  app.post('/api/payments', async (c) => {
    const payment = await c.req.json<Payment>()
    const { id } = charge(payment)
    return c.json({ id, status: 'charged' }, 201)
  })

  // The client learns that something failed and how to refer to it, nothing more: no message,
  // no stack. The message may hold a card number; the stack shows the code's layout.
  app.onError((_err, c) => c.json({ error: 'internal_error', requestId: c.var.requestId }, 500))

  return app
}
