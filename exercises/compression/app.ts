import { createHash } from 'node:crypto'
import { Hono, type MiddlewareHandler } from 'hono'

export interface StoredFile {
  /** The Content-Type to send, e.g. `text/csv` or `image/png`. */
  type: string
  body: string | Uint8Array
  /** Set when `body` is already encoded (e.g. `gzip`): it is sent with this Content-Encoding. */
  encoding?: string
}

export interface CompressionOptions {
  /** What `GET /api/items` answers, as JSON. */
  items?: unknown[]
  /** What `GET /files/:name` answers. */
  files?: Record<string, StoredFile>
  /** The smallest body, in bytes, worth compressing; default 1024. */
  threshold?: number
}

/** Compresses the responses worth compressing, in the coding the client prefers. */
function compression(threshold: number): MiddlewareHandler {
  return async (c, next) => {
    await next()
    // TODO 1: with `Accept-Encoding: gzip`, send c.res gzipped (`gzipSync` from node:zlib),
    //         with Content-Encoding: gzip, Vary: Accept-Encoding and a Content-Length that
    //         fits the compressed bytes (or none).
    // TODO 2: pick br, gzip or identity by q-value (ties: br, then gzip, then identity).
    // TODO 3: 406 { "error": "not_acceptable" } when identity is refused and nothing is left.
    // TODO 4: only text-like types, only bodies of `threshold` bytes or more, never a
    //         response that already has a Content-Encoding.
    // TODO 5: Vary on the uncompressed answers too; no strong ETag shared between encodings.
    void threshold
  }
}

export function createApp(options: CompressionOptions = {}) {
  const threshold = options.threshold ?? 1024
  const files = new Map(Object.entries(options.files ?? {}))
  const app = new Hono()

  // First, so it wraps every route and sees each finished response.
  app.use('*', compression(threshold))

  // Done for you: the routes. They answer uncompressed; the middleware above does the rest.
  app.get('/api/items', (c) => {
    const text = JSON.stringify(options.items ?? [])
    const etag = `"${createHash('sha256').update(text).digest('base64url').slice(0, 22)}"`
    return c.body(text, 200, { 'Content-Type': 'application/json', ETag: etag })
  })

  app.get('/files/:name', (c) => {
    const file = files.get(c.req.param('name'))
    if (!file) return c.json({ error: 'not_found' }, 404)
    const headers: Record<string, string> = { 'Content-Type': file.type }
    if (file.encoding) headers['Content-Encoding'] = file.encoding
    const body = typeof file.body === 'string' ? file.body : new Uint8Array(file.body)
    return c.body(body, 200, headers)
  })

  app.notFound((c) => c.json({ error: 'not_found' }, 404))
  return app
}
