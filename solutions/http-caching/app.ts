import { createHash } from 'node:crypto'
import { Hono, type Context } from 'hono'

export interface Article {
  id: number
  title: string
  body: string
}

export interface User {
  /** The bearer token that identifies this user. */
  token: string
  id: number
  name: string
}

export interface CachingOptions {
  /** The articles the store starts with; the app keeps its own copy. */
  articles?: Article[]
  /** Who may call `GET /me`, by bearer token. */
  users?: User[]
  /** Seconds a shared cache may reuse an article without asking again; default 60. */
  maxAge?: number
  /** The current time in milliseconds; defaults to `Date.now`. */
  now?: () => number
}

interface Stored {
  article: Article
  /** When the article last changed, in milliseconds. */
  modifiedAt: number
}

/** The exact bytes a GET sends: the ETag is computed from these, so it follows every field. */
const represent = (value: unknown) => JSON.stringify(value)

// A strong ETag promises byte-identical content, so it is a hash of the bytes themselves. A
// version counter would work too; the modification time would not: two writes in the same
// second would share a tag.
const etagOf = (text: string) =>
  `"${createHash('sha256').update(text).digest('base64url').slice(0, 27)}"`

/** The entity-tags of an If-Match / If-None-Match list: `"a", W/"b"` -> ['"a"', 'W/"b"']. */
const tagsIn = (header: string) => header.match(/(?:W\/)?"[^"]*"/g) ?? []

// RFC 9110 section 8.8.3.2. Weak comparison (If-None-Match) ignores the W/ prefix: a cached
// weak copy is good enough to skip a download. Strong comparison (If-Match) needs two strong
// tags: a write may only go ahead if the client saw exactly these bytes.
const weakMatch = (header: string, etag: string) =>
  header.trim() === '*' || tagsIn(header).some((tag) => tag.replace(/^W\//, '') === etag)
const strongMatch = (header: string, etag: string) =>
  header.trim() === '*' || tagsIn(header).some((tag) => tag === etag)

/** Last-Modified is an HTTP-date: whole seconds, IMF-fixdate (`Sun, 06 Nov 1994 08:49:37 GMT`). */
const httpDate = (ms: number) => new Date(Math.floor(ms / 1000) * 1000).toUTCString()

/** An IMF-fixdate (or another form Date.parse reads) in ms; undefined when it is no date. */
function parseHttpDate(value: string): number | undefined {
  const ms = Date.parse(value)
  return Number.isNaN(ms) ? undefined : ms
}

export function createApp(options: CachingOptions = {}) {
  const now = options.now ?? Date.now
  const maxAge = options.maxAge ?? 60
  const createdAt = now()
  const store = new Map<number, Stored>()
  for (const a of options.articles ?? []) {
    store.set(a.id, { article: { id: a.id, title: a.title, body: a.body }, modifiedAt: createdAt })
  }
  const users = new Map((options.users ?? []).map((u) => [u.token, { id: u.id, name: u.name }]))

  // Articles are the same for everyone: any cache, a CDN included, may keep one for maxAge
  // seconds. Per-user data must never sit in a shared cache, and `no-cache` makes the browser
  // ask (cheaply, with the ETag) every time, so a change shows at once.
  const publicCache = `public, max-age=${maxAge}`
  const privateCache = 'private, no-cache'

  const app = new Hono()
  const notFound = (c: Context) => c.json({ error: 'not_found' }, 404)
  const find = (c: Context) => store.get(Number(c.req.param('id')))

  app.get('/articles/:id{[0-9]+}', (c) => {
    const stored = find(c)
    if (!stored) return notFound(c)
    const text = represent(stored.article)
    const headers = {
      ETag: etagOf(text),
      'Last-Modified': httpDate(stored.modifiedAt),
      'Cache-Control': publicCache,
    }
    if (notModified(c, headers.ETag, stored.modifiedAt)) return c.body(null, 304, headers)
    return c.body(text, 200, { ...headers, 'Content-Type': 'application/json' })
  })

  app.put('/articles/:id{[0-9]+}', async (c) => {
    const stored = find(c)
    // Preconditions are ignored when the answer without them would not be 2xx (RFC 9110
    // section 13.2.1): an unknown article is a 404, whatever the client sent.
    if (!stored) return notFound(c)
    const current = etagOf(represent(stored.article))
    const ifMatch = c.req.header('If-Match')
    // 428 (RFC 6585): this API insists on If-Match, so a client that never read the article
    // cannot overwrite someone else's change by accident.
    if (ifMatch === undefined) return c.json({ error: 'precondition_required' }, 428)
    if (!strongMatch(ifMatch, current)) return c.json({ error: 'precondition_failed' }, 412)
    // If-None-Match on a write fails with 412, never 304: 304 only makes sense for GET/HEAD.
    const ifNoneMatch = c.req.header('If-None-Match')
    if (ifNoneMatch !== undefined && weakMatch(ifNoneMatch, current)) {
      return c.json({ error: 'precondition_failed' }, 412)
    }
    const input = (await c.req.json().catch(() => undefined)) as Partial<Article> | undefined
    if (typeof input?.title !== 'string' || input.title === '' || typeof input.body !== 'string') {
      return c.json({ error: 'invalid_article' }, 400)
    }
    stored.article = { id: stored.article.id, title: input.title, body: input.body }
    stored.modifiedAt = now()
    const text = represent(stored.article)
    return c.body(text, 200, { 'Content-Type': 'application/json', ETag: etagOf(text) })
  })

  app.get('/me', (c) => {
    const token = /^Bearer +(\S+)$/i.exec(c.req.header('Authorization') ?? '')?.[1]
    const user = token === undefined ? undefined : users.get(token)
    if (!user) return c.json({ error: 'unauthorized' }, 401, { 'Cache-Control': 'no-store' })
    const text = represent(user)
    // The body depends on the Authorization header, so Vary says so: a cache that keys on the
    // URL alone could hand one user's profile to the next person on the same machine.
    const headers = { ETag: etagOf(text), 'Cache-Control': privateCache, Vary: 'Authorization' }
    const ifNoneMatch = c.req.header('If-None-Match')
    if (ifNoneMatch !== undefined && weakMatch(ifNoneMatch, headers.ETag)) {
      return c.body(null, 304, headers)
    }
    return c.body(text, 200, { ...headers, 'Content-Type': 'application/json' })
  })

  app.notFound(notFound)
  return app
}

/**
 * RFC 9110 section 13.2.2 for GET and HEAD: If-None-Match decides when present, and only
 * without it does If-Modified-Since count. Hono answers HEAD with this same GET handler.
 */
function notModified(c: Context, etag: string, modifiedAt: number): boolean {
  const ifNoneMatch = c.req.header('If-None-Match')
  if (ifNoneMatch !== undefined) return weakMatch(ifNoneMatch, etag)
  const ifModifiedSince = c.req.header('If-Modified-Since')
  const since = ifModifiedSince === undefined ? undefined : parseHttpDate(ifModifiedSince)
  // A date that does not parse is ignored, not read as "the beginning of time". Compare whole
  // seconds: the client only ever saw the Last-Modified second, so a change later in that same
  // second is invisible to dates - one reason the ETag exists, and wins.
  if (since === undefined) return false
  return Math.floor(modifiedAt / 1000) * 1000 <= since
}
