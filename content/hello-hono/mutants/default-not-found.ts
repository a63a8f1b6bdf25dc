// Mutant: leaves Hono's plain-text 404 in place.
import { Hono } from 'hono'
import type { HelloOptions } from '../../../exercises/hello-hono/app.ts'

export function createApp(options: HelloOptions = {}) {
  const greeting = options.greeting ?? 'Hello'
  const app = new Hono()
  app.get('/', (c) => c.text(`${greeting}, Hono!`))
  app.get('/hello/:name', (c) => c.json({ message: `${greeting}, ${c.req.param('name')}!` }))
  return app
}
