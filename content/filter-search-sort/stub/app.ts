import { Hono } from 'hono'

/** One product of the catalogue. */
export interface Product {
  id: number
  /** Words with capital initials, e.g. "Amber Kettle". Two products may share a name. */
  name: string
  /** A lower-case word, e.g. "kitchen". */
  category: string
  /** A price greater than 0, e.g. 9.99 or 1200. */
  price: number
  /** From 1 to 5 in steps of 0.5. */
  rating: number
  inStock: boolean
  /** An ISO 8601 timestamp, always in the format of Date#toISOString(). */
  createdAt: string
}

export interface CatalogueOptions {
  /** Every product, in no particular order. The app reads this array and never changes it. */
  products: Product[]
}

export function createApp(options: CatalogueOptions) {
  const { products } = options
  const app = new Hono()

  app.get('/api/products', (c) => {
    // TODO: reject any query parameter other than category, inStock, price_min, price_max, q and
    // sort, and any parameter given twice: 400 { "error": "invalid_query", "field": <its name> }.

    // TODO: parse and validate each parameter (see the README); a malformed value is a 400 that
    // names the parameter too.

    // TODO: keep the products that pass every filter given (AND); `category=a,b` means a OR b.

    // TODO: order the result by the `sort` keys, ties broken by the next key and finally by id
    // ascending, without changing the `products` array.
    return c.json({ data: products })
  })

  return app
}
