// service-layer - the hidden spec.
//
// Wrong implementations this spec is built to catch:
// - a service that asks its repository for a username it should have refused (a query, a call
//   to the directory, a cache key for "Bad Name!"), or that passes extra body fields to save
// - service errors that are not the exported classes (the handler cannot map them), a missing
//   profile answered 200 null or 500
// - the directory asked before the database, or as well as the database when the database had
//   the profile; its own shape (login, name, about) leaking into the answer; about: null not ''
// - a directory 500, 503 or 429, or a fetch that throws, answered 404 (or cached as a miss)
//   instead of 503 directory_unavailable; the directory URL built without the base path
// - no cache, a cache that is read but never filled, the TTL ignored or off by one, a TTL
//   counted by the app's own clock instead of the store's, or a module-level memo shared by two
//   apps
// - a cache outage that fails the request instead of reading the sources
// - no negative caching, negative entries kept for ttlMs instead of negativeTtlMs,
//   negativeTtlMs: 0 not honoured (or a miss still set with a TTL of 0), or a directory outage
//   remembered as a miss
// - writes that leave the cache stale (a cached profile, or a cached miss, after PUT; a deleted
//   profile still served), writes sent to the directory, validation after the write
// - ttlMs and negativeTtlMs accepted when negative, fractional or NaN (0 for ttlMs), options
//   without db, fetch, directoryUrl or cache accepted
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
} from '../../harness/spec-kit/index.ts'
import { createApp } from '../../exercises/service-layer/app.ts'
import type { CacheStore } from '../../exercises/service-layer/cache.ts'
import type {
  Profile,
  ProfileInput,
  ProfileRepository,
} from '../../exercises/service-layer/repository.ts'
import {
  createProfileService,
  InvalidProfileError,
  ProfileNotFoundError,
} from '../../exercises/service-layer/service.ts'

const SCHEMA = `CREATE TABLE profiles (
  username TEXT PRIMARY KEY,
  display_name TEXT NOT NULL,
  bio TEXT NOT NULL
)`

const DIRECTORY_URL = 'http://directory.test/v2'
const DEFAULT_TTL = 60_000
const DEFAULT_NEGATIVE_TTL = 5_000

interface DirectoryUser {
  login: string
  name: string
  about: string | null
}

/** The directory's behaviour per username: a user, or an outage of some kind. */
type DirectoryEntry = DirectoryUser | 500 | 503 | 429 | 'throws'

interface FakeDirectory {
  fetch: typeof globalThis.fetch
  entries: Map<string, DirectoryEntry>
  /** The URLs the app asked for, in order. */
  calls: string[]
}

function fakeDirectory(): FakeDirectory {
  const entries = new Map<string, DirectoryEntry>()
  const calls: string[] = []
  const fetch = async (input: string | URL | Request, init?: RequestInit) => {
    const url = new URL(typeof input === 'string' || input instanceof URL ? input : input.url)
    calls.push(url.href)
    const method = (init?.method ?? (input instanceof Request ? input.method : 'GET')).toUpperCase()
    const match = /^\/v2\/users\/([^/]+)$/.exec(url.pathname)
    if (url.origin !== 'http://directory.test' || !match || method !== 'GET') {
      return new Response('{"error":"no such endpoint"}', { status: 400 })
    }
    const entry = entries.get(decodeURIComponent(match[1]!))
    if (entry === 'throws') throw new TypeError('fetch failed: connect ECONNREFUSED')
    if (typeof entry === 'number') return new Response('{"error":"unavailable"}', { status: entry })
    if (!entry) return new Response('{"error":"not found"}', { status: 404 })
    return Response.json(entry)
  }
  return { fetch: fetch as typeof globalThis.fetch, entries, calls }
}

/** A cache store with expiry like Redis's, on the spec's clock, that counts its calls. */
interface FakeStore extends CacheStore {
  calls: { op: 'get' | 'set' | 'delete'; key: string; ttlMs?: number }[]
  /** Makes every call reject, like a store that is down. */
  broken: boolean
  size(): number
}

