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

/** A book as the API speaks it: camelCase, a real boolean, null for an unknown year. */
export interface Book {
  id: number
  title: string
  author: string
  isbn: string
  publishedYear: number | null
  inPrint: boolean
}

export type NewBook = Omit<Book, 'id'>

export interface Page {
  limit: number
  offset: number
}

/** Everything the routes may ask of storage. The routes know this interface, never SQL. */
export interface BookRepository {
  /** Books in ascending id order, `limit` of them after skipping `offset`. */
  list(page: Page): Book[]
  /** The book with this id, or undefined. */
  find(id: number): Book | undefined
  /** Stores a new book and returns it with its id; throws DuplicateIsbnError if the isbn is taken. */
  create(book: NewBook): Book
  /** Deletes the book; false when there was none. */
  remove(id: number): boolean
}

/** The repository's own error: the routes never see a driver's error codes. */
export class DuplicateIsbnError extends Error {
  constructor(readonly isbn: string) {
    super(`a book with isbn ${isbn} exists already`)
    this.name = 'DuplicateIsbnError'
  }
}

export interface BooksOptions {
  /** The database. createApp brings its schema to the latest version before anything else. */
  db: SqlDatabase
  /** The storage the routes use; defaults to `bookRepository(db)`. */
  books?: BookRepository
}

// Migration n brings the schema from version n - 1 to n. Published migrations are never edited:
// a database out there is already at version 1, so a change is always a new entry at the end.
const MIGRATIONS = [
  `CREATE TABLE books (
     id INTEGER PRIMARY KEY,
     title TEXT NOT NULL,
     author TEXT NOT NULL,
     isbn TEXT NOT NULL UNIQUE,
     published_year INTEGER
   )`,
  `ALTER TABLE books ADD COLUMN in_print INTEGER NOT NULL DEFAULT 1;
   CREATE INDEX books_by_author ON books (author)`,
]

/** Applies every migration the database has not seen yet, each in its own transaction. */
export function migrate(db: SqlDatabase): void {
  const current = db.get<{ user_version: number }>('PRAGMA user_version')?.user_version ?? 0
  // A database from a newer release: running against it would corrupt what we do not know.
  if (current > MIGRATIONS.length) {
    throw new Error(`the database is at schema version ${current}; this app knows ${MIGRATIONS.length}`)
  }
  for (let version = current + 1; version <= MIGRATIONS.length; version++) {
    // SQLite's DDL is transactional, and so is user_version: a migration that fails half way
    // leaves nothing behind, and the next start tries it again from the same place.
    db.exec('BEGIN')
    try {
      db.exec(MIGRATIONS[version - 1]!)
      db.exec(`PRAGMA user_version = ${version}`) // our own integer: a pragma takes no parameter
      db.exec('COMMIT')
    } catch (error) {
      db.exec('ROLLBACK')
      throw error
    }
  }
}

interface BookRow {
  id: number
  title: string
  author: string
  isbn: string
  published_year: number | null
  in_print: number
}

const COLUMNS = 'id, title, author, isbn, published_year, in_print'

/** The one place that knows both shapes: snake_case columns and 0/1 in, the API's Book out. */
function toBook(row: BookRow): Book {
  return {
    id: row.id,
    title: row.title,
    author: row.author,
    isbn: row.isbn,
    publishedYear: row.published_year ?? null,
    inPrint: row.in_print === 1,
  }
}

/** The SQL for books, all of it. Every value travels as a bound parameter. */
export function bookRepository(db: SqlDatabase): BookRepository {
  return {
    list: ({ limit, offset }) =>
      db
        .all<BookRow>(`SELECT ${COLUMNS} FROM books ORDER BY id LIMIT ? OFFSET ?`, [limit, offset])
        .map(toBook),
    find: (id) => {
      const row = db.get<BookRow>(`SELECT ${COLUMNS} FROM books WHERE id = ?`, [id])
      return row && toBook(row)
    },
    create: (book) => {
      try {
        const { lastInsertRowid } = db.run(
          'INSERT INTO books (title, author, isbn, published_year, in_print) VALUES (?, ?, ?, ?, ?)',
          [book.title, book.author, book.isbn, book.publishedYear, book.inPrint ? 1 : 0],
        )
        return { id: lastInsertRowid, ...book }
      } catch (error) {
        // Let the UNIQUE constraint decide, not a SELECT beforehand: between a check and the
        // insert another request can take the isbn. Only this code means "duplicate"; any
        // other failure (a full disk, a lost connection) stays an error.
        if ((error as { code?: unknown }).code === 'SQLITE_CONSTRAINT_UNIQUE') {
          throw new DuplicateIsbnError(book.isbn)
        }
        throw error
      }
    },
    remove: (id) => db.run('DELETE FROM books WHERE id = ?', [id]).changes > 0,
  }
}

const DIGITS = /^[0-9]{1,9}$/

/** limit 1 to 100 (default 20), offset 0 or more (default 0), both in digits. */
function readPage(query: Record<string, string>): Page | { field: string } {
  const { limit = '20', offset = '0' } = query
  if (!DIGITS.test(limit) || Number(limit) < 1 || Number(limit) > 100) return { field: 'limit' }
  if (!DIGITS.test(offset)) return { field: 'offset' }
  return { limit: Number(limit), offset: Number(offset) }
}

function readNewBook(body: unknown): NewBook | undefined {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return undefined
  const { title, author, isbn, publishedYear = null, inPrint = true } = body as Record<string, unknown>
  const text = (v: unknown): v is string => typeof v === 'string' && v.trim() !== ''
  if (!text(title) || !text(author) || !text(isbn)) return undefined
  if (publishedYear !== null && !Number.isInteger(publishedYear)) return undefined
  if (typeof inPrint !== 'boolean') return undefined
  return { title, author, isbn, publishedYear: publishedYear as number | null, inPrint }
}

export function createApp(options: BooksOptions) {
  const { db } = options
  // Once, when the app is built: not per request, and before the first request can arrive.
  migrate(db)
  const books = options.books ?? bookRepository(db)
  const app = new Hono()
  const notFound = { error: 'not_found' }

  // The routes speak HTTP and Book; which table, which columns and which driver is the
  // repository's business. That is why a fake repository can stand in for the database.
  app.get('/api/books', (c) => {
    const page = readPage(c.req.query())
    if ('field' in page) return c.json({ error: 'invalid_query', field: page.field }, 400)
    return c.json({ data: books.list(page) })
  })

  app.get('/api/books/:id', (c) => {
    const id = c.req.param('id')
    const book = DIGITS.test(id) ? books.find(Number(id)) : undefined
    return book ? c.json(book) : c.json(notFound, 404)
  })

  app.post('/api/books', async (c) => {
    const input = readNewBook(await c.req.json().catch(() => undefined))
    if (!input) return c.json({ error: 'invalid_body' }, 400)
    try {
      const book = books.create(input)
      return c.json(book, 201, { Location: `/api/books/${book.id}` })
    } catch (error) {
      if (error instanceof DuplicateIsbnError) return c.json({ error: 'conflict', field: 'isbn' }, 409)
      throw error // anything else is a 500: a broken disk is not the client's conflict
    }
  })

  app.delete('/api/books/:id', (c) => {
    const id = c.req.param('id')
    const removed = DIGITS.test(id) && books.remove(Number(id))
    return removed ? c.body(null, 204) : c.json(notFound, 404)
  })

  return app
}
