// evolve-without-breaking - the hidden spec.
//
// Task 1 replays recorded v1.0 exchanges (the data below) the way a tolerant reader would:
// status, every recorded field at every depth, array lengths, Location; extra fields ignored.
//
// Wrong implementations this spec is built to catch:
// - qty renamed to quantity (old clients lose `qty`), or `quantity` sent only on some routes
// - only one input name accepted; both names with different values silently resolved (one wins)
//   instead of 400 conflicting_fields; equal values refused; the two compared with == (2 and "2")
// - a strict schema for the new fields (z.strictObject), so old clients' extra fields ("source")
//   are refused; unknown query parameters refused
// - a default page size for the new `limit`, so an old client listing 30 orders gets 20; the
//   limit cut before the status filter
// - limit bounds off by one (0 or 101 accepted, 1 or 100 refused), `parseInt` reading "5x"
// - giftWrap not defaulted to false, or coerced from "yes"/1/"true"
// - Deprecation / Sunset missing, in the wrong format (milliseconds, ISO dates), sent on every
//   response instead of only to requests that sent qty, or missing when qty comes with quantity
// - createApp accepting an invalid Date or a sunset before the deprecation, or refusing equal ones;
//   coercing a string or a number into a Date instead of a TypeError
// - the usage report keyed in a plain object (User-Agent "__proto__" or "constructor" breaks
//   it), counting requests that did not send qty, not counting refused ones, or not in the order
//   of first use; shared between two apps
// - the new status shown to clients that did not opt in, or mapped only in some answers (the
//   list, or the answer of an action, still says on_hold); the 1.0 filter ?status=pending
//   missing on-hold orders; ?status=on_hold accepted for 1.0 clients
// - unknown Api-Version values treated as 1.0 (or 1.1) instead of 400
// - hold from a non-pending status; ship allowed on hold; cancel refused on hold
// - no Vary: Api-Version on the responses that depend on it
// - orders kept at module level, shared between two apps
import { describe, expect, it } from 'vitest'
import {
  build,
  client,
  focusOn,
  parseTokenList,
  random,
  task,
  type Client,
  type Reply,
  type Rng,
} from '../../harness/spec-kit/index.ts'
import { createApp } from '../../exercises/evolve-without-breaking/app.ts'

type Json = null | boolean | number | string | Json[] | { [key: string]: Json }

// ---------------------------------------------------------------------------------------------
// Recorded v1.0 exchanges. `{{name}}` in a response body is an id: recorded the first time it is
// seen, compared (and substituted into paths) after that.

interface Exchange {
  method: 'GET' | 'POST'
  path: string
  headers?: Record<string, string>
  /** A JSON body, or raw text with `raw`. */
  body?: Json
  raw?: string
  status: number
  response?: Json
  location?: string
}

interface Session {
  name: string
  exchanges: (rng: Rng) => Exchange[]
}

const UA = { 'User-Agent': 'checkout/2.9.1 (android)' }

function sku(rng: Rng): string {
  return `sku-${rng.word(3, 6)}-${rng.int(100, 999)}`
}

