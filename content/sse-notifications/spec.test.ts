// sse-notifications - the hidden spec.
//
// Wrong implementations this spec is built to catch:
// - a 401 sent as a 200 event stream (an error event), without WWW-Authenticate, or no 401 at
//   all for an unknown token, an empty ?token=, another scheme or a Bearer with extra words
// - tokens looked up with `tokens[token]`, so `constructor`, `toString` or `__proto__` opens a
//   stream; the Bearer scheme compared case-sensitively; only the header read (EventSource can
//   only use ?token=) or only the query
// - no `retry:` line, or retryMs ignored; no `ready` event, ready not first, ready carrying an
//   id (it would move the client's Last-Event-ID), ready naming the token instead of the user
// - publish sent to every stream instead of the user's, or only to the user's first stream;
//   ids per user instead of one sequence per app; data not JSON; publish not returning the id
// - subscribers kept in a plain object keyed by user id, so a user named `__proto__` or
//   `constructor` breaks; state at module level, shared by two createApp() instances
// - event types not validated (a newline injects fields; Hono only throws later, inside the
//   stream), or validated after an id was used up
// - replay that resends the Last-Event-ID event itself, replays other users' events, skips the
//   reset and silently replays a gapped history, resets one event too early (off by one at
//   L = latest - bufferSize) or too late, keeps more or fewer than bufferSize events, or reads
//   ids with Number()/parseInt() so `-1`, `2.5` or `abc` resume instead of resetting
// - a reset without an id (the client would ask for the lost range again), or with another id
// - a replay or reset sent to a fresh client (no or empty Last-Event-ID)
// - heartbeats on a real setInterval instead of options.schedule, heartbeatMs ignored, the
//   default not 15000, heartbeats sent as events instead of comments, or to one stream only
// - no cleanup on disconnect: subscriberCount() never drops, the heartbeat is never cancelled,
//   or cleanup that breaks the user's other streams
// - RangeError not thrown for bad bufferSize, heartbeatMs or retryMs (or thrown for 0 / 1)
import { describe, expect, it } from 'vitest'
import {
  build,
  client,
  type EventStream,
  openEvents,
  parseChallenge,
  parseTokenList,
  random,
  type Rng,
  serve,
  type Served,
  type SseEvent,
  task,
  until,
} from '../../harness/spec-kit/index.ts'
import {
  createApp,
  type NotificationsApp,
  type NotificationsOptions,
} from '../../exercises/sse-notifications/app.ts'

const STREAM = '/api/notifications/stream'
/** How long a check waits for an event, a comment or a cleanup before it fails. */
const WAIT_MS = 1500
const TYPES = ['order.shipped', 'order.paid', 'comment.added', 'invoice_due', 'mention', 'build-failed']

interface Timer {
  beat: () => void
  everyMs: number
  cancelled: boolean
}

/** A `schedule` that never fires on its own: the spec fires its beats by hand. */
function fakeSchedule() {
  const timers: Timer[] = []
  function schedule(beat: () => void, everyMs: number) {
    const timer: Timer = { beat, everyMs, cancelled: false }
    timers.push(timer)
    return () => {
      timer.cancelled = true
    }
  }
  const active = () => timers.filter((t) => !t.cancelled)
  return {
    schedule,
    timers,
    active,
    /** One heartbeat: every beat not cancelled is called once. */
    fire: () => {
      for (const t of active()) t.beat()
    },
  }
}

interface User {
  id: string
  tokens: string[]
}

interface Setup {
  n: NotificationsApp
  served: Served
  /** Three users; the first has two tokens (two devices). */
  users: [User, User, User]
  timers: ReturnType<typeof fakeSchedule>
}

function userIds(rng: Rng, count: number): string[] {
  const ids = new Set<string>()
  while (ids.size < count) ids.add(`${rng.word(3, 7)}-${rng.int(10, 99)}`)
  return [...ids]
}

function tokenFor(rng: Rng, taken: Set<string>): string {
  let token: string
  do token = `tok_${rng.word(10, 14)}`
  while (taken.has(token))
  taken.add(token)
  return token
}

