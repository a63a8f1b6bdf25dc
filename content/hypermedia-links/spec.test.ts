// hypermedia-links - the hidden spec.
//
// The spec behaves like a hypermedia client: it starts at GET /api and follows hrefs (relative
// paths or absolute URLs, compared by path) instead of building URLs, wherever a link exists.
//
// Wrong implementations this spec is built to catch:
// - static links: pay, cancel and ship offered whatever the order's status
// - an action offered in the wrong state (cancel on a paid, shipped or cancelled order; pay
//   twice; ship before paying)
// - absent actions written as `null` (`"cancel": null`) or as `{ "href": null }` instead of
//   leaving the key out
// - action endpoints that ignore the state (cancel a shipped order, ship a pending one), answer
//   200/400/422 instead of 409, or change the order before refusing
// - the action's answer built before the change: old status, or the old state's links
// - links pointing at the wrong resource: `self` at the collection, ids off by one or taken
//   from the array position, the customer link built from the order id, hard-coded ids
// - links that do not resolve: a customer link with no customer route behind it, a
//   collection link to a path that is not the collection
// - embedded orders without links, or with fewer links than GET self shows, or out of order
// - a collection without its own `self`, an entry point without links
// - unknown orders and customers answered with anything but 404 not_found
// - a module-level store, or the caller's order objects edited in place, or the caller's
//   orders and customers kept by reference (later changes by the caller show up)
// - a crash when createApp gets no options
// - an action route that takes any name (`/api/orders/7/refund` answered 409 instead of 404),
//   or looks the name up in a plain object, where `constructor`, `__proto__` or `toString`
//   are found on Object.prototype; or an action matched by prefix (`payment`)
// - `7x` read as order 7 by an action endpoint, or as customer 7; other paths not JSON 404
import { describe, expect, it } from 'vitest'
import {
  client,
  focusOn,
  random,
  task,
  type Client,
  type Reply,
  type Rng,
} from '../../harness/spec-kit/index.ts'
import {
  createApp,
  type Customer,
  type Order,
  type OrderStatus,
} from '../../exercises/hypermedia-links/app.ts'

type Action = 'pay' | 'cancel' | 'ship'
const ACTIONS: Action[] = ['pay', 'cancel', 'ship']
const STATUSES: OrderStatus[] = ['pending', 'paid', 'shipped', 'cancelled']

/** The state machine from the README: which actions each status allows, and where they lead. */
const ALLOWED: Record<OrderStatus, Partial<Record<Action, OrderStatus>>> = {
  pending: { pay: 'paid', cancel: 'cancelled' },
  paid: { ship: 'shipped' },
  shipped: {},
  cancelled: {},
}
const allowedIn = (status: OrderStatus) => Object.keys(ALLOWED[status]) as Action[]

interface Seed {
  orders: Order[]
  customers: Customer[]
}

/**
 * 2 to 4 customers with ids from 100 up (never an order id), and 6 to 10 orders with gappy
 * ids, every status at least once, at least two customers, handed over out of id order.
 */
function seed(rng: Rng): Seed {
  const customers: Customer[] = []
  let cid = rng.int(100, 150)
  for (let n = rng.int(2, 4); n > 0; n--) {
    customers.push({ id: cid, name: rng.word(3, 8) })
    cid += rng.int(2, 9)
  }
  const count = rng.int(6, 10)
  const statuses = rng.shuffle([
    ...STATUSES,
    ...Array.from({ length: count - STATUSES.length }, () => rng.pick(STATUSES)),
  ])
  const orders: Order[] = []
  let id = rng.int(1, 5)
  for (let i = 0; i < count; i++) {
    const customer = i < 2 ? customers[i]! : rng.pick(customers)
    orders.push({ id, customerId: customer.id, total: rng.int(100, 99999), status: statuses[i]! })
    id += rng.int(2, 6)
  }
  const shuffled = rng.shuffle(orders)
  return {
    customers: rng.shuffle(customers),
    orders: shuffled.every((o, i) => o.id === orders[i]!.id) ? shuffled.reverse() : shuffled,
  }
}

