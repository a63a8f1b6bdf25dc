// injection-safe-queries - the hidden spec.
//
// Wrong implementations this spec is built to catch:
// - pastes `q` or `category` into the SQL text: `' OR '1'='1` returns every product, a UNION
//   reads the api_keys table into the response, a quote in an ordinary name is a 500
// - "escapes" quotes by doubling them and still concatenates (no value travels as a parameter)
// - binds the search text but leaves LIKE's wildcards alive: "50%" also finds "500", "_" finds
//   everything; escapes % and _ but not the escape character itself, or names no ESCAPE
// - uses GLOB or `=` (a substring search must stay a case-insensitive substring search)
// - pastes `sort` or `order` into ORDER BY: `name; DROP TABLE`, or a CASE WHEN expression that
//   leaks the secret one bit per request through the order of the results
// - an allowlist kept in a plain object (`constructor`, `toString` pass as sort columns), or
//   case-insensitive / prefix matching of sort and order words
// - ties not broken by id ascending, or the tie-break turned around with the direction
// - pastes minPrice, maxPrice or limit into the text, or reads them with parseInt / Number
//   without checking (`1 OR 1=1`, `1e3`, `0x10`, `-1`, `5; DROP TABLE`), or limit bounds off
//   by one
// - pastes the :id of GET /api/products/:id into the text (`0 UNION SELECT ...` answers with a
//   secret) or reads it with parseInt (`1abc` is product 1) or with Number() and
//   Number.isInteger (`0x3`, `3e0`, `3.0`, `%203` are product 3)
// - accepts minPrice, maxPrice or limit with more than 9 digits (`0000000450`)
// - runs the query with exec (several statements), so a payload can drop a table
import { describe, expect, it } from 'vitest'
import {
  build,
  client,
  database,
  random,
  task,
  type DatabaseProbe,
  type Reply,
  type Rng,
} from '../../harness/spec-kit/index.ts'
import { createApp, type Product } from '../../exercises/injection-safe-queries/app.ts'

const SCHEMA = `
  CREATE TABLE products (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    category TEXT NOT NULL,
    price INTEGER NOT NULL
  );
  CREATE TABLE api_keys (id INTEGER PRIMARY KEY, owner TEXT NOT NULL, secret TEXT NOT NULL);
`

const cap = (word: string) => word[0]!.toUpperCase() + word.slice(1)
const quote = (text: string) => `'${text.replace(/'/g, "''")}'`

