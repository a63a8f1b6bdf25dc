// async-vs-blocking - the hidden spec.
//
// The app is served on a real port in the spec's own process, so a handler that holds the event
// loop holds the spec's requests too. Responsiveness is graded by order, never by time: the spec
// sends `GET /health` probes one after another (each once the previous one answered) while a
// heavy request is in flight, and counts the answers that arrive before the heavy one. A
// handler that blocks lets none through (at most one that was read before it); one that waits
// on a thread lets dozens through, on a busy machine too. Probes go through plain node:http, the
// cheapest client, and a responsiveness check gets a second try, so that a moment in which the
// machine starved the spec's own thread does not fail a free loop. Overlap and queueing are graded the
// same way: which of two replies arrives first.
//
// Wrong implementations this spec is built to catch:
// - scryptSync (or pbkdf2Sync) in the handler; an async handler that awaits something first
//   and then calls the sync API all the same
// - readFileSync, or readFile's promise awaited but the file read once at startup and cached
//   (a rewritten report shows the old numbers)
// - a missing report answered 500 (or a crash: an error thrown from a callback, a rejection
//   nobody catches) instead of 404 report_not_found; a directory answered 404 or a bare 500
// - the checksum loop run on the event loop, in an `async` function or after an `await`
// - a single worker thread for every job (the checksums run one after the other), a thread per
//   request with no bound (`workers: 1` lets a second job overtake the first), waiting jobs
//   taken newest first (pop instead of shift: three jobs queued behind a large one come back
//   in reverse), or a pool shared by every createApp() (one app's close() ends the other's
//   threads, one app's job waits for another's)
// - replies matched to jobs by `worker.once('message')` on a busy thread, so two jobs on one
//   thread both get the first answer
// - results that differ from the synchronous versions: another key length, salt encoding or
//   scrypt parameter, lines counted by splitting (a last line without a newline counted)
// - hashCost or workers not validated in createApp (0, 3, 1.5, NaN accepted), or 2 / 16384 /
//   1 refused
import { scrypt } from 'node:crypto'
import http from 'node:http'
import { mkdtemp, mkdir, rm, unlink, writeFile } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import {
  build,
  client,
  focusOn,
  random,
  REQUEST_TIMEOUT_MS,
  serve,
  task,
  type Client,
  type Reply,
  type Rng,
  type Served,
} from '../../harness/spec-kit/index.ts'
import { createApp, type AppOptions, type Service } from '../../exercises/async-vs-blocking/app.ts'

/** How many /health answers must arrive while one heavy request is in flight. */
const PROBES = 5
/** A heavy request may take this long on a busy machine (the kit's default is 1 s). */
const HEAVY_TIMEOUT_MS = 2500
const MAX_ROUNDS = 1_000_000_000
/** Rounds of a checksum that keep a thread busy for ~50 ms on an idle machine. */
const BIG_ROUNDS = 20_000_000
/**
 * Rounds of the large job in the ordering checks: it must outlast a second job's trip, a new
 * thread's start-up included (tens of ms), by a wide margin on a busy machine.
 */
const LARGE_ROUNDS = 40_000_000
const MiB = 1024 * 1024

// Every app the check built is closed after it, and every scratch folder removed.
const services: Service[] = []
const folders: string[] = []
afterEach(async () => {
  await Promise.allSettled(services.splice(0).map((s) => s.close()))
  await Promise.allSettled(folders.splice(0).map((f) => rm(f, { recursive: true, force: true })))
})

/** The spec's own copy of the checksum the README defines (never the learner's). */
function checksum(text: string, rounds: number): string {
  let h = 0x811c9dc5
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i)
    h = Math.imul(h, 0x01000193)
  }
  for (let r = 0; r < rounds; r++) {
    h ^= h >>> 15
    h = Math.imul(h, 0x2c1b3c6d)
    h ^= h >>> 12
    h = (h + r) | 0
  }
  return (h >>> 0).toString(16).padStart(8, '0')
}

function expectedHash(password: string, salt: string, cost: number): Promise<string> {
  return new Promise((resolve, reject) => {
    scrypt(password, salt, 32, { N: cost, r: 8, p: 1 }, (error, key) =>
      error ? reject(error) : resolve(key.toString('hex')),
    )
  })
}

async function scratchDir(): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'report-'))
  folders.push(dir)
  return dir
}

