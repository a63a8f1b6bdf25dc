import { Hono, type Context } from 'hono'
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
 * The app's one error format. Every module builds its error responses here, so a 401 from
 * billing and a 404 from users look alike on the wire, and changing the format is one edit.
 */
export function errorResponse(
  c: Context,
  status: ContentfulStatusCode,
  error: string,
  module?: ModuleName,
) {
  return c.json(module === undefined ? { error } : { error, module }, status)
}

/** A module's gate: nothing to let the request through, or the refusal to send instead. */
type Guard = (c: Context) => Response | undefined

type Handler = (c: Context) => Response

/**
 * Every route of a module is registered through the wrapper this returns: it tags the response
 * with the module's name, then lets the module's guard answer first. One wrapper per module, so
 * no route can forget the tag or the guard, and no other module ever meets them.
 */
function moduleRoute(name: ModuleName, guard?: Guard) {
  return (handler: Handler): Handler => (c) => {
    // Set on the context before any response is built: c.json() keeps it, errors included.
    c.header('X-Module', name)
    return guard?.(c) ?? handler(c)
  }
}

/** Billing's gate: the shared secret, compared as a whole string. */
const billingKeyGuard =
  (billingKey: string): Guard =>
  (c) =>
    // A real service would also compare in constant time (hono/utils/buffer's timingSafeEqual).
    c.req.header('X-Billing-Key') === billingKey
      ? undefined
      : errorResponse(c, 401, 'unauthorized', 'billing')

/** Admin's gate: a bearer token whose holder is an admin. */
const adminGuard =
  (tokens: Record<string, Role>): Guard =>
  (c) => {
    const token = /^Bearer +(\S+)$/i.exec(c.req.header('Authorization') ?? '')?.[1]
    // Object.hasOwn, not tokens[token]: "constructor" is not a token.
    if (token === undefined || !Object.hasOwn(tokens, token)) {
      // 401: we do not know who you are. The challenge tells a client how to authenticate.
      c.header('WWW-Authenticate', 'Bearer realm="admin"')
      return errorResponse(c, 401, 'unauthorized', 'admin')
    }
    // 403: we know who you are, and you may not do this.
    return tokens[token] === 'admin' ? undefined : errorResponse(c, 403, 'forbidden', 'admin')
  }

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
  create(deps: Deps): Hono
}

const usersPlugin: Plugin = {
  name: 'users',
  prefix: '/api/users',
  create({ store }) {
    const route = moduleRoute('users')
    // Paths inside a sub-app are relative to where it is mounted: '/' here is /api/users.
    // Writing '/api/users' again would answer at /api/users/api/users.
    const users = new Hono()
    users.get('/', route((c) => c.json(store.users)))
    users.get(
      '/:id',
      route((c) => {
        const user = store.users.find((u) => u.id === c.req.param('id'))
        return user ? c.json(user) : errorResponse(c, 404, 'not_found', 'users')
      }),
    )
    return users
  },
}

const billingPlugin: Plugin = {
  name: 'billing',
  prefix: '/api/billing',
  create({ store, billingKey }) {
    // The guard is billing's own: it wraps billing's routes and nothing else.
    const route = moduleRoute('billing', billingKeyGuard(billingKey))
    const billing = new Hono()
    billing.get('/invoices', route((c) => c.json(store.invoices)))
    billing.get(
      '/invoices/:id',
      route((c) => {
        const invoice = store.invoices.find((i) => i.id === c.req.param('id'))
        return invoice ? c.json(invoice) : errorResponse(c, 404, 'not_found', 'billing')
      }),
    )
    return billing
  },
}

const adminPlugin: Plugin = {
  name: 'admin',
  prefix: '/admin',
  create({ store, tokens, enabled }) {
    const route = moduleRoute('admin', adminGuard(tokens))
    const admin = new Hono()
    admin.get(
      '/stats',
      route((c) =>
        c.json({ users: store.users.length, invoices: store.invoices.length, modules: enabled }),
      ),
    )
    // The users module and this one share the store they were given: a user removed here is
    // gone from /api/users too. Modules share state through dependencies, not by importing
    // each other.
    admin.delete(
      '/users/:id',
      route((c) => {
        const index = store.users.findIndex((u) => u.id === c.req.param('id'))
        if (index < 0) return errorResponse(c, 404, 'not_found', 'admin')
        store.users.splice(index, 1)
        return c.body(null, 204)
      }),
    )
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
    // Copies, taken now: the app owns its data, the caller's arrays stay as they were, and
    // what the caller does to them later never reaches the app.
    store: {
      users: options.users.map((u) => ({ ...u })),
      invoices: options.invoices.map((i) => ({ ...i })),
    },
    billingKey: options.billingKey,
    tokens: { ...options.tokens },
    enabled: plugins.map((p) => p.name),
  }

  const app = new Hono()
  // A disabled module is simply never mounted, so neither its routes nor its guard exist.
  for (const plugin of plugins) app.route(plugin.prefix, plugin.create(deps))

  // Hono uses the ROOT's notFound for every unmatched path (a sub-app's notFound is ignored
  // once mounted), so this is the one 404 of the whole app.
  app.notFound((c) => errorResponse(c, 404, 'not_found'))

  return app
}
