// saga-compensation - the hidden spec.
//
// Wrong implementations this spec is built to catch:
// - runs the steps out of order, or passes the wrong order id or amount
// - idempotency keys that change between attempts (random, a per-process counter), that are the
//   same for two steps or two orders, or a compensation sent with its step's key (the service
//   answers the refund with the charge's stored result and nothing is refunded)
// - no compensation when a step fails; compensations in forward order; compensating the step that
//   failed (it did nothing) or steps that never ran; compensations without the ids their steps
//   returned; going on with later steps after a failure
// - a saga log kept in memory, or written only at the end: a fresh app cannot resume, or resumes
//   from the first step and repeats completed ones; a step logged as done before it ran (a crash
//   during it skips it for good); the direction not logged (a saga that crashed while
//   compensating is resumed forward)
// - a failed compensation ignored (status compensated although the money was never refunded);
//   `failed` orders never retried, or retried by repeating compensations already done
// - status not exposed, or not persisted (GET on a fresh app over the same database); a failed
//   order that still reads `failed` while a resume retries it
// - a 201 without Location; a resume route that answers before its sagas have finished
// - compensation progress logged only when the backward phase stops: a crash during the second
//   compensation resends the first
import { inspect } from 'node:util'
import { describe, expect, it } from 'vitest'
import { build, client, database, random, task, type Rng, type SqlDatabase } from '../../harness/spec-kit/index.ts'
import { createApp, type Services } from '../../exercises/saga-compensation/app.ts'

type Method = 'reserve' | 'release' | 'charge' | 'refund' | 'schedule' | 'cancel'
const FORWARD: readonly Method[] = ['reserve', 'charge', 'schedule']
const UNDO: Record<string, Method> = { reserve: 'release', charge: 'refund', schedule: 'cancel' }

interface Call {
  method: Method
  args: Record<string, unknown>
}

/**
 * The three services, faked as one world: it records every call in order (`calls`) and every
 * effect actually applied (`applied`), honours idempotency keys per service (a known key returns
 * the stored result and applies nothing; a known key with another request is refused), fails
 * chosen calls, and can "crash" a call: it never answers, after applying its effect or not.
 */
class World {
  readonly calls: Call[] = []
  readonly applied: Call[] = []
  readonly misuse: string[] = []
  readonly reservations = new Map<string, { orderId: string; released: boolean }>()
  readonly charges = new Map<string, { orderId: string; amount: number; refunded: boolean }>()
  readonly shipments = new Map<string, { orderId: string; cancelled: boolean }>()
  private readonly keys = new Map<string, { method: Method; request: string; result: unknown }>()
  private readonly failing = new Map<Method, number>()
  private crash: { method: Method; applied: boolean } | undefined
  private gate: { method: Method; reached: boolean; open: () => void; opened: Promise<void> } | undefined
  private seq = 0

  constructor(private readonly prefix: string) {}

  [inspect.custom](): string {
    return 'fakeServices()'
  }

  /** The next `times` calls of `method` reject (and apply nothing). */
  fail(method: Method, times = 1): void {
    this.failing.set(method, times)
  }

  /** The next call of `method` never answers, as if this process died while it was in flight. */
  crashOn(method: Method, applied: boolean): void {
    this.crash = { method, applied }
  }

  /** The next call of `method` answers only once `letThrough()` is called: a slow service. */
  slow(method: Method): void {
    let open!: () => void
    const opened = new Promise<void>((resolve) => (open = resolve))
    this.gate = { method, reached: false, open, opened }
  }

  /** Whether the slow call has been made (and is waiting for `letThrough()`). */
  slowCallReached(): boolean {
    return this.gate?.reached === true
  }

  letThrough(): void {
    this.gate?.open()
  }

