import { randomBytes } from 'node:crypto'
import { Hono, type Context } from 'hono'
import { deleteCookie, getCookie, setCookie } from 'hono/cookie'
import { jwtVerify, SignJWT } from 'jose'

export interface SessionsVsTokensOptions {
  /** Username -> password. Own entries only: `constructor` is not a user. */
  users: Record<string, string>
  /** The HMAC secret (at least 32 bytes as UTF-8) that signs the access tokens. */
  secret: string
  /** The current time in milliseconds since the epoch; defaults to `Date.now`. */
  now?: () => number
  /** How long a session lasts after login, in seconds. */
  sessionTtlSeconds?: number
  /** How long an access token lasts, in seconds. */
  accessTtlSeconds?: number
  /** How long a refresh token lasts after it was issued, in seconds. */
  refreshTtlSeconds?: number
}

// Done for you: the two 401 answers of GET /api/me and /token/logout.
const unauthorized = (c: Context) =>
  c.json({ error: 'unauthorized' }, 401, { 'WWW-Authenticate': 'Bearer realm="api"' })

const invalidToken = (c: Context) =>
  c.json({ error: 'invalid_token' }, 401, {
    'WWW-Authenticate': 'Bearer realm="api", error="invalid_token"',
  })

// Done for you: the JSON body as an object, or {} when it is not one.
async function readJson(c: Context): Promise<Record<string, unknown>> {
  const body: unknown = await c.req.json().catch(() => null)
  return typeof body === 'object' && body !== null && !Array.isArray(body)
    ? (body as Record<string, unknown>)
    : {}
}

export function createApp(options: SessionsVsTokensOptions) {
  const now = options.now ?? Date.now
  const sessionTtl = (options.sessionTtlSeconds ?? 3600) * 1000
  const accessTtl = options.accessTtlSeconds ?? 300
  const refreshTtl = (options.refreshTtlSeconds ?? 86_400) * 1000
  const key = new TextEncoder().encode(options.secret)
  const users = new Map(Object.entries(options.users))

  // Done for you: the username when the body's username and password match a user.
  const checkPassword = (body: Record<string, unknown>) => {
    const { username, password } = body
    if (typeof username !== 'string' || typeof password !== 'string') return undefined
    return users.get(username) === password ? username : undefined
  }

  // TODO: the state this app keeps (sessions, refresh tokens and their families, the denylist),
  //       created here so that two apps share nothing.
  void [randomBytes, deleteCookie, getCookie, setCookie, jwtVerify, SignJWT, now, accessTtl]
  void [sessionTtl, refreshTtl, key, unauthorized]

  const app = new Hono()

  app.post('/session/login', async (c) => {
    const sub = checkPassword(await readJson(c))
    if (!sub) return c.json({ error: 'invalid_credentials' }, 401)
    // TODO (tasks 1, 2): end any session the request came with, store a new session under a
    //       fresh random id, and set it as the `sid` cookie (HttpOnly, Secure, SameSite, Path=/).
    return c.json({ sub })
  })

  app.post('/session/logout', (c) => {
    // TODO (task 3): delete the session on the server and expire the cookie.
    return c.body(null, 204)
  })

  app.post('/token/login', async (c) => {
    const sub = checkPassword(await readJson(c))
    if (!sub) return c.json({ error: 'invalid_credentials' }, 401)
    // TODO (task 4): sign an HS256 access token (sub, jti, iat, exp) and answer it with a new
    //       refresh token: { access_token, token_type, expires_in, refresh_token }.
    return c.json({ error: 'not_implemented' }, 501)
  })

  app.post('/token/refresh', async (c) => {
    // TODO (task 5): trade a live refresh token for a new pair; a used one kills its family.
    return c.json({ error: 'invalid_grant' }, 400)
  })

  app.post('/token/logout', async (c) => {
    // TODO (task 6): verify the bearer token, denylist its jti until its exp, end its family.
    return c.body(null, 204)
  })

  app.get('/api/me', async (c) => {
    // TODO (tasks 1, 4): a bearer token decides alone; otherwise the sid cookie's session.
    //       Answer { sub, via: 'token' | 'session' }.
    return invalidToken(c)
  })

  return app
}
