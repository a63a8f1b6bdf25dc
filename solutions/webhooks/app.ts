import { createHmac, randomUUID, timingSafeEqual } from 'node:crypto'
import { Hono, type Context } from 'hono'

/** A subscriber of your events: where to POST them, and the secret to sign them with. */
export interface Subscriber {
  url: string
  /** `whsec_` followed by the base64 of the key bytes. */
  secret: string
}

/** A verified incoming webhook, as `onEvent` receives it. */
export interface IncomingEvent {
  /** The `webhook-id` header. */
  id: string
  /** The parsed JSON body. */
  payload: unknown
}

/** Runs `task` `delayMs` from now. The task's promise settles when the attempt is over. */
export type Schedule = (delayMs: number, task: () => Promise<void>) => void

export type Fetch = (input: string, init: RequestInit) => Promise<Response>

export interface WebhooksOptions {
  subscribers: Subscriber[]
  /** Signs the webhooks POST /webhooks/incoming accepts (same format as a subscriber's secret). */
  incomingSecret: string
  /** Called once per verified, new incoming webhook; a throw or rejection answers 500. */
  onEvent: (event: IncomingEvent) => void | Promise<void>
  /** The current time in milliseconds since the epoch. The app reads time only through this. */
  now: () => number
  /** Sends the deliveries; defaults to the global fetch. */
  fetch?: Fetch
  /** Runs every delivery attempt; defaults to setTimeout. */
  schedule?: Schedule
  /** Attempts per delivery before it is `failed`; a whole number >= 1, default 5. */
  maxAttempts?: number
  /** The wait after the first failed attempt, doubled after each further one; default 5000. */
  retryBaseMs?: number
  /** How far, in seconds, an incoming webhook-timestamp may be from now; default 300. */
  toleranceSeconds?: number
}

export type DeliveryStatus = 'pending' | 'delivered' | 'failed'

interface Delivery {
  url: string
  key: Buffer
  status: DeliveryStatus
  attempts: number
}

interface OutgoingEvent {
  id: string
  type: string
  /** The JSON text, serialised once: every attempt and every subscriber gets these exact bytes. */
  body: string
  deliveries: Delivery[]
}

const TYPE = /^[A-Za-z0-9_]+(\.[A-Za-z0-9_]+)*$/
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/

/** The HMAC key of a `whsec_<base64>` secret: the decoded bytes, not the string itself. */
function secretKey(what: string, secret: unknown): Buffer {
  if (typeof secret !== 'string' || !secret.startsWith('whsec_')) {
    throw new TypeError(`${what} must be "whsec_" followed by base64`)
  }
  const encoded = secret.slice('whsec_'.length)
  if (encoded === '' || !BASE64.test(encoded)) {
    throw new TypeError(`${what} must be "whsec_" followed by base64`)
  }
  return Buffer.from(encoded, 'base64')
}

/** Standard Webhooks: base64 of HMAC-SHA256 over `<id>.<timestamp>.<body>`. */
function sign(key: Buffer, id: string, timestamp: string, body: string): string {
  return createHmac('sha256', key).update(`${id}.${timestamp}.${body}`).digest('base64')
}

function wholeNumber(name: string, value: number, min: number): number {
  if (!Number.isInteger(value) || value < min) {
    throw new RangeError(`${name} must be a whole number >= ${min}`)
  }
  return value
}

/** The members of a JSON object, or none for anything else (arrays are checked separately). */
function fields(value: unknown): Record<string, unknown> {
  return typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : {}
}