// Every app gets its own copy, so a test's expectations stay right even when the app (wrongly)
// edits what it was given. The last test hands the same objects over on purpose.
const appFor = (s: Seed) => client(createApp(structuredClone(s)))

const byId = (orders: Order[]) => [...orders].sort((a, b) => a.id - b.id)
const inStatus = (s: Seed, status: OrderStatus) => s.orders.filter((o) => o.status === status)
const orderPath = (id: number) => `/api/orders/${id}`

/** A relative or absolute href, reduced to what a client requests: path and query. */
function pathOf(href: string): string {
  const url = new URL(href, 'http://api.test')
  return `${url.pathname}${url.search}`
}

/** A body with every href reduced to its path, so absolute URLs compare across requests. */
function normalized(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(normalized)
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value).map(([k, v]) => [
        k,
        k === 'href' && typeof v === 'string' ? pathOf(v) : normalized(v),
      ]),
    )
  }
  return value
}

interface Link {
  href: string
  method?: unknown
}

const isObject = (v: unknown): v is Record<string, unknown> =>
  v !== null && typeof v === 'object' && !Array.isArray(v)

/** The `_links` object of a representation (by default the reply's body). */
function linksOf(reply: Reply, body: unknown = reply.body): Record<string, unknown> {
  const links = isObject(body) ? body['_links'] : undefined
  focusOn(reply)
  expect(isObject(links), 'the representation must carry a `_links` object').toBe(true)
  return links as Record<string, unknown>
}

/** The link with this relation: an object with a string href. */
function linkOf(reply: Reply, rel: string, body: unknown = reply.body): Link {
  const link = linksOf(reply, body)[rel]
  focusOn(reply)
  expect(link, `expected _links.${rel} to be { "href": "..." }`).toEqual(
    expect.objectContaining({ href: expect.any(String) }),
  )
  return link as Link
}

/** A navigation link: points at `path`, and is followed with GET (no method, or "GET"). */
function navLink(reply: Reply, rel: string, path: string, body: unknown = reply.body): Link {
  const link = linkOf(reply, rel, body)
  expect(pathOf(link.href), `_links.${rel} points at the wrong path`).toBe(path)
  if (link.method !== undefined) expect(link.method, `_links.${rel} is a GET link`).toBe('GET')
  return link
}

/** Requests what a link describes: its method (GET when it names none) on its href's path. */
function follow(api: Client, link: Link): Promise<Reply> {
  return api.send(typeof link.method === 'string' ? link.method : 'GET', pathOf(link.href))
}

/** The order representation: the seeded fields (more are allowed) and a `_links` object. */
function expectOrder(reply: Reply, order: Order): void {
  expect(reply).toHaveStatus(200)
  expect(reply).toHaveJsonBody(expect.objectContaining({ ...order, _links: expect.any(Object) }))
}

/** Exactly the actions the order's status allows are linked; the others are absent keys. */
function expectActions(reply: Reply, order: Order, body: unknown = reply.body): void {
  const links = linksOf(reply, body)
  for (const action of ACTIONS) {
    if (action in ALLOWED[order.status]) {
      const link = linkOf(reply, action, body)
      expect(link.method, `_links.${action} must say "method": "POST"`).toBe('POST')
      expect(pathOf(link.href), `_links.${action} points at the wrong path`).toBe(
        `${orderPath(order.id)}/${action}`,
      )
    } else {
      expect(
        Object.keys(links),
        `a ${order.status} order must not offer "${action}": leave the key out (not null)`,
      ).not.toContain(action)
    }
  }
}

/** The embedded orders of a collection reply. */
function embeddedOrders(reply: Reply): unknown[] {
  const embedded = isObject(reply.body) ? reply.body['_embedded'] : undefined
  const list = isObject(embedded) ? embedded['orders'] : undefined
  focusOn(reply)
  expect(Array.isArray(list), 'the collection must carry `_embedded.orders`, an array').toBe(true)
  return list as unknown[]
}

