// email-outbox - the hidden spec.
//
// The grader's mailer is a fake mail provider: it records every send, can fail, can hang forever
// (a worker that crashed mid-send), and dedups on idempotencyKey the way a real provider with
// idempotency keys does. Statements are failed on purpose with the database probe (failWhen),
// and "a restarted process" is a second createApp() over the same database.
//
// Wrong implementations this spec is built to catch:
// - sends the email inside POST /api/signup: awaited (the signup hangs or fails with the mailer),
//   or fire-and-forget (the mailer is called during the request, and a crash loses the email)
// - writes the user and the outbox row in two transactions or none: a failing outbox INSERT
//   leaves a user without a welcome email (the email is then taken, 409), a failing user INSERT
//   leaves an email for nobody
// - no ROLLBACK after a failed write: the connection stays in the transaction, the next signup 500s
// - a duplicate email that still queues a second welcome message, or that answers 201
// - weak validation: an email without @, with two @ or with spaces; a blank name
// - the outbox kept in memory (module level or per app): a fresh app over the same database
//   finds nothing to send, or two apps over two databases share messages
// - marks a message sent before the mailer answered, or never records the provider's messageId
// - a drain that sends already sent messages again
// - a new idempotency key per attempt or per process (randomUUID() at send time): a retry after
//   a crash reaches the provider as a second email
// - the same idempotency key for every message
// - retries at once instead of waiting retryBaseMs; waits one millisecond too long (`<` against
//   `<=`); linear instead of doubling waits; reads Date.now() instead of the injected now()
// - retries forever, or one attempt too many or too few, instead of `failed` after maxAttempts
// - a poison message that stops the drain from sending the other messages
// - no claim before sending: two drains at once (one app, or two apps over one database) send
//   the same message twice; or a claim kept in memory, which the second app cannot see
// - a claim that never expires (a crashed send is never retried), or one released when a new
//   app starts (a message still being sent by another worker is sent again at once)
// - attempts counted when a send fails instead of when it starts: a message whose last attempt
//   crashed is retried past maxAttempts
// - maxAttempts, retryBaseMs or leaseMs accepted when zero, negative, fractional (maxAttempts)
//   or not a number; maxAttempts 1 refused; a missing mailer accepted
import { describe, expect, it } from 'vitest'
import {
  build,
  client,
  database,
  fakeClock,
  focusOn,
  random,
  task,
  type Client,
  type DatabaseProbe,
  type FakeClock,
  type Reply,
  type Rng,
  type SqlDatabase,
} from '../../harness/spec-kit/index.ts'
import { createApp, type EmailMessage, type OutboxEntry } from '../../exercises/email-outbox/app.ts'

const MINUTE = 60_000
const HOUR = 60 * MINUTE
const DAY = 24 * HOUR
/** How long a check waits for the app to do something it must do, before it fails saying so. */
const PATIENCE_MS = 1500

type Outcome = 'ok' | 'fail' | 'hang' | 'deliver-then-hang' | 'gate'
type Plan = (message: EmailMessage, call: number) => Outcome

interface FakeMailer {
  mailer: { send: (message: EmailMessage) => Promise<{ messageId: string }> }
  /** Every message this mailer was asked to send, in order. */
  calls: EmailMessage[]
  /** Lets the sends that are waiting at a gate go on (they then succeed). */
  release: () => void
}

/**
 * A mail provider shared by every mailer made from it (one per app, as two processes would each
 * have a client of the same provider). It dedups on idempotencyKey: a key it has delivered is
 * answered with the first messageId and not delivered again.
 */
