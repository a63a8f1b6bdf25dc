// dependency-injection - the hidden spec.
//
// The spec hands the app a fake database whose sessions count their lookups and closes, and
// throw when used after close(); a loadConfig that counts its calls; and overrides that count
// theirs. Wrong implementations this spec is built to catch:
// - no per-request cache: every use calls the factory, so one request opens several sessions
//   and looks the caller up several times
// - a cache filled only after `await factory()`: uses started side by side (the routes'
//   Promise.all) both miss, and the session is opened twice
// - request-scoped values cached for the whole app (a singleton session, reused after close)
// - the config loaded on every request, eagerly for routes that never need it, or cached in a
//   module-level variable shared by every app
// - dependencies created eagerly for every request (a session opened for /health)
// - the request's scope kept in a variable of the app ("the current request"), so two requests
//   in flight at once tear down each other's session
// - teardown skipped when the handler or a dependency throws, or run twice (once in onError,
//   once after `next()`), or run before the handler is done with the session
// - overrides applied where the handler asks but not where another dependency asks, called on
//   every use instead of once per request (or once per app for config), given no context,
//   closed by the app as if they were the real session, or kept at module level so that the
//   next createApp() replaces them
// - currentUser without 401 (or without the Bearer challenge), pagination without its limits
import type { Context } from 'hono'
import { describe, expect, it } from 'vitest'
import {
  client,
  focusOn,
  parseChallenge,
  random,
  type Reply,
  type Rng,
} from '../../harness/spec-kit/index.ts'
import {
  createApp,
  type AppOptions,
  type Config,
  type Database,
  type Note,
  type Session,
  type User,
} from '../../exercises/dependency-injection/app.ts'

interface Account {
  user: User
  token: string
}

class FakeSession implements Session {
  lookups = 0
  closes = 0

  constructor(
    readonly id: number,
    private readonly db: FakeDatabase,
  ) {}

  userByToken(token: string): User | undefined {
    this.live()
    this.lookups++
    const user = this.db.accounts.find((a) => a.token === token)?.user
    return user && { ...user }
  }

  notesOf(ownerId: string): Note[] {
    this.live()
    this.db.failIfBroken()
    return this.db.notes.filter((n) => n.ownerId === ownerId).map((n) => ({ ...n }))
  }

  addNote(ownerId: string, text: string): Note {
    this.live()
    this.db.failIfBroken()
    const note = { id: this.db.nextNoteId++, ownerId, text }
    this.db.notes.push(note)
    return { ...note }
  }

  close(): void {
    this.closes++
  }

  private live(): void {
    if (this.closes > 0) throw new Error(`session ${this.id} used after close()`)
  }
}

/** A database that remembers every session it opened. */
class FakeDatabase implements Database {
  readonly sessions: FakeSession[] = []
  /** When set, reading or writing notes throws, as a lost connection would. */
  broken = false
  nextNoteId: number

  constructor(
    readonly accounts: Account[],
    readonly notes: Note[],
  ) {
    this.nextNoteId = Math.max(0, ...notes.map((n) => n.id)) + 1
  }

  open(): Session {
    const session = new FakeSession(this.sessions.length + 1, this)
    this.sessions.push(session)
    return session
  }

  failIfBroken(): void {
    if (this.broken) throw new Error('connection lost')
  }

  get lookups(): number {
    return this.sessions.reduce((sum, s) => sum + s.lookups, 0)
  }

  get closes(): number[] {
    return this.sessions.map((s) => s.closes)
  }
}

interface World {
  accounts: Account[]
  db: FakeDatabase
  config: Config
  /** How many times loadConfig ran. */
  loads: () => number
  options: AppOptions
}

const cap = (word: string) => word[0]!.toUpperCase() + word.slice(1)
const token = (rng: Rng) => `tok_${rng.word(8, 12)}${rng.int(1000, 9999)}`

function makeUser(rng: Rng, n: number): User {
  return { id: `u${n}-${rng.word(3, 6)}`, name: cap(rng.word(3, 8)) }
}

/** 2 to 4 accounts, each with 7 to 14 notes (interleaved), and a random config. */
function world(rng: Rng, config?: Config): World {
  const accounts = Array.from({ length: rng.int(2, 4) }, (_, i) => ({
    user: makeUser(rng, i + 1),
    token: token(rng),
  }))
  const owners = accounts.flatMap((a) => Array<string>(rng.int(7, 14)).fill(a.user.id))
  let id = rng.int(1, 9)
  const notes = rng.shuffle(owners).map((ownerId) => ({
    id: (id += rng.int(1, 4)),
    ownerId,
    text: `${rng.word(3, 7)} ${rng.word(3, 7)}`,
  }))
  const cfg = config ?? { defaultLimit: rng.int(2, 4), maxLimit: rng.int(5, 8) }
  const db = new FakeDatabase(accounts, notes)
  let loads = 0
  const loadConfig = () => {
    loads++
    return { ...cfg }
  }
  return { accounts, db, config: cfg, loads: () => loads, options: { database: db, loadConfig } }
}

