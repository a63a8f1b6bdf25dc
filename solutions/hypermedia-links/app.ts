import { Hono } from 'hono'

export type OrderStatus = 'pending' | 'paid' | 'shipped' | 'cancelled'

export interface Order {
  id: number
  customerId: number
  /** In cents. */
  total: number
  status: OrderStatus
}

export interface Customer {
  id: number
  name: string
}

export interface OrdersOptions {
  /** The orders the store starts with. Copy them: never change the caller's objects. */
  orders?: Order[]
  /** The customers orders belong to; read-only here. */
  customers?: Customer[]
}

type Action = 'pay' | 'cancel' | 'ship'

// The state machine, written once as data. The links an order offers and the rules the action
// endpoints enforce both read this table, so they cannot drift apart: a link is a promise that
// the request it describes will succeed right now.
const TRANSITIONS: Record<OrderStatus, Partial<Record<Action, OrderStatus>>> = {
  pending: { pay: 'paid', cancel: 'cancelled' },
  paid: { ship: 'shipped' },
  shipped: {},
  cancelled: {},
}

// HAL's link object has `href` (and `templated`, `type`, `title`, `name`...), but no method: HAL
// leaves "how do I use this link" to the relation's documentation. `method` is this API's own
// extension, so a client knows an action link means POST without reading the docs. (HAL-FORMS
// `_templates` and Siren `actions` are formats that describe methods properly.)
interface Link {
  href: string
  method?: 'POST'
}

const orderUrl = (id: number) => `/api/orders/${id}`

/** An order as clients see it: its data plus the links that say where they can go next. */
function presentOrder(order: Order) {
  const _links: Record<string, Link> = {
    self: { href: orderUrl(order.id) },
    collection: { href: '/api/orders' },
    customer: { href: `/api/customers/${order.customerId}` },
  }
  // An action the current state does not allow is left out entirely. `cancel: null` would
  // make every client check for null; an absent key is the hypermedia way of saying "no".
  for (const action of Object.keys(TRANSITIONS[order.status]) as Action[]) {
    _links[action] = { href: `${orderUrl(order.id)}/${action}`, method: 'POST' }
  }
  return { ...order, _links }
}

export function createApp(options: OrdersOptions = {}) {
  // Each app owns copies, so a transition never reaches the caller's objects or another app.
  const orders = new Map((options.orders ?? []).map((o) => [o.id, { ...o }]))
  const customers = new Map((options.customers ?? []).map((c) => [c.id, { ...c }]))
  const app = new Hono()

  // Only digits name a resource: `/api/orders/3x` is not order 3.
  const idOf = (raw: string) => (/^[0-9]+$/.test(raw) ? Number(raw) : undefined)

  // The entry point: the one URL a client has to know. Everything else is discovered.
  app.get('/api', (c) =>
    c.json({ _links: { self: { href: '/api' }, orders: { href: '/api/orders' } } }),
  )

  app.get('/api/orders', (c) => {
    const all = [...orders.values()].sort((a, b) => a.id - b.id)
    // Embedding the full representations (links included) saves a client one request per
    // order, and each embedded order still carries its own `self` for when it wants more.
    return c.json({
      _links: { self: { href: '/api/orders' } },
      _embedded: { orders: all.map(presentOrder) },
    })
  })

  app.get('/api/orders/:id', (c) => {
    const order = orders.get(idOf(c.req.param('id')) ?? NaN)
    if (!order) return c.json({ error: 'not_found' }, 404)
    return c.json(presentOrder(order))
  })

  app.post('/api/orders/:id/:action{pay|cancel|ship}', (c) => {
    const order = orders.get(idOf(c.req.param('id')) ?? NaN)
    if (!order) return c.json({ error: 'not_found' }, 404)
    const action = c.req.param('action') as Action
    const next = TRANSITIONS[order.status][action]
    // 409 Conflict: the request is well-formed and the order exists, but it clashes with the
    // order's current state. The server enforces the rule; hiding the link is only a courtesy.
    if (!next) {
      return c.json(
        {
          error: 'invalid_transition',
          message: `cannot ${action} an order that is ${order.status}`,
          status: order.status,
        },
        409,
      )
    }
    order.status = next
    // Present after the change: the answer carries the links of the new state.
    return c.json(presentOrder(order))
  })

  app.get('/api/customers/:id', (c) => {
    const customer = customers.get(idOf(c.req.param('id')) ?? NaN)
    if (!customer) return c.json({ error: 'not_found' }, 404)
    return c.json({ ...customer, _links: { self: { href: `/api/customers/${customer.id}` } } })
  })

  app.notFound((c) => c.json({ error: 'not_found' }, 404))

  return app
}
