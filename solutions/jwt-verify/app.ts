import { Hono, type Context } from 'hono'
import { createMiddleware } from 'hono/factory'
import { jwtVerify } from 'jose'

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

type Env = { Variables: { sub: string } }

const MIN_KEY_BYTES = 32

// A bare challenge for "you sent no credentials" and one with error="invalid_token" for "you sent
// a token and it is no good". RFC 6750 asks for no error code in the first case: the client has
// simply not authenticated yet, and should not be told anything about why a token would fail.
function challenge(c: Context, error?: 'invalid_token') {
  const value = error ? `Bearer realm="api", error="${error}"` : 'Bearer realm="api"'
  // 401, never 403: 401 means "who are you?" and invites a retry with (new) credentials;
  // 403 means "I know who you are and the answer is no", which a bad token cannot tell us.
  return c.json({ error: error ?? 'unauthorized' }, 401, { 'WWW-Authenticate': value })
}

export function createApp(options: JwtVerifyOptions) {
  const { issuer, audience } = options
  const now = options.now ?? Date.now
  // Encode the key once, when the app is built. A JWT's HMAC key is the secret's UTF-8 bytes;
  // latin1 or base64 decoding yields different bytes, and every signature check fails.
  const key = new TextEncoder().encode(options.secret)
  // RFC 7518 section 3.2: an HS256 key MUST be at least as long as the hash, 256 bits. A short
  // secret can be brute-forced offline from one captured token. Count bytes, not characters.
  if (key.length < MIN_KEY_BYTES) {
    throw new TypeError(`createApp: \`secret\` must be at least ${MIN_KEY_BYTES} bytes (UTF-8)`)
  }

  const requireToken = createMiddleware<Env>(async (c, next) => {
    const header = c.req.header('Authorization')
    // `Bearer` is an auth-scheme, and schemes are case-insensitive (RFC 9110, 11.1).
    const match = header === undefined ? null : /^\s*(\S+)(?:\s+(.*))?$/.exec(header)
    if (!match || match[1]!.toLowerCase() !== 'bearer') return challenge(c)
    const token = match[2]?.trim() ?? ''
    // "Bearer" with nothing after it: the client tried to present a token, so it is malformed,
    // not missing. RFC 6750 would call a malformed request `invalid_request` (400); this
    // contract keeps every presented-but-unusable credential on 401 invalid_token, so a client
    // has one rule: get a new token and try again.
    if (token === '') return challenge(c, 'invalid_token')

    try {
      const { payload } = await jwtVerify(token, key, {
        // Pin the algorithm. Without this list jose accepts any algorithm the key type allows
        // (HS384, HS512), and a verifier that trusts the header's `alg` can be talked into `none`.
        algorithms: ['HS256'],
        issuer,
        audience, // a string `aud` must equal it; an array `aud` must contain it
        requiredClaims: ['exp', 'sub'], // a token without expiry would be valid forever
        // Read the clock on every request: exp and nbf are judged against "now", and jose would
        // otherwise use the real time. No clockTolerance: the contract allows no leeway.
        currentDate: new Date(now()),
      })
      // jose checks that `sub` is present, not what it holds.
      if (typeof payload.sub !== 'string' || payload.sub === '') {
        return challenge(c, 'invalid_token')
      }
      c.set('sub', payload.sub)
    } catch {
      // Bad signature, wrong algorithm, expired, wrong audience...: the client gets one answer.
      // The reason belongs in the server's logs, not in a hint to whoever forged the token.
      return challenge(c, 'invalid_token')
    }
    await next()
  })

  const app = new Hono<Env>()

  // Health checks come from load balancers that hold no token: keep them outside the guard.
  app.get('/health', (c) => c.json({ status: 'ok' }))

  app.use('/api/*', requireToken)
  app.get('/api/me', (c) => c.json({ sub: c.var.sub }))

  return app
}
