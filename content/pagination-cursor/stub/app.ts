import { Hono } from 'hono'

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

export function createApp(options: CursorPaginationOptions) {
  // TODO (task 5): throw a TypeError when options.secret is not a non-empty string.
  const now = options.now ?? Date.now

  // Done for you: the store, and the routes that change it.
  const messages = new Map<number, Message>(options.items.map((m) => [m.id, { ...m }]))
  let lastId = Math.max(0, ...messages.keys())

  const app = new Hono()

  app.get('/api/messages', (c) => {
    // TODO (task 1): order the messages by createdAt, newest first, and by id, highest first,
    //       among messages with the same createdAt; answer { data, nextCursor } with at most
    //       `limit` of them (default 20), nextCursor null when no message comes after them.

    // TODO (task 2): with `cursor`, start right after the position it records.

    // TODO (task 3): `limit` is an integer from 1 to 100; anything else answers
    //       400 { "error": "invalid_query" }.

    // TODO (task 5): sign the cursors; one this app did not sign (garbage, forged, tampered
    //       with) answers 400 { "error": "invalid_cursor" }.
    return c.json({ data: [...messages.values()], nextCursor: null })
  })

  app.post('/api/messages', async (c) => {
    const body: unknown = await c.req.json().catch(() => undefined)
    const { text, createdAt } = (body ?? {}) as Partial<Message>
    const validTime = createdAt === undefined || (Number.isSafeInteger(createdAt) && createdAt >= 0)
    if (typeof text !== 'string' || text === '' || !validTime) {
      return c.json({ error: 'invalid_body' }, 400)
    }
    const message: Message = { id: ++lastId, createdAt: createdAt ?? now(), text }
    messages.set(message.id, message)
    return c.json(message, 201, { Location: `/api/messages/${message.id}` })
  })

  app.delete('/api/messages/:id{[0-9]+}', (c) => {
    const id = Number(c.req.param('id'))
    if (!messages.delete(id)) return c.json({ error: 'not_found' }, 404)
    return c.body(null, 204)
  })

  app.notFound((c) => c.json({ error: 'not_found' }, 404))

  return app
}
