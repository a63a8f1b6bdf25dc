// field-encryption - the hidden spec.
//
// Wrong implementations this spec is built to catch:
// - stores plaintext, base64 or a hash instead of real AES-256-GCM (the spec decrypts every
//   envelope with the key itself), or stores the plaintext in an extra field
// - reuses one IV (a constant, or one per app), or an IV that is not 12 bytes
// - no associated data, or associated data that is not `customers/<id>/<field>`, so a
//   ciphertext copied from another record or field decrypts
// - writes with the first key or a fixed key instead of activeKid; puts the wrong kid in the
//   envelope; reads every row with the active key (old rows unreadable after a rotation)
// - accepts a 16-byte key (AES-128 under an AES-256 name) or an activeKid missing from keys
// - scopes matched as a substring ("pii:reader", "pii:read:masked") or case-insensitively
// - masks wrongly: shows the plaintext, masks with the wrong shape, or masks by not decrypting
// - blind index unkeyed (plain SHA-256 of the email), keyed with an encryption key, computed
//   before normalising, or not normalised on search (case or spaces miss)
// - search by substring, by decrypting every row (a corrupt other row trips it), or missing
//   the 400 without ?email=
// - re-encryption that rewrites rows already under the active key, changes emailIndex, touches
//   a row it cannot decrypt, is open to scopes other than pii:admin, or miscounts
// - tampered envelopes (ciphertext, tag or IV bit flips, swapped records, unknown or prototype
//   key ids, truncated tags, v2, garbage) answered with 500, with the field decrypted anyway
//   (truncated tag accepted without authTagLength), or with the envelope, kid or crypto error in
//   the body; onDecryptError not called, or called for rows that were never decrypted
// - 401/404 mishandled: unknown tokens let through, `constructor` found as a customer
import { createCipheriv, createDecipheriv, createHmac } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { build, client, random, task, type Client, type Reply, type Rng } from '../../harness/spec-kit/index.ts'
import {
  createApp,
  type FieldEncryptionOptions,
  type SensitiveField,
  type StoredCustomer,
} from '../../exercises/field-encryption/app.ts'

// ---------------------------------------------------------------------------------------------
// Data

function bytes(rng: Rng, n: number): Buffer {
  const out = Buffer.alloc(n)
  for (let i = 0; i < n; i++) out[i] = rng.int(0, 255)
  return out
}

function kidOf(rng: Rng): string {
  return `k${rng.word(3, 6)}${rng.int(10, 99)}`
}

interface Person {
  name: string
  email: string
  ssn: string
}

function cap(word: string): string {
  return word[0].toUpperCase() + word.slice(1)
}

function person(rng: Rng): Person {
  const first = rng.word(3, 7)
  const last = rng.word(3, 8)
  const digits = (n: number) => Array.from({ length: n }, () => rng.int(0, 9)).join('')
  return {
    name: `${cap(first)} ${cap(last)}`,
    email: `${cap(first)}.${last}${rng.int(1, 999)}@${cap(rng.word(4, 8))}.example`,
    ssn: `${rng.int(100, 899)}-${digits(2)}-${digits(4)}`,
  }
}

const normalise = (email: string) => email.trim().toLowerCase()

// ---------------------------------------------------------------------------------------------
// Envelopes, opened with the key itself

interface Envelope {
  version: string
  kid: string
  iv: Buffer
  ciphertext: Buffer
  tag: Buffer
}

function parseEnvelope(value: unknown, what: string): Envelope {
  expect(typeof value, `${what} must be stored as an envelope string`).toBe('string')
  const parts = (value as string).split('.')
  expect(parts.length, `${what} must have five dot-separated parts: v1.<kid>.<iv>.<ciphertext>.<tag>`).toBe(5)
  const [version, kid, iv, ciphertext, tag] = parts
  for (const [part, text] of [['iv', iv], ['ciphertext', ciphertext], ['tag', tag]]) {
    expect(text, `the ${part} of ${what} is base64url without padding`).toMatch(/^[A-Za-z0-9_-]+$/)
  }
  return {
    version,
    kid,
    iv: Buffer.from(iv, 'base64url'),
    ciphertext: Buffer.from(ciphertext, 'base64url'),
    tag: Buffer.from(tag, 'base64url'),
  }
}

