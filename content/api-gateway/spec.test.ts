// api-gateway - the hidden spec.
//
// Wrong implementations this spec is built to catch:
// - wrong URLs, the id not percent-encoded, bodies reshaped instead of passed on
// - calls made one after the other (each awaited before the next starts)
// - X-Request-Id: not sent to every service, not returned (or only on success), an incoming id
//   copied whatever it holds (spaces, markup, 65 characters), or a good one replaced; an id made
//   with crypto instead of newRequestId(); one id for every request
// - upstream failures passed through as they are (a 500 answered 500, an upstream 404 from
//   payments answered 404), a 401/403 turned into 502, a plain JSON error instead of
//   application/problem+json, no service named; the upstream body, the fetch error's message or
//   upstream response headers (Set-Cookie) copied into the response
// - shipments treated as required (a carrier outage fails the page), or its 404 marked degraded
// - Promise.allSettled-style waiting: a failed orders call still waits for the others
// - timeouts with setTimeout / AbortSignal.timeout instead of the injected timers, one timer
//   for the whole request, timeouts not honoured per service, no abort of the timed-out call,
//   calls left running after the answer was decided, timers never cleared
// - headers copied from the client (Cookie, hop-by-hop headers, X-Forwarded-For, custom ones),
//   the user's Authorization sent to the carrier, the carrier token sent to our own services
// - options not validated in createApp
import { inspect } from 'node:util'
import { describe, expect, it } from 'vitest'
import { build, client, focusOn, random, task, type Reply, type Rng } from '../../harness/spec-kit/index.ts'
import { createApp, type GatewayOptions, type ServiceName } from '../../exercises/api-gateway/app.ts'

const WAIT_MS = 1500
const SERVICES: ServiceName[] = ['orders', 'payments', 'shipments']
const BASE: Record<ServiceName, string> = {
  orders: 'http://orders.internal/orders/',
  payments: 'http://payments.internal/payments/',
  shipments: 'http://carrier.example/v1/shipments/',
}
const SECRET = 'at PaymentsDb.query (/srv/internal-db-7.js:41)'

type Plan =
  | { status: number; body?: string; headers?: Record<string, string> }
  | { reject: string }

interface Call {
  service: ServiceName
  url: string
  method: string
  headers: Headers
  signal: AbortSignal | undefined
  answer: () => void
  answered: boolean
}

/** The three services, faked: each answers per its plan, now or once released; honours aborts. */
class World {
  readonly calls: Call[] = []
  readonly plans = {} as Record<ServiceName, Plan>
  readonly bodies = {} as Record<ServiceName, unknown>
  hold = false
  private waiters: { count: number; resolve: () => void }[] = []

  constructor(rng: Rng) {
    this.bodies.orders = { id: `ord_${rng.int(100, 999)}`, total: rng.int(100, 99999), items: [rng.word()] }
    this.bodies.payments = { status: rng.pick(['captured', 'authorized']), amount: rng.int(100, 9999) }
    this.bodies.shipments = { carrier: rng.word(), tracking: `TRK${rng.int(10000, 99999)}` }
    for (const s of SERVICES) {
      this.plans[s] = {
        status: 200,
        body: JSON.stringify(this.bodies[s]),
        headers: { 'content-type': 'application/json', 'set-cookie': `${s}_session=${rng.word()}`, 'x-internal-host': `${s}-7.cluster.local` },
      }
    }
  }

  [inspect.custom](): string {
    return 'fakeFetch()'
  }

  readonly fetch = (input: string, init?: RequestInit): Promise<Response> => {
    const url = String(input)
    const service = SERVICES.find((s) => url.startsWith(BASE[s])) ?? 'orders'
    return new Promise<Response>((resolve, reject) => {
      const signal = init?.signal ?? undefined
      const call: Call = {
        service,
        url,
        method: (init?.method ?? 'GET').toUpperCase(),
        headers: new Headers(init?.headers),
        signal,
        answered: false,
        answer: () => {
          if (call.answered) return
          call.answered = true
          const plan = this.plans[service]
          if ('reject' in plan) reject(new TypeError(plan.reject))
          else resolve(new Response(plan.body ?? '', { status: plan.status, headers: plan.headers ?? {} }))
        },
      }
      signal?.addEventListener('abort', () => {
        if (call.answered) return
        call.answered = true
        reject(signal.reason ?? new DOMException('This operation was aborted', 'AbortError'))
      })
      this.calls.push(call)
      for (const w of this.waiters.filter((w) => this.calls.length >= w.count)) w.resolve()
      if (!this.hold) call.answer()
    })
  }

