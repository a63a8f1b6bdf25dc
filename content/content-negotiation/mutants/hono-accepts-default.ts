// Mutant: uses hono's accepts() helper with JSON as the default, so nothing is ever a 406.
import { Hono } from 'hono'
import { accepts } from 'hono/accepts'
import type { NegotiationOptions, Product } from '../../../exercises/content-negotiation/app.ts'

const SERVED = ['application/json', 'text/csv', 'application/xml']

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

export function createApp(options: NegotiationOptions) {
  const { products } = options
  const app = new Hono()

  const send = (type: string, data: Product | Product[]) => {
    if (type === 'text/csv') {
      return new Response(toCsv(Array.isArray(data) ? data : [data]), {
        headers: { 'Content-Type': 'text/csv', Vary: 'Accept' },
      })
    }
    if (type === 'application/xml') {
      const xml = Array.isArray(data)
        ? `<products>${data.map(xmlProduct).join('')}</products>`
        : xmlProduct(data)
      return new Response(xml, { headers: { 'Content-Type': 'application/xml', Vary: 'Accept' } })
    }
    return Response.json(data, { headers: { Vary: 'Accept' } })
  }

  app.get('/api/products', (c) => {
    const type = accepts(c, { header: 'Accept', supports: SERVED, default: 'application/json' })
    return send(type, products)
  })

  app.get('/api/products/:id', (c) => {
    const product = products.find((p) => String(p.id) === c.req.param('id'))
    if (!product) return c.json({ error: 'not_found' }, 404)
    const type = accepts(c, { header: 'Accept', supports: SERVED, default: 'application/json' })
    return send(type, product)
  })

  return app
}
