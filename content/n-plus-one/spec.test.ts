// n-plus-one - the hidden spec.
//
// Wrong implementations this spec is built to catch:
// - one query per post for its author, or for its tags (1 + N or 1 + 2N statements)
// - the detail route left naive: one query per tag of the post
// - the post ids pasted into the IN list (`IN (3, 5, 7)` or a pasted JSON array) instead of
//   one bound placeholder per id
// - an empty page that still sends the tag batch with `IN ()` (a syntax error on PostgreSQL)
// - a post without tags loses its `tags` member or gets null instead of []
// - tags in insertion or id order instead of by name, or tags of one post given to another
// - tags sorted without case (`COLLATE NOCASE`) or by locale (`localeCompare`) instead of
//   SQLite's binary order
// - the authors batched with their ids pasted into the IN list
// - "fixed" by loading the whole authors table in one statement
// - `:id` read with Number() (`+7`, ` 7`, `7.0`, `0x1f`, `7e0` find post 7)
// - "fixed" by loading every tag link of every post in one statement (a fixed count, and a
//   table read on every page)
// - an author with many posts shown on one of them only, or the JOIN dropping posts
// - the JSON changed on the way: members renamed, author flattened, posts out of id order
import { describe, expect, it } from 'vitest'
import {
  build,
  client,
  database,
  random,
  task,
  type DatabaseProbe,
} from '../../harness/spec-kit/index.ts'
import { createApp, type Post } from '../../exercises/n-plus-one/app.ts'

const SCHEMA = `
CREATE TABLE authors (id INTEGER PRIMARY KEY, name TEXT NOT NULL);
CREATE TABLE posts (id INTEGER PRIMARY KEY, author_id INTEGER NOT NULL REFERENCES authors (id),
                    title TEXT NOT NULL, published_at TEXT NOT NULL);
CREATE TABLE tags (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE);
CREATE TABLE post_tags (post_id INTEGER NOT NULL REFERENCES posts (id),
                        tag_id INTEGER NOT NULL REFERENCES tags (id), PRIMARY KEY (post_id, tag_id));`

const cap = (w: string) => w[0]!.toUpperCase() + w.slice(1)

interface Shape {
  posts: number
  authors?: number
  tags?: number
  /** Most tags on one post. */
  maxTags?: number
  /** Tag counts of the first posts, when a check needs a post with many or none. */
  fixed?: number[]
  /** Tag names the check needs, added to the `tags` random ones. */
  names?: string[]
}

/**
 * A fresh database: posts with ids of four digits and more and authors with ids of five (so a
 * pasted id is visible in the SQL), few authors (so each has many posts), tags whose ids do not
 * follow their names, about a third of the posts without tags, every table filled in a shuffled
 * order.
 */
async function setup(shape: Shape) {
  const rng = random()
  const { db, probe } = await database()
  probe.exec(SCHEMA)
  const authors = Array.from({ length: shape.authors ?? 3 }, (_, i) => ({ id: 50000 + i * 97 + rng.int(1, 90), name: `${cap(rng.word())} ${cap(rng.word())}` }))
  const names = new Set<string>(shape.names)
  while (names.size < (shape.tags ?? 12) + (shape.names?.length ?? 0)) names.add(rng.word(3, 9))
  const tagIds = rng.shuffle([...names].map((_, i) => i + 1))
  const tags = [...names].map((name, i) => ({ id: tagIds[i]!, name }))
  const postIds = Array.from({ length: shape.posts }, (_, i) => 1000 + i * 13 + rng.int(1, 12))
  const posts = postIds.map((id, i) => {
    const count = shape.fixed?.[i] ?? (rng.next() < 0.35 ? 0 : rng.int(1, shape.maxTags ?? 4))
    return {
      id,
      author: rng.pick(authors),
      title: `${cap(rng.word())} ${rng.word()} ${rng.word()}`,
      publishedAt: new Date(Date.UTC(2024, rng.int(0, 11), rng.int(1, 28), rng.int(0, 23))).toISOString(),
      tags: rng.shuffle(tags).slice(0, Math.min(count, tags.length)),
    }
  })
  const links = rng.shuffle(posts.flatMap((p) => p.tags.map((t) => [p.id, t.id] as const)))
  // One script, in shuffled orders: the spec's own SQL with its own quoted literals.
  const quote = (text: string) => `'${text.replaceAll("'", "''")}'`
  const values = (rows: readonly (readonly (string | number)[])[]) =>
    rows.map((r) => `(${r.map((v) => (typeof v === 'number' ? v : quote(v))).join(', ')})`).join(', ')
  probe.exec(
    `INSERT INTO authors (id, name) VALUES ${values(rng.shuffle(authors).map((a) => [a.id, a.name]))};
     INSERT INTO tags (id, name) VALUES ${values(rng.shuffle(tags).map((t) => [t.id, t.name]))};
     INSERT INTO posts (id, author_id, title, published_at)
       VALUES ${values(rng.shuffle(posts).map((p) => [p.id, p.author.id, p.title, p.publishedAt]))};
     ${links.length ? `INSERT INTO post_tags (post_id, tag_id) VALUES ${values(links)};` : ''}`,
  )

  /** What the naive app answers for each post: the contract this exercise must keep. */
  const expected: Post[] = posts.map((p) => ({
    id: p.id,
    title: p.title,
    publishedAt: p.publishedAt,
    author: { id: p.author.id, name: p.author.name },
    // Binary order: JavaScript's default sort compares UTF-16 units, the same order as SQLite's
    // bytes for these names (all below U+D800).
    tags: p.tags.map((t) => t.name).sort(),
  }))
  const api = client(build(createApp, { db }))
  return { rng, probe, api, expected, links: links.length }
}

