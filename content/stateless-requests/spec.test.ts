// stateless-requests - the hidden spec.
//
// Wrong implementations this spec is built to catch:
// - keeps carts in a Map inside the app (a second instance with the same secret sees nothing)
// - keeps carts in a module-level Map keyed by a session id in the cookie (instances in one
//   process agree, but replaying an older cookie shows the newest cart: state is on the server)
// - one cart for everybody (a client without a cookie sees another client's items)
// - finds the cookie with a naive split or pattern, so other cookies in the header, or one whose
//   name merely ends in "cart" (`oldcart=...`), confuse it
// - stores the cart in the cookie unsigned (base64 JSON), so any edit is trusted
// - signs the cookie but never verifies the signature (a swapped payload or an altered
//   signature is accepted)
// - signs only the items, not the issue time, so a newer payload under an older cart's
//   signature is accepted (and an expired cart can be revived)
// - signs with a fixed key instead of options.secret (another secret's cookie is accepted)
// - crashes (500) on a malformed cookie: parses before verifying, timingSafeEqual on buffers of
//   different lengths, or decodeURIComponent throws
// - keeps the items of a rejected cookie when adding to it or deleting from it
// - ignores expiry, is off by one at exactly ttlSeconds, counts age in whole seconds (a cookie
//   1 ms too old is kept), trusts the cookie's Max-Age alone, reads Date.now() instead of
//   options.now (the clock sits in 2037), or reads now() once
// - issues the cookie only on writes, so an active shopper's cart still expires
// - Set-Cookie without HttpOnly, with SameSite=None or no SameSite, without Path=/, or without
//   Max-Age=ttlSeconds
// - caches the cart (public or max-age instead of no-store), or sends no-store only on the 200s
//   (a 404 is cacheable by default)
// - catalog without Cache-Control public max-age=300, without an ETag, with a random or
//   per-instance ETag, a hard-coded ETag (another catalog gets the same one), no 304 for a
//   matching If-None-Match, a 304 with a body or without its validators, no weak comparison,
//   no list or * handling, a substring match of the tag, or a Set-Cookie on the public catalog
// - sums a repeated sku into two lines, accepts an unknown sku (also one a plain object
//   inherits, such as `constructor`) or a bad qty, refuses qty 1 or 99, or answers 500 to a
//   JSON null body
// - a 400 or 404 that changes the cart
// - accepts an empty secret or a nonsensical ttlSeconds (0, negative, fractional, NaN,
//   Infinity), or refuses ttlSeconds 1
import { describe, expect, it } from 'vitest'
import {
  build,
  type Client,
  client,
  fakeClock,
  focusOn,
  parseSetCookies,
  random,
  task,
  type Reply,
  type Rng,
  type SetCookie,
} from '../../harness/spec-kit/index.ts'
import {
  createApp,
  type CartItem,
  type CartOptions,
  type Product,
} from '../../exercises/stateless-requests/app.ts'

const START = Date.UTC(2037, 4, 17, 9, 30)

function makeCatalog(rng: Rng): Product[] {
  const products: Product[] = []
  const seen = new Set<string>()
  const count = rng.int(4, 7)
  while (products.length < count) {
    const sku = `${rng.word(3, 4).toUpperCase()}-${rng.int(100, 999)}`
    if (seen.has(sku)) continue
    seen.add(sku)
    products.push({ sku, name: rng.word(4, 10), priceCents: rng.int(99, 99_999) })
  }
  return products
}

/** A fresh app with random secret, ttl, catalog and a whole-second clock in 2037. */
function setup() {
  const rng = random()
  const secret = rng.word(16, 24)
  const ttlSeconds = rng.int(300, 7200)
  const clock = fakeClock(START + rng.int(0, 86_400) * 1000)
  const catalog = makeCatalog(rng)
  const make = (overrides: Partial<CartOptions> = {}) =>
    build(createApp, { secret, ttlSeconds, now: clock.now, catalog, ...overrides })
  const api = client(make())
  /** `n` lines with distinct skus from the catalog and random quantities. */
  const items = (n: number): CartItem[] =>
    rng
      .shuffle(catalog)
      .slice(0, n)
      .map((p) => ({ sku: p.sku, qty: rng.int(1, 9) }))
  return { rng, secret, ttlSeconds, clock, catalog, make, api, items }
}

