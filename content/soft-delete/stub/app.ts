import { Hono, type Context } from 'hono'
import { createMiddleware } from 'hono/factory'
import { z } from 'zod'

export type Role = 'admin' | 'member'

/** Who a token belongs to. */
export interface User {
  userId: string
  role: Role
}

export interface Document {
  id: string
  /** Unique among the documents that are not deleted. */
  slug: string
  title: string
  /** When the document was soft-deleted (ISO 8601), or null while it is live. */
  deletedAt: string | null
}

export interface DocumentsOptions {
  /** The documents the app starts with, deleted ones included, in list order. */
  documents: Document[]
  /** Opaque bearer tokens: the token string -> the user it signs in. */
  tokens: Record<string, User>
  /** The current time in milliseconds since the epoch. The app reads time only through this. */
  now: () => number
}

type Env = { Variables: { user: User } }

const BEARER = /^Bearer +([A-Za-z0-9\-._~+/]+=*)$/i

const DocumentInput = z.object({
  slug: z.string().regex(/^[a-z0-9-]+$/),
  title: z.string().trim().min(1),
})

function notFound(c: Context) {
  return c.json({ error: 'not_found' }, 404)
}

function unauthorized(c: Context) {
  c.header('WWW-Authenticate', 'Bearer realm="api"')
  return c.json({ error: 'unauthorized' }, 401)
}

function forbidden(c: Context) {
  return c.json({ error: 'forbidden' }, 403)
}

// This app works, but it deletes for good. Turn it into a soft-deleting one: the README has
// the exact contract.
export function createApp(options: DocumentsOptions) {
  const { now } = options
  const users = new Map(Object.entries(options.tokens))
  const docs = new Map(options.documents.map((doc) => [doc.id, { ...doc }]))
  let lastId = 0

  // TODO (task 1): some seed documents are already deleted (their deletedAt is set). Every read
  //       path below - list, search, item, stats - must treat them as gone.

  const app = new Hono<Env>()

  /** The user the request's bearer token signs in, if any. */
  const signedIn = (c: Context) => {
    const header = c.req.header('Authorization')
    const token = header ? BEARER.exec(header)?.[1] : undefined
    return token === undefined ? undefined : users.get(token)
  }

  const authenticate = createMiddleware<Env>(async (c, next) => {
    const user = signedIn(c)
    if (!user) return unauthorized(c)
    c.set('user', user)
    await next()
  })

  const requireAdmin = createMiddleware<Env>(async (c, next) => {
    if (c.get('user').role !== 'admin') return forbidden(c)
    await next()
  })

  app.get('/api/documents', (c) => {
    // TODO (task 2): `?include=deleted` is for admins only (no token -> 401, a member -> 403)
    //       and lists the deleted documents too, each with its deletedAt.
    const q = c.req.query('q')?.toLowerCase()
    let found = [...docs.values()]
    if (q) found = found.filter((doc) => doc.title.toLowerCase().includes(q))
    return c.json(found)
  })

  app.get('/api/documents/:id', (c) => {
    const doc = docs.get(c.req.param('id'))
    return doc ? c.json(doc) : notFound(c)
  })

  app.get('/api/stats', (c) => c.json({ documents: docs.size }))

  app.post('/api/documents', authenticate, async (c) => {
    const parsed = DocumentInput.safeParse(await c.req.json().catch(() => undefined))
    if (!parsed.success) return c.json({ error: 'invalid_document' }, 400)
    const { slug, title } = parsed.data
    // TODO (task 5): which documents may hold a slug that is already in use? (README, task 5)
    if ([...docs.values()].some((doc) => doc.slug === slug)) {
      return c.json({ error: 'slug_taken' }, 409)
    }
    let id: string
    do id = `doc-${++lastId}`
    while (docs.has(id))
    const doc: Document = { id, slug, title, deletedAt: null }
    docs.set(id, doc)
    return c.json(doc, 201, { Location: `/api/documents/${id}` })
  })

  app.delete('/api/documents/:id', authenticate, (c) => {
    const doc = docs.get(c.req.param('id'))
    if (!doc) return notFound(c)
    // TODO (task 3): soft delete - keep the document and stamp deletedAt with `now()` as an ISO
    //       string.
    docs.delete(doc.id)
    return c.body(null, 204)
  })

  // TODO (task 4): POST /api/documents/:id/restore (admins only, use `requireAdmin`) -> 200 with
  //       the document, deletedAt null again; 404 for an unknown id; 409
  //       { "error": "not_deleted" } for a live document; 409 { "error": "slug_taken" } when a
  //       live document holds its slug.

  app.notFound(notFound)

  return app
}
