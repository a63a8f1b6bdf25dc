// graphql-endpoint - the hidden spec.
//
// Wrong implementations this spec is built to catch:
// - resolvers that return the rows in the library's order instead of ascending id, or that copy
//   the library's data when the app is built (a rename or a new review is never seen)
// - createApp accepting a library that lacks a method, or a maxDepth of 0, -1, 2.5 or NaN
// - variables or operationName ignored; null variables/operationName refused instead of being
//   "not given"; GET not served, or its variables parameter not parsed as JSON
// - a mutation executed over GET (it must be 405, with Allow naming POST, and change nothing);
//   or a 405 for a GET whose operationName picks the query of a document that also has a mutation
// - a failing data call that fails the whole response (500, or data: null) instead of a null at
//   each field that needed it with one error per field (path, locations, extensions.code)
// - the data source's error message passed to the client (it names hosts and tables)
// - request errors without extensions.code, with a `data` key, or (with application/json) a 400;
//   `errors: []` on a success; a malformed request answered 200 or 500 instead of 400
// - addReview that stores a review for an unknown book, or for stars 0 or 6; or refuses 1 or 5
// - application/graphql-response+json ignored (always application/json), or not the default when
//   Accept is missing; request errors answered 200 under it; partial data answered 400 under it;
//   an unsupported Accept answered with a body anyway instead of 406
// - N+1: one data call per author, per book; a batch that keeps duplicate keys; a loader that
//   matches rows to keys by position (the fake answers in shuffled order, without missing keys)
// - no per-request cache: a key fetched twice in one request (review.book after book(id))
// - a cache shared by requests (stale data on the next request) or by two createApp() apps;
//   one loader for the whole app, so two concurrent requests share a data call
// - a cache not cleared by addReview, so a later `reviews` field in the same mutation is stale
// - loaders or groups kept in plain objects, so ids such as `constructor` or `__proto__` break
// - depth counted in braces (a fragment spread or an inline fragment adds a level), fragments
//   not followed at all, an off-by-one at maxDepth, __typename not counted, introspection counted,
//   only the operation that runs checked, the check made after the data calls, or a fragment
//   cycle walked forever (stack overflow, 500) instead of a validation error
import { describe, expect, it } from 'vitest'
import {
  build,
  client,
  focusOn,
  parseTokenList,
  random,
  task,
  type Client,
  type Reply,
  type Rng,
} from '../../harness/spec-kit/index.ts'
import {
  createApp,
  type AuthorRow,
  type BookRow,
  type Library,
  type ReviewInput,
  type ReviewRow,
} from '../../exercises/graphql-endpoint/app.ts'

const JSON_TYPE = 'application/json'
const RESPONSE_TYPE = 'application/graphql-response+json'

type Method = keyof Library

interface Call {
  method: Method
  keys: string[]
}

interface Data {
  authors: AuthorRow[]
  books: BookRow[]
  reviews: ReviewRow[]
}

/** The injected data source: real rows, every call recorded, answers shuffled. */
interface FakeLibrary extends Library {
  data: Data
  calls: Call[]
  /** Calls of one method. */
  callsOf(method: Method): Call[]
  /** Makes a method reject, with a message that must never reach a client. */
  fail(method: Method): string
  /** Holds calls of `method` until `count` of them are waiting, then answers them together. */
  hold(method: Method, count: number): void
}

interface Shape {
  authors: number
  books: [number, number]
  reviews: [number, number]
}

/** Distinct fixed-width ids, so any string comparison sorts them the same way. */
function ids(rng: Rng, prefix: string, count: number, digits: number): string[] {
  const seen = new Set<string>()
  while (seen.size < count)
    seen.add(`${prefix}${String(rng.int(0, 10 ** digits - 1)).padStart(digits, '0')}`)
  return rng.shuffle([...seen])
}

function capital(word: string): string {
  return word[0]!.toUpperCase() + word.slice(1)
}

function makeData(rng: Rng, shape: Shape, authorIds?: string[]): Data {
  const data: Data = { authors: [], books: [], reviews: [] }
  const aIds = authorIds ?? ids(rng, 'au-', shape.authors, 4)
  const bIds = ids(rng, 'bk-', aIds.length * shape.books[1], 4)
  const rIds = ids(rng, 'rv-', bIds.length * shape.reviews[1], 5)
  for (const id of aIds) {
    data.authors.push({ id, name: `${capital(rng.word())} ${capital(rng.word())}` })
    for (let b = rng.int(...shape.books); b > 0; b--) {
      const book = {
        id: bIds.pop()!,
        title: capital(rng.word(3, 10)),
        year: rng.int(1900, 2024),
        authorId: id,
      }
      data.books.push(book)
      for (let r = rng.int(...shape.reviews); r > 0; r--) {
        data.reviews.push({
          id: rIds.pop()!,
          bookId: book.id,
          stars: rng.int(1, 5),
          text: rng.word(5, 12),
        })
      }
    }
  }
  return data
}