type Setup = Awaited<ReturnType<typeof setup>>

/** Requests a page and returns the statements it ran. */
async function page(s: Setup, limit: number, offset = 0) {
  s.probe.clear()
  const res = await s.api.get(`/api/posts?limit=${limit}&offset=${offset}`)
  const want = s.expected.slice(offset, offset + limit)
  expect(res, `GET /api/posts?limit=${limit}&offset=${offset}`).toHaveStatus(200)
  expect(res, `GET /api/posts?limit=${limit}&offset=${offset}: the same JSON as the naive version`).toHaveJsonBody({ data: want })
  return { statements: s.probe.statements(), summary: s.probe.summary(), posts: want }
}

const mentioning = (statements: readonly { sql: string }[], table: RegExp) => statements.filter((s) => table.test(s.sql))

/** No statement carries one of these ids in its text: they must be bound. */
function expectIdsBound(statements: readonly { sql: string }[], rows: readonly { id: number }[], what = 'post') {
  for (const { sql } of statements) {
    for (const { id } of rows) {
      expect(new RegExp(`\\b${id}\\b`).test(sql), `the ${what} id ${id} is pasted into the SQL text: ${sql}`).toBe(false)
    }
  }
}

/**
 * Re-runs each statement (all reads) behind the app's back and counts its rows: a page may read
 * its posts and their tag links, not every link in the table.
 */
function expectOnlyThePage(probe: DatabaseProbe, statements: readonly { sql: string; params: unknown }[], posts: Post[]) {
  const budget = posts.length + posts.reduce((n, p) => n + p.tags.length, 0)
  for (const { sql, params } of statements) {
    const rows = probe.query(sql, params as never).length
    expect(rows, `this statement reads ${rows} rows for a page of ${posts.length} posts with ${budget - posts.length} tags in all: ${sql}`).toBeLessThanOrEqual(budget)
  }
}