async function setup(rng: Rng, extra: Partial<NotificationsOptions> = {}, ids?: string[]): Promise<Setup> {
  const taken = new Set<string>()
  const [a, b, c] = (ids ?? userIds(rng, 3)).map((id) => ({ id, tokens: [tokenFor(rng, taken)] }))
  a!.tokens.push(tokenFor(rng, taken))
  const users = [a!, b!, c!] as [User, User, User]
  const tokens = Object.fromEntries(users.flatMap((u) => u.tokens.map((t) => [t, u.id])))
  const timers = fakeSchedule()
  const n = build(createApp, { tokens, schedule: timers.schedule, ...extra })
  return { n, served: await serve(n.app), users, timers }
}

interface OpenOptions {
  via?: 'header' | 'query'
  scheme?: string
  lastEventId?: string
}

/** Opens a stream with a valid token and checks that it is one. */
async function open(s: Setup, token: string, options: OpenOptions = {}): Promise<EventStream> {
  const headers: Record<string, string> = {}
  if ((options.via ?? 'header') === 'header') headers['Authorization'] = `${options.scheme ?? 'Bearer'} ${token}`
  if (options.lastEventId !== undefined) headers['Last-Event-ID'] = options.lastEventId
  const path = options.via === 'query' ? `${STREAM}?token=${encodeURIComponent(token)}` : STREAM
  const events = await openEvents(s.served, path, { headers, timeoutMs: WAIT_MS })
  expect(events.status, `GET ${path} with a valid token answers 200`).toBe(200)
  expect(events.headers['content-type'], 'the response is an event stream').toMatch(/^text\/event-stream\b/i)
  return events
}

/** Reads the stream up to its `ready` event and returns the events sent before it. */
async function untilReady(events: EventStream): Promise<SseEvent[]> {
  const before: SseEvent[] = []
  for (;;) {
    const event = await events.next('the ready event')
    if (event.type === 'ready') return before
    before.push(event)
    if (before.length > 300) throw new Error('the server sent 300 events and never a ready event')
  }
}

/** Opens a stream and reads it up to `ready`: from here on, everything published must arrive. */
async function connected(s: Setup, token: string, options: OpenOptions = {}) {
  const events = await open(s, token, options)
  const preamble = await untilReady(events)
  return { events, preamble }
}

function parseData(event: SseEvent): unknown {
  try {
    return JSON.parse(event.data)
  } catch {
    return `(not JSON) ${event.data}`
  }
}

interface Published {
  id: string
  userId: string
  type: string
  data: unknown
}

/** An event as the spec compares it: what a client's EventSource would see. */
function seen(event: SseEvent) {
  return { id: event.hasId ? event.lastEventId : '(no id field)', type: event.type, data: parseData(event) }
}

function expected(p: Published) {
  return { id: p.id, type: p.type, data: p.data }
}

function payload(rng: Rng): unknown {
  return {
    ref: `r-${rng.int(1000, 9999)}`,
    note: `${rng.word()} ${rng.word()}\n${rng.word()}`,
    qty: rng.int(1, 50),
    tags: [rng.word(), rng.word()],
    nested: { ok: rng.next() < 0.5, at: null },
  }
}

function publish(s: Setup, rng: Rng, userId: string): Published {
  const type = rng.pick(TYPES)
  const data = payload(rng)
  const id = s.n.publish(userId, type, data)
  return { id, userId, type, data }
}

/** Reads `count` events and compares them with what was published. */
async function expectEvents(events: EventStream, published: Published[], what: string): Promise<void> {
  const got: SseEvent[] = []
  for (const p of published) got.push(await events.next(`${what}: event ${p.id} (${p.type})`))
  expect(got.map(seen), what).toEqual(published.map(expected))
}

async function expectUnauthorized(s: Setup, path: string, headers: Record<string, string> = {}): Promise<void> {
  const res = await client(s.served).get(path, { headers })
  expect(res).toHaveStatus(401)
  expect(res).toHaveHeader('WWW-Authenticate')
  expect(parseChallenge(res.headers['www-authenticate']!)?.scheme.toLowerCase(), 'WWW-Authenticate names the Bearer scheme').toBe('bearer')
  expect(res).toHaveJsonBody(expect.objectContaining({ error: 'unauthorized' }))
}

