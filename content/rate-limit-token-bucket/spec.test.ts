// rate-limit-token-bucket - the hidden spec.
//
// Wrong implementations this spec is built to catch:
// - never refills, or refills only on a timer that a fake clock never fires
// - refills in whole tokens only and restarts the refill clock on every request, so fractions
//   are lost when requests arrive faster than one token's worth of time
// - restarts the refill clock on a rejected request without crediting the time, or clamps a
//   partial token to 0 when rejecting
// - refills above the capacity (forgets Math.min), so an idle client gets a huge burst
// - lets rejected requests consume (tokens go negative), so recovery takes longer
// - off by one: allows capacity + 1 or capacity - 1 requests from a full bucket
// - Retry-After rounded down, rounded to the nearest, 0, in milliseconds, computed as a full
//   token's wait that ignores the part of a token already refilled, or "rounded up" as
//   floor + 1 (one second too many when the wait is a whole number of seconds)
// - a bucket refilled to exactly one token still turned away (`tokens > 1`)
// - X-RateLimit-* headers missing on the 429, or Remaining counted before taking the token
// - one global bucket for all keys (keys ignored)
// - requests without X-API-Key not limited, or each given a bucket of its own, or sharing a
//   bucket with a keyed client: with a sentinel key (`?? 'anonymous'`, `'null'`...) or with the
//   empty key (`|| null` treats `X-API-Key:` with an empty value as no header)
// - buckets kept in a plain object, so keys such as "constructor" or "__proto__" hit
//   Object.prototype
// - /health limited, or taking tokens from the no-key bucket
// - Date.now() instead of the injected `now` (the fake clock sits in 2001 and jumps by hours)
// - buckets kept at module level, shared between two createApp() instances
import { describe, expect, it } from 'vitest'
import {
  build,
  client,
  fakeClock,
  random,
  task,
  type Client,
  type FakeClock,
  type Reply,
  type Rng,
} from '../../harness/spec-kit/index.ts'
import { createApp } from '../../exercises/rate-limit-token-bucket/app.ts'

// Far from the real clock: an app reading Date.now() sees none of the time the spec advances.
const START = Date.UTC(2001, 2, 3, 4, 5, 6)
const HOUR = 3_600_000
// Fractional and whole rates (tokens per second). Each is a whole number of milli-tokens per
// second, which keeps the model below in exact integer arithmetic.
const RATES = [0.25, 0.4, 0.5, 0.75, 1.5, 2, 3]
/** Model units per token. */
const UNIT = 1_000_000

/**
 * The bucket the app should keep, in exact integers (UNIT per token). The scenarios below keep
 * every token count either an exact integer or at least 0.05 token away from one, so a correct
 * app computing in floating point lands on the same side of every boundary.
 */
class Model {
  private units: number
  private readonly perMs: number

  constructor(
    private readonly capacity: number,
    refillPerSecond: number,
  ) {
    this.units = capacity * UNIT
    this.perMs = Math.round(refillPerSecond * 1000) // units earned per millisecond
  }

  advance(ms: number): void {
    this.units = Math.min(this.capacity * UNIT, this.units + ms * this.perMs)
  }

  /** What the next request should get. */
  take(): { status: 200 | 429; remaining: number; retryAfter: number } {
    if (this.units >= UNIT) {
      this.units -= UNIT
      return { status: 200, remaining: Math.floor(this.units / UNIT), retryAfter: 0 }
    }
    const seconds = Math.ceil((UNIT - this.units) / (this.perMs * 1000))
    return { status: 429, remaining: 0, retryAfter: seconds }
  }
}

interface Setup {
  capacity: number
  refillPerSecond: number
  clock: FakeClock
  api: Client
  model: Model
  /** Moves the fake clock and the model forward together. */
  wait: (ms: number) => void
}

function setup(rng: Rng, rates: readonly number[] = RATES): Setup {
  const capacity = rng.int(1, 10)
  const refillPerSecond = rng.pick(rates)
  const clock = fakeClock(START + rng.int(0, HOUR))
  const api = client(build(createApp, { capacity, refillPerSecond, now: clock.now }))
  const model = new Model(capacity, refillPerSecond)
  const wait = (ms: number) => {
    clock.advance(ms)
    model.advance(ms)
  }
  return { capacity, refillPerSecond, clock, api, model, wait }
}

