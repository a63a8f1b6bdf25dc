// A WebSocket client for specs (the `ws` package: Node 20 has no global WebSocket). It waits for
// the event a check asserts - the next message, the close - and when that event never comes it
// says so in the learner's words ("the server never sent the welcome message"). Every frame and
// state change is logged for the failure report. Sockets are terminated after each check.
import WebSocket from 'ws'
import { REQUEST_TIMEOUT_MS } from './client.ts'
import type { Served } from './server.ts'
import { streamLog } from './stream-log.ts'

/** One message the server sent. */
export interface Frame {
  /** The message as text (binary messages are decoded as UTF-8). */
  text: string
  /** The message parsed as JSON, or undefined when it is not JSON. */
  json: unknown
  binary: boolean
}

/** The server answered the upgrade with a plain HTTP response instead of switching protocols. */
export class UpgradeRefused extends Error {
  override name = 'UpgradeRefused'
  constructor(
    readonly status: number,
    readonly headers: Record<string, string>,
    readonly body: string,
  ) {
    super(`the server answered ${status} instead of upgrading to a WebSocket`)
  }
}

export interface TestSocket {
  /** Sends a message: a string as is, anything else as JSON. */
  send(message: unknown): void
  /** Sends the same text as `send` would, but as a binary frame (its UTF-8 bytes). */
  sendBinary(message: unknown): void
  /** The next message not yet taken; `what` names it in the failure ("the welcome message"). */
  next(what?: string): Promise<Frame>
  /** Resolves when the connection closes; rejects if it stays open. */
  closed(what?: string): Promise<{ code: number; reason: string }>
  /** Closes from the client side (1000 unless given). */
  close(code?: number, reason?: string): void
  /** Every message received so far, taken or not. */
  readonly received: readonly Frame[]
  /** True once the connection has closed. */
  readonly isClosed: boolean
}

export interface ConnectOptions {
  headers?: Record<string, string>
  protocols?: string[]
  /** How long `next` and `closed` wait before failing the check. */
  timeoutMs?: number
}

const open = new Set<WebSocket>()

/**
 * Opens a WebSocket to `path` on a served app. Rejects with `UpgradeRefused` (status, headers,
 * body) when the server answers with HTTP instead, e.g. a 401 before the upgrade.
 */
export function connect(served: Served, path: string, options: ConnectOptions = {}): Promise<TestSocket> {
  const timeoutMs = options.timeoutMs ?? REQUEST_TIMEOUT_MS
  const log = streamLog('websocket', `WebSocket ${path}`)
  const ws = new WebSocket(`${served.wsUrl}${path}`, options.protocols ?? [], {
    headers: options.headers ?? {},
    handshakeTimeout: timeoutMs,
  })
  open.add(ws)
  const received: Frame[] = []
  const queue: Frame[] = []
  const waiters: { resolve: (f: Frame) => void; reject: (e: Error) => void; what: string }[] = []
  let closedWith: { code: number; reason: string } | undefined
  let refused = false
  const closeWaiters: ((c: { code: number; reason: string }) => void)[] = []

  ws.on('message', (data, binary) => {
    const text = Array.isArray(data) ? Buffer.concat(data).toString('utf8') : Buffer.from(data as ArrayBuffer).toString('utf8')
    const frame: Frame = { text, json: parseJson(text), binary }
    log(`← ${binary ? '(binary) ' : ''}${text}`)
    received.push(frame)
    const waiter = waiters.shift()
    if (waiter) waiter.resolve(frame)
    else queue.push(frame)
  })
  ws.on('close', (code, reason) => {
    open.delete(ws)
    closedWith = { code, reason: reason.toString('utf8') }
    if (!refused) log(`· closed by ${code === 1006 ? 'a dropped connection' : 'the server or the client'}: ${code}${closedWith.reason ? ` ${closedWith.reason}` : ''}`)
    for (const waiter of waiters.splice(0)) {
      waiter.reject(new Error(`the socket closed (code ${code}) before the server sent ${waiter.what}`))
    }
    for (const resolve of closeWaiters.splice(0)) resolve(closedWith)
  })

  const socket: TestSocket = {
    send(message) {
      const text = typeof message === 'string' ? message : JSON.stringify(message)
      log(`→ ${text}`)
      ws.send(text)
    },
    sendBinary(message) {
      const text = typeof message === 'string' ? message : JSON.stringify(message)
      log(`→ (binary) ${text}`)
      ws.send(Buffer.from(text, 'utf8'), { binary: true })
    },
    next(what = 'another message') {
      const ready = queue.shift()
      if (ready) return Promise.resolve(ready)
      if (closedWith) return Promise.reject(new Error(`the socket was already closed (code ${closedWith.code}) before the server sent ${what}`))
      return new Promise<Frame>((resolve, reject) => {
        const waiter = { resolve, reject, what }
        const timer = setTimeout(() => {
          waiters.splice(waiters.indexOf(waiter), 1)
          reject(new Error(`the server never sent ${what} (waited ${timeoutMs} ms)`))
        }, timeoutMs)
        waiter.resolve = (f) => (clearTimeout(timer), resolve(f))
        waiter.reject = (e) => (clearTimeout(timer), reject(e))
        waiters.push(waiter)
      })
    },
    closed(what = 'the socket was not closed') {
      if (closedWith) return Promise.resolve(closedWith)
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`${what} (waited ${timeoutMs} ms)`)), timeoutMs)
        closeWaiters.push((c) => (clearTimeout(timer), resolve(c)))
      })
    },
    close(code = 1000, reason = '') {
      log(`· client closes: ${code}${reason ? ` ${reason}` : ''}`)
      ws.close(code, reason)
    },
    received,
    get isClosed() {
      return closedWith !== undefined
    },
  }

  return new Promise((resolve, reject) => {
    ws.once('open', () => {
      log('· opened')
      resolve(socket)
    })
    ws.once('unexpected-response', (_req, res) => {
      refused = true
      let body = ''
      res.setEncoding('utf8')
      res.on('data', (chunk: string) => (body += chunk))
      res.on('end', () => {
        const headers = Object.fromEntries(Object.entries(res.headers).map(([k, v]) => [k, Array.isArray(v) ? v.join(', ') : String(v)]))
        log(`· refused: ${res.statusCode} ${body}`)
        open.delete(ws)
        ws.terminate()
        reject(new UpgradeRefused(res.statusCode ?? 0, headers, body))
      })
    })
    // Kept for the socket's whole life: an 'error' without a listener would crash the worker.
    ws.on('error', (error) => {
      if (refused) return
      log(`· error: ${error.message}`)
      reject(new Error(`the WebSocket to ${path} could not be opened: ${error.message}`))
    })
  })
}

/** Terminates every socket the check opened (called after each check by the setup file). */
export function closeSockets(): void {
  for (const ws of open) ws.terminate()
  open.clear()
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text)
  } catch {
    return undefined
  }
}
