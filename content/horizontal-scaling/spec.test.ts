// horizontal-scaling - the hidden spec.
//
// Three instances of the app (three createApp calls) behind a round-robin load balancer,
// sharing one Redis-like store and one database and nothing else.
//
// Wrong implementations this spec is built to catch:
// - keeps sessions in a Map in the instance: a login on instance 1 is unknown on 2 and 3; or at
//   module level: apps on two stores share sessions
// - signs the session cookie with a secret made per instance (randomBytes in createApp): only
//   the issuing instance accepts it; or a stateless cookie that logout cannot end on the others
// - logs out by expiring the cookie only (the session record survives, a replayed cookie still
//   works on every instance), or deletes every session of the user instead of this one
// - gives sessions no TTL, or a TTL other than sessionTtlSeconds
// - counts the rate limit per instance (three instances admit three times the limit), or with a
//   get then a set (concurrent requests on different instances read the same count), or in one
//   counter for every user
// - anchors the windows at the instance's start (now() read in createApp): instances started at
//   different times disagree on when a window ends; or never starts a new window
// - a Retry-After that is not the whole seconds to the end of the window, rounded up
// - caches notes in the instance: another instance reads the database again, and an update
//   through one instance leaves the others serving the old note; or never invalidates
// - /health/ready that ignores the store or the shutdown signal, /health/live that checks the
//   store (a store outage would restart every instance), health routes behind the session or the
//   rate limit, or an instance that stops serving requests while it drains
import { inspect } from 'node:util'
import { describe, expect, it } from 'vitest'
import {
  build,
  client,
  fakeClock,
  parseSetCookies,
  random,
  task,
  type Client,
  type FakeClock,
  type FetchApp,
  type Rng,
} from '../../harness/spec-kit/index.ts'
import { createApp } from '../../exercises/horizontal-scaling/app.ts'

/** Event-loop turns: how the fakes stand in for network latency without real time. */
async function turns(count: number): Promise<void> {
  for (let i = 0; i < count; i++) await new Promise((resolve) => setImmediate(resolve))
}

/** The shared store, Redis-like: string values, TTLs on the spec's clock, latency in turns. */
class FakeStore {
  readonly calls = { get: 0, set: 0, del: 0, incr: 0 }
  readonly misuse: string[] = []
  down = false
  private readonly data = new Map<string, { value: string; expiresAt: number }>()

  constructor(private readonly clock: FakeClock) {}

  get(key: string): Promise<string | null> {
    return this.op('get', () => this.read(key))
  }

  set(key: string, value: string, options?: { ttlMs?: number }): Promise<void> {
    return this.op('set', () => {
      if (typeof value !== 'string') this.refuse('set: the value must be a string')
      this.data.set(key, { value, expiresAt: this.expiry(options?.ttlMs) })
    })
  }

  del(key: string): Promise<void> {
    return this.op('del', () => void this.data.delete(key))
  }

  incr(key: string, options?: { ttlMs?: number }): Promise<number> {
    return this.op('incr', () => {
      const current = this.read(key)
      if (current !== null && !/^-?\d+$/.test(current)) this.refuse('incr: not an integer')
      const next = Number(current ?? '0') + 1
      const expiresAt = current === null ? this.expiry(options?.ttlMs) : this.data.get(key)!.expiresAt
      this.data.set(key, { value: String(next), expiresAt })
      return next
    })
  }

  [inspect.custom](): string {
    return 'sharedStore()'
  }

  private expiry(ttlMs: unknown): number {
    if (ttlMs === undefined) return Infinity
    if (!(typeof ttlMs === 'number' && ttlMs > 0 && ttlMs < Infinity)) {
      this.refuse('ttlMs must be a positive number of milliseconds')
    }
    return this.clock.now() + (ttlMs as number)
  }

  private async op<T>(kind: keyof FakeStore['calls'], run: () => T): Promise<T> {
    this.calls[kind]++
    await turns(2)
    if (this.down) throw new Error('shared store unavailable: connection refused')
    const result = run()
    await turns(2)
    return result
  }

  private read(key: string): string | null {
    const entry = this.data.get(key)
    if (!entry) return null
    if (this.clock.now() >= entry.expiresAt) {
      this.data.delete(key)
      return null
    }
    return entry.value
  }

