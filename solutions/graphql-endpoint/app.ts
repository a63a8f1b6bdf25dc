import { Hono, type Context } from 'hono'
import {
  buildSchema,
  defaultFieldResolver,
  execute,
  getOperationAST,
  GraphQLError,
  Kind,
  parse,
  validate,
  type DocumentNode,
  type FragmentDefinitionNode,
  type GraphQLFieldResolver,
  type GraphQLFormattedError,
  type SelectionSetNode,
} from 'graphql'

export interface AuthorRow {
  id: string
  name: string
}

export interface BookRow {
  id: string
  title: string
  year: number
  authorId: string
}

export interface ReviewRow {
  id: string
  bookId: string
  stars: number
  text: string
}

export interface ReviewInput {
  bookId: string
  stars: number
  text: string
}

/**
 * Where the data lives. Every method is one data call (one round trip to a database or a
 * service); the batch methods take many keys and answer the rows they found, in no particular
 * order, leaving out keys that match nothing.
 */
export interface Library {
  allAuthors(): Promise<AuthorRow[]>
  authorsById(ids: readonly string[]): Promise<AuthorRow[]>
  booksById(ids: readonly string[]): Promise<BookRow[]>
  booksByAuthor(authorIds: readonly string[]): Promise<BookRow[]>
  reviewsByBook(bookIds: readonly string[]): Promise<ReviewRow[]>
  addReview(input: ReviewInput): Promise<ReviewRow>
}

export interface GraphqlOptions {
  library: Library
  /** The deepest query accepted (fields counted along the longest path); defaults to 10. */
  maxDepth?: number
}

export const typeDefs = /* GraphQL */ `
  type Query {
    author(id: ID!): Author
    authors: [Author!]
    book(id: ID!): Book
    books(authorId: ID!): [Book!]
  }

  type Mutation {
    addReview(bookId: ID!, stars: Int!, text: String!): Review
  }

  type Author {
    id: ID!
    name: String!
    books: [Book!]
  }

  type Book {
    id: ID!
    title: String!
    year: Int!
    author: Author
    reviews: [Review!]
  }

  type Review {
    id: ID!
    stars: Int!
    text: String!
    book: Book
  }
`

const LIBRARY_METHODS = [
  'allAuthors',
  'authorsById',
  'booksById',
  'booksByAuthor',
  'reviewsByBook',
  'addReview',
] as const

const RESPONSE_JSON = 'application/graphql-response+json'

// The schema does not depend on the options: build it once, when the module loads.
const schema = buildSchema(typeDefs)

