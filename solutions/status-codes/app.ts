import { Hono, type Context } from 'hono'

export interface Product {
  id: number
  sku: string
  name: string
  priceCents: number
}

/** What a client sends to create a product: everything but the id the repository assigns. */
export type NewProduct = Omit<Product, 'id'>

/** Where the products live (a database in real life). Any method may fail by rejecting. */
export interface ProductRepository {
  list(): Promise<Product[]>
  get(id: number): Promise<Product | undefined>
  findBySku(sku: string): Promise<Product | undefined>
  /** Stores a new product and returns it with the id it was given. */
  create(input: NewProduct): Promise<Product>
  /** Removes the product; false when no product had that id. */
  delete(id: number): Promise<boolean>
}

export interface ProductsOptions {
  repository: ProductRepository
  /** Receives whatever a request threw, for the server's own logs; defaults to console.error. */
  logError?: (error: unknown) => void
}

const FIELDS = ['sku', 'name', 'priceCents'] as const

const COLLECTION = '/api/products'
// Digits only: `/api/products/abc` and `/api/products/3x` name nothing, so they match no route
// and end in the JSON 404 without bothering the repository.
const ITEM = '/api/products/:id{[0-9]+}'

type Body = { ok: true; value: unknown } | { ok: false }
type Handler = (c: Context) => Promise<Response>

export function createApp(options: ProductsOptions) {
  const { repository } = options
  const logError = options.logError ?? ((error: unknown) => console.error(error))
  const app = new Hono()

  const notFound = (c: Context) => c.json({ error: 'not_found' }, 404)

  // Whatever a handler did not expect lands here: a repository that is down, a bug. The details
  // (message, stack, connection strings) go to the server's log, where the people who can fix
  // it look; the client gets a fixed code it can act on ("try again later") and nothing an
  // attacker could use. Never `c.json({ error: err.message })`.
  const guarded =
    (handler: Handler): Handler =>
    async (c) => {
      try {
        return await handler(c)
      } catch (error) {
        logError(error)
        return c.json({ error: 'internal_error' }, 500)
      }
    }

  // The checks run from the most basic to the most specific, and each answers a different
  // question for the client: 415 "I cannot read that format at all", 400 "it claims to be JSON
  // but is not", 422 "it is JSON, but these fields are wrong", 409 "it is valid, but clashes
  // with what is already here". Each one tells the client what to fix, so they must not blur.
  app.post(
    COLLECTION,
    guarded(async (c) => {
      // Compare the media type only: `application/json; charset=utf-8` is JSON, and media types
      // are case-insensitive. `startsWith('application/json')` would let `application/json-seq`
      // through; a missing header is not JSON either.
      const mediaType = c.req.header('content-type')?.split(';')[0]?.trim().toLowerCase()
      if (mediaType !== 'application/json') {
        return c.json({ error: 'unsupported_media_type' }, 415)
      }

      const body: Body = await c.req.json().then(
        (value: unknown) => ({ ok: true as const, value }),
        () => ({ ok: false as const }),
      )
      if (!body.ok) return c.json({ error: 'malformed_json' }, 400)

      const bad = invalidFields(body.value)
      if (bad.length > 0) return c.json({ error: 'validation_failed', fields: bad }, 422)

      // 409 Conflict: nothing is wrong with the request on its own; it clashes with the current
      // state of the server. The same body may well succeed later (after a DELETE).
      const input = body.value as NewProduct
      if (await repository.findBySku(input.sku)) return c.json({ error: 'sku_taken' }, 409)

      // Only the three fields: whatever else the client sent stays out of the database.
      const product = await repository.create({
        sku: input.sku,
        name: input.name,
        priceCents: input.priceCents,
      })
      // 201 Created + Location: a new resource exists now, and this is its URL.
      return c.json(product, 201, { Location: `${COLLECTION}/${product.id}` })
    }),
  )

  app.get(COLLECTION, guarded(async (c) => c.json(await repository.list())))

  app.get(
    ITEM,
    guarded(async (c) => {
      const product = await repository.get(Number(c.req.param('id')))
      return product ? c.json(product) : notFound(c)
    }),
  )

  // 204 No Content: it worked, and there is nothing to send back.
  app.delete(
    ITEM,
    guarded(async (c) => {
      if (!(await repository.delete(Number(c.req.param('id'))))) return notFound(c)
      return c.body(null, 204)
    }),
  )

  app.notFound(notFound)

  return app
}

/**
 * Every invalid field, not just the first: a client fixing its form wants the whole list in one
 * round trip. A body that is not an object (an array, null, 42) gets every field.
 */
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
