import { STATUS_CODES } from 'node:http'
import { Hono, type Context } from 'hono'
import { HTTPException } from 'hono/http-exception'
import { requestId, type RequestIdVariables } from 'hono/request-id'
import type { ContentfulStatusCode } from 'hono/utils/http-status'

export interface Book {
  id: string
  title: string
  isbn: string
}

/** What a client sends to create a book. */
export interface NewBook {
  title: string
  isbn: string
}

/** Where the books live. Any method may throw or reject with anything at all. */
export interface BookService {
  /** The book, or undefined when no book has that id. */
  get(id: string): Promise<Book | undefined>
  /** Stores a new book and returns it with the id it was given. */
  create(input: NewBook): Promise<Book>
}

export interface BooksOptions {
  service: BookService
  /** Makes a request id when the request brings no valid one; defaults to crypto.randomUUID(). */
  generateRequestId?: () => string
  /** Receives each unexpected error (each 500) with its request id; defaults to console.error. */
  logError?: (error: unknown, requestId: string) => void
}

/** One invalid field of a request body: `pointer` is a JSON pointer fragment such as `#/isbn`. */
export interface FieldError {
  pointer: string
  detail: string
}

// The errors this API *expects*. Each one knows how it looks to a client: its status, a `type`
// URI a client can switch on, and a `title` that is the same for every occurrence. Their
// message is written for the client, which is what makes it safe to send as `detail`.
abstract class ApiError extends Error {
  abstract readonly status: ContentfulStatusCode
  abstract readonly type: string
  abstract readonly title: string

  /** Members a problem of this kind adds next to the standard five (RFC 9457 "extensions"). */
  extensions(): Record<string, unknown> {
    return {}
  }
}

const ERRORS = 'https://errors.example.test'

/** The thing a request asked for does not exist: 404. `detail` is safe to show the client. */
export class NotFoundError extends ApiError {
  readonly status = 404
  readonly type = `${ERRORS}/not-found`
  readonly title = 'Not Found'

  constructor(detail: string) {
    super(detail)
    this.name = 'NotFoundError'
  }
}

/** The request clashes with the current state (an ISBN already taken...): 409. */
export class ConflictError extends ApiError {
  readonly status = 409
  readonly type = `${ERRORS}/conflict`
  readonly title = 'Conflict'

  constructor(detail: string) {
    super(detail)
    this.name = 'ConflictError'
  }
}

/** Some fields of the request body are invalid: 422, with `errors` listing them. */
export class ValidationError extends ApiError {
  readonly status = 422
  readonly type = `${ERRORS}/validation-failed`
  readonly title = 'Validation Failed'
  readonly errors: FieldError[]

  constructor(errors: FieldError[]) {
    super('The request body has invalid fields.')
    this.name = 'ValidationError'
    this.errors = errors
  }

  override extensions() {
    return { errors: this.errors }
  }
}

// Hono's compose() hands only `instanceof Error` values to onError; a thrown string or object
// skips it and reaches the Node adapter, which answers a bare text 500. Wrapping keeps the one
// mapping place in charge, and keeps the original value for the log.
class NonErrorThrown extends Error {
  readonly value: unknown

  constructor(value: unknown) {
    super('A value that is not an Error was thrown')
    this.name = 'NonErrorThrown'
    this.value = value
  }
}

/**
 * Checks a POST /books body by hand: one FieldError per invalid field, none when it is valid. A
 * body that is not an object has both fields invalid.
 */
function bookErrors(body: unknown): FieldError[] {
  const fields =
    typeof body === 'object' && body !== null && !Array.isArray(body)
      ? (body as Record<string, unknown>)
      : {}
  const errors: FieldError[] = []
  if (typeof fields.title !== 'string' || fields.title.trim() === '') {
    errors.push({ pointer: '#/title', detail: 'must be a string that is not empty' })
  }
  if (typeof fields.isbn !== 'string' || !/^[0-9]{13}$/.test(fields.isbn)) {
    errors.push({ pointer: '#/isbn', detail: 'must be a string of 13 digits' })
  }
  return errors
}

/**
 * A path that exists but not for this method: 405, whose Allow header lists the methods the path
 * does have (RFC 9110, section 15.5.6). An HTTPException with a ready response: onError keeps
 * that response's headers and builds the problem body like for any other HTTPException.
 */
function methodNotAllowed(allow: string): never {
  throw new HTTPException(405, {
    message: `This path answers ${allow} only.`,
    res: new Response(null, { headers: { Allow: allow } }),
  })
}

type Env = { Variables: RequestIdVariables }

