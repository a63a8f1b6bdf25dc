import { Hono } from 'hono'
import { getSignedCookie, setSignedCookie } from 'hono/cookie'

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

const ENVS: readonly string[] = ['development', 'production']

/**
 * Every problem with `config`, one line per bad field, naming the field and never its value (a
 * bad secret must not end up in a log). Checked by hand here: the AppConfig type says what the
 * compiler can check, this what it cannot (length, integer, range) and what arrives at runtime
 * from places the compiler never sees, such as environment variables. (A later exercise,
 * request-validation, writes such rules as a schema.)
 */
function configProblems(config: Record<string, unknown>): string[] {
  const { appName, secret, maxItems, env } = config
  const problems: string[] = []
  if (typeof appName !== 'string' || appName.trim() === '') {
    problems.push('appName: must be a string that is not blank')
  }
  if (typeof secret !== 'string' || secret.length < 32) {
    problems.push('secret: must be a string of at least 32 characters')
  }
  // Number.isInteger is false for NaN, Infinity, 2.5 and every non-number ('5' included).
  if (!Number.isInteger(maxItems) || (maxItems as number) < 1) {
    problems.push('maxItems: must be a whole number of at least 1')
  }
  // includes(), not `env in {...}`: "constructor" is not an environment.
  if (typeof env !== 'string' || !ENVS.includes(env)) {
    problems.push('env: must be "development" or "production"')
  }
  return problems
}

/** An item's name from a request body: a non-empty string, or undefined. */
function itemName(body: unknown): string | undefined {
  if (typeof body !== 'object' || body === null) return undefined
  const { name } = body as { name?: unknown }
  return typeof name === 'string' && name !== '' ? name : undefined
}

const SESSION_COOKIE = 'session'

/** Per-request values the middleware hands to the handlers: Hono's version of Flask's `g`. */
type Env = { Variables: { requestNumber: number } }

/** Builds the config from environment variables; createApp validates it. */
export function configFromEnv(env: Record<string, string | undefined>): AppConfig {
  // An empty variable (`APP_NAME=` in a .env file) means "not set", so it takes the default.
  const read = (name: string) => (env[name] === '' ? undefined : env[name])
  const maxItems = read('MAX_ITEMS')
  return {
    appName: read('APP_NAME') ?? 'hono-app',
    // No default secret: a default would be the same in every deployment that forgot to set
    // one, so anybody who reads this file could sign sessions. A missing secret must fail.
    secret: read('APP_SECRET') ?? '',
    // Number(), not parseInt(): parseInt('12abc') is 12, and a typo should stop the app, not
    // be half-read. Number('abc') is NaN, which createApp rejects by name.
    maxItems: maxItems === undefined ? 10 : Number(maxItems),
    // Cast: the value is checked in createApp, not here.
    env: (read('NODE_ENV') ?? 'development') as AppConfig['env'],
  }
}

export function createApp(config: AppConfig, hooks: AppHooks = {}) {
  // Validate when the app is built, not on the first request: a bad deployment fails at start,
  // and lists every problem at once instead of one per restart.
  // One copy, checked and then used: the caller's object may change later, this one cannot.
  const checked = { ...config }
  const problems = configProblems(checked)
  if (problems.length > 0) throw new Error(`Invalid app config:\n- ${problems.join('\n- ')}`)
  const { appName, secret, maxItems, env } = checked
  const work = hooks.work ?? (async () => {})

  // App scope: created once per app, shared by every request and every client of this app,
  // and by nothing else. Module-level variables would be shared by every app in the process.
  let received = 0
  const items: string[] = []

  const app = new Hono<Env>()

  // Request scope: the number is computed per request and kept on the context `c`, which
  // exists for this request only. A variable outside the handler would be overwritten by the
  // next request while this one is still awaiting something.
  app.use('*', async (c, next) => {
    const requestNumber = ++received
    c.set('requestNumber', requestNumber)
    await next()
    c.header('X-Request-Number', String(requestNumber))
  })

  app.get('/api/info', (c) => c.json({ appName, env, maxItems }))

  app.get('/api/request', async (c) => {
    await work()
    return c.json({ requestNumber: c.get('requestNumber') })
  })

  app.get('/api/items', (c) => c.json({ items }))

  app.post('/api/items', async (c) => {
    const name = itemName(await c.req.json().catch(() => undefined))
    if (name === undefined) return c.json({ error: 'invalid_item' }, 400)
    if (items.length >= maxItems) return c.json({ error: 'too_many_items' }, 409)
    items.push(name)
    return c.json({ items }, 201)
  })

  // Client scope: the session lives in the cookie, signed with this app's secret. The server
  // stores nothing; the signature is what stops a client from writing its own count.
  // (A real session holds an object; one number keeps the exercise on the scopes.)
  app.get('/api/visits', async (c) => {
    // false for a bad signature, undefined for no cookie: both mean "new session".
    const stored = await getSignedCookie(c, secret, SESSION_COOKIE)
    const previous = typeof stored === 'string' ? Number(stored) : 0
    const visits = (Number.isSafeInteger(previous) && previous > 0 ? previous : 0) + 1
    await setSignedCookie(c, SESSION_COOKIE, String(visits), secret, {
      path: '/',
      httpOnly: true,
      sameSite: 'Lax',
      // Browsers only send a Secure cookie over https: right in production, useless on
      // http://localhost. The environment decides, through config, not through process.env.
      secure: env === 'production',
    })
    return c.json({ visits })
  })

  app.notFound((c) => c.json({ error: 'not_found' }, 404))

  return app
}
