// url-design - the hidden spec.
//
// Wrong implementations this spec is built to catch:
// - legacy routes still serving data with 200 (kept "for compatibility") instead of redirecting
// - `c.redirect(url)` without a status (302), or 301, or 307: the redirect must be a permanent
//   one that keeps the method (308)
// - a Location that loses the query (`/getBooks?year=1999` -> `/api/v1/books`), keeps only
//   `author` from `/getBooksByAuthor`, loses the id (`/api/v1/books/`, `/api/v1/books/undefined`),
//   or concatenates an unencoded value (`Ada Quill & Ben Ort` splits into two parameters)
// - a Location that points at a singular (`/api/v1/book/7`), unversioned (`/api/books/7`) or
//   prefix-less (`/books/7`, a sub-app's own path) URL, or one with a trailing slash
// - POST /createBook creating the book itself (then 303 or 308 to it) instead of redirecting the
//   client's POST, or a redirect whose target does not accept the same method and body
// - POST /deleteBook redirected with 308 (a redirect keeps POST; nothing gets deleted) or still
//   deleting; it must be 410 Gone naming the replacement
// - the legacy redirect looking the book up first and answering 404 itself
// - combined filters where one wins (`if (author) ... else if (year) ...`), or OR instead of AND
// - filters compared loosely: author matched case-insensitively or by substring, year as a
//   substring
// - unknown query parameters silently ignored, or parameter names matched case-insensitively
// - a year like `19x9` accepted (parseInt) or read as "no filter"
// - camelCase or snake_case multi-word segments (`/api/v1/bookLoans`, `/api/v1/book_loans`)
// - aliases: the same collection also served at `/api/v1/book`, `/api/books` or `/api/v1/Books`
// - trailing slashes served as duplicates (`new Hono({ strict: false })`) or redirected with
//   hono's trimTrailingSlash() (301, GET only: `POST /api/v1/books/` would be a 404)
// - a trailing-slash redirect that drops the query
// - a trailing-slash fallback that answers only some methods, or that looks the id up first, or
//   that also redirects paths outside /api/v1/ (`/getBooks/`, `/api/v2/books/`)
// - Hono's plain-text 404 instead of the JSON one
// - ids read with Number(): `/api/v1/books/7.0` or `/api/v1/books/0x7` found or deleted as book 7
// - POST handing out the same id twice (`lastId + 1` never stored), echoing or storing extra
//   body fields, or a client-sent id; blank or missing authors accepted
// - known filters looked up in a plain object (`{ author: true, year: true }[name]`), so
//   `?constructor=`, `?toString=` or `?__proto__=` count as known; a parameter sent without a
//   value (`?genre`) ignored
// - author trimmed before comparing; a year read with Number(), so `1999.0` or ` 1999` passes
// - a store shared between apps (module level), or the caller's array or objects used in place
import { describe, expect, it } from 'vitest'
import {
  build,
  client,
  focusOn,
  random,
  task,
  type Client,
  type Reply,
  type RequestOptions,
  type Rng,
} from '../../harness/spec-kit/index.ts'
import { createApp, type Book, type BookLoan } from '../../exercises/url-design/app.ts'

interface Library {
  books: Book[]
  loans: BookLoan[]
  /** An author with books in `year` and in another year. */
  author: string
  /** A year with books by `author` and by another author. */
  year: number
  authors: string[]
  years: number[]
}

const cap = (word: string) => word[0]!.toUpperCase() + word.slice(1)
const name = (rng: Rng) => `${cap(rng.word(3, 6))} ${cap(rng.word(4, 8))}`

/**
 * 8 to 14 books over three authors (one of them a duo whose name holds an `&`) and three years.
 * The chosen author and year each have books the other filter would drop, so a filter that
 * ignores one parameter returns more than it should.
 */
