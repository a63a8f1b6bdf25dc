// A real SQL database for data lessons: SQLite compiled to WebAssembly (sql.js), in memory, one
// fresh database per call, closed after the check. The app gets `db`, a small synchronous driver
// in the shape of better-sqlite3 and node:sqlite (`exec`, `all`, `get`, `run`); the spec keeps
// `probe`, which records every statement the app ran, can make a chosen statement fail, and
// reads the database behind the app's back without being counted. The recording lives in this
// module's closures, not on the object the app holds, so an app cannot rewrite its own count.
import initSqlJs, { type Database, type SqlJsStatic, type Statement } from 'sql.js'

/** A value SQLite can bind or return. Booleans are stored as 1 and 0. */
export type SqlValue = string | number | boolean | null | Uint8Array
/** Positional (`?`) values, or named ones keyed with their prefix: `{ ':id': 7 }` or `{ $id: 7 }`. */
export type SqlParams = readonly SqlValue[] | Readonly<Record<string, SqlValue>>
export type Row = Record<string, SqlValue>

/** The driver an app receives through `createApp({ db })`. */
export interface SqlDatabase {
  /** Runs one or more statements without parameters: schema, migrations, BEGIN/COMMIT. */
  exec(sql: string): void
  /** Runs one statement and returns every row as an object keyed by column name. */
  all<T = Row>(sql: string, params?: SqlParams): T[]
  /** Runs one statement and returns its first row, or undefined when there is none. */
  get<T = Row>(sql: string, params?: SqlParams): T | undefined
  /** Runs one statement that changes data. */
  run(sql: string, params?: SqlParams): { changes: number; lastInsertRowid: number }
}

/** One statement the app ran, as the spec sees it. */
export interface RecordedStatement {
  sql: string
  params: SqlParams | undefined
}

/** The spec's side of a database. */
export interface DatabaseProbe {
  /** Every statement the app ran since the database was made (or since `clear()`), in order. */
  statements(): readonly RecordedStatement[]
  /** How many statements the app ran since the database was made (or since `clear()`). */
  count(): number
  /** Forgets the statements recorded so far, e.g. after the app's migrations. */
  clear(): void
  /** The statements, grouped by text, for a failure message: "3 statements: 2 × SELECT ...". */
  summary(): string
  /** Makes the `nth` statement from now (1 = the next one) throw `error` instead of running. */
  failAt(nth: number, error?: Error): void
  /** Makes the `nth` statement from now whose SQL matches `pattern` throw instead of running. */
  failWhen(pattern: RegExp, nth?: number, error?: Error): void
  /** The spec's own query, not recorded and never failed on purpose. */
  query<T = Row>(sql: string, params?: SqlParams): T[]
  /** The spec's own statements (seed data, schema), not recorded. */
  exec(sql: string): void
  /** The `detail` column of `EXPLAIN QUERY PLAN` for a statement, e.g. "SEARCH books USING INDEX ...". */
  plan(sql: string, params?: SqlParams): string[]
}

/** Thrown by the driver; `code` follows better-sqlite3 (`SQLITE_CONSTRAINT_UNIQUE`...). */
export class SqliteError extends Error {
  constructor(
    message: string,
    readonly code: string,
  ) {
    super(message)
    this.name = 'SqliteError'
  }
}

let sqlJs: Promise<SqlJsStatic> | undefined
const open = new Set<Database>()

/**
 * Starts compiling SQLite's WebAssembly in the background (the setup file calls it when a worker
 * starts), so the first check that asks for a database does not spend its time limit on it.
 */
export function warmDatabase(): void {
  sqlJs ??= initSqlJs()
  // A failure here is reported by the first database() call, not as an unhandled rejection.
  sqlJs.catch(() => {})
}

