import { Hono } from 'hono'

/** A value SQLite can bind or return. */
export type SqlValue = string | number | boolean | null | Uint8Array
/** Positional values for `?` placeholders, or named ones keyed with their prefix (`{ ':id': 7 }`). */
export type SqlParams = readonly SqlValue[] | Readonly<Record<string, SqlValue>>

/** The database driver, in the shape of better-sqlite3 and node:sqlite. */
export interface SqlDatabase {
  /** Runs one or more statements without parameters (schema, scripts). */
  exec(sql: string): void
  /** Runs one statement and returns every row. */
  all<T = Record<string, SqlValue>>(sql: string, params?: SqlParams): T[]
  /** Runs one statement and returns its first row, or undefined. */
  get<T = Record<string, SqlValue>>(sql: string, params?: SqlParams): T | undefined
  /** Runs one statement that changes data. */
  run(sql: string, params?: SqlParams): { changes: number; lastInsertRowid: number }
}

/** What the profile service knows about a user. */
export interface Profile {
  id: number
  name: string
}

/** What the billing service knows about a user's subscription. */
export interface Plan {
  name: string
  seats: number
}

export interface DashboardOptions {
  /** The database; `projects` and `tasks` exist already and hold data (see the README). */
  db: SqlDatabase
  /** The profile service: a network call, undefined for a user it does not know. */
  profiles: { get(userId: number): Promise<Profile | undefined> }
  /** The billing service: a network call, independent of the profile service. */
  billing: { plan(userId: number): Promise<Plan> }
  /** The clock every duration is measured with, in milliseconds. */
  now?: () => number
}

/** A project as the dashboard answers it. */
export interface ProjectSummary {
  id: number
  name: string
  status: string
  openTasks: number
}

const DIGITS = /^[0-9]{1,9}$/

// Run once by createApp. `IF NOT EXISTS`: a second app on the same database must not fail.
// The dashboard filters projects by owner; without this index every request reads the whole
// table (EXPLAIN QUERY PLAN said `SCAN projects`). Entries of an index on owner_id end with the
// rowid, so one owner's projects come out of it already in id order: no sort either.
const MIGRATION = `
  CREATE INDEX IF NOT EXISTS tasks_project ON tasks (project_id);
  CREATE INDEX IF NOT EXISTS projects_owner ON projects (owner_id);
`

/** Durations of named phases, measured with the injected clock, as one Server-Timing value. */
function phases(now: () => number) {
  const metrics: string[] = []
  return {
    /** Times a synchronous piece of work. */
    sync<T>(name: string, work: () => T): T {
      const start = now()
      try {
        return work()
      } finally {
        metrics.push(`${name};dur=${now() - start}`)
      }
    },
    /** Times a promise from the moment it was started (the caller starts it right here). */
    async async<T>(name: string, desc: string, work: () => Promise<T>): Promise<T> {
      const start = now()
      try {
        return await work()
      } finally {
        metrics.push(`${name};dur=${now() - start};desc="${desc}"`)
      }
    },
    header: () => metrics.join(', '),
  }
}

/**
 * The owner's projects and their open task counts in one statement: the index finds the
 * projects, a correlated subquery counts each one's open tasks through tasks_project. Only the
 * columns the response carries are read: design_doc is large and nobody sends it.
 */
function projectsOf(db: SqlDatabase, ownerId: number): ProjectSummary[] {
  return db.all<ProjectSummary>(
    `SELECT p.id, p.name, p.status,
            (SELECT count(*) FROM tasks t WHERE t.project_id = p.id AND t.done = 0) AS openTasks
       FROM projects p
      WHERE p.owner_id = ?
      ORDER BY p.id`,
    [ownerId],
  )
}

export function createApp(options: DashboardOptions) {
  const { db, profiles, billing } = options
  // Every duration comes from this one clock: the injected one in tests, a monotonic one in
  // production (performance.now() never jumps back when the wall clock is corrected).
  const now = options.now ?? (() => performance.now())
  db.exec(MIGRATION)

  const app = new Hono()

  app.get('/api/dashboard/:userId', async (c) => {
    const param = c.req.param('userId')
    if (!DIGITS.test(param)) return c.json({ error: 'not_found' }, 404)
    const userId = Number(param)
    const timing = phases(now)

    // The two services do not need each other's answer: start both, then wait for both.
    // Awaiting one before starting the other makes the phase last a + b instead of max(a, b).
    const upstream = timing.async('upstream', 'profile, billing', () =>
      Promise.all([profiles.get(userId), billing.plan(userId)]),
    )
    // The database work runs while the services are out (it needs only the id).
    const projects = timing.sync('db', () => projectsOf(db, userId))
    const [user, plan] = await upstream

    if (!user) return c.json({ error: 'not_found' }, 404)
    c.header('Server-Timing', timing.header())
    return c.json({ user, plan, projects })
  })

  return app
}
