import { Hono } from 'hono'

export interface Options {
  name?: string
}

export function createApp(options: Options = {}) {
  const app = new Hono()
  app.get('/ping', (c) => c.json({ pong: options.name ?? 'anonymous' }))
  return app
}
