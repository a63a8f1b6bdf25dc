// sql-repository - the hidden spec.
//
// Wrong implementations this spec is built to catch:
// - runs every migration on every start: the second createApp on the same database fails
//   ("table books already exists"), or a version-1 database is never upgraded
// - checks "does the table exist" instead of the version, so a version-1 database keeps its
//   old schema (no in_print column)
// - forgets to record the version (user_version stays 0 and the next start re-runs everything),
//   or records it after the migration's COMMIT, or runs no transaction at all: a migration
//   that fails half way (or whose version write fails) leaves a column behind and the next
//   start fails on it
// - runs every pending migration in one transaction: a failing migration 2 also undoes
//   migration 1, which had succeeded
// - catches a failed migration without ROLLBACK (the transaction stays open) or swallows it
//   (createApp succeeds on a half-migrated database)
// - runs against a database newer than it knows instead of refusing it
// - migrates lazily on the first request, or remembers "migrated" in module-level state, so a
//   second fresh database is never migrated
// - answers with the database's rows as they are: snake_case members, in_print as 0/1,
//   extra columns; or maps NULL years to 0 or undefined (the member disappears)
// - pastes limit, offset or the id into the SQL text instead of binding them; lists with one
//   statement per row
// - reads `:id` with Number() (`+7`, ` 7`, `7.0`, `0x7`, `7e0` find book 7)
// - stores inPrint as anything but 0/1, or a missing year as anything but NULL
// - keeps SQL in the routes: a repository passed in through `books` is ignored
// - turns a duplicate isbn into a 500, or checks with a SELECT first and never handles the
//   UNIQUE error itself (a concurrent insert between the check and the insert is a 500)
// - turns every database error into 409 (a full disk is not the client's conflict), or every
//   constraint error (SQLITE_CONSTRAINT_NOTNULL is a bug, not a duplicate)
// - lets the driver's error escape the repository instead of a DuplicateIsbnError
import { describe, expect, it } from 'vitest'
import {
  build,
  client,
  database,
  random,
  SqliteError,
  task,
  type DatabaseProbe,
  type Rng,
  type SqlValue,
} from '../../harness/spec-kit/index.ts'
import {
  bookRepository,
  createApp,
  DuplicateIsbnError,
  type Book,
  type BookRepository,
  type NewBook,
  type Page,
} from '../../exercises/sql-repository/app.ts'

/** The spec's own copy of migration 1, to build a database "from the previous release". */
const V1 = `CREATE TABLE books (id INTEGER PRIMARY KEY, title TEXT NOT NULL, author TEXT NOT NULL,
  isbn TEXT NOT NULL UNIQUE, published_year INTEGER); PRAGMA user_version = 1;`

/** A statement that changes the schema, the data or the version. */
const WRITES = /\b(CREATE|ALTER|DROP|INSERT|UPDATE|DELETE|REPLACE)\b|user_version\s*=/i

const version = (probe: DatabaseProbe) => probe.query<{ user_version: number }>('PRAGMA user_version')[0]!.user_version
const columns = (probe: DatabaseProbe) =>
  probe.query<{ name: string }>('PRAGMA table_info(books)').map((c) => c.name).sort()
const LATEST = ['author', 'id', 'in_print', 'isbn', 'published_year', 'title']

const cap = (w: string) => w[0]!.toUpperCase() + w.slice(1)

function newBook(rng: Rng, overrides: Partial<NewBook> = {}): NewBook {
  return {
    title: `${cap(rng.word())} ${rng.word()}`,
    author: `${cap(rng.word())} ${cap(rng.word())}`,
    isbn: `978${rng.int(1000000000, 9999999999)}`,
    publishedYear: rng.next() < 0.3 ? null : rng.int(1800, 2030),
    inPrint: rng.next() < 0.5,
    ...overrides,
  }
}

