import { Hono, type Context } from 'hono'

export interface User {
  id: number
  name: string
}

export interface Order {
  id: number
  /** The user the order belongs to: its parent in the URL. */
  userId: number
  item: string
  quantity: number
}

export interface OrdersOptions {
  /** The users the store starts with; the app keeps its own copy. */
  users?: User[]
  /** The orders the store starts with, each owned by one of `users`; the app keeps its own copy. */
  orders?: Order[]
}

// The body says *what* is ordered, never *for whom*: the new object holds only `item` and
// `quantity`, so a `userId`, `ownerId` or `id` sent by the client never reaches the store.
function parseOrderInput(raw: unknown): { item: string; quantity: number } | undefined {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return undefined
  const { item, quantity } = raw as Record<string, unknown>
  if (typeof item !== 'string' || item.trim() === '') return undefined
  if (!Number.isInteger(quantity) || (quantity as number) < 1) return undefined
  return { item, quantity: quantity as number }
}

// One place names the nested collection. `{[0-9]+}` keeps a non-numeric segment from matching,
// so `/api/users/abc/orders` falls through to the plain 404.
const ORDERS = '/api/users/:userId{[0-9]+}/orders'
const ORDER = `${ORDERS}/:orderId{[0-9]+}`

export function createApp(options: OrdersOptions = {}) {
  // Two tables, as a database would hold them: orders point at their user through `userId`.
  // Both live inside the factory and hold copies, so no two apps share a row.
  const users = new Map<number, User>()
  for (const user of options.users ?? []) users.set(user.id, { ...user })
  const orders = new Map<number, Order>()
  for (const order of options.orders ?? []) orders.set(order.id, { ...order })
  // Order ids are global (one table for every user), so nesting does not make them per-user:
  // the next id is one more than the highest id any order has ever had.
  let lastOrderId = Math.max(0, ...orders.keys())

  const app = new Hono()
  const userNotFound = (c: Context) => c.json({ error: 'user_not_found' }, 404)
  const orderNotFound = (c: Context) => c.json({ error: 'order_not_found' }, 404)

  // The parent is checked first, by every route below it. A nested URL is a claim ("user 7
  // exists and this is their collection"), so a missing user is a 404 before anything else -
  // the list does not answer `[]`, and a POST cannot create an orphan order.
  const findUser = (c: Context) => users.get(Number(c.req.param('userId')))

  /** The order at `orderId`, but only if it belongs to `user`: the parent is part of the key. */
  const findOrder = (user: User, orderId: string) => {
    const order = orders.get(Number(orderId))
    return order?.userId === user.id ? order : undefined
  }

  // A sub-resource collection is a filtered view of the orders table, not the whole table.
  app.get(ORDERS, (c) => {
    const user = findUser(c)
    if (!user) return userNotFound(c)
    const mine = [...orders.values()].filter((o) => o.userId === user.id)
    return c.json(mine.sort((a, b) => a.id - b.id))
  })

  // The owner comes from the path, checked before the body is even read; trusting a `userId`
  // in the body would let anyone file orders under someone else's account.
  app.post(ORDERS, async (c) => {
    const user = findUser(c)
    if (!user) return userNotFound(c)
    const input = parseOrderInput(await c.req.json().catch(() => undefined))
    if (!input) return c.json({ error: 'invalid_order' }, 400)
    const order: Order = { id: ++lastOrderId, userId: user.id, ...input }
    orders.set(order.id, order)
    // Location names the order where it lives: under its parent, the same URL a GET uses.
    return c.json(order, 201, { Location: `/api/users/${user.id}/orders/${order.id}` })
  })

  // Someone else's order is 404, exactly like an order that does not exist. Under
  // /api/users/7/orders there simply is no order 12 if order 12 belongs to user 9. A 403 would
  // confirm that order 12 exists, which is a leak when ids can be guessed.
  app.get(ORDER, (c) => {
    const user = findUser(c)
    if (!user) return userNotFound(c)
    const order = findOrder(user, c.req.param('orderId'))
    return order ? c.json(order) : orderNotFound(c)
  })

  // Same lookup as GET: a DELETE through the wrong parent finds nothing, so deletes nothing.
  app.delete(ORDER, (c) => {
    const user = findUser(c)
    if (!user) return userNotFound(c)
    const order = findOrder(user, c.req.param('orderId'))
    if (!order) return orderNotFound(c)
    orders.delete(order.id)
    return c.body(null, 204)
  })

  app.notFound((c) => c.json({ error: 'not_found' }, 404))

  return app
}
