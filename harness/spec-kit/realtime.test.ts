import { createNodeWebSocket } from '@hono/node-ws'
import { Hono } from 'hono'
import { streamSSE } from 'hono/streaming'
import { beforeEach, describe, expect, it } from 'vitest'
import { client } from './client.ts'
import { closeServers, serve } from './server.ts'
import { closeEventStreams, openEvents } from './sse.ts'
import { currentMeta, setCurrentTest } from './state.ts'
import { closeSockets, connect, UpgradeRefused } from './websocket.ts'

function chatApp() {
  const app = new Hono()
  const { injectWebSocket, upgradeWebSocket } = createNodeWebSocket({ app })
  app.get('/health', (c) => c.json({ ok: true }))
  app.get(
    '/ws',
    async (c, next) => (c.req.header('authorization') ? next() : c.json({ error: 'unauthorized' }, 401)),
    upgradeWebSocket(() => ({
      onOpen: (_e, ws) => ws.send(JSON.stringify({ hello: true })),
      onMessage: (e, ws) => {
        if (e.data === 'bye') ws.close(4000, 'asked to')
        else if (typeof e.data === 'string') ws.send(`echo:${e.data}`)
        else ws.send(`binary:${Buffer.from(e.data as ArrayBuffer).toString('utf8')}`)
      },
    })),
  )
  app.get('/events', (c) =>
    streamSSE(c, async (stream) => {
      await stream.write(': hi\n\n')
      await stream.writeSSE({ id: '1', event: 'tick', data: 'one' })
      await stream.writeSSE({ data: 'two\nlines' })
      if (c.req.query('end')) return
      await new Promise<void>((resolve) => stream.onAbort(resolve))
    }),
  )
  return { app, injectWebSocket }
}

// The setup file does this for specs: it gives the kit the running check's meta to log into.
beforeEach((context) => setCurrentTest(context.task))

async function served() {
  const { app, injectWebSocket } = chatApp()
  return serve(app, { attach: injectWebSocket })
}

describe('serve', () => {
  it('serves the app on a real port that client() can also reach, and closes it with every socket', async () => {
    const s = await served()
    expect(s.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/)
    expect(await client(s).get('/health')).toMatchObject({ status: 200, body: { ok: true } })
    const ws = await connect(s, '/ws', { headers: { Authorization: 'x' } })
    expect(s.openConnections()).toBeGreaterThanOrEqual(1)
    // Closing the server alone must drop the upgraded socket too: the client sees it go.
    closeServers()
    expect((await ws.closed('the server kept the WebSocket open after it closed')).code).toBe(1006)
    expect(s.openConnections()).toBe(0)
    await expect(fetch(`${s.url}/health`)).rejects.toThrow()
    closeSockets()
  })
})

describe('connect', () => {
  it('waits for each message and logs the frames', async () => {
    const s = await served()
    const ws = await connect(s, '/ws', { headers: { Authorization: 'x' } })
    expect((await ws.next('the greeting')).json).toEqual({ hello: true })
    ws.send('ping')
    expect((await ws.next()).text).toBe('echo:ping')
    ws.send('bye')
    expect(await ws.closed()).toEqual({ code: 4000, reason: 'asked to' })
    expect(currentMeta().streams?.[0]).toMatchObject({
      kind: 'websocket',
      target: 'WebSocket /ws',
      lines: ['· opened', '← {"hello":true}', '→ ping', '← echo:ping', '→ bye', expect.stringMatching(/closed.*4000 asked to/)],
    })
  })

  it('sends a binary frame that the server sees as binary, and logs it as such', async () => {
    const s = await served()
    const ws = await connect(s, '/ws', { headers: { Authorization: 'x' } })
    await ws.next('the greeting')
    ws.sendBinary({ type: 'say' })
    expect((await ws.next()).text).toBe('binary:{"type":"say"}')
    ws.send('text')
    expect((await ws.next()).text).toBe('echo:text')
    expect(currentMeta().streams?.[0]?.lines).toContain('→ (binary) {"type":"say"}')
  })

  it('says which message never came, and why', async () => {
    const s = await served()
    const ws = await connect(s, '/ws', { headers: { Authorization: 'x' }, timeoutMs: 50 })
    await ws.next()
    await expect(ws.next('the second greeting')).rejects.toThrow('the server never sent the second greeting (waited 50 ms)')
    const waiting = ws.next('an answer')
    ws.send('bye')
    await expect(waiting).rejects.toThrow(/^the socket closed \(code 4000\) before the server sent an answer$/)
  })

  it('rejects with the HTTP answer when the server refuses to upgrade', async () => {
    // @hono/node-ws sends only the status line of a refusal (no headers, no body).
    const s = await served()
    const refused = await connect(s, '/ws').catch((e: unknown) => e)
    expect(refused).toBeInstanceOf(UpgradeRefused)
    expect(refused).toMatchObject({ status: 401, message: 'the server answered 401 instead of upgrading to a WebSocket' })
  })

  it('keeps the headers and body of a refusal that has them', async () => {
    const s = await serve(new Hono(), {
      attach: (server) =>
        server.on('upgrade', (_req, socket) =>
          socket.end('HTTP/1.1 403 Forbidden\r\nContent-Type: application/json\r\nContent-Length: 17\r\n\r\n{"error":"nope"}\n'),
        ),
    })
    const refused = await connect(s, '/ws').catch((e: unknown) => e)
    expect(refused).toMatchObject({ status: 403, body: '{"error":"nope"}\n', headers: { 'content-type': 'application/json' } })
    expect(currentMeta().streams?.[0]?.lines).toEqual(['· refused: 403 {"error":"nope"}\n'.replace('\n', '\\n')])
  })
})

describe('openEvents', () => {
  it('reads events, comments and the end of the stream', async () => {
    const s = await served()
    const events = await openEvents(s, '/events?end=1')
    expect(events.status).toBe(200)
    expect(events.headers['content-type']).toMatch(/^text\/event-stream/)
    expect(await events.next()).toEqual({ type: 'tick', data: 'one', lastEventId: '1', hasId: true })
    expect(await events.next()).toEqual({ type: 'message', data: 'two\nlines', lastEventId: '1', hasId: false })
    await events.ended()
    expect(events.comments).toEqual(['hi'])
    await expect(events.next('a third event')).rejects.toThrow('the stream ended before the server sent a third event')
  })

  it('fails a wait in the learner’s words and lets the server see a disconnect', async () => {
    const s = await served()
    const events = await openEvents(s, '/events', { timeoutMs: 50 })
    await events.next()
    await events.next()
    await expect(events.next()).rejects.toThrow('the server never sent event 3 (waited 50 ms)')
    await expect(events.ended()).rejects.toThrow('the server did not end the stream')
    events.close()
    closeEventStreams()
  })

  it('says so when the response is not an event stream', async () => {
    const s = await served()
    const events = await openEvents(s, '/health')
    await expect(events.next()).rejects.toThrow(/not an event stream \(200, Content-Type: application\/json\): \{"ok":true\}/)
  })
})
