// Mutant: greets a fixed name whatever the path says.
import { Hono } from 'hono'
import type { HelloOptions } from '../../../exercises/hello-hono/app.ts'

export function createApp(options: HelloOptions = {}) {
  const greeting = options.greeting ?? 'Hello'
  const app = new Hono()
  app.get('/', (c) => c.text(`${greeting}, Hono!`))
  app.get('/hello/:name', (c) => c.json({ message: `${greeting}, World!` }))
  app.notFound((c) => c.json({ error: 'not_found' }, 404))
  return app
}
