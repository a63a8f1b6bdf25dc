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

// This app works on one instance. Run three behind a load balancer and it falls apart: every
// Map below lives in one instance's memory, and the next request may land on another instance.
export function createApp(options: ScalingOptions) {
  const { db, users, now } = options
  // TODO: throw a TypeError unless sessionTtlSeconds, limit, windowSeconds and cacheTtlSeconds
  //       are whole numbers >= 1.
  const windowMs = options.windowSeconds * 1000

  // TODO: sessions in options.store (with a TTL of sessionTtlSeconds), not in this Map.
  const sessions = new Map<string, { user: string; expiresAt: number }>()
  // TODO: the rate-limit counters in the store, taken with one atomic store.incr.
  const counters = new Map<string, number>()
  // TODO: the cached notes in the store, so that every instance reads and clears the same entry.
  const notes = new Map<number, string>()

  const app = new Hono<Env>()

  app.post('/login', async (c) => {
    const body: unknown = await c.req.json().catch(() => undefined)
    const { username, password } = (body ?? {}) as { username?: unknown; password?: unknown }
    if (!checkPassword(users, username, password)) {
      return c.json({ error: 'invalid_credentials' }, 401)
    }
    const sid = randomBytes(32).toString('base64url')
    sessions.set(sid, {
      user: username as string,
      expiresAt: now() + options.sessionTtlSeconds * 1000,
    })
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
    if (sid !== undefined) sessions.delete(sid)
    deleteCookie(c, COOKIE, { path: '/' })
    return c.body(null, 204)
  })

  const authenticate = createMiddleware<Env>(async (c, next) => {
    const sid = getCookie(c, COOKIE)
    const session = sid === undefined ? undefined : sessions.get(sid)
    if (session === undefined || now() >= session.expiresAt) {
      return c.json({ error: 'unauthorized' }, 401)
    }
    c.set('user', session.user)
    await next()
  })

  const rateLimit = createMiddleware<Env>(async (c, next) => {
    const t = now()
    const window = Math.floor(t / windowMs)
    const key = JSON.stringify([c.get('user'), window])
    const count = (counters.get(key) ?? 0) + 1
    counters.set(key, count)
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
    const cached = notes.get(id)
    if (cached !== undefined) return jsonText(c, cached)
    const note = await db.getNote(id)
    if (note === null) return c.json({ error: 'not_found' }, 404)
    const text = JSON.stringify(note)
    notes.set(id, text) // TODO: with a TTL of cacheTtlSeconds, in the store
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
    notes.delete(id)
    return c.json(note)
  })

  app.get('/health/live', (c) => c.json({ status: 'ok' }))

  // TODO: 503 { "status": "draining" } once options.shutdown is aborted, 503 when the store
  //       does not answer, else 200 { "status": "ready" }.
  app.get('/health/ready', (c) => c.json({ status: 'ready' }))

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
