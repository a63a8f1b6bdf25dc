// Mutant: takes a token from every request, rejected ones too, so the bucket goes negative and a
// client retrying early waits longer and longer.
import { Hono } from 'hono'
import type { RateLimitOptions } from '../../../exercises/rate-limit-token-bucket/app.ts'

export function createApp(options: RateLimitOptions) {
  const { capacity, refillPerSecond, now } = options
  const buckets = new Map<string, { tokens: number; last: number }>()
  const app = new Hono()

  app.use('/api/*', async (c, next) => {
    const key = c.req.header('X-API-Key') ?? 'anonymous'
    const t = now()
    const bucket = buckets.get(key) ?? { tokens: capacity, last: t }
    buckets.set(key, bucket)
    const earned = ((t - bucket.last) * refillPerSecond) / 1000
    bucket.tokens = Math.min(capacity, bucket.tokens + earned)
    bucket.last = t
    c.header('X-RateLimit-Limit', String(capacity))
    bucket.tokens -= 1
    if (bucket.tokens < 0) {
      c.header('X-RateLimit-Remaining', '0')
      c.header('Retry-After', String(Math.ceil((0 - bucket.tokens) / refillPerSecond)))
      return c.json({ error: 'rate_limited' }, 429)
    }
    c.header('X-RateLimit-Remaining', String(Math.floor(bucket.tokens)))
    await next()
  })

  app.get('/api/resource', (c) => c.json({ ok: true }))
  app.get('/health', (c) => c.json({ status: 'ok' }))
  return app
}
