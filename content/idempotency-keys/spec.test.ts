// idempotency-keys - the hidden spec.
//
// Wrong implementations this spec is built to catch:
// - no deduplication at all: every retry creates another payment
// - replays with another status (200 instead of the original 201), without Location, or with a
//   body rebuilt on the retry (a freshly generated id, a new createdAt from the current time)
// - no Idempotent-Replayed: true on a replay, or the header on first responses too
// - deduplicates POSTs that carry no Idempotency-Key (e.g. all under one `undefined` key)
// - ignores the body on a retry: replays a key sent with a different body instead of 422
// - compares bodies as strings, so the same JSON with another key order or spacing is a 422;
//   or sorts only the top-level keys with JSON.stringify(body, Object.keys(body).sort()), which
//   drops nested keys, so a change inside `metadata` is replayed as if it were the same request
// - global keys: the same key from a second client replays the first client's payment
// - a joined `${client}:${key}` (or `|`, `/`...) store key, so client "a:b" + key "c" collides
//   with client "a" + key "b:c"
// - remembers the 400 of an invalid first attempt, so the fixed retry gets 400 or 422
// - weak validation, or stores the payment before validating it
// - keys kept in a plain object, so "constructor" or "__proto__" looks like a used key
// - keys never expire, expire one millisecond late (`<=`), or expire by Date.now() instead of
//   the injected now(); an expired key still compared (422) instead of starting afresh
// - a race: awaiting the body between "is the key known?" and "remember it", so two concurrent
//   requests with one key both create a payment; also when the two bodies differ (a small retry
//   overtaking a large first attempt), or when one of them is refused
// - an in-progress marker that is never replaced by the stored response (every later retry gets
//   409), or that is shared by all clients (another client's request with the same key is 409)
// - answers GET requests that carry an Idempotency-Key from the store (the key is only for
//   POST /api/payments), or lets such a GET use up the key
// - validates or copies metadata with z.record or by assignment, so a label named `__proto__`
//   vanishes from the payment and its value is never checked (`{"__proto__": 5}` accepted)
// - builds the canonical body by assigning keys to a new object, so a change to a `__proto__`
//   label is replayed instead of refused
// - lists or fetches payments across clients; answers 403 for another client's payment
// - state kept at module level, shared between two createApp() instances (another app replays
//   a response it never sent)
// - keyTtlMs accepted when zero, negative or not a number, or refused when it is 1
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
import { createApp, type Payment } from '../../exercises/idempotency-keys/app.ts'

const SECOND = 1000
const HOUR = 3_600_000
const DAY = 24 * HOUR
const CURRENCIES = ['EUR', 'USD', 'GBP', 'JPY', 'CHF', 'SEK']

interface PaymentInput {
  amount: number
  currency: string
  metadata: Record<string, string>
}

/** A valid payment body with a few metadata labels. */
function paymentInput(rng: Rng): PaymentInput {
  return {
    amount: rng.int(100, 99_999),
    currency: rng.pick(CURRENCIES),
    metadata: { order: `ord_${rng.int(1000, 9999)}`, customer: rng.word(), channel: rng.word() },
  }
}

/** A key shaped like the UUIDs clients usually send, drawn from the test's stream. */
function idempotencyKey(rng: Rng): string {
  const hex = (n: number) => Array.from({ length: n }, () => rng.int(0, 15).toString(16)).join('')
  return `${hex(8)}-${hex(4)}-4${hex(3)}-a${hex(3)}-${hex(12)}`
}

function clientId(rng: Rng): string {
  return `client-${rng.word(4, 8)}-${rng.int(10, 99)}`
}

interface Setup {
  clock: FakeClock
  api: Client
  /** The client most requests come from. */
  me: string
}

function setup(rng: Rng, keyTtlMs?: number): Setup {
  const clock = fakeClock()
  clock.advance(rng.int(0, HOUR))
  const api = client(
    build(createApp, { now: clock.now, ...(keyTtlMs === undefined ? {} : { keyTtlMs }) }),
  )
  return { clock, api, me: clientId(rng) }
}

interface PayOptions {
  key?: string
  /** Defaults to the setup's client. */
  from?: string
  /** A raw JSON text to send instead of `input`. */
  raw?: string
}

