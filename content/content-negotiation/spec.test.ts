// content-negotiation - the hidden spec.
//
// Wrong implementations this spec is built to catch:
// - ignores q-values: the first listed range that matches wins
// - treats q=0 as "least wanted" instead of "not acceptable" (serves it, or serves it under */*)
// - substring matching: `accept.includes('application/json')` (matches application/json-seq,
//   and a JSON listed with q=0)
// - no wildcards: `*/*`, `text/*` or `application/*` answered with 406 (or ignored)
// - takes the highest (or the first) q among the ranges that cover a type instead of the most
//   specific one (`text/*, text/csv;q=0.2` must rank CSV at 0.2; `*/*, application/json;q=0`
//   excludes JSON)
// - breaks ties by the client's order instead of the documented server preference
// - compares media types case-sensitively (`Text/CSV`), or reads `text/csv;charset=utf-8` as
//   an unknown type instead of ignoring parameters other than q
// - answers 200 JSON (a default) where 406 is due, or a 406 without the list of available types
// - no `Vary: Accept`, or Vary only on some representations (or only on 200s)
// - Content-Type always application/json, whatever the body
// - CSV without a header row, without quoting, with JSON-style `\"` escapes instead of doubled
//   quotes, or a header derived from the first product (missing for an empty catalogue)
// - XML without escaping, escaping `&` after `<` (`&amp;lt;`), leaving `]]>` in text, or
//   wrapping names in CDATA that a `]]>` in the name breaks
// - the single-product route left un-negotiated (always JSON)
// - a 404 rendered in the negotiated type (CSV, XML) instead of JSON, or `7x` / `7.0` read as
//   product 7 (parseInt, Number)
// - a q-value read with `Number(q) || 1` or parseInt, so `q=0.000` counts as 1 and `q=0.999`
//   as 0
// - CSV quoting that looks for LF but not CR (a name holding a CR splits the record)
// - sorting or otherwise changing the caller's catalogue in place
import { describe, expect, it } from 'vitest'
import {
  client,
  type Client,
  focusOn,
  parseTokenList,
  random,
  task,
  type Reply,
  type Rng,
} from '../../harness/spec-kit/index.ts'
import { createApp, type Product } from '../../exercises/content-negotiation/app.ts'

const JSON_TYPE = 'application/json'
const CSV_TYPE = 'text/csv'
const XML_TYPE = 'application/xml'
const SERVED = [JSON_TYPE, CSV_TYPE, XML_TYPE]

/** Names that need CSV quoting or XML escaping; every awkward catalogue holds all of them. */
const AWKWARD_NAMES: ((a: string, b: string) => string)[] = [
  (a, b) => `${a}, ${b}`,
  (a, b) => `${a} "${b}" edition`,
  (a) => `"${a}"`,
  (a, b) => `${a}\n${b}`,
  (a, b) => `${a}\r\n${b}`,
  (a, b) => `${a}\r${b}`,
  (a, b) => `${a} & ${b}`,
  (a, b) => `<${a}> ${b}`,
  (a, b) => `${a} ]]> ${b}`,
  (a, b) => `${a} &amp; ${b} &lt;3`,
  (a, b) => `${a}'s <b>"${b}", & more</b>`,
]

function makeProducts(rng: Rng, names: string[]): Product[] {
  let id = rng.int(1, 30)
  return names.map((name) => {
    id += rng.int(1, 9)
    return { id, name, price: rng.int(1, 99_999) / 100 }
  })
}

/** Products with plain one-word names: nothing to quote or escape. */
function plainProducts(rng: Rng, n = rng.int(3, 8)): Product[] {
  return makeProducts(rng, Array.from({ length: n }, () => rng.word(3, 10)))
}

/** Products whose names hold commas, quotes, newlines, ampersands and angle brackets. */
function awkwardProducts(rng: Rng): Product[] {
  const names = AWKWARD_NAMES.map((make) => make(rng.word(3, 8), rng.word(3, 8)))
  names.push(rng.word(3, 8), rng.word(3, 8))
  return makeProducts(rng, rng.shuffle(names))
}

/** The media type of the reply's Content-Type, without parameters, lower-case. */
function mediaTypeOf(res: Reply): string | undefined {
  return res.headers['content-type']?.split(';')[0]?.trim().toLowerCase()
}

/** Asserts a 200 in the given media type (the representation negotiation chose). */
function expectServed(res: Reply, mediaType: string, accept: string): void {
  expect(res).toHaveStatus(200)
  focusOn(res)
  expect(mediaTypeOf(res), `the media type served for Accept: ${accept}`).toBe(mediaType)
}

