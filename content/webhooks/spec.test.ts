// webhooks - the hidden spec.
//
// Outbound, the grader hands the app a fake `fetch` (the subscribers: it records every request
// and answers with the status each check chooses, or a network error) and a fake `schedule`
// that runs the tasks due on the grader's clock when a check says so, awaiting each one. No
// check waits for wall-clock time. Inbound, the grader signs its own webhooks with node:crypto.
//
// Wrong implementations this spec is built to catch:
// - delivers inside POST /api/events instead of in a scheduled task, or answers 200/201
//   instead of 202; a task that returns before its attempt is over
// - builds the payload at delivery time (its timestamp is the attempt's, not the event's), or
//   serialises it again on every attempt
// - weak event validation: a type with spaces, empty parts (`a..b`), or data that is an array
// - signs with the `whsec_...` string as the key instead of its base64-decoded bytes; signs the
//   body alone, or in another order than `id.timestamp.body`; one secret for every subscriber
// - a counter as webhook-id (two apps, or a restart, reuse `msg_1`); a new id on every retry
// - the first attempt's webhook-timestamp on every retry; a timestamp in milliseconds
// - retries on 2xx or treats a 3xx or 429 as delivered; no retry after a network error (fetch
//   rejects); retries at once, one step late, linearly, or forever; one attempt too many
// - a failing subscriber that holds up (or re-sends to) the others
// - verifies a re-serialised body (JSON.stringify(await c.req.json())) instead of the raw one
// - only looks at the first signature of the header, or accepts a `v2,` or `v1a,` entry
// - crashes (500) on a signature of another length: timingSafeEqual throws on unequal lengths
// - accepts a webhook signed with another secret, for another id, or another timestamp
// - accepts timestamps outside the tolerance, or refuses ones exactly at it (`>=` against `>`),
//   compares milliseconds with seconds, reads Date.now() instead of now(), or parses
//   "1700000000abc" with parseInt
// - processes a replayed webhook-id again; forgets ids once their timestamp is old, so a sender's
//   late retry (new timestamp, new signature, same id) is processed twice
// - checks for duplicates before the signature (an unsigned request learns which ids exist)
// - marks an id seen before the handler succeeded, so the retry of a failed webhook is dropped;
//   answers 200 to a duplicate that is still being processed, instead of 409
// - keeps seen ids in a plain object (`constructor` looks seen) or at module level (shared by apps)
// - options accepted when invalid: maxAttempts 0 or 1.5, retryBaseMs 0, toleranceSeconds -1,
//   a secret without `whsec_`, a subscriber URL that is not a URL
import { createHmac } from 'node:crypto'
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
import { createApp, type IncomingEvent } from '../../exercises/webhooks/app.ts'

const SECOND = 1000
const MINUTE = 60 * SECOND
const HOUR = 60 * MINUTE
const DAY = 24 * HOUR
const PATIENCE_MS = 1500

// ---------------------------------------------------------------------------------------------
// The fakes: a scheduler stepped by the clock, subscribers behind a fake fetch, an onEvent.

interface Scheduled {
  due: number
  seq: number
  delayMs: number
  task: () => unknown
}

function fakeScheduler(clock: FakeClock) {
  const queue: Scheduled[] = []
  let seq = 0
  const schedule = (delayMs: number, task: () => unknown) => {
    queue.push({ due: clock.now() + delayMs, seq: seq++, delayMs, task })
  }
  /** Runs every task that is due on the clock, earliest first, awaiting each. */
  async function runDue(): Promise<void> {
    for (let ran = 0; ran < 500; ran++) {
      const ready = queue.filter((e) => e.due <= clock.now()).sort((a, b) => a.due - b.due || a.seq - b.seq)
      const next = ready[0]
      if (!next) return
      queue.splice(queue.indexOf(next), 1)
      const result = next.task()
      if (typeof (result as Promise<void> | undefined)?.then !== 'function') {
        throw new Error('a task given to schedule() returned no promise: return the attempt, e.g. () => attempt(...)')
      }
      let timer: NodeJS.Timeout | undefined
      const never = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error('a scheduled delivery task never settled')), PATIENCE_MS)
      })
      try {
        await Promise.race([result, never])
      } catch (error) {
        if (error instanceof Error && error.message.startsWith('a scheduled')) throw error
        throw new Error(`a scheduled delivery task rejected (it should record the failure instead): ${String(error)}`)
      } finally {
        clearTimeout(timer)
      }
    }
    throw new Error('the scheduled tasks never stopped scheduling new ones due right away')
  }
  return { schedule, runDue, pending: () => queue.length }
}

interface Sent {
  url: string
  method: string
  headers: Record<string, string>
  body: string
  /** The grader's clock when the request was made. */
  at: number
}

type Answer = number | 'network-error'

function fakeSubscribers(clock: FakeClock, answer: (url: string, attempt: number) => Answer = () => 200) {
  const calls: Sent[] = []
  const fetch = async (input: unknown, init?: RequestInit) => {
    const request = new Request(input as string, init)
    const sent: Sent = {
      url: request.url,
      method: request.method,
      headers: Object.fromEntries([...request.headers].map(([k, v]) => [k.toLowerCase(), v])),
      body: await request.text(),
      at: clock.now(),
    }
    calls.push(sent)
    const outcome = answer(sent.url, calls.filter((c) => c.url === sent.url).length)
    if (outcome === 'network-error') throw new TypeError('fetch failed: connect ECONNREFUSED')
    return new Response(outcome === 204 ? null : 'ok', { status: outcome })
  }
  return { fetch, calls, to: (url: string) => calls.filter((c) => c.url === url) }
}

