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

type Variables = { scopes: Set<string> }

const EMAIL = /^[^\s@]+@[^\s@]+$/
const SSN = /^\d{3}-\d{2}-\d{4}$/

export function createApp(options: FieldEncryptionOptions) {
  const { store, tokens } = options
  // TODO (task 1): throw when a key is not 32 bytes, activeKid is not in keys, or indexKey is
  // shorter than 32 bytes.

  const app = new Hono<{ Variables: Variables }>()

  // Done for you: the bearer token and its scopes (whole words, in a Set).
  app.use('*', createMiddleware<{ Variables: Variables }>(async (c, next) => {
    const match = /^Bearer (\S+)$/.exec(c.req.header('Authorization') ?? '')
    const scopes = match ? tokens.get(match[1]) : undefined
    if (scopes === undefined) return c.json({ error: 'unauthorized' }, 401)
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
    // TODO (task 1): generate the id, encrypt email and ssn into v1 envelopes (AES-256-GCM,
    // node:crypto, a fresh 12-byte IV, associated data `customers/<id>/<field>`), and store
    // { id, name, email, emailIndex, ssn }.
    // TODO (task 3): emailIndex = HMAC-SHA256(indexKey, email trimmed and lower-cased), hex.
    // TODO (task 2): answer 201 with the customer as GET shows it.
    void store
    return c.json({ error: 'not_implemented' }, 501)
  })

  app.get('/customers', (c) => {
    // TODO (task 3): find customers by the blind index of ?email=, decrypting only the matches.
    return c.json({ error: 'not_implemented' }, 501)
  })

  app.get('/customers/:id', (c) => {
    // TODO (task 2): decrypt email and ssn; show them masked unless the scopes hold pii:read.
    // TODO (task 5): a field that fails to decrypt is null, listed in "unreadable", and reported
    // to options.onDecryptError; never a 500, never a detail.
    return c.json({ error: 'not_implemented' }, 501)
  })

  app.post('/admin/reencrypt', (c) => {
    // TODO (task 4): with pii:admin, re-encrypt every field not under the active key.
    return c.json({ error: 'not_implemented' }, 501)
  })

  return app
}