function makeLibrary(rng: Rng): Library {
  const authors = [name(rng), name(rng), `${name(rng)} & ${name(rng)}`]
  const base = rng.int(1950, 2015)
  const years = [base, base + rng.int(1, 3), base + rng.int(4, 6)]
  const author = rng.pick(authors)
  const year = rng.pick(years)
  const otherAuthor = rng.pick(authors.filter((a) => a !== author))
  const otherYear = rng.pick(years.filter((y) => y !== year))
  const pairs: [string, number][] = [
    [author, year],
    [author, otherYear],
    [otherAuthor, year],
  ]
  for (let n = rng.int(5, 11); n > 0; n--) pairs.push([rng.pick(authors), rng.pick(years)])
  const books: Book[] = []
  let id = rng.int(1, 5)
  for (const [a, y] of rng.shuffle(pairs)) {
    books.push({ id, title: `${cap(rng.word(3, 8))} ${cap(rng.word(3, 8))}`, author: a, year: y })
    id += rng.int(1, 6)
  }
  const loans: BookLoan[] = []
  let loanId = rng.int(1, 9)
  for (let n = rng.int(2, 5); n > 0; n--) {
    loans.push({ id: loanId, bookId: rng.pick(books).id, borrower: rng.word(4, 8) })
    loanId += rng.int(1, 4)
  }
  // Handed over out of id order, so "list in insertion order" cannot pass by luck.
  return {
    books: outOfOrder(rng, books),
    loans: outOfOrder(rng, loans),
    author,
    year,
    authors,
    years,
  }
}

function outOfOrder<T extends { id: number }>(rng: Rng, sorted: T[]): T[] {
  const shuffled = rng.shuffle(sorted)
  return shuffled.every((x, i) => x.id === sorted[i]!.id) ? shuffled.reverse() : shuffled
}

// Each app gets its own copy, so the expectations computed from the library stay right.
const apiFor = (lib: Library): Client =>
  client(build(createApp, { books: structuredClone(lib.books), loans: structuredClone(lib.loans) }))

/** Spellings of `id` that are not a whole number in digits, yet Number() or parseInt read as it. */
const notDigits = (id: number) => [`${id}x`, `${id}.0`, `0x${id.toString(16)}`]

const byId = <T extends { id: number }>(list: T[]) => [...list].sort((a, b) => a.id - b.id)
const maxId = (lib: Library) => Math.max(...lib.books.map((b) => b.id))
const q = encodeURIComponent

function newBook(rng: Rng): Omit<Book, 'id'> {
  return { title: cap(rng.word(4, 9)), author: name(rng), year: rng.int(1900, 2030) }
}

/** A 308 whose Location has this path and exactly these query parameters (in any order). */
function expectPermanentRedirect(res: Reply, path: string, query: Record<string, string> = {}) {
  expect(res).toHaveStatus(308)
  expect(res).toHaveHeader('location')
  const url = new URL(res.headers['location']!, 'http://api.test')
  // Parameters as a set: order and encoding style are free; a repeated name shows as an array.
  const params: Record<string, string | string[]> = {}
  for (const key of new Set(url.searchParams.keys())) {
    const values = url.searchParams.getAll(key)
    params[key] = values.length === 1 ? values[0]! : values
  }
  focusOn(res)
  expect(
    { path: url.pathname, query: params },
    `the Location header (${res.headers['location']}) read as a path and its query parameters`,
  ).toEqual({ path, query })
}

/** Follows a redirect the way a client must after 308: the same method (and body) again. */
function follow(api: Client, res: Reply, method: string, options?: RequestOptions): Promise<Reply> {
  const url = new URL(res.headers['location'] ?? '', 'http://api.test')
  return api.send(method, `${url.pathname}${url.search}`, options)
}

const NOT_FOUND = expect.objectContaining({ error: 'not_found' })
const badParameter = (error: string, parameter: string) =>
  expect.objectContaining({ error, parameter })

