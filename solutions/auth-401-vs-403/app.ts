import { Hono, type Context } from 'hono'
import { createMiddleware } from 'hono/factory'

export type Role = 'admin' | 'member'

/** Who a token belongs to. */
export interface User {
  userId: string
  role: Role
}

export interface Post {
  id: string
  authorId: string
  title: string
}

export interface AuthOptions {
  /** Opaque bearer tokens: the token string -> the user it signs in. */
  tokens: Record<string, User>
  /** The posts the app starts with. */
  posts: Post[]
}

type Env = { Variables: { user: User } }

// RFC 6750: `Bearer`, one or more spaces, a token68 - and nothing else. The scheme is
// case-insensitive like every HTTP auth scheme; `Basic ...`, `Token ...`, a bare token or
// trailing words do not match, so they are treated exactly like a missing header.
const BEARER = /^Bearer +([A-Za-z0-9\-._~+/]+=*)$/i

// 401 says "I do not know who you are": the client can fix it by signing in, and the
// WWW-Authenticate challenge tells it how. RFC 6750 section 3.1 sends the `error` auth-param
// only when a bearer token was presented; a missing header or another scheme gets the bare
// challenge. (A malformed `Bearer` header would be `invalid_request` with 400 there; this
// contract answers every "who are you?" failure with 401.)
function unauthorized(c: Context, tokenPresented: boolean) {
  const error = tokenPresented ? ', error="invalid_token"' : ''
  c.header('WWW-Authenticate', `Bearer realm="api"${error}`)
  return c.json({ error: 'unauthorized' }, 401)
}

// 403 says "I know who you are, and the answer is no": these credentials will not do. This
// app's rules are roles and ownership, so no WWW-Authenticate is sent; a scope-based API would
// add `Bearer error="insufficient_scope"` to say which token would do (RFC 6750 section 3.1).
function forbidden(c: Context) {
  return c.json({ error: 'forbidden' }, 403)
}

/** The course's auth exercise: one public route and three that need a signed-in user. */
export function createApp(options: AuthOptions) {
  // A Map holds only what was put into it. Looking a client-chosen string up in a plain object
  // walks the prototype chain: tokens['constructor'] is a function, tokens['__proto__'] is
  // Object.prototype - truthy values that would "sign in" anyone who sends those words.
  // Object.entries copies own enumerable entries only, so inherited ones never get in either.
  const users = new Map(Object.entries(options.tokens))

  // This app's own copy of the posts, keyed by id (a Map keeps insertion order for listing).
  // Deleting from it touches neither the caller's array nor any other app built from it, and
  // copying each post means later changes to the caller's objects do not reach the app. A Map
  // also answers get('constructor') with undefined, where a plain object would find a function.
  const posts = new Map(options.posts.map((post) => [post.id, { ...post }]))

  const app = new Hono<Env>()

  // Authentication: who is calling? It runs before anything looks at the target, so an
  // anonymous client learns nothing about which posts exist, and it stores the answer on the
  // context for the handlers - the Hono counterpart of DRF's request.user.
  const authenticate = createMiddleware<Env>(async (c, next) => {
    const header = c.req.header('Authorization')
    const token = header ? BEARER.exec(header)?.[1] : undefined
    const user = token === undefined ? undefined : users.get(token)
    if (!user) return unauthorized(c, token !== undefined)
    c.set('user', user)
    await next()
  })

  // Authorization by role: a check that needs nothing but the user, so it can be a middleware.
  const requireRole = (role: Role) =>
    createMiddleware<Env>(async (c, next) => {
      if (c.get('user').role !== role) return forbidden(c)
      await next()
    })

  app.get('/api/posts', (c) => c.json([...posts.values()]))

  // Answer with the fields the contract names, not the table entry itself.
  app.get('/api/me', authenticate, (c) => {
    const { userId, role } = c.get('user')
    return c.json({ userId, role })
  })

  app.get('/api/admin/stats', authenticate, requireRole('admin'), (c) =>
    c.json({ posts: posts.size }),
  )

  // Ownership is a property of the post, so this check can only run once the post is loaded:
  // authenticate (401) -> find the post (404) -> authorize against it (403) -> act.
  // A missing post is 404 even for a member: there is nothing to be forbidden from.
  app.delete('/api/posts/:id', authenticate, (c) => {
    const user = c.get('user')
    const post = posts.get(c.req.param('id'))
    if (!post) return c.json({ error: 'not_found' }, 404)
    if (user.role !== 'admin' && post.authorId !== user.userId) return forbidden(c)
    posts.delete(post.id)
    return c.body(null, 204)
  })

  app.notFound((c) => c.json({ error: 'not_found' }, 404))

  return app
}
