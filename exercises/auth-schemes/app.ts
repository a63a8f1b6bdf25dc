import { scrypt, timingSafeEqual } from 'node:crypto'
import { Hono } from 'hono'

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

const DEFAULT_SCRYPT: ScryptParams = { N: 16384, r: 8, p: 1 }

/** Done for you: scrypt as a promise. The key length is the stored hash's length in bytes. */
function deriveKey(password: string, salt: Buffer, keylen: number, params: ScryptParams) {
  return new Promise<Buffer>((resolve, reject) => {
    scrypt(password, salt, keylen, params, (err, key) => (err ? reject(err) : resolve(key)))
  })
}

export function createApp(options: AuthSchemesOptions) {
  // TODO: throw a TypeError unless `schemes` lists at least one of 'basic', 'token', 'bearer',
  //       each at most once.
  const params = options.scrypt ?? DEFAULT_SCRYPT

  const app = new Hono<Env>()

  app.use('/api/*', async (c, next) => {
    // TODO: read `Authorization`; its first word (any letter case) names the scheme. Try the
    //       configured schemes in order; the first whose word matches decides:
    //       - basic:  base64 -> UTF-8 `user:password`, split at the FIRST colon; scrypt the
    //                 password with the user's salt bytes and params, timingSafeEqual the hash
    //       - token:  `Token <key>`, the key looked up in options.tokens (own entries only)
    //       - bearer: `Bearer <token>`, looked up in options.bearerTokens (own entries only)
    //       A matching scheme that fails: 401 { "error": "authentication_failed" }.
    //       No scheme matches: 401 { "error": "not_authenticated" }.
    //       Every 401 carries one WWW-Authenticate challenge per configured scheme.
    // TODO: on success c.set('user', ...) and c.set('scheme', ...), then await next()
    await next()
  })

  app.get('/api/me', (c) => c.json({ user: c.var.user, scheme: c.var.scheme }))

  return app
}
