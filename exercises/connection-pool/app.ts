import { Hono } from 'hono'

/** A row as the driver returns it: column name to value. */
export type Row = Record<string, unknown>

/** One open database connection (a socket to the server, in a real driver). */
export interface Connection {
  /** Runs one statement. Rejects with an error whose `fatal` is `true` when the connection died. */
  query(sql: string, params?: readonly unknown[]): Promise<Row[]>
  /** Closes the connection for good. */
  close(): Promise<void>
}

/** Opens connections: slow (a TCP and TLS handshake, authentication) and able to fail. */
export interface Driver {
  connect(): Promise<Connection>
}

/** Timers, injected so that a test can move time on without waiting (like `setTimeout`). */
export interface Scheduler {
  setTimeout(callback: () => void, ms: number): unknown
  clearTimeout(handle: unknown): void
}

export interface PoolStats {
  /** Connections open or being opened. */
  total: number
  /** Open connections nobody holds. */
  idle: number
  /** Connections held by a request (or being opened for one): `total - idle`. */
  inUse: number
  /** Acquires queued until a connection is free. */
  waiting: number
}

/** A borrowed connection. */
export interface Lease {
  /** Runs a statement on the borrowed connection; rejects once the lease is released. */
  query(sql: string, params?: readonly unknown[]): Promise<Row[]>
  /** Gives the connection back. Calling it again does nothing. */
  release(): void
}

export interface Pool {
  /** A connection: an idle one, a new one while fewer than `max` exist, or the next one freed. */
  acquire(): Promise<Lease>
  stats(): PoolStats
}

export interface PoolOptions {
  driver: Driver
  /** The most connections open (or being opened) at once: an integer >= 1. */
  max: number
  /** How long an acquire may wait in the queue, in ms, before it fails with PoolTimeoutError. */
  acquireTimeoutMs: number
  scheduler: Scheduler
}

export interface AppOptions extends PoolOptions {
  /** The Retry-After (whole seconds) of a 503. */
  retryAfterSeconds: number
}

/** An acquire waited `acquireTimeoutMs` in the queue without getting a connection. */
export class PoolTimeoutError extends Error {
  override name = 'PoolTimeoutError'
}

/** The query every user lookup runs. */
export const USER_BY_ID = 'SELECT id, name FROM users WHERE id = ?'

export function createPool(options: PoolOptions): Pool {
  const { driver } = options

  // TODO (task 1): keep the connections in the pool: hand out an idle one when there is one,
  //       open a new one (options.driver.connect()) only when none is idle, and put it back
  //       on release instead of leaving it open and forgotten.
  // TODO (task 2): never more than options.max connections, those being opened included; past
  //       that, queue the acquire and hand the next released connection to the first in line.
  // TODO (task 3): a queued acquire fails with PoolTimeoutError after options.acquireTimeoutMs,
  //       timed with options.scheduler (never the global setTimeout); cancel the timer of an
  //       acquire that gets its connection.
  // TODO (task 4): release() works once; later calls do nothing. A released lease's query rejects.
  // TODO (task 5): a connection whose query rejected with `fatal: true` is closed on release,
  //       not handed out again; a failed connect gives its place back.
  return {
    async acquire() {
      const connection = await driver.connect()
      return {
        query: (sql, params) => connection.query(sql, params),
        release() {},
      }
    },
    stats() {
      return { total: 0, idle: 0, inUse: 0, waiting: 0 }
    },
  }
}

export function createApp(options: AppOptions) {
  const pool = createPool(options)
  const app = new Hono()

  app.get('/api/pool', (c) => c.json(pool.stats()))

  app.get('/api/users/:id', async (c) => {
    const raw = c.req.param('id')
    if (!/^\d+$/.test(raw)) return c.json({ error: 'not_found' }, 404)

    // TODO (task 3): an acquire that fails answers 503 with Retry-After: options.retryAfterSeconds,
    //       { "error": "pool_timeout" } for a PoolTimeoutError, { "error": "database_unavailable" }
    //       for a failed connect.
    const lease = await pool.acquire()
    // TODO (task 4): give the connection back whatever happens: found, not found, or a throw.
    const rows = await lease.query(USER_BY_ID, [Number(raw)])
    const user = rows[0]
    if (!user) return c.json({ error: 'not_found' }, 404)
    lease.release()
    return c.json({ id: user.id, name: user.name })
  })

  return app
}