  private refuse(why: string): never {
    this.misuse.push(why)
    throw new TypeError(why)
  }
}

/** The database every instance shares. */
class FakeDb {
  readonly calls = { getNote: 0, updateNote: 0 }
  readonly notes = new Map<number, string>()

  async getNote(id: number) {
    this.calls.getNote++
    const text = this.notes.get(id)
    await turns(2)
    return text === undefined ? null : { id, text }
  }

  async updateNote(id: number, text: string) {
    this.calls.updateNote++
    await turns(1)
    if (!this.notes.has(id)) return null
    this.notes.set(id, text)
    return { id, text }
  }

  [inspect.custom](): string {
    return 'notesDb()'
  }
}

interface SetupOptions {
  limit?: number
  windowSeconds?: number
  clock?: FakeClock
}

function setup(rng: Rng, options: SetupOptions = {}) {
  const clock = options.clock ?? fakeClock(Date.UTC(2036, 1, 3, 4, 0, 0) + rng.int(0, 3_600_000))
  const store = new FakeStore(clock)
  const db = new FakeDb()
  const names = rng.shuffle(['ada', 'grace', 'linus', 'barbara', 'ken', 'margaret'])
  const users = new Map(names.slice(0, 3).map((name) => [name, `pw-${rng.word(8, 12)}`]))
  const [alice, bob] = [...users.keys()] as [string, string]
  for (let i = rng.int(2, 5); i > 0; i--) db.notes.set(rng.int(1, 999), rng.word(5, 12))
  const config = {
    sessionTtlSeconds: rng.pick([600, 1800, 3600]),
    limit: options.limit ?? 1000,
    windowSeconds: options.windowSeconds ?? 60,
    cacheTtlSeconds: rng.pick([30, 60, 120]),
  }
  const controllers: AbortController[] = []
  const make = () => {
    const controller = new AbortController()
    controllers.push(controller)
    return build(createApp, { store, db, users, now: clock.now, ...config, shutdown: controller.signal })
  }
  const apps: FetchApp[] = [make(), make(), make()]
  const clients: Client[] = apps.map((app) => client(app))
  let turn = rng.int(0, 2)
  const guard = () => expect(store.misuse, 'the store refused a call from the app').toEqual([])

  /** The load balancer: each request to the next instance in turn, or to instance `i`. */
  const send = async (method: string, path: string, opts: { sid?: string; json?: unknown; via?: number } = {}) => {
    const i = opts.via ?? turn++ % clients.length
    const headers: Record<string, string> = opts.sid === undefined ? {} : { Cookie: `sid=${opts.sid}` }
    const res = await clients[i]!.send(method, path, { headers, json: opts.json })
    guard()
    return res
  }
  /** Logs in through instance `via` and returns the session id the cookie carries. */
  const login = async (user: string, via?: number) => {
    const res = await send('POST', '/login', { json: { username: user, password: users.get(user) }, via })
    expect(res, `POST /login as ${user}`).toHaveStatus(200)
    const cookie = parseSetCookies(res.headers['set-cookie']).find((c) => c.name === 'sid')
    expect(cookie?.value, 'the login must set a sid cookie').toBeTruthy()
    return cookie!.value
  }
  /** Adds an instance behind the balancer, built now. */
  const addInstance = () => {
    const app = make()
    apps.push(app)
    clients.push(client(app))
    return clients.length - 1
  }
  return {
    rng, clock, store, db, users, alice, bob, config, apps, clients, controllers,
    send, login, addInstance, guard,
  }
}

type Setup = ReturnType<typeof setup>

async function expectMe(s: Setup, sid: string, user: string | null, via: number, why: string) {
  const res = await s.send('GET', '/api/me', { sid, via })
  if (user === null) {
    expect(res, `${why}: instance ${via + 1}`).toHaveStatus(401)
  } else {
    expect(res, `${why}: instance ${via + 1}`).toHaveStatus(200)
    expect(res).toHaveJsonBody(expect.objectContaining({ user }))
  }
}