function fakeStore(clock: FakeClock): FakeStore {
  const entries = new Map<string, { value: string; expiresAt: number }>()
  const down = () => Promise.reject(new Error('ECONNREFUSED cache.internal:6379'))
  const store: FakeStore = {
    calls: [],
    broken: false,
    size: () => [...entries.values()].filter((e) => clock.now() < e.expiresAt).length,
    async get(key) {
      store.calls.push({ op: 'get', key })
      if (store.broken) return down()
      const entry = entries.get(key)
      if (!entry || clock.now() >= entry.expiresAt) return undefined
      return entry.value
    },
    async set(key, value, ttlMs) {
      store.calls.push({ op: 'set', key, ttlMs })
      if (store.broken) return down()
      if (typeof value !== 'string') throw new TypeError('the store keeps strings')
      entries.set(key, { value, expiresAt: clock.now() + ttlMs })
    },
    async delete(key) {
      store.calls.push({ op: 'delete', key })
      if (store.broken) return down()
      entries.delete(key)
    },
  }
  return store
}

interface Setup {
  rng: Rng
  clock: FakeClock
  probe: DatabaseProbe
  store: FakeStore
  directory: FakeDirectory
  api: Client
  /** Profiles in the database. */
  local: Profile[]
  /** Users only the directory has, as the app should answer them. */
  remote: Profile[]
}

function username(rng: Rng): string {
  return `${rng.word(3, 8)}_${rng.int(10, 99)}`
}

function profileOf(rng: Rng, source: Profile['source']): Profile {
  return {
    username: username(rng),
    displayName: `${rng.word()} ${rng.word()}`,
    bio: rng.next() < 0.2 ? '' : `${rng.word()} ${rng.word(2, 5)} ${rng.word()}`,
    source,
  }
}

interface SetupOptions {
  ttlMs?: number
  negativeTtlMs?: number
}

async function setup(options: SetupOptions = {}): Promise<Setup> {
  const rng = random()
  const clock = fakeClock()
  const { db, probe } = await database()
  probe.exec(SCHEMA)
  const local = Array.from({ length: rng.int(2, 4) }, () => profileOf(rng, 'local'))
  const remote = Array.from({ length: rng.int(2, 4) }, () => profileOf(rng, 'directory'))
  for (const p of local) {
    probe.exec(`INSERT INTO profiles VALUES ('${p.username}', '${p.displayName}', '${p.bio}')`)
  }
  const directory = fakeDirectory()
  for (const p of remote) {
    directory.entries.set(p.username, {
      login: p.username,
      name: p.displayName,
      about: p.bio === '' && rng.next() < 0.5 ? null : p.bio,
    })
  }
  const store = fakeStore(clock)
  const api = client(
    build(createApp, {
      db,
      fetch: directory.fetch,
      directoryUrl: DIRECTORY_URL,
      cache: store,
      ...options,
    }),
  )
  return { rng, clock, probe, store, directory, api, local, remote }
}

/** Counts what one step cost: database statements, directory calls. */
async function costOf(
  s: Setup,
  step: () => Promise<Reply>,
): Promise<{ res: Reply; db: number; fetches: number }> {
  const db = s.probe.count()
  const fetches = s.directory.calls.length
  const res = await step()
  return { res, db: s.probe.count() - db, fetches: s.directory.calls.length - fetches }
}

function get(s: Setup, name: string): Promise<Reply> {
  return s.api.get(`/api/profiles/${encodeURIComponent(name)}`)
}

function put(s: Setup, name: string, body: unknown, raw?: string): Promise<Reply> {
  const path = `/api/profiles/${encodeURIComponent(name)}`
  if (raw !== undefined) {
    return s.api.put(path, { headers: { 'Content-Type': 'application/json' }, body: raw })
  }
  return s.api.put(path, { json: body })
}

function expectProfile(res: Reply, profile: Profile): void {
  expect(res).toHaveStatus(200)
  expect(res).toHaveJsonBody(profile)
}

function expectNotFound(res: Reply): void {
  expect(res).toHaveStatus(404)
  expect(res).toHaveJsonBody(expect.objectContaining({ error: 'not_found' }))
}

function expectUnavailable(res: Reply): void {
  expect(res).toHaveStatus(503)
  expect(res).toHaveJsonBody(expect.objectContaining({ error: 'directory_unavailable' }))
}

/** A name nobody has: not in the database, and a 404 from the directory. */
function nobody(s: Setup): string {
  return `${s.rng.word(4, 8)}-none-${s.rng.int(100, 999)}`
}