export function createApp(options: WebhooksOptions) {
  const { now, onEvent } = options
  if (typeof now !== 'function') throw new TypeError('now must be a function')
  if (typeof onEvent !== 'function') throw new TypeError('onEvent must be a function')
  const fetchFn: Fetch = options.fetch ?? ((input, init) => fetch(input, init))
  const schedule: Schedule =
    options.schedule ?? ((delayMs, task) => void setTimeout(() => void task(), delayMs))
  const maxAttempts = wholeNumber('maxAttempts', options.maxAttempts ?? 5, 1)
  const retryBaseMs = options.retryBaseMs ?? 5000
  if (!Number.isFinite(retryBaseMs) || retryBaseMs <= 0) {
    throw new RangeError('retryBaseMs must be a number > 0')
  }
  const toleranceSeconds = options.toleranceSeconds ?? 300
  if (!Number.isFinite(toleranceSeconds) || toleranceSeconds < 0) {
    throw new RangeError('toleranceSeconds must be a number >= 0')
  }
  // Secrets are decoded once, here: a malformed one stops the app at startup, not at 3 a.m.
  const subscribers = options.subscribers.map((s, i) => {
    const url = new URL(s.url) // throws a TypeError for anything that is not a URL
    if (url.protocol !== 'https:' && url.protocol !== 'http:') {
      throw new TypeError(`subscribers[${i}].url must be http(s)`)
    }
    return { url: s.url, key: secretKey(`subscribers[${i}].secret`, s.secret) }
  })
  const incomingKey = secretKey('incomingSecret', options.incomingSecret)

  const events = new Map<string, OutgoingEvent>()
  // Incoming ids: processed ones, and those being processed right now. Maps and Sets, because
  // the ids come from outside and `{}['constructor']` already exists.
  const processed = new Set<string>()
  const inProgress = new Set<string>()

  /** One attempt of one delivery. Never rejects: every outcome is recorded on `delivery`. */
  async function attempt(event: OutgoingEvent, delivery: Delivery): Promise<void> {
    delivery.attempts += 1
    // The attempt's own timestamp, signed afresh: a retry an hour later with the first
    // attempt's timestamp would be refused by every receiver that checks its age.
    const timestamp = String(Math.floor(now() / 1000))
    let delivered = false
    try {
      const res = await fetchFn(delivery.url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          // The same id on every attempt: it is what lets the receiver drop a duplicate.
          'webhook-id': event.id,
          'webhook-timestamp': timestamp,
          'webhook-signature': `v1,${sign(delivery.key, event.id, timestamp, event.body)}`,
        },
        body: event.body,
        // A redirect is a failure, not something to follow (Standard Webhooks: 3xx = failed).
        redirect: 'manual',
      })
      delivered = res.ok // 200-299 only
      await res.body?.cancel()
    } catch {
      // A network error (DNS, refused connection, reset) is a failed attempt like a 500.
    }
    if (delivered) {
      delivery.status = 'delivered'
    } else if (delivery.attempts >= maxAttempts) {
      delivery.status = 'failed'
    } else {
      // Exponential backoff: 5 s, 10 s, 20 s... A receiver that is down gets room to recover.
      schedule(retryBaseMs * 2 ** (delivery.attempts - 1), () => attempt(event, delivery))
    }
  }

  const app = new Hono()

  app.post('/api/events', async (c) => {
    const body: unknown = await c.req.json().catch(() => undefined)
    const { type, data } = fields(body)
    const isObject = typeof data === 'object' && data !== null && !Array.isArray(data)
    if (Array.isArray(body) || typeof type !== 'string' || !TYPE.test(type) || !isObject) {
      return c.json({ error: 'invalid_event' }, 400)
    }
    // Random, never a counter: receivers drop a second message with an id they have seen, so an
    // id reused after a restart (or by a second instance) would make them drop a real event.
    const id = `msg_${randomUUID().replaceAll('-', '')}`
    const event: OutgoingEvent = {
      id,
      type,
      // `timestamp` is when the event happened; each attempt's webhook-timestamp is its own.
      body: JSON.stringify({ type, timestamp: new Date(now()).toISOString(), data }),
      deliveries: subscribers.map((s) => ({ ...s, status: 'pending', attempts: 0 })),
    }
    events.set(id, event)
    // Accept now, deliver later: the caller is not held up by the slowest subscriber.
    for (const delivery of event.deliveries) schedule(0, () => attempt(event, delivery))
    return c.json({ id }, 202)
  })

  app.get('/api/events/:id', (c) => {
    const event = events.get(c.req.param('id'))
    if (!event) return c.json({ error: 'not_found' }, 404)
    const deliveries = event.deliveries.map(({ url, status, attempts }) => ({
      url,
      status,
      attempts,
    }))
    return c.json({ id: event.id, type: event.type, deliveries })
  })

  app.post('/webhooks/incoming', async (c) => {
    const id = c.req.header('webhook-id')
    const timestamp = c.req.header('webhook-timestamp')
    const signatures = c.req.header('webhook-signature')
    if (!id || !timestamp || !signatures) return c.json({ error: 'missing_headers' }, 400)
    // The raw text as it arrived: the signature covers these bytes. Parsing the JSON and
    // serialising it again would change spacing, key order or escapes, and fail real signatures.
    const raw = await c.req.text()

    // Old (or far-future) timestamps are refused, so a captured request cannot be replayed
    // later. Whole seconds on both sides, as the header carries them.
    const nowSeconds = Math.floor(now() / 1000)
    const digits = /^[0-9]+$/.test(timestamp)
    if (!digits || Math.abs(nowSeconds - Number(timestamp)) > toleranceSeconds) {
      return c.json({ error: 'invalid_timestamp' }, 401)
    }
    if (!verified(signatures, sign(incomingKey, id, timestamp, raw))) {
      return c.json({ error: 'invalid_signature' }, 401)
    }

    // The sender retries until it gets a 2xx, so a duplicate is normal: acknowledge it (200) and
    // do nothing. One still being processed gets 409, so the sender tries again later: a 200 now
    // would be a lie if the first attempt then fails.
    if (processed.has(id)) return c.json({ received: true, duplicate: true })
    if (inProgress.has(id)) return c.json({ error: 'in_progress' }, 409)
    let payload: unknown
    try {
      payload = JSON.parse(raw)
    } catch {
      return c.json({ error: 'invalid_payload' }, 400)
    }

    inProgress.add(id)
    try {
      await onEvent({ id, payload })
      // Remembered only once the work is done: a failure leaves the id free for the retry.
      processed.add(id)
    } catch {
      return c.json({ error: 'processing_failed' }, 500)
    } finally {
      inProgress.delete(id)
    }
    return c.json({ received: true })
  })

  app.notFound((c: Context) => c.json({ error: 'not_found' }, 404))

  return app
}

/**
 * True when one `v1,<base64>` entry of the space-separated header equals `expected`. Other
 * versions (`v1a,...` for asymmetric signatures) are skipped. timingSafeEqual takes as long for a
 * near miss as for a wild guess, so response times do not leak how much of a forgery was right;
 * it throws on buffers of different lengths, hence the length check first (the length of a
 * correct signature is no secret).
 */
function verified(header: string, expected: string): boolean {
  const want = Buffer.from(expected)
  return header.split(' ').some((entry) => {
    const comma = entry.indexOf(',')
    if (comma < 0 || entry.slice(0, comma) !== 'v1') return false
    const given = Buffer.from(entry.slice(comma + 1))
    return given.length === want.length && timingSafeEqual(given, want)
  })
}
