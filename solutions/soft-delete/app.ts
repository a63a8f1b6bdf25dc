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

const isLive = (doc: Document) => doc.deletedAt === null

/** A copy holding exactly the four fields the API shows. */
const copyOf = ({ id, slug, title, deletedAt }: Document): Document => ({
  id,
  slug,
  title,
  deletedAt,
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

/** Documents that are soft-deleted: hidden from everyone but admins, and restorable by them. */
export function createApp(options: DocumentsOptions) {
  const { now } = options
  const users = new Map(Object.entries(options.tokens))

  // The app's own copies. Soft delete *writes* to a document (it sets deletedAt), so sharing the
  // caller's objects would delete them in the caller's data and in every other app built from it.
  const docs = new Map(options.documents.map((doc) => [doc.id, copyOf(doc)]))
  let lastId = 0

  // The one place that decides what "visible" means. Every read path - the list, the item, the
  // search, the count - starts here; a query that forgets the filter is the classic soft-delete
  // bug, so give it no chance to be written twice.
  const live = () => [...docs.values()].filter(isLive)
  const findLive = (id: string) => {
    const doc = docs.get(id)
    return doc && isLive(doc) ? doc : undefined
  }

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

  // `?include=deleted` widens the query, so it is an admin feature: the route is public, but
  // asking for the trash switches authentication and the role check on. A member who asks gets
  // 403 rather than a silently filtered list, so the client learns the option is not theirs.
  app.get('/api/documents', (c) => {
    const withDeleted = c.req.query('include') === 'deleted'
    if (withDeleted) {
      const user = signedIn(c)
      if (!user) return unauthorized(c)
      if (user.role !== 'admin') return forbidden(c)
    }
    const q = c.req.query('q')?.toLowerCase()
    let found = withDeleted ? [...docs.values()] : live()
    if (q) found = found.filter((doc) => doc.title.toLowerCase().includes(q))
    return c.json(found)
  })

  // A deleted document answers exactly like one that never existed: 404 for everyone.
  app.get('/api/documents/:id', (c) => {
    const doc = findLive(c.req.param('id'))
    return doc ? c.json(doc) : notFound(c)
  })

  app.get('/api/stats', (c) => c.json({ documents: live().length }))

  app.post('/api/documents', authenticate, async (c) => {
    const parsed = DocumentInput.safeParse(await c.req.json().catch(() => undefined))
    if (!parsed.success) return c.json({ error: 'invalid_document' }, 400)
    const { slug, title } = parsed.data
    // Unique among live documents only - the in-memory twin of a partial unique index
    // (`CREATE UNIQUE INDEX ... ON documents (slug) WHERE deleted_at IS NULL`). A plain
    // UNIQUE(slug) would keep the slug of every deleted document reserved forever.
    if (live().some((doc) => doc.slug === slug)) return c.json({ error: 'slug_taken' }, 409)
    // Ids are never reused, not even those of deleted documents: a restore must find its own.
    let id: string
    do id = `doc-${++lastId}`
    while (docs.has(id))
    const doc: Document = { id, slug, title, deletedAt: null }
    docs.set(id, doc)
    return c.json(doc, 201, { Location: `/api/documents/${id}` })
  })

  // Soft delete: the row stays, stamped with the injected clock. Deleting it again is 404,
  // because as far as a client can see there is nothing left to delete.
  app.delete('/api/documents/:id', authenticate, (c) => {
    const doc = findLive(c.req.param('id'))
    if (!doc) return notFound(c)
    doc.deletedAt = new Date(now()).toISOString()
    return c.body(null, 204)
  })

  // The role check needs no document, so it runs first: a member learns nothing about which
  // ids exist in the trash. Then 404 (no such row at all), then the two 409s: the request is
  // well-formed but conflicts with the document's current state.
  app.post('/api/documents/:id/restore', authenticate, requireAdmin, (c) => {
    const doc = docs.get(c.req.param('id'))
    if (!doc) return notFound(c)
    if (isLive(doc)) return c.json({ error: 'not_deleted' }, 409)
    // While it was deleted its slug was free, and someone may have taken it since. Restoring it
    // anyway would leave two live documents with one "unique" slug.
    if (live().some((other) => other.slug === doc.slug)) {
      return c.json({ error: 'slug_taken' }, 409)
    }
    doc.deletedAt = null
    return c.json(doc)
  })

  app.notFound(notFound)

  return app
}