// Actions each status refuses: every (action, status) pair the state machine has no arrow for.
const refused: [Action, OrderStatus][] = STATUSES.flatMap((status) =>
  ACTIONS.filter((a) => !(a in ALLOWED[status])).map((a): [Action, OrderStatus] => [a, status]),
)

describe('hypermedia-links', () => {
  task(1, 'Entry point and orders collection', () => {
    it('GET /api links to itself and to the orders collection', async () => {
      const api = appFor(seed(random()))
      const root = await api.get('/api')
      expect(root).toHaveStatus(200)
      expect(root).toHaveJsonBody(expect.objectContaining({ _links: expect.any(Object) }))
      navLink(root, 'self', '/api')
      const orders = await follow(api, navLink(root, 'orders', '/api/orders'))
      expect(orders).toHaveStatus(200)
    })

    it('GET /api/orders links self to the collection', async () => {
      const api = appFor(seed(random()))
      const res = await api.get('/api/orders')
      expect(res).toHaveStatus(200)
      const again = await follow(api, navLink(res, 'self', '/api/orders'))
      expect(again).toHaveStatus(200)
      expect(normalized(again.body)).toEqual(normalized(res.body))
    })

    it('GET /api/orders embeds every order in ascending id order, with its fields', async () => {
      const s = seed(random())
      const res = await appFor(s).get('/api/orders')
      expect(res).toHaveStatus(200)
      expect(embeddedOrders(res)).toEqual(
        byId(s.orders).map((o) => expect.objectContaining({ ...o, _links: expect.any(Object) })),
      )
    })

    it('with no options, the entry point works and the collection is empty', async () => {
      const api = client(createApp())
      const root = await api.get('/api')
      expect(root).toHaveStatus(200)
      navLink(root, 'orders', '/api/orders')
      const res = await follow(api, linkOf(root, 'orders'))
      expect(res).toHaveStatus(200)
      navLink(res, 'self', '/api/orders')
      expect(embeddedOrders(res), 'no orders were given').toEqual([])
    })
  })

  task(2, 'Navigation links on orders and customers', () => {
    it('GET /api/orders/:id answers the order with its fields and links', async () => {
      const rng = random()
      const s = seed(rng)
      const api = appFor(s)
      for (const order of rng.shuffle(s.orders).slice(0, 3)) {
        expectOrder(await api.get(orderPath(order.id)), order)
      }
    })

    it('links every order to itself, and following self answers that same order', async () => {
      const s = seed(random())
      const api = appFor(s)
      for (const order of s.orders) {
        const res = await api.get(orderPath(order.id))
        expectOrder(res, order)
        const again = await follow(api, navLink(res, 'self', orderPath(order.id)))
        expectOrder(again, order)
        expect(normalized(again.body), 'GET self must answer the same representation').toEqual(
          normalized(res.body),
        )
      }
    })

    it('links every order to the collection, and the link resolves', async () => {
      const s = seed(random())
      const api = appFor(s)
      for (const order of s.orders) {
        const res = await api.get(orderPath(order.id))
        expectOrder(res, order)
        const list = await follow(api, navLink(res, 'collection', '/api/orders'))
        expect(list).toHaveStatus(200)
        expect(embeddedOrders(list)).toHaveLength(s.orders.length)
      }
    })

    it('links every order to its own customer, and the link resolves to it', async () => {
      const s = seed(random())
      const api = appFor(s)
      for (const order of s.orders) {
        const customer = s.customers.find((c) => c.id === order.customerId)!
        const res = await api.get(orderPath(order.id))
        expectOrder(res, order)
        const link = navLink(res, 'customer', `/api/customers/${customer.id}`)
        const fetched = await follow(api, link)
        expect(fetched).toHaveStatus(200)
        expect(fetched).toHaveJsonBody(expect.objectContaining(customer))
      }
    })

    it('GET /api/customers/:id answers the customer with a self link that resolves', async () => {
      const rng = random()
      const s = seed(rng)
      const api = appFor(s)
      const customer = rng.pick(s.customers)
      const res = await api.get(`/api/customers/${customer.id}`)
      expect(res).toHaveStatus(200)
      expect(res).toHaveJsonBody(expect.objectContaining(customer))
      const again = await follow(api, navLink(res, 'self', `/api/customers/${customer.id}`))
      expect(again).toHaveStatus(200)
      expect(again).toHaveJsonBody(expect.objectContaining(customer))
    })

    it('GET /api/orders/:id answers 404 not_found for an id no order holds', async () => {
      const rng = random()
      const s = seed(rng)
      const api = appFor(s)
      const first = byId(s.orders)[0]!.id
      const top = byId(s.orders).at(-1)!.id
      for (const id of [first + 1, top + rng.int(1, 30), `${first}x`]) {
        const res = await api.get(`/api/orders/${id}`)
        expect(res).toHaveStatus(404)
        expect(res).toHaveJsonBody(expect.objectContaining({ error: 'not_found' }))
      }
    })

    it('GET /api/customers/:id answers 404 not_found for an id no customer holds', async () => {
      const rng = random()
      const s = seed(rng)
      const api = appFor(s)
      const top = Math.max(...s.customers.map((c) => c.id))
      // An order id is never a customer id here: the customer route must not look up orders.
      const notDigits = `${rng.pick(s.customers).id}x`
      for (const id of [rng.pick(s.orders).id, top + rng.int(1, 30), notDigits]) {
        const res = await api.get(`/api/customers/${id}`)
        expect(res).toHaveStatus(404)
        expect(res).toHaveJsonBody(expect.objectContaining({ error: 'not_found' }))
      }
    })

    it('copies the orders and customers when createApp runs', async () => {
      const rng = random()
      const s = seed(rng)
      const given = structuredClone(s)
      const api = client(createApp(given))
      // The caller goes on using its objects and arrays before the first request.
      const order = rng.pick(given.orders)
      const customer = given.customers.find((c) => c.id === order.customerId)!
      order.status = order.status === 'shipped' ? 'pending' : 'shipped'
      order.total += rng.int(1, 99)
      customer.name = `${customer.name}-${rng.word()}`
      const top = byId(s.orders).at(-1)!.id
      given.orders.push({ id: top + 1, customerId: customer.id, total: 1, status: 'pending' })
      const original = s.orders.find((o) => o.id === order.id)!
      expectOrder(await api.get(orderPath(original.id)), original)
      const fetched = await api.get(`/api/customers/${customer.id}`)
      expect(fetched).toHaveStatus(200)
      expect(fetched).toHaveJsonBody(
        expect.objectContaining(s.customers.find((c) => c.id === customer.id)!),
      )
      const missing = await api.get(orderPath(top + 1))
      expect(missing).toHaveStatus(404)
    })

    it('answers 404 not_found for any other path', async () => {
      const rng = random()
      const s = seed(rng)
      const api = appFor(s)
      const { id } = rng.pick(s.orders)
      const paths = ['/', `/api/${rng.word()}`, `${orderPath(id)}/${rng.word()}`, '/api/customers']
      for (const path of paths) {
        const res = await api.get(path)
        expect(res).toHaveStatus(404)
        expect(res).toHaveJsonBody(expect.objectContaining({ error: 'not_found' }))
      }
    })
  })

  task(3, 'Action links that follow the state', () => {
    it('a pending order links pay and cancel (POST), and no ship', async () => {
      const s = seed(random())
      const api = appFor(s)
      for (const order of inStatus(s, 'pending')) {
        const res = await api.get(orderPath(order.id))
        expectOrder(res, order)
        expectActions(res, order)
      }
    })

    it('a paid order links ship (POST), and neither pay nor cancel', async () => {
      const s = seed(random())
      const api = appFor(s)
      for (const order of inStatus(s, 'paid')) {
        const res = await api.get(orderPath(order.id))
        expectOrder(res, order)
        expectActions(res, order)
      }
    })

    it.each([['shipped'], ['cancelled']] as [OrderStatus][])(
      'a %s order links no action at all: the keys are absent, not null',
      async (status) => {
        const s = seed(random())
        const api = appFor(s)
        for (const order of inStatus(s, status)) {
          const res = await api.get(orderPath(order.id))
          expectOrder(res, order)
          expectActions(res, order)
        }
      },
    )

    it('embeds each order with the same links its GET self shows, actions included', async () => {
      const s = seed(random())
      const api = appFor(s)
      const list = await api.get('/api/orders')
      expect(list).toHaveStatus(200)
      const embedded = embeddedOrders(list)
      const sorted = byId(s.orders)
      expect(embedded).toHaveLength(sorted.length)
      for (const [i, item] of embedded.entries()) {
        const order = sorted[i]!
        navLink(list, 'self', orderPath(order.id), item)
        navLink(list, 'collection', '/api/orders', item)
        navLink(list, 'customer', `/api/customers/${order.customerId}`, item)
        expectActions(list, order, item)
        const own = await follow(api, linkOf(list, 'self', item))
        expectOrder(own, order)
        expect(normalized(item), `embedded order ${order.id} differs from GET self`).toEqual(
          normalized(own.body),
        )
      }
    })
  })

  task(4, 'Change the state with the action links', () => {
    it('lets a client cancel a pending order by following links from /api', async () => {
      const rng = random()
      const s = seed(rng)
      const target = rng.pick(inStatus(s, 'pending'))
      const api = appFor(s)
      const root = await api.get('/api')
      const list = await follow(api, linkOf(root, 'orders'))
      expect(list).toHaveStatus(200)
      const item = embeddedOrders(list).find((o) => isObject(o) && o['id'] === target.id)
      focusOn(list)
      expect(item, `order ${target.id} is missing from the collection`).toBeDefined()
      const cancelled = await follow(api, linkOf(list, 'cancel', item))
      const after = { ...target, status: 'cancelled' as const }
      expectOrder(cancelled, after)
      expectActions(cancelled, after)
      const listAfter = await api.get('/api/orders')
      expect(listAfter).toHaveStatus(200)
      expect(embeddedOrders(listAfter)).toEqual(
        byId(s.orders).map((o) => expect.objectContaining(o.id === target.id ? after : o)),
      )
    })

    it('paying answers the paid order with its new links: ship, no pay or cancel', async () => {
      const rng = random()
      const s = seed(rng)
      const order = rng.pick(inStatus(s, 'pending'))
      const api = appFor(s)
      const res = await api.get(orderPath(order.id))
      expectOrder(res, order)
      const paid = await follow(api, linkOf(res, 'pay'))
      const after = { ...order, status: 'paid' as const }
      expectOrder(paid, after)
      expectActions(paid, after)
      navLink(paid, 'self', orderPath(order.id))
      const fetched = await follow(api, linkOf(paid, 'self'))
      expectOrder(fetched, after)
      expectActions(fetched, after)
    })

    it('shipping a paid order answers it shipped, with no action left', async () => {
      const rng = random()
      const s = seed(rng)
      const order = rng.pick(inStatus(s, 'paid'))
      const api = appFor(s)
      const res = await api.get(orderPath(order.id))
      expectOrder(res, order)
      const shipped = await follow(api, linkOf(res, 'ship'))
      const after = { ...order, status: 'shipped' as const }
      expectOrder(shipped, after)
      expectActions(shipped, after)
      expectOrder(await api.get(orderPath(order.id)), after)
    })

    it('walks an order from pending to shipped using only the links it is given', async () => {
      const rng = random()
      const s = seed(rng)
      const order = rng.pick(inStatus(s, 'pending'))
      const api = appFor(s)
      const start = await api.get(orderPath(order.id))
      expectOrder(start, order)
      const paid = await follow(api, linkOf(start, 'pay'))
      expectOrder(paid, { ...order, status: 'paid' })
      const shipped = await follow(api, linkOf(paid, 'ship'))
      expectOrder(shipped, { ...order, status: 'shipped' })
      expectActions(shipped, { ...order, status: 'shipped' })
    })

    it('POST an action on an order nobody holds answers 404 not_found', async () => {
      const rng = random()
      const s = seed(rng)
      const api = appFor(s)
      const top = byId(s.orders).at(-1)!.id
      for (const action of ACTIONS) {
        const res = await api.post(`${orderPath(top + rng.int(1, 30))}/${action}`)
        expect(res).toHaveStatus(404)
        expect(res).toHaveJsonBody(expect.objectContaining({ error: 'not_found' }))
      }
      // An id not written in digits names no order: `7x` is not order 7, and nothing changes.
      for (const order of s.orders) {
        for (const action of allowedIn(order.status)) {
          const res = await api.post(`/api/orders/${order.id}x/${action}`)
          expect(res).toHaveStatus(404)
          expect(res).toHaveJsonBody(expect.objectContaining({ error: 'not_found' }))
        }
      }
      const list = await api.get('/api/orders')
      expect(list).toHaveStatus(200)
      expect(embeddedOrders(list), 'no order may change').toEqual(
        byId(s.orders).map((o) => expect.objectContaining(o)),
      )
    })

    it('keeps each app its own orders, and never changes the ones it was given', async () => {
      const rng = random()
      const s = seed(rng)
      const before = structuredClone(s)
      const order = rng.pick(inStatus(s, 'pending'))
      const first = client(createApp(s))
      const second = client(createApp(s))
      expectOrder(await first.post(`${orderPath(order.id)}/cancel`), {
        ...order,
        status: 'cancelled',
      })
      expectOrder(await second.get(orderPath(order.id)), order)
      expect(s, 'the orders passed to createApp were changed').toEqual(before)
    })
  })

  task(5, 'Refuse what the state does not allow', () => {
    it.each(refused)(
      'POST %s on a %s order answers 409 invalid_transition and changes nothing',
      async (action, status) => {
        const rng = random()
        const s = seed(rng)
        const order = rng.pick(inStatus(s, status))
        const api = appFor(s)
        const before = await api.get(orderPath(order.id))
        expectOrder(before, order)
        const res = await api.post(`${orderPath(order.id)}/${action}`)
        expect(res).toHaveStatus(409)
        expect(res).toHaveJsonBody(expect.objectContaining({ error: 'invalid_transition' }))
        const after = await api.get(orderPath(order.id))
        expectOrder(after, order)
        expect(normalized(after.body), 'a refused action must not change the order').toEqual(
          normalized(before.body),
        )
      },
    )

    it('answers 409 when a client reuses a cancel link after the order was cancelled', async () => {
      const rng = random()
      const s = seed(rng)
      const order = rng.pick(inStatus(s, 'pending'))
      const api = appFor(s)
      const res = await api.get(orderPath(order.id))
      const cancel = linkOf(res, 'cancel')
      expectOrder(await follow(api, cancel), { ...order, status: 'cancelled' })
      const again = await follow(api, cancel)
      expect(again).toHaveStatus(409)
      expect(again).toHaveJsonBody(expect.objectContaining({ error: 'invalid_transition' }))
    })

    it('POST of an action the API does not have answers 404 and changes nothing', async () => {
      const rng = random()
      const s = seed(rng)
      const api = appFor(s)
      // Names a lookup table might find on Object.prototype, or by a prefix, are no actions.
      const names = ['constructor', '__proto__', 'toString', 'hasOwnProperty', 'valueOf']
      for (const order of [rng.pick(inStatus(s, 'pending')), rng.pick(inStatus(s, 'paid'))]) {
        for (const action of [...names, 'payment', 'cancelled', `x${rng.word(3, 8)}`]) {
          const res = await api.post(`${orderPath(order.id)}/${action}`)
          expect(res).toHaveStatus(404)
          expect(res).toHaveJsonBody(expect.objectContaining({ error: 'not_found' }))
        }
        const after = await api.get(orderPath(order.id))
        expectOrder(after, order)
        expectActions(after, order)
      }
    })
  })
})
