import { Hono } from 'hono'

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
  // TODO: throw a TypeError when options.origins contains '*' or 'null'.

  const app = new Hono()

  // TODO: /public/* is readable by any page: `Access-Control-Allow-Origin: *`, and never
  //       Access-Control-Allow-Credentials there.
  app.get('/public/status', (c) => c.json({ status: 'ok' }))

  // TODO: a CORS middleware on /api/*:
  //       - Origin exactly on the list -> Access-Control-Allow-Origin: <that origin>; otherwise
  //         no Allow-Origin at all, and the request still runs. Vary: Origin on every answer.
  //       - a preflight (OPTIONS with Access-Control-Request-Method) -> 204, no body, and for a
  //         listed origin Allow-Methods, Allow-Headers, Max-Age (from the options).
  //       - options.credentials -> Access-Control-Allow-Credentials: true for listed origins.
  //       - Access-Control-Expose-Headers: options.exposeHeaders on the real responses.

  // Done for you: a small notes API.
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
