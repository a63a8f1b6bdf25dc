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

// This app answers correctly, and it asks the database once for the page, then once more per
// post for its author and once more per post for its tags: 1 + 2N statements for N posts.
export function createApp(options: PostsOptions) {
  const { db } = options
  const app = new Hono()

  // TODO: load the authors of a page with a JOIN in the posts query, not one query per post.
  const authorOf = (authorId: number) =>
    db.get<{ id: number; name: string }>('SELECT id, name FROM authors WHERE id = ?', [authorId])!

  // TODO: load the tags of every post on the page with one statement (`post_id IN (?, ?, ...)`,
  //       one bound placeholder per id, ORDER BY name), then group them by post. A post without
  //       tags still gets `[]`, and an empty page sends no `IN ()` at all.
  const tagsOf = (postId: number) =>
    db
      .all<{ name: string }>(
        `SELECT t.name FROM post_tags pt JOIN tags t ON t.id = pt.tag_id
          WHERE pt.post_id = ? ORDER BY t.name`,
        [postId],
      )
      .map((t) => t.name)

  const toPost = (row: { id: number; title: string; published_at: string; author_id: number }): Post => ({
    id: row.id,
    title: row.title,
    publishedAt: row.published_at,
    author: authorOf(row.author_id),
    tags: tagsOf(row.id),
  })

  app.get('/api/posts', (c) => {
    const page = readPage(c.req.query())
    if ('field' in page) return c.json({ error: 'invalid_query', field: page.field }, 400)
    const rows = db.all<{ id: number; title: string; published_at: string; author_id: number }>(
      'SELECT id, title, published_at, author_id FROM posts ORDER BY id LIMIT ? OFFSET ?',
      [page.limit, page.offset],
    )
    return c.json({ data: rows.map(toPost) })
  })

  // TODO: the detail answers the same post with the same few statements, however many tags
  //       it has (today: the post, its author, its tag ids, then one query per tag).
  app.get('/api/posts/:id', (c) => {
    const id = c.req.param('id')
    if (!DIGITS.test(id)) return c.json({ error: 'not_found' }, 404)
    const row = db.get<{ id: number; title: string; published_at: string; author_id: number }>(
      'SELECT id, title, published_at, author_id FROM posts WHERE id = ?',
      [Number(id)],
    )
    if (!row) return c.json({ error: 'not_found' }, 404)
    const tagIds = db.all<{ tag_id: number }>('SELECT tag_id FROM post_tags WHERE post_id = ?', [row.id])
    const tags = tagIds.map(({ tag_id }) => db.get<{ name: string }>('SELECT name FROM tags WHERE id = ?', [tag_id])!.name)
    return c.json({
      id: row.id,
      title: row.title,
      publishedAt: row.published_at,
      author: authorOf(row.author_id),
      tags: tags.sort(),
    })
  })

  return app
}
