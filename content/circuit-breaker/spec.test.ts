// circuit-breaker - the hidden spec.
//
// Wrong implementations this spec is built to catch:
// - a URL built with new URL(rest, base) (drops the base's path), without the query string, or
//   without the rest of the path; a status, body or Content-Type not passed on; a 5xx or 4xx from
//   the upstream turned into something else; a network error answered with 500 or left unanswered
// - upstreams looked up in the plain options object, so `constructor` or `__proto__` is "known"
// - no timeout, a timeout from the real setTimeout instead of the injected sleep (or another
//   duration than timeoutMs), a 504 without aborting the upstream request, timeoutMs not validated
// - 4xx counted as failures; network errors or timeouts not counted as failures; a late answer
//   after a timeout counted as a success
// - opens before minCalls outcomes, or ignores minCalls; `>` instead of `>=` for the rate (a tie
//   stays closed); the rate judged only after failures (a success that reaches minCalls never
//   opens); failures compared with minCalls instead of the window's share of failures
// - a window that is not time-based (last N calls), keeps outcomes one millisecond too long
//   (`<=`), or is a tumbling window reset every windowMs; Date.now() instead of the injected now()
// - calls the upstream while open; Retry-After rounded down, in milliseconds, or counted from the
//   start of the call that opened the breaker; open for one millisecond too long or too short;
//   half-open only once a request arrives (health still says "open"); openMs not validated
// - half-open lets every request through (no single trial), or remembers the trial forever (the
//   next trial after a failed one never goes through, or only after a 5xx trial: a trial that
//   rejected or timed out leaves the flag set); a trial flag shared by all upstreams
// - a successful trial that closes with the old window (or counts the trial in it), a failed
//   trial that reopens from the old openedAt (Retry-After too small) or only for part of openMs;
//   a trial that times out, is refused with 4xx, or fails with a network error judged wrongly
// - one breaker for all upstreams, or breakers kept at module level (shared by two apps)
// - defaults other than failureRate 0.5, minCalls 5, windowMs 10 000, openMs 30 000,
//   timeoutMs 2 000; invalid failureRate or minCalls accepted, or 1 refused
import { inspect } from 'node:util'
import { describe, expect, it } from 'vitest'
import {
  build,
  type Client,
  client,
  fakeClock,
  type FakeClock,
  focusOn,
  random,
  type Reply,
  type Rng,
  task,
  until,
} from '../../harness/spec-kit/index.ts'
import { createApp, type BreakerOptions } from '../../exercises/circuit-breaker/app.ts'

/** One call the app made through the injected fetch. */
interface UpstreamCall {
  url: string
  signal: AbortSignal | undefined
  /** For a held call: answer it now (a status) or make it fail (a network error). */
  answer: (outcome: number | 'network-error') => void
}

/**
 * The upstream services, faked behind one fetch. The last path segment of the URL says what to
 * do: `s404`, `s503`... (that status), `net` (rejects as a network error), `hold` (answers
 * only when the spec calls `answer`), anything else (`ok`) 200. Every body is JSON naming the
 * URL it answered.
 */
class Upstreams {
  [inspect.custom](): string {
    return 'fakeFetch()'
  }

  readonly calls: UpstreamCall[] = []
  private n = 0

  readonly fetch = (input: string, init?: { signal?: AbortSignal }): Promise<Response> => {
    const url = String(input)
    const token = new URL(url).pathname.split('/').pop() ?? ''
    const n = ++this.n
    let answer!: UpstreamCall['answer']
    const promise = new Promise<Response>((resolve, reject) => {
      answer = (outcome) => {
        if (outcome === 'network-error') reject(new TypeError('fetch failed'))
        else resolve(reply(outcome, url, n))
      }
    })
    this.calls.push({ url, signal: init?.signal, answer })
    if (token === 'net') answer('network-error')
    else if (/^s\d{3}$/.test(token)) answer(Number(token.slice(1)))
    else if (token !== 'hold') answer(200)
    return promise
  }
}

function reply(status: number, url: string, n: number): Response {
  return new Response(JSON.stringify({ served: url, n, status }), {
    status,
    headers: { 'content-type': 'application/vnd.upstream+json' },
  })
}

