import { createHash, randomBytes as nodeRandomBytes, timingSafeEqual } from 'node:crypto'
import { Hono } from 'hono'

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

const DAY_MS = 24 * 60 * 60 * 1000

/** Done for you: SHA-256 of a text, as bytes (`.toString('hex')` for the stored form). */
const sha256 = (text: string) => createHash('sha256').update(text).digest()

export function createApp(options: ApiKeysOptions = {}) {
  const now = options.now ?? Date.now
  const random = options.randomBytes ?? nodeRandomBytes
  const store = options.store ?? new Map<string, KeyRecord>()
  const overlap = options.rotationOverlapMs ?? DAY_MS

  const app = new Hono<Env>()

  // TODO: POST /keys { name, scopes } -> 201 { id, key, name, scopes, createdAt } with
  //       Cache-Control: no-store. id = hex of 6 random bytes, secret = base64url of 32 random
  //       bytes, key = `${id}_${secret}`; store only sha256(secret). Bad body -> 400.

  // TODO: GET /keys and GET /keys/:id -> { id, name, scopes, createdAt }: never the key or hash

  // TODO: a middleware for /api/*: `Authorization: Bearer <id>_<secret>`; find the record by id,
  //       timingSafeEqual the hashes (also the rotated-out one while now() < previous.until).
  //       No match -> 401, WWW-Authenticate: Bearer realm="api", { "error": "unauthorized" }

  // TODO: GET /api/key -> { id, name, scopes }
  // TODO: GET /api/widgets needs 'widgets:read', POST /api/widgets needs 'widgets:write';
  //       a good key without the scope -> 403 { "error": "insufficient_scope" }

  // TODO: DELETE /keys/:id -> 204, the key stops working at once; unknown id -> 404
  // TODO: POST /keys/:id/rotate -> 200 { id, key, ... } with a new secret under the same id;
  //       the old secret keeps working while now() < rotatedAt + overlap

  return app
}
