import { Hono } from 'hono'

/** One upstream call: resolves with its data, rejects when the service fails. */
export type Upstream<T> = (userId: string, signal: AbortSignal) => Promise<T>

export interface DashboardOptions {
  /** REQUIRED: the user's profile, or null when there is no such user. */
  profile: Upstream<Record<string, unknown> | null>
  /** Optional: items picked for the user. */
  recommendations: Upstream<unknown[]>
  /** Optional: the user's unread notifications. */
  notifications: Upstream<unknown[]>
  /** The current time in ms since the epoch: the only clock the app reads. */
  now: () => number
  /** Runs `callback` once after `ms` ms, like setTimeout; returns a function that cancels it. */
  schedule: (ms: number, callback: () => void) => () => void
  /** How long each upstream call may take, in ms; default 1000. */
  timeoutMs?: number
  /** How old a cached optional section may be and still be served, in ms; default 300000. */
  maxStaleMs?: number
}

export function createApp(options: DashboardOptions) {
  // TODO 1: throw a TypeError when an upstream, now or schedule is not a function.
  // TODO 4, 5: read timeoutMs (1000) and maxStaleMs (300000); throw a RangeError for bad values.
  // TODO 5: somewhere to keep the last good value of each optional section, per user.

  const app = new Hono()

  app.get('/api/dashboard/:userId', async (c) => {
    const userId = c.req.param('userId')
    // TODO 1: call the three upstreams with the user id and an AbortSignal; answer
    // { profile, recommendations, notifications, degraded: [], stale: {} }, or 404 not_found
    // when the profile is null.
    // TODO 2: start all three calls before awaiting any of them.
    // TODO 3: a failed optional call -> that section null and listed in degraded, with
    // Degraded-Sections and Cache-Control: no-store; a failed profile -> 503 with Retry-After: 5.
    // TODO 4: give each call timeoutMs through options.schedule; abort its signal on a timeout,
    // cancel its timer when it answers in time.
    // TODO 5: serve a kept value at most maxStaleMs old instead of null, with its age in stale.
    const profile = await options.profile(userId, new AbortController().signal)
    return c.json({ error: 'not_implemented', profile }, 501)
  })

  return app
}