function expectNotAcceptable(res: Reply): void {
  expect(res).toHaveStatus(406)
  expect(res).toHaveJsonBody(
    expect.objectContaining({ error: 'not_acceptable', available: expect.any(Array) }),
  )
  const available = [...(res.body as { available: string[] }).available].sort()
  expect(available, 'the "available" list in the 406 body').toEqual([...SERVED].sort())
}

// A tiny RFC 4180 reader: records end with CRLF (LF is tolerated), a quoted field may hold
// commas, quotes (written twice) and line breaks; a quote inside an unquoted field is an error.
function parseCsv(text: string): string[][] {
  const records: string[][] = []
  const atLineEnd = (i: number) => text[i] === '\n' || text.startsWith('\r\n', i)
  let i = 0
  while (i < text.length) {
    const record: string[] = []
    for (;;) {
      let field = ''
      if (text[i] === '"') {
        i++
        for (;;) {
          if (i >= text.length) throw new Error('malformed CSV: a quoted field is never closed')
          if (text[i] === '"') {
            if (text[i + 1] !== '"') break
            i++
          }
          field += text[i++]
        }
        i++
        if (i < text.length && text[i] !== ',' && !atLineEnd(i)) {
          const after = JSON.stringify(text[i])
          throw new Error(
            `malformed CSV: ${after} after the closing quote of ${JSON.stringify(field)}` +
              ' (a quote inside a field must be written twice)',
          )
        }
      } else {
        while (i < text.length && text[i] !== ',' && !atLineEnd(i)) {
          if (text[i] === '"' || text[i] === '\r') {
            const shown = JSON.stringify(field + text.slice(i, i + 10))
            throw new Error(
              `malformed CSV: ${JSON.stringify(text[i])} inside the unquoted field ${shown}...` +
                ' (such a field must be quoted)',
            )
          }
          field += text[i++]
        }
      }
      record.push(field)
      if (text[i] !== ',') break
      i++
    }
    records.push(record)
    if (i < text.length) i += text[i] === '\n' ? 1 : 2
  }
  return records
}

function csvRows(products: Product[]): string[][] {
  return [['id', 'name', 'price'], ...products.map((p) => [String(p.id), p.name, String(p.price)])]
}

function expectCsv(res: Reply, products: Product[]): void {
  expect(res).toHaveStatus(200)
  expect(res).toHaveHeader('content-type')
  focusOn(res)
  expect(mediaTypeOf(res), 'the media type of the Content-Type').toBe(CSV_TYPE)
  // A byte order mark (some servers add one for Excel) is not part of the first field.
  const records = parseCsv(res.text.replace(/^\uFEFF/, ''))
  expect(records, 'the CSV records (header row first)').toEqual(csvRows(products))
}

interface XmlElement {
  name: string
  children: XmlElement[]
  /** The decoded character data directly inside the element. */
  text: string
}

const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" }

