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

/** A JSON object whose own values are all strings, labels such as `__proto__` included. */
function isStringRecord(value: unknown): value is Record<string, string> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false
  return Object.values(value).every((v) => typeof v === 'string')
}

const PaymentInput = z.object({
  amount: z.number().int().min(1),
  currency: z.string().regex(/^[A-Z]{3}$/),
  // Not z.record(z.string(), z.string()): it drops a label named `__proto__` without checking it.
  metadata: z.custom<Record<string, string>>(isStringRecord).optional(),
})

export function createApp(options: PaymentsOptions) {
  const { now } = options
  // TODO: read keyTtlMs (default: 24 hours) and throw a RangeError when it is not a number > 0.

  // The payments of each client, in the order they were made.
  const payments = new Map<string, Payment[]>()
  let lastId = 0

  // TODO: somewhere to remember, per client and per Idempotency-Key, the request body and the
  // response that was sent for it (status, body, Location) until the key expires.

  const app = new Hono<{ Variables: { client: string } }>()

  app.use('/api/*', async (c, next) => {
    const client = c.req.header('X-Client-Id')
    if (!client) return c.json({ error: 'missing_client_id' }, 400)
    c.set('client', client)
    await next()
  })

  app.post('/api/payments', async (c) => {
    const client = c.get('client')
    const text = await c.req.text()
    let body: unknown
    try {
      body = JSON.parse(text)
    } catch {
      body = undefined
    }

    // TODO: when the request carries an Idempotency-Key this client has used before (and the key
    // has not expired): answer 422 { "error": "idempotency_key_reused" } if the body is not the
    // same JSON value, or else send the stored response again with Idempotent-Replayed: true.
    // Either way, no new payment.

    const parsed = PaymentInput.safeParse(body)
    if (!parsed.success) return c.json({ error: 'invalid_payment' }, 400)

    const t = now()
    const payment: Payment = {
      id: `pay_${++lastId}`,
      amount: parsed.data.amount,
      currency: parsed.data.currency,
      metadata: Object.fromEntries(Object.entries(parsed.data.metadata ?? {})),
      createdAt: new Date(t).toISOString(),
    }
    const list = payments.get(client) ?? []
    list.push(payment)
    payments.set(client, list)
    const location = `/api/payments/${payment.id}`

    // TODO: with an Idempotency-Key, remember this response for the key.

    return c.json(payment, 201, { Location: location })
  })

  app.get('/api/payments', (c) => c.json(payments.get(c.get('client')) ?? []))

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