  readonly services: Services = {
    inventory: {
      reserve: (req) => this.call('inventory', 'reserve', req, () => {
        const reservationId = this.id('res')
        this.reservations.set(reservationId, { orderId: req.orderId, released: false })
        return { reservationId }
      }),
      release: (req) => this.call('inventory', 'release', req, () => {
        const r = this.reservations.get(req.reservationId)
        if (!r || r.orderId !== req.orderId) return this.refuse(`release of an unknown reservation ${inspect(req.reservationId)}`)
        r.released = true
      }),
    },
    payments: {
      charge: (req) => this.call('payments', 'charge', req, () => {
        const chargeId = this.id('ch')
        this.charges.set(chargeId, { orderId: req.orderId, amount: req.amount, refunded: false })
        return { chargeId }
      }),
      refund: (req) => this.call('payments', 'refund', req, () => {
        const ch = this.charges.get(req.chargeId)
        if (!ch || ch.orderId !== req.orderId) return this.refuse(`refund of an unknown charge ${inspect(req.chargeId)}`)
        if (ch.amount !== req.amount) return this.refuse(`refund of ${req.amount} for a charge of ${ch.amount}`)
        ch.refunded = true
      }),
    },
    shipping: {
      schedule: (req) => this.call('shipping', 'schedule', req, () => {
        const shipmentId = this.id('sh')
        this.shipments.set(shipmentId, { orderId: req.orderId, cancelled: false })
        return { shipmentId }
      }),
      cancel: (req) => this.call('shipping', 'cancel', req, () => {
        const s = this.shipments.get(req.shipmentId)
        if (!s || s.orderId !== req.orderId) return this.refuse(`cancel of an unknown shipment ${inspect(req.shipmentId)}`)
        s.cancelled = true
      }),
    },
  }

  private id(kind: string): string {
    return `${kind}_${this.prefix}${++this.seq}`
  }

  private refuse(message: string): never {
    this.misuse.push(message)
    throw new Error(message)
  }

  private async call<R>(service: string, method: Method, req: { idempotencyKey: string }, apply: () => R): Promise<R> {
    const { idempotencyKey: key, ...rest } = req as { idempotencyKey: unknown } & Record<string, unknown>
    this.calls.push({ method, args: { ...req } })
    await new Promise((resolve) => setImmediate(resolve)) // a network round trip
    const gate = this.gate?.method === method && !this.gate.reached ? this.gate : undefined
    if (gate) {
      gate.reached = true
      await gate.opened // a slow one: many macrotasks, until the spec lets it through
      await new Promise((resolve) => setImmediate(resolve))
    }
    if (typeof key !== 'string' || key === '') this.refuse(`${method} without an idempotency key`)
    const request = JSON.stringify(Object.entries(rest).sort(([a], [b]) => a.localeCompare(b)))
    const scoped = `${service} ${key}`
    const seen = this.keys.get(scoped)
    if (seen) {
      if (seen.method !== method || seen.request !== request) {
        this.refuse(`${service}.${method} sent the key ${inspect(key)}, already used for a different request (${seen.method})`)
      }
      return seen.result as R
    }
    const failures = this.failing.get(method) ?? 0
    if (failures > 0) {
      this.failing.set(method, failures - 1)
      throw new Error(`${service}.${method} failed: declined`)
    }
    const crash = this.crash?.method === method ? this.crash : undefined
    if (crash) this.crash = undefined
    if (crash && !crash.applied) return new Promise<R>(() => {})
    const result = apply()
    this.keys.set(scoped, { method, request, result })
    this.applied.push({ method, args: { ...req } })
    if (crash) return new Promise<R>(() => {})
    return result
  }

  /** The effects applied for one order, in order: ['reserve', 'charge', 'refund', ...]. */
  effects(orderId: string): Method[] {
    return this.applied.filter((c) => c.args.orderId === orderId).map((c) => c.method)
  }

  callsOf(orderId: string, method: Method): Call[] {
    return this.calls.filter((c) => c.args.orderId === orderId && c.method === method)
  }
}

