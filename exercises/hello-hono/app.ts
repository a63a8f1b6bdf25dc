import { Hono } from 'hono'

export interface HelloOptions {
  /** The word used to greet; defaults to "Hello". */
  greeting?: string
}

export function createApp(options: HelloOptions = {}) {
  const app = new Hono()

  // TODO: GET / answers 200 with the plain text "<greeting>, Hono!"

  // TODO: GET /hello/:name answers 200 with JSON { "message": "<greeting>, <name>!" }

  // TODO: any other path answers 404 with JSON { "error": "not_found" }

  return app
}
