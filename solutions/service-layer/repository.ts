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

interface ProfileRow {
  username: string
  display_name: string
  bio: string
}

/** Profiles in our own database: the system of record, and the only place writes go. */
export function createDbProfileRepository(db: SqlDatabase): ProfileRepository {
  const toProfile = (row: ProfileRow): Profile => ({
    username: row.username,
    displayName: row.display_name,
    bio: row.bio,
    source: 'local',
  })
  return {
    async find(username) {
      const row = db.get<ProfileRow>(
        'SELECT username, display_name, bio FROM profiles WHERE username = ?',
        [username],
      )
      return row ? toProfile(row) : null
    },
    async save({ username, displayName, bio }) {
      db.run(
        `INSERT INTO profiles (username, display_name, bio) VALUES (?, ?, ?)
         ON CONFLICT (username) DO UPDATE SET display_name = excluded.display_name, bio = excluded.bio`,
        [username, displayName, bio],
      )
      return { username, displayName, bio, source: 'local' }
    },
    async remove(username) {
      return db.run('DELETE FROM profiles WHERE username = ?', [username]).changes > 0
    },
  }
}

/** The legacy directory's own shape, which stops here (the rest of the app never sees it). */
interface DirectoryUser {
  login: string
  name: string
  about: string | null
}

/**
 * The legacy directory over HTTP: read-only, so save and remove refuse. A 404 means "no such
 * user"; anything else that is not a 200 (or a request that throws) means "cannot tell", which
 * must not be mistaken for a 404 and cached as one.
 */
export function createDirectoryProfileRepository(
  fetch: typeof globalThis.fetch,
  baseUrl: string,
): ProfileRepository {
  const base = baseUrl.replace(/\/+$/, '')
  return {
    async find(username) {
      let res: Response
      try {
        res = await fetch(`${base}/users/${encodeURIComponent(username)}`, {
          headers: { Accept: 'application/json' },
        })
      } catch (error) {
        throw new SourceUnavailableError('the directory did not answer', { cause: error })
      }
      if (res.status === 404) return null
      if (res.status !== 200)
        throw new SourceUnavailableError(`the directory answered ${res.status}`)
      const user = (await res.json()) as DirectoryUser
      return {
        username: user.login,
        displayName: user.name,
        bio: user.about ?? '',
        source: 'directory',
      }
    },
    async save() {
      throw new Error('the directory is read-only')
    },
    async remove() {
      throw new Error('the directory is read-only')
    },
  }
}

/**
 * Composition: read from `primary`, and only when it has nothing, from `fallback`. Writes go to
 * the primary alone. The service sees one repository and never learns there are two sources.
 */
export function withFallback(
  primary: ProfileRepository,
  fallback: ProfileRepository,
): ProfileRepository {
  return {
    async find(username) {
      return (await primary.find(username)) ?? fallback.find(username)
    },
    save: (input) => primary.save(input),
    remove: (username) => primary.remove(username),
  }
}
