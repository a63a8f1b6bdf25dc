import { Hono } from 'hono'

/** Everything that differs between two deployments of the same code. */
export interface AppConfig {
  /** Shown by GET /api/info. Not blank. */
  appName: string
  /** The key that signs the session cookie: at least 32 characters, never shown. */
  secret: string
  /** How many items the app-wide list holds at most: a whole number above 0. */
  maxItems: number
  env: 'development' | 'production'
}

/** Code the app calls out to; not configuration (it cannot come from the environment). */
export interface AppHooks {
  /** Awaited by GET /api/request before it answers: slow work, a database call... */
  work?: () => Promise<void>
}

/** Per-request values the middleware hands to the handlers: `c.get('requestNumber')`. */
type Env = { Variables: { requestNumber: number } }

/** Builds the config from environment variables; createApp validates it. */
export function configFromEnv(env: Record<string, string | undefined>): AppConfig {
  // TODO: read APP_NAME, APP_SECRET, MAX_ITEMS and NODE_ENV from `env` (never from
  //   process.env), with the defaults the README gives; an empty string counts as unset.
  return { appName: env.APP_NAME ?? '', secret: '', maxItems: 0, env: 'development' }
}

export function createApp(config: AppConfig, hooks: AppHooks = {}) {
  // TODO: validate `config` (by hand) and throw one Error naming every bad field.

  const app = new Hono<Env>()

  // TODO: app scope - a request counter and the item list, created once per app.

  // TODO: request scope - a middleware for every request: take the next request number, store
  //   it with c.set(...), let the rest run, then set the X-Request-Number header.

  // TODO: GET /api/info -> { appName, env, maxItems } and never the secret

  // TODO: GET /api/request -> await hooks.work, then { requestNumber } of this request

  // TODO: GET /api/items and POST /api/items (400 invalid_item, 409 too_many_items)

  // TODO: GET /api/visits -> a visit counter kept in a cookie `session` signed with the secret

  // TODO: unknown paths -> 404 { error: 'not_found' }

  return app
}