interface Setup {
  service: Service
  served: Served
  /** For the heavy requests: a longer limit than the kit's default. */
  api: Client
  reportPath: string
}

async function setup(options: Partial<AppOptions> = {}): Promise<Setup> {
  const reportPath = options.reportPath ?? path.join(await scratchDir(), 'report.csv')
  const service = build(createApp, { ...options, reportPath })
  services.push(service)
  const served = await serve(service.app)
  return { service, served, api: client(served, HEAVY_TIMEOUT_MS), reportPath }
}

/** A password or text with some characters beyond ASCII (é, €, an emoji's surrogate pair). */
function phrase(rng: Rng): string {
  const extras = ['é', '€', '😀', 'ß', '中', ' ', '-']
  let s = ''
  for (let i = rng.int(2, 4); i > 0; i--) s += rng.word(3, 7) + rng.pick(extras)
  return s
}

/** Report text of about `bytes` bytes: CSV lines, the last one sometimes without its newline. */
function reportText(rng: Rng, bytes: number): { text: string; lines: number } {
  const block: string[] = []
  let size = 0
  while (size < Math.min(bytes, 64 * 1024)) {
    const line = `${rng.word()},${rng.int(1, 99_999)},${rng.pick(['EUR', 'USD', 'GBP'])}\n`
    block.push(line)
    size += line.length
  }
  const copies = Math.max(1, Math.floor(bytes / size))
  let text = block.join('').repeat(copies)
  let lines = block.length * copies
  if (rng.next() < 0.5) text += `${rng.word()},${rng.int(1, 9)},EUR` // no trailing newline
  else {
    text += '\n' // an empty last line counts: it is one more newline
    lines += 1
  }
  return { text, lines }
}

interface Probed {
  /** /health answers that arrived while the heavy request was still in flight. */
  answered: number
}

/**
 * One `GET /health` over a kept-alive connection, with plain node:http: a probe must cost the
 * spec's thread as little as possible, so that the count measures the app, not the client.
 */
function probeOnce(served: Served, agent: http.Agent): Promise<number> {
  return new Promise((resolve, reject) => {
    const request = http.get({ host: '127.0.0.1', port: served.port, path: '/health', agent }, (res) => {
      res.resume()
      res.on('end', () => resolve(res.statusCode ?? 0))
      res.on('error', reject)
    })
    request.setTimeout(REQUEST_TIMEOUT_MS, () =>
      request.destroy(new Error(`GET /health got no answer within ${REQUEST_TIMEOUT_MS} ms`)),
    )
    request.on('error', reject)
  })
}

/**
 * Sends `GET /health` probes one after another until PROBES have answered or `heavy` has
 * settled, and says how many answered first.
 */
async function probeWhile(served: Served, heavy: Promise<unknown>): Promise<Probed> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 })
  let settled = false
  heavy.then(
    () => (settled = true),
    () => (settled = true),
  )
  let answered = 0
  try {
    while (!settled && answered < PROBES) {
      const status = await probeOnce(served, agent)
      expect(status, 'GET /health answers 200').toBe(200)
      if (!settled) answered++
    }
  } finally {
    agent.destroy()
  }
  return { answered }
}

/** Fails unless PROBES /health answers arrived while `what` was in flight. */
function expectLoopFree(probed: Probed, what: string, why: string): void {
  expect(
    probed.answered,
    `GET /health answered ${probed.answered} time(s) while ${what} was in flight; the grader ` +
      `expected ${PROBES} answers before it came back. ${why}`,
  ).toBe(PROBES)
}

/**
 * Runs `heavy` while probing, up to twice: a loop that is free lets PROBES answers through on
 * the first try all but always, and a second try absorbs a machine that stalled the spec's own
 * thread for a moment; a blocked loop lets at most one through, every time.
 */
async function expectFreeWhile<T>(
  s: Setup,
  heavy: () => Promise<T>,
  what: string,
  why: string,
): Promise<T> {
  for (let tries = 1; ; tries++) {
    await warm(s)
    const pending = heavy()
    const probed = await probeWhile(s.served, pending)
    const result = await pending
    if (probed.answered === PROBES || tries === 2) {
      expectLoopFree(probed, what, why)
      return result
    }
  }
}

