// Mutant: keeps the buckets in a plain object, so a key such as "constructor" finds
// Object.prototype members instead of a fresh bucket.
import { Hono } from 'hono'
import type { RateLimitOptions } from '../../../exercises/rate-limit-token-bucket/app.ts'

export function createApp(options: RateLimitOptions) {
  const { capacity, refillPerSecond, now } = options
  const buckets: Record<string, { tokens: number; last: number }> = {}
  const app = new Hono()

  app.use('/api/*', async (c, next) => {
    const key = c.req.header('X-API-Key') ?? 'anonymous'
    const t = now()
    let bucket = buckets[key]
    if (!bucket) {
      bucket = { tokens: capacity, last: t }
      buckets[key] = bucket
    }
    const earned = ((t - bucket.last) * refillPerSecond) / 1000
    bucket.tokens = Math.min(capacity, bucket.tokens + earned)
    bucket.last = t
    c.header('X-RateLimit-Limit', String(capacity))
    if (bucket.tokens < 1) {
      c.header('X-RateLimit-Remaining', '0')
      c.header('Retry-After', String(Math.ceil((1 - bucket.tokens) / refillPerSecond)))
      return c.json({ error: 'rate_limited' }, 429)
    }
    bucket.tokens -= 1
    c.header('X-RateLimit-Remaining', String(Math.floor(bucket.tokens)))
    await next()
  })

  app.get('/api/resource', (c) => c.json({ ok: true }))
  app.get('/health', (c) => c.json({ status: 'ok' }))
  return app
}
