import { Hono } from 'hono'

export interface Options {
  name?: string
}

export function createApp(options: Options = {}) {
  const app = new Hono()
  // TODO: GET /ping answers { pong: <name> }
  return app
}
