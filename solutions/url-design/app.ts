import { Hono, type Context } from 'hono'
import { z } from 'zod'

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
const LOANS = `${V1}/book-loans`

const DIGITS = /^[0-9]+$/
const FILTERS = new Set(['author', 'year'])

const BookInput = z.object({
  title: z.string().refine((s) => s.trim() !== ''),
  author: z.string().refine((s) => s.trim() !== ''),
  year: z.int(),
})

/** The request's query string, `?...` included, or '' when there is none. */
const searchOf = (c: Context) => new URL(c.req.url).search

/**
 * 308 and not 301/302: permanent, and the client must repeat the same method and body. A 301 or
 * 302 lets clients turn a POST into a GET, which would turn "create a book" into "list books".
 */
const moved = (c: Context, location: string) => c.redirect(location, 308)

const badParameter = (c: Context, error: string, parameter: string) =>
  c.json({ error, parameter }, 400)

export function createApp(options: LibraryOptions = {}) {
  const books = new Map<number, Book>()
  for (const book of options.books ?? []) books.set(book.id, { ...book })
  const loans = (options.loans ?? []).map((loan) => ({ ...loan })).sort((a, b) => a.id - b.id)
  let lastId = Math.max(0, ...books.keys())

  const app = new Hono()

  // One URL per resource. Hono's router is strict by default (`/books/` is not `/books`), so
  // instead of serving both we send the client to the canonical one, for every method, which
  // is why this is our own middleware and not trimTrailingSlash() (301, GET and HEAD only).
  app.use('*', async (c, next) => {
    const path = c.req.path
    if (path.startsWith(`${V1}/`) && path.endsWith('/')) {
      return moved(c, `${path.slice(0, -1)}${searchOf(c)}`)
    }
    await next()
  })

  // The new API is a sub-app mounted under the version prefix: its routes read as plain
  // nouns, and a v2 would be a second sub-app next to it.
  const v1 = new Hono()

  v1.get('/books', (c) => {
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

  v1.post('/books', async (c) => {
    const parsed = BookInput.safeParse(await c.req.json().catch(() => undefined))
    if (!parsed.success) return c.json({ error: 'invalid_book' }, 400)
    const book: Book = { id: ++lastId, ...parsed.data }
    books.set(book.id, book)
    return c.json(book, 201, { Location: `${BOOKS}/${book.id}` })
  })

  // `{[0-9]+}` keeps `/books/7x` from being read as book 7; it falls through to the 404.
  v1.get('/books/:id{[0-9]+}', (c) => {
    const book = books.get(Number(c.req.param('id')))
    return book ? c.json(book) : c.json({ error: 'not_found' }, 404)
  })

  v1.delete('/books/:id{[0-9]+}', (c) => {
    if (!books.delete(Number(c.req.param('id')))) return c.json({ error: 'not_found' }, 404)
    return c.body(null, 204)
  })

  // Two words, one segment: lower case joined by a hyphen, like the rest of the URL.
  v1.get('/book-loans', (c) => c.json(loans))

  app.route(V1, v1)

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

  app.notFound((c) => c.json({ error: 'not_found' }, 404))

  return app
}
