import { randomBytes } from 'node:crypto'
import { Hono, type Context } from 'hono'
import { getCookie, setCookie } from 'hono/cookie'
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
  // TODO: a CSRF token of its own
}

interface Transfer {
  id: string
  from: string
  to: string
  amount: number
}

type Env = { Variables: { user: string; session: Session | undefined } }

const SESSION_COOKIE = 'sid'

const newSecret = () => randomBytes(32).toString('base64url')

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

  // Done for you: a bearer token (scripts, servers) or the session cookie (browsers).
  const authenticate = createMiddleware<Env>(async (c, next) => {
    const header = c.req.header('Authorization')
    if (header !== undefined) {
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

  // TODO: a CSRF guard for unsafe requests (not GET, HEAD, OPTIONS) made with the session
  //       cookie (bearer requests are exempt): 403 unless
  //       - Sec-Fetch-Site, when sent, is 'same-origin'; else Origin, when sent, is exactly
  //         options.origin (neither sent: the token alone decides), and
  //       - the session's token arrives in X-CSRF-Token or in the form field _csrf.

  const app = new Hono<Env>()

  // TODO: the login gets the Origin / Sec-Fetch-Site check too (there is no token yet).
  app.post('/session', async (c) => {
    const body = await readBody(c)
    const { user, password } = body
    const known = typeof user === 'string' && Object.hasOwn(options.users, user)
    if (!known || typeof password !== 'string' || options.users[user] !== password) {
      return c.json({ error: 'invalid_credentials' }, 401)
    }
    const sid = newSecret()
    const session = { user }
    sessions.set(sid, session)
    // TODO: SameSite=Lax on the cookie, and { "csrfToken": ... } in the answer.
    setCookie(c, SESSION_COOKIE, sid, { httpOnly: true, path: '/' })
    return c.json({ user }, 201)
  })

  app.use('/api/*', authenticate)

  app.get('/api/csrf', (c) => {
    // TODO: answer { "csrfToken": <this session's token> }
    return c.json({ error: 'not_implemented' }, 501)
  })
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

  // TODO: log out: end the session (the CSRF guard applies). A GET must never log anyone out.

  return app
}
