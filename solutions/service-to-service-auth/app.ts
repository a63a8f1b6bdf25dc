import { Hono, type Context } from 'hono'
import { createMiddleware } from 'hono/factory'
import { createLocalJWKSet, jwtVerify, type JSONWebKeySet, type JWTPayload } from 'jose'

export interface ServiceAuthOptions {
  /** The token service's public keys, each with a `kid`: the only keys that may sign. */
  jwks: JSONWebKeySet
  /** The token service: the only accepted `iss`, for user and service tokens alike. */
  issuer: string
  /** This service's name; every token's `aud` must be it or contain it. */
  audience: string
  /** Per internal route, the services (`sub` of a service token) allowed to call it. */
  callers: { charge: string[]; ledger: string[] }
  /** The longest a service token may live, `exp - iat`, in seconds. */
  maxLifetimeSeconds: number
  /** The current time in milliseconds since the epoch; defaults to `Date.now`. */
  now?: () => number
}

type Env = { Variables: { claims: JWTPayload & { sub: string } } }

function unauthorized(c: Context, error?: 'invalid_token') {
  const value = error ? `Bearer realm="api", error="${error}"` : 'Bearer realm="api"'
  return c.json({ error: error ?? 'unauthorized' }, 401, { 'WWW-Authenticate': value })
}

// 403, not 401: the token is genuine and we know who sent it. A new token for the same
// caller would get the same answer, so there is nothing to re-authenticate.
const forbidden = (c: Context) => c.json({ error: 'forbidden' }, 403)

export function createApp(options: ServiceAuthOptions) {
  const { issuer, audience, maxLifetimeSeconds } = options
  const now = options.now ?? Date.now
  // A local key set: jose picks the key by the header's `kid`, and only among keys that fit the
  // algorithm (an EC P-256 key for ES256, never the RSA key that happens to share the set) and
  // are meant for signatures (`use: "sig"` or no `use`). Rotation is adding a key to the set,
  // waiting until every token signed by the old one has expired, then removing the old one.
  const keySet = createLocalJWKSet(options.jwks)
  // Only the key the header names: a token without a `kid` names none. (jose would fall back on
  // the one key that fits, if the set held only one; with several it refuses too.)
  const keys = (...[header, token]: Parameters<typeof keySet>) => {
    if (typeof header?.kid !== 'string') throw new Error('the token names no key (no kid)')
    return keySet(header, token)
  }
  // Sets, built once: `includes` on the arrays would do too, but never `sub in someObject`,
  // where "constructor" and "__proto__" are members of every object.
  const allowed = {
    charge: new Set(options.callers.charge),
    ledger: new Set(options.callers.ledger),
  }

  const authenticate = createMiddleware<Env>(async (c, next) => {
    const header = c.req.header('Authorization')
    const match = header === undefined ? null : /^\s*(\S+)(?:\s+(.*))?$/.exec(header)
    if (!match || match[1]!.toLowerCase() !== 'bearer') return unauthorized(c)
    const token = match[2]?.trim() ?? ''
    if (token === '') return unauthorized(c, 'invalid_token')
    try {
      const { payload } = await jwtVerify(token, keys, {
        // Pinned: the header is written by the sender. Without this list jose would accept any
        // algorithm some key in the set can verify (RS256 with the RSA key, ES384 with the
        // P-384 one). An HS256 token "signed" with our public key never gets near a key here:
        // a key set holds no secrets, so jose refuses every HMAC algorithm outright.
        algorithms: ['ES256'],
        issuer,
        audience,
        requiredClaims: ['exp', 'sub'],
        currentDate: new Date(now()),
      })
      if (typeof payload.sub !== 'string' || payload.sub === '') {
        return unauthorized(c, 'invalid_token')
      }
      c.set('claims', payload as JWTPayload & { sub: string })
    } catch {
      return unauthorized(c, 'invalid_token')
    }
    await next()
  })

  /** Lets through only a short-lived service token whose caller is on `callers`. */
  const requireService = (callers: Set<string>) =>
    createMiddleware<Env>(async (c, next) => {
      const claims = c.var.claims
      // A user's token is genuine, just the wrong kind of caller: a browser session that
      // reaches an internal route (through a misrouted proxy, a leaked URL) must not act as
      // a service, even when the user is called "orders".
      if (claims.token_use !== 'service') return forbidden(c)
      // Short-lived is the contract, and it is checked on the token's own claims: a service
      // that mints itself a year-long token has made a credential worth stealing, whether or
      // not the year is up. `maxTokenAge` in jose measures now - iat, which a fresh token with
      // a far `exp` passes, so the check is written out.
      const nowSec = now() / 1000
      const { iat, exp } = claims
      if (typeof iat !== 'number' || iat > nowSec || exp! - iat > maxLifetimeSeconds) {
        return unauthorized(c, 'invalid_token')
      }
      // Authorization per route: the caller is who the token service says it is (`sub`), and
      // the route decides whether that caller may do this. Exact match only.
      if (!callers.has(claims.sub)) return forbidden(c)
      await next()
    })

  const app = new Hono<Env>()

  app.get('/health', (c) => c.json({ status: 'ok' }))

  app.use('/api/*', authenticate)
  app.use('/internal/*', authenticate)

  // Public routes take any valid token from the token service, a user's or a service's.
  app.get('/api/me', (c) => c.json({ sub: c.var.claims.sub }))

  app.post('/internal/charge', requireService(allowed.charge), (c) =>
    c.json({ caller: c.var.claims.sub }),
  )
  app.get('/internal/ledger', requireService(allowed.ledger), (c) =>
    c.json({ caller: c.var.claims.sub }),
  )

  return app
}
