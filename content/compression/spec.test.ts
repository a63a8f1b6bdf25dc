// compression - the hidden spec.
//
// The kit's `client` (supertest) decompresses bodies by itself, so this spec reads raw bytes:
// `app.fetch(new Request(...))` for most checks, and one check over a real socket (`serve` and
// node:http) for what goes on the wire. Bodies are decompressed with node:zlib and compared
// byte for byte.
//
// Wrong implementations this spec is built to catch:
// - never compresses, or compresses without a Content-Encoding header (or the wrong one)
// - a Content-Length left at the uncompressed size (the wire body is cut short or hangs)
// - compresses when there is no Accept-Encoding at all, or for an empty Accept-Encoding
// - ignores q-values (takes the first coding listed), treats q=0 as acceptable (`includes`),
//   breaks ties by the client's order instead of the server's (br, gzip), prefers gzip on ties
// - compares coding names case-sensitively (`GZIP`, `Br`), trips on spaces around `;` and `=`,
//   ignores `*` (or `*;q=0`), does not know `x-gzip`, ignores an explicit identity weight
// - answers identity when identity is refused and nothing else is acceptable (no 406), or
//   answers 406 when a coding is still acceptable
// - compresses below the threshold, or not at exactly the threshold (off by one), or counts
//   characters instead of bytes
// - compresses image/png, image/jpeg, application/zip; skips text/csv, +json, +xml, or JSON
//   with a charset parameter
// - compresses a response that already has a Content-Encoding a second time
// - no Vary: Accept-Encoding, or Vary only on the compressed answers (not on identity or 406)
// - keeps the same strong ETag on the gzip, br and identity answers
// - skips HEAD (no Content-Encoding where GET has one), or a HEAD Content-Length that GET
//   would not send
import http from 'node:http'
import { brotliDecompressSync, gunzipSync, gzipSync } from 'node:zlib'
import { describe, expect, it } from 'vitest'
import { build, random, serve, task, type Rng } from '../../harness/spec-kit/index.ts'
import { createApp } from '../../exercises/compression/app.ts'

interface Raw {
  status: number
  headers: Record<string, string>
  bytes: Buffer
  /** The request, for failure messages: `GET /api/items, Accept-Encoding: gzip`. */
  sent: string
}

type App = ReturnType<typeof createApp>

/** One request straight to the app: what it answered, bytes untouched by any client. */
async function raw(app: App, path: string, headers: Record<string, string> = {}, method = 'GET') {
  const res = await app.fetch(new Request(`http://localhost${path}`, { method, headers }))
  const bytes = Buffer.from(await res.arrayBuffer())
  const names = Object.entries(headers).map(([k, v]) => `, ${k}: ${JSON.stringify(v)}`).join('')
  const all: Record<string, string> = {}
  res.headers.forEach((value, name) => (all[name.toLowerCase()] = value))
  return { status: res.status, headers: all, bytes, sent: `${method} ${path}${names}` } as Raw
}

/** The body after undoing Content-Encoding (br, gzip, x-gzip or none). */
function decoded(res: Raw): Buffer {
  const coding = (res.headers['content-encoding'] ?? 'identity').trim().toLowerCase()
  if (coding === 'identity') return res.bytes
  if (coding === 'br') return brotliDecompressSync(res.bytes)
  if (coding === 'gzip' || coding === 'x-gzip') return gunzipSync(res.bytes)
  throw new Error(`${res.sent}: unexpected Content-Encoding: ${coding}`)
}

const codingOf = (res: Raw) => {
  const coding = (res.headers['content-encoding'] ?? 'identity').trim().toLowerCase()
  return coding === 'x-gzip' ? 'gzip' : coding
}

const varies = (res: Raw) =>
  (res.headers['vary'] ?? '')
    .split(',')
    .map((v) => v.trim().toLowerCase())
    .some((v) => v === 'accept-encoding' || v === '*')

/** Status 200, the expected coding, the original bytes back, a truthful Content-Length. */
function expectServed(res: Raw, coding: string, original: Buffer) {
  expect(res.status, `${res.sent}: status`).toBe(200)
  expect(codingOf(res), `${res.sent}: Content-Encoding`).toBe(coding)
  let body: Buffer
  try {
    body = decoded(res)
  } catch (error) {
    throw new Error(`${res.sent}: the body does not decode as ${coding}: ${String(error)}`)
  }
  expect(body.equals(original), `${res.sent}: decoded body must be the original bytes`).toBe(true)
  if (res.headers['content-length'] !== undefined) {
    expect(Number(res.headers['content-length']), `${res.sent}: Content-Length = bytes sent`).toBe(
      res.bytes.length,
    )
  }
  if (coding !== 'identity') {
    expect(res.bytes.length, `${res.sent}: compressed is smaller`).toBeLessThan(original.length)
  }
}

