import { Hono } from 'hono'

/** One product: the resource. JSON, CSV and XML are three representations of it. */
export interface Product {
  id: number
  name: string
  price: number
}

export interface NegotiationOptions {
  /** The catalogue, in id order. The app reads it and never changes it. */
  products: Product[]
}

/** The media types this API serves, in its order of preference (it breaks ties). */
const SERVED = ['application/json', 'text/csv', 'application/xml'] as const
type MediaType = (typeof SERVED)[number]

/**
 * Picks the representation for an Accept header, or undefined when none is acceptable.
 */
function negotiate(accept: string | undefined): MediaType | undefined {
  // TODO: no Accept header -> 'application/json'.
  // TODO: parse the header into media ranges with their q-values (q defaults to 1).
  // TODO: for each served type, take the q of the MOST SPECIFIC range that covers it
  //   (text/csv beats text/* beats */*); no range covers it -> q = 0.
  // TODO: return the served type with the highest q above 0; ties go to the earlier one in SERVED.
  return 'application/json'
}

/** One CSV document: the header row `id,name,price`, then one record per product. */
function toCsv(products: Product[]): string {
  // TODO: quote fields that hold a comma, a quote or a line break, doubling the quotes inside.
  return ''
}

/** `<products>` with one `<product>` per product for a list, a bare `<product>` for one. */
function toXml(data: Product | Product[]): string {
  // TODO: escape &, < and > (and " if you like) in element text.
  return ''
}

export function createApp(options: NegotiationOptions) {
  const { products } = options
  const app = new Hono()

  // TODO: in both routes, negotiate the same way (one helper for both): send `Vary: Accept`,
  // and answer 406 { "error": "not_acceptable", "available": [...] } when nothing is acceptable.

  app.get('/api/products', (c) => {
    // TODO: render the list in the negotiated representation with the matching Content-Type.
    return c.json(products)
  })

  app.get('/api/products/:id', (c) => {
    const product = products.find((p) => String(p.id) === c.req.param('id'))
    if (!product) return c.json({ error: 'not_found' }, 404)
    // TODO: render the product in the negotiated representation with the matching Content-Type.
    return c.json(product)
  })

  return app
}
