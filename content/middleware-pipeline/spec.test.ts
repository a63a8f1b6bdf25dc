// middleware-pipeline - the hidden spec.
//
// Wrong implementations this spec is built to catch:
// - a new id generated for every request, even when the client sent a valid X-Request-Id
// - a client's id echoed without checking it: spaces, markup, quotes, commas, dots, colons, an
//   empty value, more than 64 characters (hono's requestId() with its default limit of 255), or
//   base64's `+` and `/`
// - `sent ?? generateId()`, which keeps an empty X-Request-Id
// - one id for the whole app (generated in createApp), or the id kept in a variable shared by
//   every request, so a request in flight reports the id of the request that came after it
// - the id set on the response but not given to handlers (GET /id answers something else)
// - Date.now() or performance.now() instead of the injected clock (the fake clock sits in 2037)
// - the clock read when the app is created, or a start time shared by concurrent requests
// - `next()` without `await`: the clock is read again before the handler has finished
// - timing as the outer layer (registered before the request id), so generating the id and the
//   request-id middleware's own steps are counted; or timing measured inside a handler
// - the layers in the wrong order: trace other than request-id:in, timing:in, handler,
//   timing:out, request-id:out
// - middleware attached to the routes instead of the app, so a 404 has neither header
// - no error layer (Hono's default text 500), or a 500 without the request id (the client's or
//   a generated one), or without headers
// - the not-found handler or the error layer run outside the middleware (its time not counted)
// - `options.trace(...)` called when no trace was given
// - GET /slow accepting a negative, fractional, non-numeric, missing, empty or too large `ms`, or
//   one Number() reads but that is not digits only ("+5", "1e3", "0x10", " 5", "60000.0"), or
//   parseInt's "5abc"; or refusing the ends 0 and 60000, or digits with leading zeros
import { describe, expect, it } from 'vitest'
import {
  build,
  client,
  fakeClock,
  focusOn,
  random,
  task,
  type Client,
  type FakeClock,
  type Reply,
  type Rng,
} from '../../harness/spec-kit/index.ts'
import { createApp } from '../../exercises/middleware-pipeline/app.ts'

const ID_CHARS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-='

/** `length` characters a valid request id may contain. */
function idChars(rng: Rng, length: number): string {
  let s = ''
  for (let i = 0; i < length; i++) s += ID_CHARS[rng.int(0, ID_CHARS.length - 1)]
  return s
}

/** A valid id a client might send, with each of `_`, `-` and `=` in it. */
function clientId(rng: Rng): string {
  return `${rng.word(3, 6)}-${idChars(rng, rng.int(4, 30))}_${rng.int(1, 99999)}=`
}

interface RigOptions {
  /** Runs after each traced event is recorded, e.g. to move the clock at that step. */
  onTrace?: (event: string, clock: FakeClock) => void
  /** Runs each time the app calls generateId(). */
  onGenerate?: (clock: FakeClock) => void
  /** Replaces the default work hook (which yields once, then moves the clock by `ms`). */
  work?: (ms: number, clock: FakeClock) => Promise<void>
  /** Leave `trace` out of the options. */
  noTrace?: boolean
}

interface Rig {
  clock: FakeClock
  api: Client
  /** Every event passed to trace(), in order. */
  events: string[]
  /** Every id generateId() returned, in order. */
  generated: string[]
}

function rig(rng: Rng, options: RigOptions = {}): Rig {
  const clock = fakeClock()
  const events: string[] = []
  const generated: string[] = []
  const prefix = rng.word(3, 5)
  const app = build(createApp, {
    now: clock.now,
    generateId: () => {
      const id = `${prefix}-${rng.word(6, 10)}-${generated.length + 1}`
      generated.push(id)
      options.onGenerate?.(clock)
      return id
    },
    work: async (ms) => {
      if (options.work) return options.work(ms, clock)
      // Yield first: an app that does not await the handler reads the clock before it moves.
      await Promise.resolve()
      clock.advance(ms)
    },
    ...(options.noTrace
      ? {}
      : {
          trace: (event: string) => {
            events.push(event)
            options.onTrace?.(event, clock)
          },
        }),
  })
  return { clock, api: client(app), events, generated }
}