describe('horizontal-scaling', () => {
  task(1, 'Keep sessions in the shared store', () => {
    it('accepts a session made on one instance on every other instance', async () => {
      const s = setup(random())
      const first = s.rng.int(0, 2)
      const sid = await s.login(s.alice, first)
      for (const via of [0, 1, 2]) await expectMe(s, sid, s.alice, via, `logged in on instance ${first + 1}`)
    })

    it('refuses a wrong password, no cookie and an unknown session id with 401', async () => {
      const s = setup(random())
      const wrong = await s.send('POST', '/login', { json: { username: s.alice, password: 'nope' } })
      expect(wrong, 'a wrong password').toHaveStatus(401)
      expect(parseSetCookies(wrong.headers['set-cookie']).some((c) => c.name === 'sid')).toBe(false)
      expect(await s.send('GET', '/api/me'), 'no cookie').toHaveStatus(401)
      const sid = await s.login(s.alice)
      const forged = sid.slice(0, -2) + (sid.endsWith('AA') ? 'BB' : 'AA')
      expect(await s.send('GET', '/api/me', { sid: forged }), 'a made-up session id').toHaveStatus(401)
    })

    it('ends the session on every instance at logout, even for a replayed cookie', async () => {
      const s = setup(random())
      const sid = await s.login(s.alice, 0)
      const other = await s.login(s.alice, 2) // the same user on another device
      expect(await s.send('POST', '/logout', { sid, via: 1 })).toHaveStatus(204)
      for (const via of [0, 1, 2]) await expectMe(s, sid, null, via, 'the logged-out cookie, sent again')
      for (const via of [0, 1, 2]) await expectMe(s, other, s.alice, via, "the user's other session")
    })

    it('works at once on an instance added after the login', async () => {
      const s = setup(random())
      const sid = await s.login(s.bob)
      s.clock.advance(s.rng.int(1000, 60_000))
      const fourth = s.addInstance()
      await expectMe(s, sid, s.bob, fourth, 'a fourth instance, started after the login')
      expect(await s.send('POST', '/logout', { sid, via: fourth })).toHaveStatus(204)
      for (const via of [0, 1, 2]) await expectMe(s, sid, null, via, 'logged out on the fourth instance')
    })

    it('ends a session sessionTtlSeconds after login', async () => {
      const s = setup(random())
      const sid = await s.login(s.alice)
      s.clock.advance(s.config.sessionTtlSeconds * 1000 - 1)
      await expectMe(s, sid, s.alice, s.rng.int(0, 2), '1 ms before the session ends')
      s.clock.advance(1)
      await expectMe(s, sid, null, s.rng.int(0, 2), 'sessionTtlSeconds after login')
    })

    it('shares nothing with apps on another store', async () => {
      const rng = random()
      const s = setup(rng)
      const t = setup(rng, { clock: s.clock })
      const sid = await s.login(s.alice)
      const res = await t.send('GET', '/api/me', { sid })
      expect(res, 'a session id from another store').toHaveStatus(401)
    })
  })

  task(2, 'Count the rate limit in the shared store', () => {
    it('admits <limit> requests in total over the three instances, then 429 on each', async () => {
      const rng = random()
      const s = setup(rng, { limit: rng.int(3, 7) })
      const sid = await s.login(s.alice)
      for (let i = 0; i < s.config.limit; i++) {
        expect(await s.send('GET', '/api/me', { sid }), `request ${i + 1} of ${s.config.limit}`).toHaveStatus(200)
      }
      for (const via of [0, 1, 2]) {
        const res = await s.send('GET', '/api/me', { sid, via })
        expect(res, `over the limit, on instance ${via + 1}`).toHaveStatus(429)
        expect(res).toHaveJsonBody(expect.objectContaining({ error: 'rate_limited' }))
      }
      const other = await s.login(s.bob)
      expect(await s.send('GET', '/api/me', { sid: other }), 'another user has a limit of their own').toHaveStatus(200)
    })

    it('admits exactly <limit> of many requests sent at once to all instances', async () => {
      const rng = random()
      const s = setup(rng, { limit: rng.int(3, 7) })
      const sid = await s.login(s.alice)
      const count = s.config.limit * 2 + rng.int(1, 5)
      const responses = await Promise.all(
        Array.from({ length: count }, (_, i) =>
          s.apps[i % 3]!.fetch(new Request('http://x/api/me', { headers: { Cookie: `sid=${sid}` } })),
        ),
      )
      s.guard()
      const admitted = responses.filter((res) => res.status === 200).length
      expect(admitted, `${count} requests at once, limit ${s.config.limit}`).toBe(s.config.limit)
      expect(responses.filter((res) => res.status === 429).length).toBe(count - s.config.limit)
    })

    it('starts a new window at every multiple of windowSeconds, with Retry-After to it', async () => {
      const rng = random()
      const windowSeconds = rng.pick([10, 30, 60])
      const windowMs = windowSeconds * 1000
      const boundary = Math.ceil(Date.UTC(2036, 1, 3) / windowMs) * windowMs + rng.int(1, 99) * windowMs
      const into = rng.int(1, windowMs - 1500)
      const s = setup(rng, { limit: rng.int(2, 5), windowSeconds, clock: fakeClock(boundary + into) })
      const sid = await s.login(s.alice)
      for (let i = 0; i < s.config.limit; i++) await s.send('GET', '/api/me', { sid })
      const res = await s.send('GET', '/api/me', { sid })
      expect(res).toHaveStatus(429)
      const expected = String(Math.max(1, Math.ceil((windowMs - into) / 1000)))
      expect(res, 'Retry-After: whole seconds to the end of the window, rounded up').toHaveHeader('Retry-After', expected)
      s.clock.set(boundary + windowMs - 1)
      expect(await s.send('GET', '/api/me', { sid }), '1 ms before the window ends').toHaveStatus(429)
      s.clock.set(boundary + windowMs)
      for (let i = 0; i < s.config.limit; i++) {
        expect(await s.send('GET', '/api/me', { sid }), 'a new window').toHaveStatus(200)
      }
      expect(await s.send('GET', '/api/me', { sid })).toHaveStatus(429)
    })

    it('agrees on the windows between instances started at different times', async () => {
      const rng = random()
      const windowMs = 60_000
      const boundary = Math.ceil(Date.UTC(2036, 1, 3) / windowMs) * windowMs + rng.int(1, 99) * windowMs
      const clock = fakeClock(boundary + rng.int(1000, 20_000))
      const s = setup(rng, { limit: rng.int(2, 5), windowSeconds: 60, clock })
      clock.advance(rng.int(25_000, 35_000)) // the fourth instance starts later, same window
      const fourth = s.addInstance()
      const sid = await s.login(s.alice)
      for (let i = 0; i < s.config.limit; i++) {
        await s.send('GET', '/api/me', { sid, via: i % 2 === 0 ? 0 : fourth })
      }
      for (const via of [0, 1, 2, fourth]) {
        expect(await s.send('GET', '/api/me', { sid, via }), `instance ${via + 1}, same window`).toHaveStatus(429)
      }
      clock.set(boundary + windowMs + rng.int(0, 500)) // past the window every instance shares
      for (const via of [fourth, 0]) {
        expect(await s.send('GET', '/api/me', { sid, via }), `instance ${via + 1}, the next window`).toHaveStatus(200)
      }
    })
    it('refuses a sessionTtlSeconds, limit, windowSeconds or cacheTtlSeconds below 1 or fractional', () => {
      const s = setup(random())
      const base = {
        store: s.store, db: s.db, users: s.users, now: s.clock.now, sessionTtlSeconds: 600,
        limit: 10, windowSeconds: 60, cacheTtlSeconds: 30, shutdown: new AbortController().signal,
      }
      const bad = [
        { limit: 0 }, { limit: 2.5 }, { windowSeconds: 0 }, { windowSeconds: Number.NaN },
        { sessionTtlSeconds: 0 }, { cacheTtlSeconds: -1 },
      ]
      for (const change of bad) {
        expect(() => createApp({ ...base, ...change }), `createApp with ${inspect(change)}`).toThrow()
      }
    })
  })

  task(3, 'Cache notes in the store, invalidate for every instance', () => {
    it('reads a note from the database once for all instances', async () => {
      const s = setup(random())
      const sid = await s.login(s.alice)
      const [id, text] = s.rng.pick([...s.db.notes])
      for (const via of s.rng.shuffle([0, 1, 2])) {
        const res = await s.send('GET', `/api/notes/${id}`, { sid, via })
        expect(res).toHaveStatus(200)
        expect(res).toHaveJsonBody({ id, text })
      }
      expect(s.db.calls.getNote, 'database reads for one note over three instances').toBe(1)
    })

    it('shows an update made through one instance on every other instance at once', async () => {
      const s = setup(random())
      const sid = await s.login(s.alice)
      const [id] = s.rng.pick([...s.db.notes])
      for (const via of [0, 1, 2]) await s.send('GET', `/api/notes/${id}`, { sid, via })
      expect(s.db.calls.getNote, 'one read before the update').toBe(1)
      const writer = s.rng.int(0, 2)
      const text = `edited-${s.rng.word()}`
      const put = await s.send('PUT', `/api/notes/${id}`, { sid, via: writer, json: { text } })
      expect(put).toHaveStatus(200)
      expect(put).toHaveJsonBody({ id, text })
      for (const via of [0, 1, 2]) {
        const res = await s.send('GET', `/api/notes/${id}`, { sid, via })
        expect(res, `instance ${via + 1} after the update on instance ${writer + 1}`).toHaveJsonBody({ id, text })
      }
      // Deleting the entry costs one read after the update; storing the updated note in the
      // shared store (write-through) costs none. Either is fine: the contract is the new text.
      expect(
        s.db.calls.getNote - 1,
        'database reads for the three GETs after the update (the note is shared again at once)',
      ).toBeLessThanOrEqual(1)
    })

    it('lets a cached note expire after cacheTtlSeconds', async () => {
      const s = setup(random())
      const sid = await s.login(s.alice)
      const [id] = s.rng.pick([...s.db.notes])
      await s.send('GET', `/api/notes/${id}`, { sid })
      s.clock.advance(s.config.cacheTtlSeconds * 1000)
      await s.send('GET', `/api/notes/${id}`, { sid })
      expect(s.db.calls.getNote, 'database reads: the first and the one after expiry').toBe(2)
    })

    it('answers 404 for an unknown note and 400 for a text that is not a string', async () => {
      const s = setup(random())
      const sid = await s.login(s.alice)
      const unknown = Math.max(...s.db.notes.keys()) + 1
      expect(await s.send('GET', `/api/notes/${unknown}`, { sid })).toHaveStatus(404)
      const [id] = s.rng.pick([...s.db.notes])
      expect(await s.send('PUT', `/api/notes/${id}`, { sid, json: { text: 5 } })).toHaveStatus(400)
    })
  })

  task(4, 'Report liveness, readiness and draining', () => {
    it('answers /health/live and /health/ready with 200, without a session or a rate limit', async () => {
      const s = setup(random(), { limit: 1 })
      for (const via of [0, 1, 2]) {
        expect(await s.send('GET', '/health/live', { via })).toHaveStatus(200)
        const ready = await s.send('GET', '/health/ready', { via })
        expect(ready).toHaveStatus(200)
        expect(ready).toHaveJsonBody(expect.objectContaining({ status: 'ready' }))
      }
    })

    it('is not ready while the store is down, and still alive', async () => {
      const s = setup(random())
      s.store.down = true
      for (const via of [0, 1, 2]) {
        expect(await s.send('GET', '/health/ready', { via }), 'ready without the store').toHaveStatus(503)
        expect(await s.send('GET', '/health/live', { via }), 'alive without the store').toHaveStatus(200)
      }
      s.store.down = false
      expect(await s.send('GET', '/health/ready'), 'the store is back').toHaveStatus(200)
    })

    it('drains on shutdown: not ready any more, and still serving what reaches it', async () => {
      const s = setup(random())
      const sid = await s.login(s.alice)
      const draining = s.rng.int(0, 2)
      s.controllers[draining]!.abort()
      const ready = await s.send('GET', '/health/ready', { via: draining })
      expect(ready, 'a draining instance').toHaveStatus(503)
      expect(ready).toHaveJsonBody(expect.objectContaining({ status: 'draining' }))
      expect(await s.send('GET', '/health/live', { via: draining })).toHaveStatus(200)
      await expectMe(s, sid, s.alice, draining, 'a request that reached the draining instance')
      // The balancer takes it out of rotation; the others carry on with the same session.
      const healthy: number[] = []
      for (const via of [0, 1, 2]) {
        if ((await s.send('GET', '/health/ready', { via })).status === 200) healthy.push(via)
      }
      expect(healthy.sort(), 'instances still in rotation').toEqual([0, 1, 2].filter((i) => i !== draining))
      for (const via of healthy) await expectMe(s, sid, s.alice, via, 'the rest of the pool')
    })
  })
})

