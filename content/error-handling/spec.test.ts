// error-handling - the hidden spec.
//
// Wrong implementations this spec is built to catch:
// - problems sent with c.json() as application/json instead of application/problem+json
// - a `status` member that disagrees with the HTTP status (a problem built with the right
//   `status` but sent as 200, or every error sent as 500), or `status` as a string
// - custom errors all mapped to 500 (onError knows only "something broke"), or mapped by
//   message text so a service's own NotFoundError/ConflictError/ValidationError is missed
// - a ValidationError answered without its `errors`, or with errors rebuilt from the body
//   instead of the list the error carries; a `title` that echoes the detail
// - loose body checks: an isbn of 14 digits, with hyphens or a letter, a title of tabs and
//   newlines, a null or numeric body accepted or crashing; the whole body passed to the service
// - malformed JSON left to c.req.json(), so a client mistake becomes a 500
// - an HTTPException (from a middleware) turned into a 500, or answered with its own text
//   response via getResponse(), so its status or the problem shape is lost
// - err.message, err.name or err.stack in the 500 (as detail, title or a debug member), or
//   anything from a thrown value: secrets, source paths, "Cannot read properties..."
// - Hono's default text 404 for unknown routes, or a 404 answered as plain JSON
// - a method the path does not have answered 404 (no 405), or a 405 without Allow, or with an
//   Allow that lists another path's methods too (GET, POST on both); a 405 logged as a failure
// - a thrown string, object or null skipping onError (Hono only passes Error instances to it),
//   so the Node adapter answers a bare text 500
// - no request id in the 500, a request id generated afresh in onError (body and header
//   disagree), the client's X-Request-Id ignored, or echoed without validation (spaces, 256
//   characters, empty, a slash or a dot), the generateRequestId option ignored, one id shared by
//   every request; a thrown value logged more than once, or something else than what was thrown
// - `instance` as the full URL or with the query string; `type` missing or not the one
//   documented for the error's kind
// - unexpected errors never reaching logError, logged without the request id, or 4xx client
//   errors logged as if they were failures
import { HTTPException } from 'hono/http-exception'
import type { ContentfulStatusCode } from 'hono/utils/http-status'
import { describe, expect, it } from 'vitest'
import {
  build,
  client,
  focusOn,
  parseTokenList,
  random,
  task,
  type Reply,
  type Rng,
} from '../../harness/spec-kit/index.ts'
import {
  ConflictError,
  createApp,
  NotFoundError,
  ValidationError,
  type Book,
  type BooksOptions,
  type BookService,
  type FieldError,
  type NewBook,
} from '../../exercises/error-handling/app.ts'

const ERRORS = 'https://errors.example.test'
const NOT_FOUND = `${ERRORS}/not-found`
const CONFLICT = `${ERRORS}/conflict`
const VALIDATION = `${ERRORS}/validation-failed`
const BLANK = 'about:blank'
// What a valid X-Request-Id looks like (hono's requestId middleware accepts the same).
const VALID_ID = /^[A-Za-z0-9_=-]{1,255}$/

function isbn(rng: Rng): string {
  let digits = '978'
  while (digits.length < 13) digits += String(rng.int(0, 9))
  return digits
}

function book(rng: Rng): Book {
  const title = `The ${rng.word(4, 9)} ${rng.word(3, 7)}`
  return { id: `bk-${rng.word(4, 8)}`, title, isbn: isbn(rng) }
}

function sentence(rng: Rng): string {
  return `${rng.word(3, 7)} ${rng.word(3, 7)} ${rng.word(3, 7)} ${rng.int(10, 9999)}.`
}

/** A request id a client might send: valid by the contract, different every run. */
function clientRequestId(rng: Rng): string {
  return `${rng.word(3, 6)}-${rng.int(1000, 99999)}_${rng.word(2, 5).toUpperCase()}=`
}

interface Recorder {
  created: NewBook[]
  logged: { error: unknown; requestId: string }[]
}

/** A service holding `books`; `overrides` replace its methods (to make them throw). */
function service(
  books: Book[],
  overrides: Partial<BookService> = {},
  record?: Recorder,
): BookService {
  let next = 1
  return {
    get: async (id) => books.find((b) => b.id === id),
    create: async (input) => {
      record?.created.push(input)
      return { id: `new-${next++}`, title: input.title, isbn: input.isbn }
    },
    ...overrides,
  }
}

