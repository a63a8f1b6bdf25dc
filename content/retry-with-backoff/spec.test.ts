// retry-with-backoff - the hidden spec.
//
// Wrong implementations this spec is built to catch:
// - forwards to the wrong URL (keeps /api, drops the query), drops the body, the Content-Type or
//   the Idempotency-Key, or rebuilds the response without the upstream's status, body,
//   Content-Type or Retry-After; a network error that is not a 502 with its attempt count
// - reuses one Request object for every attempt, so a retry goes out without its body
// - retries a POST or PATCH that carries no Idempotency-Key (or an empty one); never retries a
//   POST that carries one; retries only GET (PUT, DELETE, HEAD, OPTIONS are idempotent too)
// - retries a 500 or another 4xx; does not retry 429, 502, 503, 504 or a network error
// - maxAttempts read as the number of retries (one attempt too many), or ignored; the last
//   failure answered with something else than the upstream's response; options kept at module
//   level, so a second createApp() changes the first app
// - backoff without jitter, with "equal" jitter (half the ceiling plus a random half), with
//   additive jitter, without the cap, or numbered from 2 ** n instead of 2 ** (n - 1); waits
//   drawn from Math.random instead of the injected random(); random() called more than once per
//   wait, or drawn after the last allowed attempt (or for a request never retried), with no wait
//   to follow; no sleep when the wait is 0
// - Retry-After ignored, used even when the jittered wait is longer, read with Number / parseInt
//   / parseFloat ("1.5", "10s" honoured, "soon" turning the wait into NaN), its date form
//   measured against Date.now() instead of now(); random() skipped when Retry-After wins
// - no deadline; a deadline counted from the first failure or reset at every attempt; only the
//   waits counted, not the upstream's time; a retry still made at exactly the deadline, or one
//   refused a millisecond before it; sleeping before giving up; a deadline that overrides an
//   answer or the last attempt's failure; Date.now() instead of now()
// - options not validated when createApp is called
import { describe, expect, it } from 'vitest'
import {
  build,
  client,
  fakeClock,
  focusOn,
  random,
  task,
  type FakeClock,
  type Reply,
  type Rng,
} from '../../harness/spec-kit/index.ts'
import { createApp, type GatewayOptions } from '../../exercises/retry-with-backoff/app.ts'

/** What the fake upstream does on one attempt: answer, or fail as the network would. */
type Step =
  | 'network'
  | { status: number; body?: unknown; headers?: Record<string, string>; latencyMs?: number }
  | { network: true; latencyMs: number }

interface Call {
  method: string
  url: string
  contentType: string | null
  idempotencyKey: string | null
  body: string
  /** The fake clock when the attempt started. */
  at: number
}

const BODY_UNREADABLE = '(the request body could not be read: it was already used)'

/**
 * The injected world: an upstream that plays `steps` one attempt at a time (the last step
 * repeats), a clock, a random() that hands out queued values then seeded ones, and a sleep that
 * moves the clock and resolves at once. Everything is recorded.
 */
class World {
  readonly clock: FakeClock
  readonly calls: Call[] = []
  readonly sleeps: number[] = []
  /** Every value random() returned, in order. */
  readonly drawn: number[] = []
  /** The clock each time the app's request reached a final answer from the upstream. */
  readonly answeredAt: number[] = []
  private readonly queued: number[]

  constructor(
    private readonly rng: Rng,
    /** What the upstream does on each attempt; a check may add steps before sending. */
    readonly steps: Step[],
    randoms: number[] = [],
  ) {
    this.clock = fakeClock()
    this.clock.advance(rng.int(0, 3_600_000))
    this.queued = [...randoms]
  }

  readonly fetch = async (request: Request): Promise<Response> => {
    let body: string
    try {
      body = await request.text()
    } catch {
      body = BODY_UNREADABLE
    }
    this.calls.push({
      method: request.method,
      url: request.url,
      contentType: request.headers.get('content-type'),
      idempotencyKey: request.headers.get('idempotency-key'),
      body,
      at: this.clock.now(),
    })
    const step = this.steps[Math.min(this.calls.length - 1, this.steps.length - 1)]!
    if (step === 'network') throw new TypeError('fetch failed')
    if (step.latencyMs) this.clock.advance(step.latencyMs)
    this.answeredAt.push(this.clock.now())
    if ('network' in step) throw new TypeError('fetch failed')
    const headers: Record<string, string> = { ...step.headers }
    const noBody = request.method === 'HEAD' || step.status === 204
    if (!noBody) headers['content-type'] ??= 'application/json'
    const text = noBody ? null : JSON.stringify(step.body ?? { status: step.status })
    return new Response(text, { status: step.status, headers })
  }

