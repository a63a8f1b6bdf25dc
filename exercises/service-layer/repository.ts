// The repository layer: one interface for "where profiles are kept", several implementations
// behind it. Each one hides a source's details (SQL, an HTTP API's shape and status codes) and
// speaks only in Profiles, so the service above never knows which source answered.

export type SqlValue = string | number | null
/** The part of the database driver (better-sqlite3's shape) this repository uses. */
export interface SqlDatabase {
  get<T>(sql: string, params?: readonly SqlValue[]): T | undefined
  run(sql: string, params?: readonly SqlValue[]): { changes: number }
}

export interface Profile {
  username: string
  displayName: string
  bio: string
  /** Where the profile was read from: our database, or the legacy directory. */
  source: 'local' | 'directory'
}

/** What the service asks to store: a profile without its source (a write is always local). */
export interface ProfileInput {
  username: string
  displayName: string
  bio: string
}

export interface ProfileRepository {
  /** The profile, or null when this repository has none. */
  find(username: string): Promise<Profile | null>
  /** Stores the profile (insert or update) and returns it as stored. */
  save(input: ProfileInput): Promise<Profile>
  /** Deletes the profile; false when there was none. */
  remove(username: string): Promise<boolean>
}

/** A source that could not answer (down, timed out, 5xx): not the same as "no such profile". */
export class SourceUnavailableError extends Error {
  override name = 'SourceUnavailableError'
}

/** Profiles in our own database: the system of record, and the only place writes go. */
export function createDbProfileRepository(db: SqlDatabase): ProfileRepository {
  // TODO (task 1): find reads one row of `profiles` (see the README for the table) and maps it
  // to a Profile with source 'local'.
  // TODO (task 5): save inserts or updates the row; remove deletes it (false when none).
  void db
  return {
    find: async () => null,
    save: async () => {
      throw new Error('TODO')
    },
    remove: async () => false,
  }
}

/** The legacy directory over HTTP (read-only). */
export function createDirectoryProfileRepository(
  fetch: typeof globalThis.fetch,
  baseUrl: string,
): ProfileRepository {
  // TODO (task 2): find asks GET <baseUrl>/users/<username>: 200 is a user to map, 404 is null,
  // anything else (or a fetch that throws) is a SourceUnavailableError.
  void fetch
  void baseUrl
  return {
    find: async () => null,
    save: async () => {
      throw new Error('the directory is read-only')
    },
    remove: async () => {
      throw new Error('the directory is read-only')
    },
  }
}

/** Reads from `primary`, and only when it has nothing, from `fallback`; writes go to `primary`. */
export function withFallback(
  primary: ProfileRepository,
  fallback: ProfileRepository,
): ProfileRepository {
  // TODO (task 2)
  void fallback
  return primary
}
