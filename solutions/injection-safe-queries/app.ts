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

export interface InjectionOptions {
  /** The database; `products` and `api_keys` exist already (see the README). */
  db: SqlDatabase
}

export interface Product {
  id: number
  name: string
  category: string
  /** In cents. */
  price: number
}

// Identifiers (column names, ASC/DESC) cannot be bound: a placeholder stands for a value, never
// for a piece of SQL. So the client's word only selects one of our own strings. A Map, because
// a plain object would also "have" `constructor` and `toString`.
const SORTS = new Map([
  ['id', 'id'],
  ['name', 'name'],
  ['price', 'price'],
])
const ORDERS = new Map([
  ['asc', 'ASC'],
  ['desc', 'DESC'],
])

const DIGITS = /^[0-9]{1,9}$/

// In a LIKE pattern `%` and `_` are wildcards. Escape them, and the escape character itself,
// so a search for "50%" finds "50%" and not "500". The SQL says which escape character it is.
const likeLiteral = (text: string) => text.replace(/[\\%_]/g, (ch) => `\\${ch}`)

export function createApp(options: InjectionOptions) {
  const { db } = options
  const app = new Hono()

  app.get('/api/products', (c) => {
    const query = c.req.query()
    const invalid = (field: string) => c.json({ error: 'invalid_query', field }, 400)

    const where: string[] = []
    const params: SqlValue[] = []
    if (query.q !== undefined) {
      // The text travels as a parameter: the database never parses it as SQL, whatever quotes,
      // semicolons or comments it holds.
      where.push("name LIKE ? ESCAPE '\\'")
      params.push(`%${likeLiteral(query.q)}%`)
    }
    if (query.category !== undefined) {
      where.push('category = ?')
      params.push(query.category)
    }
    // Numbers are checked before they go anywhere, and bound even so: a bound value can only
    // ever be one value.
    for (const [field, test] of [['minPrice', 'price >= ?'], ['maxPrice', 'price <= ?']] as const) {
      const value = query[field]
      if (value === undefined) continue
      if (!DIGITS.test(value)) return invalid(field)
      where.push(test)
      params.push(Number(value))
    }
    const sort = SORTS.get(query.sort ?? 'id')
    if (!sort) return invalid('sort')
    const order = ORDERS.get(query.order ?? 'asc')
    if (!order) return invalid('order')
    const limit = query.limit ?? '20'
    if (!DIGITS.test(limit) || Number(limit) < 1 || Number(limit) > 100) return invalid('limit')
    params.push(Number(limit))

    // Only our own constants are pasted into the text; everything from the client is a `?`.
    const sql =
      'SELECT id, name, category, price FROM products' +
      (where.length ? ` WHERE ${where.join(' AND ')}` : '') +
      ` ORDER BY ${sort} ${order}, id ASC LIMIT ?`
    return c.json({ data: db.all<Product>(sql, params) })
  })

  app.get('/api/products/:id', (c) => {
    const id = c.req.param('id')
    // "1 OR 1=1" is not a product id; refuse it before it gets near the database.
    if (!DIGITS.test(id)) return c.json({ error: 'not_found' }, 404)
    const product = db.get<Product>('SELECT id, name, category, price FROM products WHERE id = ?', [
      Number(id),
    ])
    return product ? c.json(product) : c.json({ error: 'not_found' }, 404)
  })

  return app
}
