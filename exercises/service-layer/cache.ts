// The cache as one more repository: it wraps another one (a decorator) and answers reads from
// the cache store when it can. The store is injected, like Redis would be: it keeps each value
// for the TTL it was set with.
import type { ProfileRepository } from './repository.ts'

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

/** Read-through caching in front of `inner`. */
export function createCachedProfileRepository(
  inner: ProfileRepository,
  store: CacheStore,
  options: CacheOptions,
): ProfileRepository {
  // TODO (task 3): find answers from the store when it can, else from `inner`, and stores what
  // it found for options.ttlMs. A store that fails is a miss, never an error.
  // TODO (task 4): remember "not found" for options.negativeTtlMs (0: do not), never an outage.
  // TODO (task 5): save and remove write to `inner` first, then clear the key.
  void store
  void options
  return inner
}
