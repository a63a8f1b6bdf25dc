// file-uploads - the hidden spec.
//
// Wrong implementations this spec is built to catch:
// - trusts the part's Content-Type (a script sent as image/png is stored as image/png) or the
//   filename's extension instead of the bytes
// - finds a signature anywhere in the file (`includes`/`indexOf`) instead of at offset 0
// - checks too few signature bytes (`\x89PNG` without the rest, `FF D8` without the third byte,
//   `%PDF` without the dash), or reads past the end of a file shorter than the signature
// - accepts types outside the allowlist (GIF, SVG, HTML), or an empty file
// - reads the whole body (parseBody, formData, arrayBuffer) and measures it afterwards, so an
//   endless body is read to its end; or checks only the declared Content-Length, so a chunked
//   body without one is never limited; or reads a body whose Content-Length is already too big
// - off by one at the limit (a body of exactly maxBytes refused, or maxBytes + 1 accepted)
// - checks the content type before the size (an oversize JSON body gets 400, not 413)
// - lets a malformed multipart body crash into a 500, or accepts a `file` part that is a plain
//   text field, or stores something on a refused upload
// - ids from a counter, a timestamp, Math.random() or the filename; the client's name as key
// - basename on `/` only (`..\..\x.png` kept whole), control characters (NUL, tab, ESC, DEL)
//   kept, no length limit, or a limit counted in UTF-16 units that cuts an emoji in half (and
//   then makes encodeURIComponent throw at download time), dots and spaces left at the ends,
//   an empty result not replaced by `file`
// - downloads served `inline`, without nosniff, with the client's Content-Type, or with
//   different bytes
// - `filename*` encoded with bare encodeURIComponent (`'`, `(`, `)`, `*` left as they are),
//   without the `UTF-8''` prefix, or left out; a `filename=` fallback that carries raw
//   non-ASCII, quotes or backslashes, or that mangles a plain ASCII name
// - downloads looked up in a plain object (`/files/constructor` answers 200 or 500)
import { describe, expect, it } from 'vitest'
import {
  build,
  client,
  random,
  streamedRequest,
  task,
  type Client,
  type Reply,
  type Rng,
  type StreamedRequest,
} from '../../harness/spec-kit/index.ts'
import { createApp, type StoredFile } from '../../exercises/file-uploads/app.ts'

// ---------------------------------------------------------------------------------------------
// Files

const PNG = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]
const JPEG = [0xff, 0xd8, 0xff]
const PDF = [0x25, 0x50, 0x44, 0x46, 0x2d]
const KINDS = [
  { type: 'image/png', magic: PNG, ext: 'png' },
  { type: 'image/jpeg', magic: JPEG, ext: 'jpg' },
  { type: 'application/pdf', magic: PDF, ext: 'pdf' },
] as const

const enc = new TextEncoder()

function randomBytes(rng: Rng, length: number): Uint8Array {
  const out = new Uint8Array(length)
  for (let i = 0; i < length; i++) out[i] = rng.int(0, 255)
  return out
}

/** `magic` followed by random bytes, `length` bytes in all. */
function fileOf(rng: Rng, magic: readonly number[], length = rng.int(40, 600)): Uint8Array {
  const out = randomBytes(rng, Math.max(length, magic.length))
  out.set(magic)
  return out
}

// ---------------------------------------------------------------------------------------------
// Multipart bodies, built by hand so the spec controls every byte

interface Part {
  name: string
  /** Undefined for a plain field (no filename parameter). */
  filename?: string
  contentType?: string
  data: Uint8Array | string
}

function concat(pieces: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(pieces.reduce((n, p) => n + p.length, 0))
  let at = 0
  for (const p of pieces) {
    out.set(p, at)
    at += p.length
  }
  return out
}

function multipart(boundary: string, parts: Part[]): Uint8Array {
  const pieces: Uint8Array[] = []
  for (const part of parts) {
    let head = `--${boundary}\r\nContent-Disposition: form-data; name="${part.name}"`
    if (part.filename !== undefined) head += `; filename="${part.filename}"`
    if (part.contentType) head += `\r\nContent-Type: ${part.contentType}`
    pieces.push(enc.encode(`${head}\r\n\r\n`))
    pieces.push(typeof part.data === 'string' ? enc.encode(part.data) : part.data)
    pieces.push(enc.encode('\r\n'))
  }
  pieces.push(enc.encode(`--${boundary}--\r\n`))
  return concat(pieces)
}