function localRow(s: Setup, name: string) {
  return s.probe.query('SELECT username, display_name, bio FROM profiles WHERE username = ?', [
    name,
  ])
}

/** A repository the spec controls, for the service on its own. */
function fakeRepository(found: Profile | null = null, removed = true) {
  const calls: { op: string; arg: unknown }[] = []
  const repo: ProfileRepository = {
    find: async (name) => {
      calls.push({ op: 'find', arg: name })
      return found
    },
    save: async (input: ProfileInput) => {
      calls.push({ op: 'save', arg: input })
      return { ...input, source: 'local' }
    },
    remove: async (name) => {
      calls.push({ op: 'remove', arg: name })
      return removed
    },
  }
  return { repo, calls }
}

const INVALID_USERNAMES = [
  'ab',
  'Ada_Lovelace',
  'has space',
  'dot.name',
  'a'.repeat(33),
  'naïve',
  'semi;colon',
]

describe('service-layer', () => {
  task(1, 'Read local profiles through a service', () => {
    it('GET /api/profiles/:username answers a profile from the database', async () => {
      const s = await setup()
      const profile = s.rng.pick(s.local)
      expectProfile(await get(s, profile.username), profile)
    })

    it('answers 404 not_found for a username nobody has', async () => {
      const s = await setup()
      expectNotFound(await get(s, nobody(s)))
    })

    it('answers 400 invalid_username to a bad username, before any source or the cache is asked', async () => {
      const s = await setup()
      s.probe.clear()
      for (const name of INVALID_USERNAMES) {
        const res = await get(s, name)
        expect(res).toHaveStatus(400)
        expect(res).toHaveJsonBody(expect.objectContaining({ error: 'invalid_username' }))
      }
      expect(s.probe.count(), 'no database statement').toBe(0)
      expect(s.directory.calls, 'no directory call').toEqual([])
      expect(s.store.calls, 'no cache call').toEqual([])
    })

    it('createProfileService(deps).getProfile answers what the repository finds', async () => {
      const rng = random()
      const profile = profileOf(rng, rng.pick(['local', 'directory'] as const))
      const { repo, calls } = fakeRepository(profile)
      const service = createProfileService({ profiles: repo })
      await expect(service.getProfile(profile.username)).resolves.toEqual(profile)
      expect(calls).toEqual([{ op: 'find', arg: profile.username }])
    })

    it('getProfile rejects with ProfileNotFoundError when the repository finds nothing', async () => {
      const rng = random()
      const { repo } = fakeRepository(null)
      const service = createProfileService({ profiles: repo })
      await expect(service.getProfile(username(rng))).rejects.toBeInstanceOf(ProfileNotFoundError)
    })

    it('getProfile rejects a bad username with InvalidProfileError, field "username", unasked', async () => {
      const { repo, calls } = fakeRepository(null)
      const service = createProfileService({ profiles: repo })
      for (const name of INVALID_USERNAMES) {
        const error = await service.getProfile(name).catch((e: unknown) => e)
        expect(error, `getProfile(${JSON.stringify(name)})`).toBeInstanceOf(InvalidProfileError)
        expect((error as InvalidProfileError).field).toBe('username')
      }
      expect(calls, 'the repository was never asked').toEqual([])
    })

    it('createApp throws a TypeError without db, fetch, directoryUrl or cache', async () => {
      const rng = random()
      const { db } = await database()
      const full = {
        db,
        fetch: fakeDirectory().fetch,
        directoryUrl: DIRECTORY_URL,
        cache: fakeStore(fakeClock()),
      }
      expect(() => createApp(full)).not.toThrow()
      for (const missing of rng.shuffle(['db', 'fetch', 'directoryUrl', 'cache'] as const)) {
        const options = { ...full, [missing]: undefined } as never
        expect(() => createApp(options), `options without ${missing}`).toThrow(TypeError)
      }
    })
  })

  task(2, 'Fall back to the directory', () => {
    it('answers a profile only the directory has, in the app\'s shape, source "directory"', async () => {
      const s = await setup()
      for (const profile of s.remote) expectProfile(await get(s, profile.username), profile)
    })

    it('answers bio "" for a directory user whose about is null', async () => {
      const s = await setup()
      const profile: Profile = { ...profileOf(s.rng, 'directory'), bio: '' }
      s.directory.entries.set(profile.username, {
        login: profile.username,
        name: profile.displayName,
        about: null,
      })
      expectProfile(await get(s, profile.username), profile)
    })

    it('asks the directory at <directoryUrl>/users/<username>', async () => {
      const s = await setup()
      const profile = s.rng.pick(s.remote)
      await get(s, profile.username)
      expect(s.directory.calls).toEqual([`${DIRECTORY_URL}/users/${profile.username}`])
    })

    it('never asks the directory for a profile the database has', async () => {
      const s = await setup()
      const profile = s.rng.pick(s.local)
      // The directory knows the name too, with other details: the database wins.
      s.directory.entries.set(profile.username, {
        login: profile.username,
        name: 'Someone Else',
        about: 'x',
      })
      const { res, fetches } = await costOf(s, () => get(s, profile.username))
      expectProfile(res, profile)
      expect(fetches, 'no directory call').toBe(0)
    })

    it('answers 404 when neither the database nor the directory has the name', async () => {
      const s = await setup()
      const name = nobody(s)
      const { res, db, fetches } = await costOf(s, () => get(s, name))
      expectNotFound(res)
      expect(db, 'the database was asked').toBeGreaterThan(0)
      expect(fetches, 'then the directory').toBe(1)
    })

    it.each([500, 503, 429, 'throws'] as const)(
      'answers 503 directory_unavailable when the directory answers %s',
      async (outage) => {
        const s = await setup()
        const profile = s.rng.pick(s.remote)
        s.directory.entries.set(profile.username, outage)
        expectUnavailable(await get(s, profile.username))
        // A profile the database has does not need the directory at all.
        const mine = s.rng.pick(s.local)
        expectProfile(await get(s, mine.username), mine)
      },
    )
  })

  task(3, 'Read through the cache', () => {
    it('answers a second read from the cache: no database statement, no directory call', async () => {
      const s = await setup()
      const mine = s.rng.pick(s.local)
      const theirs = s.rng.pick(s.remote)
      expectProfile(await get(s, mine.username), mine)
      expectProfile(await get(s, theirs.username), theirs)
      s.clock.advance(s.rng.int(1, DEFAULT_TTL - 1))
      for (const profile of [mine, theirs]) {
        const { res, db, fetches } = await costOf(s, () => get(s, profile.username))
        expectProfile(res, profile)
        focusOn(res)
        expect(db, 'no database statement').toBe(0)
        expect(fetches, 'no directory call').toBe(0)
      }
    })

    it('keeps a profile ttlMs: read again at ttlMs, not at ttlMs - 1', async () => {
      const rng = random()
      const ttlMs = rng.int(2, 30) * 1000
      const s = await setup({ ttlMs })
      const profile = s.rng.pick([...s.local, ...s.remote])
      await get(s, profile.username)
      s.clock.advance(ttlMs - 1)
      const cached = await costOf(s, () => get(s, profile.username))
      expectProfile(cached.res, profile)
      expect(cached.db + cached.fetches, 'still cached at ttlMs - 1').toBe(0)
      s.clock.advance(1)
      const fresh = await costOf(s, () => get(s, profile.username))
      expectProfile(fresh.res, profile)
      expect(fresh.db, 'read from the sources again at ttlMs').toBeGreaterThan(0)
    })

    it('keeps a profile 60 seconds when ttlMs is not given', async () => {
      const s = await setup()
      const profile = s.rng.pick(s.local)
      await get(s, profile.username)
      s.clock.advance(DEFAULT_TTL - 1)
      expect((await costOf(s, () => get(s, profile.username))).db, 'cached at 59.999 s').toBe(0)
      s.clock.advance(1)
      expect(
        (await costOf(s, () => get(s, profile.username))).db,
        'read again at 60 s',
      ).toBeGreaterThan(0)
    })

    it('still answers from the sources when the cache store is down', async () => {
      const s = await setup()
      s.store.broken = true
      for (const profile of [s.rng.pick(s.local), s.rng.pick(s.remote)]) {
        expectProfile(await get(s, profile.username), profile)
        expectProfile(await get(s, profile.username), profile)
      }
      expectNotFound(await get(s, nobody(s)))
    })

    it('does not cache a directory outage', async () => {
      const s = await setup()
      const profile = s.rng.pick(s.remote)
      const entry = s.directory.entries.get(profile.username)!
      s.directory.entries.set(profile.username, s.rng.pick([500, 503, 'throws'] as const))
      expectUnavailable(await get(s, profile.username))
      s.directory.entries.set(profile.username, entry)
      expectProfile(await get(s, profile.username), profile)
    })

    it('shares nothing between two apps but the store they are given', async () => {
      const one = await setup()
      const two = await setup()
      const profile = one.rng.pick(one.local)
      expectProfile(await get(one, profile.username), profile)
      // The same name in the second app's database, with other details.
      const other = {
        ...profile,
        displayName: `${two.rng.word()} ${two.rng.word()}`,
        bio: two.rng.word(),
      }
      two.probe.exec(
        `INSERT INTO profiles VALUES ('${other.username}', '${other.displayName}', '${other.bio}')`,
      )
      expectProfile(await get(two, profile.username), other)
    })

    it('createApp throws a RangeError for a ttlMs that is not a whole number > 0', async () => {
      const { db } = await database()
      const base = {
        db,
        fetch: fakeDirectory().fetch,
        directoryUrl: DIRECTORY_URL,
        cache: fakeStore(fakeClock()),
      }
      for (const ttlMs of [0, -1000, 1.5, Number.NaN]) {
        expect(() => createApp({ ...base, ttlMs }), `ttlMs ${ttlMs}`).toThrow(RangeError)
      }
      expect(() => createApp({ ...base, ttlMs: 1 })).not.toThrow()
    })
  })

  task(4, 'Remember a miss for negativeTtlMs', () => {
    it('answers a repeated miss from the cache until negativeTtlMs has passed', async () => {
      const rng = random()
      const negativeTtlMs = rng.int(1, 10) * 1000
      const s = await setup({ ttlMs: negativeTtlMs * 6, negativeTtlMs })
      const name = nobody(s)
      expectNotFound(await get(s, name))
      s.clock.advance(negativeTtlMs - 1)
      const cached = await costOf(s, () => get(s, name))
      expectNotFound(cached.res)
      expect(cached.db + cached.fetches, 'the miss was cached: no source asked').toBe(0)
      s.clock.advance(1)
      const again = await costOf(s, () => get(s, name))
      expectNotFound(again.res)
      expect(again.fetches, 'asked again at negativeTtlMs (not at ttlMs)').toBe(1)
    })

    it('keeps a miss 5 seconds when negativeTtlMs is not given', async () => {
      const s = await setup()
      const name = nobody(s)
      await get(s, name)
      s.clock.advance(DEFAULT_NEGATIVE_TTL - 1)
      expect((await costOf(s, () => get(s, name))).fetches, 'cached at 4.999 s').toBe(0)
      s.clock.advance(1)
      expect((await costOf(s, () => get(s, name))).fetches, 'asked again at 5 s').toBe(1)
    })

    it('caches no miss with negativeTtlMs: 0: no set for a miss, every miss asks the sources', async () => {
      const s = await setup({ negativeTtlMs: 0 })
      const name = nobody(s)
      for (let i = 0; i < 3; i++) {
        const { res, fetches } = await costOf(s, () => get(s, name))
        expectNotFound(res)
        expect(fetches, 'every miss asks the directory').toBe(1)
      }
      // A TTL of 0 is not "keep it for no time" in every store: memcached keeps exptime 0
      // forever and Redis refuses PX 0, so a miss must not be set at all.
      expect(
        s.store.calls.filter((c) => c.op === 'set'),
        'no store.set call for a miss',
      ).toEqual([])
    })

    it('finds a name the directory gained once the miss has expired', async () => {
      const rng = random()
      const negativeTtlMs = rng.int(1, 5) * 1000
      const s = await setup({ negativeTtlMs })
      const profile = profileOf(rng, 'directory')
      expectNotFound(await get(s, profile.username))
      s.directory.entries.set(profile.username, {
        login: profile.username,
        name: profile.displayName,
        about: profile.bio,
      })
      expectNotFound(await get(s, profile.username))
      s.clock.advance(negativeTtlMs)
      expectProfile(await get(s, profile.username), profile)
    })

    it('does not remember a directory outage as a miss', async () => {
      const s = await setup()
      const profile = s.rng.pick(s.remote)
      const entry = s.directory.entries.get(profile.username)!
      s.directory.entries.set(profile.username, 'throws')
      expectUnavailable(await get(s, profile.username))
      s.directory.entries.set(profile.username, entry)
      const { res, fetches } = await costOf(s, () => get(s, profile.username))
      expectProfile(res, profile)
      expect(fetches, 'the directory was asked again').toBe(1)
    })

    it('createApp throws a RangeError for a negativeTtlMs that is not a whole number >= 0', async () => {
      const { db } = await database()
      const base = {
        db,
        fetch: fakeDirectory().fetch,
        directoryUrl: DIRECTORY_URL,
        cache: fakeStore(fakeClock()),
      }
      for (const negativeTtlMs of [-1, 0.5, Number.NaN]) {
        expect(
          () => createApp({ ...base, negativeTtlMs }),
          `negativeTtlMs ${negativeTtlMs}`,
        ).toThrow(RangeError)
      }
      expect(() => createApp({ ...base, negativeTtlMs: 0 })).not.toThrow()
    })
  })

  task(5, 'Write to the database, then clear the cache', () => {
    it('PUT stores a new profile in the database and answers it', async () => {
      const s = await setup()
      const profile = profileOf(s.rng, 'local')
      const res = await put(s, profile.username, {
        displayName: profile.displayName,
        bio: profile.bio,
      })
      expectProfile(res, profile)
      expect(localRow(s, profile.username)).toEqual([
        { username: profile.username, display_name: profile.displayName, bio: profile.bio },
      ])
      expectProfile(await get(s, profile.username), profile)
    })

    it('PUT over a cached profile: the next GET answers the new one', async () => {
      const s = await setup()
      const old = s.rng.pick(s.local)
      expectProfile(await get(s, old.username), old)
      const updated = { ...old, displayName: `${s.rng.word()} ${s.rng.word()}`, bio: s.rng.word() }
      expectProfile(
        await put(s, old.username, { displayName: updated.displayName, bio: updated.bio }),
        updated,
      )
      expectProfile(await get(s, old.username), updated)
    })

    it('PUT of a name whose miss is cached: the next GET finds it', async () => {
      const s = await setup({ negativeTtlMs: 30_000 })
      const profile = profileOf(s.rng, 'local')
      expectNotFound(await get(s, profile.username))
      await put(s, profile.username, { displayName: profile.displayName, bio: profile.bio })
      expectProfile(await get(s, profile.username), profile)
    })

    it('PUT of a name only the directory has makes it local, and GET answers the local one', async () => {
      const s = await setup()
      const remote = s.rng.pick(s.remote)
      expectProfile(await get(s, remote.username), remote)
      const local: Profile = {
        ...remote,
        displayName: `${s.rng.word()} ${s.rng.word()}`,
        source: 'local',
      }
      expectProfile(
        await put(s, remote.username, { displayName: local.displayName, bio: local.bio }),
        local,
      )
      expectProfile(await get(s, remote.username), local)
    })

    it('DELETE removes the local profile: 204, and GET falls back to the directory or 404', async () => {
      const s = await setup()
      const [gone, shadowed] = s.rng.shuffle(s.local)
      const remote: Profile = { ...shadowed!, displayName: s.rng.word(), source: 'directory' }
      s.directory.entries.set(remote.username, {
        login: remote.username,
        name: remote.displayName,
        about: remote.bio,
      })
      for (const p of [gone!, shadowed!]) expectProfile(await get(s, p.username), p)
      for (const p of [gone!, shadowed!]) {
        const res = await s.api.delete(`/api/profiles/${p.username}`)
        expect(res).toHaveStatus(204)
        expect(localRow(s, p.username), 'the row is gone').toEqual([])
      }
      expectNotFound(await get(s, gone!.username))
      expectProfile(await get(s, shadowed!.username), remote)
    })

    it('DELETE of a name with no local profile is 404, also when the directory has it', async () => {
      const s = await setup()
      const remote = s.rng.pick(s.remote)
      for (const name of [nobody(s), remote.username])
        expectNotFound(await s.api.delete(`/api/profiles/${name}`))
      expectProfile(await get(s, remote.username), remote)
    })

    const invalidBodies: [string, string, unknown, string?][] = [
      ['the body is not JSON', 'body', undefined, '{"displayName": '],
      ['the body is an array', 'body', [{ displayName: 'Ada', bio: '' }]],
      ['displayName is missing', 'displayName', { bio: 'hello' }],
      ['displayName is empty', 'displayName', { displayName: '', bio: '' }],
      ['displayName is only spaces', 'displayName', { displayName: '   ', bio: '' }],
      ['displayName is 81 characters', 'displayName', { displayName: 'a'.repeat(81), bio: '' }],
      ['displayName is a number', 'displayName', { displayName: 42, bio: '' }],
      ['bio is missing', 'bio', { displayName: 'Ada' }],
      ['bio is 281 characters', 'bio', { displayName: 'Ada', bio: 'b'.repeat(281) }],
      ['bio is null', 'bio', { displayName: 'Ada', bio: null }],
    ]
    it.each(invalidBodies)(
      'PUT answers 400 invalid_profile when %s, and writes nothing',
      async (_, field, body, raw) => {
        const s = await setup()
        const target = s.rng.pick(s.local)
        await get(s, target.username)
        const writes = s.store.calls.length
        s.probe.clear()
        const res = await put(s, target.username, body, raw)
        expect(res).toHaveStatus(400)
        expect(res).toHaveJsonBody(expect.objectContaining({ error: 'invalid_profile', field }))
        const changed = s.probe
          .statements()
          .filter((st) => /\b(insert|update|delete|replace)\b/i.test(st.sql))
        expect(changed, 'no statement changed the database').toEqual([])
        expect(
          s.store.calls.slice(writes).filter((c) => c.op !== 'get'),
          'the cache was not touched',
        ).toEqual([])
        expectProfile(await get(s, target.username), target)
      },
    )

    it('PUT accepts a displayName of 80 characters and a bio of 280, or an empty bio', async () => {
      const s = await setup()
      const name = username(s.rng)
      for (const body of [
        { displayName: 'd'.repeat(80), bio: 'b'.repeat(280) },
        { displayName: 'Ada', bio: '' },
      ]) {
        expectProfile(await put(s, name, body), { username: name, ...body, source: 'local' })
      }
    })

    it('saveProfile validates before the repository and saves only username, displayName and bio', async () => {
      const rng = random()
      const { repo, calls } = fakeRepository()
      const service = createProfileService({ profiles: repo })
      const name = username(rng)
      for (const [, field, body] of invalidBodies.filter(([, f]) => f !== 'body')) {
        const error = await service.saveProfile(name, body).catch((e: unknown) => e)
        expect(error, `saveProfile(${JSON.stringify(body)})`).toBeInstanceOf(InvalidProfileError)
        expect((error as InvalidProfileError).field).toBe(field)
      }
      for (const body of [undefined, null, 'text', [1]]) {
        const error = await service.saveProfile(name, body).catch((e: unknown) => e)
        expect((error as InvalidProfileError).field, `saveProfile(${JSON.stringify(body)})`).toBe(
          'body',
        )
      }
      expect(calls, 'the repository was never asked').toEqual([])
      const input = {
        displayName: `${rng.word()} ${rng.word()}`,
        bio: rng.word(),
        role: 'admin',
        source: 'directory',
      }
      await expect(service.saveProfile(name, input)).resolves.toEqual({
        username: name,
        displayName: input.displayName,
        bio: input.bio,
        source: 'local',
      })
      expect(calls).toEqual([
        { op: 'save', arg: { username: name, displayName: input.displayName, bio: input.bio } },
      ])
    })

    it('deleteProfile rejects with ProfileNotFoundError when the repository removed nothing', async () => {
      const rng = random()
      const none = fakeRepository(null, false)
      await expect(
        createProfileService({ profiles: none.repo }).deleteProfile(username(rng)),
      ).rejects.toBeInstanceOf(ProfileNotFoundError)
      const some = fakeRepository(null, true)
      const name = username(rng)
      await expect(
        createProfileService({ profiles: some.repo }).deleteProfile(name),
      ).resolves.toBeUndefined()
      expect(some.calls).toEqual([{ op: 'remove', arg: name }])
    })
  })
})
