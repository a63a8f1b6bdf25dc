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

// The migration, run once by createApp. The tables are given in the README.
// TODO (task 3): make the database itself refuse a negative balance: CHECK (balance >= 0).
const MIGRATION = `
  CREATE TABLE IF NOT EXISTS accounts (
    id INTEGER PRIMARY KEY,
    owner TEXT NOT NULL,
    balance INTEGER NOT NULL,
    version INTEGER NOT NULL DEFAULT 1
  );
  CREATE TABLE IF NOT EXISTS transfers (
    id INTEGER PRIMARY KEY,
    from_id INTEGER NOT NULL REFERENCES accounts (id),
    to_id INTEGER NOT NULL REFERENCES accounts (id),
    amount INTEGER NOT NULL
  );
`

export function createApp(options: TransactionsOptions) {
  const { db } = options
  db.exec(MIGRATION)

  const app = new Hono()
  const getAccount = (id: number) =>
    db.get<Account>('SELECT id, owner, balance, version FROM accounts WHERE id = ?', [id])

  app.post('/api/transfers', async (c) => {
    const body = await c.req.json().catch(() => undefined)
    if (typeof body !== 'object' || body === null || Array.isArray(body)) {
      return c.json({ error: 'invalid_json' }, 400)
    }
    const { from, to, amount } = body as { from: number; to: number; amount: number }
    // TODO (task 2): from and to are account ids, amount a whole number of cents above zero, and
    //       from !== to; else 422 { "error": "validation_failed", "field": "..." }. An unknown
    //       account is 404 { "error": "account_not_found" }, with nothing written.
    // TODO (task 1): run the three writes in one transaction: db.exec('BEGIN') ... COMMIT, and
    //       ROLLBACK when anything fails, so that a failure leaves no trace.
    // TODO (task 3): a debit the CHECK refuses (code 'SQLITE_CONSTRAINT_CHECK') is
    //       422 { "error": "insufficient_funds" }; any other error stays a 500.
    db.run('UPDATE accounts SET balance = balance - ?, version = version + 1 WHERE id = ?', [amount, from])
    db.run('UPDATE accounts SET balance = balance + ?, version = version + 1 WHERE id = ?', [amount, to])
    const { lastInsertRowid } = db.run('INSERT INTO transfers (from_id, to_id, amount) VALUES (?, ?, ?)', [
      from,
      to,
      amount,
    ])
    return c.json({ id: lastInsertRowid, from, to, amount }, 201)
  })

  app.get('/api/accounts/:id', (c) => {
    const account = /^[0-9]{1,15}$/.test(c.req.param('id')) ? getAccount(Number(c.req.param('id'))) : undefined
    if (!account) return c.json({ error: 'not_found' }, 404)
    // TODO (task 4): send the version as a strong ETag: ETag: "<version>".
    return c.json(account)
  })

  app.patch('/api/accounts/:id', async (c) => {
    const id = /^[0-9]{1,15}$/.test(c.req.param('id')) ? Number(c.req.param('id')) : 0
    if (!getAccount(id)) return c.json({ error: 'not_found' }, 404)
    // TODO (task 4): no If-Match is 428; an If-Match that is not the current "<version>" is 412,
    //       checked by the UPDATE itself (... WHERE id = ? AND version = ?). Answer the new ETag.
    const body = await c.req.json().catch(() => undefined)
    const owner = (body as { owner?: unknown } | undefined)?.owner
    if (typeof owner !== 'string' || owner.trim() === '') {
      return c.json({ error: 'validation_failed', field: 'owner' }, 422)
    }
    db.run('UPDATE accounts SET owner = ?, version = version + 1 WHERE id = ?', [owner, id])
    return c.json(getAccount(id)!)
  })

  app.onError((_error, c) => c.json({ error: 'internal' }, 500))

  return app
}
