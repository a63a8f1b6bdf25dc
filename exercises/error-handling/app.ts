import { Hono } from 'hono'

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

/** The thing a request asked for does not exist: 404. `detail` is safe to show the client. */
export class NotFoundError extends Error {
  constructor(detail: string) {
    super(detail)
    this.name = 'NotFoundError'
    // TODO: give the error what your onError needs to build its problem (status, type, title)
  }
}

/** The request clashes with the current state (an ISBN already taken...): 409. */
export class ConflictError extends Error {
  constructor(detail: string) {
    super(detail)
    this.name = 'ConflictError'
    // TODO: as for NotFoundError
  }
}

/** Some fields of the request body are invalid: 422, with `errors` listing them. */
export class ValidationError extends Error {
  readonly errors: FieldError[]

  constructor(errors: FieldError[]) {
    super('The request body has invalid fields.')
    this.name = 'ValidationError'
    this.errors = errors
    // TODO: as for NotFoundError
  }
}

export function createApp(options: BooksOptions) {
  const app = new Hono()

  // TODO: give every request an id: the X-Request-Id it brought if that is valid, otherwise a
  // generated one. Echo it in the X-Request-Id response header of every response.

  // TODO: GET /books/:id answers 200 with the book from options.service, or throws NotFoundError

  // TODO: POST /books reads { title, isbn } (malformed JSON: 400), throws ValidationError for
  // invalid fields, then answers 201 with the book options.service.create() returns

  // TODO: a thrown value that is not an Error (a string...) must end as a 500 problem too

  // TODO: app.onError maps every error to an application/problem+json response:
  // NotFoundError 404, ConflictError 409, ValidationError 422 (with `errors`), HTTPException
  // keeps its status, anything else is 500 with the request id and nothing of the error

  // TODO: a method a path does not have (DELETE /books/:id, GET /books...) answers a 405 problem
  // with an Allow header listing that path's own methods

  // TODO: app.notFound answers unknown routes with a problem+json 404

  return app
}