function expectIdHeader(reply: Reply, id: string): void {
  expect(reply).toHaveHeader('x-request-id', id)
}

function expectTime(reply: Reply, ms: number): void {
  expect(reply).toHaveHeader('x-response-time', `${ms}ms`)
}

describe('middleware-pipeline', () => {
  task(1, 'Keep or make a request id', () => {
    it('keeps a valid X-Request-Id sent by the client and hands it to the handler', async () => {
      const rng = random()
      const { api } = rig(rng)
      const id = clientId(rng)
      const res = await api.get('/id', { headers: { 'X-Request-Id': id } })
      expect(res).toHaveStatus(200)
      expectIdHeader(res, id)
      expect(res).toHaveJsonBody({ requestId: id })
    })

    it('keeps ids of exactly 1 and exactly 64 characters', async () => {
      const rng = random()
      const { api } = rig(rng)
      for (const id of [idChars(rng, 1), idChars(rng, 64)]) {
        const res = await api.get('/id', { headers: { 'X-Request-Id': id } })
        expectIdHeader(res, id)
        expect(res).toHaveJsonBody({ requestId: id })
      }
    })

    it('makes an id with generateId() when the request has none', async () => {
      const rng = random()
      const { api, generated } = rig(rng)
      const res = await api.get('/id')
      expect(res).toHaveStatus(200)
      expectIdHeader(res, generated[0]!)
      expect(res).toHaveJsonBody({ requestId: generated[0] })
    })

    it('gives every request an id of its own', async () => {
      const rng = random()
      const { api, generated } = rig(rng)
      const count = rng.int(3, 5)
      for (let i = 0; i < count; i++) {
        const res = await api.get('/id')
        focusOn(res)
        expect(generated, 'generateId() is called once per request without an id').toHaveLength(i + 1)
        expectIdHeader(res, generated[i]!)
        expect(res).toHaveJsonBody({ requestId: generated[i] })
      }
    })

    it.each([
      ['is 65 characters long', (rng: Rng) => idChars(rng, 65)],
      ['contains a space', (rng: Rng) => `${rng.word()} ${rng.word()}`],
      ['contains markup', (rng: Rng) => `<script>${rng.word()}()</script>`],
      ['contains quotes', (rng: Rng) => `"${rng.word()}"`],
      ['contains a comma', (rng: Rng) => `${rng.word()},${rng.word()}`],
      ['contains a dot', (rng: Rng) => `${rng.word()}.${rng.int(1, 999)}`],
      ['contains a colon', (rng: Rng) => `${rng.word()}:${rng.word()}`],
      ['contains a plus', (rng: Rng) => `${rng.word()}+${rng.word()}`],
      ['contains a slash', (rng: Rng) => `${rng.word()}/${rng.word()}`],
      ['is empty', () => ''],
    ])('replaces an X-Request-Id that %s with a generated one', async (_case, make) => {
      const rng = random()
      const { api, generated } = rig(rng)
      const sent = make(rng)
      const res = await api.get('/id', { headers: { 'X-Request-Id': sent } })
      expect(res).toHaveStatus(200)
      focusOn(res)
      expect(generated, 'generateId() made the id instead').toHaveLength(1)
      expectIdHeader(res, generated[0]!)
      expect(res).toHaveJsonBody({ requestId: generated[0] })
    })
  })

  task(2, 'Time the request', () => {
    it('sets X-Response-Time to the time the request took by the injected clock', async () => {
      const rng = random()
      const { api, clock } = rig(rng)
      // Time passes between creating the app and the request: none of it belongs to the request.
      clock.advance(rng.int(10_000, 90_000_000))
      const ms = rng.int(37, 60_000)
      const id = clientId(rng)
      const res = await api.get(`/slow?ms=${ms}`, { headers: { 'X-Request-Id': id } })
      expect(res).toHaveStatus(200)
      expect(res).toHaveJsonBody({ requestId: id, ms })
      expectTime(res, ms)
    })

    it('waits for the handler to finish before reading the clock again', async () => {
      const rng = random()
      const steps = rng.int(2, 4)
      // The work takes several turns of the event loop; only awaiting next() sees all of it.
      const { api } = rig(rng, {
        work: async (ms, clock) => {
          for (let i = 0; i < steps; i++) {
            await new Promise<void>((resolve) => queueMicrotask(resolve))
            clock.advance(ms / steps)
          }
        },
      })
      const ms = steps * rng.int(20, 2000)
      const res = await api.get(`/slow?ms=${ms}`)
      expect(res).toHaveStatus(200)
      expectTime(res, ms)
    })

    it('times everything inside the request-id middleware and nothing outside it', async () => {
      const rng = random()
      const outside = { generate: rng.int(1, 500), in: rng.int(1, 500), out: rng.int(1, 500) }
      const inHandler = rng.int(1, 500)
      const { api } = rig(rng, {
        onGenerate: (clock) => clock.advance(outside.generate),
        onTrace: (event, clock) => {
          if (event === 'request-id:in') clock.advance(outside.in)
          if (event === 'request-id:out') clock.advance(outside.out)
          if (event === 'handler') clock.advance(inHandler)
        },
      })
      const ms = rng.int(1, 5000)
      const res = await api.get(`/slow?ms=${ms}`)
      expect(res).toHaveStatus(200)
      expectTime(res, inHandler + ms)
    })

    it('keeps concurrent requests apart: each its own id and its own start time', async () => {
      const rng = random()
      const first = { id: clientId(rng), ms: rng.int(100, 5000) }
      const second = { id: clientId(rng), ms: rng.int(100, 5000) }
      let entered!: () => void
      const firstEntered = new Promise<void>((resolve) => (entered = resolve))
      let release!: () => void
      const held = new Promise<void>((resolve) => (release = resolve))
      let calls = 0
      const { api } = rig(rng, {
        // The first request's work moves the clock, then waits until the second one is done.
        work: async (ms, clock) => {
          clock.advance(ms)
          if (calls++ === 0) {
            entered()
            await held
          }
        },
      })
      const pending = api.get(`/slow?ms=${first.ms}`, { headers: { 'X-Request-Id': first.id } })
      await Promise.race([firstEntered, pending])
      const res2 = await api.get(`/slow?ms=${second.ms}`, {
        headers: { 'X-Request-Id': second.id },
      })
      release()
      const res1 = await pending
      expect(res2).toHaveJsonBody({ requestId: second.id, ms: second.ms })
      expectIdHeader(res2, second.id)
      expectTime(res2, second.ms)
      // The first request was in flight during the whole second one: the clock is shared.
      expect(res1).toHaveJsonBody({ requestId: first.id, ms: first.ms })
      expectIdHeader(res1, first.id)
      expectTime(res1, first.ms + second.ms)
    })
    it('accepts ms at both ends, 0 and 60000, and digits with leading zeros', async () => {
      const rng = random()
      const { api } = rig(rng)
      const n = rng.int(1, 999)
      for (const [query, ms] of [
        ['0', 0],
        ['60000', 60_000],
        [`00${n}`, n],
      ] as const) {
        const res = await api.get(`/slow?ms=${query}`)
        expect(res).toHaveStatus(200)
        expect(res).toHaveJsonBody(expect.objectContaining({ ms }))
        expectTime(res, ms)
      }
    })

    it.each([
      ['?ms=abc'],
      ['?ms=-5'],
      ['?ms=1.5'],
      ['?ms=60001'],
      [''],
      ['?ms='],
      ['?ms=+5'],
      ['?ms=1e3'],
      ['?ms=0x10'],
      ['?ms=5abc'],
      ['?ms=%205'],
      ['?ms=60000.0'],
    ])(
      'answers 400 for GET /slow%s, still with both headers',
      async (query) => {
        const rng = random()
        const { api } = rig(rng)
        const id = clientId(rng)
        const res = await api.get(`/slow${query}`, { headers: { 'X-Request-Id': id } })
        expect(res).toHaveStatus(400)
        expect(res).toHaveJsonBody({ error: 'invalid_ms' })
        expectIdHeader(res, id)
        expectTime(res, 0)
      },
    )
  })

  task(3, 'Run the layers in order', () => {
    it('runs request-id:in, timing:in, the handler, then timing:out, request-id:out', async () => {
      const rng = random()
      const { api, events } = rig(rng)
      const res = await api.get('/id', { headers: { 'X-Request-Id': clientId(rng) } })
      expect(res).toHaveStatus(200)
      expect(events, 'the events passed to trace(), in order').toEqual([
        'request-id:in',
        'timing:in',
        'handler',
        'timing:out',
        'request-id:out',
      ])
    })

    it('runs the whole chain again for each request', async () => {
      const rng = random()
      const { api, events } = rig(rng)
      const once = ['request-id:in', 'timing:in', 'handler', 'timing:out', 'request-id:out']
      const count = rng.int(2, 3)
      for (let i = 0; i < count; i++) await api.get(`/slow?ms=${rng.int(0, 100)}`)
      expect(events, 'the events passed to trace(), in order').toEqual(Array.from({ length: count }, () => once).flat())
    })

    it('works without a trace callback', async () => {
      const rng = random()
      const { api, generated } = rig(rng, { noTrace: true })
      const ms = rng.int(1, 5000)
      const res = await api.get(`/slow?ms=${ms}`)
      expect(res).toHaveStatus(200)
      expect(res).toHaveJsonBody({ requestId: generated[0], ms })
      expectTime(res, ms)
    })
  })

  task(4, 'The 404 inside the onion', () => {
    it('answers 404 { error: "not_found" } with X-Request-Id and X-Response-Time', async () => {
      const rng = random()
      const spent = rng.int(1, 3000)
      const { api } = rig(rng, {
        onTrace: (event, clock) => {
          if (event === 'not-found') clock.advance(spent)
        },
      })
      const id = clientId(rng)
      const res = await api.get(`/${rng.word()}/${rng.word()}`, { headers: { 'X-Request-Id': id } })
      expect(res).toHaveStatus(404)
      expect(res).toHaveJsonBody({ error: 'not_found' })
      expectIdHeader(res, id)
      expectTime(res, spent)
    })

    it('runs the not-found handler in the middle of the onion', async () => {
      const rng = random()
      const { api, events } = rig(rng)
      const res = await api.get(`/${rng.word()}`)
      expect(res).toHaveStatus(404)
      expect(events, 'the events passed to trace(), in order').toEqual([
        'request-id:in',
        'timing:in',
        'not-found',
        'timing:out',
        'request-id:out',
      ])
    })
  })

  task(5, 'Errors inside the onion', () => {
    it('answers 500 with the request id and both headers when a handler throws', async () => {
      const rng = random()
      const inHandler = rng.int(1, 3000)
      const inErrorHandler = rng.int(1, 3000)
      const { api, generated } = rig(rng, {
        onTrace: (event, clock) => {
          if (event === 'handler') clock.advance(inHandler)
          if (event === 'error') clock.advance(inErrorHandler)
        },
      })
      const res = await api.get('/boom')
      expect(res).toHaveStatus(500)
      expect(res).toHaveJsonBody({ error: 'internal_error', requestId: generated[0] })
      expectIdHeader(res, generated[0]!)
      expectTime(res, inHandler + inErrorHandler)
    })

    it('runs the error handler inside the onion, right after the handler that threw', async () => {
      const rng = random()
      const { api, events } = rig(rng)
      const res = await api.get('/boom', { headers: { 'X-Request-Id': clientId(rng) } })
      expect(res).toHaveStatus(500)
      expect(events, 'the events passed to trace(), in order').toEqual([
        'request-id:in',
        'timing:in',
        'handler',
        'error',
        'timing:out',
        'request-id:out',
      ])
    })

    it('quotes the client\'s own id in the 500', async () => {
      const rng = random()
      const { api, generated } = rig(rng)
      const id = clientId(rng)
      const res = await api.get('/boom', { headers: { 'X-Request-Id': id } })
      expect(res).toHaveStatus(500)
      expect(res).toHaveJsonBody({ error: 'internal_error', requestId: id })
      expectIdHeader(res, id)
      focusOn(res)
      expect(generated, 'no id is generated when the client sent a valid one').toEqual([])
    })
  })
})