function provider(rng: Rng) {
  const delivered = new Map<string, string>()
  const deliveries: EmailMessage[] = []
  const calls: EmailMessage[] = []
  const listeners = new Set<() => void>()
  let ids = 0

  const deliver = (message: EmailMessage): string => {
    const key = String(message.idempotencyKey)
    const known = delivered.get(key)
    if (known !== undefined) return known
    const messageId = `pm_${++ids}_${rng.word(6, 6)}`
    delivered.set(key, messageId)
    deliveries.push(message)
    return messageId
  }

  const mailer = (plan: Plan = () => 'ok'): FakeMailer => {
    const own: EmailMessage[] = []
    const gates: (() => void)[] = []
    const send = async (message: EmailMessage) => {
      const copy = structuredClone(message)
      own.push(copy)
      calls.push(copy)
      for (const listener of [...listeners]) listener()
      const outcome = plan(copy, own.length)
      if (outcome === 'hang') return new Promise<never>(() => {})
      if (outcome === 'deliver-then-hang') {
        deliver(copy)
        return new Promise<never>(() => {})
      }
      if (outcome === 'gate') await new Promise<void>((resolve) => gates.push(resolve))
      // A real provider answers later, never in the same tick: other work gets to run meanwhile.
      await new Promise((resolve) => setImmediate(resolve))
      if (outcome === 'fail') throw new Error('421 4.3.0 mail service temporarily unavailable')
      return { messageId: deliver(copy) }
    }
    return { mailer: { send }, calls: own, release: () => gates.splice(0).forEach((open) => open()) }
  }

  /** Resolves once the provider has been asked `count` sends in all; fails saying what never came. */
  const sends = (count: number, what: string) =>
    new Promise<void>((resolve, reject) => {
      const check = () => {
        if (calls.length < count) return
        listeners.delete(check)
        clearTimeout(timer)
        resolve()
      }
      const timer = setTimeout(() => {
        listeners.delete(check)
        reject(new Error(`${what}: the worker never called mailer.send (${calls.length} sends so far)`))
      }, PATIENCE_MS)
      listeners.add(check)
      check()
    })

  return { mailer, delivered, deliveries, calls, sends }
}

type Provider = ReturnType<typeof provider>

interface Setup {
  rng: Rng
  db: SqlDatabase
  probe: DatabaseProbe
  clock: FakeClock
  mail: Provider
  /** The mailer the first app was built with. */
  mailer: FakeMailer
  api: Client
  drain: () => Promise<void>
}

interface Tuning {
  maxAttempts?: number
  retryBaseMs?: number
  leaseMs?: number
}

async function setup(plan?: Plan, tuning: Tuning = {}): Promise<Setup> {
  const rng = random()
  const { db, probe } = await database()
  const clock = fakeClock()
  clock.advance(rng.int(0, HOUR))
  const mail = provider(rng)
  const mailer = mail.mailer(plan)
  const built = build(createApp, { db, mailer: mailer.mailer, now: clock.now, ...tuning })
  return { rng, db, probe, clock, mail, mailer, api: client(built.app), drain: built.drainOutbox }
}

/** A second app over the same database: the process after a restart, or a second worker. */
function restart(s: Setup, mailer: FakeMailer, tuning: Tuning = {}) {
  const built = build(createApp, { db: s.db, mailer: mailer.mailer, now: s.clock.now, ...tuning })
  return { api: client(built.app), drain: built.drainOutbox }
}

/** Awaits a drain, failing with the learner's words if it never resolves. */
async function drained(drain: Promise<void>, what = 'drainOutbox()'): Promise<void> {
  let timer: NodeJS.Timeout | undefined
  const never = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`${what} never resolved, although every send it made has answered`)),
      PATIENCE_MS,
    )
  })
  try {
    await Promise.race([drain, never])
  } finally {
    clearTimeout(timer)
  }
}

interface NewUser {
  email: string
  name: string
}

function newUser(rng: Rng): NewUser {
  const first = rng.word(3, 8)
  return {
    email: `${first}.${rng.word(3, 7)}${rng.int(1, 99)}@${rng.word(4, 8)}.test`,
    name: `${first[0]!.toUpperCase()}${first.slice(1)} ${rng.word(4, 9)}`,
  }
}

function signup(s: { api: Client }, body: unknown): Promise<Reply> {
  return s.api.post('/api/signup', { json: body })
}

/** Signs up `user` and checks the 201. */
async function signedUp(s: { api: Client }, user: NewUser): Promise<void> {
  const res = await signup(s, user)
  expect(res, `POST /api/signup ${JSON.stringify(user)}`).toHaveStatus(201)
}

