// status-codes - the hidden spec.
//
// Wrong implementations this spec is built to catch:
// - answers 200 (not 201) to a create, or leaves out Location, or points it at another id
// - answers a DELETE with 200 and a body instead of 204 and nothing
// - 400 vs 422 confusion: invalid fields answered 400 (as in users-crud), or malformed JSON
//   answered 422 (a parse failure turned into an empty object and then validated)
// - ignores Content-Type (a text/plain or form body is parsed and created), lets a missing
//   Content-Type through, compares it with `===` (refusing `application/json; charset=utf-8`
//   or `Application/JSON`), or with `startsWith`/`includes` (accepting `application/json-seq`)
// - answers 400 (as zValidator does) instead of 415 for a body that is not declared as JSON, or
//   parses before checking the media type (400 where 415 is due)
// - reports only the first invalid field, or lists valid fields as invalid, or crashes (500) on
//   a body that is JSON but not an object
// - hands create the whole body (an `id`, a `note`, a `__proto__` member and all) instead of
//   the three fields, or answers with the input instead of the product create returned
// - reads fields through the prototype chain (a body copied with Object.assign, so a sku sent
//   only inside `"__proto__"` counts as given)
// - accepts any `+json` type, or multipart, or compares `; charset` with one exact spacing
// - off-by-one sku lengths, accepts lower-case skus, fractional, zero or string prices
// - a duplicate sku answered 400/422/500 or created anyway; the conflict checked before
//   validation (409 where 422 is due); a sku still "taken" after its product was deleted
// - a sku cache kept by the app: a row added or removed in the repository behind its back is
//   not seen; a list or product cached after the first GET
// - 404 vs 400 for an id that is not written in digits, or parseInt/Number reading `3x`/`3.0`
//   as product 3
// - a failing repository answered with Hono's default text 500, with the error's message,
//   name or stack in the body or a header, or disguised as 404/409; the error never reaches
//   logError, or reaches it only from some routes; with no logError given, the default is
//   missing and the 500 handler itself crashes
// - talks to the repository before judging the request, so a client error becomes a 500 while
//   the database is down
import { describe, expect, it, vi } from 'vitest'
import {
  build,
  client,
  focusOn,
  random,
  task,
  type Reply,
  type Rng,
} from '../../harness/spec-kit/index.ts'
import {
  createApp,
  type NewProduct,
  type Product,
  type ProductRepository,
} from '../../exercises/status-codes/app.ts'

const FIELDS = ['sku', 'name', 'priceCents']

/** A sku like `KTL-4821`: three capitals, a dash, four digits. */
function sku(rng: Rng): string {
  return `${rng.word(3, 3).toUpperCase()}-${rng.int(1000, 9999)}`
}

/** Input for a new product whose sku none of `existing` holds. */
function newProduct(rng: Rng, existing: Product[] = []): NewProduct {
  let code = sku(rng)
  while (existing.some((p) => p.sku === code)) code = sku(rng)
  const name = rng.word(3, 8)
  return {
    sku: code,
    name: `${name[0]!.toUpperCase()}${name.slice(1)} ${rng.word(3, 6)}`,
    priceCents: rng.int(1, 99_999),
  }
}

/** 3 to 6 products with distinct skus and increasing, non-contiguous ids. */
function seedProducts(rng: Rng): Product[] {
  const products: Product[] = []
  let id = rng.int(1, 9)
  for (let n = rng.int(3, 6); n > 0; n--) {
    products.push({ id, ...newProduct(rng, products) })
    id += rng.int(2, 9)
  }
  return products
}

const maxId = (products: Product[]) => Math.max(...products.map((p) => p.id))

interface MemoryRepository extends ProductRepository {
  /** What the repository holds now, read without going through the app. */
  rows(): Product[]
  /** Every input `create` was called with, as it arrived. */
  created: NewProduct[]
  /** Adds or removes a row behind the app's back, as another server would. */
  insert(product: Product): void
  remove(id: number): void
}

/**
 * The spec's stand-in for a database: it assigns ids (one more than the highest ever) and checks
 * nothing else, so a duplicate sku that gets past the app shows up as a second row.
 */