/** A fresh in-memory SQLite database: `db` for the app, `probe` for the spec. */
export async function database(): Promise<{ db: SqlDatabase; probe: DatabaseProbe }> {
  sqlJs ??= initSqlJs()
  const raw = new (await sqlJs).Database()
  open.add(raw)
  raw.exec('PRAGMA foreign_keys = ON')

  let recorded: RecordedStatement[] = []
  const failures: { pattern: RegExp | undefined; remaining: number; error: Error }[] = []

  const injected = (sql: string): Error | undefined => {
    for (const [i, failure] of failures.entries()) {
      if (failure.pattern && !failure.pattern.test(sql)) continue
      if (--failure.remaining > 0) continue
      failures.splice(i, 1)
      return failure.error
    }
    return undefined
  }

  /** Records one statement, fails it if the spec asked for that, then runs it. */
  const counted = <R>(sql: string, params: SqlParams | undefined, work: () => R): R => {
    recorded.push({ sql: sql.trim(), params: params === undefined ? undefined : copyParams(params) })
    const error = injected(sql)
    if (error) throw error
    return translated(work)
  }

  const db: SqlDatabase = Object.freeze({
    exec(sql: string) {
      // The iterator prepares one statement at a time and frees the one before: a failing
      // statement stops the script there, as sqlite3_exec does.
      translated(() => {
        for (const statement of raw.iterateStatements(sql)) {
          counted(statement.getSQL(), undefined, () => {
            while (statement.step());
          })
        }
      })
    },
    all<T>(sql: string, params?: SqlParams): T[] {
      return counted(sql, params, () => rows<T>(raw, sql, params))
    },
    get<T>(sql: string, params?: SqlParams): T | undefined {
      return counted(sql, params, () => rows<T>(raw, sql, params, 1)[0])
    },
    run(sql: string, params?: SqlParams) {
      return counted(sql, params, () => {
        rows(raw, sql, params)
        return { changes: raw.getRowsModified(), lastInsertRowid: lastInsertRowid(raw) }
      })
    },
  })

  const probe: DatabaseProbe = {
    statements: () => [...recorded],
    count: () => recorded.length,
    clear: () => {
      recorded = []
    },
    summary: () => summarise(recorded),
    failAt: (nth, error = injectedError()) => {
      failures.push({ pattern: undefined, remaining: nth, error })
    },
    failWhen: (pattern, nth = 1, error = injectedError()) => {
      failures.push({ pattern, remaining: nth, error })
    },
    query: <T>(sql: string, params?: SqlParams) => translated(() => rows<T>(raw, sql, params)),
    exec: (sql) => translated(() => raw.exec(sql)),
    plan: (sql, params) =>
      translated(() => rows<{ detail: string }>(raw, `EXPLAIN QUERY PLAN ${sql}`, params).map((r) => r.detail)),
  }
  return { db, probe }
}

/** Closes every database the check made (called after each check by the setup file). */
export function closeDatabases(): void {
  for (const raw of open) raw.close()
  open.clear()
}

function injectedError(): Error {
  return new SqliteError('disk I/O error (injected by the grader)', 'SQLITE_IOERR')
}

/** Prepares `sql`, which must be exactly one statement, binds `params` and reads up to `limit` rows. */
function rows<T>(raw: Database, sql: string, params: SqlParams | undefined, limit = Infinity): T[] {
  const statements = raw.iterateStatements(sql)
  const first = statements.next()
  if (first.done) throw new SqliteError('the SQL string holds no statement', 'SQLITE_MISUSE')
  const statement: Statement = first.value
  try {
    // Like better-sqlite3: a second statement smuggled after the first is refused, not ignored.
    const rest = statements.getRemainingSQL().replace(/--[^\n]*|\/\*[\s\S]*?\*\//g, '').trim()
    if (rest !== '') {
      throw new SqliteError('the SQL string holds more than one statement; run one at a time (exec runs scripts)', 'SQLITE_MISUSE')
    }
    if (params !== undefined) statement.bind(params as never)
    const out: T[] = []
    while (out.length < limit && statement.step()) out.push(statement.getAsObject() as T)
    return out
  } finally {
    // Frees the statement and the iterator's copy of the SQL (sql.js types omit `return`).
    ;(statements as unknown as { return(): void }).return()
  }
}

function lastInsertRowid(raw: Database): number {
  return Number(raw.exec('SELECT last_insert_rowid()')[0]?.values[0]?.[0] ?? 0)
}

const CODES: [RegExp, string][] = [
  [/^UNIQUE constraint failed/, 'SQLITE_CONSTRAINT_UNIQUE'],
  [/^CHECK constraint failed/, 'SQLITE_CONSTRAINT_CHECK'],
  [/^NOT NULL constraint failed/, 'SQLITE_CONSTRAINT_NOTNULL'],
  [/^FOREIGN KEY constraint failed/, 'SQLITE_CONSTRAINT_FOREIGNKEY'],
  [/constraint failed/, 'SQLITE_CONSTRAINT'],
  [/syntax error|no such (table|column)|incomplete input|unrecognized token/, 'SQLITE_ERROR'],
]

/** sql.js throws plain Errors; give them the code a Node SQLite driver would. */
function translated<R>(work: () => R): R {
  try {
    return work()
  } catch (error) {
    if (error instanceof SqliteError || !(error instanceof Error)) throw error
    const code = CODES.find(([pattern]) => pattern.test(error.message))?.[1] ?? 'SQLITE_ERROR'
    throw new SqliteError(error.message, code)
  }
}

function copyParams(params: SqlParams): SqlParams {
  return Array.isArray(params) ? [...params] : { ...(params as Record<string, SqlValue>) }
}

function summarise(statements: readonly RecordedStatement[]): string {
  const counts = new Map<string, number>()
  for (const { sql } of statements) {
    const text = sql.replace(/\s+/g, ' ')
    counts.set(text, (counts.get(text) ?? 0) + 1)
  }
  const lines = [...counts].map(([sql, n]) => `  ${n} × ${sql.length > 120 ? `${sql.slice(0, 120)}…` : sql}`)
  const shown = lines.slice(0, 12)
  if (lines.length > shown.length) shown.push(`  … and ${lines.length - shown.length} more distinct statements`)
  return [`${statements.length} statement${statements.length === 1 ? '' : 's'}:`, ...shown].join('\n')
}
