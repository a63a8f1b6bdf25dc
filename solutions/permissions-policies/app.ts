import { Hono, type Context } from 'hono'
import { createMiddleware } from 'hono/factory'

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

// The combinators: DRF spells them `&`, `|` and `~` on permission classes.
export const allOf =
  (...ps: Permission[]): Permission =>
  (check) =>
    ps.every((p) => p(check))
export const anyOf =
  (...ps: Permission[]): Permission =>
  (check) =>
    ps.some((p) => p(check))
export const not =
  (p: Permission): Permission =>
  (check) =>
    !p(check)

// The building blocks. Each one asks one question and knows nothing of status codes.
const allowAny: Permission = () => true
const isAuthenticated: Permission = ({ user }) => user !== undefined
const hasRole =
  (role: Role): Permission =>
  ({ user }) =>
    user?.role === role
const isAdmin = hasRole('admin')
// GET, HEAD and OPTIONS change nothing, so "read-only" rules let them through (RFC 9110, 9.2.1).
const isSafeMethod: Permission = ({ method }) => ['GET', 'HEAD', 'OPTIONS'].includes(method)
// Ownership compares the ids exactly: a doc owned by "ann2" is not ann's.
const isOwner: Permission = ({ user, doc }) => user !== undefined && doc?.ownerId === user.userId
const isLocked: Permission = ({ doc }) => doc?.locked === true

/** A route's two stages: one checked before the doc is loaded, one checked against it. */
interface Policy {
  route: Permission
  object?: Permission
}

// DRF's tutorial pairing, IsAuthenticatedOrReadOnly + IsOwnerOrReadOnly, plus an admin override
// and a lock that only an admin can see past.
const docDetail: Policy = {
  route: anyOf(isSafeMethod, isAuthenticated),
  object: anyOf(isSafeMethod, isAdmin, allOf(isOwner, not(isLocked))),
}
const policies = {
  listDocs: { route: allowAny },
  createDoc: { route: anyOf(hasRole('editor'), isAdmin) },
  docDetail,
  lockDoc: { route: isAdmin },
} satisfies Record<string, Policy>

type Env = { Variables: { user: User | undefined } }

function unauthorized(c: Context, error?: 'invalid_token') {
  const params = error ? ` realm="api", error="${error}"` : ' realm="api"'
  return c.json({ error: 'unauthorized' }, 401, { 'WWW-Authenticate': `Bearer${params}` })
}

// DRF's rule (APIView.permission_denied): when a check fails for a caller who did not
// authenticate, the answer is 401 with a challenge - signing in might change it. A caller the
// API knows gets 403: the same credentials will never do. The permission itself stays a boolean.
function deny(c: Context<Env>) {
  return c.var.user === undefined ? unauthorized(c) : c.json({ error: 'forbidden' }, 403)
}

/** Reads `{ "title": <non-empty string> }`; undefined for anything else. */
async function readTitle(c: Context): Promise<string | undefined> {
  const body: unknown = await c.req.json().catch(() => undefined)
  if (typeof body !== 'object' || body === null) return undefined
  const title = (body as Record<string, unknown>).title
  return typeof title === 'string' && title !== '' ? title : undefined
}

/** The documents API, every route guarded by a policy checked in DRF's order. */
export function createApp(options: PolicyOptions) {
  // Maps hold only what was put in: no `constructor` token, no `__proto__` doc.
  const users = new Map(Object.entries(options.tokens))
  const docs = new Map(options.docs.map((doc) => [doc.id, { ...doc }]))
  let nextId = 1

  // Authentication runs on every route, public ones included. No credentials makes the caller
  // anonymous; credentials that do not check out are refused outright (DRF does the same: an
  // invalid token is 401 even on an AllowAny view), so a client learns its token is bad.
  const authenticate = createMiddleware<Env>(async (c, next) => {
    const header = c.req.header('Authorization')
    const match = header === undefined ? null : /^\s*(\S+)(?:\s+(.*))?$/.exec(header)
    if (!match || match[1]!.toLowerCase() !== 'bearer') {
      c.set('user', undefined)
      return next()
    }
    const user = users.get(match[2]?.trim() ?? '')
    if (!user) return unauthorized(c, 'invalid_token')
    c.set('user', user)
    await next()
  })

  // Stage one, DRF's has_permission: it runs before anything is loaded, so a caller who may
  // never use this route learns nothing about which ids exist (403 or 401 before 404).
  const guard = (policy: Policy) =>
    createMiddleware<Env>(async (c, next) => {
      if (!policy.route({ user: c.var.user, method: c.req.method })) return deny(c)
      await next()
    })

  /** Loads the doc, then runs stage two (has_object_permission): 404 comes before 403. */
  function loadDoc(c: Context<Env>, policy: Policy): Doc | Response {
    const doc = docs.get(c.req.param('id') ?? '')
    if (!doc) return c.json({ error: 'not_found' }, 404)
    if (policy.object && !policy.object({ user: c.var.user, method: c.req.method, doc })) {
      return deny(c)
    }
    return doc
  }

  const app = new Hono<Env>()
  app.use('*', authenticate)

  app.get('/api/docs', guard(policies.listDocs), (c) => c.json([...docs.values()]))

  // Permissions before validation, as in DRF (initial() runs before the handler): a viewer
  // sending a broken body learns "not allowed", not how to fix the body.
  app.post('/api/docs', guard(policies.createDoc), async (c) => {
    const title = await readTitle(c)
    if (title === undefined) return c.json({ error: 'invalid_body' }, 400)
    let id = `doc-${nextId++}`
    while (docs.has(id)) id = `doc-${nextId++}`
    // The owner is the caller, never a field of the body; a new doc starts unlocked.
    const doc: Doc = { id, ownerId: c.var.user!.userId, title, locked: false }
    docs.set(id, doc)
    return c.json(doc, 201)
  })

  app.get('/api/docs/:id', guard(policies.docDetail), (c) => {
    const doc = loadDoc(c, policies.docDetail)
    return doc instanceof Response ? doc : c.json(doc)
  })

  app.patch('/api/docs/:id', guard(policies.docDetail), async (c) => {
    const doc = loadDoc(c, policies.docDetail)
    if (doc instanceof Response) return doc
    const title = await readTitle(c)
    if (title === undefined) return c.json({ error: 'invalid_body' }, 400)
    // Only the title is the client's to change: copying the body would let an owner hand the
    // doc to someone else (ownerId) or unlock it (locked).
    doc.title = title
    return c.json(doc)
  })

  app.delete('/api/docs/:id', guard(policies.docDetail), (c) => {
    const doc = loadDoc(c, policies.docDetail)
    if (doc instanceof Response) return doc
    docs.delete(doc.id)
    return c.body(null, 204)
  })

  app.post('/api/docs/:id/lock', guard(policies.lockDoc), (c) => {
    const doc = loadDoc(c, policies.lockDoc)
    if (doc instanceof Response) return doc
    doc.locked = true
    return c.json(doc)
  })

  app.notFound((c) => c.json({ error: 'not_found' }, 404))

  return app
}
