// The HTTP layer: handlers translate between requests and the service, and errors into status
// codes. createApp is the composition root, the one place that knows every concrete piece and
// wires them: database, then directory as a fallback, with the cache in front of both.
import { Hono, type Context } from 'hono'
import { createCachedProfileRepository, type CacheStore } from './cache.ts'
import {
  createDbProfileRepository,
  createDirectoryProfileRepository,
  SourceUnavailableError,
  withFallback,
  type SqlDatabase,
} from './repository.ts'
import { createProfileService, InvalidProfileError, ProfileNotFoundError } from './service.ts'

export interface ProfilesOptions {
  /** Our database, with the `profiles` table (see the README). */
  db: SqlDatabase
  /** How the app reaches the legacy directory (the global fetch in production). */
  fetch: typeof globalThis.fetch
  /** The directory's base URL, e.g. `http://directory.internal`. */
  directoryUrl: string
  /** The shared cache store. */
  cache: CacheStore
  /** How long a profile stays cached, in ms; default 60 000. */
  ttlMs?: number
  /** How long a miss stays cached, in ms; default 5 000; 0 caches no misses. */
  negativeTtlMs?: number
}

export function createApp(options: ProfilesOptions) {
  const { db, fetch, directoryUrl, cache } = options
  if (typeof db?.get !== 'function' || typeof db.run !== 'function') {
    throw new TypeError('options.db must be a database driver')
  }
  if (typeof fetch !== 'function') throw new TypeError('options.fetch must be a function')
  if (typeof directoryUrl !== 'string' || !URL.canParse(directoryUrl)) {
    throw new TypeError('options.directoryUrl must be an absolute URL')
  }
  if (!['get', 'set', 'delete'].every((m) => typeof (cache as any)?.[m] === 'function')) {
    throw new TypeError('options.cache must have get, set and delete')
  }
  const ttlMs = options.ttlMs ?? 60_000
  const negativeTtlMs = options.negativeTtlMs ?? 5_000
  if (!Number.isInteger(ttlMs) || ttlMs <= 0)
    throw new RangeError('ttlMs must be a whole number > 0')
  if (!Number.isInteger(negativeTtlMs) || negativeTtlMs < 0) {
    throw new RangeError('negativeTtlMs must be a whole number >= 0')
  }

  // The order of the sources is decided here, and only here.
  const profiles = createCachedProfileRepository(
    withFallback(
      createDbProfileRepository(db),
      createDirectoryProfileRepository(fetch, directoryUrl),
    ),
    cache,
    { ttlMs, negativeTtlMs },
  )
  const service = createProfileService({ profiles })

  const app = new Hono()

  app.get('/api/profiles/:username', async (c) =>
    c.json(await service.getProfile(c.req.param('username'))),
  )

  app.put('/api/profiles/:username', async (c) => {
    let body: unknown
    try {
      body = await c.req.json()
    } catch {
      body = undefined // not JSON: the service refuses it as an invalid body
    }
    return c.json(await service.saveProfile(c.req.param('username'), body))
  })

  app.delete('/api/profiles/:username', async (c) => {
    await service.deleteProfile(c.req.param('username'))
    return c.body(null, 204)
  })

  // One translation table from the service's errors to HTTP, so handlers stay one line each.
  app.onError((error, c) => {
    if (error instanceof ProfileNotFoundError) return c.json({ error: 'not_found' }, 404)
    if (error instanceof InvalidProfileError) {
      return c.json(
        {
          error: error.field === 'username' ? 'invalid_username' : 'invalid_profile',
          field: error.field,
        },
        400,
      )
    }
    if (error instanceof SourceUnavailableError)
      return c.json({ error: 'directory_unavailable' }, 503)
    return c.json({ error: 'internal' }, 500)
  })
  app.notFound((c: Context) => c.json({ error: 'not_found' }, 404))

  return app
}
