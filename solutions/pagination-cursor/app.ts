import { createHmac, timingSafeEqual } from 'node:crypto'
import { Hono } from 'hono'
import { validator } from 'hono/validator'
import { z } from 'zod'

/** One message. The listing is ordered by `(createdAt desc, id desc)`: newest first. */
export interface Message {
  id: number
  /** Milliseconds since the epoch. Many messages can share the same value. */
  createdAt: number
  text: string
}

export interface CursorPaginationOptions {
  /** The messages the app starts with, in any order. The app copies them and never changes them. */
  items: Message[]
  /** The key that signs cursors. Two apps with the same secret accept each other's cursors. */
  secret: string
  /** The current time in milliseconds since the epoch; defaults to `Date.now`. */
  now?: () => number
}

const DEFAULT_LIMIT = 20
const MAX_LIMIT = 100

/** Where a page ends: the sort key of its last message, not its position. */
type Key = readonly [createdAt: number, id: number]

const keyOf = (m: Message): Key => [m.createdAt, m.id]

// The whole order in one function. createdAt alone is not a total order (many messages share a
// timestamp), so the id breaks ties: every message has a different key, and "the messages after
// key K" means exactly one thing however the page boundary falls inside a run of equal times.
function compare(a: Key, b: Key): number {
  return b[0] - a[0] || b[1] - a[1]
}

const digits = z.string().regex(/^\d+$/).transform(Number)
const pageQuery = z.object({
  limit: digits.pipe(z.int().min(1).max(MAX_LIMIT)).default(DEFAULT_LIMIT),
  // Only "is it there" here: whether it is a cursor we issued is the signature's business.
  cursor: z.string().optional(),
})

const newMessage = z.object({
  text: z.string().min(1),
  createdAt: z.int().min(0).optional(),
})

const B64URL = /^[A-Za-z0-9_-]+$/

/** Signs and checks cursors: `<base64url JSON key>.<base64url HMAC-SHA256 of that text>`. */
function cursorCodec(secret: string) {
  const sign = (payload: string) => createHmac('sha256', secret).update(payload).digest('base64url')

  return {
    encode(key: Key): string {
      const payload = Buffer.from(JSON.stringify(key)).toString('base64url')
      return `${payload}.${sign(payload)}`
    },
    /** The key inside a cursor this app signed, or undefined for anything else. */
    decode(cursor: string): Key | undefined {
      const [payload, signature, ...rest] = cursor.split('.')
      if (payload === undefined || signature === undefined || rest.length > 0) return undefined
      if (!B64URL.test(payload) || !B64URL.test(signature)) return undefined
      // Compare the *text* of the signature: Buffer's base64 decoder ignores stray trailing bits,
      // so two different strings could decode to the same bytes. timingSafeEqual so an attacker
      // cannot learn the right signature one byte at a time from response times.
      const expected = Buffer.from(sign(payload))
      const given = Buffer.from(signature)
      if (given.length !== expected.length || !timingSafeEqual(given, expected)) return undefined
      // Only now is the payload trusted. It is ours, so this parse cannot fail; check it anyway:
      // a secret shared with an older version of the app may have signed another shape.
      try {
        const key: unknown = JSON.parse(Buffer.from(payload, 'base64url').toString())
        if (Array.isArray(key) && key.length === 2 && key.every(Number.isSafeInteger)) {
          return [key[0], key[1]]
        }
      } catch {
        // fall through
      }
      return undefined
    },
  }
}

export function createApp(options: CursorPaginationOptions) {
  if (typeof options.secret !== 'string' || options.secret === '') {
    throw new TypeError('createApp: `secret` must be a non-empty string')
  }
  const now = options.now ?? Date.now
  const cursors = cursorCodec(options.secret)

  // Kept sorted in listing order, like a database index on (created_at DESC, id DESC). Copies,
  // so the caller's array and objects never change under them.
  const messages = options.items.map((m) => ({ ...m })).sort((a, b) => compare(keyOf(a), keyOf(b)))
  // Ids are never reused: a deleted id stays retired.
  let lastId = messages.reduce((max, m) => Math.max(max, m.id), 0)

  /** The index of the first message that sorts after `key` (binary search, O(log n)). */
  function firstAfter(key: Key): number {
    let lo = 0
    let hi = messages.length
    while (lo < hi) {
      const mid = (lo + hi) >>> 1
      if (compare(keyOf(messages[mid]!), key) <= 0) lo = mid + 1
      else hi = mid
    }
    return lo
  }

  const app = new Hono()

  app.get(
    '/api/messages',
    validator('query', (query, c) => {
      const parsed = pageQuery.safeParse(query)
      return parsed.success ? parsed.data : c.json({ error: 'invalid_query' }, 400)
    }),
    (c) => {
      const { limit, cursor } = c.req.valid('query')
      let start = 0
      if (cursor !== undefined) {
        const key = cursors.decode(cursor)
        // Anything we did not sign is a client error, never a 500 and never "start over": a
        // silent restart would hand the client pages it has already seen.
        if (key === undefined) return c.json({ error: 'invalid_cursor' }, 400)
        // The cursor names a *position in the order*, not a message. The message it came from
        // may be gone by now; "everything after (createdAt, id)" is still well defined. An
        // offset would not be: one insert above it and the next page repeats a message.
        start = firstAfter(key)
      }

      // SQL: WHERE (created_at, id) < ($1, $2) ORDER BY created_at DESC, id DESC LIMIT $3 + 1.
      // The extra row answers "is there a next page?" without a COUNT(*).
      const window = messages.slice(start, start + limit + 1)
      const data = window.slice(0, limit)
      const last = data.at(-1)
      const nextCursor = window.length > limit && last ? cursors.encode(keyOf(last)) : null
      return c.json({ data, nextCursor })
    },
  )

  app.post('/api/messages', async (c) => {
    // A body that is not JSON is just another invalid body: catch, don't let it become a 500.
    const parsed = newMessage.safeParse(await c.req.json().catch(() => undefined))
    if (!parsed.success) return c.json({ error: 'invalid_body' }, 400)
    const { text, createdAt = now() } = parsed.data
    const message: Message = { id: ++lastId, createdAt, text }
    // A new message usually lands at the front, but one with an old createdAt lands in the
    // middle - possibly in pages a client has already read. Cursors cope with both.
    messages.splice(firstAfter(keyOf(message)), 0, message)
    return c.json(message, 201, { Location: `/api/messages/${message.id}` })
  })

  app.delete('/api/messages/:id{[0-9]+}', (c) => {
    const id = Number(c.req.param('id'))
    const index = messages.findIndex((m) => m.id === id)
    if (index < 0) return c.json({ error: 'not_found' }, 404)
    messages.splice(index, 1)
    return c.body(null, 204)
  })

  app.notFound((c) => c.json({ error: 'not_found' }, 404))

  return app
}
