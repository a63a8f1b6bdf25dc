// websocket-chat - the hidden spec.
//
// Wrong implementations this spec is built to catch:
// - the upgrade accepted without a token, with an unknown one, with a name `tokens` only
//   inherits (`constructor`, `toString`), with another scheme; the token read only from the
//   header (a browser WebSocket can only use ?token=) or only from the query; the Bearer scheme
//   compared case-sensitively
// - refusals that come after the upgrade (accept, then close) instead of a 401/404 before it;
//   no 426 for a plain GET; checks in another order (a bad room name answered 401)
// - room names not checked, or kept in a plain object so `__proto__` / `constructor` break
// - no welcome frame, or welcome naming the token instead of the user
// - broadcast to every connection of the app instead of the room, to the other connections but
//   not the sender, or to one connection per user; rooms shared by two createApp() instances
// - the author taken from the frame (`"user": "admin"`) instead of the token
// - seq counted per room or per app instead of per connection, or counting every frame type
// - bad frames that close the connection, crash the handler (JSON.parse without a guard), are
//   broadcast, or are answered to everyone; limits off by one (500 refused, 501 accepted);
//   zod schemas that accept a number as text or a fractional / negative / string ack seq
// - presence per connection: a second tab sends a second join, closing one tab sends leave; a
//   join sent to the new connection itself; no leave on close; who listing a user twice,
//   unsorted, without the sender, or across rooms
// - no slow-consumer limit; the limit checked after sending (the message that did not fit
//   still goes out), off by one (dropped at exactly maxUnacked); another close code, or a close
//   without leaving the room (no leave for the others); acks not cumulative, an ack lower than
//   an earlier one moving the window back, an ack beyond the last seq accepted (a client could
//   switch the limit off); maxUnacked ignored, its default not 100, bad values accepted
import { describe, expect, it } from 'vitest'
import {
  build,
  client,
  connect,
  parseChallenge,
  parseTokenList,
  random,
  serve,
  task,
  UpgradeRefused,
  type Frame,
  type Rng,
  type Served,
  type TestSocket,
} from '../../harness/spec-kit/index.ts'
import { createApp, type ChatOptions } from '../../exercises/websocket-chat/app.ts'

/** How long a check waits for a frame, a close or the server's cleanup before it fails. */
const WAIT_MS = 1500

interface User {
  id: string
  tokens: string[]
}

interface Setup {
  served: Served
  /** Four users; the first has two tokens. */
  users: [User, User, User, User]
}

type Json = Record<string, unknown>

function words(rng: Rng, count: number, make: () => string): string[] {
  const out = new Set<string>()
  while (out.size < count) out.add(make())
  return [...out]
}

async function setup(rng: Rng, extra: Partial<ChatOptions> = {}, ids?: string[]): Promise<Setup> {
  const userIds = ids ?? words(rng, 4, () => `${rng.word(3, 7)}-${rng.int(10, 99)}`)
  const tokens = words(rng, 5, () => `tok_${rng.word(10, 14)}`)
  const users = userIds.map((id, i) => ({ id, tokens: [tokens[i]!] })) as Setup['users']
  users[0].tokens.push(tokens[4]!)
  const table = Object.fromEntries(users.flatMap((u) => u.tokens.map((t) => [t, u.id])))
  const { app, injectWebSocket } = build(createApp, { tokens: table, ...extra })
  return { served: await serve(app, { attach: injectWebSocket }), users }
}

function roomName(rng: Rng): string {
  return `${rng.pick(['lobby', 'ops', 'random', 'team'])}-${rng.word(3, 6)}`
}

interface JoinOptions {
  via?: 'query' | 'header'
  scheme?: string
}