const SESSIONS: Session[] = [
  {
    name: 'checkout: create, read, list, ship, filter, cancel',
    exchanges: (rng): Exchange[] => {
      const [a, b] = [sku(rng), sku(rng)]
      const [qa, qb] = [rng.int(1, 99), rng.int(1, 99)]
      const o1 = { id: '{{o1}}', item: a, qty: qa, status: 'pending' }
      const o2 = { id: '{{o2}}', item: b, qty: qb, status: 'pending' }
      return [
        { method: 'POST', path: '/orders', headers: UA, body: { item: a, qty: qa, source: 'legacy-app' }, status: 201, response: o1, location: '/orders/{{o1}}' },
        { method: 'GET', path: `/orders/{{o1}}?_=${rng.int(1_600_000_000, 1_700_000_000)}`, headers: UA, status: 200, response: o1 },
        { method: 'POST', path: '/orders', headers: UA, body: { qty: qb, item: b }, status: 201, response: o2, location: '/orders/{{o2}}' },
        { method: 'GET', path: '/orders', headers: UA, status: 200, response: { orders: [o1, o2] } },
        { method: 'POST', path: '/orders/{{o1}}/ship', headers: UA, status: 200, response: { ...o1, status: 'shipped' } },
        { method: 'GET', path: '/orders?status=pending&client=checkout', headers: UA, status: 200, response: { orders: [o2] } },
        { method: 'GET', path: '/orders?status=shipped', headers: UA, status: 200, response: { orders: [{ ...o1, status: 'shipped' }] } },
        { method: 'POST', path: '/orders/{{o1}}/cancel', headers: UA, status: 409, response: { error: 'invalid_transition' } },
        { method: 'POST', path: '/orders/{{o2}}/cancel', headers: UA, status: 200, response: { ...o2, status: 'cancelled' } },
        { method: 'POST', path: '/orders/{{o2}}/ship', headers: UA, status: 409, response: { error: 'invalid_transition' } },
        { method: 'GET', path: '/orders?status=cancelled', headers: UA, status: 200, response: { orders: [{ ...o2, status: 'cancelled' }] } },
        { method: 'GET', path: '/orders/{{o2}}', status: 200, response: { ...o2, status: 'cancelled' } },
      ]
    },
  },
  {
    name: 'warehouse script: every validation error, then an empty list',
    exchanges: (rng): Exchange[] => {
      const item = sku(rng)
      const bad = (body: Json): Exchange => ({ method: 'POST', path: '/orders', body, status: 400, response: { error: 'invalid_order' } })
      return [
        bad({ item, qty: 0 }),
        bad({ item, qty: 100 }),
        bad({ item, qty: 2.5 }),
        bad({ item, qty: '2' }),
        bad({ item, qty: -3 }),
        bad({ item: '', qty: 1 }),
        bad({ item: 42, qty: 1 }),
        bad({ qty: 1 }),
        bad({ item }),
        bad([{ item, qty: 1 }]),
        bad('an order'),
        { method: 'POST', path: '/orders', raw: `{"item": "${item}", "qty": `, headers: { 'Content-Type': 'application/json' }, status: 400, response: { error: 'invalid_order' } },
        { method: 'GET', path: '/orders?status=lost', status: 400, response: { error: 'invalid_status' } },
        { method: 'GET', path: '/orders?status=', status: 400, response: { error: 'invalid_status' } },
        { method: 'GET', path: '/orders?status=Pending', status: 400, response: { error: 'invalid_status' } },
        { method: 'GET', path: '/orders/ord_999', status: 404, response: { error: 'not_found' } },
        { method: 'GET', path: '/orders/constructor', status: 404, response: { error: 'not_found' } },
        { method: 'POST', path: '/orders/__proto__/ship', status: 404, response: { error: 'not_found' } },
        { method: 'POST', path: '/orders/nope/cancel', status: 404, response: { error: 'not_found' } },
        { method: 'GET', path: '/inventory', status: 404, response: { error: 'not_found' } },
        { method: 'GET', path: '/orders?page=2&per_page=10', status: 200, response: { orders: [] } },
      ]
    },
  },
  {
    name: 'partner sync: the bounds of qty, then the whole list of many orders',
    exchanges: (rng): Exchange[] => {
      const made: Json[] = []
      const out: Exchange[] = []
      const count = rng.int(26, 34)
      for (let i = 0; i < count; i++) {
        const qty = i === 0 ? 1 : i === 1 ? 99 : rng.int(1, 99)
        const item = sku(rng)
        const order = { id: `{{p${i}}}`, item, qty, status: 'pending' }
        made.push(order)
        out.push({ method: 'POST', path: '/orders', headers: { 'User-Agent': 'partner-sync/1.0' }, body: { item, qty }, status: 201, response: order, location: `/orders/{{p${i}}}` })
      }
      out.push({ method: 'GET', path: `/orders?client=partner&_=${rng.int(1, 1e9)}`, status: 200, response: { orders: made } })
      out.push({ method: 'GET', path: '/orders?status=pending', status: 200, response: { orders: made } })
      return out
    },
  },
]

/** Replaces `{{name}}` in text by the remembered id. */
function fill(text: string, ids: Map<string, string>): string {
  return text.replace(/\{\{(\w+)\}\}/g, (whole, name: string) => ids.get(name) ?? whole)
}

