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

interface Session {
  sub: string
  expiresAt: number
}

interface RefreshToken {
  family: string
  expiresAt: number
  used: boolean
}

interface Family {
  sub: string
  revoked: boolean
}

const COOKIE = 'sid'

// 32 bytes from the operating system's CSPRNG: an id nobody can guess or enumerate. Math.random()
// is predictable from a few outputs, and an id built from the username or the time is guessable.
const newId = () => randomBytes(32).toString('base64url')

const unauthorized = (c: Context) =>
  c.json({ error: 'unauthorized' }, 401, { 'WWW-Authenticate': 'Bearer realm="api"' })

const invalidToken = (c: Context) =>
  c.json({ error: 'invalid_token' }, 401, {
    'WWW-Authenticate': 'Bearer realm="api", error="invalid_token"',
  })

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

  // All state lives here, per app. The session store is what makes sessions revocable; the
  // refresh tokens and the denylist are the state that tokens still need once you want logout.
  const sessions = new Map<string, Session>()
  const refreshTokens = new Map<string, RefreshToken>()
  const families = new Map<string, Family>()
  const tokenFamily = new Map<string, string>() // access token jti -> its refresh family
  const denylist = new Map<string, number>() // jti -> exp (ms): kept only while it could verify

  const checkPassword = (body: Record<string, unknown>) => {
    const { username, password } = body
    if (typeof username !== 'string' || typeof password !== 'string') return undefined
    return users.get(username) === password ? username : undefined
  }

  const sessionOf = (sid: string | undefined) => {
    const session = sid === undefined ? undefined : sessions.get(sid)
    if (!session) return undefined
    if (now() >= session.expiresAt) {
      sessions.delete(sid!)
      return undefined
    }
    return session
  }

  // An access token and a fresh refresh token of `family`, as the login and refresh answers.
  const issue = async (c: Context, sub: string, family: string) => {
    const issuedAt = Math.floor(now() / 1000)
    const jti = newId() // unique per token: logout revokes this token, not every token of sub
    const accessToken = await new SignJWT({ jti })
      .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
      .setSubject(sub)
      .setIssuedAt(issuedAt)
      .setExpirationTime(issuedAt + accessTtl)
      .sign(key)
    tokenFamily.set(jti, family)
    const refreshToken = newId()
    refreshTokens.set(refreshToken, { family, expiresAt: now() + refreshTtl, used: false })
    return c.json({
      access_token: accessToken,
      token_type: 'Bearer',
      expires_in: accessTtl,
      refresh_token: refreshToken,
    })
  }

  // Verifies a bearer token: signature, HS256, exp against now(), then the denylist. Everything
  // but the denylist needs only the key, which is why any instance with the secret can do it.
  const verifyAccess = async (token: string) => {
    try {
      const { payload } = await jwtVerify(token, key, {
        algorithms: ['HS256'],
        requiredClaims: ['exp', 'sub', 'jti'],
        currentDate: new Date(now()),
      })
      const { sub, jti, exp } = payload
      if (typeof sub !== 'string' || typeof jti !== 'string') return undefined
      if (denylist.has(jti)) return undefined
      return { sub, jti, exp: exp! }
    } catch {
      return undefined
    }
  }

  const bearerOf = (c: Context) => {
    const header = c.req.header('Authorization')
    if (header === undefined) return undefined
    const match = /^\s*(\S+)(?:\s+(.*))?$/.exec(header)
    return match?.[1]!.toLowerCase() === 'bearer' ? (match[2]?.trim() ?? '') : undefined
  }

  const app = new Hono()

  // --- Sessions: the server remembers, the browser holds a meaningless id -------------------

  app.post('/session/login', async (c) => {
    const sub = checkPassword(await readJson(c))
    if (!sub) return c.json({ error: 'invalid_credentials' }, 401)
    // Session fixation: never keep an id that existed before login, whoever chose it. An
    // attacker who planted it in the victim's browser would now hold a signed-in session.
    const old = getCookie(c, COOKIE)
    if (old !== undefined) sessions.delete(old)
    const sid = newId()
    sessions.set(sid, { sub, expiresAt: now() + sessionTtl })
    setCookie(c, COOKIE, sid, {
      httpOnly: true, // page scripts (an XSS payload) cannot read it
      secure: true, // never sent over plain HTTP
      sameSite: 'Lax', // not sent on cross-site POSTs: the first line of CSRF defence
      path: '/',
    })
    return c.json({ sub })
  })

  app.post('/session/logout', (c) => {
    // Delete on the server: a copied cookie is dead the moment the user logs out. Expiring the
    // cookie alone only cleans this browser; the same Path, or the browser keeps the old one.
    const sid = getCookie(c, COOKIE)
    if (sid !== undefined) sessions.delete(sid)
    deleteCookie(c, COOKIE, { path: '/', httpOnly: true, secure: true, sameSite: 'Lax' })
    return c.body(null, 204)
  })

  // --- Tokens: the client holds a signed claim, the server keeps only what logout needs -----

  app.post('/token/login', async (c) => {
    const sub = checkPassword(await readJson(c))
    if (!sub) return c.json({ error: 'invalid_credentials' }, 401)
    const family = newId()
    families.set(family, { sub, revoked: false })
    return issue(c, sub, family)
  })

  app.post('/token/refresh', async (c) => {
    const presented = (await readJson(c)).refresh_token
    if (typeof presented !== 'string') return c.json({ error: 'invalid_request' }, 400)
    const record = refreshTokens.get(presented)
    const family = record && families.get(record.family)
    if (!record || !family || family.revoked || now() >= record.expiresAt) {
      return c.json({ error: 'invalid_grant' }, 400)
    }
    if (record.used) {
      // A used refresh token came back: either the client or a thief holds a copy. We cannot
      // tell which, so kill the whole family, the newest token included (RFC 9700, 4.14.2).
      family.revoked = true
      return c.json({ error: 'invalid_grant' }, 400)
    }
    // Mark it used before the first await: two concurrent refreshes must not both succeed.
    record.used = true
    return issue(c, family.sub, record.family)
  })

  app.post('/token/logout', async (c) => {
    const token = bearerOf(c)
    if (token === undefined) return unauthorized(c)
    const claims = await verifyAccess(token)
    if (!claims) return invalidToken(c)
    // A JWT cannot be recalled: it verifies until exp. Denylist its jti until then (after exp
    // the signature check rejects it anyway, so the entry can go), and end its refresh family.
    denylist.set(claims.jti, claims.exp * 1000)
    for (const [jti, exp] of denylist) if (exp <= now()) denylist.delete(jti)
    const family = families.get(tokenFamily.get(claims.jti) ?? '')
    if (family) family.revoked = true
    return c.body(null, 204)
  })

  // --- The one resource, behind either ------------------------------------------------------

  app.get('/api/me', async (c) => {
    // A bearer token decides alone: a client that sent a token meant the token, and a bad one
    // must not fall back to whatever cookie the browser also attached.
    const token = bearerOf(c)
    if (token !== undefined) {
      const claims = await verifyAccess(token)
      return claims ? c.json({ sub: claims.sub, via: 'token' }) : invalidToken(c)
    }
    const session = sessionOf(getCookie(c, COOKIE))
    return session ? c.json({ sub: session.sub, via: 'session' }) : unauthorized(c)
  })

  return app
}
