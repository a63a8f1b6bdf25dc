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

// The router's whole vocabulary: which handler answers which method on which of the two paths.
// Everything below is driven by these tables, so "which methods exist here" has one answer that
// both the routes and the Allow header read.
const COLLECTION_HANDLERS = [
  ['list', 'GET'],
  ['create', 'POST'],
] as const
const ITEM_HANDLERS = [
  ['retrieve', 'GET'],
  ['replace', 'PUT'],
  ['update', 'PATCH'],
  ['destroy', 'DELETE'],
] as const

// One path segment, so that an action name can never reach into another route's shape.
const ACTION_NAME = /^[A-Za-z0-9._~-]+$/

/**
 * Registers the routes of one resource on `app`: the standard handlers given, the custom actions,
 * and a 405 with `Allow` for every other method on each path that has at least one handler.
 */
export function resource(app: Hono, basePath: string, handlers: ResourceHandlers): void {
  if (!basePath.startsWith('/') || basePath.endsWith('/')) {
    throw new TypeError(`basePath starts with "/" and has no trailing "/": "${basePath}"`)
  }
  const itemPath = `${basePath}/:id`

  // path -> method -> handler. A Map keeps insertion order, and insertion order is route order.
  const routes = new Map<string, Map<string, Handler>>()
  const add = (path: string, method: string, handler: Handler) => {
    const methods = routes.get(path) ?? new Map<string, Handler>()
    if (methods.has(method)) throw new TypeError(`two handlers for ${method} ${path}`)
    routes.set(path, methods.set(method, handler))
  }

  // Collection actions come first. `/articles/drafts` also fits the pattern `/articles/:id`, and
  // Hono runs matching routes in the order they were registered: registered after the item
  // routes, `GET /articles/drafts` would run `retrieve` with id "drafts", and the item's 405
  // fallback would swallow `POST /articles/archive-all`. The static segment has to win.
  const actions = Object.entries(handlers.actions ?? {})
  for (const [name, action] of actions) {
    if (!ACTION_NAME.test(name)) throw new TypeError(`an action name is a path segment: "${name}"`)
    if (!action.detail) add(`${basePath}/${name}`, action.method, action.handler)
  }
  // Detail actions sit one segment below the item, so they capture the same `:id`.
  for (const [name, action] of actions) {
    if (action.detail) add(`${itemPath}/${name}`, action.method, action.handler)
  }
  for (const [name, method] of COLLECTION_HANDLERS) {
    const handler = handlers[name]
    if (handler) add(basePath, method, handler)
  }
  for (const [name, method] of ITEM_HANDLERS) {
    const handler = handlers[name]
    if (handler) add(itemPath, method, handler)
  }

  // A path with no handler at all never gets here, so it stays a 404: nothing lives there. A
  // path with some handlers exists, and a method it lacks is a 405 - "right URL, wrong verb" -
  // whose Allow lists the methods of *this* path only. HEAD rides along with GET because Hono
  // answers HEAD by running the GET route and dropping the body.
  for (const [path, methods] of routes) {
    for (const [method, handler] of methods) app.on(method, path, handler)
    const allow = [...methods.keys()]
    if (methods.has('GET')) allow.push('HEAD')
    const header = allow.join(', ')
    app.all(path, (c) => c.json({ error: 'method_not_allowed' }, 405, { Allow: header }))
  }
}

/** What a client may send for an article: only these two fields. */
type ArticleInput = Pick<Article, 'title' | 'body'>

const isObject = (x: unknown): x is Record<string, unknown> =>
  typeof x === 'object' && x !== null && !Array.isArray(x)
const isTitle = (x: unknown): x is string => typeof x === 'string' && x.length > 0
const isBody = (x: unknown): x is string => typeof x === 'string'

// Checked by hand here; a later exercise, request-validation, does it with a schema library.
// Both read `title` and `body` and nothing else: `published` is not a client field, so a body
// that sends it changes nothing.

/** POST and PUT: both fields, valid, or undefined. */
function fullInput(x: unknown): ArticleInput | undefined {
  if (!isObject(x) || !isTitle(x.title) || !isBody(x.body)) return undefined
  return { title: x.title, body: x.body }
}

