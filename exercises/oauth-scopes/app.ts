import { Hono } from 'hono'

export interface Order {
  id: string
  item: string
  status: 'paid' | 'refunded'
}

export interface ScopeOptions {
  /** The shared HMAC secret (at least 32 bytes); its UTF-8 bytes are the key. */
  secret: string
  /** The only accepted `iss` claim. */
  issuer: string
  /** This API's name; the token's `aud` must be it or contain it. */
  audience: string
  /** The current time in milliseconds since the epoch; defaults to `Date.now`. */
  now?: () => number
  /** Role name -> every scope a user with that role may ever use. */
  roles: Record<string, string[]>
  /** The users this API knows: `sub` -> role name. */
  users: Record<string, string>
  /** The orders the app starts with. */
  orders: Order[]
}

export function createApp(options: ScopeOptions) {
  const app = new Hono()

  // Done for you: health checks never need a token.
  app.get('/health', (c) => c.json({ status: 'ok' }))

  // TODO: authenticate every /api/* request as in jwt-verify (the `jose` package is installed):
  //       HS256 only, exp/nbf against options.now(), iss, aud, a non-empty string sub.
  //       No credentials: 401 `Bearer realm="api"`; a bad token, or a sub that is not an own
  //       key of options.users: 401 `Bearer realm="api", error="invalid_token"`.

  // TODO: the effective scopes: the `scope` claim split on spaces, kept only where the user's
  //       role (options.roles[options.users[sub]]) allows them. A non-string scope: invalid_token.

  // TODO: a route guard needing every listed scope; otherwise 403 with
  //       `WWW-Authenticate: Bearer realm="api", error="insufficient_scope", scope="<required>"`.

  app.get('/api/me', (c) => {
    // TODO: 200 { "sub", "role", "scopes": [the effective scopes] }
    return c.json({ error: 'not_implemented' }, 501)
  })

  // TODO: GET /api/orders and GET /api/orders/:id need orders:read (missing order: 404).
  // TODO: POST /api/orders/:id/refund needs orders:write and payments:write -> 200, refunded.

  return app
}
