import { randomUUID } from 'node:crypto'
import { Hono } from 'hono'

/** A value SQLite can bind or return. */
export type SqlValue = string | number | boolean | null | Uint8Array
/** Positional values for `?` placeholders, or named ones with their prefix (`{ ':id': 7 }`). */
export type SqlParams = readonly SqlValue[] | Readonly<Record<string, SqlValue>>

/** The database driver, in the shape of better-sqlite3 and node:sqlite. */
export interface SqlDatabase {
  /** Runs one or more statements without parameters (schema, scripts, BEGIN/COMMIT). */
  exec(sql: string): void
  /** Runs one statement and returns every row. */
  all<T = Record<string, SqlValue>>(sql: string, params?: SqlParams): T[]
  /** Runs one statement and returns its first row, or undefined. */
  get<T = Record<string, SqlValue>>(sql: string, params?: SqlParams): T | undefined
  /** Runs one statement that changes data. */
  run(sql: string, params?: SqlParams): { changes: number; lastInsertRowid: number }
}

/** One email, as the mail provider's API takes it. */
export interface EmailMessage {
  /** The same on every attempt to send this message, from any process; unique per message. */
  idempotencyKey: string
  to: string
  template: 'welcome'
  variables: { name: string }
}

/** The mail provider's client. It may be slow, it may fail, and it dedups on `idempotencyKey`. */
export interface Mailer {
  send(message: EmailMessage): Promise<{ messageId: string }>
}

export interface OutboxOptions {
  /** An empty database; createApp creates the tables. */
  db: SqlDatabase
  mailer: Mailer
  /** The current time in milliseconds since the epoch. The app reads time only through this. */
  now: () => number
  /** Attempts per message before it is `failed`; an integer >= 1, default 5. */
  maxAttempts?: number
  /** The wait after the first failed attempt, doubled after each further one; default 60 000. */
  retryBaseMs?: number
  /** How long a claim holds before another worker may retry the message; default 300 000. */
  leaseMs?: number
}

export type OutboxStatus = 'pending' | 'sending' | 'sent' | 'failed'

/** A message as GET /api/outbox lists it. */
export interface OutboxEntry {
  id: number
  to: string
  template: string
  status: OutboxStatus
  attempts: number
  messageId: string | null
}

export interface User {
  id: number
  email: string
  name: string
}

interface OutboxRow {
  id: number
  recipient: string
  template: 'welcome'
  variables: string
  idempotency_key: string
  status: OutboxStatus
  attempts: number
  due_at: number
}

const MIGRATION = `
  CREATE TABLE IF NOT EXISTS users (
    id INTEGER PRIMARY KEY,
    email TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL
  );
  CREATE TABLE IF NOT EXISTS outbox (
    id INTEGER PRIMARY KEY,
    user_id INTEGER NOT NULL REFERENCES users (id),
    recipient TEXT NOT NULL,
    template TEXT NOT NULL,
    variables TEXT NOT NULL,
    idempotency_key TEXT NOT NULL UNIQUE,
    status TEXT NOT NULL DEFAULT 'pending'
      CHECK (status IN ('pending', 'sending', 'sent', 'failed')),
    attempts INTEGER NOT NULL DEFAULT 0,
    -- pending: when the next attempt may start; sending: when the claim (lease) runs out
    due_at INTEGER NOT NULL,
    message_id TEXT,
    last_error TEXT
  );
`

/** Runs `work` inside one transaction: its writes are committed together, or none are. */
function inTransaction<T>(db: SqlDatabase, work: () => T): T {
  db.exec('BEGIN')
  try {
    const result = work()
    db.exec('COMMIT')
    return result
  } catch (error) {
    try {
      db.exec('ROLLBACK')
    } catch {
      // SQLite may already have rolled back by itself (I/O errors); the first error is the news.
    }
    throw error
  }
}

const EMAIL = /^[^\s@]+@[^\s@]+$/

function positive(name: string, value: number, integer = false): number {
  if (!Number.isFinite(value) || value <= 0 || (integer && !Number.isInteger(value))) {
    const kind = integer ? 'whole number' : 'number'
    throw new RangeError(`${name} must be a ${kind} > 0, received ${value}`)
  }
  return value
}

/** The members of a JSON object, or none for anything else (arrays are checked separately). */
function fields(value: unknown): Record<string, unknown> {
  return typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : {}
}

