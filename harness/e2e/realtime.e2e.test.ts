// End-to-end: a spec against a real listening server, graded through the CLI inside the sandbox.
// The failing report shows the WebSocket frames and the events exchanged, in the learner's
// words; a check that hangs with sockets open is closed with them; nothing outlives the grade
// and a second grade right after works.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { makeCourse, processesOf, runCli } from './fixture.ts'

let course: ReturnType<typeof makeCourse>

const SPEC = `// Fixture spec on a real server. Wrong implementations it catches: no greeting, no events.
import { describe, expect, it } from 'vitest'
import { connect, openEvents, serve, task } from '../../harness/spec-kit/index.ts'
import { createApp } from '../../exercises/live/app.ts'

async function served() {
  const { app, injectWebSocket } = createApp()
  return serve(app, { attach: injectWebSocket })
}

describe('live', () => {
  task(1, 'Greet and echo', () => {
    it('greets a new socket, then echoes', async () => {
      const ws = await connect(await served(), '/ws')
      expect((await ws.next('the greeting')).json).toEqual({ hello: true })
      ws.send({ say: 'hi' })
      expect((await ws.next('the echo')).json).toEqual({ say: 'hi' })
    })
  })

  task(2, 'Stream two events', () => {
    it('sends two events', async () => {
      const events = await openEvents(await served(), '/events')
      expect((await events.next()).data).toBe('one')
      expect((await events.next()).data).toBe('two')
    })

    it('answers while a socket stays open', async () => {
      const s = await served()
      await connect(s, '/ws')
      const res = await fetch(s.url + '/slow')
      expect(res.status).toBe(200)
    })
  })
})
`

const SOLUTION = `import { createNodeWebSocket } from '@hono/node-ws'
import { Hono } from 'hono'
import { streamSSE } from 'hono/streaming'

export function createApp() {
  const app = new Hono()
  const { injectWebSocket, upgradeWebSocket } = createNodeWebSocket({ app })
  app.get('/ws', upgradeWebSocket(() => ({
    onOpen: (_e, ws) => ws.send(JSON.stringify({ hello: true })),
    onMessage: (e, ws) => ws.send(String(e.data)),
  })))
  app.get('/events', (c) => streamSSE(c, async (s) => {
    await s.writeSSE({ id: '1', data: 'one' })
    await s.writeSSE({ id: '2', data: 'two' })
  }))
  app.get('/slow', (c) => c.text('ok'))
  return { app, injectWebSocket }
}
`

// Echoes but never greets; streams one event and stalls; /slow never answers.
const ATTEMPT = SOLUTION.replace("onOpen: (_e, ws) => ws.send(JSON.stringify({ hello: true })),", '')
  .replace("await s.writeSSE({ id: '2', data: 'two' })", 'await new Promise<void>((r) => s.onAbort(r))')
  .replace("app.get('/slow', (c) => c.text('ok'))", "app.get('/slow', () => new Promise<Response>(() => {}))")

function write(file: string, text: string) {
  mkdirSync(path.dirname(path.join(course.root, file)), { recursive: true })
  writeFileSync(path.join(course.root, file), text)
}

beforeAll(() => {
  course = makeCourse()
  write('content/live/spec.test.ts', SPEC)
  write('content/live/notes.md', 'Notes.\n')
  write('solutions/live/app.ts', SOLUTION)
  write('exercises/live/app.ts', ATTEMPT)
  write('content/live/stub/app.ts', ATTEMPT)
  write('exercises/live/README.md', '# live\n')
  const catalogFile = path.join(course.root, 'content', 'catalog.json')
  const catalog = JSON.parse(readFileSync(catalogFile, 'utf8'))
  catalog.exercises.push({
    slug: 'live', title: 'A live fixture', track: 'trouble', difficulty: 'easy', questions: ['q-1'],
    tasks: [{ title: 'Greet and echo', hints: ['a', 'b'] }, { title: 'Stream two events', hints: ['a', 'b'] }],
  })
  writeFileSync(catalogFile, JSON.stringify(catalog))
})
afterAll(() => course.cleanup())

describe('a spec against a real server', () => {
  it('reports the frames and events a failing check exchanged, in the learner’s words', async () => {
    const run = await runCli(course.root, ['exercise', 'live', '--seed', '3'])
    expect(run.code, run.stdout + run.stderr).toBe(1)
    expect(run.stdout).toContain('the server never sent the greeting')
    expect(run.stdout).toContain('WebSocket /ws: frames exchanged')
    expect(run.stdout).toContain('· opened')
    expect(processesOf(course.root)).toEqual([])
  })

  it('grades again right after, with nothing left behind, and passes the solution', async () => {
    for (let i = 0; i < 2; i++) {
      const run = await runCli(course.root, ['exercise', 'live', '--json'], {})
      const json = JSON.parse(run.stdout)
      expect(json.tests.filter((t: { status: string }) => t.status !== 'pass').map((t: { name: string }) => t.name)).toEqual(
        ['greets a new socket, then echoes', 'sends two events', 'answers while a socket stays open'],
      )
      const events = json.tests.find((t: { name: string }) => t.name === 'sends two events')
      expect(events.message).toContain('the server never sent event 2')
      expect(events.streams[0]).toMatchObject({ kind: 'event-stream', target: 'GET /events' })
      expect(events.streams[0].lines).toContain('← id: 1 data: one')
      expect(processesOf(course.root)).toEqual([])
    }
    write('exercises/live/app.ts', SOLUTION)
    const run = await runCli(course.root, ['exercise', 'live'])
    expect(run.stdout).toContain('✓ live: all 4 checks pass')
    expect(run.code).toBe(0)
  })
})
