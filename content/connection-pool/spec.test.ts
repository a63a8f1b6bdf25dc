// connection-pool - the hidden spec.
//
// Wrong implementations this spec is built to catch:
// - connects per request (no pool), or closes the connection on release instead of keeping it
//   idle; or shares one connection between two requests that are in flight at once
// - no cap (opens a connection whenever none is idle), or counts a connection only once its
//   connect has resolved, so every request arriving during a slow handshake opens one more
// - puts a released connection in the idle list while requests are queued, serves the queue
//   last-in first-out, or opens a new connection for a waiter while one is being freed; or parks a
//   released connection in the idle list and wakes the first waiter to take it a moment later
//   (an acquire() made right after the release() takes it first)
// - times the queue with the global setTimeout or Date.now() instead of the injected scheduler;
//   times out early or late; a timed-out acquire left in the queue (the next free connection is
//   handed to a request that already got its 503 and leaks); a served waiter whose timer is
//   never cancelled (it fires later and pulls someone else out of the queue)
// - a 503 without Retry-After, a 500 for a timeout, the wrong error code
// - releases only on success: a query that throws, or a 404, keeps the connection in use
// - a release that is not idempotent: a second call puts the connection in the idle list twice
//   (two requests then share it, or the counts go wrong); a lease still usable after release
// - returns a connection whose query failed with a fatal error to the pool, or closes the
//   connection on every query error (a syntax error is not a dead socket); does not open a
//   replacement for a waiting request when a broken connection is discarded
// - a failed connect that keeps its slot (after `max` failures the pool is full of nothing)
// - stats that count wrongly (inUse not total - idle, waiting not the queue)
// - one pool at module level, shared between two apps
import { inspect } from 'node:util'
import { describe, expect, it } from 'vitest'
import { build, client, random, task, type Rng } from '../../harness/spec-kit/index.ts'
import {
  createApp,
  createPool,
  PoolTimeoutError,
  type Connection,
  type Driver,
  type Lease,
  type PoolStats,
  type Row,
  type Scheduler,
} from '../../exercises/connection-pool/app.ts'

interface HeldQuery {
  /** Which connection ran it: 1 for the first the driver opened, 2 for the second... */
  conn: number
  sql: string
  params: readonly unknown[]
  resolve: (rows: Row[]) => void
  reject: (error: unknown) => void
}

const fatalError = () =>
  Object.assign(new Error('Connection terminated unexpectedly'), { fatal: true, code: 'ECONNRESET' })
const connectError = () =>
  Object.assign(new Error('connect ECONNREFUSED 10.0.0.5:5432'), { code: 'ECONNREFUSED' })

/**
 * The database driver the app gets. It counts connects and closes, answers queries at once
 * (`hold = false`) or keeps them until the spec settles them (`hold = true`), can hold or fail
 * connects, and records misuse (a query on a closed or dead connection).
 */
class FakeDriver implements Driver {
  connects = 0
  closes = 0
  hold = false
  holdConnects = false
  failConnects = 0
  readonly held: HeldQuery[] = []
  readonly pendingConnects: { open: () => void; fail: () => void }[] = []
  readonly misuse: string[] = []
  queries = 0
  private opened = 0

  constructor(readonly users: Map<number, string>) {}

  [inspect.custom](): string {
    return 'fakeDriver()'
  }

  connect(): Promise<Connection> {
    this.connects++
    if (this.failConnects > 0) {
      this.failConnects--
      return Promise.reject(connectError())
    }
    if (!this.holdConnects) return Promise.resolve(this.make())
    return new Promise((resolve, reject) => {
      this.pendingConnects.push({ open: () => resolve(this.make()), fail: () => reject(connectError()) })
    })
  }

