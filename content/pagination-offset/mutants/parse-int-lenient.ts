// Mutant: reads limit and offset with parseInt, so "10abc" is 10 and "1.5" is 1.
import { Hono } from 'hono'
import type { PaginationOptions } from '../../../exercises/pagination-offset/app.ts'

function readInt(value: string | undefined, fallback: number): number | undefined {
  if (value === undefined) return fallback
  const n = parseInt(value, 10)
  return Number.isNaN(n) || n < 0 ? undefined : n
}

export function createApp(options: PaginationOptions) {
  const { items } = options
  const app = new Hono()

  app.get('/api/items', (c) => {
    const limit = readInt(c.req.query('limit'), 20)
    const offset = readInt(c.req.query('offset'), 0)
    if (limit === undefined || offset === undefined || limit < 1 || limit > 100) {
      return c.json({ error: 'invalid_query' }, 400)
    }
    const total = items.length
    const links: string[] = []
    if (offset + limit < total) {
      links.push(`</api/items?limit=${limit}&offset=${offset + limit}>; rel="next"`)
    }
    if (offset > 0) {
      links.push(`</api/items?limit=${limit}&offset=${Math.max(0, offset - limit)}>; rel="prev"`)
    }
    if (links.length > 0) c.header('Link', links.join(', '))
    return c.json({ data: items.slice(offset, offset + limit), total, limit, offset })
  })

  return app
}