function fakeLibrary(rng: Rng, data: Data): FakeLibrary {
  const calls: Call[] = []
  const failing = new Map<Method, string>()
  const holds = new Map<Method, { count: number; waiting: (() => void)[] }>()
  let nextReview = 90_000

  async function call<T>(method: Method, keys: readonly string[], answer: () => T[]): Promise<T[]> {
    calls.push({ method, keys: [...keys] })
    const hold = holds.get(method)
    if (hold) {
      await new Promise<void>((resolve) => {
        hold.waiting.push(resolve)
        if (hold.waiting.length >= hold.count) for (const go of hold.waiting.splice(0)) go()
      })
    }
    // A real data call answers on a later turn of the event loop.
    await new Promise((resolve) => setImmediate(resolve))
    const secret = failing.get(method)
    if (secret !== undefined) throw new Error(secret)
    return rng.shuffle(answer()).map((row) => ({ ...row }))
  }
  const among = (keys: readonly string[]) => {
    const wanted = new Set(keys)
    return (value: string) => wanted.has(value)
  }
  const library: FakeLibrary = {
    data,
    calls,
    callsOf: (method) => calls.filter((c) => c.method === method),
    fail: (method) => {
      const secret = `connect ECONNREFUSED ${rng.word()}-db.internal:5432 (${method})`
      failing.set(method, secret)
      return secret
    },
    hold: (method, count) => {
      holds.set(method, { count, waiting: [] })
    },
    allAuthors: () => call('allAuthors', [], () => data.authors),
    authorsById: (keys) =>
      call('authorsById', keys, () => data.authors.filter((a) => among(keys)(a.id))),
    booksById: (keys) => call('booksById', keys, () => data.books.filter((b) => among(keys)(b.id))),
    booksByAuthor: (keys) =>
      call('booksByAuthor', keys, () => data.books.filter((b) => among(keys)(b.authorId))),
    reviewsByBook: (keys) =>
      call('reviewsByBook', keys, () => data.reviews.filter((r) => among(keys)(r.bookId))),
    addReview: async (input: ReviewInput) => {
      const [row] = await call('addReview', [], () => [{ id: `rv-${++nextReview}`, ...input }])
      data.reviews.push({ ...row! })
      return row!
    },
  }
  return library
}

interface Setup {
  library: FakeLibrary
  api: Client
  data: Data
  rng: Rng
}

const SMALL: Shape = { authors: 3, books: [1, 3], reviews: [0, 3] }
const LARGE: Shape = { authors: 14, books: [2, 4], reviews: [1, 3] }

function setup(options: { shape?: Shape; data?: Data; maxDepth?: number } = {}): Setup {
  const rng = random()
  const data = options.data ?? makeData(rng, options.shape ?? SMALL)
  const library = fakeLibrary(rng, data)
  const api = client(
    build(createApp, {
      library,
      ...(options.maxDepth === undefined ? {} : { maxDepth: options.maxDepth }),
    }),
  )
  return { library, api, data, rng }
}

interface GqlRequest {
  variables?: unknown
  operationName?: unknown
  accept?: string | null
  method?: 'GET' | 'POST'
}

/** Sends a GraphQL-over-HTTP request; the Accept is application/json unless told otherwise. */
function gql(api: Client, query: unknown, request: GqlRequest = {}): Promise<Reply> {
  const accept = request.accept === undefined ? JSON_TYPE : request.accept
  const headers: Record<string, string> = accept === null ? {} : { Accept: accept }
  if (request.method === 'GET') {
    const params = new URLSearchParams()
    if (query !== undefined) params.set('query', String(query))
    if (request.variables !== undefined) params.set('variables', JSON.stringify(request.variables))
    if (request.operationName !== undefined)
      params.set('operationName', String(request.operationName))
    return api.get(`/graphql?${params}`, { headers })
  }
  const body: Record<string, unknown> = { query }
  if (request.variables !== undefined) body['variables'] = request.variables
  if (request.operationName !== undefined) body['operationName'] = request.operationName
  return api.post('/graphql', { headers, json: body })
}

function byId<T extends { id: string }>(rows: T[]): T[] {
  return [...rows].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
}

const booksOf = (data: Data, authorId: string) =>
  byId(data.books.filter((b) => b.authorId === authorId))
const reviewsOf = (data: Data, bookId: string) =>
  byId(data.reviews.filter((r) => r.bookId === bookId))
const authorOf = (data: Data, id: string) => data.authors.find((a) => a.id === id)!

/** 200, JSON, `data` as expected and no `errors` entry. */
function expectData(res: Reply, data: unknown, type = JSON_TYPE): void {
  expect(res).toHaveStatus(200)
  expectMediaType(res, type)
  expect(res).toHaveJsonBody(expect.objectContaining({ data }))
  focusOn(res)
  expect(res.body, 'a response without errors has no "errors" entry').not.toHaveProperty('errors')
}

function expectMediaType(res: Reply, type: string): void {
  const escaped = type.replace(/[+/]/g, (c) => `\\${c}`)
  expect(res).toHaveHeader('Content-Type', new RegExp(`^${escaped}\\s*(;|$)`, 'i'))
}

const anError = (code: string) =>
  expect.objectContaining({
    message: expect.any(String),
    extensions: expect.objectContaining({ code }),
  })

/** A request error: the status given, `errors` with one of that code, and no `data` entry. */
function expectRequestError(res: Reply, status: number, code: string, type = JSON_TYPE): void {
  expect(res).toHaveStatus(status)
  expectMediaType(res, type)
  expect(res).toHaveJsonBody(
    expect.objectContaining({ errors: expect.arrayContaining([anError(code)]) }),
  )
  focusOn(res)
  expect(
    res.body,
    'a request error has no "data" entry (execution never started)',
  ).not.toHaveProperty('data')
}

function expectNoCalls(library: FakeLibrary): void {
  expect(
    library.calls.map((c) => c.method),
    'no data call was made',
  ).toEqual([])
}

/** No method was asked for the same key twice in one request. */
function expectNoKeyTwice(library: FakeLibrary): void {
  for (const method of new Set(library.calls.map((c) => c.method))) {
    const keys = library.callsOf(method).flatMap((c) => c.keys)
    expect(keys.length - new Set(keys).size, `keys ${method} was asked for twice`).toBe(0)
  }
}

function countsOf(library: FakeLibrary): Record<string, number> {
  const counts: Record<string, number> = {}
  for (const { method } of library.calls) counts[method] = (counts[method] ?? 0) + 1
  return counts
}

const location = expect.objectContaining({ line: expect.any(Number), column: expect.any(Number) })

/** A chain of fields exactly `depth` deep, from author(id) down through books and author. */
function chain(authorId: string, depth: number, leaf = 'id'): string {
  if (depth === 1) return `{ ${leaf === 'id' ? '__typename' : leaf} }`
  return `{ author(id: "${authorId}") { ${inner(2, depth, leaf)} } }`
}

/** The selections from `level` down to `depth`: books at even levels, author at odd ones. */
function inner(level: number, depth: number, leaf = 'id'): string {
  if (level === depth) return leaf
  return `${level % 2 === 0 ? 'books' : 'author'} { ${inner(level + 1, depth, leaf)} }`
}

