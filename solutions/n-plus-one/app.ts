import { Hono } from 'hono'

/** A value SQLite can bind or return. */
export type SqlValue = string | number | boolean | null | Uint8Array
/** Positional values for `?` placeholders, or named ones keyed with their prefix (`{ ':id': 7 }`). */
export type SqlParams = readonly SqlValue[] | Readonly<Record<string, SqlValue>>

/** The database driver, in the shape of better-sqlite3 and node:sqlite. */
export interface SqlDatabase {
  /** Runs one or more statements without parameters (schema, scripts). */
  exec(sql: string): void
  /** Runs one statement and returns every row. */
  all<T = Record<string, SqlValue>>(sql: string, params?: SqlParams): T[]
  /** Runs one statement and returns its first row, or undefined. */
  get<T = Record<string, SqlValue>>(sql: string, params?: SqlParams): T | undefined
  /** Runs one statement that changes data. */
  run(sql: string, params?: SqlParams): { changes: number; lastInsertRowid: number }
}

export interface PostsOptions {
  /** The database; authors, posts, tags and post_tags exist already (see the README). */
  db: SqlDatabase
}

/** A post as the API answers it. */
export interface Post {
  id: number
  title: string
  publishedAt: string
  author: { id: number; name: string }
  /** Tag names, ascending. */
  tags: string[]
}

interface PostRow {
  id: number
  title: string
  published_at: string
  author_id: number
  author_name: string
}

const DIGITS = /^[0-9]{1,9}$/

/** limit 1 to 100 (default 20), offset 0 or more (default 0), both in digits. */
function readPage(query: Record<string, string>): { limit: number; offset: number } | { field: string } {
  const { limit = '20', offset = '0' } = query
  if (!DIGITS.test(limit) || Number(limit) < 1 || Number(limit) > 100) return { field: 'limit' }
  if (!DIGITS.test(offset)) return { field: 'offset' }
  return { limit: Number(limit), offset: Number(offset) }
}

/**
 * Posts with their authors and tags in two statements, however many posts there are: a JOIN
 * for the one author of each post (many-to-one: one row per post either way), then one batch
 * for the tags of all of them (many-to-many: a JOIN would repeat each post once per tag).
 * The same shape as Django's select_related and prefetch_related.
 */
function loadPosts(db: SqlDatabase, where: string, params: SqlValue[]): Post[] {
  const rows = db.all<PostRow>(
    `SELECT p.id, p.title, p.published_at, a.id AS author_id, a.name AS author_name
       FROM posts p JOIN authors a ON a.id = p.author_id
      ${where}`,
    params,
  )
  // An empty page needs no tags, and `IN ()` is a syntax error in PostgreSQL and most others.
  if (rows.length === 0) return []
  const ids = rows.map((r) => r.id)
  // One placeholder per id: the ids are bound like any value, never pasted into the text.
  const links = db.all<{ post_id: number; name: string }>(
    `SELECT pt.post_id, t.name
       FROM post_tags pt JOIN tags t ON t.id = pt.tag_id
      WHERE pt.post_id IN (${ids.map(() => '?').join(', ')})
      ORDER BY t.name`,
    ids,
  )
  const tagsByPost = new Map<number, string[]>()
  for (const { post_id, name } of links) {
    const list = tagsByPost.get(post_id) ?? []
    list.push(name)
    tagsByPost.set(post_id, list)
  }
  return rows.map((r) => ({
    id: r.id,
    title: r.title,
    publishedAt: r.published_at,
    author: { id: r.author_id, name: r.author_name },
    // A post without tags is in no row of the batch: it still has a list, an empty one.
    tags: tagsByPost.get(r.id) ?? [],
  }))
}

export function createApp(options: PostsOptions) {
  const { db } = options
  const app = new Hono()

  app.get('/api/posts', (c) => {
    const page = readPage(c.req.query())
    if ('field' in page) return c.json({ error: 'invalid_query', field: page.field }, 400)
    return c.json({ data: loadPosts(db, 'ORDER BY p.id LIMIT ? OFFSET ?', [page.limit, page.offset]) })
  })

  app.get('/api/posts/:id', (c) => {
    const id = c.req.param('id')
    const [post] = DIGITS.test(id) ? loadPosts(db, 'WHERE p.id = ?', [Number(id)]) : []
    return post ? c.json(post) : c.json({ error: 'not_found' }, 404)
  })

  return app
}
