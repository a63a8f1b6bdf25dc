// api-keys - the hidden spec.
//
// Wrong implementations this spec is built to catch:
// - stores the key or its secret (as text, hex or base64) instead of only a hash, or keeps a
//   piece of it (a "hint" of its first 8 characters, a few of its bytes)
// - shows the secret or the hash again: in GET /keys, GET /keys/:id, or a `key` field there
// - forgets Cache-Control: no-store on the responses that carry a secret
// - draws randomness from Math.random or crypto directly instead of options.randomBytes, or
//   draws fewer than 32 bytes for a secret
// - reads Date.now() instead of the injected clock (createdAt, the rotation window)
// - compares the secret with === or with timingSafeEqual on buffers of different lengths
//   (a secret one character short answers 500)
// - splits the key at the last underscore (base64url secrets contain `_`) or accepts an empty
//   secret, an id alone, or the right id with another key's secret
// - accepts the key from the query string or from an X-API-Key header, or under another
//   scheme; ignores trailing words after the key
// - looks ids up in a plain object (`constructor_...` or GET /keys/__proto__ finds something)
// - answers 401 where 403 is due (a good key without the scope) or 403 where 401 is due
// - matches scopes by prefix, substring or ignoring case (`widgets:readonly`, `WIDGETS:READ`)
// - revocation that leaves the key working, or leaves it listed, or a revoked key that keeps
//   its rotated-out secret alive
// - rotation with no overlap (old key dead at once), an endless overlap, an off-by-one at the
//   end of the window (`<=`), or a new id for the rotated key
// - a second rotation that keeps the oldest secret alive
// - a rotation that resets createdAt (the key was created when it was first issued)
// - keeps keys at module level, so a key issued by one app works at another
import { createHash } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import {
  build,
  client,
  fakeClock,
  focusOn,
  parseChallenge,
  parseTokenList,
  random,
  task,
  type Client,
  type Reply,
  type Rng,
} from '../../harness/spec-kit/index.ts'
import { createApp, type KeyRecord } from '../../exercises/api-keys/app.ts'

/** A seeded random source that records how many bytes each call asked for. */
function source(rng: Rng) {
  const sizes: number[] = []
  const randomBytes = (size: number) => {
    sizes.push(size)
    return Uint8Array.from({ length: size }, () => rng.int(0, 255))
  }
  return { randomBytes, sizes }
}

/** A random source replayable from a number: two sources made from one seed give the same bytes. */
function seededSource(seed: number) {
  let state = seed >>> 0
  const sizes: number[] = []
  const randomBytes = (size: number) => {
    sizes.push(size)
    return Uint8Array.from({ length: size }, () => {
      state = (Math.imul(state, 1664525) + 1013904223) >>> 0
      return state >>> 24
    })
  }
  return { randomBytes, sizes }
}

interface Setup {
  rng: Rng
  api: Client
  clock: ReturnType<typeof fakeClock>
  store: Map<string, KeyRecord>
  overlap: number
  sizes: number[]
}

function setup(rng: Rng = random(), store = new Map<string, KeyRecord>()): Setup {
  const clock = fakeClock(
    Date.UTC(2037, rng.int(0, 11), rng.int(1, 28), rng.int(0, 23), rng.int(0, 59)),
  )
  const overlap = rng.int(1_000, 3_600_000)
  const { randomBytes, sizes } = source(rng)
  const api = client(
    build(createApp, { now: clock.now, randomBytes, store, rotationOverlapMs: overlap }),
  )
  return { rng, api, clock, store, overlap, sizes }
}

interface Issued {
  id: string
  key: string
  name: string
  scopes: string[]
  createdAt: string
}

async function issue(s: Setup, scopes: string[] = [], name = `${s.rng.word()} ${s.rng.word()}`) {
  const res = await s.api.post('/keys', { json: { name, scopes } })
  expect(res).toHaveStatus(201)
  return res.body as Issued
}

const bearer = (key: string) => ({ headers: { Authorization: `Bearer ${key}` } })
const secretOf = (key: string) => key.slice(key.indexOf('_') + 1)

function expectUnauthorized(res: Reply) {
  expect(res).toHaveStatus(401)
  expect(res).toHaveHeader('www-authenticate')
  focusOn(res)
  const challenge = parseChallenge(res.headers['www-authenticate']!)
  expect(challenge?.scheme, 'WWW-Authenticate must be a Bearer challenge').toBe('bearer')
  expect(res).toHaveJsonBody(expect.objectContaining({ error: 'unauthorized' }))
}