/** PATCH: each field optional, valid when present, or undefined. */
function partialInput(x: unknown): Partial<ArticleInput> | undefined {
  if (!isObject(x)) return undefined
  const patch: Partial<ArticleInput> = {}
  if (x.title !== undefined) {
    if (!isTitle(x.title)) return undefined
    patch.title = x.title
  }
  if (x.body !== undefined) {
    if (!isBody(x.body)) return undefined
    patch.body = x.body
  }
  return patch
}

export function createApp(options: BlogOptions = {}) {
  // Copies: a change in this app never reaches the caller's objects or another app.
  const articles = new Map<number, Article>()
  for (const article of options.articles ?? []) articles.set(article.id, { ...article })
  const tags = new Map<number, Tag>()
  for (const tag of options.tags ?? []) tags.set(tag.id, { ...tag })
  let lastArticleId = Math.max(0, ...articles.keys())

  const app = new Hono()
  const notFound = (c: Context) => c.json({ error: 'not_found' }, 404)
  const invalid = (c: Context) => c.json({ error: 'invalid_article' }, 400)
  // The router captures any segment as `:id`; whether it names an article is the handler's call.
  const idOf = (c: Context) => {
    const raw = c.req.param('id') ?? ''
    return /^[0-9]+$/.test(raw) ? Number(raw) : NaN
  }
  const ascending = <T extends { id: number }>(items: Iterable<T>) =>
    [...items].sort((a, b) => a.id - b.id)
  const readJson = (c: Context) => c.req.json().catch(() => undefined)

  // The viewset of this API: six standard handlers and two actions, in one object. The helper
  // turns it into URLs; nothing here mentions a path except `Location`.
  resource(app, '/api/articles', {
    list: (c) => c.json(ascending(articles.values())),
    create: async (c) => {
      const input = fullInput(await readJson(c))
      if (!input) return invalid(c)
      const article: Article = { id: ++lastArticleId, ...input, published: false }
      articles.set(article.id, article)
      return c.json(article, 201, { Location: `/api/articles/${article.id}` })
    },
    retrieve: (c) => {
      const article = articles.get(idOf(c))
      return article ? c.json(article) : notFound(c)
    },
    replace: async (c) => {
      const article = articles.get(idOf(c))
      if (!article) return notFound(c)
      const input = fullInput(await readJson(c))
      if (!input) return invalid(c)
      const next: Article = { ...article, ...input }
      articles.set(next.id, next)
      return c.json(next)
    },
    update: async (c) => {
      const article = articles.get(idOf(c))
      if (!article) return notFound(c)
      const input = partialInput(await readJson(c))
      if (!input) return invalid(c)
      const next: Article = { ...article, ...input }
      articles.set(next.id, next)
      return c.json(next)
    },
    destroy: (c) => (articles.delete(idOf(c)) ? c.body(null, 204) : notFound(c)),
    actions: {
      // A state change that is not "edit a field": its own URL and its own verb. POST, because
      // it changes state; a GET here would let a crawler publish drafts.
      publish: {
        method: 'POST',
        detail: true,
        handler: (c) => {
          const article = articles.get(idOf(c))
          if (!article) return notFound(c)
          const next: Article = { ...article, published: true }
          articles.set(next.id, next)
          return c.json(next)
        },
      },
      // A read-only view of the collection: GET, and no id.
      drafts: {
        method: 'GET',
        detail: false,
        handler: (c) => c.json(ascending([...articles.values()].filter((a) => !a.published))),
      },
    },
  })

  // Read-only: only two handlers, so the helper routes two methods and refuses the rest with
  // `Allow: GET, HEAD`. The missing handlers are the whole declaration of "read-only".
  resource(app, '/api/tags', {
    list: (c) => c.json(ascending(tags.values())),
    retrieve: (c) => {
      const tag = tags.get(idOf(c))
      return tag ? c.json(tag) : notFound(c)
    },
  })

  app.notFound(notFound)

  return app
}