const aad = (id: string, field: SensitiveField) => Buffer.from(`customers/${id}/${field}`, 'utf8')

function gcmOpen(key: Buffer, e: Envelope, associated: Buffer): string | undefined {
  try {
    const d = createDecipheriv('aes-256-gcm', key, e.iv, { authTagLength: 16 })
    d.setAAD(associated)
    d.setAuthTag(e.tag)
    return Buffer.concat([d.update(e.ciphertext), d.final()]).toString('utf8')
  } catch {
    return undefined
  }
}

/** Decrypts a stored field as the README says, failing the check with a reason if it cannot. */
function decryptStored(keys: Record<string, Buffer>, row: StoredCustomer, field: SensitiveField): { kid: string; plain: string } {
  const what = `the stored ${field}`
  const e = parseEnvelope(row[field], what)
  expect(e.version, `${what} starts with v1`).toBe('v1')
  expect(Object.hasOwn(keys, e.kid), `${what} names key id ${e.kid}, which is not one of the keys`).toBe(true)
  expect(e.iv.length, `${what} has a 12-byte IV`).toBe(12)
  expect(e.tag.length, `${what} has a 16-byte GCM tag`).toBe(16)
  const plain = gcmOpen(keys[e.kid], e, aad(row.id, field))
  expect(
    plain,
    `${what} must decrypt with AES-256-GCM under key ${e.kid} and associated data "customers/${row.id}/${field}"`,
  ).toBeDefined()
  return { kid: e.kid, plain: plain! }
}

/** An envelope the spec makes itself, as an app following the README would. */
function sealed(key: Buffer, kid: string, iv: Buffer, plain: string, associated: Buffer): string {
  const c = createCipheriv('aes-256-gcm', key, iv, { authTagLength: 16 })
  c.setAAD(associated)
  const ct = Buffer.concat([c.update(plain, 'utf8'), c.final()])
  return ['v1', kid, iv.toString('base64url'), ct.toString('base64url'), c.getAuthTag().toString('base64url')].join('.')
}

function blindIndex(indexKey: Buffer, email: string): string {
  return createHmac('sha256', indexKey).update(normalise(email), 'utf8').digest('hex')
}

// ---------------------------------------------------------------------------------------------
// Apps

interface Setup {
  api: Client
  store: Map<string, StoredCustomer>
  keys: Record<string, Buffer>
  activeKid: string
  indexKey: Buffer
  /** Tokens: full reader, masked reader, admin. */
  reader: string
  masked: string
  admin: string
  problems: { id: string; field: string }[]
}

function setup(rng: Rng, overrides: Partial<FieldEncryptionOptions> = {}): Setup {
  const activeKid = kidOf(rng)
  const keys = { [activeKid]: bytes(rng, 32) }
  const reader = `tok-${rng.word(10, 14)}`
  const masked = `tok-${rng.word(10, 14)}`
  const admin = `tok-${rng.word(10, 14)}`
  const tokens = new Map([
    [reader, rng.pick(['pii:read', 'customers pii:read', 'pii:read customers:write'])],
    [masked, rng.pick(['customers', 'customers:read', ''])],
    [admin, 'pii:admin'],
  ])
  const problems: { id: string; field: string }[] = []
  const options: FieldEncryptionOptions = {
    store: new Map(),
    keys,
    activeKid,
    indexKey: bytes(rng, 32),
    tokens,
    onDecryptError: (p) => problems.push({ id: p.id, field: p.field }),
    ...overrides,
  }
  const api = client(build(createApp, options))
  return { api, store: options.store, keys: options.keys, activeKid: options.activeKid, indexKey: options.indexKey, reader, masked, admin, problems }
}

const auth = (token: string) => ({ Authorization: `Bearer ${token}` })

async function create(s: Setup, p: Person, token = s.reader): Promise<string> {
  const res = await s.api.post('/customers', { json: p, headers: auth(token) })
  expect(res).toHaveStatus(201)
  const id = (res.body as { id?: unknown })?.id
  expect(typeof id, 'the 201 carries the new customer\'s "id"').toBe('string')
  expect(s.store.has(id as string), 'the new customer is in the store under its id').toBe(true)
  return id as string
}

