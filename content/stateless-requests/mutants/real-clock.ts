// Mutant: reads the time from Date.now() instead of options.now, so the expiry follows the
// wall clock and not the one the app was given.
import { createHmac, timingSafeEqual } from 'node:crypto'
import { Hono, type Context } from 'hono'
import { getCookie, setCookie } from 'hono/cookie'
import { etag } from 'hono/etag'
import type { CartItem, CartOptions } from '../../../exercises/stateless-requests/app.ts'

export function createApp(options: CartOptions) {
  const { secret, ttlSeconds, now, catalog } = options
  if (!secret) throw new TypeError('secret must not be empty')
  if (!Number.isInteger(ttlSeconds) || ttlSeconds <= 0) throw new TypeError('bad ttlSeconds')
  const skus = new Set(catalog.map((p) => p.sku))
  const sign = (payload: string) => createHmac('sha256', secret).update(payload).digest('base64url')

  function encode(items: CartItem[]): string {
    const state = { items, issuedAt: Date.now() }
    const payload = Buffer.from(JSON.stringify(state)).toString('base64url')
    return `${payload}.${sign(payload)}`
  }

  function decode(value: string | undefined): CartItem[] {
    if (!value) return []
    const dot = value.lastIndexOf('.')
    if (dot < 0) return []
    const payload = value.slice(0, dot)
    const given = Buffer.from(value.slice(dot + 1))
    const expected = Buffer.from(sign(payload))
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) return []
    try {
      const state = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'))
      if (Date.now() - state.issuedAt > ttlSeconds * 1000) return []
      return state.items
    } catch {
      return []
    }
  }

  const readCart = (c: Context) => decode(getCookie(c, 'cart'))

  function answer(c: Context, items: CartItem[]) {
    setCookie(c, 'cart', encode(items), {
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