interface Setup {
  rng: Rng
  world: World
  db: SqlDatabase
  newApp: () => ReturnType<typeof createApp>
}

async function setup(rng: Rng): Promise<Setup> {
  const world = new World(rng.word(3, 5))
  const { db } = await database()
  return { rng, world, db, newApp: () => build(createApp, { db, services: world.services }) }
}

const orderId = (rng: Rng) => `ord_${rng.word(4, 8)}${rng.int(100, 999)}`

/** Waits until the saga is parked on a call that will never answer (the "crash"). */
async function until(condition: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 500 && !condition(); i++) await new Promise((resolve) => setImmediate(resolve))
  expect(condition(), what).toBe(true)
}

/** Starts an order on `app` and leaves it hanging on the crashing call. */
async function crashDuring(s: Setup, method: Method, applied: boolean, id: string, amount: number): Promise<void> {
  s.world.crashOn(method, applied)
  const app = s.newApp()
  void app.fetch(
    new Request('http://saga.test/api/orders', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ id, amount }),
    }),
  )
  await until(() => s.world.callsOf(id, method).length > 0, `the saga must reach ${method}`)
  await new Promise((resolve) => setImmediate(resolve))
}

/**
 * POST /api/sagas/resume on `app` while the next call of `method` is slow: the route must still be
 * waiting when that call is in flight (it answers once the sagas have finished), and `during`
 * runs at that moment. Answers the response status.
 */
async function resumeWaiting(s: Setup, app: ReturnType<typeof createApp>, method: Method, during?: () => Promise<void>): Promise<number> {
  s.world.slow(method)
  let done = false
  const response = Promise.resolve(app.fetch(new Request('http://saga.test/api/sagas/resume', { method: 'POST' }))).then((res) => {
    done = true
    return res
  })
  await until(() => s.world.slowCallReached() || done, `the resume must reach ${method}`)
  for (let i = 0; i < 20; i++) await new Promise((resolve) => setImmediate(resolve))
  expect(done, `POST /api/sagas/resume answered while ${method} was still in flight: it must answer once every saga it drives has finished`).toBe(false)
  await during?.()
  s.world.letThrough()
  return (await response).status
}

async function status(app: ReturnType<typeof createApp>, id: string): Promise<unknown> {
  const res = await client(app).get(`/api/orders/${id}`)
  expect(res).toHaveStatus(200)
  return (res.body as { status?: unknown }).status
}

/** The order's effects net out: everything done is undone (or, for completed, all done once). */
function expectCompleted(world: World, id: string, amount: number): void {
  expect(world.effects(id), 'the effects applied for the order, in order').toEqual(['reserve', 'charge', 'schedule'])
  const charges = [...world.charges.values()].filter((c) => c.orderId === id)
  expect(charges, 'the customer is charged once, the order amount').toEqual([{ orderId: id, amount, refunded: false }])
  expect(world.misuse, 'calls the services refused').toEqual([])
}

function expectCompensated(world: World, id: string, done: readonly Method[]): void {
  const undo = [...done].reverse().map((m) => UNDO[m]!)
  expect(world.effects(id), 'the effects applied for the order: its completed steps, then their compensations, last first').toEqual([...done, ...undo])
  expect(world.misuse, 'calls the services refused').toEqual([])
}