/** Warms the server up, so the first /health of a probe run pays for nothing else. */
async function warm(s: Setup): Promise<void> {
  const res = await client(s.served).get('/health')
  expect(res).toHaveStatus(200)
}

function hash(s: Setup, password: string, salt: string): Promise<Reply> {
  return s.api.post('/api/hash', { json: { password, salt } })
}

function sum(s: Setup, text: string, rounds: number): Promise<Reply> {
  return s.api.post('/api/checksum', { json: { text, rounds } })
}

function expectChecksum(res: Reply, text: string, rounds: number): void {
  expect(res).toHaveStatus(200)
  expect(res).toHaveJsonBody(expect.objectContaining({ checksum: checksum(text, rounds) }))
}

/** A checksum answer, without recomputing a large one in the spec (task 1 checks the values). */
function expectSomeChecksum(res: Reply): void {
  expect(res).toHaveStatus(200)
  expect(res).toHaveJsonBody(expect.objectContaining({ checksum: expect.stringMatching(/^[0-9a-f]{8}$/) }))
}

/** Sends a request and records, in `order`, when its reply arrived. */
function tracked(order: string[], name: string, request: Promise<Reply>): Promise<Reply> {
  return request.then((res) => {
    order.push(name)
    return res
  })
}

/** The small jobs queued behind a large one, in the order they are sent. */
const QUEUED = ['first', 'second', 'third']

/** `n` /health round trips, one after another: time for the app to read what was sent before. */
async function roundTrips(served: Served, n: number): Promise<void> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 })
  try {
    for (let i = 0; i < n; i++) {
      expect(await probeOnce(served, agent), 'GET /health answers 200').toBe(200)
    }
  } finally {
    agent.destroy()
  }
}

const INVALID_BODY = expect.objectContaining({ error: 'invalid_body' })

