import { createHash, randomBytes as nodeRandomBytes, timingSafeEqual } from 'node:crypto'
import { Hono, type Context } from 'hono'
import { createMiddleware } from 'hono/factory'

/** One API key as the app stores it. Never the secret: only a hash of it. */
export interface KeyRecord {
  /** The key's id, which is also the prefix of the key string (`<id>_<secret>`). */
  id: string
  name: string
  scopes: string[]
  /** When the key was issued, in ms (from `now()`). */
  createdAt: number
  /** SHA-256 of the current secret, hex-encoded. */
  hash: string
  /** The secret the last rotation replaced, and the instant (ms) it stops working. */
  previous?: { hash: string; until: number }
}

export interface ApiKeysOptions {
  /** The current time in ms; defaults to `Date.now`. */
  now?: () => number
  /** Where every random byte comes from; defaults to `crypto.randomBytes`. */
  randomBytes?: (size: number) => Uint8Array
  /** The key records, by id; a fresh Map unless given. */
  store?: Map<string, KeyRecord>
  /** How long a rotated-out secret keeps working, in ms; defaults to 24 hours. */
  rotationOverlapMs?: number
}

type Env = { Variables: { key: KeyRecord } }

const ID_BYTES = 6
// 256 bits: far beyond guessing, which is what lets a fast hash stand in for a password hash.
const SECRET_BYTES = 32
const DAY_MS = 24 * 60 * 60 * 1000
const BEARER = /^Bearer +(\S+)$/i

// A key has ~256 bits of entropy, so nobody can brute-force its SHA-256 the way they would a
// password's: a slow KDF (scrypt, bcrypt) adds nothing but CPU on every request. The hash only
// has to make the stored table useless to whoever steals it.
const sha256 = (text: string) => createHash('sha256').update(text).digest()

// The secret is shown in these responses and nowhere else: no cache may keep a copy.
const NO_STORE = { 'Cache-Control': 'no-store' }

const isScopeList = (value: unknown): value is string[] =>
  Array.isArray(value) && value.every((s) => typeof s === 'string' && s !== '')

/** The course's API-key exercise: issue once, store a hash, scope, revoke, rotate. */
export function createApp(options: ApiKeysOptions = {}) {
  const now = options.now ?? Date.now
  const random = options.randomBytes ?? nodeRandomBytes
  const store = options.store ?? new Map<string, KeyRecord>()
  const overlap = options.rotationOverlapMs ?? DAY_MS

  const newSecret = () => Buffer.from(random(SECRET_BYTES)).toString('base64url')

  // What the outside world may see of a key: never the hash, never the secret.
  const view = (r: KeyRecord) => ({
    id: r.id,
    name: r.name,
    scopes: [...r.scopes],
    createdAt: new Date(r.createdAt).toISOString(),
  })

  const unauthorized = (c: Context) =>
    c.json({ error: 'unauthorized' }, 401, { 'WWW-Authenticate': 'Bearer realm="api"' })

  // Look the key up by its prefix (an index hit, not a scan over every hash), then compare the
  // hashes in constant time. Both are 32-byte SHA-256 digests, so timingSafeEqual never sees
  // buffers of different lengths, whatever the caller sent.
  function verify(presented: string): KeyRecord | undefined {
    const cut = presented.indexOf('_')
    if (cut <= 0 || cut === presented.length - 1) return undefined
    const record = store.get(presented.slice(0, cut))
    if (!record) return undefined
    const digest = sha256(presented.slice(cut + 1))
    if (timingSafeEqual(digest, Buffer.from(record.hash, 'hex'))) return record
    // The secret a rotation replaced works until `until` and not one millisecond longer.
    const previous = record.previous
    if (previous && now() < previous.until) {
      if (timingSafeEqual(digest, Buffer.from(previous.hash, 'hex'))) return record
    }
    return undefined
  }

  // Only the Authorization header counts: a key in the query string ends up in access logs,
  // proxies and browser history.
  const requireKey = createMiddleware<Env>(async (c, next) => {
    const token = BEARER.exec(c.req.header('Authorization') ?? '')?.[1]
    const record = token === undefined ? undefined : verify(token)
    if (!record) return unauthorized(c)
    c.set('key', record)
    await next()
  })

  // Least privilege: each route names the one scope it needs, compared exactly. 403, not 401:
  // the key is known and good, it is just not allowed to do this (RFC 6750 insufficient_scope).
  const requireScope = (scope: string) =>
    createMiddleware<Env>(async (c, next) => {
      if (!c.var.key.scopes.includes(scope)) {
        return c.json({ error: 'insufficient_scope', scope }, 403, {
          'WWW-Authenticate': `Bearer realm="api", error="insufficient_scope", scope="${scope}"`,
        })
      }
      await next()
    })

  const widgets: { id: number; name: string }[] = []
  const app = new Hono<Env>()

  app.post('/keys', async (c) => {
    const body = await c.req.json().catch(() => undefined)
    const { name, scopes } = (body ?? {}) as { name?: unknown; scopes?: unknown }
    if (typeof name !== 'string' || name === '' || !isScopeList(scopes)) {
      return c.json({ error: 'invalid_request' }, 400)
    }
    const id = Buffer.from(random(ID_BYTES)).toString('hex')
    const secret = newSecret()
    const record: KeyRecord = {
      id,
      name,
      scopes: [...scopes],
      createdAt: now(),
      hash: sha256(secret).toString('hex'),
    }
    store.set(id, record)
    // The only time the key is ever shown: after this response only its hash exists.
    return c.json({ ...view(record), key: `${id}_${secret}` }, 201, NO_STORE)
  })

  app.get('/keys', (c) => c.json([...store.values()].map(view)))

  app.get('/keys/:id', (c) => {
    const record = store.get(c.req.param('id'))
    return record ? c.json(view(record)) : c.json({ error: 'not_found' }, 404)
  })

  // Revoking deletes the record, current and previous secret together: the very next request
  // with either one finds nothing to compare against.
  app.delete('/keys/:id', (c) => {
    const id = c.req.param('id')
    if (!store.has(id)) return c.json({ error: 'not_found' }, 404)
    store.delete(id)
    return c.body(null, 204)
  })

  // Rotation issues a new secret under the same id and keeps the one it replaces working for
  // the overlap window, so clients can be redeployed with the new key without an outage. A
  // secret replaced by an earlier rotation is dropped now: only one old secret is ever valid.
  app.post('/keys/:id/rotate', (c) => {
    const record = store.get(c.req.param('id'))
    if (!record) return c.json({ error: 'not_found' }, 404)
    const secret = newSecret()
    record.previous = { hash: record.hash, until: now() + overlap }
    record.hash = sha256(secret).toString('hex')
    return c.json({ ...view(record), key: `${record.id}_${secret}` }, 200, NO_STORE)
  })

  app.get('/api/key', requireKey, (c) => {
    const { id, name, scopes } = c.var.key
    return c.json({ id, name, scopes })
  })

  app.get('/api/widgets', requireKey, requireScope('widgets:read'), (c) => c.json(widgets))

  app.post('/api/widgets', requireKey, requireScope('widgets:write'), async (c) => {
    const body = (await c.req.json().catch(() => ({}))) as { name?: unknown }
    const widget = { id: widgets.length + 1, name: String(body.name ?? '') }
    widgets.push(widget)
    return c.json(widget, 201)
  })

  app.notFound((c) => c.json({ error: 'not_found' }, 404))

  return app
}
