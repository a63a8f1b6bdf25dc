import { Hono } from 'hono'

export interface RateLimitOptions {
  /** The most tokens a bucket holds: the largest burst one client may send (an integer >= 1). */
  capacity: number
  /** Tokens added to every bucket per second; may be fractional (0.5 = one token every 2 s). */
  refillPerSecond: number
  /** The current time in milliseconds since the epoch. The app reads time only through this. */
  now: () => number
}

export function createApp(options: RateLimitOptions) {
  const app = new Hono()

  // TODO: keep one token bucket per client. The client is the X-API-Key header value; every
  // request without the header shares one bucket. A new bucket starts full (`options.capacity`).

  // TODO: before a request reaches /api, refill its bucket for the time that passed since it was
  // last refilled (read the time with `options.now()`), never above the capacity. Fractions of a
  // token count. Then either take one whole token, or answer 429 { "error": "rate_limited" }
  // with Retry-After (whole seconds until one token is there, rounded up) and take nothing.

  // TODO: every /api response, 200 or 429, carries X-RateLimit-Limit (the capacity) and
  // X-RateLimit-Remaining (whole tokens left after this request).

  app.get('/api/resource', (c) => c.json({ ok: true }))

  // /health is for load balancers and monitors: it is never limited and takes no token.
  app.get('/health', (c) => c.json({ status: 'ok' }))

  return app
}
