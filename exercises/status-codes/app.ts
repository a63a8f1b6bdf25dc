import { Hono } from 'hono'

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

export function createApp(options: ProductsOptions) {
  const app = new Hono()

  // TODO: GET /api/products -> 200 with the JSON array from options.repository.list()

  // TODO: GET /api/products/:id -> 200 with the product, or 404 { "error": "not_found" }
  //       (an id that is not written in digits names no product: 404 too)

  // TODO: POST /api/products, checked in this order:
  //       415 { "error": "unsupported_media_type" } unless Content-Type is application/json
  //       400 { "error": "malformed_json" } when the body does not parse
  //       422 { "error": "validation_failed", "fields": [...] } listing every invalid field
  //       409 { "error": "sku_taken" } when findBySku finds a product
  //       201 with the created product and `Location: /api/products/<id>`

  // TODO: DELETE /api/products/:id -> 204 with no body, or 404 { "error": "not_found" }

  // TODO: any other path -> 404 { "error": "not_found" }

  // TODO: anything that throws (a failing repository) -> 500 { "error": "internal_error" },
  //       revealing nothing about the error; hand the error to options.logError instead

  return app
}