function boundaryFor(rng: Rng): string {
  return `----spec${rng.word(8, 12)}${rng.int(1000, 9999)}`
}

interface Upload {
  body: Uint8Array
  contentType: string
}

/** A multipart body with one file part named `file`. */
function fileUpload(rng: Rng, bytes: Uint8Array, filename: string, partType = 'application/octet-stream'): Upload {
  const boundary = boundaryFor(rng)
  return {
    body: multipart(boundary, [{ name: 'file', filename, contentType: partType, data: bytes }]),
    contentType: `multipart/form-data; boundary=${boundary}`,
  }
}

/** A PNG upload whose whole body is exactly `total` bytes long. */
function uploadOfSize(rng: Rng, total: number, filename = 'exact.png'): Upload {
  const empty = fileUpload(rng, new Uint8Array(0), filename, 'image/png')
  const fileLength = total - empty.body.length
  if (fileLength < PNG.length) throw new Error(`spec bug: ${total} bytes is too small for an upload`)
  const boundary = empty.contentType.split('boundary=')[1]
  const body = multipart(boundary, [
    { name: 'file', filename, contentType: 'image/png', data: fileOf(rng, PNG, fileLength) },
  ])
  return { body, contentType: empty.contentType }
}

function post(api: Client, upload: Upload): Promise<Reply> {
  return api.post('/files', { body: upload.body, headers: { 'Content-Type': upload.contentType } })
}

// ---------------------------------------------------------------------------------------------
// Apps

interface Setup {
  api: Client
  store: Map<string, StoredFile>
  maxBytes: number
  app: ReturnType<typeof createApp>
}

function setup(rng: Rng, maxBytes = rng.int(4000, 20000)): Setup {
  const store = new Map<string, StoredFile>()
  const app = build(createApp, { store, maxBytes })
  return { api: client(app), store, maxBytes, app }
}

function storedBytes(file: StoredFile | undefined): Buffer {
  expect(file, 'the upload must be in the store under its id').toBeDefined()
  expect(file!.bytes, 'a stored file keeps its bytes in `bytes`, a Uint8Array').toBeInstanceOf(Uint8Array)
  return Buffer.from(file!.bytes)
}

async function uploadOk(s: Setup, upload: Upload): Promise<{ id: string; filename: string; type: string; size: number }> {
  const res = await post(s.api, upload)
  expect(res).toHaveStatus(201)
  const body = res.body as { id: string; filename: string; type: string; size: number }
  expect(typeof body?.id, 'the 201 body carries the new file\'s "id" as a string').toBe('string')
  return body
}

// ---------------------------------------------------------------------------------------------
// Streaming requests, sent straight to app.fetch so the spec can count what the app reads

/** A request whose body is `bytes`, handed out `chunk` bytes at a time, and only when read. */
function streamed(bytes: Uint8Array, chunk: number, headers: Record<string, string>): StreamedRequest {
  return streamedRequest('http://localhost/files', bytes, { chunk, headers })
}

/** The status and error of a response from app.fetch. */
async function outcome(response: Response): Promise<{ status: number; error: unknown }> {
  const text = await response.text()
  let error: unknown
  try {
    error = (JSON.parse(text) as { error?: unknown }).error
  } catch {
    error = undefined
  }
  return { status: response.status, error }
}

const SLACK = 64 * 1024

// ---------------------------------------------------------------------------------------------
// Filenames and Content-Disposition

/** The README's five steps. */
function cleanName(raw: string): string {
  const base = raw.split(/[/\\]/).pop()!
  // eslint-disable-next-line no-control-regex
  const printable = base.replace(/[\u0000-\u001f\u007f]/g, '')
  const short = Array.from(printable).slice(0, 100).join('')
  const trimmed = short.replace(/^[ .]+|[ .]+$/g, '')
  return trimmed === '' ? 'file' : trimmed
}

interface Disposition {
  type: string
  params: Map<string, string>
}