function resource(api: Client, key?: string): Promise<Reply> {
  return api.get('/api/resource', key === undefined ? {} : { headers: { 'X-API-Key': key } })
}

/** Spends every token of a full bucket, expecting each request to pass. */
async function drain(s: Setup, key?: string): Promise<void> {
  for (let i = 0; i < s.capacity; i++) {
    expect(await resource(s.api, key)).toHaveStatus(200)
    s.model.take()
  }
}

/** Milliseconds worth `tokens` tokens at this rate, to the nearest millisecond. */
function msFor(tokens: number, refillPerSecond: number): number {
  return Math.round((tokens * 1000) / refillPerSecond)
}

/** An API key no sentinel for "no key" ("anonymous", "", "default"...) can collide with. */
function apiKey(rng: Rng): string {
  return `key-${rng.word(4, 8)}-${rng.int(100, 999)}`
}

describe('rate-limit-token-bucket', () => {
  task(1, 'Spend one token per request', () => {
    it('answers GET /api/resource with 200 and { "ok": true } while the bucket has a token', async () => {
      const s = setup(random())
      const res = await resource(s.api)
      expect(res).toHaveStatus(200)
      expect(res).toHaveJsonBody(expect.objectContaining({ ok: true }))
    })

    it('allows exactly <capacity> requests from a full bucket, then answers 429', async () => {
      const s = setup(random())
      for (let i = 0; i < s.capacity; i++) expect(await resource(s.api)).toHaveStatus(200)
      expect(await resource(s.api)).toHaveStatus(429)
    })

    it('answers 429 with JSON { "error": "rate_limited" } once the bucket is empty', async () => {
      const s = setup(random())
      await drain(s)
      const res = await resource(s.api)
      expect(res).toHaveStatus(429)
      expect(res).toHaveJsonBody(expect.objectContaining({ error: 'rate_limited' }))
    })

    it('puts every request without X-API-Key in one shared bucket', async () => {
      const s = setup(random())
      for (let i = 0; i < s.capacity; i++) expect(await resource(s.api)).toHaveStatus(200)
      expect(await resource(s.api)).toHaveStatus(429)
    })
  })

  task(2, 'Tell clients where they stand: X-RateLimit headers', () => {
    it('sends X-RateLimit-Limit: <capacity> and X-RateLimit-Remaining counted after taking the token', async () => {
      const s = setup(random())
      const res = await resource(s.api, apiKey(random('key')))
      expect(res).toHaveStatus(200)
      expect(res).toHaveHeader('X-RateLimit-Limit', String(s.capacity))
      expect(res).toHaveHeader('X-RateLimit-Remaining', String(s.capacity - 1))
    })

    it('counts X-RateLimit-Remaining down to 0 over a burst', async () => {
      const s = setup(random())
      for (let left = s.capacity - 1; left >= 0; left--) {
        const res = await resource(s.api)
        expect(res).toHaveStatus(200)
        expect(res).toHaveHeader('X-RateLimit-Remaining', String(left))
      }
    })

    it('sends X-RateLimit-Limit and X-RateLimit-Remaining: 0 on a 429 too', async () => {
      const s = setup(random())
      await drain(s)
      const res = await resource(s.api)
      expect(res).toHaveStatus(429)
      expect(res).toHaveHeader('X-RateLimit-Limit', String(s.capacity))
      expect(res).toHaveHeader('X-RateLimit-Remaining', '0')
    })
  })

  task(3, 'Refill as time passes', () => {
    it('refills tokens as time passes', async () => {
      const rng = random()
      const s = setup(rng)
      await drain(s)
      s.wait(msFor(rng.int(1, s.capacity) + 0.5, s.refillPerSecond))
      for (let expected = s.model.take(); ; expected = s.model.take()) {
        const res = await resource(s.api)
        expect(res).toHaveStatus(expected.status)
        if (expected.status === 429) break
        expect(res).toHaveHeader('X-RateLimit-Remaining', String(expected.remaining))
      }
    })

    it('lets a request through once the bucket has refilled to exactly one token', async () => {
      // Rates that are powers of two, so exactly one token's worth of time is exact in floating
      // point too: 4 s, 2 s and 0.5 s.
      const s = setup(random(), [0.25, 0.5, 2])
      await drain(s)
      s.wait(msFor(1, s.refillPerSecond))
      const res = await resource(s.api)
      expect(res).toHaveStatus(200)
      expect(res).toHaveHeader('X-RateLimit-Remaining', '0')
      expect(await resource(s.api)).toHaveStatus(429)
    })

    it('keeps fractions of a token between requests that come faster than the refill', async () => {
      const rng = random()
      const s = setup(rng)
      await drain(s)
      // 0.3, 0.7 or 0.9 of a token between requests: over 9 requests the running total stays at
      // least 0.09 token away from a whole number, and some requests must get through.
      const step = msFor(rng.pick([0.3, 0.7, 0.9]), s.refillPerSecond)
      for (let i = 0; i < 9; i++) {
        s.wait(step)
        const expected = s.model.take()
        const res = await resource(s.api)
        expect(res).toHaveStatus(expected.status)
        if (expected.status === 200) {
          expect(res).toHaveHeader('X-RateLimit-Remaining', String(expected.remaining))
        }
      }
    })

    it('takes no token for a rejected request', async () => {
      const rng = random()
      const s = setup(rng)
      await drain(s)
      for (let i = rng.int(2, 6); i > 0; i--) expect(await resource(s.api)).toHaveStatus(429)
      // One and a half tokens later exactly one request fits, however many were turned away.
      s.wait(msFor(1.5, s.refillPerSecond))
      const res = await resource(s.api)
      expect(res).toHaveStatus(200)
      expect(res).toHaveHeader('X-RateLimit-Remaining', '0')
      expect(await resource(s.api)).toHaveStatus(429)
    })

    it('never refills a bucket above its capacity', async () => {
      const rng = random()
      const s = setup(rng)
      // A first request creates the bucket; the client then stays away for hours.
      expect(await resource(s.api)).toHaveStatus(200)
      s.wait(rng.int(1, 5) * HOUR)
      for (let i = 0; i < s.capacity; i++) expect(await resource(s.api)).toHaveStatus(200)
      expect(await resource(s.api)).toHaveStatus(429)
    })

    it('reads the time from the injected now(), not from the system clock', async () => {
      const rng = random()
      const s = setup(rng, [0.25, 0.4, 0.5])
      await drain(s)
      s.wait(rng.int(1, 3) * HOUR)
      const res = await resource(s.api)
      expect(res).toHaveStatus(200)
      expect(res).toHaveHeader('X-RateLimit-Remaining', String(s.capacity - 1))
    })
  })

  task(4, 'Say when to retry: Retry-After', () => {
    it('sends Retry-After: the whole seconds until the next token, rounded up', async () => {
      // Rates whose token interval is a fraction of a second past a whole number, so rounding
      // down or to the nearest second gives the wrong answer: 3.33 s, 1.43 s, 1.33 s, 0.4 s,
      // 0.33 s.
      const s = setup(random(), [0.3, 0.7, 0.75, 2.5, 3])
      await drain(s)
      const res = await resource(s.api)
      expect(res).toHaveStatus(429)
      expect(res).toHaveHeader('Retry-After', String(s.model.take().retryAfter))
    })

    it('counts the part of a token already refilled in Retry-After', async () => {
      const rng = random()
      const s = setup(rng, [0.1, 0.2, 0.25]) // one token every 10, 5 or 4 seconds
      await drain(s)
      // 1.7 s or more in, leaving 1.3 s or more to wait: 0.3 s past a whole second, far from a
      // boundary, and near enough to it that rounding to the nearest second is wrong too.
      s.wait((rng.int(1, 1 / s.refillPerSecond - 2) + 0.7) * 1000)
      const res = await resource(s.api)
      expect(res).toHaveStatus(429)
      expect(res).toHaveHeader('Retry-After', String(s.model.take().retryAfter))
    })

    it('sends Retry-After equal to the wait when it is a whole number of seconds', async () => {
      // 4 s, 2 s or 1 s for a whole token; then, half a token later, 2 s, 1 s or 1 s.
      const s = setup(random(), [0.25, 0.5, 1])
      await drain(s)
      const empty = await resource(s.api)
      expect(empty).toHaveStatus(429)
      expect(empty).toHaveHeader('Retry-After', String(s.model.take().retryAfter))
      s.wait(msFor(0.5, s.refillPerSecond))
      const half = await resource(s.api)
      expect(half).toHaveStatus(429)
      expect(half).toHaveHeader('Retry-After', String(s.model.take().retryAfter))
    })

    it('never sends Retry-After: 0, even when the next token is moments away', async () => {
      const s = setup(random(), [2, 3, 4, 5])
      await drain(s)
      s.wait(msFor(0.9, s.refillPerSecond))
      const res = await resource(s.api)
      expect(res).toHaveStatus(429)
      expect(res).toHaveHeader('Retry-After', '1')
    })
  })

  task(5, 'A bucket per client, and /health left alone', () => {
    it('gives each X-API-Key its own bucket', async () => {
      const rng = random()
      const s = setup(rng)
      const [first, second] = [apiKey(rng), apiKey(rng)]
      await drain(s, first)
      expect(await resource(s.api, first)).toHaveStatus(429)
      const res = await resource(s.api, second)
      expect(res).toHaveStatus(200)
      expect(res).toHaveHeader('X-RateLimit-Remaining', String(s.capacity - 1))
    })

    it('keeps the shared no-key bucket apart from keyed clients', async () => {
      const rng = random()
      const s = setup(rng)
      await drain(s)
      expect(await resource(s.api)).toHaveStatus(429)
      const res = await resource(s.api, apiKey(rng))
      expect(res).toHaveStatus(200)
      expect(res).toHaveHeader('X-RateLimit-Remaining', String(s.capacity - 1))
    })

    it('gives an empty X-API-Key, and keys such as "anonymous" or "null", buckets of their own', async () => {
      const s = setup(random())
      await drain(s)
      expect(await resource(s.api)).toHaveStatus(429)
      for (const key of ['', 'anonymous', 'anon', 'null', 'undefined', 'default']) {
        const res = await resource(s.api, key)
        expect(res).toHaveStatus(200)
        expect(res).toHaveHeader('X-RateLimit-Remaining', String(s.capacity - 1))
      }
    })

    it('treats keys such as "constructor" and "__proto__" like any other key', async () => {
      const rng = random()
      const s = setup(rng)
      const names = ['constructor', '__proto__', 'toString', 'hasOwnProperty', 'valueOf']
      const keys = rng.shuffle(names)
      for (const key of keys) {
        for (let left = s.capacity - 1; left >= 0; left--) {
          const res = await resource(s.api, key)
          expect(res).toHaveStatus(200)
          expect(res).toHaveHeader('X-RateLimit-Remaining', String(left))
        }
        expect(await resource(s.api, key)).toHaveStatus(429)
      }
    })

    it('never limits GET /health', async () => {
      const s = setup(random())
      await drain(s)
      for (let i = 0; i < s.capacity + 2; i++) expect(await s.api.get('/health')).toHaveStatus(200)
    })

    it('takes no token for GET /health', async () => {
      const rng = random()
      const s = setup(rng)
      for (let i = rng.int(s.capacity, s.capacity + 3); i > 0; i--) {
        expect(await s.api.get('/health')).toHaveStatus(200)
      }
      const res = await resource(s.api)
      expect(res).toHaveStatus(200)
      expect(res).toHaveHeader('X-RateLimit-Remaining', String(s.capacity - 1))
    })

    it('keeps the buckets of two createApp() instances apart', async () => {
      const s = setup(random())
      const other = client(
        build(createApp, {
          capacity: s.capacity,
          refillPerSecond: s.refillPerSecond,
          now: s.clock.now,
        }),
      )
      await drain(s)
      const res = await resource(other)
      expect(res).toHaveStatus(200)
      expect(res).toHaveHeader('X-RateLimit-Remaining', String(s.capacity - 1))
    })
  })
})