function get(s: Setup, id: string, token = s.reader): Promise<Reply> {
  return s.api.get(`/customers/${encodeURIComponent(id)}`, { headers: auth(token) })
}

function search(s: Setup, email: string, token = s.reader): Promise<Reply> {
  return s.api.get(`/customers?email=${encodeURIComponent(email)}`, { headers: auth(token) })
}

function maskedView(p: Person): { email: string; ssn: string } {
  return { email: `${p.email[0]}***@${p.email.split('@')[1]}`, ssn: `***-**-${p.ssn.slice(-4)}` }
}

/** Fails if any form of the person's secrets appears anywhere in the stored row. */
function expectNoPlaintext(row: StoredCustomer, p: Person): void {
  const stored = JSON.stringify(row).toLowerCase()
  const local = p.email.split('@')[0].toLowerCase()
  for (const secret of [p.email.toLowerCase(), local, p.ssn, p.ssn.replaceAll('-', '')]) {
    expect(stored, `the stored record must not contain ${JSON.stringify(secret)} in any field`).not.toContain(secret)
  }
  const b64 = (text: string) => Buffer.from(text).toString('base64').slice(0, 12).toLowerCase()
  expect(stored, 'the stored record must not contain the email merely base64-encoded').not.toContain(b64(p.email))
}

/** Flips one bit of one base64url part of an envelope. */
function flip(envelope: string, part: 2 | 3 | 4, rng: Rng): string {
  const parts = envelope.split('.')
  const raw = Buffer.from(parts[part], 'base64url')
  raw[rng.int(0, raw.length - 1)] ^= 1 << rng.int(0, 7)
  parts[part] = raw.toString('base64url')
  return parts.join('.')
}

function withPart(envelope: string, part: number, value: string): string {
  const parts = envelope.split('.')
  parts[part] = value
  return parts.join('.')
}

