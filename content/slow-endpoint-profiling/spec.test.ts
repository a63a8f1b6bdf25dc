// slow-endpoint-profiling - the hidden spec.
//
// Wrong implementations this spec is built to catch:
// - durations measured with Date.now() or performance.now() instead of the injected now()
// - no Server-Timing header, a metric named otherwise, the same metric twice, a malformed value
// - the upstream phase timed until the first answer only, or from before the database work
// - the db phase covering only the first statement, or hard-coded durations
// - the two services awaited one after the other (a + b instead of max(a, b)), or the second
//   call started only after the first answered
// - one count query per project (1 + N statements), the project ids pasted into the SQL,
//   `IN ()` sent for an owner without projects, counts of every owner's projects read at once
// - done tasks counted as open, a project without open tasks given null or no member
// - no index on the owner filter, an index on another column, an index that does not come from
//   createApp, a CREATE INDEX without IF NOT EXISTS (a second app on the database fails)
// - `SELECT *` (or `p.*`) kept, so every request reads the large design_doc column, or a
//   member the dashboard does not show (design_doc, owner_id) still in the response
import { describe, expect, it } from 'vitest'
import {
  build,
  client,
  database,
  fakeClock,
  random,
  task,
  type DatabaseProbe,
  type FakeClock,
  type Reply,
  type Rng,
  type SqlDatabase,
} from '../../harness/spec-kit/index.ts'
import { createApp, type Plan, type Profile, type ProjectSummary } from '../../exercises/slow-endpoint-profiling/app.ts'

const SCHEMA = `
CREATE TABLE projects (id INTEGER PRIMARY KEY, owner_id INTEGER NOT NULL, name TEXT NOT NULL,
                       status TEXT NOT NULL, design_doc TEXT NOT NULL);
CREATE TABLE tasks (id INTEGER PRIMARY KEY, project_id INTEGER NOT NULL REFERENCES projects (id),
                    title TEXT NOT NULL, done INTEGER NOT NULL);`

const STATUSES = ['active', 'paused', 'archived']
/** A design document is at least this long; no column the dashboard needs is anywhere near. */
const DOC_MIN = 4000

// ---------------------------------------------------------------------------------------------
// Server-Timing, parsed by the W3C grammar (https://www.w3.org/TR/server-timing/):
//   Server-Timing = #server-timing-metric
//   server-timing-metric = metric-name *( OWS ";" OWS server-timing-param )
//   server-timing-param = server-timing-param-name OWS "=" OWS server-timing-param-value
//   server-timing-param-value = token / quoted-string
// Parameter names are compared case-insensitively; the first of a duplicated parameter wins.

interface Metric {
  name: string
  params: Map<string, string>
}

