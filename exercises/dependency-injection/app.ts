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

/** Resolves a dependency for the request `c` belongs to: created on first use, then cached. */
export function use<T>(c: Context, dep: Dependency<T>): Promise<T> {
  // TODO: find the scope the middleware put on this request's context (`c.get(...)`).
  // TODO: a request-scoped dependency is created at most once per request, an app-scoped one
  //       at most once per app; every later use, in a handler or inside another dependency,
  //       gets the same value - also when the uses run side by side (Promise.all).
  // TODO: an override for `dep.name` takes the place of `dep.factory` (same scope, same caching,
  //       no cleanup).
  // TODO: remember the cleanup of every request-scoped value this request created.
  throw new Error(`use(c, ${dep.name}) is not implemented yet`)
}

/** Gives every request a scope, and tears down what the request created once it is answered. */
function dependencies(options: AppOptions): MiddlewareHandler {
  return async (c, next) => {
    // TODO: a fresh scope for this request, on its context (`c.set(...)`).
    // TODO: after the request is answered - also when the handler or a dependency threw - run
    //       the cleanup of each value this request created, exactly once.
    await next()
  }
}

export function createApp(options: AppOptions) {
  // TODO: app-scoped values and overrides belong to this app: keep them here (or in something
  //       made here), never in module-level variables.

  const config = defineDependency('config', () => options.loadConfig(), { scope: 'app' })

  const db = defineDependency('db', () => options.database.open(), {
    cleanup: (session) => session.close(),
  })

  const currentUser = defineDependency('currentUser', async (c) => {
    // TODO: `Authorization: Bearer <token>` -> the session's user for that token (use `db`).
    //       No header, another scheme or an unknown token:
    //       throw new HTTPException(401, { message: 'unauthorized' })
    throw new Error('currentUser is not implemented yet')
  })

  const pagination = defineDependency('pagination', async (c) => {
    // TODO: `?limit=` (digits, 1 to config.maxLimit, default config.defaultLimit; use `config`)
    //       and `?offset=` (digits, default 0). Anything else:
    //       throw new HTTPException(400, { message: 'invalid_pagination' })
    throw new Error('pagination is not implemented yet')
  })

  const notes = defineDependency('notes', async (c) => {
    const [session, user] = await Promise.all([use(c, db), use(c, currentUser)])
    return session.notesOf(user.id)
  })

  // The routes below are done: they only ask for what they need. You should not have to touch
  // them (nor the error handler at the end).
  const app = new Hono()
  app.use(dependencies(options))

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