/** `n` bytes from the test's seeded stream, base64-encoded. */
function base64Bytes(rng: Rng, n: number): string {
  return Buffer.from(Array.from({ length: n }, () => rng.int(0, 255))).toString('base64')
}

function secret(rng: Rng): string {
  return `whsec_${base64Bytes(rng, 32)}`
}

const keyOf = (whsec: string) => Buffer.from(whsec.slice('whsec_'.length), 'base64')

/** The Standard Webhooks signature, base64 of HMAC-SHA256 over `id.timestamp.body`. */
function signature(whsec: string, id: string, timestamp: string, body: string): string {
  return createHmac('sha256', keyOf(whsec)).update(`${id}.${timestamp}.${body}`).digest('base64')
}

interface Setup {
  rng: Rng
  clock: FakeClock
  scheduler: ReturnType<typeof fakeScheduler>
  subscribers: { url: string; secret: string }[]
  hooks: ReturnType<typeof fakeSubscribers>
  incomingSecret: string
  received: IncomingEvent[]
  api: Client
}

interface Tuning {
  subscribers?: number
  answer?: (url: string, attempt: number) => Answer
  onEvent?: (event: IncomingEvent) => void | Promise<void>
  maxAttempts?: number
  retryBaseMs?: number
  toleranceSeconds?: number
}

function setup(tuning: Tuning = {}): Setup {
  const rng = random()
  const clock = fakeClock()
  clock.advance(rng.int(0, HOUR) * 1000 + rng.int(0, 999))
  const scheduler = fakeScheduler(clock)
  const hooks = fakeSubscribers(clock, tuning.answer)
  const subscribers = Array.from({ length: tuning.subscribers ?? rng.int(1, 3) }, (_, i) => ({
    url: `https://${rng.word(4, 8)}${i}.example.test/hooks/${rng.word(3, 6)}`,
    secret: secret(rng),
  }))
  const incomingSecret = secret(rng)
  const received: IncomingEvent[] = []
  const onEvent = tuning.onEvent ?? ((event: IncomingEvent) => void received.push(event))
  const { maxAttempts, retryBaseMs, toleranceSeconds } = tuning
  const app = build(createApp, {
    subscribers,
    incomingSecret,
    onEvent,
    now: clock.now,
    fetch: hooks.fetch,
    schedule: scheduler.schedule,
    ...(maxAttempts === undefined ? {} : { maxAttempts }),
    ...(retryBaseMs === undefined ? {} : { retryBaseMs }),
    ...(toleranceSeconds === undefined ? {} : { toleranceSeconds }),
  })
  return { rng, clock, scheduler, subscribers, hooks, incomingSecret, received, api: client(app) }
}

const TYPES = ['invoice.paid', 'user.created', 'order.shipped', 'subscription.trial_ended', 'ping', 'a.b.c_d']

function eventInput(rng: Rng) {
  return {
    type: rng.pick(TYPES),
    data: { id: `${rng.word(3, 5)}_${rng.int(1000, 99_999)}`, amount: rng.int(1, 99_999), note: `${rng.word()} é ✓` },
  }
}

/** Posts an event, checks the 202, returns its id and the payload a subscriber must receive. */
async function publish(s: Setup, input = eventInput(s.rng)) {
  const res = await s.api.post('/api/events', { json: input })
  expect(res).toHaveStatus(202)
  expect(res).toHaveJsonBody(expect.objectContaining({ id: expect.any(String) }))
  const id = (res.body as { id: string }).id
  return { id, input, payload: { ...input, timestamp: new Date(s.clock.now()).toISOString() } }
}

async function eventStatus(s: Setup, id: string) {
  const res = await s.api.get(`/api/events/${encodeURIComponent(id)}`)
  expect(res).toHaveStatus(200)
  focusOn(res)
  return res.body as { id: string; type: string; deliveries: { url: string; status: string; attempts: number }[] }
}

async function expectDeliveries(s: Setup, id: string, expected: Record<string, { status: string; attempts: number }>) {
  const status = await eventStatus(s, id)
  expect(status, `GET /api/events/${id}`).toEqual(
    expect.objectContaining({
      id,
      deliveries: s.subscribers.map((sub) => expect.objectContaining({ url: sub.url, ...expected[sub.url] })),
    }),
  )
}

/** Says what is wrong with a delivery's signature, or nothing when it verifies. */
function signatureProblem(sub: { secret: string }, sent: Sent): string | undefined {
  const id = sent.headers['webhook-id'] ?? ''
  const ts = sent.headers['webhook-timestamp'] ?? ''
  const header = sent.headers['webhook-signature']
  if (header === undefined) return 'the delivery has no webhook-signature header'
  const entries = header.split(' ').filter((e) => e.startsWith('v1,')).map((e) => e.slice(3))
  if (!entries.length) return `webhook-signature holds no "v1,<base64>" entry: ${JSON.stringify(header)}`
  if (entries.includes(signature(sub.secret, id, ts, sent.body))) return undefined
  const raw = createHmac('sha256', sub.secret).update(`${id}.${ts}.${sent.body}`).digest('base64')
  if (entries.includes(raw)) return 'signed with the "whsec_..." string as the key: the key is the base64-decoded part after whsec_'
  const bodyOnly = createHmac('sha256', keyOf(sub.secret)).update(sent.body).digest('base64')
  if (entries.includes(bodyOnly)) return 'signed the body alone: sign `${id}.${timestamp}.${body}`'
  return "the signature does not verify with this subscriber's secret over `${webhook-id}.${webhook-timestamp}.${body}`"
}

