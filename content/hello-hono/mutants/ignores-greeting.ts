// Mutant: always says "Hello", whatever greeting the factory was given.
import { Hono } from 'hono'
import type { HelloOptions } from '../../../exercises/hello-hono/app.ts'

export function createApp(_options: HelloOptions = {}) {
  const app = new Hono()
  app.get('/', (c) => c.text('Hello, Hono!'))
  app.get('/hello/:name', (c) => c.json({ message: `Hello, ${c.req.param('name')}!` }))
  app.notFound((c) => c.json({ error: 'not_found' }, 404))
  return app
}
