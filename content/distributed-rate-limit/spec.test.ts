// distributed-rate-limit - the hidden spec.
//
// Wrong implementations this spec is built to catch:
// - keeps the buckets in the instance (a Map in createApp): three instances admit three times
//   the limit; or at module level: apps on two different stores share buckets
// - reads with get, decides, writes with set: concurrent requests spread over the instances all
//   read the same bucket and all get in (the race the store's eval exists to close); also an
//   eval whose script ignores the value it is handed and writes what an earlier get computed
// - makes more than one store call per request (a get for the headers, then the eval)
// - one bucket for every client, or the no-key bucket shared with a client that sends the key
//   "anon", "anonymous" or the empty string
// - never refills, refills above the limit, loses fractions of a token between requests (also
//   keeps them only to a tenth, rounded or floored), turns away a bucket holding exactly one token
//   or admits one just short of it (0.95, 0.99, a millisecond short), lets rejected requests take
//   a token
// - reads Date.now() instead of options.now (the clock sits in 2001 and jumps by hours)
// - no TTL on the keys (idle buckets stay in the store forever), a TTL shorter than the time to
//   refill (the bucket resets early and hands out tokens), a TTL set only when the key is
//   created (a busy bucket expires while it is still being drained), or a 429 that writes the
//   bucket back without a TTL (the key never expires)
// - RateLimit-Policy or RateLimit missing, on the 429 in particular, in the draft-03-style
//   RateLimit-Limit/RateLimit-Remaining fields, with the policy name unquoted, q and w swapped,
//   r counted before taking the token, t as seconds until the bucket is full, Retry-After
//   rounded down or 0, or Retry-After and t that disagree
// - lets a store failure crash the request (500), answers 429 or 200 when it should fail closed,
//   503 when it should fail open, sends a made-up RateLimit while failing open, takes tokens for
//   requests served while the store was down, or keeps quiet about the failure (onStoreError)
// - limits or stores anything for GET /health
import { inspect } from 'node:util'
import { describe, expect, it } from 'vitest'
import {
  build,
  client,
  fakeClock,
  random,
  task,
  type Client,
  type FakeClock,
  type Reply,
  type Rng,
} from '../../harness/spec-kit/index.ts'
import { createApp } from '../../exercises/distributed-rate-limit/app.ts'

// Far from the real clock, so an app that reads Date.now() sees none of the time we advance.
const START = Date.UTC(2001, 6, 8, 9, 10, 11)
const HOUR = 3_600_000
/**
 * [limit, windowSeconds]: one token every 2 s or 4 s (rates that are powers of two, exact in
 * floating point), or every 3.33 s (never a whole number of seconds).
 */
const CONFIGS: readonly (readonly [number, number])[] = [
  [5, 10], [8, 16], [4, 16], [10, 40], [3, 10], [6, 20], [9, 30],
]
const EXACT_CONFIGS = CONFIGS.slice(0, 4)

type Script<R> = (current: string | null) => { value: string | null; ttlMs?: number; result: R }

/**
 * The shared store, Redis-like: string values, TTLs read from the spec's clock, and a latency of
 * a few event-loop turns each way, so calls from concurrent requests interleave exactly as they
 * would over a network (deterministically: setImmediate runs in order). `eval` runs its script
 * with nothing in between, like a Lua script.
 */
class SimStore {
  readonly calls = { get: 0, set: 0, eval: 0 }
  /** Calls the store refused because the app used it wrongly: shown in the failure. */
  readonly misuse: string[] = []
  /** The errors the store raised while down, in order. */
  readonly failures: Error[] = []
  down = false
  private readonly data = new Map<string, { value: string; expiresAt: number }>()

  constructor(
    private readonly clock: FakeClock,
    private readonly hops = 2,
  ) {}

  get total(): number {
    return this.calls.get + this.calls.set + this.calls.eval
  }

  /** The keys that have not expired. */
  liveKeys(): string[] {
    return [...this.data.keys()].filter((key) => this.read(key) !== null)
  }

  get(key: string): Promise<string | null> {
    return this.op('get', () => this.read(key))
  }

  set(key: string, value: string, options?: { ttlMs?: number }): Promise<void> {
    return this.op('set', () => this.write('set', key, value, options?.ttlMs))
  }