/** A query string with every value percent-encoded (spaces as %20, never "+"). */
function qs(query: Record<string, string>): string {
  const pairs = Object.entries(query).map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`)
  return pairs.length ? `?${pairs.join('&')}` : ''
}

/**
 * A fresh database with random products (shared prices and names, so ties happen) and an
 * api_keys table whose secrets must never reach a response. `extra` names are added after the
 * random ones.
 */
async function setup(extra: { name: string; category?: string }[] = []) {
  const rng = random()
  const { db, probe } = await database()
  probe.exec(SCHEMA)
  const categories = [rng.word(4, 6), rng.word(7, 9), `${rng.word(3, 5)} ${rng.word(3, 5)}`]
  const prices = Array.from({ length: 5 }, () => rng.int(100, 9999))
  const names = Array.from({ length: 6 }, () => `${cap(rng.word())} ${rng.word()}`)
  const products: Product[] = []
  const count = rng.int(24, 30)
  for (let i = 0; i < count + extra.length; i++) {
    const special = extra[i - count]
    products.push({
      id: 0,
      name: special?.name ?? (rng.next() < 0.3 ? rng.pick(names) : `${cap(rng.word())} ${rng.word()}`),
      category: special?.category ?? rng.pick(categories),
      price: rng.pick(prices),
    })
  }
  // Ids in a shuffled order of insertion, with gaps: the app must sort, not rely on rowid order.
  const ids = rng.shuffle(products.map((_, i) => i * 2 + rng.int(1, 2)))
  products.forEach((p, i) => (p.id = ids[i]!))
  const rows = rng.shuffle(products).map((p) => `(${p.id}, ${quote(p.name)}, ${quote(p.category)}, ${p.price})`)
  const secrets = Array.from({ length: 3 }, () => `sk_live_${rng.word(20, 24)}`)
  const keys = secrets.map((secret, i) => `(${i + 1}, ${quote(rng.word())}, ${quote(secret)})`)
  // One script for the seed data: the spec's own SQL, with its literals quoted by the spec.
  probe.exec(
    `INSERT INTO products (id, name, category, price) VALUES ${rows.join(', ')};
     INSERT INTO api_keys (id, owner, secret) VALUES ${keys.join(', ')};`,
  )
  const api = client(build(createApp, { db }))
  const list = (query: Record<string, string> = {}) => api.get(`/api/products${qs(query)}`)
  return { rng, probe, api, list, products, categories, secrets }
}

type Setup = Awaited<ReturnType<typeof setup>>

/** What GET /api/products should answer, computed from the seeded rows. */
function expected(products: Product[], query: Record<string, string> = {}): Product[] {
  const term = query.q?.toLowerCase()
  const rows = products.filter(
    (p) =>
      (term === undefined || p.name.toLowerCase().includes(term)) &&
      (query.category === undefined || p.category === query.category) &&
      (query.minPrice === undefined || p.price >= Number(query.minPrice)) &&
      (query.maxPrice === undefined || p.price <= Number(query.maxPrice)),
  )
  const key = (query.sort ?? 'id') as keyof Product
  const dir = query.order === 'desc' ? -1 : 1
  const sorted = rows.toSorted((a, b) => {
    if (a[key] !== b[key]) return (a[key] < b[key] ? -1 : 1) * dir
    return a.id - b.id
  })
  return sorted.slice(0, Number(query.limit ?? 20))
}

function expectProducts(res: Reply, products: Product[], why: string) {
  expect(res, why).toHaveStatus(200)
  const data = (res.body as { data?: unknown }).data
  expect(data, `${why}: { "data": [...] } holds exactly the matching products, in order`).toEqual(products)
}

/** No response may carry a secret, and both tables still hold every row. */
function expectNothingLeaked(s: Setup, res: Reply) {
  for (const secret of s.secrets) {
    expect(res.text.includes(secret), 'a secret from api_keys reached the response').toBe(false)
  }
  expectTablesIntact(s)
}

function expectTablesIntact(s: Setup) {
  const count = (table: string) => {
    const exists = s.probe.query(`SELECT name FROM sqlite_master WHERE type = 'table' AND name = ?`, [table])
    expect(exists.length, `the ${table} table still exists`).toBe(1)
    return s.probe.query<{ n: number }>(`SELECT count(*) AS n FROM ${table}`)[0]!.n
  }
  expect(count('products'), 'products still holds every row').toBe(s.products.length)
  expect(count('api_keys'), 'api_keys still holds every row').toBe(s.secrets.length)
}

/** Every statement of the last request: `marker` only ever in the parameters, never the text. */
function expectBound(probe: DatabaseProbe, marker: string) {
  const statements = probe.statements()
  expect(statements.length, 'the request ran a query').toBeGreaterThan(0)
  for (const { sql } of statements) {
    expect(sql.includes(marker), `the client's text is pasted into the SQL: ${sql}`).toBe(false)
  }
  const values = statements.flatMap(({ params }) =>
    params === undefined ? [] : Array.isArray(params) ? params : Object.values(params),
  )
  expect(
    values.some((v) => typeof v === 'string' && v.includes(marker)),
    "the client's text travels as a bound parameter",
  ).toBe(true)
}

const badStatus = async (res: Promise<Reply>, field: string, why: string) => {
  const reply = await res
  expect(reply, why).toHaveStatus(400)
  expect(reply).toHaveJsonBody(expect.objectContaining({ error: 'invalid_query', field }))
}

