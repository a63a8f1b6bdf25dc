import { Hono, type Context } from 'hono'

/** The upstream call, shaped like the global `fetch` (the grader passes a fake). */
export type UpstreamFetch = (url: string, init: { signal: AbortSignal }) => Promise<Response>

export interface BreakerOptions {
  /** Upstream name -> base URL, e.g. `{ orders: 'http://orders.internal:8080/v1' }`. */
  upstreams: Record<string, string>
  /** Makes the upstream calls. */
  fetch: UpstreamFetch
  /** The current time in milliseconds. The breaker reads time only through this. */
  now: () => number
  /** Resolves after `ms` milliseconds: the call timeout's timer. Defaults to setTimeout. */
  sleep?: (ms: number) => Promise<void>
  /** Open when failures / outcomes in the window reach this (0 < rate <= 1). Default 0.5. */
  failureRate?: number
  /** ...and the window holds at least this many outcomes (an integer >= 1). Default 5. */
  minCalls?: number
  /** How long an outcome stays in the rolling window, in ms. Default 10 000. */
  windowMs?: number
  /** How long the breaker stays open before it lets a trial through, in ms. Default 30 000. */
  openMs?: number
  /** How long to wait for the upstream before the call counts as failed, in ms. Default 2 000. */
  timeoutMs?: number
}

export type BreakerState = 'closed' | 'open' | 'half-open'

/** One upstream's breaker. `openedAt` is set while open or half-open. */
interface Breaker {
  /** When each outcome in the window was recorded, and whether it was a failure. */
  outcomes: { at: number; failed: boolean }[]
  openedAt: number | undefined
  /** True while the single half-open trial is in flight. */
  trialInFlight: boolean
}

type Outcome =
  | { kind: 'response'; response: Response }
  | { kind: 'network-error' }
  | { kind: 'timeout' }

const defaultSleep = (ms: number) =>
  new Promise<void>((resolve) => {
    setTimeout(resolve, ms).unref()
  })