export function createApp(options: GraphqlOptions) {
  const { library } = options ?? {}
  for (const method of LIBRARY_METHODS) {
    if (typeof library?.[method] !== 'function') {
      throw new TypeError(`options.library.${method} must be a function`)
    }
  }
  const maxDepth = options.maxDepth ?? 10
  if (!Number.isInteger(maxDepth) || maxDepth < 1) {
    throw new RangeError(`maxDepth must be a whole number >= 1, received ${maxDepth}`)
  }

  const app = new Hono()

  // The REST API over the same library: one resource per URL, one fixed shape per resource.
  app.get('/api/authors/:id', async (c) => {
    const [author] = await library.authorsById([c.req.param('id')])
    return author ? c.json(author) : c.json({ error: 'not_found' }, 404)
  })
  app.get('/api/books', async (c) => {
    const authorId = c.req.query('authorId')
    if (!authorId) return c.json({ error: 'missing_author_id' }, 400)
    return c.json(byId(await library.booksByAuthor([authorId])))
  })
  app.get('/api/books/:id', async (c) => {
    const [book] = await library.booksById([c.req.param('id')])
    return book ? c.json(book) : c.json({ error: 'not_found' }, 404)
  })
  app.get('/api/books/:id/reviews', async (c) => {
    return c.json(byId(await library.reviewsByBook([c.req.param('id')])))
  })

  // One endpoint for every query. POST carries the request as JSON; GET carries it in the URL
  // and may only read (a GET must be safe, so a mutation over GET is refused with 405).
  app.on(['GET', 'POST'], '/graphql', async (c) => {
    // Negotiate first: a client that cannot read either media type gets nothing else.
    const type = responseType(c.req.header('Accept'))
    if (!type) {
      const message = 'Accept application/graphql-response+json or application/json'
      return c.json({ errors: [{ message, extensions: { code: 'NOT_ACCEPTABLE' } }] }, 406)
    }
    const send = (body: object, status: 200 | 400 | 405) =>
      c.body(JSON.stringify(body), status, { 'Content-Type': `${type}; charset=utf-8` })
    // The status of a GraphQL error depends on the media type: `application/json` may come from
    // any proxy, so a legacy client only trusts a 200; the newer type can carry a real 400.
    const requestError = (error: GraphQLError | GraphQLError[]) =>
      send({ errors: [error].flat().map(formatError) }, type === RESPONSE_JSON ? 400 : 200)

    const params = await readParams(c)
    if (typeof params === 'string') {
      return send({ errors: [{ message: params, extensions: { code: 'BAD_REQUEST' } }] }, 400)
    }

    let document: DocumentNode
    try {
      document = parse(params.query)
    } catch (error) {
      return requestError(coded(error as GraphQLError, 'GRAPHQL_PARSE_FAILED'))
    }
    const invalid = validate(schema, document)
    if (invalid.length) {
      return requestError(invalid.map((e) => coded(e, 'GRAPHQL_VALIDATION_FAILED')))
    }
    // After validate(): the fragments exist and none spreads itself, so the walk ends.
    const depth = documentDepth(document)
    if (depth > maxDepth) {
      return requestError(
        new GraphQLError(`The query is ${depth} levels deep; the limit is ${maxDepth}`, {
          extensions: { code: 'DEPTH_LIMIT_EXCEEDED' },
        }),
      )
    }
    const operation = getOperationAST(document, params.operationName)
    if (!operation) {
      const message = params.operationName
        ? `No operation named "${params.operationName}"`
        : 'The document has several operations: name one in operationName'
      const code = 'OPERATION_RESOLUTION_FAILURE'
      return requestError(new GraphQLError(message, { extensions: { code } }))
    }
    if (c.req.method === 'GET' && operation.operation !== 'query') {
      c.header('Allow', 'POST')
      const message = 'Send mutations with POST'
      return send({ errors: [{ message, extensions: { code: 'METHOD_NOT_ALLOWED' } }] }, 405)
    }

    const result = await execute({
      schema,
      document,
      operationName: params.operationName,
      variableValues: params.variables,
      // Fresh loaders per request: batching and caching happen within one request, so no
      // request ever sees rows another one loaded (or another user was allowed to see).
      contextValue: loaders(library),
      fieldResolver,
    })
    // No `data` means execution never started: the variables did not fit their types.
    if (!('data' in result)) {
      return requestError((result.errors ?? []).map((e) => coded(e, 'BAD_USER_INPUT')))
    }
    const body: { data: unknown; errors?: GraphQLFormattedError[] } = { data: result.data }
    // `errors` only when there are some: an empty list is not allowed by the GraphQL spec.
    if (result.errors?.length) body.errors = result.errors.map(formatError)
    // Partial data is still a successful execution: 200, whatever the media type.
    return send(body, 200)
  })

  return app
}

interface Params {
  query: string
  operationName?: string
  variables?: Record<string, unknown>
}