const sentence = (rng: Rng) => Array.from({ length: rng.int(4, 9) }, () => rng.word(3, 9)).join(' ')

/** Text of exactly `bytes` UTF-8 bytes, with 2-byte characters so length != byte count. */
function textOfBytes(rng: Rng, bytes: number): string {
  let text = ''
  while (Buffer.byteLength(text) < bytes - 120) text += `${sentence(rng)} é `
  while (Buffer.byteLength(text) < bytes) text += 'a'
  return text
}

function setup({ threshold = undefined as number | undefined, useDefault = false } = {}) {
  const rng = random()
  const limit = useDefault ? 1024 : (threshold ?? rng.int(300, 900))
  const items = Array.from({ length: rng.int(40, 70) }, (_, i) => ({
    id: i + 1,
    name: rng.word(4, 10),
    note: sentence(rng),
  }))
  const png = Buffer.from(Array.from({ length: 3000 }, () => rng.int(0, 255)))
  const csv = items.map((item) => `${item.id},${item.name},${item.note}`).join('\n')
  const alreadyJson = JSON.stringify({ items })
  const files = {
    'data.csv': { type: 'text/csv', body: csv },
    'photo.png': { type: 'image/png', body: png },
    'photo.jpg': { type: 'image/jpeg', body: png },
    'bundle.zip': { type: 'application/zip', body: png },
    'blob.bin': { type: 'application/octet-stream', body: png },
    'logo.svg': { type: 'image/svg+xml', body: `<svg>${'<rect/>'.repeat(300)}</svg>` },
    'problem.json': { type: 'application/problem+json', body: JSON.stringify({ detail: csv }) },
    'charset.json': { type: 'application/json; charset=utf-8', body: alreadyJson },
    'report.json.gz': { type: 'application/json', body: gzipSync(alreadyJson), encoding: 'gzip' },
    'below.txt': { type: 'text/plain', body: textOfBytes(rng, limit - 1) },
    'exact.txt': { type: 'text/plain', body: textOfBytes(rng, limit) },
  }
  const options = useDefault ? { items, files } : { items, files, threshold: limit }
  const app = build(createApp, options)
  const json = Buffer.from(JSON.stringify(items))
  const bytesOf = (name: keyof typeof files) => {
    const body = files[name].body
    return Buffer.isBuffer(body) ? body : Buffer.from(body as string)
  }
  return { rng, app, items, json, files, bytesOf, limit }
}

const ITEMS = '/api/items'

/** GET over a real socket, so Content-Length and chunking are what Node really sends. */
function wireGet(url: string, headers: Record<string, string>) {
  return new Promise<Raw>((resolve, reject) => {
    const req = http.get(url, { headers, agent: false }, (res) => {
      const chunks: Buffer[] = []
      res.on('data', (chunk: Buffer) => chunks.push(chunk))
      res.on('end', () =>
        resolve({
          status: res.statusCode ?? 0,
          headers: res.headers as Record<string, string>,
          bytes: Buffer.concat(chunks),
          sent: `GET ${ITEMS} (over the network), Accept-Encoding: gzip`,
        }),
      )
      res.on('error', reject)
    })
    req.setTimeout(900, () =>
      req.destroy(new Error('no complete response within 0.9 s: is Content-Length too large?')),
    )
    req.on('error', reject)
  })
}

