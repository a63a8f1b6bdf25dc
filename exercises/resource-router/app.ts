import { Hono, type Context } from 'hono'

/** A route handler as Hono takes it: reads the request from `c`, returns a Response. */
export type Handler = (c: Context) => Response | Promise<Response>

/** The methods a custom action may answer. */
export type ActionMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE'

/** A custom action: one more route next to the six standard ones. */
export interface Action {
  method: ActionMethod
  /** true: `<base>/:id/<name>` (acts on one item); false: `<base>/<name>` (on the collection). */
  detail: boolean
  handler: Handler
}

/** What a resource can do. Only the handlers given become routes. */
export interface ResourceHandlers {
  list?: Handler
  create?: Handler
  retrieve?: Handler
  replace?: Handler
  update?: Handler
  destroy?: Handler
  /** Custom actions by name; the name is the last path segment. */
  actions?: Record<string, Action>
}

export interface Article {
  id: number
  title: string
  body: string
  published: boolean
}

export interface Tag {
  id: number
  name: string
}

export interface BlogOptions {
  /** The articles the store starts with; the app keeps its own copies. */
  articles?: Article[]
  /** The tags the store starts with; the app keeps its own copies. */
  tags?: Tag[]
}

/** Registers the routes of one resource on `app`. */
export function resource(app: Hono, basePath: string, handlers: ResourceHandlers): void {
  // TODO: register each handler that is given, and only those:
  //   list -> GET basePath        create -> POST basePath
  //   retrieve -> GET basePath/:id    replace -> PUT    update -> PATCH    destroy -> DELETE

  // TODO: register each custom action: detail -> `${basePath}/:id/<name>`, otherwise
  // `${basePath}/<name>`, answering only its own method. Mind the order: `/:id` must never
  // capture a collection action's name.

  // TODO: on every path that has at least one handler, any other method answers 405 with JSON
  // { "error": "method_not_allowed" } and an Allow header listing exactly that path's methods.
  // A path with no handler at all is not a route (404).
}

export function createApp(options: BlogOptions = {}) {
  const app = new Hono()

  // TODO: give this app its own copies of options.articles and options.tags (default: none).

  // TODO: resource(app, '/api/articles', { list, create, retrieve, replace, update, destroy,
  // actions: { publish: POST, detail; drafts: GET, collection } })

  // TODO: resource(app, '/api/tags', { list, retrieve }) - read-only

  // TODO: any other path answers 404 with JSON { "error": "not_found" }

  return app
}