  readonly random = (): number => {
    const value = this.queued.length ? this.queued.shift()! : this.rng.next()
    this.drawn.push(value)
    return value
  }

  readonly sleep = (ms: number): Promise<void> => {
    this.sleeps.push(ms)
    if (typeof ms === 'number' && Number.isFinite(ms) && ms > 0) this.clock.advance(ms)
    return Promise.resolve()
  }

  readonly now = (): number => this.clock.now()
}

/** Valid options around `world`, for the checks of createApp's validation. */
function baseOptions(world: World): GatewayOptions {
  const { fetch, random, sleep, now } = world
  return { upstreamUrl: 'http://quotes.internal', fetch, random, sleep, now }
}

type Extra = Partial<Pick<GatewayOptions, 'maxAttempts' | 'baseDelayMs' | 'maxDelayMs' | 'deadlineMs'>>

interface Setup {
  world: World
  upstreamUrl: string
  send: (method: string, path: string, options?: SendOptions) => Promise<Reply>
}

interface SendOptions {
  json?: unknown
  headers?: Record<string, string>
}

function setup(rng: Rng, steps: Step[], extra: Extra = {}, randoms: number[] = []): Setup {
  const world = new World(rng, steps, randoms)
  const upstreamUrl = `http://${rng.word(4, 8)}.internal:${rng.int(1025, 65000)}`
  const app = build(createApp, {
    upstreamUrl,
    fetch: world.fetch,
    random: world.random,
    sleep: world.sleep,
    now: world.now,
    ...extra,
  })
  const api = client(app)
  return { world, upstreamUrl, send: (method, path, options = {}) => api.send(method, path, options) }
}

const ok = (body: unknown = { ok: true }): Step => ({ status: 200, body })
const status = (code: number, headers?: Record<string, string>): Step => ({
  status: code,
  body: { error: `upstream_${code}` },
  ...(headers ? { headers } : {}),
})

function quotePath(rng: Rng): string {
  return `/quotes/q-${rng.word(3, 6)}-${rng.int(1, 999)}`
}

function key(rng: Rng): string {
  return `key-${rng.word(6, 10)}-${rng.int(1000, 9999)}`
}

/** The fetch was called `n` times. */
function expectAttempts(s: Setup, res: Reply, n: number): void {
  focusOn(res)
  expect(s.world.calls.length, `the upstream should have been called ${n} time(s)`).toBe(n)
}

/** Each recorded wait equals `expected` (or that value rounded down to a whole millisecond). */
function expectWaits(s: Setup, res: Reply, expected: number[]): void {
  focusOn(res)
  const got = s.world.sleeps
  expect(got.length, `sleep() should have been called ${expected.length} time(s), got ${JSON.stringify(got)}`).toBe(
    expected.length,
  )
  expected.forEach((want, i) => {
    const ms = got[i]!
    const fine = Math.abs(ms - want) < 1e-6 || ms === Math.floor(want)
    expect(fine, `wait ${i + 1} should be ${want} ms (or ${Math.floor(want)}), got ${ms}`).toBe(true)
  })
}

const ceilings = (base: number, cap: number, n: number) =>
  Array.from({ length: n }, (_, i) => Math.min(cap, base * 2 ** i))

const IDEMPOTENT = ['GET', 'HEAD', 'PUT', 'DELETE', 'OPTIONS']
const RETRYABLE = [429, 502, 503, 504]
const FINAL = [400, 401, 403, 404, 409, 422, 500, 501]