function expectSigned(sub: { secret: string }, sent: Sent, why: string): void {
  const problem = signatureProblem(sub, sent)
  if (problem !== undefined) expect.fail(`${why}: ${problem}`)
}

// ---------------------------------------------------------------------------------------------
// Inbound helpers.

interface Incoming {
  id?: string
  timestamp?: string
  signature?: string
  body?: string
  secret?: string
}

function webhookId(rng: Rng): string {
  return `msg_${rng.word(10, 14)}${rng.int(100, 999)}`
}

function incomingBody(rng: Rng): string {
  // Spacing, key order and escapes that JSON.stringify would not reproduce.
  return `{ "type" : "charge.succeeded",\n  "data": {"id": "ch_${rng.int(1000, 9999)}", "amount":${rng.int(1, 9999)}, "note": "caf\\u00e9 ${rng.word()} ✓" },\n "timestamp":"2037-05-17T09:30:00Z" }`
}

/** Sends a webhook to /webhooks/incoming, signed correctly unless told otherwise. */
function deliver(s: Setup, w: Incoming = {}): Promise<Reply> {
  const id = w.id ?? webhookId(s.rng)
  const timestamp = w.timestamp ?? String(Math.floor(s.clock.now() / 1000))
  const body = w.body ?? incomingBody(s.rng)
  const sig = w.signature ?? `v1,${signature(w.secret ?? s.incomingSecret, id, timestamp, body)}`
  return s.api.post('/webhooks/incoming', {
    headers: { 'Content-Type': 'application/json', 'webhook-id': id, 'webhook-timestamp': timestamp, 'webhook-signature': sig },
    body,
  })
}

function expectAccepted(res: Reply, why = 'a correctly signed webhook'): void {
  expect(res, why).toHaveStatus(200)
  expect(res).not.toHaveJsonBody(expect.objectContaining({ duplicate: true }))
}

function expectRefused(res: Reply, status: number, error: string | string[]): void {
  expect(res).toHaveStatus(status)
  const errors = Array.isArray(error) ? error : [error]
  expect(res).toHaveJsonBody(expect.objectContaining({ error: expect.toBeOneOf(errors) }))
}

const sentPayload = (body: string) => JSON.parse(body) as unknown

/** An onEvent whose calls each wait at a gate the check opens, resolving or rejecting. */
function gatedHandler() {
  const calls: IncomingEvent[] = []
  const gates: ((ok: boolean) => void)[] = []
  const listeners = new Set<() => void>()
  const onEvent = (event: IncomingEvent) => {
    calls.push(event)
    const done = new Promise<void>((resolve, reject) => {
      gates.push((ok) => (ok ? resolve() : reject(new Error('the handler failed'))))
    })
    for (const listener of [...listeners]) listener()
    return done
  }
  /** Resolves once onEvent has been called `count` times in all. */
  const waitForCalls = (count: number) =>
    new Promise<void>((resolve, reject) => {
      const check = () => {
        if (calls.length < count) return
        listeners.delete(check)
        clearTimeout(timer)
        resolve()
      }
      const timer = setTimeout(() => {
        listeners.delete(check)
        reject(new Error(`the app never called onEvent for a valid webhook (${calls.length} calls, expected ${count})`))
      }, PATIENCE_MS)
      listeners.add(check)
      check()
    })
  /** Lets every call waiting at the gate finish: resolved when `ok`, rejected otherwise. */
  const finish = (ok: boolean) => gates.splice(0).forEach((open) => open(ok))
  return { onEvent, calls, waitForCalls, finish }
}

const invalidEvents: [string, unknown][] = [
  ['type is missing', { data: { a: 1 } }],
  ['type is empty', { type: '', data: { a: 1 } }],
  ['type contains a space', { type: 'invoice paid', data: { a: 1 } }],
  ['type has an empty part', { type: 'invoice..paid', data: { a: 1 } }],
  ['type ends with a dot', { type: 'invoice.', data: { a: 1 } }],
  ['type is not a string', { type: 7, data: { a: 1 } }],
  ['data is missing', { type: 'invoice.paid' }],
  ['data is an array', { type: 'invoice.paid', data: [1, 2] }],
  ['data is null', { type: 'invoice.paid', data: null }],
  ['data is a string', { type: 'invoice.paid', data: 'x' }],
  ['the body is an array', [{ type: 'invoice.paid', data: {} }]],
]

