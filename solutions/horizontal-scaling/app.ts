import { randomBytes } from 'node:crypto'
import { Hono, type Context } from 'hono'
import { deleteCookie, getCookie, setCookie } from 'hono/cookie'
import { createMiddleware } from 'hono/factory'

/** A Redis-like store shared by every instance. Every call is a network round trip. */
export interface SharedStore {
  /** The key's value, or `null` when it is missing or has expired. */
  get(key: string): Promise<string | null>
  /** Writes the key, replacing any TTL with `ttlMs` (omitted: no expiry). */
  set(key: string, value: string, options?: { ttlMs?: number }): Promise<void>
  /** Removes the key (a missing key is fine). */
  del(key: string): Promise<void>
  /**
   * Adds 1 to the integer in the key and returns the new value, atomically. A missing key
   * counts as 0 and is created with `ttlMs` (an existing key keeps its TTL).
   */
  incr(key: string, options?: { ttlMs?: number }): Promise<number>
}

export interface Note {
  id: number
  text: string
}

/** The database every instance shares. */
export interface NotesDb {
  getNote(id: number): Promise<Note | null>
  /** `null` when there is no such note. */
  updateNote(id: number, text: string): Promise<Note | null>
}

export interface ScalingOptions {
  /** The store every instance shares: the only place for state that must outlive a request. */
  store: SharedStore
  db: NotesDb
  /** username -> password (done for you: `checkPassword`). */
  users: Map<string, string>
  /** The current time in milliseconds. */
  now: () => number
  /** A session ends this long after login. */
  sessionTtlSeconds: number
  /** Requests to /api per user per window, over all instances together. */
  limit: number
  /** The rate-limit window; windows start at multiples of it since the epoch. */
  windowSeconds: number
  /** How long a cached note lives. */
  cacheTtlSeconds: number
  /** Aborted when this instance is told to shut down (SIGTERM). */
  shutdown: AbortSignal
}

type Env = { Variables: { user: string } }

const COOKIE = 'sid'
const sessionKey = (sid: string) => `session:${sid}`
const noteKey = (id: number) => `cache:note:${id}`

export function createApp(options: ScalingOptions) {
  const { store, db, users, now, shutdown } = options
  for (const name of ['sessionTtlSeconds', 'limit', 'windowSeconds', 'cacheTtlSeconds'] as const) {
    const value = options[name]
    if (!Number.isInteger(value) || value < 1) {
      throw new TypeError(`${name} must be a whole number >= 1, received ${value}`)
    }
  }
  const windowMs = options.windowSeconds * 1000
  // Nothing below this line keeps anything that matters between requests: an instance may be
  // started, stopped or added at any moment, and the load balancer sends each request anywhere.

  const app = new Hono<Env>()

  app.post('/login', async (c) => {
    const body: unknown = await c.req.json().catch(() => undefined)
    const { username, password } = (body ?? {}) as { username?: unknown; password?: unknown }
    if (!checkPassword(users, username, password)) {
      return c.json({ error: 'invalid_credentials' }, 401)
    }
    // A random id, not a signature with a per-instance secret: every instance must accept it,
    // and the record in the store is what logout deletes for all of them at once.
    const sid = randomBytes(32).toString('base64url')
    const ttlMs = options.sessionTtlSeconds * 1000
    await store.set(sessionKey(sid), JSON.stringify({ user: username }), { ttlMs })
    setCookie(c, COOKIE, sid, {
      httpOnly: true,
      sameSite: 'Lax',
      path: '/',
      maxAge: options.sessionTtlSeconds,
    })
    return c.json({ user: username })
  })

  app.post('/logout', async (c) => {
    const sid = getCookie(c, COOKIE)
    if (sid !== undefined) await store.del(sessionKey(sid))
    deleteCookie(c, COOKIE, { path: '/' })
    return c.body(null, 204)
  })

  /** The user of the request's session, read from the store on every request. */
  const authenticate = createMiddleware<Env>(async (c, next) => {
    const sid = getCookie(c, COOKIE)
    const session = sid === undefined ? null : await store.get(sessionKey(sid))
    if (session === null) return c.json({ error: 'unauthorized' }, 401)
    c.set('user', (JSON.parse(session) as { user: string }).user)
    await next()
  })

  /** A fixed window per user, counted in the store with one atomic INCR. */
  const rateLimit = createMiddleware<Env>(async (c, next) => {
    const t = now()
    // Windows are aligned to the epoch, not to this instance's start: every instance, however
    // long it has been running, computes the same window and so the same key.
    const window = Math.floor(t / windowMs)
    const key = `ratelimit:${JSON.stringify([c.get('user'), window])}`
    // INCR is atomic in the store: a get then a set would let concurrent requests on different
    // instances read the same count. The TTL lets the counter leave once its window is over.
    const count = await store.incr(key, { ttlMs: windowMs })
    if (count > options.limit) {
      const retryAfter = Math.max(1, Math.ceil(((window + 1) * windowMs - t) / 1000))
      c.header('Retry-After', String(retryAfter))
      return c.json({ error: 'rate_limited' }, 429)
    }
    await next()
  })

  app.use('/api/*', authenticate, rateLimit)

  app.get('/api/me', (c) => c.json({ user: c.get('user') }))

  app.get('/api/notes/:id', async (c) => {
    const id = parseId(c.req.param('id'))
    if (id === null) return c.json({ error: 'not_found' }, 404)
    // The cache is in the store, so one instance's fill serves all, and one delete clears it
    // for all. A Map here would need an invalidation message to every other instance.
    const cached = await store.get(noteKey(id))
    if (cached !== null) return jsonText(c, cached)
    const note = await db.getNote(id)
    if (note === null) return c.json({ error: 'not_found' }, 404)
    const text = JSON.stringify(note)
    await store.set(noteKey(id), text, { ttlMs: options.cacheTtlSeconds * 1000 })
    return jsonText(c, text)
  })

  app.put('/api/notes/:id', async (c) => {
    const id = parseId(c.req.param('id'))
    if (id === null) return c.json({ error: 'not_found' }, 404)
    const body: unknown = await c.req.json().catch(() => undefined)
    const text = (body as { text?: unknown } | undefined)?.text
    if (typeof text !== 'string') return c.json({ error: 'invalid_text' }, 400)
    const note = await db.updateNote(id, text)
    if (note === null) return c.json({ error: 'not_found' }, 404)
    // After the write: delete the entry every instance reads.
    await store.del(noteKey(id))
    return c.json(note)
  })

  // Liveness: the process answers. Restart it when this fails; never check dependencies here,
  // or a store outage restarts every instance at once.
  app.get('/health/live', (c) => c.json({ status: 'ok' }))

  // Readiness: should the balancer send traffic here? Not while draining, not without the store.
  app.get('/health/ready', async (c) => {
    if (shutdown.aborted) return c.json({ status: 'draining' }, 503)
    try {
      await store.get('health:ping')
    } catch {
      return c.json({ status: 'store_unavailable' }, 503)
    }
    return c.json({ status: 'ready' })
  })

  return app
}

function jsonText(c: Context, text: string): Response {
  c.header('Content-Type', 'application/json')
  return c.body(text, 200)
}

function parseId(raw: string): number | null {
  return /^[1-9]\d{0,8}$/.test(raw) ? Number(raw) : null
}

/** Done for you: is this the user's password? (A real app compares password hashes.) */
export function checkPassword(users: Map<string, string>, username: unknown, password: unknown) {
  return (
    typeof username === 'string' &&
    typeof password === 'string' &&
    users.has(username) &&
    users.get(username) === password
  )
}