const TCHAR = /[!#$%&'*+\-.^_`|~0-9A-Za-z]/

/** The metrics of a Server-Timing field value, or a sentence saying where it is malformed. */
function parseServerTiming(value: string): Metric[] | string {
  let i = 0
  const ows = () => {
    while (value[i] === ' ' || value[i] === '\t') i++
  }
  const token = () => {
    const start = i
    while (i < value.length && TCHAR.test(value[i]!)) i++
    return value.slice(start, i)
  }
  const quoted = (): string | undefined => {
    let out = ''
    i++
    while (i < value.length) {
      const ch = value[i++]!
      if (ch === '"') return out
      if (ch === '\\') {
        if (i >= value.length) return undefined
        out += value[i++]
      } else out += ch
    }
    return undefined
  }
  const metrics: Metric[] = []
  for (;;) {
    ows()
    // `#rule` allows empty list elements: "a, , b".
    if (value[i] === ',') {
      i++
      continue
    }
    if (i >= value.length) break
    const name = token()
    if (!name) return `expected a metric name at character ${i + 1} of ${JSON.stringify(value)}`
    const params = new Map<string, string>()
    for (;;) {
      ows()
      if (value[i] !== ';') break
      i++
      ows()
      const param = token().toLowerCase()
      if (!param) return `expected a parameter name after ';' at character ${i + 1} of ${JSON.stringify(value)}`
      ows()
      if (value[i] !== '=') return `the parameter ${param} of ${name} has no '=' value in ${JSON.stringify(value)}`
      i++
      ows()
      const v = value[i] === '"' ? quoted() : token()
      if (v === undefined) return `an unterminated quoted string in ${JSON.stringify(value)}`
      if (!params.has(param)) params.set(param, v)
    }
    metrics.push({ name, params })
    ows()
    if (i >= value.length) break
    if (value[i] !== ',') return `unexpected ${JSON.stringify(value[i])} at character ${i + 1} of ${JSON.stringify(value)}`
    i++
  }
  return metrics
}

/** The `dur` of metric `name` in a reply's Server-Timing, failing the check with a reason. */
function duration(reply: Reply, name: string): number {
  const header = reply.headers['server-timing']
  expect(header, 'the dashboard must send a Server-Timing header').toBeTypeOf('string')
  const metrics = parseServerTiming(header!)
  if (typeof metrics === 'string') expect.fail(`Server-Timing is malformed: ${metrics}`)
  const named = metrics.filter((m) => m.name === name)
  expect(named.length, `Server-Timing must name the metric "${name}" exactly once: ${header}`).toBe(1)
  const dur = named[0]!.params.get('dur')
  expect(dur, `the metric "${name}" needs a dur parameter: ${header}`).toBeTypeOf('string')
  expect(/^[0-9]+(\.[0-9]+)?$/.test(dur!), `dur of "${name}" must be a number of milliseconds: ${header}`).toBe(true)
  return Number(dur)
}

function expectDuration(reply: Reply, name: string, want: number, why: string) {
  const got = duration(reply, name)
  expect(Math.abs(got - want), `${name};dur=${got} but ${why}: ${want} ms on the injected clock`).toBeLessThan(0.051)
}

// ---------------------------------------------------------------------------------------------
// Services that take fake time: a call started at t answers at t + latency on the injected
// clock. The spec drives them: it waits until the app has nothing left to do (every call it
// could start is started), then moves the clock to the earliest answer and delivers it.

interface Call {
  service: 'profiles' | 'billing'
  userId: number
  startedAt: number
  due: number
  answeredAt?: number
  /** How many calls had been started when this one answered. */
  startedBeforeAnswer?: number
  answer: () => void
}

interface World {
  rng: Rng
  clock: FakeClock
  probe: DatabaseProbe
  db: SqlDatabase
  statementMs: number
  calls: Call[]
  latency: { profiles: number; billing: number }
  userId: number
  profile: Profile
  plan: Plan
  /** The projects of the user, as the dashboard must show them. */
  projects: ProjectSummary[]
  /** Every project in the database (every owner). */
  allProjects: number
  arrived: () => void
}

const flush = async () => {
  for (let k = 0; k < 8; k++) await new Promise((resolve) => setImmediate(resolve))
}

/** Sends the request and plays the services' answers in fake time until the reply is there. */
async function drive(w: World, send: () => Promise<Reply>): Promise<Reply> {
  let settled = false
  const reply = send()
  const done = reply.then(
    () => (settled = true),
    () => (settled = true),
  )
  for (;;) {
    await flush()
    if (settled) return reply
    const pending = w.calls.filter((c) => c.answeredAt === undefined).sort((a, b) => a.due - b.due)
    const next = pending[0]
    if (next) {
      w.clock.set(Math.max(w.clock.now(), next.due))
      next.answeredAt = w.clock.now()
      next.startedBeforeAnswer = w.calls.length
      next.answer()
      continue
    }
    await Promise.race([done, new Promise<void>((resolve) => (w.arrived = resolve))])
  }
}

interface Shape {
  /** Projects of the user the dashboard is asked about. */
  projects: number
  /** Tasks per project of the user; random 0 to 5 where not given. */
  tasks?: number[]
}

async function world(shape: Shape): Promise<World> {
  const rng = random()
  const clock = fakeClock()
  const { db, probe } = await database()
  probe.exec(SCHEMA)

  const userId = rng.int(100, 999)
  const others = Array.from({ length: 5 }, (_, k) => userId + 1 + k * rng.int(1, 7))
  const owners = [...Array<number>(shape.projects).fill(userId), ...others.flatMap((o) => Array<number>(rng.int(6, 12)).fill(o))]
  const ids = rng.shuffle(owners.map((_, k) => 1000 + k * 11 + rng.int(1, 10)))
  const rows = owners.map((owner, k) => ({
    id: ids[k]!,
    owner,
    name: `${rng.word()} ${rng.word()}`,
    status: rng.pick(STATUSES),
    doc: `${rng.word(5, 9)} `.repeat(rng.int(DOC_MIN / 5, DOC_MIN / 3)),
  }))
  const mine = rows.filter((r) => r.owner === userId).sort((a, b) => a.id - b.id)
  let taskId = rng.int(1, 50)
  const tasks: [number, number, string, number][] = []
  const openOf = new Map<number, number>()
  for (const r of rows) {
    const n = r.owner === userId ? (shape.tasks?.[mine.indexOf(r)] ?? rng.int(0, 5)) : rng.int(1, 6)
    let open = 0
    for (let k = 0; k < n; k++) {
      const done = rng.next() < 0.4 ? 1 : 0
      open += 1 - done
      tasks.push([taskId, r.id, rng.word(), done])
      taskId += rng.int(1, 3)
    }
    openOf.set(r.id, open)
  }
  const quote = (t: string) => `'${t.replaceAll("'", "''")}'`
  for (const r of rng.shuffle(rows)) {
    probe.exec(`INSERT INTO projects VALUES (${r.id}, ${r.owner}, ${quote(r.name)}, ${quote(r.status)}, ${quote(r.doc)})`)
  }
  if (tasks.length) {
    probe.exec(`INSERT INTO tasks VALUES ${rng.shuffle(tasks).map(([id, p, t, d]) => `(${id}, ${p}, ${quote(t)}, ${d})`).join(', ')}`)
  }

  // Latencies at least 8 ms apart, so a + b, max(a, b) and min(a, b) all differ.
  const a = rng.int(20, 60)
  const latency = rng.next() < 0.5 ? { profiles: a, billing: a + rng.int(8, 40) } : { profiles: a + rng.int(8, 40), billing: a }
  const w: World = {
    rng,
    clock,
    probe,
    db,
    statementMs: rng.int(2, 5),
    calls: [],
    latency,
    userId,
    profile: { id: userId, name: `${rng.word()} ${rng.word()}` },
    plan: { name: rng.pick(['free', 'team', 'enterprise']), seats: rng.int(1, 200) },
    projects: mine.map((r) => ({ id: r.id, name: r.name, status: r.status, openTasks: openOf.get(r.id)! })),
    allProjects: rows.length,
    arrived: () => {},
  }
  return w
}

/** The app's database: each statement costs `statementMs` on the fake clock, a round trip. */
function timedDb(w: World): SqlDatabase {
  const cost = <R>(work: () => R): R => {
    w.clock.advance(w.statementMs)
    return work()
  }
  return {
    exec: (sql) => cost(() => w.db.exec(sql)),
    all: (sql, params) => cost(() => w.db.all(sql, params)),
    get: (sql, params) => cost(() => w.db.get(sql, params)),
    run: (sql, params) => cost(() => w.db.run(sql, params)),
  }
}

function appFor(w: World) {
  const call = <T>(service: Call['service'], userId: number, value: () => T) =>
    new Promise<T>((resolve) => {
      const startedAt = w.clock.now()
      w.calls.push({ service, userId, startedAt, due: startedAt + w.latency[service], answer: () => resolve(value()) })
      w.arrived()
    })
  const app = build(createApp, {
    db: timedDb(w),
    profiles: { get: (id: number) => call('profiles', id, () => (id === w.userId ? { ...w.profile } : undefined)) },
    billing: { plan: (id: number) => call('billing', id, () => ({ ...w.plan })) },
    now: w.clock.now,
  })
  w.probe.clear()
  return client(app)
}

/** GET the user's dashboard, with the services played in fake time. */
async function dashboard(w: World, api = appFor(w), userId = w.userId) {
  w.calls.length = 0
  w.probe.clear()
  const reply = await drive(w, () => api.get(`/api/dashboard/${userId}`))
  return { reply, statements: w.probe.statements(), summary: w.probe.summary() }
}

const pick = (p: Record<string, unknown>) => ({ id: p.id, name: p.name, status: p.status, openTasks: p.openTasks })

/** The user, the plan and the projects' four members, as the dashboard must show them. */
function expectDashboard(w: World, reply: Reply) {
  expect(reply, `GET /api/dashboard/${w.userId}`).toHaveStatus(200)
  const body = reply.body as { user: unknown; plan: unknown; projects: Record<string, unknown>[] }
  expect(body.user, 'user: what the profile service answered').toEqual(w.profile)
  expect(body.plan, 'plan: what the billing service answered').toEqual(w.plan)
  expect(Array.isArray(body.projects), 'projects must be an array').toBe(true)
  expect(body.projects.map(pick), 'the user\'s projects in id order, each with its open task count').toEqual(w.projects)
}

/** Every plan line that reads a table from end to end (or builds a throwaway index on it). */
function scans(probe: DatabaseProbe, sql: string, params: unknown): string[] {
  const plan = probe.plan(sql, params as never)
  const derived = new Set(plan.flatMap((line) => /^(?:MATERIALIZE|CO-ROUTINE) (\S+)/.exec(line)?.slice(1) ?? []))
  return plan.filter((line) => {
    if (/AUTOMATIC/.test(line)) return true
    const scan = /^SCAN (\S+)/.exec(line)
    if (!scan) return false
    return !(scan[1] === 'CONSTANT' || / VIRTUAL TABLE/.test(line) || derived.has(scan[1]!))
  })
}

const reads = <S extends { sql: string }>(statements: readonly S[]) => statements.filter((s) => /^\s*(SELECT|WITH)\b/i.test(s.sql))

describe('slow-endpoint-profiling', () => {
  task(1, 'Measure each phase with Server-Timing', () => {
    it('answers the dashboard: the user, the plan, the projects with their open task counts', async () => {
      const w = await world({ projects: 6 })
      const { reply } = await dashboard(w)
      expectDashboard(w, reply)
    })

    it('answers 404 for a user the profile service does not know, and for an id that is not digits', async () => {
      const w = await world({ projects: 2 })
      const api = appFor(w)
      const unknown = await dashboard(w, api, w.userId + 1000)
      expect(unknown.reply, 'a user the profile service answers undefined for').toHaveStatus(404)
      expect(unknown.reply).toHaveJsonBody(expect.objectContaining({ error: 'not_found' }))
      // Ten digits is one more than an id may have: refused before any service is called.
      const tooLong = `/api/dashboard/${String(w.userId).padStart(10, '1')}`
      for (const path of ['/api/dashboard/abc', `/api/dashboard/${w.userId}x`, '/api/dashboard/-1', tooLong]) {
        w.calls.length = 0
        const reply = await drive(w, () => api.get(path))
        expect(reply, `GET ${path}`).toHaveStatus(404)
        expect(w.calls.length, `GET ${path} is not an id: no service is called`).toBe(0)
      }
    })

    it('times the upstream phase from the first call to the last answer, on the injected clock', async () => {
      const w = await world({ projects: 4 })
      const { reply } = await dashboard(w)
      expect(reply).toHaveStatus(200)
      expect(w.calls.length, 'one call to each service').toBe(2)
      const start = Math.min(...w.calls.map((c) => c.startedAt))
      const end = Math.max(...w.calls.map((c) => c.answeredAt!))
      expectDuration(reply, 'upstream', end - start, 'the services were out from the first call to the last answer')
    })

    it('times the db phase: every statement of the request, on the injected clock', async () => {
      const w = await world({ projects: 5 })
      const { reply, statements } = await dashboard(w)
      expect(reply).toHaveStatus(200)
      expectDuration(reply, 'db', statements.length * w.statementMs, `the request ran ${statements.length} statements of ${w.statementMs} ms each`)
    })

    it('measures each request on its own, with other latencies and costs', async () => {
      const w = await world({ projects: 3 })
      const api = appFor(w)
      for (let round = 0; round < 3; round++) {
        w.latency = { profiles: w.rng.int(10, 90), billing: w.rng.int(10, 90) }
        w.statementMs = w.rng.int(1, 9)
        w.clock.advance(w.rng.int(1000, 90_000))
        const { reply, statements } = await dashboard(w, api)
        const start = Math.min(...w.calls.map((c) => c.startedAt))
        const end = Math.max(...w.calls.map((c) => c.answeredAt!))
        expectDuration(reply, 'upstream', end - start, `request ${round + 1}: from the first call to the last answer`)
        expectDuration(reply, 'db', statements.length * w.statementMs, `request ${round + 1}: ${statements.length} statements of ${w.statementMs} ms`)
      }
    })
  })

  task(2, 'Call the services in parallel', () => {
    it('starts both service calls before either has answered', async () => {
      const w = await world({ projects: 3 })
      const { reply } = await dashboard(w)
      expect(reply).toHaveStatus(200)
      const first = [...w.calls].sort((a, b) => a.answeredAt! - b.answeredAt!)[0]!
      expect(first.startedBeforeAnswer, `only ${first.startedBeforeAnswer} call(s) had started when ${first.service} answered: the second waits for the first`).toBe(2)
      expect(new Set(w.calls.map((c) => c.userId)), 'both services are asked about the user').toEqual(new Set([w.userId]))
    })

    it('the upstream phase lasts max(profile, billing), whichever is slower', async () => {
      const w = await world({ projects: 3 })
      const api = appFor(w)
      for (const [profiles, billing] of [[w.rng.int(40, 60), w.rng.int(10, 30)], [w.rng.int(10, 30), w.rng.int(40, 60)]] as const) {
        w.latency = { profiles, billing }
        const { reply } = await dashboard(w, api)
        expectDuration(reply, 'upstream', Math.max(profiles, billing), `the profile service takes ${profiles} ms and billing ${billing} ms, side by side`)
      }
    })

    it('still answers 404 for a user the profile service does not know', async () => {
      const w = await world({ projects: 1 })
      const { reply } = await dashboard(w, appFor(w), w.userId + 1)
      expect(reply).toHaveStatus(404)
      expect(reply).toHaveJsonBody(expect.objectContaining({ error: 'not_found' }))
    })
  })

  task(3, 'Count open tasks in one query', () => {
    it('runs at most 2 statements for 1, 12 and 40 projects', async () => {
      for (const n of [1, 12, 40]) {
        const w = await world({ projects: n })
        const { reply, statements, summary } = await dashboard(w)
        expectDashboard(w, reply)
        expect(statements.length, `statements for a user with ${n} projects. ${summary}`).toBeLessThanOrEqual(2)
      }
    })

    it('counts only open tasks, and 0 for a project without any', async () => {
      const w = await world({ projects: 6, tasks: [0, 7, 0, 4, 9, 1] })
      const { reply } = await dashboard(w)
      expectDashboard(w, reply)
      expect(w.projects.some((p) => p.openTasks === 0), 'the spec seeded projects with no open task').toBe(true)
    })

    it('binds the project ids and reads only this user\'s projects\' tasks', async () => {
      const w = await world({ projects: 8 })
      const { reply, statements } = await dashboard(w)
      expectDashboard(w, reply)
      const budget = w.projects.length + w.projects.reduce((n, p) => n + p.openTasks, 0)
      for (const { sql, params } of reads(statements)) {
        for (const { id } of w.projects) {
          expect(new RegExp(`\\b${id}\\b`).test(sql), `the project id ${id} is pasted into the SQL text: ${sql}`).toBe(false)
        }
        const rows = w.probe.query(sql, params as never).length
        expect(rows, `this statement returns ${rows} rows for a user with ${w.projects.length} projects (${w.allProjects} in the table): ${sql}`).toBeLessThanOrEqual(budget)
      }
    })

    it('answers "projects": [] for a user without projects, and sends no IN ()', async () => {
      const w = await world({ projects: 0 })
      const { reply, statements } = await dashboard(w)
      expectDashboard(w, reply)
      for (const { sql } of statements) {
        expect(/\bIN\s*\(\s*\)/i.test(sql), `an empty IN list is a syntax error on PostgreSQL: ${sql}`).toBe(false)
      }
    })
  })

  task(4, 'Index the project filter', () => {
    it('createApp adds an index that serves the owner filter', async () => {
      const w = await world({ projects: 3 })
      appFor(w)
      const plan = w.probe.plan('SELECT id, name FROM projects WHERE owner_id = ?', [w.userId]).join(' / ')
      expect(plan, 'EXPLAIN QUERY PLAN SELECT id, name FROM projects WHERE owner_id = ? after createApp').toMatch(/^SEARCH projects USING (COVERING )?INDEX \S+ \(owner_id=\?/)
    })

    it('no statement of the dashboard scans a table', async () => {
      const w = await world({ projects: 10 })
      const { reply, statements } = await dashboard(w)
      expectDashboard(w, reply)
      for (const { sql, params } of reads(statements)) {
        const bad = scans(w.probe, sql, params)
        expect(bad, `EXPLAIN QUERY PLAN of ${sql.replace(/\s+/g, ' ')}\nreads a whole table: ${bad.join(' / ')}`).toEqual([])
      }
    })

    it('a second app on the same database starts and answers', async () => {
      const w = await world({ projects: 2 })
      appFor(w)
      let second
      try {
        second = appFor(w)
      } catch (error) {
        expect.fail(`createApp failed on a database that already has your index (IF NOT EXISTS?): ${(error as Error).message}`)
      }
      const { reply } = await dashboard(w, second)
      expectDashboard(w, reply)
    })
  })

  task(5, 'Select only what you send', () => {
    it('answers exactly { user, plan, projects: [{ id, name, status, openTasks }] }', async () => {
      const w = await world({ projects: 5 })
      const { reply } = await dashboard(w)
      expect(reply).toHaveStatus(200)
      expect(reply, 'no member the dashboard does not show (design_doc, owner_id)').toHaveJsonBody({ user: w.profile, plan: w.plan, projects: w.projects })
    })

    it('no statement reads the design_doc column', async () => {
      const w = await world({ projects: 6 })
      const { reply, statements } = await dashboard(w)
      expectDashboard(w, reply)
      for (const { sql, params } of reads(statements)) {
        const rows = w.probe.query<Record<string, unknown>>(sql, params as never)
        const big = rows.flatMap((r) => Object.entries(r)).find(([, v]) => typeof v === 'string' && v.length >= DOC_MIN / 2)
        expect(big?.[0], `this statement reads the design documents (${DOC_MIN}+ characters each): ${sql.replace(/\s+/g, ' ')}`).toBeUndefined()
        expect(/design_doc/i.test(sql), `this statement names design_doc: ${sql}`).toBe(false)
      }
    })
  })
})
