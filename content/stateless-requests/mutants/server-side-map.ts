// Mutant: keeps the carts in a Map inside the app; the cookie only carries a session id, so
// another instance with the same secret knows nothing about the client.
import { randomUUID } from 'node:crypto'
import { Hono, type Context } from 'hono'
import { getCookie, setCookie } from 'hono/cookie'
import { etag } from 'hono/etag'
import type { CartItem, CartOptions } from '../../../exercises/stateless-requests/app.ts'

export function createApp(options: CartOptions) {
  const { secret, ttlSeconds, now, catalog } = options
  if (!secret) throw new TypeError('secret must not be empty')
  if (!Number.isInteger(ttlSeconds) || ttlSeconds <= 0) throw new TypeError('bad ttlSeconds')
  const skus = new Set(catalog.map((p) => p.sku))
  // Carts live in this instance's memory; the cookie only names a session.
  const carts = new Map<string, { items: CartItem[]; issuedAt: number }>()

  function sessionOf(c: Context): string {
    const id = getCookie(c, 'cart')
    const cart = id ? carts.get(id) : undefined
    if (id && cart && now() - cart.issuedAt <= ttlSeconds * 1000) return id
    const fresh = randomUUID()
    carts.set(fresh, { items: [], issuedAt: now() })
    return fresh
  }

  const readCart = (c: Context) => structuredClone(carts.get(sessionOf(c))!.items)

  function answer(c: Context, items: CartItem[]) {
    const id = sessionOf(c)
    carts.set(id, { items, issuedAt: now() })
    setCookie(c, 'cart', id, {
      httpOnly: true,
      sameSite: 'Lax',
      path: '/',
      maxAge: ttlSeconds,
    })
    c.header('Cache-Control', 'no-store')
    return c.json({ items })
  }

  const app = new Hono()

  app.get('/api/cart', (c) => answer(c, readCart(c)))

  app.post('/api/cart/items', async (c) => {
    const body = await c.req.json().catch(() => null)
    const sku = body?.sku
    const qty = body?.qty
    if (typeof sku !== 'string' || !skus.has(sku)) return c.json({ error: 'invalid_item' }, 400)
    if (!Number.isInteger(qty) || qty < 1 || qty > 99) return c.json({ error: 'invalid_item' }, 400)
    const items = readCart(c)
    const line = items.find((item) => item.sku === sku)
    if (line) line.qty += qty
    else items.push({ sku, qty })
    return answer(c, items)
  })

  app.delete('/api/cart/items/:sku', (c) => {
    const sku = c.req.param('sku')
    const items = readCart(c)
    if (!items.some((item) => item.sku === sku)) return c.json({ error: 'not_in_cart' }, 404)
    return answer(c, items.filter((item) => item.sku !== sku))
  })

  app.use('/api/catalog', etag())
  app.get('/api/catalog', (c) => {
    c.header('Cache-Control', 'public, max-age=300')
    return c.json({ products: catalog })
  })

  return app
}