/** The timeout timers: each `sleep(ms)` resolves when the spec fires it. */
class Timers {
  [inspect.custom](): string {
    return 'fakeSleep()'
  }

  readonly sleeps: { ms: number; fire: () => void }[] = []

  readonly sleep = (ms: number): Promise<void> =>
    new Promise((resolve) => {
      this.sleeps.push({ ms, fire: () => resolve() })
    })
}

interface Setup {
  rng: Rng
  clock: FakeClock
  up: Upstreams
  timers: Timers
  api: Client
  names: string[]
  bases: Record<string, string>
  options: BreakerOptions
}

type Tunables = Partial<Omit<BreakerOptions, 'upstreams' | 'fetch' | 'now' | 'sleep'>>

function setup(rng: Rng, tunables: Tunables = {}, shared?: Setup): Setup {
  const clock = shared?.clock ?? fakeClock()
  if (!shared) clock.advance(rng.int(0, 3_600_000))
  const up = shared?.up ?? new Upstreams()
  const timers = shared?.timers ?? new Timers()
  let names = shared?.names
  let bases = shared?.bases
  if (!names || !bases) {
    const first = rng.word(4, 8)
    let second = rng.word(4, 8)
    while (second === first) second = rng.word(4, 8)
    names = [first, second]
    bases = Object.fromEntries(
      names.map((name) => {
        const port = rng.int(1024, 9999)
        return [name, `http://${name}.internal:${port}/${rng.word(2, 4)}`]
      }),
    )
  }
  const options: BreakerOptions = {
    upstreams: bases,
    fetch: up.fetch,
    now: clock.now,
    sleep: timers.sleep,
    ...tunables,
  }
  const api = client(build(createApp, options))
  return { rng, clock, up, timers, api, names, bases, options }
}

/** `GET /api/<name>/<word>/<token>`: the token tells the fake upstream how to answer. */
function hit(s: Setup, name: string, token: string): Promise<Reply> {
  return s.api.get(`/api/${name}/${s.rng.word(3, 6)}/${token}`)
}

const FAILURES = ['s500', 's502', 's503', 'net'] as const
const SUCCESSES = ['ok', 's201', 's404', 's409', 's422'] as const

function statusFor(token: string): number {
  if (token === 'ok') return 200
  if (token === 'net') return 502
  return Number(token.slice(1))
}

/** A call the upstream fails (5xx or a network error), answered as task 1 says. */
async function failing(s: Setup, name: string): Promise<Reply> {
  const token = s.rng.pick(FAILURES)
  const calls = s.up.calls.length
  const res = await hit(s, name, token)
  expect(res).toHaveStatus(statusFor(token))
  focusOn(res)
  expect(s.up.calls.length, 'the request called the upstream once').toBe(calls + 1)
  return res
}

/** A call the upstream answers with a 2xx or a 4xx. */
async function succeeding(
  s: Setup,
  name: string,
  token: string = s.rng.pick(SUCCESSES),
): Promise<Reply> {
  const calls = s.up.calls.length
  const res = await hit(s, name, token)
  expect(res).toHaveStatus(statusFor(token))
  focusOn(res)
  expect(s.up.calls.length, 'the request called the upstream once').toBe(calls + 1)
  return res
}

async function expectState(s: Setup, name: string, state: string): Promise<void> {
  const res = await s.api.get(`/health/breakers/${name}`)
  expect(res).toHaveStatus(200)
  expect(res).toHaveJsonBody(expect.objectContaining({ upstream: name, state }))
}

/** The request is refused by the open breaker: 503 circuit_open, and no upstream call. */
async function expectRejected(s: Setup, name: string): Promise<Reply> {
  const calls = s.up.calls.length
  const sleeps = s.timers.sleeps.length
  const res = await hit(s, name, 'ok')
  expect(res).toHaveStatus(503)
  expect(res).toHaveJsonBody(expect.objectContaining({ error: 'circuit_open' }))
  focusOn(res)
  expect(s.up.calls.length, 'an open breaker does not call the upstream').toBe(calls)
  expect(s.timers.sleeps.length, 'an open breaker starts no timeout').toBe(sleeps)
  return res
}