  eval<R>(key: string, script: Script<R>): Promise<R> {
    return this.op('eval', () => {
      const out = script(this.read(key))
      if (out === null || typeof out !== 'object' || typeof (out as any).then === 'function') {
        return this.refuse('eval: the script must return { value, ttlMs?, result } synchronously')
      }
      if (out.value === null) this.data.delete(key)
      else this.write('eval', key, out.value, out.ttlMs)
      return out.result
    })
  }

  [inspect.custom](): string {
    return 'sharedStore()'
  }

  private async op<T>(kind: keyof SimStore['calls'], run: () => T): Promise<T> {
    this.calls[kind]++
    await this.turns()
    if (this.down) {
      await this.turns()
      const error = new Error('shared store unavailable: connection refused')
      this.failures.push(error)
      throw error
    }
    const result = run() // atomic: no await between the read and the write
    await this.turns()
    return result
  }

  private async turns(): Promise<void> {
    for (let i = 0; i < this.hops; i++) await new Promise((resolve) => setImmediate(resolve))
  }

  private read(key: string): string | null {
    const entry = this.data.get(key)
    if (!entry) return null
    if (this.clock.now() >= entry.expiresAt) {
      this.data.delete(key)
      return null
    }
    return entry.value
  }

  private write(kind: string, key: string, value: unknown, ttlMs: unknown): void {
    if (typeof value !== 'string') this.refuse(`${kind}: the value must be a string`)
    if (ttlMs !== undefined && !(typeof ttlMs === 'number' && ttlMs > 0 && ttlMs < Infinity)) {
      this.refuse(`${kind}: ttlMs must be a positive number of milliseconds`)
    }
    const expiresAt = ttlMs === undefined ? Infinity : this.clock.now() + (ttlMs as number)
    this.data.set(key, { value: value as string, expiresAt })
  }

  private refuse(why: string): never {
    this.misuse.push(why)
    throw new TypeError(why)
  }
}

/**
 * The bucket the app should keep, in exact integers: a token is `windowSeconds * 1000` units and
 * every millisecond earns `limit` units. `safe` says whether a floating-point app is sure to land
 * on the same side of every rounding as this model.
 */
class Model {
  readonly unit: number
  private units: number
  safe = true

  constructor(
    readonly limit: number,
    readonly windowSeconds: number,
  ) {
    this.unit = windowSeconds * 1000
    this.units = limit * this.unit
  }

  clone(): Model {
    const copy = new Model(this.limit, this.windowSeconds)
    copy.units = this.units
    copy.safe = this.safe
    return copy
  }

  advance(ms: number): void {
    const cap = this.limit * this.unit
    const sum = this.units + ms * this.limit
    if (sum >= cap + this.unit / 20) this.units = cap
    else if (ms > 0) {
      this.units = Math.min(cap, sum)
      const fraction = this.units % this.unit
      const toNext = (this.unit - fraction) / this.limit / 1000 // seconds to the next token
      const secondsOff = Math.abs(toNext - Math.round(toNext))
      this.safe = fraction >= this.unit / 20 && fraction <= this.unit - this.unit / 20
      this.safe &&= secondsOff >= 0.02
    }
  }

  /** What the next request should get. */
  take(): { status: 200 | 429; remaining: number; reset: number } {
    const allowed = this.units >= this.unit
    if (allowed) this.units -= this.unit
    const whole = Math.floor(this.units / this.unit)
    const missing = (whole + 1) * this.unit - this.units
    const reset = Math.max(1, Math.ceil(missing / (this.limit * 1000)))
    return { status: allowed ? 200 : 429, remaining: whole, reset }
  }
}

interface Options {
  configs?: readonly (readonly [number, number])[]
  failMode?: 'open' | 'closed'
  store?: SimStore
  clock?: FakeClock
}