export function createApp(options: BreakerOptions) {
  const { fetch, now } = options
  const sleep = options.sleep ?? defaultSleep
  const failureRate = options.failureRate ?? 0.5
  const minCalls = options.minCalls ?? 5
  const windowMs = options.windowMs ?? 10_000
  const openMs = options.openMs ?? 30_000
  const timeoutMs = options.timeoutMs ?? 2_000
  // Validated once, when the app is built: a breaker that can never open (rate 0 opens on
  // anything, rate 2 never) is a configuration bug that should stop the server at startup.
  if (!(failureRate > 0 && failureRate <= 1)) {
    throw new RangeError(`failureRate must be > 0 and <= 1, received ${failureRate}`)
  }
  if (!Number.isInteger(minCalls) || minCalls < 1) {
    throw new RangeError(`minCalls must be an integer >= 1, received ${minCalls}`)
  }
  for (const [name, value] of Object.entries({ windowMs, openMs, timeoutMs })) {
    if (!Number.isFinite(value) || value <= 0) {
      throw new RangeError(`${name} must be a number > 0, received ${value}`)
    }
  }

  // A Map built from the options' own entries: the name comes from the request path, and
  // `options.upstreams['constructor']` would find Object's constructor.
  const upstreams = new Map(Object.entries(options.upstreams))
  // One breaker per upstream, created inside createApp: a failing `billing` must not cut off
  // `orders`, and two apps (two tests) share nothing.
  const breakers = new Map<string, Breaker>()
  for (const name of upstreams.keys()) {
    breakers.set(name, { outcomes: [], openedAt: undefined, trialInFlight: false })
  }

  /** The state at time t, derived from openedAt: "open" turns into "half-open" by itself. */
  function stateOf(b: Breaker, t: number): BreakerState {
    if (b.openedAt === undefined) return 'closed'
    return t < b.openedAt + openMs ? 'open' : 'half-open'
  }

  function open(b: Breaker, t: number): void {
    b.openedAt = t
    b.outcomes = []
  }

  function record(b: Breaker, failed: boolean): void {
    const t = now()
    // Rolling window: drop what is windowMs old or older, then judge what is left. This runs
    // after every outcome, successes too: a success can be the call that reaches minCalls.
    b.outcomes = b.outcomes.filter((o) => t - o.at < windowMs)
    b.outcomes.push({ at: t, failed })
    const failures = b.outcomes.filter((o) => o.failed).length
    if (b.outcomes.length >= minCalls && failures / b.outcomes.length >= failureRate) open(b, t)
  }

  /** Calls the upstream, racing it against the timeout; aborts the request when it loses. */
  async function call(url: string): Promise<Outcome> {
    const controller = new AbortController()
    const timedOut = sleep(timeoutMs).then(() => ({ kind: 'timeout' }) as const)
    const answered = fetch(url, { signal: controller.signal }).then(
      (response) => ({ kind: 'response', response }) as const,
      () => ({ kind: 'network-error' }) as const,
    )
    const outcome = await Promise.race([answered, timedOut])
    // A timeout is not only an answer to the client: the abandoned request still holds a
    // socket upstream, so cancel it.
    if (outcome.kind === 'timeout') controller.abort()
    return outcome
  }

  const app = new Hono()

  app.get('/health/breakers/:name', (c) => {
    const name = c.req.param('name')
    const b = breakers.get(name)
    if (!b) return unknownUpstream(c)
    return c.json({ upstream: name, state: stateOf(b, now()) })
  })

  const proxy = async (c: Context) => {
    const name = c.req.param('upstream')!
    const base = upstreams.get(name)
    const b = breakers.get(name)
    if (base === undefined || !b) return unknownUpstream(c)
    const url = new URL(c.req.url)
    // Everything after /api/<name>, taken from the raw path, plus the query string as sent.
    const rest = url.pathname.slice(`/api/${url.pathname.split('/')[2]}`.length)
    const target = `${base}${rest}${url.search}`

    const t = now()
    const state = stateOf(b, t)
    if (state === 'open') {
      // Fail fast: no upstream call at all. That is the whole point: a struggling service gets
      // room to recover, and our clients get an answer now instead of after timeoutMs.
      const retryAfter = Math.ceil((b.openedAt! + openMs - t) / 1000)
      return c.json({ error: 'circuit_open', upstream: name }, 503, {
        'Retry-After': String(retryAfter),
      })
    }
    if (state === 'half-open') {
      // Exactly one trial. The check and the flag are set with no await in between, so two
      // requests arriving together cannot both become the trial.
      if (b.trialInFlight) {
        return c.json({ error: 'circuit_open', upstream: name }, 503, { 'Retry-After': '1' })
      }
      b.trialInFlight = true
    }
    const isTrial = state === 'half-open'

    const outcome = await call(target)
    // 4xx is the upstream working correctly and saying no to this request: a success for the
    // breaker. Only "it is not working" (no answer, too late, 5xx) counts against it.
    const failed = outcome.kind !== 'response' || outcome.response.status >= 500
    if (isTrial) {
      b.trialInFlight = false
      // Success closes with an empty window; failure opens again for a full openMs from now.
      if (failed) open(b, now())
      else {
        b.openedAt = undefined
        b.outcomes = []
      }
    } else if (stateOf(b, now()) === 'closed') {
      // A call that ends after another call opened the breaker is not counted.
      record(b, failed)
    }

    if (outcome.kind === 'timeout') {
      return c.json({ error: 'upstream_timeout', upstream: name }, 504)
    }
    if (outcome.kind === 'network-error') {
      return c.json({ error: 'bad_gateway', upstream: name }, 502)
    }
    const { response } = outcome
    const headers: Record<string, string> = {}
    const type = response.headers.get('content-type')
    if (type) headers['Content-Type'] = type
    return c.body(await response.text(), response.status as 200, headers)
  }
  app.get('/api/:upstream', proxy)
  app.get('/api/:upstream/*', proxy)

  app.notFound((c) => c.json({ error: 'not_found' }, 404))

  return app
}

function unknownUpstream(c: Context) {
  return c.json({ error: 'unknown_upstream' }, 404)
}
