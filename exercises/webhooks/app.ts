import { Hono } from 'hono'

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

export function createApp(options: WebhooksOptions) {
  // TODO (tasks 1-5): check the options once, here: secrets are "whsec_" + base64 (decode them
  // to the HMAC key), maxAttempts (default 5), retryBaseMs (default 5000), toleranceSeconds
  // (default 300). Default fetch: the global fetch; default schedule: setTimeout.
  const { now } = options

  const app = new Hono()

  app.post('/api/events', async (c) => {
    // TODO (task 1): validate { type, data }, store the event with one delivery per subscriber,
    // schedule the first attempt of each with schedule(0, task), answer 202 { id }.
    // TODO (task 2): sign each attempt (webhook-id, webhook-timestamp, webhook-signature).
    // TODO (task 3): a failed attempt schedules the next one with exponential backoff.
    return c.json({ error: 'not_implemented', at: now() }, 501)
  })

  app.get('/api/events/:id', (c) => {
    // TODO (task 1): { id, type, deliveries: [{ url, status, attempts }] }, or 404 not_found.
    return c.json({ error: 'not_found' }, 404)
  })

  app.post('/webhooks/incoming', async (c) => {
    // TODO (task 4): check the three headers and the signature over the raw body, then pass
    // { id, payload } to options.onEvent.
    // TODO (task 5): refuse timestamps outside the tolerance; process each webhook-id once.
    return c.json({ error: 'not_implemented' }, 501)
  })

  return app
}
