import { Hono } from 'hono'
import type { JSONWebKeySet } from 'jose'

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

export function createApp(options: ServiceAuthOptions) {
  const app = new Hono()

  // Done for you: health checks never need a token.
  app.get('/health', (c) => c.json({ status: 'ok' }))

  // TODO: on /api/* and /internal/*, read `Authorization: Bearer <jwt>`. No token, or another
  //       scheme: 401 with `WWW-Authenticate: Bearer realm="api"` and { "error": "unauthorized" }.
  // TODO: verify the token against options.jwks (jose's createLocalJWKSet picks the key by kid),
  //       ES256 only, iss, aud, exp and nbf judged against options.now(), a non-empty sub. Any
  //       failure: 401, `WWW-Authenticate: Bearer realm="api", error="invalid_token"`,
  //       { "error": "invalid_token" }.

  app.get('/api/me', (c) => {
    // TODO: any valid token (a user's or a service's): 200 { "sub": <the token's sub> }
    return c.json({ error: 'not_implemented' }, 501)
  })

  // TODO: on the internal routes, only a service token (token_use "service") whose lifetime
  //       exp - iat is at most options.maxLifetimeSeconds, from a caller on that route's list in
  //       options.callers. The README's table says which failures are 401 and which are 403.

  app.post('/internal/charge', (c) => {
    // TODO: 200 { "caller": <the calling service> }
    return c.json({ error: 'not_implemented' }, 501)
  })

  app.get('/internal/ledger', (c) => {
    // TODO: 200 { "caller": <the calling service> }
    return c.json({ error: 'not_implemented' }, 501)
  })

  return app
}