const cookieHeader = (cookie?: string): Record<string, string> =>
  cookie === undefined ? {} : { Cookie: `cart=${cookie}` }

const getCart = (api: Client, cookie?: string) =>
  api.get('/api/cart', { headers: cookieHeader(cookie) })

const addItem = (api: Client, cookie: string | undefined, item: unknown) =>
  api.post('/api/cart/items', { headers: cookieHeader(cookie), json: item })

const removeItem = (api: Client, cookie: string | undefined, sku: string) =>
  api.delete(`/api/cart/items/${encodeURIComponent(sku)}`, { headers: cookieHeader(cookie) })

/** Every Set-Cookie of a reply. */
const setCookies = (reply: Reply): SetCookie[] => parseSetCookies(reply.headers['set-cookie'])

/** The cart cookie a reply sets (the last one, as a browser would keep), if any. */
const maybeCartCookie = (reply: Reply): SetCookie | undefined =>
  setCookies(reply)
    .filter((c) => c.name === 'cart')
    .at(-1)

/** The cart cookie a reply sets; fails without one. */
function cartCookie(reply: Reply): SetCookie {
  const cookie = maybeCartCookie(reply)
  focusOn(reply)
  expect(cookie, 'the response must set the cookie `cart` (Set-Cookie: cart=...)').toBeDefined()
  expect(cookie!.value, 'the cart cookie must not be empty').not.toBe('')
  return cookie!
}

const bySku = (a: CartItem, b: CartItem) => (a.sku < b.sku ? -1 : a.sku > b.sku ? 1 : 0)

/** A 200 cart reply holding exactly `expected` (any order); returns the cookie it sets. */
function expectCart(reply: Reply, expected: CartItem[]): string {
  expect(reply).toHaveStatus(200)
  expect(reply).toHaveJsonBody(expect.objectContaining({ items: expect.any(Array) }))
  const items = (reply.body as { items: CartItem[] }).items.map(({ sku, qty }) => ({ sku, qty }))
  focusOn(reply)
  expect(items.sort(bySku), 'the cart items (order does not matter)').toEqual(
    [...expected].sort(bySku),
  )
  return cartCookie(reply).value
}

/** Adds every item in turn, carrying the cookie along like a browser; returns the last cookie. */
async function fill(api: Client, items: CartItem[]): Promise<string> {
  let jar: string | undefined
  for (const [i, item] of items.entries()) {
    jar = expectCart(await addItem(api, jar, item), items.slice(0, i + 1))
  }
  return jar!
}

/** The cookie value split at its last dot: what comes before the signature, and the signature. */
function splitSigned(value: string): [string, string] {
  const dot = value.lastIndexOf('.')
  expect(dot, 'the cart cookie value must be <payload>.<signature>').toBeGreaterThan(0)
  return [value.slice(0, dot), value.slice(dot + 1)]
}

const ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789'

const inEscape = (text: string, i: number) => text.slice(Math.max(0, i - 2), i).includes('%')

/** The value with one letter or digit in the first half of its signature replaced. */
function alterSignature(value: string, rng: Rng): string {
  const [payload, signature] = splitSigned(value)
  const spots = [...signature.slice(0, Math.ceil(signature.length / 2))]
    .map((ch, i) => ({ ch, i }))
    // Leave %XX escapes alone: altering one would make the value undecodable, not forged.
    .filter(({ ch, i }) => ALNUM.includes(ch) && !inEscape(signature, i))
  expect(spots.length, 'the signature must have letters or digits to alter').toBeGreaterThan(0)
  const { ch, i } = rng.pick(spots)
  const other = rng.pick([...ALNUM].filter((c) => c !== ch))
  return `${payload}.${signature.slice(0, i)}${other}${signature.slice(i + 1)}`
}

