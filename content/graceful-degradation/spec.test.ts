// graceful-degradation - the hidden spec.
//
// Wrong implementations this spec is built to catch:
// - sections mixed up (results paired with upstreams by the order they arrived), upstreams
//   called without the user id or without an AbortSignal; degraded/stale missing when all is fresh
// - the upstreams called one after the other (each await before the next call starts)
// - a failed optional upstream that fails the whole page (500/503), or a section left undefined
//   instead of null; degraded in another order (the order the sections failed in) or missing a
//   section; no Degraded-Sections header, or one on a fully fresh page; no Cache-Control:
//   no-store on a degraded page
// - a failed profile answered 200 or 500, without Retry-After; a null profile treated as a failure
// - a synchronous throw from an upstream that crashes the handler
// - no timeout (a hung upstream hangs the page), a timeout from the real setTimeout instead of
//   the injected schedule, one a millisecond early, the wrong default; the signal never aborted;
//   timers never cancelled once their call has answered, or left pending by a 404 or 503
//   answered before the optional calls settled
// - no stale fallback; stale values served past maxStaleMs or refused at exactly maxStaleMs; a
//   stale section not listed in degraded, or its age missing or wrong; a served stale value
//   stored again with a new time (it never gets old); an older value kept over a newer one
// - one cache for all users, or at module level (shared by two createApp() instances), or a
//   plain-object cache that a user named __proto__ or constructor turns into a shared prototype
// - the profile served from a cache; options not validated when createApp is called
import { describe, expect, it } from 'vitest'
import {
  build,
  client,
  fakeClock,
  focusOn,
  parseTokenList,
  random,
  task,
  type Client,
  type FakeClock,
  type Reply,
  type Rng,
} from '../../harness/spec-kit/index.ts'
import { createApp, type DashboardOptions } from '../../exercises/graceful-degradation/app.ts'

type Name = 'profile' | 'recommendations' | 'notifications'
const NAMES: Name[] = ['profile', 'recommendations', 'notifications']

/** What an upstream does on its next call. */
type Plan = { value: unknown } | 'reject' | 'throw' | 'hang' | 'manual'

interface Call {
  userId: string
  signal: AbortSignal | undefined
  resolve: (value: unknown) => void
  reject: (error: Error) => void
}

interface Timer {
  due: number
  callback: () => void
  state: 'pending' | 'cancelled' | 'fired'
}

/**
 * The three services, the clock and the timer, faked as one world. Each upstream follows its
 * plan (answer, reject, throw, never answer, or wait for the spec); `schedule` registers timers
 * that fire only when the spec calls `advance`, which also moves the clock.
 */
class World {
  readonly clock: FakeClock
  readonly calls: Record<Name, Call[]> = { profile: [], recommendations: [], notifications: [] }
  readonly timers: Timer[] = []
  readonly plans: Record<Name, Plan>
  private waiters: (() => void)[] = []

  constructor(rng: Rng) {
    this.clock = fakeClock()
    this.clock.advance(rng.int(0, 3_600_000))
    this.plans = {
      profile: { value: profileOf(rng) },
      recommendations: { value: items(rng, 'r') },
      notifications: { value: items(rng, 'n') },
    }
  }

  upstream(name: Name) {
    return (userId: string, signal: AbortSignal): Promise<unknown> => {
      const plan = this.plans[name]
      if (plan === 'throw') {
        this.record(name, { userId, signal, resolve: () => {}, reject: () => {} })
        throw new Error(`${name} exploded`)
      }
      return new Promise((resolve, reject) => {
        this.record(name, { userId, signal, resolve, reject })
        if (plan === 'reject') reject(new Error(`${name} is down`))
        else if (plan === 'hang') {
          // Like fetch: a hung call gives up when its signal is aborted.
          signal?.addEventListener?.('abort', () => reject(new Error('aborted')))
        } else if (plan !== 'manual') resolve(plan.value)
      })
    }
  }

  private record(name: Name, call: Call): void {
    this.calls[name].push(call)
    for (const wake of this.waiters.splice(0)) wake()
  }