export function createApp(options: BooksOptions) {
  const { service } = options
  const generator = options.generateRequestId ?? (() => crypto.randomUUID())
  const logError =
    options.logError ?? ((error: unknown, id: string) => console.error(`[${id}]`, error))
  const app = new Hono<Env>()

  // Hono's requestId middleware does what the contract asks: it keeps a client's X-Request-Id
  // only when it is 1-255 characters of letters, digits, `_`, `-` and `=` (so nobody can inject
  // spaces, markup or a megabyte into our logs), else generates one, and sets the response
  // header. It sets the header before calling next(), so error responses carry it too.
  app.use(requestId({ generator: () => generator() }))

  // Registered after requestId, so a wrapped value still has the request id when it is mapped.
  app.use(async (_c, next) => {
    try {
      await next()
    } catch (thrown) {
      throw thrown instanceof Error ? thrown : new NonErrorThrown(thrown)
    }
  })

  app.get('/books/:id', async (c) => {
    const id = c.req.param('id')
    const book = await service.get(id)
    // Throwing instead of `return c.json({...}, 404)`: the handler says *what* went wrong and
    // the one error handler decides how that looks on the wire, the same for every route.
    if (!book) throw new NotFoundError(`No book has the id "${id}".`)
    return c.json(book)
  })

  app.post('/books', async (c) => {
    // A body that is not JSON at all is a 400: there is nothing to validate field by field.
    // Left alone, c.req.json() would throw a SyntaxError and end as a 500: a client mistake
    // reported as our fault.
    const body: unknown = await c.req.json().catch(() => {
      throw new HTTPException(400, { message: 'The request body is not valid JSON.' })
    })
    const errors = bookErrors(body)
    if (errors.length > 0) throw new ValidationError(errors)
    // Only the two fields the service takes: anything else the client sent stays out.
    const { title, isbn } = body as NewBook
    const book = await service.create({ title, isbn })
    return c.json(book, 201, { Location: `/books/${encodeURIComponent(book.id)}` })
  })

  // Registered after each path's own routes: Hono runs matching routes in order, so these only
  // answer the methods nobody else took. (HEAD rides along with GET: Hono answers it.)
  app.all('/books/:id', () => methodNotAllowed('GET, HEAD'))
  app.all('/books', () => methodNotAllowed('POST'))

  // An unknown route is a 404 like any other: same shape, same media type, same `type`.
  app.notFound((c) =>
    problem(c, {
      type: `${ERRORS}/not-found`,
      title: 'Not Found',
      status: 404,
      detail: `Nothing lives at ${c.req.path}.`,
    }),
  )

  // The ONE place where an error becomes a response. Handlers and services throw; nobody else
  // formats an error, so every error on every route has the same shape.
  app.onError((err, c) => {
    if (err instanceof ApiError) {
      return problem(c, {
        type: err.type,
        title: err.title,
        status: err.status,
        detail: err.message,
        ...err.extensions(),
      })
    }
    // Thrown on purpose by Hono or a middleware (bearerAuth's 401, timeout's 504, our 400
    // above): its status is the point, and its message was written for clients.
    if (err instanceof HTTPException) {
      const res = problem(c, {
        type: 'about:blank',
        title: STATUS_CODES[err.status] ?? 'Error',
        status: err.status,
        ...(err.message ? { detail: err.message } : {}),
      })
      // Some exceptions carry a ready response: bearerAuth's holds the WWW-Authenticate
      // challenge a 401 must have. Keep its headers; only the body is replaced.
      err.res?.headers.forEach((value, name) => {
        if (!/^content-(type|length)$/i.test(name)) res.headers.set(name, value)
      })
      return res
    }
    // Anything else is a bug or an outage. Its message may hold a connection string, its stack
    // our file layout: all of that goes to the log, keyed by the request id. The client gets the
    // same id, so a support ticket quoting it leads straight to the log line.
    const id = c.get('requestId')
    logError(err instanceof NonErrorThrown ? err.value : err, id)
    return problem(c, {
      type: 'about:blank',
      title: 'Internal Server Error',
      status: 500,
      detail: 'Something went wrong on our side. Quote the requestId if you contact us.',
      requestId: id,
    })
  })

  return app
}

interface Problem {
  type: string
  title: string
  status: ContentfulStatusCode
  detail?: string
  [extension: string]: unknown
}

/**
 * An RFC 9457 problem: the `status` member is taken from the same value as the HTTP status, so
 * they cannot disagree. `instance` is the request path, as the contract asks: it says where the
 * problem happened (the request id, in the header and in a 500's body, tells one occurrence
 * from another).
 */
function problem(c: Context, body: Problem): Response {
  return c.json({ ...body, instance: c.req.path }, body.status, {
    'Content-Type': 'application/problem+json',
  })
}
