// filter-search-sort - the hidden spec.
//
// Wrong implementations this spec is built to catch:
// - returns the products in array order instead of by id when there is no sort
// - category matched as a substring or prefix ("garden" also keeps "gardening"), or ignoring case
// - `category=a,b` read as one literal category instead of a OR b, or OR-ed with the other filters
// - `inStock=false` treated as truthy (`Boolean('false')`, `if (inStock)`), or ignored
// - exclusive price bounds (`>` / `<`), or a bound of 0 ignored because 0 is falsy
// - prices compared as strings ("10" < "9"), in the range or in the sort
// - lenient numbers: `Number('')` is 0, `parseFloat('10abc')` is 10, `1e3`, `0x10`, ` 5`, `5 `,
//   `+5`, `-5`
// - case-sensitive search, search over the name only, untrimmed `q`, a blank `q` that filters
// - search over every field (`q=2024` finds dates, `q=true` finds products in stock), or `q` split
//   into words (or its spaces removed) instead of matched as one substring
// - filters combined with OR instead of AND
// - a sort that ignores the second key, or whose tie order is array order instead of id
// - a descending sort done by reversing an ascending one, so ties come out by id descending
// - unknown sort fields ignored, `inStock` sortable, `sort=` or `sort=price,` accepted, a field
//   used twice accepted
// - unknown query parameters silently ignored, or honoured as filters on any product field
//   (`?rating=4`, `?name=...`), or whitelisted with `key in object` so `constructor`, `toString`
//   or `__proto__` pass (as parameters or as sort fields)
// - a parameter given twice quietly resolved to one of its values, or accepted when both values
//   are the same
// - a 400 without the `field` naming the parameter, or as plain text
// - `products.sort(...)` reordering the caller's array when no filter made a copy first, or
//   sorting it once in createApp
// - the products kept in module-level state, shared between apps
import { describe, expect, it } from 'vitest'
import {
  build,
  client,
  focusOn,
  random,
  task,
  type Reply,
  type Rng,
} from '../../harness/spec-kit/index.ts'
import { createApp, type Product } from '../../exercises/filter-search-sort/app.ts'

const CATEGORIES = ['audio', 'books', 'garden', 'gardening', 'kitchen', 'toys']
// Crosses digit lengths so that text order ("100" < "20" < "9.5") differs from number order.
const PRICES = [2.5, 5, 9, 9.5, 9.99, 10, 12, 19.99, 45, 85, 99, 100, 120, 250, 999.99, 1000, 1200]
const SORTABLE = ['id', 'name', 'category', 'price', 'rating', 'createdAt'] as const
type SortField = (typeof SORTABLE)[number]
const DAY = 24 * 60 * 60 * 1000

const capital = (word: string) => word[0]!.toUpperCase() + word.slice(1)

/**
 * n products (n > 17) in shuffled order, ids with gaps. Every price of PRICES occurs, and names,
 * categories, prices, ratings and dates all repeat, so every sort key has ties.
 */
function makeProducts(rng: Rng, n: number): Product[] {
  const names = Array.from(
    { length: rng.int(5, 9) },
    () => `${capital(rng.word(3, 7))} ${capital(rng.word(3, 7))}`,
  )
  const prices = [...rng.shuffle(PRICES)]
  const start = Date.UTC(2024, rng.int(0, 11), rng.int(1, 28), rng.int(0, 23))
  const products: Product[] = []
  let id = rng.int(1, 20)
  for (let i = 0; i < n; i++) {
    products.push({
      id,
      name: rng.pick(names),
      category: rng.pick(CATEGORIES),
      price: prices[i] ?? rng.pick(PRICES),
      rating: rng.int(2, 10) / 2,
      inStock: rng.next() < 0.6,
      createdAt: new Date(start + rng.int(0, 12) * DAY).toISOString(),
    })
    id += rng.int(1, 5)
  }
  return rng.shuffle(products)
}

/** The products ordered by a `sort` value, ties by id ascending: the spec's own reading. */
function ordered(products: Product[], sort = ''): Product[] {
  const keys = sort === '' ? [] : sort.split(',')
  return [...products].sort((a, b) => {
    for (const key of keys) {
      const descending = key.startsWith('-')
      const field = (descending ? key.slice(1) : key) as SortField
      const x = a[field]
      const y = b[field]
      if (x !== y) return (x < y ? -1 : 1) * (descending ? -1 : 1)
    }
    return a.id - b.id
  })
}

/** Whether `q` (trimmed, any case) occurs in the product's name or category. */
function matches(product: Product, q: string): boolean {
  const term = q.trim().toLowerCase()
  return (
    product.name.toLowerCase().includes(term) || product.category.toLowerCase().includes(term)
  )
}

