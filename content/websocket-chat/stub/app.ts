import { createNodeWebSocket } from '@hono/node-ws'
import { Hono } from 'hono'
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

/** A frame a client may send. TODO: the `who` and `ack` frames, and the limits on `text`. */
const ClientFrame = z.discriminatedUnion('type', [z.object({ type: z.literal('say'), text: z.string() })])

export function createApp(options: ChatOptions) {
  const { tokens } = options
  // TODO: read maxUnacked (default 100); throw a RangeError unless it is an integer >= 1.

  // TODO: the rooms of this app, and in each the open connections (user, socket, seq counters).

  const app = new Hono<{ Variables: { user: string; room: string } }>()
  const { injectWebSocket, upgradeWebSocket } = createNodeWebSocket({ app })

  app.get(
    '/ws/rooms/:room',
    async (c, next) => {
      // TODO: 404 for a bad room name, 401 without a valid token (Authorization: Bearer or
      // ?token=), 426 for a plain GET; remember the user for the connection.
      void tokens
      c.set('user', 'anonymous')
      c.set('room', c.req.param('room'))
      await next()
    },
    upgradeWebSocket((c) => {
      const user = c.get('user')
      const room = c.get('room')
      return {
        onOpen(_event, ws) {
          // TODO: join the room, send `welcome`, tell the others who joined.
          void ws
        },
        onMessage(event, ws) {
          // TODO: validate the frame (an `error` frame when it is invalid), then handle `say`
          // (broadcast with seq, through the slow-consumer window), `who` and `ack`.
          const frame = ClientFrame.safeParse(JSON.parse(String(event.data)))
          if (frame.success) ws.send(JSON.stringify({ type: 'message', room, user, text: frame.data.text, seq: 1 }))
        },
        onClose() {
          // TODO: leave the room, and tell the others when it was the user's last connection.
        },
      }
    }),
  )

  return { app, injectWebSocket }
}
