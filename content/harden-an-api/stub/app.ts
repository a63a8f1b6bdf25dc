import { randomBytes, scrypt, timingSafeEqual } from 'node:crypto'
import { Hono, type Context } from 'hono'
import { cors } from 'hono/cors'
import { createMiddleware } from 'hono/factory'

// This API works: sign up, log in, keep private notes, list the users as an admin. It is also
// wide open. Each TODO below is one task of the README; fix them one at a time.

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

type Env = { Variables: { user: UserRow } }

// Done for you: the schema (keep it; the grader reads these tables).
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

// Done for you: passwords are hashed with scrypt and a random salt, stored as scrypt$N$salt$key,
// and compared in constant time.

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
  return actual.length === expected.length && timingSafeEqual(actual, expected)
}

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/
const normalizeEmail = (email: string) => email.trim().toLowerCase()
const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v)
const isText = (v: unknown, max: number): v is string =>
  typeof v === 'string' && v.trim() !== '' && v.length <= max

async function readJson(c: Context): Promise<Record<string, unknown>> {
  // TODO (task 2): a body that is not JSON makes c.req.json() throw, and that ends as a 500
  //       that quotes the parser. It is the client's mistake: 400 { "error": "invalid_json" }.
  const body: unknown = await c.req.json()
  if (!isObject(body)) throw new ClientError(400, 'invalid_body')
  return body
}