/** The request reaches the upstream (which answers 200). */
async function expectPassed(s: Setup, name: string): Promise<void> {
  await succeeding(s, name, 'ok')
}

/** Sends `minCalls` failures with failureRate 1 (the setup's options must say so): opens. */
async function trip(s: Setup, name: string): Promise<void> {
  for (let i = 0; i < (s.options.minCalls ?? 5); i++) await failing(s, name)
  await expectState(s, name, 'open')
}

/** Starts a request whose upstream call the spec holds open, and waits until the call is made. */
async function held(
  s: Setup,
  name: string,
): Promise<{ call: UpstreamCall; reply: Promise<Reply> }> {
  const calls = s.up.calls.length
  const pending = hit(s, name, 'hold')
  // Keep a rejection from surfacing before the check awaits the reply.
  pending.catch(() => {})
  await until(() => s.up.calls.length > calls, 'the app never called the upstream for the request')
  return { call: s.up.calls[calls]!, reply: pending }
}

/** The timeout timer of the latest call: sleep(timeoutMs) must have been called for it. */
async function timerFor(s: Setup, count: number): Promise<{ ms: number; fire: () => void }> {
  await until(
    () => s.timers.sleeps.length >= count,
    'the app never called sleep(timeoutMs) for the upstream call',
  )
  return s.timers.sleeps[count - 1]!
}

const INVALID_NUMBERS = [0, -1, -250, Number.NaN]

