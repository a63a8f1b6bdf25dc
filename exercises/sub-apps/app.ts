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
 * The app's one error format: build every error response of every module (and the root's 404)
 * with this, so they all look alike on the wire.
 */
export function errorResponse(
  c: Context,
  status: ContentfulStatusCode,
  error: string,
  module?: ModuleName,
) {
  return c.json(module === undefined ? { error } : { error, module }, status)
}

export function createApp(options: AppOptions) {
  const app = new Hono()

  // TODO: throw for a name in options.modules that is not a module (before any request)

  // TODO: the users module: a sub-app with GET / and GET /:id, mounted at /api/users

  // TODO: the billing module: a sub-app whose every route first checks X-Billing-Key,
  //       with GET /invoices and GET /invoices/:id, mounted at /api/billing

  // TODO: the admin module: a sub-app whose every route first checks the bearer token,
  //       with GET /stats and DELETE /users/:id, mounted at /admin

  // TODO: each module tags its responses with X-Module; mount only the enabled modules

  // TODO: ONE JSON 404 on the root app, for every path no route matches

  return app
}