function pay(s: Setup, input: unknown, options: PayOptions = {}): Promise<Reply> {
  const headers: Record<string, string> = { 'X-Client-Id': options.from ?? s.me }
  if (options.key !== undefined) headers['Idempotency-Key'] = options.key
  if (options.raw !== undefined) {
    headers['Content-Type'] = 'application/json'
    return s.api.post('/api/payments', { headers, body: options.raw })
  }
  return s.api.post('/api/payments', { headers, json: input })
}

function list(s: Setup, from = s.me): Promise<Reply> {
  return s.api.get('/api/payments', { headers: { 'X-Client-Id': from } })
}

/** The payments a client sees, checking that the list answered 200 with a JSON array. */
async function paymentsOf(s: Setup, from = s.me): Promise<Payment[]> {
  const res = await list(s, from)
  expect(res).toHaveStatus(200)
  expect(res).toHaveJsonBody(expect.any(Array))
  return res.body as Payment[]
}

/** The payments GET /api/payments lists for a client must be exactly `expected`. */
async function expectPayments(s: Setup, expected: unknown[], from = s.me): Promise<void> {
  const res = await list(s, from)
  expect(res).toHaveStatus(200)
  expect(res).toHaveJsonBody(expected)
}

/** Asserts a fresh (not replayed) 201 for `input` and returns the payment. */
function expectCreated(res: Reply, input: PaymentInput, clock: FakeClock): Payment {
  expect(res).toHaveStatus(201)
  expect(res).toHaveJsonBody({
    id: expect.any(String),
    ...input,
    createdAt: new Date(clock.now()).toISOString(),
  })
  const { id } = res.body as Payment
  focusOn(res)
  expect(/^[A-Za-z0-9_-]+$/.test(id), 'the id is made of letters, digits, _ and -').toBe(true)
  expect(res).not.toHaveHeader('Idempotent-Replayed')
  return res.body as Payment
}

/** A valid payment body of about half a megabyte, which reaches the app in many chunks. */
function bigInput(rng: Rng): PaymentInput {
  const input = paymentInput(rng)
  input.metadata['note'] = rng.word(8, 8).repeat(64_000)
  return input
}

/** Asserts that `retry` repeats `first`: status, body and Location, marked as a replay. */
function expectReplay(retry: Reply, first: Reply): void {
  expect(retry).toHaveStatus(first.status)
  expect(retry).toHaveJsonBody(first.body)
  expect(retry).toHaveHeader('Location', first.headers['location'])
  expect(retry).toHaveHeader('Idempotent-Replayed', 'true')
}

/** The path of a Location header, which may be relative or absolute. */
function locationPath(res: Reply): string {
  expect(res).toHaveHeader('Location')
  return new URL(res.headers['location']!, 'http://api.test').pathname
}

/** JSON text of `value` with the keys of every object in a new order and some extra spacing. */
function reordered(rng: Rng, value: unknown): string {
  if (Array.isArray(value)) return `[ ${value.map((v) => reordered(rng, v)).join(' , ')} ]`
  if (value !== null && typeof value === 'object') {
    const keys = Object.keys(value)
    let order = rng.shuffle(keys)
    if (order.every((k, i) => k === keys[i])) order = [...keys].reverse()
    const record = value as Record<string, unknown>
    const members = order.map((k) => `${JSON.stringify(k)} : ${reordered(rng, record[k])}`)
    return `{ ${members.join(' ,\n ')} }`
  }
  return JSON.stringify(value)
}

const REUSED = expect.objectContaining({ error: 'idempotency_key_reused' })
const INVALID = expect.objectContaining({ error: 'invalid_payment' })

