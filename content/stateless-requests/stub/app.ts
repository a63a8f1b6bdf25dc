import { Hono } from 'hono'

export interface Product {
  sku: string
  name: string
  priceCents: number
}

export interface CartItem {
  sku: string
  qty: number
}

export interface CartOptions {
  /** The HMAC key for the cart cookie; every instance that serves the same clients shares it. */
  secret: string
  /** How long a cart cookie stays valid after it was issued, in whole seconds. */
  ttlSeconds: number
  /** The current time in milliseconds since the epoch. The app reads time only through this. */
  now: () => number
  /** The products on sale; the same for every client. */
  catalog: Product[]
}

export function createApp(options: CartOptions) {
  // TODO: throw a TypeError when `secret` is empty or `ttlSeconds` is not a positive integer.

  const app = new Hono()

  // TODO: keep no cart on the server. The whole cart travels in a cookie named `cart` whose
  // value is `<payload>.<signature>`: the items and the time it was issued (`options.now()`),
  // then an HMAC-SHA256 signature of the payload made with `options.secret` (node:crypto's
  // createHmac, or Hono's signed cookie helpers in `hono/cookie`).

  // TODO: read the cookie on every cart request. A cookie that is missing, malformed, signed
  // with anything but `options.secret`, or more than `options.ttlSeconds` old counts as an
  // empty cart.

  // TODO: GET /api/cart answers 200 { "items": [...] }. Every 200 from the cart routes sets a
  // fresh cookie (HttpOnly, SameSite=Lax, Path=/, Max-Age=ttlSeconds) holding the cart it shows.

  // TODO: POST /api/cart/items with JSON { "sku", "qty" } adds to the cart (400 invalid_item
  // when the sku is not in the catalog or qty is not an integer from 1 to 99).

  // TODO: DELETE /api/cart/items/:sku removes the line (404 not_in_cart when it is not there).

  // TODO: cart responses must never be cached: Cache-Control: no-store.

  app.get('/api/catalog', (c) => {
    // TODO: the catalog is the same for everyone: Cache-Control: public, max-age=300, an ETag,
    // and 304 Not Modified (no body) when If-None-Match matches it.
    return c.json({ products: options.catalog })
  })

  return app
}