  private make(): Connection {
    const id = ++this.opened
    let closed = false
    let dead = false
    const driver = this
    return {
      query(sql, params = []) {
        driver.queries++
        if (closed) driver.misuse.push(`a query on connection ${id} after close()`)
        if (closed || dead) return Promise.reject(fatalError())
        if (!driver.hold) return Promise.resolve(driver.rows(params))
        return new Promise<Row[]>((resolve, reject) => {
          driver.held.push({
            conn: id,
            sql,
            params,
            resolve,
            reject: (error) => {
              if ((error as { fatal?: boolean }).fatal) dead = true
              reject(error)
            },
          })
        })
      },
      close() {
        if (closed) driver.misuse.push(`close() called twice on connection ${id}`)
        closed = true
        driver.closes++
        return Promise.resolve()
      },
    }
  }

  rows(params: readonly unknown[]): Row[] {
    const id = params[0] as number
    const name = this.users.get(id)
    return name === undefined ? [] : [{ id, name }]
  }

  /** The held query of the user lookup for `id`, taken out of the list. */
  take(id: number): HeldQuery {
    const at = this.held.findIndex((q) => q.params[0] === id)
    expect(at, `no query for user ${id} has reached the database (yet)`).not.toBe(-1)
    return this.held.splice(at, 1)[0]!
  }

  /** Answers the held query for `id` with the user's row. */
  answer(id: number): HeldQuery {
    const q = this.take(id)
    q.resolve(this.rows(q.params))
    return q
  }
}

/** setTimeout and clearTimeout on a clock only the spec moves. */
class FakeScheduler implements Scheduler {
  private now = 0
  private seq = 0
  private readonly timers = new Map<number, { at: number; callback: () => void }>()

  setTimeout(callback: () => void, ms: number): unknown {
    const id = ++this.seq
    this.timers.set(id, { at: this.now + ms, callback })
    return id
  }

  [inspect.custom](): string {
    return 'fakeScheduler()'
  }

  clearTimeout(handle: unknown): void {
    this.timers.delete(handle as number)
  }

  /** Timers set and neither fired nor cleared. */
  pending(): number {
    return this.timers.size
  }

  /** Moves time on, firing due timers in order, then lets the app react. */
  async advance(ms: number): Promise<void> {
    const target = this.now + ms
    for (;;) {
      const due = [...this.timers].filter(([, t]) => t.at <= target).sort((a, b) => a[1].at - b[1].at || a[0] - b[0])[0]
      if (!due) break
      this.timers.delete(due[0])
      this.now = due[1].at
      due[1].callback()
      await flush()
    }
    this.now = target
    await flush()
  }
}

/** Lets every promise chain the app started run to its next wait on the driver. */
async function flush(): Promise<void> {
  for (let i = 0; i < 10; i++) await new Promise((resolve) => setImmediate(resolve))
}

interface Setup {
  rng: Rng
  driver: FakeDriver
  scheduler: FakeScheduler
  max: number
  timeout: number
  retryAfter: number
  app: ReturnType<typeof createApp>
  /** Known user ids, shuffled. */
  ids: number[]
}

function setup(rng: Rng, overrides: { max?: number } = {}): Setup {
  const users = new Map<number, string>()
  const count = rng.int(12, 20)
  while (users.size < count) users.set(rng.int(1, 9999), `${rng.word(3, 8)} ${rng.word(3, 8)}`)
  const driver = new FakeDriver(users)
  const scheduler = new FakeScheduler()
  const max = overrides.max ?? rng.int(2, 4)
  // Seconds long, so an app timing the queue with the real setTimeout sees nothing fire.
  const timeout = rng.int(2, 30) * 1000 + rng.pick([0, 250, 500])
  const retryAfter = rng.int(1, 30)
  const app = build(createApp, { driver, max, acquireTimeoutMs: timeout, scheduler, retryAfterSeconds: retryAfter })
  return { rng, driver, scheduler, max, timeout, retryAfter, app, ids: rng.shuffle([...users.keys()]) }
}

interface Pending {
  done: boolean
  result: Promise<{ status: number; headers: Headers; body: any }>
}

