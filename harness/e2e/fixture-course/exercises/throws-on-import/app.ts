import { Hono } from 'hono'

export interface Options {
  name?: string
}

throw new Error('database unreachable')

export function createApp(options: Options = {}) {
  const app = new Hono()
  app.get('/ping', (c) => c.json({ pong: options.name ?? 'anonymous' }))
  return app
}
