// Mutant: a 500 that is generic in `error` but adds the thrown message as `detail`
import { Hono, type Context } from 'hono'
import type { ProductsOptions } from '../../../exercises/status-codes/app.ts'

const FIELDS = ['sku', 'name', 'priceCents']

function invalidFields(body: unknown): string[] {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return [...FIELDS]
  const { sku, name, priceCents } = body as Record<string, unknown>
  const bad: string[] = []
  if (typeof sku !== 'string' || !/^[A-Z0-9-]{3,20}$/.test(sku)) bad.push('sku')
  if (typeof name !== 'string' || name.trim() === '') bad.push('name')
  if (typeof priceCents !== 'number' || !Number.isInteger(priceCents) || priceCents < 1) {
    bad.push('priceCents')
  }
  return bad
}

export function createApp(options: ProductsOptions) {
  const { repository } = options
  const app = new Hono()
  const notFound = (c: Context) => c.json({ error: 'not_found' }, 404)

  app.get('/api/products', async (c) => c.json(await repository.list()))

  app.get('/api/products/:id{[0-9]+}', async (c) => {
    const product = await repository.get(Number(c.req.param('id')))
    return product ? c.json(product) : notFound(c)
  })

  app.post('/api/products', async (c) => {
    const type = (c.req.header('content-type') ?? '').split(';')[0]!.trim().toLowerCase()
    if (type !== 'application/json') return c.json({ error: 'unsupported_media_type' }, 415)
    let body: unknown
    try {
      body = await c.req.json()
    } catch {
      return c.json({ error: 'malformed_json' }, 400)
    }
    const bad = invalidFields(body)
    if (bad.length > 0) return c.json({ error: 'validation_failed', fields: bad }, 422)
    const input = body as { sku: string; name: string; priceCents: number }
    if (await repository.findBySku(input.sku)) {
      return c.json({ error: 'sku_taken' }, 409)
    }
    const product = await repository.create({
      sku: input.sku,
      name: input.name,
      priceCents: input.priceCents,
    })
    return c.json(product, 201, { Location: `/api/products/${product.id}` })
  })

  app.delete('/api/products/:id{[0-9]+}', async (c) => {
    if (!(await repository.delete(Number(c.req.param('id'))))) return notFound(c)
    return c.body(null, 204)
  })

  app.notFound(notFound)

  app.onError((err, c) => {
    options.logError?.(err)
    return c.json({ error: 'internal_error', detail: err.message }, 500)
  })

  return app
}