/** GET /api/outbox, checked to be a 200 with a JSON array. */
async function outbox(s: { api: Client }): Promise<OutboxEntry[]> {
  const res = await s.api.get('/api/outbox')
  expect(res).toHaveStatus(200)
  expect(res).toHaveJsonBody(expect.any(Array))
  focusOn(res)
  return res.body as OutboxEntry[]
}

/** The outbox entry for `email`, which must be the only one for that address. */
async function entryFor(s: { api: Client }, email: string): Promise<OutboxEntry> {
  const entries = (await outbox(s)).filter((e) => e.to === email)
  expect(entries, `GET /api/outbox lists exactly one message to ${email}`).toHaveLength(1)
  return entries[0]!
}

function expectEntry(entry: OutboxEntry, expected: Partial<OutboxEntry>, why: string): void {
  expect(entry, why).toEqual(expect.objectContaining(expected))
}

const welcomeTo = (user: NewUser) =>
  expect.objectContaining({
    idempotencyKey: expect.any(String),
    to: user.email,
    template: 'welcome',
    variables: { name: user.name },
  })

const keysOf = (calls: readonly EmailMessage[]) => calls.map((m) => m.idempotencyKey)
const OUTBOX_INSERT = /\bINSERT\b[\s\S]*?\bINTO\s+["'`[]?outbox\b/i
const USERS_INSERT = /\bINSERT\b[\s\S]*?\bINTO\s+["'`[]?users\b/i

/** The connection is back in autocommit mode: the app committed or rolled back. */
function expectNoOpenTransaction(probe: DatabaseProbe, why: string): void {
  let open = false
  try {
    probe.exec('BEGIN')
  } catch {
    open = true
  }
  if (!open) probe.exec('ROLLBACK')
  expect(open, `${why}: the app left its transaction open (no ROLLBACK)`).toBe(false)
}

const invalidBodies: [string, unknown][] = [
  ['the email is missing', { name: 'Ada Lovelace' }],
  ['the email has no @', { email: 'ada.example.test', name: 'Ada Lovelace' }],
  ['the email has two @', { email: 'ada@lovelace@example.test', name: 'Ada Lovelace' }],
  ['the email contains a space', { email: 'ada lovelace@example.test', name: 'Ada Lovelace' }],
  ['the email has nothing before the @', { email: '@example.test', name: 'Ada Lovelace' }],
  ['the email has nothing after the @', { email: 'ada@', name: 'Ada Lovelace' }],
  ['the email is a number', { email: 42, name: 'Ada Lovelace' }],
  ['the name is missing', { email: 'ada@example.test' }],
  ['the name is empty', { email: 'ada@example.test', name: '' }],
  ['the name is only spaces', { email: 'ada@example.test', name: '   ' }],
  ['the name is not a string', { email: 'ada@example.test', name: ['Ada'] }],
  ['the body is an array', [{ email: 'ada@example.test', name: 'Ada Lovelace' }]],
  ['the body is null', null],
]

describe('email-outbox', () => {
  task(1, 'Sign up and queue the welcome email', () => {
    it('POST /api/signup answers 201 with the new user', async () => {
      const s = await setup()
      const user = newUser(s.rng)
      const res = await signup(s, user)
      expect(res).toHaveStatus(201)
      expect(res).toHaveJsonBody(expect.objectContaining({ id: expect.anything(), ...user }))
    })

    it('answers 201 without calling the mailer, even a mailer that never answers', async () => {
      const s = await setup(() => 'hang')
      const user = newUser(s.rng)
      expect(await signup(s, user)).toHaveStatus(201)
      expect(s.mailer.calls, 'POST /api/signup never calls mailer.send: the worker sends').toEqual([])
    })

    it('answers 201 while the mailer is failing', async () => {
      const s = await setup(() => 'fail')
      expect(await signup(s, newUser(s.rng))).toHaveStatus(201)
      expect(s.mailer.calls, 'POST /api/signup never calls mailer.send: the worker sends').toEqual([])
    })

    it('queues one pending welcome email per signup, listed by GET /api/outbox oldest first', async () => {
      const s = await setup()
      expect(await outbox(s), 'the outbox starts empty').toEqual([])
      const users = Array.from({ length: s.rng.int(2, 4) }, () => newUser(s.rng))
      for (const user of users) await signedUp(s, user)
      const entries = await outbox(s)
      expect(entries).toEqual(
        users.map((user) =>
          expect.objectContaining({
            id: expect.anything(),
            to: user.email,
            template: 'welcome',
            status: 'pending',
            attempts: 0,
            messageId: null,
          }),
        ),
      )
      expect(new Set(entries.map((e) => e.id)).size, 'every message has its own id').toBe(users.length)
    })

    it('accepts a name with spaces around it and an email with + and -, kept as sent', async () => {
      const s = await setup()
      const user = { email: `${s.rng.word()}+news-${s.rng.int(1, 9)}@mail-${s.rng.word()}.test`, name: `  ${s.rng.word()} ` }
      const res = await signup(s, user)
      expect(res).toHaveStatus(201)
      expect(res).toHaveJsonBody(expect.objectContaining(user))
      expectEntry(await entryFor(s, user.email), { to: user.email, status: 'pending' }, 'the queued message')
    })

    it.each(invalidBodies)('answers 400 invalid_signup and queues nothing when %s', async (_, body) => {
      const s = await setup()
      const res = await signup(s, body)
      expect(res).toHaveStatus(400)
      expect(res).toHaveJsonBody(expect.objectContaining({ error: 'invalid_signup' }))
      expect(await outbox(s), 'nothing is queued').toEqual([])
    })

    it('answers 400 invalid_signup to a body that is not JSON', async () => {
      const s = await setup()
      const res = await s.api.post('/api/signup', {
        headers: { 'Content-Type': 'application/json' },
        body: `{"email": "${s.rng.word()}@x.test", "name": `,
      })
      expect(res).toHaveStatus(400)
      expect(res).toHaveJsonBody(expect.objectContaining({ error: 'invalid_signup' }))
    })

    it('answers 409 email_taken to a second signup with the same email, and queues no second email', async () => {
      const s = await setup()
      const user = newUser(s.rng)
      await signedUp(s, user)
      const again = await signup(s, { ...user, name: `${user.name} ${s.rng.word()}` })
      expect(again).toHaveStatus(409)
      expect(again).toHaveJsonBody(expect.objectContaining({ error: 'email_taken' }))
      expect(await outbox(s), 'one signup, one message').toHaveLength(1)
    })

    it('keeps two apps over two databases apart', async () => {
      const s = await setup()
      const other = await setup()
      const user = newUser(s.rng)
      await signedUp(s, user)
      expect(await outbox(other), 'the other app has its own, empty outbox').toEqual([])
      await signedUp(other, user)
    })
  })

  task(2, 'Write the user and its email in one transaction', () => {
    it('keeps no user when the outbox INSERT fails: 500, and the email can sign up again', async () => {
      const s = await setup()
      const user = newUser(s.rng)
      s.probe.failWhen(OUTBOX_INSERT)
      const res = await signup(s, user)
      expect(res, 'the INSERT INTO outbox failed').toHaveStatus(500)
      expectNoOpenTransaction(s.probe, 'after the failed signup')
      expect(await outbox(s), 'nothing is queued').toEqual([])
      const retry = await signup(s, user)
      expect(retry, 'the failed signup left no user behind, so the same email signs up').toHaveStatus(201)
      expectEntry(await entryFor(s, user.email), { status: 'pending', attempts: 0 }, 'the retry queued its email')
    })

    it('queues no email when the users INSERT fails: 500, and the email can sign up again', async () => {
      const s = await setup()
      const before = newUser(s.rng)
      await signedUp(s, before)
      const user = newUser(s.rng)
      s.probe.failWhen(USERS_INSERT)
      expect(await signup(s, user), 'the INSERT INTO users failed').toHaveStatus(500)
      expectNoOpenTransaction(s.probe, 'after the failed signup')
      const entries = await outbox(s)
      expect(entries.map((e) => e.to), 'only the earlier signup has an email').toEqual([before.email])
      expect(await signup(s, user), 'the same email signs up once the database works').toHaveStatus(201)
      expect((await outbox(s)).map((e) => e.to)).toEqual([before.email, user.email])
    })

    it('goes on working after a failed signup: the next signups succeed, each with its email', async () => {
      const s = await setup()
      s.probe.failWhen(s.rng.next() < 0.5 ? OUTBOX_INSERT : USERS_INSERT)
      expect(await signup(s, newUser(s.rng))).toHaveStatus(500)
      const users = [newUser(s.rng), newUser(s.rng)]
      for (const user of users) await signedUp(s, user)
      expect((await outbox(s)).map((e) => e.to)).toEqual(users.map((u) => u.email))
    })
  })

  task(3, 'Drain the outbox', () => {
    it('drainOutbox() sends each pending welcome email once and marks it sent with the messageId', async () => {
      const s = await setup()
      const users = Array.from({ length: s.rng.int(2, 3) }, () => newUser(s.rng))
      for (const user of users) await signedUp(s, user)
      await drained(s.drain())
      expect(s.mailer.calls).toHaveLength(users.length)
      for (const user of users) {
        expect(s.mailer.calls.filter((m) => m.to === user.email), `one email to ${user.email}`).toEqual([welcomeTo(user)])
        const sent = s.mailer.calls.find((m) => m.to === user.email)!
        expectEntry(
          await entryFor(s, user.email),
          { status: 'sent', attempts: 1, messageId: s.mail.delivered.get(sent.idempotencyKey) },
          'after the drain, the message is sent with the messageId the mailer returned',
        )
      }
    })

    it('gives every message its own idempotency key', async () => {
      const s = await setup()
      const users = Array.from({ length: 3 }, () => newUser(s.rng))
      for (const user of users) await signedUp(s, user)
      await drained(s.drain())
      const keys = keysOf(s.mailer.calls)
      expect(keys.every((k) => typeof k === 'string' && k !== ''), 'keys are non-empty strings').toBe(true)
      expect(new Set(keys).size, 'three messages, three keys').toBe(3)
    })

    it('never sends a sent message again', async () => {
      const s = await setup()
      await signedUp(s, newUser(s.rng))
      await drained(s.drain())
      s.clock.advance(s.rng.int(1, 48) * HOUR)
      await drained(s.drain(), 'the second drainOutbox()')
      await drained(s.drain(), 'the third drainOutbox()')
      expect(s.mailer.calls, 'one message, one send').toHaveLength(1)
    })

    it('resolves at once and sends nothing when the outbox is empty', async () => {
      const s = await setup()
      await drained(s.drain())
      expect(s.mailer.calls).toEqual([])
    })

    it('keeps the outbox in the database: a fresh app sends what is pending, never what was sent', async () => {
      const s = await setup()
      const [first, second, third] = [newUser(s.rng), newUser(s.rng), newUser(s.rng)]
      await signedUp(s, first)
      await signedUp(s, second)
      await drained(s.drain())
      await signedUp(s, third)
      const mailer = s.mail.mailer()
      const fresh = restart(s, mailer)
      await drained(fresh.drain(), "the fresh app's drainOutbox()")
      expect(mailer.calls, 'the fresh app sends only the message still pending').toEqual([welcomeTo(third)])
      expectEntry(await entryFor(fresh, third.email), { status: 'sent', attempts: 1 }, 'seen by the fresh app')
      expectEntry(await entryFor(s, first.email), { status: 'sent' }, 'the first message')
    })

    it('only marks a message sent once the mailer has answered', async () => {
      const s = await setup(() => 'gate')
      const user = newUser(s.rng)
      await signedUp(s, user)
      const drain = s.drain()
      await s.mail.sends(1, 'drainOutbox() with one pending message')
      const during = await entryFor(s, user.email)
      expect(during.status, 'while the mailer has not answered, the message is not sent yet').not.toBe('sent')
      expect(during.messageId, 'no messageId before the mailer returned one').toBeNull()
      s.mailer.release()
      await drained(drain)
      expectEntry(await entryFor(s, user.email), { status: 'sent' }, 'after the mailer answered')
    })
  })

  task(4, 'Retry with backoff, then give up', () => {
    it('keeps a failed message pending and retries it retryBaseMs later, not a millisecond sooner', async () => {
      const base = random().int(1, 30) * MINUTE + random().int(1, 999)
      const s = await setup((_, call) => (call === 1 ? 'fail' : 'ok'), { retryBaseMs: base })
      const user = newUser(s.rng)
      await signedUp(s, user)
      await drained(s.drain())
      expect(s.mailer.calls, 'the first attempt').toHaveLength(1)
      expectEntry(await entryFor(s, user.email), { status: 'pending', attempts: 1, messageId: null }, 'after a failed send')
      s.clock.advance(base - 1)
      await drained(s.drain(), `drainOutbox() ${base - 1} ms after the failure`)
      expect(s.mailer.calls, `no retry before retryBaseMs (${base} ms) has passed`).toHaveLength(1)
      s.clock.advance(1)
      await drained(s.drain(), `drainOutbox() ${base} ms after the failure`)
      expect(s.mailer.calls, `the retry, exactly retryBaseMs (${base} ms) after the failure`).toHaveLength(2)
      expect(s.mailer.calls[1], 'the retry sends the same message').toEqual(welcomeTo(user))
      expect(s.mailer.calls[1]!.idempotencyKey, 'the retry carries the same idempotency key').toBe(
        s.mailer.calls[0]!.idempotencyKey,
      )
      expectEntry(await entryFor(s, user.email), { status: 'sent', attempts: 2 }, 'after the retry succeeded')
    })

    it('doubles the wait after each failure, and marks the message failed after maxAttempts', async () => {
      const rng = random()
      const maxAttempts = rng.int(3, 6)
      const base = rng.int(1, 20) * 1000 + rng.int(0, 999)
      const s = await setup(() => 'fail', { maxAttempts, retryBaseMs: base })
      const user = newUser(s.rng)
      await signedUp(s, user)
      await drained(s.drain())
      for (let attempt = 1; attempt < maxAttempts; attempt++) {
        const wait = base * 2 ** (attempt - 1)
        s.clock.advance(wait - 1)
        await drained(s.drain())
        expect(s.mailer.calls, `attempt ${attempt + 1} waits ${wait} ms, not ${wait - 1}`).toHaveLength(attempt)
        s.clock.advance(1)
        await drained(s.drain())
        expect(s.mailer.calls, `attempt ${attempt + 1} starts ${wait} ms after attempt ${attempt} failed`).toHaveLength(
          attempt + 1,
        )
      }
      expectEntry(await entryFor(s, user.email), { status: 'failed', attempts: maxAttempts }, `after ${maxAttempts} failed attempts`)
      s.clock.advance(30 * DAY)
      await drained(s.drain())
      expect(s.mailer.calls, 'a failed message is never sent again').toHaveLength(maxAttempts)
      expect(new Set(keysOf(s.mailer.calls)).size, 'every attempt carries the same idempotency key').toBe(1)
    })

    it('with maxAttempts 1, a message fails after its first failed send', async () => {
      const s = await setup(() => 'fail', { maxAttempts: 1 })
      const user = newUser(s.rng)
      await signedUp(s, user)
      await drained(s.drain())
      expectEntry(await entryFor(s, user.email), { status: 'failed', attempts: 1 }, 'maxAttempts 1: no retry')
      s.clock.advance(DAY)
      await drained(s.drain())
      expect(s.mailer.calls).toHaveLength(1)
    })

    it('retries 5 times, 1, 2, 4 and 8 minutes apart, when maxAttempts and retryBaseMs are not given', async () => {
      const s = await setup(() => 'fail')
      const user = newUser(s.rng)
      await signedUp(s, user)
      await drained(s.drain())
      for (const [i, wait] of [MINUTE, 2 * MINUTE, 4 * MINUTE, 8 * MINUTE].entries()) {
        s.clock.advance(wait - 1)
        await drained(s.drain())
        expect(s.mailer.calls, `attempt ${i + 2} waits ${wait} ms`).toHaveLength(i + 1)
        s.clock.advance(1)
        await drained(s.drain())
        expect(s.mailer.calls, `attempt ${i + 2} starts ${wait} ms after the failure`).toHaveLength(i + 2)
      }
      expectEntry(await entryFor(s, user.email), { status: 'failed', attempts: 5 }, 'after 5 failed attempts')
      s.clock.advance(DAY)
      await drained(s.drain())
      expect(s.mailer.calls, 'no sixth attempt').toHaveLength(5)
    })

    it('sends the other messages while one keeps failing', async () => {
      const rng = random()
      const [poison, good, late] = [newUser(rng), newUser(rng), newUser(rng)]
      const s = await setup((m) => (m.to === poison.email ? 'fail' : 'ok'), { maxAttempts: 2, retryBaseMs: MINUTE })
      for (const user of rng.shuffle([poison, good])) await signedUp(s, user)
      await drained(s.drain())
      expectEntry(await entryFor(s, good.email), { status: 'sent', attempts: 1 }, 'the healthy message')
      await signedUp(s, late)
      s.clock.advance(MINUTE)
      await drained(s.drain())
      expectEntry(await entryFor(s, poison.email), { status: 'failed', attempts: 2 }, 'the poison message')
      expectEntry(await entryFor(s, late.email), { status: 'sent', attempts: 1 }, 'a message queued later')
      expect(s.mailer.calls.filter((m) => m.to === good.email), 'the healthy message is sent once').toHaveLength(1)
    })

    it('throws a RangeError when maxAttempts or retryBaseMs is not a positive number', async () => {
      const { db } = await database()
      const base = { db, mailer: { send: async () => ({ messageId: 'x' }) }, now: fakeClock().now }
      for (const maxAttempts of [0, -1, 1.5, Number.NaN]) {
        expect(() => createApp({ ...base, maxAttempts }), `maxAttempts: ${maxAttempts}`).toThrow(RangeError)
      }
      for (const retryBaseMs of [0, -1000, Number.NaN, Number.POSITIVE_INFINITY]) {
        expect(() => createApp({ ...base, retryBaseMs }), `retryBaseMs: ${retryBaseMs}`).toThrow(RangeError)
      }
      expect(() => createApp({ ...base, maxAttempts: 1, retryBaseMs: 1 }), 'maxAttempts 1, retryBaseMs 1').not.toThrow()
      expect(() => createApp({ ...base, mailer: undefined as never }), 'no mailer').toThrow()
    })
  })

  task(5, 'Claim before sending: no duplicates after a crash', () => {
    it('sends each message once when two drains run at the same time', async () => {
      const s = await setup()
      const users = Array.from({ length: 3 }, () => newUser(s.rng))
      for (const user of users) await signedUp(s, user)
      await drained(Promise.all([s.drain(), s.drain()]).then(() => undefined), 'two drainOutbox() calls')
      expect(s.mailer.calls.map((m) => m.to).sort(), 'each message is sent exactly once').toEqual(
        users.map((u) => u.email).sort(),
      )
    })

    it('sends each message once when two apps over the same database drain at the same time', async () => {
      const s = await setup()
      const users = Array.from({ length: 3 }, () => newUser(s.rng))
      for (const user of users) await signedUp(s, user)
      const second = restart(s, s.mail.mailer())
      await drained(Promise.all([s.drain(), second.drain()]).then(() => undefined), 'the two apps’ drains')
      expect(s.mail.calls.map((m) => m.to).sort(), 'each message is sent exactly once, by one of the apps').toEqual(
        users.map((u) => u.email).sort(),
      )
      for (const user of users) expectEntry(await entryFor(s, user.email), { status: 'sent', attempts: 1 }, user.email)
    })

    it('shows a message being sent as sending, with its attempt counted', async () => {
      const s = await setup(() => 'gate')
      const user = newUser(s.rng)
      await signedUp(s, user)
      const drain = s.drain()
      await s.mail.sends(1, 'drainOutbox() with one pending message')
      expectEntry(await entryFor(s, user.email), { status: 'sending', attempts: 1, messageId: null }, 'while the mailer has not answered')
      s.mailer.release()
      await drained(drain)
      expectEntry(await entryFor(s, user.email), { status: 'sent', attempts: 1 }, 'after the mailer answered')
    })

    it('retries a send that never answered (a crashed worker) leaseMs later, from a fresh app, with the same key', async () => {
      const rng = random()
      const leaseMs = rng.int(2, 30) * MINUTE + rng.int(1, 999)
      const s = await setup(() => 'hang', { leaseMs })
      const user = newUser(s.rng)
      await signedUp(s, user)
      void s.drain()
      await s.mail.sends(1, 'drainOutbox() with one pending message')
      // The first app is gone (its send never answers); a new process starts over the same db.
      const mailer = s.mail.mailer()
      const fresh = restart(s, mailer, { leaseMs })
      expectEntry(await entryFor(fresh, user.email), { status: 'sending', attempts: 1 }, 'the claim of the crashed worker')
      s.clock.advance(leaseMs - 1)
      await drained(fresh.drain(), "the fresh app's drainOutbox()")
      expect(mailer.calls, `no resend while the claim holds (${leaseMs - 1} of ${leaseMs} ms)`).toEqual([])
      s.clock.advance(1)
      await drained(fresh.drain(), "the fresh app's drainOutbox()")
      expect(mailer.calls, `resent once the claim ran out (leaseMs = ${leaseMs})`).toEqual([welcomeTo(user)])
      expect(mailer.calls[0]!.idempotencyKey, 'the retry carries the idempotency key of the first attempt').toBe(
        s.mailer.calls[0]!.idempotencyKey,
      )
      expectEntry(await entryFor(fresh, user.email), { status: 'sent', attempts: 2 }, 'after the retry')
    })

    it('delivers once when the worker crashed after the provider took the email', async () => {
      const s = await setup(() => 'deliver-then-hang')
      const user = newUser(s.rng)
      await signedUp(s, user)
      void s.drain()
      await s.mail.sends(1, 'drainOutbox() with one pending message')
      const mailer = s.mail.mailer()
      const fresh = restart(s, mailer)
      s.clock.advance(5 * MINUTE)
      await drained(fresh.drain(), "the fresh app's drainOutbox()")
      expect(mailer.calls, 'the fresh app resends the unconfirmed message').toEqual([welcomeTo(user)])
      expect(s.mail.deliveries, 'the provider dedups on the key: the email is delivered once').toHaveLength(1)
      const key = s.mailer.calls[0]!.idempotencyKey
      expectEntry(
        await entryFor(fresh, user.email),
        { status: 'sent', attempts: 2, messageId: s.mail.delivered.get(key) },
        'the message is sent, with the id of its one delivery',
      )
    })

    it('fails a message whose last attempt never answered, without sending it again', async () => {
      const s = await setup(() => 'hang', { maxAttempts: 1 })
      const user = newUser(s.rng)
      await signedUp(s, user)
      void s.drain()
      await s.mail.sends(1, 'drainOutbox() with one pending message')
      const mailer = s.mail.mailer()
      const fresh = restart(s, mailer, { maxAttempts: 1 })
      s.clock.advance(HOUR)
      await drained(fresh.drain(), "the fresh app's drainOutbox()")
      expect(mailer.calls, 'the only attempt was used by the crashed worker').toEqual([])
      expectEntry(await entryFor(fresh, user.email), { status: 'failed', attempts: 1 }, 'after its claim ran out')
    })

    it('holds a claim for 5 minutes when leaseMs is not given', async () => {
      const s = await setup(() => 'hang')
      const user = newUser(s.rng)
      await signedUp(s, user)
      void s.drain()
      await s.mail.sends(1, 'drainOutbox() with one pending message')
      const mailer = s.mail.mailer()
      const fresh = restart(s, mailer)
      s.clock.advance(5 * MINUTE - 1)
      await drained(fresh.drain())
      expect(mailer.calls, 'the claim holds for 300 000 ms').toEqual([])
      s.clock.advance(1)
      await drained(fresh.drain())
      expect(mailer.calls, 'resent 300 000 ms after the claim').toHaveLength(1)
    })

    it('throws a RangeError when leaseMs is not a positive number', async () => {
      const { db } = await database()
      const base = { db, mailer: { send: async () => ({ messageId: 'x' }) }, now: fakeClock().now }
      for (const leaseMs of [0, -1, Number.NaN]) {
        expect(() => createApp({ ...base, leaseMs }), `leaseMs: ${leaseMs}`).toThrow(RangeError)
      }
      expect(() => createApp({ ...base, leaseMs: 1 }), 'leaseMs: 1').not.toThrow()
    })
  })
})