const invalidBodies: [string, unknown][] = [
  ['amount is missing', { currency: 'EUR' }],
  ['amount is 0', { amount: 0, currency: 'EUR' }],
  ['amount is negative', { amount: -250, currency: 'EUR' }],
  ['amount is not whole', { amount: 12.5, currency: 'EUR' }],
  ['amount is a string', { amount: '1250', currency: 'EUR' }],
  ['currency is missing', { amount: 1250 }],
  ['currency is lower-case', { amount: 1250, currency: 'eur' }],
  ['currency is not three letters', { amount: 1250, currency: 'EURO' }],
  ['a metadata value is not a string', { amount: 1250, currency: 'EUR', metadata: { n: 1 } }],
  ['metadata is an array', { amount: 1250, currency: 'EUR', metadata: ['a'] }],
  ['the body is an array', [{ amount: 1250, currency: 'EUR' }]],
  ['the body is null', null],
  [
    'a metadata label named __proto__ is a number',
    JSON.parse('{"amount":1250,"currency":"EUR","metadata":{"__proto__":5}}'),
  ],
  [
    'a metadata label named __proto__ is an object',
    JSON.parse('{"amount":1250,"currency":"EUR","metadata":{"__proto__":{"a":"b"}}}'),
  ],
]

// Joined store keys collide when a client id and a key share the separator: "a<sep>b" + "c"
// against "a" + "b<sep>c".
const separators = [':', '|', '/', '-', '_', '.', ' ', '#', '+', ',']

