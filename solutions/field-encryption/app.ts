import { createCipheriv, createDecipheriv, createHmac, randomBytes, randomUUID } from 'node:crypto'
import { Hono } from 'hono'
import { createMiddleware } from 'hono/factory'

/** A customer as the store keeps it: `email` and `ssn` only as envelopes. */
export interface StoredCustomer {
  id: string
  name: string
  /** `v1.<kid>.<iv>.<ciphertext>.<tag>`, base64url parts. */
  email: string
  /** HMAC-SHA256(indexKey, normalised email), lower-case hex. */
  emailIndex: string
  ssn: string
}

export type SensitiveField = 'email' | 'ssn'

export interface FieldEncryptionOptions {
  store: Map<string, StoredCustomer>
  /** Key id to a 32-byte AES-256 key. Old keys stay here so old rows still read. */
  keys: Record<string, Buffer>
  /** The key id every new encryption uses. */
  activeKid: string
  /** The blind index's HMAC key: at least 32 bytes, never one of `keys`. */
  indexKey: Buffer
  /** Bearer token to its space-separated scopes. */
  tokens: Map<string, string>
  /** Called once per field that fails to decrypt. */
  onDecryptError?: (problem: { id: string; field: SensitiveField }) => void
}

const FIELDS: readonly SensitiveField[] = ['email', 'ssn']
const IV_BYTES = 12 // the GCM standard nonce size; a random one per encryption
const TAG_BYTES = 16
const KID = /^[A-Za-z0-9_-]+$/
const B64URL = /^[A-Za-z0-9_-]*$/
const EMAIL = /^[^\s@]+@[^\s@]+$/
const SSN = /^\d{3}-\d{2}-\d{4}$/

type Variables = { scopes: Set<string> }

/** Thrown for any envelope that cannot be opened; its message never reaches a client. */
class Unreadable extends Error {}