  call(service: ServiceName): Call {
    const call = this.calls.find((c) => c.service === service)
    expect(call, `the gateway called ${service}`).toBeDefined()
    return call!
  }

  release(service: ServiceName): void {
    this.call(service).answer()
  }

  /** Resolves once `count` calls have been made; fails in the learner's words otherwise. */
  made(count: number, message: string): Promise<void> {
    if (this.calls.length >= count) return Promise.resolve()
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(message)), WAIT_MS)
      this.waiters.push({
        count,
        resolve: () => {
          clearTimeout(timer)
          resolve()
        },
      })
    })
  }
}

/** Timers the spec fires by hand. */
class FakeTimers {
  [inspect.custom](): string {
    return 'fakeTimers()'
  }

  readonly entries: { handle: number; ms: number; callback: () => void; state: 'pending' | 'cleared' | 'fired' }[] = []

  readonly set = (callback: () => void, ms: number): unknown => {
    const handle = this.entries.length + 1
    this.entries.push({ handle, ms, callback, state: 'pending' })
    return { handle }
  }

  readonly clear = (handle: unknown): void => {
    const entry = this.entries.find((e) => e.handle === (handle as { handle?: number } | undefined)?.handle)
    if (entry?.state === 'pending') entry.state = 'cleared'
  }

  pending() {
    return this.entries.filter((e) => e.state === 'pending')
  }

  /** Fires the pending timer of `ms`, as if that much time had passed for it. */
  fire(ms: number, service: string): void {
    const entry = this.pending().find((e) => e.ms === ms)
    expect(entry, `a pending timer of ${ms} ms (the ${service} timeout) set with timers.set`).toBeDefined()
    entry!.state = 'fired'
    entry!.callback()
  }
}

function setup(rng: Rng, extra: Partial<GatewayOptions> = {}, withTimeouts = true) {
  const world = new World(rng)
  const timers = new FakeTimers()
  const ids: string[] = []
  const newRequestId = () => {
    const id = `gen-${rng.word(6, 10)}-${ids.length}`
    ids.push(id)
    return id
  }
  const first = rng.int(2, 6) * 100
  const timeouts = { orders: first, payments: first + 50, shipments: first + 150 }
  const shippingToken = `carrier-${rng.word(8, 12)}`
  const options: GatewayOptions = {
    fetch: world.fetch,
    timers,
    newRequestId,
    shippingToken,
    ...(withTimeouts ? { timeouts } : {}),
    ...extra,
  }
  const api = client(build(createApp, options))
  return { world, timers, ids, timeouts, shippingToken, api, id: `ord_${rng.int(1000, 9999)}` }
}

type Setup = ReturnType<typeof setup>

function summary(s: Setup, headers: Record<string, string> = {}, id = s.id): Promise<Reply> {
  return s.api.get(`/api/orders/${encodeURIComponent(id)}/summary`, { headers })
}

function expectSummary(s: Setup, res: Reply, shipment: unknown = s.world.bodies.shipments, degraded: string[] = []): void {
  expect(res).toHaveStatus(200)
  expect(res).toHaveJsonBody(
    expect.objectContaining({ order: s.world.bodies.orders, payment: s.world.bodies.payments, shipment, degraded }),
  )
}

function expectProblem(res: Reply, status: number, service: ServiceName): void {
  expect(res).toHaveStatus(status)
  expect(res).toHaveHeader('content-type', expect.stringMatching(/^application\/problem\+json/))
  expect(res).toHaveJsonBody(
    expect.objectContaining({ type: expect.any(String), title: expect.any(String), status, service }),
  )
  focusOn(res)
  expect(res.text.includes(SECRET), 'the response repeats nothing of what the service said').toBe(false)
  expect(res.headers['set-cookie'], 'no Set-Cookie copied from a service').toBeUndefined()
  expect(res.headers['x-internal-host'], 'no X-Internal-Host copied from a service').toBeUndefined()
}

/** Starts a summary with every answer held, once all three calls are made. */
async function heldSummary(s: Setup, headers: Record<string, string> = {}): Promise<{ reply: Promise<Reply> }> {
  s.world.hold = true
  const reply = summary(s, headers)
  // Whatever happens next, the reply is awaited: an early rejection must not go unhandled.
  reply.catch(() => {})
  await s.world.made(3, 'the gateway did not make all three calls while the first answers were held: are they made one after the other?')
  return { reply }
}

const ALLOWED = new Set(['x-request-id', 'accept-language', 'authorization', 'accept', 'user-agent'])

