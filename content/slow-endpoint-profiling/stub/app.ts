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

// Run once by createApp.
// TODO (task 4): EXPLAIN QUERY PLAN the projects query: it reads the whole table. Add the index
//       its WHERE clause needs here (IF NOT EXISTS: a second app on the same database).
const MIGRATION = `
  CREATE INDEX IF NOT EXISTS tasks_project ON tasks (project_id);
`

// This endpoint answers correctly, and slowly: it waits for one service before it calls the
// other, asks the database once per project, reads a whole table to find one owner's projects,
// and reads (and sends) a large column that nobody shows.
export function createApp(options: DashboardOptions) {
  const { db, profiles, billing } = options
  const now = options.now ?? (() => performance.now())
  db.exec(MIGRATION)

  const app = new Hono()

  app.get('/api/dashboard/:userId', async (c) => {
    const param = c.req.param('userId')
    if (!DIGITS.test(param)) return c.json({ error: 'not_found' }, 404)
    const userId = Number(param)

    // TODO (task 1): measure the service calls and the database work with now(), and send both
    //       durations in a Server-Timing header: `db;dur=<ms>, upstream;dur=<ms>`.
    void now

    // TODO (task 2): the two calls are independent. Start both, then wait for both.
    const user = await profiles.get(userId)
    const plan = await billing.plan(userId)
    if (!user) return c.json({ error: 'not_found' }, 404)

    // TODO (task 5): read only the columns the response carries, and send only those.
    const rows = db.all<Record<string, SqlValue>>(
      'SELECT * FROM projects WHERE owner_id = ? ORDER BY id',
      [userId],
    )
    // TODO (task 3): one statement for the counts of every project, not one per project.
    const projects = rows.map((row) => {
      const open = db.get<{ n: number }>(
        'SELECT count(*) AS n FROM tasks WHERE project_id = ? AND done = 0',
        [row.id as number],
      )!
      return { ...row, openTasks: open.n }
    })

    return c.json({ user, plan, projects })
  })

  return app
}