export function createApp(options: FieldEncryptionOptions) {
  const { store, keys, activeKid, indexKey, tokens, onDecryptError } = options
  // Key problems are configuration mistakes: fail at startup, not on the first request.
  for (const [kid, key] of Object.entries(keys)) {
    if (!KID.test(kid)) throw new TypeError(`key id ${JSON.stringify(kid)} must match ${KID}`)
    if (!(key instanceof Uint8Array) || key.length !== 32) {
      throw new TypeError(`key ${kid} must be 32 bytes for AES-256`)
    }
  }
  if (!Object.hasOwn(keys, activeKid)) throw new TypeError(`activeKid ${activeKid} is not in keys`)
  if (!(indexKey instanceof Uint8Array) || indexKey.length < 32) {
    throw new TypeError('indexKey must be at least 32 bytes')
  }

  // The associated data is authenticated, not encrypted: it ties a ciphertext to the record and
  // field it was written for, so an attacker with write access to the database cannot move
  // Bob's SSN into Eve's record and have the app decrypt it for Eve.
  const aad = (id: string, field: SensitiveField) => Buffer.from(`customers/${id}/${field}`, 'utf8')

  function encrypt(plaintext: string, id: string, field: SensitiveField): string {
    // A fresh IV every time: reusing an IV under one GCM key leaks the XOR of the plaintexts
    // and lets an attacker forge tags. Random 96-bit IVs are safe for billions of messages.
    const iv = randomBytes(IV_BYTES)
    const cipher = createCipheriv('aes-256-gcm', keys[activeKid], iv, { authTagLength: TAG_BYTES })
    cipher.setAAD(aad(id, field))
    const ciphertext = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()])
    const parts = [iv, ciphertext, cipher.getAuthTag()].map((b) => b.toString('base64url'))
    return ['v1', activeKid, ...parts].join('.')
  }

  function open(envelope: unknown): { kid: string; iv: Buffer; ciphertext: Buffer; tag: Buffer } {
    if (typeof envelope !== 'string') throw new Unreadable('not an envelope')
    const parts = envelope.split('.')
    if (parts.length !== 5 || parts[0] !== 'v1') throw new Unreadable('unknown envelope format')
    const [, kid, iv, ciphertext, tag] = parts
    // Object.hasOwn: a key id read from storage is data, and "constructor" is on every object.
    if (!Object.hasOwn(keys, kid)) throw new Unreadable('unknown key id')
    if (![iv, ciphertext, tag].every((p) => B64URL.test(p))) throw new Unreadable('bad encoding')
    const decoded = {
      kid,
      iv: Buffer.from(iv, 'base64url'),
      ciphertext: Buffer.from(ciphertext, 'base64url'),
      tag: Buffer.from(tag, 'base64url'),
    }
    // Exactly 16 tag bytes: Node would accept a truncated tag, and a 4-byte tag is forged in
    // about 2^32 tries.
    if (decoded.iv.length !== IV_BYTES || decoded.tag.length !== TAG_BYTES) {
      throw new Unreadable('bad lengths')
    }
    return decoded
  }

  function decrypt(envelope: unknown, id: string, field: SensitiveField): string {
    const { kid, iv, ciphertext, tag } = open(envelope)
    try {
      const decipher = createDecipheriv('aes-256-gcm', keys[kid], iv, { authTagLength: TAG_BYTES })
      decipher.setAAD(aad(id, field))
      decipher.setAuthTag(tag)
      // final() throws when the tag does not match: GCM authenticates before we use a byte.
      return Buffer.concat([decipher.update(ciphertext), decipher.final()]).toString('utf8')
    } catch {
      throw new Unreadable('authentication failed')
    }
  }

  /** The blind index: deterministic, so equal emails match, but useless without indexKey. */
  const blindIndex = (email: string) =>
    createHmac('sha256', indexKey).update(email.trim().toLowerCase(), 'utf8').digest('hex')

  const mask = {
    email: (email: string) => {
      const domain = email.slice(email.lastIndexOf('@') + 1)
      return `${Array.from(email)[0]}***@${domain}`
    },
    ssn: (ssn: string) => `***-**-${ssn.slice(-4)}`,
  }

  /** A customer as a caller with these scopes may see it. */
  function view(row: StoredCustomer, scopes: Set<string>) {
    const out: Record<string, unknown> = { id: row.id, name: row.name }
    const unreadable: SensitiveField[] = []
    for (const field of FIELDS) {
      try {
        const plain = decrypt(row[field], row.id, field)
        out[field] = scopes.has('pii:read') ? plain : mask[field](plain)
      } catch (error) {
        if (!(error instanceof Unreadable)) throw error
        // Say which field is gone and tell the operator; never say why or show the envelope.
        out[field] = null
        unreadable.push(field)
        onDecryptError?.({ id: row.id, field })
      }
    }
    if (unreadable.length > 0) out.unreadable = unreadable
    return out
  }

  const app = new Hono<{ Variables: Variables }>()

  app.use('*', createMiddleware<{ Variables: Variables }>(async (c, next) => {
    const match = /^Bearer (\S+)$/.exec(c.req.header('Authorization') ?? '')
    const scopes = match ? tokens.get(match[1]) : undefined
    if (scopes === undefined) return c.json({ error: 'unauthorized' }, 401)
    // Whole words only: "pii:reader".includes("pii:read") is true, and wrong.
    c.set('scopes', new Set(scopes.split(' ').filter(Boolean)))
    await next()
  }))

  app.post('/customers', async (c) => {
    const body = await c.req.json().catch(() => undefined)
    const { name, email, ssn } = (body ?? {}) as Record<string, unknown>
    if (
      typeof name !== 'string' || name === '' ||
      typeof email !== 'string' || !EMAIL.test(email) ||
      typeof ssn !== 'string' || !SSN.test(ssn)
    ) {
      return c.json({ error: 'invalid_customer' }, 400)
    }
    const id = randomUUID() // generated first: it is part of the associated data
    const row: StoredCustomer = {
      id,
      name,
      email: encrypt(email, id, 'email'),
      emailIndex: blindIndex(email),
      ssn: encrypt(ssn, id, 'ssn'),
    }
    store.set(id, row)
    return c.json(view(row, c.get('scopes')), 201)
  })

  app.get('/customers', (c) => {
    const email = c.req.query('email')
    if (email === undefined) return c.json({ error: 'invalid_query' }, 400)
    // Compare indexes, decrypt only the hits. A database would keep emailIndex in an indexed
    // column; the Map scan stands in for that lookup.
    const index = blindIndex(email)
    const items = [...store.values()]
      .filter((row) => row.emailIndex === index)
      .map((row) => view(row, c.get('scopes')))
    return c.json({ items })
  })

  app.get('/customers/:id', (c) => {
    const row = store.get(c.req.param('id'))
    if (!row) return c.json({ error: 'not_found' }, 404)
    return c.json(view(row, c.get('scopes')))
  })

  app.post('/admin/reencrypt', (c) => {
    if (!c.get('scopes').has('pii:admin')) return c.json({ error: 'forbidden' }, 403)
    let reencrypted = 0
    let failed = 0
    for (const row of store.values()) {
      const next = { ...row }
      let changed = false
      let broken = false
      for (const field of FIELDS) {
        let kid: string
        try {
          kid = open(row[field]).kid
          if (kid === activeKid) continue // already current: leave the bytes alone
          next[field] = encrypt(decrypt(row[field], row.id, field), row.id, field)
          changed = true
        } catch (error) {
          if (!(error instanceof Unreadable)) throw error
          broken = true
          onDecryptError?.({ id: row.id, field })
        }
      }
      // A row with a broken field keeps its other fields too: rewrite nothing we cannot verify.
      if (broken) failed++
      else if (changed) {
        store.set(row.id, next)
        reencrypted++
      }
    }
    return c.json({ reencrypted, failed })
  })

  return app
}
