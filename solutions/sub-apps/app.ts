import { Hono, type MiddlewareHandler } from 'hono'
import type { ContentfulStatusCode } from 'hono/utils/http-status'

export interface User {
  id: string
  name: string
}

export interface Invoice {
  id: string
  userId: string
  amountCents: number
}

/** What a bearer token lets its holder do on the admin module. */
export type Role = 'admin' | 'member'

/** The modules (plugins) this app knows how to mount. */
export type ModuleName = 'users' | 'billing' | 'admin'

export interface AppOptions {
  /** The users the app starts with. */
  users: User[]
  /** The invoices the app starts with. */
  invoices: Invoice[]
  /** The value the `X-Billing-Key` header must have on billing routes. */
  billingKey: string
  /** Bearer token -> role of its holder. */
  tokens: Record<string, Role>
  /** The modules to mount; defaults to all three. */
  modules?: ModuleName[]
}

/**
 * An error a module throws on purpose. It says what went wrong (a status and a code); the root
 * app's ONE error handler decides how that looks on the wire.
 */
export class ApiError extends Error {
  readonly status: ContentfulStatusCode
  readonly code: string

  constructor(status: ContentfulStatusCode, code: string, message: string) {
    super(message)
    this.name = 'ApiError'
    this.status = status
    this.code = code
  }
}

class NotFoundError extends ApiError {
  constructor(what: string) {
    super(404, 'not_found', `${what} not found`)
  }
}

class UnauthorizedError extends ApiError {
  constructor(message: string) {
    super(401, 'unauthorized', message)
  }
}

class ForbiddenError extends ApiError {
  constructor(message: string) {
    super(403, 'forbidden', message)
  }
}

// `module` is set by each module's own middleware, so the shared error handler can say which
// module failed without every throw site repeating it.
type Env = { Variables: { module?: ModuleName } }

/** What every module receives from the app that mounts it: its dependencies, nothing global. */
interface Deps {
  store: { users: User[]; invoices: Invoice[] }
  billingKey: string
  tokens: Record<string, Role>
  enabled: readonly ModuleName[]
}

/**
 * A plugin: a name, where it lives, and a factory for its sub-app. The factory runs once per
 * createApp call, so two apps never share a sub-app (and its closures over data and keys).
 */
interface Plugin {
  name: ModuleName
  prefix: string
  create(deps: Deps): Hono<Env>
}

/** The first middleware of every module: it tags the module's responses, errors included. */
const tag =
  (name: ModuleName): MiddlewareHandler<Env> =>
  async (c, next) => {
    c.set('module', name)
    // Set before next(): a response built later (by the handler or by the root's onError)
    // on the same context keeps it.
    c.header('X-Module', name)
    await next()
  }

const usersPlugin: Plugin = {
  name: 'users',
  prefix: '/api/users',
  create({ store }) {
    // Paths inside a sub-app are relative to where it is mounted: '/' here is /api/users.
    // Writing '/api/users' again would answer at /api/users/api/users.
    const users = new Hono<Env>()
    users.use(tag('users'))
    users.get('/', (c) => c.json(store.users))
    users.get('/:id', (c) => {
      const user = store.users.find((u) => u.id === c.req.param('id'))
      if (!user) throw new NotFoundError('user')
      return c.json(user)
    })
    return users
  },
}

const billingPlugin: Plugin = {
  name: 'billing',
  prefix: '/api/billing',
  create({ store, billingKey }) {
    const billing = new Hono<Env>()
    billing.use(tag('billing'))
    // Middleware registered on the sub-app is mounted under its prefix (/api/billing/*), so it
    // guards billing and nothing else. Registered BEFORE the routes: Hono runs handlers in
    // registration order, and a route registered first would answer without ever reaching it.
    billing.use(async (c, next) => {
      // A shared secret compared as a whole string; a real service would also compare in
      // constant time (hono/utils/buffer's timingSafeEqual).
      if (c.req.header('X-Billing-Key') !== billingKey) {
        throw new UnauthorizedError('a valid X-Billing-Key header is required')
      }
      await next()
    })
    billing.get('/invoices', (c) => c.json(store.invoices))
    billing.get('/invoices/:id', (c) => {
      const invoice = store.invoices.find((i) => i.id === c.req.param('id'))
      if (!invoice) throw new NotFoundError('invoice')
      return c.json(invoice)
    })
    return billing
  },
}

