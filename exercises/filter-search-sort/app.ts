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
    // TODO (task 1): answer every product ordered by id, without changing the `products` array.

    // TODO (tasks 2 and 3): keep the products that pass every filter given (AND);
    // `category=a,b` means a OR b; `q` searches name and category.

    // TODO (task 4): order the result by the `sort` keys, ties broken by the next key and finally
    // by id ascending.

    // TODO (task 5): reject any query parameter other than category, inStock, price_min,
    // price_max, q and sort, any parameter given twice, and any malformed value:
    // 400 { "error": "invalid_query", "field": <its name> }.
    return c.json({ data: products })
  })

  return app
}