/** Parses `type; name=value; name="quoted \" value"` the way a client does. */
function parseDisposition(header: string): Disposition {
  const semi = header.indexOf(';')
  const type = (semi < 0 ? header : header.slice(0, semi)).trim().toLowerCase()
  const params = new Map<string, string>()
  let i = semi < 0 ? header.length : semi + 1
  while (i < header.length) {
    while (header[i] === ' ' || header[i] === '\t' || header[i] === ';') i++
    if (i >= header.length) break
    const eq = header.indexOf('=', i)
    if (eq < 0) throw new Error(`a parameter without "=" in Content-Disposition: ${header.slice(i)}`)
    const name = header.slice(i, eq).trim().toLowerCase()
    i = eq + 1
    while (header[i] === ' ') i++
    let value = ''
    if (header[i] === '"') {
      i++
      while (i < header.length && header[i] !== '"') {
        if (header[i] === '\\') i++
        value += header[i] ?? ''
        i++
      }
      if (header[i] !== '"') throw new Error('an unterminated quoted string in Content-Disposition')
      i++
    } else {
      const end = header.indexOf(';', i)
      value = header.slice(i, end < 0 ? header.length : end).trim()
      i = end < 0 ? header.length : end
    }
    if (params.has(name)) throw new Error(`the parameter ${name} appears twice in Content-Disposition`)
    params.set(name, value)
  }
  return { type, params }
}