/** The GraphQL-over-HTTP parameters, or a sentence saying why the request is not one. */
async function readParams(c: Context): Promise<Params | string> {
  let raw: Record<string, unknown>
  if (c.req.method === 'GET') {
    const variables = c.req.query('variables')
    let parsed: unknown
    if (variables) {
      try {
        parsed = JSON.parse(variables)
      } catch {
        return 'variables must be a JSON object'
      }
    }
    const name = c.req.query('operationName')
    raw = { query: c.req.query('query'), operationName: name, variables: parsed }
  } else {
    let body: unknown
    try {
      body = JSON.parse(await c.req.text())
    } catch {
      return 'The body is not JSON'
    }
    if (!isObject(body)) return 'The body must be a JSON object'
    raw = body
  }
  const { query, operationName, variables } = raw
  if (typeof query !== 'string') return 'query must be a string'
  // null means "not given" for the optional parameters, and so does an empty operation name.
  if (operationName != null && typeof operationName !== 'string') {
    return 'operationName must be a string'
  }
  if (variables != null && !isObject(variables)) return 'variables must be a JSON object'
  return {
    query,
    ...(operationName ? { operationName } : {}),
    ...(variables != null ? { variables } : {}),
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

/** The response media type for an Accept header, or undefined when neither is acceptable. */
function responseType(accept: string | undefined): string | undefined {
  // Since 2025 the draft makes the newer type the default for clients that send no Accept.
  if (!accept?.trim()) return RESPONSE_JSON
  const ranges = accept.split(',').map((part) => part.split(';')[0]!.trim().toLowerCase())
  if (ranges.includes(RESPONSE_JSON)) return RESPONSE_JSON
  if (ranges.some((r) => r === 'application/json' || r === 'application/*' || r === '*/*')) {
    return 'application/json'
  }
  return undefined
}

/**
 * A request error graphql raised (parse, validation, variables), with a code. Its message is
 * graphql's own and safe to show, so the error it wraps (e.g. a scalar's TypeError) is dropped.
 */
function coded(error: GraphQLError, code: string): GraphQLError {
  return new GraphQLError(error.message, {
    nodes: error.nodes,
    source: error.source,
    positions: error.positions,
    extensions: { ...error.extensions, code },
  })
}

/**
 * An error as the client sees it. Errors raised on purpose (a GraphQLError with a code) keep
 * their message; anything else is a bug or an outage, and its message may name hosts, tables
 * or queries, so the client gets a fixed sentence and the details stay in the server's log.
 */
function formatError(error: GraphQLError): GraphQLFormattedError {
  const original = error.originalError
  const expected = !original || (original instanceof GraphQLError && original.extensions['code'])
  const where = {
    ...(error.locations ? { locations: error.locations } : {}),
    ...(error.path ? { path: error.path } : {}),
  }
  if (!expected) {
    // A real server logs `original` here, with the request's id, for the people on call.
    const message = 'Internal server error'
    return { message, ...where, extensions: { code: 'INTERNAL_SERVER_ERROR' } }
  }
  const code = error.extensions['code'] ?? 'INTERNAL_SERVER_ERROR'
  return { message: error.message, ...where, extensions: { ...error.extensions, code } }
}

/**
 * How deep the document goes: a root field is at depth 1, a field inside its selection at 2.
 * Fragments and inline fragments add no level (their fields count where they are spread), and
 * `__schema`/`__type` are not counted, so tools can still read the schema. Every operation in
 * the document counts, not only the one that runs: the limit is a rule about the document.
 */
function documentDepth(document: DocumentNode): number {
  const fragments = new Map<string, FragmentDefinitionNode>()
  for (const d of document.definitions) {
    if (d.kind === Kind.FRAGMENT_DEFINITION) fragments.set(d.name.value, d)
  }
  const depth = (set: SelectionSetNode, level: number): number => {
    let deepest = 0
    for (const s of set.selections) {
      let d: number
      if (s.kind === Kind.FIELD) {
        if (level === 1 && (s.name.value === '__schema' || s.name.value === '__type')) continue
        d = s.selectionSet ? depth(s.selectionSet, level + 1) : level
      } else if (s.kind === Kind.INLINE_FRAGMENT) {
        d = depth(s.selectionSet, level)
      } else {
        const fragment = fragments.get(s.name.value)
        d = fragment ? depth(fragment.selectionSet, level) : 0
      }
      deepest = Math.max(deepest, d)
    }
    return deepest
  }
  let deepest = 0
  for (const d of document.definitions) {
    if (d.kind === Kind.OPERATION_DEFINITION) deepest = Math.max(deepest, depth(d.selectionSet, 1))
  }
  return deepest
}

/**
 * A per-request batcher, DataLoader's idea in a few lines: every `load(key)` made while the
 * current tick runs is queued, and one `fetch(keys)` call answers them all. graphql-js calls a
 * field's resolver for every item of a list before it awaits anything, so `authors { books }`
 * asks for the books of all authors in one tick: one call instead of one per author. The
 * promise per key is cached, so a key asked for twice is fetched once, even mid-flight.
 */
class Loader<V> {
  private readonly cache = new Map<string, Promise<V>>()
  private queue: { key: string; resolve: (v: V) => void; reject: (e: unknown) => void }[] = []

  constructor(
    private readonly fetch: (keys: string[]) => Promise<Map<string, V>>,
    private readonly missing: V,
  ) {}

  load(key: string): Promise<V> {
    const cached = this.cache.get(key)
    if (cached) return cached
    const promise = new Promise<V>((resolve, reject) => {
      this.queue.push({ key, resolve, reject })
      // setImmediate runs after every pending promise callback: by then the whole list has asked.
      if (this.queue.length === 1) setImmediate(() => this.dispatch())
    })
    this.cache.set(key, promise)
    return promise
  }

  /** Forgets a key, so the next load fetches it again (after a write changed it). */
  clear(key: string): void {
    this.cache.delete(key)
  }

  private async dispatch(): Promise<void> {
    const batch = this.queue
    this.queue = []
    try {
      const found = await this.fetch(batch.map((b) => b.key))
      for (const { key, resolve } of batch) resolve(found.has(key) ? found.get(key)! : this.missing)
    } catch (error) {
      // A failed call is not cached: a later load in this request may try again.
      for (const { key, reject } of batch) {
        this.cache.delete(key)
        reject(error)
      }
    }
  }
}

type Loaders = ReturnType<typeof loaders>

function loaders(library: Library) {
  return {
    library,
    // Rows come back in any order and without the keys that matched nothing: match them by id
    // in a Map (a plain object would take `constructor` for a key that already exists).
    authors: new Loader<AuthorRow | null>(
      async (ids) => new Map((await library.authorsById(ids)).map((a) => [a.id, a])),
      null,
    ),
    books: new Loader<BookRow | null>(
      async (ids) => new Map((await library.booksById(ids)).map((b) => [b.id, b])),
      null,
    ),
    booksByAuthor: new Loader<BookRow[]>(
      async (ids) => groupBy(await library.booksByAuthor(ids), (b) => b.authorId),
      [],
    ),
    reviewsByBook: new Loader<ReviewRow[]>(
      async (ids) => groupBy(await library.reviewsByBook(ids), (r) => r.bookId),
      [],
    ),
  }
}

function groupBy<T extends { id: string }>(rows: T[], key: (row: T) => string): Map<string, T[]> {
  const groups = new Map<string, T[]>()
  for (const row of rows) {
    const group = groups.get(key(row))
    if (group) group.push(row)
    else groups.set(key(row), [row])
  }
  for (const group of groups.values()) group.sort(compareIds)
  return groups
}

function compareIds(a: { id: string }, b: { id: string }): number {
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0
}

function byId<T extends { id: string }>(rows: T[]): T[] {
  return [...rows].sort(compareIds)
}

function userError(message: string, code: 'NOT_FOUND' | 'BAD_USER_INPUT'): GraphQLError {
  return new GraphQLError(message, { extensions: { code } })
}

type Resolver = GraphQLFieldResolver<any, Loaders, any>

// The resolvers, by type and field. Each one asks a loader, never the library directly, so
// every field of a list shares one call.
const resolvers: Record<string, Record<string, Resolver>> = {
  Query: {
    author: (_, { id }, ctx) => ctx.authors.load(id),
    authors: async (_, __, ctx) => byId(await ctx.library.allAuthors()),
    book: (_, { id }, ctx) => ctx.books.load(id),
    books: (_, { authorId }, ctx) => ctx.booksByAuthor.load(authorId),
  },
  Mutation: {
    addReview: async (_, { bookId, stars, text }: ReviewInput, ctx) => {
      if (stars < 1 || stars > 5) throw userError('stars must be from 1 to 5', 'BAD_USER_INPUT')
      if (!(await ctx.books.load(bookId))) throw userError(`No book with id ${bookId}`, 'NOT_FOUND')
      const review = await ctx.library.addReview({ bookId, stars, text })
      // This request may have loaded the book's reviews already: the cache would now be stale.
      ctx.reviewsByBook.clear(bookId)
      return review
    },
  },
  Author: {
    books: (author: AuthorRow, _, ctx) => ctx.booksByAuthor.load(author.id),
  },
  Book: {
    author: (book: BookRow, _, ctx) => ctx.authors.load(book.authorId),
    reviews: (book: BookRow, _, ctx) => ctx.reviewsByBook.load(book.id),
  },
  Review: {
    book: (review: ReviewRow, _, ctx) => ctx.books.load(review.bookId),
  },
}

const fieldResolver: Resolver = (source, args, ctx, info) => {
  const resolve = resolvers[info.parentType.name]?.[info.fieldName] ?? defaultFieldResolver
  return resolve(source, args, ctx, info)
}
