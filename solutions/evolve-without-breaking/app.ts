import { Hono, type Context } from 'hono'
import { z } from 'zod'

/** What the API stores. `on_hold` is new in v1.1; v1.0 clients never see it. */
export type Status = 'pending' | 'on_hold' | 'shipped' | 'cancelled'

interface StoredOrder {
  id: string
  item: string
  quantity: number
  giftWrap: boolean
  status: Status
}

/** An order as v1.1 sends it: every v1.0 field, plus the new ones. */
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

type View = '1.0' | '1.1'
type Env = { Variables: { view: View } }

const VIEWS: readonly View[] = ['1.0', '1.1']
/** The statuses each view knows: v1.0 clients were built for three, and may `switch` on them. */
const STATUSES: Record<View, readonly Status[]> = {
  '1.0': ['pending', 'shipped', 'cancelled'],
  '1.1': ['pending', 'on_hold', 'shipped', 'cancelled'],
}

// v1.0's rules, unchanged: a stricter v1.1 would refuse requests old clients still send.
const Quantity = z.number().int().min(1).max(99)
const OrderInput = z.object({
  item: z.string().min(1),
  quantity: Quantity,
  // New and optional; its default is what v1.0 did (no gift wrap).
  giftWrap: z.boolean().default(false),
})
// z.object, not z.strictObject: v1.0 ignored unknown fields, and some clients send them.

export function createApp(options: AppOptions = {}) {
  const deprecatedAt = options.qtyDeprecatedAt ?? new Date('2026-01-01T00:00:00Z')
  const sunsetAt = options.qtySunsetAt ?? new Date('2027-07-01T00:00:00Z')
  for (const date of [deprecatedAt, sunsetAt]) {
    if (!(date instanceof Date)) throw new TypeError('qtyDeprecatedAt and qtySunsetAt must be Dates')
    if (Number.isNaN(date.getTime())) throw new RangeError('qtyDeprecatedAt and qtySunsetAt must be valid Dates')
  }
  // RFC 9745: the Sunset date should not be earlier than the Deprecation date.
  if (sunsetAt.getTime() < deprecatedAt.getTime()) {
    throw new RangeError('qtySunsetAt must not be earlier than qtyDeprecatedAt')
  }
  // Computed once: a Structured Field Date (`@` + Unix seconds) and an IMF-fixdate.
  const deprecationHeaders = {
    Deprecation: `@${Math.floor(deprecatedAt.getTime() / 1000)}`,
    Sunset: sunsetAt.toUTCString(),
  }

  // All state inside the factory: two apps share nothing.
  const orders = new Map<string, StoredOrder>()
  // Who still sends `qty`, by User-Agent, in order of first use: the numbers that tell you when
  // the field can really go. A Map, because the names come from clients (`__proto__`...).
  const qtyUsage = new Map<string | null, number>()
  let lastId = 0

  const app = new Hono<Env>()

  // The view is chosen once per request. Without the header a client gets v1.0: the clients
  // that never heard of v1.1 are exactly the ones that must not see its new status.
  app.use('*', async (c, next) => {
    c.header('Vary', 'Api-Version')
    const asked = c.req.header('Api-Version') || '1.0'
    if (!(VIEWS as readonly string[]).includes(asked)) {
      return c.json({ error: 'unsupported_version', supported: VIEWS }, 400)
    }
    c.set('view', asked as View)
    await next()
  })

  /** The order as this client's view shows it: additive fields for everyone, new statuses only for v1.1. */
  function show(order: StoredOrder, view: View): Order {
    return {
      id: order.id,
      item: order.item,
      qty: order.quantity,
      quantity: order.quantity,
      giftWrap: order.giftWrap,
      // v1.0 has no word for "on hold"; the closest one it knows is "pending" (not shipped yet).
      status: view === '1.0' && order.status === 'on_hold' ? 'pending' : order.status,
    }
  }

  app.post('/orders', async (c) => {
    const body = parseJson(await c.req.text())
    if (!isRecord(body)) return invalid(c)
    const sentQty = Object.hasOwn(body, 'qty')
    const sentQuantity = Object.hasOwn(body, 'quantity')
    if (sentQty) {
      const agent = c.req.header('User-Agent') ?? null
      qtyUsage.set(agent, (qtyUsage.get(agent) ?? 0) + 1)
    }
    // Old and new names both work. Sent together they must agree: picking one silently would
    // hide a client bug, and which one "wins" is a guess.
    if (sentQty && sentQuantity && body['qty'] !== body['quantity']) {
      return c.json({ error: 'conflicting_fields', fields: ['qty', 'quantity'] }, 400)
    }
    const parsed = OrderInput.safeParse({
      item: body['item'],
      quantity: sentQuantity ? body['quantity'] : body['qty'],
      giftWrap: body['giftWrap'],
    })
    if (!parsed.success) return invalid(c)

    const order: StoredOrder = { id: `ord_${++lastId}`, status: 'pending', ...parsed.data }
    orders.set(order.id, order)
    // Tell the clients that still send `qty`, in every answer to them, when it goes away.
    const headers: Record<string, string> = { Location: `/orders/${order.id}` }
    if (sentQty) Object.assign(headers, deprecationHeaders)
    return c.json(show(order, c.get('view')), 201, headers)
  })

  app.get('/orders', (c) => {
    const view = c.get('view')
    const status = c.req.query('status')
    // A v1.0 client asking for `on_hold` gets the v1.0 answer: it is not a status it knows.
    if (status !== undefined && !STATUSES[view].includes(status as Status)) {
      return c.json({ error: 'invalid_status' }, 400)
    }
    const limitText = c.req.query('limit')
    // No limit means all orders, as in v1.0: a new parameter must default to the old behaviour.
    let limit = Infinity
    if (limitText !== undefined) {
      if (!/^\d+$/.test(limitText) || Number(limitText) < 1 || Number(limitText) > 100) {
        return c.json({ error: 'invalid_limit' }, 400)
      }
      limit = Number(limitText)
    }
    // Filter on what this client sees: an on-hold order is "pending" to v1.0.
    const shown = [...orders.values()]
      .map((order) => show(order, view))
      .filter((order) => status === undefined || order.status === status)
      .slice(0, limit)
    return c.json({ orders: shown })
  })

  app.get('/orders/:id', (c) => {
    const order = orders.get(c.req.param('id'))
    return order ? c.json(show(order, c.get('view'))) : notFound(c)
  })

  /** An action moves an order from one of `from` to `to`, or answers 409. */
  const action = (path: string, from: readonly Status[], to: Status) =>
    app.post(`/orders/:id/${path}`, (c) => {
      const order = orders.get(c.req.param('id'))
      if (!order) return notFound(c)
      if (!from.includes(order.status)) return c.json({ error: 'invalid_transition' }, 409)
      order.status = to
      return c.json(show(order, c.get('view')))
    })
  action('ship', ['pending'], 'shipped')
  action('cancel', ['pending', 'on_hold'], 'cancelled')
  action('hold', ['pending'], 'on_hold')

  app.get('/deprecations', (c) =>
    c.json({ qty: [...qtyUsage].map(([userAgent, requests]) => ({ userAgent, requests })) }),
  )

  app.notFound(notFound)
  return app
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

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}
