import { STATUS_CODES } from 'node:http'
import { Hono, type Context } from 'hono'
import { HTTPException } from 'hono/http-exception'
import { requestId, type RequestIdVariables } from 'hono/request-id'
import type { ContentfulStatusCode } from 'hono/utils/http-status'
import { z } from 'zod'

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

const NewBookInput = z.object({
  title: z.string().refine((title) => title.trim() !== '', 'must not be empty'),
  isbn: z.string().regex(/^[0-9]{13}$/, 'must be 13 digits'),
})

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
    const parsed = NewBookInput.safeParse(body)
    if (!parsed.success) throw new ValidationError(fieldErrors(parsed.error))
    const book = await service.create({ title: parsed.data.title, isbn: parsed.data.isbn })
    return c.json(book, 201, { Location: `/books/${encodeURIComponent(book.id)}` })
  })

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
 * they cannot disagree, and `instance` names this occurrence by its path.
 */
function problem(c: Context, body: Problem): Response {
  return c.json({ ...body, instance: c.req.path }, body.status, {
    'Content-Type': 'application/problem+json',
  })
}

/** One entry per invalid field; a body that is not an object has both fields invalid. */
function fieldErrors(error: z.ZodError): FieldError[] {
  const byField = new Map<string, string>()
  for (const issue of error.issues) {
    const field = issue.path[0]
    if (typeof field === 'string') {
      if (!byField.has(field)) byField.set(field, issue.message)
    } else {
      for (const name of ['title', 'isbn']) byField.set(name, 'is required')
    }
  }
  return [...byField].map(([field, detail]) => ({ pointer: `#/${field}`, detail }))
}