describe('field-encryption', () => {
  task(1, 'Encrypt fields before they are stored', () => {
    it('stores email and ssn as AES-256-GCM envelopes under the active key', async () => {
      const rng = random()
      const s = setup(rng)
      const p = person(rng)
      const id = await create(s, p)
      const row = s.store.get(id)!
      expect(row, 'the stored record keeps its id and name').toMatchObject({ id, name: p.name })
      for (const field of ['email', 'ssn'] as const) {
        const { kid, plain } = decryptStored(s.keys, row, field)
        expect(kid, `new writes use activeKid (${s.activeKid})`).toBe(s.activeKid)
        expect(plain, `the stored ${field} decrypts to what was sent`).toBe(p[field])
      }
    })

    it('keeps every form of the plaintext out of the stored record', async () => {
      const rng = random()
      const s = setup(rng)
      const p = person(rng)
      const id = await create(s, p)
      expectNoPlaintext(s.store.get(id)!, p)
    })

    it('uses a fresh IV for every encryption: the same values encrypt differently', async () => {
      const rng = random()
      const s = setup(rng)
      const p = person(rng)
      const rows = [await create(s, p), await create(s, p), await create(s, { ...p, name: 'Other' })].map((id) => s.store.get(id)!)
      const ivs = new Set<string>()
      for (const row of rows) {
        for (const field of ['email', 'ssn'] as const) {
          ivs.add(parseEnvelope(row[field], `the stored ${field}`).iv.toString('hex'))
        }
      }
      expect(ivs.size, 'six encryptions need six different IVs').toBe(6)
      expect(new Set(rows.map((r) => r.email)).size, 'the same email must encrypt differently each time').toBe(3)
    })

    it('binds each ciphertext to its record and field with the associated data', async () => {
      const rng = random()
      const s = setup(rng)
      const [a, b] = [person(rng), person(rng)]
      const [idA, idB] = [await create(s, a), await create(s, b)]
      const rowA = s.store.get(idA)!
      const e = parseEnvelope(rowA.email, 'the stored email')
      const key = s.keys[e.kid]
      expect(gcmOpen(key, e, aad(idA, 'email')), 'decrypts with its own associated data').toBe(a.email)
      expect(gcmOpen(key, e, aad(idB, 'email')), 'must not decrypt as another record\'s email').toBeUndefined()
      expect(gcmOpen(key, e, aad(idA, 'ssn')), 'must not decrypt as the same record\'s ssn').toBeUndefined()
      expect(gcmOpen(key, e, Buffer.alloc(0)), 'must not decrypt without associated data').toBeUndefined()
    })

    it('answers 400 invalid_customer for a bad body, and stores nothing', async () => {
      const rng = random()
      const s = setup(rng)
      const p = person(rng)
      const bad = [
        { ...p, ssn: p.ssn.replaceAll('-', '') },
        { ...p, email: p.email.replace('@', '') },
        { ...p, email: `${p.email}@x` },
        { ...p, email: `a ${p.email}` },
        { ...p, name: '' },
        { name: p.name, email: p.email },
      ]
      for (const body of bad) {
        const res = await s.api.post('/customers', { json: body, headers: auth(s.reader) })
        expect(res).toHaveStatus(400)
        expect(res).toHaveJsonBody(expect.objectContaining({ error: 'invalid_customer' }))
      }
      const broken = await s.api.post('/customers', { body: '{"name":', headers: { ...auth(s.reader), 'Content-Type': 'application/json' } })
      expect(broken).toHaveStatus(400)
      expect(s.store.size, 'nothing may be stored for a refused body').toBe(0)
    })

    it('refuses to start with a key that is not 32 bytes or an activeKid that is not a key', () => {
      const rng = random()
      const base = () => ({
        store: new Map<string, StoredCustomer>(),
        tokens: new Map<string, string>(),
        indexKey: bytes(rng, 32),
      })
      const kid = kidOf(rng)
      expect(() => createApp({ ...base(), keys: { [kid]: bytes(rng, 16) }, activeKid: kid }), 'a 16-byte key is AES-128, not AES-256: throw').toThrow()
      expect(() => createApp({ ...base(), keys: { [kid]: bytes(rng, 33) }, activeKid: kid }), 'a 33-byte key: throw').toThrow()
      expect(() => createApp({ ...base(), keys: { [kid]: bytes(rng, 32) }, activeKid: `${kid}x` }), 'activeKid missing from keys: throw').toThrow()
      expect(() => createApp({ ...base(), keys: { [kid]: bytes(rng, 32) }, activeKid: 'constructor' }), 'activeKid "constructor" is not a key: throw').toThrow()
      expect(() => createApp({ ...base(), indexKey: bytes(rng, 16), keys: { [kid]: bytes(rng, 32) }, activeKid: kid }), 'a 16-byte indexKey: throw').toThrow()
    })
  })

  task(2, 'Decrypt on read, masked without pii:read', () => {
    it('shows the plaintext to a token with pii:read', async () => {
      const rng = random()
      const s = setup(rng)
      const p = person(rng)
      const id = await create(s, p)
      const res = await get(s, id)
      expect(res).toHaveStatus(200)
      expect(res).toHaveJsonBody(expect.objectContaining({ id, name: p.name, email: p.email, ssn: p.ssn }))
    })

    it('masks email and ssn for a token without pii:read', async () => {
      const rng = random()
      const s = setup(rng)
      const p = person(rng)
      const id = await create(s, p)
      const res = await get(s, id, s.masked)
      expect(res).toHaveStatus(200)
      expect(res).toHaveJsonBody(expect.objectContaining({ id, name: p.name, ...maskedView(p) }))
      expect(res.text, 'a masked answer must not carry the plaintext anywhere').not.toContain(p.email.split('@')[0])
    })

    it('masks the 201 of a create for a token without pii:read too', async () => {
      const rng = random()
      const s = setup(rng)
      const p = person(rng)
      const res = await s.api.post('/customers', { json: p, headers: auth(s.masked) })
      expect(res).toHaveStatus(201)
      expect(res).toHaveJsonBody(expect.objectContaining({ name: p.name, ...maskedView(p) }))
    })

    it('reads pii:read as one whole scope word: pii:reader and PII:READ are other scopes', async () => {
      const rng = random()
      const p = person(rng)
      for (const scopes of rng.shuffle(['pii:reader', 'pii:read:masked', 'xpii:read', 'PII:READ', 'pii:readpii:admin'])) {
        const token = `tok-${rng.word(12, 14)}`
        const s = setup(rng, { tokens: new Map([[token, `customers ${scopes}`]]) })
        const id = await create(s, p, token)
        const res = await get(s, id, token)
        expect(res).toHaveStatus(200)
        expect((res.body as { email?: unknown }).email, `a token with scopes "customers ${scopes}" has no pii:read`).toBe(maskedView(p).email)
      }
    })

    it('answers 401 unauthorized without a known token', async () => {
      const rng = random()
      const s = setup(rng)
      const id = await create(s, person(rng))
      for (const headers of [{}, auth(`tok-${rng.word(12, 14)}`), auth('constructor'), { Authorization: s.reader }]) {
        const res = await s.api.get(`/customers/${id}`, { headers })
        expect(res).toHaveStatus(401)
        expect(res).toHaveJsonBody(expect.objectContaining({ error: 'unauthorized' }))
      }
    })

    it('answers 404 not_found for unknown ids, "constructor" included', async () => {
      const rng = random()
      const s = setup(rng)
      await create(s, person(rng))
      for (const id of [rng.word(20, 30), 'constructor', '__proto__']) {
        const res = await get(s, id)
        expect(res).toHaveStatus(404)
        expect(res).toHaveJsonBody(expect.objectContaining({ error: 'not_found' }))
      }
    })
  })

  task(3, 'Find customers by email through a blind index', () => {
    it('stores emailIndex = HMAC-SHA256(indexKey, normalised email) in hex', async () => {
      const rng = random()
      const s = setup(rng)
      const p = person(rng)
      const id = await create(s, p)
      expect(s.store.get(id)!.emailIndex, 'emailIndex is the lower-case hex HMAC-SHA256 of the trimmed, lower-cased email under indexKey').toBe(
        blindIndex(s.indexKey, p.email),
      )
    })

    it('finds exactly the customers with the same email, whatever its case and spacing', async () => {
      const rng = random()
      const s = setup(rng)
      const p = person(rng)
      const twin = { ...person(rng), email: p.email.toUpperCase() }
      const local = p.email.split('@')[0]
      const near = [
        { ...person(rng), email: `x${p.email}` },
        { ...person(rng), email: `${local}@${rng.word(4, 6)}.example` },
        { ...person(rng), email: `${local}1@${p.email.split('@')[1]}` },
      ]
      const ids = [await create(s, p), await create(s, twin)]
      for (const other of near) await create(s, other)
      const res = await search(s, `  ${p.email.toLowerCase()} `)
      expect(res).toHaveStatus(200)
      const items = (res.body as { items?: { id: string; email: string }[] })?.items
      expect(Array.isArray(items), 'the search answers { "items": [...] }').toBe(true)
      expect(items!.map((i) => i.id).sort(), 'exactly the two customers with that email, no near misses').toEqual([...ids].sort())
      expect(items!.map((i) => i.email).sort()).toEqual([p.email, twin.email].sort())
    })

    it('decrypts only the matches: corrupt other records do not disturb the search', async () => {
      const rng = random()
      const s = setup(rng)
      const p = person(rng)
      const hit = await create(s, p)
      for (let i = 0; i < 4; i++) {
        const id = await create(s, person(rng))
        const row = s.store.get(id)!
        s.store.set(id, { ...row, email: flip(row.email, 3, rng), ssn: flip(row.ssn, 4, rng) })
      }
      const res = await search(s, p.email)
      expect(res).toHaveStatus(200)
      expect(res).toHaveJsonBody(expect.objectContaining({ items: [expect.objectContaining({ id: hit, email: p.email })] }))
      expect(s.problems, 'the search decrypted records that did not match (onDecryptError was called)').toEqual([])
    })

    it('masks search results for a token without pii:read', async () => {
      const rng = random()
      const s = setup(rng)
      const p = person(rng)
      await create(s, p)
      const res = await search(s, p.email, s.masked)
      expect(res).toHaveStatus(200)
      expect(res).toHaveJsonBody(expect.objectContaining({ items: [expect.objectContaining(maskedView(p))] }))
    })

    it('answers an empty list for an unknown email, and 400 invalid_query without ?email=', async () => {
      const rng = random()
      const s = setup(rng)
      await create(s, person(rng))
      const none = await search(s, `${rng.word()}@nowhere.example`)
      expect(none).toHaveStatus(200)
      expect(none).toHaveJsonBody(expect.objectContaining({ items: [] }))
      const missing = await s.api.get('/customers', { headers: auth(s.reader) })
      expect(missing).toHaveStatus(400)
      expect(missing).toHaveJsonBody(expect.objectContaining({ error: 'invalid_query' }))
    })
  })

  task(4, 'Rotate keys without losing old rows', () => {
    /** Rows written by an app on key `old`, then an app with `old` and the active `next`. */
    async function rotated(rng: Rng) {
      const first = setup(rng)
      const people = [person(rng), person(rng), person(rng)]
      const ids: string[] = []
      for (const p of people) ids.push(await create(first, p))
      const oldKid = first.activeKid
      const nextKid = kidOf(rng) + 'n'
      const keys = { ...first.keys, [nextKid]: bytes(rng, 32) }
      const tokens = new Map([[first.reader, 'pii:read'], [first.admin, 'pii:admin']])
      const second = setup(rng, { store: first.store, keys, activeKid: nextKid, indexKey: first.indexKey, tokens })
      return { s: { ...second, reader: first.reader, admin: first.admin }, people, ids, oldKid, nextKid }
    }

    it('still reads rows written under an older key, and writes new rows under the active one', async () => {
      const rng = random()
      const { s, people, ids, nextKid } = await rotated(rng)
      for (let i = 0; i < ids.length; i++) {
        const res = await get(s, ids[i])
        expect(res).toHaveStatus(200)
        expect(res).toHaveJsonBody(expect.objectContaining({ email: people[i].email, ssn: people[i].ssn }))
      }
      const fresh = await create(s, person(rng))
      expect(decryptStored(s.keys, s.store.get(fresh)!, 'email').kid, 'new writes use the new activeKid').toBe(nextKid)
    })

    it('re-encrypts old rows under the active key, so the old key can be retired', async () => {
      const rng = random()
      const { s, people, ids, nextKid } = await rotated(rng)
      const indexes = ids.map((id) => s.store.get(id)!.emailIndex)
      const res = await s.api.post('/admin/reencrypt', { headers: auth(s.admin) })
      expect(res).toHaveStatus(200)
      expect(res).toHaveJsonBody(expect.objectContaining({ reencrypted: ids.length, failed: 0 }))
      for (let i = 0; i < ids.length; i++) {
        const row = s.store.get(ids[i])!
        for (const field of ['email', 'ssn'] as const) {
          const { kid, plain } = decryptStored(s.keys, row, field)
          expect(kid, `after re-encryption the ${field} is under the active key`).toBe(nextKid)
          expect(plain).toBe(people[i][field])
        }
        expect(row.emailIndex, 're-encryption never changes emailIndex').toBe(indexes[i])
      }
      // A third app that knows only the new key reads everything.
      const onlyNew = setup(rng, {
        store: s.store,
        keys: { [nextKid]: s.keys[nextKid] },
        activeKid: nextKid,
        indexKey: s.indexKey,
        tokens: new Map([[s.reader, 'pii:read']]),
      })
      const again = await get({ ...onlyNew, reader: s.reader }, ids[0])
      expect(again).toHaveJsonBody(expect.objectContaining({ email: people[0].email, ssn: people[0].ssn }))
    })

    it('leaves rows already under the active key exactly as they are', async () => {
      const rng = random()
      const { s, ids } = await rotated(rng)
      const fresh = await create(s, person(rng))
      const before = JSON.stringify(s.store.get(fresh))
      const first = await s.api.post('/admin/reencrypt', { headers: auth(s.admin) })
      expect(first).toHaveJsonBody(expect.objectContaining({ reencrypted: ids.length }))
      expect(JSON.stringify(s.store.get(fresh)), 'a row already under the active key must not be rewritten').toBe(before)
      const after = ids.map((id) => JSON.stringify(s.store.get(id)))
      const second = await s.api.post('/admin/reencrypt', { headers: auth(s.admin) })
      expect(second).toHaveJsonBody(expect.objectContaining({ reencrypted: 0, failed: 0 }))
      expect(ids.map((id) => JSON.stringify(s.store.get(id))), 'a second run has nothing left to do').toEqual(after)
    })

    it('answers 403 forbidden without pii:admin, and 401 without a token, changing nothing', async () => {
      const rng = random()
      const { s, ids } = await rotated(rng)
      const before = ids.map((id) => JSON.stringify(s.store.get(id)))
      const reader = await s.api.post('/admin/reencrypt', { headers: auth(s.reader) })
      expect(reader).toHaveStatus(403)
      expect(reader).toHaveJsonBody(expect.objectContaining({ error: 'forbidden' }))
      expect(await s.api.post('/admin/reencrypt')).toHaveStatus(401)
      expect(ids.map((id) => JSON.stringify(s.store.get(id))), 'a refused re-encryption changes nothing').toEqual(before)
    })

    it('skips and counts a row it cannot decrypt, leaving it as it is', async () => {
      const rng = random()
      const { s, ids } = await rotated(rng)
      const victim = ids[rng.int(0, ids.length - 1)]
      const row = s.store.get(victim)!
      const broken = { ...row, ssn: flip(row.ssn, 4, rng) }
      s.store.set(victim, broken)
      const res = await s.api.post('/admin/reencrypt', { headers: auth(s.admin) })
      expect(res).toHaveStatus(200)
      expect(res).toHaveJsonBody(expect.objectContaining({ reencrypted: ids.length - 1, failed: 1 }))
      expect(s.store.get(victim), 'a row that fails to decrypt is left exactly as it was').toEqual(broken)
      expect(s.problems, 'onDecryptError hears about the field that failed').toContainEqual({ id: victim, field: 'ssn' })
    })
  })

  task(5, 'Treat tampered ciphertext as unreadable, and leak nothing', () => {
    type Tamper = (row: StoredCustomer, other: StoredCustomer, s: Setup, rng: Rng) => string

    const TAMPERS: [string, Tamper][] = [
      ['a flipped ciphertext bit', (row, _o, _s, rng) => flip(row.email, 3, rng)],
      ['a flipped tag bit', (row, _o, _s, rng) => flip(row.email, 4, rng)],
      ['a flipped IV bit', (row, _o, _s, rng) => flip(row.email, 2, rng)],
      ['the email envelope of another record', (_row, other) => other.email],
      ['the ssn envelope of the same record', (row) => row.ssn],
      ['a key id that is not in keys', (row, _o, _s, rng) => withPart(row.email, 1, kidOf(rng) + 'gone')],
      ['the key id "constructor"', (row) => withPart(row.email, 1, 'constructor')],
      ['the key id "__proto__"', (row) => withPart(row.email, 1, '__proto__')],
      ['version v2', (row) => withPart(row.email, 0, 'v2')],
      ['a tag cut to 4 bytes', (row) => withPart(row.email, 4, Buffer.from(row.email.split('.')[4], 'base64url').subarray(0, 4).toString('base64url'))],
      ['four parts instead of five', (row) => row.email.split('.').slice(0, 4).join('.')],
      ['not an envelope at all', (_row, _o, _s, rng) => rng.pick(['', 'garbage', 'v1....', '....'])],
    ]

    async function tampered(rng: Rng, tamper: Tamper) {
      const s = setup(rng)
      const p = person(rng)
      const id = await create(s, p)
      const other = s.store.get(await create(s, person(rng)))!
      const row = s.store.get(id)!
      const email = tamper(row, other, s, rng)
      s.store.set(id, { ...row, email })
      return { s, p, id, email }
    }

    it('answers 200 with the field null and listed in "unreadable", for every kind of tampering', async () => {
      const rng = random()
      for (const [what, tamper] of TAMPERS) {
        const { s, p, id } = await tampered(rng, tamper)
        const res = await get(s, id)
        expect(res.status, `an email envelope with ${what} must not make the read fail`).toBe(200)
        const body = res.body as Record<string, unknown>
        expect(body?.email, `an email envelope with ${what} must come out as null`).toBeNull()
        expect(body?.unreadable, `an email envelope with ${what}: "unreadable" lists ["email"]`).toEqual(['email'])
        expect(body, 'the other fields read as usual').toMatchObject({ id, name: p.name, ssn: p.ssn })
      }
    })

    it('refuses a GCM tag truncated to 4 bytes, which Node accepts without authTagLength', async () => {
      const rng = random()
      const s = setup(rng)
      const p = person(rng)
      const id = await create(s, p)
      const row = s.store.get(id)!
      const e = parseEnvelope(row.ssn, 'the stored ssn')
      const short = withPart(row.ssn, 4, e.tag.subarray(0, rng.pick([4, 8, 12])).toString('base64url'))
      s.store.set(id, { ...row, ssn: short })
      const res = await get(s, id)
      expect(res).toHaveStatus(200)
      expect((res.body as { ssn?: unknown }).ssn, 'a ssn whose tag was cut short must be unreadable (null)').toBeNull()
    })

    it('puts no envelope, key id or crypto error in the answer', async () => {
      const rng = random()
      const [what, tamper] = rng.pick(TAMPERS.slice(0, 6))
      const { s, id, email } = await tampered(rng, tamper)
      for (const token of [s.reader, s.masked]) {
        const res = await get(s, id, token)
        expect(res).toHaveStatus(200)
        const text = res.text
        for (const part of email.split('.').filter((x) => x.length >= 6)) {
          expect(text, `the answer for an email with ${what} must not echo its envelope`).not.toContain(part)
        }
        expect(text, 'the answer must not name the key id').not.toContain(s.activeKid)
        expect(text.toLowerCase(), 'the answer must not carry the crypto error').not.toMatch(/authenticate|unsupported state|decipher|stack/)
      }
    })

    it('nulls an unreadable field for masked readers too, and in search results', async () => {
      const rng = random()
      const { s, p, id } = await tampered(rng, TAMPERS[rng.int(0, 2)][1])
      const res = await get(s, id, s.masked)
      expect(res).toHaveStatus(200)
      expect(res).toHaveJsonBody(expect.objectContaining({ email: null, ssn: maskedView(p).ssn, unreadable: ['email'] }))
      const found = await search(s, p.email)
      expect(found).toHaveStatus(200)
      expect(found).toHaveJsonBody(expect.objectContaining({ items: [expect.objectContaining({ id, email: null, unreadable: ['email'] })] }))
    })

    it('calls onDecryptError once per failed field with { id, field }', async () => {
      const rng = random()
      const s = setup(rng)
      const id = await create(s, person(rng))
      const row = s.store.get(id)!
      s.store.set(id, { ...row, email: flip(row.email, 3, rng), ssn: flip(row.ssn, 4, rng) })
      const res = await get(s, id)
      expect(res).toHaveStatus(200)
      expect([...((res.body as { unreadable?: string[] }).unreadable ?? [])].sort()).toEqual(['email', 'ssn'])
      expect([...s.problems].sort((a, b) => a.field.localeCompare(b.field)), 'one report per failed field').toEqual([
        { id, field: 'email' },
        { id, field: 'ssn' },
      ])
    })

    it('still reads an envelope the README describes, made by someone else', async () => {
      // A correct envelope written by another service with the same key: proves the app reads
      // the format itself, not only what it wrote.
      const rng = random()
      const s = setup(rng)
      const p = person(rng)
      const id = await create(s, person(rng))
      const row = s.store.get(id)!
      const key = s.keys[s.activeKid]
      s.store.set(id, { ...row, email: sealed(key, s.activeKid, bytes(rng, 12), p.email, aad(id, 'email')) })
      const res = await get(s, id)
      expect(res).toHaveStatus(200)
      expect((res.body as { email?: unknown }).email, 'an envelope in the README format decrypts').toBe(p.email)
    })
  })
})
