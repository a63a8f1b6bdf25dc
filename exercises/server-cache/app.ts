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

const LANGUAGES: readonly Language[] = ['en', 'de', 'fr']
const SORTS: readonly string[] = ['id', 'name', 'price']

export function createApp(options: ServerCacheOptions) {
  const { db, tokens } = options
  // TODO: validate the options once, here: ttlSeconds > 0, 0 <= jitter < 1, storeTimeoutMs > 0
  //       (finite numbers). Throw a TypeError otherwise.

  // TODO: a read-through helper over options.store that every GET below goes through:
  //       - the key: method, path, the query parameters SORTED by name, the language, and (for
  //         /api/me/orders) the user. A stored entry answers with X-Cache: HIT; otherwise read
  //         the database, store the JSON with a TTL and answer X-Cache: MISS. Store only 200s.
  //       - the TTL: ttlSeconds * 1000 * (1 + jitter * (2 * random() - 1)), a fresh random()
  //         for every entry.
  //       - single flight: concurrent misses for one key share one database read.
  //       - every store call bounded by sleep(storeTimeoutMs); a failure or a timeout reads the
  //         database and answers X-Cache: BYPASS. Never a 500 because of the store.
  // TODO: writes (PUT price, DELETE) invalidate the product's entries in every language and the
  //       lists, AFTER the database write, and leave other products cached. A generation
  //       counter (store.incr) that is part of the keys does it without knowing every key.

  const app = new Hono()

  app.get('/api/products', async (c) => {
    const sort = c.req.query('sort') ?? 'id'
    if (!SORTS.includes(sort)) return c.json({ error: 'invalid_sort' }, 400)
    const category = c.req.query('category')
    const lang = languageOf(c)
    c.header('Vary', 'Accept-Language')
    return c.json({ products: await db.listProducts({ category, sort: sort as SortField }, lang) })
  })

  app.get('/api/products/:id', async (c) => {
    const id = parseId(c.req.param('id'))
    c.header('Vary', 'Accept-Language')
    if (id === null) return c.json({ error: 'not_found' }, 404)
    const product = await db.getProduct(id, languageOf(c))
    if (product === null) return c.json({ error: 'not_found' }, 404)
    return c.json(product)
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
    return c.body(null, 204)
  })

  app.delete('/api/products/:id', async (c) => {
    const id = parseId(c.req.param('id'))
    if (id === null) return c.json({ error: 'not_found' }, 404)
    if (!(await db.deleteProduct(id))) return c.json({ error: 'not_found' }, 404)
    return c.body(null, 204)
  })

  // The token lookup and the 401 are done for you. These orders are this user's alone.
  app.get('/api/me/orders', async (c) => {
    const user = userOf(c, tokens)
    if (user === null) return c.json({ error: 'unauthorized' }, 401)
    return c.json({ orders: await db.listOrders(user) })
  })

  return app
}

// Done for you: parsing the id, negotiating the language, finding the user.

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
