// Mutant: replays a key whatever body the retry sends, never answering 422.
import { Hono, type Context } from 'hono'
import type { Payment, PaymentsOptions } from '../../../exercises/idempotency-keys/app.ts'

interface Stored {
  fingerprint: string
  status: 201
  body: Payment
  location: string
  expiresAt: number
}

export function createApp(options: PaymentsOptions) {
  const { now } = options
  const keyTtlMs = options.keyTtlMs ?? 24 * 60 * 60 * 1000
  if (!(keyTtlMs > 0)) throw new RangeError('keyTtlMs must be > 0')
  const payments = new Map<string, Payment[]>()
  const responses = new Map<string, Map<string, Stored>>()
  let lastId = 0
  const app = new Hono<{ Variables: { client: string } }>()

  app.use('/api/*', async (c, next) => {
    const client = c.req.header('X-Client-Id')
    if (!client) return c.json({ error: 'missing_client_id' }, 400)
    c.set('client', client)
    await next()
  })

  app.post('/api/payments', async (c) => {
    const client = c.get('client')
    const key = c.req.header('Idempotency-Key') || undefined
    const raw = await c.req.text()
    const json = parseJson(raw)
    const t = now()
    const keys = responses.get(client)
    const stored = key === undefined ? undefined : keys?.get(key)
    if (key !== undefined && stored && t < stored.expiresAt) {
      return c.json(stored.body, stored.status, {
        Location: stored.location,
        'Idempotent-Replayed': 'true',
      })
    }
    if (!isPaymentInput(json)) return c.json({ error: 'invalid_payment' }, 400)
    const payment: Payment = {
      id: `pay_${++lastId}`,
      amount: json.amount,
      currency: json.currency,
      metadata: { ...json.metadata },
      createdAt: new Date(t).toISOString(),
    }
    const list = payments.get(client) ?? []
    list.push(payment)
    payments.set(client, list)
    const location = `/api/payments/${payment.id}`
    if (key !== undefined) {
      const entry: Stored = {
        fingerprint: canonicalJson(json),
        status: 201,
        body: payment,
        location,
        expiresAt: t + keyTtlMs,
      }
      if (keys) keys.set(key, entry)
      else responses.set(client, new Map([[key, entry]]))
    }
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

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text)
  } catch {
    return undefined
  }
}

function isPaymentInput(
  body: unknown,
): body is { amount: number; currency: string; metadata?: Record<string, string> } {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return false
  const { amount, currency, metadata } = body as Record<string, unknown>
  if (!Number.isInteger(amount) || (amount as number) < 1) return false
  if (typeof currency !== 'string' || !/^[A-Z]{3}$/.test(currency)) return false
  if (metadata === undefined) return true
  if (typeof metadata !== 'object' || metadata === null || Array.isArray(metadata)) return false
  return Object.values(metadata).every((v) => typeof v === 'string')
}

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