describe('saga-compensation', () => {
  task(1, 'Run the steps with idempotency keys', () => {
    it('reserves, charges and schedules, in that order, and answers 201 completed', async () => {
      const s = await setup(random())
      const id = orderId(s.rng)
      const amount = s.rng.int(100, 99_999)
      const res = await client(s.newApp()).post('/api/orders', { json: { id, amount } })
      expect(res).toHaveStatus(201)
      expect(res).toHaveJsonBody(expect.objectContaining({ id, status: 'completed' }))
      expect(res).toHaveHeader('Location', `/api/orders/${id}`)
      expectCompleted(s.world, id, amount)
      expect(s.world.calls.map((c) => c.method), 'the calls made, in order').toEqual(['reserve', 'charge', 'schedule'])
      expect(await status(s.newApp(), id), 'GET /api/orders/:id on a fresh app over the same database').toBe('completed')
    })

    it('sends a different idempotency key for every step of every order', async () => {
      const s = await setup(random())
      const api = client(s.newApp())
      const orders = [
        { id: orderId(s.rng), amount: s.rng.int(1, 500) },
        { id: orderId(s.rng), amount: s.rng.int(501, 999) },
      ]
      for (const order of orders) expect(await api.post('/api/orders', { json: order })).toHaveStatus(201)
      const keys = s.world.calls.map((c) => c.args.idempotencyKey)
      expect(new Set(keys).size, `idempotency keys of two orders' six steps: ${inspect(keys)}`).toBe(6)
      for (const order of orders) expectCompleted(s.world, order.id, order.amount)
    })

    it('derives each key from the order and the step: the same in another process', async () => {
      // Two separate deployments (databases, services, apps) place the same order: a key that
      // is random, or depends on anything but the order and the step, differs between them.
      const rng = random()
      const order = { id: orderId(rng), amount: rng.int(1, 9999) }
      const runs: unknown[][] = []
      for (let i = 0; i < 2; i++) {
        const s = await setup(random())
        expect(await client(s.newApp()).post('/api/orders', { json: order })).toHaveStatus(201)
        runs.push(s.world.calls.map((c) => c.args.idempotencyKey))
      }
      expect(runs[1], 'the keys of the same order in a second, separate app').toEqual(runs[0])
    })

    it('answers GET /api/orders/:id with 404 for an order nobody placed', async () => {
      const s = await setup(random())
      const res = await client(s.newApp()).get(`/api/orders/${orderId(s.rng)}`)
      expect(res).toHaveStatus(404)
    })
  })

  task(2, 'Compensate in reverse', () => {
    for (const failing of FORWARD) {
      it(`compensates the completed steps, last first, when ${failing} fails`, async () => {
        const s = await setup(random())
        const id = orderId(s.rng)
        s.world.fail(failing)
        const res = await client(s.newApp()).post('/api/orders', { json: { id, amount: s.rng.int(1, 9999) } })
        expect(res).toHaveStatus(201)
        expect(res).toHaveJsonBody(expect.objectContaining({ id, status: 'compensated' }))
        expect(res).toHaveHeader('Location', `/api/orders/${id}`)
        const done = FORWARD.slice(0, FORWARD.indexOf(failing))
        expectCompensated(s.world, id, done)
        const after = FORWARD.slice(FORWARD.indexOf(failing) + 1)
        for (const m of after) expect(s.world.callsOf(id, m), `${m} comes after the failed ${failing}: it must not run`).toEqual([])
        expect(s.world.callsOf(id, UNDO[failing]!), `${failing} failed and did nothing: there is nothing to ${UNDO[failing]}`).toEqual([])
        expect(await status(s.newApp(), id), 'the status, read by a fresh app').toBe('compensated')
      })
    }

    it('hands each compensation the id its step returned', async () => {
      const s = await setup(random())
      const id = orderId(s.rng)
      const amount = s.rng.int(1, 9999)
      s.world.fail('schedule')
      expect(await client(s.newApp()).post('/api/orders', { json: { id, amount } })).toHaveStatus(201)
      const [reserved, charged] = s.world.applied
      const [refund] = s.world.callsOf(id, 'refund')
      const [release] = s.world.callsOf(id, 'release')
      expect(refund?.args, 'the refund').toEqual(expect.objectContaining({ chargeId: s.world.charges.keys().next().value, amount }))
      expect(release?.args, 'the release').toEqual(expect.objectContaining({ reservationId: s.world.reservations.keys().next().value }))
      expect(reserved?.method).toBe('reserve')
      expect(charged?.method).toBe('charge')
      expect(s.world.misuse).toEqual([])
    })
  })

  task(3, 'Resume after a crash', () => {
    for (const applied of [false, true]) {
      it(`finishes an order that crashed during charge (${applied ? 'after the charge went through' : 'before the charge went through'}) without repeating a step`, async () => {
        const s = await setup(random())
        const id = orderId(s.rng)
        const amount = s.rng.int(1, 9999)
        await crashDuring(s, 'charge', applied, id, amount)
        const fresh = s.newApp()
        expect(await status(fresh, id), 'an order whose saga has not finished').toBe('pending')
        expect(await resumeWaiting(s, fresh, 'schedule', async () => {
          expect(await status(s.newApp(), id), 'while the resumed saga runs').toBe('pending')
        }), 'POST /api/sagas/resume').toBe(200)
        expect(await status(fresh, id), 'after POST /api/sagas/resume').toBe('completed')
        expectCompleted(s.world, id, amount)
        expect(s.world.callsOf(id, 'reserve').length, 'reserve completed before the crash: calls to it').toBe(1)
        const keys = s.world.callsOf(id, 'charge').map((c) => c.args.idempotencyKey)
        expect(keys.length, 'charge was interrupted: it is sent again').toBe(2)
        expect(keys[1], 'the retried charge must carry the same idempotency key as the first attempt').toBe(keys[0])
      })
    }

    it('finishes an order that crashed during reserve or schedule', async () => {
      const s = await setup(random())
      const method = s.rng.pick(['reserve', 'schedule'] as const)
      const id = orderId(s.rng)
      const amount = s.rng.int(1, 9999)
      await crashDuring(s, method, s.rng.next() < 0.5, id, amount)
      expect(await client(s.newApp()).post('/api/sagas/resume')).toHaveStatus(200)
      expect(await status(s.newApp(), id)).toBe('completed')
      expectCompleted(s.world, id, amount)
      for (const m of FORWARD) {
        if (m !== method) expect(s.world.callsOf(id, m).length, `${m}: calls`).toBe(1)
      }
    })

    it('goes on compensating an order that crashed while it was compensating', async () => {
      const s = await setup(random())
      const id = orderId(s.rng)
      s.world.fail('schedule')
      await crashDuring(s, 'refund', s.rng.next() < 0.5, id, s.rng.int(1, 9999))
      const fresh = s.newApp()
      expect(await status(fresh, id)).toBe('pending')
      expect(await resumeWaiting(s, fresh, 'release'), 'POST /api/sagas/resume').toBe(200)
      expect(await status(fresh, id), 'after POST /api/sagas/resume').toBe('compensated')
      expectCompensated(s.world, id, ['reserve', 'charge'])
      expect(s.world.callsOf(id, 'schedule').length, 'schedule failed before the crash; it must not be tried again').toBe(1)
      expect(s.world.callsOf(id, 'charge').length, 'charge is not run again').toBe(1)
      const keys = s.world.callsOf(id, 'refund').map((c) => c.args.idempotencyKey)
      expect(keys[1], 'the retried refund carries the same key as the first attempt').toBe(keys[0])
    })

    it('does not resend a compensation that succeeded before the crash', async () => {
      // The refund succeeded, then the process died during the release: the log must already
      // say the refund is done, so the fresh app sends only the release.
      const s = await setup(random())
      const id = orderId(s.rng)
      s.world.fail('schedule')
      await crashDuring(s, 'release', s.rng.next() < 0.5, id, s.rng.int(1, 9999))
      expect(s.world.effects(id), 'before the crash').toEqual(expect.arrayContaining(['reserve', 'charge', 'refund']))
      const fresh = s.newApp()
      expect(await status(fresh, id), 'an order that crashed while compensating').toBe('pending')
      expect(await client(fresh).post('/api/sagas/resume')).toHaveStatus(200)
      expect(await status(fresh, id), 'after POST /api/sagas/resume').toBe('compensated')
      expect(s.world.callsOf(id, 'refund').length, 'the refund succeeded before the crash: calls to refund').toBe(1)
      const keys = s.world.callsOf(id, 'release').map((c) => c.args.idempotencyKey)
      expect(keys.length, 'the interrupted release is sent again').toBe(2)
      expect(keys[1], 'the retried release carries the same key as the first attempt').toBe(keys[0])
      expectCompensated(s.world, id, ['reserve', 'charge'])
    })

    it('leaves finished orders alone', async () => {
      const s = await setup(random())
      const api = client(s.newApp())
      const [a, b] = [orderId(s.rng), orderId(s.rng)]
      expect(await api.post('/api/orders', { json: { id: a, amount: 10 } })).toHaveStatus(201)
      s.world.fail('charge')
      expect(await api.post('/api/orders', { json: { id: b, amount: 20 } })).toHaveStatus(201)
      const before = s.world.calls.length
      expect(await client(s.newApp()).post('/api/sagas/resume')).toHaveStatus(200)
      expect(s.world.calls.length - before, 'calls made by a resume with nothing to resume').toBe(0)
      expect(await status(s.newApp(), a)).toBe('completed')
      expect(await status(s.newApp(), b)).toBe('compensated')
    })
  })

  task(4, 'Retry a failed compensation', () => {
    it('marks the order failed when a compensation fails, and finishes it on resume', async () => {
      const s = await setup(random())
      const id = orderId(s.rng)
      s.world.fail('schedule')
      s.world.fail('refund')
      const res = await client(s.newApp()).post('/api/orders', { json: { id, amount: s.rng.int(1, 9999) } })
      expect(res).toHaveStatus(201)
      expect(res).toHaveJsonBody(expect.objectContaining({ id, status: 'failed' }))
      expect(res).toHaveHeader('Location', `/api/orders/${id}`)
      expect(await status(s.newApp(), id), 'the status, read by a fresh app').toBe('failed')
      expect(s.world.effects(id), 'the refund failed: the reservation is not released yet').toEqual(['reserve', 'charge'])
      expect(await resumeWaiting(s, s.newApp(), 'refund', async () => {
        expect(await status(s.newApp(), id), 'while a resume retries its compensations, the order has not finished').toBe('pending')
      }), 'POST /api/sagas/resume').toBe(200)
      expect(await status(s.newApp(), id), 'after POST /api/sagas/resume').toBe('compensated')
      expectCompensated(s.world, id, ['reserve', 'charge'])
      const keys = s.world.callsOf(id, 'refund').map((c) => c.args.idempotencyKey)
      expect(keys.length).toBe(2)
      expect(keys[1], 'the retried refund carries the same key as the failed attempt').toBe(keys[0])
    })

    it('does not repeat the compensations that had succeeded', async () => {
      const s = await setup(random())
      const other = orderId(s.rng)
      s.world.fail('schedule')
      s.world.fail('release', 2)
      expect(await client(s.newApp()).post('/api/orders', { json: { id: other, amount: s.rng.int(1, 9999) } })).toHaveStatus(201)
      expect(await status(s.newApp(), other), 'release failed (twice to go)').toBe('failed')
      expect(await client(s.newApp()).post('/api/sagas/resume')).toHaveStatus(200)
      expect(await status(s.newApp(), other), 'release failed again on the first resume').toBe('failed')
      expect(await client(s.newApp()).post('/api/sagas/resume')).toHaveStatus(200)
      expect(await status(s.newApp(), other), 'after the second resume').toBe('compensated')
      expect(s.world.callsOf(other, 'refund').length, 'the refund succeeded the first time: calls to refund').toBe(1)
      expect(s.world.callsOf(other, 'release').length, 'release: calls').toBe(3)
      expectCompensated(s.world, other, ['reserve', 'charge'])
    })
  })
})