describe('api-gateway', () => {
  task(1, 'Aggregate three services into one summary', () => {
    it('answers 200 with the three bodies, each service called once with GET', async () => {
      const rng = random()
      const s = setup(rng)
      const res = await summary(s)
      expectSummary(s, res)
      focusOn(res)
      expect(s.world.calls.map((c) => c.service).sort()).toEqual([...SERVICES].sort())
      for (const call of s.world.calls) {
        expect(call.method, `the ${call.service} call`).toBe('GET')
        expect(new URL(call.url).href, `the ${call.service} URL`).toBe(new URL(BASE[call.service] + s.id).href)
      }
    })

    it('percent-encodes the order id in every service URL', async () => {
      const rng = random()
      const s = setup(rng)
      const id = `ord ${rng.int(1, 99)}/${rng.word(2, 4)}?x=1`
      const res = await summary(s, {}, id)
      expectSummary(s, res)
      focusOn(res)
      for (const call of s.world.calls) {
        expect(call.url, `the ${call.service} URL`).toBe(BASE[call.service] + encodeURIComponent(id))
      }
    })
  })

  task(2, 'Call the services in parallel', () => {
    it('starts all three calls before any of them answers', async () => {
      const rng = random()
      const s = setup(rng)
      const { reply: pending } = await heldSummary(s)
      for (const service of rng.shuffle(SERVICES)) s.world.release(service)
      expectSummary(s, await pending)
    })
  })

  task(3, 'Give every request an id', () => {
    const idChars = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-'
    const incoming = (rng: Rng, length: number) => Array.from({ length }, () => rng.pick([...idChars])).join('')

    it.each([1, 12, 64])('keeps an incoming X-Request-Id of %i allowed characters and sends it everywhere', async (length) => {
      const rng = random()
      const s = setup(rng)
      const requestId = incoming(rng, length)
      const res = await summary(s, { 'X-Request-Id': requestId })
      expectSummary(s, res)
      expect(res).toHaveHeader('x-request-id', requestId)
      focusOn(res)
      for (const call of s.world.calls) expect(call.headers.get('x-request-id'), `sent to ${call.service}`).toBe(requestId)
    })

    it.each([
      ['none at all', undefined],
      ['an empty one', ''],
      ['65 characters', 'a'.repeat(65)],
      ['a space', 'abc def'],
      ['markup', '<script>'],
      ['a colon', 'req:1'],
      ['a comma', 'a,b'],
      ['a slash', 'a/b'],
      ['a plus', 'a+b'],
    ])('makes one with newRequestId() for %s', async (_, value) => {
      const rng = random()
      const s = setup(rng)
      const res = await summary(s, value === undefined ? {} : { 'X-Request-Id': value })
      expectSummary(s, res)
      focusOn(res)
      expect(s.ids.length, 'newRequestId() was called').toBeGreaterThan(0)
      const id = s.ids.at(-1)!
      expect(res).toHaveHeader('x-request-id', id)
      for (const call of s.world.calls) expect(call.headers.get('x-request-id'), `sent to ${call.service}`).toBe(id)
    })

    it('gives each request its own generated id', async () => {
      const rng = random()
      const s = setup(rng)
      const a = await summary(s)
      const b = await summary(s)
      expect(a).toHaveHeader('x-request-id')
      expect(b).toHaveHeader('x-request-id')
      focusOn(b)
      expect(b.headers['x-request-id']).not.toBe(a.headers['x-request-id'])
      expect(s.ids).toContain(b.headers['x-request-id'])
    })

    it('answers an error with the X-Request-Id too', async () => {
      const rng = random()
      const s = setup(rng)
      s.world.plans.payments = { status: 500, body: SECRET }
      const requestId = incoming(rng, 20)
      const res = await summary(s, { 'X-Request-Id': requestId })
      expect(res).toHaveStatus(502)
      expect(res).toHaveHeader('x-request-id', requestId)
    })
  })

  task(4, 'Map upstream failures', () => {
    it.each([
      ['orders', 404, 404],
      ['orders', 401, 401],
      ['orders', 403, 403],
      ['orders', 500, 502],
      ['orders', 503, 502],
      ['orders', 400, 502],
      ['orders', 204, 502],
      ['orders', 302, 502],
      ['payments', 404, 502],
      ['payments', 401, 401],
      ['payments', 403, 403],
      ['payments', 500, 502],
      ['payments', 429, 502],
    ] as [ServiceName, number, number][])('answers %s %i with a %i problem naming it', async (service, upstream, expected) => {
      const rng = random()
      const s = setup(rng)
      s.world.plans[service] = { status: upstream, body: JSON.stringify({ error: SECRET }), headers: { 'content-type': 'application/json', 'set-cookie': 'leak=1' } }
      expectProblem(await summary(s), expected, service)
    })

    it.each(['orders', 'payments'] as ServiceName[])('answers 502 naming %s when its fetch rejects', async (service) => {
      const rng = random()
      const s = setup(rng)
      s.world.plans[service] = { reject: `connect ECONNREFUSED 10.0.0.7:8443 ${SECRET}` }
      expectProblem(await summary(s), 502, service)
    })

    it.each(['orders', 'payments'] as ServiceName[])('answers 502 naming %s when its 200 body is not JSON', async (service) => {
      const rng = random()
      const s = setup(rng)
      s.world.plans[service] = { status: 200, body: `<html>${SECRET}`, headers: { 'content-type': 'text/html' } }
      expectProblem(await summary(s), 502, service)
    })

    it('answers 200 with shipment null and degraded [] when the carrier has no shipment (404)', async () => {
      const rng = random()
      const s = setup(rng)
      s.world.plans.shipments = { status: 404, body: SECRET }
      expectSummary(s, await summary(s), null, [])
    })

    it.each([
      ['answers 500', { status: 500, body: SECRET }],
      ['answers 401', { status: 401, body: SECRET }],
      ['rejects', { reject: SECRET }],
      ['answers a body that is not JSON', { status: 200, body: `<html>${SECRET}` }],
    ] as [string, Plan][])('answers 200 with shipment null, degraded ["shipments"] when the carrier %s', async (_, plan) => {
      const rng = random()
      const s = setup(rng)
      s.world.plans.shipments = plan
      const res = await summary(s)
      expectSummary(s, res, null, ['shipments'])
      focusOn(res)
      expect(res.text.includes(SECRET), 'the response repeats nothing of what the carrier said').toBe(false)
    })

    it('copies no header of the services’ responses', async () => {
      const rng = random()
      const s = setup(rng)
      const res = await summary(s)
      expectSummary(s, res)
      expect(res).not.toHaveHeader('set-cookie')
      expect(res).not.toHaveHeader('x-internal-host')
    })

    it.each([
      ['orders fails', 'orders', { status: 500, body: SECRET }, 502],
      ['orders answers 404', 'orders', { status: 404 }, 404],
      ['payments fails', 'payments', { status: 503, body: SECRET }, 502],
    ] as [string, ServiceName, Plan, number][])('answers at once when %s, without waiting for the others', async (_, service, plan, status) => {
      const rng = random()
      const s = setup(rng)
      s.world.plans[service] = plan
      const { reply: pending } = await heldSummary(s)
      s.world.release(service)
      expectProblem(await pending, status, service)
    })
  })

  task(5, 'Time out slow services', () => {
    it('sets one timer per call, of that service’s timeout', async () => {
      const rng = random()
      const s = setup(rng)
      const { reply: pending } = await heldSummary(s)
      const set = s.timers.entries.map((e) => e.ms)
      for (const service of SERVICES) s.world.release(service)
      const res = await pending
      expectSummary(s, res)
      focusOn(res)
      for (const service of SERVICES) {
        expect(set, `the timers set with timers.set while the calls ran: one of ${s.timeouts[service]} ms for ${service}`).toContain(s.timeouts[service])
      }
    })

    it('uses 1000 ms for every service when no timeouts are given', async () => {
      const rng = random()
      const s = setup(rng, {}, false)
      const { reply: pending } = await heldSummary(s)
      const set = s.timers.entries.map((e) => e.ms)
      for (const service of SERVICES) s.world.release(service)
      expectSummary(s, await pending)
      expect(set.filter((ms) => ms === 1000), 'three timers of 1000 ms, one per call').toHaveLength(3)
    })

    it.each(['orders', 'payments'] as ServiceName[])('answers 504 naming %s when its timer fires, and aborts the calls', async (service) => {
      const rng = random()
      const s = setup(rng)
      const { reply: pending } = await heldSummary(s)
      s.timers.fire(s.timeouts[service], service)
      const res = await pending
      expectProblem(res, 504, service)
      focusOn(res)
      for (const call of s.world.calls) {
        expect(call.signal?.aborted, `the ${call.service} call was given a signal and it was aborted`).toBe(true)
      }
    })

    it('answers 200 degraded when the carrier times out, and aborts that call', async () => {
      const rng = random()
      const s = setup(rng)
      const { reply: pending } = await heldSummary(s)
      s.timers.fire(s.timeouts.shipments, 'shipments')
      s.world.release('orders')
      s.world.release('payments')
      const res = await pending
      expectSummary(s, res, null, ['shipments'])
      focusOn(res)
      expect(s.world.call('shipments').signal?.aborted, 'the shipments call was aborted').toBe(true)
    })

    it('aborts the calls still running once a failure has decided the answer', async () => {
      const rng = random()
      const s = setup(rng)
      s.world.plans.orders = { status: 404 }
      const { reply: pending } = await heldSummary(s)
      s.world.release('orders')
      const res = await pending
      expectProblem(res, 404, 'orders')
      focusOn(res)
      for (const service of ['payments', 'shipments'] as ServiceName[]) {
        expect(s.world.call(service).signal?.aborted, `the ${service} call was aborted`).toBe(true)
      }
    })

    it.each([
      ['a summary', undefined],
      ['a failure', { status: 500, body: SECRET }],
    ] as [string, Plan | undefined][])('leaves no timer pending after %s', async (_, plan) => {
      const rng = random()
      const s = setup(rng)
      if (plan) s.world.plans.payments = plan
      const { reply: pending } = await heldSummary(s)
      for (const service of rng.shuffle(SERVICES)) s.world.release(service)
      const res = await pending
      focusOn(res)
      expect(s.timers.entries.length, 'timers were set').toBeGreaterThanOrEqual(3)
      expect(s.timers.pending().map((e) => e.ms), 'timers still pending after the response').toEqual([])
    })

    it('createApp refuses bad timeouts with a RangeError', () => {
      const rng = random()
      for (const bad of [0, -1, Number.NaN, Number.POSITIVE_INFINITY, '500']) {
        const service = rng.pick(SERVICES)
        expect(() => createApp({ shippingToken: 't', timeouts: { [service]: bad as number } }), `timeouts.${service}: ${String(bad)}`).toThrow(RangeError)
      }
      expect(() => createApp({ shippingToken: 't', timeouts: { orders: 1, payments: 0.5, shipments: 30_000 } })).not.toThrow()
    })

    it('createApp refuses options of the wrong kind with a TypeError', () => {
      const bad: [string, unknown][] = [
        ['fetch', { shippingToken: 't', fetch: 'x' }],
        ['newRequestId', { shippingToken: 't', newRequestId: 42 }],
        ['timers without clear', { shippingToken: 't', timers: { set: () => 1 } }],
        ['no shippingToken', {}],
        ['an empty shippingToken', { shippingToken: '' }],
      ]
      for (const [what, options] of bad) expect(() => createApp(options as GatewayOptions), what).toThrow(TypeError)
    })
  })

  task(6, 'Forward only the headers that belong upstream', () => {
    it('sends each service only X-Request-Id, Accept-Language and its Authorization', async () => {
      const rng = random()
      const s = setup(rng)
      const user = `Bearer user-${rng.word(10, 14)}`
      const language = rng.pick(['de-CH, fr;q=0.8', 'en-GB', 'fr-CA, en;q=0.5'])
      const custom = `X-${rng.word(4, 8)}`
      const res = await summary(s, {
        Authorization: user,
        'Accept-Language': language,
        Cookie: `session=${rng.word()}`,
        'X-Forwarded-For': '203.0.113.9',
        'Proxy-Authorization': 'Basic cHJveHk6c2VjcmV0',
        'Keep-Alive': 'timeout=5',
        TE: 'trailers',
        [custom]: rng.word(),
      })
      expectSummary(s, res)
      focusOn(res)
      for (const call of s.world.calls) {
        const names = [...call.headers.keys()]
        expect(names.filter((n) => !ALLOWED.has(n)), `headers sent to ${call.service} that do not belong there`).toEqual([])
        expect(call.headers.get('accept-language'), `Accept-Language sent to ${call.service}`).toBe(language)
        const auth = call.service === 'shipments' ? `Bearer ${s.shippingToken}` : user
        expect(call.headers.get('authorization'), `Authorization sent to ${call.service}`).toBe(auth)
      }
    })

    it('sends no Authorization to our services when the client sent none; the carrier still gets the gateway’s', async () => {
      const rng = random()
      const s = setup(rng)
      const res = await summary(s)
      expectSummary(s, res)
      focusOn(res)
      for (const call of s.world.calls) {
        const names = [...call.headers.keys()]
        expect(names.filter((n) => !ALLOWED.has(n)), `headers sent to ${call.service} that do not belong there`).toEqual([])
        expect(call.headers.get('accept-language'), `no Accept-Language for ${call.service}`).toBeNull()
        expect(call.headers.get('authorization'), `Authorization sent to ${call.service}`).toBe(
          call.service === 'shipments' ? `Bearer ${s.shippingToken}` : null,
        )
      }
    })
  })
})
