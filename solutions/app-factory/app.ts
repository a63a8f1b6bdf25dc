import { Hono } from 'hono'
import { getSignedCookie, setSignedCookie } from 'hono/cookie'
import { z } from 'zod'

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

// The schema is the single description of a valid config: the type above says what the
// compiler can check, the schema what it cannot (length, integer, range) and what arrives at
// runtime from places the compiler never sees, such as environment variables.
const ConfigSchema = z.object({
  appName: z.string().refine((name) => name.trim() !== '', 'must not be blank'),
  secret: z.string().min(32, 'must be at least 32 characters long'),
  maxItems: z.number().int().positive(),
  env: z.enum(['development', 'production']),
})

const ItemInput = z.object({ name: z.string().min(1) })

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
    // be half-read. Number('abc') is NaN, which the schema rejects by name.
    maxItems: maxItems === undefined ? 10 : Number(maxItems),
    // Cast: the value is checked by the schema in createApp, not here.
    env: (read('NODE_ENV') ?? 'development') as AppConfig['env'],
  }
}

export function createApp(config: AppConfig, hooks: AppHooks = {}) {
  // Validate when the app is built, not on the first request: a bad deployment fails at start,
  // and lists every problem at once instead of one per restart.
  const parsed = ConfigSchema.safeParse(config)
  if (!parsed.success) {
    const problems = parsed.error.issues.map(
      (issue) => `${issue.path.join('.') || 'config'}: ${issue.message}`,
    )
    throw new Error(`Invalid app config:\n- ${problems.join('\n- ')}`)
  }
  // From here on, only the parsed copy: the caller's object may change, this one is checked.
  const { appName, secret, maxItems, env } = parsed.data
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
    const body = ItemInput.safeParse(await c.req.json().catch(() => undefined))
    if (!body.success) return c.json({ error: 'invalid_item' }, 400)
    if (items.length >= maxItems) return c.json({ error: 'too_many_items' }, 409)
    items.push(body.data.name)
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