function setup(rng: Rng, options: Options = {}) {
  const [limit, windowSeconds] = rng.pick(options.configs ?? CONFIGS)
  const clock = options.clock ?? fakeClock(START + rng.int(0, HOUR))
  const store = options.store ?? new SimStore(clock)
  const failMode = options.failMode ?? rng.pick(['open', 'closed'] as const)
  const errors: unknown[] = []
  const onStoreError = (error: unknown) => void errors.push(error)
  const make = () =>
    build(createApp, { store, limit, windowSeconds, failMode, onStoreError, now: clock.now })
  // Three instances of the API behind a load balancer, one store.
  const apps = [make(), make(), make()]
  const apis = apps.map((app) => client(app))
  const model = new Model(limit, windowSeconds)
  const tokenMs = (windowSeconds * 1000) / limit
  let turn = rng.int(0, 2)

  /** One request to the next instance in turn (round robin, like a load balancer). */
  const hit = async (key?: string, api?: Client): Promise<Reply> => {
    const headers: Record<string, string> = key === undefined ? {} : { 'X-API-Key': key }
    const res = await (api ?? apis[turn++ % 3]!).get('/api/resource', { headers })
    expect(store.misuse, 'the store refused a call from the app').toEqual([])
    return res
  }
  /** Moves the clock and the model together. */
  const wait = (ms: number) => {
    clock.advance(ms)
    model.advance(ms)
  }
  /** About `tokens` tokens' worth of time, nudged until no rounding can be in doubt. */
  const safeWait = (tokens: number) => {
    let ms = Math.round(tokens * tokenMs)
    for (let probe = model.clone(); ; ms += 37, probe = model.clone()) {
      probe.advance(ms)
      if (probe.safe) break
    }
    wait(ms)
  }
  /** Spends every token of a full bucket through the instances, expecting 200s. */
  const drain = async (key?: string) => {
    for (let i = 0; i < limit; i++) {
      expect(await hit(key), `request ${i + 1} of ${limit} from a full bucket`).toHaveStatus(200)
      model.take()
    }
  }
  /** Many requests at once, spread over the instances, straight into the apps. */
  const burst = async (count: number, key?: string) => {
    const headers: Record<string, string> = key === undefined ? {} : { 'X-API-Key': key }
    const pending = Array.from({ length: count }, (_, i) =>
      apps[i % 3]!.request('/api/resource', { headers }),
    )
    const responses = await Promise.all(pending)
    expect(store.misuse, 'the store refused a call from the app').toEqual([])
    return responses
  }
  return {
    rng, limit, windowSeconds, failMode, clock, store, errors, apps, apis, model, tokenMs,
    hit, wait, safeWait, drain, burst,
  }
}

type Params = Record<string, string>

/**
 * Parses a Structured Field List of Items with parameters (RFC 9651), leniently about spaces:
 * `"default";q=10;w=60, "daily";q=1000`. Items that are not Strings come back as `null`.
 */
function parseSfList(field: string): { item: string | null; params: Params }[] {
  const members: string[] = []
  let current = ''
  let quoted = false
  for (let i = 0; i < field.length; i++) {
    const ch = field[i]!
    if (ch === '\\' && quoted) current += ch + (field[++i] ?? '')
    else if (ch === '"') (quoted = !quoted), (current += ch)
    else if (ch === ',' && !quoted) members.push(current), (current = '')
    else current += ch
  }
  members.push(current)
  return members.map((member) => {
    const text = member.trim()
    const match = /^"((?:[^"\\]|\\.)*)"/.exec(text)
    const rest = match ? text.slice(match[0].length) : text.replace(/^[^;]*/, '')
    const params: Params = {}
    for (const part of rest.split(';').slice(1)) {
      const [name, ...value] = part.split('=')
      params[name!.trim()] = value.join('=').trim()
    }
    return { item: match ? match[1]!.replace(/\\(.)/g, '$1') : null, params }
  })
}

/** The `"default"` item of a RateLimit or RateLimit-Policy field, failing with a clear message. */
function defaultItem(res: Reply | Response, name: 'RateLimit' | 'RateLimit-Policy'): Params {
  const value =
    res instanceof Response ? res.headers.get(name) : res.headers[name.toLowerCase()]
  expect(value, `the response needs a ${name} field`).toBeTypeOf('string')
  const item = parseSfList(value!).find((m) => m.item === 'default')
  expect(item, `${name} must have an item that is the String "default" (quoted): ${value}`).toBeDefined()
  return item!.params
}

function expectPolicy(res: Reply, limit: number, windowSeconds: number) {
  const params = defaultItem(res, 'RateLimit-Policy')
  expect(params.q, 'RateLimit-Policy: q is the limit').toBe(String(limit))
  expect(params.w, 'RateLimit-Policy: w is the window in seconds').toBe(String(windowSeconds))
}

