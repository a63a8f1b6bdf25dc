// Mutant: hand-rolled verifier that takes the algorithm from the token's header, `none` included.
import { createHmac, timingSafeEqual } from 'node:crypto'
import { Hono, type Context } from 'hono'
import { createMiddleware } from 'hono/factory'
import type { JwtVerifyOptions } from '../../../exercises/jwt-verify/app.ts'

type Env = { Variables: { sub: string } }

const HASHES: Record<string, string> = { HS256: 'sha256', HS384: 'sha384', HS512: 'sha512' }

function challenge(c: Context, error?: 'invalid_token') {
  const value = error ? `Bearer realm="api", error="${error}"` : 'Bearer realm="api"'
  return c.json({ error: error ?? 'unauthorized' }, 401, { 'WWW-Authenticate': value })
}

function decode(part: string): any {
  return JSON.parse(Buffer.from(part, 'base64url').toString('utf8'))
}

function signatureOk(alg: string, signingInput: string, signature: string, secret: string) {
  if (alg === 'none') return true
  const hash = HASHES[alg]
  if (!hash) return false
  const expected = createHmac(hash, secret).update(signingInput).digest()
  const actual = Buffer.from(signature, 'base64url')
  return actual.length === expected.length && timingSafeEqual(actual, expected)
}

export function createApp(options: JwtVerifyOptions) {
  const { secret, issuer, audience } = options
  const now = options.now ?? Date.now

  const requireToken = createMiddleware<Env>(async (c, next) => {
    const match = /^\s*(\S+)(?:\s+(.*))?$/.exec(c.req.header('Authorization') ?? '')
    if (!match || match[1]!.toLowerCase() !== 'bearer') return challenge(c)
    const token = match[2]?.trim() ?? ''
    const [header, payload, signature] = token.split('.')
    let claims
    try {
      const alg = decode(header!).alg
      if (!signatureOk(alg, `${header}.${payload}`, signature ?? '', secret)) throw new Error('sig')
      claims = decode(payload!)
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
    c.set('sub', claims.sub)
    await next()
  })

  const app = new Hono<Env>()
  app.get('/health', (c) => c.json({ status: 'ok' }))
  app.use('/api/*', requireToken)
  app.get('/api/me', (c) => c.json({ sub: c.var.sub }))
  return app
}
