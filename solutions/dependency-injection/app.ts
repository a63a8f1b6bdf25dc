import { Hono, type Context, type MiddlewareHandler } from 'hono'
import { HTTPException } from 'hono/http-exception'

export interface User {
  id: string
  name: string
}

export interface Note {
  id: number
  ownerId: string
  text: string
}

/** One database session: opened for a request, closed when the request is over. */
export interface Session {
  /** The user a bearer token belongs to, or undefined for an unknown token. */
  userByToken(token: string): User | undefined
  /** Every note of one owner. */
  notesOf(ownerId: string): Note[]
  /** Stores a new note and returns it. */
  addNote(ownerId: string, text: string): Note
  close(): void
}

/** Where sessions come from: `open()` starts a new one every time it is called. */
export interface Database {
  open(): Session
}

export interface Config {
  /** The page size when a request sends no `limit`. */
  defaultLimit: number
  /** The largest `limit` a request may ask for. */
  maxLimit: number
}

export interface Page {
  limit: number
  offset: number
}

/** Every dependency this app declares, by name, with the type of the value it provides. */
export interface Dependencies {
  config: Config
  db: Session
  currentUser: User
  pagination: Page
  notes: Note[]
}

/** Builds a dependency's value for a request. Reach other dependencies with `use(c, dep)`. */
export type Factory<T> = (c: Context) => T | Promise<T>

/** Replacement factories, by dependency name, for one app (tests, local development...). */
export type Overrides = { [K in keyof Dependencies]?: Factory<Dependencies[K]> }

export interface AppOptions {
  database: Database
  /** Reads the configuration. Expensive: an app calls it at most once. */
  loadConfig: () => Config
  overrides?: Overrides
}

export interface Dependency<T> {
  name: keyof Dependencies
  factory: Factory<T>
  /** 'request': a new value for every request; 'app': one value for the app's whole life. */
  scope: 'request' | 'app'
  /** Runs once the request that created the value is over (request scope only). */
  cleanup?: (value: T) => void | Promise<void>
}

export interface DependencyOptions<T> {
  /** Defaults to 'request'. */
  scope?: 'request' | 'app'
  cleanup?: (value: T) => void | Promise<void>
}

/** Declares a dependency: a name (the key overrides use), how to build it, and its lifetime. */
export function defineDependency<K extends keyof Dependencies>(
  name: K,
  factory: Factory<Dependencies[K]>,
  options: DependencyOptions<Dependencies[K]> = {},
): Dependency<Dependencies[K]> {
  const { scope = 'request', cleanup } = options
  return cleanup ? { name, factory, scope, cleanup } : { name, factory, scope }
}

// The cache holds promises, not values. Two uses of `db` started side by side (the handler's
// Promise.all, or `notes` and `currentUser` at once) must share one creation; a cache that is
// filled only after `await factory()` would see two misses and open two sessions.
type Cache = Map<Dependency<unknown>, Promise<unknown>>

/** One app's container: what outlives a request. */
interface Container {
  overrides: Overrides
  appCache: Cache
}

/** One request's scope: its cache and the cleanups of what it created. */
interface RequestScope {
  container: Container
  cache: Cache
  cleanups: (() => void | Promise<void>)[]
}

/** Resolves a dependency for the request `c` belongs to: created on first use, then cached. */
export function use<T>(c: Context, dep: Dependency<T>): Promise<T> {
  // The scope travels on the request's context, never in a variable of the app or the module:
  // two requests in flight at once each find their own.
  const scope = c.get('dependencyScope') as RequestScope | undefined
  if (!scope) throw new Error(`use(c, ${dep.name}) ran outside the dependencies middleware`)
  const cache = dep.scope === 'app' ? scope.container.appCache : scope.cache
  let value = cache.get(dep as Dependency<unknown>)
  if (!value) {
    value = create(c, scope, dep)
    cache.set(dep as Dependency<unknown>, value)
  }
  return value as Promise<T>
}

async function create<T>(c: Context, scope: RequestScope, dep: Dependency<T>): Promise<T> {
  // The override is looked up here, where *every* use lands, so it applies wherever the
  // dependency is needed: in a handler or deep inside another dependency. It takes the
  // factory's place and nothing else: same name, same scope, same caching. It brings no
  // cleanup: whoever made the fake owns it.
  const override = scope.container.overrides[dep.name] as Factory<T> | undefined
  if (override) return override(c)
  const value = await dep.factory(c)
  if (dep.cleanup && dep.scope === 'request') {
    const cleanup = dep.cleanup
    scope.cleanups.push(() => cleanup(value))
  }
  return value
}

