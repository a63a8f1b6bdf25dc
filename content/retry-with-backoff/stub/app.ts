import { Hono } from 'hono'

export interface GatewayOptions {
  /** The upstream's origin, e.g. `http://quotes.internal:8080` (no path, no trailing slash). */
  upstreamUrl: string
  /** Sends one request to the upstream, like the global `fetch`; rejects on a network error. */
  fetch: (request: Request) => Promise<Response>
  /** A number in [0, 1), like `Math.random`: the only source of jitter. */
  random: () => number
  /** Resolves after `ms` milliseconds: the only way the app waits. */
  sleep: (ms: number) => Promise<void>
  /** The current time in milliseconds since the epoch: the only clock the app reads. */
  now: () => number
  /** Attempts in all, the first one included; default 3. */
  maxAttempts?: number
  /** The backoff ceiling before the first retry, in ms; default 100. */
  baseDelayMs?: number
  /** No backoff ceiling grows past this, in ms; default 5000. */
  maxDelayMs?: number
  /** The time budget of one client request, from its first attempt, in ms; default 10000. */
  deadlineMs?: number
}

export function createApp(options: GatewayOptions) {
  // TODO 1: throw a TypeError when fetch, random, sleep or now is not a function, or when
  // upstreamUrl is not an absolute URL.
  // TODO 2, 3, 5: read maxAttempts (3), baseDelayMs (100), maxDelayMs (5000) and deadlineMs
  // (10000), and throw a RangeError for a bad value.
  const { upstreamUrl, fetch } = options

  const app = new Hono()

  app.all('/api/*', async (c) => {
    // TODO 1: send the request to `${upstreamUrl}<path without /api><query>` through `fetch`:
    // same method, the body (not for GET or HEAD), Content-Type and Idempotency-Key. Answer with
    // the upstream's status, body, Content-Type and Retry-After; 502 upstream_unreachable when
    // fetch rejects.
    // TODO 2: retry failed attempts (network error, 429, 502, 503, 504) of retryable requests,
    // up to maxAttempts, with `await sleep(ms)` before each retry.
    // TODO 3: the wait before retry n is random() * min(maxDelayMs, baseDelayMs * 2 ** (n - 1)).
    // TODO 4: stretch the wait to a longer valid Retry-After (seconds or HTTP-date).
    // TODO 5: answer 504 deadline_exceeded instead of a retry that could not start before the
    // deadline.
    void upstreamUrl
    void fetch
    return c.json({ error: 'not_implemented' }, 501)
  })

  return app
}
