import { Hono, type Context } from 'hono'
import { createMiddleware } from 'hono/factory'

export interface CorsOptions {
  /** Origins whose pages may read /api responses, spelled as browsers send them. */
  origins: string[]
  /** Methods a preflight may ask for. */
  allowMethods: string[]
  /** Request headers a preflight may ask for. */
  allowHeaders: string[]
  /** Response headers a page's script may read. */
  exposeHeaders: string[]
  /** Seconds a browser may cache a preflight answer. */
  maxAge: number
  /** Whether allowed origins may send cookies and read the answers to credentialed requests. */
  credentials: boolean
}

interface Note {
  id: string
  text: string
}

export function createApp(options: CorsOptions) {
  // Validate the configuration once, when the app is built. `*` and `null` are not origins a
  // credentialed API can trust: `*` with credentials is refused by browsers anyway, and `null` is
  // what sandboxed iframes, file:// pages and redirects send, so any attacker can produce it.
  for (const origin of options.origins) {
    if (origin === '*' || origin.toLowerCase() === 'null') {
      throw new TypeError(`createApp: ${JSON.stringify(origin)} cannot be an allowed origin`)
    }
  }
  // A Set of the exact strings: `Origin` is compared whole, never by prefix, suffix or substring,
  // and never normalised (browsers already send the one canonical spelling).
  const allowed = new Set(options.origins)
  const methods = options.allowMethods.map((m) => m.toUpperCase())
  const headers = options.allowHeaders.map((h) => h.toLowerCase())
  const maxAge = String(options.maxAge)

  /** The request's Origin if it is on the list, else undefined. */
  const allowedOrigin = (c: Context) => {
    const origin = c.req.header('Origin')
    return origin !== undefined && allowed.has(origin) ? origin : undefined
  }

  const cors = createMiddleware(async (c, next) => {
    const origin = allowedOrigin(c)
    const requestedMethod = c.req.header('Access-Control-Request-Method')
    // A preflight is an OPTIONS request that names the method it asks about. It is a question
    // the browser asks before the real request; the routes never see it.
    if (c.req.method === 'OPTIONS' && requestedMethod !== undefined) {
      const res = c.body(null, 204)
      // The answer depends on Origin, so caches must key on it, whatever the answer is.
      res.headers.append('Vary', 'Origin')
      if (origin === undefined) return res // no grant: the browser blocks the real request
      res.headers.set('Access-Control-Allow-Origin', origin)
      if (options.credentials) res.headers.set('Access-Control-Allow-Credentials', 'true')
      // Name what is allowed, never echo what was asked for: the browser compares the request
      // against these lists and refuses anything missing from them.
      res.headers.set('Access-Control-Allow-Methods', methods.join(', '))
      res.headers.set('Access-Control-Allow-Headers', headers.join(', '))
      res.headers.set('Access-Control-Max-Age', maxAge)
      return res
    }

    // CORS is not access control: a request from any origin runs as usual. Only the browser's
    // decision to let the calling page *read* the answer depends on the headers below.
    await next()
    c.res.headers.append('Vary', 'Origin')
    if (origin === undefined) return
    c.res.headers.set('Access-Control-Allow-Origin', origin)
    if (options.credentials) c.res.headers.set('Access-Control-Allow-Credentials', 'true')
    if (options.exposeHeaders.length > 0) {
      c.res.headers.set('Access-Control-Expose-Headers', options.exposeHeaders.join(', '))
    }
  })

  const app = new Hono()

  // Public, read-only data that carries nothing personal: any page may read it. `*` is only
  // honoured by browsers for requests without credentials, so never pair it with
  // Access-Control-Allow-Credentials.
  app.use('/public/*', async (c, next) => {
    await next()
    c.res.headers.set('Access-Control-Allow-Origin', '*')
  })
  app.get('/public/status', (c) => c.json({ status: 'ok' }))

  app.use('/api/*', cors)

  const notes = new Map<string, Note>()
  let nextId = 1
  app.get('/api/notes', (c) => {
    c.header('X-Total-Count', String(notes.size))
    return c.json({ notes: [...notes.values()] })
  })
  app.post('/api/notes', async (c) => {
    const body = await c.req.json().catch(() => null)
    if (typeof body?.text !== 'string') return c.json({ error: 'text is required' }, 400)
    const note = { id: String(nextId++), text: body.text }
    notes.set(note.id, note)
    c.header('X-Request-Id', crypto.randomUUID())
    return c.json(note, 201)
  })
  app.delete('/api/notes/:id', (c) => {
    if (!notes.delete(c.req.param('id'))) return c.json({ error: 'not_found' }, 404)
    return c.body(null, 204)
  })

  return app
}
