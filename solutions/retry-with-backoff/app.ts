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

// Methods whose effect is the same however often they run (RFC 9110 9.2.2): repeating them after
// a lost response cannot do the work twice. POST and PATCH promise no such thing.
const IDEMPOTENT = new Set(['GET', 'HEAD', 'PUT', 'DELETE', 'OPTIONS'])
// Failures that say "try again": the gateway or the upstream is overloaded or briefly away. A 500
// is not among them: it is usually a bug that the same request hits again. Other 4xx are the
// client's mistake and will not change on a retry.
const RETRYABLE_STATUS = new Set([429, 502, 503, 504])
// The response headers a client of the gateway needs from the upstream.
const PASSED_HEADERS = ['content-type', 'retry-after']

/** What one client request came to, after every attempt it took. */
type Outcome =
  | { kind: 'response'; response: Response }
  | { kind: 'unreachable'; attempts: number }
  | { kind: 'deadline'; attempts: number }

function requireFunction(options: object, name: string): void {
  if (typeof (options as Record<string, unknown>)[name] !== 'function') {
    throw new TypeError(`${name} must be a function`)
  }
}

export function createApp(options: GatewayOptions) {
  for (const name of ['fetch', 'random', 'sleep', 'now']) requireFunction(options, name)
  if (typeof options.upstreamUrl !== 'string' || !URL.canParse(options.upstreamUrl)) {
    throw new TypeError('upstreamUrl must be an absolute URL')
  }
  const { upstreamUrl, fetch, random, sleep, now } = options
  const maxAttempts = options.maxAttempts ?? 3
  const baseDelayMs = options.baseDelayMs ?? 100
  const maxDelayMs = options.maxDelayMs ?? 5000
  const deadlineMs = options.deadlineMs ?? 10_000
  // Checked once, at startup: a bad retry policy should stop the deploy, not the 1000th request.
  if (!Number.isInteger(maxAttempts) || maxAttempts < 1) {
    throw new RangeError(`maxAttempts must be a whole number >= 1, received ${maxAttempts}`)
  }
  if (!Number.isFinite(baseDelayMs) || baseDelayMs <= 0) {
    throw new RangeError(`baseDelayMs must be a number > 0, received ${baseDelayMs}`)
  }
  if (!Number.isFinite(maxDelayMs) || maxDelayMs < baseDelayMs) {
    throw new RangeError(`maxDelayMs must be a number >= baseDelayMs, received ${maxDelayMs}`)
  }
  if (!Number.isFinite(deadlineMs) || deadlineMs <= 0) {
    throw new RangeError(`deadlineMs must be a number > 0, received ${deadlineMs}`)
  }

  /** FULL jitter: anywhere between 0 and the exponential ceiling, so clients spread out. */
  function backoff(retry: number): number {
    // retry 1 (the wait after the first attempt) has the ceiling baseDelayMs, then it doubles.
    const ceiling = Math.min(maxDelayMs, baseDelayMs * 2 ** (retry - 1))
    return random() * ceiling
  }

  async function withRetries(send: () => Promise<Response>, retryable: boolean): Promise<Outcome> {
    // The budget starts with the first attempt and covers everything after it: the time the
    // upstream takes to answer as well as the waits between attempts.
    const deadline = now() + deadlineMs
    for (let attempt = 1; ; attempt++) {
      let response: Response | undefined
      try {
        response = await send()
      } catch {
        response = undefined // a network error: no response at all
      }
      const failed = response === undefined || RETRYABLE_STATUS.has(response.status)
      if (!failed || !retryable || attempt >= maxAttempts) {
        if (response) return { kind: 'response', response }
        return { kind: 'unreachable', attempts: attempt }
      }
      let wait = backoff(attempt)
      // The upstream knows better than our formula when it will be back: never come sooner.
      const hinted = response && retryAfterMs(response.headers.get('retry-after'), now())
      if (hinted !== undefined) wait = Math.max(wait, hinted)
      // Free the connection the failed response holds before going to sleep.
      await response?.body?.cancel()
      // A retry that could only start at or after the deadline is pointless: the client has
      // been promised an answer by then. Give up now instead of sleeping first.
      if (now() + wait >= deadline) return { kind: 'deadline', attempts: attempt }
      await sleep(wait)
    }
  }

  const app = new Hono()

  app.all('/api/*', async (c) => {
    const method = c.req.method
    const url = new URL(c.req.url)
    const target = `${upstreamUrl}${url.pathname.slice('/api'.length)}${url.search}`
    // A request body is a stream that can be read once. Read it here, and build a fresh Request
    // for every attempt: re-sending one Request object would send no body the second time.
    const body = method === 'GET' || method === 'HEAD' ? undefined : await c.req.arrayBuffer()
    const key = c.req.header('Idempotency-Key') || undefined
    const headers: Record<string, string> = {}
    const type = c.req.header('Content-Type')
    if (type) headers['content-type'] = type
    // The same key on every attempt: that is what lets the upstream recognise a retry.
    if (key) headers['idempotency-key'] = key
    const send = () => fetch(new Request(target, { method, headers, body }))

    // A POST or PATCH may have done its work before the connection failed: sending it again
    // could do it twice, unless the upstream can deduplicate it by its Idempotency-Key.
    const retryable = IDEMPOTENT.has(method) || key !== undefined
    const outcome = await withRetries(send, retryable)

    if (outcome.kind === 'unreachable') {
      return c.json({ error: 'upstream_unreachable', attempts: outcome.attempts }, 502)
    }
    if (outcome.kind === 'deadline') {
      return c.json({ error: 'deadline_exceeded', attempts: outcome.attempts }, 504)
    }
    const { response } = outcome
    const passed = new Headers()
    for (const name of PASSED_HEADERS) {
      const value = response.headers.get(name)
      if (value !== null) passed.set(name, value)
    }
    return new Response(response.body, { status: response.status, headers: passed })
  })

  app.notFound((c) => c.json({ error: 'not_found' }, 404))

  return app
}

/**
 * How long a Retry-After header asks to wait, in ms, or undefined when there is none or it is
 * not valid. RFC 9110 10.2.3 allows two forms: delay-seconds (digits only: "120") and an
 * HTTP-date ("Fri, 31 Dec 1999 23:59:59 GMT"), which is measured against our own clock.
 */
export function retryAfterMs(value: string | null, nowMs: number): number | undefined {
  if (value === null) return undefined
  const text = value.trim()
  // Not Number(text) or parseInt: "1.5", "-3" or "10s" are not delay-seconds.
  if (/^\d+$/.test(text)) return Number(text) * 1000
  // A date form starts with a day name ("Sun, ..."): Date.parse alone would accept "1.5" too.
  if (!/^[A-Za-z]{3}/.test(text)) return undefined
  const at = Date.parse(text)
  if (Number.isNaN(at)) return undefined
  return Math.max(0, at - nowMs) // a date in the past means "now"
}
