// A small HTTP client for specs: real HTTP over a socket, through Hono's Node adapter, with
// every exchange recorded so that a failing check can show the request sent and the response
// received. Requests go through supertest, but each client's server listens once (on
// 127.0.0.1, a free port) and supertest reuses kept-alive connections to it: a request costs
// ~0.4 ms instead of the ~2 ms of supertest's own listen-and-close per request. The setup
// file closes every client's server after each check, so no connection, handler or hanging
// request outlives the check that started it.
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import { createAdaptorServer } from '@hono/node-server'
import supertest from 'supertest'
import type { Served } from './server.ts'
import { currentMeta, type Exchange } from './state.ts'

/** Anything with Hono's `fetch` signature: a Hono app, or a sub-app. */
export interface FetchApp {
  fetch: (request: Request, ...rest: any[]) => Response | Promise<Response>
}

export interface RequestOptions {
  headers?: Record<string, string>
  /** Serialised as JSON with `Content-Type: application/json` unless a content type is given. */
  json?: unknown
  /** A raw body, sent as is (set `Content-Type` yourself in `headers`); bytes for binary uploads. */
  body?: string | Uint8Array
}

/** A response as a spec sees it. Header names are lower-case. */
export interface Reply {
  status: number
  headers: Record<string, string>
  text: string
  /** The body's bytes as they arrived, for binary downloads (`text` is their UTF-8 reading). */
  bytes: Buffer
  /** The parsed JSON body, or undefined when the body is not JSON. */
  body: unknown
  exchange: Exchange
}

/** How long a single request may take before the check fails as "timed out". */
export const REQUEST_TIMEOUT_MS = 1000
const MAX_RECORDED_BODY = 4000

export class NoResponseError extends Error {
  override name = 'NoResponseError'
}

export type Client = {
  [M in 'get' | 'head' | 'options' | 'delete' | 'post' | 'put' | 'patch']: (
    path: string,
    options?: RequestOptions,
  ) => Promise<Reply>
} & { send: (method: string, path: string, options?: RequestOptions) => Promise<Reply> }

/** One app's server, listening while a check uses it (or a server the spec started with `serve`). */
class AppServer {
  private readonly server: http.Server | undefined
  private listening: Promise<number> | undefined
  private agent: http.Agent | undefined

  constructor(target: FetchApp | Served) {
    if ('wsUrl' in target) {
      this.listening = Promise.resolve(target.port)
      return
    }
    this.server = createAdaptorServer({ fetch: target.fetch }) as http.Server
    // Idle kept-alive sockets must not keep the server (or the check) waiting.
    this.server.keepAliveTimeout = 1000
  }

  async target(): Promise<{ port: number; agent: http.Agent }> {
    openServers.add(this)
    this.agent ??= new http.Agent({ keepAlive: true, maxSockets: 64 })
    const server = this.server
    if (!this.listening && server) {
      this.listening = new Promise((resolve, reject) => {
        server.once('error', reject)
        server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port))
      })
    }
    return { port: await this.listening!, agent: this.agent }
  }

  close(): void {
    openServers.delete(this)
    this.agent?.destroy()
    this.agent = undefined
    // A served server is the spec's to close (the setup file does it after the check).
    if (this.server && this.listening) {
      this.server.closeAllConnections()
      this.server.close()
      this.listening = undefined
    }
  }
}

const openServers = new Set<AppServer>()

/** Closes every client's server and connection (the setup file calls it after each check). */
export function closeClients(): void {
  for (const server of [...openServers]) server.close()
}

/** Wraps an app in a client; each call goes over a real socket through the Node adapter. */
export function client(app: FetchApp | Served, timeoutMs = REQUEST_TIMEOUT_MS): Client {
  const server = new AppServer(app)
  const send = (method: string, path: string, options: RequestOptions = {}) =>
    sendRequest(server, method.toUpperCase(), path, options, timeoutMs)
  const methods = ['get', 'head', 'options', 'delete', 'post', 'put', 'patch'] as const
  const api = { send } as Client
  for (const m of methods) api[m] = (path, options) => send(m, path, options)
  return api
}

