import { createHmac, timingSafeEqual } from 'node:crypto'
import { Hono, type Context } from 'hono'
import { getCookie, setCookie } from 'hono/cookie'
import { etag } from 'hono/etag'

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

/** What the cookie carries: the whole cart and the moment it was signed. */
interface CartState {
  items: CartItem[]
  issuedAt: number
}

const COOKIE = 'cart'
const CATALOG_MAX_AGE = 300
const MAX_QTY = 99

export function createApp(options: CartOptions) {
  const { secret, ttlSeconds, now } = options
  // Validate once, when the app is built: an empty key would "sign" cookies anyone can forge.
  if (typeof secret !== 'string' || secret === '') {
    throw new TypeError('createApp: `secret` must be a non-empty string')
  }
  if (!Number.isInteger(ttlSeconds) || ttlSeconds <= 0) {
    throw new TypeError('createApp: `ttlSeconds` must be a positive integer')
  }
  const catalog = structuredClone(options.catalog)
  // A Set, not a plain object: a sku such as "constructor" must not be found on a prototype.
  const skus = new Set(catalog.map((p) => p.sku))

  const sign = (payload: string) =>
    createHmac('sha256', secret).update(payload).digest('base64url')

  function encode(items: CartItem[]): string {
    const state: CartState = { items, issuedAt: now() }
    const payload = Buffer.from(JSON.stringify(state)).toString('base64url')
    return `${payload}.${sign(payload)}`
  }

  // Verify first, parse second: until the signature checks out, the payload is just bytes an
  // attacker chose, and nothing in it (not even whether it is JSON) deserves a reaction.
  function decode(value: string | undefined): CartItem[] | undefined {
    if (!value) return undefined
    const dot = value.lastIndexOf('.')
    if (dot < 0) return undefined
    const payload = value.slice(0, dot)
    // Compare the signatures as text, not as decoded bytes: base64 decoding skips characters it
    // does not know and the spare bits of the last one, so two spellings can decode alike.
    const given = Buffer.from(value.slice(dot + 1))
    const expected = Buffer.from(sign(payload))
    // timingSafeEqual takes as long for a near miss as for a wild guess, so response times
    // do not leak how many leading characters of a forged signature were right.
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) return undefined
    let state: CartState
    try {
      state = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as CartState
    } catch {
      return undefined
    }
    // The expiry lives inside the signed payload. The cookie's Max-Age only asks the browser to
    // forget it; a client (or a thief) can replay an old value, so the server checks the age.
    if (typeof state.issuedAt !== 'number' || now() - state.issuedAt > ttlSeconds * 1000) {
      return undefined
    }
    return Array.isArray(state.items) ? state.items : undefined
  }

  // Any cookie we cannot trust (tampered, foreign, expired, garbage) is treated exactly like no
  // cookie: an empty cart. The client gets no hint about which check failed.
  const readCart = (c: Context) => decode(getCookie(c, COOKIE)) ?? []

  // Every cart answer hands the client the whole state again, freshly signed: the client holds
  // the session, the server holds nothing, so any instance with the secret can serve the next
  // request. Re-issuing also slides the expiry forward while the shopper is active.
  function answer(c: Context, items: CartItem[]) {
    setCookie(c, COOKIE, encode(items), {
      httpOnly: true, // page scripts (and any XSS) cannot read or steal it
      sameSite: 'Lax', // not sent on cross-site POSTs, a first line against CSRF
      path: '/',
      maxAge: ttlSeconds,
    })
    return c.json({ items })
  }

  const app = new Hono()

  // Per-client data must never sit in a shared cache: no-store keeps proxies, CDNs and the
  // browser's disk cache from keeping one shopper's cart (and its Set-Cookie) for another.
  app.use('/api/cart', noStore)
  app.use('/api/cart/*', noStore)

  app.get('/api/cart', (c) => answer(c, readCart(c)))

  app.post('/api/cart/items', async (c) => {
    const body: unknown = await c.req.json().catch(() => undefined)
    const { sku, qty } = (typeof body === 'object' && body !== null ? body : {}) as {
      sku?: unknown
      qty?: unknown
    }
    if (typeof sku !== 'string' || !skus.has(sku) || !isQuantity(qty)) {
      return c.json({ error: 'invalid_item' }, 400)
    }
    const items = readCart(c)
    const next = items.some((item) => item.sku === sku)
      ? items.map((item) => (item.sku === sku ? { sku, qty: item.qty + qty } : item))
      : [...items, { sku, qty }]
    return answer(c, next)
  })

  app.delete('/api/cart/items/:sku', (c) => {
    const sku = c.req.param('sku')
    const items = readCart(c)
    if (!items.some((item) => item.sku === sku)) return c.json({ error: 'not_in_cart' }, 404)
    return answer(c, items.filter((item) => item.sku !== sku))
  })

  // The catalog is the same for everyone, so any cache may keep it for a while (public,
  // max-age). The ETag is a hash of the body, so every instance computes the same one, and a
  // client that revalidates gets a bodiless 304 from whichever instance it reaches.
  app.use('/api/catalog', etag())
  app.get('/api/catalog', (c) => {
    c.header('Cache-Control', `public, max-age=${CATALOG_MAX_AGE}`)
    return c.json({ products: catalog })
  })

  app.notFound((c) => c.json({ error: 'not_found' }, 404))

  return app
}

const isQuantity = (qty: unknown): qty is number =>
  Number.isInteger(qty) && (qty as number) >= 1 && (qty as number) <= MAX_QTY

async function noStore(c: Context, next: () => Promise<void>) {
  await next()
  c.header('Cache-Control', 'no-store')
}
