import { randomBytes, timingSafeEqual } from 'node:crypto'
import { Hono, type Context } from 'hono'
import { deleteCookie, getCookie, setCookie } from 'hono/cookie'
import { createMiddleware } from 'hono/factory'

export interface CsrfOptions {
  /** The site's own origin, as browsers send it: 'https://bank.example'. */
  origin: string
  /** Who may sign in: user name -> password. */
  users: Record<string, string>
  /** API tokens for scripts and servers: token -> user name. */
  apiTokens: Record<string, string>
}

interface Session {
  user: string
  /** The synchronizer token: random, one per session, never sent in a cookie. */
  csrfToken: string
}

interface Transfer {
  id: string
  from: string
  to: string
  amount: number
}

type Env = { Variables: { user: string; session: Session | undefined } }

const SESSION_COOKIE = 'sid'
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS'])

const newSecret = () => randomBytes(32).toString('base64url')

/** Constant-time equality of two strings, so a forger learns nothing from response times. */
function sameToken(sent: string, expected: string): boolean {
  const a = Buffer.from(sent)
  const b = Buffer.from(expected)
  return a.length === b.length && timingSafeEqual(a, b)
}

/** The request body as an object, JSON or form-encoded; Hono caches it for the route. */
async function readBody(c: Context): Promise<Record<string, unknown>> {
  const type = c.req.header('Content-Type') ?? ''
  if (/^application\/json\b/i.test(type)) {
    const body: unknown = await c.req.json().catch(() => null)
    return body !== null && typeof body === 'object' ? (body as Record<string, unknown>) : {}
  }
  if (/^(application\/x-www-form-urlencoded|multipart\/form-data)\b/i.test(type)) {
    return (await c.req.parseBody()) as Record<string, unknown>
  }
  return {}
}

export function createApp(options: CsrfOptions) {
  const sessions = new Map<string, Session>()
  const transfers: Transfer[] = []

  /**
   * Did the browser say this request comes from our own pages? Sec-Fetch-Site is the browser's
   * own verdict, so it wins when present; then Origin, compared exactly. A browser that sends
   * neither (an old one, or a privacy proxy that strips them) gives no answer: the token decides.
   */
  const fromOurPages = (c: Context): boolean | undefined => {
    const site = c.req.header('Sec-Fetch-Site')
    if (site !== undefined) return site === 'same-origin'
    const origin = c.req.header('Origin')
    // `null` (sandboxed iframes, some redirects) is never our origin.
    if (origin !== undefined) return origin === options.origin
    return undefined
  }

  const forbidden = (c: Context) => c.json({ error: 'csrf_failed' }, 403)

  // The login has no session yet, so no token, but it gets the Origin check: a forged login
  // (the attacker signs the victim into the attacker's account) is CSRF as well.
  const checkOrigin = createMiddleware(async (c, next) => {
    if (!SAFE_METHODS.has(c.req.method) && fromOurPages(c) === false) return forbidden(c)
    await next()
  })

  const authenticate = createMiddleware<Env>(async (c, next) => {
    const header = c.req.header('Authorization')
    if (header !== undefined) {
      // A bearer token is sent by code that holds it, never added by the browser on its own,
      // so a forged cross-site request cannot carry it: no CSRF token needed. A bad one is a
      // 401, with no fallback to the cookie (that would skip the CSRF check below).
      const token = /^Bearer +(\S+)$/i.exec(header)?.[1]
      const user = token !== undefined && Object.hasOwn(options.apiTokens, token)
      if (!user) return c.json({ error: 'unauthorized' }, 401)
      c.set('user', options.apiTokens[token!]!)
      c.set('session', undefined)
      return next()
    }
    const sid = getCookie(c, SESSION_COOKIE)
    const session = sid === undefined ? undefined : sessions.get(sid)
    if (!session) return c.json({ error: 'unauthorized' }, 401)
    c.set('user', session.user)
    c.set('session', session)
    await next()
  })

  // Cookie sessions only. The browser attaches the session cookie to every request to this
  // site, whoever's page triggered it. Two checks stand in the way: the request comes from our
  // pages (the browser says so), and it carries the token, which a foreign page cannot know: it
  // lives in the session and reaches only our own pages, in response bodies that the same-origin
  // policy keeps from other sites.
  const csrfGuard = createMiddleware<Env>(async (c, next) => {
    const session = c.var.session
    if (session === undefined || SAFE_METHODS.has(c.req.method)) return next()
    if (fromOurPages(c) === false) return forbidden(c)
    const body = await readBody(c)
    const field = typeof body._csrf === 'string' ? body._csrf : undefined
    const sent = c.req.header('X-CSRF-Token') ?? field
    if (sent === undefined || !sameToken(sent, session.csrfToken)) return forbidden(c)
    await next()
  })

  const app = new Hono<Env>()
  app.post('/session', checkOrigin, async (c) => {
    const body = await readBody(c)
    const { user, password } = body
    const known = typeof user === 'string' && Object.hasOwn(options.users, user)
    if (!known || typeof password !== 'string' || options.users[user] !== password) {
      return c.json({ error: 'invalid_credentials' }, 401)
    }
    const sid = newSecret()
    const session = { user, csrfToken: newSecret() }
    sessions.set(sid, session)
    // HttpOnly: scripts cannot read the session id. SameSite=Lax: the browser leaves the cookie
    // off cross-site subrequests and cross-site POSTs, a second wall behind the token.
    setCookie(c, SESSION_COOKIE, sid, { httpOnly: true, sameSite: 'Lax', path: '/' })
    return c.json({ user, csrfToken: session.csrfToken }, 201)
  })

  app.use('/api/*', authenticate, csrfGuard)

  app.get('/api/csrf', (c) => c.json({ csrfToken: c.var.session?.csrfToken ?? null }))
  app.get('/api/me', (c) => c.json({ user: c.var.user }))

  app.get('/api/transfers', (c) =>
    c.json({ transfers: transfers.filter((t) => t.from === c.var.user) }),
  )
  app.post('/api/transfers', async (c) => {
    const body = await readBody(c)
    const amount = Number(body.amount)
    if (typeof body.to !== 'string' || !Number.isFinite(amount) || amount <= 0) {
      return c.json({ error: 'invalid_transfer' }, 400)
    }
    const transfer = { id: newSecret(), from: c.var.user, to: body.to, amount }
    transfers.push(transfer)
    return c.json(transfer, 201)
  })
  app.delete('/api/transfers/:id', (c) => {
    const i = transfers.findIndex((t) => t.id === c.req.param('id') && t.from === c.var.user)
    if (i < 0) return c.json({ error: 'not_found' }, 404)
    transfers.splice(i, 1)
    return c.body(null, 204)
  })

  // Logging out changes state, so it is a POST and goes through the token check. A GET
  // /api/logout would let any <img src> on any site sign the user out.
  app.post('/api/logout', (c) => {
    const sid = getCookie(c, SESSION_COOKIE)
    if (sid !== undefined) sessions.delete(sid)
    deleteCookie(c, SESSION_COOKIE, { path: '/' })
    return c.body(null, 204)
  })

  return app
}
