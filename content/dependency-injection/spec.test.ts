// dependency-injection - the hidden spec.
//
// The spec hands the app a fake database whose sessions count their lookups and closes, and
// throw when used after close(); a loadConfig that counts its calls; and overrides that count
// theirs. Wrong implementations this spec is built to catch:
// - no per-request cache: every use calls the factory, so one request opens several sessions
//   and looks the caller up several times
// - a cache filled only after `await factory()`: uses started side by side (the routes'
//   Promise.all) both miss, and the session is opened twice; the same mistake in the app-scoped
//   cache, so two requests that need the config at once both build it
// - request-scoped values cached for the whole app (a singleton session, reused after close), or
//   cached per caller (per token) instead of per request
// - the config loaded on every request, eagerly for routes that never need it, or cached in a
//   module-level variable shared by every app
// - dependencies created eagerly for every request (a session opened for /health)
// - the request's scope kept in a variable of the app ("the current request"), so two requests
//   in flight at once tear down each other's session
// - teardown skipped when the handler or a dependency throws (a 401, a 400, a 500), or run twice
//   (once in onError, once after `next()`), or run before the handler is done with the session
// - overrides applied where the handler asks but not where another dependency asks, called on
//   every use instead of once per request (or once per app for config), given no context,
//   closed by the app as if they were the real session, or kept at module level so that the
//   next createApp() replaces them
// - currentUser without 401 (or without the Bearer challenge, or reading the token whatever the
//   scheme), pagination without its limits, or reading numbers leniently (parseInt's "2x",
//   Number's "+2", "1e0", "1.0", "0x1")
import type { Context } from 'hono'
import { describe, expect, it } from 'vitest'
import {
  build,
  client,
  focusOn,
  parseChallenge,
  random,
  task,
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
    for (const waiter of this.waiters.splice(0)) waiter()
    return session
  }

  private readonly waiters: (() => void)[] = []

  /** Resolves once `n` sessions have been opened in all. */
  async opened(n: number): Promise<void> {
    while (this.sessions.length < n) {
      await new Promise<void>((resolve) => this.waiters.push(resolve))
    }
  }

  /** How a failure report shows the database the app was built with. */
  [Symbol.for('nodejs.util.inspect.custom')](): string {
    return `a fake database (${this.accounts.length} users, ${this.notes.length} notes)`
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
  const loadConfig = Object.assign(
    () => {
      loads++
      return { ...cfg }
    },
    { [Symbol.for('nodejs.util.inspect.custom')]: () => `loadConfig() -> ${JSON.stringify(cfg)}` },
  )
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

/** The app, built so that a failing check can say which config and overrides it was given. */
function appFor(options: AppOptions) {
  return client(build(createApp, options))
}

function counted<T>(value: (c: unknown) => T) {
  const fn = Object.assign((c: unknown) => {
    fn.calls++
    return value(c)
  }, { calls: 0 })
  return fn
}

describe('dependency-injection', () => {
  task(1, 'Resolve the current user', () => {
    it(
      'GET /health answers { status: "ok" } without opening a session or loading the config',
      async () => {
        const w = world(random())
        const res = await appFor(w.options).get('/health')
        expect(res).toHaveStatus(200)
        expect(res).toHaveJsonBody({ status: 'ok' })
        focusOn(res)
        expect(w.db.sessions.length, 'sessions opened').toBe(0)
        expect(w.loads(), 'loadConfig calls').toBe(0)
      },
    )

    it('GET /me answers the user the bearer token belongs to', async () => {
      const rng = random()
      const w = world(rng)
      const account = rng.pick(w.accounts)
      const res = await appFor(w.options).get('/me', bearer(account))
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
      const res = await appFor(w.options).get('/me', { headers: headers(rng, account) })
      expect(res).toHaveStatus(401)
      expect(res).toHaveJsonBody(expect.objectContaining({ error: 'unauthorized' }))
      expect(res).toHaveHeader('www-authenticate')
      focusOn(res)
      const challenge = parseChallenge(res.headers['www-authenticate']!)
      expect(challenge?.scheme, 'the scheme of the WWW-Authenticate challenge').toBe('bearer')
    })

    it('POST /notes stores a note for the caller and answers 201 with it', async () => {
      const rng = random()
      const w = world(rng)
      const account = rng.pick(w.accounts)
      const text = `${rng.word()} ${rng.word()}`
      const id = w.db.nextNoteId
      const api = appFor(w.options)
      const res = await api.post('/notes', { ...bearer(account), json: { text } })
      expect(res).toHaveStatus(201)
      expect(res).toHaveJsonBody({ id, ownerId: account.user.id, text })
      focusOn(res)
      expect(notesOf(w, account.user.id).at(-1), "the caller's last note in the database").toEqual(
        { id, ownerId: account.user.id, text },
      )
    })

    it.each([
      ['no text', {}],
      ['a blank text', { text: '   ' }],
      ['a text that is not a string', { text: 42 }],
    ])('POST /notes answers 400 invalid_note for %s', async (_, json) => {
      const rng = random()
      const w = world(rng)
      const res = await appFor(w.options).post('/notes', {
        ...bearer(rng.pick(w.accounts)),
        json,
      })
      expect(res).toHaveStatus(400)
      expect(res).toHaveJsonBody(expect.objectContaining({ error: 'invalid_note' }))
    })
  })

  task(2, 'Parse limit and offset', () => {
    it(
      "GET /notes answers the first page of the caller's notes, sized by config.defaultLimit",
      async () => {
        const rng = random()
        const w = world(rng)
        const account = rng.pick(w.accounts)
        const res = await appFor(w.options).get('/notes', bearer(account))
        expect(res).toHaveStatus(200)
        expect(res).toHaveJsonBody(page(w, account.user.id, w.config.defaultLimit, 0))
      },
    )

    it('GET /notes honours limit (up to config.maxLimit) and offset', async () => {
      const rng = random()
      const w = world(rng)
      const account = rng.pick(w.accounts)
      const api = appFor(w.options)
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

    it(
      'GET /notes accepts limit=1, leading zeros, offset=0 and an offset past the last note',
      async () => {
        const rng = random()
        const w = world(rng)
        const account = rng.pick(w.accounts)
        const api = appFor(w.options)
        const past = notesOf(w, account.user.id).length + rng.int(0, 5)
        const limit = rng.int(2, w.config.maxLimit)
        const cases: [string, number, number][] = [
          ['limit=1', 1, 0],
          [`limit=0${limit}&offset=00${limit}`, limit, limit],
          ['offset=0', w.config.defaultLimit, 0],
          [`offset=${past}`, w.config.defaultLimit, past],
        ]
        for (const [query, expectedLimit, offset] of cases) {
          const res = await api.get(`/notes?${query}`, bearer(account))
          expect(res).toHaveStatus(200)
          expect(res).toHaveJsonBody(page(w, account.user.id, expectedLimit, offset))
        }
      },
    )

    it.each([
      ['limit=0', () => 'limit=0'],
      ['limit above config.maxLimit', (cfg: Config) => `limit=${cfg.maxLimit + 1}`],
      ['limit=-1', () => 'limit=-1'],
      ['limit=2.5', () => 'limit=2.5'],
      ['limit=2x', () => 'limit=2x'],
      ['limit=+2', () => 'limit=%2B2'],
      ['limit=1e0', () => 'limit=1e0'],
      ['limit=ten', () => 'limit=ten'],
      ['an empty limit', () => 'limit='],
      ['offset=-1', () => 'offset=-1'],
      ['offset=1.0', () => 'offset=1.0'],
      ['offset=0x1', () => 'offset=0x1'],
      ['offset=abc', () => 'offset=abc'],
      ['an empty offset', () => 'offset='],
    ])('GET /notes answers 400 invalid_pagination for %s', async (_, query) => {
      const rng = random()
      const w = world(rng)
      const account = rng.pick(w.accounts)
      const api = appFor(w.options)
      const res = await api.get(`/notes?${query(w.config)}`, bearer(account))
      expect(res).toHaveStatus(400)
      expect(res).toHaveJsonBody(expect.objectContaining({ error: 'invalid_pagination' }))
    })
  })

  task(3, 'Build each dependency once per request', () => {
    it('opens one session per request however many dependencies and handlers use it', async () => {
      const rng = random()
      const w = world(rng)
      const account = rng.pick(w.accounts)
      const api = appFor(w.options)
      // GET /notes: currentUser and notes both need db.
      const list = await api.get('/notes', bearer(account))
      expect(list).toHaveStatus(200)
      focusOn(list)
      expect(w.db.sessions.length, 'sessions opened by GET /notes').toBe(1)
      // POST /notes: currentUser and the handler both need db.
      const post = await api.post('/notes', { ...bearer(account), json: { text: rng.word() } })
      expect(post).toHaveStatus(201)
      focusOn(post)
      expect(w.db.sessions.length, 'sessions opened after GET and POST /notes').toBe(2)
    })

    it('looks the caller up once per request although several places use currentUser', async () => {
      const rng = random()
      const w = world(rng)
      const account = rng.pick(w.accounts)
      const api = appFor(w.options)
      const res = await api.get('/notes', bearer(account))
      expect(res).toHaveStatus(200)
      focusOn(res)
      expect(w.db.lookups, 'userByToken calls in one GET /notes').toBe(1)
      const post = await api.post('/notes', { ...bearer(account), json: { text: rng.word() } })
      expect(post).toHaveStatus(201)
      focusOn(post)
      expect(w.db.lookups, 'userByToken calls after GET and POST /notes').toBe(2)
    })

    it('opens a new session for every request, never reusing one', async () => {
      const rng = random()
      const w = world(rng)
      const api = appFor(w.options)
      const account = rng.pick(w.accounts)
      const path = rng.pick(['/me', '/notes'])
      // The same caller twice in a row first: a cache per caller is not a cache per request.
      const requests = [
        [path, account],
        [path, account],
        ...Array.from({ length: rng.int(1, 3) }, () => [
          rng.pick(['/me', '/notes']),
          rng.pick(w.accounts),
        ]),
      ] as [string, Account][]
      for (const [i, [to, who]] of requests.entries()) {
        const res = await api.get(to, bearer(who))
        expect(res).toHaveStatus(200)
        focusOn(res)
        expect(w.db.sessions.length, `sessions opened after ${i + 1} requests`).toBe(i + 1)
      }
    })
  })

  task(4, 'Share app-scoped values within one app', () => {
    it('loads the config once per app, on first use, not once per request', async () => {
      const rng = random()
      const w = world(rng)
      const account = rng.pick(w.accounts)
      const api = appFor(w.options)
      const me = await api.get('/me', bearer(account))
      expect(me).toHaveStatus(200)
      focusOn(me)
      expect(w.loads(), 'loadConfig calls before any route needed the config').toBe(0)
      let res: Reply = me
      for (let i = 0; i < 3; i++) {
        res = await api.get(`/notes?offset=${i}`, bearer(account))
        expect(res).toHaveJsonBody(page(w, account.user.id, w.config.defaultLimit, i))
      }
      focusOn(res)
      expect(w.loads(), 'loadConfig calls after three GET /notes').toBe(1)
    })

    it('keeps app-scoped values per app: two apps, two configs', async () => {
      const rng = random()
      const first = world(rng, { defaultLimit: 2, maxLimit: rng.int(5, 8) })
      const second = world(rng, { defaultLimit: rng.int(3, 5), maxLimit: rng.int(5, 8) })
      const apiFirst = appFor(first.options)
      const apiSecond = appFor(second.options)
      for (const [w, api] of [[first, apiFirst], [second, apiSecond], [first, apiFirst]] as const) {
        const account = rng.pick(w.accounts)
        const res = await api.get('/notes', bearer(account))
        expect(res).toHaveJsonBody(page(w, account.user.id, w.config.defaultLimit, 0))
      }
      expect([first.loads(), second.loads()], 'loadConfig calls of each app').toEqual([1, 1])
    })
  })

  task(5, 'Override dependencies', () => {
    it(
      'an override of currentUser reaches the handler and notes, which depends on it',
      async () => {
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
        const api = appFor({ ...w.options, overrides: { currentUser } })
        const n = rng.int(0, 1)
        const me = await api.get('/me', { headers: { 'X-Ghost': String(n) } })
        expect(me).toHaveStatus(200)
        expect(me).toHaveJsonBody(ghosts[n])
        const list = await api.get('/notes', { headers: { 'X-Ghost': String(1 - n) } })
        expect(list).toHaveStatus(200)
        expect(list).toHaveJsonBody(page(w, ghosts[1 - n]!.id, w.config.defaultLimit, 0))
        expect(w.db.lookups, 'userByToken calls').toBe(0)
      },
    )

    it('an overridden currentUser needs no session: GET /me opens none', async () => {
      const rng = random()
      const w = world(rng)
      const user = makeUser(rng, 9)
      const api = appFor({ ...w.options, overrides: { currentUser: () => user } })
      const res = await api.get('/me')
      expect(res).toHaveJsonBody(user)
      focusOn(res)
      expect(w.db.sessions.length, 'sessions opened').toBe(0)
    })

    it('an override is called once per request, like the dependency it replaces', async () => {
      const rng = random()
      const w = world(rng)
      const account = rng.pick(w.accounts)
      const currentUser = counted(() => ({ ...account.user }))
      const api = appFor({ ...w.options, overrides: { currentUser } })
      for (let i = 1; i <= 2; i++) {
        const res = await api.get('/notes')
        expect(res).toHaveJsonBody(page(w, account.user.id, w.config.defaultLimit, 0))
        focusOn(res)
        expect(currentUser.calls, `override calls after ${i} GET /notes`).toBe(i)
      }
    })

    it(
      'an override of db is used by currentUser and notes, and the app does not close it',
      async () => {
        const rng = random()
        const w = world(rng)
        const other = world(rng)
        const fake = other.db.open() as FakeSession
        const db = counted(() => fake)
        const account = rng.pick(other.accounts)
        const api = appFor({ ...w.options, overrides: { db } })
        let res: Reply | undefined
        for (let i = 1; i <= 2; i++) {
          res = await api.get('/notes', bearer(account))
          expect(res).toHaveJsonBody(page(other, account.user.id, w.config.defaultLimit, 0))
          focusOn(res)
          expect(db.calls, `override calls after ${i} requests`).toBe(i)
        }
        focusOn(res!)
        expect(fake.lookups, 'lookups on the fake session').toBe(2)
        expect(w.db.sessions.length, 'sessions opened on the real database').toBe(0)
        expect(fake.closes, 'close() calls on the fake session').toBe(0)
      },
    )

    it('an override of config replaces loadConfig, and is called once per app', async () => {
      const rng = random()
      const w = world(rng)
      const account = rng.pick(w.accounts)
      const fakeConfig = { defaultLimit: w.config.defaultLimit + 1, maxLimit: 20 }
      const config = counted(() => ({ ...fakeConfig }))
      const api = appFor({ ...w.options, overrides: { config } })
      const res = await api.get('/notes', bearer(account))
      expect(res).toHaveJsonBody(page(w, account.user.id, fakeConfig.defaultLimit, 0))
      const big = await api.get('/notes?limit=20', bearer(account))
      expect(big).toHaveJsonBody(page(w, account.user.id, 20, 0))
      focusOn(big)
      expect(config.calls, 'config override calls').toBe(1)
      expect(w.loads(), 'loadConfig calls').toBe(0)
    })

    it(
      'an async override of config runs once per app, also for two requests that need it at once',
      async () => {
        const rng = random()
        const w = world(rng)
        const account = rng.pick(w.accounts)
        const fakeConfig = { defaultLimit: w.config.defaultLimit + 1, maxLimit: 20 }
        // The first call parks until the second request has asked for the config too.
        let arrive!: () => void
        const arrived = new Promise<void>((resolve) => (arrive = resolve))
        let release!: () => void
        const released = new Promise<void>((resolve) => (release = resolve))
        const config = counted(async () => {
          arrive()
          await released
          return { ...fakeConfig }
        })
        const api = appFor({ ...w.options, overrides: { config } })
        const first = api.get('/notes', bearer(account))
        await Promise.race([arrived, first])
        const second = api.get('/notes', bearer(account))
        // GET /notes opens its session (for notes) in the same step that asks for the config.
        await Promise.race([w.db.opened(2), second])
        release()
        for (const res of [await first, await second]) {
          expect(res).toHaveStatus(200)
          expect(res).toHaveJsonBody(page(w, account.user.id, fakeConfig.defaultLimit, 0))
        }
        expect(config.calls, 'config override calls for two requests at once').toBe(1)
      },
    )

    it('an override of pagination replaces the query parsing', async () => {
      const rng = random()
      const w = world(rng)
      const account = rng.pick(w.accounts)
      const fixed = { limit: rng.int(1, 3), offset: rng.int(1, 4) }
      const api = appFor({ ...w.options, overrides: { pagination: () => fixed } })
      const res = await api.get('/notes?limit=oops&offset=-5', bearer(account))
      expect(res).toHaveStatus(200)
      expect(res).toHaveJsonBody(page(w, account.user.id, fixed.limit, fixed.offset))
    })

    it('overrides belong to the app they were given to', async () => {
      const rng = random()
      const w = world(rng)
      const user = makeUser(rng, 9)
      const overridden = appFor({ ...w.options, overrides: { currentUser: () => user } })
      const plain = appFor(w.options)
      expect(await plain.get('/me')).toHaveStatus(401)
      const res = await overridden.get('/me')
      expect(res).toHaveStatus(200)
      expect(res).toHaveJsonBody(user)
      expect(await plain.get('/me')).toHaveStatus(401)
    })
  })

  task(6, 'Clean up after every request', () => {
    it('closes the session exactly once after each request', async () => {
      const rng = random()
      const w = world(rng)
      const api = appFor(w.options)
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
      const api = appFor(w.options)
      const res = await api.get('/notes', { headers: { Authorization: `Bearer ${token(rng)}` } })
      expect(res).toHaveStatus(401)
      focusOn(res)
      expect(w.db.sessions.length, 'sessions opened to look the token up').toBe(1)
      expectAllClosedOnce(w, res)
    })

    it('closes the session when pagination refuses the query with 400', async () => {
      const rng = random()
      const w = world(rng)
      const api = appFor(w.options)
      const query = rng.pick(['limit=0', `limit=${w.config.maxLimit + 1}`, 'offset=-1'])
      const res = await api.get(`/notes?${query}`, bearer(rng.pick(w.accounts)))
      expect(res).toHaveStatus(400)
      focusOn(res)
      expect(w.db.sessions.length, 'sessions opened').toBe(1)
      expectAllClosedOnce(w, res)
    })

    it(
      'closes the session when the handler throws, answering 500 { error: "internal" }',
      async () => {
        const rng = random()
        const w = world(rng)
        const api = appFor(w.options)
        w.db.broken = true
        const res = await api.post('/notes', {
          ...bearer(rng.pick(w.accounts)),
          json: { text: 'x' },
        })
        expect(res).toHaveStatus(500)
        expect(res).toHaveJsonBody(expect.objectContaining({ error: 'internal' }))
        focusOn(res)
        expect(w.db.sessions.length, 'sessions opened').toBe(1)
        expectAllClosedOnce(w, res)
      },
    )

    it('closes the session when a dependency throws after opening it', async () => {
      const rng = random()
      const w = world(rng)
      const api = appFor(w.options)
      w.db.broken = true // notes' notesOf() throws
      const res = await api.get('/notes', bearer(rng.pick(w.accounts)))
      expect(res).toHaveStatus(500)
      focusOn(res)
      expect(w.db.sessions.length, 'sessions opened').toBe(1)
      expectAllClosedOnce(w, res)
      w.db.broken = false
      const next = await api.get('/notes', bearer(rng.pick(w.accounts)))
      expect(next).toHaveStatus(200)
      expectAllClosedOnce(w, next)
    })

    it(
      'keeps two requests in flight apart: each gets its own session and closes it once',
      async () => {
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
        const api = appFor({ ...w.options, overrides: { currentUser } })
        const first = api.get('/notes')
        await Promise.race([arrived, first])
        const second = await api.get('/notes')
        expect(second).toHaveStatus(200)
        expect(second).toHaveJsonBody(page(w, account.user.id, w.config.defaultLimit, 0))
        release()
        const firstReply = await first
        expect(firstReply).toHaveStatus(200)
        expect(firstReply).toHaveJsonBody(page(w, account.user.id, w.config.defaultLimit, 0))
        focusOn(firstReply)
        expect(w.db.sessions.length, 'sessions opened by two requests').toBe(2)
        expectAllClosedOnce(w, firstReply)
      },
    )
  })
})
