import { Hono, type Context } from 'hono'

/** One product: the resource. JSON, CSV and XML are three representations of it. */
export interface Product {
  id: number
  name: string
  price: number
}

export interface NegotiationOptions {
  /** The catalogue, in id order. The app reads it and never changes it. */
  products: Product[]
}

/** A renderer turns data into one representation: DRF's idea, as a plain object. */
interface Renderer {
  /** The media type this renderer produces, as it appears in Accept and Content-Type. */
  mediaType: string
  contentType: string
  list: (products: Product[]) => string
  one: (product: Product) => string
}

const json: Renderer = {
  mediaType: 'application/json',
  contentType: 'application/json; charset=utf-8',
  list: (products) => JSON.stringify(products),
  one: (product) => JSON.stringify(product),
}

// RFC 4180: a field that holds a comma, a quote or a line break is wrapped in quotes, and a quote
// inside it is written twice. Quoting only when needed keeps plain rows readable.
function csvField(value: string | number): string {
  const text = String(value)
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text
}

function csvRecord(product: Product): string {
  return [product.id, product.name, product.price].map(csvField).join(',')
}

// The header row comes from a constant, not from Object.keys(products[0]): an empty catalogue
// still gets its header, and the columns do not depend on the data.
const CSV_HEADER = 'id,name,price'

const csv: Renderer = {
  mediaType: 'text/csv',
  contentType: 'text/csv; charset=utf-8',
  // RFC 4180 ends records with CRLF.
  list: (products) => [CSV_HEADER, ...products.map(csvRecord)].join('\r\n') + '\r\n',
  one: (product) => `${CSV_HEADER}\r\n${csvRecord(product)}\r\n`,
}

// `&` first: escaping it last would turn the `&lt;` we just wrote into `&amp;lt;`.
// `>` is legal on its own in text but not after `]]`; escaping it always is the simple rule.
function xmlText(value: string | number): string {
  return String(value)
    .replaceAll('&', '&amp;')
    .replaceAll('<', '&lt;')
    .replaceAll('>', '&gt;')
    .replaceAll('"', '&quot;')
}

function xmlProduct(p: Product): string {
  const fields = [
    `<id>${xmlText(p.id)}</id>`,
    `<name>${xmlText(p.name)}</name>`,
    `<price>${xmlText(p.price)}</price>`,
  ]
  return `<product>${fields.join('')}</product>`
}

const XML_DECLARATION = '<?xml version="1.0" encoding="UTF-8"?>\n'

const xml: Renderer = {
  mediaType: 'application/xml',
  contentType: 'application/xml; charset=utf-8',
  list: (products) => `${XML_DECLARATION}<products>${products.map(xmlProduct).join('')}</products>`,
  one: (product) => XML_DECLARATION + xmlProduct(product),
}

/** The server's preference order: it breaks ties between equal q-values. */
const RENDERERS: readonly Renderer[] = [json, csv, xml]

interface MediaRange {
  type: string
  subtype: string
  q: number
}

/** Splits an Accept header into media ranges with their weights (RFC 9110, section 12.5.1). */
function parseAccept(header: string): MediaRange[] {
  const ranges: MediaRange[] = []
  for (const element of header.split(',')) {
    const [range = '', ...params] = element.split(';').map((part) => part.trim())
    const [type, subtype, extra] = range.toLowerCase().split('/')
    if (!type || !subtype || extra !== undefined) continue
    let q = 1
    for (const param of params) {
      const [name = '', value = ''] = param.split('=').map((part) => part.trim())
      // Other parameters (charset, version...) do not change which type is meant here.
      if (name.toLowerCase() === 'q') q = Number(value)
    }
    if (Number.isNaN(q) || q < 0 || q > 1) continue
    ranges.push({ type, subtype, q })
  }
  return ranges
}

/** 2 for `text/csv`, 1 for `text/*`, 0 for `*\/*`; -1 when the range does not cover the type. */
function specificity(range: MediaRange, mediaType: string): number {
  const [type, subtype] = mediaType.split('/')
  if (range.type === '*' && range.subtype === '*') return 0
  if (range.type !== type) return -1
  if (range.subtype === '*') return 1
  return range.subtype === subtype ? 2 : -1
}

/**
 * How much the client wants `mediaType`: the q of the MOST SPECIFIC range that covers it, not the
 * highest one and not the first one. `*\/*, application/json;q=0` means "anything but JSON".
 */
function quality(ranges: MediaRange[], mediaType: string): number {
  let best: MediaRange | undefined
  let bestSpecificity = -1
  for (const range of ranges) {
    const s = specificity(range, mediaType)
    if (s > bestSpecificity) {
      best = range
      bestSpecificity = s
    }
  }
  // No range covers the type at all: the client did not ask for it.
  return best?.q ?? 0
}

/** The renderer to use, or undefined when nothing we serve is acceptable (406). */
function negotiate(accept: string | undefined): Renderer | undefined {
  // No Accept header means "anything": serve the default, the first in our preference order.
  if (accept === undefined || accept.trim() === '') return RENDERERS[0]
  const ranges = parseAccept(accept)
  let chosen: Renderer | undefined
  let chosenQ = 0
  for (const renderer of RENDERERS) {
    const q = quality(ranges, renderer.mediaType)
    // Strictly greater: on a tie the earlier renderer (our preference) keeps the place. And q=0
    // never wins, because it starts at 0: "q=0" means "not acceptable", not "least wanted".
    if (q > chosenQ) {
      chosen = renderer
      chosenQ = q
    }
  }
  return chosen
}

export function createApp(options: NegotiationOptions) {
  const { products } = options
  const app = new Hono()

  // Negotiation is the same for every route of the resource, so both handlers go through this one
  // function and only say WHAT to send; the renderer decides how it looks. Like DRF's renderer
  // classes: data in, bytes out.
  const represent = (c: Context, render: (renderer: Renderer) => string) => {
    // The answer depends on Accept, so caches must key on it: without Vary, a shared cache could
    // hand the CSV it stored for one client to the next client, who asked for JSON.
    c.header('Vary', 'Accept')
    const renderer = negotiate(c.req.header('Accept'))
    if (!renderer) {
      // 406 tells the client that the resource exists but not in any form it accepts, and the
      // body lists what it could ask for instead.
      const available = RENDERERS.map((r) => r.mediaType)
      return c.json({ error: 'not_acceptable', available }, 406)
    }
    return c.body(render(renderer), 200, { 'Content-Type': renderer.contentType })
  }

  app.get('/api/products', (c) => represent(c, (renderer) => renderer.list(products)))

  app.get('/api/products/:id', (c) => {
    const product = products.find((p) => String(p.id) === c.req.param('id'))
    if (!product) return c.json({ error: 'not_found' }, 404)
    return represent(c, (renderer) => renderer.one(product))
  })

  return app
}