function memoryRepository(seed: Product[]): MemoryRepository {
  const rows = new Map(seed.map((p) => [p.id, { ...p }]))
  let lastId = Math.max(0, ...rows.keys())
  const copy = (p: Product | undefined) => (p ? { ...p } : undefined)
  const created: NewProduct[] = []
  return {
    list: async () => [...rows.values()].map((p) => ({ ...p })),
    get: async (id) => copy(rows.get(id)),
    findBySku: async (code) => copy([...rows.values()].find((p) => p.sku === code)),
    create: async (input) => {
      created.push({ ...input })
      const { sku, name, priceCents } = input
      const product = { id: ++lastId, sku, name, priceCents }
      rows.set(product.id, product)
      return { ...product }
    },
    delete: async (id) => rows.delete(id),
    rows: () => [...rows.values()].map((p) => ({ ...p })),
    created,
    insert: (product) => {
      rows.set(product.id, { ...product })
      lastId = Math.max(lastId, product.id)
    },
    remove: (id) => void rows.delete(id),
  }
}

type Method = keyof ProductRepository

interface Failure {
  error: Error
  /** Strings that belong to the error and must never reach a client. */
  secrets: string[]
}

/** An error like a database driver's: a connection string with a password, and a stack. */
function databaseError(rng: Rng): Failure {
  const password = `pw-${rng.word(10, 14)}`
  const host = `db-${rng.word(4, 7)}.internal`
  const error = new Error(`connect ECONNREFUSED postgres://shop:${password}@${host}:5432/shop`)
  error.name = 'PoolConnectionError'
  error.stack = [
    `${error.name}: ${error.message}`,
    '    at Pool.connect (/srv/shop/src/db/pool.ts:88:13)',
    '    at PgProductRepository.query (/srv/shop/src/products/repository.ts:41:5)',
  ].join('\n')
  return { error, secrets: [error.message, password, host, error.name, '/srv/shop'] }
}

/** `repository` with the given methods rejecting with `error`. */
function failing(
  repository: ProductRepository,
  methods: Method[],
  error: Error,
): ProductRepository {
  const reject = () => Promise.reject(error)
  return { ...repository, ...Object.fromEntries(methods.map((m) => [m, reject])) }
}

function appFor(repository: ProductRepository, logged: unknown[] = []) {
  return createApp({ repository, logError: (error) => logged.push(error) })
}

/** POST /api/products with a raw body and the given Content-Type (none when undefined). */
function postRaw(repository: ProductRepository, body: string, contentType?: string) {
  const headers: Record<string, string> = contentType ? { 'Content-Type': contentType } : {}
  return client(appFor(repository)).post('/api/products', { headers, body })
}

/** The 422 check: the error code, and exactly `fields` listed as invalid (in any order). */
function expectInvalidFields(reply: Reply, fields: string[]): void {
  expect(reply).toHaveStatus(422)
  expect(reply).toHaveJsonBody(
    expect.objectContaining({ error: 'validation_failed', fields: expect.any(Array) }),
  )
  const listed = [...(reply.body as { fields: string[] }).fields].sort()
  expect(listed, 'fields must list each invalid field once, and only those').toEqual(
    [...fields].sort(),
  )
}

