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

export function createApp(options: CachingOptions = {}) {
  const now = options.now ?? Date.now
  const maxAge = options.maxAge ?? 60
  const createdAt = now()
  // Done for you: each app keeps its own copy of the articles and when each one last changed.
  const store = new Map<number, Stored>()
  for (const a of options.articles ?? []) {
    store.set(a.id, { article: { id: a.id, title: a.title, body: a.body }, modifiedAt: createdAt })
  }
  const users = new Map((options.users ?? []).map((u) => [u.token, { id: u.id, name: u.name }]))

  const app = new Hono()
  const notFound = (c: Context) => c.json({ error: 'not_found' }, 404)
  const find = (c: Context) => store.get(Number(c.req.param('id')))

  app.get('/articles/:id{[0-9]+}', (c) => {
    const stored = find(c)
    if (!stored) return notFound(c)
    // TODO 1: send a strong ETag that changes whenever the JSON below changes, and only then.
    // TODO 2: answer 304 (no body, same ETag) when If-None-Match matches it (weak comparison).
    // TODO 3: send Last-Modified (whole seconds, IMF-fixdate) and honour If-Modified-Since,
    //         but only when the request has no If-None-Match.
    // TODO 5: Cache-Control: public, max-age=<maxAge> on the 200 and on the 304.
    return c.json(stored.article)
  })

  app.put('/articles/:id{[0-9]+}', async (c) => {
    const stored = find(c)
    if (!stored) return notFound(c)
    // TODO 4: no If-Match -> 428; If-Match that does not match the current ETag (strong
    //         comparison) -> 412; a matching If-None-Match -> 412. Nothing changes then.
    const input = (await c.req.json().catch(() => undefined)) as Partial<Article> | undefined
    if (typeof input?.title !== 'string' || input.title === '' || typeof input.body !== 'string') {
      return c.json({ error: 'invalid_article' }, 400)
    }
    stored.article = { id: stored.article.id, title: input.title, body: input.body }
    stored.modifiedAt = now()
    return c.json(stored.article)
  })

  app.get('/me', (c) => {
    const token = /^Bearer +(\S+)$/i.exec(c.req.header('Authorization') ?? '')?.[1]
    const user = token === undefined ? undefined : users.get(token)
    if (!user) return c.json({ error: 'unauthorized' }, 401, { 'Cache-Control': 'no-store' })
    // TODO 5: Cache-Control: private, no-cache and Vary: Authorization; an ETag of this
    //         user's JSON, and 304 when If-None-Match matches it.
    return c.json(user)
  })

  app.notFound(notFound)
  void maxAge
  return app
}
