import { Hono } from 'hono'
import { streamSSE } from 'hono/streaming'

export interface NotificationsOptions {
  /** Token -> user id. A stream belongs to the user its token names. */
  tokens: Record<string, string>
  /** How many of the latest events (all users together) are kept for replay; default 100. */
  bufferSize?: number
  /** The heartbeat interval handed to `schedule`, in ms; default 15 000. */
  heartbeatMs?: number
  /** The `retry:` the stream starts with: how long a browser waits before reconnecting, in ms. */
  retryMs?: number
  /**
   * Calls `beat` every `everyMs` until the returned function is called. The default uses
   * setInterval; the grader passes a fake it fires by hand.
   */
  schedule?: (beat: () => void, everyMs: number) => () => void
}

export interface NotificationsApp {
  app: Hono
  /** Sends an event to every open stream of `userId` and keeps it for replay; returns its id. */
  publish: (userId: string, type: string, data: unknown) => string
  /** How many streams are open right now. */
  subscriberCount: () => number
}

const defaultSchedule = (beat: () => void, everyMs: number) => {
  const timer = setInterval(beat, everyMs)
  return () => clearInterval(timer)
}

export function createApp(options: NotificationsOptions): NotificationsApp {
  const { tokens } = options
  const schedule = options.schedule ?? defaultSchedule
  // TODO: read bufferSize (100), heartbeatMs (15 000) and retryMs (3000), and throw a RangeError
  // for a value out of range (see the README).

  // TODO: the app's state: the last event id, the events kept for replay, and the open streams
  // of each user.

  const app = new Hono()

  app.get('/api/notifications/stream', (c) => {
    // TODO: find the user from `Authorization: Bearer <token>` or `?token=`; answer 401 with
    // WWW-Authenticate: Bearer and { "error": "unauthorized" } when there is none.
    void tokens

    return streamSSE(c, async (stream) => {
      // TODO: write `retry: <retryMs>`, replay what a Last-Event-ID missed (or send `reset`),
      // register this stream for its user, then send the `ready` event.
      await stream.writeSSE({ event: 'todo', data: '{}' })

      // TODO: schedule this stream's heartbeat with `schedule`, keep the stream open until
      // `stream.onAbort` fires, then undo everything the stream set up.
      void schedule
    })
  })

  const publish = (userId: string, type: string, data: unknown): string => {
    // TODO: validate `type`, give the event the next id, keep it for replay, and send it to
    // every open stream of `userId`.
    void userId
    void type
    void data
    return '0'
  }

  // TODO: count the open streams.
  return { app, publish, subscriberCount: () => 0 }
}