const ids = (products: Product[]) => products.map((p) => p.id)

/** Asserts a 200 whose `data` is exactly `expected`, in order: ids first for a readable diff. */
function expectData(res: Reply, expected: Product[]): void {
  expect(res).toHaveStatus(200)
  expect(res).toHaveJsonBody(expect.objectContaining({ data: expect.any(Array) }))
  focusOn(res)
  const data = (res.body as { data: Product[] }).data
  expect(data.map((p) => p?.id), 'the ids in data, in order').toEqual(ids(expected))
  expect(res).toHaveJsonBody(expect.objectContaining({ data: expected }))
}

/** Asserts the 400 that names the offending parameter. */
function expectInvalid(res: Reply, field: string): void {
  expect(res).toHaveStatus(400)
  expect(res).toHaveJsonBody(expect.objectContaining({ error: 'invalid_query', field }))
}

describe('filter-search-sort', () => {
  task(1, 'List every product by id', () => {
    it('returns every product ordered by id when the query is empty', async () => {
      const rng = random()
      const products = makeProducts(rng, rng.int(25, 40))
      const res = await client(build(createApp, { products })).get('/api/products')
      expectData(res, ordered(products))
    })

    it('keeps each app its own products', async () => {
      const rng = random()
      const first = makeProducts(rng, rng.int(18, 25))
      const second = makeProducts(rng, rng.int(26, 35))
      const a = client(build(createApp, { products: first }))
      const b = client(build(createApp, { products: second }))
      expectData(await b.get('/api/products'), ordered(second))
      expectData(await a.get('/api/products'), ordered(first))
      expectData(await b.get('/api/products'), ordered(second))
    })
  })

  task(2, 'Filter by category, stock and price', () => {
    it('keeps only the exact category given, not categories that start with it', async () => {
      const rng = random()
      const products = makeProducts(rng, rng.int(30, 45))
      const api = client(build(createApp, { products }))
      for (const category of ['garden', rng.pick(CATEGORIES)]) {
        const res = await api.get(`/api/products?category=${category}`)
        expectData(res, ordered(products.filter((p) => p.category === category)))
      }
    })

    it('matches the category case-sensitively', async () => {
      const rng = random()
      const products = makeProducts(rng, rng.int(30, 45))
      const api = client(build(createApp, { products }))
      const category = rng.pick(['audio', 'books', 'kitchen', 'toys'])
      const shouted = rng.pick([capital(category), category.toUpperCase()])
      expectData(await api.get(`/api/products?category=${shouted}`), [])
      const mixed = await api.get(`/api/products?category=${shouted},garden`)
      expectData(mixed, ordered(products.filter((p) => p.category === 'garden')))
    })

    it('answers 200 with an empty list for a category no product has', async () => {
      const rng = random()
      const products = makeProducts(rng, rng.int(20, 30))
      const api = client(build(createApp, { products }))
      const res = await api.get(`/api/products?category=${rng.word(12)}`)
      expectData(res, [])
    })

    it('reads category=a,b as a OR b', async () => {
      const rng = random()
      const products = makeProducts(rng, rng.int(30, 45))
      const [first, second, third] = rng.shuffle(CATEGORIES)
      const api = client(build(createApp, { products }))
      const two = await api.get(`/api/products?category=${first},${second}`)
      const firstOrSecond = products.filter((p) => p.category === first || p.category === second)
      expectData(two, ordered(firstOrSecond))
      const chosen = [first, second, third]
      const three = await api.get(`/api/products?category=${chosen.join(',')}`)
      expectData(three, ordered(products.filter((p) => chosen.includes(p.category))))
    })

    it('keeps products in stock for inStock=true and out of stock for inStock=false', async () => {
      const rng = random()
      const products = makeProducts(rng, rng.int(25, 40))
      const api = client(build(createApp, { products }))
      const inStock = await api.get('/api/products?inStock=true')
      expectData(inStock, ordered(products.filter((p) => p.inStock)))
      const outOfStock = await api.get('/api/products?inStock=false')
      expectData(outOfStock, ordered(products.filter((p) => !p.inStock)))
    })

    it('includes both price bounds in the range', async () => {
      const rng = random()
      const products = makeProducts(rng, rng.int(25, 40))
      const api = client(build(createApp, { products }))
      const [low, high] = [rng.int(1, 7), rng.int(9, 15)].map((i) => PRICES[i]!)
      const res = await api.get(`/api/products?price_min=${low}&price_max=${high}`)
      expectData(res, ordered(products.filter((p) => p.price >= low! && p.price <= high!)))
      const exact = rng.pick(PRICES)
      const single = await api.get(`/api/products?price_min=${exact}&price_max=${exact}`)
      expectData(single, ordered(products.filter((p) => p.price === exact)))
    })

    it('compares prices as numbers, not as text, on either bound alone', async () => {
      const rng = random()
      const products = makeProducts(rng, rng.int(25, 40))
      const api = client(build(createApp, { products }))
      const min = await api.get('/api/products?price_min=9')
      expectData(min, ordered(products.filter((p) => p.price >= 9)))
      const max = await api.get('/api/products?price_max=100')
      expectData(max, ordered(products.filter((p) => p.price <= 100)))
      const decimal = await api.get('/api/products?price_min=9.99&price_max=99.5')
      expectData(decimal, ordered(products.filter((p) => p.price >= 9.99 && p.price <= 99.5)))
    })

    it('applies a bound of 0 instead of ignoring it as falsy', async () => {
      const rng = random()
      const products = makeProducts(rng, rng.int(20, 30))
      const api = client(build(createApp, { products }))
      expectData(await api.get('/api/products?price_max=0'), [])
      expectData(await api.get('/api/products?price_min=0'), ordered(products))
    })

    it('answers 200 with an empty list when price_min is above price_max', async () => {
      const rng = random()
      const products = makeProducts(rng, rng.int(20, 30))
      const api = client(build(createApp, { products }))
      const res = await api.get('/api/products?price_min=100&price_max=10')
      expectData(res, [])
    })
  })

  task(3, 'Search names and categories with q', () => {
    it('searches names with q ignoring case', async () => {
      const rng = random()
      const products = makeProducts(rng, rng.int(25, 40))
      const api = client(build(createApp, { products }))
      const name = rng.pick(products).name
      // A piece of the name that spans its lower-case letters, sent in upper case.
      const start = rng.int(1, 2)
      const upper = name.slice(start, start + rng.int(3, 6)).toUpperCase()
      const res = await api.get(`/api/products?q=${encodeURIComponent(upper)}`)
      expectData(res, ordered(products.filter((p) => matches(p, upper))))
    })

    it('searches categories with q too', async () => {
      const rng = random()
      const products = makeProducts(rng, rng.int(30, 45))
      const api = client(build(createApp, { products }))
      const q = rng.pick(['BOOK', 'Kitch', 'AuDi', 'arden'])
      const res = await api.get(`/api/products?q=${q}`)
      expectData(res, ordered(products.filter((p) => matches(p, q))))
    })

    it('searches no other field than name and category', async () => {
      const rng = random()
      const products = makeProducts(rng, rng.int(25, 40))
      const api = client(build(createApp, { products }))
      // Each term occurs in another field (a date, a price, an id, inStock) of some product and
      // never in a name (letters and a space) or a category. A random name may hold "true" or
      // "false": those two are only sent when no name does.
      const some = rng.pick(products)
      const digits = [some.createdAt.slice(0, 4), ':00', '-', String(some.id), String(some.price)]
      const words = ['true', 'false'].filter((w) => !products.some((p) => matches(p, w)))
      for (const term of [...digits, ...words]) {
        expectData(await api.get(`/api/products?q=${encodeURIComponent(term)}`), [])
      }
    })

    it('trims q and treats a blank q as no filter', async () => {
      const rng = random()
      const products = makeProducts(rng, rng.int(25, 40))
      const api = client(build(createApp, { products }))
      const name = rng.pick(products).name
      const piece = name.slice(1, 5).toLowerCase()
      const padded = await api.get(`/api/products?q=${encodeURIComponent(`  ${piece} `)}`)
      expectData(padded, ordered(products.filter((p) => matches(p, piece))))
      for (const blank of ['', '%20%20', '%09']) {
        expectData(await api.get(`/api/products?q=${blank}`), ordered(products))
      }
    })

    it('matches q as one piece of text, the space inside it included', async () => {
      const rng = random()
      const products = makeProducts(rng, rng.int(25, 40))
      // For each of three names, a product named with its two words swapped ("Kettle Amber"
      // beside "Amber Kettle") has both halves of the piece below, but not the piece itself.
      let id = Math.max(...ids(products))
      const targets = rng.shuffle(products).slice(0, 3)
      for (const target of targets) {
        const [first, second] = target.name.split(' ') as [string, string]
        id += rng.int(1, 5)
        const swapped = { ...target, id, name: `${second} ${first}` }
        products.splice(rng.int(0, products.length), 0, swapped)
      }
      const api = client(build(createApp, { products }))
      // The end of a name's first word, a space, the start of its second word: "er ke" in
      // "Amber Kettle". Split into words, or with the space removed, it finds other products.
      for (const target of targets) {
        const [first, second] = target.name.split(' ') as [string, string]
        const piece = `${first.slice(-2)} ${second.slice(0, 2)}`
        const res = await api.get(`/api/products?q=${encodeURIComponent(piece)}`)
        expectData(res, ordered(products.filter((p) => matches(p, piece))))
        const joined = piece.replace(' ', '')
        const together = await api.get(`/api/products?q=${joined}`)
        expectData(together, ordered(products.filter((p) => matches(p, joined))))
      }
    })

    it('combines every filter with AND', async () => {
      const rng = random()
      const products = makeProducts(rng, rng.int(40, 60))
      const api = client(build(createApp, { products }))
      for (let round = 0; round < 3; round++) {
        const target = rng.pick(products)
        const other = rng.pick(CATEGORIES)
        const piece = target.name.slice(0, 2)
        const min = Math.max(0, target.price - rng.int(0, 50))
        const max = target.price + rng.int(0, 300)
        const query = [
          `category=${target.category},${other}`,
          `inStock=${target.inStock}`,
          `price_min=${min}`,
          `price_max=${max}`,
          `q=${piece}`,
        ]
        const res = await api.get(`/api/products?${rng.shuffle(query).join('&')}`)
        const expected = products.filter(
          (p) =>
            (p.category === target.category || p.category === other) &&
            p.inStock === target.inStock &&
            p.price >= min &&
            p.price <= max &&
            matches(p, piece),
        )
        expectData(res, ordered(expected))
      }
    })
  })

  task(4, 'Sort by one or more keys', () => {
    it('sorts by price as numbers, not as text', async () => {
      const rng = random()
      const products = makeProducts(rng, rng.int(25, 40))
      const res = await client(build(createApp, { products })).get('/api/products?sort=price')
      expectData(res, ordered(products, 'price'))
    })

    it('sorts descending with a leading "-" and keeps ties in id order', async () => {
      const rng = random()
      const products = makeProducts(rng, rng.int(25, 40))
      const api = client(build(createApp, { products }))
      expectData(await api.get('/api/products?sort=-price'), ordered(products, '-price'))
      expectData(await api.get('/api/products?sort=-rating'), ordered(products, '-rating'))
    })

    it('breaks ties on the first sort key with the second key', async () => {
      const rng = random()
      const products = makeProducts(rng, rng.int(30, 45))
      const api = client(build(createApp, { products }))
      const byCategory = await api.get('/api/products?sort=category,-price')
      expectData(byCategory, ordered(products, 'category,-price'))
      const byRating = await api.get('/api/products?sort=-rating,name')
      expectData(byRating, ordered(products, '-rating,name'))
    })

    it('sorts by ids, names and creation dates as well', async () => {
      const rng = random()
      const products = makeProducts(rng, rng.int(25, 40))
      const api = client(build(createApp, { products }))
      expectData(await api.get('/api/products?sort=name'), ordered(products, 'name'))
      expectData(await api.get('/api/products?sort=-createdAt'), ordered(products, '-createdAt'))
      expectData(await api.get('/api/products?sort=-id'), ordered(products, '-id'))
      expectData(await api.get('/api/products?sort=id'), ordered(products))
    })

    it('orders by any combination of sort keys, finally by id', async () => {
      const rng = random()
      const products = makeProducts(rng, rng.int(30, 50))
      const api = client(build(createApp, { products }))
      for (let round = 0; round < 5; round++) {
        const fields = rng.shuffle(SORTABLE.filter((f) => f !== 'id')).slice(0, rng.int(2, 3))
        const sort = fields.map((f) => (rng.next() < 0.5 ? `-${f}` : f)).join(',')
        expectData(await api.get(`/api/products?sort=${sort}`), ordered(products, sort))
      }
    })

    it('sorts the filtered products', async () => {
      const rng = random()
      const products = makeProducts(rng, rng.int(40, 60))
      const api = client(build(createApp, { products }))
      const res = await api.get('/api/products?inStock=true&price_max=250&sort=-price,name')
      const kept = products.filter((p) => p.inStock && p.price <= 250)
      expectData(res, ordered(kept, '-price,name'))
    })

    it("leaves the caller's products array unchanged", async () => {
      const rng = random()
      const products = makeProducts(rng, rng.int(25, 40))
      // Taken before createApp runs, so an app that sorts the array up front is seen too.
      const before = structuredClone(products)
      const api = client(build(createApp, { products }))
      await api.get('/api/products?sort=-price,name')
      await api.get('/api/products?sort=name')
      await api.get('/api/products?category=toys&sort=rating')
      await api.get('/api/products')
      expect(products, "the caller's products array after four requests").toEqual(before)
    })

    it('sorts each app its own products', async () => {
      const rng = random()
      const first = makeProducts(rng, rng.int(18, 25))
      const second = makeProducts(rng, rng.int(26, 35))
      const a = client(build(createApp, { products: first }))
      const b = client(build(createApp, { products: second }))
      expectData(await b.get('/api/products?sort=-price'), ordered(second, '-price'))
      expectData(await a.get('/api/products?sort=-price'), ordered(first, '-price'))
      expectData(await b.get('/api/products'), ordered(second))
    })
  })

  task(5, 'Reject bad queries with 400', () => {
    it('rejects an unknown parameter, even a real product field, with 400 naming it', async () => {
      const rng = random()
      const products = makeProducts(rng, rng.int(20, 30))
      const api = client(build(createApp, { products }))
      const some = rng.pick(products)
      const unknown: [string, string][] = [
        ['colour', 'red'],
        ['secretCost', '1'],
        ['rating', String(some.rating)],
        ['name', encodeURIComponent(some.name)],
        ['id', String(some.id)],
        ['Category', some.category],
        ['price', String(some.price)],
        ['price[gte]', '10'],
        ['constructor', 'x'],
        ['__proto__', 'x'],
        ['prototype', 'x'],
        ['hasOwnProperty', 'x'],
        ['toString', 'x'],
      ]
      for (const [field, value] of unknown) {
        const res = await api.get(`/api/products?sort=price&${encodeURIComponent(field)}=${value}`)
        expectInvalid(res, field)
      }
    })

    it('rejects a sort with an unknown, empty or repeated field with 400 naming sort', async () => {
      const products = makeProducts(random(), 20)
      const api = client(createApp({ products }))
      const unknown = ['colour', 'inStock', 'Price', '--price', 'constructor', 'toString']
      const prototypeKeys = ['__proto__', 'prototype', 'valueOf', 'hasOwnProperty', '-constructor']
      const empty = ['', '-', 'price,', ',price', 'price,,name']
      const repeated = ['price,-price', 'rating,name,-rating', 'name,name', '-id,id']
      for (const sort of [...unknown, ...prototypeKeys, ...empty, ...repeated]) {
        expectInvalid(await api.get(`/api/products?sort=${sort}`), 'sort')
      }
    })

    it('rejects a price bound that is not a plain decimal number with 400 naming it', async () => {
      const products = makeProducts(random(), 20)
      const api = client(createApp({ products }))
      const bad = ['abc', '10abc', '-5', '1e3', '0x10', '.5', '5.', '', '%205', 'Infinity', 'NaN']
      const more = ['5%20', '%2B5', '1,5', '1_000', '5..5']
      for (const field of ['price_min', 'price_max']) {
        for (const value of [...bad, ...more]) {
          expectInvalid(await api.get(`/api/products?${field}=${value}`), field)
        }
      }
    })

    it('rejects an inStock other than true or false with 400 naming it', async () => {
      const products = makeProducts(random(), 20)
      const api = client(createApp({ products }))
      for (const value of ['yes', '1', '0', 'TRUE', '', 'False', 'true%20']) {
        expectInvalid(await api.get(`/api/products?inStock=${value}`), 'inStock')
      }
    })

    it('rejects an empty category or an empty name in the list with 400 naming it', async () => {
      const products = makeProducts(random(), 20)
      const api = client(createApp({ products }))
      for (const value of ['', 'audio,', ',toys', 'audio,,toys', ',']) {
        expectInvalid(await api.get(`/api/products?category=${value}`), 'category')
      }
    })

    it('rejects a parameter given twice, even with equal values, with 400 naming it', async () => {
      const rng = random()
      const products = makeProducts(rng, 20)
      const api = client(createApp({ products }))
      const twice: [string, string][] = [
        ['price_min', `price_min=5&price_min=${rng.int(50, 500)}`],
        ['category', 'category=audio&category=toys'],
        ['sort', 'sort=price&sort=-name'],
        ['q', `q=${rng.word(2, 3)}&inStock=true&q=${rng.word(2, 3)}`],
        ['inStock', 'inStock=true&inStock=true'],
        ['price_max', 'price_max=100&sort=name&price_max=100'],
      ]
      for (const [field, query] of twice) {
        expectInvalid(await api.get(`/api/products?${query}`), field)
      }
    })
  })
})
