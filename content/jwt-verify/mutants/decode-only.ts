// Mutant: decodes the token and checks its claims, but never verifies the signature.
import { Hono, type Context } from 'hono'
import { createMiddleware } from 'hono/factory'
import { decodeJwt } from 'jose'
import type { JwtVerifyOptions } from '../../../exercises/jwt-verify/app.ts'

type Env = { Variables: { sub: string } }

function challenge(c: Context, error?: 'invalid_token') {
  const value = error ? `Bearer realm="api", error="${error}"` : 'Bearer realm="api"'
  return c.json({ error: error ?? 'unauthorized' }, 401, { 'WWW-Authenticate': value })
}

export function createApp(options: JwtVerifyOptions) {
  const { issuer, audience } = options
  const now = options.now ?? Date.now

  const requireToken = createMiddleware<Env>(async (c, next) => {
    const match = /^\s*(\S+)(?:\s+(.*))?$/.exec(c.req.header('Authorization') ?? '')
    if (!match || match[1]!.toLowerCase() !== 'bearer') return challenge(c)
    const token = match[2]?.trim() ?? ''
    if (token === '') return challenge(c, 'invalid_token')
    let claims
    try {
      claims = decodeJwt(token)
    } catch {
      return challenge(c, 'invalid_token')
    }
    const seconds = now() / 1000
    const auds = Array.isArray(claims.aud) ? claims.aud : [claims.aud]
    const valid =
      typeof claims.exp === 'number' &&
      claims.exp > seconds &&
      (claims.nbf === undefined || claims.nbf <= seconds) &&
      claims.iss === issuer &&
      auds.includes(audience) &&
      typeof claims.sub === 'string' &&
      claims.sub !== ''
    if (!valid) return challenge(c, 'invalid_token')
    c.set('sub', claims.sub as string)
    await next()
  })

  const app = new Hono<Env>()
  app.get('/health', (c) => c.json({ status: 'ok' }))
  app.use('/api/*', requireToken)
  app.get('/api/me', (c) => c.json({ sub: c.var.sub }))
  return app
}
