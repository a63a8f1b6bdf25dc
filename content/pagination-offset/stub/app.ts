import { Hono } from 'hono'

/** One element of the collection. */
export interface Item {
  id: number
  name: string
}

export interface PaginationOptions {
  /** The whole collection, in id order. The app reads it and never changes it. */
  items: Item[]
}

export function createApp(options: PaginationOptions) {
  const { items } = options
  const app = new Hono()

  app.get('/api/items', (c) => {
    // TODO: read `limit` (default 20, an integer from 1 to 100) and `offset` (default 0, an
    // integer >= 0) from the query string. Anything else answers 400 { "error": "invalid_query" }.

    // TODO: answer { data, total, limit, offset }, where data is the window of `items`
    // starting at `offset` with at most `limit` elements, and total counts the whole collection.

    // TODO: add a Link header with rel="next" and/or rel="prev" when there is such a page.
    return c.json({ data: items })
  })

  return app
}
