import { Hono } from 'hono'
import { describe, expect, it } from 'vitest'
import './matchers.ts'
import { client, NoResponseError } from './client.ts'

function app() {
  const a = new Hono()
  a.post('/echo', async (c) => c.json({ got: await c.req.json(), type: c.req.header('content-type') }, 201))
  a.get('/never', () => new Promise<Response>(() => {}))
  a.get('/text', (c) => c.text('not json'))
  a.post('/bytes', async (c) => c.body(new Uint8Array(await c.req.arrayBuffer()).reverse(), 200, { 'Content-Type': 'application/octet-stream' }))
  return a
}

describe('client', () => {
  it('sends JSON and records the exchange with lower-case response headers', async () => {
    const res = await client(app()).post('/echo', { json: { a: 1 }, headers: { 'X-Trace': 't1' } })
    expect(res.status).toBe(201)
    expect(res.body).toEqual({ got: { a: 1 }, type: 'application/json' })
    expect(res.exchange.request).toEqual({
      method: 'POST',
      path: '/echo',
      headers: { 'X-Trace': 't1', 'Content-Type': 'application/json' },
      body: '{"a":1}',
    })
    expect(res.exchange.response?.headers['content-type']).toMatch(/application\/json/)
  })

  it('sends and receives binary bodies byte for byte, and reports them by size', async () => {
    const sent = Uint8Array.from([0x89, 0x50, 0x4e, 0x47, 0xff, 0x00, 0xfe])
    const res = await client(app()).post('/bytes', { body: sent, headers: { 'Content-Type': 'application/octet-stream' } })
    expect([...res.bytes]).toEqual([...sent].reverse())
    expect(res.exchange.request.body).toBe('(7 bytes of binary data)')
    expect(res.exchange.response?.body).toBe('(7 bytes of binary data)')
  })

  it('keeps a body that is not JSON as text', async () => {
    const res = await client(app()).get('/text')
    expect(res.text).toBe('not json')
    expect(res.body).toBeUndefined()
  })

  it('fails a request the app never answers with "timed out after N ms"', async () => {
    const attempt = client(app(), 200).get('/never')
    await expect(attempt).rejects.toBeInstanceOf(NoResponseError)
    await expect(attempt).rejects.toThrow('GET /never timed out after 200 ms: the app never sent a response')
  })
})

describe('matchers', () => {
  it('check status, headers and JSON bodies, with asymmetric matchers', async () => {
    const res = await client(app()).post('/echo', { json: { a: 1 } })
    expect(res).toHaveStatus(201)
    expect(res).toHaveHeader('Content-Type', /json/)
    expect(res).not.toHaveHeader('x-missing')
    expect(res).toHaveJsonBody({ got: { a: 1 }, type: expect.any(String) })
    expect(() => expect(res).toHaveStatus(200)).toThrow('expected status 200, received 201')
    expect(() => expect(res).toHaveJsonBody({ got: {} })).toThrow('the JSON body is not what was expected')
  })

  it('refuse a body that is not JSON even when it would parse', async () => {
    const res = await client(app()).get('/text')
    expect(() => expect(res).toHaveJsonBody('not json')).toThrow('expected a JSON body (Content-Type: application/json)')
  })
})
