// An event-stream client for specs: opens `GET <path>` on a served app, parses what arrives as
// server-sent events (event-stream.ts) and lets a check wait for the next event, or the end of
// the stream, with failures in the learner's words ("the server never sent event 2"). The
// connection is destroyed after each check, which is how a browser tab going away looks to the
// server: lessons on cleanup watch for exactly that.
import http from 'node:http'
import { REQUEST_TIMEOUT_MS } from './client.ts'
import { EventStreamParser, type SseEvent } from './event-stream.ts'
import type { Served } from './server.ts'
import { streamLog } from './stream-log.ts'

export type { SseEvent }

export interface EventStream {
  status: number
  /** Response headers, names in lower case. */
  headers: Record<string, string>
  /** The next event not yet taken; `what` names it in the failure ("the replayed event 4"). */
  next(what?: string): Promise<SseEvent>
  /** Resolves when the server ends the response; rejects if it stays open. */
  ended(what?: string): Promise<void>
  /** Every event received so far, taken or not. */
  readonly received: readonly SseEvent[]
  /** Comment lines received so far (heartbeats), without the colon. */
  readonly comments: readonly string[]
  /** The last `retry` the stream sent, in ms. */
  readonly retry: number | undefined
  /** Drops the connection, as a closed browser tab does. */
  close(): void
}

export interface EventsOptions {
  headers?: Record<string, string>
  timeoutMs?: number
}

const open = new Set<http.ClientRequest>()

/**
 * Opens an event stream. Resolves once the response headers arrive, whatever the status: a check
 * asserts the status and Content-Type; `next` on a response that is not an event stream fails
 * with its body.
 */
export function openEvents(served: Served, path: string, options: EventsOptions = {}): Promise<EventStream> {
  const timeoutMs = options.timeoutMs ?? REQUEST_TIMEOUT_MS
  const log = streamLog('event-stream', `GET ${path}`)
  const headers = { Accept: 'text/event-stream', ...(options.headers ?? {}) }
  for (const [name, value] of Object.entries(options.headers ?? {})) log(`· ${name}: ${value}`)

  return new Promise((resolve, reject) => {
    const request = http.get(`${served.url}${path}`, { headers })
    open.add(request)
    const timer = setTimeout(() => {
      request.destroy()
      reject(new Error(`GET ${path}: the server sent no response headers (waited ${timeoutMs} ms)`))
    }, timeoutMs)
    request.on('error', (error) => {
      clearTimeout(timer)
      reject(new Error(`GET ${path}: ${error.message}`))
    })
    request.on('response', (res) => {
      clearTimeout(timer)
      const responseHeaders = Object.fromEntries(
        Object.entries(res.headers).map(([k, v]) => [k, Array.isArray(v) ? v.join(', ') : String(v)]),
      )
      const isStream = /^text\/event-stream\b/i.test(responseHeaders['content-type'] ?? '')
      log(`· ${res.statusCode} ${responseHeaders['content-type'] ?? '(no Content-Type)'}`)
      const parser = new EventStreamParser()
      const decoder = new TextDecoder()
      const received: SseEvent[] = []
      const comments: string[] = []
      const queue: SseEvent[] = []
      const waiters: { resolve: (e: SseEvent) => void; reject: (e: Error) => void; what: string }[] = []
      const endWaiters: (() => void)[] = []
      let retry: number | undefined
      let body = ''
      let ended = false

      const finish = (why: string) => {
        if (ended) return
        ended = true
        open.delete(request)
        log(`· ${why}`)
        for (const waiter of waiters.splice(0)) waiter.reject(new Error(endedBefore(waiter.what)))
        for (const done of endWaiters.splice(0)) done()
      }
      const endedBefore = (what: string) =>
        isStream
          ? `the stream ended before the server sent ${what}`
          : `the response is not an event stream (${res.statusCode}, Content-Type: ${responseHeaders['content-type'] ?? 'none'}): ${body.slice(0, 200)}`

      res.on('data', (chunk: Buffer) => {
        const text = decoder.decode(chunk, { stream: true })
        if (!isStream) {
          body += text
          return
        }
        const parsed = parser.push(text)
        if (parsed.retry !== undefined) retry = parsed.retry
        for (const comment of parsed.comments) {
          comments.push(comment)
          log(`← : ${comment}`)
        }
        for (const event of parsed.events) {
          received.push(event)
          log(`← ${event.hasId ? `id: ${event.lastEventId} ` : ''}${event.type === 'message' ? '' : `event: ${event.type} `}data: ${event.data}`)
          const waiter = waiters.shift()
          if (waiter) waiter.resolve(event)
          else queue.push(event)
        }
      })
      res.on('end', () => finish('the server ended the response'))
      res.on('close', () => finish('the connection closed'))
      res.on('error', () => finish('the connection failed'))

      resolve({
        status: res.statusCode ?? 0,
        headers: responseHeaders,
        next(what = `event ${received.length + waiters.length + 1}`) {
          const ready = queue.shift()
          if (ready) return Promise.resolve(ready)
          if (ended || !isStream) return Promise.reject(new Error(endedBefore(what)))
          return new Promise<SseEvent>((resolveNext, rejectNext) => {
            const waiter = { resolve: resolveNext, reject: rejectNext, what }
            const wait = setTimeout(() => {
              waiters.splice(waiters.indexOf(waiter), 1)
              rejectNext(new Error(`the server never sent ${what} (waited ${timeoutMs} ms)`))
            }, timeoutMs)
            waiter.resolve = (e) => (clearTimeout(wait), resolveNext(e))
            waiter.reject = (e) => (clearTimeout(wait), rejectNext(e))
            waiters.push(waiter)
          })
        },
        ended(what = 'the server did not end the stream') {
          if (ended) return Promise.resolve()
          return new Promise<void>((resolveEnd, rejectEnd) => {
            const wait = setTimeout(() => rejectEnd(new Error(`${what} (waited ${timeoutMs} ms)`)), timeoutMs)
            endWaiters.push(() => (clearTimeout(wait), resolveEnd()))
          })
        },
        received,
        comments,
        get retry() {
          return retry
        },
        close() {
          log('· client disconnects')
          request.destroy()
        },
      })
    })
  })
}

/** Drops every event stream the check opened (called after each check by the setup file). */
export function closeEventStreams(): void {
  for (const request of open) request.destroy()
  open.clear()
}