/** Sends GET /api/users/:id straight to app.fetch, so that concurrent requests interleave exactly. */
function fire(app: Setup['app'], id: number | string): Pending {
  const pending: Pending = { done: false, result: undefined as never }
  pending.result = Promise.resolve(app.fetch(new Request(`http://pool.test/api/users/${id}`))).then(async (res) => {
    pending.done = true
    const text = await res.text()
    let body: unknown
    try {
      body = JSON.parse(text)
    } catch {
      body = text
    }
    return { status: res.status, headers: res.headers, body }
  })
  return pending
}

async function stats(app: Setup['app']): Promise<PoolStats> {
  const res = await app.fetch(new Request('http://pool.test/api/pool'))
  expect(res.status, 'GET /api/pool must answer 200').toBe(200)
  const body = (await res.json()) as PoolStats
  return { total: body.total, idle: body.idle, inUse: body.inUse, waiting: body.waiting }
}

async function expectStats(app: Setup['app'], expected: PoolStats, when: string): Promise<void> {
  expect(await stats(app), `GET /api/pool ${when}`).toEqual(expected)
}

/** Fires requests for `ids` in order and waits until the app is waiting on the driver. */
async function fireAll(s: Setup, ids: number[]): Promise<Pending[]> {
  const pending = ids.map((id) => fire(s.app, id))
  await flush()
  return pending
}

/** A pool used directly, for what HTTP cannot show (a second release). */
function directPool(rng: Rng, max: number) {
  const driver = new FakeDriver(new Map([[1, 'ada lovelace']]))
  const scheduler = new FakeScheduler()
  const pool = createPool({ driver, max, acquireTimeoutMs: rng.int(2, 30) * 1000, scheduler })
  return { driver, scheduler, pool }
}

