import { Hono, type Context } from 'hono'

export type Role = 'admin' | 'editor' | 'viewer'

/** Who a token belongs to. */
export interface User {
  userId: string
  role: Role
}

export interface Doc {
  id: string
  ownerId: string
  title: string
  locked: boolean
}

export interface PolicyOptions {
  /** Opaque bearer tokens: the token string -> the user it signs in. */
  tokens: Record<string, User>
  /** The documents the app starts with. */
  docs: Doc[]
}

/** What a permission looks at: the caller (undefined when anonymous), the method, the doc. */
export interface Check {
  user: User | undefined
  method: string
  doc?: Doc
}

/** A permission is a plain predicate, so that permissions compose like booleans. */
export type Permission = (check: Check) => boolean

// TODO: the combinators allOf(...ps), anyOf(...ps) and not(p), each returning a Permission, and
//       the building blocks: allowAny, isAuthenticated, hasRole(role), isSafeMethod (GET, HEAD,
//       OPTIONS), isOwner (doc.ownerId === user.userId), isLocked.

// TODO: each route's policy, as in the README's policy table: a `route` permission checked
//       before the doc is loaded and, for /api/docs/:id, an `object` permission checked after.

/** Done for you: reads `{ "title": <non-empty string> }`; undefined for anything else. */
export async function readTitle(c: Context): Promise<string | undefined> {
  const body: unknown = await c.req.json().catch(() => undefined)
  if (typeof body !== 'object' || body === null) return undefined
  const title = (body as Record<string, unknown>).title
  return typeof title === 'string' && title !== '' ? title : undefined
}

export function createApp(options: PolicyOptions) {
  // `Variables` types what a middleware stores with c.set('user', ...); undefined = anonymous.
  const app = new Hono<{ Variables: { user: User | undefined } }>()

  // TODO: authentication on every route. No Authorization header or another scheme: anonymous.
  //       `Bearer <token>` with an own key of options.tokens: that user. Any other Bearer
  //       credentials: 401, `WWW-Authenticate: Bearer`, JSON { "error": "unauthorized" }.

  // TODO: a denial helper: 401 (with the challenge) when the caller is anonymous,
  //       403 { "error": "forbidden" } when they are signed in.

  // TODO: GET /api/docs -> 200 with every doc, in order.
  // TODO: POST /api/docs (editors, admins) -> 201 with the new doc; bad body -> 400.
  // TODO: GET, PATCH, DELETE /api/docs/:id: route permission -> load (404) -> object permission
  //       -> body (400) -> act.
  // TODO: POST /api/docs/:id/lock (admins) -> 200 with the doc, now locked.

  app.notFound((c) => c.json({ error: 'not_found' }, 404))

  return app
}
