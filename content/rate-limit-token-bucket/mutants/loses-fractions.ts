// Mutant: refills whole tokens only and restarts the refill clock on every request, so the fraction
// earned between two close requests is thrown away.
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
    const earned = Math.floor(((t - bucket.last) * refillPerSecond) / 1000)
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