function cacheDirectives(reply: Reply): Record<string, string> {
  const directives: Record<string, string> = {}
  for (const part of (reply.headers['cache-control'] ?? '').split(',')) {
    const [name = '', value = ''] = part.split('=')
    if (name.trim()) directives[name.trim().toLowerCase()] = value.trim().replace(/^"|"$/g, '')
  }
  return directives
}

function expectNoStore(reply: Reply) {
  const directives = cacheDirectives(reply)
  focusOn(reply)
  expect(directives, "a cart is one client's data: Cache-Control: no-store").toHaveProperty(
    'no-store',
  )
  expect(directives, 'a cart must never be public').not.toHaveProperty('public')
}

/** The reply's ETag, checked to be an entity-tag: `"..."` or weak `W/"..."`. */
function entityTag(reply: Reply): string {
  expect(reply).toHaveHeader('etag')
  const tag = reply.headers.etag!
  focusOn(reply)
  expect(/^(W\/)?"[^"]*"$/.test(tag), 'the ETag must be a quoted tag: "..." or W/"..."').toBe(true)
  return tag
}

/** The opaque part of an entity-tag, without W/ and quotes. */
const opaque = (tag: string) => tag.replace(/^W\//, '').slice(1, -1)

describe('stateless-requests', () => {
  task(1, 'Keep the cart in a cookie', () => {
    it('GET /api/cart without a cookie answers 200 with an empty cart and a cookie', async () => {
      const { api } = setup()
      expectCart(await getCart(api), [])
    })

    it('POST /api/cart/items adds the item and answers with the whole cart', async () => {
      const { api, items } = setup()
      const [first, second] = items(2)
      const cookie = expectCart(await addItem(api, undefined, first!), [first!])
      expectCart(await addItem(api, cookie, second!), [first!, second!])
    })

    it('GET /api/cart reads back what the cookie holds', async () => {
      const { api, items } = setup()
      const lines = items(3)
      expectCart(await getCart(api, await fill(api, lines)), lines)
    })

    it('serves the same client from another instance with the same secret', async () => {
      const { make, items } = setup()
      const [a, b] = [client(make()), client(make())]
      const [first, second, third] = items(3)
      let cookie = await fill(a, [first!])
      cookie = expectCart(await getCart(b, cookie), [first!])
      cookie = expectCart(await addItem(b, cookie, second!), [first!, second!])
      cookie = expectCart(await addItem(a, cookie, third!), [first!, second!, third!])
      expectCart(await removeItem(b, cookie, first!.sku), [second!, third!])
    })

    it('keeps no cart on the server: an older cookie still reads as the older cart', async () => {
      const { api, items } = setup()
      const [first, second] = items(2)
      const older = await fill(api, [first!])
      const newer = expectCart(await addItem(api, older, second!), [first!, second!])
      expectCart(await getCart(api, older), [first!])
      expectCart(await getCart(api, newer), [first!, second!])
    })

    it('gives a client without a cookie an empty cart, whatever others have added', async () => {
      const { api, items } = setup()
      await fill(api, items(2))
      expectCart(await getCart(api), [])
    })

    it('finds the cart cookie among other cookies', async () => {
      const { api, items, rng } = setup()
      const lines = items(2)
      const cookie = await fill(api, lines)
      const res = await api.get('/api/cart', {
        headers: { Cookie: `theme=${rng.word()}; cart=${cookie}; lang=${rng.word(2, 2)}` },
      })
      expectCart(res, lines)
    })

    it('reads only the cookie named exactly cart, not one whose name ends in cart', async () => {
      const { api, items } = setup()
      const [mine, theirs] = items(2)
      const other = await fill(api, [theirs!])
      const cookie = await fill(api, [mine!])
      for (const name of ['oldcart', 'xcart']) {
        const res = await api.get('/api/cart', {
          headers: { Cookie: `${name}=${other}; cart=${cookie}` },
        })
        expectCart(res, [mine!])
      }
    })
  })

  task(2, 'Change the cart and refuse bad items', () => {
    it('adds to the quantity when the same sku is added again', async () => {
      const { api, items, rng } = setup()
      const [line] = items(1)
      const more = rng.int(1, 9)
      const cookie = await fill(api, [line!])
      expectCart(await addItem(api, cookie, { sku: line!.sku, qty: more }), [
        { sku: line!.sku, qty: line!.qty + more },
      ])
    })

    it('DELETE /api/cart/items/:sku removes that line and keeps the others', async () => {
      const { api, items, rng } = setup()
      const lines = items(3)
      const gone = rng.pick(lines)
      const cookie = await fill(api, lines)
      const kept = lines.filter((l) => l !== gone)
      expectCart(await removeItem(api, cookie, gone.sku), kept)
    })

    it('DELETE answers 404 not_in_cart for a sku that is not in the cart', async () => {
      const { api, items } = setup()
      const [inCart, notInCart] = items(2)
      const res = await removeItem(api, await fill(api, [inCart!]), notInCart!.sku)
      expect(res).toHaveStatus(404)
      expect(res).toHaveJsonBody(expect.objectContaining({ error: 'not_in_cart' }))
    })

    it('accepts qty 1 and qty 99, the two ends of the range', async () => {
      const { api, items } = setup()
      const [low, high] = items(2)
      const cookie = expectCart(await addItem(api, undefined, { sku: low!.sku, qty: 1 }), [
        { sku: low!.sku, qty: 1 },
      ])
      expectCart(await addItem(api, cookie, { sku: high!.sku, qty: 99 }), [
        { sku: low!.sku, qty: 1 },
        { sku: high!.sku, qty: 99 },
      ])
    })

    it.each([
      ['a sku that is not in the catalog', (sku: string) => ({ sku: `${sku}X`, qty: 1 })],
      ['the sku "constructor", which every object inherits', () => ({ sku: 'constructor', qty: 1 })],
      ['the sku "__proto__"', () => ({ sku: '__proto__', qty: 1 })],
      ['the sku "toString"', () => ({ sku: 'toString', qty: 1 })],
      ['a missing sku', () => ({ qty: 1 })],
      ['qty 0', (sku: string) => ({ sku, qty: 0 })],
      ['qty 100', (sku: string) => ({ sku, qty: 100 })],
      ['a fractional qty', (sku: string) => ({ sku, qty: 1.5 })],
      ['qty as a string', (sku: string) => ({ sku, qty: '2' })],
      ['a missing qty', (sku: string) => ({ sku })],
      ['a JSON null body', () => null],
      ['a JSON array body', (sku: string) => [sku, 1]],
    ])('rejects %s with 400 invalid_item', async (_name, body) => {
      const { api, catalog, rng } = setup()
      const res = await api.post('/api/cart/items', { json: body(rng.pick(catalog).sku) })
      expect(res).toHaveStatus(400)
      expect(res).toHaveJsonBody(expect.objectContaining({ error: 'invalid_item' }))
    })

    it('rejects a body that is not JSON with 400 invalid_item', async () => {
      const { api } = setup()
      const res = await api.post('/api/cart/items', {
        headers: { 'Content-Type': 'application/json' },
        body: '{"sku": ',
      })
      expect(res).toHaveStatus(400)
      expect(res).toHaveJsonBody(expect.objectContaining({ error: 'invalid_item' }))
    })

    it('a 400 or a 404 leaves the cart as it was', async () => {
      const { api, items } = setup()
      const [inCart, notInCart] = items(2)
      const cookie = await fill(api, [inCart!])
      const refused = [
        await addItem(api, cookie, { sku: `${inCart!.sku}X`, qty: 1 }),
        await addItem(api, cookie, { sku: inCart!.sku, qty: 0 }),
        await removeItem(api, cookie, notInCart!.sku),
      ]
      for (const res of refused) {
        expect([400, 404], 'the request is refused with 400 or 404').toContain(res.status)
        // A refusal may set the cookie again, but only with the cart unchanged.
        const after = maybeCartCookie(res)?.value ?? cookie
        expectCart(await getCart(api, after), [inCart!])
      }
    })
  })

  task(3, 'Sign the cookie and reject tampering', () => {
    it('refuses an empty secret when the app is created', () => {
      const { clock, catalog } = setup()
      const make = () => createApp({ secret: '', ttlSeconds: 600, now: clock.now, catalog })
      expect(make, 'createApp({ secret: "" }) throws a TypeError').toThrow(TypeError)
    })

    it('rejects a cookie signed with another secret', async () => {
      const { make, items, rng, secret } = setup()
      const ours = client(make())
      const theirs = client(make({ secret: `${secret}${rng.word(1, 3)}` }))
      const lines = items(2)
      // The same clock, catalog and items: only the key differs.
      const foreign = await fill(theirs, lines)
      expectCart(await getCart(theirs, foreign), lines)
      expectCart(await getCart(ours, foreign), [])
    })

    it("rejects a cookie whose payload was swapped under another cookie's signature", async () => {
      const { api, items } = setup()
      const [small, big] = items(2)
      const one = await fill(api, [small!])
      const two = expectCart(await addItem(api, one, big!), [small!, big!])
      const [payloadTwo] = splitSigned(two)
      const [, signatureOne] = splitSigned(one)
      expectCart(await getCart(api, `${payloadTwo}.${signatureOne}`), [])
    })

    it('rejects a later issue time under the signature of an earlier cookie of the same cart', async () => {
      const { api, items, clock, rng } = setup()
      const lines = items(2)
      const earlier = await fill(api, lines)
      clock.advance(rng.int(1, 60) * 1000)
      const later = expectCart(await getCart(api, earlier), lines)
      const [payloadLater] = splitSigned(later)
      const [payloadEarlier, signatureEarlier] = splitSigned(earlier)
      expect(payloadLater, 'a cookie issued later carries another issue time').not.toBe(
        payloadEarlier,
      )
      expectCart(await getCart(api, `${payloadLater}.${signatureEarlier}`), [])
    })

    it('rejects a cookie whose signature was altered', async () => {
      const { api, items, rng } = setup()
      const cookie = await fill(api, items(2))
      expectCart(await getCart(api, alterSignature(cookie, rng)), [])
    })

    it('never keeps the items of a rejected cookie, even when adding to or deleting from it', async () => {
      const { api, items, rng } = setup()
      const [kept, added] = items(2)
      const cookie = await fill(api, [kept!])
      const forged = alterSignature(cookie, rng)
      expectCart(await addItem(api, forged, added!), [added!])
      const res = await removeItem(api, forged, kept!.sku)
      expect(res).toHaveStatus(404)
      expect(res).toHaveJsonBody(expect.objectContaining({ error: 'not_in_cart' }))
    })

    it.each([
      ['no dot', (_v: string, rng: Rng) => rng.word(20, 40)],
      ['only a dot', () => '.'],
      ['nothing after the dot', (v: string) => `${splitSigned(v)[0]}.`],
      ['no signature at all', (v: string) => splitSigned(v)[0]],
      ['random words', (_v: string, rng: Rng) => `${rng.word(20, 30)}.${rng.word(40, 44)}`],
      ['a broken percent escape', (v: string) => `${v}%E0%A4%A`],
      ['an empty value', () => ''],
    ])('treats a malformed cookie (%s) as an empty cart', async (_name, mangle) => {
      const { api, items, rng } = setup()
      const cookie = await fill(api, items(1))
      expectCart(await getCart(api, mangle(cookie, rng)), [])
    })
  })

  task(4, 'Expire old carts', () => {
    it('sets the cart cookie with Max-Age equal to ttlSeconds', async () => {
      const { api, items, ttlSeconds } = setup()
      const { attributes } = cartCookie(await addItem(api, undefined, items(1)[0]!))
      expect(attributes['max-age'], `the cart cookie needs Max-Age=${ttlSeconds}`).toBe(
        String(ttlSeconds),
      )
    })

    it('accepts a cookie that is exactly ttlSeconds old', async () => {
      const { api, items, clock, ttlSeconds } = setup()
      const lines = items(2)
      const cookie = await fill(api, lines)
      clock.advance(ttlSeconds * 1000)
      expectCart(await getCart(api, cookie), lines)
    })

    it('treats a cookie older than ttlSeconds as an empty cart, read from options.now', async () => {
      const { api, items, clock, ttlSeconds } = setup()
      const lines = items(2)
      const cookie = await fill(api, lines)
      clock.advance((ttlSeconds + 1) * 1000)
      const fresh = expectCart(await getCart(api, cookie), [])
      expect(fresh, 'an expired cookie is replaced by a fresh one').not.toBe(cookie)
      expectCart(await getCart(api, fresh), [])
    })

    it('treats a cookie 1 ms older than ttlSeconds as expired', async () => {
      const { api, items, clock, ttlSeconds } = setup()
      const cookie = await fill(api, items(2))
      clock.advance(ttlSeconds * 1000 + 1)
      expectCart(await getCart(api, cookie), [])
    })

    it('starts a new cart when adding to an expired cookie', async () => {
      const { api, items, clock, ttlSeconds, rng } = setup()
      const [old, added] = items(2)
      const cookie = await fill(api, [old!])
      clock.advance((ttlSeconds + rng.int(1, 3600)) * 1000)
      expectCart(await addItem(api, cookie, added!), [added!])
    })

    it('renews the cookie on every cart response, so an active cart does not expire', async () => {
      const { api, items, clock, ttlSeconds } = setup()
      const lines = items(2)
      const original = await fill(api, lines)
      clock.advance((ttlSeconds - 10) * 1000)
      const renewed = expectCart(await getCart(api, original), lines)
      clock.advance(20_000)
      expectCart(await getCart(api, renewed), lines)
      expectCart(await getCart(api, original), [])
    })

    it.each([[0], [-60], [1.5], [Number.NaN], [Number.POSITIVE_INFINITY]])(
      'refuses ttlSeconds %s when the app is created',
      (ttlSeconds) => {
        const { clock, catalog, secret } = setup()
        const make = () => createApp({ secret, ttlSeconds, now: clock.now, catalog })
        expect(make, `createApp({ ttlSeconds: ${ttlSeconds} }) throws a TypeError`).toThrow(
          TypeError,
        )
      },
    )

    it('accepts ttlSeconds 1, the smallest positive integer', async () => {
      const { make, items, clock } = setup()
      const api = client(make({ ttlSeconds: 1 }))
      const lines = items(1)
      const cookie = await fill(api, lines)
      clock.advance(1000)
      expectCart(await getCart(api, cookie), lines)
    })
  })

  task(5, 'Keep the cart private: cookie flags and no-store', () => {
    it('sets the cart cookie HttpOnly, SameSite=Lax or Strict, Path=/', async () => {
      const { api, items } = setup()
      for (const res of [await addItem(api, undefined, items(1)[0]!), await getCart(api)]) {
        const { attributes } = cartCookie(res)
        expect(attributes, 'the cart cookie needs HttpOnly: page scripts must not read it')
          .toHaveProperty('httponly')
        expect(['lax', 'strict'], 'the cart cookie needs SameSite=Lax (or Strict)').toContain(
          attributes.samesite?.toLowerCase(),
        )
        expect(attributes.path, 'the cart cookie needs Path=/').toBe('/')
      }
    })

    it('answers every cart route with Cache-Control: no-store', async () => {
      const { api, items } = setup()
      const [line] = items(1)
      const added = await addItem(api, undefined, line!)
      const read = await getCart(api, cartCookie(added).value)
      const removed = await removeItem(api, cartCookie(read).value, line!.sku)
      for (const res of [added, read, removed]) {
        expect(res).toHaveStatus(200)
        expectNoStore(res)
      }
    })

    it('sends Cache-Control: no-store on the cart 400 and 404 too', async () => {
      const { api, items } = setup()
      const [line] = items(1)
      const invalid = await addItem(api, undefined, { sku: line!.sku, qty: 0 })
      expect(invalid).toHaveStatus(400)
      expectNoStore(invalid)
      const missing = await removeItem(api, undefined, line!.sku)
      expect(missing).toHaveStatus(404)
      expectNoStore(missing)
    })
  })

  task(6, 'Make the catalog cacheable', () => {
    it('GET /api/catalog answers 200 with the products', async () => {
      const { api, catalog } = setup()
      const res = await api.get('/api/catalog')
      expect(res).toHaveStatus(200)
      expect(res).toHaveJsonBody(expect.objectContaining({ products: catalog }))
    })

    it('GET /api/catalog is publicly cacheable for 300 seconds', async () => {
      const { api } = setup()
      const res = await api.get('/api/catalog')
      const directives = cacheDirectives(res)
      focusOn(res)
      expect(directives, 'Cache-Control: public, max-age=300').toEqual(
        expect.objectContaining({ public: '', 'max-age': '300' }),
      )
      for (const no of ['no-store', 'no-cache', 'private']) {
        expect(directives, `the catalog's Cache-Control must not say ${no}`).not.toHaveProperty(no)
      }
    })

    it('GET /api/catalog carries an ETag that every instance agrees on', async () => {
      const { make } = setup()
      const first = await client(make()).get('/api/catalog')
      const second = await client(make()).get('/api/catalog')
      entityTag(first)
      expect(second).toHaveHeader('etag', first.headers.etag)
    })

    it('GET /api/catalog gives another catalog another ETag', async () => {
      const { make, rng, catalog } = setup()
      const changed = catalog.map((p, i) =>
        i === 0 ? { ...p, priceCents: p.priceCents + rng.int(1, 50) } : p,
      )
      const before = await client(make()).get('/api/catalog')
      const after = await client(make({ catalog: changed })).get('/api/catalog')
      entityTag(after)
      expect(after).not.toHaveHeader('etag', before.headers.etag)
    })

    it('answers 304 with no body to a matching If-None-Match, from any instance', async () => {
      const { make } = setup()
      const first = await client(make()).get('/api/catalog')
      const tag = entityTag(first)
      const res = await client(make()).get('/api/catalog', {
        headers: { 'If-None-Match': tag },
      })
      expect(res).toHaveStatus(304)
      expect(res).toHaveEmptyBody()
      expect(res).toHaveHeader('etag', tag)
      expect(res).toHaveHeader('cache-control', first.headers['cache-control'])
    })

    it('compares If-None-Match weakly, within a list, and honours *', async () => {
      const { api, rng } = setup()
      const tag = entityTag(await api.get('/api/catalog'))
      const flipped = tag.startsWith('W/') ? tag.slice(2) : `W/${tag}`
      for (const ifNoneMatch of [flipped, `"${rng.word()}", ${tag}`, '*']) {
        const res = await api.get('/api/catalog', { headers: { 'If-None-Match': ifNoneMatch } })
        expect(res).toHaveStatus(304)
      }
    })

    it('answers 200 with the products when If-None-Match names another version', async () => {
      const { api, catalog, rng } = setup()
      const tag = entityTag(await api.get('/api/catalog'))
      const others = [
        `"${rng.word(12, 20)}"`,
        // Tags that merely contain the current one are other versions too.
        `"${opaque(tag)}${rng.pick([...ALNUM])}"`,
        `W/"${rng.pick([...ALNUM])}${opaque(tag)}"`,
        `"${rng.word(4, 8)}", "${rng.word(4, 8)}"`,
      ]
      for (const other of others) {
        const res = await api.get('/api/catalog', { headers: { 'If-None-Match': other } })
        expect(res).toHaveStatus(200)
        expect(res).toHaveJsonBody(expect.objectContaining({ products: catalog }))
      }
    })

    it('never sets a cookie on the public catalog', async () => {
      const { api, items } = setup()
      const cookie = await fill(api, items(1))
      const res = await api.get('/api/catalog', { headers: cookieHeader(cookie) })
      expect(res).toHaveStatus(200)
      expect(res).not.toHaveHeader('set-cookie')
    })
  })
})