const adminPlugin: Plugin = {
  name: 'admin',
  prefix: '/admin',
  create({ store, tokens, enabled }) {
    const admin = new Hono<Env>()
    admin.use(tag('admin'))
    admin.use(async (c, next) => {
      const match = /^Bearer +(\S+)$/i.exec(c.req.header('Authorization') ?? '')
      const token = match?.[1]
      // Object.hasOwn, not tokens[token]: "constructor" is not a token.
      if (token === undefined || !Object.hasOwn(tokens, token)) {
        // 401: we do not know who you are. The challenge tells a client how to authenticate;
        // the root's c.json() keeps headers set on the context before the throw.
        c.header('WWW-Authenticate', 'Bearer realm="admin"')
        throw new UnauthorizedError('an admin bearer token is required')
      }
      // 403: we know who you are, and you may not do this.
      if (tokens[token] !== 'admin') throw new ForbiddenError('admins only')
      await next()
    })
    admin.get('/stats', (c) =>
      c.json({ users: store.users.length, invoices: store.invoices.length, modules: enabled }),
    )
    // The users module and this one share the store they were given: a user removed here is
    // gone from /api/users too. Modules share state through dependencies, not by importing
    // each other.
    admin.delete('/users/:id', (c) => {
      const index = store.users.findIndex((u) => u.id === c.req.param('id'))
      if (index < 0) throw new NotFoundError('user')
      store.users.splice(index, 1)
      return c.body(null, 204)
    })
    return admin
  },
}

/** Every plugin the app knows. Adding a module means adding one entry here. */
const PLUGINS: readonly Plugin[] = [usersPlugin, billingPlugin, adminPlugin]

/** The enabled plugins, validated now rather than on the first request. */
function enabledPlugins(modules: readonly string[] | undefined): Plugin[] {
  if (modules === undefined) return [...PLUGINS]
  for (const name of modules) {
    if (!PLUGINS.some((p) => p.name === name)) {
      const known = PLUGINS.map((p) => p.name).join(', ')
      throw new Error(`unknown module "${name}" (known modules: ${known})`)
    }
  }
  return PLUGINS.filter((p) => modules.includes(p.name))
}

export function createApp(options: AppOptions) {
  const plugins = enabledPlugins(options.modules)
  const deps: Deps = {
    // Copies: the app owns its data, and the caller's arrays stay as they were.
    store: {
      users: options.users.map((u) => ({ ...u })),
      invoices: options.invoices.map((i) => ({ ...i })),
    },
    billingKey: options.billingKey,
    tokens: { ...options.tokens },
    enabled: plugins.map((p) => p.name),
  }

  const app = new Hono<Env>()
  // Nothing is registered on the root with app.use(): middleware here would run for every
  // module. A disabled module is simply never mounted, so neither its routes nor its
  // middleware exist.
  for (const plugin of plugins) app.route(plugin.prefix, plugin.create(deps))

  // Hono uses the ROOT's notFound for every unmatched path (a sub-app's notFound is ignored
  // once mounted), so this is the one 404 of the whole app.
  app.notFound((c) => c.json({ error: 'not_found' }, 404))

  // The one error handler. Modules set no onError of their own: a sub-app's onError would
  // wrap its routes and give that module its own error format.
  app.onError((err, c) => {
    const module = c.get('module')
    if (err instanceof ApiError) {
      return c.json({ error: err.code, module, message: err.message }, err.status)
    }
    // Anything else is a bug: log it, and tell the client nothing about it.
    console.error(err)
    return c.json({ error: 'internal', module }, 500)
  })

  return app
}