/** The matcher for a recorded body: recorded fields only, ids remembered or compared. */
function tolerant(recorded: Json, ids: Map<string, string>): unknown {
  if (typeof recorded === 'string') {
    const m = /^\{\{(\w+)\}\}$/.exec(recorded)
    if (m) return ids.has(m[1]!) ? ids.get(m[1]!) : expect.any(String)
    return recorded
  }
  if (Array.isArray(recorded)) return recorded.map((item) => tolerant(item, ids))
  if (recorded !== null && typeof recorded === 'object') {
    const shape: Record<string, unknown> = {}
    for (const [k, v] of Object.entries(recorded)) shape[k] = tolerant(v, ids)
    return expect.objectContaining(shape)
  }
  return recorded
}

/** Remembers the ids a recorded body names for the first time. */
function remember(recorded: Json, actual: unknown, ids: Map<string, string>): void {
  if (typeof recorded === 'string') {
    const m = /^\{\{(\w+)\}\}$/.exec(recorded)
    if (m && !ids.has(m[1]!) && typeof actual === 'string') ids.set(m[1]!, actual)
  } else if (Array.isArray(recorded) && Array.isArray(actual)) {
    recorded.forEach((item, i) => remember(item, actual[i], ids))
  } else if (recorded !== null && typeof recorded === 'object' && actual && typeof actual === 'object') {
    for (const [k, v] of Object.entries(recorded)) remember(v, (actual as Record<string, unknown>)[k], ids)
  }
}

async function replay(api: Client, exchanges: Exchange[]): Promise<void> {
  const ids = new Map<string, string>()
  for (const ex of exchanges) {
    const path = fill(ex.path, ids)
    const options = ex.raw !== undefined ? { headers: ex.headers, body: ex.raw } : { headers: ex.headers, json: ex.body }
    const res = await api.send(ex.method, path, options)
    expect(res).toHaveStatus(ex.status)
    if (ex.response !== undefined) {
      expect(res).toHaveJsonBody(tolerant(ex.response, ids))
      remember(ex.response, res.body, ids)
    }
    if (ex.location) {
      expect(res).toHaveHeader('Location')
      focusOn(res)
      expect(new URL(res.headers['location']!, 'http://api.test').pathname, 'Location').toBe(fill(ex.location, ids))
    }
  }
}

// ---------------------------------------------------------------------------------------------

