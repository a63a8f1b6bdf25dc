import { Hono } from 'hono'

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

// The legacy library API, one verb per URL. Redesign it: see README.md for the exact contract.
export function createApp(options: LibraryOptions = {}) {
  const books = new Map<number, Book>()
  for (const book of options.books ?? []) books.set(book.id, { ...book })
  const loans = (options.loans ?? []).map((loan) => ({ ...loan })).sort((a, b) => a.id - b.id)
  let lastId = Math.max(0, ...books.keys())
  const sorted = () => [...books.values()].sort((a, b) => a.id - b.id)

  const app = new Hono()

  // TODO 1: GET /api/v1/books and GET /api/v1/book-loans list everything in ascending id order;
  // every other path answers 404 with JSON { "error": "not_found" }.

  // TODO 2: GET and DELETE /api/v1/books/:id, POST /api/v1/books (201 + Location).

  // TODO 3: GET /api/v1/books filters by `author` and `year` (combined with AND); any other
  // query parameter is a 400 that names it.

  // TODO 4 and 5: every legacy route below stops serving data. The GET ones and POST /createBook
  // answer 308 with a Location that means the same thing (id and query carried over);
  // POST /deleteBook answers 410 Gone.

  app.get('/getBooks', (c) => c.json(sorted()))

  app.get('/getBook', (c) => {
    const book = books.get(Number(c.req.query('id')))
    return book ? c.json(book) : c.json({ error: 'not_found' }, 404)
  })

  app.get('/getBooksByAuthor', (c) => {
    return c.json(sorted().filter((book) => book.author === c.req.query('author')))
  })

  app.post('/createBook', async (c) => {
    const input = (await c.req.json()) as Omit<Book, 'id'>
    const book: Book = { id: ++lastId, title: input.title, author: input.author, year: input.year }
    books.set(book.id, book)
    return c.json(book)
  })

  app.post('/deleteBook', (c) => {
    books.delete(Number(c.req.query('id')))
    return c.json({ ok: true })
  })

  app.get('/getBookLoans', (c) => c.json(loans))

  // TODO 6: a path under /api/v1/ that ends with `/` answers 308 to the same path without the
  // slash (query kept), for every method.

  return app
}
