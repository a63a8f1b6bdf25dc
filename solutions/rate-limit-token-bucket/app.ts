import { Hono } from 'hono'
import { createMiddleware } from 'hono/factory'

export interface RateLimitOptions {
  /** The most tokens a bucket holds: the largest burst one client may send (an integer >= 1). */
  capacity: number
  /** Tokens added to every bucket per second; may be fractional (0.5 = one token every 2 s). */
  refillPerSecond: number
  /** The current time in milliseconds since the epoch. The app reads time only through this. */
  now: () => number
}

interface Bucket {
  /** Tokens in the bucket, fractions included: 0.4 is "40% of the way to the next request". */
  tokens: number
  /** When `tokens` was last brought up to date. */
  refilledAt: number
}

// How often (in requests) to forget buckets that have filled up again. See `forgetFullBuckets`.
const SWEEP_EVERY = 1000

export function createApp(options: RateLimitOptions) {
  const { capacity, refillPerSecond, now } = options
  // Validate once, when the app is built: a typo in the configuration should stop the server
  // at startup, not surface as NaN headers on the first request.
  if (!Number.isInteger(capacity) || capacity < 1) {
    throw new RangeError(`capacity must be an integer >= 1, received ${capacity}`)
  }
  if (!Number.isFinite(refillPerSecond) || refillPerSecond <= 0) {
    throw new RangeError(`refillPerSecond must be a number > 0, received ${refillPerSecond}`)
  }

  // State lives inside the factory: two apps (or two tests) never share buckets. A Map, not a
  // plain object: the key is whatever the client sent, and `{}['constructor']` already exists.
  // `null` stands for "no X-API-Key"; no header value can collide with it.
  const buckets = new Map<string | null, Bucket>()
  let requestsSinceSweep = 0

  // Lazy refill: no timer ticks in the background. Each request works out how many tokens the
  // elapsed time is worth, so an idle client costs nothing and the app needs only `now()`.
  // Fractions are kept, and `refilledAt` moves to now: the time already paid out as (partial)
  // tokens is never counted twice and never lost.
  function refill(bucket: Bucket, t: number): void {
    if (t <= bucket.refilledAt) return // a clock stepping back must not drain or double-count
    const earned = ((t - bucket.refilledAt) / 1000) * refillPerSecond
    bucket.tokens = Math.min(capacity, bucket.tokens + earned)
    bucket.refilledAt = t
  }

  // Every new key creates a bucket, and keys come from clients: without a clean-up a client
  // inventing keys would grow the Map forever. A bucket that has refilled to capacity behaves
  // exactly like a brand-new one, so dropping it changes nothing the client can observe.
  function forgetFullBuckets(t: number): void {
    for (const [key, bucket] of buckets) {
      refill(bucket, t)
      if (bucket.tokens >= capacity) buckets.delete(key)
    }
  }

  const rateLimit = createMiddleware(async (c, next) => {
    const t = now()
    if (++requestsSinceSweep >= SWEEP_EVERY) {
      requestsSinceSweep = 0
      forgetFullBuckets(t)
    }

    const key = c.req.header('X-API-Key') ?? null
    let bucket = buckets.get(key)
    if (!bucket) {
      bucket = { tokens: capacity, refilledAt: t } // a new client starts with a full burst
      buckets.set(key, bucket)
    }
    refill(bucket, t)

    // Headers set on the context before `next()` end up on whatever response is returned,
    // so both the 429 below and the route's 200 carry them.
    c.header('X-RateLimit-Limit', String(capacity))

    if (bucket.tokens < 1) {
      // Rejected requests take nothing: otherwise a client retrying too early digs itself
      // deeper (tokens below zero) and waits longer than Retry-After promised.
      const seconds = Math.ceil((1 - bucket.tokens) / refillPerSecond)
      c.header('X-RateLimit-Remaining', '0')
      // Retry-After counts whole seconds (RFC 9110); rounding down would invite a retry that
      // is still too early, and 0 would invite an immediate one.
      c.header('Retry-After', String(Math.max(1, seconds)))
      return c.json({ error: 'rate_limited' }, 429)
    }

    bucket.tokens -= 1
    c.header('X-RateLimit-Remaining', String(Math.floor(bucket.tokens)))
    await next()
  })

  const app = new Hono()

  // Limit the API, not the probes: a load balancer polling /health must neither be turned
  // away nor spend the tokens of the clients sharing the no-key bucket.
  app.use('/api/*', rateLimit)
  app.get('/api/resource', (c) => c.json({ ok: true }))
  app.get('/health', (c) => c.json({ status: 'ok' }))

  return app
}