describe('webhooks', () => {
  task(1, 'Accept events and deliver them', () => {
    it('POST /api/events answers 202 with the event id, and sends nothing before its task runs', async () => {
      const s = setup()
      const { id } = await publish(s)
      expect(s.hooks.calls, 'the delivery waits for the scheduled task').toEqual([])
      await expectDeliveries(s, id, Object.fromEntries(s.subscribers.map((sub) => [sub.url, { status: 'pending', attempts: 0 }])))
    })

    it('delivers the event to every subscriber once the scheduled task runs', async () => {
      const s = setup({ subscribers: random().int(2, 3) })
      const { id, payload } = await publish(s)
      await s.scheduler.runDue()
      for (const sub of s.subscribers) {
        const sent = s.hooks.to(sub.url)
        expect(sent, `one POST to ${sub.url}`).toHaveLength(1)
        expect(sent[0]!.method).toBe('POST')
        expect(sent[0]!.headers['content-type'], 'Content-Type').toMatch(/^application\/json/)
        expect(sentPayload(sent[0]!.body), 'the body: { type, timestamp, data }').toEqual(payload)
      }
      await expectDeliveries(s, id, Object.fromEntries(s.subscribers.map((sub) => [sub.url, { status: 'delivered', attempts: 1 }])))
    })

    it("stamps the payload with the event's time, not the delivery's", async () => {
      const s = setup({ subscribers: 1 })
      const { payload } = await publish(s)
      s.clock.advance(s.rng.int(2, 50) * SECOND + s.rng.int(1, 999))
      await s.scheduler.runDue()
      expect(s.hooks.calls).toHaveLength(1)
      expect(sentPayload(s.hooks.calls[0]!.body), 'timestamp: when POST /api/events accepted it').toEqual(payload)
    })

    it.each(invalidEvents)('answers 400 invalid_event and schedules nothing when %s', async (_, body) => {
      const s = setup()
      const res = await s.api.post('/api/events', { json: body })
      expect(res).toHaveStatus(400)
      expect(res).toHaveJsonBody(expect.objectContaining({ error: 'invalid_event' }))
      await s.scheduler.runDue()
      expect(s.hooks.calls, 'nothing is delivered').toEqual([])
    })

    it('answers 400 invalid_event to a body that is not JSON', async () => {
      const s = setup()
      const res = await s.api.post('/api/events', {
        headers: { 'Content-Type': 'application/json' },
        body: '{"type": "invoice.paid", "data": ',
      })
      expect(res).toHaveStatus(400)
      expect(res).toHaveJsonBody(expect.objectContaining({ error: 'invalid_event' }))
    })

    it('answers 404 not_found for an event id it never issued, also one another app issued', async () => {
      const s = setup()
      const other = setup()
      const { id } = await publish(other)
      for (const path of [`/api/events/${id}`, `/api/events/msg_${s.rng.word(12, 12)}`]) {
        const res = await s.api.get(path)
        expect(res).toHaveStatus(404)
        expect(res).toHaveJsonBody(expect.objectContaining({ error: 'not_found' }))
      }
    })

    it('accepts an event when there are no subscribers, and delivers it nowhere', async () => {
      const s = setup({ subscribers: 0 })
      const { id } = await publish(s)
      await s.scheduler.runDue()
      expect(s.hooks.calls).toEqual([])
      expect((await eventStatus(s, id)).deliveries).toEqual([])
    })
  })

  task(2, 'Sign every delivery', () => {
    it('sends webhook-id, webhook-timestamp and a v1 signature that verifies', async () => {
      const s = setup({ subscribers: 1 })
      const { id } = await publish(s)
      s.clock.advance(s.rng.int(0, 20) * SECOND + s.rng.int(0, 999))
      await s.scheduler.runDue()
      const sent = s.hooks.calls[0]!
      expect(sent, 'one delivery').toBeDefined()
      expect(sent.headers['webhook-id'], 'webhook-id: the id POST /api/events answered').toBe(id)
      expect(sent.headers['webhook-timestamp'], 'webhook-timestamp: now() in whole seconds').toBe(
        String(Math.floor(sent.at / 1000)),
      )
      expectSigned(s.subscribers[0]!, sent, 'webhook-signature')
    })

    it("signs each subscriber's delivery with that subscriber's own secret", async () => {
      const s = setup({ subscribers: 3 })
      await publish(s)
      await s.scheduler.runDue()
      for (const sub of s.subscribers) {
        const sent = s.hooks.to(sub.url)
        expect(sent, `one POST to ${sub.url}`).toHaveLength(1)
        expectSigned(sub, sent[0]!, `the delivery to ${sub.url}`)
      }
    })

    it('gives every event its own id, also across two apps, with no dot or space in it', async () => {
      const s = setup({ subscribers: 1 })
      const other = setup({ subscribers: 1 })
      const ids = [(await publish(s)).id, (await publish(s)).id, (await publish(other)).id]
      expect(new Set(ids).size, `three events, three ids: ${ids.join(', ')}`).toBe(3)
      for (const id of ids) expect(id, 'a webhook-id has no "." and no whitespace').toMatch(/^[^\s.]+$/)
    })
  })

  task(3, 'Retry with backoff, then give up', () => {
    it('retries a 500 retryBaseMs later with the same id and body, a new timestamp and signature', async () => {
      const rng = random()
      const base = rng.int(2, 120) * SECOND + rng.int(1, 999)
      const s = setup({ subscribers: 1, retryBaseMs: base, answer: (_, n) => (n === 1 ? 500 : 200) })
      const { id } = await publish(s)
      await s.scheduler.runDue()
      expect(s.hooks.calls, 'the first attempt').toHaveLength(1)
      await expectDeliveries(s, id, { [s.subscribers[0]!.url]: { status: 'pending', attempts: 1 } })
      s.clock.advance(base - 1)
      await s.scheduler.runDue()
      expect(s.hooks.calls, `no retry before retryBaseMs (${base} ms)`).toHaveLength(1)
      s.clock.advance(1)
      await s.scheduler.runDue()
      expect(s.hooks.calls, `the retry, ${base} ms after the 500`).toHaveLength(2)
      const [first, retry] = s.hooks.calls as [Sent, Sent]
      expect(retry.headers['webhook-id'], 'the same webhook-id on every attempt').toBe(id)
      expect(retry.body, 'the same body, byte for byte').toBe(first.body)
      expect(retry.headers['webhook-timestamp'], "the retry's own time, in seconds").toBe(String(Math.floor(retry.at / 1000)))
      expectSigned(s.subscribers[0]!, retry, 'the retry is signed again')
      await expectDeliveries(s, id, { [s.subscribers[0]!.url]: { status: 'delivered', attempts: 2 } })
      s.clock.advance(DAY)
      await s.scheduler.runDue()
      expect(s.hooks.calls, 'nothing more once delivered').toHaveLength(2)
    })

    it('retries after a network error (fetch rejects)', async () => {
      const s = setup({ subscribers: 1, retryBaseMs: 1000, answer: (_, n) => (n === 1 ? 'network-error' : 204) })
      const { id } = await publish(s)
      await s.scheduler.runDue()
      await expectDeliveries(s, id, { [s.subscribers[0]!.url]: { status: 'pending', attempts: 1 } })
      s.clock.advance(1000)
      await s.scheduler.runDue()
      expect(s.hooks.calls).toHaveLength(2)
      await expectDeliveries(s, id, { [s.subscribers[0]!.url]: { status: 'delivered', attempts: 2 } })
    })

    it.each([300, 301, 302, 400, 404, 429, 500, 503])('counts a %i answer as a failed attempt', async (status) => {
      const s = setup({ subscribers: 1, retryBaseMs: 1000, answer: (_, n) => (n === 1 ? status : 200) })
      const { id } = await publish(s)
      await s.scheduler.runDue()
      await expectDeliveries(s, id, { [s.subscribers[0]!.url]: { status: 'pending', attempts: 1 } })
      s.clock.advance(1000)
      await s.scheduler.runDue()
      expect(s.hooks.calls, `a ${status} is retried`).toHaveLength(2)
    })

    it.each([200, 201, 202, 204, 299])('counts a %i answer as delivered', async (status) => {
      const s = setup({ subscribers: 1, retryBaseMs: 1000, answer: () => status })
      const { id } = await publish(s)
      await s.scheduler.runDue()
      await expectDeliveries(s, id, { [s.subscribers[0]!.url]: { status: 'delivered', attempts: 1 } })
      s.clock.advance(HOUR)
      await s.scheduler.runDue()
      expect(s.hooks.calls, `a ${status} is not retried`).toHaveLength(1)
    })

    it('doubles the wait after each failure and gives up after maxAttempts', async () => {
      const rng = random()
      const maxAttempts = rng.int(3, 6)
      const base = rng.int(1, 30) * SECOND + rng.int(0, 999)
      const s = setup({ subscribers: 1, maxAttempts, retryBaseMs: base, answer: () => 503 })
      const { id } = await publish(s)
      await s.scheduler.runDue()
      for (let attempt = 1; attempt < maxAttempts; attempt++) {
        const wait = base * 2 ** (attempt - 1)
        s.clock.advance(wait - 1)
        await s.scheduler.runDue()
        expect(s.hooks.calls, `attempt ${attempt + 1} waits ${wait} ms, not ${wait - 1}`).toHaveLength(attempt)
        s.clock.advance(1)
        await s.scheduler.runDue()
        expect(s.hooks.calls, `attempt ${attempt + 1} comes ${wait} ms after attempt ${attempt}`).toHaveLength(attempt + 1)
      }
      await expectDeliveries(s, id, { [s.subscribers[0]!.url]: { status: 'failed', attempts: maxAttempts } })
      s.clock.advance(30 * DAY)
      await s.scheduler.runDue()
      expect(s.hooks.calls, `no attempt after the ${maxAttempts}th`).toHaveLength(maxAttempts)
      expect(new Set(s.hooks.calls.map((c) => c.headers['webhook-id'])).size, 'one id for all attempts').toBe(1)
    })

    it('makes 5 attempts, 5, 10, 20 and 40 seconds apart, when maxAttempts and retryBaseMs are not given', async () => {
      const s = setup({ subscribers: 1, answer: () => 500 })
      const { id } = await publish(s)
      await s.scheduler.runDue()
      for (const [i, wait] of [5, 10, 20, 40].map((x) => x * SECOND).entries()) {
        s.clock.advance(wait - 1)
        await s.scheduler.runDue()
        expect(s.hooks.calls, `attempt ${i + 2} waits ${wait} ms`).toHaveLength(i + 1)
        s.clock.advance(1)
        await s.scheduler.runDue()
        expect(s.hooks.calls, `attempt ${i + 2} comes ${wait} ms after the failure`).toHaveLength(i + 2)
      }
      await expectDeliveries(s, id, { [s.subscribers[0]!.url]: { status: 'failed', attempts: 5 } })
    })

    it('retries a failing subscriber without sending again to the others', async () => {
      let bad = ''
      const s = setup({ subscribers: 3, maxAttempts: 3, retryBaseMs: 2000, answer: (url) => (url === bad ? 500 : 200) })
      bad = s.rng.pick(s.subscribers).url
      const { id } = await publish(s)
      await s.scheduler.runDue()
      s.clock.advance(2000)
      await s.scheduler.runDue()
      s.clock.advance(4000)
      await s.scheduler.runDue()
      expect(s.hooks.to(bad), 'the failing subscriber gets maxAttempts attempts').toHaveLength(3)
      for (const sub of s.subscribers.filter((x) => x.url !== bad)) {
        expect(s.hooks.to(sub.url), `${sub.url} answered 200 once and gets nothing more`).toHaveLength(1)
      }
      await expectDeliveries(
        s,
        id,
        Object.fromEntries(
          s.subscribers.map((sub) => [sub.url, sub.url === bad ? { status: 'failed', attempts: 3 } : { status: 'delivered', attempts: 1 }]),
        ),
      )
    })

    it('throws when an option is invalid', () => {
      const rng = random()
      const base = {
        subscribers: [{ url: 'https://hooks.example.test/in', secret: secret(rng) }],
        incomingSecret: secret(rng),
        onEvent: () => {},
        now: fakeClock().now,
        fetch: async () => new Response(null, { status: 200 }),
        schedule: () => {},
      }
      expect(() => createApp(base), 'valid options').not.toThrow()
      expect(() => createApp({ ...base, maxAttempts: 1, retryBaseMs: 1 }), 'maxAttempts 1, retryBaseMs 1').not.toThrow()
      for (const maxAttempts of [0, -1, 1.5, Number.NaN]) {
        expect(() => createApp({ ...base, maxAttempts }), `maxAttempts: ${maxAttempts}`).toThrow(RangeError)
      }
      for (const retryBaseMs of [0, -5, Number.NaN, Number.POSITIVE_INFINITY]) {
        expect(() => createApp({ ...base, retryBaseMs }), `retryBaseMs: ${retryBaseMs}`).toThrow(RangeError)
      }
      // Also a prefix followed by text that is not base64 at all: Buffer.from('***', 'base64') is
      // an empty key, which would sign everything with nothing.
      for (const bad of ['k3y', 'whsec_', `sk_${secret(rng).slice(6)}`, 'whsec_***', `whsec_${rng.word(3, 6)} ${rng.word(3, 6)}!`]) {
        expect(() => createApp({ ...base, subscribers: [{ url: base.subscribers[0]!.url, secret: bad }] }), `secret ${bad}`).toThrow(TypeError)
        expect(() => createApp({ ...base, incomingSecret: bad }), `incomingSecret ${bad}`).toThrow(TypeError)
      }
      // A URL that parses is not enough: only http: and https: deliver webhooks.
      for (const url of ['not a url', `ftp://${rng.word(4, 8)}.example.test/hook`, 'javascript:alert(1)', `file:///tmp/${rng.word(4, 8)}`]) {
        expect(() => createApp({ ...base, subscribers: [{ url, secret: secret(rng) }] }), `url "${url}"`).toThrow(TypeError)
      }
    })
  })

  task(4, 'Verify incoming webhooks', () => {
    it('accepts a correctly signed webhook and passes { id, payload } to onEvent once', async () => {
      const s = setup()
      const id = webhookId(s.rng)
      const body = incomingBody(s.rng)
      expectAccepted(await deliver(s, { id, body }))
      expect(s.received, 'onEvent receives the id and the parsed body').toEqual([
        expect.objectContaining({ id, payload: JSON.parse(body) }),
      ])
    })

    it('verifies the raw body: the bytes as sent, not the JSON serialised again', async () => {
      const s = setup()
      const body = `{"z":1,   "a" : [ 1.50, "\\u00fcber" ],"emoji":"🎉 ${s.rng.word()}"}`
      expectAccepted(await deliver(s, { body }), 'a body with odd spacing, escapes and key order')
      expect(s.received).toHaveLength(1)
    })

    it('answers 401 invalid_signature when the body was changed after signing', async () => {
      const s = setup()
      const id = webhookId(s.rng)
      const timestamp = String(Math.floor(s.clock.now() / 1000))
      const body = incomingBody(s.rng)
      const sig = `v1,${signature(s.incomingSecret, id, timestamp, body)}`
      const tampered = body.replace(/"amount":(\d+)/, (_, n: string) => `"amount":${Number(n) + 1}`)
      expectRefused(await deliver(s, { id, timestamp, body: tampered, signature: sig }), 401, 'invalid_signature')
      expect(s.received, 'nothing is processed').toEqual([])
    })

    it('answers 401 invalid_signature to a webhook signed with another secret', async () => {
      const s = setup()
      expectRefused(await deliver(s, { secret: secret(s.rng) }), 401, 'invalid_signature')
      expect(s.received).toEqual([])
    })

    it('answers 401 invalid_signature when webhook-id or webhook-timestamp is not what was signed', async () => {
      const s = setup()
      const id = webhookId(s.rng)
      const timestamp = Math.floor(s.clock.now() / 1000)
      const body = incomingBody(s.rng)
      const sig = `v1,${signature(s.incomingSecret, id, String(timestamp), body)}`
      expectRefused(await deliver(s, { id: `${id}x`, timestamp: String(timestamp), body, signature: sig }), 401, 'invalid_signature')
      expectRefused(await deliver(s, { id, timestamp: String(timestamp - 1), body, signature: sig }), 401, 'invalid_signature')
      expect(s.received).toEqual([])
    })

    it('accepts a header with several signatures when one v1 entry matches', async () => {
      const s = setup()
      const id = webhookId(s.rng)
      const timestamp = String(Math.floor(s.clock.now() / 1000))
      const body = incomingBody(s.rng)
      const good = `v1,${signature(s.incomingSecret, id, timestamp, body)}`
      const old = `v1,${signature(secret(s.rng), id, timestamp, body)}`
      const asymmetric = `v1a,${base64Bytes(s.rng, 64)}`
      const header = s.rng.shuffle([old, asymmetric]).concat(good).join(' ')
      expectAccepted(await deliver(s, { id, timestamp, body, signature: header }), `webhook-signature: ${header}`)
      expect(s.received).toHaveLength(1)
    })

    it('ignores entries that are not v1, even when they carry the right signature', async () => {
      const s = setup()
      const id = webhookId(s.rng)
      const timestamp = String(Math.floor(s.clock.now() / 1000))
      const body = incomingBody(s.rng)
      const sig = signature(s.incomingSecret, id, timestamp, body)
      for (const header of [`v2,${sig}`, `v1a,${sig}`, sig, `V1,${sig}`]) {
        expectRefused(await deliver(s, { id, timestamp, body, signature: header }), 401, 'invalid_signature')
      }
      expect(s.received).toEqual([])
    })

    it('answers 401, never 500, to signatures of the wrong length or shape', async () => {
      const s = setup()
      const id = webhookId(s.rng)
      const timestamp = String(Math.floor(s.clock.now() / 1000))
      const body = incomingBody(s.rng)
      const sig = signature(s.incomingSecret, id, timestamp, body)
      const longer = base64Bytes(s.rng, 48)
      for (const header of [`v1,${sig.slice(0, -2)}`, `v1,${sig.slice(0, -4)}`, `v1,${longer}`, 'v1,', 'v1', `v1,${s.rng.word()}`, ',']) {
        expectRefused(await deliver(s, { id, timestamp, body, signature: header }), 401, 'invalid_signature')
      }
      expect(s.received).toEqual([])
    })

    it('answers 400 missing_headers when a webhook header is missing or empty', async () => {
      const s = setup()
      for (const name of ['webhook-id', 'webhook-timestamp', 'webhook-signature']) {
        for (const empty of [true, false]) {
          const headers: Record<string, string> = {
            'Content-Type': 'application/json',
            'webhook-id': webhookId(s.rng),
            'webhook-timestamp': String(Math.floor(s.clock.now() / 1000)),
            'webhook-signature': `v1,${base64Bytes(s.rng, 32)}`,
          }
          if (empty) headers[name] = ''
          else delete headers[name]
          const res = await s.api.post('/webhooks/incoming', { headers, body: incomingBody(s.rng) })
          expectRefused(res, 400, 'missing_headers')
        }
      }
      expect(s.received).toEqual([])
    })

    it('answers 400 invalid_payload to a correctly signed body that is not JSON', async () => {
      const s = setup()
      expectRefused(await deliver(s, { body: `{"type": "charge.succeeded", ${s.rng.word()}` }), 400, 'invalid_payload')
      expect(s.received).toEqual([])
    })
  })

  task(5, 'Refuse stale and replayed webhooks', () => {
    it.each([
      ['accepts a timestamp 300 seconds old', -300, true],
      ['refuses a timestamp 301 seconds old', -301, false],
      ['accepts a timestamp 300 seconds ahead', 300, true],
      ['refuses a timestamp 301 seconds ahead', 301, false],
      ['refuses a timestamp an hour old', -3600, false],
    ] as const)('with the default tolerance, %s', async (_, offset, accepted) => {
      const s = setup()
      const timestamp = String(Math.floor(s.clock.now() / 1000) + offset)
      const res = await deliver(s, { timestamp })
      if (accepted) expectAccepted(res, `webhook-timestamp ${offset} s from now`)
      else expectRefused(res, 401, 'invalid_timestamp')
      expect(s.received, accepted ? 'processed' : 'not processed').toHaveLength(accepted ? 1 : 0)
    })

    it('applies toleranceSeconds, in whole seconds of now(), at both ends', async () => {
      const rng = random()
      const tolerance = rng.int(5, 900)
      const s = setup({ toleranceSeconds: tolerance })
      // Late in the current second: the tolerance is counted in whole seconds of now().
      s.clock.set(Math.floor(s.clock.now() / 1000) * 1000 + rng.int(500, 999))
      const nowSeconds = Math.floor(s.clock.now() / 1000)
      for (const offset of [-tolerance, tolerance, 0]) {
        expectAccepted(await deliver(s, { timestamp: String(nowSeconds + offset) }), `${offset} s from now, tolerance ${tolerance}`)
      }
      for (const offset of [-tolerance - 1, tolerance + 1]) {
        expectRefused(await deliver(s, { timestamp: String(nowSeconds + offset) }), 401, 'invalid_timestamp')
      }
      expect(s.received).toHaveLength(3)
    })

    it('answers 401 invalid_timestamp to a timestamp that is not a whole number of seconds', async () => {
      const s = setup()
      const nowSeconds = Math.floor(s.clock.now() / 1000)
      for (const timestamp of ['soon', '-5', String(s.clock.now())]) {
        expectRefused(await deliver(s, { timestamp }), 401, 'invalid_timestamp')
      }
      for (const timestamp of [`${nowSeconds}.5`, `${nowSeconds}abc`, `${nowSeconds}e0`]) {
        // The signature covers the header as sent; whichever check refuses it, it is refused.
        expectRefused(await deliver(s, { timestamp }), 401, ['invalid_timestamp', 'invalid_signature'])
      }
      expect(s.received).toEqual([])
    })

    it('acknowledges a replayed webhook with 200 duplicate and does not process it again', async () => {
      const s = setup()
      const w = { id: webhookId(s.rng), timestamp: String(Math.floor(s.clock.now() / 1000)), body: incomingBody(s.rng) }
      expectAccepted(await deliver(s, w))
      s.clock.advance(s.rng.int(1, 299) * SECOND)
      const again = await deliver(s, w)
      expect(again).toHaveStatus(200)
      expect(again).toHaveJsonBody(expect.objectContaining({ duplicate: true }))
      expect(s.received, 'processed once').toHaveLength(1)
    })

    it("drops a sender's late retry of a processed id, even with a new timestamp and signature", async () => {
      const s = setup()
      const id = webhookId(s.rng)
      const body = incomingBody(s.rng)
      expectAccepted(await deliver(s, { id, body }))
      for (const later of [10 * MINUTE, 2 * HOUR, 3 * DAY]) {
        s.clock.advance(later)
        const retry = await deliver(s, { id, body })
        expect(retry, `the same id ${later / MINUTE} minutes later, freshly signed`).toHaveStatus(200)
        expect(retry).toHaveJsonBody(expect.objectContaining({ duplicate: true }))
      }
      expect(s.received, 'processed once').toHaveLength(1)
    })

    it('checks the signature before looking for duplicates', async () => {
      const s = setup()
      const id = webhookId(s.rng)
      expectAccepted(await deliver(s, { id }))
      expectRefused(await deliver(s, { id, secret: secret(s.rng) }), 401, 'invalid_signature')
    })

    it('processes the retry of a webhook whose handler failed', async () => {
      const rng = random()
      let calls = 0
      const s = setup({
        onEvent: () => {
          calls += 1
          if (calls === 1) throw new Error('the database is down')
        },
      })
      const id = webhookId(rng)
      const body = incomingBody(rng)
      expect(await deliver(s, { id, body }), 'onEvent threw').toHaveStatus(500)
      s.clock.advance(rng.int(5, 120) * SECOND)
      expectAccepted(await deliver(s, { id, body }), 'the retry after a failure is processed')
      expect(calls, 'onEvent ran again for the retry').toBe(2)
      const third = await deliver(s, { id, body })
      expect(third).toHaveStatus(200)
      expect(third).toHaveJsonBody(expect.objectContaining({ duplicate: true }))
      expect(calls).toBe(2)
    })

    it('answers 409 in_progress to a duplicate that arrives while the first is still processed', async () => {
      const handler = gatedHandler()
      const s = setup({ onEvent: handler.onEvent })
      const w = { id: webhookId(s.rng), body: incomingBody(s.rng) }
      const first = deliver(s, w)
      await handler.waitForCalls(1)
      expectRefused(await deliver(s, w), 409, 'in_progress')
      handler.finish(true)
      expectAccepted(await first)
      const later = await deliver(s, w)
      expect(later).toHaveStatus(200)
      expect(later).toHaveJsonBody(expect.objectContaining({ duplicate: true }))
      expect(handler.calls, 'processed once').toHaveLength(1)
    })

    it('processes a retry once the in-progress attempt has failed', async () => {
      const handler = gatedHandler()
      const s = setup({ onEvent: handler.onEvent })
      const w = { id: webhookId(s.rng), body: incomingBody(s.rng) }
      const first = deliver(s, w)
      await handler.waitForCalls(1)
      expectRefused(await deliver(s, w), 409, 'in_progress')
      handler.finish(false)
      expect(await first, 'onEvent rejected').toHaveStatus(500)
      const retry = deliver(s, w)
      await handler.waitForCalls(2)
      handler.finish(true)
      expectAccepted(await retry)
    })

    it('treats ids such as "constructor" and "__proto__" like any other', async () => {
      const s = setup()
      for (const id of s.rng.shuffle(['constructor', '__proto__', 'toString', 'hasOwnProperty'])) {
        expectAccepted(await deliver(s, { id }), `webhook-id: ${id}`)
      }
      expect(s.received).toHaveLength(4)
    })

    it('keeps the ids seen by two apps apart', async () => {
      const s = setup()
      const other = setup()
      const id = webhookId(s.rng)
      expectAccepted(await deliver(s, { id }))
      expectAccepted(await deliver(other, { id }), 'the same id, sent to another app')
      expect(other.received).toHaveLength(1)
    })

    it('throws a RangeError when toleranceSeconds is negative or not a number', () => {
      const rng = random()
      const base = { subscribers: [], incomingSecret: secret(rng), onEvent: () => {}, now: fakeClock().now }
      for (const toleranceSeconds of [-1, Number.NaN]) {
        expect(() => createApp({ ...base, toleranceSeconds }), `toleranceSeconds: ${toleranceSeconds}`).toThrow(RangeError)
      }
      expect(() => createApp({ ...base, toleranceSeconds: 0 }), 'toleranceSeconds: 0').not.toThrow()
    })
  })
})