function expectInsufficientScope(res: Reply) {
  expect(res).toHaveStatus(403)
  expect(res).toHaveJsonBody(expect.objectContaining({ error: 'insufficient_scope' }))
}

function expectNoStore(res: Reply) {
  expect(res).toHaveHeader('cache-control')
  focusOn(res)
  expect(
    parseTokenList(res.headers['cache-control']),
    'a response that carries a secret must say Cache-Control: no-store',
  ).toContain('NO-STORE')
}

/** The forms a secret could be kept in without being hashed. */
function encodings(key: string): string[] {
  const secret = secretOf(key)
  const bytes = Buffer.from(secret, 'base64url')
  return [
    key,
    secret,
    Buffer.from(secret).toString('hex'),
    Buffer.from(secret).toString('base64'),
    bytes.toString('hex'),
    bytes.toString('base64'),
  ].filter((e) => e.length >= 16)
}

/** Every string inside a value (bytes as hex, base64 and text), for leak checks. */
function strings(value: unknown, out: string[] = [], seen = new Set<unknown>()): string[] {
  const bytes = (b: Uint8Array) => {
    const buf = Buffer.from(b)
    out.push(buf.toString('hex'), buf.toString('base64'), buf.toString('utf8'))
  }
  if (typeof value === 'string') out.push(value)
  else if (value instanceof Uint8Array) bytes(value)
  else if (value instanceof ArrayBuffer) bytes(new Uint8Array(value))
  else if (value && typeof value === 'object') {
    if (seen.has(value)) return out
    seen.add(value)
    if (
      Array.isArray(value) &&
      value.length > 0 &&
      value.every((n) => Number.isInteger(n) && n >= 0 && n <= 255)
    ) {
      bytes(Uint8Array.from(value as number[]))
    }
    const children =
      value instanceof Map
        ? [...value.keys(), ...value.values()]
        : value instanceof Set
          ? [...value]
          : Object.values(value)
    for (const v of children) strings(v, out, seen)
  }
  return out
}

/**
 * Every piece of a key's secret a store could keep without hashing it: any 8 characters in a
 * row of its text, and any 6 bytes in a row (of its text, or of the bytes its base64url or hex
 * stands for) as hex, base64 or base64url. Base64 of 6 bytes is 8 characters with no padding,
 * so any longer run of bytes kept in base64 contains one of these, whatever its alignment.
 * Hex pieces are matched in either letter case.
 */
function fragments(key: string): { text: string[]; hex: string[] } {
  const secret = secretOf(key)
  const text = new Set<string>()
  const hex = new Set<string>()
  for (let i = 0; i + 8 <= secret.length; i++) text.add(secret.slice(i, i + 8))
  const sources = [Buffer.from(secret, 'utf8'), Buffer.from(secret, 'base64url')]
  if (/^(?:[0-9a-f]{2})+$/i.test(secret)) sources.push(Buffer.from(secret, 'hex'))
  for (const bytes of sources) {
    for (let i = 0; i + 6 <= bytes.length; i++) {
      const piece = bytes.subarray(i, i + 6)
      hex.add(piece.toString('hex'))
      text.add(piece.toString('base64'))
      text.add(piece.toString('base64url'))
    }
  }
  return { text: [...text], hex: [...hex] }
}

/**
 * Expects the store to hold no piece of any of the keys' secrets (`fragments`), looking at every
 * string in it. The hex SHA-256 of each secret is the one thing derived from it that may be
 * there, so those digests are cut out first.
 */
function expectNoSecretIn(store: Map<string, KeyRecord>, keys: string[]) {
  const digests = keys.map((k) => createHash('sha256').update(secretOf(k)).digest('hex'))
  const leaves = strings(store).map((leaf) =>
    digests.reduce((text, d) => text.split(d).join(' ').split(d.toUpperCase()).join(' '), leaf),
  )
  const lower = leaves.map((leaf) => leaf.toLowerCase())
  for (const key of keys) {
    const { text, hex } = fragments(key)
    const found =
      text.find((f) => leaves.some((leaf) => leaf.includes(f))) ??
      hex.find((f) => lower.some((leaf) => leaf.includes(f)))
    expect(
      found,
      `the store must keep no form of a secret, not even a piece of it (found ${found})`,
    ).toBeUndefined()
  }
}