const ATTR_CHAR_VALUE = /^(?:%[0-9A-Fa-f]{2}|[A-Za-z0-9!#$&+\-.^_`|~])*$/

/** Decodes an RFC 8187 ext-value, or explains why it is not one. */
function decodeExtValue(value: string): string {
  const match = /^([^']*)'([^']*)'(.*)$/.exec(value)
  if (!match) throw new Error(`filename* must look like UTF-8''<encoded>, received ${value}`)
  const [, charset, , encoded] = match
  if (charset.toLowerCase() !== 'utf-8') throw new Error(`filename* must declare UTF-8, received ${charset}`)
  if (!ATTR_CHAR_VALUE.test(encoded)) {
    throw new Error(
      `filename* may hold only attr-chars and %XX escapes (RFC 8187), received ${encoded}: ` +
        `encode ' ( ) * and every other byte outside the attr-char set`,
    )
  }
  const bytes: number[] = []
  for (let i = 0; i < encoded.length; i++) {
    if (encoded[i] === '%') {
      bytes.push(parseInt(encoded.slice(i + 1, i + 3), 16))
      i += 2
    } else bytes.push(encoded.charCodeAt(i))
  }
  return new TextDecoder('utf-8', { fatal: true }).decode(new Uint8Array(bytes))
}

async function download(s: Setup, id: string): Promise<{ res: Reply; disposition: Disposition }> {
  const res = await s.api.get(`/files/${id}`)
  expect(res).toHaveStatus(200)
  expect(res).toHaveHeader('Content-Disposition')
  return { res, disposition: parseDisposition(res.headers['content-disposition']) }
}

function mediaType(reply: Reply): string {
  return (reply.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase()
}

function plainName(rng: Rng, ext: string): string {
  return `${rng.word(3, 8)}-${rng.int(1, 99)}.${ext}`
}

describe('file-uploads', () => {
  task(1, 'Accept an upload and store it under a generated id', () => {
    it('answers 201 with id, filename and size, and stores the exact bytes under that id', async () => {
      const rng = random()
      const s = setup(rng)
      const bytes = fileOf(rng, PNG)
      const filename = plainName(rng, 'png')
      const res = await post(s.api, fileUpload(rng, bytes, filename, 'image/png'))
      expect(res).toHaveStatus(201)
      expect(res).toHaveJsonBody(expect.objectContaining({ id: expect.any(String), filename, size: bytes.length }))
      const { id } = res.body as { id: string }
      expect(storedBytes(s.store.get(id)).equals(Buffer.from(bytes)), 'the store must hold exactly the uploaded bytes').toBe(true)
      expect(s.store.get(id), 'the stored entry keeps the filename and size').toMatchObject({ filename, size: bytes.length })
      expect([...s.store.keys()], 'one upload, one entry in the store').toEqual([id])
    })

    it('sends Location: /files/<id>', async () => {
      const rng = random()
      const s = setup(rng)
      const res = await post(s.api, fileUpload(rng, fileOf(rng, PNG), plainName(rng, 'png')))
      expect(res).toHaveStatus(201)
      expect(res).toHaveHeader('Location', `/files/${(res.body as { id: string }).id}`)
    })

    it('generates long random URL-safe ids that never repeat and ignore the filename', async () => {
      const rng = random()
      const s = setup(rng)
      const bytes = fileOf(rng, PNG)
      const filename = `${rng.word(10, 14)}.png`
      const ids: string[] = []
      for (let i = 0; i < 8; i++) ids.push((await uploadOk(s, fileUpload(rng, bytes, filename))).id)
      for (const id of ids) {
        expect(id, 'an id is 22 to 64 characters from A-Z a-z 0-9 - _ (122+ random bits)').toMatch(/^[A-Za-z0-9_-]{22,64}$/)
        expect(id.toLowerCase(), 'the id must not be made from the filename').not.toContain(filename.slice(0, 6))
      }
      expect(new Set(ids).size, 'eight uploads of the same file need eight different ids').toBe(8)
      // Random ids of 122+ bits never share 8 leading or trailing characters (odds below 1 in
      // 10^9); counters, timestamps and padded numbers do.
      for (const end of [(id: string) => id.slice(0, 8), (id: string) => id.slice(-8)]) {
        expect(new Set(ids.map(end)).size, `ids must look random: ${ids.slice(0, 3).join(', ')}...`).toBe(8)
      }
      expect(s.store.size, 'each upload is stored under its own id').toBe(8)
    })

    it('ignores other parts and reads the part named "file"', async () => {
      const rng = random()
      const s = setup(rng)
      const bytes = fileOf(rng, PNG)
      const boundary = boundaryFor(rng)
      const body = multipart(boundary, [
        { name: 'note', data: rng.word(5, 20) },
        { name: 'other', filename: 'decoy.pdf', contentType: 'application/pdf', data: fileOf(rng, PDF) },
        { name: 'file', filename: 'real.png', contentType: 'image/png', data: bytes },
      ])
      const res = await post(s.api, { body, contentType: `multipart/form-data; boundary=${boundary}` })
      expect(res).toHaveStatus(201)
      expect(res).toHaveJsonBody(expect.objectContaining({ filename: 'real.png', size: bytes.length }))
    })

    it('answers 400 invalid_upload for bodies that are not multipart, and stores nothing', async () => {
      const rng = random()
      const s = setup(rng)
      const json = await s.api.post('/files', { json: { file: 'cat.png' } })
      expect(json).toHaveStatus(400)
      expect(json).toHaveJsonBody(expect.objectContaining({ error: 'invalid_upload' }))
      const form = await s.api.post('/files', {
        body: 'file=cat.png',
        headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      })
      expect(form).toHaveStatus(400)
      expect(form).toHaveJsonBody(expect.objectContaining({ error: 'invalid_upload' }))
      const raw = await s.api.post('/files', { body: fileOf(rng, PNG), headers: { 'Content-Type': 'image/png' } })
      expect(raw).toHaveStatus(400)
      expect(raw).toHaveJsonBody(expect.objectContaining({ error: 'invalid_upload' }))
      expect(s.store.size, 'nothing may be stored for a refused upload').toBe(0)
    })

    it('answers 400 when the "file" part is missing or is a plain field', async () => {
      const rng = random()
      const s = setup(rng)
      const boundary = boundaryFor(rng)
      const contentType = `multipart/form-data; boundary=${boundary}`
      const missing = multipart(boundary, [{ name: 'upload', filename: 'cat.png', data: fileOf(rng, PNG) }])
      const plain = multipart(boundary, [{ name: 'file', data: 'just some text' }])
      for (const body of [missing, plain]) {
        const res = await post(s.api, { body, contentType })
        expect(res).toHaveStatus(400)
        expect(res).toHaveJsonBody(expect.objectContaining({ error: 'invalid_upload' }))
      }
      expect(s.store.size, 'nothing may be stored for a refused upload').toBe(0)
    })

    it('answers 400, not 500, for a multipart body that does not parse', async () => {
      const rng = random()
      const s = setup(rng)
      const good = fileUpload(rng, fileOf(rng, PNG), 'cat.png')
      // Truncated in the middle of the file part: no closing boundary.
      const cut = good.body.slice(0, good.body.length - rng.int(20, 30))
      const res = await post(s.api, { body: cut, contentType: good.contentType })
      expect(res).toHaveStatus(400)
      expect(res).toHaveJsonBody(expect.objectContaining({ error: 'invalid_upload' }))
      const wrong = await post(s.api, { body: good.body, contentType: 'multipart/form-data; boundary=not-the-one' })
      expect(wrong).toHaveStatus(400)
      expect(s.store.size, 'nothing may be stored for a refused upload').toBe(0)
    })
  })

  task(2, 'Judge the type by its bytes', () => {
    it('detects PNG, JPEG and PDF from the bytes, whatever Content-Type and name the client sent', async () => {
      const rng = random()
      const s = setup(rng)
      for (const kind of rng.shuffle(KINDS)) {
        const lie = rng.pick(['text/html', 'application/octet-stream', 'application/x-msdownload'])
        const filename = `${rng.word(3, 6)}.${rng.pick(['exe', 'html', 'txt', 'gif'])}`
        const body = await uploadOk(s, fileUpload(rng, fileOf(rng, kind.magic), filename, lie))
        expect(body.type, `a file starting with the ${kind.type} signature is ${kind.type}`).toBe(kind.type)
        expect(s.store.get(body.id)?.type, 'the store keeps the detected type').toBe(kind.type)
      }
    })

    it('refuses with 415 a script named .png and sent as image/png', async () => {
      const rng = random()
      const s = setup(rng)
      const script = `<script>fetch('/steal?c='+document.cookie)</script><!-- ${rng.word()} -->`
      const res = await post(s.api, fileUpload(rng, enc.encode(script), 'cat.png', 'image/png'))
      expect(res).toHaveStatus(415)
      expect(res).toHaveJsonBody(expect.objectContaining({ error: 'unsupported_type' }))
      expect(s.store.size, 'nothing may be stored for a refused upload').toBe(0)
    })

    it('refuses types outside the allowlist (GIF, SVG, plain text) and an empty file', async () => {
      const rng = random()
      const s = setup(rng)
      const gif = fileOf(rng, [...enc.encode('GIF89a')])
      const svg = enc.encode(`<svg xmlns="http://www.w3.org/2000/svg" onload="alert(${rng.int(1, 9)})"/>`)
      const text = enc.encode(`${rng.word()} ${rng.word()}\n`)
      const cases: [string, Uint8Array, string][] = [
        ['a GIF', gif, 'image/gif'],
        ['an SVG', svg, 'image/png'],
        ['plain text', text, 'application/pdf'],
        ['an empty file', new Uint8Array(0), 'image/png'],
      ]
      for (const [what, bytes, partType] of cases) {
        const res = await post(s.api, fileUpload(rng, bytes, `${rng.word()}.png`, partType))
        expect(res.status, `${what} must be refused with 415`).toBe(415)
        expect(res).toHaveJsonBody(expect.objectContaining({ error: 'unsupported_type' }))
      }
      expect(s.store.size, 'nothing may be stored for a refused upload').toBe(0)
    })

    it('looks for the signature at the very start, not anywhere in the file', async () => {
      const rng = random()
      const s = setup(rng)
      const kind = rng.pick(KINDS)
      const prefix = enc.encode(`<html>${rng.word()}`)
      const bytes = concat([prefix, fileOf(rng, kind.magic)])
      const res = await post(s.api, fileUpload(rng, bytes, `x.${kind.ext}`, kind.type))
      expect(res.status, `a file that contains the ${kind.type} signature after ${prefix.length} other bytes is not ${kind.type}`).toBe(415)
      expect(s.store.size, 'nothing may be stored for a refused upload').toBe(0)
    })

    it('needs every byte of the signature: one byte off, or a file shorter than it, is refused', async () => {
      const rng = random()
      const s = setup(rng)
      for (const kind of KINDS) {
        // The last signature byte changed, and the signature cut one byte short.
        const off = [...kind.magic]
        off[off.length - 1] = (off[off.length - 1] + rng.int(1, 200)) & 0xff
        const cases: [string, Uint8Array][] = [
          [`the ${kind.type} signature with its last byte changed`, fileOf(rng, off)],
          [`a file of only the first ${kind.magic.length - 1} signature bytes`, new Uint8Array(kind.magic.slice(0, -1))],
        ]
        for (const [what, bytes] of cases) {
          const res = await post(s.api, fileUpload(rng, bytes, `x.${kind.ext}`, kind.type))
          expect(res.status, `${what} must be refused with 415`).toBe(415)
        }
      }
      expect(s.store.size, 'nothing may be stored for a refused upload').toBe(0)
    })
  })

  task(3, 'Refuse oversize bodies while they stream', () => {
    it('accepts a body of exactly maxBytes', async () => {
      const rng = random()
      const s = setup(rng)
      const res = await post(s.api, uploadOfSize(rng, s.maxBytes))
      expect(res.status, `a body of exactly maxBytes (${s.maxBytes}) bytes is within the limit`).toBe(201)
      expect(s.store.size).toBe(1)
    })

    it('answers 413 too_large for a body of maxBytes + 1, and stores nothing', async () => {
      const rng = random()
      const s = setup(rng)
      const res = await post(s.api, uploadOfSize(rng, s.maxBytes + 1))
      expect(res).toHaveStatus(413)
      expect(res).toHaveJsonBody(expect.objectContaining({ error: 'too_large' }))
      expect(s.store.size, 'nothing may be stored for a refused upload').toBe(0)
    })

    it('checks the size before the content type: an oversize JSON body is 413', async () => {
      const rng = random()
      const s = setup(rng)
      const res = await s.api.post('/files', { json: { padding: 'x'.repeat(s.maxBytes + rng.int(1, 500)) } })
      expect(res).toHaveStatus(413)
    })

    it('answers 413 without reading the body when Content-Length is already over the limit', async () => {
      const rng = random()
      const s = setup(rng)
      const upload = uploadOfSize(rng, s.maxBytes + rng.int(1, 5000))
      const sent = streamed(upload.body, rng.int(512, 4096), {
        'Content-Type': upload.contentType,
        'Content-Length': String(upload.body.length),
      })
      const { status, error } = await outcome(await s.app.fetch(sent.request))
      expect(status, `Content-Length: ${upload.body.length} is over maxBytes (${s.maxBytes})`).toBe(413)
      expect(error).toBe('too_large')
      expect(sent.pulled(), 'the declared Content-Length was already too big: read none of the body').toBe(0)
      expect(s.store.size).toBe(0)
    })

    it('stops reading a body without Content-Length as soon as it passes maxBytes', async () => {
      const rng = random()
      const s = setup(rng)
      const upload = uploadOfSize(rng, s.maxBytes * 4 + 256 * 1024)
      const sent = streamed(upload.body, rng.int(512, 4096), { 'Content-Type': upload.contentType })
      const { status, error } = await outcome(await s.app.fetch(sent.request))
      expect(status, 'a chunked body longer than maxBytes is 413').toBe(413)
      expect(error).toBe('too_large')
      expect(
        sent.pulled(),
        `the app read ${sent.pulled()} of ${upload.body.length} bytes of a body that was over the ` +
          `limit after ${s.maxBytes}: count while reading and stop there (at most maxBytes + 64 KiB)`,
      ).toBeLessThanOrEqual(s.maxBytes + SLACK)
      expect(s.store.size).toBe(0)
    })

    it('counts a body without Content-Length exactly: maxBytes passes, maxBytes + 1 does not', async () => {
      const rng = random()
      const s = setup(rng)
      const chunk = rng.int(100, 2000)
      const exact = uploadOfSize(rng, s.maxBytes)
      const ok = await outcome(await s.app.fetch(streamed(exact.body, chunk, { 'Content-Type': exact.contentType }).request))
      expect(ok.status, `a streamed body of exactly maxBytes (${s.maxBytes}) bytes is accepted`).toBe(201)
      const over = uploadOfSize(rng, s.maxBytes + 1)
      const no = await outcome(await s.app.fetch(streamed(over.body, chunk, { 'Content-Type': over.contentType }).request))
      expect(no.status, `a streamed body of maxBytes + 1 (${s.maxBytes + 1}) bytes is 413`).toBe(413)
      expect(s.store.size, 'only the body within the limit is stored').toBe(1)
    })
  })

  task(4, 'Clean up the filename', () => {
    async function expectCleaned(s: Setup, rng: Rng, raw: string): Promise<void> {
      const body = await uploadOk(s, fileUpload(rng, fileOf(rng, PNG), raw, 'image/png'))
      const want = cleanName(raw)
      expect(body.filename, `the filename ${JSON.stringify(raw)} is stored as ${JSON.stringify(want)}`).toBe(want)
      expect(s.store.get(body.id)?.filename, 'the store keeps the cleaned filename').toBe(want)
    }

    it('keeps only what follows the last / or \\', async () => {
      const rng = random()
      const s = setup(rng)
      const name = plainName(rng, 'png')
      const dirs = `${'../'.repeat(rng.int(1, 4))}${rng.word()}/`
      await expectCleaned(s, rng, `${dirs}${name}`)
      await expectCleaned(s, rng, `${'..\\'.repeat(rng.int(1, 4))}${name}`)
      await expectCleaned(s, rng, `C:\\Users\\${rng.word()}\\${name}`)
      await expectCleaned(s, rng, `${rng.word()}/..\\${name}`)
    })

    it('deletes control characters: NUL, tab, ESC, DEL', async () => {
      const rng = random()
      const s = setup(rng)
      for (const ctl of rng.shuffle(['\u0000', '\t', '\u001b', '\u007f', '\u0001'])) {
        await expectCleaned(s, rng, `${rng.word(2, 5)}${ctl}${rng.word(2, 5)}.png`)
      }
      await expectCleaned(s, rng, `evil.png\u0000.exe`)
    })

    it('strips dots and spaces from both ends, and falls back to "file" when nothing is left', async () => {
      const rng = random()
      const s = setup(rng)
      const name = plainName(rng, 'png')
      for (const raw of [` ..${name}. `, `.${name}`, `${name}...`, '..', '...', ' . ', '../..', '\u0000']) {
        await expectCleaned(s, rng, raw)
      }
    })

    it('keeps at most the first 100 characters', async () => {
      const rng = random()
      const s = setup(rng)
      let long = ''
      while (long.length < rng.int(120, 300)) long += rng.word(3, 9)
      await expectCleaned(s, rng, `${long}.png`)
      const exactly = `${'a'.repeat(96)}.png`
      await expectCleaned(s, rng, exactly)
    })

    it('counts characters as code points and never cuts an emoji in half', async () => {
      const rng = random()
      const s = setup(rng)
      // 99 letters then emoji: the 100th character is an emoji, which .slice(0, 100) would cut
      // between its two UTF-16 units.
      const raw = `${'b'.repeat(99)}${'😀'.repeat(rng.int(2, 5))}.png`
      await expectCleaned(s, rng, raw)
      const mixed = `${'é🐱'.repeat(rng.int(40, 60))}.pdf`
      await expectCleaned(s, rng, mixed)
    })

    it('leaves a unicode name that is already clean as it is', async () => {
      const rng = random()
      const s = setup(rng)
      for (const raw of ['Résumé 2024 😀.pdf', `${rng.pick(['Отчёт', 'レポート', 'Ελληνικά'])} (${rng.int(1, 9)}).png`]) {
        await expectCleaned(s, rng, raw)
      }
    })
  })

  task(5, 'Serve downloads that cannot turn into pages', () => {
    it('returns the exact bytes with the detected Content-Type, never the client\'s', async () => {
      const rng = random()
      const s = setup(rng)
      const kind = rng.pick(KINDS)
      const bytes = fileOf(rng, kind.magic, rng.int(100, 3000))
      const { id } = await uploadOk(s, fileUpload(rng, bytes, `x.${kind.ext}`, 'text/html'))
      const { res } = await download(s, id)
      expect(res.bytes.equals(Buffer.from(bytes)), 'the download must return exactly the uploaded bytes').toBe(true)
      expect(mediaType(res), 'the download is served as the type detected from the bytes').toBe(kind.type)
    })

    it('sends X-Content-Type-Options: nosniff and Content-Disposition: attachment', async () => {
      const rng = random()
      const s = setup(rng)
      const { id } = await uploadOk(s, fileUpload(rng, fileOf(rng, PDF), plainName(rng, 'pdf')))
      const { res, disposition } = await download(s, id)
      expect(res).toHaveHeader('X-Content-Type-Options', 'nosniff')
      expect(disposition.type, 'the disposition type must be attachment (a download), not inline').toBe('attachment')
    })

    it('names a plain ASCII file the same in filename and filename*', async () => {
      const rng = random()
      const s = setup(rng)
      const name = `${rng.word(3, 6)} ${rng.word(3, 6)}_${rng.int(1, 99)}-v${rng.int(1, 9)}.png`
      const { id } = await uploadOk(s, fileUpload(rng, fileOf(rng, PNG), name))
      const { disposition } = await download(s, id)
      expect(disposition.params.get('filename'), 'filename= carries a plain ASCII name unchanged').toBe(name)
      const ext = disposition.params.get('filename*')
      expect(ext, 'Content-Disposition needs filename*=UTF-8\'\'...').toBeDefined()
      expect(decodeExtValue(ext!)).toBe(name)
    })

    it('encodes a unicode filename in filename* (RFC 8187) with an ASCII filename fallback', async () => {
      const rng = random()
      const s = setup(rng)
      const name = `${rng.pick(['Résumé', 'Отчёт', 'データ', 'naïve café'])} ${rng.int(1, 99)} 😀.pdf`
      const { id } = await uploadOk(s, fileUpload(rng, fileOf(rng, PDF), name))
      const { disposition } = await download(s, id)
      const ext = disposition.params.get('filename*')
      expect(ext, 'Content-Disposition needs filename*=UTF-8\'\'...').toBeDefined()
      expect(decodeExtValue(ext!), 'filename* decodes to the stored filename').toBe(name)
      const fallback = disposition.params.get('filename')
      expect(fallback, 'Content-Disposition needs a filename= fallback too').toBeDefined()
      expect(fallback!, 'the filename= fallback is printable ASCII without " \\ % /').toMatch(/^[\x20-\x7e]+$/)
      expect(fallback!).not.toMatch(/["\\%/]/)
    })

    it('percent-encodes \' ( ) * in filename*, which encodeURIComponent leaves alone', async () => {
      const rng = random()
      const s = setup(rng)
      const name = `${rng.word(3, 6)}'s ${rng.pick(['(copy)', '(1)', '*final*'])} ${rng.pick(['!', '~', '&'])}.png`
      const { id } = await uploadOk(s, fileUpload(rng, fileOf(rng, PNG), name))
      const { disposition } = await download(s, id)
      const ext = disposition.params.get('filename*')
      expect(ext, 'Content-Disposition needs filename*=UTF-8\'\'...').toBeDefined()
      expect(decodeExtValue(ext!), 'filename* decodes to the stored filename').toBe(name)
      expect(disposition.params.get('filename') ?? '').not.toMatch(/["\\%/]/)
    })

    it('serves the cleaned name of a dangerous upload', async () => {
      const rng = random()
      const s = setup(rng)
      const raw = `..\\..\\${rng.word()}\u0000 ${'ü'.repeat(rng.int(1, 3))}.pdf.`
      const { id } = await uploadOk(s, fileUpload(rng, fileOf(rng, PDF), raw))
      const { disposition } = await download(s, id)
      expect(decodeExtValue(disposition.params.get('filename*') ?? "UTF-8''")).toBe(cleanName(raw))
      expect(disposition.params.get('filename') ?? '', 'the fallback is printable ASCII').toMatch(/^[\x20-\x7e]+$/)
    })

    it('answers 404 not_found for unknown ids, "constructor" and "__proto__" included', async () => {
      const rng = random()
      const s = setup(rng)
      await uploadOk(s, fileUpload(rng, fileOf(rng, PNG), 'cat.png'))
      for (const id of [rng.word(22, 30), 'constructor', '__proto__', 'toString']) {
        const res = await s.api.get(`/files/${id}`)
        expect(res).toHaveStatus(404)
        expect(res).toHaveJsonBody(expect.objectContaining({ error: 'not_found' }))
      }
    })
  })
})