describe('n-plus-one', () => {
  task(1, 'Load authors with a JOIN', () => {
    it('lists posts in id order with their authors and sorted tags, as before', async () => {
      const s = await setup({ posts: 30 })
      await page(s, 100)
      const first = await s.api.get('/api/posts')
      expect(first, 'the default page is the first 20').toHaveJsonBody({ data: s.expected.slice(0, 20) })
    })

    it('pages with limit and offset', async () => {
      const s = await setup({ posts: 30 })
      await page(s, s.rng.int(2, 9), s.rng.int(1, 20))
    })

    it('reads the authors of a page with one statement, for 3 posts and for 40', async () => {
      const s = await setup({ posts: 45, authors: 6 })
      for (const limit of [3, 40]) {
        const { statements, summary } = await page(s, limit)
        expect(mentioning(statements, /\bauthors\b/i).length, `statements that read authors for ${limit} posts. ${summary}`).toBeLessThanOrEqual(1)
      }
    })

    it('shows an author with many posts on every one of them', async () => {
      const s = await setup({ posts: 25, authors: 2 })
      await page(s, 25)
    })

    it('reads the authors of the page only, not every author', async () => {
      const s = await setup({ posts: 60, authors: 40, maxTags: 3 })
      for (const limit of [1, 3]) {
        const { statements, posts } = await page(s, limit, s.rng.int(0, 50))
        expectOnlyThePage(s.probe, statements, posts)
      }
    })

    it('binds the author ids, if it reads the authors in a batch', async () => {
      const s = await setup({ posts: 30, authors: 12 })
      const { statements, posts } = await page(s, s.rng.int(5, 10), s.rng.int(0, 10))
      expectIdsBound(statements, posts.map((p) => p.author), 'author')
      s.probe.clear()
      const post = s.rng.pick(s.expected)
      expect(await s.api.get(`/api/posts/${post.id}`)).toHaveJsonBody(post)
      expectIdsBound(s.probe.statements(), [post.author], 'author')
    })
  })

  task(2, 'Batch the tags with one IN list', () => {
    it('reads the tags of a page with one statement, for 3 posts and for 40', async () => {
      const s = await setup({ posts: 45 })
      for (const limit of [3, 40]) {
        const { statements, summary } = await page(s, limit)
        expect(mentioning(statements, /\bpost_tags\b/i).length, `statements that read tags for ${limit} posts. ${summary}`).toBeLessThanOrEqual(1)
      }
    })

    it('binds the post ids instead of pasting them into the IN list', async () => {
      const s = await setup({ posts: 20 })
      const { statements, posts } = await page(s, s.rng.int(5, 10), s.rng.int(0, 5))
      expectIdsBound(statements, posts)
    })

    it('reads the tags of the page only, not every post\'s', async () => {
      const s = await setup({ posts: 60, maxTags: 5 })
      const { statements, posts } = await page(s, 5, s.rng.int(0, 40))
      expectOnlyThePage(s.probe, statements, posts)
    })

    it('gives a post without tags "tags": [] and sorts the others by name', async () => {
      const s = await setup({ posts: 12, tags: 15, fixed: [0, 9, 0, 7, 0] })
      await page(s, 5)
      await page(s, 12)
    })

    it('sorts tags in binary order: capitals before lower case, accented letters after both', async () => {
      // Binary: Apple, Zig, api, eclair, zebra, Éclair, Émile, ángel. NOCASE puts api before
      // Zig; localeCompare puts Éclair next to eclair.
      const names = ['Zig', 'api', 'Éclair', 'eclair', 'Apple', 'zebra', 'Émile', 'ángel']
      const s = await setup({ posts: 8, tags: 6, names, fixed: [14, 0, 9, 14] })
      await page(s, 8)
      const post = s.expected[0]!
      expect(await s.api.get(`/api/posts/${post.id}`), 'the detail sorts the same way').toHaveJsonBody(post)
    })

    it('answers an empty page with { "data": [] } and sends no IN ()', async () => {
      const s = await setup({ posts: 8 })
      const { statements } = await page(s, 10, s.rng.int(8, 50))
      for (const { sql } of statements) {
        expect(/\bIN\s*\(\s*\)/i.test(sql), `an empty page sent an empty IN list, a syntax error on PostgreSQL: ${sql}`).toBe(false)
      }
    })
  })

  task(3, 'Keep the count fixed, the detail too', () => {
    it('runs at most 3 statements per page, for 1, 10 and 100 posts', async () => {
      const s = await setup({ posts: 100, authors: 8 })
      for (const limit of [1, 10, 100]) {
        const { statements, summary } = await page(s, limit)
        expect(statements.length, `statements for a page of ${limit} posts. ${summary}`).toBeLessThanOrEqual(3)
      }
    })

    it('GET /api/posts/:id answers the post with at most 3 statements, however many tags it has', async () => {
      const s = await setup({ posts: 6, tags: 20, fixed: [12, 0] })
      const post = s.expected[0]!
      s.probe.clear()
      const res = await s.api.get(`/api/posts/${post.id}`)
      expect(res).toHaveStatus(200)
      expect(res, 'the post, as in the list').toHaveJsonBody(post)
      expect(s.probe.count(), `statements for a post with ${post.tags.length} tags. ${s.probe.summary()}`).toBeLessThanOrEqual(3)
      expectIdsBound(s.probe.statements(), [post])
      const bare = s.expected[1]!
      expect(await s.api.get(`/api/posts/${bare.id}`), 'a post without tags').toHaveJsonBody(bare)
    })

    it('GET /api/posts/:id answers 404 for an id no post has and for a non-digit id', async () => {
      const s = await setup({ posts: 4 })
      const missing = s.expected[3]!.id + 1
      const id = s.expected[0]!.id
      const digits = String(id)
      // Number() reads every one of these as the id: none of them is digits.
      const loose = [
        `+${id}`, `%20${id}`, `${id}%20`, `${id}.0`, `${id}.`, `${id}e0`, `${digits[0]}.${digits.slice(1)}e${digits.length - 1}`,
        `0x${id.toString(16)}`, `0o${id.toString(8)}`, `0b${id.toString(2)}`,
      ]
      for (const path of [`/api/posts/${missing}`, '/api/posts/abc', `/api/posts/${id}x`, ...loose.map((raw) => `/api/posts/${raw}`)]) {
        const res = await s.api.get(path)
        expect(res, `GET ${path}`).toHaveStatus(404)
        expect(res).toHaveJsonBody(expect.objectContaining({ error: 'not_found' }))
      }
    })
  })
})
