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

/**
 * A redacted copy of `value`: sensitive keys at any depth become "[REDACTED]", strings are
 * masked, and a reference back to an object being copied becomes "[CIRCULAR]".
 */
export function redact(value: unknown): unknown {
  // TODO: copy objects and arrays at any depth; the value of a sensitive key becomes REDACTED.
  // TODO: a reference to an object that is being copied (a cycle) becomes CIRCULAR.
  // TODO: in every string, mask Luhn-valid card numbers (****1234) and emails (***@domain).
  return value
}

export function createApp(options: LogRedactionOptions) {
  const { log, now, authenticate, charge } = options
  const nextId = options.requestId ?? (() => crypto.randomUUID())
  const app = new Hono<{ Variables: { requestId: string } }>()

  app.use('*', async (c, next) => {
    const started = now()
    const requestId = nextId()
    c.set('requestId', requestId)
    c.header('X-Request-Id', requestId)
    const requestBody: unknown = c.req.header('Content-Type')?.includes('application/json')
      ? await c.req.json().catch(() => null)
      : null
    await next()
    const responseBody: unknown = c.res.headers.get('Content-Type')?.includes('application/json')
      ? await c.res.clone().json().catch(() => null)
      : null
    // TODO: log a redacted copy: query, headers and bodies through redact(), the path without
    //       the query string, and `error` (the message, masked) when a handler threw (c.error).
    log({
      requestId,
      method: c.req.method,
      path: c.req.url,
      query: c.req.query(),
      status: c.res.status,
      durationMs: now() - started,
      requestHeaders: c.req.header(),
      requestBody,
      responseHeaders: Object.fromEntries(c.res.headers),
      responseBody,
    })
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

  // TODO: answer 500 { error: 'internal_error', requestId } and nothing from the error.
  app.onError((err, c) => c.json({ error: err.message, stack: err.stack }, 500))

  return app
}
