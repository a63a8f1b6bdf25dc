// Mutant: takes the page with items.splice (not slice), removing it from the caller's array.
import { Hono } from 'hono'
import type { PaginationOptions } from '../../../exercises/pagination-offset/app.ts'

function readInt(value: string | undefined, fallback: number): number | undefined {
  if (value === undefined) return fallback
  if (!/^\d+$/.test(value)) return undefined
  return Number(value)
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
    return c.json({ data: items.splice(offset, limit), total, limit, offset })
  })

  return app
}