describe('compression', () => {
  task(1, 'Compress with gzip when asked', () => {
    it('Accept-Encoding: gzip gets the JSON gzipped, with Content-Encoding: gzip', async () => {
      const { app, json } = setup()
      expectServed(await raw(app, ITEMS, { 'Accept-Encoding': 'gzip' }), 'gzip', json)
    })

    it('without Accept-Encoding the JSON goes out as it is', async () => {
      const { app, json } = setup()
      const res = await raw(app, ITEMS)
      expectServed(res, 'identity', json)
      expect(JSON.parse(res.bytes.toString())).toEqual(JSON.parse(json.toString()))
    })

    it('the gzipped answer says Vary: Accept-Encoding', async () => {
      const { app } = setup()
      const res = await raw(app, ITEMS, { 'Accept-Encoding': 'gzip' })
      expect(varies(res), `${res.sent}: Vary must list Accept-Encoding`).toBe(true)
    })

    it('over the network, the gzipped bytes and their length arrive intact', async () => {
      const { app, json } = setup()
      const served = await serve(app)
      const res = await wireGet(`${served.url}${ITEMS}`, { 'Accept-Encoding': 'gzip' })
      expectServed(res, 'gzip', json)
    })
  })

  task(2, 'Negotiate br, gzip and identity by q-value', () => {
    const cases = (rows: [string, string][]) => async () => {
      const { app, json } = setup()
      for (const [header, coding] of rows) {
        expectServed(await raw(app, ITEMS, { 'Accept-Encoding': header }), coding, json)
      }
    }

    it('br when asked, and br on a tie with gzip (the server prefers br)', cases([
      ['br', 'br'],
      ['gzip, br', 'br'],
      ['br, gzip', 'br'],
      ['gzip;q=0.8, br;q=0.8', 'br'],
    ]))

    it('the higher q wins, whatever the order', cases([
      ['br;q=0.5, gzip', 'gzip'],
      ['gzip;q=0.9, br;q=0.1', 'gzip'],
      ['br;q=0.9, gzip;q=0.8, identity;q=0.5', 'br'],
      ['br;q=0.001, gzip;q=0', 'br'],
    ]))

    it('q=0 means "not acceptable"', cases([
      ['br;q=0, gzip', 'gzip'],
      ['gzip;q=0', 'identity'],
      ['br;q=0, gzip;q=0.0', 'identity'],
      ['gzip;q=0.000, br;q=0.00', 'identity'],
    ]))

    it('coding names are case-insensitive, spaces around ; and = are fine', cases([
      ['GZIP', 'gzip'],
      ['Br', 'br'],
      ['gzip ; q=1.0 , br ; q=0.5', 'gzip'],
      ['br;q=0.2,gzip;q=0.3', 'gzip'],
    ]))

    it('* stands for every coding not named', cases([
      ['*', 'br'],
      ['*;q=0.5, gzip', 'gzip'],
      ['gzip;q=0.2, *;q=0.4', 'br'],
      ['br;q=0, *', 'gzip'],
    ]))

    it('x-gzip means gzip; unknown codings and an empty header get identity', cases([
      ['x-gzip', 'gzip'],
      ['deflate', 'identity'],
      ['compress, deflate;q=0.5', 'identity'],
      ['', 'identity'],
    ]))

    it('identity has a weight too: it wins when its q is the highest', cases([
      ['identity', 'identity'],
      ['gzip;q=0.5, identity', 'identity'],
      ['identity;q=0.4, gzip;q=0.6', 'gzip'],
    ]))
  })

  task(3, 'Answer 406 when nothing is acceptable', () => {
    const refusals = ['identity;q=0', '*;q=0', '*;q=0, deflate', 'gzip;q=0, br;q=0, identity;q=0']
    for (const header of refusals) {
      it(`Accept-Encoding: ${header} answers 406`, async () => {
        const { app } = setup()
        const res = await raw(app, ITEMS, { 'Accept-Encoding': header })
        expect(res.status, `${res.sent}: nothing acceptable is left`).toBe(406)
        expect(res.headers['content-encoding'], 'a 406 is not encoded').toBeUndefined()
        expect(res.headers['content-type'] ?? '', 'the 406 is JSON').toMatch(/json/i)
        expect(JSON.parse(res.bytes.toString())).toEqual(
          expect.objectContaining({ error: 'not_acceptable' }),
        )
      })
    }

    it('refusing identity is fine while another coding is acceptable', async () => {
      const { app, json } = setup()
      for (const [header, coding] of [
        ['identity;q=0, gzip', 'gzip'],
        ['*;q=0, br', 'br'],
        ['identity;q=0, *', 'br'],
        ['*;q=0, identity', 'identity'],
        ['*;q=0, identity;q=0.1', 'identity'],
      ] as const) {
        expectServed(await raw(app, ITEMS, { 'Accept-Encoding': header }), coding, json)
      }
    })
  })

  task(4, 'Compress only what is worth it', () => {
    it('one byte under the threshold is sent as it is; at the threshold, compressed', async () => {
      const { app, bytesOf, limit } = setup()
      const headers = { 'Accept-Encoding': 'gzip' }
      expectServed(await raw(app, '/files/below.txt', headers), 'identity', bytesOf('below.txt'))
      const exact = await raw(app, '/files/exact.txt', headers)
      expect(bytesOf('exact.txt').length, 'the fixture').toBe(limit)
      expectServed(exact, 'gzip', bytesOf('exact.txt'))
    })

    it('the threshold defaults to 1024 bytes', async () => {
      const { app, bytesOf } = setup({ useDefault: true })
      const headers = { 'Accept-Encoding': 'br' }
      expectServed(await raw(app, '/files/below.txt', headers), 'identity', bytesOf('below.txt'))
      expectServed(await raw(app, '/files/exact.txt', headers), 'br', bytesOf('exact.txt'))
    })

    it('text types are compressed: text/csv, +json, +xml, JSON with a charset', async () => {
      const { app, bytesOf } = setup()
      for (const name of ['data.csv', 'problem.json', 'logo.svg', 'charset.json'] as const) {
        const res = await raw(app, `/files/${name}`, { 'Accept-Encoding': 'gzip' })
        expectServed(res, 'gzip', bytesOf(name))
      }
    })

    it('images, archives and binary are sent as they are', async () => {
      const { app, bytesOf } = setup()
      for (const name of ['photo.png', 'photo.jpg', 'bundle.zip', 'blob.bin'] as const) {
        const res = await raw(app, `/files/${name}`, { 'Accept-Encoding': 'br, gzip' })
        expectServed(res, 'identity', bytesOf(name))
      }
    })

    it('a body that is already gzip-encoded is not compressed again', async () => {
      const { app, bytesOf } = setup()
      const res = await raw(app, '/files/report.json.gz', { 'Accept-Encoding': 'gzip, br' })
      expect(res.status).toBe(200)
      expect(res.headers['content-encoding'], `${res.sent}: one layer, gzip`).toBe('gzip')
      expect(res.bytes.equals(bytesOf('report.json.gz')), 'the stored bytes, untouched').toBe(true)
    })
  })

  task(5, 'Keep caches and HEAD honest', () => {
    it('the uncompressed answers say Vary: Accept-Encoding too, and so does the 406', async () => {
      const { app } = setup()
      const variants: Record<string, string>[] = [
        {},
        { 'Accept-Encoding': 'gzip;q=0' },
        { 'Accept-Encoding': 'identity;q=0' },
      ]
      for (const headers of variants) {
        const res = await raw(app, ITEMS, headers)
        expect(varies(res), `${res.sent}: Vary must list Accept-Encoding`).toBe(true)
      }
      const br = await raw(app, ITEMS, { 'Accept-Encoding': 'br' })
      expect(varies(br), `${br.sent}: Vary must list Accept-Encoding`).toBe(true)
    })

    it('identity, gzip and br answers never share a strong ETag', async () => {
      const { app } = setup()
      const answers = [
        await raw(app, ITEMS),
        await raw(app, ITEMS, { 'Accept-Encoding': 'gzip' }),
        await raw(app, ITEMS, { 'Accept-Encoding': 'br' }),
      ]
      const isStrong = (res: Raw) => !!res.headers['etag'] && !res.headers['etag'].startsWith('W/')
      const strong = answers.filter(isStrong)
      const tags = strong.map((res) => res.headers['etag'])
      const message = `strong ETags ${tags.join(' ')}: other bytes, other tag (or W/)`
      expect(new Set(tags).size, message).toBe(tags.length)
    })

    it('HEAD sends the Content-Encoding and Vary GET would send, and no body', async () => {
      const { app } = setup()
      for (const coding of ['gzip', 'br']) {
        const headers = { 'Accept-Encoding': coding }
        const get = await raw(app, ITEMS, headers)
        const head = await raw(app, ITEMS, headers, 'HEAD')
        expect(head.status, `${head.sent}: status`).toBe(200)
        expect(head.bytes.length, `${head.sent}: no body`).toBe(0)
        expect(codingOf(head), `${head.sent}: Content-Encoding as GET`).toBe(codingOf(get))
        expect(varies(head), `${head.sent}: Vary must list Accept-Encoding`).toBe(true)
        if (head.headers['content-length'] !== undefined) {
          expect(Number(head.headers['content-length']), `${head.sent}: the length GET sends`).toBe(
            get.bytes.length,
          )
        }
      }
      const plain = await raw(app, ITEMS, {}, 'HEAD')
      const message = `${plain.sent}: no Accept-Encoding, no Content-Encoding`
      expect(codingOf(plain), message).toBe('identity')
    })
  })
})
