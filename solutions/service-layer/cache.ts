// The cache as one more repository: it wraps another one (a decorator) and answers reads from
// the cache store when it can. The store is injected, like Redis would be: it keeps each value
// for the TTL it was set with.
import type { Profile, ProfileInput, ProfileRepository } from './repository.ts'

/** A key-value store with expiry (the shape of Redis GET / SET ... PX / DEL). */
export interface CacheStore {
  get(key: string): Promise<string | undefined>
  set(key: string, value: string, ttlMs: number): Promise<void>
  delete(key: string): Promise<void>
}

export interface CacheOptions {
  /** How long a profile stays cached, in ms. */
  ttlMs: number
  /** How long "no such profile" stays cached, in ms; 0 caches no misses. */
  negativeTtlMs: number
}

/** What a miss is stored as: JSON `null`, never a string a profile could be. */
const MISSING = 'null'

/**
 * Read-through: the store first, then `inner`, and whatever `inner` answered is stored for the
 * next reader. Writes go to `inner` first and then drop the key, so the next read fetches the
 * new value (dropping before the write would let a reader cache the old value in between).
 */
export function createCachedProfileRepository(
  inner: ProfileRepository,
  store: CacheStore,
  options: CacheOptions,
): ProfileRepository {
  // One prefix per kind of value, so other data in the same store cannot collide with profiles.
  const key = (username: string) => `profile:${username}`

  return {
    async find(username) {
      const cached = await quietly(() => store.get(key(username)))
      if (cached !== undefined) return JSON.parse(cached) as Profile | null
      // A SourceUnavailableError passes through uncached: "cannot tell" is not "not found".
      const profile = await inner.find(username)
      if (profile) {
        const value = JSON.stringify(profile)
        await quietly(() => store.set(key(username), value, options.ttlMs))
      } else if (options.negativeTtlMs > 0) {
        // A short-lived negative entry keeps a burst of lookups for a missing name off the
        // database and the directory; short, because the name may be created any moment.
        await quietly(() => store.set(key(username), MISSING, options.negativeTtlMs))
      }
      return profile
    },
    async save(input: ProfileInput) {
      const profile = await inner.save(input)
      // Also clears a cached miss: the name exists now.
      await quietly(() => store.delete(key(input.username)))
      return profile
    },
    async remove(username) {
      const removed = await inner.remove(username)
      await quietly(() => store.delete(key(username)))
      return removed
    },
  }
}

/**
 * A cache is an optimisation, so its outage must not become ours: a store that throws is read
 * as a miss, and a failed write or delete is skipped (the TTL bounds how stale it can get).
 */
async function quietly<T>(work: () => Promise<T>): Promise<T | undefined> {
  try {
    return await work()
  } catch {
    return undefined
  }
}