  readonly schedule = (ms: number, callback: () => void): (() => void) => {
    const timer: Timer = { due: this.clock.now() + ms, callback, state: 'pending' }
    this.timers.push(timer)
    return () => {
      if (timer.state === 'pending') timer.state = 'cancelled'
    }
  }

  /** Moves time forward, firing every pending timer that falls due, in order. */
  advance(ms: number): void {
    const target = this.clock.now() + ms
    for (;;) {
      const next = this.timers
        .filter((t) => t.state === 'pending' && t.due <= target)
        .sort((a, b) => a.due - b.due)[0]
      if (!next) break
      this.clock.set(Math.max(this.clock.now(), next.due))
      next.state = 'fired'
      next.callback()
    }
    this.clock.set(target)
  }

  pendingTimers(): number {
    return this.timers.filter((t) => t.state === 'pending').length
  }

  callCount(): number {
    return NAMES.reduce((n, name) => n + this.calls[name].length, 0)
  }

  /** Resolves once a new upstream call has been recorded. */
  nextCall(): Promise<void> {
    return new Promise((resolve) => this.waiters.push(resolve))
  }

  options(extra: Partial<DashboardOptions> = {}): DashboardOptions {
    return {
      profile: this.upstream('profile') as DashboardOptions['profile'],
      recommendations: this.upstream('recommendations') as DashboardOptions['recommendations'],
      notifications: this.upstream('notifications') as DashboardOptions['notifications'],
      now: this.clock.now,
      schedule: this.schedule,
      ...extra,
    }
  }
}

function profileOf(rng: Rng) {
  return { id: `u-${rng.int(1, 9999)}`, name: rng.word(), plan: rng.pick(['free', 'pro', 'team']) }
}

function items(rng: Rng, prefix: string) {
  return Array.from({ length: rng.int(1, 4) }, () => ({ id: `${prefix}-${rng.int(1, 99_999)}`, text: rng.word() }))
}

function userId(rng: Rng): string {
  return `user-${rng.word(3, 7)}-${rng.int(1, 999)}`
}

interface Setup {
  world: World
  api: Client
}

function setup(rng: Rng, extra: Partial<DashboardOptions> = {}, world = new World(rng)): Setup {
  return { world, api: client(build(createApp, world.options(extra))) }
}

/** Sends the request without waiting for it; its rejection is handled when it is awaited. */
function start(s: Setup, user: string): Promise<Reply> {
  const reply = s.api.get(`/api/dashboard/${user}`)
  reply.catch(() => {})
  return reply
}

const turns = async (n: number) => {
  for (let i = 0; i < n; i++) await new Promise((r) => setImmediate(r))
}

/**
 * Waits until all three upstreams have been called for the request in flight. Once the first
 * call has arrived the others must follow without any upstream answering first.
 */
async function allCalled(s: Setup, reply: Promise<Reply>): Promise<void> {
  const before = s.world.callCount()
  if (before < 3) {
    const first = s.world.nextCall().then(() => 'called' as const)
    const answered = reply.then(
      () => 'answered' as const,
      () => 'answered' as const,
    )
    if ((await Promise.race([first, answered])) === 'answered' && s.world.callCount() === before) {
      await reply
      throw new Error('the app answered before calling the upstreams')
    }
  }
  for (let i = 0; i < 50 && s.world.callCount() < 3; i++) await turns(1)
  const missing = NAMES.filter((n) => s.world.calls[n].length === 0)
  if (missing.length) {
    const called = NAMES.filter((n) => !missing.includes(n)).join(' and ')
    throw new Error(
      `the app called ${called} and then waited for an answer before calling ` +
        `${missing.join(' and ')}: start all three calls before awaiting any of them`,
    )
  }
}

/** The expected body: the world's planned values, with `sections` overriding some of them. */
function dashboard(
  world: World,
  sections: Partial<Record<Name, unknown>> = {},
  degraded: string[] = [],
  stale: Record<string, unknown> = {},
) {
  const value = (name: Name) => (name in sections ? sections[name] : (world.plans[name] as { value: unknown }).value)
  return {
    profile: value('profile'),
    recommendations: value('recommendations'),
    notifications: value('notifications'),
    degraded,
    stale,
  }
}

