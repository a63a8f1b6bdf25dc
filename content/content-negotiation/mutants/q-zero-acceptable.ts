// Mutant: treats q=0 as "least wanted" rather than "not acceptable".
import { Hono } from 'hono'
import type { NegotiationOptions, Product } from '../../../exercises/content-negotiation/app.ts'

const SERVED = ['application/json', 'text/csv', 'application/xml'] as const
type MediaType = (typeof SERVED)[number]

interface Range {
  type: string
  subtype: string
  q: number
}

function parseAccept(header: string): Range[] {
  return header.split(',').flatMap((element) => {
    const [range = '', ...params] = element.split(';').map((s) => s.trim())
    const [type = '', subtype = ''] = range.toLowerCase().split('/')
    const qParam = params.find((p) => /^q\s*=/i.test(p))
    const q = qParam === undefined ? 1 : Number(qParam.split('=')[1])
    return type && subtype ? [{ type, subtype, q }] : []
  })
}

function negotiate(accept: string | undefined): MediaType | undefined {
  if (accept === undefined) return 'application/json'
  const ranges = parseAccept(accept)
  let best: MediaType | undefined
  let bestQ = -1
  for (const served of SERVED) {
    const [type, subtype] = served.split('/')
    const exact = ranges.find((r) => r.type === type && r.subtype === subtype)
    const partial = ranges.find((r) => r.type === type && r.subtype === '*')
    const any = ranges.find((r) => r.type === '*' && r.subtype === '*')
    const range = exact ?? partial ?? any
    // Any covering range makes the type a candidate, even one with q=0.
    if (range && range.q > bestQ) {
      best = served
      bestQ = range.q
    }
  }
  return best
}

function csvField(value: string | number): string {
  const text = String(value)
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text
}

function toCsv(products: Product[]): string {
  const rows = products.map((p) => [p.id, p.name, p.price].map(csvField).join(','))
  return ['id,name,price', ...rows].join('\r\n') + '\r\n'
}

function xmlText(text: string): string {
  return text.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;')
}

function xmlProduct(p: Product): string {
  const name = `<name>${xmlText(p.name)}</name>`
  return `<product><id>${p.id}</id>${name}<price>${p.price}</price></product>`
}

/** The body and Content-Type of one representation. */
function render(type: MediaType, data: Product | Product[]): [string, string] {
  if (type === 'text/csv') {
    return [toCsv(Array.isArray(data) ? data : [data]), 'text/csv; charset=utf-8']
  }
  if (type === 'application/xml') {
    const xml = Array.isArray(data)
      ? `<products>${data.map(xmlProduct).join('')}</products>`
      : xmlProduct(data)
    return [xml, 'application/xml; charset=utf-8']
  }
  return [JSON.stringify(data), 'application/json']
}

export function createApp(options: NegotiationOptions) {
  const { products } = options
  const app = new Hono<{ Variables: { type: MediaType } }>()

  app.use('/api/products/*', async (c, next) => {
    c.header('Vary', 'Accept')
    const type = negotiate(c.req.header('Accept'))
    if (!type) return c.json({ error: 'not_acceptable', available: SERVED }, 406)
    c.set('type', type)
    await next()
  })

  app.get('/api/products', (c) => {
    const [body, contentType] = render(c.get('type'), products)
    return c.body(body, 200, { 'Content-Type': contentType })
  })

  app.get('/api/products/:id', (c) => {
    const product = products.find((p) => String(p.id) === c.req.param('id'))
    if (!product) return c.json({ error: 'not_found' }, 404)
    const [body, contentType] = render(c.get('type'), product)
    return c.body(body, 200, { 'Content-Type': contentType })
  })

  return app
}