describe('url-design', () => {
  task(1, 'Name the collections', () => {
    it('GET /api/v1/books lists every book in ascending id order', async () => {
      const lib = makeLibrary(random())
      const res = await apiFor(lib).get('/api/v1/books')
      expect(res).toHaveStatus(200)
      expect(res).toHaveJsonBody(byId(lib.books))
    })

    it('GET /api/v1/book-loans lists the loans in ascending id order', async () => {
      const lib = makeLibrary(random())
      const res = await apiFor(lib).get('/api/v1/book-loans')
      expect(res).toHaveStatus(200)
      expect(res).toHaveJsonBody(byId(lib.loans))
    })

    it('serves only lower-case, plural, hyphenated paths under /api/v1 (others are 404)', async () => {
      const rng = random()
      const lib = makeLibrary(rng)
      const api = apiFor(lib)
      const id = rng.pick(lib.books).id
      for (const path of [
        '/api/v1/book',
        `/api/v1/book/${id}`,
        '/api/books',
        `/api/books/${id}`,
        '/books',
        '/api/v2/books',
        '/api/v1/Books',
        '/API/V1/BOOKS',
        '/api/v1/bookLoans',
        '/api/v1/book_loans',
        '/api/v1/bookloans',
      ]) {
        const res = await api.get(path)
        expect(res).toHaveStatus(404)
        expect(res).toHaveJsonBody(NOT_FOUND)
      }
    })
  })

  task(2, 'Read, create and delete books', () => {
    it('GET /api/v1/books/:id answers 200 with that book', async () => {
      const rng = random()
      const lib = makeLibrary(rng)
      const book = rng.pick(lib.books)
      const res = await apiFor(lib).get(`/api/v1/books/${book.id}`)
      expect(res).toHaveStatus(200)
      expect(res).toHaveJsonBody(book)
    })

    it('GET /api/v1/books/:id answers 404 not_found for an id no book holds', async () => {
      const rng = random()
      const lib = makeLibrary(rng)
      const api = apiFor(lib)
      const odd = notDigits(rng.pick(lib.books).id)
      const ids = [maxId(lib) + rng.int(1, 50), ...odd, rng.word(3, 6)]
      for (const id of ids) {
        const res = await api.get(`/api/v1/books/${id}`)
        expect(res).toHaveStatus(404)
        expect(res).toHaveJsonBody(NOT_FOUND)
      }
    })

    it('POST /api/v1/books answers 201 with the book and its Location', async () => {
      const rng = random()
      const lib = makeLibrary(rng)
      const api = apiFor(lib)
      const input = newBook(rng)
      const res = await api.post('/api/v1/books', { json: input })
      expect(res).toHaveStatus(201)
      expect(res).toHaveJsonBody({ id: expect.any(Number), ...input })
      const id = (res.body as Book).id
      focusOn(res)
      expect(Number.isInteger(id) && id > 0, `the new id ${id} is a positive integer`).toBe(true)
      const seedIds = lib.books.map((b) => b.id)
      expect(seedIds, 'the new id is not one an existing book holds').not.toContain(id)
      expect(res).toHaveHeader('location')
      const location = new URL(res.headers['location']!, 'http://api.test')
      expect(location.pathname, 'the path of the Location header').toBe(`/api/v1/books/${id}`)
      const stored = await follow(api, res, 'GET')
      expect(stored).toHaveStatus(200)
      expect(stored).toHaveJsonBody({ id, ...input })
    })

    it('POST /api/v1/books ignores an id and fields other than title, author and year', async () => {
      const rng = random()
      const lib = makeLibrary(rng)
      const api = apiFor(lib)
      const input = newBook(rng)
      const taken = rng.pick(lib.books)
      const res = await api.post('/api/v1/books', {
        json: { ...input, id: taken.id, isbn: rng.word(), [`x${rng.word()}`]: rng.word() },
      })
      expect(res).toHaveStatus(201)
      expect(res).toHaveJsonBody({ id: expect.any(Number), ...input })
      const id = (res.body as Book).id
      focusOn(res)
      expect(id, 'the server picks the id, not the client').not.toBe(taken.id)
      expect(await api.get(`/api/v1/books/${id}`)).toHaveJsonBody({ id, ...input })
      expect(await api.get(`/api/v1/books/${taken.id}`)).toHaveJsonBody(taken)
    })

    it('POST /api/v1/books twice creates two books with different ids', async () => {
      const rng = random()
      const lib = makeLibrary(rng)
      const api = apiFor(lib)
      const [one, two] = [newBook(rng), newBook(rng)]
      const a = await api.post('/api/v1/books', { json: one })
      const b = await api.post('/api/v1/books', { json: two })
      expect(a).toHaveStatus(201)
      expect(b).toHaveStatus(201)
      const [idA, idB] = [(a.body as Book).id, (b.body as Book).id]
      focusOn(b)
      expect(idB, 'the second book gets an id of its own').not.toBe(idA)
      expect(await api.get('/api/v1/books')).toHaveJsonBody(
        byId([...lib.books, { id: idA, ...one }, { id: idB, ...two }]),
      )
    })

    it('POST /api/v1/books rejects an invalid book with 400 invalid_book', async () => {
      const rng = random()
      const lib = makeLibrary(rng)
      const api = apiFor(lib)
      const good = newBook(rng)
      const bodies: unknown[] = [
        { author: good.author, year: good.year },
        { ...good, title: '   ' },
        { title: good.title, year: good.year },
        { ...good, author: '' },
        { ...good, title: 7 },
        { ...good, author: 42 },
        { ...good, year: String(good.year) },
        { ...good, year: good.year + 0.5 },
        { title: good.title, author: good.author },
        [good],
        null,
      ]
      for (const json of bodies) {
        const res = await api.post('/api/v1/books', { json })
        expect(res).toHaveStatus(400)
        expect(res).toHaveJsonBody(expect.objectContaining({ error: 'invalid_book' }))
      }
      const malformed = await api.post('/api/v1/books', {
        body: '{"title":',
        headers: { 'Content-Type': 'application/json' },
      })
      expect(malformed).toHaveStatus(400)
      expect(malformed).toHaveJsonBody(expect.objectContaining({ error: 'invalid_book' }))
      // JSON.parse keeps "__proto__" as an ordinary key: this body has no fields of its own.
      const hidden = await api.post('/api/v1/books', {
        body: `{"__proto__":${JSON.stringify(good)}}`,
        headers: { 'Content-Type': 'application/json' },
      })
      expect(hidden).toHaveStatus(400)
      expect(hidden).toHaveJsonBody(expect.objectContaining({ error: 'invalid_book' }))
      expect(await api.get('/api/v1/books')).toHaveJsonBody(byId(lib.books))
    })

    it('DELETE /api/v1/books/:id answers 204, then the book is gone', async () => {
      const rng = random()
      const lib = makeLibrary(rng)
      const api = apiFor(lib)
      const book = rng.pick(lib.books)
      // An id not written in digits names no book, even when it reads as this one's id.
      for (const id of notDigits(book.id)) {
        const odd = await api.delete(`/api/v1/books/${id}`)
        expect(odd).toHaveStatus(404)
        expect(odd).toHaveJsonBody(NOT_FOUND)
      }
      expect(await api.get(`/api/v1/books/${book.id}`)).toHaveStatus(200)
      const res = await api.delete(`/api/v1/books/${book.id}`)
      expect(res).toHaveStatus(204)
      expect(res).toHaveEmptyBody()
      expect(await api.get(`/api/v1/books/${book.id}`)).toHaveStatus(404)
      const again = await api.delete(`/api/v1/books/${book.id}`)
      expect(again).toHaveStatus(404)
      expect(again).toHaveJsonBody(NOT_FOUND)
    })

    it('keeps each app its own copy of the books, and never changes the caller\'s', async () => {
      const rng = random()
      const lib = makeLibrary(rng)
      const books = structuredClone(lib.books)
      const first = client(build(createApp, { books, loans: lib.loans }))
      const second = client(build(createApp, { books, loans: lib.loans }))
      const gone = rng.pick(lib.books)
      expect(await first.delete(`/api/v1/books/${gone.id}`)).toHaveStatus(204)
      expect(await first.post('/api/v1/books', { json: newBook(rng) })).toHaveStatus(201)
      expect(await second.get('/api/v1/books')).toHaveJsonBody(byId(lib.books))
      expect(books, 'the books array passed to createApp was changed').toEqual(lib.books)
      // The caller goes on using its array and objects: the apps do not see it.
      books[0]!.title = rng.word()
      books.pop()
      expect(await second.get('/api/v1/books')).toHaveJsonBody(byId(lib.books))
    })
  })

  task(3, 'Filter the list with the query', () => {
    it('filters by author with ?author=', async () => {
      const lib = makeLibrary(random())
      const res = await apiFor(lib).get(`/api/v1/books?author=${q(lib.author)}`)
      expect(res).toHaveStatus(200)
      expect(res).toHaveJsonBody(byId(lib.books.filter((b) => b.author === lib.author)))
    })

    it('filters by year with ?year=', async () => {
      const lib = makeLibrary(random())
      const res = await apiFor(lib).get(`/api/v1/books?year=${lib.year}`)
      expect(res).toHaveStatus(200)
      expect(res).toHaveJsonBody(byId(lib.books.filter((b) => b.year === lib.year)))
    })

    it('combines author and year: a book must match both, in either order', async () => {
      const lib = makeLibrary(random())
      const api = apiFor(lib)
      const both = byId(lib.books.filter((b) => b.author === lib.author && b.year === lib.year))
      for (const path of [
        `/api/v1/books?author=${q(lib.author)}&year=${lib.year}`,
        `/api/v1/books?year=${lib.year}&author=${q(lib.author)}`,
      ]) {
        const res = await api.get(path)
        expect(res).toHaveStatus(200)
        expect(res).toHaveJsonBody(both)
      }
    })

    it('matches author exactly: another case, a part of the name or extra spaces find nothing', async () => {
      const lib = makeLibrary(random())
      const api = apiFor(lib)
      const first = lib.author.split(' ')[0]!
      const spaced = [` ${lib.author}`, `${lib.author} `]
      const cased = [lib.author.toLowerCase(), lib.author.toUpperCase()]
      for (const author of [...cased, first, ...spaced]) {
        const res = await api.get(`/api/v1/books?author=${q(author)}`)
        expect(res).toHaveStatus(200)
        expect(res).toHaveJsonBody([])
      }
    })

    it('answers 200 with an empty array when no book matches', async () => {
      const rng = random()
      const lib = makeLibrary(rng)
      const api = apiFor(lib)
      const nobody = await api.get(`/api/v1/books?author=${q(name(rng))}`)
      expect(nobody).toHaveStatus(200)
      expect(nobody).toHaveJsonBody([])
      const never = await api.get(`/api/v1/books?year=${Math.max(...lib.years) + rng.int(1, 40)}`)
      expect(never).toHaveStatus(200)
      expect(never).toHaveJsonBody([])
      // A year is a whole value: 19 is not a match for 1987.
      const part = await api.get(`/api/v1/books?year=${String(lib.year).slice(0, 2)}`)
      expect(part).toHaveStatus(200)
      expect(part).toHaveJsonBody([])
    })

    it('rejects an unknown query parameter with 400 naming it', async () => {
      const rng = random()
      const lib = makeLibrary(rng)
      const api = apiFor(lib)
      const cases: [string, string][] = [
        [`genre=${rng.word(4, 8)}`, 'genre'],
        [`author=${q(lib.author)}&sort=title`, 'sort'],
        [`autor=${q(lib.author)}`, 'autor'],
        [`Author=${q(lib.author)}`, 'Author'],
        [`YEAR=${lib.year}`, 'YEAR'],
        // Names an object already has (a lookup in `{ author: true, year: true }` finds them).
        [`constructor=${rng.word()}`, 'constructor'],
        [`year=${lib.year}&toString=${rng.word()}`, 'toString'],
        [`__proto__=${rng.word()}`, '__proto__'],
        // A parameter with no value is still a parameter.
        ['genre', 'genre'],
      ]
      for (const [query, parameter] of cases) {
        const res = await api.get(`/api/v1/books?${query}`)
        expect(res).toHaveStatus(400)
        expect(res).toHaveJsonBody(badParameter('unknown_parameter', parameter))
      }
    })

    it('rejects a year that is not digits only with 400 naming year', async () => {
      const lib = makeLibrary(random())
      const api = apiFor(lib)
      const broken = `${String(lib.year).slice(0, 2)}x${lib.year % 10}`
      const numberish = [`${lib.year}.0`, ` ${lib.year}`, `-${lib.year}`]
      for (const year of ['abc', `${lib.year}x`, broken, '', ...numberish]) {
        const res = await api.get(`/api/v1/books?year=${q(year)}`)
        expect(res).toHaveStatus(400)
        expect(res).toHaveJsonBody(badParameter('invalid_parameter', 'year'))
      }
    })
  })

  task(4, 'Redirect the old read routes with 308', () => {
    it('GET /getBooks answers 308 to /api/v1/books, and following it lists the books', async () => {
      const lib = makeLibrary(random())
      const api = apiFor(lib)
      const res = await api.get('/getBooks')
      expectPermanentRedirect(res, '/api/v1/books')
      const followed = await follow(api, res, 'GET')
      expect(followed).toHaveStatus(200)
      expect(followed).toHaveJsonBody(byId(lib.books))
    })

    it('GET /getBooks carries its query string over to the new location', async () => {
      const lib = makeLibrary(random())
      const api = apiFor(lib)
      const res = await api.get(`/getBooks?year=${lib.year}&author=${q(lib.author)}`)
      const query = { year: String(lib.year), author: lib.author }
      expectPermanentRedirect(res, '/api/v1/books', query)
      const followed = await follow(api, res, 'GET')
      expect(followed).toHaveStatus(200)
      const both = lib.books.filter((b) => b.author === lib.author && b.year === lib.year)
      expect(followed).toHaveJsonBody(byId(both))
    })

    it('GET /getBook?id= answers 308 to /api/v1/books/:id, and following it finds the book', async () => {
      const rng = random()
      const lib = makeLibrary(rng)
      const api = apiFor(lib)
      const book = rng.pick(lib.books)
      const res = await api.get(`/getBook?id=${book.id}`)
      expectPermanentRedirect(res, `/api/v1/books/${book.id}`)
      const followed = await follow(api, res, 'GET')
      expect(followed).toHaveStatus(200)
      expect(followed).toHaveJsonBody(book)
    })

    it('GET /getBook redirects without looking the id up; the new URL answers the 404', async () => {
      const rng = random()
      const lib = makeLibrary(rng)
      const api = apiFor(lib)
      const id = maxId(lib) + rng.int(1, 50)
      const res = await api.get(`/getBook?id=${id}`)
      expectPermanentRedirect(res, `/api/v1/books/${id}`)
      const followed = await follow(api, res, 'GET')
      expect(followed).toHaveStatus(404)
      expect(followed).toHaveJsonBody(NOT_FOUND)
    })

    it('GET /getBook without a digits id answers 400 naming id', async () => {
      const rng = random()
      const lib = makeLibrary(rng)
      const api = apiFor(lib)
      const odd = notDigits(rng.pick(lib.books).id).map((id) => `/getBook?id=${q(id)}`)
      for (const path of ['/getBook', `/getBook?id=${rng.word(3, 6)}`, '/getBook?id=', ...odd]) {
        const res = await api.get(path)
        expect(res).toHaveStatus(400)
        expect(res).toHaveJsonBody(badParameter('invalid_parameter', 'id'))
      }
    })

    it('GET /getBooksByAuthor answers 308 to /api/v1/books?author= with the name intact', async () => {
      const lib = makeLibrary(random())
      const api = apiFor(lib)
      // The duo's name holds spaces and an `&`: it must arrive as one author, not two parameters.
      const duo = lib.authors[2]!
      const res = await api.get(`/getBooksByAuthor?author=${q(duo)}`)
      expectPermanentRedirect(res, '/api/v1/books', { author: duo })
      const followed = await follow(api, res, 'GET')
      expect(followed).toHaveStatus(200)
      expect(followed).toHaveJsonBody(byId(lib.books.filter((b) => b.author === duo)))
    })

    it('GET /getBooksByAuthor carries the other query parameters over too', async () => {
      const lib = makeLibrary(random())
      const api = apiFor(lib)
      const res = await api.get(`/getBooksByAuthor?author=${q(lib.author)}&year=${lib.year}`)
      const query = { author: lib.author, year: String(lib.year) }
      expectPermanentRedirect(res, '/api/v1/books', query)
      const followed = await follow(api, res, 'GET')
      expect(followed).toHaveStatus(200)
      const both = lib.books.filter((b) => b.author === lib.author && b.year === lib.year)
      expect(followed).toHaveJsonBody(byId(both))
    })

    it('GET /getBooksByAuthor without an author answers 400 naming author', async () => {
      const lib = makeLibrary(random())
      const api = apiFor(lib)
      for (const path of ['/getBooksByAuthor', `/getBooksByAuthor?year=${lib.year}`]) {
        const res = await api.get(path)
        expect(res).toHaveStatus(400)
        expect(res).toHaveJsonBody(badParameter('invalid_parameter', 'author'))
      }
    })

    it('GET /getBookLoans answers 308 to the hyphenated /api/v1/book-loans', async () => {
      const lib = makeLibrary(random())
      const api = apiFor(lib)
      const res = await api.get('/getBookLoans')
      expectPermanentRedirect(res, '/api/v1/book-loans')
      const followed = await follow(api, res, 'GET')
      expect(followed).toHaveStatus(200)
      expect(followed).toHaveJsonBody(byId(lib.loans))
    })
  })

  task(5, 'Retire the old write routes', () => {
    it('POST /createBook answers 308 to /api/v1/books without creating anything itself', async () => {
      const rng = random()
      const lib = makeLibrary(rng)
      const api = apiFor(lib)
      const res = await api.post('/createBook', { json: newBook(rng) })
      expectPermanentRedirect(res, '/api/v1/books')
      expect(await api.get('/api/v1/books')).toHaveJsonBody(byId(lib.books))
    })

    it('POST /createBook: repeating the POST at the new location creates the book', async () => {
      const rng = random()
      const lib = makeLibrary(rng)
      const api = apiFor(lib)
      const input = newBook(rng)
      const res = await api.post('/createBook', { json: input })
      expectPermanentRedirect(res, '/api/v1/books')
      const created = await follow(api, res, 'POST', { json: input })
      expect(created).toHaveStatus(201)
      expect(created).toHaveJsonBody({ id: expect.any(Number), ...input })
      const all = await api.get('/api/v1/books')
      expect(all).toHaveJsonBody(byId([...lib.books, created.body as Book]))
    })

    it('POST /deleteBook answers 410 Gone naming DELETE /api/v1/books/:id, and deletes nothing', async () => {
      const rng = random()
      const lib = makeLibrary(rng)
      const api = apiFor(lib)
      const book = rng.pick(lib.books)
      const res = await api.post(`/deleteBook?id=${book.id}`)
      expect(res).toHaveStatus(410)
      expect(res).toHaveJsonBody(
        expect.objectContaining({ error: 'gone', use: `DELETE /api/v1/books/${book.id}` }),
      )
      const still = await api.get(`/api/v1/books/${book.id}`)
      expect(still).toHaveStatus(200)
      expect(still).toHaveJsonBody(book)
    })
  })

  task(6, 'Redirect trailing slashes to the one URL', () => {
    it('GET with a trailing slash answers 308 to the path without it, query kept', async () => {
      const rng = random()
      const lib = makeLibrary(rng)
      const api = apiFor(lib)
      const book = rng.pick(lib.books)
      const cases: [string, string, Record<string, string>, unknown][] = [
        ['/api/v1/books/', '/api/v1/books', {}, byId(lib.books)],
        [
          `/api/v1/books/?author=${q(lib.author)}&year=${lib.year}`,
          '/api/v1/books',
          { author: lib.author, year: String(lib.year) },
          byId(lib.books.filter((b) => b.author === lib.author && b.year === lib.year)),
        ],
        [`/api/v1/books/${book.id}/`, `/api/v1/books/${book.id}`, {}, book],
        ['/api/v1/book-loans/', '/api/v1/book-loans', {}, byId(lib.loans)],
      ]
      for (const [path, target, query, body] of cases) {
        const res = await api.get(path)
        expectPermanentRedirect(res, target, query)
        const followed = await follow(api, res, 'GET')
        expect(followed).toHaveStatus(200)
        expect(followed).toHaveJsonBody(body)
      }
    })

    it('POST /api/v1/books/ answers 308, and the repeated POST creates the book', async () => {
      const rng = random()
      const lib = makeLibrary(rng)
      const api = apiFor(lib)
      const input = newBook(rng)
      const res = await api.post('/api/v1/books/', { json: input })
      expectPermanentRedirect(res, '/api/v1/books')
      expect(await api.get('/api/v1/books')).toHaveJsonBody(byId(lib.books))
      const created = await follow(api, res, 'POST', { json: input })
      expect(created).toHaveStatus(201)
      expect(created).toHaveJsonBody({ id: expect.any(Number), ...input })
    })

    it('DELETE /api/v1/books/:id/ answers 308, and the repeated DELETE removes the book', async () => {
      const rng = random()
      const lib = makeLibrary(rng)
      const api = apiFor(lib)
      const book = rng.pick(lib.books)
      const res = await api.delete(`/api/v1/books/${book.id}/`)
      expectPermanentRedirect(res, `/api/v1/books/${book.id}`)
      expect(await api.get(`/api/v1/books/${book.id}`)).toHaveStatus(200)
      const deleted = await follow(api, res, 'DELETE')
      expect(deleted).toHaveStatus(204)
      expect(await api.get(`/api/v1/books/${book.id}`)).toHaveStatus(404)
    })

    it('answers 308 for a trailing slash whatever the method, without looking the id up', async () => {
      const rng = random()
      const lib = makeLibrary(rng)
      const api = apiFor(lib)
      const book = rng.pick(lib.books)
      const missing = maxId(lib) + rng.int(1, 50)
      const cases: [string, string, string][] = [
        ['PUT', `/api/v1/books/${book.id}/`, `/api/v1/books/${book.id}`],
        ['PATCH', '/api/v1/books/', '/api/v1/books'],
        ['GET', `/api/v1/books/${missing}/`, `/api/v1/books/${missing}`],
        ['DELETE', `/api/v1/books/${missing}/`, `/api/v1/books/${missing}`],
      ]
      for (const [method, path, target] of cases) {
        expectPermanentRedirect(await api.send(method, path, { json: newBook(rng) }), target)
      }
      expect(await api.get('/api/v1/books')).toHaveJsonBody(byId(lib.books))
    })

    it('answers 404, not a redirect, for a trailing slash outside /api/v1/', async () => {
      const rng = random()
      const lib = makeLibrary(rng)
      const api = apiFor(lib)
      const id = rng.pick(lib.books).id
      for (const path of ['/getBooks/', `/getBook/?id=${id}`, '/api/v2/books/', '/api/books/']) {
        const res = await api.get(path)
        expect(res).toHaveStatus(404)
        expect(res).toHaveJsonBody(NOT_FOUND)
      }
    })
  })
})