function expectLimit(res: Reply | Response, remaining: number, reset: number) {
  const params = defaultItem(res, 'RateLimit')
  expect(params.r, 'RateLimit: r is the whole tokens left after this request').toBe(
    String(remaining),
  )
  expect(params.t, 'RateLimit: t is the whole seconds until one more token, rounded up').toBe(
    String(reset),
  )
}

describe('distributed-rate-limit', () => {
  task(1, 'Keep the bucket in the shared store', () => {
    it('answers GET /api/resource with 200 { "ok": true } while the bucket has a token', async () => {
      const s = setup(random())
      const res = await s.hit()
      expect(res).toHaveStatus(200)
      expect(res).toHaveJsonBody(expect.objectContaining({ ok: true }))
    })

    it('shares one bucket across three instances: exactly <limit> requests, then 429', async () => {
      const s = setup(random())
      await s.drain()
      for (const api of s.apis) {
        const res = await s.hit(undefined, api)
        expect(res, 'every instance sees the same empty bucket').toHaveStatus(429)
        expect(res).toHaveJsonBody(expect.objectContaining({ error: 'rate_limited' }))
      }
    })

    it('gives each X-API-Key its own bucket, and keyless requests one more', async () => {
      const rng = random()
      const s = setup(rng)
      const key = `key-${rng.word(4, 8)}`
      await s.drain(key)
      expect(await s.hit(key)).toHaveStatus(429)
      const others = [undefined, `key-${rng.word(4, 8)}`, '', 'anon', 'anonymous', 'null']
      for (const other of rng.shuffle(others)) {
        expect(await s.hit(other), `X-API-Key ${JSON.stringify(other)}`).toHaveStatus(200)
      }
      // The keyless bucket gave one token above; the clock has not moved, so it refilled none.
      for (let i = 1; i < s.limit; i++) expect(await s.hit(undefined)).toHaveStatus(200)
      expect(await s.hit(undefined)).toHaveStatus(429)
      for (const other of ['', 'anon', 'anonymous']) {
        expect(await s.hit(other), `X-API-Key ${JSON.stringify(other)}`).toHaveStatus(200)
      }
    })

    it('keeps the buckets in the store: apps on two stores share nothing', async () => {
      const rng = random()
      const s = setup(rng)
      const other = setup(rng, { configs: [[s.limit, s.windowSeconds]], clock: s.clock })
      await s.drain()
      expect(await s.hit()).toHaveStatus(429)
      expect(await other.hit(), 'an app with another store has its own buckets').toHaveStatus(200)
    })

    it('never limits GET /health and never calls the store for it', async () => {
      const s = setup(random())
      await s.drain()
      for (const api of s.apis) expect(await api.get('/health')).toHaveStatus(200)
      const before = s.store.total
      for (const api of s.apis) expect(await api.get('/health')).toHaveStatus(200)
      expect(s.store.total - before, 'store calls made for GET /health').toBe(0)
    })

    it('refuses a limit or window that is not a whole number >= 1, or an unknown failMode', () => {
      const clock = fakeClock(START)
      const store = new SimStore(clock)
      const base = { store, limit: 5, windowSeconds: 10, failMode: 'open' as const, now: clock.now }
      const bad = [
        { limit: 0 }, { limit: 2.5 }, { windowSeconds: 0 }, { windowSeconds: 1.5 },
        { failMode: 'maybe' as any },
      ]
      for (const change of bad) {
        expect(() => createApp({ ...base, ...change }), `createApp with ${inspect(change)}`).toThrow()
      }
    })
  })

  task(2, 'Take a token atomically', () => {
    it('admits exactly <limit> of many requests sent at once across three instances', async () => {
      const rng = random()
      const s = setup(rng)
      const count = s.limit * 2 + rng.int(1, 6)
      const statuses = (await s.burst(count)).map((res) => res.status)
      const admitted = statuses.filter((status) => status === 200).length
      expect(
        admitted,
        `${count} requests at once over 3 instances: ${admitted} got 200 with a limit of ${s.limit}`,
      ).toBe(s.limit)
      expect(statuses.filter((status) => status === 429).length).toBe(count - s.limit)
    })

    it('admits exactly <limit> per client when several clients burst at once', async () => {
      const rng = random()
      const s = setup(rng)
      const [a, b] = [`key-${rng.word()}`, `key-${rng.word()}`]
      const [first, second] = await Promise.all([s.burst(s.limit + 4, a), s.burst(s.limit + 4, b)])
      for (const responses of [first!, second!]) {
        const admitted = responses.filter((res) => res.status === 200).length
        expect(admitted, `a client sent ${s.limit + 4} at once, limit ${s.limit}`).toBe(s.limit)
      }
    })

    it('makes exactly one store call per limited request, admitted or not', async () => {
      const rng = random()
      const s = setup(rng)
      const count = s.limit + rng.int(1, 4)
      for (let i = 0; i < count; i++) await s.hit()
      expect(s.store.total, `store calls for ${count} requests`).toBe(count)
    })
  })

  task(3, 'Refill from now(), and let idle buckets expire', () => {
    it('refills tokens as time passes', async () => {
      const rng = random()
      const s = setup(rng)
      await s.drain()
      s.safeWait(rng.int(1, s.limit - 1) + 0.5)
      for (let expected = s.model.take(); ; expected = s.model.take()) {
        expect(await s.hit()).toHaveStatus(expected.status)
        if (expected.status === 429) break
      }
    })

    it('keeps fractions of a token between requests that come faster than the refill', async () => {
      const rng = random()
      const s = setup(rng)
      await s.drain()
      const step = rng.pick([0.3, 0.7, 0.9])
      for (let i = 0; i < 9; i++) {
        s.safeWait(step)
        const expected = s.model.take()
        expect(await s.hit(), `request ${i + 1}, ${step} token after the last`).toHaveStatus(
          expected.status,
        )
      }
    })

    it('keeps fractions finer than a tenth of a token', async () => {
      const rng = random()
      const s = setup(rng)
      await s.drain()
      // Whole-number bookkeeping: a token is windowSeconds * 1000 units, a millisecond earns
      // `limit` of them.
      const unit = s.windowSeconds * 1000
      let units = 0
      const wait = (ms: number) => {
        s.clock.advance(ms)
        units = Math.min(s.limit * unit, units + ms * s.limit)
      }
      const msFor = (tokens: number) => Math.round(tokens * s.tokenMs)
      wait(msFor(0.97))
      expect(await s.hit(), '0.97 of a token after draining').toHaveStatus(429)
      expect(await s.hit(), 'again at the same moment: still 0.97 of a token').toHaveStatus(429)
      wait(msFor(0.05))
      expect(await s.hit(), '0.05 of a token later: 1.02 tokens').toHaveStatus(200)
      units -= unit
      // Steps of a few hundredths of a token: kept to tenths, the bucket would never get there
      // (or get there too soon).
      const step = rng.pick([0.03, 0.04, 0.06, 0.07])
      for (let i = 1; ; i++) {
        let ms = msFor(step)
        const nearWhole = (extra: number) => {
          const fraction = ((units + extra * s.limit) % unit) / unit
          return fraction < 0.002 || fraction > 0.998
        }
        while (nearWhole(ms)) ms++
        wait(ms)
        const expected = units >= unit ? 200 : 429
        expect(
          await s.hit(),
          `request ${i} of steps of ${step} token, ${(units / unit).toFixed(4)} tokens in the bucket`,
        ).toHaveStatus(expected)
        if (expected === 200) break
      }
    })

    it('turns a request away while the bucket is even 1 ms short of a whole token', async () => {
      const s = setup(random())
      await s.drain()
      const whole = Math.ceil(s.tokenMs) // the first millisecond at which one token is complete
      let waited = 0
      for (const [at, what] of [
        [Math.round(0.95 * s.tokenMs), '0.95 of a token'],
        [Math.round(0.99 * s.tokenMs), '0.99 of a token'],
        [whole - 1, '1 ms before the token is complete'],
      ] as const) {
        s.clock.advance(at - waited)
        waited = at
        expect(await s.hit(), what).toHaveStatus(429)
      }
      s.clock.advance(whole + 1 - waited)
      expect(await s.hit(), '1 ms after the token is complete').toHaveStatus(200)
      expect(await s.hit()).toHaveStatus(429)
    })

    it('lets a request through once the bucket has refilled to exactly one token', async () => {
      const s = setup(random(), { configs: EXACT_CONFIGS })
      await s.drain()
      s.wait(s.tokenMs)
      expect(await s.hit()).toHaveStatus(200)
      expect(await s.hit()).toHaveStatus(429)
    })

    it('takes no token for a rejected request', async () => {
      const rng = random()
      const s = setup(rng)
      await s.drain()
      for (let i = rng.int(2, 5); i > 0; i--) expect(await s.hit()).toHaveStatus(429)
      s.safeWait(1.5)
      expect(await s.hit(), 'one and a half tokens later').toHaveStatus(200)
      expect(await s.hit()).toHaveStatus(429)
    })

    it('never refills a bucket above its limit', async () => {
      const rng = random()
      const s = setup(rng)
      expect(await s.hit()).toHaveStatus(200)
      s.model.take()
      s.safeWait(s.limit * rng.pick([0.8, 0.9])) // long enough to overflow, short of the window
      await s.drain()
      expect(await s.hit(), `a bucket holds at most ${s.limit} tokens`).toHaveStatus(429)
    })

    it('reads the time from now() on every request', async () => {
      const rng = random()
      const s = setup(rng)
      await s.drain()
      s.wait(rng.int(1, 5) * HOUR)
      await s.drain()
      expect(await s.hit()).toHaveStatus(429)
    })

    it('removes idle buckets from the store once windowSeconds have passed', async () => {
      const rng = random()
      const s = setup(rng)
      const keys = [undefined, `key-${rng.word()}`, `key-${rng.word()}`]
      for (const key of keys) {
        s.wait(rng.int(1, 3000))
        for (let i = rng.int(1, s.limit + 2); i > 0; i--) await s.hit(key)
      }
      expect(s.store.liveKeys().length, 'the buckets must be kept in the store').toBeGreaterThan(0)
      s.clock.advance(s.windowSeconds * 1000)
      expect(
        s.store.liveKeys(),
        `keys still in the store ${s.windowSeconds} s after their last request (give them a TTL)`,
      ).toEqual([])
    })

    it('gives the key a TTL on a 429 too', async () => {
      const rng = random()
      const s = setup(rng)
      const key = rng.pick([undefined, `key-${rng.word()}`])
      await s.drain(key)
      s.clock.advance(rng.int(0, Math.floor(s.tokenMs / 2)))
      expect(await s.hit(key)).toHaveStatus(429)
      expect(s.store.liveKeys().length, 'the bucket must be kept in the store').toBe(1)
      s.clock.advance(s.windowSeconds * 1000)
      expect(
        s.store.liveKeys(),
        `keys still in the store ${s.windowSeconds} s after a 429 (its write needs a TTL too)`,
      ).toEqual([])
    })

    it('never lets a busy bucket expire before it has refilled', async () => {
      // A TTL set only when the key is created runs out while the client is still busy.
      const rng = random()
      const s = setup(rng)
      await s.drain()
      s.safeWait(s.limit / 2)
      for (let expected = s.model.take(); expected.status === 200; expected = s.model.take()) {
        expect(await s.hit()).toHaveStatus(200)
      }
      expect(await s.hit()).toHaveStatus(429)
      s.safeWait(s.limit * 0.6) // past the first request's window, with the bucket not yet full
      for (let expected = s.model.take(); ; expected = s.model.take()) {
        expect(await s.hit(), 'the bucket must still hold what it had').toHaveStatus(
          expected.status,
        )
        if (expected.status === 429) break
      }
    })
  })

  task(4, 'Advertise the policy: RateLimit-Policy, RateLimit and Retry-After', () => {
    it('sends RateLimit-Policy: "default";q=<limit>;w=<windowSeconds> on 200 and 429', async () => {
      const s = setup(random())
      const first = await s.hit()
      expect(first).toHaveStatus(200)
      expectPolicy(first, s.limit, s.windowSeconds)
      for (let i = 1; i < s.limit; i++) await s.hit()
      const rejected = await s.hit()
      expect(rejected).toHaveStatus(429)
      expectPolicy(rejected, s.limit, s.windowSeconds)
    })

    it('sends RateLimit: "default";r=<remaining>;t=<seconds to the next token> on each 200', async () => {
      const s = setup(random())
      for (let i = 0; i < s.limit; i++) {
        const expected = s.model.take()
        const res = await s.hit()
        expect(res).toHaveStatus(200)
        expectLimit(res, expected.remaining, expected.reset)
      }
    })

    it('on a 429 sends r=0 and a Retry-After equal to t', async () => {
      const s = setup(random())
      await s.drain()
      const expected = s.model.take()
      const res = await s.hit()
      expect(res).toHaveStatus(429)
      expectLimit(res, 0, expected.reset)
      expect(res).toHaveHeader('Retry-After', String(expected.reset))
    })

    it('counts the part of a token already refilled in t and Retry-After', async () => {
      const rng = random()
      const s = setup(rng)
      await s.drain()
      s.safeWait(rng.pick([0.3, 0.45, 0.6]))
      const expected = s.model.take()
      const res = await s.hit()
      expect(res).toHaveStatus(429)
      expectLimit(res, 0, expected.reset)
      expect(res).toHaveHeader('Retry-After', String(expected.reset))
      s.safeWait(rng.int(1, s.limit - 1) + 0.5)
      const later = s.model.take()
      const admitted = await s.hit()
      expect(admitted).toHaveStatus(200)
      expectLimit(admitted, later.remaining, later.reset)
    })

    it('never sends t or Retry-After 0, even when the next token is moments away', async () => {
      const s = setup(random())
      await s.drain()
      s.safeWait(0.9)
      const res = await s.hit()
      expect(res).toHaveStatus(429)
      expectLimit(res, 0, 1)
      expect(res).toHaveHeader('Retry-After', '1')
    })

    it('counts r right under concurrency: each admitted request sees a different r', async () => {
      const rng = random()
      const s = setup(rng)
      const responses = await s.burst(s.limit + rng.int(1, 5))
      const seen = responses
        .filter((res) => res.status === 200)
        .map((res) => Number(defaultItem(res, 'RateLimit').r))
      expect(seen.sort((x, y) => x - y), 'the r values of the admitted requests').toEqual(
        Array.from({ length: s.limit }, (_, i) => i),
      )
    })
  })

  task(5, 'When the store fails: fail open or fail closed', () => {
    it('fails closed: 503 { "error": "rate_limit_unavailable" } while the store is down', async () => {
      const s = setup(random(), { failMode: 'closed' })
      s.store.down = true
      for (const api of s.apis) {
        const res = await s.hit(undefined, api)
        expect(res, 'failMode "closed" with the store down').toHaveStatus(503)
        expect(res).toHaveJsonBody(expect.objectContaining({ error: 'rate_limit_unavailable' }))
      }
    })

    it('fails open: lets every request through, with no RateLimit field', async () => {
      const s = setup(random(), { failMode: 'open' })
      s.store.down = true
      for (let i = 0; i < s.limit + 3; i++) {
        const res = await s.hit()
        expect(res, 'failMode "open" with the store down').toHaveStatus(200)
        expect(res).toHaveJsonBody(expect.objectContaining({ ok: true }))
        expect(res.headers.ratelimit, 'no RateLimit field: the remaining quota is unknown').toBe(
          undefined,
        )
      }
    })

    it('hands every store error to onStoreError, once per failed request', async () => {
      const rng = random()
      const s = setup(rng)
      s.store.down = true
      const count = rng.int(2, 5)
      for (let i = 0; i < count; i++) await s.hit()
      expect(s.errors.length, 'calls to onStoreError').toBe(count)
      s.errors.forEach((error, i) => {
        expect(error, `call ${i + 1} must receive the error the store raised`).toBe(
          s.store.failures[i],
        )
      })
    })

    it('picks up where it left off once the store is back', async () => {
      const rng = random()
      const s = setup(rng, { failMode: 'open' })
      expect(await s.hit()).toHaveStatus(200)
      s.model.take()
      s.store.down = true
      for (let i = rng.int(2, 4); i > 0; i--) expect(await s.hit()).toHaveStatus(200)
      s.store.down = false
      const expected = s.model.take()
      const res = await s.hit()
      expect(res).toHaveStatus(200)
      expectLimit(res, expected.remaining, expected.reset)
    })
  })
})
