import { Hono } from 'hono'

export interface JwtVerifyOptions {
  /** The shared HMAC secret; its UTF-8 bytes are the key. */
  secret: string
  /** The only accepted `iss` claim: who minted the token. */
  issuer: string
  /** This API's name; the token's `aud` must be it or contain it. */
  audience: string
  /** The current time in milliseconds since the epoch; defaults to `Date.now`. */
  now?: () => number
}

export function createApp(options: JwtVerifyOptions) {
  // TODO: throw a TypeError when the secret is shorter than 32 bytes once UTF-8 encoded
  //       (an HS256 key must have at least 256 bits).

  const app = new Hono()

  // Done for you: health checks never need a token.
  app.get('/health', (c) => c.json({ status: 'ok' }))

  // TODO: read the Authorization header. No header, or a scheme other than Bearer (in any case):
  //       401, `WWW-Authenticate: Bearer realm="api"`, JSON { "error": "unauthorized" }.

  // TODO: verify the token (the `jose` package is installed): HS256 only, signed with
  //       options.secret, exp/nbf judged against options.now(), iss, aud and sub as the README
  //       says. Any failure: 401, `WWW-Authenticate: Bearer realm="api", error="invalid_token"`,
  //       JSON { "error": "invalid_token" }.

  app.get('/api/me', (c) => {
    // TODO: answer 200 with JSON { "sub": <the verified token's sub claim> }
    return c.json({ error: 'not_implemented' }, 501)
  })

  return app
}
