import { Hono } from 'hono'
import { describe, expect, it } from 'vitest'
import { streamedRequest } from './streamed-request.ts'

describe('streamedRequest', () => {
  it('hands out the body in pieces, only as the app reads it, with no Content-Length', async () => {
    const app = new Hono()
    app.post('/peek', async (c) => {
      const reader = c.req.raw.body!.getReader()
      const first = await reader.read()
      await reader.cancel()
      return c.json({ first: first.value?.length })
    })
    app.post('/all', async (c) => c.json({ length: (await c.req.arrayBuffer()).byteLength }))
    const big = new Uint8Array(100_000)
    const peek = streamedRequest('http://x/peek', big, { chunk: 1000 })
    expect(peek.request.headers.has('content-length')).toBe(false)
    expect(peek.pulled()).toBe(0)
    expect(await (await app.fetch(peek.request)).json()).toEqual({ first: 1000 })
    expect(peek.pulled()).toBeLessThan(5000)
    const all = streamedRequest('http://x/all', 'é'.repeat(10), { chunk: 3 })
    expect(await (await app.fetch(all.request)).json()).toEqual({ length: 20 })
    expect(all.pulled()).toBe(20)
  })
})