describe('connection-pool', () => {
  task(1, 'Borrow and return connections', () => {
    it('answers GET /api/users/:id with the user, and 404 for an id with no row', async () => {
      const s = setup(random())
      const api = client(s.app)
      const id = s.ids[0]!
      const res = await api.get(`/api/users/${id}`)
      expect(res).toHaveStatus(200)
      expect(res).toHaveJsonBody(expect.objectContaining({ id, name: s.driver.users.get(id) }))
      const missing = await api.get('/api/users/0')
      expect(missing).toHaveStatus(404)
      expect(missing).toHaveJsonBody(expect.objectContaining({ error: 'not_found' }))
    })

    it('opens one connection for many requests in a row, and keeps it open', async () => {
      const s = setup(random())
      const api = client(s.app)
      const n = s.rng.int(4, 9)
      for (let i = 0; i < n; i++) expect(await api.get(`/api/users/${s.ids[i]}`)).toHaveStatus(200)
      expect(s.driver.connects, `${n} requests one after another must reuse one connection: connect() calls`).toBe(1)
      expect(s.driver.closes, 'a released connection stays open in the pool: close() calls').toBe(0)
      const res = await api.get('/api/pool')
      expect(res).toHaveStatus(200)
      expect(res).toHaveJsonBody(expect.objectContaining({ total: 1, idle: 1, inUse: 0, waiting: 0 }))
    })

    it('reports an empty pool before the first request', async () => {
      const s = setup(random())
      await expectStats(s.app, { total: 0, idle: 0, inUse: 0, waiting: 0 }, 'before any request')
      expect(s.driver.connects, 'nothing is opened before it is needed').toBe(0)
    })

    it('gives requests in flight at once a connection each, then reuses them all', async () => {
      const s = setup(random())
      s.driver.hold = true
      const k = s.rng.int(2, s.max)
      const ids = s.ids.slice(0, k)
      const pending = await fireAll(s, ids)
      expect(s.driver.held.length, `${k} concurrent requests must all reach the database`).toBe(k)
      const conns = new Set(s.driver.held.map((q) => q.conn))
      expect(conns.size, 'two requests in flight must never share one connection').toBe(k)
      await expectStats(s.app, { total: k, idle: 0, inUse: k, waiting: 0 }, `with ${k} requests in flight`)
      for (const id of s.rng.shuffle(ids)) s.driver.answer(id)
      for (const p of pending) expect((await p.result).status).toBe(200)
      await expectStats(s.app, { total: k, idle: k, inUse: 0, waiting: 0 }, 'once they have all answered')
      // A second wave of the same size needs nothing new.
      const again = await fireAll(s, s.ids.slice(k, 2 * k))
      expect(s.driver.connects, 'idle connections are reused, not replaced: connect() calls').toBe(k)
      for (const q of [...s.driver.held]) s.driver.answer(q.params[0] as number)
      for (const p of again) expect((await p.result).status).toBe(200)
    })

    it('keeps the pools of two createApp() instances apart', async () => {
      const s = setup(random())
      const other = setup(random())
      expect(await client(s.app).get(`/api/users/${s.ids[0]}`)).toHaveStatus(200)
      await expectStats(other.app, { total: 0, idle: 0, inUse: 0, waiting: 0 }, 'of a second app nobody called')
      expect(await client(other.app).get(`/api/users/${other.ids[0]}`)).toHaveStatus(200)
      expect(other.driver.connects, "the second app must open its own connection, with its own driver").toBe(1)
    })
  })

  task(2, 'Cap the pool at max, queue in order', () => {
    it('opens at most max connections and queues the other requests', async () => {
      const s = setup(random())
      s.driver.hold = true
      const extra = s.rng.int(1, 4)
      await fireAll(s, s.ids.slice(0, s.max + extra))
      expect(s.driver.connects, `max is ${s.max}: connect() calls for ${s.max + extra} concurrent requests`).toBe(s.max)
      expect(s.driver.held.length, 'only the requests holding a connection reach the database').toBe(s.max)
      await expectStats(s.app, { total: s.max, idle: 0, inUse: s.max, waiting: extra }, 'with the pool full')
    })

    it('counts a connection being opened against max (a slow connect)', async () => {
      const s = setup(random())
      s.driver.hold = true
      s.driver.holdConnects = true
      const n = s.max + s.rng.int(1, 3)
      const pending = await fireAll(s, s.ids.slice(0, n))
      expect(s.driver.connects, `max is ${s.max}: connect() calls while the first connects are still in progress`).toBe(s.max)
      for (const c of s.driver.pendingConnects.splice(0)) c.open()
      await flush()
      expect(s.driver.held.length, 'each opened connection serves one request').toBe(s.max)
      for (let i = 0; i < n; i++) {
        s.driver.answer(s.ids[i]!)
        await flush()
      }
      for (const p of pending) expect((await p.result).status).toBe(200)
      expect(s.driver.connects, 'the queued requests reuse the connections: connect() calls').toBe(s.max)
    })

    it('hands a released connection to the first request in the queue', async () => {
      const s = setup(random())
      s.driver.hold = true
      const extra = s.rng.int(2, 4)
      const ids = s.ids.slice(0, s.max + extra)
      const pending = await fireAll(s, ids)
      // Free the connections one at a time, in a random order: each goes to the next waiter.
      let next = s.max
      const running = s.rng.shuffle(ids.slice(0, s.max))
      while (running.length) {
        const id = running.shift()!
        const freed = s.driver.answer(id)
        await flush()
        if (next < ids.length) {
          const waiter = ids[next++]!
          const q = s.driver.held.find((h) => h.params[0] === waiter)
          const got = s.driver.held.filter((h) => ids.indexOf(h.params[0] as number) >= next).map((h) => h.params[0])
          expect(got, 'a later request was served before one that has waited longer (the queue is first come, first served)').toEqual([])
          expect(q, `the request queued ${next - s.max}${next - s.max === 1 ? 'st' : 'th'} must be served when a connection is freed`).toBeDefined()
          expect(q!.conn, 'the waiter must get the connection just released').toBe(freed.conn)
          running.push(waiter)
        }
      }
      for (const p of pending) expect((await p.result).status).toBe(200)
      expect(s.driver.connects, 'waiters reuse released connections: connect() calls').toBe(s.max)
      await expectStats(s.app, { total: s.max, idle: s.max, inUse: 0, waiting: 0 }, 'once the queue is empty')
    })

    it('hands a released connection to the queued acquire, not to one made right after release()', async () => {
      // createPool directly: release() and a new acquire() in the same tick. The connection goes
      // straight to the first waiter; a pool that parks it in the idle list and wakes the waiter
      // to take it a moment later lets the new arrival take it first.
      const rng = random()
      const max = rng.int(1, 3)
      const { pool, driver } = directPool(rng, max)
      driver.hold = true
      const holders: Lease[] = []
      for (let i = 0; i < max; i++) holders.push(await pool.acquire())
      // Learn which connection each lease holds.
      const conns: number[] = []
      for (const lease of holders) {
        const q = lease.query('SELECT 1', [0])
        const held = driver.held.shift()!
        conns.push(held.conn)
        held.resolve([])
        await q
      }
      const served: string[] = []
      const leases = new Map<string, Lease>()
      const acquire = (name: string) =>
        void pool.acquire().then((l) => {
          served.push(name)
          leases.set(name, l)
        })
      const queued = rng.int(1, 3)
      const waiters = Array.from({ length: queued }, (_, i) => `waiter ${i + 1}`)
      for (const name of waiters) acquire(name)
      await flush()
      const freed = rng.int(1, Math.min(max, queued))
      const late = Array.from({ length: freed }, (_, i) => `late arrival ${i + 1}`)
      for (const name of late) {
        holders.shift()!.release()
        acquire(name) // synchronously, right after the release
      }
      await flush()
      expect(served, `${freed} release() call(s), each followed at once by a new acquire(): who got a connection`).toEqual(waiters.slice(0, freed))
      expect(driver.connects, 'the waiters get the released connections, not new ones: connect() calls').toBe(max)
      expect(pool.stats(), `after ${freed} release(s), each followed at once by a new acquire()`).toEqual(
        expect.objectContaining({ total: max, idle: 0, inUse: max, waiting: queued }),
      )
      const q = leases.get(waiters[0]!)!.query('SELECT 1', [0])
      expect(driver.held.at(-1)?.conn, 'the first waiter must hold the connection released first').toBe(conns[0])
      driver.held.pop()!.resolve([])
      await q
      // Each further release serves the queue in order: the remaining waiters, then the late arrivals.
      for (let n = freed; n < queued + freed; n++) {
        const holder = holders.shift() ?? leases.get(served.shift()!)!
        holder.release()
        await flush()
      }
      const everyone = [...waiters, ...late]
      expect([...leases.keys()], 'the order the queue was served in').toEqual(everyone)
      expect(driver.connects, 'connect() calls').toBe(max)
    })

    it('serves max = 1 strictly in arrival order', async () => {
      const s = setup(random(), { max: 1 })
      s.driver.hold = true
      const ids = s.ids.slice(0, s.rng.int(3, 5))
      const pending = await fireAll(s, ids)
      for (const id of ids) {
        expect(s.driver.held.map((q) => q.params[0]), 'with max 1 the requests must reach the database one at a time, in the order they came').toEqual([id])
        s.driver.answer(id)
        await flush()
      }
      for (const p of pending) expect((await p.result).status).toBe(200)
    })
  })

  task(3, 'Time out a waiting request: 503', () => {
    it('answers a request queued for acquireTimeoutMs with 503, Retry-After and pool_timeout', async () => {
      const s = setup(random(), { max: 1 })
      s.driver.hold = true
      const [first, second] = s.ids
      const [a, b] = await fireAll(s, [first!, second!])
      await s.scheduler.advance(s.timeout - 1)
      expect(b!.done, `a request must wait the full acquireTimeoutMs (${s.timeout} ms) before its 503`).toBe(false)
      await s.scheduler.advance(1)
      expect(b!.done, `${s.timeout} ms on the injected scheduler: the queued request must be answered`).toBe(true)
      const res = await b!.result
      expect(res.status, 'a request that found no free connection in time').toBe(503)
      expect(res.headers.get('retry-after'), 'the 503 must carry Retry-After: retryAfterSeconds').toBe(String(s.retryAfter))
      expect(res.body, 'the 503 body').toEqual(expect.objectContaining({ error: 'pool_timeout' }))
      expect(a!.done, 'the request holding the connection is not timed out').toBe(false)
      s.driver.answer(first!)
      expect((await a!.result).status).toBe(200)
    })

    it('never hands a connection to a request that has already timed out', async () => {
      const s = setup(random())
      s.driver.hold = true
      const extra = s.rng.int(1, 3)
      const ids = s.ids.slice(0, s.max + extra)
      const pending = await fireAll(s, ids)
      await s.scheduler.advance(s.timeout)
      for (const p of pending.slice(s.max)) expect((await p.result).status).toBe(503)
      await expectStats(s.app, { total: s.max, idle: 0, inUse: s.max, waiting: 0 }, 'after the queued requests timed out')
      for (const id of ids.slice(0, s.max)) s.driver.answer(id)
      await flush()
      await expectStats(s.app, { total: s.max, idle: s.max, inUse: 0, waiting: 0 }, 'once the busy connections are released: none may be handed to a timed-out request')
      const next = await fireAll(s, [s.ids[s.max + extra]!])
      expect(s.driver.held.length, 'a new request gets one of the idle connections').toBe(1)
      s.driver.answer(s.ids[s.max + extra]!)
      expect((await next[0]!.result).status).toBe(200)
    })

    it('cancels the timer of a request that got its connection', async () => {
      const s = setup(random(), { max: 1 })
      s.driver.hold = true
      const [x, y, z] = s.ids as [number, number, number]
      const [a, b] = await fireAll(s, [x, y])
      await s.scheduler.advance(Math.floor(s.timeout / 2))
      const [c] = await fireAll(s, [z])
      s.driver.answer(x)
      await flush()
      expect((await a!.result).status).toBe(200)
      expect(s.scheduler.pending(), 'one request still waits; the served one must have cleared its timer (scheduler.clearTimeout)').toBe(1)
      // Past the served request's old deadline, before the last one's: nobody times out.
      await s.scheduler.advance(Math.floor(s.timeout / 2) + 1)
      expect(c!.done, 'the last request has waited less than acquireTimeoutMs').toBe(false)
      s.driver.answer(y)
      await flush()
      expect((await b!.result).status).toBe(200)
      expect(s.driver.held.map((q) => q.params[0]), 'the connection freed next goes to the last queued request').toEqual([z])
      s.driver.answer(z)
      expect((await c!.result).status).toBe(200)
      expect(s.scheduler.pending(), 'no timer may be left once the queue is empty').toBe(0)
    })

    it('starts no timer for a request that gets a connection at once', async () => {
      const s = setup(random())
      const api = client(s.app)
      for (let i = 0; i < 3; i++) expect(await api.get(`/api/users/${s.ids[i]}`)).toHaveStatus(200)
      await s.scheduler.advance(s.timeout * 2)
      expect(s.scheduler.pending(), 'timers still pending').toBe(0)
      await expectStats(s.app, { total: 1, idle: 1, inUse: 0, waiting: 0 }, 'after the requests')
    })

    it('rejects a queued acquire with PoolTimeoutError', async () => {
      const rng = random()
      const { pool, scheduler } = directPool(rng, 1)
      const lease = await pool.acquire()
      let error: unknown
      const waiting = pool.acquire().catch((e: unknown) => {
        error = e
      })
      await scheduler.advance(60_000)
      await waiting
      expect(error, 'pool.acquire() after acquireTimeoutMs in the queue').toBeInstanceOf(PoolTimeoutError)
      lease.release()
    })
  })

  task(4, 'Release exactly once', () => {
    it('releases the connection when the query throws (500)', async () => {
      const s = setup(random(), { max: 1 })
      s.driver.hold = true
      const [p] = await fireAll(s, [s.ids[0]!])
      s.driver.take(s.ids[0]!).reject(Object.assign(new Error('relation "users" does not exist'), { code: '42P01' }))
      expect((await p!.result).status, 'a query error is the server\'s fault').toBe(500)
      await expectStats(s.app, { total: 1, idle: 1, inUse: 0, waiting: 0 }, 'after a request whose query threw')
      s.driver.hold = false
      expect(await client(s.app).get(`/api/users/${s.ids[1]}`)).toHaveStatus(200)
      expect(s.driver.connects, 'the connection survives an ordinary query error: connect() calls').toBe(1)
    })

    it('releases the connection on a 404 too', async () => {
      const s = setup(random(), { max: 1 })
      const api = client(s.app)
      expect(await api.get('/api/users/0')).toHaveStatus(404)
      await expectStats(s.app, { total: 1, idle: 1, inUse: 0, waiting: 0 }, 'after a 404')
      expect(await api.get(`/api/users/${s.ids[0]}`)).toHaveStatus(200)
    })

    it('ignores a second release() of the same lease', async () => {
      const rng = random()
      const max = rng.int(2, 4)
      const { pool, driver } = directPool(rng, max)
      const lease = await pool.acquire()
      lease.release()
      lease.release()
      expect(pool.stats(), 'after releasing one lease twice').toEqual(expect.objectContaining({ total: 1, idle: 1, inUse: 0, waiting: 0 }))
      const a = await pool.acquire()
      const b = await pool.acquire()
      expect(driver.connects, 'two leases held at once need two connections: the double release must not have listed one twice').toBe(2)
      a.release()
      b.release()
      expect(pool.stats()).toEqual(expect.objectContaining({ total: 2, idle: 2, inUse: 0, waiting: 0 }))
    })

    it('serves one waiter, not two, when a lease is released twice', async () => {
      const rng = random()
      const { pool } = directPool(rng, 1)
      const lease = await pool.acquire()
      const got: Lease[] = []
      void pool.acquire().then((l) => got.push(l))
      void pool.acquire().then((l) => got.push(l))
      await flush()
      lease.release()
      lease.release()
      await flush()
      expect(got.length, 'with max 1, one connection can serve only one waiter').toBe(1)
      expect(pool.stats(), 'one connection in use, one acquire still waiting').toEqual(expect.objectContaining({ total: 1, idle: 0, inUse: 1, waiting: 1 }))
      got[0]!.release()
      await flush()
      expect(got.length, 'released properly, it goes to the second waiter').toBe(2)
    })

    it('refuses a query on a lease after its release', async () => {
      const rng = random()
      const { pool, driver } = directPool(rng, 1)
      const lease = await pool.acquire()
      expect(await lease.query('SELECT id, name FROM users WHERE id = ?', [1])).toHaveLength(1)
      lease.release()
      const other = await pool.acquire()
      const before = driver.queries
      await expect(lease.query('SELECT id, name FROM users WHERE id = ?', [1]), 'a released lease must reject its queries').rejects.toThrow()
      expect(driver.queries - before, 'the refused query must not reach the connection the next request now holds').toBe(0)
      other.release()
    })
  })

  task(5, 'Replace broken connections', () => {
    it('closes a connection whose query failed fatally, and opens a new one next time', async () => {
      const s = setup(random())
      s.driver.hold = true
      const [p] = await fireAll(s, [s.ids[0]!])
      s.driver.take(s.ids[0]!).reject(fatalError())
      expect((await p!.result).status).toBe(500)
      expect(s.driver.closes, 'a dead connection must be closed').toBe(1)
      await expectStats(s.app, { total: 0, idle: 0, inUse: 0, waiting: 0 }, 'after the only connection broke')
      s.driver.hold = false
      expect(await client(s.app).get(`/api/users/${s.ids[1]}`)).toHaveStatus(200)
      expect(s.driver.connects, 'the next request needs a fresh connection: connect() calls').toBe(2)
      expect(s.driver.misuse, 'misuse of the driver').toEqual([])
    })

    it('opens a replacement for a waiting request when the broken connection is discarded', async () => {
      const s = setup(random(), { max: 1 })
      s.driver.hold = true
      const [x, y] = s.ids as [number, number]
      const [a, b] = await fireAll(s, [x, y])
      s.driver.take(x).reject(fatalError())
      await flush()
      expect((await a!.result).status).toBe(500)
      expect(s.driver.connects, 'the waiting request needs a new connection in the freed slot: connect() calls').toBe(2)
      const q = s.driver.held.find((h) => h.params[0] === y)
      expect(q, 'the waiting request must be served without waiting for its timeout').toBeDefined()
      expect(q!.conn, 'the waiting request must run on the new connection, not the dead one').toBe(2)
      s.driver.answer(y)
      expect((await b!.result).status).toBe(200)
      expect(s.driver.misuse, 'misuse of the driver').toEqual([])
    })

    it('keeps a connection after an ordinary (not fatal) query error', async () => {
      const s = setup(random())
      s.driver.hold = true
      const [p] = await fireAll(s, [s.ids[0]!])
      const error = new Error('syntax error at or near "FORM"')
      s.driver.take(s.ids[0]!).reject(s.rng.next() < 0.5 ? error : Object.assign(error, { fatal: false, code: '42601' }))
      expect((await p!.result).status).toBe(500)
      expect(s.driver.closes, 'a syntax error does not kill the connection: close() calls').toBe(0)
      await expectStats(s.app, { total: 1, idle: 1, inUse: 0, waiting: 0 }, 'after an ordinary query error')
    })

    it('answers a failed connect with 503 database_unavailable and gives its slot back', async () => {
      const s = setup(random())
      s.driver.failConnects = s.max + 1
      const api = client(s.app)
      for (let i = 0; i <= s.max; i++) {
        const res = await api.get(`/api/users/${s.ids[i]}`)
        expect(res).toHaveStatus(503)
        expect(res).toHaveJsonBody(expect.objectContaining({ error: 'database_unavailable' }))
        expect(res).toHaveHeader('Retry-After', String(s.retryAfter))
      }
      await expectStats(s.app, { total: 0, idle: 0, inUse: 0, waiting: 0 }, `after ${s.max + 1} failed connects`)
      expect(await api.get(`/api/users/${s.ids[0]}`)).toHaveStatus(200)
    })

    it('lets a waiting request open a connection when the connect before it failed', async () => {
      const s = setup(random(), { max: 1 })
      s.driver.holdConnects = true
      const [x, y] = s.ids as [number, number]
      const [a, b] = await fireAll(s, [x, y])
      expect(s.driver.connects).toBe(1)
      s.driver.pendingConnects.shift()!.fail()
      await flush()
      expect((await a!.result).status).toBe(503)
      expect(s.driver.connects, 'the queued request must try a connect of its own in the freed slot').toBe(2)
      expect(s.scheduler.pending(), 'a queued request whose own connect has started has left the queue: its timer must be cancelled').toBe(0)
      await s.scheduler.advance(s.timeout)
      expect(b!.done, 'a request whose connect is in progress is not timed out: the connect answers it').toBe(false)
      s.driver.pendingConnects.shift()?.open()
      await flush()
      expect((await b!.result).status).toBe(200)
      await expectStats(s.app, { total: 1, idle: 1, inUse: 0, waiting: 0 }, 'at the end')
    })
  })
})