function appWith(svc: BookService, extra: Partial<BooksOptions> = {}, record?: Recorder) {
  return build(createApp, {
    service: svc,
    logError: (error, requestId) => record?.logged.push({ error, requestId }),
    ...extra,
  })
}

const recorder = (): Recorder => ({ created: [], logged: [] })

/**
 * The RFC 9457 shape every error shares: media type, status member, type, title, instance.
 * `instance` is the expected path (or an asymmetric matcher).
 */
function expectProblem(reply: Reply, status: number, type: string, instance: unknown): void {
  expect(reply).toHaveStatus(status)
  expect(reply).toHaveHeader('content-type')
  focusOn(reply)
  const mediaType = reply.headers['content-type']!.split(';')[0]!.trim().toLowerCase()
  expect(mediaType, 'the Content-Type is application/problem+json').toBe(
    'application/problem+json',
  )
  expect(reply).toHaveJsonBody(
    expect.objectContaining({ type, title: expect.any(String), status, instance }),
  )
  const { title } = reply.body as { title: string }
  expect(title.trim() !== '', 'the title is a short summary, not empty').toBe(true)
}

interface Failure {
  /** What the service throws (or rejects with). */
  thrown: () => unknown
  /** How it is thrown: synchronously from the method, or as a rejected promise. */
  sync: boolean
  /** Strings that belong to the failure and must never reach a client. */
  secrets: string[]
}

/** An error like a database driver's: a password in the message, a stack of source paths. */
function databaseError(rng: Rng): Failure {
  const password = `pw-${rng.word(10, 14)}`
  const host = `db-${rng.word(4, 7)}.internal`
  const error = new Error(`connect ECONNREFUSED postgres://books:${password}@${host}:5432/books`)
  error.name = 'PoolConnectionError'
  error.stack = [
    `${error.name}: ${error.message}`,
    '    at Pool.connect (/srv/books/src/db/pool.ts:88:13)',
    '    at PgBookService.get (/srv/books/src/books/service.ts:41:5)',
  ].join('\n')
  const secrets = [error.message, password, host, error.name, '/srv/books']
  return { thrown: () => error, sync: false, secrets }
}

/** A real bug: reading a property of undefined, with a real stack. */
function typeError(): Failure {
  return {
    thrown: () => {
      try {
        const row = undefined as unknown as { title: string }
        return row.title
      } catch (error) {
        return error
      }
    },
    sync: true,
    secrets: ['Cannot read properties', 'TypeError', 'spec.test'],
  }
}

function thrownString(rng: Rng): Failure {
  const token = `sk_live_${rng.word(12, 16)}`
  return {
    thrown: () => `billing API refused key ${token}`,
    sync: false,
    secrets: [token, 'billing API'],
  }
}

function thrownObject(rng: Rng): Failure {
  const password = `hunter-${rng.word(6, 10)}`
  return {
    thrown: () => ({ code: 'EAUTH', user: 'books_admin', password }),
    sync: true,
    secrets: [password, 'books_admin', 'EAUTH'],
  }
}

function thrownNull(): Failure {
  return { thrown: () => null, sync: false, secrets: [] }
}

const failures: [string, (rng: Rng) => Failure][] = [
  ['an Error with a password in its message', databaseError],
  ['a TypeError from a bug', typeError],
  ['a thrown string', thrownString],
  ['a thrown plain object', thrownObject],
  ['a rejection with null', thrownNull],
  ['a rejection with undefined', () => ({ thrown: () => undefined, sync: false, secrets: [] })],
]

/** A service whose get() fails as `failure` says. */
function failingGet(failure: Failure): BookService {
  return service([], {
    get: failure.sync
      ? () => {
          throw failure.thrown()
        }
      : () => Promise.reject(failure.thrown()),
  })
}

