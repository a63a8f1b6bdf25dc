// server-cache - the hidden spec.
//
// Wrong implementations this spec is built to catch:
// - caches in the instance (a Map in createApp) instead of the shared store: a second instance
//   on the same store misses; or at module level: two apps on two stores share entries
// - keys by path alone (every category gets the first category's list), or by the raw query
//   string (?a=1&b=2 and ?b=2&a=1 are two entries, two database reads)
// - leaves the language out of the key of a product or of the list (a German client gets the
//   English names), or forgets Vary: Accept-Language
// - leaves the user out of the key of private data: the second user gets the first one's orders
// - stores entries without a TTL, with the same TTL for every entry (random() read once when
//   the app is built, or never), with jitter on one side only (ttl * (1 + j * r)), or outside
//   ttl * (1 ± j)
// - invalidates nothing on a write, only the product's own entry in the language of the write,
//   only the product and not the lists that contain it, or everything (one global generation:
//   every other product misses too)
// - invalidates before the write has committed: a read in between refills the old data; or
//   answers the write before the store has taken the invalidation (the incr not awaited): the
//   next GET still finds the old entry while a slow store is applying it
// - lets a read that started before a write put its older result where later reads find it
//   (delete-then-refill race), or lets a read that starts after the write join the older
//   in-flight read
// - no single flight: N concurrent misses make N database reads; or a flight keyed without
//   the language or the user (requests that differ share one answer); or flights never
//   removed (an expired entry is served from the finished promise forever)
// - lets a store failure become a 500, waits forever on a store that hangs (no timeout, or a
//   real setTimeout instead of the injected sleep), says HIT or MISS while bypassing, fails a
//   write because the invalidation failed, or keeps bypassing once the store is back
import { inspect } from 'node:util'
import { describe, expect, it } from 'vitest'
import {
  build,
  client,
  fakeClock,
  random,
  task,
  type FakeClock,
  type Reply,
  type Rng,
} from '../../harness/spec-kit/index.ts'
import { createApp } from '../../exercises/server-cache/app.ts'

type Lang = 'en' | 'de' | 'fr'
const LANGS: readonly Lang[] = ['en', 'de', 'fr']
const ACCEPT: Record<Lang, readonly string[]> = {
  en: ['en', 'en-GB', 'en-US,en;q=0.8'],
  de: ['de', 'de-DE', 'de-CH, en;q=0.5'],
  fr: ['fr', 'fr-FR', 'fr-CA,fr;q=0.9,en;q=0.5'],
}

/** Event-loop turns: how the fakes stand in for network latency without real time. */
async function turns(count: number): Promise<void> {
  for (let i = 0; i < count; i++) await new Promise((resolve) => setImmediate(resolve))
}

/** Waits (in turns, never in time) until `condition` holds. */
async function until(condition: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 2000 && !condition(); i++) await turns(1)
  expect(condition(), `waited for ${what}`).toBe(true)
}

type StoreKind = 'get' | 'set' | 'del' | 'incr'

/**
 * The shared store, Redis-like: string values, TTLs on the spec's clock, a few event-loop turns
 * each way. `failing` makes calls reject (connection refused); `hanging` makes them never answer.
 */
class FakeStore {
  readonly calls: Record<StoreKind, number> = { get: 0, set: 0, del: 0, incr: 0 }
  readonly sets: { key: string; value: string; ttlMs: number | undefined }[] = []
  readonly misuse: string[] = []
  readonly failing = new Set<StoreKind>()
  readonly hanging = new Set<StoreKind>()
  private holding: { kinds: readonly StoreKind[]; gates: (() => void)[] } | null = null
  private readonly data = new Map<string, { value: string; expiresAt: number }>()

  constructor(private readonly clock: FakeClock) {}

  down(mode: 'failing' | 'hanging', kinds: readonly StoreKind[] = ['get', 'set', 'del', 'incr']) {
    for (const kind of kinds) this[mode].add(kind)
  }

  up(): void {
    this.failing.clear()
    this.hanging.clear()
  }

  /**
   * Slow, not down: from now on, each call of these kinds takes effect (and answers) only when
   * the spec lets it through, one at a time. The spec's timer does not run out meanwhile
   * (`slowStore` in setup).
   */
  hold(kinds: readonly StoreKind[]) {
    const holding = { kinds, gates: [] as (() => void)[] }
    this.holding = holding
    return {
      /** Calls held right now. */
      pending: () => holding.gates.length,
      /** Lets the latest held call through. */
      releaseLast: () => holding.gates.pop()?.(),
      /** Lets every held call through and stops holding. */
      releaseAll: () => {
        if (this.holding === holding) this.holding = null
        for (const gate of holding.gates.splice(0)) gate()
      },
    }
  }