describe('idempotency-keys', () => {
  task(1, 'Take payments (the stub does this already)', () => {
    it('POST /api/payments answers 201 with the payment and its Location', async () => {
      const rng = random()
      const s = setup(rng)
      const input = paymentInput(rng)
      const res = await pay(s, input)
      const payment = expectCreated(res, input, s.clock)
      const path = locationPath(res)
      expect(path, 'Location points at /api/payments/<id>').toBe(`/api/payments/${payment.id}`)
      const fetched = await s.api.get(path, { headers: { 'X-Client-Id': s.me } })
      expect(fetched).toHaveStatus(200)
      expect(fetched).toHaveJsonBody(payment)
    })

    it('stores metadata: {} for a payment sent without metadata', async () => {
      const rng = random()
      const s = setup(rng)
      const { amount, currency } = paymentInput(rng)
      const res = await pay(s, { amount, currency })
      expectCreated(res, { amount, currency, metadata: {} }, s.clock)
    })

    it('keeps metadata labels named "__proto__" and "constructor" exactly as sent', async () => {
      const rng = random()
      const s = setup(rng)
      const { amount, currency } = paymentInput(rng)
      const [w1, w2, w3] = [rng.word(), rng.word(), rng.word()]
      const metadata = `{"__proto__":"${w1}","constructor":"${w2}","${w3}":"x"}`
      const raw = `{"amount":${amount},"currency":"${currency}","metadata":${metadata}}`
      const sent = JSON.parse(raw) as PaymentInput
      const res = await pay(s, undefined, { raw })
      const payment = expectCreated(res, sent, s.clock)
      const fetched = await s.api.get(locationPath(res), { headers: { 'X-Client-Id': s.me } })
      expect(fetched).toHaveJsonBody(payment)
    })

    it('GET /api/payments lists the payments of the client in the order they were made', async () => {
      const rng = random()
      const s = setup(rng)
      await expectPayments(s, [])
      const made: Payment[] = []
      for (let i = rng.int(2, 4); i > 0; i--) {
        s.clock.advance(rng.int(1, 60) * SECOND)
        const input = paymentInput(rng)
        made.push(expectCreated(await pay(s, input), input, s.clock))
      }
      expect(new Set(made.map((p) => p.id)).size, 'every payment has its own id').toBe(
        made.length,
      )
      expect(await list(s)).toHaveJsonBody(made)
    })

    it.each(invalidBodies)(
      'answers 400 invalid_payment and creates nothing when %s',
      async (_, body) => {
        const rng = random()
        const s = setup(rng)
        const res = await pay(s, body, rng.next() < 0.5 ? {} : { key: idempotencyKey(rng) })
        expect(res).toHaveStatus(400)
        expect(res).toHaveJsonBody(INVALID)
        await expectPayments(s, [])
      },
    )

    it('answers 400 invalid_payment to a body that is not JSON', async () => {
      const rng = random()
      const s = setup(rng)
      const res = await pay(s, undefined, { raw: `{"amount": ${rng.int(1, 99)}, "currency": ` })
      expect(res).toHaveStatus(400)
      expect(res).toHaveJsonBody(INVALID)
      await expectPayments(s, [])
    })

    it('answers 400 missing_client_id to any request without an X-Client-Id', async () => {
      const rng = random()
      const s = setup(rng)
      const input = paymentInput(rng)
      const key = idempotencyKey(rng)
      const attempts = [
        () => s.api.post('/api/payments', { json: input }),
        () => s.api.post('/api/payments', { json: input, headers: { 'Idempotency-Key': key } }),
        () => s.api.post('/api/payments', { json: input, headers: { 'X-Client-Id': '' } }),
        () => s.api.get('/api/payments'),
        () => s.api.get('/api/payments/pay_1'),
      ]
      for (const attempt of attempts) {
        const res = await attempt()
        expect(res).toHaveStatus(400)
        expect(res).toHaveJsonBody(expect.objectContaining({ error: 'missing_client_id' }))
      }
    })

    it("answers 404 not_found to GET /api/payments/:id for another client's payment", async () => {
      const rng = random()
      const s = setup(rng)
      const input = paymentInput(rng)
      const res = await pay(s, input)
      expectCreated(res, input, s.clock)
      const theirs = await s.api.get(locationPath(res), { headers: { 'X-Client-Id': clientId(rng) } })
      expect(theirs).toHaveStatus(404)
      expect(theirs).toHaveJsonBody(expect.objectContaining({ error: 'not_found' }))
      await expectPayments(s, [], clientId(rng))
    })

    it('answers 404 not_found to GET /api/payments/:id for an id nobody holds', async () => {
      const rng = random()
      const s = setup(rng)
      const path = `/api/payments/pay_${rng.word()}`
      const res = await s.api.get(path, { headers: { 'X-Client-Id': s.me } })
      expect(res).toHaveStatus(404)
      expect(res).toHaveJsonBody(expect.objectContaining({ error: 'not_found' }))
    })
  })

  task(2, 'Replay a retry with the same key', () => {
    it('creates the payment on the first POST with a new key', async () => {
      const rng = random()
      const s = setup(rng)
      const input = paymentInput(rng)
      const payment = expectCreated(await pay(s, input, { key: idempotencyKey(rng) }), input, s.clock)
      await expectPayments(s, [payment])
    })

    it('replays the first response to a retry with the same key: status, body and Location', async () => {
      const rng = random()
      const s = setup(rng)
      const input = paymentInput(rng)
      const key = idempotencyKey(rng)
      const first = await pay(s, input, { key })
      expectCreated(first, input, s.clock)
      // The retry comes later: a replay rebuilt from the current time would show it.
      s.clock.advance(rng.int(5, 600) * SECOND)
      expectReplay(await pay(s, input, { key }), first)
    })

    it('marks only replays with Idempotent-Replayed: true', async () => {
      const rng = random()
      const s = setup(rng)
      const input = paymentInput(rng)
      const key = idempotencyKey(rng)
      const first = await pay(s, input, { key })
      expect(first).toHaveStatus(201)
      expect(first).not.toHaveHeader('Idempotent-Replayed')
      const retry = await pay(s, input, { key })
      expect(retry).toHaveHeader('Idempotent-Replayed', 'true')
    })

    it('creates one payment however often a key is retried', async () => {
      const rng = random()
      const s = setup(rng)
      const input = paymentInput(rng)
      const key = idempotencyKey(rng)
      const first = await pay(s, input, { key })
      const payment = expectCreated(first, input, s.clock)
      for (let i = rng.int(2, 5); i > 0; i--) {
        s.clock.advance(rng.int(1, 30) * SECOND)
        expectReplay(await pay(s, input, { key }), first)
      }
      await expectPayments(s, [payment])
    })

    it('keeps one key per request: another key makes another payment', async () => {
      const rng = random()
      const s = setup(rng)
      const input = paymentInput(rng)
      const first = expectCreated(await pay(s, input, { key: idempotencyKey(rng) }), input, s.clock)
      const second = expectCreated(await pay(s, input, { key: idempotencyKey(rng) }), input, s.clock)
      expect(second.id, 'the second payment has an id of its own').not.toBe(first.id)
      await expectPayments(s, [first, second])
    })

    it('treats keys that differ only in letter case as different keys', async () => {
      const rng = random()
      const s = setup(rng)
      const input = paymentInput(rng)
      const key = `Key-${rng.word()}`
      const first = expectCreated(await pay(s, input, { key }), input, s.clock)
      const second = expectCreated(await pay(s, input, { key: key.toUpperCase() }), input, s.clock)
      expect(second.id, 'the second payment has an id of its own').not.toBe(first.id)
    })

    it('creates a new payment for every POST without an Idempotency-Key', async () => {
      const rng = random()
      const s = setup(rng)
      const input = paymentInput(rng)
      const first = expectCreated(await pay(s, input), input, s.clock)
      const second = expectCreated(await pay(s, input), input, s.clock)
      expect(second.id, 'the second payment has an id of its own').not.toBe(first.id)
      await expectPayments(s, [first, second])
    })

    it('treats an empty Idempotency-Key like no key at all', async () => {
      const rng = random()
      const s = setup(rng)
      const input = paymentInput(rng)
      const first = expectCreated(await pay(s, input, { key: '' }), input, s.clock)
      const second = expectCreated(await pay(s, input, { key: '' }), input, s.clock)
      expect(second.id, 'the second payment has an id of its own').not.toBe(first.id)
    })

    it('reads the key only on POST /api/payments: a GET with it is answered as usual', async () => {
      const rng = random()
      const s = setup(rng)
      const input = paymentInput(rng)
      const key = idempotencyKey(rng)
      const res = await pay(s, input, { key })
      const payment = expectCreated(res, input, s.clock)
      const headers = { 'X-Client-Id': s.me, 'Idempotency-Key': key }
      const listed = await s.api.get('/api/payments', { headers })
      expect(listed).toHaveStatus(200)
      expect(listed).toHaveJsonBody([payment])
      expect(listed).not.toHaveHeader('Idempotent-Replayed')
      const fetched = await s.api.get(locationPath(res), { headers })
      expect(fetched).toHaveStatus(200)
      expect(fetched).toHaveJsonBody(payment)
      expect(fetched).not.toHaveHeader('Idempotent-Replayed')
      // A GET does not use up a key either: the first POST with it still makes a payment.
      const fresh = idempotencyKey(rng)
      const before = await s.api.get('/api/payments', {
        headers: { 'X-Client-Id': s.me, 'Idempotency-Key': fresh },
      })
      expect(before).toHaveStatus(200)
      const second = expectCreated(await pay(s, input, { key: fresh }), input, s.clock)
      await expectPayments(s, [payment, second])
    })
  })

  task(3, 'Refuse a key reused with another body', () => {
    it('answers 422 idempotency_key_reused to the same key with another body, and creates nothing', async () => {
      const rng = random()
      const s = setup(rng)
      const input = paymentInput(rng)
      const key = idempotencyKey(rng)
      const payment = expectCreated(await pay(s, input, { key }), input, s.clock)
      const res = await pay(s, { ...input, amount: input.amount + rng.int(1, 500) }, { key })
      expect(res).toHaveStatus(422)
      expect(res).toHaveJsonBody(REUSED)
      await expectPayments(s, [payment])
    })

    it('answers 422 when only a value nested inside the body changed', async () => {
      const rng = random()
      const s = setup(rng)
      const input = paymentInput(rng)
      const key = idempotencyKey(rng)
      expectCreated(await pay(s, input, { key }), input, s.clock)
      const changed = { ...input, metadata: { ...input.metadata, customer: `${rng.word()}-2` } }
      const res = await pay(s, changed, { key })
      expect(res).toHaveStatus(422)
      expect(res).toHaveJsonBody(REUSED)
    })

    it('answers 422 when only a metadata label named "__proto__" changed', async () => {
      const rng = random()
      const s = setup(rng)
      const { amount, currency } = paymentInput(rng)
      const body = (label: string) =>
        `{"amount":${amount},"currency":"${currency}","metadata":{"__proto__":"${label}"}}`
      const key = idempotencyKey(rng)
      const label = rng.word()
      const first = await pay(s, undefined, { key, raw: body(label) })
      expectCreated(first, JSON.parse(body(label)) as PaymentInput, s.clock)
      const res = await pay(s, undefined, { key, raw: body(`${label}-2`) })
      expect(res).toHaveStatus(422)
      expect(res).toHaveJsonBody(REUSED)
      expectReplay(await pay(s, undefined, { key, raw: body(label) }), first)
    })

    it('answers 422 when a retry with a used key sends a body that is not JSON', async () => {
      const rng = random()
      const s = setup(rng)
      const input = paymentInput(rng)
      const key = idempotencyKey(rng)
      expectCreated(await pay(s, input, { key }), input, s.clock)
      const res = await pay(s, undefined, { key, raw: JSON.stringify(input).slice(0, -1) })
      expect(res).toHaveStatus(422)
      expect(res).toHaveJsonBody(REUSED)
    })

    it('still replays the original after refusing a key reused with another body', async () => {
      const rng = random()
      const s = setup(rng)
      const input = paymentInput(rng)
      const key = idempotencyKey(rng)
      const first = await pay(s, input, { key })
      expectCreated(first, input, s.clock)
      const other = { ...input, currency: input.currency === 'EUR' ? 'USD' : 'EUR' }
      expect(await pay(s, other, { key })).toHaveStatus(422)
      expectReplay(await pay(s, input, { key }), first)
    })

    it('compares bodies as JSON values: key order and spacing do not matter', async () => {
      const rng = random()
      const s = setup(rng)
      const input = paymentInput(rng)
      const key = idempotencyKey(rng)
      const first = await pay(s, input, { key })
      expectCreated(first, input, s.clock)
      expectReplay(await pay(s, undefined, { key, raw: reordered(rng, input) }), first)
    })
  })

  task(4, 'Keep the keys of each client apart', () => {
    it('scopes keys to the client: the same key from two clients makes two payments', async () => {
      const rng = random()
      const s = setup(rng)
      const other = clientId(rng)
      const input = paymentInput(rng)
      const key = idempotencyKey(rng)
      const mine = expectCreated(await pay(s, input, { key }), input, s.clock)
      const theirs = expectCreated(await pay(s, input, { key, from: other }), input, s.clock)
      expect(theirs.id, 'the other client gets a payment of its own').not.toBe(mine.id)
      await expectPayments(s, [mine])
      await expectPayments(s, [theirs], other)
    })

    it('lets another client use a key with a different body', async () => {
      const rng = random()
      const s = setup(rng)
      const other = clientId(rng)
      const key = idempotencyKey(rng)
      const input = paymentInput(rng)
      expectCreated(await pay(s, input, { key }), input, s.clock)
      const theirs = { ...paymentInput(rng), amount: input.amount + 1 }
      expectCreated(await pay(s, theirs, { key, from: other }), theirs, s.clock)
    })

    it.each(separators.map((sep) => [sep]))(
      'never mixes up client and key when both contain %j',
      async (sep) => {
        const rng = random()
        const s = setup(rng)
        const [a, b, c] = [rng.word(3, 6), rng.word(3, 6), rng.word(3, 6)]
        const input = paymentInput(rng)
        const one = await pay(s, input, { from: `${a}${sep}${b}`, key: c })
        const first = expectCreated(one, input, s.clock)
        const two = await pay(s, input, { from: a, key: `${b}${sep}${c}` })
        const second = expectCreated(two, input, s.clock)
        expect(second.id, 'the second payment has an id of its own').not.toBe(first.id)
      },
    )

    it('treats keys and client ids such as "constructor" and "__proto__" like any other', async () => {
      const rng = random()
      const s = setup(rng)
      const input = paymentInput(rng)
      for (const name of rng.shuffle(['constructor', '__proto__', 'toString', 'hasOwnProperty'])) {
        const first = await pay(s, input, { key: name })
        expectCreated(first, input, s.clock)
        expectReplay(await pay(s, input, { key: name }), first)
        const fromThem = await pay(s, input, { key: idempotencyKey(rng), from: name })
        expectCreated(fromThem, input, s.clock)
        await expectPayments(s, [fromThem.body], name)
      }
    })

    it('keeps the payments and keys of two createApp() instances apart', async () => {
      const rng = random()
      const s = setup(rng)
      const other: Setup = { ...s, api: client(build(createApp, { now: s.clock.now })) }
      const key = idempotencyKey(rng)
      const input = paymentInput(rng)
      const payment = expectCreated(await pay(s, input, { key }), input, s.clock)
      const second = { ...input, amount: input.amount + rng.int(1, 99) }
      const theirs = expectCreated(await pay(other, second, { key }), second, s.clock)
      await expectPayments(other, [theirs])
      await expectPayments(s, [payment])
    })

    it("never replays another app's response, even for the same key and body", async () => {
      const rng = random()
      const s = setup(rng)
      const other: Setup = { ...s, api: client(build(createApp, { now: s.clock.now })) }
      const key = idempotencyKey(rng)
      const input = paymentInput(rng)
      const mine = expectCreated(await pay(s, input, { key }), input, s.clock)
      const theirs = expectCreated(await pay(other, input, { key }), input, s.clock)
      await expectPayments(other, [theirs])
      await expectPayments(s, [mine])
    })
  })

  task(5, 'Forget a key after keyTtlMs', () => {
    it('remembers a key until keyTtlMs after its first response, then treats it as new', async () => {
      const rng = random()
      const ttl = rng.int(1, 120) * 60 * SECOND + rng.int(1, 999)
      const s = setup(rng, ttl)
      const input = paymentInput(rng)
      const key = idempotencyKey(rng)
      const first = await pay(s, input, { key })
      const payment = expectCreated(first, input, s.clock)
      s.clock.advance(ttl - 1)
      expectReplay(await pay(s, input, { key }), first)
      s.clock.advance(1)
      const again = expectCreated(await pay(s, input, { key }), input, s.clock)
      expect(again.id, 'an expired key makes a new payment').not.toBe(payment.id)
      await expectPayments(s, [payment, again])
    })

    it('remembers keys for 24 hours when keyTtlMs is not given', async () => {
      const rng = random()
      const s = setup(rng)
      const input = paymentInput(rng)
      const key = idempotencyKey(rng)
      const first = await pay(s, input, { key })
      expectCreated(first, input, s.clock)
      s.clock.advance(DAY - 1)
      expectReplay(await pay(s, input, { key }), first)
      s.clock.advance(1)
      expectCreated(await pay(s, input, { key }), input, s.clock)
    })

    it('starts afresh with an expired key, whatever body it comes with', async () => {
      const rng = random()
      const ttl = rng.int(1, 60) * 60 * SECOND
      const s = setup(rng, ttl)
      const input = paymentInput(rng)
      const key = idempotencyKey(rng)
      const payment = expectCreated(await pay(s, input, { key }), input, s.clock)
      s.clock.advance(ttl + rng.int(0, HOUR))
      const other = { ...paymentInput(rng), amount: input.amount + 1 }
      const fresh = await pay(s, other, { key })
      const created = expectCreated(fresh, other, s.clock)
      // The key now belongs to the new payment, with a TTL of its own.
      s.clock.advance(ttl - 1)
      expectReplay(await pay(s, other, { key }), fresh)
      await expectPayments(s, [payment, created])
    })

    it('throws a RangeError when keyTtlMs is not a positive number', () => {
      const { now } = fakeClock()
      for (const keyTtlMs of [0, -60_000, Number.NaN]) {
        expect(() => createApp({ now, keyTtlMs }), `keyTtlMs: ${keyTtlMs}`).toThrow(RangeError)
      }
    })

    it('accepts a keyTtlMs of 1: a key is replayed in the same millisecond, new in the next', async () => {
      const rng = random()
      const s = setup(rng, 1)
      const input = paymentInput(rng)
      const key = idempotencyKey(rng)
      const first = await pay(s, input, { key })
      expectCreated(first, input, s.clock)
      expectReplay(await pay(s, input, { key }), first)
      s.clock.advance(1)
      expectCreated(await pay(s, input, { key }), input, s.clock)
    })
  })

  task(6, 'Refusals and racing retries', () => {
    it('does not remember a refused request: the same key works once the body is fixed', async () => {
      const rng = random()
      const s = setup(rng)
      const input = paymentInput(rng)
      const key = idempotencyKey(rng)
      const refused = await pay(s, { ...input, amount: 0 }, { key })
      expect(refused).toHaveStatus(400)
      expect(refused).toHaveJsonBody(INVALID)
      expect(refused).not.toHaveHeader('Idempotent-Replayed')
      const fixed = await pay(s, input, { key })
      const payment = expectCreated(fixed, input, s.clock)
      expectReplay(await pay(s, input, { key }), fixed)
      await expectPayments(s, [payment])
    })

    it('creates one payment when two requests with the same key arrive together', async () => {
      const rng = random()
      const s = setup(rng)
      // A body of a few hundred kilobytes reaches the app in many chunks, so the second request
      // arrives while the first is still reading its body: the window where a lookup made before
      // reading the body and a store made after it let both requests through.
      const input = bigInput(rng)
      const key = idempotencyKey(rng)
      const replies = await Promise.all([pay(s, input, { key }), pay(s, input, { key })])
      const payments = await paymentsOf(s)
      expect(payments, 'exactly one payment is created').toHaveLength(1)
      for (const res of replies) {
        // The loser of the race may wait and replay, or be told to retry later with 409.
        if (res.status === 409) {
          expect(res).toHaveJsonBody(expect.objectContaining({ error: 'request_in_progress' }))
        } else {
          expect(res).toHaveStatus(201)
          expect(res).toHaveJsonBody(payments[0])
        }
      }
      focusOn(replies[0]!)
      expect(replies.some((res) => res.status === 201), 'one of the two answers 201').toBe(true)
      // Once both are done, a retry is a plain replay (an in-progress mark must not linger).
      const retry = await pay(s, input, { key })
      expect(retry).toHaveStatus(201)
      expect(retry).toHaveJsonBody(payments[0])
      expect(retry).toHaveHeader('Idempotent-Replayed', 'true')
    })

    it('creates one payment when a retry with another body races the first attempt', async () => {
      const rng = random()
      const s = setup(rng)
      // The small body is read long before the large one: the retry overtakes the first attempt.
      const inputs = [bigInput(rng), paymentInput(rng)]
      const key = idempotencyKey(rng)
      const replies = await Promise.all(inputs.map((input) => pay(s, input, { key })))
      const payments = await paymentsOf(s)
      expect(payments, 'exactly one payment is created').toHaveLength(1)
      const winner = replies.findIndex((res) => res.status === 201)
      focusOn(replies[0]!)
      expect(winner, 'one of the two answers 201').toBeGreaterThanOrEqual(0)
      expectCreated(replies[winner]!, inputs[winner]!, s.clock)
      const loser = replies[1 - winner]!
      expect([409, 422], 'the other one gets 409 or 422').toContain(loser.status)
      expect(loser).toHaveJsonBody(
        expect.objectContaining({
          error: loser.status === 409 ? 'request_in_progress' : 'idempotency_key_reused',
        }),
      )
      expectReplay(await pay(s, inputs[winner], { key }), replies[winner]!)
      expect(await pay(s, inputs[1 - winner], { key })).toHaveStatus(422)
    })

    it('lets two clients race with the same key: each gets its own payment', async () => {
      const rng = random()
      const s = setup(rng)
      const other = clientId(rng)
      const input = bigInput(rng)
      const key = idempotencyKey(rng)
      const [mine, theirs] = await Promise.all([
        pay(s, input, { key }),
        pay(s, input, { key, from: other }),
      ])
      const a = expectCreated(mine!, input, s.clock)
      const b = expectCreated(theirs!, input, s.clock)
      await expectPayments(s, [a])
      await expectPayments(s, [b], other)
    })

    it('still takes the payment when a refused request with the same key races it', async () => {
      const rng = random()
      const s = setup(rng)
      const input = bigInput(rng)
      const refused = { ...bigInput(rng), amount: 0 }
      const key = idempotencyKey(rng)
      const [bad, good] = await Promise.all([pay(s, refused, { key }), pay(s, input, { key })])
      expect([400, 409, 422], 'the refused body gets 400 (or 409, 422)').toContain(bad!.status)
      expect([201, 409], 'the valid body gets 201 (or 409 while the other is in flight)').toContain(
        good!.status,
      )
      // Whatever the race gave, the client's retry ends with exactly one payment.
      const retry = await pay(s, input, { key })
      expect(retry).toHaveStatus(201)
      const payments = await paymentsOf(s)
      expect(payments, 'exactly one payment is created').toHaveLength(1)
      expect(retry).toHaveJsonBody(payments[0])
    })
  })
})