const bearer = (account: Account) => ({ headers: { Authorization: `Bearer ${account.token}` } })
const notesOf = (w: World, ownerId: string) => w.db.notes.filter((n) => n.ownerId === ownerId)

/** The body GET /notes must answer for `ownerId`. */
function page(w: World, ownerId: string, limit: number, offset: number) {
  const all = notesOf(w, ownerId)
  const items = all.slice(offset, offset + limit)
  return { owner: ownerId, items, total: all.length, limit, offset }
}

/** Every session the app opened was closed exactly once. */
function expectAllClosedOnce(w: World, reply: Reply): void {
  focusOn(reply)
  expect(w.db.closes, 'close() calls per session opened').toEqual(w.db.sessions.map(() => 1))
}

function counted<T>(value: (c: unknown) => T) {
  const fn = Object.assign((c: unknown) => {
    fn.calls++
    return value(c)
  }, { calls: 0 })
  return fn
}

describe('dependency-injection', () => {
  describe('the routes', () => {
    it('GET /health answers { status: "ok" } without opening a session or loading the config', async () => {
      const w = world(random())
      const res = await client(createApp(w.options)).get('/health')
      expect(res).toHaveStatus(200)
      expect(res).toHaveJsonBody({ status: 'ok' })
      expect(w.db.sessions.length, 'sessions opened').toBe(0)
      expect(w.loads(), 'loadConfig calls').toBe(0)
    })

    it('GET /me answers the user the bearer token belongs to', async () => {
      const rng = random()
      const w = world(rng)
      const account = rng.pick(w.accounts)
      const res = await client(createApp(w.options)).get('/me', bearer(account))
      expect(res).toHaveStatus(200)
      expect(res).toHaveJsonBody(account.user)
    })

    it.each([
      ['no Authorization header', () => ({})],
      ['an unknown token', (rng: Rng) => ({ Authorization: `Bearer ${token(rng)}` })],
      ['the Basic scheme', (_: Rng, a: Account) => ({ Authorization: `Basic ${a.token}` })],
      ['a token without a scheme', (_: Rng, a: Account) => ({ Authorization: a.token })],
      ['"Bearer" without a token', () => ({ Authorization: 'Bearer' })],
    ])('GET /me answers 401 with a Bearer challenge for %s', async (_, headers) => {
      const rng = random()
      const w = world(rng)
      const account = rng.pick(w.accounts)
      const res = await client(createApp(w.options)).get('/me', { headers: headers(rng, account) })
      expect(res).toHaveStatus(401)
      expect(res).toHaveJsonBody(expect.objectContaining({ error: 'unauthorized' }))
      expect(res).toHaveHeader('www-authenticate')
      expect(parseChallenge(res.headers['www-authenticate']!)?.scheme).toBe('bearer')
    })

    it("GET /notes answers the first page of the caller's notes, sized by config.defaultLimit", async () => {
      const rng = random()
      const w = world(rng)
      const account = rng.pick(w.accounts)
      const res = await client(createApp(w.options)).get('/notes', bearer(account))
      expect(res).toHaveStatus(200)
      expect(res).toHaveJsonBody(page(w, account.user.id, w.config.defaultLimit, 0))
    })

    it('GET /notes honours limit (up to config.maxLimit) and offset', async () => {
      const rng = random()
      const w = world(rng)
      const account = rng.pick(w.accounts)
      const api = client(createApp(w.options))
      const limit = rng.int(1, w.config.maxLimit - 1)
      const offset = rng.int(1, 6)
      const res = await api.get(`/notes?limit=${limit}&offset=${offset}`, bearer(account))
      expect(res).toHaveStatus(200)
      expect(res).toHaveJsonBody(page(w, account.user.id, limit, offset))
      const max = w.config.maxLimit
      const full = await api.get(`/notes?limit=${max}`, bearer(account))
      expect(full).toHaveStatus(200)
      expect(full).toHaveJsonBody(page(w, account.user.id, max, 0))
    })

    it.each([
      ['limit=0', () => 'limit=0'],
      ['limit above config.maxLimit', (cfg: Config) => `limit=${cfg.maxLimit + 1}`],
      ['limit=-1', () => 'limit=-1'],
      ['limit=2.5', () => 'limit=2.5'],
      ['limit=ten', () => 'limit=ten'],
      ['an empty limit', () => 'limit='],
      ['offset=-1', () => 'offset=-1'],
      ['offset=abc', () => 'offset=abc'],
    ])('GET /notes answers 400 invalid_pagination for %s', async (_, query) => {
      const rng = random()
      const w = world(rng)
      const account = rng.pick(w.accounts)
      const api = client(createApp(w.options))
      const res = await api.get(`/notes?${query(w.config)}`, bearer(account))
      expect(res).toHaveStatus(400)
      expect(res).toHaveJsonBody(expect.objectContaining({ error: 'invalid_pagination' }))
    })

    it('POST /notes stores a note for the caller and answers 201 with it', async () => {
      const rng = random()
      const w = world(rng)
      const account = rng.pick(w.accounts)
      const text = `${rng.word()} ${rng.word()}`
      const id = w.db.nextNoteId
      const api = client(createApp(w.options))
      const res = await api.post('/notes', { ...bearer(account), json: { text } })
      expect(res).toHaveStatus(201)
      expect(res).toHaveJsonBody({ id, ownerId: account.user.id, text })
      focusOn(res)
      expect(notesOf(w, account.user.id).at(-1)).toEqual({ id, ownerId: account.user.id, text })
    })

    it.each([
      ['no text', {}],
      ['a blank text', { text: '   ' }],
      ['a text that is not a string', { text: 42 }],
    ])('POST /notes answers 400 invalid_note for %s', async (_, json) => {
      const rng = random()
      const w = world(rng)
      const res = await client(createApp(w.options)).post('/notes', {
        ...bearer(rng.pick(w.accounts)),
        json,
      })
      expect(res).toHaveStatus(400)
      expect(res).toHaveJsonBody(expect.objectContaining({ error: 'invalid_note' }))
    })
  })

  describe('resolving once per request', () => {
    it('opens one session per request however many dependencies and handlers use it', async () => {
      const rng = random()
      const w = world(rng)
      const account = rng.pick(w.accounts)
      const api = client(createApp(w.options))
      // GET /notes: currentUser and notes both need db.
      const list = await api.get('/notes', bearer(account))
      expect(list).toHaveStatus(200)
      expect(w.db.sessions.length, 'sessions opened by GET /notes').toBe(1)
      // POST /notes: currentUser and the handler both need db.
      const post = await api.post('/notes', { ...bearer(account), json: { text: rng.word() } })
      expect(post).toHaveStatus(201)
      expect(w.db.sessions.length, 'sessions opened after GET and POST /notes').toBe(2)
    })

    it('looks the caller up once per request although notes and the handler both use currentUser', async () => {
      const rng = random()
      const w = world(rng)
      const res = await client(createApp(w.options)).get('/notes', bearer(rng.pick(w.accounts)))
      expect(res).toHaveStatus(200)
      expect(w.db.lookups, 'userByToken calls in one GET /notes').toBe(1)
    })

    it('opens a new session for every request, never reusing one', async () => {
      const rng = random()
      const w = world(rng)
      const api = client(createApp(w.options))
      const n = rng.int(3, 5)
      for (let i = 0; i < n; i++) {
        const res = await api.get(rng.pick(['/me', '/notes']), bearer(rng.pick(w.accounts)))
        expect(res).toHaveStatus(200)
        expect(w.db.sessions.length, `sessions opened after ${i + 1} requests`).toBe(i + 1)
      }
    })

    it('loads the config once per app, on first use, not once per request', async () => {
      const rng = random()
      const w = world(rng)
      const account = rng.pick(w.accounts)
      const api = client(createApp(w.options))
      expect(await api.get('/me', bearer(account))).toHaveStatus(200)
      expect(w.loads(), 'loadConfig calls before any route needed the config').toBe(0)
      for (let i = 0; i < 3; i++) {
        const res = await api.get(`/notes?offset=${i}`, bearer(account))
        expect(res).toHaveJsonBody(page(w, account.user.id, w.config.defaultLimit, i))
      }
      expect(w.loads(), 'loadConfig calls after three GET /notes').toBe(1)
    })

    it('keeps app-scoped values per app: two apps, two configs', async () => {
      const rng = random()
      const first = world(rng, { defaultLimit: 2, maxLimit: rng.int(5, 8) })
      const second = world(rng, { defaultLimit: rng.int(3, 5), maxLimit: rng.int(5, 8) })
      const apiFirst = client(createApp(first.options))
      const apiSecond = client(createApp(second.options))
      for (const [w, api] of [[first, apiFirst], [second, apiSecond], [first, apiFirst]] as const) {
        const account = rng.pick(w.accounts)
        const res = await api.get('/notes', bearer(account))
        expect(res).toHaveJsonBody(page(w, account.user.id, w.config.defaultLimit, 0))
      }
      expect([first.loads(), second.loads()], 'loadConfig calls of each app').toEqual([1, 1])
    })
  })

  describe('teardown', () => {
    it('closes the session exactly once after each request', async () => {
      const rng = random()
      const w = world(rng)
      const api = client(createApp(w.options))
      for (let i = 0; i < 3; i++) {
        const account = rng.pick(w.accounts)
        const res = await (i === 1
          ? api.post('/notes', { ...bearer(account), json: { text: rng.word() } })
          : api.get('/notes', bearer(account)))
        expect(res).toHaveStatus(i === 1 ? 201 : 200)
        expectAllClosedOnce(w, res)
      }
    })

    it('closes the session when currentUser refuses the caller with 401', async () => {
      const rng = random()
      const w = world(rng)
      const api = client(createApp(w.options))
      const res = await api.get('/notes', { headers: { Authorization: `Bearer ${token(rng)}` } })
      expect(res).toHaveStatus(401)
      expect(w.db.sessions.length, 'sessions opened to look the token up').toBe(1)
      expectAllClosedOnce(w, res)
    })

    it('closes the session when the handler throws, answering 500 { error: "internal" }', async () => {
      const rng = random()
      const w = world(rng)
      const api = client(createApp(w.options))
      w.db.broken = true
      const res = await api.post('/notes', { ...bearer(rng.pick(w.accounts)), json: { text: 'x' } })
      expect(res).toHaveStatus(500)
      expect(res).toHaveJsonBody(expect.objectContaining({ error: 'internal' }))
      expect(w.db.sessions.length, 'sessions opened').toBe(1)
      expectAllClosedOnce(w, res)
    })

    it('closes the session when a dependency throws after opening it', async () => {
      const rng = random()
      const w = world(rng)
      const api = client(createApp(w.options))
      w.db.broken = true // notes' notesOf() throws
      const res = await api.get('/notes', bearer(rng.pick(w.accounts)))
      expect(res).toHaveStatus(500)
      expect(w.db.sessions.length, 'sessions opened').toBe(1)
      expectAllClosedOnce(w, res)
      w.db.broken = false
      const next = await api.get('/notes', bearer(rng.pick(w.accounts)))
      expect(next).toHaveStatus(200)
      expectAllClosedOnce(w, next)
    })

    it('keeps two requests in flight apart: each gets its own session and closes it once', async () => {
      const rng = random()
      const w = world(rng)
      const account = rng.pick(w.accounts)
      // The first request parks inside currentUser (after notes opened its session) until the
      // second one has been answered.
      let arrive!: () => void
      const arrived = new Promise<void>((resolve) => (arrive = resolve))
      let release!: () => void
      const released = new Promise<void>((resolve) => (release = resolve))
      let calls = 0
      const currentUser = async () => {
        if (++calls === 1) {
          arrive()
          await released
        }
        return { ...account.user }
      }
      const api = client(createApp({ ...w.options, overrides: { currentUser } }))
      const first = api.get('/notes')
      await Promise.race([arrived, first])
      const second = await api.get('/notes')
      expect(second).toHaveStatus(200)
      expect(second).toHaveJsonBody(page(w, account.user.id, w.config.defaultLimit, 0))
      release()
      const firstReply = await first
      expect(firstReply).toHaveStatus(200)
      expect(firstReply).toHaveJsonBody(page(w, account.user.id, w.config.defaultLimit, 0))
      expect(w.db.sessions.length, 'sessions opened by two requests').toBe(2)
      expectAllClosedOnce(w, firstReply)
    })
  })

  describe('overrides', () => {
    it('an override of currentUser reaches the handler and notes, which depends on it', async () => {
      const rng = random()
      const w = world(rng)
      // Two users only the override knows, picked by a header the override reads from `c`.
      const ghosts = [makeUser(rng, 7), makeUser(rng, 8)]
      for (const ghost of ghosts) {
        for (let i = rng.int(2, 4); i > 0; i--) {
          w.db.notes.push({ id: w.db.nextNoteId++, ownerId: ghost.id, text: rng.word() })
        }
      }
      const currentUser = (c: Context) => ghosts[Number(c.req.header('X-Ghost'))]!
      const api = client(createApp({ ...w.options, overrides: { currentUser } }))
      const n = rng.int(0, 1)
      const me = await api.get('/me', { headers: { 'X-Ghost': String(n) } })
      expect(me).toHaveStatus(200)
      expect(me).toHaveJsonBody(ghosts[n])
      const list = await api.get('/notes', { headers: { 'X-Ghost': String(1 - n) } })
      expect(list).toHaveStatus(200)
      expect(list).toHaveJsonBody(page(w, ghosts[1 - n]!.id, w.config.defaultLimit, 0))
      expect(w.db.lookups, 'userByToken calls').toBe(0)
    })

    it('an overridden currentUser needs no session: GET /me opens none', async () => {
      const rng = random()
      const w = world(rng)
      const user = makeUser(rng, 9)
      const api = client(createApp({ ...w.options, overrides: { currentUser: () => user } }))
      const res = await api.get('/me')
      expect(res).toHaveJsonBody(user)
      expect(w.db.sessions.length, 'sessions opened').toBe(0)
    })

    it('an override is called once per request, like the dependency it replaces', async () => {
      const rng = random()
      const w = world(rng)
      const account = rng.pick(w.accounts)
      const currentUser = counted(() => ({ ...account.user }))
      const api = client(createApp({ ...w.options, overrides: { currentUser } }))
      for (let i = 1; i <= 2; i++) {
        const res = await api.get('/notes')
        expect(res).toHaveJsonBody(page(w, account.user.id, w.config.defaultLimit, 0))
        expect(currentUser.calls, `override calls after ${i} GET /notes`).toBe(i)
      }
    })

    it('an override of db is used by currentUser and notes, and the app does not close it', async () => {
      const rng = random()
      const w = world(rng)
      const other = world(rng)
      const fake = other.db.open() as FakeSession
      const db = counted(() => fake)
      const account = rng.pick(other.accounts)
      const api = client(createApp({ ...w.options, overrides: { db } }))
      for (let i = 1; i <= 2; i++) {
        const res = await api.get('/notes', bearer(account))
        expect(res).toHaveJsonBody(page(other, account.user.id, w.config.defaultLimit, 0))
        expect(db.calls, `override calls after ${i} requests`).toBe(i)
      }
      expect(fake.lookups, 'lookups on the fake session').toBe(2)
      expect(w.db.sessions.length, 'sessions opened on the real database').toBe(0)
      expect(fake.closes, 'close() calls on the fake session').toBe(0)
    })

    it('an override of config replaces loadConfig, and is called once per app', async () => {
      const rng = random()
      const w = world(rng)
      const account = rng.pick(w.accounts)
      const fakeConfig = { defaultLimit: w.config.defaultLimit + 1, maxLimit: 20 }
      const config = counted(() => ({ ...fakeConfig }))
      const api = client(createApp({ ...w.options, overrides: { config } }))
      const res = await api.get('/notes', bearer(account))
      expect(res).toHaveJsonBody(page(w, account.user.id, fakeConfig.defaultLimit, 0))
      const big = await api.get('/notes?limit=20', bearer(account))
      expect(big).toHaveJsonBody(page(w, account.user.id, 20, 0))
      expect(config.calls, 'config override calls').toBe(1)
      expect(w.loads(), 'loadConfig calls').toBe(0)
    })

    it('an override of pagination replaces the query parsing', async () => {
      const rng = random()
      const w = world(rng)
      const account = rng.pick(w.accounts)
      const fixed = { limit: rng.int(1, 3), offset: rng.int(1, 4) }
      const api = client(createApp({ ...w.options, overrides: { pagination: () => fixed } }))
      const res = await api.get('/notes?limit=oops&offset=-5', bearer(account))
      expect(res).toHaveStatus(200)
      expect(res).toHaveJsonBody(page(w, account.user.id, fixed.limit, fixed.offset))
    })

    it('overrides belong to the app they were given to', async () => {
      const rng = random()
      const w = world(rng)
      const user = makeUser(rng, 9)
      const overridden = client(createApp({ ...w.options, overrides: { currentUser: () => user } }))
      const plain = client(createApp(w.options))
      expect(await plain.get('/me')).toHaveStatus(401)
      const res = await overridden.get('/me')
      expect(res).toHaveStatus(200)
      expect(res).toHaveJsonBody(user)
      expect(await plain.get('/me')).toHaveStatus(401)
    })
  })
})
