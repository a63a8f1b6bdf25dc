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

/** The optional sections, in the order `degraded` lists them. */
const OPTIONAL = ['recommendations', 'notifications'] as const
type Section = (typeof OPTIONAL)[number]

/** How one upstream call ended. */
type Result<T> = { ok: true; value: T; at: number } | { ok: false }

interface Cached {
  value: unknown[]
  /** now() when the value arrived. */
  at: number
}

export function createApp(options: DashboardOptions) {
  for (const name of ['profile', 'recommendations', 'notifications', 'now', 'schedule'] as const) {
    if (typeof options[name] !== 'function') throw new TypeError(`${name} must be a function`)
  }
  const { now, schedule } = options
  const timeoutMs = options.timeoutMs ?? 1000
  const maxStaleMs = options.maxStaleMs ?? 300_000
  if (!Number.isFinite(timeoutMs) || timeoutMs <= 0) {
    throw new RangeError(`timeoutMs must be a number > 0, received ${timeoutMs}`)
  }
  if (!Number.isFinite(maxStaleMs) || maxStaleMs < 0) {
    throw new RangeError(`maxStaleMs must be a number >= 0, received ${maxStaleMs}`)
  }

  // The last good value of each optional section, per user: the fallback when the upstream is
  // down. A Map per section, keyed by the user id from the URL: a plain object would find
  // "constructor" in every empty cache. It lives inside createApp, so two apps share nothing.
  const cache: Record<Section, Map<string, Cached>> = {
    recommendations: new Map(),
    notifications: new Map(),
  }

  /**
   * One call with its own deadline. Whatever happens, the promise settles by timeoutMs: a slow
   * upstream costs this request at most that long. On a timeout the signal is aborted so the
   * upstream can stop work nobody waits for; on an answer the timer is cancelled, so no timer
   * outlives the request.
   */
  function call<T>(upstream: Upstream<T>, userId: string): Promise<Result<T>> {
    const controller = new AbortController()
    return new Promise((resolve) => {
      let settled = false
      const finish = (result: Result<T>) => {
        if (settled) return
        settled = true
        cancel()
        resolve(result)
      }
      const cancel = schedule(timeoutMs, () => {
        if (settled) return
        controller.abort(new Error(`timed out after ${timeoutMs} ms`))
        finish({ ok: false })
      })
      // Promise.resolve().then(...) also turns a synchronous throw into a failure.
      Promise.resolve()
        .then(() => upstream(userId, controller.signal))
        .then(
          (value) => finish({ ok: true, value, at: now() }),
          () => finish({ ok: false }),
        )
    })
  }

  const app = new Hono()

  app.get('/api/dashboard/:userId', async (c) => {
    const userId = c.req.param('userId')
    // All three calls start now, side by side: the page takes as long as the slowest call
    // (capped by the timeout), not the sum of all three.
    const [profile, recommendations, notifications] = await Promise.all([
      call(options.profile, userId),
      call(options.recommendations, userId),
      call(options.notifications, userId),
    ])

    // The profile is REQUIRED: without it there is no page worth showing, so the answer is an
    // honest 503 with a hint when to come back, not a page full of holes.
    if (!profile.ok) {
      return c.json({ error: 'profile_unavailable' }, 503, { 'Retry-After': '5' })
    }
    // "No such user" is an answer, not a failure: nothing to degrade.
    if (profile.value === null) return c.json({ error: 'not_found' }, 404)

    const t = now()
    const fresh: Record<Section, Result<unknown[]>> = { recommendations, notifications }
    const body: Record<string, unknown> = { profile: profile.value }
    const degraded: Section[] = []
    const stale: Record<string, number> = {}
    for (const section of OPTIONAL) {
      const result = fresh[section]
      if (result.ok) {
        body[section] = result.value
        cache[section].set(userId, { value: result.value, at: result.at })
        continue
      }
      degraded.push(section)
      // stale-if-error: an old answer beats no answer, up to a limit. The entry keeps the time
      // it was fetched, so serving it again never makes it look younger.
      const cached = cache[section].get(userId)
      const age = cached ? t - cached.at : Number.POSITIVE_INFINITY
      if (cached && age <= maxStaleMs) {
        body[section] = cached.value
        stale[section] = age
      } else {
        body[section] = null
      }
    }
    body['degraded'] = degraded
    body['stale'] = stale

    if (degraded.length === 0) return c.json(body)
    // Say so in a header too, for proxies and dashboards that never parse the body, and keep
    // caches from storing a page that is missing parts.
    return c.json(body, 200, {
      'Degraded-Sections': degraded.join(', '),
      'Cache-Control': 'no-store',
    })
  })

  app.notFound((c) => c.json({ error: 'not_found' }, 404))

  return app
}
