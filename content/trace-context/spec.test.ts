// trace-context - the hidden spec.
//
// Wrong implementations this spec is built to catch:
// - no traceresponse, or one with upper-case hex, another version, or the caller's parent id as
//   this server's span id
// - ids from crypto, Math.random or randomUUID instead of the injected randomBytes; one draw
//   split into several ids; an all-zero draw used as an id
// - flags compared as whole numbers (`flags === '01'`), so 03/0b/ff lose the sampled bit; the
//   random bit dropped or never set on a new trace; unknown bits passed on; sample() consulted
//   for a trace the caller already decided
// - lenient parsing: upper-case hex, all-zero ids, version ff, wrong lengths, extra text after a
//   version 00 header accepted; or strict parsing that restarts every higher version, or accepts
//   a higher version followed by something other than `-`
// - the same span id for every upstream call, the server span id sent upstream, or the caller's
//   traceparent forwarded unchanged; flags sent upstream that differ from traceresponse's
// - tracestate: own member appended at the end or not added; own old member kept in place or
//   duplicated; caller members reordered or trimmed inside; more than 32 members sent, or the
//   wrong end dropped; an invalid tracestate passed on (or part of it); boundary keys and
//   values (256 characters, empty members, spaces around members) refused; the incoming
//   tracestate kept after a restart
// - options not validated in createApp
// - log lines without trace_id/span_id, with the caller's parent id as span_id, or with ids
//   read from a variable shared by all requests (overlapping requests log each other's ids)
import { inspect } from 'node:util'
import { describe, expect, it } from 'vitest'
import { build, client, focusOn, random, task, type Reply, type Rng } from '../../harness/spec-kit/index.ts'
import { createApp, type TraceOptions } from '../../exercises/trace-context/app.ts'

const WAIT_MS = 1500
const TRACERESPONSE = /^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/

interface Call {
  service: 'inventory' | 'pricing'
  product: string
  url: string
  traceparent: string | null
  tracestate: string | null
}

/** The two services, faked: records each call's trace headers; can hold one product's answers. */
class Services {
  readonly calls: Call[] = []
  private readonly held = new Map<string, (() => void)[]>()
  private readonly waiters: { match: (c: Call) => boolean; resolve: () => void }[] = []
  failing: string | undefined

  constructor(private readonly rng: Rng) {}

  [inspect.custom](): string {
    return 'fakeFetch()'
  }

  readonly fetch = async (input: string, init?: RequestInit): Promise<Response> => {
    const request = new Request(input, init)
    const url = new URL(request.url)
    const service = url.hostname === 'inventory.internal' ? 'inventory' : 'pricing'
    const product = decodeURIComponent(url.pathname.split('/').pop() ?? '')
    const call: Call = {
      service,
      product,
      url: request.url,
      traceparent: request.headers.get('traceparent'),
      tracestate: request.headers.get('tracestate'),
    }
    this.calls.push(call)
    for (const w of this.waiters.filter((w) => w.match(call))) w.resolve()
    const gates = this.held.get(product)
    if (gates) await new Promise<void>((resolve) => gates.push(resolve))
    if (this.failing === service) return Response.json({ error: 'down' }, { status: 503 })
    const body =
      service === 'inventory'
        ? { sku: product, available: this.rng.int(0, 50) }
        : { amount: this.rng.int(100, 9999), currency: 'EUR' }
    return Response.json(body)
  }

  /** Calls for `product` wait until `release(product)`. */
  hold(product: string): void {
    this.held.set(product, [])
  }

  release(product: string): void {
    const gates = this.held.get(product) ?? []
    this.held.delete(product)
    for (const open of gates) open()
  }

  /** Resolves once a call for `product` has been made; fails in the learner's words if none is. */
  called(product: string): Promise<void> {
    if (this.calls.some((c) => c.product === product)) return Promise.resolve()
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`the app never called a service for GET /api/products/${product}`)),
        WAIT_MS,
      )
      this.waiters.push({
        match: (c) => c.product === product,
        resolve: () => {
          clearTimeout(timer)
          resolve()
        },
      })
    })
  }

  of(product: string): Call[] {
    return this.calls.filter((c) => c.product === product)
  }
}

