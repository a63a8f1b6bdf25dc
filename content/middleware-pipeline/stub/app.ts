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

export function createApp(options: PipelineOptions) {
  const trace = options.trace ?? (() => {})
  const app = new Hono<Env>()

  // TODO: middleware 1, the outermost: the request id.
  //   trace 'request-id:in'; keep a valid X-Request-Id (see the README) or make one with
  //   options.generateId(); store it for the handlers; let the rest run; put the id on the
  //   response's X-Request-Id header; trace 'request-id:out'.

  // TODO: middleware 2: the response time.
  //   trace 'timing:in'; read options.now(); let the rest run; read options.now() again;
  //   set X-Response-Time to "<difference>ms"; trace 'timing:out'.

  // TODO: middleware 3, the innermost: the error layer.
  //   let the rest run; when a handler threw an Error, Hono has put it on c.error: then trace
  //   'error' and replace the response (c.res = ...) with 500 { error: 'internal_error', requestId }.

  app.get('/id', (c) => {
    trace('handler')
    // TODO: answer { requestId } with the id the middleware stored
    return c.json({ requestId: '' })
  })

  app.get('/slow', async (c) => {
    trace('handler')
    // TODO: read ?ms=N (a whole number from 0 to 60000, else 400 { error: 'invalid_ms' }),
    //   await options.work(N), answer { requestId, ms: N }
    return c.json({ requestId: '', ms: 0 })
  })

  app.get('/boom', () => {
    trace('handler')
    throw new Error('boom')
  })

  // TODO: unknown paths: trace 'not-found', answer 404 { error: 'not_found' }

  return app
}
