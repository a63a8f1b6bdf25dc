import { Hono } from 'hono'
import { createMiddleware } from 'hono/factory'

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

/** A bucket as stored: a JSON string, because the store holds strings (so does Redis). */
interface Bucket {
  tokens: number
  at: number
}

interface Take {
  allowed: boolean
  /** Whole tokens left after this request. */
  remaining: number
  /** Whole seconds (rounded up) until the bucket holds one more whole token. */
  reset: number
}

const POLICY = 'default'

export function createApp(options: DistributedRateLimitOptions) {
  const { store, limit, windowSeconds, failMode, now } = options
  const onStoreError = options.onStoreError ?? (() => {})
  if (!Number.isInteger(limit) || limit < 1) {
    throw new RangeError(`limit must be an integer >= 1, received ${limit}`)
  }
  // The draft's `w` is a whole number of seconds, so the window is too.
  if (!Number.isInteger(windowSeconds) || windowSeconds < 1) {
    throw new RangeError(`windowSeconds must be an integer >= 1, received ${windowSeconds}`)
  }
  if (failMode !== 'open' && failMode !== 'closed') {
    throw new RangeError(`failMode must be 'open' or 'closed', received ${String(failMode)}`)
  }
  const tokensPerMs = limit / windowSeconds / 1000
  // The policy never changes, so its field value is built once (draft-ietf-httpapi-ratelimit-
  // headers-10, section 3: a List of Items, the item a String naming the policy).
  const policyField = `"${POLICY}";q=${limit};w=${windowSeconds}`
  // Even an empty bucket is full again after one window, and a full bucket is indistinguishable
  // from a new one: expiring the key then changes nothing, and idle clients cost no memory. The
  // TTL is rewritten on every take, so a busy bucket never expires under a client's feet. (The
  // exact time until full, (limit - tokens) / rate, would free memory sooner; any TTL at least
  // that long is correct, any shorter one hands out tokens early.)
  const ttlMs = windowSeconds * 1000

  // The whole read-refill-decide-write, as one function the store runs atomically. With get
  // then set, two instances can both read "1 token left", both admit, and both write "0": every
  // concurrent pair spends one token and admits two. Redis's answer is the same as this one: a
  // Lua script (EVAL), which the server runs with nothing interleaved.
  const takeAt = (t: number) => (current: string | null): ScriptResult<Take> => {
    // A missing key is a full bucket: the key expired because the bucket had refilled.
    const bucket: Bucket = current === null ? { tokens: limit, at: t } : JSON.parse(current)
    if (t > bucket.at) {
      // A clock behind the stored `at` (another instance's clock runs ahead) refills nothing,
      // rather than draining the bucket.
      bucket.tokens = Math.min(limit, bucket.tokens + (t - bucket.at) * tokensPerMs)
      bucket.at = t
    }
    const allowed = bucket.tokens >= 1
    if (allowed) bucket.tokens -= 1 // a rejected request takes nothing
    const missing = Math.floor(bucket.tokens) + 1 - bucket.tokens
    const reset = Math.max(1, Math.ceil((missing * windowSeconds) / limit))
    return {
      value: JSON.stringify(bucket),
      ttlMs,
      result: { allowed, remaining: Math.floor(bucket.tokens), reset },
    }
  }

  const rateLimit = createMiddleware(async (c, next) => {
    const apiKey = c.req.header('X-API-Key')
    // One namespace for everything in a shared store: prefix the keys, and keep the shared
    // "no key" bucket where no header value can land (`anon` vs `key:<value>`).
    const key = apiKey === undefined ? 'ratelimit:anon' : `ratelimit:key:${apiKey}`
    let take: Take
    try {
      // `now()` is read here, on the instance. Instances whose clocks disagree would refill
      // differently; a Lua script would read the store's own clock (redis.call('TIME')).
      take = await store.eval(key, takeAt(now()))
    } catch (error) {
      onStoreError(error)
      // Consistency or availability: fail closed and a store outage is an API outage; fail
      // open and the API stays up, unprotected until the store is back. Which one depends on
      // what the limit protects (a login endpoint against guessing: closed; a read API: open).
      if (failMode === 'closed') return c.json({ error: 'rate_limit_unavailable' }, 503)
      c.header('RateLimit-Policy', policyField)
      return next() // no RateLimit field: we do not know what is left
    }
    c.header('RateLimit-Policy', policyField)
    c.header('RateLimit', `"${POLICY}";r=${take.remaining};t=${take.reset}`)
    if (!take.allowed) {
      // Retry-After and the reset agree: the draft asks that Retry-After not point earlier.
      c.header('Retry-After', String(take.reset))
      return c.json({ error: 'rate_limited' }, 429)
    }
    await next()
  })

  const app = new Hono()
  app.use('/api/*', rateLimit)
  app.get('/api/resource', (c) => c.json({ ok: true }))
  app.get('/health', (c) => c.json({ status: 'ok' }))
  return app
}
