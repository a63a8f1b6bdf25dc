// Mutant: Location points at a flat /api/orders/<id> instead of the order under its user
import { Hono, type Context } from 'hono'
import type { Order, OrdersOptions, User } from '../../../exercises/nested-resources/app.ts'

function isValidOrder(body: unknown): body is { item: string; quantity: number } {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return false
  const { item, quantity } = body as Record<string, unknown>
  return (
    typeof item === 'string' &&
    item.trim() !== '' &&
    typeof quantity === 'number' &&
    Number.isInteger(quantity) &&
    quantity >= 1
  )
}

export function createApp(options: OrdersOptions = {}) {
  const users = new Map<number, User>()
  for (const user of options.users ?? []) users.set(user.id, { ...user })
  const orders = new Map<number, Order>()
  for (const order of options.orders ?? []) orders.set(order.id, { ...order })
  let lastOrderId = Math.max(0, ...orders.keys())
  const app = new Hono()

  const userFor = (c: Context) => users.get(Number(c.req.param('userId')))
  const userNotFound = (c: Context) => c.json({ error: 'user_not_found' }, 404)
  const orderNotFound = (c: Context) => c.json({ error: 'order_not_found' }, 404)

  app.get('/api/users/:userId/orders', (c) => {
    const user = userFor(c)
    if (!user) return userNotFound(c)
    const mine = [...orders.values()].filter((o) => o.userId === user.id)
    return c.json(mine.sort((a, b) => a.id - b.id))
  })

  app.post('/api/users/:userId/orders', async (c) => {
    const user = userFor(c)
    if (!user) return userNotFound(c)
    const body = await c.req.json().catch(() => undefined)
    if (!isValidOrder(body)) return c.json({ error: 'invalid_order' }, 400)
    const { item, quantity } = body
    const order: Order = { id: ++lastOrderId, userId: user.id, item, quantity }
    orders.set(order.id, order)
    return c.json(order, 201, { Location: `/api/orders/${order.id}` })
  })

  app.get('/api/users/:userId/orders/:orderId', (c) => {
    const user = userFor(c)
    if (!user) return userNotFound(c)
    const order = orders.get(Number(c.req.param('orderId')))
    if (!order || order.userId !== user.id) return orderNotFound(c)
    return c.json(order)
  })

  app.delete('/api/users/:userId/orders/:orderId', (c) => {
    const user = userFor(c)
    if (!user) return userNotFound(c)
    const order = orders.get(Number(c.req.param('orderId')))
    if (!order || order.userId !== user.id) return orderNotFound(c)
    orders.delete(order.id)
    return c.body(null, 204)
  })

  app.notFound((c) => c.json({ error: 'not_found' }, 404))

  return app
}