const INHERITED = ['constructor', '__proto__', 'toString', 'hasOwnProperty']

describe('api-keys', () => {
  task(1, 'Issue a key and show it once', () => {
    it('POST /keys answers 201 with the id, the key, the name, the scopes and createdAt', async () => {
      const s = setup()
      const scopes = ['widgets:read', s.rng.word()]
      const res = await s.api.post('/keys', { json: { name: 'ci deploy', scopes } })
      expect(res).toHaveStatus(201)
      expect(res).toHaveJsonBody(
        expect.objectContaining({
          id: expect.stringMatching(/^[A-Za-z0-9]+$/),
          key: expect.any(String),
          name: 'ci deploy',
          scopes,
          createdAt: new Date(s.clock.now()).toISOString(),
        }),
      )
      const { id, key } = res.body as Issued
      expect(key.startsWith(`${id}_`), 'the key is <id>_<secret>').toBe(true)
      expect(secretOf(key), 'the secret is at least 43 characters of A-Z a-z 0-9 _ -').toMatch(
        /^[A-Za-z0-9_-]{43,}$/,
      )
    })

    it('the response that shows the key says Cache-Control: no-store', async () => {
      const s = setup()
      const res = await s.api.post('/keys', { json: { name: 'n', scopes: [] } })
      expect(res).toHaveStatus(201)
      expectNoStore(res)
    })

    it('every key gets its own id and secret', async () => {
      const s = setup()
      const keys = [await issue(s), await issue(s), await issue(s)]
      expect(new Set(keys.map((k) => k.id)).size, 'ids must differ').toBe(3)
      expect(new Set(keys.map((k) => secretOf(k.key))).size, 'secrets must differ').toBe(3)
    })

    it('draws its randomness from options.randomBytes, at least 32 bytes per key', async () => {
      const rng = random()
      const seed = rng.int(1, 2 ** 30)
      const start = Date.UTC(2037, 2, rng.int(1, 28))
      const appWith = (bytesSeed: number) => {
        const { randomBytes, sizes } = seededSource(bytesSeed)
        const api = client(build(createApp, { now: fakeClock(start).now, randomBytes }))
        return { api, sizes }
      }
      const issueOn = async (api: Client) => {
        const res = await api.post('/keys', { json: { name: 'same', scopes: [] } })
        expect(res).toHaveStatus(201)
        return (res.body as Issued).key
      }
      const a = appWith(seed)
      const first = await issueOn(a.api)
      const drawn = a.sizes.reduce((sum, n) => sum + n, 0)
      expect(drawn, 'bytes drawn from options.randomBytes for one key').toBeGreaterThanOrEqual(32)
      // The same random source gives the same key: its bytes come from the source and nowhere else.
      const twin = await issueOn(appWith(seed).api)
      expect(twin, 'two apps with the same randomBytes must issue the same key').toBe(first)
      const other = await issueOn(appWith(seed + 1).api)
      expect(other, 'other random bytes must give another key').not.toBe(first)
    })

    it('rejects a body without a usable name or scopes list: 400 invalid_request', async () => {
      const s = setup()
      const bodies: unknown[] = [
        { scopes: [] },
        { name: '', scopes: [] },
        { name: 42, scopes: [] },
        { name: 'n' },
        { name: 'n', scopes: 'widgets:read' },
        { name: 'n', scopes: ['widgets:read', 7] },
        { name: 'n', scopes: [''] },
      ]
      for (const json of bodies) {
        const res = await s.api.post('/keys', { json })
        expect(res).toHaveStatus(400)
        expect(res).toHaveJsonBody(expect.objectContaining({ error: 'invalid_request' }))
      }
      const res = await s.api.post('/keys', {
        body: '{"name":',
        headers: { 'Content-Type': 'application/json' },
      })
      expect(res).toHaveStatus(400)
      expect(s.store.size, 'a rejected request stores nothing').toBe(0)
    })
  })

  task(2, 'Keep only a hash, and list keys without secrets', () => {
    it('the store holds a record for the key, and no form of its secret', async () => {
      const s = setup()
      const keys = [await issue(s, ['widgets:read']), await issue(s), await issue(s)]
      for (const k of keys) {
        expect(s.store.get(k.id), 'options.store must hold the key under its id').toBeDefined()
      }
      expectNoSecretIn(
        s.store,
        keys.map((k) => k.key),
      )
    })

    it('GET /keys lists every key in creation order, without key, secret or hash', async () => {
      const s = setup()
      const keys = [
        await issue(s, ['widgets:read']),
        await issue(s),
        await issue(s, ['widgets:write']),
      ]
      const res = await s.api.get('/keys')
      expect(res).toHaveStatus(200)
      expect(res).toHaveJsonBody(
        keys.map((k) =>
          expect.objectContaining({
            id: k.id,
            name: k.name,
            scopes: k.scopes,
            createdAt: k.createdAt,
          }),
        ),
      )
      focusOn(res)
      for (const item of res.body as object[])
        expect(item, 'a listed key has no `key` field').not.toHaveProperty('key')
      for (const k of keys) {
        for (const form of encodings(k.key))
          expect(res.text, 'the list must not show a secret').not.toContain(form)
        expect(res.text, 'the list must not show a stored hash').not.toContain(
          s.store.get(k.id)!.hash,
        )
      }
    })

    it('GET /keys/:id shows one key, without key, secret or hash', async () => {
      const s = setup()
      const k = await issue(s, ['widgets:read', 'widgets:write'])
      const res = await s.api.get(`/keys/${k.id}`)
      expect(res).toHaveStatus(200)
      expect(res).toHaveJsonBody(
        expect.objectContaining({
          id: k.id,
          name: k.name,
          scopes: k.scopes,
          createdAt: k.createdAt,
        }),
      )
      focusOn(res)
      expect(res.body).not.toHaveProperty('key')
      for (const form of encodings(k.key)) expect(res.text).not.toContain(form)
      expect(res.text).not.toContain(s.store.get(k.id)!.hash)
    })

    it('GET /keys/:id answers 404 for an unknown id, or an inherited name', async () => {
      const s = setup()
      const k = await issue(s)
      for (const id of [`${k.id}0`, k.id.slice(0, -1), k.key, ...INHERITED]) {
        const res = await s.api.get(`/keys/${encodeURIComponent(id)}`)
        expect(res).toHaveStatus(404)
        expect(res).toHaveJsonBody(expect.objectContaining({ error: 'not_found' }))
      }
    })
  })

  task(3, 'Authenticate a request with its key', () => {
    it('GET /api/key with `Authorization: Bearer <key>` answers 200 with the key id, name and scopes', async () => {
      const s = setup()
      const k = await issue(s, ['widgets:read'])
      await issue(s)
      const res = await s.api.get('/api/key', bearer(k.key))
      expect(res).toHaveStatus(200)
      expect(res).toHaveJsonBody({ id: k.id, name: k.name, scopes: k.scopes })
    })

    it('accepts the Bearer scheme in any letter case', async () => {
      const s = setup()
      const k = await issue(s)
      for (const word of ['bearer', 'BEARER', 'bEaReR']) {
        const res = await s.api.get('/api/key', { headers: { Authorization: `${word} ${k.key}` } })
        expect(res).toHaveStatus(200)
      }
    })

    it('answers 401 with a Bearer challenge when no key is sent', async () => {
      const s = setup()
      await issue(s)
      expectUnauthorized(await s.api.get('/api/key'))
    })

    const wrong: [string, (k: Issued, other: Issued) => string][] = [
      ['the id alone', (k) => k.id],
      ['the id and an empty secret', (k) => `${k.id}_`],
      ['the secret alone', (k) => secretOf(k.key)],
      ["the id with another key's secret", (k, o) => `${k.id}_${secretOf(o.key)}`],
      [
        'a secret with its last character changed',
        (k) => `${k.key.slice(0, -1)}${k.key.endsWith('A') ? 'B' : 'A'}`,
      ],
      ['a secret one character short', (k) => k.key.slice(0, -1)],
      ['a secret one character long', (k) => `${k.key}A`],
      [
        'a secret in another letter case',
        (k) =>
          `${k.id}_${secretOf(k.key).toUpperCase() === secretOf(k.key) ? secretOf(k.key).toLowerCase() : secretOf(k.key).toUpperCase()}`,
      ],
      ['an id that does not exist', (k) => `${k.id}0_${secretOf(k.key)}`],
      ['the key followed by another word', (k) => `${k.key} ${k.key}`],
      ...INHERITED.map((name): [string, (k: Issued) => string] => [
        `the inherited id "${name}"`,
        (k) => `${name}_${secretOf(k.key)}`,
      ]),
    ]

    it.each(wrong)('answers 401 to %s', async (_, make) => {
      const s = setup()
      const k = await issue(s, ['widgets:read'])
      const other = await issue(s)
      expectUnauthorized(await s.api.get('/api/key', bearer(make(k, other))))
    })

    it('takes the key from Authorization: Bearer only (not the query, X-API-Key or another scheme)', async () => {
      const s = setup()
      const k = await issue(s)
      expectUnauthorized(await s.api.get(`/api/key?api_key=${encodeURIComponent(k.key)}`))
      expectUnauthorized(await s.api.get('/api/key', { headers: { 'X-API-Key': k.key } }))
      expectUnauthorized(
        await s.api.get('/api/key', { headers: { Authorization: `Token ${k.key}` } }),
      )
      expectUnauthorized(await s.api.get('/api/key', { headers: { Authorization: k.key } }))
      expectUnauthorized(
        await s.api.get('/api/key', { headers: { Authorization: `Bearer${k.key}` } }),
      )
    })

    it('a key issued by one app is refused by another app', async () => {
      const a = setup()
      const b = setup()
      const k = await issue(a)
      expectUnauthorized(await b.api.get('/api/key', bearer(k.key)))
      expect(await a.api.get('/api/key', bearer(k.key))).toHaveStatus(200)
    })

    it('without options.store, each app keeps keys of its own', async () => {
      const clock = fakeClock()
      const first = client(build(createApp, { now: clock.now }))
      const second = client(build(createApp, { now: clock.now }))
      const res = await first.post('/keys', { json: { name: 'mine', scopes: [] } })
      expect(res).toHaveStatus(201)
      const { key } = res.body as Issued
      expect(await first.get('/api/key', bearer(key))).toHaveStatus(200)
      expectUnauthorized(await second.get('/api/key', bearer(key)))
      expect(await second.get('/keys'), 'the other app lists no keys').toHaveJsonBody([])
    })

    it('an app built on the same store accepts the key: the records live in options.store', async () => {
      const store = new Map<string, KeyRecord>()
      const a = setup(random(), store)
      const k = await issue(a, ['widgets:read'])
      const b = setup(random(), store)
      const res = await b.api.get('/api/key', bearer(k.key))
      expect(res).toHaveStatus(200)
      expect(res).toHaveJsonBody({ id: k.id, name: k.name, scopes: k.scopes })
    })
  })

  task(4, 'Scopes: 403 for a key without the one it needs', () => {
    it('a widgets:read key may GET /api/widgets but gets 403 insufficient_scope on POST', async () => {
      const s = setup()
      const k = await issue(s, ['widgets:read'])
      const list = await s.api.get('/api/widgets', bearer(k.key))
      expect(list).toHaveStatus(200)
      expect(list).toHaveJsonBody([])
      expectInsufficientScope(
        await s.api.post('/api/widgets', { ...bearer(k.key), json: { name: 'w' } }),
      )
    })

    it('a widgets:write key may POST /api/widgets but gets 403 insufficient_scope on GET', async () => {
      const s = setup()
      const k = await issue(s, ['widgets:write'])
      const res = await s.api.post('/api/widgets', { ...bearer(k.key), json: { name: 'w' } })
      expect(res).toHaveStatus(201)
      expectInsufficientScope(await s.api.get('/api/widgets', bearer(k.key)))
    })

    it('a key with both scopes lists what it created', async () => {
      const s = setup()
      const k = await issue(s, ['widgets:write', 'widgets:read'])
      const names = [s.rng.word(), s.rng.word()]
      const created: { id: unknown; name: unknown }[] = []
      for (const name of names) {
        const res = await s.api.post('/api/widgets', { ...bearer(k.key), json: { name } })
        expect(res).toHaveStatus(201)
        expect(res).toHaveJsonBody(
          expect.objectContaining({
            id: expect.toSatisfy((id) => typeof id === 'string' || typeof id === 'number'),
            name,
          }),
        )
        created.push(res.body as { id: unknown; name: unknown })
      }
      expect(created[0]!.id, 'each widget gets an id of its own').not.toEqual(created[1]!.id)
      const list = await s.api.get('/api/widgets', bearer(k.key))
      expect(list).toHaveJsonBody(
        expect.arrayContaining(created.map(({ id, name }) => expect.objectContaining({ id, name }))),
      )
      expect(list.body, 'the list holds the two widgets created').toHaveLength(2)
    })

    it('scopes are compared exactly: near misses get 403', async () => {
      const s = setup()
      const near = [
        'widgets:readonly',
        'widgets',
        'widgets:*',
        'WIDGETS:READ',
        'widgets:read ',
        'widgets:write widgets:read',
        'read',
      ]
      for (const scope of near) {
        const k = await issue(s, [scope])
        expectInsufficientScope(await s.api.get('/api/widgets', bearer(k.key)))
      }
    })

    it('no key, or a bad one, is 401 on the scoped routes, not 403', async () => {
      const s = setup()
      const k = await issue(s, [])
      expectUnauthorized(await s.api.get('/api/widgets'))
      expectUnauthorized(await s.api.post('/api/widgets', { json: { name: 'w' } }))
      expectUnauthorized(await s.api.get('/api/widgets', bearer(`${k.key}x`)))
      expectUnauthorized(
        await s.api.post('/api/widgets', { ...bearer(`${k.key}x`), json: { name: 'w' } }),
      )
    })
  })

  task(5, 'Revoke a key', () => {
    it('DELETE /keys/:id answers 204 and the key is refused on the very next request', async () => {
      const s = setup()
      const k = await issue(s, ['widgets:read'])
      expect(await s.api.get('/api/key', bearer(k.key))).toHaveStatus(200)
      const res = await s.api.delete(`/keys/${k.id}`)
      expect(res).toHaveStatus(204)
      expect(res).toHaveEmptyBody()
      expectUnauthorized(await s.api.get('/api/key', bearer(k.key)))
      expectUnauthorized(await s.api.get('/api/widgets', bearer(k.key)))
      // Deleted or kept as revoked, the record never holds the secret.
      expectNoSecretIn(s.store, [k.key])
    })

    it('a revoked key is gone from GET /keys and GET /keys/:id; the others stay', async () => {
      const s = setup()
      const [a, b, c] = [await issue(s), await issue(s), await issue(s)]
      expect(await s.api.delete(`/keys/${b.id}`)).toHaveStatus(204)
      expect(await s.api.get(`/keys/${b.id}`)).toHaveStatus(404)
      const list = await s.api.get('/keys')
      expect(list).toHaveJsonBody([
        expect.objectContaining({ id: a.id }),
        expect.objectContaining({ id: c.id }),
      ])
      expect(await s.api.get('/api/key', bearer(a.key))).toHaveStatus(200)
      expect(await s.api.get('/api/key', bearer(c.key))).toHaveStatus(200)
    })

    it('DELETE of an unknown, already revoked or inherited id answers 404', async () => {
      const s = setup()
      const k = await issue(s)
      expect(await s.api.delete(`/keys/${k.id}`)).toHaveStatus(204)
      for (const id of [k.id, `${k.id}0`, ...INHERITED]) {
        const res = await s.api.delete(`/keys/${encodeURIComponent(id)}`)
        expect(res).toHaveStatus(404)
        expect(res).toHaveJsonBody(expect.objectContaining({ error: 'not_found' }))
      }
    })
  })

  task(6, 'Rotate a key with an overlap window', () => {
    it('POST /keys/:id/rotate answers 200 with a new key under the same id, no-store', async () => {
      const s = setup()
      const k = await issue(s, ['widgets:read'])
      s.clock.advance(s.rng.int(1, 100_000))
      const drawnBefore = s.sizes.reduce((sum, n) => sum + n, 0)
      const res = await s.api.post(`/keys/${k.id}/rotate`)
      const drawn = s.sizes.reduce((sum, n) => sum + n, 0) - drawnBefore
      expect(res).toHaveStatus(200)
      expectNoStore(res)
      expect(res).toHaveJsonBody(
        expect.objectContaining({
          id: k.id,
          name: k.name,
          scopes: k.scopes,
          key: expect.any(String),
          // Rotation gives the key a new secret; the key was still created when it was issued.
          createdAt: k.createdAt,
        }),
      )
      const { key } = res.body as Issued
      expect(key.startsWith(`${k.id}_`), 'the new key keeps the id as its prefix').toBe(true)
      expect(key, 'the new key has a new secret').not.toBe(k.key)
      expect(secretOf(key), 'the new secret is at least 43 characters of A-Z a-z 0-9 _ -').toMatch(
        /^[A-Za-z0-9_-]{43,}$/,
      )
      expect(drawn, 'bytes drawn from options.randomBytes for the new secret').toBeGreaterThanOrEqual(
        32,
      )
      const who = await s.api.get('/api/key', bearer(key))
      expect(who).toHaveJsonBody({ id: k.id, name: k.name, scopes: k.scopes })
      const list = await s.api.get('/keys')
      expect(list, 'the rotated key is listed once').toHaveJsonBody([
        expect.objectContaining({ id: k.id, createdAt: k.createdAt }),
      ])
      expect(await s.api.get(`/keys/${k.id}`)).toHaveJsonBody(
        expect.objectContaining({ id: k.id, createdAt: k.createdAt }),
      )
    })

    it('the old key works until the overlap ends, and not one millisecond longer', async () => {
      const s = setup()
      const k = await issue(s)
      s.clock.advance(s.rng.int(1, 100_000))
      const rotated = (await s.api.post(`/keys/${k.id}/rotate`)).body as Issued
      s.clock.advance(s.overlap - 1)
      expect(
        await s.api.get('/api/key', bearer(k.key)),
        'the old key 1 ms before the overlap ends',
      ).toHaveStatus(200)
      s.clock.advance(1)
      expectUnauthorized(await s.api.get('/api/key', bearer(k.key)))
      s.clock.advance(s.rng.int(1, 10 * s.overlap))
      expectUnauthorized(await s.api.get('/api/key', bearer(k.key)))
      expect(
        await s.api.get('/api/key', bearer(rotated.key)),
        'the new key keeps working',
      ).toHaveStatus(200)
    })

    it('a second rotation drops the oldest secret at once', async () => {
      const s = setup()
      const k = await issue(s)
      const second = (await s.api.post(`/keys/${k.id}/rotate`)).body as Issued
      s.clock.advance(Math.floor(s.overlap / 2))
      const third = (await s.api.post(`/keys/${k.id}/rotate`)).body as Issued
      expectUnauthorized(await s.api.get('/api/key', bearer(k.key)))
      s.clock.advance(s.overlap - 1)
      expect(
        await s.api.get('/api/key', bearer(second.key)),
        'the key the second rotation replaced, within its window',
      ).toHaveStatus(200)
      s.clock.advance(1)
      expectUnauthorized(await s.api.get('/api/key', bearer(second.key)))
      expect(await s.api.get('/api/key', bearer(third.key))).toHaveStatus(200)
    })

    it('after rotations the store holds no form of the old or the new secret', async () => {
      const s = setup()
      const k = await issue(s, ['widgets:read'])
      const second = (await s.api.post(`/keys/${k.id}/rotate`)).body as Issued
      s.clock.advance(s.rng.int(1, s.overlap - 1))
      const third = (await s.api.post(`/keys/${k.id}/rotate`)).body as Issued
      expectNoSecretIn(s.store, [k.key, second.key, third.key])
    })

    it('revoking a key inside its overlap window refuses the old and the new secret', async () => {
      const s = setup()
      const k = await issue(s)
      const rotated = (await s.api.post(`/keys/${k.id}/rotate`)).body as Issued
      expect(await s.api.delete(`/keys/${k.id}`)).toHaveStatus(204)
      expectUnauthorized(await s.api.get('/api/key', bearer(k.key)))
      expectUnauthorized(await s.api.get('/api/key', bearer(rotated.key)))
    })

    it('rotating an unknown, revoked or inherited id answers 404', async () => {
      const s = setup()
      const k = await issue(s)
      expect(await s.api.delete(`/keys/${k.id}`)).toHaveStatus(204)
      for (const id of [k.id, `${k.id}0`, ...INHERITED]) {
        const res = await s.api.post(`/keys/${encodeURIComponent(id)}/rotate`)
        expect(res).toHaveStatus(404)
      }
    })
  })
})
