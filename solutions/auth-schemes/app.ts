import { scrypt, timingSafeEqual } from 'node:crypto'
import { Hono, type Context } from 'hono'

/** The schemes the app can be configured with, by the lower-case name it reports. */
export type SchemeName = 'basic' | 'token' | 'bearer'

/** A user's password as it is stored: never the password, only its salt and scrypt hash. */
export interface PasswordRecord {
  /** The random salt, hex-encoded; scrypt takes its bytes. */
  salt: string
  /** scrypt(password, salt bytes, hash length, params), hex-encoded. */
  hash: string
}

export interface ScryptParams {
  N: number
  r: number
  p: number
}

export interface AuthSchemesOptions {
  /** Which schemes are on, in the order they are tried (DRF's authentication_classes). */
  schemes: SchemeName[]
  /** username -> salt and hash, for `Basic`. */
  users: Record<string, PasswordRecord>
  /** `Token <key>` keys -> the username each one signs in. */
  tokens: Record<string, string>
  /** Opaque `Bearer <token>` tokens -> the username each one signs in. */
  bearerTokens: Record<string, string>
  /** scrypt cost parameters; Node's defaults unless given. */
  scrypt?: ScryptParams
}

type Env = { Variables: { user: string; scheme: SchemeName } }

/** What a scheme that recognised its word says: these credentials are good, or they are not. */
type Outcome = { kind: 'ok'; user: string } | { kind: 'failed' }

interface Scheme {
  name: SchemeName
  /** The WWW-Authenticate challenge this scheme adds to a 401 (DRF's authenticate_header). */
  challenge: string
  /** Called with the credentials after the scheme word (undefined: the header is only the word). */
  authenticate: (credentials: string | undefined) => Promise<Outcome>
}

const DEFAULT_SCRYPT: ScryptParams = { N: 16384, r: 8, p: 1 }
const KNOWN: readonly SchemeName[] = ['basic', 'token', 'bearer']

// One word, the scheme; then one or more spaces and the rest. `Tokenabc` is one word, and so a
// scheme nobody here knows, not a broken `Token` header.
const HEADER = /^(\S+)(?: +(.*))?$/
// The credentials of all three schemes are a single token68-like word: no spaces.
const ONE_WORD = /^[^\s]+$/

function deriveKey(password: string, salt: Buffer, keylen: number, params: ScryptParams) {
  return new Promise<Buffer>((resolve, reject) => {
    // The async scrypt runs on libuv's thread pool, so a slow hash does not stall other requests.
    scrypt(password, salt, keylen, params, (err, key) => (err ? reject(err) : resolve(key)))
  })
}

/** The course's multi-scheme exercise: Basic, Token and Bearer, tried in a configured order. */
export function createApp(options: AuthSchemesOptions) {
  const order = options.schemes
  if (!Array.isArray(order) || order.length === 0 || new Set(order).size !== order.length) {
    throw new TypeError('createApp: `schemes` must list at least one scheme, each once')
  }
  for (const name of order) {
    if (!KNOWN.includes(name)) throw new TypeError(`createApp: unknown scheme ${String(name)}`)
  }
  const params = options.scrypt ?? DEFAULT_SCRYPT

  // Maps, built once: a lookup in a plain object would find `constructor` or `__proto__`.
  const users = new Map(
    Object.entries(options.users).map(([name, r]) => [
      name,
      { salt: Buffer.from(r.salt, 'hex'), hash: Buffer.from(r.hash, 'hex') },
    ]),
  )
  const tokens = new Map(Object.entries(options.tokens))
  const bearerTokens = new Map(Object.entries(options.bearerTokens))

  // A stand-in record for unknown usernames: we still run scrypt, so that an unknown user costs
  // the same time as a wrong password and the response time does not reveal who has an account.
  const dummy = { salt: Buffer.alloc(16), hash: Buffer.alloc(32) }

  const basic: Scheme = {
    name: 'basic',
    // RFC 7617: realm is required; charset="UTF-8" tells clients how we decode the password.
    challenge: 'Basic realm="api", charset="UTF-8"',
    async authenticate(credentials) {
      if (credentials === undefined || !ONE_WORD.test(credentials)) return { kind: 'failed' }
      const decoded = Buffer.from(credentials, 'base64').toString('utf8')
      // RFC 7617: the user-id cannot contain a colon, the password can. Split at the FIRST one.
      const colon = decoded.indexOf(':')
      if (colon < 0) return { kind: 'failed' }
      const username = decoded.slice(0, colon)
      const password = decoded.slice(colon + 1)
      const record = users.get(username)
      const { salt, hash } = record ?? dummy
      // The key length is the stored hash's length, so both buffers are always the same size:
      // timingSafeEqual throws on unequal lengths, and comparing hex strings with === would
      // stop at the first differing character and leak how much of the hash matched.
      const derived = await deriveKey(password, salt, hash.length, params)
      const match = timingSafeEqual(derived, hash)
      // Unknown user and wrong password end in the same answer, so a caller cannot probe for
      // usernames.
      return record && match ? { kind: 'ok', user: username } : { kind: 'failed' }
    },
  }

  const keyScheme = (name: 'token' | 'bearer', table: Map<string, string>, challenge: string) => ({
    name,
    challenge,
    async authenticate(credentials: string | undefined): Promise<Outcome> {
      // `Token` alone or `Token a b` is a broken Token header: the scheme fails, like DRF's
      // "Invalid token header", instead of passing the request on.
      if (credentials === undefined || !ONE_WORD.test(credentials)) return { kind: 'failed' }
      const user = table.get(credentials)
      return user === undefined ? { kind: 'failed' } : { kind: 'ok', user }
    },
  })

  const all: Record<SchemeName, Scheme> = {
    basic,
    // DRF's TokenAuthentication answers with the bare keyword.
    token: keyScheme('token', tokens, 'Token'),
    bearer: keyScheme('bearer', bearerTokens, 'Bearer realm="api"'),
  }
  const schemes = order.map((name) => all[name])

  // One challenge per configured scheme, in the configured order (RFC 9110 section 11.6.1: a
  // 401 may list several; the client picks one it supports). Sent as one comma-joined value.
  const challenges = schemes.map((s) => s.challenge).join(', ')
  const unauthorized = (c: Context, error: 'not_authenticated' | 'authentication_failed') => {
    // 401 either way: the request did not prove who sent it. The body tells "you sent nothing
    // I understand" from "you sent credentials and they are wrong", as DRF's NotAuthenticated
    // and AuthenticationFailed do; it never says which part was wrong.
    c.header('WWW-Authenticate', challenges)
    return c.json({ error }, 401)
  }

  const app = new Hono<Env>()

  app.use('/api/*', async (c, next) => {
    const match = HEADER.exec(c.req.header('Authorization') ?? '')
    const word = match?.[1]?.toLowerCase()
    // Like DRF's loop over authentication_classes: each scheme in order looks at the request.
    // The first one that recognises its scheme word decides; it never hands a failure on to the
    // next scheme, so a wrong password cannot be "rescued" by some other scheme.
    for (const scheme of schemes) {
      if (scheme.name !== word) continue
      const outcome = await scheme.authenticate(match?.[2])
      if (outcome.kind === 'failed') return unauthorized(c, 'authentication_failed')
      c.set('user', outcome.user)
      c.set('scheme', scheme.name)
      return next()
    }
    return unauthorized(c, 'not_authenticated')
  })

  app.get('/api/me', (c) => c.json({ user: c.var.user, scheme: c.var.scheme }))

  return app
}
