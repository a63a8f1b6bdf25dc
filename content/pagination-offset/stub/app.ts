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
    // TODO (task 1): read `limit` (default 20) and `offset` (default 0) from the query string and
    // answer { data, total, limit, offset }, where data is the window of `items` starting at
    // `offset` with at most `limit` elements, and total counts the whole collection.

    // TODO (task 2): `limit` is an integer from 1 to 100 and `offset` an integer >= 0, written
    // as digits only. Anything else answers 400 { "error": "invalid_query" }.

    // TODO (tasks 3 and 4): add a Link header with rel="next" and/or rel="prev" when there is
    // such a page, and no Link header at all when there is neither.
    return c.json({ data: items })
  })

  return app
}