  get(key: string): Promise<string | null> {
    return this.op('get', () => this.read(key))
  }

  set(key: string, value: string, options?: { ttlMs?: number }): Promise<void> {
    return this.op('set', () => {
      const ttlMs = options?.ttlMs
      if (typeof value !== 'string') this.refuse('set: the value must be a string')
      if (ttlMs !== undefined && !(typeof ttlMs === 'number' && ttlMs > 0 && ttlMs < Infinity)) {
        this.refuse('set: ttlMs must be a positive number of milliseconds')
      }
      this.sets.push({ key, value, ttlMs })
      const expiresAt = ttlMs === undefined ? Infinity : this.clock.now() + ttlMs
      this.data.set(key, { value, expiresAt })
    })
  }

  del(key: string): Promise<void> {
    return this.op('del', () => void this.data.delete(key))
  }

  incr(key: string): Promise<number> {
    return this.op('incr', () => {
      const current = this.read(key) ?? '0'
      if (!/^-?\d+$/.test(current)) this.refuse('incr: the value is not an integer')
      const next = Number(current) + 1
      const expiresAt = this.data.get(key)?.expiresAt ?? Infinity // INCR keeps the TTL
      this.data.set(key, { value: String(next), expiresAt })
      return next
    })
  }

  [inspect.custom](): string {
    return 'cacheStore()'
  }