function expectDegradedHeaders(res: Reply, sections: string[]): void {
  expect(res).toHaveHeader('Degraded-Sections')
  const listed = parseTokenList(res.headers['degraded-sections']).map((t) => t.toLowerCase())
  focusOn(res)
  expect([...listed].sort(), 'Degraded-Sections names the degraded sections').toEqual([...sections].sort())
  expect(res).toHaveHeader('Cache-Control')
  expect(parseTokenList(res.headers['cache-control']), 'Cache-Control includes no-store').toContain('NO-STORE')
}

/** The expected body when `name` is served from the cache, `age` ms old. */
function staleDashboard(world: World, name: Name, kept: unknown, age: unknown) {
  return dashboard(world, { [name]: kept }, [name], { [name]: age })
}

const UNAVAILABLE = expect.objectContaining({ error: 'profile_unavailable' })

describe('graceful-degradation', () => {
  task(1, 'Build the dashboard', () => {
    it('answers 200 with the three sections, degraded [] and stale {}', async () => {
      const rng = random()
      const s = setup(rng)
      const user = userId(rng)
      const res = await s.api.get(`/api/dashboard/${user}`)
      expect(res).toHaveStatus(200)
      expect(res).toHaveJsonBody(dashboard(s.world))
      expect(res).not.toHaveHeader('Degraded-Sections')
    })

    it('calls each upstream once with the user id from the path and an AbortSignal', async () => {
      const rng = random()
      const s = setup(rng)
      const user = userId(rng)
      const res = await s.api.get(`/api/dashboard/${user}`)
      expect(res).toHaveStatus(200)
      for (const name of NAMES) {
        focusOn(res)
        expect(s.world.calls[name].length, `${name} calls`).toBe(1)
        expect(s.world.calls[name][0]!.userId, `${name} was called with the user id`).toBe(user)
        expect(s.world.calls[name][0]!.signal, `${name} was called with an AbortSignal`).toBeInstanceOf(AbortSignal)
      }
    })

    it('answers 404 not_found when the profile is null', async () => {
      const rng = random()
      const s = setup(rng)
      s.world.plans.profile = { value: null }
      const res = await s.api.get(`/api/dashboard/${userId(rng)}`)
      expect(res).toHaveStatus(404)
      expect(res).toHaveJsonBody(expect.objectContaining({ error: 'not_found' }))
    })

    it('createApp throws a TypeError when an upstream, now or schedule is not a function', () => {
      const world = new World(random())
      expect(() => createApp(world.options()), 'valid options').not.toThrow()
      for (const name of ['profile', 'recommendations', 'notifications', 'now', 'schedule'] as const) {
        const without = { ...world.options(), [name]: undefined } as never
        expect(() => createApp(without), `${name} missing`).toThrow(TypeError)
        const wrong = { ...world.options(), [name]: 'x' } as never
        expect(() => createApp(wrong), `${name}: 'x'`).toThrow(TypeError)
      }
    })
  })

  task(2, 'Call the upstreams side by side', () => {
    it('calls all three before any answers, and pairs each answer with its section (profile last)', async () => {
      const rng = random()
      const s = setup(rng)
      const values = { ...dashboard(s.world) }
      for (const name of NAMES) s.world.plans[name] = 'manual'
      const reply = start(s, userId(rng))
      await allCalled(s, reply)
      for (const name of [...rng.shuffle(['recommendations', 'notifications'] as Name[]), 'profile' as Name]) {
        s.world.calls[name][0]!.resolve(values[name])
        await turns(2)
      }
      const res = await reply
      expect(res).toHaveStatus(200)
      expect(res).toHaveJsonBody({ ...values, degraded: [], stale: {} })
    })

    it('pairs answers with their sections whatever order they come in', async () => {
      const rng = random()
      const s = setup(rng)
      const values = { ...dashboard(s.world) }
      for (const name of NAMES) s.world.plans[name] = 'manual'
      const reply = start(s, userId(rng))
      await allCalled(s, reply)
      for (const name of rng.shuffle(NAMES)) {
        s.world.calls[name][0]!.resolve(values[name])
        await turns(2)
      }
      expect(await reply).toHaveJsonBody({ ...values, degraded: [], stale: {} })
    })
  })

  task(3, 'Degrade when an optional upstream fails', () => {
    it.each([['recommendations'], ['notifications']] as [Name][])(
      'answers 200 with %s null and degraded when it rejects',
      async (name) => {
        const rng = random()
        const s = setup(rng)
        s.world.plans[name] = 'reject'
        const res = await s.api.get(`/api/dashboard/${userId(rng)}`)
        expect(res).toHaveStatus(200)
        expect(res).toHaveJsonBody(dashboard(s.world, { [name]: null }, [name]))
        expectDegradedHeaders(res, [name])
      },
    )

    it('lists both sections, recommendations first, when both fail', async () => {
      const rng = random()
      const s = setup(rng)
      s.world.plans.recommendations = rng.pick(['reject', 'throw'] as Plan[])
      s.world.plans.notifications = rng.pick(['reject', 'throw'] as Plan[])
      const res = await s.api.get(`/api/dashboard/${userId(rng)}`)
      expect(res).toHaveStatus(200)
      const degraded = ['recommendations', 'notifications']
      expect(res).toHaveJsonBody(dashboard(s.world, { recommendations: null, notifications: null }, degraded))
      expectDegradedHeaders(res, degraded)
    })

    it('lists recommendations first even when notifications fails first', async () => {
      const rng = random()
      const timeoutMs = rng.int(2000, 60_000)
      const s = setup(rng, { timeoutMs })
      const { profile } = dashboard(s.world)
      for (const name of NAMES) s.world.plans[name] = 'manual'
      const reply = start(s, userId(rng))
      await allCalled(s, reply)
      s.world.calls.profile[0]!.resolve(profile)
      await turns(2)
      s.world.calls.notifications[0]!.reject(new Error('notifications is down'))
      await turns(3)
      // Only then does recommendations fail: it rejects, or it times out.
      if (rng.next() < 0.5) s.world.calls.recommendations[0]!.reject(new Error('recommendations is down'))
      else s.world.advance(timeoutMs)
      const res = await reply
      expect(res).toHaveStatus(200)
      const degraded = ['recommendations', 'notifications']
      expect(res).toHaveJsonBody({ profile, recommendations: null, notifications: null, degraded, stale: {} })
      expectDegradedHeaders(res, degraded)
    })

    it('treats an upstream that throws instead of rejecting as failed', async () => {
      const rng = random()
      const s = setup(rng)
      const name = rng.pick(['recommendations', 'notifications'] as Name[])
      s.world.plans[name] = 'throw'
      const res = await s.api.get(`/api/dashboard/${userId(rng)}`)
      expect(res).toHaveStatus(200)
      expect(res).toHaveJsonBody(dashboard(s.world, { [name]: null }, [name]))
    })

    it('answers 503 profile_unavailable with Retry-After: 5 when the profile fails', async () => {
      const rng = random()
      for (const plan of ['reject', 'throw'] as Plan[]) {
        const s = setup(rng)
        s.world.plans.profile = plan
        if (rng.next() < 0.5) s.world.plans.recommendations = 'reject'
        const res = await s.api.get(`/api/dashboard/${userId(rng)}`)
        expect(res).toHaveStatus(503)
        expect(res).toHaveJsonBody(UNAVAILABLE)
        expect(res).toHaveHeader('Retry-After', '5')
      }
    })

    it('still answers 404 for a null profile when an optional upstream fails', async () => {
      const rng = random()
      const s = setup(rng)
      s.world.plans.profile = { value: null }
      s.world.plans.notifications = 'reject'
      const res = await s.api.get(`/api/dashboard/${userId(rng)}`)
      expect(res).toHaveStatus(404)
    })
  })

  task(4, 'Time out slow upstreams', () => {
    it.each([['recommendations'], ['notifications']] as [Name][])(
      'degrades %s once it has not answered after timeoutMs, and aborts its signal',
      async (name) => {
        const rng = random()
        const timeoutMs = rng.int(2000, 60_000)
        const s = setup(rng, { timeoutMs })
        s.world.plans[name] = 'hang'
        const reply = start(s, userId(rng))
        await allCalled(s, reply)
        await turns(3)
        const signal = s.world.calls[name][0]!.signal!
        s.world.advance(timeoutMs - 1)
        await turns(3)
        expect(signal.aborted, `the signal is not aborted ${timeoutMs - 1} ms into the call`).toBe(false)
        s.world.advance(1)
        await turns(3)
        expect(signal.aborted, `the signal is aborted ${timeoutMs} ms into the call`).toBe(true)
        const res = await reply
        expect(res).toHaveStatus(200)
        expect(res).toHaveJsonBody(dashboard(s.world, { [name]: null }, [name]))
        expectDegradedHeaders(res, [name])
      },
    )

    it('answers 503 when the profile times out', async () => {
      const rng = random()
      const timeoutMs = rng.int(2000, 60_000)
      const s = setup(rng, { timeoutMs })
      s.world.plans.profile = 'hang'
      const reply = start(s, userId(rng))
      await allCalled(s, reply)
      await turns(3)
      s.world.advance(timeoutMs)
      const res = await reply
      expect(res).toHaveStatus(503)
      expect(res).toHaveJsonBody(UNAVAILABLE)
      expect(res).toHaveHeader('Retry-After', '5')
      focusOn(res)
      expect(s.world.calls.profile[0]!.signal!.aborted, 'the profile call was aborted').toBe(true)
    })

    it('times calls out after 1000 ms by default', async () => {
      const rng = random()
      const s = setup(rng)
      s.world.plans.notifications = 'hang'
      const reply = start(s, userId(rng))
      await allCalled(s, reply)
      await turns(3)
      const signal = s.world.calls.notifications[0]!.signal!
      s.world.advance(999)
      await turns(3)
      expect(signal.aborted, 'the signal is not aborted after 999 ms').toBe(false)
      s.world.advance(1)
      const res = await reply
      expect(res).toHaveStatus(200)
      expect(res).toHaveJsonBody(dashboard(s.world, { notifications: null }, ['notifications']))
    })

    it('cancels the timers of calls that answered in time', async () => {
      const rng = random()
      const s = setup(rng, { timeoutMs: rng.int(2000, 60_000) })
      if (rng.next() < 0.5) s.world.plans.recommendations = 'reject'
      const res = await s.api.get(`/api/dashboard/${userId(rng)}`)
      expect(res).toHaveStatus(200)
      focusOn(res)
      expect(s.world.timers.length, 'schedule() was used for the timeouts').toBeGreaterThan(0)
      expect(s.world.pendingTimers(), 'timers still pending after the response').toBe(0)
    })

    it('leaves no timer pending after a timeout either', async () => {
      const rng = random()
      const timeoutMs = rng.int(2000, 60_000)
      const s = setup(rng, { timeoutMs })
      s.world.plans.recommendations = 'hang'
      const reply = start(s, userId(rng))
      await allCalled(s, reply)
      await turns(3)
      s.world.advance(timeoutMs)
      const res = await reply
      expect(res).toHaveStatus(200)
      focusOn(res)
      expect(s.world.pendingTimers(), 'timers still pending after the response').toBe(0)
    })

    it('leaves no timer pending when it answers 404 or 503 before the optional calls settle', async () => {
      const rng = random()
      const timeoutMs = rng.int(2000, 60_000)
      for (const status of rng.shuffle([404, 503])) {
        const world = new World(rng)
        const app = build(createApp, world.options({ timeoutMs }))
        // Counted the moment the app hands its response over, before any more time passes.
        let pendingAtAnswer: number | undefined
        const fetch = async (request: Request, env?: any, ctx?: any): Promise<Response> => {
          const response = await app.fetch(request, env, ctx)
          pendingAtAnswer = world.pendingTimers()
          return response
        }
        const s: Setup = { world, api: client({ fetch }) }
        world.plans.profile = status === 404 ? { value: null } : rng.pick(['reject', 'throw'] as Plan[])
        world.plans.recommendations = 'hang'
        world.plans.notifications = 'hang'
        const reply = start(s, userId(rng))
        await allCalled(s, reply)
        // The app may answer at once or wait for the optional calls (each at most timeoutMs):
        // time passes only when it has not answered yet.
        for (let i = 0; i < 20 && pendingAtAnswer === undefined; i++) await turns(1)
        if (pendingAtAnswer === undefined) world.advance(timeoutMs)
        const res = await reply
        expect(res).toHaveStatus(status)
        focusOn(res)
        expect(pendingAtAnswer, `timers still pending when the ${status} was sent`).toBe(0)
      }
    })

    it('createApp throws a RangeError unless timeoutMs is a finite number > 0', () => {
      const world = new World(random())
      for (const timeoutMs of [0, -5, Number.NaN, Number.POSITIVE_INFINITY]) {
        expect(() => createApp(world.options({ timeoutMs })), `timeoutMs: ${timeoutMs}`).toThrow(RangeError)
      }
      expect(() => createApp(world.options({ timeoutMs: 1 })), 'timeoutMs: 1').not.toThrow()
    })
  })

  task(5, 'Serve the last good value, for a while', () => {
    /** A fresh request for `user`, then the section's upstream fails from now on. */
    async function keep(s: Setup, user: string, name: Name = 'recommendations'): Promise<unknown> {
      const res = await s.api.get(`/api/dashboard/${user}`)
      expect(res).toHaveStatus(200)
      expect(res).toHaveJsonBody(dashboard(s.world))
      const kept = (s.world.plans[name] as { value: unknown }).value
      s.world.plans[name] = 'reject'
      return kept
    }

    it.each([['recommendations'], ['notifications']] as [Name][])(
      'serves the kept %s with its age when the upstream fails',
      async (name) => {
        const rng = random()
        const maxStaleMs = rng.int(10_000, 600_000)
        const s = setup(rng, { maxStaleMs })
        const user = userId(rng)
        const kept = await keep(s, user, name)
        const age = rng.int(1, maxStaleMs)
        s.world.advance(age)
        const res = await s.api.get(`/api/dashboard/${user}`)
        expect(res).toHaveStatus(200)
        expect(res).toHaveJsonBody(dashboard(s.world, { [name]: kept }, [name], { [name]: age }))
        expectDegradedHeaders(res, [name])
      },
    )

    it('serves a value exactly maxStaleMs old, and not one a millisecond older', async () => {
      const rng = random()
      const maxStaleMs = rng.int(1000, 600_000)
      const s = setup(rng, { maxStaleMs })
      const user = userId(rng)
      const kept = await keep(s, user)
      s.world.advance(maxStaleMs)
      const served = await s.api.get(`/api/dashboard/${user}`)
      expect(served).toHaveJsonBody(staleDashboard(s.world, 'recommendations', kept, maxStaleMs))
      s.world.advance(1)
      const gone = await s.api.get(`/api/dashboard/${user}`)
      expect(gone).toHaveStatus(200)
      expect(gone).toHaveJsonBody(dashboard(s.world, { recommendations: null }, ['recommendations']))
    })

    it('keeps values for 300000 ms by default', async () => {
      const rng = random()
      const s = setup(rng)
      const user = userId(rng)
      const kept = await keep(s, user, 'notifications')
      s.world.advance(300_000)
      const served = await s.api.get(`/api/dashboard/${user}`)
      expect(served).toHaveJsonBody(staleDashboard(s.world, 'notifications', kept, 300_000))
      s.world.advance(1)
      const gone = await s.api.get(`/api/dashboard/${user}`)
      expect(gone).toHaveJsonBody(dashboard(s.world, { notifications: null }, ['notifications']))
    })

    it('serves a kept value after a timeout too', async () => {
      const rng = random()
      const timeoutMs = rng.int(2000, 9000)
      const s = setup(rng, { timeoutMs, maxStaleMs: 600_000 })
      const user = userId(rng)
      const kept = await keep(s, user)
      const age = rng.int(1, 100_000)
      s.world.advance(age)
      s.world.plans.recommendations = 'hang'
      const reply = start(s, user)
      await allCalled(s, reply)
      await turns(3)
      s.world.advance(timeoutMs)
      const res = await reply
      expect(res).toHaveStatus(200)
      // The age may be read when the request arrived or when the answer is built.
      expect(res).toHaveJsonBody(
        dashboard(s.world, { recommendations: kept }, ['recommendations'], {
          recommendations: expect.toSatisfy((n: number) => n === age || n === age + timeoutMs),
        }),
      )
    })

    it('keeps only the newest fresh value', async () => {
      const rng = random()
      const s = setup(rng, { maxStaleMs: 600_000 })
      const user = userId(rng)
      await keep(s, user)
      s.world.advance(rng.int(1, 100_000))
      const newer = items(rng, 'r')
      s.world.plans.recommendations = { value: newer }
      expect(await s.api.get(`/api/dashboard/${user}`)).toHaveJsonBody(dashboard(s.world))
      s.world.plans.recommendations = 'reject'
      const age = rng.int(1, 100_000)
      s.world.advance(age)
      const res = await s.api.get(`/api/dashboard/${user}`)
      expect(res).toHaveJsonBody(staleDashboard(s.world, 'recommendations', newer, age))
    })

    it('does not make a value younger by serving it', async () => {
      const rng = random()
      const maxStaleMs = rng.int(10_000, 600_000)
      const s = setup(rng, { maxStaleMs })
      const user = userId(rng)
      const kept = await keep(s, user)
      const first = rng.int(1, maxStaleMs - 1)
      s.world.advance(first)
      expect(await s.api.get(`/api/dashboard/${user}`)).toHaveJsonBody(
        staleDashboard(s.world, 'recommendations', kept, first),
      )
      s.world.advance(maxStaleMs - first + 1)
      const res = await s.api.get(`/api/dashboard/${user}`)
      expect(res).toHaveJsonBody(dashboard(s.world, { recommendations: null }, ['recommendations']))
    })

    it("never serves another user's kept value", async () => {
      const rng = random()
      const s = setup(rng)
      await keep(s, userId(rng))
      s.world.advance(rng.int(1, 1000))
      const res = await s.api.get(`/api/dashboard/${userId(rng)}-other`)
      expect(res).toHaveJsonBody(dashboard(s.world, { recommendations: null }, ['recommendations']))
    })

    it('keeps the values of two createApp() instances apart', async () => {
      const rng = random()
      const world = new World(rng)
      const one = setup(rng, {}, world)
      const two: Setup = { world, api: client(build(createApp, world.options())) }
      const user = userId(rng)
      await keep(one, user)
      const res = await two.api.get(`/api/dashboard/${user}`)
      expect(res).toHaveJsonBody(dashboard(world, { recommendations: null }, ['recommendations']))
    })

    it('treats users named __proto__ and constructor like any other', async () => {
      const rng = random()
      const s = setup(rng)
      const other = setup(rng)
      other.world.plans.recommendations = 'reject'
      for (const user of rng.shuffle(['__proto__', 'constructor'])) {
        s.world.plans.recommendations = { value: items(rng, 'r') }
        const kept = await keep(s, user)
        const stranger = await s.api.get(`/api/dashboard/${userId(rng)}`)
        expect(stranger).toHaveJsonBody(dashboard(s.world, { recommendations: null }, ['recommendations']))
        const age = rng.int(1, 1000)
        s.world.advance(age)
        const res = await s.api.get(`/api/dashboard/${user}`)
        expect(res).toHaveJsonBody(staleDashboard(s.world, 'recommendations', kept, age))
        const elsewhere = await other.api.get(`/api/dashboard/${user}`)
        expect(elsewhere).toHaveJsonBody(dashboard(other.world, { recommendations: null }, ['recommendations']))
      }
    })

    it('never serves the profile from a kept value', async () => {
      const rng = random()
      const s = setup(rng)
      const user = userId(rng)
      await keep(s, user)
      s.world.plans.recommendations = { value: items(rng, 'r') }
      s.world.plans.profile = 'reject'
      s.world.advance(rng.int(1, 1000))
      const res = await s.api.get(`/api/dashboard/${user}`)
      expect(res).toHaveStatus(503)
      expect(res).toHaveJsonBody(UNAVAILABLE)
    })

    it('createApp throws a RangeError unless maxStaleMs is a finite number >= 0', () => {
      const world = new World(random())
      for (const maxStaleMs of [-1, Number.NaN, Number.POSITIVE_INFINITY]) {
        expect(() => createApp(world.options({ maxStaleMs })), `maxStaleMs: ${maxStaleMs}`).toThrow(RangeError)
      }
      expect(() => createApp(world.options({ maxStaleMs: 0 })), 'maxStaleMs: 0').not.toThrow()
    })
  })
})
