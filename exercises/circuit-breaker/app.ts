import { Hono } from 'hono'

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

export function createApp(options: BreakerOptions) {
  // TODO (tasks 2-4): read the tunables with their defaults and throw a RangeError for bad ones.
  // TODO (task 3): one breaker per upstream, kept inside createApp.
  void options

  const app = new Hono()

  // TODO (task 3): GET /health/breakers/:name -> { upstream, state }
  app.get('/health/breakers/:name', (c) => c.json({ error: 'not_implemented' }, 501))

  // TODO (task 1): call options.fetch(base URL + rest of the path + query, { signal }) and pass
  // the answer on. TODO (task 2): race it against options.sleep(timeoutMs). TODO (tasks 3-5):
  // record outcomes, answer 503 while open, let one trial through when half-open.
  app.get('/api/*', (c) => c.json({ error: 'not_implemented' }, 501))

  app.notFound((c) => c.json({ error: 'not_found' }, 404))

  return app
}
