// Mutant: names the two-word resource in camelCase: `/api/v1/bookLoans`
import { Hono, type Context } from 'hono'
import { z } from 'zod'
import type { Book, LibraryOptions } from '../../../exercises/url-design/app.ts'

const V1 = '/api/v1'
const BOOKS = `${V1}/books`
const LOANS = `${V1}/bookLoans`

const DIGITS = /^[0-9]+$/
const FILTERS = new Set(['author', 'year'])

const BookInput = z.object({
  title: z.string().refine((s) => s.trim() !== ''),
  author: z.string().refine((s) => s.trim() !== ''),
  year: z.int(),
})

const searchOf = (c: Context) => new URL(c.req.url).search

const moved = (c: Context, location: string) => c.redirect(location, 308)

const badParameter = (c: Context, error: string, parameter: string) =>
  c.json({ error, parameter }, 400)

export function createApp(options: LibraryOptions = {}) {
  const books = new Map<number, Book>()
  for (const book of options.books ?? []) books.set(book.id, { ...book })
  const loans = (options.loans ?? []).map((loan) => ({ ...loan })).sort((a, b) => a.id - b.id)
  let lastId = Math.max(0, ...books.keys())

  const app = new Hono()

  app.use('*', async (c, next) => {
    const path = c.req.path
    if (path.startsWith(`${V1}/`) && path.endsWith('/')) {
      return moved(c, `${path.slice(0, -1)}${searchOf(c)}`)
    }
    await next()
  })

  const v1 = new Hono()

  v1.get('/books', (c) => {
    const query = c.req.query()
    const unknown = Object.keys(query).find((name) => !FILTERS.has(name))
    if (unknown !== undefined) return badParameter(c, 'unknown_parameter', unknown)
    const { author, year } = query
    if (year !== undefined && !DIGITS.test(year)) {
      return badParameter(c, 'invalid_parameter', 'year')
    }
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

  v1.get('/books/:id{[0-9]+}', (c) => {
    const book = books.get(Number(c.req.param('id')))
    return book ? c.json(book) : c.json({ error: 'not_found' }, 404)
  })

  v1.delete('/books/:id{[0-9]+}', (c) => {
    if (!books.delete(Number(c.req.param('id')))) return c.json({ error: 'not_found' }, 404)
    return c.body(null, 204)
  })

  v1.get('/bookLoans', (c) => c.json(loans))

  app.route(V1, v1)

  app.get('/getBooks', (c) => moved(c, `${BOOKS}${searchOf(c)}`))

  app.get('/getBook', (c) => {
    const id = c.req.query('id')
    if (id === undefined || !DIGITS.test(id)) return badParameter(c, 'invalid_parameter', 'id')
    return moved(c, `${BOOKS}/${id}`)
  })

  app.get('/getBooksByAuthor', (c) => {
    if (c.req.query('author') === undefined) return badParameter(c, 'invalid_parameter', 'author')
    return moved(c, `${BOOKS}${searchOf(c)}`)
  })

  app.post('/createBook', (c) => moved(c, `${BOOKS}${searchOf(c)}`))

  app.get('/getBookLoans', (c) => moved(c, `${LOANS}${searchOf(c)}`))

  app.post('/deleteBook', (c) => {
    const id = c.req.query('id') ?? ':id'
    return c.json({ error: 'gone', use: `DELETE ${BOOKS}/${id}` }, 410)
  })

  app.notFound((c) => c.json({ error: 'not_found' }, 404))

  return app
}
