import { Hono, type Context } from 'hono'

export interface Book {
  id: number
  title: string
  author: string
  year: number
}

export interface BookLoan {
  id: number
  bookId: number
  borrower: string
}

export interface LibraryOptions {
  /** The books the app starts with; the app keeps its own copy. */
  books?: Book[]
  /** The loans, read-only. */
  loans?: BookLoan[]
}

// The version lives in the path, once. Every new URL and every redirect target is built from
// these constants, so a Location can never drift to `/books/7` or `/api/book/7`.
const V1 = '/api/v1'
const BOOKS = `${V1}/books`
const BOOK = `${BOOKS}/:id{[0-9]+}`
const LOANS = `${V1}/book-loans`

const DIGITS = /^[0-9]+$/
const FILTERS = new Set(['author', 'year'])

const nonBlank = (value: unknown): value is string =>
  typeof value === 'string' && value.trim() !== ''

/** The book fields of a POST body, or undefined when the body is not a valid book. */
function parseBookInput(raw: unknown): Omit<Book, 'id'> | undefined {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return undefined
  const { title, author, year } = raw as Record<string, unknown>
  if (!nonBlank(title) || !nonBlank(author) || !Number.isInteger(year)) return undefined
  // A new object with only the known fields: extra fields and a client's `id` stay behind.
  return { title, author, year: year as number }
}

/** The request's query string, `?...` included, or '' when there is none. */
const searchOf = (c: Context) => new URL(c.req.url).search

/**
 * 308 and not 301/302: permanent, and the client must repeat the same method and body. A 301 or
 * 302 lets clients turn a POST into a GET, which would turn "create a book" into "list books".
 */
const moved = (c: Context, location: string) => c.redirect(location, 308)

const badParameter = (c: Context, error: string, parameter: string) =>
  c.json({ error, parameter }, 400)

const notFound = (c: Context) => c.json({ error: 'not_found' }, 404)

export function createApp(options: LibraryOptions = {}) {
  const books = new Map<number, Book>()
  for (const book of options.books ?? []) books.set(book.id, { ...book })
  const loans = (options.loans ?? []).map((loan) => ({ ...loan })).sort((a, b) => a.id - b.id)
  let lastId = Math.max(0, ...books.keys())

  const app = new Hono()

  // The new API: nouns for paths, the method for the verb.
  app.get(BOOKS, (c) => {
    const query = c.req.query()
    // A typo like `?autor=` silently ignored would return every book and look like success.
    // Naming the parameter tells the client exactly what to fix.
    const unknown = Object.keys(query).find((name) => !FILTERS.has(name))
    if (unknown !== undefined) return badParameter(c, 'unknown_parameter', unknown)
    const { author, year } = query
    if (year !== undefined && !DIGITS.test(year)) {
      return badParameter(c, 'invalid_parameter', 'year')
    }
    // Each filter narrows the list on its own, so any combination is an AND of all of them.
    const found = [...books.values()]
      .filter((book) => author === undefined || book.author === author)
      .filter((book) => year === undefined || book.year === Number(year))
      .sort((a, b) => a.id - b.id)
    return c.json(found)
  })

  app.post(BOOKS, async (c) => {
    const input = parseBookInput(await c.req.json().catch(() => undefined))
    if (!input) return c.json({ error: 'invalid_book' }, 400)
    const book: Book = { id: ++lastId, ...input }
    books.set(book.id, book)
    return c.json(book, 201, { Location: `${BOOKS}/${book.id}` })
  })

  // `{[0-9]+}` keeps `/books/7x` from being read as book 7; it falls through to the 404.
  app.get(BOOK, (c) => {
    const book = books.get(Number(c.req.param('id')))
    return book ? c.json(book) : notFound(c)
  })

  app.delete(BOOK, (c) => {
    if (!books.delete(Number(c.req.param('id')))) return notFound(c)
    return c.body(null, 204)
  })

  // Two words, one segment: lower case joined by a hyphen, like the rest of the URL.
  app.get(LOANS, (c) => c.json(loans))

  // The legacy routes. Each one maps its old URL to the new URL that means the same thing; none
  // of them serves data any more, so there is exactly one place where books are read.
  app.get('/getBooks', (c) => moved(c, `${BOOKS}${searchOf(c)}`))

  app.get('/getBook', (c) => {
    const id = c.req.query('id')
    if (id === undefined || !DIGITS.test(id)) return badParameter(c, 'invalid_parameter', 'id')
    // No lookup: the redirect only rewrites the URL, and the new URL answers 404 for itself.
    return moved(c, `${BOOKS}/${id}`)
  })

  app.get('/getBooksByAuthor', (c) => {
    // Forwarding the raw query string keeps every parameter and its original encoding, so an
    // author like "Ada Quill & Ben Ort" arrives as one value, not as `author=Ada Quill ` plus a
    // stray ` Ben Ort` parameter.
    if (c.req.query('author') === undefined) return badParameter(c, 'invalid_parameter', 'author')
    return moved(c, `${BOOKS}${searchOf(c)}`)
  })

  // 308 keeps POST and the body: the client sends its book again to /api/v1/books. Nothing is
  // created here (a 303 "see the new book" would be the POST/redirect/GET pattern, a different
  // contract that old clients of a create endpoint do not expect).
  app.post('/createBook', (c) => moved(c, `${BOOKS}${searchOf(c)}`))

  app.get('/getBookLoans', (c) => moved(c, `${LOANS}${searchOf(c)}`))

  // A redirect can change the URL but never the method, and there is no URL where POST means
  // "delete". So this one cannot be redirected: 410 Gone says so and names the replacement.
  app.post('/deleteBook', (c) => {
    const id = c.req.query('id') ?? ':id'
    return c.json({ error: 'gone', use: `DELETE ${BOOKS}/${id}` }, 410)
  })

  // One URL per resource. Hono's router is strict (`/books/` is not `/books`), so a path with a
  // trailing slash matches none of the routes above and lands here, registered last, for any
  // method. Instead of serving a duplicate we send the client to the canonical URL.
  app.all(`${V1}/*`, (c) => {
    const path = c.req.path
    if (!path.endsWith('/')) return notFound(c)
    return moved(c, `${path.slice(0, -1)}${searchOf(c)}`)
  })

  app.notFound(notFound)

  return app
}