/** Opens a connection to a room and reads its welcome: from here on it is in the room. */
async function join(s: Setup, token: string, room: string, user: string, options: JoinOptions = {}): Promise<TestSocket> {
  const headers: Record<string, string> = {}
  let path = `/ws/rooms/${room}`
  if ((options.via ?? 'query') === 'query') path += `?token=${encodeURIComponent(token)}`
  else headers['Authorization'] = `${options.scheme ?? 'Bearer'} ${token}`
  const ws = await connect(s.served, path, { headers, timeoutMs: WAIT_MS })
  const first = await ws.next('the welcome frame')
  expect(first.json, 'the first frame of a connection').toEqual(expect.objectContaining({ type: 'welcome', room, user }))
  return ws
}

function json(frame: Frame): Json {
  return frame.json !== null && typeof frame.json === 'object' ? (frame.json as Json) : { '(not a JSON object)': frame.text }
}

const PRESENCE = new Set(['join', 'leave'])

/** The next frame that is not a join or leave (tasks before presence ignore those). */
async function nextChat(ws: TestSocket, what: string): Promise<Json> {
  for (;;) {
    const frame = json(await ws.next(what))
    if (!PRESENCE.has(frame['type'] as string)) return frame
  }
}

/** Reads frames until one has `type`, and returns it. */
async function untilType(ws: TestSocket, type: string, what: string): Promise<Json> {
  for (let i = 0; i < 1000; i++) {
    const frame = json(await ws.next(what))
    if (frame['type'] === type) return frame
  }
  throw new Error(`the server sent 1000 frames and never ${what}`)
}

/** Sends `who` and waits for the answer: every frame this connection sent before is handled. */
async function who(ws: TestSocket, what = 'the answer to who'): Promise<Json> {
  ws.send({ type: 'who' })
  return untilType(ws, 'who', what)
}

/** A message frame as the README defines it (server frames may carry more fields). */
function message(room: string, user: string, text: string, seq: number): unknown {
  return expect.objectContaining({ type: 'message', room, user, text, seq })
}

/** Sends a say and waits for the sender's own copy of it. */
async function say(ws: TestSocket, text: string): Promise<Json> {
  ws.send({ type: 'say', text })
  return nextChat(ws, `the sender's own copy of "${text.slice(0, 40)}"`)
}

function messagesIn(ws: TestSocket): Json[] {
  return ws.received.map(json).filter((f) => f['type'] === 'message')
}

/** Tries to open a connection and returns the status of the refusal, or "upgraded". */
async function upgradeStatus(s: Setup, path: string, headers: Record<string, string> = {}): Promise<number | string> {
  try {
    const ws = await connect(s.served, path, { headers, timeoutMs: WAIT_MS })
    ws.close()
    return 'upgraded (101) instead of refused'
  } catch (error) {
    if (error instanceof UpgradeRefused) return error.status
    throw error
  }
}

/** Waits until the server holds `count` connections (it has seen the others close). */
async function serverHolds(s: Setup, count: number): Promise<void> {
  const deadline = Date.now() + WAIT_MS
  while (s.served.openConnections() !== count) {
    if (Date.now() > deadline) throw new Error(`the server still holds ${s.served.openConnections()} connections, not ${count} (waited ${WAIT_MS} ms)`)
    await new Promise((resolve) => setTimeout(resolve, 5))
  }
  // The WebSocket's own close handling runs right after its socket closed.
  await new Promise((resolve) => setImmediate(resolve))
}