describe('async-vs-blocking', () => {
  task(1, 'Compute the right answers (the stub does this already)', () => {
    it('GET /health answers 200 with status ok', async () => {
      const s = await setup()
      const res = await s.api.get('/health')
      expect(res).toHaveStatus(200)
      expect(res).toHaveJsonBody(expect.objectContaining({ status: 'ok' }))
    })

    it('POST /api/hash answers the scrypt key of the password and salt, in hex', async () => {
      const rng = random()
      const hashCost = rng.pick([16, 64, 256, 1024])
      const s = await setup({ hashCost })
      for (let i = 0; i < 3; i++) {
        const [password, salt] = [phrase(rng), rng.word(8, 16)]
        const res = await hash(s, password, salt)
        expect(res).toHaveStatus(200)
        const hex = await expectedHash(password, salt, hashCost)
        expect(res).toHaveJsonBody(expect.objectContaining({ hash: hex }))
      }
    })

    it('hashes with a cost of 16384 when hashCost is not given', async () => {
      const rng = random()
      const s = await setup()
      const [password, salt] = [phrase(rng), rng.word(8, 16)]
      const res = await hash(s, password, salt)
      expect(res).toHaveStatus(200)
      const hex = await expectedHash(password, salt, 16384)
      expect(res).toHaveJsonBody(expect.objectContaining({ hash: hex }))
    })

    const badHashes: [string, unknown][] = [
      ['the password is missing', { salt: 'pepper' }],
      ['the password is empty', { password: '', salt: 'pepper' }],
      ['the salt is missing', { password: 'hunter2' }],
      ['the salt is empty', { password: 'hunter2', salt: '' }],
      ['the password is a number', { password: 1234, salt: 'pepper' }],
      ['the body is an array', [{ password: 'hunter2', salt: 'pepper' }]],
      ['the body is null', null],
    ]
    it.each(badHashes)('POST /api/hash answers 400 invalid_body when %s', async (_, body) => {
      const s = await setup({ hashCost: 16 })
      const res = await s.api.post('/api/hash', { json: body })
      expect(res).toHaveStatus(400)
      expect(res).toHaveJsonBody(INVALID_BODY)
    })

    it('POST /api/hash answers 400 invalid_body to a body that is not JSON', async () => {
      const s = await setup({ hashCost: 16 })
      const res = await s.api.post('/api/hash', {
        headers: { 'Content-Type': 'application/json' },
        body: '{"password": "hunter2", "salt": ',
      })
      expect(res).toHaveStatus(400)
      expect(res).toHaveJsonBody(INVALID_BODY)
    })

    it('GET /api/report counts the bytes and newlines of the file, read on every request', async () => {
      const rng = random()
      const s = await setup()
      for (let i = 0; i < 3; i++) {
        const { text, lines } = reportText(rng, rng.int(1, 200) * 1024)
        await writeFile(s.reportPath, text)
        const res = await s.api.get('/api/report')
        expect(res).toHaveStatus(200)
        expect(res).toHaveJsonBody(
          expect.objectContaining({ bytes: Buffer.byteLength(text), lines }),
        )
      }
    })

    it('GET /api/report answers 0 bytes and 0 lines for an empty file', async () => {
      const s = await setup()
      await writeFile(s.reportPath, '')
      const res = await s.api.get('/api/report')
      expect(res).toHaveStatus(200)
      expect(res).toHaveJsonBody(expect.objectContaining({ bytes: 0, lines: 0 }))
    })

    it('POST /api/checksum answers the checksum of the text and rounds', async () => {
      const rng = random()
      const s = await setup()
      const cases: [string, number][] = [
        [phrase(rng), rng.int(1, 50_000)],
        [rng.word(20, 40), 0],
        ['', rng.int(1, 1000)],
        [phrase(rng).repeat(rng.int(2, 50)), rng.int(50_000, 200_000)],
      ]
      for (const [text, rounds] of rng.shuffle(cases)) {
        expectChecksum(await sum(s, text, rounds), text, rounds)
      }
    })

    const badSums: [string, unknown][] = [
      ['rounds is negative', { text: 'abc', rounds: -1 }],
      ['rounds is not whole', { text: 'abc', rounds: 1.5 }],
      ['rounds is a string', { text: 'abc', rounds: '10' }],
      ['rounds is above 1000000000', { text: 'abc', rounds: MAX_ROUNDS + 1 }],
      ['rounds is missing', { text: 'abc' }],
      ['text is missing', { rounds: 10 }],
      ['text is a number', { text: 12, rounds: 10 }],
      ['the body is an array', [{ text: 'abc', rounds: 10 }]],
    ]
    it.each(badSums)('POST /api/checksum answers 400 invalid_body when %s', async (_, body) => {
      const s = await setup()
      const res = await s.api.post('/api/checksum', { json: body })
      expect(res).toHaveStatus(400)
      expect(res).toHaveJsonBody(INVALID_BODY)
    })

    it('createApp throws a TypeError when reportPath is missing or empty', () => {
      for (const reportPath of [undefined, '']) {
        expect(() => {
          services.push(createApp({ reportPath } as AppOptions))
        }, `reportPath: ${JSON.stringify(reportPath)}`).toThrow(TypeError)
      }
    })
  })

  task(2, 'Hash passwords off the event loop', () => {
    it('keeps answering /health while a hash is computed, and the hash is right', async () => {
      const rng = random()
      const s = await setup({ hashCost: 16384 })
      const [password, salt] = [phrase(rng), rng.word(8, 16)]
      const res = await expectFreeWhile(
        s,
        () => hash(s, password, salt),
        'POST /api/hash',
        'Something in the handler holds the event loop (scryptSync?): use the callback (or ' +
          'promisified) scrypt, which runs on libuv’s threadpool.',
      )
      expect(res).toHaveStatus(200)
      const hex = await expectedHash(password, salt, 16384)
      expect(res).toHaveJsonBody(expect.objectContaining({ hash: hex }))
    })

    it('keeps answering /health while two hashes are computed at once', async () => {
      const rng = random()
      const s = await setup({ hashCost: 16384 })
      const inputs = [0, 1].map(() => [phrase(rng), rng.word(8, 16)] as const)
      const replies = await expectFreeWhile(
        s,
        () => Promise.all(inputs.map(([password, salt]) => hash(s, password, salt))),
        'two POST /api/hash requests were',
        'Something in the handler holds the event loop (scryptSync?): use the async scrypt.',
      )
      for (const [i, [password, salt]] of inputs.entries()) {
        expect(replies[i]).toHaveStatus(200)
        const hex = await expectedHash(password, salt, 16384)
        expect(replies[i]).toHaveJsonBody(expect.objectContaining({ hash: hex }))
      }
    })

    it('createApp throws a RangeError unless hashCost is a power of two from 2 to 16384', async () => {
      const reportPath = path.join(await scratchDir(), 'report.csv')
      for (const hashCost of [0, 1, 3, 1000, 12288, 32768, -16, 2.5, Number.NaN]) {
        expect(() => {
          services.push(createApp({ reportPath, hashCost }))
        }, `hashCost: ${hashCost}`).toThrow(RangeError)
      }
      for (const hashCost of [2, 4, 16384]) {
        expect(() => {
          services.push(createApp({ reportPath, hashCost }))
        }, `hashCost: ${hashCost} is valid`).not.toThrow()
      }
    })
  })

  task(3, 'Read the report with fs/promises', () => {
    it('keeps answering /health while a large report is read, and counts it right', async () => {
      const rng = random()
      const s = await setup()
      const { text, lines } = reportText(rng, rng.int(24, 28) * MiB)
      await writeFile(s.reportPath, text)
      const res = await expectFreeWhile(
        s,
        () => s.api.get('/api/report'),
        `GET /api/report (a file of ${Math.round(text.length / MiB)} MiB)`,
        'readFileSync holds the event loop for the whole read: use readFile from fs/promises ' +
          '(or a read stream).',
      )
      expect(res).toHaveStatus(200)
      expect(res).toHaveJsonBody(expect.objectContaining({ bytes: text.length, lines }))
    })

    it('answers 404 report_not_found while the file is missing, then reads it once it exists', async () => {
      const rng = random()
      const s = await setup()
      const missing = await s.api.get('/api/report')
      expect(missing).toHaveStatus(404)
      expect(missing).toHaveJsonBody(expect.objectContaining({ error: 'report_not_found' }))
      expect(await s.api.get('/health'), 'the server still answers after the 404').toHaveStatus(200)
      const { text, lines } = reportText(rng, rng.int(1, 64) * 1024)
      await writeFile(s.reportPath, text)
      const found = await s.api.get('/api/report')
      expect(found).toHaveStatus(200)
      expect(found).toHaveJsonBody(expect.objectContaining({ bytes: text.length, lines }))
      await unlink(s.reportPath)
      const gone = await s.api.get('/api/report')
      expect(gone).toHaveStatus(404)
      expect(gone).toHaveJsonBody(expect.objectContaining({ error: 'report_not_found' }))
    })

    it('answers 500 report_unreadable when the report path is a folder', async () => {
      const dir = path.join(await scratchDir(), 'reports')
      await mkdir(dir)
      const s = await setup({ reportPath: dir })
      const res = await s.api.get('/api/report')
      expect(res).toHaveStatus(500)
      expect(res).toHaveJsonBody(expect.objectContaining({ error: 'report_unreadable' }))
      expect(await s.api.get('/health'), 'the server still answers after the 500').toHaveStatus(200)
    })
  })

  task(4, 'Run the checksum on worker threads', () => {
    it('keeps answering /health while a checksum is computed, and the checksum is right', async () => {
      const rng = random()
      const s = await setup()
      const [text, rounds] = [phrase(rng), BIG_ROUNDS + rng.int(0, 1000)]
      const res = await expectFreeWhile(
        s,
        () => sum(s, text, rounds),
        'POST /api/checksum',
        'The checksum loop runs on the event loop (an async handler does not change that): run ' +
          'it on a worker thread.',
      )
      expectChecksum(res, text, rounds)
    })

    it('gives every one of several checksums sent at once its own answer', async () => {
      const rng = random()
      const s = await setup({ workers: rng.int(1, 3) })
      const jobs = Array.from({ length: 6 }, () => [phrase(rng), rng.int(1000, 300_000)] as const)
      const replies = await Promise.all(jobs.map(([text, rounds]) => sum(s, text, rounds)))
      for (const [i, [text, rounds]] of jobs.entries()) {
        expectChecksum(replies[i]!, text, rounds)
      }
    })

    it('runs two checksums side by side with the default two workers', async () => {
      const rng = random()
      const s = await setup()
      await warm(s)
      // Two small jobs at once start both threads, so the check below waits for no start-up.
      await Promise.all([sum(s, 'warm', 1), sum(s, 'up', 1)])
      const order: string[] = []
      const big = [phrase(rng), LARGE_ROUNDS + rng.int(0, 1000)] as const
      const small = [phrase(rng), rng.int(1, 1000)] as const
      const first = tracked(order, 'large', sum(s, ...big))
      const probed = await probeWhile(s.served, first)
      expectLoopFree(probed, 'a large POST /api/checksum', 'Run the checksum on a worker thread.')
      const second = tracked(order, 'small', sum(s, ...small))
      const [a, b] = await Promise.all([first, second])
      expectChecksum(b, ...small)
      expectSomeChecksum(a)
      focusOn(b)
      expect(
        order,
        'a small checksum sent while a large one was running came back only after it: with ' +
          'two workers the two jobs run at the same time, on two threads',
      ).toEqual(['small', 'large'])
    })

    it('with workers: 1, queues checksums and starts them in the order they arrived', async () => {
      const rng = random()
      const s = await setup({ workers: 1 })
      await warm(s)
      const order: string[] = []
      const big = [phrase(rng), LARGE_ROUNDS + rng.int(0, 1000)] as const
      const first = tracked(order, 'large', sum(s, ...big))
      const probed = await probeWhile(s.served, first)
      expectLoopFree(probed, 'a large POST /api/checksum', 'Run the checksum on a worker thread.')
      // Three small jobs, sent one at a time behind the large one: each has reached the app
      // (a few /health round trips later) before the next is sent, so they arrive in this order.
      const small = QUEUED.map(
        (name) => [name, `${name}-${phrase(rng)}`, rng.int(100_000, 300_000)] as const,
      )
      const queued: Promise<Reply>[] = []
      for (const [name, text, rounds] of small) {
        queued.push(tracked(order, name, sum(s, text, rounds)))
        await roundTrips(s.served, 3)
      }
      const [a, ...rest] = await Promise.all([first, ...queued])
      expectSomeChecksum(a!)
      for (const [i, [, text, rounds]] of small.entries()) expectChecksum(rest[i]!, text, rounds)
      focusOn(rest[0]!)
      expect(
        order[0],
        'with workers: 1, a small checksum sent while a large one was running came back first: ' +
          'at most `workers` checksums may run at once, the others wait their turn',
      ).toBe('large')
      expect(
        order,
        `with workers: 1, three small checksums sent one after another (${QUEUED.join(', ')}) ` +
          'while a large one was running came back in another order: waiting jobs start in the ' +
          'order they arrived (take the oldest waiting job, not the newest)',
      ).toEqual(['large', ...QUEUED])
    })

    it('gives every createApp() its own threads: a busy or closed app does not hold up another', async () => {
      const rng = random()
      const one = await setup({ workers: 1 })
      const two = await setup({ workers: 1 })
      await warm(one)
      expectChecksum(await sum(two, 'warm', 1), 'warm', 1)
      const order: string[] = []
      const big = [phrase(rng), LARGE_ROUNDS + rng.int(0, 1000)] as const
      const small = [phrase(rng), rng.int(1, 1000)] as const
      const first = tracked(order, 'large', sum(one, ...big))
      const probed = await probeWhile(one.served, first)
      expectLoopFree(probed, 'a large POST /api/checksum', 'Run the checksum on a worker thread.')
      const second = tracked(order, 'small', sum(two, ...small))
      const [a, b] = await Promise.all([first, second])
      expectSomeChecksum(a)
      expectChecksum(b, ...small)
      focusOn(b)
      expect(
        order,
        'a small checksum on a second app (workers: 1) waited for the first app’s large one: ' +
          'the two apps share their threads',
      ).toEqual(['small', 'large'])
      services.splice(services.indexOf(one.service), 1)
      await one.service.close()
      const [text, rounds] = [phrase(rng), rng.int(1, 1000)]
      const after = await sum(two, text, rounds)
      focusOn(after)
      expectChecksum(after, text, rounds)
    })

    it('createApp throws a RangeError unless workers is an integer >= 1', async () => {
      const reportPath = path.join(await scratchDir(), 'report.csv')
      for (const workers of [0, -1, 1.5, Number.NaN]) {
        expect(() => {
          services.push(createApp({ reportPath, workers }))
        }, `workers: ${workers}`).toThrow(RangeError)
      }
      for (const workers of [1, 3]) {
        expect(() => {
          services.push(createApp({ reportPath, workers }))
        }, `workers: ${workers} is valid`).not.toThrow()
      }
    })
  })
})
