import { Hono, type Context } from 'hono'
import { z } from 'zod'

// This is v1.0 of the orders API, as it runs in production today. Old clients depend on every
// detail of it (the grader replays their recorded exchanges). Ship v1.1 by adding to it.

/** What the API stores. TODO task 5: v1.1 adds `on_hold`, which v1.0 clients never see. */
export type Status = 'pending' | 'on_hold' | 'shipped' | 'cancelled'

interface StoredOrder {
  id: string
  item: string
  qty: number
  status: Status
}

/** An order as v1.1 sends it (TODO tasks 2 and 4: the stub still sends v1.0's fields only). */
export interface Order {
  id: string
  item: string
  /** v1.0's name for `quantity`, kept for the clients that read it (deprecated on input). */
  qty: number
  quantity: number
  giftWrap: boolean
  status: Status
}

export interface AppOptions {
  /** When sending `qty` was deprecated. Default 2026-01-01T00:00:00Z. */
  qtyDeprecatedAt?: Date
  /** When sending `qty` stops working. Default 2027-07-01T00:00:00Z. */
  qtySunsetAt?: Date
}

const OrderInput = z.object({
  item: z.string().min(1),
  qty: z.number().int().min(1).max(99),
})

export function createApp(options: AppOptions = {}) {
  // TODO task 3: validate the dates here and send Deprecation / Sunset when a client sends qty.
  void options
  const orders = new Map<string, StoredOrder>()
  let lastId = 0

  const app = new Hono()

  // TODO task 5: the Api-Version request header chooses the view (1.0 or 1.1).

  app.post('/orders', async (c) => {
    const body = parseJson(await c.req.text())
    // TODO task 2: accept `quantity` as well as `qty`; refuse the two when they differ.
    // TODO task 4: the optional `giftWrap`.
    const parsed = OrderInput.safeParse(body)
    if (!parsed.success) return invalid(c)
    const order: StoredOrder = { id: `ord_${++lastId}`, status: 'pending', ...parsed.data }
    orders.set(order.id, order)
    return c.json(show(order), 201, { Location: `/orders/${order.id}` })
  })

  app.get('/orders', (c) => {
    const status = c.req.query('status')
    if (status !== undefined && !['pending', 'shipped', 'cancelled'].includes(status)) {
      return c.json({ error: 'invalid_status' }, 400)
    }
    // TODO task 4: the optional `limit`.
    const shown = [...orders.values()].filter((o) => status === undefined || o.status === status)
    return c.json({ orders: shown.map(show) })
  })

  app.get('/orders/:id', (c) => {
    const order = orders.get(c.req.param('id'))
    return order ? c.json(show(order)) : notFound(c)
  })

  app.post('/orders/:id/ship', (c) => {
    const order = orders.get(c.req.param('id'))
    if (!order) return notFound(c)
    if (order.status !== 'pending') return c.json({ error: 'invalid_transition' }, 409)
    order.status = 'shipped'
    return c.json(show(order))
  })

  app.post('/orders/:id/cancel', (c) => {
    const order = orders.get(c.req.param('id'))
    if (!order) return notFound(c)
    if (order.status !== 'pending') return c.json({ error: 'invalid_transition' }, 409)
    order.status = 'cancelled'
    return c.json(show(order))
  })

  // TODO task 5: POST /orders/:id/hold.
  // TODO task 3: GET /deprecations.

  app.notFound(notFound)
  return app
}

function show(order: StoredOrder) {
  return { id: order.id, item: order.item, qty: order.qty, status: order.status }
}

function invalid(c: Context) {
  return c.json({ error: 'invalid_order' }, 400)
}

function notFound(c: Context) {
  return c.json({ error: 'not_found' }, 404)
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text)
  } catch {
    return undefined
  }
}