export function createApp(options: HardenOptions) {
  const { db } = options
  const scryptCost = options.scryptCost ?? 16384

  db.exec(SCHEMA)

  const app = new Hono<Env>()

  // TODO (task 1): this answers every origin, with credentials. Allow only
  //       options.allowedOrigins, compared exactly, and never `*`.
  app.use('*', cors({ origin: (origin) => origin || '*', credentials: true }))

  // TODO (task 3): no limit on request bodies. Refuse one larger than options.maxBodyBytes
  //       (default 16 KiB) with 413 { "error": "payload_too_large" } before any handler runs.

  // TODO (task 4): the token is pasted into the SQL. Bind it as a parameter (here and in every
  //       query below that pastes a value from the request).
  const authenticate = createMiddleware<Env>(async (c, next) => {
    const token = /^Bearer +(.+)$/i.exec(c.req.header('Authorization') ?? '')?.[1]
    const user = token
      ? db.get<UserRow>(
          `SELECT users.* FROM sessions JOIN users ON users.id = sessions.user_id WHERE sessions.token = '${token}'`,
        )
      : undefined
    if (!user) {
      return c.json({ error: 'unauthorized' }, 401, { 'WWW-Authenticate': 'Bearer realm="api"' })
    }
    c.set('user', user)
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
    // TODO (task 8): the client picks its own role. Every new account is a member.
    const role = typeof body.role === 'string' ? body.role : 'member'
    const { lastInsertRowid } = db.run(
      'INSERT INTO users (email, name, role, password_hash) VALUES (?, ?, ?, ?)',
      [email, body.name, role, hash],
    )
    // TODO (task 8): this sends the whole row, password hash included. Send id, email, name, role.
    return c.json(db.get<UserRow>('SELECT * FROM users WHERE id = ?', [lastInsertRowid]), 201)
  })

  app.post('/api/login', async (c) => {
    const body = await readJson(c)
    if (typeof body.email !== 'string' || typeof body.password !== 'string') {
      throw new ClientError(400, 'invalid_body')
    }
    const email = normalizeEmail(body.email)
    // TODO (task 7): no throttling: an attacker may guess passwords forever. Lock an
    //       (email, IP) pair after options.maxLoginFailures failures in a row, for
    //       options.lockoutMs, timed with options.now(); the IP is options.clientIp(c).
    const user = db.get<UserRow>(`SELECT * FROM users WHERE email = '${email}'`)
    // TODO (task 7): "no such email" and "wrong password" must be one and the same answer.
    if (!user) return c.json({ error: 'unknown_email' }, 404)
    if (!(await verifyPassword(body.password, user.password_hash))) {
      return c.json({ error: 'invalid_credentials' }, 401)
    }
    const token = randomBytes(32).toString('base64url')
    db.run('INSERT INTO sessions (token, user_id) VALUES (?, ?)', [token, user.id])
    // TODO (task 8): the token is all a login answers with.
    return c.json({ token, user })
  })

  app.get('/api/me', authenticate, (c) => c.json(c.var.user))

  app.patch('/api/me', authenticate, async (c) => {
    const body = await readJson(c)
    if (!isText(body.name, 100)) throw new ClientError(400, 'invalid_body')
    // TODO (task 8): every key of the body becomes a column to SET, role included (and the
    //       keys are pasted into the SQL). A user may change their name, nothing else.
    const keys = Object.keys(body)
    db.run(`UPDATE users SET ${keys.map((k) => `${k} = ?`).join(', ')} WHERE id = ?`, [
      ...keys.map((k) => body[k] as SqlValue),
      c.var.user.id,
    ])
    return c.json(db.get<UserRow>('SELECT * FROM users WHERE id = ?', [c.var.user.id]))
  })

  app.get('/api/notes', authenticate, (c) => {
    const q = c.req.query('q')
    const notes =
      q === undefined
        ? db.all<NoteRow>('SELECT * FROM notes WHERE owner_id = ? ORDER BY id', [c.var.user.id])
        : db.all<NoteRow>(
            `SELECT id, title, body FROM notes WHERE owner_id = ${c.var.user.id} AND title LIKE '%${q}%' ORDER BY id`,
          )
    return c.json(notes.map(({ id, title, body }) => ({ id, title, body })))
  })

  app.post('/api/notes', authenticate, async (c) => {
    const body = await readJson(c)
    if (!isText(body.title, 200) || typeof body.body !== 'string')
      throw new ClientError(400, 'invalid_body')
    const { lastInsertRowid } = db.run(
      `INSERT INTO notes (owner_id, title, body) VALUES (${c.var.user.id}, '${body.title}', '${body.body}')`,
    )
    const note = db.get<NoteRow>('SELECT * FROM notes WHERE id = ?', [lastInsertRowid])!
    return c.json({ id: note.id, title: note.title, body: note.body }, 201)
  })

  // TODO (task 5): any signed-in user reads and deletes any note by its id. Someone else's note
  //       must answer exactly like one that does not exist: 404 { "error": "not_found" }.
  const findNote = (c: Context<Env>): NoteRow => {
    const note = db.get<NoteRow>(`SELECT * FROM notes WHERE id = ${c.req.param('id')}`)
    if (!note) throw new ClientError(404, 'not_found')
    return note
  }

  app.get('/api/notes/:id', authenticate, (c) => {
    const { id, title, body } = findNote(c)
    return c.json({ id, title, body })
  })

  app.delete('/api/notes/:id', authenticate, (c) => {
    db.run('DELETE FROM notes WHERE id = ?', [findNote(c).id])
    return c.body(null, 204)
  })

  // TODO (task 6): anyone may call this, signed in or not. Strangers get 401 (with
  //       WWW-Authenticate: Bearer), members 403 { "error": "forbidden" }, admins the list.
  // TODO (task 8): and it shows every password hash and each user's session token.
  app.get('/api/admin/users', (c) =>
    c.json(
      db.all(
        'SELECT users.*, (SELECT token FROM sessions WHERE user_id = users.id LIMIT 1) AS token FROM users ORDER BY id',
      ),
    ),
  )

  app.notFound((c) => c.json({ error: 'not_found' }, 404))

  // TODO (task 2): a 500 hands the client the error's message and stack. Send the error to
  //       options.logError(error, requestId) and the client only
  //       { "error": "internal_error", "requestId": "..." }, the id also in X-Request-Id.
  app.onError((error, c) => {
    if (error instanceof ClientError) return c.json({ error: error.code }, error.status)
    return c.json({ error: error.message, stack: error.stack }, 500)
  })

  return app
}