/** randomBytes, seeded, recording every id it handed out; the first `zeros` draws are zeros. */
function fakeRandom(rng: Rng, zeros = 0) {
  const drawn: Record<number, string[]> = {}
  let n = 0
  const randomBytes = (size: number): Uint8Array => {
    const bytes = new Uint8Array(size)
    const zero = n++ < zeros
    if (!zero) for (let i = 0; i < size; i++) bytes[i] = rng.int(0, 255)
    const hex = Buffer.from(bytes).toString('hex')
    if (!zero) (drawn[size] ??= []).push(hex)
    return bytes
  }
  return { randomBytes, drawn: (size: number) => drawn[size] ?? [] }
}

interface SetupOptions {
  sampled?: boolean
  vendor?: string
  zeros?: number
}

function setup(rng: Rng, o: SetupOptions = {}) {
  const services = new Services(rng)
  const ids = fakeRandom(rng, o.zeros)
  const lines: Record<string, unknown>[] = []
  const logger = (line: Record<string, unknown>) => {
    lines.push(line)
  }
  const sampled = o.sampled ?? rng.next() < 0.5
  const sample = () => sampled
  const options: TraceOptions = {
    fetch: services.fetch,
    logger,
    randomBytes: ids.randomBytes,
    sample,
    ...(o.vendor === undefined ? {} : { vendor: o.vendor }),
  }
  const app = build(createApp, options)
  const startupLines = lines.length
  return {
    services,
    ids,
    sampled,
    vendor: o.vendor ?? 'shop',
    api: client(app),
    /** The lines logged since createApp returned. */
    lines: () => lines.slice(startupLines),
  }
}

type Setup = ReturnType<typeof setup>

function hex(rng: Rng, length: number): string {
  // A letter first, so that an upper-cased copy always differs.
  let out = 'abcdef'[rng.int(0, 5)]!
  while (out.length < length) out += rng.int(0, 15).toString(16)
  return out
}

function product(rng: Rng): string {
  return `p-${rng.word(3, 6)}-${rng.int(1, 999)}`
}

function get(s: Setup, id: string, headers: Record<string, string> = {}): Promise<Reply> {
  return s.api.get(`/api/products/${id}`, { headers })
}

/** The trace a response reports, checking the traceresponse header's shape. */
function traceOf(res: Reply): { traceId: string; spanId: string; flags: string } {
  expect(res).toHaveStatus(200)
  expect(res).toHaveHeader('traceresponse', expect.stringMatching(TRACERESPONSE))
  const [, traceId, spanId, flags] = TRACERESPONSE.exec(res.headers['traceresponse']!)!
  return { traceId: traceId!, spanId: spanId!, flags: flags! }
}

/** Parses a traceparent the app sent upstream. */
function parentOf(call: Call): { traceId: string; spanId: string; flags: string } {
  const match = TRACERESPONSE.exec(call.traceparent ?? '')
  expect(match, `the ${call.service} call carries traceparent 00-<trace id>-<span id>-<flags>, got ${call.traceparent}`).not.toBeNull()
  return { traceId: match![1]!, spanId: match![2]!, flags: match![3]! }
}

/** The members of a tracestate as the README reads them. */
function members(value: string | null): [string, string][] {
  if (value === null) return []
  return value
    .split(',')
    .map((m) => m.replace(/^[ \t]+|[ \t]+$/g, ''))
    .filter((m) => m !== '')
    .map((m) => [m.slice(0, m.indexOf('=')), m.slice(m.indexOf('=') + 1)] as [string, string])
}

function randomMembers(rng: Rng, count: number): [string, string][] {
  const out: [string, string][] = []
  for (let i = 0; i < count; i++) out.push([`${rng.word(2, 5)}${i}`, `${rng.word(3, 8)}${rng.int(0, 99)}`])
  return out
}

const joined = (list: [string, string][]) => list.map(([k, v]) => `${k}=${v}`).join(',')

/** Asserts the tracestate of every call: own member first, then `rest`. */
function expectTracestate(s: Setup, res: Reply, id: string, rest: [string, string][]): void {
  const calls = s.services.of(id)
  focusOn(res)
  expect(calls.map((c) => c.service).sort(), 'both services were called').toEqual(['inventory', 'pricing'])
  for (const call of calls) {
    const { spanId } = parentOf(call)
    expect(members(call.tracestate), `tracestate sent to ${call.service}`).toEqual([[s.vendor, spanId], ...rest])
  }
}


