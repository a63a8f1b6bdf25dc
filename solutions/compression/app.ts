import { createHash } from 'node:crypto'
import { brotliCompressSync, gzipSync } from 'node:zlib'
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

type Coding = 'br' | 'gzip' | 'identity'

// The server's own preference, used to break ties in q: brotli is smaller than gzip for the
// same text, and identity costs nothing but bandwidth.
const SERVER_ORDER: Coding[] = ['br', 'gzip', 'identity']

// Text compresses well; PNG, JPEG and ZIP are compressed already, so gzip would spend CPU to
// save nothing (or make them bigger).
const COMPRESSIBLE =
  /^(?:text\/(?!event-stream$).+|application\/(?:json|xml|javascript)|.+\+(?:json|xml))$/

/**
 * Picks a content coding from Accept-Encoding (RFC 9110 section 12.5.3), or null when nothing
 * acceptable is left. No header: the client stated no preference, and identity is the safe
 * answer. q=0 means "not acceptable". `*` covers every coding not named. Identity is acceptable
 * unless refused by `identity;q=0` or by `*;q=0` without an identity entry.
 */
function negotiate(header: string | undefined): Coding | null {
  if (header === undefined) return 'identity'
  const weights = new Map<string, number>()
  for (const entry of header.split(',')) {
    const [rawName = '', ...params] = entry.split(';').map((part) => part.trim())
    if (rawName === '') continue
    // Codings are case-insensitive; x-gzip is an old alias of gzip (section 8.4.1.3).
    const name = rawName.toLowerCase() === 'x-gzip' ? 'gzip' : rawName.toLowerCase()
    let q = 1
    for (const param of params) {
      const match = /^q\s*=\s*([01](?:\.\d{0,3})?)$/i.exec(param)
      if (match) q = Number(match[1])
    }
    weights.set(name, Math.max(q, weights.get(name) ?? 0))
  }
  const wildcard = weights.get('*')
  const weightOf = (coding: Coding) =>
    weights.get(coding) ?? wildcard ?? (coding === 'identity' ? Number.MIN_VALUE : 0)
  let best: Coding | null = null
  for (const coding of SERVER_ORDER) {
    // Strictly greater: on a tie the coding earlier in SERVER_ORDER keeps its place.
    if (weightOf(coding) > 0 && (best === null || weightOf(coding) > weightOf(best))) best = coding
  }
  return best
}

const encoders = {
  br: (bytes: Uint8Array) => brotliCompressSync(bytes),
  gzip: (bytes: Uint8Array) => gzipSync(bytes),
}

/** Compresses the responses worth compressing, in the coding the client prefers. */
function compression(threshold: number): MiddlewareHandler {
  return async (c, next) => {
    await next()
    const res = c.res
    const type = (res.headers.get('Content-Type') ?? '').split(';')[0]!.trim().toLowerCase()
    // Already encoded (a stored .gz file): compressing again would make the client undo two
    // layers, and most clients only undo one.
    if (res.headers.has('Content-Encoding') || !COMPRESSIBLE.test(type) || !res.body) return
    if (res.status === 204 || res.status === 206 || res.status === 304) return
    const bytes = new Uint8Array(await res.clone().arrayBuffer())
    if (bytes.byteLength < threshold) return
    const coding = negotiate(c.req.header('Accept-Encoding'))
    if (coding === null) {
      c.res = new Response(JSON.stringify({ error: 'not_acceptable' }), {
        status: 406,
        headers: { 'Content-Type': 'application/json' },
      })
      // Assigning c.res carries the old response's headers over; this answer has no ETag.
      c.res.headers.delete('ETag')
    } else if (coding !== 'identity') {
      // Hono copies the old headers onto a new c.res, so adjust them after assigning it.
      const encoded = encoders[coding](bytes)
      c.res = new Response(encoded, res)
      c.res.headers.set('Content-Encoding', coding)
      // The length of what goes on the wire: the compressed bytes, never the original size.
      c.res.headers.set('Content-Length', String(encoded.byteLength))
      // A strong ETag names exact bytes, and these are other bytes (RFC 9110 section 8.8.3).
      // Weakening it says "same content, maybe not the same bytes", as hono/compress does.
      const etag = c.res.headers.get('ETag')
      if (etag && !etag.startsWith('W/')) c.res.headers.set('ETag', `W/${etag}`)
    }
    // From here the answer depends on Accept-Encoding, compressed or not: a cache that stored
    // the identity copy without Vary would hand it out for every request, and one that stored
    // the gzip copy without Vary would hand gzip to a client that cannot read it.
    c.res.headers.append('Vary', 'Accept-Encoding')
  }
}

export function createApp(options: CompressionOptions = {}) {
  const threshold = options.threshold ?? 1024
  const files = new Map(Object.entries(options.files ?? {}))
  const app = new Hono()

  // First, so it wraps every route and sees each finished response.
  app.use('*', compression(threshold))

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
