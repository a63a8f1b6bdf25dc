import { Hono } from 'hono'

export interface PipelineOptions {
  /** The clock, in milliseconds like Date.now(). The app reads time only through it. */
  now: () => number
  /** Makes a new request id, used when a request brings no valid X-Request-Id. */
  generateId: () => string
  /** The slow part of GET /slow: takes `ms` milliseconds (the grader's version moves its clock). */
  work: (ms: number) => Promise<void>
  /** Told each step of the pipeline as it happens: "request-id:in", "handler"... Optional. */
  trace?: (event: string) => void
}

/** What the middleware hands to the handlers, typed: `c.get('requestId')` is a string. */
type Env = { Variables: { requestId: string } }

// 1-64 letters, digits, `_`, `-` or `=`: enough for a UUID or a base64url token, and nothing a
// log line or a header could be tricked with (spaces, quotes, markup, a megabyte of text).
// hono's own requestId middleware checks the same characters; its default length limit is 255.
const VALID_ID = /^[A-Za-z0-9_=-]{1,64}$/
const MAX_MS = 60_000

export function createApp(options: PipelineOptions) {
  const { now, generateId, work } = options
  const trace = options.trace ?? (() => {})
  const app = new Hono<Env>()

  // Middleware runs in the order it is registered, and every registration before the routes
  // wraps them. The request id goes first, so it is the OUTERMOST layer: it exists before
  // anything else runs, and everything inside (timing, the error layer, handlers) can use it.
  app.use(async (c, next) => {
    trace('request-id:in')
    const sent = c.req.header('X-Request-Id')
    // A client's id is kept only when it is safe to echo; otherwise it is replaced, not
    // rejected: a tracing header is never a reason to refuse a request.
    const id = sent !== undefined && VALID_ID.test(sent) ? sent : generateId()
    // Per-request data lives on the context, never in a variable shared by the app: two
    // requests in flight at once would overwrite each other's id.
    c.set('requestId', id)
    await next()
    // Set on the way out, on whatever response came back: a handler's, the not-found handler's
    // or the error layer's. (Hono turns a thrown Error into a response at the handler's own
    // layer, so `await next()` resolves normally even when a handler throws.)
    c.header('X-Request-Id', id)
    trace('request-id:out')
  })

  // Timing wraps everything below it: read the clock, let the rest of the chain run to the
  // end (`await` matters: without it we would read the clock before the handler finished),
  // read the clock again. The injected clock, not Date.now(), so a test can control time.
  app.use(async (c, next) => {
    trace('timing:in')
    const start = now()
    await next()
    c.header('X-Response-Time', `${now() - start}ms`)
    trace('timing:out')
  })

  // The error layer, innermost. When a handler throws an Error, Hono catches it right there, at
  // the handler's own layer: it stores the error on `c.error`, and its default error handler logs
  // it (console.error) and puts a plain-text 500 in `c.res`, so `await next()` here returns
  // normally. On the way out this layer looks at
  // `c.error` and replaces that response with ours. Inside timing, so its time is counted;
  // inside the request id, so it can quote the id. (A later exercise, `error-handling`, gives
  // the same job to Hono's `app.onError`.)
  app.use(async (c, next) => {
    await next()
    if (c.error) {
      trace('error')
      // The id the outer middleware stored is already here: quote it to the client so a support
      // ticket leads to the server's log line. The error's message stays on the server.
      c.res = c.json({ error: 'internal_error', requestId: c.get('requestId') }, 500)
    }
  })

  app.get('/id', (c) => {
    trace('handler')
    return c.json({ requestId: c.get('requestId') })
  })

  app.get('/slow', async (c) => {
    trace('handler')
    const raw = c.req.query('ms') ?? ''
    const ms = Number(raw)
    if (!/^[0-9]+$/.test(raw) || ms > MAX_MS) return c.json({ error: 'invalid_ms' }, 400)
    await work(ms)
    return c.json({ requestId: c.get('requestId'), ms })
  })

  app.get('/boom', (c) => {
    trace('handler')
    throw new Error(`boom on ${c.req.path}`)
  })

  // The not-found handler runs INSIDE the middleware, at the place a route handler would: so the
  // middleware's "way out" still happens for a 404, and adds its headers to it.
  app.notFound((c) => {
    trace('not-found')
    return c.json({ error: 'not_found' }, 404)
  })

  return app
}