describe('trace-context', () => {
  task(1, 'Start a trace for every request', () => {
    it('answers with traceresponse: a new trace id and span id from randomBytes, flags 03 when sampled', async () => {
      const rng = random()
      const s = setup(rng, { sampled: true })
      const id = product(rng)
      const res = await get(s, id)
      expect(res).toHaveJsonBody({ id, stock: expect.any(Object), price: expect.any(Object) })
      const trace = traceOf(res)
      focusOn(res)
      expect(s.ids.drawn(16), 'the trace id is one randomBytes(16) gave').toContain(trace.traceId)
      expect(s.ids.drawn(8), 'the span id is one randomBytes(8) gave').toContain(trace.spanId)
      expect(trace.flags, 'sampled (01) and random trace id (02)').toBe('03')
    })

    it('sets flags 02 when sample() returns false', async () => {
      const rng = random()
      const s = setup(rng, { sampled: false })
      const trace = traceOf(await get(s, product(rng)))
      expect(trace.flags).toBe('02')
      expect(s.ids.drawn(16)).toContain(trace.traceId)
    })

    it('starts a new trace for each request', async () => {
      const rng = random()
      const s = setup(rng)
      const a = traceOf(await get(s, product(rng)))
      const res = await get(s, product(rng))
      const b = traceOf(res)
      focusOn(res)
      expect(b.traceId, 'the second request has a trace id of its own').not.toBe(a.traceId)
      expect(b.spanId).not.toBe(a.spanId)
      expect(s.ids.drawn(16)).toContain(b.traceId)
    })

    it('draws again when randomBytes returns only zero bytes', async () => {
      const rng = random()
      const s = setup(rng, { zeros: 3 })
      const res = await get(s, product(rng))
      const trace = traceOf(res)
      focusOn(res)
      expect(trace.traceId).not.toBe('0'.repeat(32))
      expect(trace.spanId).not.toBe('0'.repeat(16))
      expect(s.ids.drawn(16), 'the trace id is a non-zero randomBytes(16) draw').toContain(trace.traceId)
      expect(s.ids.drawn(8), 'the span id is a non-zero randomBytes(8) draw').toContain(trace.spanId)
    })
  })

  task(2, "Continue the caller's trace", () => {
    it('keeps the trace id of a valid traceparent and answers with a span id of its own', async () => {
      const rng = random()
      const s = setup(rng)
      const [traceId, parentId] = [hex(rng, 32), hex(rng, 16)]
      const res = await get(s, product(rng), { traceparent: `00-${traceId}-${parentId}-01` })
      const trace = traceOf(res)
      focusOn(res)
      expect(trace.traceId, 'the caller’s trace id').toBe(traceId)
      expect(trace.spanId, 'a span id of this server, not the caller’s parent id').not.toBe(parentId)
      expect(s.ids.drawn(8)).toContain(trace.spanId)
      expect(trace.flags).toBe('01')
    })

    it.each([
      ['01', '01'],
      ['00', '00'],
      ['03', '03'],
      ['02', '02'],
      ['0b', '03'],
      ['09', '01'],
      ['ff', '03'],
      ['fc', '00'],
    ])('turns the caller’s flags %s into %s, whatever sample() says', async (flags, expected) => {
      const rng = random()
      // sample() says the opposite of the caller: an app that asks it gets the bit wrong.
      const s = setup(rng, { sampled: (parseInt(expected, 16) & 1) === 0 })
      const traceId = hex(rng, 32)
      const res = await get(s, product(rng), { traceparent: `00-${traceId}-${hex(rng, 16)}-${flags}` })
      const trace = traceOf(res)
      focusOn(res)
      expect(trace.traceId).toBe(traceId)
      expect(trace.flags).toBe(expected)
    })

    it.each([
      ['a version cc header', (t: string, p: string) => `cc-${t}-${p}-01`],
      ['a version cc header with more fields', (t: string, p: string) => `cc-${t}-${p}-01-what-comes-next`],
      ['a version 01 header with an empty extra field', (t: string, p: string) => `01-${t}-${p}-00-`],
      ['a version fe header', (t: string, p: string) => `fe-${t}-${p}-01`],
    ])('continues %s, answering with version 00', async (_, make) => {
      const rng = random()
      const s = setup(rng)
      const [traceId, parentId] = [hex(rng, 32), hex(rng, 16)]
      const value = make(traceId, parentId)
      const trace = traceOf(await get(s, product(rng), { traceparent: value }))
      expect(trace.traceId).toBe(traceId)
      expect(trace.flags).toBe(value.slice(53, 55))
    })

    const invalid: [string, (t: string, p: string) => string][] = [
      ['version ff', (t, p) => `ff-${t}-${p}-01`],
      ['a one-digit version', (t, p) => `0-${t}-${p}-01`],
      ['a three-digit version', (t, p) => `000-${t}-${p}-01`],
      ['an upper-case version', (t, p) => `CC-${t}-${p}-01`],
      ['a version that is not hex', (t, p) => `0g-${t}-${p}-01`],
      ['an upper-case trace id', (t, p) => `00-${t.toUpperCase()}-${p}-01`],
      ['an all-zero trace id', (_, p) => `00-${'0'.repeat(32)}-${p}-01`],
      ['a 31-digit trace id', (t, p) => `00-${t.slice(1)}-${p}-01`],
      ['a 33-digit trace id', (t, p) => `00-${t}a-${p}-01`],
      ['a trace id with a letter beyond f', (t, p) => `00-${t.slice(0, 31)}g-${p}-01`],
      ['an upper-case parent id', (t, p) => `00-${t}-${p.toUpperCase()}-01`],
      ['an all-zero parent id', (t) => `00-${t}-${'0'.repeat(16)}-01`],
      ['a 15-digit parent id', (t, p) => `00-${t}-${p.slice(1)}-01`],
      ['a 17-digit parent id', (t, p) => `00-${t}-${p}0-01`],
      ['one-digit flags', (t, p) => `00-${t}-${p}-1`],
      ['three-digit flags', (t, p) => `00-${t}-${p}-001`],
      ['flags that are not hex', (t, p) => `00-${t}-${p}-0x`],
      ['upper-case flags', (t, p) => `00-${t}-${p}-0B`],
      ['version 00 with another field', (t, p) => `00-${t}-${p}-01-extra`],
      ['version 00 with a trailing dot', (t, p) => `00-${t}-${p}-01.`],
      ['a higher version followed by a dot', (t, p) => `cc-${t}-${p}-01.what-comes-next`],
      ['a higher version shorter than 55 characters', (t, p) => `cc-${t}-${p}-1`],
      ['underscores for dashes', (t, p) => `00_${t}_${p}_01`],
      ['a trace id alone', (t) => t],
    ]

    it.each(invalid)('restarts the trace for a traceparent with %s', async (_, make) => {
      const rng = random()
      const s = setup(rng)
      const traceId = hex(rng, 32)
      const res = await get(s, product(rng), { traceparent: make(traceId, hex(rng, 16)) })
      const trace = traceOf(res)
      focusOn(res)
      expect(trace.traceId.toLowerCase(), 'a new trace, not the caller’s').not.toBe(traceId)
      expect(s.ids.drawn(16), 'the new trace id comes from randomBytes(16)').toContain(trace.traceId)
      expect(trace.flags, 'a new trace: flags from sample(), random bit set').toBe(s.sampled ? '03' : '02')
    })
  })

  task(3, 'Pass the trace to every upstream call', () => {
    it.each(['01', '00', '03', '0b'])(
      'sends each service traceparent 00-<trace id>-<its own span id>-<flags> (caller flags %s)',
      async (flags) => {
        const rng = random()
        const s = setup(rng)
        const [traceId, parentId] = [hex(rng, 32), hex(rng, 16)]
        const id = product(rng)
        const res = await get(s, id, { traceparent: `00-${traceId}-${parentId}-${flags}` })
        const trace = traceOf(res)
        const calls = s.services.of(id)
        focusOn(res)
        expect(calls.map((c) => c.service).sort(), 'both services were called').toEqual(['inventory', 'pricing'])
        const sent = calls.map(parentOf)
        for (const [i, p] of sent.entries()) {
          const service = calls[i]!.service
          expect(p.traceId, `the trace id sent to ${service}`).toBe(traceId)
          expect(p.flags, `the flags sent to ${service} (those of traceresponse)`).toBe(trace.flags)
          expect(p.spanId, `the span id sent to ${service} is not the caller's`).not.toBe(parentId)
          expect(p.spanId, `the span id sent to ${service} is a child span, not the server span`).not.toBe(trace.spanId)
          expect(s.ids.drawn(8), `the span id sent to ${service} comes from randomBytes(8)`).toContain(p.spanId)
        }
        expect(sent[0]!.spanId, 'each call has a span id of its own').not.toBe(sent[1]!.spanId)
      },
    )

    it('sends the trace it started when the request had no traceparent', async () => {
      const rng = random()
      const s = setup(rng)
      const id = product(rng)
      const res = await get(s, id)
      const trace = traceOf(res)
      focusOn(res)
      for (const call of s.services.of(id)) {
        const p = parentOf(call)
        expect(p.traceId).toBe(trace.traceId)
        expect(p.flags).toBe(trace.flags)
        expect(p.spanId).not.toBe(trace.spanId)
      }
      expect(s.services.of(id)).toHaveLength(2)
    })

    it('sends the new trace, not the caller’s, when it restarted an invalid traceparent', async () => {
      const rng = random()
      const s = setup(rng)
      const id = product(rng)
      const traceId = hex(rng, 32)
      const res = await get(s, id, { traceparent: `00-${traceId.toUpperCase()}-${hex(rng, 16)}-01` })
      const trace = traceOf(res)
      focusOn(res)
      expect(s.services.of(id)).toHaveLength(2)
      for (const call of s.services.of(id)) expect(parentOf(call).traceId).toBe(trace.traceId)
    })

    it('gives the calls of two requests different span ids', async () => {
      const rng = random()
      const s = setup(rng)
      const traceparent = `00-${hex(rng, 32)}-${hex(rng, 16)}-01`
      const [a, b] = [product(rng), product(rng)]
      traceOf(await get(s, a, { traceparent }))
      const res = await get(s, b, { traceparent })
      traceOf(res)
      const spans = [...s.services.of(a), ...s.services.of(b)].map((c) => parentOf(c).spanId)
      focusOn(res)
      expect(new Set(spans).size, 'four calls, four span ids').toBe(4)
    })
  })

  task(4, 'Carry tracestate along', () => {
    const traceparent = (rng: Rng) => `00-${hex(rng, 32)}-${hex(rng, 16)}-01`

    it('puts its own member first, then the caller’s members in the order received', async () => {
      const rng = random()
      const s = setup(rng)
      const id = product(rng)
      const theirs = randomMembers(rng, rng.int(1, 6))
      const res = await get(s, id, { traceparent: traceparent(rng), tracestate: joined(theirs) })
      traceOf(res)
      expectTracestate(s, res, id, theirs)
    })

    it('sends its own member alone when the caller sent no tracestate', async () => {
      const rng = random()
      const vendor = `${rng.word(3, 6)}@${rng.word(2, 4)}`
      const s = setup(rng, { vendor })
      const id = product(rng)
      const res = await get(s, id, { traceparent: traceparent(rng) })
      traceOf(res)
      expectTracestate(s, res, id, [])
    })

    it('moves its own vendor’s old member to the front with the new value', async () => {
      const rng = random()
      const vendor = rng.word(4, 7)
      const s = setup(rng, { vendor })
      const id = product(rng)
      const theirs = randomMembers(rng, rng.int(2, 5))
      const at = rng.int(0, theirs.length)
      const sent = [...theirs.slice(0, at), [vendor, 'old-value'] as [string, string], ...theirs.slice(at)]
      const res = await get(s, id, { traceparent: traceparent(rng), tracestate: joined(sent) })
      traceOf(res)
      expectTracestate(s, res, id, theirs)
    })

    it('keeps all 31 members of the caller: 32 in all', async () => {
      const rng = random()
      const s = setup(rng)
      const id = product(rng)
      const theirs = randomMembers(rng, 31)
      const res = await get(s, id, { traceparent: traceparent(rng), tracestate: joined(theirs) })
      traceOf(res)
      expectTracestate(s, res, id, theirs)
    })

    it('drops the right-most member when the caller sent 32', async () => {
      const rng = random()
      const s = setup(rng)
      const id = product(rng)
      const theirs = randomMembers(rng, 32)
      const res = await get(s, id, { traceparent: traceparent(rng), tracestate: joined(theirs) })
      traceOf(res)
      expectTracestate(s, res, id, theirs.slice(0, 31))
    })

    it('drops nothing when the caller’s 32 members include its own', async () => {
      const rng = random()
      const s = setup(rng)
      const id = product(rng)
      const theirs = randomMembers(rng, 31)
      const sent = [...theirs.slice(0, 10), ['shop', 'old'] as [string, string], ...theirs.slice(10)]
      const res = await get(s, id, { traceparent: traceparent(rng), tracestate: joined(sent) })
      traceOf(res)
      expectTracestate(s, res, id, theirs)
    })

    it.each([
      ['a key of 256 characters', () => `${'k'.repeat(256)}=1,b=2`, [['k'.repeat(256), '1'], ['b', '2']]],
      ['a value of 256 characters', () => `a=${'v'.repeat(256)}`, [['a', 'v'.repeat(256)]]],
      ['empty members', () => 'a=1,,b=2, ,c=3,', [['a', '1'], ['b', '2'], ['c', '3']]],
      ['spaces and tabs around members', () => ' a=1 ,\tb=2\t, c=3', [['a', '1'], ['b', '2'], ['c', '3']]],
      ['a value that starts with a space', () => 'a= x,b=2', [['a', ' x'], ['b', '2']]],
      ['every key character', () => '0a_-*/@z=1,t@v=2', [['0a_-*/@z', '1'], ['t@v', '2']]],
      ['unusual value characters', () => 'a=!"#~ :;<>?,b=x y', [['a', '!"#~ :;<>?'], ['b', 'x y']]],
    ] as [string, () => string, [string, string][]][])('passes on a tracestate with %s', async (_, make, expected) => {
      const rng = random()
      const s = setup(rng)
      const id = product(rng)
      const res = await get(s, id, { traceparent: traceparent(rng), tracestate: make() })
      traceOf(res)
      expectTracestate(s, res, id, expected)
    })

    it.each([
      ['a value with =', 'foo=bar=baz'],
      ['an empty value', 'foo=,bar=3'],
      ['an empty key', 'a=1,=2'],
      ['a member without =', 'a=1,foo'],
      ['an upper-case key', 'a=1,Foo=1'],
      ['a key starting with _', '_a=1'],
      ['a key of 257 characters', `a=1,${'k'.repeat(257)}=1`],
      ['a value of 257 characters', `a=1,b=${'v'.repeat(257)}`],
      ['a value with a tab inside', 'a=1\t2'],
      ['33 members', Array.from({ length: 33 }, (_, i) => `m${i}=${i}`).join(',')],
    ])('discards a tracestate with %s', async (_, tracestate) => {
      const rng = random()
      const s = setup(rng)
      const id = product(rng)
      const res = await get(s, id, { traceparent: traceparent(rng), tracestate })
      traceOf(res)
      expectTracestate(s, res, id, [])
    })

    it.each([
      ['no traceparent', undefined],
      ['an invalid traceparent', (rng: Rng) => `00-${'0'.repeat(32)}-${hex(rng, 16)}-01`],
    ])('ignores the caller’s tracestate when it came with %s', async (_, make) => {
      const rng = random()
      const s = setup(rng)
      const id = product(rng)
      const headers: Record<string, string> = { tracestate: joined(randomMembers(rng, 3)) }
      if (make) headers['traceparent'] = make(rng)
      const res = await get(s, id, headers)
      traceOf(res)
      expectTracestate(s, res, id, [])
    })

    it('createApp refuses an invalid vendor with a RangeError', () => {
      for (const vendor of ['Shop', '', 'my shop', '_shop', 'shop=1', 'k'.repeat(257)]) {
        expect(() => createApp({ vendor }), `vendor ${JSON.stringify(vendor.slice(0, 20))}`).toThrow(RangeError)
      }
      for (const vendor of ['k'.repeat(256), 'tenant@vendor', '7shop']) {
        expect(() => createApp({ vendor }), `vendor ${JSON.stringify(vendor.slice(0, 20))}`).not.toThrow()
      }
    })

    it('createApp refuses a fetch, logger, randomBytes or sample that is not a function', () => {
      for (const name of ['fetch', 'logger', 'randomBytes', 'sample']) {
        expect(() => createApp({ [name]: 'not a function' } as never), name).toThrow(TypeError)
      }
    })
  })

  task(5, 'Stamp every log line with its trace', () => {
    it('stamps the upstream and request lines with trace_id and the server span_id', async () => {
      const rng = random()
      const s = setup(rng)
      const id = product(rng)
      const traceId = hex(rng, 32)
      const res = await get(s, id, { traceparent: `00-${traceId}-${hex(rng, 16)}-01` })
      const trace = traceOf(res)
      const lines = s.lines()
      const ids = { trace_id: traceId, span_id: trace.spanId }
      focusOn(res)
      for (const call of s.services.of(id)) {
        expect(lines, `a line for the ${call.service} call`).toContainEqual(
          expect.objectContaining({ event: 'upstream', service: call.service, url: call.url, status: 200, ...ids }),
        )
      }
      expect(lines, 'the request line').toContainEqual(
        expect.objectContaining({ event: 'request', method: 'GET', path: `/api/products/${id}`, status: 200, ...ids }),
      )
      for (const line of lines) expect(line, 'every line of the request').toMatchObject(ids)
    })

    it('stamps the lines of a trace it started, also when a service fails', async () => {
      const rng = random()
      const s = setup(rng)
      s.services.failing = 'pricing'
      const id = product(rng)
      const res = await get(s, id)
      expect(res).toHaveStatus(502)
      expect(res).toHaveHeader('traceresponse', expect.stringMatching(TRACERESPONSE))
      const [, traceId, spanId] = TRACERESPONSE.exec(res.headers['traceresponse']!)!
      const ids = { trace_id: traceId, span_id: spanId }
      const lines = s.lines()
      focusOn(res)
      expect(lines).toContainEqual(expect.objectContaining({ event: 'upstream', service: 'pricing', status: 503, ...ids }))
      expect(lines).toContainEqual(expect.objectContaining({ event: 'request', status: 502, ...ids }))
      for (const line of lines) expect(line, 'every line of the request').toMatchObject(ids)
    })

    it.each(['the later request', 'the earlier request'])(
      'keeps the ids of two overlapping requests apart when %s finishes first',
      async (first) => {
        const rng = random()
        const s = setup(rng)
        const [a, b] = [product(rng), product(rng)]
        const traces = { [a]: hex(rng, 32), [b]: hex(rng, 32) }
        s.services.hold(a)
        s.services.hold(b)
        const send = (id: string) => get(s, id, { traceparent: `00-${traces[id]}-${hex(rng, 16)}-01` })
        const pendingA = send(a)
        await s.services.called(a)
        const pendingB = send(b)
        await s.services.called(b)
        const order = first === 'the later request' ? [b, a] : [a, b]
        const replies: Record<string, Reply> = {}
        for (const id of order) {
          s.services.release(id)
          replies[id] = await (id === a ? pendingA : pendingB)
        }
        const lines = s.lines()
        for (const id of [a, b]) {
          const trace = traceOf(replies[id]!)
          focusOn(replies[id]!)
          expect(trace.traceId).toBe(traces[id])
          for (const call of s.services.of(id)) {
            expect(parentOf(call).traceId, `the ${call.service} call for ${id} carries its own trace`).toBe(traces[id])
          }
          const mine = lines.filter(
            (l) => (l['event'] === 'upstream' && String(l['url']).endsWith(`/${id}`)) || (l['event'] === 'request' && l['path'] === `/api/products/${id}`),
          )
          expect(mine, `the upstream and request lines of ${id}`).toHaveLength(3)
          for (const line of mine) {
            expect(line, `a line of the request for ${id}`).toMatchObject({ trace_id: traces[id], span_id: trace.spanId })
          }
        }
      },
    )
  })
})
