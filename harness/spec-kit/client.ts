// A small HTTP client for specs: supertest against the Node adapter, with every exchange
// recorded so that a failing check can show the request sent and the response received.
import { createAdaptorServer } from '@hono/node-server'
import supertest from 'supertest'
import { currentMeta, type Exchange } from './state.ts'

/** Anything with Hono's `fetch` signature: a Hono app, or a sub-app. */
export interface FetchApp {
  fetch: (request: Request, ...rest: any[]) => Response | Promise<Response>
}

export interface RequestOptions {
  headers?: Record<string, string>
  /** Serialised as JSON with `Content-Type: application/json` unless a content type is given. */
  json?: unknown
  /** A raw body, sent as is (set `Content-Type` yourself in `headers`). */
  body?: string
}

/** A response as a spec sees it. Header names are lower-case. */
export interface Reply {
  status: number
  headers: Record<string, string>
  text: string
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

/** Wraps an app in a client; each call goes over a real socket through the Node adapter. */
export function client(app: FetchApp, timeoutMs = REQUEST_TIMEOUT_MS): Client {
  const server = createAdaptorServer({ fetch: app.fetch })
  const send = (method: string, path: string, options: RequestOptions = {}) =>
    sendRequest(server, method.toUpperCase(), path, options, timeoutMs)
  const methods = ['get', 'head', 'options', 'delete', 'post', 'put', 'patch'] as const
  const api = { send } as Client
  for (const m of methods) api[m] = (path, options) => send(m, path, options)
  return api
}

async function sendRequest(
  server: ReturnType<typeof createAdaptorServer>,
  method: string,
  path: string,
  options: RequestOptions,
  timeoutMs: number,
): Promise<Reply> {
  const headers: Record<string, string> = { ...(options.headers ?? {}) }
  let body = options.body
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
    request: { method, path, headers, ...(body !== undefined ? { body: clip(body) } : {}) },
    response: null,
  }
  meta.exchanges.push(exchange)

  let test = supertest(server)[method.toLowerCase() as 'get'](path)
  for (const [name, value] of Object.entries(headers)) test = test.set(name, value)
  // Send the body as bytes, with an identity serializer: supertest must neither re-encode it
  // (it would JSON-encode a Buffer under a JSON content type) nor guess a content type.
  if (body !== undefined) test = test.send(Buffer.from(body)).serialize((data: unknown) => data as string)
  test = test.timeout({ response: timeoutMs, deadline: timeoutMs * 2 }).buffer(true).parse(rawText as never)

  let res: supertest.Response
  try {
    res = await test.ok(() => true)
  } catch (error) {
    const err = error as { code?: string; timeout?: number; message?: string }
    exchange.error = err.timeout
      ? `timed out after ${timeoutMs} ms: the app never sent a response`
      : `no response: ${err.message ?? String(error)}`
    throw new NoResponseError(`${method} ${path} ${exchange.error}`)
  }
  const text = typeof res.body === 'string' ? res.body : (res.text ?? '')
  const responseHeaders = Object.fromEntries(
    Object.entries(res.headers as Record<string, string | string[]>).map(([k, v]) => [
      k.toLowerCase(),
      Array.isArray(v) ? v.join(', ') : String(v),
    ]),
  )
  exchange.response = { status: res.status, headers: responseHeaders, body: clip(text) }
  return { status: res.status, headers: responseHeaders, text, body: parseJson(text), exchange }
}

// supertest's default parsers choke on malformed JSON and drop unknown types; specs want the raw text.
function rawText(res: NodeJS.ReadableStream, done: (err: Error | null, body: string) => void): void {
  let text = ''
  res.setEncoding('utf8')
  res.on('data', (chunk: string) => (text += chunk))
  res.on('end', () => done(null, text))
  res.on('error', (err: Error) => done(err, text))
}

function parseJson(text: string): unknown {
  if (text === '') return undefined
  try {
    return JSON.parse(text)
  } catch {
    return undefined
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
