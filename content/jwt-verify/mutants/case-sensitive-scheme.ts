// Mutant: matches the scheme as the exact string 'Bearer ', so 'bearer' is treated as no token.
import { Hono, type Context } from 'hono'
import { createMiddleware } from 'hono/factory'
import { jwtVerify } from 'jose'
import type { JwtVerifyOptions } from '../../../exercises/jwt-verify/app.ts'

type Env = { Variables: { sub: string } }

function challenge(c: Context, error?: 'invalid_token') {
  const value = error ? `Bearer realm="api", error="${error}"` : 'Bearer realm="api"'
  return c.json({ error: error ?? 'unauthorized' }, 401, { 'WWW-Authenticate': value })
}

export function createApp(options: JwtVerifyOptions) {
  const { issuer, audience } = options
  const now = options.now ?? Date.now
  const key = new TextEncoder().encode(options.secret)

  const requireToken = createMiddleware<Env>(async (c, next) => {
    const header = c.req.header('Authorization')
    if (header === undefined || !header.startsWith('Bearer')) return challenge(c)
    const token = header.slice('Bearer'.length).trim()
    if (token === '') return challenge(c, 'invalid_token')
    try {
      const { payload } = await jwtVerify(token, key, {
        algorithms: ['HS256'],
        issuer,
        audience,
        requiredClaims: ['exp', 'sub'],
        currentDate: new Date(now()),
      })
      if (typeof payload.sub !== 'string' || payload.sub === '') {
        return challenge(c, 'invalid_token')
      }
      c.set('sub', payload.sub)
    } catch {
      return challenge(c, 'invalid_token')
    }
    await next()
  })

  const app = new Hono<Env>()
  app.get('/health', (c) => c.json({ status: 'ok' }))
  app.use('/api/*', requireToken)
  app.get('/api/me', (c) => c.json({ sub: c.var.sub }))
  return app
}
