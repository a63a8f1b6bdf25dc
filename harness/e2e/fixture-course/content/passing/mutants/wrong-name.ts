// Mutant: ignores the name option.
import { Hono } from 'hono'
import type { Options } from '../../../exercises/passing/app.ts'

export function createApp(_options: Options = {}) {
  const app = new Hono()
  app.get('/ping', (c) => c.json({ pong: 'anonymous' }))
  return app
}