export function createApp(options: OutboxOptions) {
  const { db, mailer, now } = options
  // Options are checked once, when the app is built: a typo stops the process at startup.
  if (typeof mailer?.send !== 'function') throw new TypeError('mailer.send must be a function')
  if (typeof now !== 'function') throw new TypeError('now must be a function')
  const maxAttempts = positive('maxAttempts', options.maxAttempts ?? 5, true)
  const retryBaseMs = positive('retryBaseMs', options.retryBaseMs ?? 60_000)
  const leaseMs = positive('leaseMs', options.leaseMs ?? 300_000)
  db.exec(MIGRATION)

  const app = new Hono()

  app.post('/api/signup', async (c) => {
    const body: unknown = await c.req.json().catch(() => undefined)
    const { email, name } = fields(body)
    if (Array.isArray(body) || typeof email !== 'string' || !EMAIL.test(email)) {
      return c.json({ error: 'invalid_signup' }, 400)
    }
    if (typeof name !== 'string' || name.trim() === '') {
      return c.json({ error: 'invalid_signup' }, 400)
    }

    // The user and the email that announces it are ONE write: if either INSERT fails, neither
    // exists. Sending the email here instead would make the signup as slow as the mail
    // provider and as broken as it is, and a crash right after COMMIT would lose the email.
    const user = inTransaction(db, () => {
      if (db.get('SELECT id FROM users WHERE email = ?', [email])) return undefined
      const { lastInsertRowid: id } = db.run('INSERT INTO users (email, name) VALUES (?, ?)', [
        email,
        name,
      ])
      db.run(
        `INSERT INTO outbox (user_id, recipient, template, variables, idempotency_key, due_at)
         VALUES (?, ?, 'welcome', ?, ?, ?)`,
        // The idempotency key is decided now and stored with the message, so every attempt,
        // from this process or any later one, sends the same key to the provider.
        [id, email, JSON.stringify({ name }), randomUUID(), now()],
      )
      return { id, email, name }
    })
    if (!user) return c.json({ error: 'email_taken' }, 409)
    return c.json(user, 201)
  })

  app.get('/api/outbox', (c) => {
    const rows = db.all<OutboxEntry>(
      `SELECT id, recipient AS "to", template, status, attempts, message_id AS messageId
       FROM outbox ORDER BY id`,
    )
    return c.json(rows)
  })

  app.onError((_error, c) => c.json({ error: 'internal' }, 500))

  /**
   * Claims every message that is due, in the database, before any of them is sent: a second
   * worker (another process over the same database) that runs meanwhile finds them claimed.
   * A claim is a lease: if this worker dies mid-send, the message is due again at `due_at`.
   */
  function claimDue(t: number): OutboxRow[] {
    return inTransaction(db, () => {
      const due = db.all<OutboxRow>(
        `SELECT id, recipient, template, variables, idempotency_key, status, attempts, due_at
         FROM outbox WHERE status IN ('pending', 'sending') AND due_at <= ? ORDER BY id`,
        [t],
      )
      const claimed: OutboxRow[] = []
      for (const row of due) {
        // A lease that ran out after the last attempt: that attempt may or may not have reached
        // the provider, but the message has used all its attempts.
        if (row.attempts >= maxAttempts) {
          db.run(`UPDATE outbox SET status = 'failed', last_error = 'lease expired' WHERE id = ?`, [
            row.id,
          ])
          continue
        }
        // The attempt is counted when it starts, not when it fails: a message that crashes the
        // worker every time still runs out of attempts instead of being retried forever.
        db.run(
          `UPDATE outbox SET status = 'sending', attempts = attempts + 1, due_at = ? WHERE id = ?`,
          [t + leaseMs, row.id],
        )
        claimed.push({ ...row, attempts: row.attempts + 1 })
      }
      return claimed
    })
  }

  async function send(row: OutboxRow): Promise<void> {
    const message: EmailMessage = {
      idempotencyKey: row.idempotency_key,
      to: row.recipient,
      template: row.template,
      variables: JSON.parse(row.variables) as { name: string },
    }
    // `attempts = ?` in each WHERE: if this worker was so slow that its lease ran out and
    // another worker claimed the message again, this late result must not overwrite that claim.
    try {
      const { messageId } = await mailer.send(message)
      db.run(`UPDATE outbox SET status = 'sent', message_id = ? WHERE id = ? AND attempts = ?`, [
        messageId,
        row.id,
        row.attempts,
      ])
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error)
      if (row.attempts >= maxAttempts) {
        // A poison message: stop trying, keep it (and why) for a human to look at.
        db.run(
          `UPDATE outbox SET status = 'failed', last_error = ? WHERE id = ? AND attempts = ?`,
          [reason, row.id, row.attempts],
        )
        return
      }
      // Exponential backoff: base, 2 x base, 4 x base... so a provider that is down is not
      // hammered by every message at once.
      const retryAt = now() + retryBaseMs * 2 ** (row.attempts - 1)
      db.run(
        `UPDATE outbox SET status = 'pending', due_at = ?, last_error = ?
         WHERE id = ? AND attempts = ?`,
        [retryAt, reason, row.id, row.attempts],
      )
    }
  }

  /** Sends every message due now; resolves once each one is sent, rescheduled or failed. */
  async function drainOutbox(): Promise<void> {
    await Promise.all(claimDue(now()).map(send))
  }

  return { app, drainOutbox }
}