  private async op<T>(kind: StoreKind, run: () => T): Promise<T> {
    this.calls[kind]++
    const held = this.holding?.kinds.includes(kind)
      ? new Promise<void>((resolve) => this.holding!.gates.push(resolve))
      : undefined
    await turns(2)
    if (this.hanging.has(kind)) return new Promise<T>(() => {})
    if (this.failing.has(kind)) {
      await turns(1)
      throw new Error('cache store unavailable: connection refused')
    }
    if (held) await held
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

interface Row {
  id: number
  names: Record<Lang, string>
  category: string
  price: number
}
type DbKind = 'listProducts' | 'getProduct' | 'setPrice' | 'deleteProduct' | 'listOrders'

/**
 * The database: products named in three languages, orders per user. A read takes its snapshot
 * when it is called and answers a few turns later (or when the spec releases it); a write
 * commits when it is released.
 */
class FakeDb {
  readonly calls: Record<DbKind, number> = {
    listProducts: 0, getProduct: 0, setPrice: 0, deleteProduct: 0, listOrders: 0,
  }
  readonly rows = new Map<number, Row>()
  readonly orders = new Map<string, { id: number; product: number; quantity: number }[]>()
  private readonly holds = new Map<DbKind, Promise<void>>()

  get reads(): number {
    return this.calls.listProducts + this.calls.getProduct + this.calls.listOrders
  }

  /** The next call of `kind` waits until the returned function is called. */
  hold(kind: DbKind): () => void {
    let release!: () => void
    this.holds.set(kind, new Promise<void>((resolve) => (release = resolve)))
    return () => release()
  }

  product(id: number, lang: Lang) {
    const row = this.rows.get(id)
    return row ? { id, name: row.names[lang], category: row.category, price: row.price } : null
  }

  async listProducts(query: { category?: string; sort: string }, lang: Lang) {
    this.calls.listProducts++
    const sort = query.sort as 'id' | 'name' | 'price'
    const rows = [...this.rows.values()]
      .filter((row) => query.category === undefined || row.category === query.category)
      .map((row) => this.product(row.id, lang)!)
      .sort((a, b) => (a[sort] < b[sort] ? -1 : a[sort] > b[sort] ? 1 : a.id - b.id))
    return this.answer('listProducts', rows)
  }

  async getProduct(id: number, lang: Lang) {
    this.calls.getProduct++
    return this.answer('getProduct', this.product(id, lang))
  }

  async listOrders(userId: string) {
    this.calls.listOrders++
    return this.answer('listOrders', structuredClone(this.orders.get(userId) ?? []))
  }

  async setPrice(id: number, price: number) {
    this.calls.setPrice++
    await this.wait('setPrice')
    const row = this.rows.get(id)
    if (row) row.price = price
    await turns(1)
    return row !== undefined
  }

  async deleteProduct(id: number) {
    this.calls.deleteProduct++
    await this.wait('deleteProduct')
    const found = this.rows.delete(id)
    await turns(1)
    return found
  }

  [inspect.custom](): string {
    return 'catalogDb()'
  }

  private async answer<T>(kind: DbKind, snapshot: T): Promise<T> {
    await this.wait(kind)
    await turns(2)
    return snapshot
  }

  private async wait(kind: DbKind): Promise<void> {
    const hold = this.holds.get(kind)
    this.holds.delete(kind)
    await turns(1)
    if (hold) await hold
  }
}

const CATEGORIES = ['tools', 'garden', 'kitchen'] as const

interface SetupOptions {
  jitter?: number
  random?: () => number
  store?: FakeStore
  clock?: FakeClock
  /** The store may be slow but is never given up on: sleep(storeTimeoutMs) never resolves. */
  slowStore?: boolean
}

function setup(rng: Rng, options: SetupOptions = {}) {
  const clock = options.clock ?? fakeClock()
  const store = options.store ?? new FakeStore(clock)
  const db = new FakeDb()
  const used = new Set<string>()
  const unique = () => {
    let word = rng.word(6, 9)
    while (used.has(word)) word = rng.word(6, 9)
    used.add(word)
    return word
  }
  const count = rng.int(5, 8)
  for (let i = 0; i < count; i++) {
    const id = i === 0 ? rng.int(1, 9) : [...db.rows.keys()].at(-1)! + rng.int(1, 30)
    const names = { en: unique(), de: unique(), fr: unique() }
    const category = i < 3 ? CATEGORIES[i]! : rng.pick(CATEGORIES)
    db.rows.set(id, { id, names, category, price: rng.int(100, 9999) / 100 })
  }
  const users = [`u-${unique()}`, `u-${unique()}`]
  const tokens = new Map(users.map((user) => [`t-${unique()}`, user]))
  const tokenOf = (user: string) => [...tokens].find(([, u]) => u === user)![0]
  for (const user of users) {
    db.orders.set(
      user,
      Array.from({ length: rng.int(1, 3) }, () => ({
        id: rng.int(1000, 999_999),
        product: rng.pick([...db.rows.keys()]),
        quantity: rng.int(1, 9),
      })),
    )
  }
  const ttlSeconds = rng.pick([30, 60, 90, 300])
  const jitter = options.jitter ?? rng.pick([0.1, 0.2, 0.25])
  const sleeps: number[] = []
  // The store's deadline: real timers this long would outlast the grader's request timeout.
  const storeTimeoutMs = 5000
  const sleep = (ms: number) => {
    sleeps.push(ms)
    if (options.slowStore) return new Promise<void>(() => {}) // the deadline is never reached
    return turns(40) // long after any answer of a working store, no real time at all
  }
  let r = rng.next()
  const make = () =>
    build(createApp, {
      store, db, tokens, ttlSeconds, jitter,
      random: options.random ?? (() => r),
      storeTimeoutMs, sleep,
    })
  const app = make()
  const api = client(app)
  const ids = [...db.rows.keys()]
  const guard = () => expect(store.misuse, 'the store refused a call from the app').toEqual([])
  const get = async (path: string, headers: Record<string, string> = {}, via = api) => {
    const res = await via.get(path, { headers })
    guard()
    return res
  }
  const lang = (l: Lang) => ({ 'Accept-Language': rng.pick(ACCEPT[l]) })
  const auth = (user: string) => ({ Authorization: `Bearer ${tokenOf(user)}` })
  /** Requests started in one tick, straight into the app: the misses overlap. */
  const together = (requests: { path: string; headers?: Record<string, string> }[]) =>
    Promise.all(requests.map((req) => app.request(req.path, { headers: req.headers })))
  /** The store writes that hold a response mentioning `marker` (a name no other text has). */
  const entriesWith = (marker: string) => store.sets.filter((s) => s.value.includes(marker))
  return {
    rng, clock, store, db, app, api, make, ids, users, tokens, ttlSeconds, jitter, sleeps,
    storeTimeoutMs, get, lang, auth, together, entriesWith,
    setRandom: (value: number) => (r = value),
  }
}

function expectProduct(res: Reply, db: FakeDb, id: number, lang: Lang) {
  expect(res).toHaveStatus(200)
  expect(res).toHaveHeader('Content-Type', /json/)
  expect(res).toHaveJsonBody(db.product(id, lang))
}

function expectCache(res: Reply, status: 'HIT' | 'MISS' | 'BYPASS', why: string) {
  expect(res, why).toHaveHeader('X-Cache', status)
}

function expectedList(db: FakeDb, lang: Lang, category?: string, sort: 'id' | 'name' | 'price' = 'id') {
  return [...db.rows.values()]
    .filter((row) => category === undefined || row.category === category)
    .map((row) => db.product(row.id, lang)!)
    .sort((a, b) => (a[sort] < b[sort] ? -1 : a[sort] > b[sort] ? 1 : a.id - b.id))
}

async function bodyOf(res: Response): Promise<unknown> {
  const text = await res.text()
  try {
    return JSON.parse(text)
  } catch {
    return text
  }
}

describe('server-cache', () => {
  task(1, 'Read through the shared cache', () => {
    it('answers a first GET from the database (MISS) and the next from the store (HIT)', async () => {
      const s = setup(random())
      const id = s.rng.pick(s.ids)
      const first = await s.get(`/api/products/${id}`)
      expectProduct(first, s.db, id, 'en')
      expectCache(first, 'MISS', 'the first request finds nothing cached')
      expect(s.db.reads, 'database reads for the first request').toBe(1)
      for (let i = 0; i < 3; i++) {
        const again = await s.get(`/api/products/${id}`)
        expectProduct(again, s.db, id, 'en')
        expectCache(again, 'HIT', 'the same request again')
      }
      expect(s.db.reads, 'database reads after four identical requests').toBe(1)
    })

    it('caches the product list the same way', async () => {
      const s = setup(random())
      const first = await s.get('/api/products')
      expect(first).toHaveStatus(200)
      expect(first).toHaveJsonBody({ products: expectedList(s.db, 'en') })
      expectCache(first, 'MISS', 'the first list request')
      const again = await s.get('/api/products')
      expect(again).toHaveJsonBody({ products: expectedList(s.db, 'en') })
      expectCache(again, 'HIT', 'the same list again')
      expect(s.db.reads, 'database reads for two identical list requests').toBe(1)
    })

    it('keeps entries in the store: a second instance on the same store gets a HIT', async () => {
      const s = setup(random())
      const id = s.rng.pick(s.ids)
      await s.get(`/api/products/${id}`)
      const other = client(s.make())
      const res = await s.get(`/api/products/${id}`, {}, other)
      expectProduct(res, s.db, id, 'en')
      expectCache(res, 'HIT', 'another instance, same store')
      expect(s.db.reads, 'database reads over two instances').toBe(1)
      expect(s.store.sets.length, 'the entry must be written to the store').toBeGreaterThan(0)
    })

    it('shares nothing between apps on two different stores', async () => {
      const rng = random()
      const s = setup(rng)
      const id = rng.pick(s.ids)
      await s.get(`/api/products/${id}`)
      const t = setup(rng, { clock: s.clock })
      const res = await t.get(`/api/products/${t.ids[0]}`)
      expectCache(res, 'MISS', 'an app with its own store starts empty')
      expectProduct(res, t.db, t.ids[0]!, 'en')
    })

    it('answers an unknown product with 404 { "error": "not_found" }', async () => {
      const s = setup(random())
      const res = await s.get(`/api/products/${Math.max(...s.ids) + 1}`)
      expect(res).toHaveStatus(404)
      expect(res).toHaveJsonBody(expect.objectContaining({ error: 'not_found' }))
    })
  })

  task(2, 'Key by everything the response depends on', () => {
    it('gives each category its own list entry', async () => {
      const s = setup(random())
      const [a, b] = s.rng.shuffle(CATEGORIES)
      for (const category of [a!, b!, a!]) {
        const res = await s.get(`/api/products?category=${category}`)
        expect(res, `the list for category=${category}`).toHaveJsonBody({
          products: expectedList(s.db, 'en', category),
        })
      }
      expect(s.db.reads, 'two categories, three requests').toBe(2)
    })

    it('treats the same query parameters in another order as the same request', async () => {
      const s = setup(random())
      const category = s.rng.pick(CATEGORIES)
      const sort = s.rng.pick(['name', 'price'] as const)
      const first = await s.get(`/api/products?category=${category}&sort=${sort}`)
      expect(first).toHaveJsonBody({ products: expectedList(s.db, 'en', category, sort) })
      const swapped = await s.get(`/api/products?sort=${sort}&category=${category}`)
      expect(swapped).toHaveJsonBody({ products: expectedList(s.db, 'en', category, sort) })
      expectCache(swapped, 'HIT', 'same parameters, other order')
      expect(s.db.reads, 'database reads').toBe(1)
      const other = await s.get(`/api/products?sort=id&category=${category}`)
      expect(other, 'another sort is another list').toHaveJsonBody({
        products: expectedList(s.db, 'en', category, 'id'),
      })
    })

    it('answers each language from its own entry and says Vary: Accept-Language', async () => {
      const s = setup(random())
      const id = s.rng.pick(s.ids)
      const order = s.rng.shuffle(LANGS)
      for (const l of [...order, ...order]) {
        const res = await s.get(`/api/products/${id}`, s.lang(l))
        expectProduct(res, s.db, id, l)
        const vary = (res.headers.vary ?? '').split(',').map((v) => v.trim().toLowerCase())
        expect(vary, 'the Vary header must name Accept-Language').toContain('accept-language')
      }
      expect(s.db.reads, 'three languages, each asked twice').toBe(3)
      const list = await s.get('/api/products', s.lang(order[0]!))
      expect(list).toHaveJsonBody({ products: expectedList(s.db, order[0]!) })
    })

    it('answers each language its own list, one entry per language however it is spelled', async () => {
      const s = setup(random())
      const category = s.rng.pick(CATEGORIES)
      const sort = s.rng.pick(['name', 'price'] as const)
      const queries = [
        { path: '/api/products', category: undefined, sort: 'id' as const },
        { path: `/api/products?sort=${sort}&category=${category}`, category, sort },
      ]
      for (const query of queries) {
        const order = s.rng.shuffle(LANGS)
        for (const [i, l] of [...order, ...order].entries()) {
          const res = await s.get(query.path, s.lang(l))
          expect(res, `${query.path} in ${l}`).toHaveJsonBody({
            products: expectedList(s.db, l, query.category, query.sort),
          })
          expectCache(res, i < 3 ? 'MISS' : 'HIT', `${query.path} in ${l}, ${i < 3 ? 'first' : 'second'} time`)
          const vary = (res.headers.vary ?? '').split(',').map((v) => v.trim().toLowerCase())
          expect(vary, 'the Vary header of the list must name Accept-Language').toContain('accept-language')
        }
      }
      expect(s.db.reads, 'two lists in three languages, each asked twice').toBe(6)
    })

    it('never serves one user the orders cached for another', async () => {
      const s = setup(random())
      const [a, b] = s.rng.shuffle(s.users)
      for (const user of [a!, b!, a!, b!]) {
        const res = await s.get('/api/me/orders', s.auth(user))
        expect(res).toHaveStatus(200)
        expect(res, `the orders of ${user}`).toHaveJsonBody({ orders: s.db.orders.get(user) })
      }
      expect(s.db.calls.listOrders, 'two users, each asked twice').toBe(2)
      const anonymous = await s.get('/api/me/orders')
      expect(anonymous, 'no token, no orders').toHaveStatus(401)
    })
  })

  task(3, 'Expire entries with a jittered TTL', () => {
    it('gives every entry ttlSeconds * 1000 * (1 + jitter * (2 * random() - 1)) ms', async () => {
      const s = setup(random())
      for (const r of [0, 0.5, s.rng.next(), 0.999]) {
        s.setRandom(r)
        const id = s.ids.find((i) => s.entriesWith(s.db.rows.get(i)!.names.en).length === 0)!
        await s.get(`/api/products/${id}`)
        const entries = s.entriesWith(s.db.rows.get(id)!.names.en)
        expect(entries.length, 'the response must be stored once').toBe(1)
        const expected = s.ttlSeconds * 1000 * (1 + s.jitter * (2 * r - 1))
        const ttl = entries[0]!.ttlMs
        expect(ttl, `the entry needs a ttlMs (ttlSeconds ${s.ttlSeconds}, jitter ${s.jitter})`).toBeTypeOf('number')
        expect(
          Math.abs(ttl! - expected),
          `ttlMs with random() = ${r}: expected about ${expected}, received ${ttl}`,
        ).toBeLessThanOrEqual(1)
      }
    })

    it('draws the jitter afresh for every entry, within ttl * (1 ± jitter)', async () => {
      const rng = random()
      const s = setup(rng, { random: () => rng.next() })
      for (const id of s.ids) await s.get(`/api/products/${id}`)
      await s.get('/api/products')
      const ttls = s.store.sets
        .filter((set) => s.ids.some((id) => set.value.includes(s.db.rows.get(id)!.names.en)))
        .map((set) => set.ttlMs)
      expect(ttls.length, 'entries stored').toBe(s.ids.length + 1)
      const [low, high] = [s.ttlSeconds * 1000 * (1 - s.jitter), s.ttlSeconds * 1000 * (1 + s.jitter)]
      for (const ttl of ttls) {
        expect(ttl, `every TTL within ${low}..${high} ms`).toBeGreaterThanOrEqual(low - 1)
        expect(ttl, `every TTL within ${low}..${high} ms`).toBeLessThanOrEqual(high + 1)
      }
      expect(new Set(ttls).size, 'entries filled together must not share one TTL').toBeGreaterThan(1)
    })

    it('reads the database again once the entry has expired, not before', async () => {
      const s = setup(random())
      const id = s.rng.pick(s.ids)
      await s.get(`/api/products/${id}`)
      const ttl = s.entriesWith(s.db.rows.get(id)!.names.en)[0]?.ttlMs
      expect(ttl, 'the entry needs a ttlMs').toBeTypeOf('number')
      s.clock.advance(ttl! - 2)
      expectCache(await s.get(`/api/products/${id}`), 'HIT', '2 ms before the entry expires')
      s.clock.advance(3)
      const res = await s.get(`/api/products/${id}`)
      expectProduct(res, s.db, id, 'en')
      expectCache(res, 'MISS', 'once the entry has expired')
      expect(s.db.reads, 'database reads: the first and the one after expiry').toBe(2)
    })

    it('refuses a ttlSeconds, jitter or storeTimeoutMs that makes no sense', () => {
      const s = setup(random())
      const base = {
        store: s.store, db: s.db, tokens: s.tokens, ttlSeconds: 60, jitter: 0.1,
        random: () => 0.5, storeTimeoutMs: 50, sleep: () => Promise.resolve(),
      }
      const bad = [
        { ttlSeconds: 0 }, { ttlSeconds: -5 }, { ttlSeconds: Number.NaN }, { ttlSeconds: Infinity },
        { jitter: 1 }, { jitter: -0.1 }, { jitter: Number.NaN }, { storeTimeoutMs: 0 },
        { storeTimeoutMs: -1 }, { storeTimeoutMs: Infinity },
      ]
      for (const change of bad) {
        expect(() => createApp({ ...base, ...change }), `createApp with ${inspect(change)} throws an Error`).toThrow(Error)
      }
      expect(() => createApp({ ...base, jitter: 0 }), 'jitter 0 means no jitter').not.toThrow()
    })
  })

  task(4, 'Invalidate on writes', () => {
    it('after PUT /api/products/:id/price every language of that product shows the new price', async () => {
      const s = setup(random())
      const id = s.rng.pick(s.ids)
      for (const l of LANGS) await s.get(`/api/products/${id}`, s.lang(l))
      const price = s.db.rows.get(id)!.price + s.rng.int(1, 500)
      const put = await s.api.put(`/api/products/${id}/price`, { json: { price } })
      expect(put).toHaveStatus(204)
      for (const l of s.rng.shuffle(LANGS)) {
        const res = await s.get(`/api/products/${id}`, s.lang(l))
        expect(res, `GET in ${l} after the PUT`).toHaveJsonBody(s.db.product(id, l))
      }
    })

    it('refreshes the lists that contain the product', async () => {
      const s = setup(random())
      const id = s.rng.pick(s.ids)
      const { category } = s.db.rows.get(id)!
      const paths = ['/api/products', `/api/products?category=${category}`, '/api/products?sort=price']
      for (const path of paths) await s.get(path)
      const price = s.rng.int(1, 99)
      expect(await s.api.put(`/api/products/${id}/price`, { json: { price } })).toHaveStatus(204)
      for (const path of paths) {
        const sort = path.includes('sort=price') ? 'price' : 'id'
        const filter = path.includes('category') ? category : undefined
        expect(await s.get(path), `${path} after the PUT`).toHaveJsonBody({
          products: expectedList(s.db, 'en', filter, sort),
        })
      }
    })

    it('leaves the entries of other products cached', async () => {
      const s = setup(random())
      const [id, other] = s.rng.shuffle(s.ids)
      await s.get(`/api/products/${id}`)
      await s.get(`/api/products/${other}`)
      await s.api.put(`/api/products/${id}/price`, { json: { price: 1 } })
      const reads = s.db.reads
      const res = await s.get(`/api/products/${other}`)
      expectProduct(res, s.db, other!, 'en')
      expectCache(res, 'HIT', `a write to product ${id} must not evict product ${other}`)
      expect(s.db.reads - reads, 'database reads for the untouched product').toBe(0)
    })

    it('after DELETE the product is 404 and gone from the lists', async () => {
      const s = setup(random())
      const id = s.rng.pick(s.ids)
      await s.get(`/api/products/${id}`)
      await s.get('/api/products')
      expect(await s.api.delete(`/api/products/${id}`)).toHaveStatus(204)
      expect(await s.get(`/api/products/${id}`), 'the deleted product').toHaveStatus(404)
      expect(await s.get('/api/products'), 'the list after the DELETE').toHaveJsonBody({
        products: expectedList(s.db, 'en'),
      })
      expect(await s.api.delete(`/api/products/${id}`), 'deleting it again').toHaveStatus(404)
    })

    it('invalidates after the write commits: a read during the write cannot refill old data', async () => {
      const s = setup(random())
      const id = s.rng.pick(s.ids)
      await s.get(`/api/products/${id}`)
      const release = s.db.hold('setPrice')
      const price = s.db.rows.get(id)!.price + 1
      const put = s.api.put(`/api/products/${id}/price`, { json: { price } })
      await until(() => s.db.calls.setPrice === 1, 'the PUT to reach the database')
      await turns(20) // whatever the app does before the write commits, it does now
      const during = await s.get(`/api/products/${id}`)
      expect(during, 'a GET while the write is still running').toHaveStatus(200)
      release()
      expect(await put).toHaveStatus(204)
      const after = await s.get(`/api/products/${id}`)
      expect(after, 'the first GET after the PUT answered').toHaveJsonBody(s.db.product(id, 'en'))
    })

    it('answers a write only once the invalidation is done, however slowly the store takes it', async () => {
      const rng = random()
      for (const method of rng.shuffle(['PUT', 'DELETE'] as const)) {
        const s = setup(rng, { slowStore: true })
        const id = s.rng.pick(s.ids)
        const { category } = s.db.rows.get(id)!
        const paths = [`/api/products/${id}`, '/api/products', `/api/products?category=${category}`]
        for (const path of paths) await s.get(path)
        // From here the store takes its time over every invalidation call (incr or del), within
        // the deadline, and lets them through one at a time, the latest first: the write's answer
        // must wait for all of them, or the next GET finds old entries.
        const held = s.store.hold(['incr', 'del'])
        let answered = false
        const write = Promise.resolve(
          method === 'PUT'
            ? s.app.request(`/api/products/${id}/price`, {
                method, headers: { 'Content-Type': 'application/json' },
                body: JSON.stringify({ price: s.db.rows.get(id)!.price + s.rng.int(1, 500) }),
              })
            : s.app.request(`/api/products/${id}`, { method }),
        ).then((res: Response) => ((answered = true), res))
        const written = () => (method === 'PUT' ? s.db.calls.setPrice : s.db.calls.deleteProduct) === 1
        await until(written, `the ${method} to reach the database`)
        await turns(80) // the write commits; an app that does not wait for the store answers now
        while (!answered && held.pending() > 0) {
          held.releaseLast()
          await turns(80)
        }
        const early = held.pending() // invalidation calls the store has not taken yet
        if (!answered) held.releaseAll() // a write that makes its calls one after another
        expect((await write).status, `the ${method}`).toBe(204)
        const why = early > 0
          ? `answered with ${early} invalidation call(s) still on their way to the store`
          : 'answered'
        for (const path of paths) {
          const res = await s.get(path)
          if (path === paths[0] && method === 'DELETE') {
            expect(res, `GET ${path}: the ${method} ${why}`).toHaveStatus(404)
          } else if (path === paths[0]) {
            expect(res, `GET ${path}: the ${method} ${why}`).toHaveJsonBody(s.db.product(id, 'en'))
          } else {
            const filter = path.includes('category') ? category : undefined
            expect(res, `GET ${path}: the ${method} ${why}`).toHaveJsonBody({
              products: expectedList(s.db, 'en', filter),
            })
          }
        }
        held.releaseAll()
      }
    })

    it('never lets a read that started before a write serve or store its older result after it', async () => {
      const s = setup(random())
      const id = s.rng.pick(s.ids)
      const release = s.db.hold('getProduct')
      const early = s.app.request(`/api/products/${id}`)
      await until(() => s.db.calls.getProduct === 1, 'the first GET to reach the database')
      const price = s.db.rows.get(id)!.price + 1
      expect(await s.api.put(`/api/products/${id}/price`, { json: { price } })).toHaveStatus(204)
      const late = s.app.request(`/api/products/${id}`)
      await turns(60)
      release()
      expect((await early).status).toBe(200)
      expect(await bodyOf(await late), 'a GET sent after the PUT answered').toEqual(
        s.db.product(id, 'en'),
      )
      const res = await s.get(`/api/products/${id}`)
      expect(res, 'a GET once the early read has finished').toHaveJsonBody(s.db.product(id, 'en'))
    })

    it('answers 404 for a PUT to an unknown product and 400 for a price that is not a number', async () => {
      const s = setup(random())
      const unknown = Math.max(...s.ids) + 1
      expect(await s.api.put(`/api/products/${unknown}/price`, { json: { price: 5 } })).toHaveStatus(404)
      const id = s.rng.pick(s.ids)
      expect(await s.api.put(`/api/products/${id}/price`, { json: { price: '5' } })).toHaveStatus(400)
    })
  })

  task(5, 'Compute a miss once', () => {
    it('makes one database read for many concurrent requests for the same entry', async () => {
      const s = setup(random())
      const id = s.rng.pick(s.ids)
      const n = s.rng.int(5, 12)
      const responses = await s.together(Array.from({ length: n }, () => ({ path: `/api/products/${id}` })))
      for (const res of responses) {
        expect(res.status).toBe(200)
        expect(await bodyOf(res)).toEqual(s.db.product(id, 'en'))
      }
      expect(s.db.reads, `database reads for ${n} concurrent requests`).toBe(1)
    })

    it('makes one read for concurrent list requests with the parameters in any order', async () => {
      const s = setup(random())
      const category = s.rng.pick(CATEGORIES)
      const paths = [`/api/products?category=${category}&sort=name`, `/api/products?sort=name&category=${category}`]
      const responses = await s.together(Array.from({ length: 6 }, (_, i) => ({ path: paths[i % 2]! })))
      for (const res of responses) {
        expect(await bodyOf(res)).toEqual({ products: expectedList(s.db, 'en', category, 'name') })
      }
      expect(s.db.reads, 'database reads for six concurrent requests').toBe(1)
    })

    it('keeps concurrent requests that differ apart: each language, each user its own answer', async () => {
      const s = setup(random())
      const id = s.rng.pick(s.ids)
      const langs = s.rng.shuffle([...LANGS, ...LANGS])
      const requests = [
        ...langs.map((l) => ({ path: `/api/products/${id}`, headers: s.lang(l), l })),
        ...s.users.map((user) => ({ path: '/api/me/orders', headers: s.auth(user), user })),
      ]
      const responses = await s.together(requests)
      for (const [i, req] of requests.entries()) {
        const expected = 'l' in req ? s.db.product(id, req.l!) : { orders: s.db.orders.get(req.user!) }
        expect(await bodyOf(responses[i]!), `${req.path} with ${inspect(req.headers)}`).toEqual(expected)
      }
      expect(s.db.calls.getProduct, 'one read per language').toBe(3)
      expect(s.db.calls.listOrders, 'one read per user').toBe(2)
    })
  })

  task(6, 'Fall back to the database when the store fails', () => {
    it('answers 200 with X-Cache: BYPASS when every store call fails', async () => {
      const s = setup(random())
      s.store.down('failing')
      const id = s.rng.pick(s.ids)
      for (let i = 0; i < 2; i++) {
        const res = await s.get(`/api/products/${id}`)
        expectProduct(res, s.db, id, 'en')
        expectCache(res, 'BYPASS', 'the store refuses every call')
      }
      const list = await s.get('/api/products')
      expect(list).toHaveJsonBody({ products: expectedList(s.db, 'en') })
      expectCache(list, 'BYPASS', 'the list with the store down')
      const user = s.rng.pick(s.users)
      const orders = await s.get('/api/me/orders', s.auth(user))
      expect(orders).toHaveJsonBody({ orders: s.db.orders.get(user) })
    })

    it('gives up on a store that never answers after storeTimeoutMs (through the injected sleep)', async () => {
      const s = setup(random())
      s.store.down('hanging')
      const id = s.rng.pick(s.ids)
      const res = await s.get(`/api/products/${id}`)
      expectProduct(res, s.db, id, 'en')
      expectCache(res, 'BYPASS', 'the store never answers')
      expect(s.sleeps, 'the app must wait for the store with sleep(storeTimeoutMs)').toContain(
        s.storeTimeoutMs,
      )
    })

    it('still answers when only writes to the store fail or hang', async () => {
      const s = setup(random())
      s.store.down(s.rng.pick(['failing', 'hanging'] as const), ['set', 'incr', 'del'])
      const id = s.rng.pick(s.ids)
      expectProduct(await s.get(`/api/products/${id}`), s.db, id, 'en')
      const price = s.rng.int(1, 99)
      const put = await s.api.put(`/api/products/${id}/price`, { json: { price } })
      expect(put, 'the database took the write; the cache is not the database').toHaveStatus(204)
      expect(s.db.rows.get(id)!.price).toBe(price)
    })

    it('takes writes while the store is down and uses the cache again once it is back', async () => {
      const s = setup(random())
      const id = s.rng.pick(s.ids)
      s.store.down('failing')
      const price = s.rng.int(1, 99)
      expect(await s.api.put(`/api/products/${id}/price`, { json: { price } })).toHaveStatus(204)
      expect(await s.get(`/api/products/${id}`)).toHaveJsonBody(s.db.product(id, 'en'))
      s.store.up()
      const first = await s.get(`/api/products/${id}`)
      expectProduct(first, s.db, id, 'en')
      expectCache(first, 'MISS', 'the store is back')
      expectCache(await s.get(`/api/products/${id}`), 'HIT', 'the store is back')
    })
  })
})