/** The 500 check: a generic JSON error, and nothing of the error in the body or a header. */
function expectGenericServerError(reply: Reply, failure: Failure): void {
  expect(reply).toHaveStatus(500)
  expect(reply).toHaveJsonBody(expect.objectContaining({ error: 'internal_error' }))
  focusOn(reply)
  const headers = Object.entries(reply.headers)
    .map(([name, value]) => `${name}: ${value}`)
    .join('\n')
  for (const [where, text] of [
    ['body', reply.text],
    ['headers', headers],
  ] as const) {
    for (const secret of failure.secrets) {
      expect(text, `the 500 ${where} must not reveal anything from the error`).not.toContain(
        secret,
      )
    }
    expect(text, `the 500 ${where} must not contain a stack trace`).not.toMatch(/\bat \S+ \(/)
    expect(text, `the 500 ${where} must not contain source file paths`).not.toMatch(/\.ts\b/)
  }
}

const NOT_FOUND = expect.objectContaining({ error: 'not_found' })
const UNSUPPORTED = expect.objectContaining({ error: 'unsupported_media_type' })
const MALFORMED = expect.objectContaining({ error: 'malformed_json' })
const SKU_TAKEN = expect.objectContaining({ error: 'sku_taken' })

// Values that make one field invalid (undefined: the field is left out of the JSON).
const invalidValues: [string, string, unknown][] = [
  ['sku is missing', 'sku', undefined],
  ['sku is empty', 'sku', ''],
  ['sku has lower-case letters', 'sku', 'lmp-1234'],
  ['sku is shorter than 3 characters', 'sku', 'LM'],
  ['sku is longer than 20 characters', 'sku', 'LAMP-1234567890-ABCDE'],
  ['sku contains a space', 'sku', 'LMP 1234'],
  ['sku is a number', 'sku', 1234],
  ['name is missing', 'name', undefined],
  ['name is empty', 'name', ''],
  ['name is only spaces', 'name', '   '],
  ['name is not a string', 'name', ['Desk lamp']],
  ['priceCents is missing', 'priceCents', undefined],
  ['priceCents is zero', 'priceCents', 0],
  ['priceCents is negative', 'priceCents', -250],
  ['priceCents has a fraction', 'priceCents', 12.5],
  ['priceCents is a string', 'priceCents', '1200'],
  ['priceCents is null', 'priceCents', null],
]

describe('status-codes', () => {
  task(1, 'Read products', () => {
    it('GET /api/products answers 200 with what the repository lists', async () => {
      const products = seedProducts(random())
      const res = await client(appFor(memoryRepository(products))).get('/api/products')
      expect(res).toHaveStatus(200)
      expect(res).toHaveJsonBody(products)
    })

    it('GET /api/products/:id answers 200 with that product', async () => {
      const rng = random()
      const products = seedProducts(rng)
      const product = rng.pick(products)
      const api = client(appFor(memoryRepository(products)))
      const res = await api.get(`/api/products/${product.id}`)
      expect(res).toHaveStatus(200)
      expect(res).toHaveJsonBody(product)
    })

    it('GET /api/products answers 200 with an empty array when there are no products', async () => {
      const res = await client(appFor(memoryRepository([]))).get('/api/products')
      expect(res).toHaveStatus(200)
      expect(res).toHaveJsonBody([])
    })

    it('reads the repository on every request, keeping no copy of its own', async () => {
      const rng = random()
      const products = seedProducts(rng)
      const repository = memoryRepository(products)
      const api = client(appFor(repository))
      const [first, ...rest] = products
      expect(await api.get('/api/products')).toHaveStatus(200)
      expect(await api.get(`/api/products/${first!.id}`)).toHaveStatus(200)
      // The database changes behind the app's back (another server, a migration).
      const added = { id: maxId(products) + rng.int(1, 9), ...newProduct(rng, products) }
      repository.insert(added)
      repository.remove(first!.id)
      const list = await api.get('/api/products')
      expect(list).toHaveStatus(200)
      expect(list).toHaveJsonBody([...rest, added])
      const gone = await api.get(`/api/products/${first!.id}`)
      expect(gone).toHaveStatus(404)
      expect(gone).toHaveJsonBody(NOT_FOUND)
      const fresh = await api.get(`/api/products/${added.id}`)
      expect(fresh).toHaveStatus(200)
      expect(fresh).toHaveJsonBody(added)
    })

    it('GET /api/products/:id answers 404 not_found for an id no product holds', async () => {
      const rng = random()
      const products = seedProducts(rng)
      const api = client(appFor(memoryRepository(products)))
      const gap = products[0]!.id + 1 // ids are at least 2 apart, so this one is free
      for (const id of [gap, maxId(products) + rng.int(1, 50)]) {
        const res = await api.get(`/api/products/${id}`)
        expect(res).toHaveStatus(404)
        expect(res).toHaveJsonBody(NOT_FOUND)
      }
    })

    it('answers 404 not_found, not 400, for an id that is not written in digits', async () => {
      const rng = random()
      const products = seedProducts(rng)
      const repository = memoryRepository(products)
      const api = client(appFor(repository))
      const { id } = rng.pick(products)
      for (const bad of [rng.word(3, 6), `${id}x`, `${id}.0`]) {
        for (const method of ['GET', 'DELETE']) {
          const res = await api.send(method, `/api/products/${bad}`)
          expect(res).toHaveStatus(404)
          expect(res).toHaveJsonBody(NOT_FOUND)
        }
      }
      expect(repository.rows(), 'a malformed id must not delete anything').toEqual(products)
    })

    it('answers 404 not_found for paths outside the API', async () => {
      const rng = random()
      const api = client(appFor(memoryRepository(seedProducts(rng))))
      for (const path of ['/', `/api/${rng.word()}`]) {
        const res = await api.get(path)
        expect(res).toHaveStatus(404)
        expect(res).toHaveJsonBody(NOT_FOUND)
      }
    })
  })

  task(2, 'Create a product with 201 and Location', () => {
    it('POST /api/products answers 201 with the created product', async () => {
      const rng = random()
      const products = seedProducts(rng)
      const repository = memoryRepository(products)
      const input = newProduct(rng, products)
      const res = await client(appFor(repository)).post('/api/products', { json: input })
      const created = { id: maxId(products) + 1, ...input }
      expect(res).toHaveStatus(201)
      expect(res).toHaveJsonBody(created)
      expect(repository.rows()).toEqual([...products, created])
    })

    it('POST /api/products sets Location to the URL of the new product', async () => {
      const rng = random()
      const products = seedProducts(rng)
      const input = newProduct(rng, products)
      const api = client(appFor(memoryRepository(products)))
      const res = await api.post('/api/products', { json: input })
      expect(res).toHaveStatus(201)
      expect(res).toHaveHeader('location')
      // A relative reference or an absolute URL: only the path is the contract.
      const path = new URL(res.headers['location']!, 'http://api.test').pathname
      const id = maxId(products) + 1
      expect(path).toBe(`/api/products/${id}`)
      const fetched = await api.get(path)
      expect(fetched).toHaveStatus(200)
      expect(fetched).toHaveJsonBody({ id, ...input })
    })

    it('POST /api/products accepts boundary values: 3- and 20-character skus, 1 cent', async () => {
      const rng = random()
      const api = client(appFor(memoryRepository([])))
      const short = { sku: `${rng.word(1, 1).toUpperCase()}-${rng.int(0, 9)}`, name: 'Pin' }
      const long = { sku: `${rng.word(8, 8).toUpperCase()}-${rng.int(1e10, 9e10)}`, name: 'Desk' }
      expect(long.sku).toHaveLength(20)
      for (const input of [short, long].map((p) => ({ ...p, priceCents: 1 }))) {
        const res = await api.post('/api/products', { json: input })
        expect(res).toHaveStatus(201)
        expect(res).toHaveJsonBody(expect.objectContaining(input))
      }
    })

    it('POST /api/products passes create only sku, name and priceCents', async () => {
      const rng = random()
      const repository = memoryRepository([])
      const input = newProduct(rng)
      // Other keys are ignored, prototype-looking ones too: JSON.parse makes them plain members.
      const json = JSON.stringify(input).slice(0, -1)
      const extra = [
        `"id":${rng.int(100, 999)}`,
        `"note":"${rng.word()}"`,
        '"__proto__":5',
        `"constructor":{"sku":"${rng.word()}"}`,
        '"prototype":null',
      ]
      const body = `${json},${extra.join(',')}}`
      const res = await postRaw(repository, body, 'application/json')
      expect(res).toHaveStatus(201)
      expect(res).toHaveJsonBody({ id: 1, ...input })
      expect(repository.created, 'create must receive exactly sku, name and priceCents').toEqual([
        input,
      ])
      expect(
        Object.keys(repository.created[0]!).sort(),
        'create must receive no other keys',
      ).toEqual([...FIELDS].sort())
    })

    it('POST /api/products answers with the product create returned', async () => {
      const rng = random()
      const products = seedProducts(rng)
      // This database tidies the name up as it stores it, so only create knows the final row.
      const memory = memoryRepository(products)
      const repository: ProductRepository = {
        ...memory,
        create: async (input) => memory.create({ ...input, name: input.name.trim().toUpperCase() }),
      }
      const input = { ...newProduct(rng, products), name: ` ${rng.word(4, 8)} ` }
      const res = await client(appFor(repository)).post('/api/products', { json: input })
      expect(res).toHaveStatus(201)
      expect(res).toHaveJsonBody(memory.rows().at(-1)!)
    })
  })

  task(3, 'Delete a product with 204', () => {
    it('DELETE /api/products/:id answers 204 with an empty body', async () => {
      const rng = random()
      const products = seedProducts(rng)
      const res = await client(appFor(memoryRepository(products))).delete(
        `/api/products/${rng.pick(products).id}`,
      )
      expect(res).toHaveStatus(204)
      expect(res).toHaveEmptyBody()
    })

    it('DELETE /api/products/:id removes the product', async () => {
      const rng = random()
      const products = seedProducts(rng)
      const gone = rng.pick(products)
      const repository = memoryRepository(products)
      const api = client(appFor(repository))
      expect(await api.delete(`/api/products/${gone.id}`)).toHaveStatus(204)
      expect(repository.rows()).toEqual(products.filter((p) => p !== gone))
      const res = await api.get(`/api/products/${gone.id}`)
      expect(res).toHaveStatus(404)
      expect(res).toHaveJsonBody(NOT_FOUND)
    })

    it('DELETE /api/products/:id answers 404 not_found for a product not there', async () => {
      const rng = random()
      const products = seedProducts(rng)
      const { id } = rng.pick(products)
      const repository = memoryRepository(products)
      const api = client(appFor(repository))
      expect(await api.delete(`/api/products/${id}`)).toHaveStatus(204)
      for (const missing of [id, maxId(products) + rng.int(1, 50)]) {
        const res = await api.delete(`/api/products/${missing}`)
        expect(res).toHaveStatus(404)
        expect(res).toHaveJsonBody(NOT_FOUND)
      }
    })
  })

  task(4, 'Refuse bodies that are not JSON with 415 and 400', () => {
    it.each([
      ['no Content-Type at all', undefined],
      ['text/plain', 'text/plain'],
      ['a form', 'application/x-www-form-urlencoded'],
      ['text/json', 'text/json'],
      ['another JSON-looking type', 'application/json-seq'],
      ['a +json type', 'application/ld+json'],
      ['multipart/form-data', 'multipart/form-data; boundary=x'],
    ])('POST /api/products answers 415 when the body is sent with %s', async (_, type) => {
      const rng = random()
      const products = seedProducts(rng)
      const repository = memoryRepository(products)
      const res = await postRaw(repository, JSON.stringify(newProduct(rng, products)), type)
      expect(res).toHaveStatus(415)
      expect(res).toHaveJsonBody(UNSUPPORTED)
      expect(repository.rows(), 'a refused POST must create nothing').toEqual(products)
    })

    it('POST /api/products accepts application/json with parameters, in any case', async () => {
      const rng = random()
      const repository = memoryRepository([])
      for (const type of [
        'application/json; charset=utf-8',
        'application/json;charset=UTF-8',
        'Application/JSON',
      ]) {
        const res = await postRaw(repository, JSON.stringify(newProduct(rng)), type)
        expect(res).toHaveStatus(201)
      }
    })

    it('POST /api/products answers 415 before looking at the body', async () => {
      const res = await postRaw(memoryRepository([]), '{"sku": "LMP-1234", "name": ', 'text/plain')
      expect(res).toHaveStatus(415)
      expect(res).toHaveJsonBody(UNSUPPORTED)
    })

    it.each([
      ['a truncated object', '{"sku": "LMP-1234", "name": "Desk lamp", '],
      ['a trailing comma', '{"sku": "LMP-1234", "name": "Desk lamp", "priceCents": 1999,}'],
      ['single quotes', "{'sku': 'LMP-1234', 'name': 'Desk lamp', 'priceCents': 1999}"],
      ['form encoding', 'sku=LMP-1234&name=Desk+lamp&priceCents=1999'],
      ['an empty body', ''],
    ])('POST /api/products answers 400 malformed_json for %s', async (_, body) => {
      const rng = random()
      const products = seedProducts(rng)
      const repository = memoryRepository(products)
      const res = await postRaw(repository, body, 'application/json')
      expect(res).toHaveStatus(400)
      expect(res).toHaveJsonBody(MALFORMED)
      expect(repository.rows(), 'a refused POST must create nothing').toEqual(products)
    })
  })

  task(5, 'Invalid fields with 422, a taken sku with 409', () => {
    it.each(invalidValues)(
      'POST /api/products answers 422 naming the field when %s',
      async (_, field, value) => {
        const rng = random()
        const products = seedProducts(rng)
        const repository = memoryRepository(products)
        const body = { ...newProduct(rng, products), [field]: value }
        const res = await client(appFor(repository)).post('/api/products', { json: body })
        expectInvalidFields(res, [field])
        expect(repository.rows(), 'a refused POST must create nothing').toEqual(products)
      },
    )

    it('POST /api/products lists every invalid field at once', async () => {
      const rng = random()
      const fields = rng.shuffle(FIELDS).slice(0, rng.int(2, 3))
      const body: Record<string, unknown> = { ...newProduct(rng) }
      for (const field of fields) {
        const [, , value] = rng.pick(invalidValues.filter(([, f]) => f === field))
        body[field] = value
      }
      const res = await client(appFor(memoryRepository([]))).post('/api/products', { json: body })
      expectInvalidFields(res, fields)
    })

    it.each([
      ['an array', [{ sku: 'LMP-1234', name: 'Desk lamp', priceCents: 1999 }]],
      ['null', null],
      ['a number', 1999],
      ['a string', 'LMP-1234'],
    ])('POST /api/products answers 422 listing every field when the JSON is %s', async (_, j) => {
      const res = await client(appFor(memoryRepository([]))).post('/api/products', { json: j })
      expectInvalidFields(res, FIELDS)
    })

    it('POST /api/products reads fields from the body itself, never from __proto__', async () => {
      const rng = random()
      const repository = memoryRepository([])
      const { sku: code, name, priceCents } = newProduct(rng)
      const fields = `"name":${JSON.stringify(name)},"priceCents":${priceCents}`
      const body = `{${fields},"__proto__":{"sku":"${code}"}}`
      const res = await postRaw(repository, body, 'application/json')
      expectInvalidFields(res, ['sku'])
      expect(repository.rows(), 'a refused POST must create nothing').toEqual([])
    })

    it('POST /api/products judges a conflict by what the repository holds now', async () => {
      const rng = random()
      const products = seedProducts(rng)
      const repository = memoryRepository(products)
      const api = client(appFor(repository))
      const mine = newProduct(rng, products)
      const made = await api.post('/api/products', { json: mine })
      expect(made).toHaveStatus(201)
      // Rows that appear and vanish behind the app's back (another server writes to the database),
      // also one this app created itself: an app that remembers the skus it made still says 409.
      repository.remove((made.body as Product).id)
      const again = await api.post('/api/products', { json: { ...newProduct(rng, repository.rows()), sku: mine.sku } })
      expect(again).toHaveStatus(201)
      const added = { id: maxId(products) + 10, ...newProduct(rng, repository.rows()) }
      repository.insert(added)
      const gone = rng.pick(products)
      repository.remove(gone.id)
      const clash = await api.post('/api/products', {
        json: { ...newProduct(rng, repository.rows()), sku: added.sku },
      })
      expect(clash).toHaveStatus(409)
      expect(clash).toHaveJsonBody(SKU_TAKEN)
      const reuse = await api.post('/api/products', {
        json: { ...newProduct(rng, repository.rows()), sku: gone.sku },
      })
      expect(reuse).toHaveStatus(201)
    })

    it('POST /api/products answers 409 sku_taken for the sku of an existing product', async () => {
      const rng = random()
      const products = seedProducts(rng)
      const repository = memoryRepository(products)
      const taken = rng.pick(products)
      const input = { ...newProduct(rng, products), sku: taken.sku }
      const res = await client(appFor(repository)).post('/api/products', { json: input })
      expect(res).toHaveStatus(409)
      expect(res).toHaveJsonBody(SKU_TAKEN)
      expect(repository.rows(), 'a conflicting POST must create nothing').toEqual(products)
    })

    it('POST /api/products answers 409 when the same sku is posted twice', async () => {
      const rng = random()
      const api = client(appFor(memoryRepository([])))
      const input = newProduct(rng)
      expect(await api.post('/api/products', { json: input })).toHaveStatus(201)
      const second = { ...newProduct(rng), sku: input.sku }
      const again = await api.post('/api/products', { json: second })
      expect(again).toHaveStatus(409)
      expect(again).toHaveJsonBody(SKU_TAKEN)
    })

    it('POST /api/products answers 422, not 409, for invalid fields with a taken sku', async () => {
      const rng = random()
      const products = seedProducts(rng)
      const taken = rng.pick(products)
      const body = { ...newProduct(rng, products), sku: taken.sku, priceCents: -rng.int(1, 500) }
      const res = await client(appFor(memoryRepository(products))).post('/api/products', {
        json: body,
      })
      expectInvalidFields(res, ['priceCents'])
    })

    it('POST /api/products accepts the sku of a deleted product again', async () => {
      const rng = random()
      const products = seedProducts(rng)
      const api = client(appFor(memoryRepository(products)))
      // One product from the seed, one created through the API: both skus become free.
      const created = await api.post('/api/products', { json: newProduct(rng, products) })
      expect(created).toHaveStatus(201)
      const gone = [rng.pick(products), created.body as Product]
      let nextId = maxId(products) + 2
      for (const { id, sku } of gone) {
        expect(await api.delete(`/api/products/${id}`)).toHaveStatus(204)
        const input = { ...newProduct(rng, products), sku }
        const res = await api.post('/api/products', { json: input })
        expect(res).toHaveStatus(201)
        expect(res).toHaveJsonBody({ id: nextId++, ...input })
      }
    })
  })

  task(6, 'A 500 that tells nothing', () => {
    it.each([
      ['list', 'GET /api/products'],
      ['get', 'GET /api/products/:id'],
      ['findBySku', 'POST /api/products'],
      ['create', 'POST /api/products'],
      ['delete', 'DELETE /api/products/:id'],
    ] as [Method, string][])(
      'answers 500 internal_error, revealing nothing, when repository.%s fails (%s)',
      async (method, request) => {
        const rng = random()
        const products = seedProducts(rng)
        const failure = databaseError(rng)
        const repository = failing(memoryRepository(products), [method], failure.error)
        const [verb, path] = request.split(' ') as [string, string]
        const logged: unknown[] = []
        const res = await client(appFor(repository, logged)).send(
          verb,
          path.replace(':id', String(rng.pick(products).id)),
          verb === 'POST' ? { json: newProduct(rng, products) } : {},
        )
        expectGenericServerError(res, failure)
        expect(logged, 'logError must be called once, with the thrown error').toHaveLength(1)
        expect(logged[0], 'logError gets the very error the repository threw').toBe(failure.error)
      },
    )

    it('hands the error of a 500 to logError', async () => {
      const rng = random()
      const products = seedProducts(rng)
      const failure = databaseError(rng)
      const logged: unknown[] = []
      const repository = failing(memoryRepository(products), ['get'], failure.error)
      const api = client(appFor(repository, logged))
      const res = await api.get(`/api/products/${rng.pick(products).id}`)
      expect(res).toHaveStatus(500)
      expect(logged, 'logError must be called once, with the thrown error').toHaveLength(1)
      expect(logged[0]).toBe(failure.error)
    })

    it('without logError, answers 500 internal_error and logs with console.error', async () => {
      const rng = random()
      const products = seedProducts(rng)
      const failure = databaseError(rng)
      const repository = failing(memoryRepository(products), ['get'], failure.error)
      const spy = vi.spyOn(console, 'error').mockImplementation(() => {})
      try {
        const app = build(createApp, { repository })
        const res = await client(app).get(`/api/products/${rng.pick(products).id}`)
        expectGenericServerError(res, failure)
        expect(
          spy.mock.calls.some((args) => args.includes(failure.error)),
          'console.error receives the error when no logError is given',
        ).toBe(true)
      } finally {
        spy.mockRestore()
      }
    })

    it('judges client errors without touching the repository, even when it is down', async () => {
      const rng = random()
      const failure = databaseError(rng)
      const every: Method[] = ['list', 'get', 'findBySku', 'create', 'delete']
      const down = failing(memoryRepository(seedProducts(rng)), every, failure.error)
      const input = JSON.stringify(newProduct(rng))
      expect(await postRaw(down, input, 'text/plain')).toHaveStatus(415)
      expect(await postRaw(down, input.slice(0, -3), 'application/json')).toHaveStatus(400)
      expect(await postRaw(down, '{}', 'application/json')).toHaveStatus(422)
      const api = client(appFor(down))
      expect(await api.get(`/api/products/${rng.word(3, 6)}`)).toHaveStatus(404)
      expect(await api.delete(`/api/products/${rng.int(1, 99)}x`)).toHaveStatus(404)
      expect(await api.get(`/api/${rng.word()}`)).toHaveStatus(404)
    })
  })
})