describe('retry-with-backoff', () => {
  task(1, 'Forward requests to the upstream', () => {
    it('forwards GET /api/... to the upstream path without /api, query kept, and passes the answer on', async () => {
      const rng = random()
      const quote = { id: `q-${rng.word()}`, price: rng.int(100, 99_999) }
      const s = setup(rng, [ok(quote)])
      const path = quotePath(rng)
      const query = `?currency=${rng.pick(['EUR', 'USD', 'GBP'])}&n=${rng.int(1, 9)}`
      const res = await s.send('GET', `/api${path}${query}`)
      expect(res).toHaveStatus(200)
      expect(res).toHaveHeader('Content-Type', expect.stringMatching(/^application\/json/))
      expect(res).toHaveJsonBody(quote)
      expectAttempts(s, res, 1)
      expect(s.world.calls[0]).toMatchObject({ method: 'GET', url: `${s.upstreamUrl}${path}${query}` })
    })

    it('forwards a POST body byte for byte with its Content-Type and Idempotency-Key', async () => {
      const rng = random()
      const order = { id: `ord-${rng.int(1, 9999)}`, status: 'placed' }
      const s = setup(rng, [{ status: 201, body: order }])
      const sent = { quote: `q-${rng.word()}`, quantity: rng.int(1, 50), note: rng.word() }
      const k = key(rng)
      const res = await s.send('POST', '/api/orders', { json: sent, headers: { 'Idempotency-Key': k } })
      expect(res).toHaveStatus(201)
      expect(res).toHaveJsonBody(order)
      expectAttempts(s, res, 1)
      expect(s.world.calls[0]).toMatchObject({
        method: 'POST',
        url: `${s.upstreamUrl}/orders`,
        body: JSON.stringify(sent),
        idempotencyKey: k,
        contentType: expect.stringMatching(/^application\/json/),
      })
    })

    it.each(FINAL.map((code) => [code]))(
      'passes an upstream %i on with its body',
      async (code) => {
        const rng = random()
        const body = { error: rng.word(), detail: rng.word() }
        const s = setup(rng, [{ status: code, body }])
        const res = await s.send('GET', `/api${quotePath(rng)}`)
        expect(res).toHaveStatus(code)
        expect(res).toHaveJsonBody(body)
      },
    )

    it('passes on the Retry-After of a final answer', async () => {
      const rng = random()
      const seconds = String(rng.int(1, 120))
      // A POST without a key is sent once, so the 429 is the final answer.
      const s = setup(rng, [status(429, { 'Retry-After': seconds })])
      const res = await s.send('POST', '/api/orders', { json: { quantity: 1 } })
      expect(res).toHaveStatus(429)
      expect(res).toHaveHeader('Retry-After', seconds)
      expect(res).toHaveJsonBody({ error: 'upstream_429' })
    })

    it('answers 502 upstream_unreachable with attempts: 1 when fetch rejects', async () => {
      const rng = random()
      const s = setup(rng, ['network'])
      const res = await s.send('POST', '/api/orders', { json: { quantity: rng.int(1, 9) } })
      expect(res).toHaveStatus(502)
      expect(res).toHaveJsonBody(expect.objectContaining({ error: 'upstream_unreachable', attempts: 1 }))
      expectAttempts(s, res, 1)
    })

    it('forwards HEAD without a body and passes its status on', async () => {
      const rng = random()
      const s = setup(rng, [{ status: 200 }])
      const res = await s.send('HEAD', `/api${quotePath(rng)}`)
      expect(res).toHaveStatus(200)
      expectAttempts(s, res, 1)
      expect(s.world.calls[0]!.method).toBe('HEAD')
    })

    it('createApp throws a TypeError for a missing function or a bad upstreamUrl', () => {
      const world = new World(random(), [ok()])
      const good = {
        upstreamUrl: 'http://quotes.internal:8080',
        fetch: world.fetch,
        random: world.random,
        sleep: world.sleep,
        now: world.now,
      }
      expect(() => createApp(good), 'valid options').not.toThrow()
      for (const name of ['fetch', 'random', 'sleep', 'now'] as const) {
        expect(() => createApp({ ...good, [name]: undefined } as never), `${name} missing`).toThrow(TypeError)
        expect(() => createApp({ ...good, [name]: 42 } as never), `${name}: 42`).toThrow(TypeError)
      }
      for (const upstreamUrl of [undefined, '', 'quotes.internal', 42]) {
        expect(() => createApp({ ...good, upstreamUrl } as never), `upstreamUrl: ${upstreamUrl}`).toThrow(TypeError)
      }
    })
  })

  task(2, 'Retry what is safe to retry', () => {
    it('retries a GET after a network error and answers with the next attempt', async () => {
      const rng = random()
      const quote = { id: rng.word(), price: rng.int(1, 999) }
      const s = setup(rng, ['network', ok(quote)])
      const res = await s.send('GET', `/api${quotePath(rng)}`)
      expect(res).toHaveStatus(200)
      expect(res).toHaveJsonBody(quote)
      expectAttempts(s, res, 2)
    })

    it.each(RETRYABLE.map((code) => [code]))('retries a GET answered %i', async (code) => {
      const rng = random()
      const quote = { id: rng.word(), price: rng.int(1, 999) }
      const s = setup(rng, [status(code), ok(quote)])
      const res = await s.send('GET', `/api${quotePath(rng)}`)
      expect(res).toHaveStatus(200)
      expect(res).toHaveJsonBody(quote)
      expectAttempts(s, res, 2)
    })

    it.each(IDEMPOTENT.map((m) => [m]))('retries %s, sending the same request every time', async (method) => {
      const rng = random()
      const s = setup(rng, [rng.pick(['network', status(503)] as Step[]), status(502), { status: 200 }])
      const path = `/orders/ord-${rng.int(1, 9999)}`
      const withBody = method === 'PUT' || method === 'DELETE'
      const sent = { status: rng.word(), quantity: rng.int(1, 9) }
      const res = await s.send(method, `/api${path}`, withBody ? { json: sent } : {})
      expect(res).toHaveStatus(200)
      expectAttempts(s, res, 3)
      for (const call of s.world.calls) {
        expect(call).toMatchObject({ method, url: `${s.upstreamUrl}${path}` })
        if (withBody) expect(call.body, 'every attempt carries the body').toBe(JSON.stringify(sent))
      }
    })

    it.each([['POST'], ['PATCH']])('sends a %s without Idempotency-Key once, whatever happens', async (method) => {
      const rng = random()
      for (const first of ['network', status(rng.pick(RETRYABLE))] as Step[]) {
        const s = setup(rng, [first, ok()])
        const res = await s.send(method, '/api/orders', { json: { quantity: rng.int(1, 9) } })
        expectAttempts(s, res, 1)
        if (first === 'network') {
          expect(res).toHaveStatus(502)
          expect(res).toHaveJsonBody(expect.objectContaining({ error: 'upstream_unreachable', attempts: 1 }))
        } else {
          expect(res).toHaveStatus((first as { status: number }).status)
        }
      }
    })

    it('treats an empty Idempotency-Key like none: the POST is sent once', async () => {
      const rng = random()
      const s = setup(rng, [status(503), ok()])
      const res = await s.send('POST', '/api/orders', {
        json: { quantity: rng.int(1, 9) },
        headers: { 'Idempotency-Key': '' },
      })
      expect(res).toHaveStatus(503)
      expectAttempts(s, res, 1)
    })

    it.each([['POST'], ['PATCH']])(
      'retries a %s with an Idempotency-Key, same key and body on every attempt',
      async (method) => {
        const rng = random()
        const created = { id: `ord-${rng.int(1, 9999)}` }
        const s = setup(rng, ['network', status(503), { status: 201, body: created }])
        const sent = { quote: rng.word(), quantity: rng.int(1, 9) }
        const k = key(rng)
        const res = await s.send(method, '/api/orders', { json: sent, headers: { 'Idempotency-Key': k } })
        expect(res).toHaveStatus(201)
        expect(res).toHaveJsonBody(created)
        expectAttempts(s, res, 3)
        for (const call of s.world.calls) {
          expect(call, 'every attempt is the same request').toMatchObject({
            method,
            body: JSON.stringify(sent),
            idempotencyKey: k,
            contentType: expect.stringMatching(/^application\/json/),
          })
        }
      },
    )

    it('never retries a 500 or another 4xx', async () => {
      const rng = random()
      for (const code of rng.shuffle(FINAL)) {
        const s = setup(rng, [status(code), ok()])
        const res = await s.send(rng.pick(IDEMPOTENT.filter((m) => m !== 'HEAD')), `/api${quotePath(rng)}`)
        expect(res).toHaveStatus(code)
        expectAttempts(s, res, 1)
      }
    })

    it('makes 3 attempts by default, then passes the last failure on', async () => {
      const rng = random()
      const last = { error: 'still_down', id: rng.word() }
      const s = setup(rng, [status(503), status(502), { status: 503, body: last }])
      const res = await s.send('GET', `/api${quotePath(rng)}`)
      expect(res).toHaveStatus(503)
      expect(res).toHaveJsonBody(last)
      expectAttempts(s, res, 3)
    })

    it('makes exactly maxAttempts attempts, then answers 502 with the attempts made', async () => {
      const rng = random()
      const maxAttempts = rng.int(2, 6)
      const s = setup(rng, ['network'], { maxAttempts, deadlineMs: 1e9 })
      const res = await s.send('GET', `/api${quotePath(rng)}`)
      expect(res).toHaveStatus(502)
      expect(res).toHaveJsonBody(expect.objectContaining({ error: 'upstream_unreachable', attempts: maxAttempts }))
      expectAttempts(s, res, maxAttempts)
    })

    it('makes one attempt only with maxAttempts: 1', async () => {
      const rng = random()
      const s = setup(rng, [status(503), ok()], { maxAttempts: 1 })
      const res = await s.send('GET', `/api${quotePath(rng)}`)
      expect(res).toHaveStatus(503)
      expectAttempts(s, res, 1)
    })

    it('sleeps once before every retry, and never after the last attempt', async () => {
      const rng = random()
      const maxAttempts = rng.int(3, 5)
      const s = setup(rng, [status(503)], { maxAttempts, deadlineMs: 1e9 })
      const res = await s.send('GET', `/api${quotePath(rng)}`)
      expectAttempts(s, res, maxAttempts)
      expect(s.world.sleeps.length, 'sleep() calls').toBe(maxAttempts - 1)
    })

    it('keeps the retry settings of two createApp() instances apart', async () => {
      const rng = random()
      const one = setup(rng, [status(503)], { maxAttempts: 2 })
      const five = setup(rng, [status(503)], { maxAttempts: 5, deadlineMs: 1e9 })
      expectAttempts(one, await one.send('GET', `/api${quotePath(rng)}`), 2)
      expectAttempts(five, await five.send('GET', `/api${quotePath(rng)}`), 5)
      one.world.calls.length = 0
      expectAttempts(one, await one.send('GET', `/api${quotePath(rng)}`), 2)
    })

    it('createApp throws a RangeError unless maxAttempts is a whole number >= 1', () => {
      const world = new World(random(), [ok()])
      const base = baseOptions(world)
      for (const maxAttempts of [0, -1, 2.5, Number.NaN]) {
        expect(() => createApp({ ...base, maxAttempts }), `maxAttempts: ${maxAttempts}`).toThrow(RangeError)
      }
      expect(() => createApp({ ...base, maxAttempts: 1 }), 'maxAttempts: 1').not.toThrow()
    })
  })

  task(3, 'Back off with full jitter', () => {
    it('waits random() * baseDelayMs * 2 ** (n - 1) before retry n', async () => {
      const rng = random()
      const baseDelayMs = rng.int(50, 400)
      const maxAttempts = 5
      const s = setup(rng, [status(503), 'network', status(429), status(502), ok()], {
        maxAttempts,
        baseDelayMs,
        maxDelayMs: 1e7,
        deadlineMs: 1e9,
      })
      const res = await s.send('GET', `/api${quotePath(rng)}`)
      expect(res).toHaveStatus(200)
      expectAttempts(s, res, 5)
      const expected = ceilings(baseDelayMs, 1e7, 4).map((c, i) => s.world.drawn[i]! * c)
      expectWaits(s, res, expected)
    })

    it('never lets a ceiling grow past maxDelayMs', async () => {
      const rng = random()
      const baseDelayMs = rng.int(100, 300)
      const maxDelayMs = baseDelayMs * 2 + rng.int(1, baseDelayMs)
      const s = setup(rng, [status(503)], { maxAttempts: 6, baseDelayMs, maxDelayMs, deadlineMs: 1e9 })
      const res = await s.send('GET', `/api${quotePath(rng)}`)
      expectAttempts(s, res, 6)
      const expected = ceilings(baseDelayMs, maxDelayMs, 5).map((c, i) => s.world.drawn[i]! * c)
      expectWaits(s, res, expected)
    })

    it('uses baseDelayMs 100 and maxDelayMs 5000 by default', async () => {
      const rng = random()
      const s = setup(rng, [status(503)], { maxAttempts: 9, deadlineMs: 1e9 })
      const res = await s.send('GET', `/api${quotePath(rng)}`)
      expectAttempts(s, res, 9)
      const expected = [100, 200, 400, 800, 1600, 3200, 5000, 5000].map((c, i) => s.world.drawn[i]! * c)
      expectWaits(s, res, expected)
    })

    it('spreads waits over the whole range: random() = 0 waits 0, random() near 1 just under the ceiling', async () => {
      const rng = random()
      const baseDelayMs = 256 * rng.int(1, 8)
      const s = setup(rng, [status(503)], { maxAttempts: 4, baseDelayMs, maxDelayMs: 1e7, deadlineMs: 1e9 }, [
        0,
        1 - 2 ** -20,
        0.5,
      ])
      const res = await s.send('GET', `/api${quotePath(rng)}`)
      expectAttempts(s, res, 4)
      expectWaits(s, res, [0, (1 - 2 ** -20) * baseDelayMs * 2, 0.5 * baseDelayMs * 4])
    })

    it('calls random() exactly once per wait', async () => {
      const rng = random()
      const s = setup(rng, ['network', status(503), status(504), ok()], { maxAttempts: 4, deadlineMs: 1e9 })
      const res = await s.send('GET', `/api${quotePath(rng)}`)
      expect(res).toHaveStatus(200)
      focusOn(res)
      expect(s.world.drawn.length, 'random() calls for 3 waits').toBe(3)
    })

    it('calls random() only for a wait: not after the last allowed attempt, nor for a request never retried', async () => {
      const rng = random()
      const maxAttempts = rng.int(2, 5)
      const failure = (): Step => rng.pick(['network', status(rng.pick(RETRYABLE))] as Step[])
      const s = setup(rng, [failure()], { maxAttempts, deadlineMs: 1e9 })
      const res = await s.send('GET', `/api${quotePath(rng)}`)
      expectAttempts(s, res, maxAttempts)
      expect(s.world.drawn.length, `random() calls for ${maxAttempts - 1} waits`).toBe(maxAttempts - 1)
      const once = setup(rng, [failure(), ok()])
      const post = await once.send(rng.pick(['POST', 'PATCH']), '/api/orders', { json: { quantity: rng.int(1, 9) } })
      expectAttempts(once, post, 1)
      expect(once.world.drawn.length, 'random() calls for a request sent once, without a wait').toBe(0)
    })

    it('createApp throws a RangeError for a bad baseDelayMs or maxDelayMs', () => {
      const world = new World(random(), [ok()])
      const base = baseOptions(world)
      const bad: Extra[] = [
        { baseDelayMs: 0 },
        { baseDelayMs: -100 },
        { baseDelayMs: Number.NaN },
        { baseDelayMs: Number.POSITIVE_INFINITY },
        { baseDelayMs: 200, maxDelayMs: 199 },
        { maxDelayMs: Number.NaN },
        { maxDelayMs: Number.POSITIVE_INFINITY },
      ]
      for (const extra of bad) {
        expect(() => createApp({ ...base, ...extra }), JSON.stringify(extra)).toThrow(RangeError)
      }
      expect(() => createApp({ ...base, baseDelayMs: 200, maxDelayMs: 200 }), 'maxDelayMs = baseDelayMs').not.toThrow()
    })
  })

  task(4, 'Honour Retry-After', () => {
    it('waits Retry-After seconds when that is longer than the jittered wait', async () => {
      const rng = random()
      const seconds = rng.int(1, 30)
      const s = setup(rng, [status(503, { 'Retry-After': String(seconds) }), ok()], { deadlineMs: 1e9 })
      const res = await s.send('GET', `/api${quotePath(rng)}`)
      expect(res).toHaveStatus(200)
      expectAttempts(s, res, 2)
      expectWaits(s, res, [seconds * 1000])
    })

    it('keeps the jittered wait when Retry-After asks for less', async () => {
      const rng = random()
      const baseDelayMs = 4096
      const r = rng.int(600, 1000) / 1024
      const hint = rng.pick(['0', '1', '2'])
      const steps = [status(429, { 'Retry-After': hint }), ok()]
      const s = setup(rng, steps, { baseDelayMs, deadlineMs: 1e9 }, [r])
      const res = await s.send('GET', `/api${quotePath(rng)}`)
      expect(res).toHaveStatus(200)
      expectWaits(s, res, [r * baseDelayMs])
    })

    it('still calls random() for a wait Retry-After decides, so the next wait uses the next value', async () => {
      const rng = random()
      const seconds = rng.int(2, 9)
      const s = setup(rng, [status(503, { 'Retry-After': String(seconds) }), status(503), ok()], { deadlineMs: 1e9 })
      const res = await s.send('GET', `/api${quotePath(rng)}`)
      expect(res).toHaveStatus(200)
      expectWaits(s, res, [seconds * 1000, s.world.drawn[1]! * 200])
    })

    it('reads an HTTP-date Retry-After against now()', async () => {
      const rng = random()
      const latencyMs = rng.int(0, 900)
      const seconds = rng.int(3, 60)
      const s = setup(rng, [], { deadlineMs: 1e9 })
      // The date is written when the upstream answers: latencyMs after the attempt started.
      const answerAt = s.world.clock.now() + latencyMs
      const date = new Date(answerAt + seconds * 1000).toUTCString()
      s.world.steps.push({ status: 503, headers: { 'Retry-After': date }, latencyMs }, ok())
      const res = await s.send('GET', `/api${quotePath(rng)}`)
      expect(res).toHaveStatus(200)
      expectWaits(s, res, [Date.parse(date) - answerAt])
    })

    it('counts an HTTP-date in the past as 0: the jittered wait stands', async () => {
      const rng = random()
      const s = setup(rng, [], { baseDelayMs: 1024 }, [rng.int(1, 1023) / 1024])
      const date = new Date(s.world.clock.now() - rng.int(1, 3600) * 1000).toUTCString()
      s.world.steps.push(status(503, { 'Retry-After': date }), ok())
      const res = await s.send('GET', `/api${quotePath(rng)}`)
      expect(res).toHaveStatus(200)
      expectWaits(s, res, [s.world.drawn[0]! * 1024])
    })

    it.each([['1.5'], ['-3'], ['10s'], ['soon'], ['']])('ignores an invalid Retry-After: %j', async (value) => {
      const rng = random()
      const r = rng.int(1, 1023) / 1024
      const s = setup(rng, [status(503, { 'Retry-After': value }), ok()], { baseDelayMs: 1024 }, [r])
      const res = await s.send('GET', `/api${quotePath(rng)}`)
      expect(res).toHaveStatus(200)
      expectWaits(s, res, [r * 1024])
    })

    it('passes the Retry-After of the last failed attempt on to the client', async () => {
      const rng = random()
      const seconds = String(rng.int(1, 5))
      const s = setup(rng, [status(429, { 'Retry-After': seconds })], { maxAttempts: 2, deadlineMs: 1e9 })
      const res = await s.send('GET', `/api${quotePath(rng)}`)
      expect(res).toHaveStatus(429)
      expect(res).toHaveHeader('Retry-After', seconds)
      expectAttempts(s, res, 2)
    })
  })

  task(5, 'Give up at the deadline', () => {
    it('counts the upstream time and the waits from the first attempt (the README example)', async () => {
      const rng = random()
      const slow: Step = { status: 503, body: { error: 'busy' }, latencyMs: 300 }
      const s = setup(rng, [slow], { maxAttempts: 5, baseDelayMs: 100, deadlineMs: 1000 }, [0.5, 0.5, 0.5, 0.5])
      const start = s.world.clock.now()
      const res = await s.send('GET', `/api${quotePath(rng)}`)
      expect(res).toHaveStatus(504)
      expect(res).toHaveJsonBody(expect.objectContaining({ error: 'deadline_exceeded', attempts: 3 }))
      expectAttempts(s, res, 3)
      expect(s.world.calls.map((c) => c.at - start), 'attempts start at t=0, 350 and 750').toEqual([0, 350, 750])
      expect(s.world.sleeps, 'no sleep before giving up').toEqual([50, 100])
    })

    it('makes a retry that starts 1 ms before the deadline', async () => {
      const rng = random()
      const latencyMs = rng.int(0, 500)
      const k = rng.int(1, 1023)
      const deadlineMs = latencyMs + k + 1
      const s = setup(rng, [{ status: 503, latencyMs }, ok()], { baseDelayMs: 1024, deadlineMs }, [k / 1024])
      const res = await s.send('GET', `/api${quotePath(rng)}`)
      expect(res).toHaveStatus(200)
      expectAttempts(s, res, 2)
    })

    it('answers 504 without sleeping when the retry would start exactly at the deadline', async () => {
      const rng = random()
      const latencyMs = rng.int(0, 500)
      const k = rng.int(1, 1023)
      const deadlineMs = latencyMs + k
      const s = setup(rng, [{ status: 503, latencyMs }, ok()], { baseDelayMs: 1024, deadlineMs }, [k / 1024])
      const res = await s.send('GET', `/api${quotePath(rng)}`)
      expect(res).toHaveStatus(504)
      expect(res).toHaveJsonBody(expect.objectContaining({ error: 'deadline_exceeded', attempts: 1 }))
      expectAttempts(s, res, 1)
      expect(s.world.sleeps, 'no sleep before giving up').toEqual([])
    })

    it('gives up after a first attempt that alone outlasts the deadline', async () => {
      const rng = random()
      const deadlineMs = rng.int(100, 2000)
      const s = setup(rng, [{ network: true, latencyMs: deadlineMs + rng.int(0, 100) }, ok()], { deadlineMs })
      const res = await s.send('GET', `/api${quotePath(rng)}`)
      expect(res).toHaveStatus(504)
      expect(res).toHaveJsonBody(expect.objectContaining({ error: 'deadline_exceeded', attempts: 1 }))
      expectAttempts(s, res, 1)
    })

    it('counts Retry-After waits against the default deadline of 10000 ms', async () => {
      const rng = random()
      const wait = rng.pick([4, 5])
      const s = setup(rng, [status(503, { 'Retry-After': String(wait) })], { maxAttempts: 5 })
      const res = await s.send('GET', `/api${quotePath(rng)}`)
      // 4 s: attempts at 0, 4000, 8000, then 12000 >= 10000. 5 s: at 0, 5000, then 10000.
      const attempts = wait === 4 ? 3 : 2
      expect(res).toHaveStatus(504)
      expect(res).toHaveJsonBody(expect.objectContaining({ error: 'deadline_exceeded', attempts }))
      expectAttempts(s, res, attempts)
    })

    it('passes on an answer that comes after the deadline', async () => {
      const rng = random()
      const deadlineMs = rng.int(100, 1000)
      const quote = { id: rng.word() }
      const s = setup(rng, [status(503), { status: 200, body: quote, latencyMs: deadlineMs * 2 }], {
        baseDelayMs: 1,
        deadlineMs,
      })
      const res = await s.send('GET', `/api${quotePath(rng)}`)
      expect(res).toHaveStatus(200)
      expect(res).toHaveJsonBody(quote)
    })

    it('passes on the failure of the last allowed attempt, even after the deadline', async () => {
      const rng = random()
      const deadlineMs = rng.int(100, 1000)
      const last = { error: 'down', id: rng.word() }
      const s = setup(rng, [status(503), { status: 503, body: last, latencyMs: deadlineMs * 2 }], {
        maxAttempts: 2,
        baseDelayMs: 1,
        deadlineMs,
      })
      const res = await s.send('GET', `/api${quotePath(rng)}`)
      expect(res).toHaveStatus(503)
      expect(res).toHaveJsonBody(last)
    })

    it('never gives up on an answer or a request that is not retried', async () => {
      const rng = random()
      const s = setup(rng, [{ status: 503, latencyMs: 5000 }], { deadlineMs: 1000 })
      const res = await s.send('POST', '/api/orders', { json: { quantity: 1 } })
      expect(res).toHaveStatus(503)
      expectAttempts(s, res, 1)
    })

    it('createApp throws a RangeError unless deadlineMs is a finite number > 0', () => {
      const world = new World(random(), [ok()])
      const base = baseOptions(world)
      for (const deadlineMs of [0, -1, Number.NaN, Number.POSITIVE_INFINITY]) {
        expect(() => createApp({ ...base, deadlineMs }), `deadlineMs: ${deadlineMs}`).toThrow(RangeError)
      }
      expect(() => createApp({ ...base, deadlineMs: 1 }), 'deadlineMs: 1').not.toThrow()
    })
  })
})
