import { Hono, type Context } from 'hono'
import { buildSchema } from 'graphql'

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

// The executable schema, without resolvers yet: `execute` from 'graphql' runs a document
// against it (see the README for parse, validate and execute).
const schema = buildSchema(typeDefs)

export function createApp(options: GraphqlOptions) {
  const { library } = options ?? {}
  for (const method of LIBRARY_METHODS) {
    if (typeof library?.[method] !== 'function') {
      throw new TypeError(`options.library.${method} must be a function`)
    }
  }
  // TODO (task 6): options.maxDepth, 10 by default; a RangeError unless a whole number >= 1.

  const app = new Hono()

  // The REST API over the same library (done): one resource per URL, one shape per resource.
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

  app.post('/graphql', async (c: Context) => {
    // TODO (task 1): read { query } from the JSON body, parse, validate and execute it against
    // `schema` with resolvers that read `library`, and answer { data } as JSON.
    // TODO (task 2): variables, operationName, and GET /graphql with the same parameters in
    // the URL (a mutation over GET is a 405).
    // TODO (task 3): errors in the GraphQL shape, each with extensions.code; 400 for a request
    // that is not a GraphQL request at all.
    // TODO (task 4): application/graphql-response+json, and the status codes that go with it.
    // TODO (task 5): per-request loaders, so a query makes a fixed number of library calls.
    // TODO (task 6): refuse a query deeper than maxDepth before any library call.
    void schema
    return c.json({ errors: [{ message: 'Not implemented yet' }] }, 501)
  })

  return app
}

function byId<T extends { id: string }>(rows: T[]): T[] {
  return [...rows].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
}