/** Inserts books behind the app's back, ids with gaps in a shuffled order; returns them by id. */
function seed(probe: DatabaseProbe, rng: Rng, count: number, v1 = false): Book[] {
  const ids = rng.shuffle(Array.from({ length: count }, (_, i) => i * 3 + rng.int(1, 3)))
  const books = ids.map((id, i) => ({ id, ...newBook(rng, { isbn: `978${i}${rng.int(100000, 999999)}` }) }))
  for (const b of books) {
    if (v1) {
      probe.query('INSERT INTO books (id, title, author, isbn, published_year) VALUES (?, ?, ?, ?, ?)', [
        b.id, b.title, b.author, b.isbn, b.publishedYear,
      ])
    } else {
      probe.query('INSERT INTO books (id, title, author, isbn, published_year, in_print) VALUES (?, ?, ?, ?, ?, ?)', [
        b.id, b.title, b.author, b.isbn, b.publishedYear, b.inPrint ? 1 : 0,
      ])
    }
  }
  return books.toSorted((a, b) => a.id - b.id)
}

async function setup() {
  const rng = random()
  const { db, probe } = await database()
  const app = build(createApp, { db })
  return { rng, db, probe, app, api: client(app) }
}

/** Every value in the statements' parameters. */
const boundValues = (probe: DatabaseProbe): SqlValue[] =>
  probe.statements().flatMap(({ params }) =>
    params === undefined ? [] : Array.isArray(params) ? params : Object.values(params),
  )

function expectBound(probe: DatabaseProbe, value: string | number, what: string) {
  const pattern = typeof value === 'number' ? new RegExp(`\\b${value}\\b`) : null
  for (const { sql } of probe.statements()) {
    const pasted = pattern ? pattern.test(sql) : sql.includes(String(value))
    expect(pasted, `${what} (${value}) is pasted into the SQL text: ${sql}`).toBe(false)
  }
  expect(
    boundValues(probe).some((v) => v === value || (typeof v === 'string' && v.includes(String(value)))),
    `${what} (${value}) travels as a bound parameter`,
  ).toBe(true)
}

/** Spellings of `id` that Number() reads as the id and that are not digits. */
function looseIds(id: number): string[] {
  const digits = String(id)
  return [
    `+${id}`, `%20${id}`, `${id}%20`, `${id}.0`, `${id}.`, `${id}e0`, `${digits[0]}.${digits.slice(1)}e${digits.length - 1}`,
    `0x${id.toString(16)}`, `0o${id.toString(8)}`, `0b${id.toString(2)}`,
  ]
}

/** A repository in memory that records its calls: proof that the routes use what they are given. */
function fakeRepository(rng: Rng) {
  const calls: [string, unknown][] = []
  const book: Book = { id: rng.int(1000, 9999), ...newBook(rng) }
  const repo: BookRepository = {
    list: (page: Page) => (calls.push(['list', page]), [book]),
    find: (id: number) => (calls.push(['find', id]), id === book.id ? book : undefined),
    create: (input: NewBook) => (calls.push(['create', input]), { id: book.id + 1, ...input }),
    remove: (id: number) => (calls.push(['remove', id]), id === book.id),
  }
  return { repo, calls, book }
}