// A minimal, strict XML reader: enough to tell well-formed from not and to decode text. It
// accepts a declaration, comments, attributes, self-closing tags, CDATA and character references.
function parseXml(xml: string): XmlElement {
  let i = 0
  const fail = (why: string): never => {
    const shown = JSON.stringify(xml.slice(i, i + 40))
    throw new Error(`malformed XML at offset ${i} (${why}): ${shown}`)
  }
  const skipMisc = () => {
    for (;;) {
      while (i < xml.length && /\s/.test(xml[i]!)) i++
      if (xml.startsWith('<?', i)) i = skipPast('?>')
      else if (xml.startsWith('<!--', i)) i = skipPast('-->')
      else return
    }
  }
  const skipPast = (end: string) => {
    const at = xml.indexOf(end, i)
    if (at < 0) fail(`${end} never comes`)
    return at + end.length
  }
  const readName = () => {
    const m = /^[A-Za-z_][\w.:-]*/.exec(xml.slice(i))
    if (!m) fail('expected a tag name')
    i += m![0].length
    return m![0]
  }
  const readReference = () => {
    const m = /^&(?:(amp|lt|gt|quot|apos)|#(\d+)|#x([0-9a-fA-F]+));/.exec(xml.slice(i, i + 12))
    if (!m) fail('an & that does not start an entity such as &amp;')
    i += m![0].length
    if (m![1]) return ENTITIES[m![1]]!
    return String.fromCodePoint(m![2] ? Number(m![2]) : parseInt(m![3]!, 16))
  }
  const element = (): XmlElement => {
    if (xml[i] !== '<') fail('expected an element')
    i++
    const el: XmlElement = { name: readName(), children: [], text: '' }
    for (;;) {
      while (/\s/.test(xml[i] ?? '')) i++
      if (xml.startsWith('/>', i)) {
        i += 2
        return el
      }
      if (xml[i] === '>') break
      readName()
      while (/\s/.test(xml[i] ?? '')) i++
      if (xml[i] !== '=') fail('expected = after an attribute name')
      i++
      while (/\s/.test(xml[i] ?? '')) i++
      const quote = xml[i]
      if (quote !== '"' && quote !== "'") fail('an attribute value must be quoted')
      i++
      while (xml[i] !== quote) {
        if (i >= xml.length || xml[i] === '<') fail('an attribute value is not closed')
        if (xml[i] === '&') readReference()
        else i++
      }
      i++
    }
    i++
    for (;;) {
      if (i >= xml.length) fail(`<${el.name}> is never closed`)
      if (xml.startsWith('</', i)) {
        i += 2
        const name = readName()
        if (name !== el.name) fail(`</${name}> closes <${el.name}>`)
        while (/\s/.test(xml[i] ?? '')) i++
        if (xml[i] !== '>') fail('expected > to end a closing tag')
        i++
        return el
      }
      if (xml.startsWith('<![CDATA[', i)) {
        i += 9
        const end = xml.indexOf(']]>', i)
        if (end < 0) fail('a CDATA section is never closed')
        el.text += xml.slice(i, end)
        i = end + 3
      } else if (xml.startsWith('<!--', i)) i = skipPast('-->')
      else if (xml.startsWith('<?', i)) i = skipPast('?>')
      else if (xml[i] === '<') el.children.push(element())
      else if (xml[i] === '&') el.text += readReference()
      else {
        if (xml.startsWith(']]>', i)) fail(']]> in text must be written ]]&gt;')
        el.text += xml[i++]
      }
    }
  }
  skipMisc()
  const root = element()
  skipMisc()
  if (i < xml.length) fail('content after the root element')
  return root
}

/** An element as { element, <child name>: <child text> }, to compare with xmlProduct(). */
function productFields(el: XmlElement): Record<string, string> {
  const fields: Record<string, string> = {}
  for (const child of el.children) {
    fields[child.name] = child.children.length ? '(elements)' : child.text
  }
  return { element: el.name, ...fields }
}

function xmlProduct(p: Product): Record<string, string> {
  return { element: 'product', id: String(p.id), name: p.name, price: String(p.price) }
}

function readXml(res: Reply): XmlElement {
  expect(res).toHaveStatus(200)
  expect(res).toHaveHeader('content-type')
  focusOn(res)
  expect(mediaTypeOf(res), 'the media type of the Content-Type').toBe(XML_TYPE)
  return parseXml(res.text.replace(/^\uFEFF/, ''))
}

function expectXmlList(res: Reply, products: Product[]): void {
  const root = readXml(res)
  expect(root.name, 'the root element').toBe('products')
  expect(root.children.map(productFields), 'the <product> elements').toEqual(
    products.map(xmlProduct),
  )
}

/** Sends GET with an Accept header (or none when accept is undefined). */
function get(api: Client, path: string, accept?: string): Promise<Reply> {
  return api.get(path, accept === undefined ? {} : { headers: { Accept: accept } })
}

/** Each case: Accept header, expected media type (or 406). */
async function expectChoices(cases: [accept: string, served: string | 406][]): Promise<void> {
  const api = client(createApp({ products: plainProducts(random()) }))
  for (const [accept, served] of cases) {
    const res = await get(api, '/api/products', accept)
    if (served === 406) expectNotAcceptable(res)
    else expectServed(res, served, accept)
  }
}

describe('content-negotiation', () => {
  task(1, 'Serve JSON by default', () => {
    it('serves JSON when the request has no Accept header', async () => {
      const products = plainProducts(random())
      const res = await get(client(createApp({ products })), '/api/products')
      expect(res).toHaveStatus(200)
      expect(res).toHaveJsonBody(products)
    })

    it('answers 404 with JSON { "error": "not_found" } for an unknown product id', async () => {
      const rng = random()
      const products = plainProducts(rng)
      const unknown = products[products.length - 1]!.id + 1
      const { id } = rng.pick(products)
      const api = client(createApp({ products }))
      // The 404 is JSON whatever the client accepts, and `7x` or `7.0` is no product 7.
      for (const path of [`${unknown}`, `${id}x`, `${id}.0`, rng.word()]) {
        for (const accept of [undefined, 'application/json', 'text/csv', 'application/xml']) {
          const res = await get(api, `/api/products/${path}`, accept)
          expect(res).toHaveStatus(404)
          expect(res).toHaveJsonBody(expect.objectContaining({ error: 'not_found' }))
        }
      }
    })
  })

  task(2, 'Serve CSV and XML when asked by name', () => {
    it('serves the list as CSV with a header row for Accept: text/csv', async () => {
      const products = plainProducts(random())
      const res = await get(client(createApp({ products })), '/api/products', 'text/csv')
      expectCsv(res, products)
    })

    it('quotes CSV fields holding commas, quotes or newlines, and doubles the quotes', async () => {
      const products = awkwardProducts(random())
      const res = await get(client(createApp({ products })), '/api/products', 'text/csv')
      expectCsv(res, products)
    })

    it('still sends the CSV header row when the catalogue is empty', async () => {
      const res = await get(client(createApp({ products: [] })), '/api/products', 'text/csv')
      expectCsv(res, [])
    })

    it('serves the list as XML for Accept: application/xml', async () => {
      const products = plainProducts(random())
      const res = await get(client(createApp({ products })), '/api/products', 'application/xml')
      expectXmlList(res, products)
    })

    it('escapes &, < and > in XML text so the document stays well-formed', async () => {
      const products = awkwardProducts(random())
      const res = await get(client(createApp({ products })), '/api/products', 'application/xml')
      expectXmlList(res, products)
    })

    it('serves one product in each representation at /api/products/:id', async () => {
      const rng = random()
      const products = awkwardProducts(rng)
      const product = rng.pick(products)
      const api = client(createApp({ products }))
      const path = `/api/products/${product.id}`
      const asJson = await get(api, path, 'application/json')
      expect(asJson).toHaveStatus(200)
      expect(asJson).toHaveJsonBody(product)
      expectCsv(await get(api, path, 'text/csv'), [product])
      const root = readXml(await get(api, path, 'application/xml'))
      expect(productFields(root), 'the root <product> element').toEqual(xmlProduct(product))
    })

    it('never changes the catalogue it was given', async () => {
      const rng = random()
      const products = awkwardProducts(rng)
      const before = structuredClone(products)
      const api = client(createApp({ products }))
      for (const accept of [undefined, 'text/csv', 'application/xml']) {
        expect(await get(api, '/api/products', accept)).toHaveStatus(200)
        expect(await get(api, `/api/products/${rng.pick(products).id}`, accept)).toHaveStatus(200)
      }
      expect(products, 'the products passed to createApp were changed').toEqual(before)
    })
  })

  task(3, 'Choose by q-value, wildcard and specificity', () => {
    it('serves the type with the highest q-value, wherever it is listed', async () => {
      const rng = random()
      const api = client(createApp({ products: plainProducts(rng) }))
      const weights = ['1', '0.9', '0.8', '0.75', '0.5', '0.45', '0.3', '0.1', '0.05', '0.001']
      for (let round = 0; round < 6; round++) {
        const qs = rng.shuffle(weights).slice(0, 3)
        const ranked = SERVED.map((type, k) => ({ type, q: qs[k]! }))
        const best = ranked.reduce((a, b) => (Number(b.q) > Number(a.q) ? b : a))
        // Never list the winner first: "the first one listed wins" must not pass by luck.
        const order = rng.shuffle(ranked)
        if (order[0] === best) order.push(order.shift()!)
        const accept = order
          .map(({ type, q }) =>
            q === '1' && rng.next() < 0.5 ? type : `${type}${rng.pick([';', '; ', ' ;'])}q=${q}`,
          )
          .join(rng.pick([',', ', ']))
        expectServed(await get(api, '/api/products', accept), best.type, accept)
      }
    })

    it('reads q-values with up to three decimals, q=0.000 included', async () => {
      await expectChoices([
        ['application/json;q=0.999, text/csv;q=1.000', CSV_TYPE],
        ['application/xml;q=1.0, application/json;q=0.99', XML_TYPE],
        ['text/csv;q=0.001, application/json;q=0.000', CSV_TYPE],
        ['application/json;q=0.000, text/csv;q=0.00, application/xml;q=0.002', XML_TYPE],
      ])
    })

    it('breaks a tie in q by server preference: JSON, then CSV, then XML', async () => {
      await expectChoices([
        ['application/xml, text/csv', CSV_TYPE],
        ['text/csv, application/xml, application/json', JSON_TYPE],
        ['application/xml;q=0.5, application/json;q=0.5', JSON_TYPE],
        ['application/xml;q=0.7, text/csv;q=0.7, application/json;q=0.2', CSV_TYPE],
      ])
    })

    it('treats */* as every type and serves the preferred one', async () => {
      await expectChoices([
        ['*/*', JSON_TYPE],
        ['*/*;q=0.3', JSON_TYPE],
        ['*/*;q=0.1, application/xml', XML_TYPE],
      ])
    })

    it('treats text/* as CSV and application/* as JSON or XML', async () => {
      await expectChoices([
        ['text/*', CSV_TYPE],
        ['application/json;q=0.5, text/*', CSV_TYPE],
        ['application/*', JSON_TYPE],
        ['text/*;q=0.5, application/*;q=0.6', JSON_TYPE],
        ['text/*;q=0.9, application/*;q=0.6', CSV_TYPE],
      ])
    })

    it('takes the q-value of the most specific range that covers a type', async () => {
      await expectChoices([
        ['text/*;q=0.1, text/csv;q=0.9, application/json;q=0.5', CSV_TYPE],
        ['text/*, text/csv;q=0.2, application/xml;q=0.5', XML_TYPE],
        ['*/*, application/json;q=0.4, text/csv;q=0.3', XML_TYPE],
        ['application/*;q=0.4, application/json;q=0.2', XML_TYPE],
      ])
    })

    it('serves XML to a browser-style Accept header', async () => {
      await expectChoices([
        ['text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8', XML_TYPE],
      ])
    })

    it('treats q=0 as "not acceptable", even when a wildcard covers the type', async () => {
      await expectChoices([
        ['application/json;q=0, */*', CSV_TYPE],
        ['*/*, application/json;q=0, text/csv;q=0.0', XML_TYPE],
        ['text/*;q=0, application/xml;q=0.1', XML_TYPE],
      ])
    })

    it('ignores media type parameters other than q', async () => {
      await expectChoices([
        ['text/csv;charset=utf-8', CSV_TYPE],
        ['application/xml; charset="utf-8"; q=0.8, application/json;q=0.5', XML_TYPE],
        ['application/json;version=2;q=0.3, text/csv;q=0.4', CSV_TYPE],
      ])
    })

    it('matches media types case-insensitively', async () => {
      await expectChoices([
        ['Text/CSV', CSV_TYPE],
        ['APPLICATION/XML, application/json;q=0.5', XML_TYPE],
        ['TEXT/*', CSV_TYPE],
      ])
    })
  })

  task(4, 'Answer 406 when nothing is acceptable', () => {
    it('answers 406 with the available types when no served type is acceptable', async () => {
      await expectChoices([
        ['text/html', 406],
        ['image/png, text/plain;q=0.9, application/xhtml+xml', 406],
      ])
    })

    it('answers 406 when every range that covers a served type has q=0', async () => {
      await expectChoices([
        ['text/csv;q=0', 406],
        ['*/*;q=0', 406],
        ['text/html, */*;q=0', 406],
        ['application/json;q=0, text/*;q=0, application/xml;q=0', 406],
      ])
    })

    it('does not match a media type that merely starts like a served one', async () => {
      await expectChoices([
        ['application/json-seq', 406],
        ['application/xml-dtd, text/csvs', 406],
      ])
    })

    it('negotiates /api/products/:id the same way', async () => {
      const rng = random()
      const products = plainProducts(rng)
      const path = `/api/products/${rng.pick(products).id}`
      const api = client(createApp({ products }))
      const cases: [string, string | 406][] = [
        ['text/*', CSV_TYPE],
        ['application/json;q=0.1, application/xml;q=0.9', XML_TYPE],
        ['application/json;q=0, */*', CSV_TYPE],
        ['text/html', 406],
      ]
      for (const [accept, served] of cases) {
        const res = await get(api, path, accept)
        if (served === 406) expectNotAcceptable(res)
        else expectServed(res, served, accept)
      }
    })
  })

  task(5, 'Send Vary: Accept', () => {
    it('sends Vary: Accept with every negotiated response, including the 406', async () => {
      const rng = random()
      const products = plainProducts(rng)
      const api = client(createApp({ products }))
      const one = `/api/products/${rng.pick(products).id}`
      const requests: [string, string | undefined][] = [
        ['/api/products', undefined],
        ['/api/products', 'text/csv'],
        ['/api/products', 'application/xml'],
        ['/api/products', 'text/html'],
        [one, 'application/json'],
        [one, 'text/csv'],
        [one, 'application/xml'],
        [one, 'image/png'],
      ]
      for (const [path, accept] of requests) {
        const res = await get(api, path, accept)
        expect(res).toHaveHeader('vary')
        focusOn(res)
        expect(parseTokenList(res.headers['vary']), 'the tokens of the Vary header').toContain(
          'ACCEPT',
        )
      }
    })
  })
})