const V11 = { 'Api-Version': '1.1' }
const IMF_FIXDATE = /^(Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d{2} (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) \d{4} \d{2}:\d{2}:\d{2} GMT$/

function app(options: Parameters<typeof createApp>[0] = {}): Client {
  return client(build(createApp, options))
}

async function create(api: Client, body: Json, headers: Record<string, string> = {}): Promise<Reply> {
  return api.post('/orders', { json: body, headers })
}

/** Creates an order with `quantity` and returns its id. */
async function made(api: Client, rng: Rng, extra: Record<string, Json> = {}): Promise<{ id: string; item: string; quantity: number }> {
  const item = sku(rng)
  const quantity = rng.int(1, 99)
  const res = await create(api, { item, quantity, ...extra })
  expect(res).toHaveStatus(201)
  return { id: (res.body as { id: string }).id, item, quantity }
}

/** A whole-second date in the years around now. */
function date(rng: Rng, fromYear: number, toYear: number): Date {
  return new Date(Date.UTC(rng.int(fromYear, toYear), rng.int(0, 11), rng.int(1, 28), rng.int(0, 23), rng.int(0, 59), rng.int(0, 59)))
}

function expectDeprecation(res: Reply, deprecatedAt: Date, sunsetAt: Date): void {
  expect(res).toHaveHeader('Deprecation', `@${Math.floor(deprecatedAt.getTime() / 1000)}`)
  expect(res).toHaveHeader('Sunset', IMF_FIXDATE)
  focusOn(res)
  expect(Date.parse(res.headers['sunset']!), 'the Sunset date').toBe(sunsetAt.getTime())
}

function expectNoDeprecation(res: Reply): void {
  expect(res).not.toHaveHeader('Deprecation')
  expect(res).not.toHaveHeader('Sunset')
}

async function hold(api: Client, id: string, headers: Record<string, string> = {}): Promise<Reply> {
  return api.post(`/orders/${id}/hold`, { headers })
}

describe('evolve-without-breaking', () => {
  task(1, 'Keep the recorded v1.0 exchanges passing (the stub does this already)', () => {
    it.each(SESSIONS.map((s) => [s.name, s] as const))('replays the recorded session "%s"', async (_, session) => {
      const rng = random()
      await replay(app(), session.exchanges(rng))
    })

    it('keeps the orders of two apps apart', async () => {
      const rng = random()
      const [one, two] = [app(), app()]
      const res = await create(one, { item: sku(rng), qty: rng.int(1, 99) })
      expect(res).toHaveStatus(201)
      const list = await two.get('/orders')
      expect(list).toHaveStatus(200)
      expect(list).toHaveJsonBody(expect.objectContaining({ orders: [] }))
      const id = (res.body as { id: string }).id
      expect(await two.get(`/orders/${id}`)).toHaveStatus(404)
    })
  })

  task(2, 'Rename qty to quantity without breaking anyone', () => {
    it('sends qty and quantity, with the same value, in every order it returns', async () => {
      const rng = random()
      const api = app()
      const item = sku(rng)
      const quantity = rng.int(1, 99)
      const first = await create(api, rng.next() < 0.5 ? { item, qty: quantity } : { item, quantity })
      expect(first).toHaveStatus(201)
      const both = expect.objectContaining({ item, qty: quantity, quantity })
      expect(first).toHaveJsonBody(both)
      const id = (first.body as { id: string }).id
      expect(await api.get(`/orders/${id}`)).toHaveJsonBody(both)
      expect(await api.get('/orders')).toHaveJsonBody(expect.objectContaining({ orders: [both] }))
      expect(await api.post(`/orders/${id}/${rng.pick(['ship', 'cancel'])}`)).toHaveJsonBody(both)
    })

    it('creates the same order from quantity as from qty', async () => {
      const rng = random()
      const api = app()
      const item = sku(rng)
      const quantity = rng.int(1, 99)
      const res = await create(api, { item, quantity })
      expect(res).toHaveStatus(201)
      expect(res).toHaveJsonBody(expect.objectContaining({ item, qty: quantity, quantity, status: 'pending' }))
    })

    it('accepts qty and quantity together when they are the same', async () => {
      const rng = random()
      const api = app()
      const quantity = rng.int(1, 99)
      const res = await create(api, { quantity, item: sku(rng), qty: quantity })
      expect(res).toHaveStatus(201)
      expect(res).toHaveJsonBody(expect.objectContaining({ qty: quantity, quantity }))
    })

    it('refuses qty and quantity with different values: 400 conflicting_fields, nothing created', async () => {
      const rng = random()
      const api = app()
      const qty = rng.int(1, 50)
      const quantity = qty + rng.int(1, 49)
      const body = rng.next() < 0.5 ? { item: sku(rng), qty, quantity } : { item: sku(rng), quantity, qty }
      const res = await create(api, body)
      expect(res).toHaveStatus(400)
      expect(res).toHaveJsonBody(expect.objectContaining({ error: 'conflicting_fields', fields: expect.any(Array) }))
      focusOn(res)
      expect([...(res.body as { fields: string[] }).fields].sort(), 'fields names the two').toEqual(['qty', 'quantity'])
      expect(await api.get('/orders')).toHaveJsonBody(expect.objectContaining({ orders: [] }))
    })

    it('refuses a conflicting pair even when one value alone is invalid', async () => {
      const rng = random()
      const api = app()
      // The same number as a string: a loose == would call the two equal.
      const qty = rng.int(1, 99)
      const res = await create(api, { item: sku(rng), qty, quantity: String(qty) })
      expect(res).toHaveStatus(400)
      expect(res).toHaveJsonBody(expect.objectContaining({ error: 'conflicting_fields' }))
      expect(await api.get('/orders')).toHaveJsonBody(expect.objectContaining({ orders: [] }))
    })

    it.each([0, 100, 2.5, '7', -1])('refuses quantity %j with 400 invalid_order', async (quantity) => {
      const rng = random()
      const api = app()
      const res = await create(api, { item: sku(rng), quantity })
      expect(res).toHaveStatus(400)
      expect(res).toHaveJsonBody(expect.objectContaining({ error: 'invalid_order' }))
      expect(await api.get('/orders')).toHaveJsonBody(expect.objectContaining({ orders: [] }))
    })

    it('accepts quantity 1 and 99', async () => {
      const rng = random()
      const api = app()
      for (const quantity of [1, 99]) {
        const res = await create(api, { item: sku(rng), quantity })
        expect(res).toHaveStatus(201)
        expect(res).toHaveJsonBody(expect.objectContaining({ qty: quantity, quantity }))
      }
    })
  })

  task(3, 'Deprecation and Sunset on the old field', () => {
    it('sends Deprecation and Sunset on a 201 to a body that used qty', async () => {
      const rng = random()
      const deprecatedAt = date(rng, 2024, 2027)
      const sunsetAt = new Date(deprecatedAt.getTime() + rng.int(30, 900) * 86_400_000)
      const api = app({ qtyDeprecatedAt: deprecatedAt, qtySunsetAt: sunsetAt })
      const res = await create(api, { item: sku(rng), qty: rng.int(1, 99) })
      expect(res).toHaveStatus(201)
      expectDeprecation(res, deprecatedAt, sunsetAt)
    })

    it('sends them also when qty comes with the same quantity', async () => {
      const rng = random()
      const deprecatedAt = date(rng, 2024, 2027)
      const sunsetAt = new Date(deprecatedAt.getTime() + rng.int(30, 900) * 86_400_000)
      const api = app({ qtyDeprecatedAt: deprecatedAt, qtySunsetAt: sunsetAt })
      const n = rng.int(1, 99)
      const res = await create(api, { item: sku(rng), quantity: n, qty: n })
      expect(res).toHaveStatus(201)
      expectDeprecation(res, deprecatedAt, sunsetAt)
    })

    it('uses the default dates when none are given', async () => {
      const rng = random()
      const res = await create(app(), { item: sku(rng), qty: rng.int(1, 99) })
      expect(res).toHaveStatus(201)
      expectDeprecation(res, new Date('2026-01-01T00:00:00Z'), new Date('2027-07-01T00:00:00Z'))
    })

    it('sends no Deprecation or Sunset to requests that did not send qty', async () => {
      const rng = random()
      const api = app()
      const first = await create(api, { item: sku(rng), quantity: rng.int(1, 99) })
      expect(first).toHaveStatus(201)
      expectNoDeprecation(first)
      const id = (first.body as { id: string }).id
      await create(api, { item: sku(rng), qty: rng.int(1, 99) })
      for (const res of [await api.get(`/orders/${id}`), await api.get('/orders'), await api.post(`/orders/${id}/ship`)]) {
        expect(res).toHaveStatus(200)
        expectNoDeprecation(res)
      }
    })

    it('accepts a sunset at the very instant of the deprecation', async () => {
      const rng = random()
      const at = date(rng, 2024, 2027)
      const res = await create(app({ qtyDeprecatedAt: at, qtySunsetAt: new Date(at.getTime()) }), { item: sku(rng), qty: 1 })
      expect(res).toHaveStatus(201)
      expectDeprecation(res, at, at)
    })

    it('createApp throws a TypeError when a date is a string or a number instead of a Date', async () => {
      const at = date(random(), 2024, 2027)
      const cases: Record<string, unknown>[] = [
        { qtyDeprecatedAt: at.toISOString() },
        { qtySunsetAt: at.toUTCString() },
        { qtyDeprecatedAt: at.getTime() },
        { qtyDeprecatedAt: at, qtySunsetAt: Math.floor(at.getTime() / 1000) + 86_400 },
      ]
      for (const options of cases) {
        expect(() => createApp(options as never), `createApp(${JSON.stringify(options)}) throws a TypeError`).toThrow(TypeError)
      }
    })

    it('createApp throws a RangeError for a sunset before the deprecation, or an invalid Date', async () => {
      const rng = random()
      const at = date(rng, 2024, 2027)
      const cases = [
        { qtyDeprecatedAt: at, qtySunsetAt: new Date(at.getTime() - 1000) },
        { qtyDeprecatedAt: new Date('nope') },
        { qtySunsetAt: new Date(Number.NaN) },
      ]
      for (const options of cases) {
        expect(() => createApp(options), `createApp(${JSON.stringify(options)}) throws a RangeError`).toThrow(RangeError)
      }
    })

    it('GET /deprecations counts the requests that sent qty, per User-Agent, in order of first use', async () => {
      const rng = random()
      const api = app()
      const agents = rng.shuffle([`checkout/${rng.int(1, 9)}.${rng.int(0, 9)}`, '__proto__', 'constructor', `warehouse-${rng.word()}`, null])
      const counts = new Map<string | null, number>()
      const order: (string | null)[] = []
      // Every agent sends qty at least once; a refused qty counts; a quantity-only client never appears.
      const kinds: [string | null, 'qty' | 'refused' | 'quantity'][] = agents.map((a) => [a, 'qty'])
      kinds.push([rng.pick(agents), 'refused'], [rng.pick(agents), 'quantity'], [`new-client/${rng.int(1, 9)}`, 'quantity'])
      for (let i = rng.int(3, 6); i > 0; i--) kinds.push([rng.pick(agents), rng.pick(['qty', 'refused', 'quantity'] as const)])
      for (const [agent, kind] of rng.shuffle(kinds)) {
        const headers: Record<string, string> = agent === null ? {} : { 'User-Agent': agent }
        if (kind === 'qty') expect(await create(api, { item: sku(rng), qty: rng.int(1, 99) }, headers)).toHaveStatus(201)
        else if (kind === 'refused') expect(await create(api, { item: sku(rng), qty: 0 }, headers)).toHaveStatus(400)
        else expect(await create(api, { item: sku(rng), quantity: rng.int(1, 99) }, headers)).toHaveStatus(201)
        if (kind === 'quantity') continue
        if (!counts.has(agent)) order.push(agent)
        counts.set(agent, (counts.get(agent) ?? 0) + 1)
      }
      const res = await api.get('/deprecations')
      expect(res).toHaveStatus(200)
      expect(res).toHaveJsonBody(
        expect.objectContaining({
          qty: order.map((userAgent) => expect.objectContaining({ userAgent, requests: counts.get(userAgent) })),
        }),
      )
    })

    it('GET /deprecations lists nobody when nobody sent qty, and each app counts its own', async () => {
      const rng = random()
      const [one, two] = [app(), app()]
      await create(one, { item: sku(rng), qty: rng.int(1, 99) }, { 'User-Agent': 'old/1' })
      await create(two, { item: sku(rng), quantity: rng.int(1, 99) }, { 'User-Agent': 'new/2' })
      const res = await two.get('/deprecations')
      expect(res).toHaveStatus(200)
      expect(res).toHaveJsonBody(expect.objectContaining({ qty: [] }))
    })
  })

  task(4, 'New optional inputs keep the old defaults', () => {
    it('giftWrap defaults to false and is kept when sent', async () => {
      const rng = random()
      const api = app()
      const plain = await create(api, { item: sku(rng), qty: rng.int(1, 99) })
      expect(plain).toHaveStatus(201)
      expect(plain).toHaveJsonBody(expect.objectContaining({ giftWrap: false }))
      const wrapped = await create(api, { item: sku(rng), quantity: rng.int(1, 99), giftWrap: true })
      expect(wrapped).toHaveStatus(201)
      expect(wrapped).toHaveJsonBody(expect.objectContaining({ giftWrap: true }))
      const unwrapped = await create(api, { item: sku(rng), quantity: rng.int(1, 99), giftWrap: false })
      expect(unwrapped).toHaveJsonBody(expect.objectContaining({ giftWrap: false }))
      const list = await api.get('/orders')
      expect(list).toHaveJsonBody({
        orders: [false, true, false].map((giftWrap) => expect.objectContaining({ giftWrap })),
      })
    })

    it.each(['yes', 1, 'true', 'false', 0])('refuses giftWrap %j with 400 invalid_order', async (giftWrap) => {
      const rng = random()
      const api = app()
      const res = await create(api, { item: sku(rng), quantity: rng.int(1, 99), giftWrap })
      expect(res).toHaveStatus(400)
      expect(res).toHaveJsonBody(expect.objectContaining({ error: 'invalid_order' }))
    })

    it('still ignores unknown fields next to the new ones', async () => {
      const rng = random()
      const res = await create(app(), { item: sku(rng), quantity: rng.int(1, 99), giftWrap: true, campaign: rng.word(), gift: { note: 'hi' } })
      expect(res).toHaveStatus(201)
    })

    it('?limit=N returns the first N orders, after the status filter', async () => {
      const rng = random()
      const api = app()
      const ids: string[] = []
      for (let i = rng.int(6, 10); i > 0; i--) ids.push((await made(api, rng)).id)
      // The first order is shipped and the last two are pending: a limit cut before the filter
      // returns fewer pending orders than asked for.
      const shipped = ids.filter((_, i) => i === 0 || (i < ids.length - 2 && rng.next() < 0.5))
      for (const id of shipped) expect(await api.post(`/orders/${id}/ship`)).toHaveStatus(200)
      const pending = ids.filter((id) => !shipped.includes(id))
      const n = rng.int(1, ids.length - 1)
      const all = await api.get(`/orders?limit=${n}&utm_source=mail`)
      expect(all).toHaveStatus(200)
      expect(all).toHaveJsonBody(expect.objectContaining({ orders: ids.slice(0, n).map((id) => expect.objectContaining({ id })) }))
      for (const k of [rng.int(1, pending.length), pending.length + 1]) {
        const filtered = await api.get(`/orders?status=pending&limit=${k}`)
        expect(filtered, `?status=pending&limit=${k} with ${pending.length} pending orders`).toHaveJsonBody(
          expect.objectContaining({ orders: pending.slice(0, k).map((id) => expect.objectContaining({ id })) }),
        )
      }
    })

    it('accepts limit 1 and 100, and a limit larger than the list', async () => {
      const rng = random()
      const api = app()
      const ids: string[] = []
      for (let i = rng.int(2, 5); i > 0; i--) ids.push((await made(api, rng)).id)
      const one = await api.get('/orders?limit=1')
      expect(one).toHaveJsonBody(expect.objectContaining({ orders: [expect.objectContaining({ id: ids[0] })] }))
      const hundred = await api.get('/orders?limit=100')
      expect(hundred).toHaveJsonBody(expect.objectContaining({ orders: ids.map((id) => expect.objectContaining({ id })) }))
    })

    it('returns every order without limit, however many there are', async () => {
      const rng = random()
      const api = app()
      const count = rng.int(101, 115)
      for (let i = 0; i < count; i++) expect(await create(api, { item: sku(rng), quantity: rng.int(1, 99) })).toHaveStatus(201)
      const res = await api.get('/orders')
      expect(res).toHaveStatus(200)
      focusOn(res)
      expect((res.body as { orders: unknown[] }).orders, 'every order').toHaveLength(count)
    })

    it.each(['0', '101', 'abc', '5x', '-1', '1.5', '', ' 5', '0x10'])('refuses ?limit=%j with 400 invalid_limit', async (limit) => {
      const rng = random()
      const api = app()
      await made(api, rng)
      const res = await api.get(`/orders?limit=${encodeURIComponent(limit)}`)
      expect(res).toHaveStatus(400)
      expect(res).toHaveJsonBody(expect.objectContaining({ error: 'invalid_limit' }))
    })
  })

  task(5, 'A new status only for clients that opt in', () => {
    it('POST /orders/:id/hold puts a pending order on hold; 1.1 clients see on_hold everywhere', async () => {
      const rng = random()
      const api = app()
      const { id } = await made(api, rng)
      const res = await hold(api, id, V11)
      expect(res).toHaveStatus(200)
      expect(res).toHaveJsonBody(expect.objectContaining({ id, status: 'on_hold' }))
      expect(await api.get(`/orders/${id}`, { headers: V11 })).toHaveJsonBody(expect.objectContaining({ status: 'on_hold' }))
      expect(await api.get('/orders', { headers: V11 })).toHaveJsonBody(
        expect.objectContaining({ orders: [expect.objectContaining({ id, status: 'on_hold' })] }),
      )
    })

    it('shows an on-hold order as pending to clients that did not opt in, in every answer', async () => {
      const rng = random()
      const api = app()
      const { id } = await made(api, rng)
      const headers = rng.pick<Record<string, string>>([{}, { 'Api-Version': '1.0' }])
      const held = await hold(api, id, headers)
      expect(held).toHaveStatus(200)
      expect(held).toHaveJsonBody(expect.objectContaining({ id, status: 'pending' }))
      expect(await api.get(`/orders/${id}`, { headers })).toHaveJsonBody(expect.objectContaining({ status: 'pending' }))
      expect(await api.get(`/orders/${id}`)).toHaveJsonBody(expect.objectContaining({ status: 'pending' }))
      expect(await api.get('/orders', { headers })).toHaveJsonBody(
        expect.objectContaining({ orders: [expect.objectContaining({ id, status: 'pending' })] }),
      )
    })

    it('filters by what each view sees', async () => {
      const rng = random()
      const api = app()
      const a = await made(api, rng)
      const b = await made(api, rng)
      const c = await made(api, rng)
      expect(await hold(api, b.id, V11)).toHaveStatus(200)
      const ids = (res: Reply) => (res.body as { orders: { id: string }[] }).orders.map((o) => o.id)
      const oldPending = await api.get('/orders?status=pending')
      expect(oldPending).toHaveStatus(200)
      focusOn(oldPending)
      expect(ids(oldPending), '1.0 view: ?status=pending includes the on-hold order').toEqual([a.id, b.id, c.id])
      const newPending = await api.get('/orders?status=pending', { headers: V11 })
      focusOn(newPending)
      expect(ids(newPending), '1.1 view: ?status=pending').toEqual([a.id, c.id])
      const newHeld = await api.get('/orders?status=on_hold', { headers: V11 })
      expect(newHeld).toHaveStatus(200)
      focusOn(newHeld)
      expect(ids(newHeld), '1.1 view: ?status=on_hold').toEqual([b.id])
      const oldHeld = await api.get('/orders?status=on_hold', { headers: rng.pick<Record<string, string>>([{}, { 'Api-Version': '1.0' }]) })
      expect(oldHeld).toHaveStatus(400)
      expect(oldHeld).toHaveJsonBody(expect.objectContaining({ error: 'invalid_status' }))
    })

    it('keeps the transitions: hold needs pending, ship refuses on hold, cancel accepts it', async () => {
      const rng = random()
      const api = app()
      const a = await made(api, rng)
      expect(await hold(api, a.id, V11)).toHaveStatus(200)
      const again = await hold(api, a.id, V11)
      expect(again).toHaveStatus(409)
      expect(again).toHaveJsonBody(expect.objectContaining({ error: 'invalid_transition' }))
      expect(await api.post(`/orders/${a.id}/ship`, { headers: V11 })).toHaveStatus(409)
      const cancelled = await api.post(`/orders/${a.id}/cancel`, { headers: V11 })
      expect(cancelled).toHaveStatus(200)
      expect(cancelled).toHaveJsonBody(expect.objectContaining({ status: 'cancelled' }))
      const b = await made(api, rng)
      expect(await api.post(`/orders/${b.id}/ship`)).toHaveStatus(200)
      expect(await hold(api, b.id, V11)).toHaveStatus(409)
      const missing = await hold(api, rng.pick(['ord_999', 'constructor', 'nope']), V11)
      expect(missing).toHaveStatus(404)
      expect(missing).toHaveJsonBody(expect.objectContaining({ error: 'not_found' }))
    })

    it.each(['2', '1.2', 'v1.1', '1', '1.10', '1.1.0'])('refuses Api-Version: %s with 400 unsupported_version', async (version) => {
      const rng = random()
      const api = app()
      const { id } = await made(api, rng)
      const res = await api.get(rng.pick(['/orders', `/orders/${id}`]), { headers: { 'Api-Version': version } })
      expect(res).toHaveStatus(400)
      expect(res).toHaveJsonBody(expect.objectContaining({ error: 'unsupported_version', supported: expect.any(Array) }))
      focusOn(res)
      expect([...(res.body as { supported: string[] }).supported].sort(), 'supported').toEqual(['1.0', '1.1'])
    })

    it('answers GET /orders and GET /orders/:id with Vary: Api-Version', async () => {
      const rng = random()
      const api = app()
      const { id } = await made(api, rng)
      for (const headers of [{}, V11, { 'Api-Version': '1.0' }] as Record<string, string>[]) {
        for (const path of ['/orders', `/orders/${id}`]) {
          const res = await api.get(path, { headers })
          expect(res).toHaveStatus(200)
          expect(res).toHaveHeader('Vary')
          focusOn(res)
          expect(parseTokenList(res.headers['vary']), 'Vary lists Api-Version').toContain('API-VERSION')
        }
      }
    })

    it('sends quantity and giftWrap in the 1.0 view too', async () => {
      const rng = random()
      const api = app()
      const { id, quantity } = await made(api, rng, { giftWrap: true })
      const res = await api.get(`/orders/${id}`)
      expect(res).toHaveJsonBody(expect.objectContaining({ qty: quantity, quantity, giftWrap: true, status: 'pending' }))
    })
  })
})
