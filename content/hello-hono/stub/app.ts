import { Hono } from 'hono'

export interface HelloOptions {
  /** The word used to greet; defaults to "Hello". */
  greeting?: string
}

export function createApp(options: HelloOptions = {}) {
  const app = new Hono()

  // TODO 1: GET / answers 200 with the plain text "Hello, Hono!"

  // TODO 2: GET /hello/:name answers 200 with JSON { "message": "Hello, <name>!" }

  // TODO 3: both routes greet with options.greeting (default "Hello") instead of "Hello"

  // TODO 4: any other path answers 404 with JSON { "error": "not_found" }

  return app
}
