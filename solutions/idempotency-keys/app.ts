import { Hono, type Context } from 'hono'
import { z } from 'zod'

export interface Payment {
  /** Chosen by the server: letters, digits, `_` and `-`, unique within one app. */
  id: string
  /** In minor units (cents): an integer >= 1. */
  amount: number
  /** Three upper-case letters, e.g. "EUR". */
  currency: string
  /** Free-form string labels from the client; `{}` when it sent none. */
  metadata: Record<string, string>
  /** When the payment was made, from the injected clock, as an ISO 8601 string. */
  createdAt: string
}

export interface PaymentsOptions {
  /** The current time in milliseconds since the epoch. The app reads time only through this. */
  now: () => number
  /** How long a key is remembered after its first response, in ms; defaults to 24 hours. */
  keyTtlMs?: number
}

const DAY = 24 * 60 * 60 * 1000

/** A JSON object whose own values are all strings, labels such as `__proto__` included. */
function isStringRecord(value: unknown): value is Record<string, string> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false
  return Object.values(value).every((v) => typeof v === 'string')
}

const PaymentInput = z.object({
  amount: z.number().int().min(1),
  currency: z.string().regex(/^[A-Z]{3}$/),
  // Not z.record(z.string(), z.string()): it copies by assignment, so a label named `__proto__`
  // vanishes from the result and its value is never checked (`{"__proto__": 5}` would pass).
  metadata: z.custom<Record<string, string>>(isStringRecord).optional(),
})

/** A response kept under an idempotency key, to be sent again byte for byte on a retry. */
interface StoredResponse {
  /** The request body that produced it, in canonical form (see `canonicalJson`). */
  fingerprint: string
  status: 201
  body: Payment
  location: string
  /** When the key stops being remembered: `now()` at the first response plus the TTL. */
  expiresAt: number
}

export function createApp(options: PaymentsOptions) {
  const { now } = options
  const keyTtlMs = options.keyTtlMs ?? DAY
  // Validate once, when the app is built: a bad TTL should stop the server at startup.
  if (!Number.isFinite(keyTtlMs) || keyTtlMs <= 0) {
    throw new RangeError(`keyTtlMs must be a number > 0, received ${keyTtlMs}`)
  }

  // All state lives inside the factory, so two apps (or two tests) share nothing.
  // Payments per client: a client only ever sees its own.
  const payments = new Map<string, Payment[]>()
  // Keys are scoped to the client: client -> (key -> stored response). Two nested Maps, not a
  // joined string such as `${client}:${key}`: with a separator, client "a:b" + key "c" and
  // client "a" + key "b:c" would be the same entry. Maps, not objects, because both strings
  // come from the client and `{}['constructor']` already exists.
  const responses = new Map<string, Map<string, StoredResponse>>()
  let lastId = 0

  const app = new Hono<{ Variables: { client: string } }>()

  // Every route needs to know who is asking: payments and keys both belong to a client.
  app.use('/api/*', async (c, next) => {
    const client = c.req.header('X-Client-Id')
    if (!client) return c.json({ error: 'missing_client_id' }, 400)
    c.set('client', client)
    await next()
  })

  app.post('/api/payments', async (c) => {
    const client = c.get('client')
    const key = c.req.header('Idempotency-Key') || undefined
    // Read the body before touching the store. Everything after this line is synchronous, so
    // no other request can run between "is the key known?" and "remember the key": two
    // retries racing each other cannot both create a payment.
    const raw = await c.req.text()
    const json = parseJson(raw)

    const t = now()
    const keys = responses.get(client)
    if (key !== undefined && keys) {
      const stored = keys.get(key)
      if (stored && t < stored.expiresAt) {
        // Same key, different request: replaying would tell the client that *this* request
        // succeeded when it never ran. That is a bug on the client's side, so refuse it.
        if (json === undefined || canonicalJson(json.value) !== stored.fingerprint) {
          return c.json({ error: 'idempotency_key_reused' }, 422)
        }
        // A retry: the same status, body and Location as the first time, taken from the store
        // (never rebuilt, which would mint a new id or a new createdAt). No second payment.
        return c.json(stored.body, stored.status, {
          Location: stored.location,
          'Idempotent-Replayed': 'true',
        })
      }
      if (stored) keys.delete(key) // expired: the key is free again
    }

    const parsed = PaymentInput.safeParse(json?.value)
    // A refused body is not remembered: nothing happened, so the client may fix the body and
    // retry with the same key. Caching the 400 would lock that key on a mistake forever (24 h).
    if (!parsed.success) return c.json({ error: 'invalid_payment' }, 400)

    const payment: Payment = {
      id: `pay_${++lastId}`,
      amount: parsed.data.amount,
      currency: parsed.data.currency,
      // Object.fromEntries defines each label as an own property, `__proto__` too.
      metadata: Object.fromEntries(Object.entries(parsed.data.metadata ?? {})),
      createdAt: new Date(t).toISOString(),
    }
    const list = payments.get(client) ?? []
    list.push(payment)
    payments.set(client, list)
    const location = `/api/payments/${payment.id}`

    if (key !== undefined) {
      // The payment and its stored response are written together (here: in one synchronous
      // step; in a database: in one transaction), so a crash cannot leave one without the other.
      const entry: StoredResponse = {
        fingerprint: canonicalJson(json!.value),
        status: 201,
        body: payment,
        location,
        expiresAt: t + keyTtlMs,
      }
      if (!keys) responses.set(client, new Map([[key, entry]]))
      else keys.set(key, entry)
    }
    return c.json(payment, 201, { Location: location })
  })

  app.get('/api/payments', (c) => c.json(payments.get(c.get('client')) ?? []))

  // Another client's payment is a 404, not a 403: saying "it exists, but not for you" would
  // leak which ids other clients hold.
  app.get('/api/payments/:id', (c) => {
    const payment = payments.get(c.get('client'))?.find((p) => p.id === c.req.param('id'))
    return payment ? c.json(payment) : notFound(c)
  })

  app.notFound(notFound)

  return app
}

function notFound(c: Context) {
  return c.json({ error: 'not_found' }, 404)
}

/** The parsed body, or undefined when it is not JSON (wrapped, since `null` is valid JSON). */
function parseJson(text: string): { value: unknown } | undefined {
  try {
    return { value: JSON.parse(text) }
  } catch {
    return undefined
  }
}

/**
 * One string per JSON value: object keys sorted at every depth, so `{"amount":1,"currency":"EUR"}`
 * and `{"currency":"EUR","amount":1}` compare equal while any change of a value does not.
 * `JSON.stringify(value)` alone would keep the client's key order; `JSON.stringify(value,
 * Object.keys(value).sort())` would drop every nested key not also used at the top level.
 */
function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`
  if (value !== null && typeof value === 'object') {
    const record = value as Record<string, unknown>
    const members = Object.keys(record)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonicalJson(record[k])}`)
    return `{${members.join(',')}}`
  }
  return JSON.stringify(value)
}
