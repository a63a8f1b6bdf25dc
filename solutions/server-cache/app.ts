import { Hono, type Context } from 'hono'

/** A Redis-like store shared by every instance of the app. Every call is a network round trip. */
export interface CacheStore {
  /** The key's value, or `null` when it is missing or has expired. */
  get(key: string): Promise<string | null>
  /** Writes the key; `ttlMs` makes it expire that many milliseconds later (omitted: never). */
  set(key: string, value: string, options?: { ttlMs?: number }): Promise<void>
  /** Removes the key (a missing key is fine). */
  del(key: string): Promise<void>
  /** Adds 1 to the integer in the key (a missing key counts as 0) and returns the new value. */
  incr(key: string): Promise<number>
}

export type Language = 'en' | 'de' | 'fr'
export type SortField = 'id' | 'name' | 'price'

export interface Product {
  id: number
  /** In the language that was asked for. */
  name: string
  category: string
  price: number
}

export interface Order {
  id: number
  product: number
  quantity: number
}

/** The database: slow, and the thing the cache exists to spare. */
export interface Catalog {
  listProducts(query: { category?: string; sort: SortField }, lang: Language): Promise<Product[]>
  getProduct(id: number, lang: Language): Promise<Product | null>
  /** Sets the price; `false` when there is no such product. */
  setPrice(id: number, price: number): Promise<boolean>
  /** `false` when there is no such product. */
  deleteProduct(id: number): Promise<boolean>
  listOrders(userId: string): Promise<Order[]>
}

export interface ServerCacheOptions {
  /** The shared cache. */
  store: CacheStore
  /** The database. */
  db: Catalog
  /** Bearer token -> user id (done for you: `userOf`). */
  tokens: Map<string, string>
  /** How long a cached response lives, before jitter. */
  ttlSeconds: number
  /** The TTL varies by up to this fraction either way: 0.1 means ±10 %. From 0 up to (not) 1. */
  jitter: number
  /** A number in [0, 1): the source of the jitter. */
  random: () => number
  /** How long to wait for any store call before giving up on the cache. */
  storeTimeoutMs: number
  /** Resolves after `ms` milliseconds: the only timer the app may use. */
  sleep: (ms: number) => Promise<void>
}

type CacheStatus = 'HIT' | 'MISS' | 'BYPASS'
interface Outcome {
  /** The JSON text of the body, or `null` for a 404 (never cached). */
  body: string | null
  status: CacheStatus
}

const LANGUAGES: readonly Language[] = ['en', 'de', 'fr']
const SORTS: readonly string[] = ['id', 'name', 'price']
/** Bumped by every write to a product: part of every list entry's key. */
const LIST_VERSION = 'version:products'
const itemVersion = (id: number) => `version:product:${id}`
/** What `attempt` returns when the store failed or was too slow. */
const FAILED = Symbol('store failed')