/** Nothing of the failure in the body or the headers: no secret, no stack, no source path. */
function expectNothingRevealed(reply: Reply, failure: Failure): void {
  focusOn(reply)
  const headers = Object.entries(reply.headers)
    .map(([name, value]) => `${name}: ${value}`)
    .join('\n')
  for (const [where, text] of [
    ['body', reply.text],
    ['headers', headers],
  ] as const) {
    for (const secret of failure.secrets) {
      const why = `the 500 ${where} must not reveal anything from the error`
      expect(text.includes(secret), why).toBe(false)
    }
    const stack = /\bat \S+ \(/.test(text)
    expect(stack, `the 500 ${where} must not contain a stack trace`).toBe(false)
    expect(/\.ts\b/.test(text), `the 500 ${where} must not contain source file paths`).toBe(false)
  }
}

describe('error-handling', () => {
  task(1, 'Throw a NotFoundError', () => {
    it('GET /books/:id answers 200 with the book from the service', async () => {
      const rng = random()
      const books = [book(rng), book(rng), book(rng)]
      const wanted = rng.pick(books)
      const res = await client(appWith(service(books))).get(`/books/${wanted.id}`)
      expect(res).toHaveStatus(200)
      expect(res).toHaveJsonBody(wanted)
    })

    it('answers a book the service does not have with a 404 not-found problem', async () => {
      const rng = random()
      const path = `/books/${book(rng).id}`
      const res = await client(appWith(service([book(rng)]))).get(path)
      expectProblem(res, 404, NOT_FOUND, path)
      expect(res).toHaveJsonBody(expect.objectContaining({ detail: expect.any(String) }))
    })

    it('maps a NotFoundError thrown by the service to 404 with its detail', async () => {
      const rng = random()
      const detail = `Shelf ${rng.word()} is closed: ${sentence(rng)}`
      const path = `/books/${book(rng).id}`
      const svc = service([], { get: async () => Promise.reject(new NotFoundError(detail)) })
      const res = await client(appWith(svc)).get(path)
      expectProblem(res, 404, NOT_FOUND, path)
      expect(res).toHaveJsonBody(expect.objectContaining({ detail }))
    })

    it('gives every NotFoundError the same title, whatever its detail', async () => {
      const rng = random()
      const details = [sentence(rng), sentence(rng)]
      const titles: unknown[] = []
      for (const detail of details) {
        const svc = service([], { get: () => Promise.reject(new NotFoundError(detail)) })
        const res = await client(appWith(svc)).get(`/books/${rng.word()}`)
        expectProblem(res, 404, NOT_FOUND, expect.any(String))
        const title = (res.body as { title: unknown }).title
        const why = 'the title names the kind of problem; the detail goes in `detail`'
        expect(title, why).not.toContain(detail)
        titles.push(title)
      }
      expect(titles[1], 'a type keeps one title for every occurrence').toBe(titles[0])
    })

    it('uses the path, without the query string, as the instance', async () => {
      const rng = random()
      const path = `/books/${book(rng).id}`
      const res = await client(appWith(service([]))).get(`${path}?${rng.word()}=${rng.word()}`)
      expectProblem(res, 404, NOT_FOUND, path)
    })
  })

  task(2, 'Create a book, or say why not', () => {
    it('POST /books answers 201 with the book the service created', async () => {
      const rng = random()
      const record = recorder()
      const input = { title: book(rng).title, isbn: isbn(rng) }
      const res = await client(appWith(service([], {}, record), {}, record)).post('/books', {
        json: input,
      })
      expect(res).toHaveStatus(201)
      expect(res).toHaveJsonBody({ id: 'new-1', ...input })
      expect(record.created, 'service.create() got { title, isbn }').toEqual([input])
    })

    it('passes only title and isbn to the service, whatever else the body holds', async () => {
      const rng = random()
      const record = recorder()
      const input = { title: book(rng).title, isbn: isbn(rng) }
      const api = client(appWith(service([], {}, record), {}, record))
      const res = await api.post('/books', { json: { ...input, id: rng.word(), admin: true } })
      expect(res).toHaveStatus(201)
      expect(record.created, 'service.create() gets { title, isbn } and nothing else').toEqual([
        input,
      ])
    })

    it('maps a ConflictError thrown by the service to a 409 problem with its detail', async () => {
      const rng = random()
      const detail = `ISBN ${isbn(rng)} already belongs to ${rng.word()}.`
      const svc = service([], { create: () => Promise.reject(new ConflictError(detail)) })
      const res = await client(appWith(svc)).post('/books', {
        json: { title: book(rng).title, isbn: isbn(rng) },
      })
      expectProblem(res, 409, CONFLICT, '/books')
      expect(res).toHaveJsonBody(expect.objectContaining({ detail }))
    })

    const invalidBodies: [string, unknown, string[]][] = [
      ['the title is missing', { isbn: '9780000000001' }, ['#/title']],
      ['the title is only spaces', { title: '   ', isbn: '9780000000001' }, ['#/title']],
      ['the isbn has 12 digits', { title: 'Dune', isbn: '978000000000' }, ['#/isbn']],
      ['the isbn is a number', { title: 'Dune', isbn: 9780000000001 }, ['#/isbn']],
      ['both fields are wrong', { title: 42, isbn: 'none' }, ['#/title', '#/isbn']],
      ['the body is an array', [], ['#/title', '#/isbn']],
      ['the body is null', null, ['#/title', '#/isbn']],
      ['the body is a number', 42, ['#/title', '#/isbn']],
      ['the title is empty', { title: '', isbn: '9780000000001' }, ['#/title']],
      ['the title is only tabs and newlines', { title: '\t\n', isbn: '9780000000001' }, ['#/title']],
      ['the isbn is missing', { title: 'Dune' }, ['#/isbn']],
      ['the isbn has 14 digits', { title: 'Dune', isbn: '97800000000012' }, ['#/isbn']],
      ['the isbn has hyphens', { title: 'Dune', isbn: '978-0-441-17271' }, ['#/isbn']],
      ['the isbn has a letter', { title: 'Dune', isbn: '978000000000X' }, ['#/isbn']],
    ]

    it.each(invalidBodies)(
      'answers a 422 validation problem listing each invalid field when %s',
      async (_, body, pointers) => {
        const record = recorder()
        const res = await client(appWith(service([], {}, record), {}, record)).post('/books', {
          json: body,
        })
        expectProblem(res, 422, VALIDATION, '/books')
        expect(res).toHaveJsonBody(
          expect.objectContaining({
            errors: expect.arrayContaining(
              pointers.map((pointer) => ({ pointer, detail: expect.any(String) })),
            ),
          }),
        )
        const { errors } = res.body as { errors: FieldError[] }
        const described = errors.every((e) => typeof e.detail === 'string' && e.detail.trim() !== '')
        expect(described, 'each field error says what is wrong (a non-empty detail)').toBe(true)
        const listed = errors.map((e) => e.pointer)
        expect(listed.sort(), 'errors lists each invalid field once, and only those').toEqual(
          [...pointers].sort(),
        )
        expect(record.created, 'an invalid body never reaches the service').toEqual([])
      },
    )

    it('maps a ValidationError thrown by the service to 422 with the errors it carries', async () => {
      const rng = random()
      const errors: FieldError[] = [
        { pointer: '#/isbn', detail: `checksum ${rng.word()} does not match` },
        { pointer: `#/${rng.word()}`, detail: sentence(rng) },
      ]
      const svc = service([], { create: () => Promise.reject(new ValidationError(errors)) })
      const res = await client(appWith(svc)).post('/books', {
        json: { title: book(rng).title, isbn: isbn(rng) },
      })
      expectProblem(res, 422, VALIDATION, '/books')
      expect(res).toHaveJsonBody(expect.objectContaining({ errors }))
    })

    it('answers malformed JSON with a 400 problem, not a 500', async () => {
      const record = recorder()
      const res = await client(appWith(service([], {}, record), {}, record)).post('/books', {
        headers: { 'Content-Type': 'application/json' },
        body: '{"title": "Dune", "isbn": ',
      })
      expectProblem(res, 400, BLANK, '/books')
      expect(record.logged, 'a client mistake is not logged as a server failure').toEqual([])
    })
  })

  task(3, 'HTTPException, unknown routes and 405', () => {
    const statuses: ContentfulStatusCode[] = [400, 401, 403, 405, 413, 415, 418, 429, 503, 504]

    it('keeps the status of an HTTPException and sends its message as detail', async () => {
      const rng = random()
      for (const status of rng.shuffle(statuses).slice(0, 3)) {
        const message = sentence(rng)
        const path = `/books/${rng.word()}`
        const svc = service([], {
          get: () => Promise.reject(new HTTPException(status, { message })),
        })
        const res = await client(appWith(svc)).get(path)
        expectProblem(res, status, BLANK, path)
        expect(res).toHaveJsonBody(expect.objectContaining({ detail: message }))
      }
    })

    it('answers an unknown route with a 404 not-found problem', async () => {
      const rng = random()
      const api = client(appWith(service([])))
      for (const path of ['/', `/${rng.word()}`, `/books/${rng.word()}/${rng.word()}`]) {
        expectProblem(await api.get(path), 404, NOT_FOUND, path)
      }
      for (const [method, path] of [
        ['DELETE', `/${rng.word()}`],
        ['POST', `/books/${rng.word()}/${rng.word()}`],
        ['PUT', '/'],
      ]) {
        expectProblem(await api.send(method!, path!), 404, NOT_FOUND, path)
      }
    })

    it('answers a method the path does not have with 405 and Allow listing the methods it has', async () => {
      const rng = random()
      const record = recorder()
      const api = client(appWith(service([book(rng)], {}, record), {}, record))
      const item = `/books/${rng.word()}`
      for (const [method, path, allowed] of [
        ['DELETE', item, ['GET']],
        ['PUT', item, ['GET']],
        ['PATCH', item, ['GET']],
        ['POST', item, ['GET']],
        ['GET', '/books', ['POST']],
        ['DELETE', '/books', ['POST']],
        ['PURGE', '/books', ['POST']],
      ] as const) {
        const res = await api.send(method, path, method === 'GET' ? {} : { json: {} })
        expectProblem(res, 405, BLANK, path)
        expect(res).toHaveHeader('allow')
        focusOn(res)
        const listed = new Set(parseTokenList(res.headers['allow']))
        // HEAD rides along with GET (Hono answers HEAD on every GET route); OPTIONS is allowed too.
        listed.delete('OPTIONS')
        if (allowed.includes('GET' as never)) listed.delete('HEAD')
        expect([...listed].sort().join(', '), `Allow lists the methods of ${path}`).toBe(
          [...allowed].sort().join(', '),
        )
      }
      expect(record.created, 'a 405 never reaches the service').toEqual([])
      expect(record.logged, 'a 405 is not a server failure: nothing is logged').toEqual([])
    })
  })

  task(4, 'A 500 reveals nothing', () => {
    it.each(failures)('answers %s with a 500 problem that reveals nothing', async (_, make) => {
      const rng = random()
      const failure = make(rng)
      const path = `/books/${book(rng).id}`
      const res = await client(appWith(failingGet(failure))).get(path)
      expectProblem(res, 500, BLANK, path)
      expectNothingRevealed(res, failure)
    })

    it.each(failures)('passes %s to logError once, as the value thrown', async (_, make) => {
      const rng = random()
      const record = recorder()
      const failure = make(rng)
      const thrown = failure.thrown()
      const svc = service([], {
        get: failure.sync
          ? () => {
              throw thrown
            }
          : () => Promise.reject(thrown),
      })
      const res = await client(appWith(svc, {}, record)).get(`/books/${rng.word()}`)
      expect(res).toHaveStatus(500)
      focusOn(res)
      expect(record.logged.length, 'logError is called once for the failed request').toBe(1)
      const logged = record.logged[0]!.error
      if (thrown instanceof Error) {
        expect(logged, 'logError gets the very error that was thrown').toBe(thrown)
      } else {
        expect(
          logged === thrown || logged instanceof Error,
          'logError gets the thrown value itself, or an Error wrapping it',
        ).toBe(true)
      }
    })

    it('does not pass the expected 4xx errors to logError', async () => {
      const rng = random()
      const record = recorder()
      const svc = service([], {
        create: () => Promise.reject(new ConflictError(sentence(rng))),
      })
      const api = client(appWith(svc, {}, record))
      expect(await api.get(`/books/${rng.word()}`)).toHaveStatus(404)
      expect(await api.post('/books', { json: { title: 'Dune', isbn: isbn(rng) } })).toHaveStatus(409)
      expect(await api.post('/books', { json: { title: '' } })).toHaveStatus(422)
      expect(record.logged, 'only unexpected errors (500s) go to logError').toEqual([])
    })
  })

  task(5, 'Request ids in headers, 500s and logs', () => {
    it.each(failures)('puts the request id in the 500 for %s', async (_, make) => {
      const rng = random()
      const sent = clientRequestId(rng)
      const res = await client(appWith(failingGet(make(rng)))).get(`/books/${rng.word()}`, {
        headers: { 'X-Request-Id': sent },
      })
      expect(res).toHaveStatus(500)
      expect(res).toHaveHeader('x-request-id', sent)
      expect(res).toHaveJsonBody(expect.objectContaining({ requestId: sent }))
    })

    it('generates the request id with generateRequestId when the request has none', async () => {
      const rng = random()
      const generated = `gen-${rng.word(6, 10)}`
      const app = appWith(failingGet(databaseError(rng)), { generateRequestId: () => generated })
      const res = await client(app).get(`/books/${rng.word()}`)
      expect(res).toHaveStatus(500)
      expect(res).toHaveHeader('x-request-id', generated)
      expect(res).toHaveJsonBody(expect.objectContaining({ requestId: generated }))
    })

    const invalidIds: [string, string][] = [
      ['contains spaces', 'abc def'],
      ['contains markup', '<script>alert(1)</script>'],
      ['contains a semicolon', 'id;drop'],
      ['is 256 characters long', 'a'.repeat(256)],
      ['is empty', ''],
      ['contains a slash', 'abc/def'],
      ['contains a dot', 'abc.def'],
    ]

    it.each(invalidIds)('replaces an X-Request-Id that %s with a generated one', async (_, bad) => {
      const rng = random()
      const generated = `gen-${rng.word(6, 10)}`
      const app = appWith(failingGet(databaseError(rng)), { generateRequestId: () => generated })
      const res = await client(app).get(`/books/${rng.word()}`, { headers: { 'X-Request-Id': bad } })
      expect(res).toHaveStatus(500)
      expect(res).toHaveHeader('x-request-id', generated)
      expect(res).toHaveJsonBody(expect.objectContaining({ requestId: generated }))
    })

    it('keeps an X-Request-Id of exactly 255 characters', async () => {
      const rng = random()
      const sent = Array.from({ length: 255 }, () => rng.pick([...'abcXYZ0189_-='])).join('')
      const app = appWith(failingGet(databaseError(rng)), { generateRequestId: () => 'generated' })
      const res = await client(app).get(`/books/${rng.word()}`, { headers: { 'X-Request-Id': sent } })
      expect(res).toHaveHeader('x-request-id', sent)
      expect(res).toHaveJsonBody(expect.objectContaining({ requestId: sent }))
    })

    it('generates a different valid request id for each request by default', async () => {
      const rng = random()
      const api = client(createApp({ service: failingGet(databaseError(rng)), logError: () => {} }))
      const first = await api.get(`/books/${rng.word()}`)
      const second = await api.get(`/books/${rng.word()}`)
      for (const res of [first, second]) {
        expect(res).toHaveStatus(500)
        expect(res).toHaveHeader('x-request-id')
        const id = res.headers['x-request-id']!
        focusOn(res)
        const why = 'a generated id is 1-255 letters, digits, `_`, `-` or `=`'
        expect(VALID_ID.test(id), why).toBe(true)
        expect(res).toHaveJsonBody(expect.objectContaining({ requestId: id }))
      }
      focusOn(second)
      expect(second.headers['x-request-id'], 'each request gets its own id').not.toBe(
        first.headers['x-request-id'],
      )
    })

    it('echoes the X-Request-Id on successes, 4xx problems and unknown routes', async () => {
      const rng = random()
      const books = [book(rng)]
      const api = client(appWith(service(books)))
      const paths = [`/books/${books[0]!.id}`, `/books/${rng.word()}`, `/${rng.word()}`]
      for (const path of paths) {
        const sent = clientRequestId(rng)
        const res = await api.get(path, { headers: { 'X-Request-Id': sent } })
        expect(res).toHaveHeader('x-request-id', sent)
      }
    })

    it('echoes the X-Request-Id on a 201, a 422 and a 405 too', async () => {
      const rng = random()
      const api = client(appWith(service([])))
      const attempts: [string, string, object][] = [
        ['POST', '/books', { title: book(rng).title, isbn: isbn(rng) }],
        ['POST', '/books', { title: '' }],
        ['DELETE', `/books/${rng.word()}`, {}],
      ]
      for (const [method, path, json] of attempts) {
        const sent = clientRequestId(rng)
        const res = await api.send(method, path, { json, headers: { 'X-Request-Id': sent } })
        expect(res).toHaveHeader('x-request-id', sent)
      }
    })

    it('passes each unexpected error to logError with its request id', async () => {
      const rng = random()
      const record = recorder()
      const failure = databaseError(rng)
      const sent = clientRequestId(rng)
      const app = appWith(failingGet(failure), {}, record)
      const res = await client(app).get(`/books/${rng.word()}`, { headers: { 'X-Request-Id': sent } })
      expect(res).toHaveStatus(500)
      expect(record.logged.length, 'logError is called once for the failed request').toBe(1)
      expect(record.logged[0]!.error, 'logError gets the very error that was thrown').toBe(
        failure.thrown(),
      )
      expect(record.logged[0]!.requestId, 'logError gets the request id of the response').toBe(sent)
    })

    it('logs a thrown string with its request id too', async () => {
      const rng = random()
      const record = recorder()
      const app = appWith(failingGet(thrownString(rng)), { generateRequestId: () => 'gen-1' }, record)
      const res = await client(app).get(`/books/${rng.word()}`)
      expect(res).toHaveStatus(500)
      expect(record.logged.map((l) => l.requestId), 'logError is called once, with the id').toEqual([
        'gen-1',
      ])
    })
  })
})