/** One author with one book: a chain of any depth stays one row wide. */
function loneAuthor(rng: Rng): Data {
  return makeData(rng, { authors: 1, books: [1, 1], reviews: [0, 0] })
}

/** What `chain(authorId, depth)` (or the same fields through fragments) answers over `loneAuthor` data. */
function chainData(data: Data, depth: number): unknown {
  if (depth === 1) return { __typename: 'Query' }
  const author = data.authors[0]!
  const book = data.books[0]!
  // The selection whose fields sit at `level`: books at even levels (on an author), author at odd
  // ones (on a book); the leaf `id` belongs to the object one level up.
  const selection = (level: number): unknown => {
    if (level === depth) return { id: level % 2 === 0 ? author.id : book.id }
    return level % 2 === 0 ? { books: [selection(level + 1)] } : { author: selection(level + 1) }
  }
  return { author: selection(2) }
}

describe('graphql-endpoint', () => {
  task(1, 'Answer queries on POST /graphql', () => {
    it('answers author(id) with exactly the fields asked for', async () => {
      const s = setup()
      const author = s.rng.pick(s.data.authors)
      const res = await gql(s.api, `{ author(id: "${author.id}") { id name } }`)
      expectData(res, { author: { id: author.id, name: author.name } })
      const named = await gql(s.api, `{ author(id: "${author.id}") { name } }`)
      expectData(named, { author: { name: author.name } })
    })

    it('answers nested fields: an author, its books and their reviews, each list by ascending id', async () => {
      const s = setup({ shape: { authors: 2, books: [3, 4], reviews: [2, 4] } })
      const author = s.rng.pick(s.data.authors)
      const res = await gql(
        s.api,
        `{ author(id: "${author.id}") { name books { id title year reviews { id stars text } } } }`,
      )
      expectData(res, {
        author: {
          name: author.name,
          books: booksOf(s.data, author.id).map((b) => ({
            id: b.id,
            title: b.title,
            year: b.year,
            reviews: reviewsOf(s.data, b.id).map(({ id, stars, text }) => ({ id, stars, text })),
          })),
        },
      })
    })

    it("lists authors by ascending id, and an author's books with books(authorId)", async () => {
      const s = setup({ shape: { authors: 5, books: [2, 4], reviews: [0, 0] } })
      const author = s.rng.pick(s.data.authors)
      const res = await gql(
        s.api,
        `{ authors { id name } books(authorId: "${author.id}") { id title } }`,
      )
      expectData(res, {
        authors: byId(s.data.authors),
        books: booksOf(s.data, author.id).map(({ id, title }) => ({ id, title })),
      })
    })

    it('answers book(id) with its author and reviews, and aliases as asked', async () => {
      const s = setup({ shape: { authors: 3, books: [2, 3], reviews: [1, 3] } })
      const [one, two] = s.rng.shuffle(s.data.books)
      const res = await gql(
        s.api,
        `{ first: book(id: "${one!.id}") { title author { name } reviews { stars } }
           second: book(id: "${two!.id}") { year author { id } } }`,
      )
      expectData(res, {
        first: {
          title: one!.title,
          author: { name: authorOf(s.data, one!.authorId).name },
          reviews: reviewsOf(s.data, one!.id).map(({ stars }) => ({ stars })),
        },
        second: { year: two!.year, author: { id: two!.authorId } },
      })
    })

    it('answers null (and no error) for an id that matches nothing, [] for an author without books', async () => {
      const s = setup()
      const res = await gql(
        s.api,
        '{ author(id: "au-nobody") { id } book(id: "bk-nothing") { id } books(authorId: "au-nobody") { id } }',
      )
      expectData(res, { author: null, book: null, books: [] })
    })

    it('reads the library on every request, like the REST API beside it', async () => {
      const s = setup()
      const author = s.rng.pick(s.data.authors)
      expectData(await gql(s.api, `{ author(id: "${author.id}") { name } }`), {
        author: { name: author.name },
      })
      author.name = `${capital(s.rng.word())} ${capital(s.rng.word())}`
      const rest = await s.api.get(`/api/authors/${author.id}`)
      expect(rest).toHaveStatus(200)
      expect(rest).toHaveJsonBody({ id: author.id, name: author.name })
      expectData(await gql(s.api, `{ author(id: "${author.id}") { name } }`), {
        author: { name: author.name },
      })
    })

    it('createApp throws a TypeError when the library is missing or lacks a method', () => {
      const rng = random()
      expect(() => createApp({} as never)).toThrow(TypeError)
      for (const method of ['allAuthors', 'booksByAuthor', 'reviewsByBook', 'addReview'] as const) {
        const library = fakeLibrary(rng, makeData(rng, SMALL)) as Partial<Library>
        delete library[method]
        expect(
          () => createApp({ library: library as Library }),
          `a library without ${method}`,
        ).toThrow(TypeError)
      }
    })
  })

  task(2, 'Variables, operation names and GET', () => {
    it('reads variables', async () => {
      const s = setup()
      const book = s.rng.pick(s.data.books)
      const res = await gql(s.api, 'query Book($id: ID!) { book(id: $id) { title } }', {
        variables: { id: book.id },
      })
      expectData(res, { book: { title: book.title } })
    })

    it('treats variables and operationName of null as not given', async () => {
      const s = setup()
      const author = s.rng.pick(s.data.authors)
      const res = await gql(s.api, `{ author(id: "${author.id}") { name } }`, {
        variables: null,
        operationName: null,
      })
      expectData(res, { author: { name: author.name } })
    })

    it('runs the operation operationName names, out of several', async () => {
      const s = setup()
      const author = s.rng.pick(s.data.authors)
      const book = s.rng.pick(s.data.books)
      const [a, b] = [`Op${capital(s.rng.word())}`, `Op${capital(s.rng.word())}X`]
      const doc = `query ${a} { author(id: "${author.id}") { name } }
                   query ${b} { book(id: "${book.id}") { title } }`
      expectData(await gql(s.api, doc, { operationName: b }), { book: { title: book.title } })
      expectData(await gql(s.api, doc, { operationName: a }), { author: { name: author.name } })
    })

    it('answers a query sent with GET, variables and operationName in the URL', async () => {
      const s = setup()
      const author = s.rng.pick(s.data.authors)
      const plain = await gql(s.api, `{ author(id: "${author.id}") { id name } }`, {
        method: 'GET',
      })
      expectData(plain, { author: { id: author.id, name: author.name } })
      const book = s.rng.pick(s.data.books)
      const doc = `query Other { authors { id } } query ByVar($id: ID!) { book(id: $id) { title year } }`
      const res = await gql(s.api, doc, {
        method: 'GET',
        variables: { id: book.id },
        operationName: 'ByVar',
      })
      expectData(res, { book: { title: book.title, year: book.year } })
    })

    it('runs the addReview mutation sent with POST', async () => {
      const s = setup()
      const book = s.rng.pick(s.data.books)
      const stars = s.rng.int(1, 5)
      const text = s.rng.word(6, 12)
      const res = await gql(
        s.api,
        `mutation Add($book: ID!, $stars: Int!, $text: String!) {
           addReview(bookId: $book, stars: $stars, text: $text) { id stars text book { id title } }
         }`,
        { variables: { book: book.id, stars, text } },
      )
      expect(res).toHaveStatus(200)
      expect(s.library.callsOf('addReview'), 'addReview was called once').toHaveLength(1)
      const stored = s.data.reviews.at(-1)!
      expectData(res, {
        addReview: { id: stored.id, stars, text, book: { id: book.id, title: book.title } },
      })
      expect(stored, 'the review was stored for the book').toMatchObject({
        bookId: book.id,
        stars,
        text,
      })
      const after = await gql(s.api, `{ book(id: "${book.id}") { reviews { id } } }`)
      expectData(after, { book: { reviews: reviewsOf(s.data, book.id).map(({ id }) => ({ id })) } })
    })

    it('refuses a mutation sent with GET: 405, Allow: POST, nothing stored', async () => {
      const s = setup()
      const book = s.rng.pick(s.data.books)
      const before = s.data.reviews.length
      const res = await gql(
        s.api,
        `mutation { addReview(bookId: "${book.id}", stars: 4, text: "great") { id } }`,
        {
          method: 'GET',
        },
      )
      expect(res).toHaveStatus(405)
      expect(res).toHaveHeader('Allow')
      focusOn(res)
      expect(
        parseTokenList(res.headers['allow']!).map((m) => m.toUpperCase()),
        'Allow names POST',
      ).toContain('POST')
      expect(s.library.callsOf('addReview'), 'addReview was never called').toEqual([])
      expect(s.data.reviews).toHaveLength(before)
    })

    it('runs the query of a document that also holds a mutation, sent with GET', async () => {
      const s = setup()
      const author = s.rng.pick(s.data.authors)
      const book = s.rng.pick(s.data.books)
      const doc = `mutation Write { addReview(bookId: "${book.id}", stars: 2, text: "meh") { id } }
                   query Read { author(id: "${author.id}") { name } }`
      const res = await gql(s.api, doc, { method: 'GET', operationName: 'Read' })
      expectData(res, { author: { name: author.name } })
      expect(s.library.callsOf('addReview')).toEqual([])
      const refused = await gql(s.api, doc, { method: 'GET', operationName: 'Write' })
      expect(refused).toHaveStatus(405)
    })
  })

  task(3, 'Report errors in the GraphQL shape', () => {
    it('answers partial data when a data call fails: null at each field, one error per field', async () => {
      const s = setup({ shape: { authors: 2, books: [2, 4], reviews: [1, 2] } })
      const author = s.rng.pick(s.data.authors)
      const secret = s.library.fail('reviewsByBook')
      const res = await gql(
        s.api,
        `{ author(id: "${author.id}") { name books { title reviews { stars } } } }`,
      )
      const books = booksOf(s.data, author.id)
      expect(res).toHaveStatus(200)
      expect(res).toHaveJsonBody(
        expect.objectContaining({
          data: {
            author: {
              name: author.name,
              books: books.map((b) => ({ title: b.title, reviews: null })),
            },
          },
          errors: expect.any(Array),
        }),
      )
      const errors = (res.body as { errors: { path: unknown[] }[] }).errors
      focusOn(res)
      expect(
        errors.map((e) => JSON.stringify(e.path)).sort(),
        'one error per failed field, with the path to it',
      ).toEqual(books.map((_, i) => JSON.stringify(['author', 'books', i, 'reviews'])).sort())
      for (const error of errors) {
        expect(error).toEqual(
          expect.objectContaining({
            message: expect.any(String),
            locations: [location],
            extensions: expect.objectContaining({ code: 'INTERNAL_SERVER_ERROR' }),
          }),
        )
      }
      expect(res.text, "the data source's error message never reaches the client").not.toContain(
        secret.split(' ')[2]!,
      )
    })

    it('keeps the other root fields when one of them fails', async () => {
      const s = setup()
      const book = s.rng.pick(s.data.books)
      s.library.fail('allAuthors')
      const res = await gql(s.api, `{ authors { id } book(id: "${book.id}") { title } }`)
      expect(res).toHaveStatus(200)
      expect(res).toHaveJsonBody(
        expect.objectContaining({
          data: { authors: null, book: { title: book.title } },
          errors: [
            expect.objectContaining({
              path: ['authors'],
              locations: [location],
              extensions: expect.objectContaining({ code: 'INTERNAL_SERVER_ERROR' }),
            }),
          ],
        }),
      )
    })

    it('answers addReview for an unknown book with NOT_FOUND and stores nothing', async () => {
      const s = setup()
      const res = await gql(
        s.api,
        'mutation { addReview(bookId: "bk-none", stars: 3, text: "fine") { id } }',
      )
      expect(res).toHaveStatus(200)
      expect(res).toHaveJsonBody(
        expect.objectContaining({
          data: { addReview: null },
          errors: [
            expect.objectContaining({
              path: ['addReview'],
              locations: [location],
              ...anErrorFields('NOT_FOUND'),
            }),
          ],
        }),
      )
      expect(s.library.callsOf('addReview'), 'addReview was never called').toEqual([])
    })

    it.each([0, 6, -2])(
      'answers addReview with stars %i with BAD_USER_INPUT and stores nothing',
      async (stars) => {
        const s = setup()
        const book = s.rng.pick(s.data.books)
        const res = await gql(
          s.api,
          `mutation { addReview(bookId: "${book.id}", stars: ${stars}, text: "x") { id } }`,
        )
        expect(res).toHaveStatus(200)
        expect(res).toHaveJsonBody(
          expect.objectContaining({
            data: { addReview: null },
            errors: [
              expect.objectContaining({ path: ['addReview'], ...anErrorFields('BAD_USER_INPUT') }),
            ],
          }),
        )
        expect(s.library.callsOf('addReview'), 'addReview was never called').toEqual([])
      },
    )

    it('accepts 1 and 5 stars', async () => {
      const s = setup()
      const book = s.rng.pick(s.data.books)
      for (const stars of [1, 5]) {
        const res = await gql(
          s.api,
          `mutation { addReview(bookId: "${book.id}", stars: ${stars}, text: "ok") { stars } }`,
        )
        expectData(res, { addReview: { stars } })
      }
    })

    it('answers a query that does not parse with GRAPHQL_PARSE_FAILED, 200, no data, no data call', async () => {
      const s = setup()
      const res = await gql(s.api, `{ authors { id name }`)
      expectRequestError(res, 200, 'GRAPHQL_PARSE_FAILED')
      expect((res.body as { errors: unknown[] }).errors[0]).toEqual(
        expect.objectContaining({ locations: [location] }),
      )
      expectNoCalls(s.library)
    })

    it.each([
      ['an unknown field', '{ authors { id email } }'],
      ['a missing argument', '{ author { name } }'],
      ['a scalar with a selection', '{ authors { name { first } } }'],
      ['an unknown fragment', '{ authors { ...Missing } }'],
    ])(
      'answers %s with GRAPHQL_VALIDATION_FAILED, 200, no data, no data call',
      async (_, query) => {
        const s = setup()
        const res = await gql(s.api, query)
        expectRequestError(res, 200, 'GRAPHQL_VALIDATION_FAILED')
        expectNoCalls(s.library)
      },
    )

    it.each([
      ['a missing required variable', {}],
      ['a variable of the wrong type', { id: { nested: true } }],
      ['a variable that is null', { id: null }],
    ])('answers %s with BAD_USER_INPUT, 200, no data, no data call', async (_, variables) => {
      const s = setup()
      const res = await gql(s.api, 'query ($id: ID!) { author(id: $id) { name } }', { variables })
      expectRequestError(res, 200, 'BAD_USER_INPUT')
      expectNoCalls(s.library)
    })

    it('answers OPERATION_RESOLUTION_FAILURE when the operation to run is unknown or not named', async () => {
      const s = setup()
      const doc = 'query One { authors { id } } query Two { authors { name } }'
      expectRequestError(await gql(s.api, doc), 200, 'OPERATION_RESOLUTION_FAILURE')
      expectRequestError(
        await gql(s.api, doc, { operationName: 'Three' }),
        200,
        'OPERATION_RESOLUTION_FAILURE',
      )
      expectNoCalls(s.library)
    })

    const malformed: [string, string][] = [
      ['a body that is not JSON', '{"query": "{ authors { id } }"'],
      ['a body that is an array', '[{"query": "{ authors { id } }"}]'],
      ['a body that is null', 'null'],
      ['no query', '{"variables": {}}'],
      ['a query that is a number', '{"query": 42}'],
      ['a query that is an object', '{"query": {"authors": true}}'],
      ['variables that are an array', '{"query": "{ authors { id } }", "variables": [7]}'],
      ['variables that are a string', '{"query": "{ authors { id } }", "variables": "{}"}'],
      ['an operationName that is a number', '{"query": "{ authors { id } }", "operationName": 3}'],
    ]
    it.each(malformed)('answers a POST with %s with 400 BAD_REQUEST', async (_, body) => {
      const s = setup()
      const res = await s.api.post('/graphql', {
        headers: { 'Content-Type': 'application/json', Accept: JSON_TYPE },
        body,
      })
      expectRequestError(res, 400, 'BAD_REQUEST')
      expectNoCalls(s.library)
    })

    it('answers a GET without query, or with variables that are not a JSON object, with 400 BAD_REQUEST', async () => {
      const s = setup()
      const headers = { Accept: JSON_TYPE }
      expectRequestError(await s.api.get('/graphql', { headers }), 400, 'BAD_REQUEST')
      const q = encodeURIComponent('query ($id: ID!) { author(id: $id) { name } }')
      expectRequestError(
        await s.api.get(`/graphql?query=${q}&variables=%7Bid`, { headers }),
        400,
        'BAD_REQUEST',
      )
      expectRequestError(
        await s.api.get(`/graphql?query=${q}&variables=%5B1%5D`, { headers }),
        400,
        'BAD_REQUEST',
      )
      expectNoCalls(s.library)
    })
  })

  task(4, 'Negotiate the media type and the status', () => {
    it('answers application/graphql-response+json when Accept names it, or when there is no Accept', async () => {
      const s = setup()
      const author = s.rng.pick(s.data.authors)
      const query = `{ author(id: "${author.id}") { name } }`
      const data = { author: { name: author.name } }
      for (const accept of [
        RESPONSE_TYPE,
        null,
        `${RESPONSE_TYPE}, ${JSON_TYPE}`,
        `${JSON_TYPE}, ${RESPONSE_TYPE}`,
      ]) {
        expectData(await gql(s.api, query, { accept }), data, RESPONSE_TYPE)
      }
      expectData(
        await gql(s.api, query, { accept: RESPONSE_TYPE, method: 'GET' }),
        data,
        RESPONSE_TYPE,
      )
    })

    it.each([
      'application/json',
      'application/json; charset=utf-8',
      '*/*',
      'application/*',
      'text/html, application/json',
    ])('answers application/json to Accept: %s', async (accept) => {
      const s = setup()
      const author = s.rng.pick(s.data.authors)
      expectData(await gql(s.api, `{ author(id: "${author.id}") { id } }`, { accept }), {
        author: { id: author.id },
      })
    })

    it('answers 406 to an Accept that allows neither media type, before any data call', async () => {
      const s = setup()
      for (const accept of ['text/html', 'text/plain, image/png', 'application/xml']) {
        const res = await gql(s.api, '{ authors { id } }', { accept })
        expect(res).toHaveStatus(406)
      }
      expectNoCalls(s.library)
    })

    it.each([
      ['a query that does not parse', '{ authors { id ', undefined, 'GRAPHQL_PARSE_FAILED'],
      [
        'a query that fails validation',
        '{ authors { id email } }',
        undefined,
        'GRAPHQL_VALIDATION_FAILED',
      ],
      ['a missing variable', 'query ($id: ID!) { author(id: $id) { id } }', {}, 'BAD_USER_INPUT'],
      [
        'two operations and no operationName',
        'query A { authors { id } } query B { authors { name } }',
        undefined,
        'OPERATION_RESOLUTION_FAILURE',
      ],
    ])(
      'answers %s with 400 under application/graphql-response+json',
      async (_, query, variables, code) => {
        const s = setup()
        const res = await gql(s.api, query, { accept: RESPONSE_TYPE, variables })
        expectRequestError(res, 400, code, RESPONSE_TYPE)
        expectNoCalls(s.library)
      },
    )

    it('answers partial data with 200 under application/graphql-response+json', async () => {
      const s = setup()
      const book = s.rng.pick(s.data.books)
      s.library.fail('reviewsByBook')
      const res = await gql(s.api, `{ book(id: "${book.id}") { title reviews { id } } }`, {
        accept: RESPONSE_TYPE,
      })
      expect(res).toHaveStatus(200)
      expectMediaType(res, RESPONSE_TYPE)
      expect(res).toHaveJsonBody(
        expect.objectContaining({
          data: { book: { title: book.title, reviews: null } },
          errors: [
            expect.objectContaining({
              path: ['book', 'reviews'],
              ...anErrorFields('INTERNAL_SERVER_ERROR'),
            }),
          ],
        }),
      )
    })

    it('answers a malformed request with 400 and a GET mutation with 405 under it too', async () => {
      const s = setup()
      const res = await s.api.post('/graphql', {
        headers: { 'Content-Type': 'application/json', Accept: RESPONSE_TYPE },
        body: '{"query": ',
      })
      expectRequestError(res, 400, 'BAD_REQUEST', RESPONSE_TYPE)
      const book = s.rng.pick(s.data.books)
      const get = await gql(
        s.api,
        `mutation { addReview(bookId: "${book.id}", stars: 5, text: "a") { id } }`,
        {
          method: 'GET',
          accept: RESPONSE_TYPE,
        },
      )
      expect(get).toHaveStatus(405)
      expect(s.library.callsOf('addReview')).toEqual([])
    })
  })

  task(5, 'Batch and cache data calls per request', () => {
    const NESTED = '{ authors { id name books { id title reviews { id stars } } } }'
    const nestedData = (data: Data) => ({
      authors: byId(data.authors).map((a) => ({
        id: a.id,
        name: a.name,
        books: booksOf(data, a.id).map((b) => ({
          id: b.id,
          title: b.title,
          reviews: reviewsOf(data, b.id).map(({ id, stars }) => ({ id, stars })),
        })),
      })),
    })

    it('answers authors { books { reviews } } with one call per level, however many rows', async () => {
      const s = setup({ shape: LARGE })
      const res = await gql(s.api, NESTED)
      expectData(res, nestedData(s.data))
      expect(countsOf(s.library), 'one allAuthors, one booksByAuthor, one reviewsByBook').toEqual({
        allAuthors: 1,
        booksByAuthor: 1,
        reviewsByBook: 1,
      })
      expectNoKeyTwice(s.library)
    })

    it('makes as many calls for one author as for many', async () => {
      const rng = random()
      const small = setup({ data: makeData(rng, { authors: 1, books: [1, 1], reviews: [1, 1] }) })
      expectData(await gql(small.api, NESTED), nestedData(small.data))
      const large = setup({ shape: LARGE })
      expectData(await gql(large.api, NESTED), nestedData(large.data))
      expect(large.library.calls.length, 'the number of calls does not grow with the data').toBe(
        small.library.calls.length,
      )
    })

    it('batches each author of a list of books into one call, each id once', async () => {
      const s = setup({ shape: { authors: 8, books: [2, 4], reviews: [1, 3] } })
      const res = await gql(
        s.api,
        '{ authors { books { author { name } reviews { book { title } } } } }',
      )
      expectData(res, {
        authors: byId(s.data.authors).map((a) => ({
          books: booksOf(s.data, a.id).map((b) => ({
            author: { name: a.name },
            reviews: reviewsOf(s.data, b.id).map(() => ({ book: { title: b.title } })),
          })),
        })),
      })
      focusOn(res)
      expect(
        s.library.callsOf('authorsById').length,
        'at most one authorsById call',
      ).toBeLessThanOrEqual(1)
      expect(
        s.library.callsOf('booksById').length,
        'at most one booksById call',
      ).toBeLessThanOrEqual(1)
      expect(s.library.calls.length, 'at most five calls in all').toBeLessThanOrEqual(5)
      expectNoKeyTwice(s.library)
    })

    it('fetches a key once per request, however often the query reaches it', async () => {
      const s = setup({ shape: { authors: 3, books: [2, 3], reviews: [2, 4] } })
      const book = s.rng.pick(s.data.books)
      const author = authorOf(s.data, book.authorId)
      const res = await gql(
        s.api,
        `{ book(id: "${book.id}") { title author { name } reviews { id book { title author { name } } } }
           again: book(id: "${book.id}") { year } }`,
      )
      expectData(res, {
        book: {
          title: book.title,
          author: { name: author.name },
          reviews: reviewsOf(s.data, book.id).map(({ id }) => ({
            id,
            book: { title: book.title, author: { name: author.name } },
          })),
        },
        again: { year: book.year },
      })
      expectNoKeyTwice(s.library)
    })

    it('matches rows to keys by id, for ids such as constructor and __proto__ too', async () => {
      const rng = random()
      const authorIds = rng.shuffle([
        'constructor',
        '__proto__',
        'toString',
        `au-${rng.int(1000, 9999)}`,
      ])
      const s = setup({
        data: makeData(rng, { authors: 0, books: [1, 3], reviews: [0, 2] }, authorIds),
      })
      const res = await gql(s.api, '{ authors { id books { id reviews { id } } } }')
      expectData(res, {
        authors: byId(s.data.authors).map((a) => ({
          id: a.id,
          books: booksOf(s.data, a.id).map((b) => ({
            id: b.id,
            reviews: reviewsOf(s.data, b.id).map(({ id }) => ({ id })),
          })),
        })),
      })
      const one = await gql(
        s.api,
        `{ a: author(id: "constructor") { id } b: author(id: "hasOwnProperty") { id }
           c: author(id: "__proto__") { id } }`,
      )
      expectData(one, { a: { id: 'constructor' }, b: null, c: { id: '__proto__' } })
    })

    it('caches within one request only: the next request reads the library again', async () => {
      const s = setup()
      const author = s.rng.pick(s.data.authors)
      const query = `{ author(id: "${author.id}") { name books { title } } }`
      expectData(await gql(s.api, query), {
        author: {
          name: author.name,
          books: booksOf(s.data, author.id).map(({ title }) => ({ title })),
        },
      })
      const first = s.library.calls.length
      author.name = `${capital(s.rng.word())} ${capital(s.rng.word())}`
      s.data.books.push({
        id: 'bk-zzzz',
        title: capital(s.rng.word()),
        year: 2025,
        authorId: author.id,
      })
      const res = await gql(s.api, query)
      expectData(res, {
        author: {
          name: author.name,
          books: booksOf(s.data, author.id).map(({ title }) => ({ title })),
        },
      })
      expect(s.library.calls.length, 'the second request made its own calls').toBe(2 * first)
    })

    it('shares nothing between two apps', async () => {
      const rng = random()
      const one = setup({ shape: SMALL })
      const ids = one.data.authors.map((a) => a.id)
      const two = setup({ data: makeData(rng, SMALL, ids) })
      const query = '{ authors { id name books { id } } }'
      expectData(await gql(one.api, query), {
        authors: byId(one.data.authors).map((a) => ({
          id: a.id,
          name: a.name,
          books: booksOf(one.data, a.id).map(({ id }) => ({ id })),
        })),
      })
      expectData(await gql(two.api, query), {
        authors: byId(two.data.authors).map((a) => ({
          id: a.id,
          name: a.name,
          books: booksOf(two.data, a.id).map(({ id }) => ({ id })),
        })),
      })
    })

    it('never serves two concurrent requests with one data call', async () => {
      const s = setup()
      // Both requests' authors are answered in the same turn, so their books are asked for
      // together: one loader for the whole app would fetch them in one call.
      s.library.hold('allAuthors', 2)
      const replies = await Promise.all([
        gql(s.api, '{ authors { books { id } } }'),
        gql(s.api, '{ authors { books { title } } }'),
      ])
      for (const res of replies) expect(res).toHaveStatus(200)
      expect(
        s.library.callsOf('booksByAuthor').length,
        'each request made its own booksByAuthor call',
      ).toBe(2)
    })

    it('sees a review that addReview stored earlier in the same request', async () => {
      const s = setup()
      const book = s.rng.pick(s.data.books)
      const res = await gql(
        s.api,
        `mutation {
           first: addReview(bookId: "${book.id}", stars: 4, text: "first") { id book { reviews { id } } }
           second: addReview(bookId: "${book.id}", stars: 2, text: "second") { id book { reviews { id } } } }`,
      )
      expect(res).toHaveStatus(200)
      const all = reviewsOf(s.data, book.id).map(({ id }) => ({ id }))
      const [a, b] = s.data.reviews.slice(-2)
      expectData(res, {
        first: { id: a!.id, book: { reviews: all.filter((r) => r.id !== b!.id) } },
        second: { id: b!.id, book: { reviews: all } },
      })
    })
  })

  task(6, 'Limit the depth of a query', () => {
    it('accepts a query exactly maxDepth deep and refuses one level more, before any data call', async () => {
      const rng = random()
      const maxDepth = rng.int(3, 7)
      const s = setup({ data: loneAuthor(rng), maxDepth })
      const id = s.data.authors[0]!.id
      expectData(await gql(s.api, chain(id, maxDepth)), chainData(s.data, maxDepth))
      s.library.calls.length = 0
      const res = await gql(s.api, chain(id, maxDepth + 1))
      expectRequestError(res, 200, 'DEPTH_LIMIT_EXCEEDED')
      expectNoCalls(s.library)
    })

    it('answers DEPTH_LIMIT_EXCEEDED with 400 under application/graphql-response+json', async () => {
      const rng = random()
      const maxDepth = rng.int(2, 5)
      const s = setup({ data: loneAuthor(rng), maxDepth })
      const res = await gql(s.api, chain(s.data.authors[0]!.id, maxDepth + 1), {
        accept: RESPONSE_TYPE,
      })
      expectRequestError(res, 400, 'DEPTH_LIMIT_EXCEEDED', RESPONSE_TYPE)
      expectNoCalls(s.library)
    })

    it('allows 10 levels when maxDepth is not given', async () => {
      const rng = random()
      const s = setup({ data: loneAuthor(rng) })
      const id = s.data.authors[0]!.id
      expectData(await gql(s.api, chain(id, 10)), chainData(s.data, 10))
      expectRequestError(await gql(s.api, chain(id, 11)), 200, 'DEPTH_LIMIT_EXCEEDED')
    })

    it('counts the fields of named fragments where they are spread, adding no level', async () => {
      const rng = random()
      const maxDepth = rng.int(4, 7)
      const s = setup({ data: loneAuthor(rng), maxDepth })
      const id = s.data.authors[0]!.id
      const spread = (depth: number) =>
        `{ author(id: "${id}") { ...Deep } } fragment Deep on Author { ${inner(2, depth)} }`
      expectData(await gql(s.api, spread(maxDepth)), chainData(s.data, maxDepth))
      expectRequestError(await gql(s.api, spread(maxDepth + 1)), 200, 'DEPTH_LIMIT_EXCEEDED')
      const nested = (depth: number) =>
        `{ author(id: "${id}") { books { ...B } } }
         fragment B on Book { author { ...A } }
         fragment A on Author { ${inner(4, depth)} }`
      expectData(await gql(s.api, nested(maxDepth)), chainData(s.data, maxDepth))
      expectRequestError(await gql(s.api, nested(maxDepth + 1)), 200, 'DEPTH_LIMIT_EXCEEDED')
    })

    it('counts the fields of inline fragments where they are, adding no level', async () => {
      const rng = random()
      const maxDepth = rng.int(3, 7)
      const s = setup({ data: loneAuthor(rng), maxDepth })
      const id = s.data.authors[0]!.id
      const inline = (depth: number) =>
        `{ author(id: "${id}") { ... on Author { ${inner(2, depth)} } } }`
      expectData(await gql(s.api, inline(maxDepth)), chainData(s.data, maxDepth))
      expectRequestError(await gql(s.api, inline(maxDepth + 1)), 200, 'DEPTH_LIMIT_EXCEEDED')
    })

    it('counts __typename like any other field', async () => {
      const rng = random()
      const maxDepth = rng.int(2, 6)
      const s = setup({ data: loneAuthor(rng), maxDepth })
      const res = await gql(s.api, chain(s.data.authors[0]!.id, maxDepth + 1, '__typename'))
      expectRequestError(res, 200, 'DEPTH_LIMIT_EXCEEDED')
      expectNoCalls(s.library)
    })

    it('does not count __schema and __type, so the schema can still be read', async () => {
      const rng = random()
      const s = setup({ data: loneAuthor(rng), maxDepth: 2 })
      const res = await gql(
        s.api,
        `{ __schema {
             queryType { name }
             types { name fields { name type { name ofType { name ofType { name } } } } } }
           __type(name: "Book") { fields { name type { kind ofType { name } } } }
           authors { id } }`,
      )
      expect(res).toHaveStatus(200)
      expect(res).toHaveJsonBody(
        expect.objectContaining({
          data: expect.objectContaining({
            __schema: expect.objectContaining({
              queryType: { name: 'Query' },
              types: expect.any(Array),
            }),
            __type: {
              fields: expect.arrayContaining([
                { name: 'title', type: { kind: 'NON_NULL', ofType: { name: 'String' } } },
              ]),
            },
            authors: [{ id: s.data.authors[0]!.id }],
          }),
        }),
      )
      focusOn(res)
      expect(res.body).not.toHaveProperty('errors')
    })

    it('checks every operation of the document, not only the one that runs', async () => {
      const rng = random()
      const maxDepth = rng.int(3, 6)
      const s = setup({ data: loneAuthor(rng), maxDepth })
      const id = s.data.authors[0]!.id
      const doc = `query Shallow { authors { id } } query Deep ${chain(id, maxDepth + 1)}`
      expectRequestError(
        await gql(s.api, doc, { operationName: 'Shallow' }),
        200,
        'DEPTH_LIMIT_EXCEEDED',
      )
      expectNoCalls(s.library)
    })

    it('refuses a mutation that is too deep, and stores nothing', async () => {
      const rng = random()
      const s = setup({ data: loneAuthor(rng), maxDepth: 4 })
      const book = s.data.books[0]!
      const res = await gql(
        s.api,
        `mutation { addReview(bookId: "${book.id}", stars: 3, text: "deep") { book { author { books { id } } } } }`,
      )
      expectRequestError(res, 200, 'DEPTH_LIMIT_EXCEEDED')
      expectNoCalls(s.library)
    })

    it('answers a fragment cycle with GRAPHQL_VALIDATION_FAILED, not an endless walk', async () => {
      const rng = random()
      const s = setup({ data: loneAuthor(rng), maxDepth: 5 })
      const res = await gql(
        s.api,
        `{ author(id: "${s.data.authors[0]!.id}") { ...A } }
         fragment A on Author { books { ...B } }
         fragment B on Book { author { ...A } }`,
      )
      expectRequestError(res, 200, 'GRAPHQL_VALIDATION_FAILED')
      expectNoCalls(s.library)
    })

    it('createApp throws a RangeError for a maxDepth that is not a whole number >= 1', () => {
      const rng = random()
      const library = fakeLibrary(rng, loneAuthor(rng))
      for (const maxDepth of [0, -1, 2.5, Number.NaN, Infinity]) {
        expect(() => createApp({ library, maxDepth }), `maxDepth ${maxDepth}`).toThrow(RangeError)
      }
      expect(() => createApp({ library, maxDepth: 1 }), 'maxDepth 1 is fine').not.toThrow()
    })

    it('accepts { __typename } and refuses any object field with maxDepth 1', async () => {
      const rng = random()
      const s = setup({ data: loneAuthor(rng), maxDepth: 1 })
      expectData(await gql(s.api, '{ __typename }'), { __typename: 'Query' })
      expectRequestError(await gql(s.api, '{ authors { id } }'), 200, 'DEPTH_LIMIT_EXCEEDED')
      expectNoCalls(s.library)
    })
  })
})

function anErrorFields(code: string) {
  return { message: expect.any(String), extensions: expect.objectContaining({ code }) }
}
