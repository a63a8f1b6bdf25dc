import { Hono } from 'hono'

export interface HelloOptions {
  /** The word used to greet; defaults to "Hello". */
  greeting?: string
}

// A factory instead of a module-level `app`: every caller (a spec, a server, a second
// instance behind a load balancer) gets its own app configured by its own options.
export function createApp(options: HelloOptions = {}) {
  const greeting = options.greeting ?? 'Hello'
  const app = new Hono()

  // c.text sets `Content-Type: text/plain; charset=UTF-8`: the representation matches the data.
  app.get('/', (c) => c.text(`${greeting}, Hono!`))

  // Route parameters arrive already percent-decoded ("Ada%20Lovelace" -> "Ada Lovelace").
  app.get('/hello/:name', (c) => c.json({ message: `${greeting}, ${c.req.param('name')}!` }))

  // Hono's default 404 is plain text; an API answers in the format its clients parse.
  app.notFound((c) => c.json({ error: 'not_found' }, 404))

  return app
}