async function sendRequest(server: AppServer, method: string, path: string, options: RequestOptions, timeoutMs: number): Promise<Reply> {
  const headers: Record<string, string> = { ...(options.headers ?? {}) }
  let body: string | Uint8Array | undefined = options.body
  if (options.json !== undefined) {
    body = JSON.stringify(options.json)
    if (!Object.keys(headers).some((h) => h.toLowerCase() === 'content-type')) {
      headers['Content-Type'] = 'application/json'
    }
  }
  const meta = currentMeta()
  meta.exchanges ??= []
  const exchange: Exchange = {
    id: meta.exchanges.length,
    request: { method, path, headers, ...(body !== undefined ? { body: readable(body) } : {}) },
    response: null,
  }
  meta.exchanges.push(exchange)

  let res: { status: number; headers: Record<string, string | string[]>; bytes: Buffer }
  try {
    res = await exchangeOverHttp(server, method, path, headers, body, timeoutMs)
  } catch (error) {
    const err = error as { timeout?: boolean; message?: string }
    exchange.error = err.timeout
      ? `timed out after ${timeoutMs} ms: the app never sent a response`
      : `no response: ${err.message ?? String(error)}`
    throw new NoResponseError(`${method} ${path} ${exchange.error}`)
  }
  const responseHeaders = Object.fromEntries(
    Object.entries(res.headers)
      .filter(([, v]) => v !== undefined)
      .map(([k, v]) => [k.toLowerCase(), Array.isArray(v) ? v.join(', ') : String(v)]),
  )
  const text = res.bytes.toString('utf8')
  exchange.response = { status: res.status, headers: responseHeaders, body: readable(res.bytes) }
  return { status: res.status, headers: responseHeaders, text, bytes: res.bytes, body: parseJson(text), exchange }
}

// One request through supertest, to the app's listening server over a kept-alive connection:
// the response must start within timeoutMs and end within twice that.
async function exchangeOverHttp(
  server: AppServer,
  method: string,
  path: string,
  headers: Record<string, string>,
  body: string | Uint8Array | undefined,
  timeoutMs: number,
): Promise<{ status: number; headers: Record<string, string | string[]>; bytes: Buffer }> {
  const { port, agent } = await server.target()
  let test = supertest(`http://127.0.0.1:${port}`)[method.toLowerCase() as 'get'](path).agent(agent)
  for (const [name, value] of Object.entries(headers)) test = test.set(name, value)
  // Send the body as bytes, with an identity serializer: supertest must neither re-encode it
  // (it would JSON-encode a Buffer under a JSON content type) nor guess a content type.
  if (body !== undefined) test = test.send(Buffer.from(body)).serialize((data: unknown) => data as string)
  test = test.timeout({ response: timeoutMs, deadline: timeoutMs * 2 }).buffer(true).parse(rawBytes as never)
  try {
    const res = await test.ok(() => true)
    const bytes = Buffer.isBuffer(res.body) ? res.body : Buffer.from(res.text ?? '')
    return { status: res.status, headers: res.headers as Record<string, string | string[]>, bytes }
  } catch (error) {
    const err = error as { timeout?: number; message?: string }
    throw Object.assign(new Error(err.message ?? String(error)), { timeout: !!err.timeout })
  }
}

// supertest's default parsers choke on malformed JSON and drop unknown types; specs want the raw
// bytes (and decode them as UTF-8 once the body is whole, so a character split across chunks survives).
function rawBytes(res: NodeJS.ReadableStream, done: (err: Error | null, body: Buffer) => void): void {
  const chunks: Buffer[] = []
  res.on('data', (chunk: Buffer) => chunks.push(chunk))
  res.on('end', () => done(null, Buffer.concat(chunks)))
  res.on('error', (err: Error) => done(err, Buffer.concat(chunks)))
}

function parseJson(text: string): unknown {
  if (text === '') return undefined
  try {
    return JSON.parse(text)
  } catch {
    return undefined
  }
}

/** A body as the report shows it: its text, or its size when it is not UTF-8 text. */
function readable(body: string | Uint8Array): string {
  if (typeof body === 'string') return clip(body)
  try {
    return clip(new TextDecoder('utf-8', { fatal: true }).decode(body))
  } catch {
    return `(${body.length} bytes of binary data)`
  }
}

function clip(text: string): string {
  return text.length > MAX_RECORDED_BODY ? `${text.slice(0, MAX_RECORDED_BODY)}… (${text.length} chars)` : text
}

/**
 * Points the failure report at `reply`'s exchange. Matchers on a reply do this by themselves;
 * call it before a plain `expect` on values taken from an earlier reply.
 */
export function focusOn(reply: Reply): void {
  currentMeta().focus = reply.exchange.id
}
