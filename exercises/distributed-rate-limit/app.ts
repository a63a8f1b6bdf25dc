import { Hono } from 'hono'

/** What a script run by `eval` returns: the key's new value, its TTL, and the caller's result. */
export interface ScriptResult<R> {
  /** The key's new value; `null` deletes the key. */
  value: string | null
  /** Milliseconds until the new value expires; omitted, it never does. */
  ttlMs?: number
  /** Handed back to the caller of `eval`. */
  result: R
}

/** A store shared by every instance of the app (Redis, say). Every call is a round trip. */
export interface SharedStore {
  /** The key's value, or `null` when it is missing or has expired. */
  get(key: string): Promise<string | null>
  /** Writes the key, replacing any TTL with `ttlMs` (omitted: no expiry). */
  set(key: string, value: string, options?: { ttlMs?: number }): Promise<void>
  /**
   * Runs `script` on the key's current value atomically, like a Lua script under Redis EVAL:
   * no other call to the store runs between the read and the write. The script must be
   * synchronous and must not depend on anything but its argument and what it closes over.
   */
  eval<R>(key: string, script: (current: string | null) => ScriptResult<R>): Promise<R>
}

export interface DistributedRateLimitOptions {
  /** The store every instance shares; it holds the buckets. */
  store: SharedStore
  /** The bucket's capacity: the largest burst, and the quota `q` of the policy. */
  limit: number
  /** Seconds an empty bucket takes to refill to `limit` (the policy's window `w`). */
  windowSeconds: number
  /** When the store fails: `'open'` lets the request through, `'closed'` answers 503. */
  failMode: 'open' | 'closed'
  /** Told about every store failure (a real app would log it and count it). */
  onStoreError?: (error: unknown) => void
  /** The current time in milliseconds since the epoch. */
  now: () => number
}

export function createApp(options: DistributedRateLimitOptions) {
  // TODO: validate the options here, once: `limit` and `windowSeconds` are whole numbers >= 1,
  //       `failMode` is 'open' or 'closed'. Throw otherwise.

  const app = new Hono()

  // TODO: a middleware on /api/* that keeps one token bucket per client IN options.store, never
  //       in this instance: three instances share one store. The client is the X-API-Key header;
  //       requests without it share one more bucket. A bucket holds at most `limit` tokens and
  //       refills continuously, `limit` tokens per `windowSeconds`, judged by options.now().
  // TODO: take the token with ONE atomic store call (options.store.eval): a get followed by a
  //       set lets concurrent requests on different instances spend the same token.
  // TODO: give every key a TTL so idle buckets leave the store.
  // TODO: headers RateLimit-Policy, RateLimit and (on a 429) Retry-After, as the README says.
  //       A 429 answers { "error": "rate_limited" }.
  // TODO: a store that fails: options.onStoreError(error), then let the request through
  //       (failMode 'open') or answer 503 { "error": "rate_limit_unavailable" } ('closed').

  app.get('/api/resource', (c) => c.json({ ok: true }))

  // Done for you: /health is never limited and never touches the store.
  app.get('/health', (c) => c.json({ status: 'ok' }))

  return app
}