/** Gives every request a scope, and tears down what the request created once it is answered. */
function dependencies(container: Container): MiddlewareHandler {
  return async (c, next) => {
    const scope: RequestScope = { container, cache: new Map(), cleanups: [] }
    c.set('dependencyScope', scope)
    try {
      await next()
    } finally {
      // Hono's compose already turns a thrown Error into the onError response before `next()`
      // returns; `finally` still matters for anything else that escapes. Wait for creations
      // still in flight (a dependency a failed Promise.all left behind), so nothing is created
      // after the teardown. Then tear down in reverse order of creation, like a stack of
      // `with` blocks: later values may depend on earlier ones.
      await Promise.allSettled(scope.cache.values())
      for (const cleanup of scope.cleanups.reverse()) await cleanup()
    }
  }
}

/** Digits only, or the fallback when the parameter is absent; undefined when malformed. */
function count(raw: string | undefined, fallback: number): number | undefined {
  if (raw === undefined) return fallback
  return /^\d+$/.test(raw) ? Number(raw) : undefined
}

export function createApp(options: AppOptions) {
  // Per-app state only: two apps in one process (two tests, two tenants) never share a
  // config or overrides.
  const container: Container = { overrides: { ...options.overrides }, appCache: new Map() }

  const config = defineDependency('config', () => options.loadConfig(), { scope: 'app' })

  // FastAPI writes this as a `yield` dependency: open, hand over, close in `finally`.
  const db = defineDependency('db', () => options.database.open(), {
    cleanup: (session) => session.close(),
  })

  const currentUser = defineDependency('currentUser', async (c) => {
    const session = await use(c, db)
    const match = /^Bearer +(\S+) *$/.exec(c.req.header('Authorization') ?? '')
    const user = match ? session.userByToken(match[1]!) : undefined
    // 401, not 403: we do not know who is asking, and the challenge says how to tell us.
    if (!user) throw new HTTPException(401, { message: 'unauthorized' })
    return user
  })

  const pagination = defineDependency('pagination', async (c) => {
    const { defaultLimit, maxLimit } = await use(c, config)
    const limit = count(c.req.query('limit'), defaultLimit)
    const offset = count(c.req.query('offset'), 0)
    if (limit === undefined || limit < 1 || limit > maxLimit || offset === undefined) {
      throw new HTTPException(400, { message: 'invalid_pagination' })
    }
    return { limit, offset }
  })

  // A sub-dependency of two others: `db` and `currentUser` are both needed here and in other
  // places of the same request, and the cache makes them one session and one lookup.
  const notes = defineDependency('notes', async (c) => {
    const [session, user] = await Promise.all([use(c, db), use(c, currentUser)])
    return session.notesOf(user.id)
  })

  const app = new Hono()
  app.use(dependencies(container))

  app.get('/health', (c) => c.json({ status: 'ok' }))

  app.get('/me', async (c) => c.json(await use(c, currentUser)))

  app.get('/notes', async (c) => {
    const [all, page, user] = await Promise.all([
      use(c, notes),
      use(c, pagination),
      use(c, currentUser),
    ])
    return c.json({
      owner: user.id,
      items: all.slice(page.offset, page.offset + page.limit),
      total: all.length,
      limit: page.limit,
      offset: page.offset,
    })
  })

  app.post('/notes', async (c) => {
    const user = await use(c, currentUser)
    const body = (await c.req.json().catch(() => undefined)) as { text?: unknown } | undefined
    const text = body?.text
    if (typeof text !== 'string' || text.trim() === '') {
      throw new HTTPException(400, { message: 'invalid_note' })
    }
    const session = await use(c, db)
    return c.json(session.addNote(user.id, text), 201)
  })

  app.notFound((c) => c.json({ error: 'not_found' }, 404))

  app.onError((err, c) => {
    if (err instanceof HTTPException) {
      if (err.status === 401) c.header('WWW-Authenticate', 'Bearer')
      return c.json({ error: err.message }, err.status)
    }
    return c.json({ error: 'internal' }, 500)
  })

  return app
}