describe('websocket-chat', () => {
  task(1, 'Authenticate the upgrade', () => {
    it('upgrades with ?token= and sends welcome first, naming the room and the user', async () => {
      const rng = random()
      const s = await setup(rng)
      await join(s, s.users[1].tokens[0]!, roomName(rng), s.users[1].id)
    })

    it('upgrades with Authorization: Bearer in any letter case', async () => {
      const rng = random()
      const s = await setup(rng)
      for (const scheme of ['Bearer', 'bearer', 'BEARER']) {
        const ws = await join(s, s.users[2].tokens[0]!, roomName(rng), s.users[2].id, { via: 'header', scheme })
        ws.close()
      }
    })

    it('upgrades every token of a user as that user', async () => {
      const rng = random()
      const s = await setup(rng)
      const room = roomName(rng)
      for (const token of s.users[0].tokens) await join(s, token, room, s.users[0].id)
    })

    it('refuses the upgrade with 401 when the token is missing, unknown or sent another way', async () => {
      const rng = random()
      const s = await setup(rng)
      const room = `/ws/rooms/${roomName(rng)}`
      const real = s.users[1].tokens[0]!
      const cases: [string, string, Record<string, string>][] = [
        ['no token', room, {}],
        ['an unknown ?token=', `${room}?token=tok_${rng.word(10, 14)}`, {}],
        ['an empty ?token=', `${room}?token=`, {}],
        ['an unknown Bearer token', room, { Authorization: `Bearer tok_${rng.word(10, 14)}` }],
        ['a real token under Basic', room, { Authorization: `Basic ${real}` }],
        ['a real token with no scheme', room, { Authorization: real }],
        ['a real token cut short', `${room}?token=${real.slice(0, -1)}`, {}],
      ]
      for (const [what, path, headers] of cases) expect(await upgradeStatus(s, path, headers), what).toBe(401)
    })

    it.each(['constructor', '__proto__', 'toString', 'hasOwnProperty'])(
      'refuses the upgrade with 401 for the token "%s", which tokens only inherits',
      async (name) => {
        const rng = random()
        const s = await setup(rng)
        const room = `/ws/rooms/${roomName(rng)}`
        expect(await upgradeStatus(s, `${room}?token=${name}`), `?token=${name}`).toBe(401)
        expect(await upgradeStatus(s, room, { Authorization: `Bearer ${name}` }), `Bearer ${name}`).toBe(401)
      },
    )

    it('answers a plain GET without a token with 401, WWW-Authenticate: Bearer and a JSON error', async () => {
      const rng = random()
      const s = await setup(rng)
      const res = await client(s.served).get(`/ws/rooms/${roomName(rng)}`)
      expect(res).toHaveStatus(401)
      expect(res).toHaveHeader('WWW-Authenticate')
      expect(parseChallenge(res.headers['www-authenticate']!)?.scheme.toLowerCase(), 'the WWW-Authenticate scheme').toBe('bearer')
      expect(res).toHaveJsonBody(expect.objectContaining({ error: 'unauthorized' }))
    })

    it('answers a plain GET with a valid token with 426 and Upgrade: websocket', async () => {
      const rng = random()
      const s = await setup(rng)
      const res = await client(s.served).get(`/ws/rooms/${roomName(rng)}?token=${s.users[0].tokens[0]}`)
      expect(res).toHaveStatus(426)
      expect(res).toHaveHeader('Upgrade')
      expect(parseTokenList(res.headers['upgrade']), 'the Upgrade header').toContain('WEBSOCKET')
      expect(res).toHaveJsonBody(expect.objectContaining({ error: 'upgrade_required' }))
    })

    it('refuses a room name outside 1-64 of A-Z a-z 0-9 _ - with 404, before checking the token', async () => {
      const rng = random()
      const s = await setup(rng)
      const token = `?token=${s.users[0].tokens[0]}`
      for (const room of ['a.b', 'x'.repeat(65), 'sp%20ace', `${rng.word()}%2F${rng.word()}`, 'caf%C3%A9']) {
        expect(await upgradeStatus(s, `/ws/rooms/${room}${token}`), `room "${room}"`).toBe(404)
      }
      const res = await client(s.served).get('/ws/rooms/a.b')
      expect(res, 'a bad room name without a token is still a 404').toHaveStatus(404)
    })

    it('accepts a 64-character room name and rooms called "__proto__" and "constructor"', async () => {
      const rng = random()
      const s = await setup(rng)
      for (const room of ['R_'.repeat(32), '__proto__', 'constructor']) {
        const ws = await join(s, s.users[3].tokens[0]!, room, s.users[3].id)
        ws.close()
      }
    })
  })

  task(2, 'Broadcast chat messages to the room', () => {
    it("sends a say to every connection in the room, the sender's included, as the sender", async () => {
      const rng = random()
      const s = await setup(rng)
      const room = roomName(rng)
      const [a, b, c] = s.users
      const sockets = [await join(s, a.tokens[0]!, room, a.id), await join(s, b.tokens[0]!, room, b.id), await join(s, c.tokens[0]!, room, c.id)]
      const text = `${rng.word()} ${rng.word()}!`
      sockets[1]!.send({ type: 'say', text })
      for (const [i, ws] of sockets.entries()) {
        expect(await nextChat(ws, `the message, on connection ${i + 1}`), `connection ${i + 1}`).toEqual(message(room, b.id, text, 1))
      }
    })

    it('numbers the messages of each connection from 1: seq counts per connection', async () => {
      const rng = random()
      const s = await setup(rng)
      const room = roomName(rng)
      const [a, b] = s.users
      const first = await join(s, a.tokens[0]!, room, a.id)
      const texts = [rng.word(), rng.word(), rng.word()]
      expect(await say(first, texts[0]!)).toEqual(message(room, a.id, texts[0]!, 1))
      expect(await say(first, texts[1]!)).toEqual(message(room, a.id, texts[1]!, 2))
      const late = await join(s, b.tokens[0]!, room, b.id)
      late.send({ type: 'say', text: texts[2] })
      expect(await nextChat(late, 'the first message of the late connection')).toEqual(message(room, b.id, texts[2]!, 1))
      expect(await nextChat(first, 'the third message of the first connection')).toEqual(message(room, b.id, texts[2]!, 3))
    })

    it('sends nothing to a connection in another room', async () => {
      const rng = random()
      const s = await setup(rng)
      const [here, there] = words(rng, 2, () => roomName(rng))
      const [a, b] = s.users
      const listener = await join(s, a.tokens[0]!, here!, a.id)
      const talker = await join(s, b.tokens[0]!, there!, b.id)
      await say(talker, `in ${there}`)
      // The listener's next message is its own: nothing from the other room came before it.
      expect(await say(listener, 'mine')).toEqual(message(here!, a.id, 'mine', 1))
    })

    it('keeps the rooms of two apps apart', async () => {
      const rng = random()
      const s1 = await setup(rng)
      const s2 = await setup(rng, {}, s1.users.map((u) => u.id))
      const room = roomName(rng)
      const one = await join(s1, s1.users[0].tokens[0]!, room, s1.users[0].id)
      const two = await join(s2, s2.users[1].tokens[0]!, room, s2.users[1].id)
      await say(one, 'first app')
      expect(await say(two, 'second app')).toEqual(message(room, s2.users[1].id, 'second app', 1))
    })

    it('takes the author from the token, whatever the frame claims', async () => {
      const rng = random()
      const s = await setup(rng)
      const room = roomName(rng)
      const [a, b] = s.users
      const listener = await join(s, a.tokens[0]!, room, a.id)
      const talker = await join(s, b.tokens[0]!, room, b.id)
      talker.send({ type: 'say', text: 'trust me', user: 'admin', room: 'elsewhere', seq: 99 })
      expect(await nextChat(listener, 'the message')).toEqual(message(room, b.id, 'trust me', 1))
    })

    it('sends the message to each connection of a user, and keeps "__proto__" and "constructor" rooms apart', async () => {
      const rng = random()
      const s = await setup(rng)
      const [a, b] = s.users
      const tabs = [await join(s, a.tokens[0]!, '__proto__', a.id), await join(s, a.tokens[1]!, '__proto__', a.id)]
      const other = await join(s, b.tokens[0]!, 'constructor', b.id)
      await say(other, 'in constructor')
      tabs[0]!.send({ type: 'say', text: 'in proto' })
      for (const [i, ws] of tabs.entries()) {
        expect(await nextChat(ws, `the message on tab ${i + 1}`), `tab ${i + 1}`).toEqual(message('__proto__', a.id, 'in proto', 1))
      }
    })
  })

  task(3, 'Validate every frame', () => {
    const invalid: [string, unknown][] = [
      ['text that is not JSON', '{"type": "say", "text": '],
      ['a JSON array', '[]'],
      ['JSON null', 'null'],
      ['a JSON string', '"say"'],
      ['a JSON number', '42'],
      ['no type', { text: 'hi' }],
      ['an unknown type', { type: 'shout', text: 'hi' }],
      ['a type in another case', { type: 'SAY', text: 'hi' }],
      ['a say without text', { type: 'say' }],
      ['a say whose text is a number', { type: 'say', text: 5 }],
      ['a say with empty text', { type: 'say', text: '' }],
      ['a say of 501 characters', { type: 'say', text: 'a'.repeat(501) }],
      ['an ack without seq', { type: 'ack' }],
      ['an ack with a fractional seq', { type: 'ack', seq: 0.5 }],
      ['an ack with a negative seq', { type: 'ack', seq: -1 }],
      ['an ack whose seq is a string', { type: 'ack', seq: '0' }],
    ]

    /** Two connections in one room: the sender of bad frames, and another user's. */
    async function senderAndOther(rng: Rng) {
      const s = await setup(rng)
      const room = roomName(rng)
      const [a, b] = s.users
      return { room, otherUser: b.id, sender: await join(s, a.tokens[0]!, room, a.id), other: await join(s, b.tokens[0]!, room, b.id) }
    }

    async function expectInvalidFrame(ws: TestSocket, what: string): Promise<void> {
      expect(await nextChat(ws, `the error frame for ${what}`), `the answer to ${what}`).toEqual(
        expect.objectContaining({ type: 'error', error: 'invalid_frame' }),
      )
    }

    /** Nothing was broadcast, and the sender is still open: the next frame both get is this message (seq 1). */
    async function expectNothingBroadcast(rng: Rng, c: Awaited<ReturnType<typeof senderAndOther>>): Promise<void> {
      const text = rng.word()
      expect(await say(c.other, text), "the other connection's next frame").toEqual(message(c.room, c.otherUser, text, 1))
      expect(await nextChat(c.sender, 'the next message, on a connection that must still be open')).toEqual(message(c.room, c.otherUser, text, 1))
    }

    it.each(invalid)('answers %s with an error frame to the sender only, and stays open', async (what, frame) => {
      const rng = random()
      const c = await senderAndOther(rng)
      c.sender.send(frame)
      await expectInvalidFrame(c.sender, what)
      await expectNothingBroadcast(rng, c)
    })

    it('answers a binary frame with an error frame, even when its bytes spell a valid say', async () => {
      const rng = random()
      const c = await senderAndOther(rng)
      for (const frame of [{ type: 'say', text: rng.word() }, { type: 'who' }]) {
        c.sender.sendBinary(frame)
        await expectInvalidFrame(c.sender, `a binary ${frame.type}`)
      }
      await expectNothingBroadcast(rng, c)
    })

    it('accepts a say of exactly 500 characters and ignores extra fields', async () => {
      const rng = random()
      const s = await setup(rng)
      const room = roomName(rng)
      const ws = await join(s, s.users[1].tokens[0]!, room, s.users[1].id)
      const text = rng.word(10, 10).repeat(50)
      ws.send({ type: 'say', text, colour: 'red' })
      expect(await nextChat(ws, 'the 500-character message')).toEqual(message(room, s.users[1].id, text, 1))
    })

    it('keeps answering bad frames one by one, and the connection keeps working', async () => {
      const rng = random()
      const s = await setup(rng)
      const room = roomName(rng)
      const ws = await join(s, s.users[2].tokens[0]!, room, s.users[2].id)
      for (const bad of ['nope', '{}', JSON.stringify({ type: 'say', text: 'b'.repeat(501) })]) {
        ws.send(bad)
        expect(await nextChat(ws, `the error frame for ${bad.slice(0, 20)}`)).toEqual(expect.objectContaining({ type: 'error', error: 'invalid_frame' }))
      }
      expect(await say(ws, 'still here')).toEqual(message(room, s.users[2].id, 'still here', 1))
    })
  })

  task(4, 'Track presence: join, leave and who', () => {
    it("sends join to the others when a user's first connection opens, not to the new one", async () => {
      const rng = random()
      const s = await setup(rng)
      const room = roomName(rng)
      const [a, b] = s.users
      const first = await join(s, a.tokens[0]!, room, a.id)
      const second = await join(s, b.tokens[0]!, room, b.id)
      expect(json(await first.next('the join frame')), 'what the first connection hears').toEqual(
        expect.objectContaining({ type: 'join', room, user: b.id }),
      )
      second.send({ type: 'who' })
      expect(json(await second.next('the answer to who')), "the new connection's next frame (no join of its own)").toEqual(
        expect.objectContaining({ type: 'who', room, users: [a.id, b.id].sort() }),
      )
    })

    it('answers who with each present user once, sorted, for this room only', async () => {
      const rng = random()
      const s = await setup(rng)
      const [room, other] = words(rng, 2, () => roomName(rng))
      const [a, b, c, d] = s.users
      // Joined in descending order, so a list in join order is never the sorted one.
      const order = [
        [a.tokens[0]!, a.id],
        [b.tokens[0]!, b.id],
        [a.tokens[1]!, a.id],
        [c.tokens[0]!, c.id],
      ].sort((x, y) => (x[1]! < y[1]! ? 1 : x[1]! > y[1]! ? -1 : 0))
      const sockets: TestSocket[] = []
      for (const [token, user] of order) sockets.push(await join(s, token!, room!, user!))
      await join(s, d.tokens[0]!, other!, d.id)
      const asker = rng.pick(sockets)
      expect(await who(asker), 'who').toEqual(expect.objectContaining({ type: 'who', room, users: [a.id, b.id, c.id].sort() }))
    })

    it('sends no join for a second connection of a user who is already there', async () => {
      const rng = random()
      const s = await setup(rng)
      const room = roomName(rng)
      const [a, b] = s.users
      const watcher = await join(s, b.tokens[0]!, room, b.id)
      const tab1 = await join(s, a.tokens[0]!, room, a.id)
      expect(json(await watcher.next('the join frame')), 'the first tab joins').toEqual(expect.objectContaining({ type: 'join', user: a.id }))
      await join(s, a.tokens[1]!, room, a.id)
      watcher.send({ type: 'who' })
      expect(json(await watcher.next('the answer to who')), 'the next frame after the second tab opened').toEqual(
        expect.objectContaining({ type: 'who', users: [a.id, b.id].sort() }),
      )
      tab1.send({ type: 'who' })
      expect(json(await tab1.next('the answer to who')), "the first tab's next frame").toEqual(expect.objectContaining({ type: 'who' }))
    })

    it("sends leave to the others when a user's last connection closes", async () => {
      const rng = random()
      const s = await setup(rng)
      const room = roomName(rng)
      const [a, b] = s.users
      const stays = await join(s, a.tokens[0]!, room, a.id)
      const goes = await join(s, b.tokens[0]!, room, b.id)
      expect(json(await stays.next('the join frame'))).toEqual(expect.objectContaining({ type: 'join', user: b.id }))
      goes.close()
      expect(json(await stays.next('the leave frame')), 'after the other user closed').toEqual(
        expect.objectContaining({ type: 'leave', room, user: b.id }),
      )
      expect(await who(stays), 'who after the leave').toEqual(expect.objectContaining({ users: [a.id] }))
    })

    it('sends no leave while the user still has another connection in the room', async () => {
      const rng = random()
      const s = await setup(rng)
      const room = roomName(rng)
      const [a, b] = s.users
      const watcher = await join(s, b.tokens[0]!, room, b.id)
      const tab1 = await join(s, a.tokens[0]!, room, a.id)
      const tab2 = await join(s, a.tokens[1]!, room, a.id)
      expect(json(await watcher.next('the join frame'))).toEqual(expect.objectContaining({ type: 'join', user: a.id }))
      tab1.close()
      await serverHolds(s, 2)
      watcher.send({ type: 'who' })
      expect(json(await watcher.next('the answer to who')), 'the next frame after one of two tabs closed').toEqual(
        expect.objectContaining({ type: 'who', users: [a.id, b.id].sort() }),
      )
      tab2.close()
      expect(json(await watcher.next('the leave frame')), 'after the last tab closed').toEqual(
        expect.objectContaining({ type: 'leave', room, user: a.id }),
      )
    })

    it('keeps presence per room', async () => {
      const rng = random()
      const s = await setup(rng)
      const [room, other] = words(rng, 2, () => roomName(rng))
      const [a, b] = s.users
      const here = await join(s, a.tokens[0]!, room!, a.id)
      const there = await join(s, b.tokens[0]!, other!, b.id)
      there.close()
      await serverHolds(s, 1)
      here.send({ type: 'who' })
      expect(json(await here.next('the answer to who')), 'no join or leave from another room').toEqual(
        expect.objectContaining({ type: 'who', room, users: [a.id] }),
      )
    })
  })

  task(5, 'Drop a slow consumer', () => {
    interface Slow {
      s: Setup
      room: string
      max: number
      /** Acknowledges every message it gets. */
      talker: TestSocket
      /** Never acknowledges unless told to. */
      slow: TestSocket
      slowUser: string
    }

    async function slowSetup(rng: Rng, max: number, explicit = true): Promise<Slow> {
      const s = await setup(rng, explicit ? { maxUnacked: max } : {})
      const room = roomName(rng)
      const [a, b] = s.users
      const talker = await join(s, a.tokens[0]!, room, a.id)
      const slow = await join(s, b.tokens[0]!, room, b.id)
      return { s, room, max, talker, slow, slowUser: b.id }
    }

    /** The talker says `count` messages, acknowledging each, so only the slow one falls behind. */
    async function talk(t: Slow, count: number): Promise<void> {
      for (let i = 0; i < count; i++) {
        const mine = await say(t.talker, `m${i}`)
        t.talker.send({ type: 'ack', seq: mine['seq'] })
      }
    }

    async function expectDropped(t: Slow, received: number): Promise<void> {
      const closed = await t.slow.closed('the server never closed the connection that stopped acknowledging')
      expect(closed.code, 'the close code for a slow consumer').toBe(1008)
      expect(messagesIn(t.slow).length, 'message frames the slow connection received before it was dropped').toBe(received)
      expect(await untilType(t.talker, 'leave', 'the leave of the dropped user'), 'the others are told').toEqual(
        expect.objectContaining({ type: 'leave', room: t.room, user: t.slowUser }),
      )
    }

    it('keeps a connection at exactly maxUnacked, and closes it with 1008 instead of sending one more', async () => {
      const rng = random()
      const t = await slowSetup(rng, rng.int(1, 5))
      await talk(t, t.max)
      expect(await who(t.slow, 'the answer to who (at maxUnacked the connection stays open)')).toEqual(expect.objectContaining({ type: 'who' }))
      expect(messagesIn(t.slow).length, 'messages received').toBe(t.max)
      await talk(t, 1)
      await expectDropped(t, t.max)
    })

    it('takes a dropped connection out of the room at once: a who right after no longer lists it', async () => {
      const rng = random()
      const t = await slowSetup(rng, rng.int(1, 4))
      await talk(t, t.max)
      await who(t.slow)
      // The say that overflows the slow connection, and a who right behind it on the same socket.
      t.talker.send({ type: 'say', text: 'overflow' })
      t.talker.send({ type: 'who' })
      expect(await untilType(t.talker, 'who', 'the answer to who'), 'who, asked right after the drop').toEqual(
        expect.objectContaining({ users: [t.s.users[0].id] }),
      )
      expect((await t.slow.closed('the server never closed the connection that stopped acknowledging')).code).toBe(1008)
    })

    it('keeps delivering to the others the message the slow connection did not get', async () => {
      const rng = random()
      const t = await slowSetup(rng, rng.int(1, 4))
      const third = await join(t.s, t.s.users[2].tokens[0]!, t.room, t.s.users[2].id)
      third.send({ type: 'ack', seq: 0 })
      for (let i = 0; i <= t.max; i++) {
        await talk(t, 1)
        const got = await nextChat(third, `message ${i + 1} on the third connection`)
        third.send({ type: 'ack', seq: got['seq'] })
        await who(third)
      }
      await expectDropped(t, t.max)
      t.talker.send({ type: 'say', text: 'm0' })
      expect(await nextChat(third, 'a message after the drop')).toEqual(message(t.room, t.s.users[0].id, 'm0', t.max + 2))
    })

    it('keeps a connection that acknowledges, window after window', async () => {
      const rng = random()
      const t = await slowSetup(rng, rng.int(1, 4))
      for (let round = 1; round <= 3; round++) {
        await talk(t, t.max)
        await who(t.slow)
        t.slow.send({ type: 'ack', seq: round * t.max })
        await who(t.slow, `the answer to who after acknowledging window ${round}`)
      }
      expect(messagesIn(t.slow).length, 'messages received').toBe(3 * t.max)
    })

    it('frees only what an ack covers: a partial ack lets that many more through', async () => {
      const rng = random()
      const t = await slowSetup(rng, rng.int(2, 5))
      await talk(t, t.max)
      const acked = rng.int(1, t.max - 1)
      await who(t.slow)
      t.slow.send({ type: 'ack', seq: acked })
      await who(t.slow)
      await talk(t, acked)
      expect(await who(t.slow, `the answer to who after ${t.max + acked} messages, ${acked} acknowledged`)).toEqual(
        expect.objectContaining({ type: 'who' }),
      )
      await talk(t, 1)
      await expectDropped(t, t.max + acked)
    })

    it('ignores an ack lower than one already received', async () => {
      const rng = random()
      const t = await slowSetup(rng, rng.int(2, 5))
      await talk(t, t.max)
      await who(t.slow)
      t.slow.send({ type: 'ack', seq: t.max })
      t.slow.send({ type: 'ack', seq: 1 })
      await who(t.slow)
      await talk(t, t.max)
      expect(await who(t.slow, 'the answer to who (the lower ack moved nothing back)')).toEqual(expect.objectContaining({ type: 'who' }))
      await talk(t, 1)
      await expectDropped(t, 2 * t.max)
    })

    it('refuses an ack beyond the last seq sent, and it counts for nothing', async () => {
      const rng = random()
      const t = await slowSetup(rng, rng.int(1, 4))
      t.slow.send({ type: 'ack', seq: rng.int(1, 1000) })
      expect(await nextChat(t.slow, 'the error frame for an ack of messages never sent')).toEqual(
        expect.objectContaining({ type: 'error', error: 'invalid_frame' }),
      )
      await talk(t, t.max)
      await who(t.slow)
      t.slow.send({ type: 'ack', seq: t.max + 1 })
      expect(await untilType(t.slow, 'error', 'the error frame for an ack one beyond the last seq')).toEqual(
        expect.objectContaining({ error: 'invalid_frame' }),
      )
      await talk(t, 1)
      await expectDropped(t, t.max)
    })

    it('uses 100 when maxUnacked is not given', async () => {
      const rng = random()
      const t = await slowSetup(rng, 100, false)
      for (let i = 0; i < 100; i++) t.talker.send({ type: 'say', text: `m${i}` })
      for (let i = 0; i < 100; i++) await nextChat(t.talker, `the sender's copy of message ${i + 1}`)
      t.talker.send({ type: 'ack', seq: 100 })
      expect(await who(t.slow, 'the answer to who (100 unacknowledged is still fine)')).toEqual(expect.objectContaining({ type: 'who' }))
      await talk(t, 1)
      await expectDropped(t, 100)
    })

    it('throws a RangeError when maxUnacked is not an integer >= 1', () => {
      const tokens = { t: 'u' }
      for (const maxUnacked of [0, -1, 2.5, Number.NaN]) {
        expect(() => createApp({ tokens, maxUnacked }), `maxUnacked: ${maxUnacked}`).toThrow(RangeError)
      }
      expect(() => createApp({ tokens, maxUnacked: 1 }), 'maxUnacked: 1 is fine').not.toThrow()
    })
  })
})