describe('circuit-breaker', () => {
  task(1, 'Proxy calls to named upstreams', () => {
    it('calls the base URL followed by the rest of the path and the query string', async () => {
      const rng = random()
      const s = setup(rng, { minCalls: 50 })
      const name = rng.pick(s.names)
      const rest = `/${rng.word()}/${rng.int(1, 999)}/ok`
      const query = `?${rng.word(2, 5)}=${rng.int(0, 99)}&${rng.word(2, 5)}=${rng.word(1, 4)}`
      const res = await s.api.get(`/api/${name}${rest}${query}`)
      expect(res).toHaveStatus(200)
      expect(s.up.calls, 'the app called fetch once').toHaveLength(1)
      expect(new URL(s.up.calls[0]!.url).href).toBe(new URL(`${s.bases[name]}${rest}${query}`).href)
    })

    it('calls the base URL itself for GET /api/<name>', async () => {
      const rng = random()
      const s = setup(rng, { minCalls: 50 })
      const name = rng.pick(s.names)
      const res = await s.api.get(`/api/${name}`)
      expect(res).toHaveStatus(200)
      expect(s.up.calls, 'the app called fetch once').toHaveLength(1)
      const called = new URL(s.up.calls[0]!.url).href.replace(/\/$/, '')
      expect(called).toBe(new URL(s.bases[name]!).href.replace(/\/$/, ''))
    })

    it("passes on the upstream's status, body and Content-Type, 4xx and 5xx included", async () => {
      const rng = random()
      const s = setup(rng, { minCalls: 50 })
      for (const token of rng.shuffle(['ok', 's201', 's404', 's422', 's500', 's503'])) {
        const name = rng.pick(s.names)
        const res = await hit(s, name, token)
        const call = s.up.calls[s.up.calls.length - 1]!
        expect(res).toHaveStatus(statusFor(token))
        expect(res).toHaveHeader('Content-Type', 'application/vnd.upstream+json')
        focusOn(res)
        expect(res.text, 'the body is the upstream body, as it came').toBe(
          JSON.stringify({ served: call.url, n: s.up.calls.length, status: statusFor(token) }),
        )
      }
    })

    it('answers 502 bad_gateway when the upstream call fails with a network error', async () => {
      const rng = random()
      const s = setup(rng, { minCalls: 50 })
      const res = await hit(s, rng.pick(s.names), 'net')
      expect(res).toHaveStatus(502)
      expect(res).toHaveJsonBody(expect.objectContaining({ error: 'bad_gateway' }))
    })

    it('answers 404 unknown_upstream to a name the options do not list, and calls nothing', async () => {
      const rng = random()
      const s = setup(rng, { minCalls: 50 })
      let stranger = rng.word(4, 8)
      while (s.names.includes(stranger)) stranger = rng.word(4, 8)
      for (const name of rng.shuffle([stranger, 'constructor', '__proto__', 'toString'])) {
        const res = await hit(s, name, 'ok')
        expect(res).toHaveStatus(404)
        expect(res).toHaveJsonBody(expect.objectContaining({ error: 'unknown_upstream' }))
      }
      expect(s.up.calls, 'no upstream was called').toHaveLength(0)
    })
  })

  task(2, 'Give up on slow calls', () => {
    it('answers 504 upstream_timeout when sleep(timeoutMs) resolves first, and aborts the call', async () => {
      const rng = random()
      const timeoutMs = rng.int(100, 5000)
      const s = setup(rng, { minCalls: 50, timeoutMs })
      const { call, reply } = await held(s, rng.pick(s.names))
      const timer = await timerFor(s, 1)
      expect(timer.ms, 'sleep is called with timeoutMs').toBe(timeoutMs)
      expect(call.signal?.aborted, 'the call is not aborted before its timeout').not.toBe(true)
      timer.fire()
      const res = await reply
      expect(res).toHaveStatus(504)
      expect(res).toHaveJsonBody(expect.objectContaining({ error: 'upstream_timeout' }))
      expect(call.signal, 'fetch is given a signal').toBeInstanceOf(AbortSignal)
      expect(call.signal!.aborted, 'the timed-out upstream call is aborted').toBe(true)
      // A late answer changes nothing, and the next call is served as usual.
      call.answer(200)
      await expectPassed(s, rng.pick(s.names))
    })

    it('starts one timer of timeoutMs per upstream call, 2000 ms by default', async () => {
      const rng = random()
      const s = setup(rng, { minCalls: 50 })
      const count = rng.int(2, 4)
      for (let i = 0; i < count; i++) await succeeding(s, rng.pick(s.names))
      expect(s.timers.sleeps.map((t) => t.ms)).toEqual(Array(count).fill(2000))
    })

    it('answers a call that beats its timer with the upstream answer', async () => {
      const rng = random()
      const s = setup(rng, { minCalls: 50, timeoutMs: rng.int(100, 5000) })
      const { call, reply } = await held(s, rng.pick(s.names))
      await timerFor(s, 1)
      call.answer(201)
      expect(await reply).toHaveStatus(201)
      // The timer that fires later changes nothing.
      s.timers.sleeps[0]!.fire()
      await expectPassed(s, rng.pick(s.names))
    })

    it('throws a RangeError when timeoutMs is not a positive number', () => {
      const rng = random()
      const s = setup(rng)
      for (const timeoutMs of INVALID_NUMBERS) {
        expect(() => createApp({ ...s.options, timeoutMs }), `timeoutMs: ${timeoutMs}`).toThrow(
          RangeError,
        )
      }
    })
  })

  task(3, 'Trip on the failure rate in a rolling window', () => {
    it('opens once the window holds minCalls failures, not one call earlier', async () => {
      const rng = random()
      const minCalls = rng.int(2, 6)
      const s = setup(rng, { minCalls, failureRate: 1 })
      const name = rng.pick(s.names)
      for (let i = 1; i < minCalls; i++) await failing(s, name)
      await expectState(s, name, 'closed')
      await failing(s, name)
      await expectState(s, name, 'open')
      await expectRejected(s, name)
    })

    it('opens when the share of failures equals failureRate (a tie opens), even on a success', async () => {
      const rng = random()
      const [failureRate, minCalls] = rng.pick([
        [0.25, 4],
        [0.5, 2],
        [0.5, 4],
        [0.75, 4],
        [0.25, 8],
        [0.5, 6],
      ] as const)
      const s = setup(rng, { minCalls, failureRate })
      const name = rng.pick(s.names)
      const failures = failureRate * minCalls
      // The failures in any order, but the call that reaches minCalls is a success.
      const mixed = [...Array(failures).fill(true), ...Array(minCalls - failures - 1).fill(false)]
      const order = [...rng.shuffle(mixed), false]
      for (const [i, fails] of order.entries()) {
        if (i === minCalls - 1) await expectState(s, name, 'closed')
        await (fails ? failing(s, name) : succeeding(s, name))
      }
      await expectState(s, name, 'open')
      await expectRejected(s, name)
    })

    it('stays closed when the share of failures is one short of failureRate', async () => {
      const rng = random()
      const [failureRate, minCalls] = rng.pick([
        [0.25, 4],
        [0.5, 2],
        [0.5, 4],
        [0.75, 4],
        [1, 3],
        [0.5, 6],
      ] as const)
      const s = setup(rng, { minCalls, failureRate })
      const name = rng.pick(s.names)
      const failures = failureRate * minCalls - 1
      const order = rng.shuffle([
        ...Array(failures).fill(true),
        ...Array(minCalls - failures).fill(false),
      ])
      for (const fails of order) await (fails ? failing(s, name) : succeeding(s, name))
      await expectState(s, name, 'closed')
      await expectPassed(s, name)
    })

    it('judges the share of failures among every outcome in the window, not just minCalls', async () => {
      const rng = random()
      const minCalls = rng.int(2, 4)
      const s = setup(rng, { minCalls, failureRate: 0.5 })
      const name = rng.pick(s.names)
      const successes = rng.int(minCalls + 1, 7)
      for (let i = 0; i < successes; i++) await succeeding(s, name)
      // k failures after n successes: k / (n + k) >= 0.5 first holds at k = n.
      for (let i = 1; i < successes; i++) await failing(s, name)
      await expectState(s, name, 'closed')
      await failing(s, name)
      await expectState(s, name, 'open')
    })

    it('counts 4xx answers as successes', async () => {
      const rng = random()
      const minCalls = rng.int(2, 5)
      const s = setup(rng, { minCalls, failureRate: rng.pick([0.25, 0.5, 1]) })
      const name = rng.pick(s.names)
      for (let i = 0; i < minCalls + 2; i++) {
        await succeeding(s, name, rng.pick(['s404', 's409', 's422', 's400']))
      }
      await expectState(s, name, 'closed')
      await expectPassed(s, name)
    })

    it('counts 5xx answers, network errors and timeouts as failures', async () => {
      const rng = random()
      const s = setup(rng, { minCalls: 3, failureRate: 1 })
      const name = rng.pick(s.names)
      const kinds = rng.shuffle(['s5xx', 'net', 'timeout'])
      for (const kind of kinds) {
        await expectState(s, name, 'closed')
        if (kind === 'timeout') {
          const sleeps = s.timers.sleeps.length
          const { reply } = await held(s, name)
          ;(await timerFor(s, sleeps + 1)).fire()
          expect(await reply).toHaveStatus(504)
        } else {
          const token = kind === 'net' ? 'net' : rng.pick(['s500', 's503', 's504'])
          expect(await hit(s, name, token)).toHaveStatus(statusFor(token))
        }
      }
      await expectState(s, name, 'open')
      await expectRejected(s, name)
    })

    it('does not count the late answer of a call that timed out', async () => {
      const rng = random()
      const s = setup(rng, { minCalls: 2, failureRate: 1 })
      const name = rng.pick(s.names)
      const { call, reply } = await held(s, name)
      ;(await timerFor(s, 1)).fire()
      expect(await reply).toHaveStatus(504)
      call.answer(200)
      await new Promise((resolve) => setImmediate(resolve))
      await failing(s, name)
      await expectState(s, name, 'open')
    })

    it('forgets an outcome windowMs after it was recorded, not a millisecond earlier', async () => {
      const rng = random()
      const minCalls = rng.int(2, 5)
      const windowMs = rng.int(1, 60) * 1000 + rng.int(0, 999)
      const early = setup(rng, { minCalls, failureRate: 1, windowMs })
      const late = setup(rng, { minCalls, failureRate: 1, windowMs })
      for (const s of [early, late]) {
        for (let i = 1; i < minCalls; i++) await failing(s, s.names[0]!)
      }
      early.clock.advance(windowMs - 1)
      await failing(early, early.names[0]!)
      await expectState(early, early.names[0]!, 'open')
      late.clock.advance(windowMs)
      await failing(late, late.names[0]!)
      await expectState(late, late.names[0]!, 'closed')
      // ...and the window goes on rolling: minCalls recent failures open it.
      for (let i = 1; i < minCalls; i++) await failing(late, late.names[0]!)
      await expectState(late, late.names[0]!, 'open')
    })

    it('rolls the window with the clock instead of emptying it every windowMs', async () => {
      const rng = random()
      const half = rng.int(2, 3)
      const windowMs = rng.int(2, 30) * 1000
      const s = setup(rng, { minCalls: 2 * half, failureRate: 1, windowMs })
      const name = rng.pick(s.names)
      await failing(s, name)
      s.clock.advance(windowMs - 1)
      for (let i = 0; i < half; i++) await failing(s, name)
      s.clock.advance(1)
      // The first failure has left the window; the others are one millisecond old.
      for (let i = 1; i < half; i++) await failing(s, name)
      await expectState(s, name, 'closed')
      await failing(s, name)
      await expectState(s, name, 'open')
    })

    it('keeps a breaker per upstream', async () => {
      const rng = random()
      const s = setup(rng, { minCalls: rng.int(1, 4), failureRate: 1 })
      const [broken, healthy] = rng.shuffle(s.names)
      await trip(s, broken!)
      await expectState(s, healthy!, 'closed')
      await expectPassed(s, healthy!)
      await expectRejected(s, broken!)
    })

    it('keeps the breakers of two createApp() instances apart', async () => {
      const rng = random()
      const tunables = { minCalls: rng.int(1, 4), failureRate: 1 }
      const s = setup(rng, tunables)
      const other = setup(rng, tunables, s)
      const name = rng.pick(s.names)
      await trip(s, name)
      await expectState(other, name, 'closed')
      await expectPassed(other, name)
      await expectRejected(s, name)
    })

    it('answers GET /health/breakers/<name> with 404 unknown_upstream for an unknown name', async () => {
      const rng = random()
      const s = setup(rng)
      let stranger = rng.word(4, 8)
      while (s.names.includes(stranger)) stranger = rng.word(4, 8)
      for (const name of rng.shuffle([stranger, 'constructor', '__proto__'])) {
        const res = await s.api.get(`/health/breakers/${name}`)
        expect(res).toHaveStatus(404)
        expect(res).toHaveJsonBody(expect.objectContaining({ error: 'unknown_upstream' }))
      }
      await expectState(s, rng.pick(s.names), 'closed')
    })

    it('uses failureRate 0.5, minCalls 5 and windowMs 10000 by default', async () => {
      const rng = random()
      const s = setup(rng)
      const name = rng.pick(s.names)
      // 4 outcomes (2 failures): under minCalls. 5 (2 failures): 0.4. 6 (3 failures): 0.5.
      for (const fails of rng.shuffle([true, true, false, false])) {
        await (fails ? failing(s, name) : succeeding(s, name))
      }
      await succeeding(s, name)
      await expectState(s, name, 'closed')
      await failing(s, name)
      await expectState(s, name, 'open')
      const windowed = setup(rng)
      const other = rng.pick(windowed.names)
      for (let i = 0; i < 4; i++) await failing(windowed, other)
      windowed.clock.advance(10_000)
      await failing(windowed, other)
      await expectState(windowed, other, 'closed')
    })

    it('throws a RangeError for an invalid failureRate, minCalls or windowMs, and accepts 1', async () => {
      const rng = random()
      const s = setup(rng)
      const bad: [string, Tunables][] = [
        ...[0, -0.5, 1.5, Number.NaN].map((v): [string, Tunables] => ['failureRate', { failureRate: v }]),
        ...[0, -1, 2.5, Number.NaN].map((v): [string, Tunables] => ['minCalls', { minCalls: v }]),
        ...INVALID_NUMBERS.map((v): [string, Tunables] => ['windowMs', { windowMs: v }]),
      ]
      for (const [what, tunables] of bad) {
        const shown = `${what}: ${Object.values(tunables)[0]}`
        expect(() => createApp({ ...s.options, ...tunables }), shown).toThrow(RangeError)
      }
      const one = setup(rng, { failureRate: 1, minCalls: 1 })
      const name = rng.pick(one.names)
      await failing(one, name)
      await expectState(one, name, 'open')
    })
  })

  task(4, 'Fail fast while open', () => {
    it('answers 503 with Retry-After in whole seconds, rounded up, until openMs has passed', async () => {
      const rng = random()
      const openMs = rng.int(2, 40) * 1000 + rng.int(1, 999)
      const s = setup(rng, { minCalls: rng.int(1, 3), failureRate: 1, openMs })
      const name = rng.pick(s.names)
      await trip(s, name)
      let elapsed = 0
      for (const step of [0, rng.int(1, 999), rng.int(1000, openMs - 1000)]) {
        s.clock.advance(step - elapsed)
        elapsed = step
        const res = await expectRejected(s, name)
        expect(res).toHaveHeader('Retry-After', String(Math.ceil((openMs - elapsed) / 1000)))
      }
      s.clock.advance(openMs - 1 - elapsed)
      const last = await expectRejected(s, name)
      expect(last).toHaveHeader('Retry-After', '1')
      await expectState(s, name, 'open')
    })

    it('turns half-open by itself at exactly openMs after opening', async () => {
      const rng = random()
      const openMs = rng.int(1, 60) * 1000 + rng.int(0, 999)
      const s = setup(rng, { minCalls: rng.int(1, 3), failureRate: 1, openMs })
      const name = rng.pick(s.names)
      await trip(s, name)
      s.clock.advance(openMs - 1)
      await expectState(s, name, 'open')
      s.clock.advance(1)
      await expectState(s, name, 'half-open')
      await expectPassed(s, name)
    })

    it('counts openMs from when the outcome that opened it was recorded', async () => {
      const rng = random()
      const openMs = rng.int(5, 60) * 1000
      const s = setup(rng, { minCalls: 1, failureRate: 1, openMs })
      const name = rng.pick(s.names)
      const { call, reply } = await held(s, name)
      const slow = rng.int(1, 4) * 1000
      s.clock.advance(slow) // the failing call takes a while
      call.answer(rng.pick([500, 503]))
      expect((await reply).status).toBeGreaterThanOrEqual(500)
      const res = await expectRejected(s, name)
      expect(res).toHaveHeader('Retry-After', String(openMs / 1000))
      s.clock.advance(openMs - 1)
      await expectRejected(s, name)
    })

    it('is open for 30000 ms by default', async () => {
      const rng = random()
      const s = setup(rng, { minCalls: 1, failureRate: 1 })
      const name = rng.pick(s.names)
      await trip(s, name)
      expect(await expectRejected(s, name)).toHaveHeader('Retry-After', '30')
      s.clock.advance(29_999)
      expect(await expectRejected(s, name)).toHaveHeader('Retry-After', '1')
      s.clock.advance(1)
      await expectPassed(s, name)
    })

    it('throws a RangeError when openMs is not a positive number', () => {
      const rng = random()
      const s = setup(rng)
      for (const openMs of INVALID_NUMBERS) {
        expect(() => createApp({ ...s.options, openMs }), `openMs: ${openMs}`).toThrow(RangeError)
      }
    })
  })

  task(5, 'Let one trial through when half-open', () => {
    it('lets exactly one trial through; the others get 503 while it is in flight', async () => {
      const rng = random()
      const openMs = rng.int(1, 30) * 1000
      const s = setup(rng, { minCalls: rng.int(1, 3), failureRate: 1, openMs })
      const name = rng.pick(s.names)
      await trip(s, name)
      s.clock.advance(openMs + rng.int(0, 5000))
      const trial = await held(s, name)
      for (let i = rng.int(2, 4); i > 0; i--) {
        const res = await expectRejected(s, name)
        if (res.headers['retry-after'] !== undefined) {
          expect(res).toHaveHeader('Retry-After', /^[1-9]\d*$/)
        }
      }
      await expectState(s, name, 'half-open')
      trial.call.answer(200)
      expect(await trial.reply).toHaveStatus(200)
      await expectState(s, name, 'closed')
      await expectPassed(s, name)
      await expectPassed(s, name)
    })

    it('closes with an empty window after a successful trial', async () => {
      const rng = random()
      const minCalls = rng.int(2, 5)
      const openMs = rng.int(1, 5) * 1000
      const s = setup(rng, { minCalls, failureRate: 0.5, openMs, windowMs: 10 * openMs })
      const name = rng.pick(s.names)
      for (let i = 0; i < minCalls; i++) await failing(s, name)
      await expectState(s, name, 'open')
      s.clock.advance(openMs)
      await succeeding(s, name, rng.pick(['ok', 's201']))
      await expectState(s, name, 'closed')
      // The failures from before are still younger than windowMs, but they count no more.
      for (let i = 1; i < minCalls; i++) await failing(s, name)
      await expectState(s, name, 'closed')
      await failing(s, name)
      await expectState(s, name, 'open')
    })

    it('counts a 4xx trial as a success', async () => {
      const rng = random()
      const openMs = rng.int(1, 30) * 1000
      const s = setup(rng, { minCalls: rng.int(1, 3), failureRate: 1, openMs })
      const name = rng.pick(s.names)
      await trip(s, name)
      s.clock.advance(openMs)
      await succeeding(s, name, rng.pick(['s400', 's404', 's409', 's422']))
      await expectState(s, name, 'closed')
    })

    it('opens again for a full openMs when the trial fails, then lets another trial through', async () => {
      const rng = random()
      const openMs = rng.int(3, 30) * 1000 + rng.int(0, 999)
      const s = setup(rng, { minCalls: rng.int(1, 3), failureRate: 1, openMs })
      const name = rng.pick(s.names)
      await trip(s, name)
      s.clock.advance(openMs + rng.int(0, 5000))
      // A 5xx answer and a rejection, in either order: after each, the next trial goes through.
      const outcomes = [rng.pick([500, 503] as const), 'network-error' as const]
      for (const outcome of rng.shuffle(outcomes)) {
        const trial = await held(s, name)
        s.clock.advance(rng.int(1, 2) * 1000) // the trial takes a while to fail
        trial.call.answer(outcome)
        expect(await trial.reply).toHaveStatus(outcome === 'network-error' ? 502 : outcome)
        await expectState(s, name, 'open')
        const res = await expectRejected(s, name)
        expect(res).toHaveHeader('Retry-After', String(Math.ceil(openMs / 1000)))
        s.clock.advance(openMs - 1)
        await expectRejected(s, name)
        s.clock.advance(1)
        await expectState(s, name, 'half-open')
      }
      await expectPassed(s, name)
      await expectState(s, name, 'closed')
    })

    it('opens again when the trial times out, then lets another trial through', async () => {
      const rng = random()
      const openMs = rng.int(1, 30) * 1000
      const s = setup(rng, { minCalls: rng.int(1, 3), failureRate: 1, openMs })
      const name = rng.pick(s.names)
      await trip(s, name)
      s.clock.advance(openMs)
      const sleeps = s.timers.sleeps.length
      const trial = await held(s, name)
      ;(await timerFor(s, sleeps + 1)).fire()
      expect(await trial.reply).toHaveStatus(504)
      await expectState(s, name, 'open')
      expect(await expectRejected(s, name)).toHaveHeader('Retry-After', String(openMs / 1000))
      s.clock.advance(openMs - 1)
      await expectRejected(s, name)
      s.clock.advance(1)
      await expectState(s, name, 'half-open')
      await expectPassed(s, name)
      await expectState(s, name, 'closed')
    })

    it("does not let one upstream's trial hold back another's", async () => {
      const rng = random()
      const openMs = rng.int(1, 30) * 1000
      const s = setup(rng, { minCalls: rng.int(1, 3), failureRate: 1, openMs })
      const [first, second] = rng.shuffle(s.names)
      await trip(s, first!)
      await trip(s, second!)
      s.clock.advance(openMs)
      const trial = await held(s, first!)
      await expectPassed(s, second!)
      await expectState(s, second!, 'closed')
      await expectRejected(s, first!)
      trial.call.answer(200)
      expect(await trial.reply).toHaveStatus(200)
      await expectState(s, first!, 'closed')
    })
  })
})