describe('injection-safe-queries', () => {
  task(1, 'Bind every value', () => {
    it('lists the first 20 products by id', async () => {
      const { list, products } = await setup()
      expectProducts(await list(), expected(products), 'GET /api/products')
    })

    it('searches names with q, as a case-insensitive substring', async () => {
      const { list, products, rng } = await setup()
      const name = rng.pick(products).name
      const at = rng.int(0, name.length - 3)
      const q = name.slice(at, at + 3).toUpperCase()
      expectProducts(await list({ q }), expected(products, { q }), `q=${q}`)
    })

    it('filters by category exactly, alone and with q', async () => {
      const { list, products, categories, rng } = await setup()
      for (const category of [...categories, cap(categories[0]!)]) {
        expectProducts(await list({ category }), expected(products, { category }), `category=${category}`)
      }
      const q = rng.pick(products).name.slice(0, 2)
      const query = { q, category: rng.pick(categories) }
      expectProducts(await list(query), expected(products, query), `q=${q}&category=...`)
    })

    it('finds names and categories that contain quotes', async () => {
      const rng = random()
      const word = rng.word()
      const s = await setup([
        { name: `O'Brien's ${word}`, category: "kids' toys" },
        { name: `The "${word}" edition`, category: "kids' toys" },
      ])
      for (const q of ["O'Brien", `"${word}"`, `'s ${word}`]) {
        expectProducts(await s.list({ q }), expected(s.products, { q }), `q=${q}`)
      }
      expectProducts(await s.list({ category: "kids' toys" }), expected(s.products, { category: "kids' toys" }), 'a category with a quote')
    })

    it('sends q to the database as a bound parameter, never inside the SQL text', async () => {
      const s = await setup()
      const marker = s.rng.word(12, 14)
      s.probe.clear()
      const res = await s.list({ q: `${marker}' OR '1'='1` })
      expectProducts(res, [], 'a search for a quote payload')
      expectBound(s.probe, marker)
    })

    it('sends category as a bound parameter too', async () => {
      const s = await setup()
      const marker = s.rng.word(12, 14)
      s.probe.clear()
      expectProducts(await s.list({ category: `${marker}' OR 1=1 --` }), [], 'a category payload')
      expectBound(s.probe, marker)
    })

    it('finds nothing for injection payloads in q, leaks no secret and drops no table', async () => {
      const s = await setup()
      const payloads = [
        "' OR '1'='1",
        "%' OR 1=1 --",
        "' UNION SELECT id, secret, owner, 0 FROM api_keys --",
        "zz%' UNION SELECT id, secret, owner, 0 FROM api_keys WHERE '%'='",
        "'; DROP TABLE api_keys; --",
        "' AND (SELECT count(*) FROM api_keys) > 0 --",
      ]
      for (const q of payloads) {
        const res = await s.list({ q })
        expectProducts(res, [], `q=${q}`)
        expectNothingLeaked(s, res)
      }
    })

    it('finds nothing for injection payloads in category', async () => {
      const s = await setup()
      for (const category of [
        "x' OR '1'='1",
        "x' UNION SELECT id, secret, owner, 0 FROM api_keys --",
        "x'; DROP TABLE products; --",
      ]) {
        const res = await s.list({ category })
        expectProducts(res, [], `category=${category}`)
        expectNothingLeaked(s, res)
      }
    })
  })

  task(2, 'Escape LIKE wildcards', () => {
    const specials = (rng: Rng) => {
      const [a, b] = [cap(rng.word()), rng.word()]
      return [
        { name: `${a} 50% off` },
        { name: `${a} 500 off` },
        { name: `${a} 5000 off` },
        { name: `${a}_${b}` },
        { name: `${a}x${b}` },
        { name: `${a}\\${b}` },
        { name: `${a}${b}` },
        { name: `${a} 100%% sure` },
      ]
    }

    it('treats % in q as a percent sign: "50%" finds only "50%"', async () => {
      const rng = random()
      const s = await setup(specials(rng))
      for (const q of ['50%', '%', '%%', '0%']) {
        expectProducts(await s.list({ q }), expected(s.products, { q }), `q=${q}`)
      }
    })

    it('treats _ in q as an underscore, not as any one character', async () => {
      const rng = random()
      const extra = specials(rng)
      const s = await setup(extra)
      const [a, b] = extra[3]!.name.split('_') as [string, string]
      for (const q of ['_', `${a}_${b}`, `${a.slice(-2)}_`]) {
        expectProducts(await s.list({ q }), expected(s.products, { q }), `q=${q}`)
      }
    })

    it('treats a backslash in q as a backslash', async () => {
      const rng = random()
      const extra = specials(rng)
      const s = await setup(extra)
      for (const q of [extra[5]!.name, '\\', `\\${extra[5]!.name.split('\\')[1]!}`]) {
        expectProducts(await s.list({ q }), expected(s.products, { q }), `q=${q}`)
      }
    })

    it('still matches case-insensitively and as a substring', async () => {
      const rng = random()
      const extra = specials(rng)
      const s = await setup(extra)
      const q = extra[0]!.name.toLowerCase().slice(1)
      expectProducts(await s.list({ q }), expected(s.products, { q }), `q=${q}`)
    })
  })

  task(3, 'Sort through an allowlist', () => {
    it('sorts by name or price, ascending or descending, ties by id ascending', async () => {
      const { list, products } = await setup()
      for (const sort of ['id', 'name', 'price']) {
        for (const order of ['asc', 'desc']) {
          const query = { sort, order, limit: '100' }
          expectProducts(await list(query), expected(products, query), `sort=${sort}&order=${order}`)
        }
      }
    })

    it('defaults to sort=id and order=asc', async () => {
      const { list, products } = await setup()
      expectProducts(await list({ sort: 'price' }), expected(products, { sort: 'price' }), 'sort=price')
      expectProducts(await list({ order: 'desc' }), expected(products, { order: 'desc' }), 'order=desc')
    })

    it('refuses a sort that is not id, name or price with 400, SQL included', async () => {
      const s = await setup()
      for (const sort of [
        'name; DROP TABLE products',
        'name--',
        'price desc',
        "(CASE WHEN (SELECT substr(secret, 1, 1) FROM api_keys LIMIT 1) = 's' THEN name ELSE price END)",
        '1',
        'category',
        'NAME',
        'pric',
        '',
        'constructor',
        'toString',
        '__proto__',
      ]) {
        await badStatus(s.list({ sort }), 'sort', `sort=${sort}`)
      }
      expectTablesIntact(s)
    })

    it('refuses an order that is not asc or desc with 400', async () => {
      const s = await setup()
      for (const order of ['desc; DROP TABLE products', 'DESC', 'descending', 'asc, price', '', 'valueOf']) {
        await badStatus(s.list({ order }), 'order', `order=${order}`)
      }
      expectTablesIntact(s)
    })
  })

  task(4, 'Validate numbers before they reach SQL', () => {
    it('filters by minPrice and maxPrice, both ends included', async () => {
      const { list, products, rng } = await setup()
      const [low, high] = [rng.pick(products).price, rng.pick(products).price].sort((a, b) => a - b)
      const queries: Record<string, string>[] = [
        { minPrice: String(low) },
        { maxPrice: String(high) },
        { minPrice: String(low), maxPrice: String(high) },
        { minPrice: `00${low}` },
      ]
      for (const query of queries) {
        expectProducts(await list(query), expected(products, query), qs(query))
      }
    })

    it('refuses minPrice and maxPrice that are not digits with 400', async () => {
      const s = await setup()
      for (const field of ['minPrice', 'maxPrice']) {
        for (const value of ['1 OR 1=1', '0 UNION SELECT 1', 'abc', '-1', '1e3', '0x10', '1.5', '', ' 1', '1;']) {
          await badStatus(s.list({ [field]: value }), field, `${field}=${value}`)
        }
      }
      expectTablesIntact(s)
    })

    it('refuses minPrice and maxPrice of more than 9 digits, leading zeros counted', async () => {
      const s = await setup()
      const price = s.rng.pick(s.products).price
      for (const field of ['minPrice', 'maxPrice']) {
        for (const value of ['1234567890', `${price}`.padStart(10, '0'), '0'.repeat(10), `${'9'.repeat(12)}`]) {
          await badStatus(s.list({ [field]: value }), field, `${field}=${value} (${value.length} digits)`)
        }
        for (const value of ['999999999', `${price}`.padStart(9, '0'), '000000000']) {
          const query = { [field]: value }
          expectProducts(await s.list(query), expected(s.products, query), `${field}=${value} (9 digits)`)
        }
      }
      expectTablesIntact(s)
    })

    it('takes limit from 1 to 100 and refuses anything else', async () => {
      const s = await setup()
      for (const limit of ['1', '100', '7']) {
        expectProducts(await s.list({ limit }), expected(s.products, { limit }), `limit=${limit}`)
      }
      for (const limit of ['000000005', '000000100']) {
        expectProducts(await s.list({ limit }), expected(s.products, { limit }), `limit=${limit}`)
      }
      for (const limit of ['0', '101', '-1', 'abc', '5; DROP TABLE products', '10 OFFSET 2', '1e1', '0000000005', '0x10', '5.0', ' 5']) {
        await badStatus(s.list({ limit }), 'limit', `limit=${limit}`)
      }
      expectTablesIntact(s)
    })

    it('GET /api/products/:id finds a product by its digits', async () => {
      const { api, products, rng } = await setup()
      const product = rng.pick(products)
      const res = await api.get(`/api/products/${product.id}`)
      expect(res).toHaveStatus(200)
      expect(res).toHaveJsonBody(product)
      expect(await api.get(`/api/products/0${product.id}`), 'leading zeros are fine').toHaveStatus(200)
      const missing = Math.max(...products.map((p) => p.id)) + 1
      expect(await api.get(`/api/products/${missing}`)).toHaveStatus(404)
    })

    it('answers 404 for an :id that is not digits, payloads included', async () => {
      const s = await setup()
      const id = s.rng.pick(s.products).id
      for (const raw of [
        `${id} OR 1=1`,
        `0 UNION SELECT id, secret, owner, 0 FROM api_keys`,
        `${id}abc`,
        `-${id}`,
        `${id}; DROP TABLE api_keys`,
      ]) {
        const res = await s.api.get(`/api/products/${encodeURIComponent(raw)}`)
        expect(res, `GET /api/products/${raw}`).toHaveStatus(404)
        expect(res).toHaveJsonBody(expect.objectContaining({ error: 'not_found' }))
        expectNothingLeaked(s, res)
      }
    })

    it('answers 404 for an :id that Number() reads as an integer but is not only digits', async () => {
      const s = await setup()
      const id = s.rng.pick(s.products).id
      expect(await s.api.get(`/api/products/00${id}`), 'leading zeros are still digits').toHaveStatus(200)
      const forms = [
        `0x${id.toString(16)}`,
        `0X${id.toString(16).toUpperCase()}`,
        `0b${id.toString(2)}`,
        `0o${id.toString(8)}`,
        `${id}e0`,
        `${id * 10}e-1`,
        `${id}.0`,
        `${id}.`,
        `+${id}`,
        ` ${id}`,
        `${id} `,
        `\t${id}`,
        `\n${id}`,
      ]
      for (const raw of forms) {
        const path = `/api/products/${encodeURIComponent(raw)}`
        const res = await s.api.get(path)
        expect(res, `GET ${path} (Number() reads ${Number(raw)})`).toHaveStatus(404)
        expect(res).toHaveJsonBody(expect.objectContaining({ error: 'not_found' }))
      }
    })
  })
})
