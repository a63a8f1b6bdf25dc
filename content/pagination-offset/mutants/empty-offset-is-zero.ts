// Mutant: checks Number() + Number.isInteger, so `offset=` is read as 0 (Number('') === 0).
import { Hono } from 'hono'
import type { PaginationOptions } from '../../../exercises/pagination-offset/app.ts'

function readInt(value: string | undefined, fallback: number): number | undefined {
  if (value === undefined) return fallback
  const n = Number(value)
  return Number.isInteger(n) && n >= 0 ? n : undefined
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
