import { Hono } from 'hono'

/** A value SQLite can bind or return. */
export type SqlValue = string | number | boolean | null | Uint8Array
/** Positional values for `?` placeholders, or named ones keyed with their prefix (`{ ':id': 7 }`). */
export type SqlParams = readonly SqlValue[] | Readonly<Record<string, SqlValue>>

/** The database driver, in the shape of better-sqlite3 and node:sqlite. */
export interface SqlDatabase {
  /** Runs one or more statements without parameters (schema, scripts). */
  exec(sql: string): void
  /** Runs one statement and returns every row. */
  all<T = Record<string, SqlValue>>(sql: string, params?: SqlParams): T[]
  /** Runs one statement and returns its first row, or undefined. */
  get<T = Record<string, SqlValue>>(sql: string, params?: SqlParams): T | undefined
  /** Runs one statement that changes data. */
  run(sql: string, params?: SqlParams): { changes: number; lastInsertRowid: number }
}

export interface IndexesOptions {
  /** The database; `customers` and `orders` exist already and hold data (see the README). */
  db: SqlDatabase
}

export const STATUSES = ['new', 'paid', 'shipped', 'delivered', 'cancelled'] as const

interface OrderRow {
  id: number
  customer_id: number
  status: string
  total: number
  created_at: number
}

const DIGITS = /^[0-9]{1,15}$/

// The migration: the indexes this API's queries need, and no others. Every index is a second
// B-tree that each INSERT, UPDATE and DELETE on the table must keep in order, so an index earns
// its place only when a query uses it.
const MIGRATION = `
  -- Email lookups ignore case. An index on the bare column is ordered by binary comparison, so
  -- it cannot serve lower(email) = ...; this one is ordered the way the query compares.
  CREATE INDEX IF NOT EXISTS customers_email_nocase ON customers (email COLLATE NOCASE);

  -- Equality column first, then the range and sort column: within one status the entries are
  -- already in created_at order, so the search reads a contiguous slice, newest first, with no
  -- sort. (created_at, status) would have to walk every status inside the date range.
  -- SQLite appends the rowid (id) to every index entry, so "created_at DESC, id DESC" is
  -- the index order read backwards.
  CREATE INDEX IF NOT EXISTS orders_status_created ON orders (status, created_at);

  -- total rides along after the search key, so count(*) and sum(total) for one customer are
  -- answered from the index alone: a covering index, no lookup into the table per row.
  CREATE INDEX IF NOT EXISTS orders_customer_total ON orders (customer_id, total);
`

export function createApp(options: IndexesOptions) {
  const { db } = options
  db.exec(MIGRATION)

  const app = new Hono()
  const invalid = (field: string) => ({ error: 'invalid_query', field })

  app.get('/api/customers', (c) => {
    const email = c.req.query('email')
    if (!email) return c.json(invalid('email'), 400)
    // COLLATE NOCASE on the comparison matches the index's collation, so SQLite can search it.
    const data = db.all('SELECT id, email, name FROM customers WHERE email = ? COLLATE NOCASE', [email])
    return c.json({ data })
  })

  app.get('/api/orders', (c) => {
    const { status, from, to, limit = '20' } = c.req.query()
    if (!status || !(STATUSES as readonly string[]).includes(status)) return c.json(invalid('status'), 400)
    const where = ['status = ?']
    const params: SqlValue[] = [status]
    if (from !== undefined) {
      if (!DIGITS.test(from)) return c.json(invalid('from'), 400)
      where.push('created_at >= ?')
      params.push(Number(from))
    }
    if (to !== undefined) {
      if (!DIGITS.test(to)) return c.json(invalid('to'), 400)
      where.push('created_at < ?')
      params.push(Number(to))
    }
    if (!DIGITS.test(limit) || Number(limit) < 1 || Number(limit) > 100) return c.json(invalid('limit'), 400)
    params.push(Number(limit))
    const rows = db.all<OrderRow>(
      `SELECT id, customer_id, status, total, created_at FROM orders WHERE ${where.join(' AND ')}
       ORDER BY created_at DESC, id DESC LIMIT ?`,
      params,
    )
    return c.json({ data: rows.map(toOrder) })
  })

  app.get('/api/customers/:id/summary', (c) => {
    const id = c.req.param('id')
    if (!DIGITS.test(id)) return c.json({ error: 'not_found' }, 404)
    const customer = db.get('SELECT id FROM customers WHERE id = ?', [Number(id)])
    if (!customer) return c.json({ error: 'not_found' }, 404)
    const summary = db.get<{ orders: number; spent: number }>(
      'SELECT count(*) AS orders, coalesce(sum(total), 0) AS spent FROM orders WHERE customer_id = ?',
      [Number(id)],
    )!
    return c.json({ id: Number(id), orders: summary.orders, spent: summary.spent })
  })

  return app
}

function toOrder(row: OrderRow) {
  return {
    id: row.id,
    customerId: row.customer_id,
    status: row.status,
    total: row.total,
    createdAt: row.created_at,
  }
}
