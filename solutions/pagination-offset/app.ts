import { Hono } from 'hono'
import { validator } from 'hono/validator'
import { z } from 'zod'

/** One element of the collection. */
export interface Item {
  id: number
  name: string
}

export interface PaginationOptions {
  /** The whole collection, in id order. The app reads it and never changes it. */
  items: Item[]
}

const DEFAULT_LIMIT = 20
const MAX_LIMIT = 100

// A query value is text. `Number('')` is 0, `Number('1e1')` is 10 and `parseInt('10abc')` is 10,
// so neither conversion is a validator on its own: the regex decides what an integer *looks
// like* (digits only), and only then do we convert and check the range.
const digits = z.string().regex(/^\d+$/).transform(Number)

const pageQuery = z.object({
  // Above the cap is a 400, not a silent clamp: a client that asked for 500 and got 100 would
  // believe it had everything. An error makes the rule visible the first time it is broken.
  limit: digits.pipe(z.int().min(1).max(MAX_LIMIT)).default(DEFAULT_LIMIT),
  offset: digits.pipe(z.int().min(0)).default(0),
})

/** A link to the same collection with another window; the defaults are written out too. */
function pageLink(limit: number, offset: number, rel: 'next' | 'prev'): string {
  return `</api/items?limit=${limit}&offset=${offset}>; rel="${rel}"`
}

export function createApp(options: PaginationOptions) {
  const { items } = options
  const app = new Hono()

  app.get(
    '/api/items',
    validator('query', (query, c) => {
      const parsed = pageQuery.safeParse(query)
      return parsed.success ? parsed.data : c.json({ error: 'invalid_query' }, 400)
    }),
    (c) => {
      const { limit, offset } = c.req.valid('query')
      const total = items.length

      // `slice` copies: the window is [offset, offset + limit) and the end is clamped for us, so
      // the last page is short and an offset past the end is simply an empty page, not an error.
      const data = items.slice(offset, offset + limit)

      // Links tell the client where to go instead of making it do the arithmetic. `next` only
      // when something is left: offset + limit === total means this page ended exactly at the
      // last item. `prev` clamps at 0 so a short first step back never asks for offset -3.
      const links: string[] = []
      if (offset + limit < total) links.push(pageLink(limit, offset + limit, 'next'))
      if (offset > 0) links.push(pageLink(limit, Math.max(0, offset - limit), 'prev'))
      // An empty `Link:` header is not "no links", it is a malformed one: leave it out.
      if (links.length > 0) c.header('Link', links.join(', '))

      // Echo the limit and offset actually applied (numbers, defaults filled in) so the client
      // never has to guess what the server did with a parameter it left out.
      return c.json({ data, total, limit, offset })
    },
  )

  return app
}
