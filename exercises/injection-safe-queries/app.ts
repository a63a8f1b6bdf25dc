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

// This app works for ordinary searches, and every value in it is pasted into the SQL text.
export function createApp(options: InjectionOptions) {
  const { db } = options
  const app = new Hono()

  app.get('/api/products', (c) => {
    const { q, category, minPrice, maxPrice, sort = 'id', order = 'asc', limit = '20' } = c.req.query()
    const where: string[] = []
    // TODO: bind q and category as parameters (`?`) instead of pasting them into the text.
    // TODO: escape %, _ and \ in q, and say ESCAPE '\' in the SQL.
    if (q !== undefined) where.push(`name LIKE '%${q}%'`)
    if (category !== undefined) where.push(`category = '${category}'`)
    // TODO: minPrice, maxPrice and limit are whole numbers written in digits; anything else is
    //       400 { "error": "invalid_query", "field": "<the parameter>" }. Bind them too.
    if (minPrice !== undefined) where.push(`price >= ${minPrice}`)
    if (maxPrice !== undefined) where.push(`price <= ${maxPrice}`)
    // TODO: sort is one of id, name, price and order one of asc, desc: map them through an
    //       allowlist to your own SQL words (identifiers cannot be bound), else 400.
    const sql =
      'SELECT id, name, category, price FROM products' +
      (where.length ? ` WHERE ${where.join(' AND ')}` : '') +
      ` ORDER BY ${sort} ${order}, id ASC LIMIT ${limit}`
    return c.json({ data: db.all(sql) })
  })

  app.get('/api/products/:id', (c) => {
    // TODO: an id is digits only; anything else is 404 { "error": "not_found" }. Bind it.
    const product = db.get(`SELECT id, name, category, price FROM products WHERE id = ${c.req.param('id')}`)
    return product ? c.json(product) : c.json({ error: 'not_found' }, 404)
  })

  return app
}