describe('sse-notifications', () => {
  task(1, 'Open an authenticated event stream', () => {
    it('answers 200 text/event-stream with Cache-Control: no-cache to a valid Bearer token', async () => {
      const s = await setup(random())
      const events = await open(s, s.users[1].tokens[0]!)
      expect(parseTokenList(events.headers['cache-control']), 'the Cache-Control directives').toContain('NO-CACHE')
    })

    it('starts with retry: 3000 and a ready event that names the user and has no id', async () => {
      const s = await setup(random())
      const user = s.users[1]
      const events = await open(s, user.tokens[0]!)
      const first = await events.next('the ready event')
      expect(first.type, 'the first event is of type ready').toBe('ready')
      expect(parseData(first), 'ready carries the user id, not the token').toEqual({ userId: user.id })
      expect(first.hasId, 'ready has no id field').toBe(false)
      expect(first.lastEventId, 'no id has been sent before ready on a fresh stream').toBe('')
      expect(events.retry, 'the retry: line, in ms').toBe(3000)
    })

    it('sends the retry: of the retryMs option, 0 included', async () => {
      const rng = random()
      for (const retryMs of [rng.int(1, 60) * 250, 0]) {
        const s = await setup(rng, { retryMs })
        const events = await open(s, s.users[0].tokens[0]!)
        await untilReady(events)
        expect(events.retry, `retry: with retryMs ${retryMs}`).toBe(retryMs)
      }
    })

    it('takes the token from ?token= when there is no Authorization header', async () => {
      const s = await setup(random())
      const user = s.users[2]
      const events = await open(s, user.tokens[0]!, { via: 'query' })
      const first = await events.next('the ready event')
      expect({ type: first.type, data: parseData(first) }).toEqual({ type: 'ready', data: { userId: user.id } })
    })

    it('accepts the Bearer scheme in any letter case', async () => {
      const s = await setup(random())
      for (const scheme of ['bearer', 'BEARER', 'bEaReR']) {
        const events = await open(s, s.users[1].tokens[0]!, { scheme })
        expect((await events.next('the ready event')).type, `Authorization: ${scheme} <token>`).toBe('ready')
        events.close()
      }
    })

    it('opens a stream of the same user for each of their tokens', async () => {
      const s = await setup(random())
      const user = s.users[0]
      for (const token of user.tokens) {
        const first = await (await open(s, token)).next('the ready event')
        expect({ type: first.type, data: parseData(first) }).toEqual({ type: 'ready', data: { userId: user.id } })
      }
    })

    it('answers 401 with WWW-Authenticate: Bearer to a request without a token', async () => {
      const s = await setup(random())
      await expectUnauthorized(s, STREAM)
    })

    it('answers 401 to an unknown token, in the header or the query', async () => {
      const rng = random()
      const s = await setup(rng)
      const real = s.users[0].tokens[0]!
      await expectUnauthorized(s, STREAM, { Authorization: `Bearer tok_${rng.word(10, 14)}` })
      await expectUnauthorized(s, `${STREAM}?token=tok_${rng.word(10, 14)}`)
      await expectUnauthorized(s, STREAM, { Authorization: `Bearer ${real.slice(0, -1)}` })
      await expectUnauthorized(s, `${STREAM}?token=${real.toUpperCase()}`)
    })

    it('answers 401 to an empty ?token=, another scheme, or a Bearer with more words', async () => {
      const s = await setup(random())
      const real = s.users[1].tokens[0]!
      await expectUnauthorized(s, `${STREAM}?token=`)
      await expectUnauthorized(s, STREAM, { Authorization: `Basic ${real}` })
      await expectUnauthorized(s, STREAM, { Authorization: `Bearer ${real} extra` })
      await expectUnauthorized(s, STREAM, { Authorization: real })
    })

    it.each(['constructor', '__proto__', 'toString', 'hasOwnProperty'])(
      'answers 401 to the token "%s", which tokens only inherits',
      async (name) => {
        const s = await setup(random())
        await expectUnauthorized(s, STREAM, { Authorization: `Bearer ${name}` })
        await expectUnauthorized(s, `${STREAM}?token=${name}`)
      },
    )

    it('throws a RangeError when retryMs is negative or not an integer', () => {
      const tokens = { t: 'u' }
      for (const retryMs of [-1, 2.5, Number.NaN]) {
        expect(() => createApp({ tokens, retryMs }), `retryMs: ${retryMs}`).toThrow(RangeError)
      }
      expect(() => createApp({ tokens, retryMs: 0 }), 'retryMs: 0 is fine').not.toThrow()
    })
  })

  task(2, 'Deliver each event to its user', () => {
    it('returns "1", "2", "3"... from publish and streams each event with its id, type and JSON data', async () => {
      const rng = random()
      const s = await setup(rng)
      const user = s.users[1]
      const { events } = await connected(s, user.tokens[0]!)
      const published = Array.from({ length: rng.int(2, 5) }, () => publish(s, rng, user.id))
      expect(published.map((p) => p.id), 'the ids publish returned').toEqual(published.map((_, i) => String(i + 1)))
      await expectEvents(events, published, 'the published events')
    })

    it('sends each event only to the streams of its user, ids shared by all users', async () => {
      const rng = random()
      const s = await setup(rng)
      const [a, b, c] = s.users
      const streamA = (await connected(s, a.tokens[0]!)).events
      const streamB = (await connected(s, b.tokens[1 % b.tokens.length]!, { via: 'query' })).events
      const published: Published[] = []
      // c has no stream: its events go nowhere, but still take an id.
      const order = rng.shuffle([a, a, b, b, c, c, rng.pick([a, b, c])])
      for (const u of order) published.push(publish(s, rng, u.id))
      expect(published.map((p) => p.id), 'one id sequence for all users').toEqual(published.map((_, i) => String(i + 1)))
      // A last event for each: everything a stream received before it is on the table.
      published.push(publish(s, rng, a.id), publish(s, rng, b.id))
      await expectEvents(streamA, published.filter((p) => p.userId === a.id), `${a.id}'s stream`)
      await expectEvents(streamB, published.filter((p) => p.userId === b.id), `${b.id}'s stream`)
    })

    it('sends the event to every open stream of the user', async () => {
      const rng = random()
      const s = await setup(rng)
      const user = s.users[0]
      const streams = [
        (await connected(s, user.tokens[0]!)).events,
        (await connected(s, user.tokens[1]!)).events,
        (await connected(s, user.tokens[0]!, { via: 'query' })).events,
      ]
      const published = [publish(s, rng, user.id), publish(s, rng, user.id)]
      for (const [i, events] of streams.entries()) await expectEvents(events, published, `stream ${i + 1} of ${user.id}`)
    })

    it('treats user ids such as "constructor" and "__proto__" like any other', async () => {
      const rng = random()
      const s = await setup(rng, {}, ['constructor', '__proto__', rng.word()])
      const [a, b] = s.users
      const streamA = (await connected(s, a.tokens[0]!)).events
      const streamB = (await connected(s, b.tokens[0]!)).events
      const nobody = s.n.publish('toString', 'mention', { x: 1 })
      const published = [publish(s, rng, b.id), publish(s, rng, a.id), publish(s, rng, b.id)]
      expect(nobody, 'publish to a user with no stream still returns its id').toBe('1')
      await expectEvents(streamA, published.filter((p) => p.userId === a.id), 'the stream of "constructor"')
      await expectEvents(streamB, published.filter((p) => p.userId === b.id), 'the stream of "__proto__"')
    })

    it('throws a TypeError for an invalid event type, sends nothing and uses up no id', async () => {
      const rng = random()
      const s = await setup(rng)
      const user = s.users[1]
      const { events } = await connected(s, user.tokens[0]!)
      const invalid = ['', 'two words', 'order\ndata: {"admin":true}', 'x\r', 'y'.repeat(65), 'caf\u00e9', 'a:b']
      for (const type of invalid) {
        expect(() => s.n.publish(user.id, type, { n: 1 }), `publish with type ${JSON.stringify(type)}`).toThrow(TypeError)
      }
      const published: Published[] = []
      for (const type of ['z'.repeat(64), 'A.b_c-9', rng.pick(TYPES)]) {
        const data = payload(rng)
        published.push({ id: s.n.publish(user.id, type, data), userId: user.id, type, data })
      }
      expect(published.map((p) => p.id), 'the refused publishes used up no id').toEqual(['1', '2', '3'])
      await expectEvents(events, published, 'the valid events only')
    })

    it('keeps each app separate: its own ids and its own streams', async () => {
      const rng = random()
      const s1 = await setup(rng)
      const ids = s1.users.map((u) => u.id)
      const s2 = await setup(rng, {}, ids)
      const user = s1.users[1].id
      const first = (await connected(s1, s1.users[1].tokens[0]!)).events
      const second = (await connected(s2, s2.users[1].tokens[0]!)).events
      const inFirst = [publish(s1, rng, user), publish(s1, rng, user), publish(s1, rng, user)]
      const inSecond = [publish(s2, rng, user)]
      expect(inSecond[0]!.id, "the second app's first event id").toBe('1')
      inSecond.push(publish(s2, rng, user))
      await expectEvents(second, inSecond, "the second app's stream")
      await expectEvents(first, inFirst, "the first app's stream")
    })
  })

  task(3, 'Replay missed events from Last-Event-ID', () => {
    /** Publishes `count` events, each for a user drawn from `users`. */
    function history(s: Setup, rng: Rng, count: number, users: User[]): Published[] {
      return Array.from({ length: count }, () => publish(s, rng, rng.pick(users).id))
    }

    it("replays the user's events after Last-Event-ID before ready, then goes on live", async () => {
      const rng = random()
      const s = await setup(rng)
      const [a, b] = s.users
      const past = history(s, rng, rng.int(3, 6), [a, b])
      past.push(publish(s, rng, a.id))
      const mine = past.filter((p) => p.userId === a.id)
      const last = rng.pick(mine.slice(0, -1).length ? mine.slice(0, -1) : mine)
      past.push(...history(s, rng, rng.int(2, 5), [a, b]), publish(s, rng, a.id))
      const { events, preamble } = await connected(s, a.tokens[0]!, { lastEventId: last.id })
      const missed = past.filter((p) => p.userId === a.id && Number(p.id) > Number(last.id))
      expect(preamble.map(seen), `the events replayed for Last-Event-ID: ${last.id}`).toEqual(missed.map(expected))
      const live = [publish(s, rng, a.id)]
      await expectEvents(events, live, 'a live event after the replay')
    })

    it('replays nothing when Last-Event-ID is the newest event', async () => {
      const rng = random()
      const s = await setup(rng)
      const [a, b] = s.users
      const past = history(s, rng, rng.int(2, 5), [a, b])
      const { events, preamble } = await connected(s, a.tokens[1]!, { lastEventId: past.at(-1)!.id })
      expect(preamble.map(seen), 'events before ready').toEqual([])
      await expectEvents(events, [publish(s, rng, a.id)], 'a live event')
    })

    it('replays every kept event of the user for Last-Event-ID: 0', async () => {
      const rng = random()
      const s = await setup(rng, { bufferSize: rng.int(12, 40) })
      const [a, b, c] = s.users
      const past = history(s, rng, rng.int(4, 10), [a, b, c])
      const { preamble } = await connected(s, b.tokens[0]!, { lastEventId: '0' })
      expect(preamble.map(seen), 'the events replayed for Last-Event-ID: 0').toEqual(
        past.filter((p) => p.userId === b.id).map(expected),
      )
    })

    it('resumes from the oldest position still kept: Last-Event-ID = latest - bufferSize', async () => {
      const rng = random()
      const bufferSize = rng.int(2, 6)
      const s = await setup(rng, { bufferSize })
      const [a, b] = s.users
      const past = history(s, rng, rng.int(1, 4), [a, b])
      // The oldest kept event is a's, so a buffer one event short drops it from the replay.
      past.push(publish(s, rng, a.id), ...history(s, rng, bufferSize - 1, [a, b]))
      const latest = past.length
      const lastEventId = String(latest - bufferSize)
      const { preamble } = await connected(s, a.tokens[0]!, { lastEventId })
      const missed = past.filter((p) => p.userId === a.id && Number(p.id) > latest - bufferSize)
      expect(preamble.map(seen), `bufferSize ${bufferSize}, latest ${latest}: replay for Last-Event-ID: ${lastEventId}`).toEqual(
        missed.map(expected),
      )
    })

    it('sends a reset with the newest id when Last-Event-ID is one older than that', async () => {
      const rng = random()
      const bufferSize = rng.int(1, 6)
      const s = await setup(rng, { bufferSize })
      const [a, b] = s.users
      const past = history(s, rng, bufferSize + rng.int(1, 5), [a, b, a])
      const latest = past.length
      const lastEventId = String(latest - bufferSize - 1)
      const { events, preamble } = await connected(s, a.tokens[0]!, { lastEventId })
      const what = `bufferSize ${bufferSize}, latest ${latest}: the events before ready for Last-Event-ID: ${lastEventId}`
      expect(preamble.map((e) => ({ type: e.type, id: e.hasId ? e.lastEventId : '(no id field)' })), what).toEqual([
        { type: 'reset', id: String(latest) },
      ])
      expect(parseData(preamble[0]!), 'the reset data is JSON').not.toEqual(expect.stringMatching(/^\(not JSON\)/))
      await expectEvents(events, [publish(s, rng, a.id)], 'a live event after the reset')
    })

    it("resumes with nothing to replay from a reset's id", async () => {
      const rng = random()
      const bufferSize = rng.int(1, 4)
      const s = await setup(rng, { bufferSize })
      const [a] = s.users
      history(s, rng, bufferSize + 2, [a])
      const first = await connected(s, a.tokens[0]!, { lastEventId: '0' })
      expect(first.preamble.map((e) => e.type), 'a gapped history is a reset').toEqual(['reset'])
      first.events.close()
      const again = await connected(s, a.tokens[0]!, { lastEventId: first.preamble[0]!.lastEventId })
      expect(again.preamble.map(seen), "events before ready when resuming from the reset's id").toEqual([])
    })

    it('sends a reset when Last-Event-ID is newer than every event', async () => {
      const rng = random()
      const s = await setup(rng)
      const [a, b] = s.users
      const none = await connected(s, a.tokens[0]!, { lastEventId: String(rng.int(1, 9)) })
      expect(none.preamble.map((e) => ({ type: e.type, id: e.lastEventId })), 'nothing published yet').toEqual([
        { type: 'reset', id: '0' },
      ])
      const past = history(s, rng, rng.int(2, 5), [a, b])
      const ahead = await connected(s, a.tokens[1]!, { lastEventId: String(past.length + 1) })
      expect(ahead.preamble.map((e) => ({ type: e.type, id: e.lastEventId })), `latest is ${past.length}`).toEqual([
        { type: 'reset', id: String(past.length) },
      ])
    })

    // Number() and parseInt() read every one of these as an id this app could have written.
    it.each(['abc', '-1', '2.5', '02', '+2', '2e0', '0x2'])('sends a reset for Last-Event-ID: %s, which is not an id', async (lastEventId) => {
      const rng = random()
      const s = await setup(rng)
      const [a] = s.users
      const past = history(s, rng, rng.int(4, 8), [a])
      const { preamble } = await connected(s, a.tokens[0]!, { lastEventId })
      expect(preamble.map((e) => ({ type: e.type, id: e.lastEventId })), 'the events before ready').toEqual([
        { type: 'reset', id: String(past.length) },
      ])
    })

    it('sends neither replay nor reset to a stream with no or an empty Last-Event-ID', async () => {
      const rng = random()
      const s = await setup(rng)
      const [a] = s.users
      history(s, rng, rng.int(2, 5), [a])
      for (const options of [{}, { lastEventId: '' }]) {
        const { preamble } = await connected(s, a.tokens[0]!, options)
        expect(preamble.map(seen), `events before ready with ${JSON.stringify(options)}`).toEqual([])
      }
    })

    it('keeps the history of each app apart', async () => {
      const rng = random()
      const s1 = await setup(rng)
      const s2 = await setup(rng, {}, s1.users.map((u) => u.id))
      history(s1, rng, 4, [s1.users[0]])
      const mine = [publish(s2, rng, s2.users[0].id)]
      const { preamble } = await connected(s2, s2.users[0].tokens[0]!, { lastEventId: '0' })
      expect(preamble.map(seen), "the second app replays only its own events").toEqual(mine.map(expected))
    })

    it('throws a RangeError when bufferSize is not an integer >= 1', () => {
      const tokens = { t: 'u' }
      for (const bufferSize of [0, -3, 2.5, Number.NaN]) {
        expect(() => createApp({ tokens, bufferSize }), `bufferSize: ${bufferSize}`).toThrow(RangeError)
      }
      expect(() => createApp({ tokens, bufferSize: 1 }), 'bufferSize: 1 is fine').not.toThrow()
    })
  })

  task(4, 'Send heartbeats on the injected schedule', () => {
    it('schedules the heartbeat of an open stream every heartbeatMs', async () => {
      const rng = random()
      const heartbeatMs = rng.int(2, 120) * 500
      const s = await setup(rng, { heartbeatMs })
      await connected(s, s.users[0].tokens[0]!)
      expect(s.timers.active().length, 'heartbeats scheduled while a stream is open').toBeGreaterThanOrEqual(1)
      expect(s.timers.timers.map((t) => t.everyMs), 'the intervals handed to schedule').toEqual(s.timers.timers.map(() => heartbeatMs))
    })

    it('uses 15000 ms when heartbeatMs is not given', async () => {
      const s = await setup(random())
      await connected(s, s.users[1].tokens[0]!)
      expect(s.timers.active().length, 'heartbeats scheduled while a stream is open').toBeGreaterThanOrEqual(1)
      expect(s.timers.timers.map((t) => t.everyMs), 'the intervals handed to schedule').toEqual(s.timers.timers.map(() => 15_000))
    })

    it('sends a comment on every open stream each time the heartbeat fires', async () => {
      const rng = random()
      const s = await setup(rng)
      const streams = [
        (await connected(s, s.users[0].tokens[0]!)).events,
        (await connected(s, s.users[1].tokens[0]!)).events,
        (await connected(s, s.users[0].tokens[1]!)).events,
      ]
      const before = streams.map((e) => e.comments.length)
      const beats = rng.int(2, 4)
      for (let i = 0; i < beats; i++) s.timers.fire()
      for (const [i, events] of streams.entries()) {
        await until(
          () => events.comments.length >= before[i]! + beats,
          () => `the heartbeat fired ${beats} times, but stream ${i + 1} received ${events.comments.length - before[i]!} comment lines`,
        )
      }
    })

    it('sends heartbeats as comments, never as events', async () => {
      const rng = random()
      const s = await setup(rng)
      const user = s.users[2]
      const { events } = await connected(s, user.tokens[0]!)
      const before = events.comments.length
      s.timers.fire()
      s.timers.fire()
      await until(() => events.comments.length >= before + 2, () => 'the heartbeat fired twice, but no comment line arrived')
      await expectEvents(events, [publish(s, rng, user.id)], 'the next event after two heartbeats')
    })

    it('throws a RangeError when heartbeatMs is not an integer >= 1', () => {
      const tokens = { t: 'u' }
      for (const heartbeatMs of [0, -1000, 1.5, Number.NaN]) {
        expect(() => createApp({ tokens, heartbeatMs }), `heartbeatMs: ${heartbeatMs}`).toThrow(RangeError)
      }
      expect(() => createApp({ tokens, heartbeatMs: 1 }), 'heartbeatMs: 1 is fine').not.toThrow()
    })
  })

  task(5, 'Clean up when a client goes away', () => {
    it('counts the open streams in subscriberCount(), and a 401 does not count', async () => {
      const s = await setup(random())
      expect(s.n.subscriberCount(), 'before any stream').toBe(0)
      const tokens = [s.users[0].tokens[0]!, s.users[1].tokens[0]!, s.users[0].tokens[1]!]
      for (const [i, token] of tokens.entries()) {
        await connected(s, token)
        expect(s.n.subscriberCount(), `with ${i + 1} streams open`).toBe(i + 1)
      }
      await expectUnauthorized(s, `${STREAM}?token=nobody`)
      expect(s.n.subscriberCount(), 'after a refused request').toBe(3)
    })

    it('lowers subscriberCount() when a client disconnects', async () => {
      const s = await setup(random())
      const streams = [
        (await connected(s, s.users[0].tokens[0]!)).events,
        (await connected(s, s.users[1].tokens[0]!)).events,
        (await connected(s, s.users[0].tokens[0]!)).events,
      ]
      for (const [i, events] of streams.entries()) {
        events.close()
        const left = streams.length - i - 1
        await until(() => s.n.subscriberCount() === left, () => `${i + 1} of 3 clients disconnected, but subscriberCount() returns ${s.n.subscriberCount()}, not ${left}`)
      }
    })

    it('cancels the heartbeat of every stream whose client disconnected', async () => {
      const s = await setup(random())
      const streams = [(await connected(s, s.users[0].tokens[0]!)).events, (await connected(s, s.users[1].tokens[0]!)).events]
      for (const events of streams) events.close()
      await until(
        () => s.timers.active().length === 0,
        () => `every client disconnected, but ${s.timers.active().length} heartbeat(s) are still scheduled`,
      )
    })

    it('keeps serving the other streams after one closes', async () => {
      const rng = random()
      const s = await setup(rng)
      const [a, b] = s.users
      const closing = (await connected(s, a.tokens[0]!)).events
      const sibling = (await connected(s, a.tokens[1]!)).events
      const other = (await connected(s, b.tokens[0]!)).events
      closing.close()
      await until(() => s.n.subscriberCount() === 2, () => `one client of three disconnected, but subscriberCount() returns ${s.n.subscriberCount()}`)
      const forA = [publish(s, rng, a.id)]
      const forB = [publish(s, rng, b.id)]
      await expectEvents(sibling, forA, `the other stream of ${a.id}`)
      await expectEvents(other, forB, `the stream of ${b.id}`)
      const before = [sibling.comments.length, other.comments.length]
      s.timers.fire()
      await until(
        () => sibling.comments.length > before[0]! && other.comments.length > before[1]!,
        () => 'the heartbeat fired after one stream closed, but the open streams got no comment',
      )
    })

    it('keeps the events published while a user was away for the replay', async () => {
      const rng = random()
      const s = await setup(rng)
      const [a] = s.users
      const first = await connected(s, a.tokens[0]!)
      const seenLive = publish(s, rng, a.id)
      await expectEvents(first.events, [seenLive], 'a live event')
      first.events.close()
      await until(() => s.n.subscriberCount() === 0, () => `the client disconnected, but subscriberCount() returns ${s.n.subscriberCount()}`)
      const missed = [publish(s, rng, a.id), publish(s, rng, a.id)]
      const again = await connected(s, a.tokens[1]!, { lastEventId: seenLive.id })
      expect(again.preamble.map(seen), 'the events replayed on reconnecting').toEqual(missed.map(expected))
    })

    it('counts the streams of each app separately', async () => {
      const rng = random()
      const s1 = await setup(rng)
      const s2 = await setup(rng)
      await connected(s1, s1.users[0].tokens[0]!)
      await connected(s1, s1.users[1].tokens[0]!)
      expect(s2.n.subscriberCount(), 'the second app has no stream').toBe(0)
      expect(s1.n.subscriberCount(), 'the first app has two').toBe(2)
    })
  })
})
