import { Hono } from 'hono'

/** A value SQLite can bind or return. */
export type SqlValue = string | number | boolean | null | Uint8Array
/** Positional values for `?` placeholders, or named ones keyed with their prefix (`{ ':id': 7 }`). */
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

export interface TransactionsOptions {
  /** An empty database; createApp creates the tables (see the README). */
  db: SqlDatabase
}

export interface Account {
  id: number
  owner: string
  /** In cents. */
  balance: number
  version: number
}

// The schema is part of the lesson: the CHECK makes the database itself refuse an overdraft, so
// no code path (a forgotten check, a second endpoint, a script run by hand) can produce one.
const MIGRATION = `
  CREATE TABLE IF NOT EXISTS accounts (
    id INTEGER PRIMARY KEY,
    owner TEXT NOT NULL,
    balance INTEGER NOT NULL CHECK (balance >= 0),
    version INTEGER NOT NULL DEFAULT 1
  );
  CREATE TABLE IF NOT EXISTS transfers (
    id INTEGER PRIMARY KEY,
    from_id INTEGER NOT NULL REFERENCES accounts (id),
    to_id INTEGER NOT NULL REFERENCES accounts (id),
    amount INTEGER NOT NULL CHECK (amount > 0)
  );
`

class AccountNotFound extends Error {}

/**
 * Runs `work` inside one transaction: all of its writes are committed together, or none are.
 * The driver is synchronous, so nothing else can run on this connection between BEGIN and
 * COMMIT; the one thing that can go wrong is leaving the transaction open after a failure, and
 * then the next request's BEGIN fails ("cannot start a transaction within a transaction").
 */
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
      // After some errors (disk full, I/O) SQLite has already rolled back by itself, and
      // ROLLBACK then reports that no transaction is active. The original error is the news.
    }
    throw error
  }
}

const isId = (value: unknown): value is number => Number.isSafeInteger(value) && (value as number) > 0
const errorCode = (error: unknown) => (error as { code?: unknown } | null)?.code
const etagOf = (version: number) => `"${version}"`

export function createApp(options: TransactionsOptions) {
  const { db } = options
  db.exec(MIGRATION)

  const app = new Hono()
  const invalid = (field: string) => ({ error: 'validation_failed', field })
  const getAccount = (id: number) =>
    db.get<Account>('SELECT id, owner, balance, version FROM accounts WHERE id = ?', [id])

  app.post('/api/transfers', async (c) => {
    const body = await c.req.json().catch(() => undefined)
    if (typeof body !== 'object' || body === null || Array.isArray(body)) {
      return c.json({ error: 'invalid_json' }, 400)
    }
    const { from, to, amount } = body as Record<string, unknown>
    if (!isId(from)) return c.json(invalid('from'), 422)
    if (!isId(to)) return c.json(invalid('to'), 422)
    // Money is a whole number of cents: no floats (0.1 + 0.2 !== 0.3), no strings, nothing <= 0.
    if (!Number.isSafeInteger(amount) || (amount as number) <= 0) return c.json(invalid('amount'), 422)
    if (from === to) return c.json(invalid('to'), 422)

    try {
      const transfer = inTransaction(db, () => {
        // Each write bumps the version: the account changed, so an ETag read before is stale.
        const debit = db.run('UPDATE accounts SET balance = balance - ?, version = version + 1 WHERE id = ?', [
          amount as number,
          from,
        ])
        if (debit.changes === 0) throw new AccountNotFound()
        const credit = db.run('UPDATE accounts SET balance = balance + ?, version = version + 1 WHERE id = ?', [
          amount as number,
          to,
        ])
        // The debit already ran: throwing here is what undoes it.
        if (credit.changes === 0) throw new AccountNotFound()
        // The ledger row is written in the same transaction: money never moves unrecorded.
        const { lastInsertRowid } = db.run('INSERT INTO transfers (from_id, to_id, amount) VALUES (?, ?, ?)', [
          from,
          to,
          amount as number,
        ])
        return { id: lastInsertRowid, from, to, amount }
      })
      return c.json(transfer, 201)
    } catch (error) {
      if (error instanceof AccountNotFound) return c.json({ error: 'account_not_found' }, 404)
      // The CHECK (balance >= 0) refused the debit. Only that error is the client's fault;
      // any other database error is ours and stays a 500.
      if (errorCode(error) === 'SQLITE_CONSTRAINT_CHECK') return c.json({ error: 'insufficient_funds' }, 422)
      throw error
    }
  })

  app.get('/api/accounts/:id', (c) => {
    const account = /^[0-9]{1,15}$/.test(c.req.param('id')) ? getAccount(Number(c.req.param('id'))) : undefined
    if (!account) return c.json({ error: 'not_found' }, 404)
    c.header('ETag', etagOf(account.version))
    return c.json(account)
  })

  app.patch('/api/accounts/:id', async (c) => {
    const id = /^[0-9]{1,15}$/.test(c.req.param('id')) ? Number(c.req.param('id')) : 0
    if (!getAccount(id)) return c.json({ error: 'not_found' }, 404)
    // Without If-Match the client has not said which version it edited: refuse rather than
    // risk overwriting a change it never saw (RFC 6585, 428 Precondition Required).
    const ifMatch = c.req.header('If-Match')
    if (ifMatch === undefined) return c.json({ error: 'precondition_required' }, 428)
    // If-Match compares strongly: only the exact tag "<version>" matches; W/"3" never does.
    const version = /^"([0-9]{1,15})"$/.exec(ifMatch.trim())?.[1]
    if (version === undefined || String(Number(version)) !== version) {
      return c.json({ error: 'precondition_failed' }, 412)
    }
    const body = await c.req.json().catch(() => undefined)
    const owner = (body as { owner?: unknown } | undefined)?.owner
    if (typeof owner !== 'string' || owner.trim() === '') return c.json(invalid('owner'), 422)

    // Compare and set in one statement: the version is checked by the same UPDATE that writes,
    // so no other writer can slip in between a read and the write.
    const { changes } = db.run('UPDATE accounts SET owner = ?, version = version + 1 WHERE id = ? AND version = ?', [
      owner,
      id,
      Number(version),
    ])
    if (changes === 0) return c.json({ error: 'precondition_failed' }, 412)
    const account = getAccount(id)!
    c.header('ETag', etagOf(account.version))
    return c.json(account)
  })

  app.onError((_error, c) => c.json({ error: 'internal' }, 500))

  return app
}