describe('sql-repository', () => {
  task(1, 'Migrate once, by version', () => {
    it('creates the latest schema on an empty database and sets user_version to 2', async () => {
      const { probe } = await setup()
      expect(version(probe), 'PRAGMA user_version after createApp on an empty database').toBe(2)
      expect(columns(probe), 'the columns of books').toEqual(LATEST)
      const index = probe.query(`SELECT name FROM sqlite_master WHERE type = 'index' AND name = 'books_by_author'`)
      expect(index.length, 'migration 2 creates the index books_by_author').toBe(1)
      probe.exec(`INSERT INTO books (title, author, isbn) VALUES ('a', 'b', '1')`)
      expect(() => probe.exec(`INSERT INTO books (title, author, isbn) VALUES ('c', 'd', '1')`), 'isbn is UNIQUE').toThrow()
      expect(probe.query('SELECT in_print FROM books')[0], 'in_print defaults to 1').toEqual({ in_print: 1 })
    })

    it('migrates every new database, also the second one in the same process', async () => {
      await setup()
      const { probe } = await setup()
      expect(version(probe), 'a second fresh database gets migrated too').toBe(2)
      expect(columns(probe)).toEqual(LATEST)
    })

    it('changes nothing when createApp runs again on a migrated database', async () => {
      const { db, probe, rng } = await setup()
      const books = seed(probe, rng, rng.int(3, 6))
      probe.clear()
      expect(() => build(createApp, { db }), 'a second createApp on the same database').not.toThrow()
      expect(() => build(createApp, { db }), 'a third one').not.toThrow()
      for (const { sql } of probe.statements()) {
        expect(WRITES.test(sql), `a start on an up-to-date database ran ${sql}`).toBe(false)
      }
      expect(version(probe)).toBe(2)
      expect(probe.query('SELECT count(*) AS n FROM books')[0], 'every row is still there').toEqual({ n: books.length })
    })

    it('migrates a version-1 database to version 2 and keeps its rows', async () => {
      const rng = random()
      const { db, probe } = await database()
      probe.exec(V1)
      const books = seed(probe, rng, rng.int(3, 6), true)
      build(createApp, { db })
      expect(version(probe), 'PRAGMA user_version after migrating a version-1 database').toBe(2)
      expect(columns(probe), 'the columns after migration 2').toEqual(LATEST)
      const rows = probe.query<{ id: number; title: string; in_print: number }>('SELECT id, title, in_print FROM books ORDER BY id')
      expect(rows, 'the old rows survive, with in_print 1').toEqual(books.map((b) => ({ id: b.id, title: b.title, in_print: 1 })))
      expect(probe.statements().some((s) => /CREATE\s+TABLE/i.test(s.sql)), 'migration 1 ran again on a version-1 database').toBe(false)
    })

    it('rolls a failed migration back completely, so the next start can finish it', async () => {
      const rng = random()
      const { db, probe } = await database()
      probe.exec(V1)
      seed(probe, rng, 3, true)
      probe.failWhen(/CREATE\s+INDEX/i)
      expect(() => build(createApp, { db }), 'createApp throws when a migration fails').toThrow()
      expect(version(probe), 'the version stays 1 after migration 2 failed').toBe(1)
      expect(columns(probe), 'the ALTER TABLE of the failed migration is rolled back').not.toContain('in_print')
      expect(() => build(createApp, { db }), 'the next start runs migration 2 again').not.toThrow()
      expect(version(probe)).toBe(2)
      expect(columns(probe)).toEqual(LATEST)
    })

    it('bumps the version inside the migration\'s transaction', async () => {
      const rng = random()
      const { db, probe } = await database()
      probe.exec(V1)
      seed(probe, rng, 3, true)
      probe.failWhen(/user_version\s*=\s*2/i)
      expect(() => build(createApp, { db }), 'createApp throws when writing the version fails').toThrow()
      expect(version(probe), 'the version stays 1').toBe(1)
      expect(columns(probe), 'a migration whose version bump failed is rolled back too').not.toContain('in_print')
      expect(() => build(createApp, { db }), 'the next start runs migration 2 again').not.toThrow()
      expect(columns(probe)).toEqual(LATEST)
    })

    it('runs each pending migration in its own transaction, so a failed migration 2 keeps migration 1', async () => {
      for (const failing of [/CREATE\s+INDEX/i, /user_version\s*=\s*2/i]) {
        const { db, probe } = await database()
        probe.failWhen(failing)
        expect(() => build(createApp, { db }), `createApp on a new database throws when migration 2 fails (${failing})`).toThrow()
        expect(version(probe), 'migration 1 committed on its own: the version is 1, not 0').toBe(1)
        expect(columns(probe), 'the books table of migration 1 is there, without migration 2\'s column').toEqual(LATEST.filter((c) => c !== 'in_print'))
        expect(() => build(createApp, { db }), 'the next start runs migration 2 only').not.toThrow()
        expect(version(probe)).toBe(2)
        expect(columns(probe)).toEqual(LATEST)
      }
    })

    it('refuses a database whose version is newer than the app knows', async () => {
      const { db, probe } = await database()
      probe.exec(`${V1} ALTER TABLE books ADD COLUMN in_print INTEGER NOT NULL DEFAULT 1; PRAGMA user_version = 3;`)
      expect(() => build(createApp, { db }), 'createApp on a database at version 3').toThrow()
      expect(version(probe), 'the version stays 3').toBe(3)
      for (const { sql } of probe.statements()) {
        expect(WRITES.test(sql), `createApp changed a database it does not know: ${sql}`).toBe(false)
      }
    })

    it('migrates when the app is built, not during requests', async () => {
      const { probe, api } = await setup()
      probe.clear()
      await api.get('/api/books')
      await api.get('/api/books/1')
      for (const { sql } of probe.statements()) {
        expect(/user_version|CREATE|ALTER/i.test(sql), `a request ran a migration statement: ${sql}`).toBe(false)
      }
    })
  })

  task(2, 'Map rows to books', () => {
    it('lists books in id order with exactly the members of a Book', async () => {
      const { probe, rng, api } = await setup()
      const books = seed(probe, rng, rng.int(5, 12))
      const res = await api.get('/api/books?limit=100')
      expect(res).toHaveStatus(200)
      expect(res, 'GET /api/books: camelCase members, inPrint true/false, publishedYear a number or null').toHaveJsonBody({ data: books })
    })

    it('maps NULL to null and 0/1 to false/true', async () => {
      const { probe, rng, api } = await setup()
      const [a, b] = seed(probe, rng, 2)
      probe.exec(`UPDATE books SET published_year = NULL, in_print = 0 WHERE id = ${a!.id}`)
      probe.exec(`UPDATE books SET published_year = 1999, in_print = 1 WHERE id = ${b!.id}`)
      const first = await api.get(`/api/books/${a!.id}`)
      expect(first).toHaveStatus(200)
      expect(first, 'published_year NULL and in_print 0').toHaveJsonBody({ ...a, publishedYear: null, inPrint: false })
      expect(await api.get(`/api/books/${b!.id}`), 'published_year 1999 and in_print 1').toHaveJsonBody({ ...b, publishedYear: 1999, inPrint: true })
    })

    it('pages with limit and offset, bound as parameters, in one statement', async () => {
      const { probe, rng, api } = await setup()
      const books = seed(probe, rng, rng.int(30, 45))
      const first = await api.get('/api/books')
      expect(first, 'the default page is the first 20').toHaveJsonBody({ data: books.slice(0, 20) })
      const [limit, offset] = [rng.int(21, 99), rng.int(3, 19)]
      probe.clear()
      const res = await api.get(`/api/books?limit=${limit}&offset=${offset}`)
      expect(res, `limit=${limit}&offset=${offset}`).toHaveJsonBody({ data: books.slice(offset, offset + limit) })
      expect(probe.count(), `one page is one SELECT, not one per row. ${probe.summary()}`).toBe(1)
      expectBound(probe, limit, 'limit')
      expectBound(probe, offset, 'offset')
    })

    it('finds a book by id with a bound id, and answers 404 otherwise', async () => {
      const { probe, rng, api } = await setup()
      const books = seed(probe, rng, 4)
      const id = rng.int(10000, 99999)
      probe.exec(`UPDATE books SET id = ${id} WHERE id = ${books[1]!.id}`)
      probe.clear()
      const res = await api.get(`/api/books/${id}`)
      expect(res).toHaveStatus(200)
      expect(res).toHaveJsonBody({ ...books[1], id })
      expectBound(probe, id, 'the id')
      for (const path of [`/api/books/${id + 1}`, '/api/books/abc', `/api/books/${id}x`, ...looseIds(id).map((raw) => `/api/books/${raw}`)]) {
        const missing = await api.get(path)
        expect(missing, `GET ${path}`).toHaveStatus(404)
        expect(missing).toHaveJsonBody(expect.objectContaining({ error: 'not_found' }))
      }
    })
  })

  task(3, 'Write through the repository', () => {
    it('POST /api/books stores the book and answers 201 with it and its Location', async () => {
      const { probe, rng, api } = await setup()
      const input = newBook(rng, { title: `O'Brien's ${rng.word()}`, publishedYear: rng.int(1900, 2020), inPrint: true })
      const res = await api.post('/api/books', { json: input })
      expect(res).toHaveStatus(201)
      const book = res.body as Book
      expect(res, 'the new book with its id').toHaveJsonBody({ id: expect.any(Number), ...input })
      expect(res).toHaveHeader('location', `/api/books/${book.id}`)
      const rows = probe.query('SELECT * FROM books')
      expect(rows, 'the row in the database, in its own column names').toEqual([
        { id: book.id, title: input.title, author: input.author, isbn: input.isbn, published_year: input.publishedYear, in_print: 1 },
      ])
      expect(await api.get(`/api/books/${book.id}`)).toHaveJsonBody(book)
    })

    it('stores a missing publishedYear as NULL and inPrint false as 0', async () => {
      const { probe, rng, api } = await setup()
      const { publishedYear: _, ...input } = newBook(rng, { inPrint: false })
      const res = await api.post('/api/books', { json: input })
      expect(res).toHaveStatus(201)
      expect(res).toHaveJsonBody({ id: expect.any(Number), ...input, publishedYear: null, inPrint: false })
      const row = probe.query('SELECT published_year, in_print FROM books')[0]
      expect(row, 'published_year NULL, in_print 0').toEqual({ published_year: null, in_print: 0 })
      const { inPrint: __, ...noFlag } = newBook(rng)
      await api.post('/api/books', { json: noFlag })
      expect(probe.query('SELECT in_print FROM books WHERE isbn = ?', [noFlag.isbn])[0], 'inPrint defaults to true (1)').toEqual({ in_print: 1 })
    })

    it('binds every value it writes', async () => {
      const { probe, rng, api } = await setup()
      const marks = [rng.word(12, 14), rng.word(12, 14), rng.word(12, 14)]
      probe.clear()
      const res = await api.post('/api/books', {
        json: newBook(rng, { title: `${marks[0]}'); DROP TABLE books; --`, author: marks[1], isbn: marks[2] }),
      })
      expect(res).toHaveStatus(201)
      marks.forEach((m, i) => expectBound(probe, m, ['the title', 'the author', 'the isbn'][i]!))
      expect(columns(probe), 'the books table is still there').toEqual(LATEST)
    })

    it('refuses an invalid body with 400 and stores nothing', async () => {
      const { probe, rng, api } = await setup()
      const ok = newBook(rng)
      for (const json of [{ ...ok, title: '' }, { ...ok, inPrint: 'yes' }, { ...ok, publishedYear: '1999' }, [ok]]) {
        const res = await api.post('/api/books', { json })
        expect(res, `POST ${JSON.stringify(json)}`).toHaveStatus(400)
        expect(res).toHaveJsonBody(expect.objectContaining({ error: 'invalid_body' }))
      }
      expect(probe.query('SELECT count(*) AS n FROM books')[0]).toEqual({ n: 0 })
    })

    it('DELETE /api/books/:id answers 204 and removes the row, then 404', async () => {
      const { probe, rng, api } = await setup()
      const books = seed(probe, rng, 3)
      const gone = rng.pick(books)
      for (const raw of looseIds(gone.id)) {
        expect(await api.delete(`/api/books/${raw}`), `DELETE /api/books/${raw}: not digits`).toHaveStatus(404)
      }
      expect(probe.query('SELECT count(*) AS n FROM books')[0], 'an :id that is not digits deletes nothing').toEqual({ n: books.length })
      const res = await api.delete(`/api/books/${gone.id}`)
      expect(res).toHaveStatus(204)
      expect(probe.query('SELECT id FROM books ORDER BY id').map((r) => r.id)).toEqual(books.filter((b) => b !== gone).map((b) => b.id))
      expect(await api.delete(`/api/books/${gone.id}`), 'deleting it again').toHaveStatus(404)
    })

    it('the routes use the repository passed as `books` and run no SQL of their own', async () => {
      const rng = random()
      const { db, probe } = await database()
      const fake = fakeRepository(rng)
      const api = client(build(createApp, { db, books: fake.repo }))
      probe.clear()
      expect(await api.get('/api/books?limit=7&offset=3'), 'GET /api/books with a repository passed in').toHaveJsonBody({ data: [fake.book] })
      expect(await api.get(`/api/books/${fake.book.id}`)).toHaveJsonBody(fake.book)
      const { publishedYear: _, inPrint: __, ...input } = newBook(rng)
      const created = await api.post('/api/books', { json: input })
      expect(created).toHaveStatus(201)
      expect(created).toHaveJsonBody({ ...input, publishedYear: null, inPrint: true, id: fake.book.id + 1 })
      expect(await api.delete(`/api/books/${fake.book.id}`)).toHaveStatus(204)
      expect(fake.calls, 'the calls the routes made on the repository').toEqual(
        expect.arrayContaining([
          ['list', { limit: 7, offset: 3 }],
          ['find', fake.book.id],
          ['create', { ...input, publishedYear: null, inPrint: true }],
          ['remove', fake.book.id],
        ]),
      )
      expect(probe.count(), `the routes ran SQL themselves. ${probe.summary()}`).toBe(0)
    })

    it('bookRepository(db) works on its own, without the routes', async () => {
      const { db, rng } = await setup()
      const repo = bookRepository(db)
      const input = newBook(rng)
      const book = repo.create(input)
      expect(book, 'create returns the book with its id').toEqual({ id: expect.any(Number), ...input })
      expect(repo.find(book.id), 'find').toEqual(book)
      expect(repo.find(book.id + 1), 'find for a missing id').toBeUndefined()
      expect(repo.list({ limit: 10, offset: 0 }), 'list').toEqual([book])
      expect(repo.remove(book.id), 'remove').toBe(true)
      expect(repo.remove(book.id), 'remove again').toBe(false)
    })
  })

  task(4, 'A duplicate ISBN is a 409', () => {
    it('answers 409 for an isbn that is taken and stores nothing', async () => {
      const { probe, rng, api } = await setup()
      const first = newBook(rng)
      expect(await api.post('/api/books', { json: first })).toHaveStatus(201)
      const res = await api.post('/api/books', { json: newBook(rng, { isbn: first.isbn }) })
      expect(res, 'a second book with the same isbn').toHaveStatus(409)
      expect(res).toHaveJsonBody(expect.objectContaining({ error: 'conflict', field: 'isbn' }))
      expect(probe.query('SELECT title FROM books'), 'the first book is untouched').toEqual([{ title: first.title }])
    })

    it('the repository throws DuplicateIsbnError, not the driver\'s error', async () => {
      const { db, probe, rng } = await setup()
      const [taken] = seed(probe, rng, 1)
      expect(() => bookRepository(db).create(newBook(rng, { isbn: taken!.isbn }))).toThrow(DuplicateIsbnError)
    })

    it('answers 409 when the UNIQUE constraint fires although no check saw the duplicate', async () => {
      const { probe, rng, api } = await setup()
      // Another request inserted the same isbn between a check and this insert.
      probe.failWhen(/INSERT/i, 1, new SqliteError('UNIQUE constraint failed: books.isbn', 'SQLITE_CONSTRAINT_UNIQUE'))
      const res = await api.post('/api/books', { json: newBook(rng) })
      expect(res, 'the INSERT failed with SQLITE_CONSTRAINT_UNIQUE').toHaveStatus(409)
      expect(res).toHaveJsonBody(expect.objectContaining({ error: 'conflict', field: 'isbn' }))
    })

    it('answers 500, not 409, for any other database error', async () => {
      const { probe, rng, api } = await setup()
      probe.failWhen(/INSERT/i)
      expect(await api.post('/api/books', { json: newBook(rng) }), 'the INSERT failed with SQLITE_IOERR').toHaveStatus(500)
      probe.failWhen(/INSERT/i, 1, new SqliteError('NOT NULL constraint failed: books.title', 'SQLITE_CONSTRAINT_NOTNULL'))
      expect(await api.post('/api/books', { json: newBook(rng) }), 'the INSERT failed with SQLITE_CONSTRAINT_NOTNULL').toHaveStatus(500)
    })

    it('the routes answer 409 when the repository passed in throws DuplicateIsbnError', async () => {
      const rng = random()
      const { db } = await database()
      const fake = fakeRepository(rng)
      fake.repo.create = (input) => {
        throw new DuplicateIsbnError(input.isbn)
      }
      const res = await client(build(createApp, { db, books: fake.repo })).post('/api/books', { json: newBook(rng) })
      expect(res).toHaveStatus(409)
      expect(res).toHaveJsonBody(expect.objectContaining({ error: 'conflict', field: 'isbn' }))
    })
  })
})