export function createApp(options: ServerCacheOptions) {
  const { store, db, tokens, ttlSeconds, jitter, random, storeTimeoutMs, sleep } = options
  if (!(Number.isFinite(ttlSeconds) && ttlSeconds > 0)) {
    throw new TypeError(`ttlSeconds must be a positive number, received ${ttlSeconds}`)
  }
  if (!(Number.isFinite(jitter) && jitter >= 0 && jitter < 1)) {
    throw new TypeError(`jitter must be at least 0 and less than 1, received ${jitter}`)
  }
  if (!(Number.isFinite(storeTimeoutMs) && storeTimeoutMs > 0)) {
    throw new TypeError(`storeTimeoutMs must be a positive number, received ${storeTimeoutMs}`)
  }

  // Misses being computed right now, by full key. It lives in this instance on purpose: it
  // holds promises, not data, and lasts only as long as one database read.
  const inflight = new Map<string, Promise<Outcome>>()

  /** A store call that cannot hurt the request: it fails or times out into FAILED. */
  async function attempt<T>(call: () => Promise<T>): Promise<T | typeof FAILED> {
    let pending: Promise<T>
    try {
      pending = call()
    } catch {
      return FAILED
    }
    pending.catch(() => {}) // a call that fails after the timeout must not be an unhandled rejection
    const timeout = sleep(storeTimeoutMs).then((): typeof FAILED => FAILED)
    // A hung store is worse than a dead one: without a deadline every request waits with it.
    return Promise.race([pending, timeout]).catch((): typeof FAILED => FAILED)
  }

  /** A fresh TTL for every entry, so entries filled together do not all expire together. */
  function ttlMs(): number {
    return Math.round(ttlSeconds * 1000 * (1 + jitter * (2 * random() - 1)))
  }

  /**
   * Read-through: the response's JSON comes from the store when it is there, else from `load`
   * (once per key however many requests miss together), and is then stored for the next one.
   * `parts` are everything the response depends on; `versionKey` names the generation counter
   * a write bumps to make every entry built on the old generation unreachable.
   */
  async function readThrough(
    parts: readonly string[],
    versionKey: string | null,
    load: () => Promise<unknown>,
  ): Promise<Outcome> {
    const bypass = async (): Promise<Outcome> => ({ body: toBody(await load()), status: 'BYPASS' })
    let version = '0'
    if (versionKey !== null) {
      const stored = await attempt(() => store.get(versionKey))
      if (stored === FAILED) return bypass()
      version = stored ?? '0'
    }
    // JSON of an array: no value of one part can pass for another part (no separator to forge).
    const key = `cache:${JSON.stringify([...parts, version])}`
    // The version is in the key, so a read that started before a write never joins one after it.
    const running = inflight.get(key)
    if (running) return running
    const flight = (async (): Promise<Outcome> => {
      const cached = await attempt(() => store.get(key))
      if (cached === FAILED) return bypass()
      if (cached !== null) return { body: cached, status: 'HIT' }
      const body = toBody(await load())
      // Only 200s are cached: a 404 would hide a product created a moment later.
      if (body !== null) await attempt(() => store.set(key, body, { ttlMs: ttlMs() }))
      return { body, status: 'MISS' }
    })().finally(() => inflight.delete(key))
    inflight.set(key, flight)
    return flight
  }

  /** After a write has committed (never before: a read in between would refill the old data). */
  async function invalidate(id: number): Promise<void> {
    // A failed bump cannot be undone here; the TTL bounds how long the old entries live.
    await Promise.all([
      attempt(() => store.incr(itemVersion(id))),
      attempt(() => store.incr(LIST_VERSION)),
    ])
  }

  const app = new Hono()

  app.get('/api/products', async (c) => {
    const sort = c.req.query('sort') ?? 'id'
    if (!SORTS.includes(sort)) return c.json({ error: 'invalid_sort' }, 400)
    const category = c.req.query('category')
    const lang = languageOf(c)
    const parts = ['GET', c.req.path, normalisedQuery(c.req.url), lang]
    const outcome = await readThrough(parts, LIST_VERSION, async () => ({
      products: await db.listProducts({ category, sort: sort as SortField }, lang),
    }))
    c.header('Vary', 'Accept-Language')
    return answer(c, outcome)
  })

  app.get('/api/products/:id', async (c) => {
    const id = parseId(c.req.param('id'))
    c.header('Vary', 'Accept-Language')
    if (id === null) return c.json({ error: 'not_found' }, 404)
    const lang = languageOf(c)
    // The id's own generation: a write to product 7 leaves product 8's entries alone.
    const parts = ['GET', c.req.path, normalisedQuery(c.req.url), lang]
    const outcome = await readThrough(parts, itemVersion(id), () => db.getProduct(id, lang))
    return answer(c, outcome)
  })

  app.put('/api/products/:id/price', async (c) => {
    const id = parseId(c.req.param('id'))
    if (id === null) return c.json({ error: 'not_found' }, 404)
    const body: unknown = await c.req.json().catch(() => undefined)
    const price = (body as { price?: unknown } | undefined)?.price
    if (typeof body !== 'object' || body === null || typeof price !== 'number' || !(price >= 0)) {
      return c.json({ error: 'invalid_price' }, 400)
    }
    if (!(await db.setPrice(id, price))) return c.json({ error: 'not_found' }, 404)
    await invalidate(id)
    return c.body(null, 204)
  })

  app.delete('/api/products/:id', async (c) => {
    const id = parseId(c.req.param('id'))
    if (id === null) return c.json({ error: 'not_found' }, 404)
    if (!(await db.deleteProduct(id))) return c.json({ error: 'not_found' }, 404)
    await invalidate(id)
    return c.body(null, 204)
  })

  app.get('/api/me/orders', async (c) => {
    const user = userOf(c, tokens)
    if (user === null) return c.json({ error: 'unauthorized' }, 401)
    // Private data: the user is part of the key, or the next user gets this one's orders.
    const parts = ['GET', c.req.path, normalisedQuery(c.req.url), `user:${user}`]
    const outcome = await readThrough(parts, null, async () => ({
      orders: await db.listOrders(user),
    }))
    return answer(c, outcome)
  })

  return app
}

function toBody(value: unknown): string | null {
  return value === null || value === undefined ? null : JSON.stringify(value)
}

function answer(c: Context, outcome: Outcome): Response {
  c.header('X-Cache', outcome.status)
  if (outcome.body === null) return c.json({ error: 'not_found' }, 404)
  c.header('Content-Type', 'application/json')
  return c.body(outcome.body, 200)
}

/** The query string with its parameters sorted, so `?a=1&b=2` and `?b=2&a=1` share an entry. */
function normalisedQuery(url: string): string {
  const params = [...new URL(url).searchParams]
  params.sort(([a, x], [b, y]) => (a < b ? -1 : a > b ? 1 : x < y ? -1 : x > y ? 1 : 0))
  return new URLSearchParams(params).toString()
}

function parseId(raw: string): number | null {
  return /^[1-9]\d{0,8}$/.test(raw) ? Number(raw) : null
}

/** The first supported language in Accept-Language, by q-value; `en` when there is none. */
export function languageOf(c: Context): Language {
  const header = c.req.header('Accept-Language') ?? ''
  const ranges = header
    .split(',')
    .map((part, index) => {
      const [tag = '', ...params] = part.trim().split(';')
      const q = params.map((p) => p.trim()).find((p) => p.startsWith('q='))
      return { lang: tag.trim().toLowerCase().split('-')[0]!, q: q ? Number(q.slice(2)) : 1, index }
    })
    .filter((range) => range.q > 0 && (LANGUAGES as readonly string[]).includes(range.lang))
    .sort((a, b) => b.q - a.q || a.index - b.index)
  return (ranges[0]?.lang as Language | undefined) ?? 'en'
}

/** The user behind `Authorization: Bearer <token>`, or `null`. */
export function userOf(c: Context, tokens: Map<string, string>): string | null {
  const match = /^Bearer +(\S+)$/i.exec(c.req.header('Authorization') ?? '')
  return match ? (tokens.get(match[1]!) ?? null) : null
}
