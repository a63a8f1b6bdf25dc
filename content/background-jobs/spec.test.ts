// background-jobs - the hidden spec.
//
// Time is the spec's: the app gets a fake scheduler whose callbacks run only when the spec
// advances its clock, and a fake `work` whose attempts stay pending until the spec settles
// them. Nothing waits for real time. After every step the spec lets promise reactions run
// (a macrotask turn) and runs the callbacks due at that instant, so an app may start the next
// job straight from a finished one or through schedule(fn, 0).
//
// Wrong implementations this spec is built to catch:
// - runs the work inside the request (the 202 shows running or succeeded, or the response
//   waits for the export), or starts jobs with setTimeout/setImmediate instead of the scheduler
// - 200 or 201 instead of 202, no Location, a Location that does not lead to the job
// - jobs kept at module level (a second app sees the first one's jobs)
// - attempts not counted, counted only when they fail, or the state never leaves running
// - a rejection with a string (not an Error) recorded as null or "undefined"; a work that
//   throws synchronously escaping into the scheduler instead of failing the attempt
// - retries at once, after a fixed delay, after base * 2^n (one doubling too many), or one
//   millisecond early (`<` against `<=`); retries scheduled with real timers (never happen)
// - maxAttempts counted as retries (one attempt too many), the last error dropped, failed jobs
//   retried forever, a job that succeeds on a retry still showing the old error
// - no concurrency limit, a limit off by one, a slot held by a job waiting for its retry, a slot
//   never given back after a failure, the next job not started when a slot frees
// - ready jobs started newest first, retries put at the front of the queue, or ordered by when
//   the job was created instead of when it became ready
// - Idempotency-Key ignored (a second job, work run twice), the repeat answered 202 or with
//   another job, a key reused with another body replayed instead of 422, a refused body
//   remembered under its key, keys kept in a plain object (`__proto__`), two racing requests
//   with one key making two jobs
// - options not validated in createApp (0, 1.5, NaN, a negative backoff), or 0 backoff refused
import { describe, expect, it } from 'vitest'
import {
  build,
  client,
  focusOn,
  random,
  task,
  type Client,
  type Reply,
  type Rng,
} from '../../harness/spec-kit/index.ts'
import {
  createApp,
  type AppOptions,
  type ExportInput,
  type Job,
  type WorkInfo,
} from '../../exercises/background-jobs/app.ts'

/** Lets every promise reaction the app queued run (they all run before the next macrotask). */
const turn = () => new Promise<void>((resolve) => setImmediate(resolve))

interface Timer {
  at: number
  seq: number
  fn: () => void
}

/** A scheduler whose clock moves only when the spec says so. */
class FakeScheduler {
  now = 0
  private seq = 0
  private timers: Timer[] = []

  schedule = (fn: () => void, delayMs: number): void => {
    if (typeof fn !== 'function') throw new TypeError('schedule(fn, delayMs): fn must be a function')
    if (typeof delayMs !== 'number' || !Number.isFinite(delayMs) || delayMs < 0) {
      throw new RangeError(`schedule(fn, delayMs): delayMs must be a number >= 0, received ${delayMs}`)
    }
    this.timers.push({ at: this.now + delayMs, seq: this.seq++, fn })
  }

  /** Runs every callback due within `ms` from now, in time order, and lands at now + ms. */
  async advance(ms: number): Promise<void> {
    const target = this.now + ms
    for (;;) {
      await turn()
      const due = this.timers
        .filter((t) => t.at <= target)
        .sort((a, b) => a.at - b.at || a.seq - b.seq)[0]
      if (!due) break
      this.timers.splice(this.timers.indexOf(due), 1)
      this.now = due.at
      due.fn()
    }
    this.now = target
    await turn()
  }
}

interface Attempt {
  input: ExportInput
  info: WorkInfo
  settled: boolean
  resolve: (value: unknown) => void
  reject: (reason: unknown) => void
}

/** A `work` function whose attempts wait for the spec. */
class FakeWork {
  readonly attempts: Attempt[] = []
  /** The most attempts that were running at the same time. */
  peak = 0
  /** When set, the next call throws this synchronously instead of returning a promise. */
  throwNext: unknown = undefined

  work = (input: ExportInput, info: WorkInfo): Promise<unknown> => {
    if (this.throwNext !== undefined) {
      const error = this.throwNext
      this.throwNext = undefined
      throw error
    }
    return new Promise((resolve, reject) => {
      const attempt: Attempt = {
        input: structuredClone(input),
        info: { ...info },
        settled: false,
        resolve: (value) => {
          attempt.settled = true
          resolve(value)
        },
        reject: (reason) => {
          attempt.settled = true
          reject(reason)
        },
      }
      this.attempts.push(attempt)
      this.peak = Math.max(this.peak, this.running().length)
    })
  }

  running(): Attempt[] {
    return this.attempts.filter((a) => !a.settled)
  }

  /** The running attempts' job ids, in the order they started. */
  runningIds(): string[] {
    return this.running().map((a) => a.info.jobId)
  }

  /** The one running attempt of job `id`. */
  of(id: string): Attempt {
    const found = this.running().filter((a) => a.info.jobId === id)
    expect(found, `one attempt of ${id} is running`).toHaveLength(1)
    return found[0]!
  }
}

interface Setup {
  api: Client
  scheduler: FakeScheduler
  fake: FakeWork
}

type Tuning = Pick<AppOptions, 'concurrency' | 'maxAttempts' | 'backoffMs'>

function setup(tuning: Tuning = {}): Setup {
  const scheduler = new FakeScheduler()
  const fake = new FakeWork()
  const app = build(createApp, { scheduler, work: fake.work, ...tuning })
  return { api: client(app), scheduler, fake }
}

/** Lets the app react to what just happened: promise reactions, then callbacks due now. */
const settle = (s: Setup) => s.scheduler.advance(0)

function exportInput(rng: Rng): ExportInput {
  return { dataset: `${rng.word()}-${rng.int(2020, 2037)}`, format: rng.pick(['csv', 'ndjson']) }
}

/** An Idempotency-Key shaped like the UUIDs clients usually send, from the test's stream. */
function keyOf(rng: Rng): string {
  const hex = (n: number) => Array.from({ length: n }, () => rng.int(0, 15).toString(16)).join('')
  return `${hex(8)}-${hex(4)}-4${hex(3)}-a${hex(3)}-${hex(12)}`
}

function resultFor(rng: Rng, input: ExportInput) {
  return { url: `https://files.example/${input.dataset}.${input.format}`, rows: rng.int(1, 50_000) }
}

function post(s: Setup, input: unknown, key?: string): Promise<Reply> {
  return s.api.post('/api/exports', {
    json: input,
    ...(key === undefined ? {} : { headers: { 'Idempotency-Key': key } }),
  })
}

/** The path of a Location header, which may be relative or absolute. */
function locationPath(res: Reply): string {
  expect(res).toHaveHeader('Location')
  return new URL(res.headers['location']!, 'http://api.test').pathname
}

/** Posts an export, checks the 202 and returns the new job's id. */
async function accept(s: Setup, input: ExportInput, key?: string): Promise<string> {
  const res = await post(s, input, key)
  expect(res).toHaveStatus(202)
  expect(res).toHaveJsonBody(
    expect.objectContaining({ id: expect.any(String), state: 'queued', input, attempts: 0 }),
  )
  const { id } = res.body as Job
  focusOn(res)
  expect(/^[A-Za-z0-9_-]+$/.test(id), 'the id is made of letters, digits, _ and -').toBe(true)
  expect(locationPath(res), 'Location points at /api/jobs/<id>').toBe(`/api/jobs/${id}`)
  return id
}

async function jobOf(s: Setup, id: string): Promise<Reply> {
  const res = await s.api.get(`/api/jobs/${id}`)
  expect(res).toHaveStatus(200)
  return res
}

/** The job must look like `expected` (the fields given). */
async function expectJob(s: Setup, id: string, expected: Partial<Job>): Promise<void> {
  const res = await jobOf(s, id)
  expect(res).toHaveJsonBody(expect.objectContaining({ id, ...expected }))
}

/** Fails when an attempt started that the spec did not expect. */
function expectStarted(s: Setup, count: number, why: string): void {
  expect(s.fake.attempts.length, why).toBe(count)
}

describe('background-jobs', () => {
  task(1, 'Accept an export and show its job', () => {
    it('POST /api/exports answers 202 with a queued job and its Location', async () => {
      const rng = random()
      const s = setup()
      const input = exportInput(rng)
      const res = await post(s, input)
      expect(res).toHaveStatus(202)
      expect(res).toHaveJsonBody(
        expect.objectContaining({
          id: expect.any(String),
          state: 'queued',
          input,
          attempts: 0,
          result: null,
          error: null,
        }),
      )
      const id = (res.body as Job).id
      const fetched = await s.api.get(locationPath(res))
      expect(fetched).toHaveStatus(200)
      expect(fetched).toHaveJsonBody(
        expect.objectContaining({ id, state: 'queued', input, attempts: 0, result: null, error: null }),
      )
    })

    it('gives every accepted export a job of its own', async () => {
      const rng = random()
      const s = setup()
      const inputs = [exportInput(rng), exportInput(rng), exportInput(rng)]
      const ids: string[] = []
      for (const input of inputs) ids.push(await accept(s, input))
      expect(new Set(ids).size, 'every job has its own id').toBe(3)
      for (const [i, id] of ids.entries()) await expectJob(s, id, { input: inputs[i] })
    })

    const invalid: [string, unknown][] = [
      ['dataset is missing', { format: 'csv' }],
      ['dataset is empty', { dataset: '', format: 'csv' }],
      ['dataset is longer than 64 characters', { dataset: 'x'.repeat(65), format: 'csv' }],
      ['dataset is a number', { dataset: 42, format: 'csv' }],
      ['format is missing', { dataset: 'orders' }],
      ['format is not csv or ndjson', { dataset: 'orders', format: 'xml' }],
      ['format is upper-case', { dataset: 'orders', format: 'CSV' }],
      ['the body is an array', [{ dataset: 'orders', format: 'csv' }]],
      ['the body is null', null],
    ]
    it.each(invalid)('answers 400 invalid_body and creates no job when %s', async (_, body) => {
      const s = setup()
      const res = await post(s, body)
      expect(res).toHaveStatus(400)
      expect(res).toHaveJsonBody(expect.objectContaining({ error: 'invalid_body' }))
      await s.scheduler.advance(60_000)
      expectStarted(s, 0, 'a refused export starts no work')
    })

    it('answers 400 invalid_body to a body that is not JSON', async () => {
      const s = setup()
      const res = await s.api.post('/api/exports', {
        headers: { 'Content-Type': 'application/json' },
        body: '{"dataset": "orders", ',
      })
      expect(res).toHaveStatus(400)
      expect(res).toHaveJsonBody(expect.objectContaining({ error: 'invalid_body' }))
    })

    it('accepts a dataset of exactly 64 characters', async () => {
      const s = setup()
      await accept(s, { dataset: 'd'.repeat(64), format: 'ndjson' })
    })

    it('answers 404 not_found for a job nobody created', async () => {
      const rng = random()
      const s = setup()
      await accept(s, exportInput(rng))
      for (const id of [`job_${rng.word()}`, 'constructor', '__proto__']) {
        const res = await s.api.get(`/api/jobs/${id}`)
        expect(res).toHaveStatus(404)
        expect(res).toHaveJsonBody(expect.objectContaining({ error: 'not_found' }))
      }
    })

    it('keeps the jobs of two createApp() instances apart', async () => {
      const rng = random()
      const s = setup()
      const other = setup()
      const id = await accept(s, exportInput(rng))
      const res = await other.api.get(`/api/jobs/${id}`)
      expect(res).toHaveStatus(404)
      expect(res).toHaveJsonBody(expect.objectContaining({ error: 'not_found' }))
    })
  })

  task(2, 'Run jobs in the background', () => {
    it('starts the job after the response, when the scheduler runs, not during the request', async () => {
      const rng = random()
      const s = setup()
      const input = exportInput(rng)
      const id = await accept(s, input)
      await turn()
      expectStarted(s, 0, 'work ran before the scheduler ran a callback')
      await expectJob(s, id, { state: 'queued', attempts: 0 })
      await settle(s)
      expectStarted(s, 1, 'the scheduler ran its callbacks but work was not called')
      const attempt = s.fake.attempts[0]!
      expect(attempt.input, 'work gets the job’s input').toEqual(input)
      expect(attempt.info, 'work gets { jobId, attempt }').toEqual({ jobId: id, attempt: 1 })
      await expectJob(s, id, { state: 'running', attempts: 1, result: null })
    })

    it('records the result when work resolves: succeeded', async () => {
      const rng = random()
      const s = setup()
      const input = exportInput(rng)
      const id = await accept(s, input)
      await settle(s)
      const result = resultFor(rng, input)
      s.fake.of(id).resolve(result)
      await settle(s)
      await expectJob(s, id, { state: 'succeeded', attempts: 1, result, error: null, input })
      await s.scheduler.advance(3_600_000)
      expectStarted(s, 1, 'a succeeded job never runs again')
    })

    it('with maxAttempts: 1, records the error when work rejects: failed', async () => {
      const rng = random()
      const s = setup({ maxAttempts: 1 })
      const id = await accept(s, exportInput(rng))
      await settle(s)
      const message = `export store unreachable (${rng.word()})`
      s.fake.of(id).reject(new Error(message))
      await settle(s)
      await expectJob(s, id, { state: 'failed', attempts: 1, error: message, result: null })
      await s.scheduler.advance(3_600_000)
      expectStarted(s, 1, 'with maxAttempts: 1 a failed job is not retried')
    })

    it('records a rejection that is not an Error as its string', async () => {
      const rng = random()
      const s = setup({ maxAttempts: 1 })
      const id = await accept(s, exportInput(rng))
      await settle(s)
      const reason = `disk full on ${rng.word()}`
      s.fake.of(id).reject(reason)
      await settle(s)
      await expectJob(s, id, { state: 'failed', error: reason })
    })

    it('counts a work that throws synchronously as a failed attempt', async () => {
      const rng = random()
      const s = setup({ maxAttempts: 1 })
      const id = await accept(s, exportInput(rng))
      const message = `bad template ${rng.word()}`
      s.fake.throwNext = new Error(message)
      await settle(s)
      await settle(s)
      await expectJob(s, id, { state: 'failed', attempts: 1, error: message })
      // The app is still well: the next job runs.
      const next = await accept(s, exportInput(rng))
      await settle(s)
      await expectJob(s, next, { state: 'running', attempts: 1 })
    })

    it('runs each job with its own input and keeps each result apart', async () => {
      const rng = random()
      const s = setup()
      const inputs = [exportInput(rng), exportInput(rng)]
      const ids = [await accept(s, inputs[0]!), await accept(s, inputs[1]!)]
      await settle(s)
      const results = inputs.map((input) => resultFor(rng, input))
      for (const i of rng.shuffle([0, 1])) {
        const attempt = s.fake.of(ids[i]!)
        expect(attempt.input).toEqual(inputs[i])
        attempt.resolve(results[i])
        await settle(s)
      }
      for (const i of [0, 1]) await expectJob(s, ids[i]!, { state: 'succeeded', result: results[i] })
    })

    it('createApp throws a TypeError without a scheduler or a work function', () => {
      const { schedule } = new FakeScheduler()
      const { work } = new FakeWork()
      expect(() => createApp({ work } as unknown as AppOptions), 'no scheduler').toThrow(TypeError)
      expect(() => createApp({ scheduler: {}, work } as unknown as AppOptions), 'scheduler without schedule').toThrow(TypeError)
      expect(() => createApp({ scheduler: { schedule } } as unknown as AppOptions), 'no work').toThrow(TypeError)
    })
  })

  task(3, 'Retry with exponential backoff', () => {
    it('retries after backoffMs, then twice that, and fails with the last error after maxAttempts', async () => {
      const rng = random()
      const backoffMs = rng.int(2, 40) * 50 + rng.int(1, 49)
      const maxAttempts = rng.int(3, 5)
      const s = setup({ backoffMs, maxAttempts })
      const id = await accept(s, exportInput(rng))
      await settle(s)
      for (let n = 1; n <= maxAttempts; n++) {
        expectStarted(s, n, `attempt ${n} should be running`)
        await expectJob(s, id, { state: 'running', attempts: n })
        expect(s.fake.of(id).info, `attempt ${n} is told its number`).toEqual({ jobId: id, attempt: n })
        const message = `attempt ${n} failed: ${rng.word()}`
        s.fake.of(id).reject(new Error(message))
        await settle(s)
        if (n === maxAttempts) {
          await expectJob(s, id, { state: 'failed', attempts: n, error: message, result: null })
          break
        }
        await expectJob(s, id, { state: 'queued', attempts: n, error: message })
        const wait = backoffMs * 2 ** (n - 1)
        await s.scheduler.advance(wait - 1)
        expectStarted(s, n, `after attempt ${n} failed, the retry started before ${wait} ms had passed`)
        await s.scheduler.advance(1)
        expectStarted(s, n + 1, `after attempt ${n} failed, no retry started ${wait} ms later`)
      }
      await s.scheduler.advance(backoffMs * 2 ** (maxAttempts + 1))
      expectStarted(s, maxAttempts, `a job tried ${maxAttempts} times is not tried again`)
    })

    it('clears the error when a retry succeeds', async () => {
      const rng = random()
      const backoffMs = rng.int(100, 5000)
      const s = setup({ backoffMs })
      const input = exportInput(rng)
      const id = await accept(s, input)
      await settle(s)
      s.fake.of(id).reject(new Error('timeout'))
      await settle(s)
      await s.scheduler.advance(backoffMs)
      const result = resultFor(rng, input)
      s.fake.of(id).resolve(result)
      await settle(s)
      await expectJob(s, id, { state: 'succeeded', attempts: 2, result, error: null })
    })

    it('tries 3 times with waits of 1000 and 2000 ms when nothing is configured', async () => {
      const rng = random()
      const s = setup()
      const id = await accept(s, exportInput(rng))
      await settle(s)
      for (const wait of [1000, 2000]) {
        const before = s.fake.attempts.length
        s.fake.of(id).reject(new Error('nope'))
        await settle(s)
        await s.scheduler.advance(wait - 1)
        expectStarted(s, before, `the retry started before ${wait} ms`)
        await s.scheduler.advance(1)
        expectStarted(s, before + 1, `the retry did not start after ${wait} ms`)
      }
      s.fake.of(id).reject(new Error('still nope'))
      await settle(s)
      await expectJob(s, id, { state: 'failed', attempts: 3, error: 'still nope' })
      await s.scheduler.advance(60_000)
      expectStarted(s, 3, 'a job is tried 3 times by default')
    })

    it('retries at once with backoffMs: 0', async () => {
      const rng = random()
      const s = setup({ backoffMs: 0, maxAttempts: 2 })
      const id = await accept(s, exportInput(rng))
      await settle(s)
      s.fake.of(id).reject(new Error('flaky'))
      await settle(s)
      await settle(s)
      expectStarted(s, 2, 'with backoffMs: 0 the retry starts on the next scheduler turn')
      await expectJob(s, id, { state: 'running', attempts: 2 })
    })

    it('createApp throws a RangeError for a maxAttempts or backoffMs that is not valid', () => {
      const { schedule } = new FakeScheduler()
      const { work } = new FakeWork()
      const make = (tuning: Tuning) => () => createApp({ scheduler: { schedule }, work, ...tuning })
      for (const maxAttempts of [0, -1, 1.5, Number.NaN]) {
        expect(make({ maxAttempts }), `maxAttempts: ${maxAttempts}`).toThrow(RangeError)
      }
      for (const backoffMs of [-1, Number.NaN, Number.POSITIVE_INFINITY]) {
        expect(make({ backoffMs }), `backoffMs: ${backoffMs}`).toThrow(RangeError)
      }
      expect(make({ maxAttempts: 1, backoffMs: 0 }), 'maxAttempts: 1, backoffMs: 0').not.toThrow()
    })
  })

  task(4, 'Limit how many jobs run at once', () => {
    it('runs at most `concurrency` jobs at once, oldest first, and starts the next when one ends', async () => {
      const rng = random()
      const concurrency = rng.int(1, 3)
      const s = setup({ concurrency })
      const ids: string[] = []
      for (let i = concurrency + 2; i > 0; i--) ids.push(await accept(s, exportInput(rng)))
      await settle(s)
      expect(s.fake.runningIds(), `concurrency ${concurrency}: the oldest jobs run`).toEqual(ids.slice(0, concurrency))
      for (const id of ids.slice(concurrency)) await expectJob(s, id, { state: 'queued', attempts: 0 })
      // Finish running jobs one at a time, in a random order; each frees a slot for the next.
      let next = concurrency
      while (s.fake.running().length > 0) {
        const attempt = rng.pick(s.fake.running())
        if (rng.next() < 0.5) attempt.resolve({ rows: 1 })
        else attempt.reject(new Error('nope'))
        await settle(s)
        if (next < ids.length) {
          expect(s.fake.runningIds(), `a slot freed: ${ids[next]} starts`).toContain(ids[next])
          next++
        }
        expect(s.fake.running().length, 'running attempts').toBeLessThanOrEqual(concurrency)
      }
      expect(s.fake.peak, `never more than ${concurrency} at once`).toBeLessThanOrEqual(concurrency)
    })

    it('runs 2 jobs at once when concurrency is not given', async () => {
      const rng = random()
      const s = setup()
      const ids = [await accept(s, exportInput(rng)), await accept(s, exportInput(rng)), await accept(s, exportInput(rng))]
      await settle(s)
      expect(s.fake.runningIds(), 'two jobs run by default').toEqual(ids.slice(0, 2))
      await expectJob(s, ids[2]!, { state: 'queued' })
    })

    it('gives the slot of a job waiting for its retry to the next job', async () => {
      const rng = random()
      const backoffMs = rng.int(100, 5000)
      const s = setup({ concurrency: 1, backoffMs })
      const [a, b] = [await accept(s, exportInput(rng)), await accept(s, exportInput(rng))]
      await settle(s)
      s.fake.of(a).reject(new Error('busy'))
      await settle(s)
      expect(s.fake.runningIds(), 'while a waits for its retry, b runs').toEqual([b])
      await s.scheduler.advance(backoffMs)
      expect(s.fake.runningIds(), 'the retry waits for the slot').toEqual([b])
      await expectJob(s, a, { state: 'queued', attempts: 1 })
      s.fake.of(b).resolve({ rows: 2 })
      await settle(s)
      expect(s.fake.runningIds(), 'once b is done, a retries').toEqual([a])
    })

    it('starts ready jobs in the order they became ready: a retry after jobs that were waiting', async () => {
      const rng = random()
      const backoffMs = rng.int(100, 5000)
      const s = setup({ concurrency: 1, backoffMs })
      const a = await accept(s, exportInput(rng))
      const b = await accept(s, exportInput(rng))
      await settle(s)
      s.fake.of(a).reject(new Error('busy')) // a is ready again at now + backoffMs
      await settle(s)
      await s.scheduler.advance(rng.int(1, backoffMs - 1))
      const c = await accept(s, exportInput(rng)) // ready before a's retry
      await settle(s)
      await s.scheduler.advance(backoffMs) // a's retry is ready now
      const d = await accept(s, exportInput(rng)) // ready after it
      await settle(s)
      const order: string[] = []
      for (let i = 0; i < 4; i++) {
        const [running] = s.fake.running()
        expect(running, 'a job is running').toBeDefined()
        order.push(running!.info.jobId)
        running!.resolve({ rows: i })
        await settle(s)
      }
      expect(order, 'b ran first, then c (ready before the retry), a (the retry), d').toEqual([b, c, a, d])
    })

    it('createApp throws a RangeError unless concurrency is an integer >= 1', () => {
      const { schedule } = new FakeScheduler()
      const { work } = new FakeWork()
      for (const concurrency of [0, -2, 2.5, Number.NaN]) {
        expect(() => createApp({ scheduler: { schedule }, work, concurrency }), `concurrency: ${concurrency}`).toThrow(RangeError)
      }
      expect(() => createApp({ scheduler: { schedule }, work, concurrency: 1 })).not.toThrow()
    })
  })

  task(5, 'Enqueue once per Idempotency-Key', () => {
    it('answers a repeat with the same key with 200 and the same job, and runs the work once', async () => {
      const rng = random()
      const s = setup()
      const input = exportInput(rng)
      const key = keyOf(rng)
      const id = await accept(s, input, key)
      await settle(s)
      const again = await post(s, input, key)
      expect(again).toHaveStatus(200)
      expect(again).toHaveJsonBody(expect.objectContaining({ id, state: 'running', attempts: 1, input }))
      expect(locationPath(again), 'the same Location').toBe(`/api/jobs/${id}`)
      const result = resultFor(rng, input)
      s.fake.of(id).resolve(result)
      await settle(s)
      const later = await post(s, input, key)
      expect(later).toHaveStatus(200)
      expect(later).toHaveJsonBody(expect.objectContaining({ id, state: 'succeeded', result }))
      await s.scheduler.advance(60_000)
      expectStarted(s, 1, 'the work runs once for one key')
    })

    it('returns the failed job for its key instead of queueing the export again', async () => {
      const rng = random()
      const s = setup({ maxAttempts: 1 })
      const input = exportInput(rng)
      const key = rng.word(10, 16)
      const id = await accept(s, input, key)
      await settle(s)
      s.fake.of(id).reject(new Error('gone'))
      await settle(s)
      const again = await post(s, input, key)
      expect(again).toHaveStatus(200)
      expect(again).toHaveJsonBody(expect.objectContaining({ id, state: 'failed', error: 'gone' }))
      await s.scheduler.advance(60_000)
      expectStarted(s, 1, 'a failed job is not queued again by a repeat of its key')
    })

    it('answers 422 idempotency_key_reused for a key sent with another export', async () => {
      const rng = random()
      const s = setup()
      const input = exportInput(rng)
      const key = keyOf(rng)
      const id = await accept(s, input, key)
      const others: ExportInput[] = [
        { ...input, format: input.format === 'csv' ? 'ndjson' : 'csv' },
        { ...input, dataset: `${input.dataset}x` },
      ]
      for (const other of others) {
        const res = await post(s, other, key)
        expect(res).toHaveStatus(422)
        expect(res).toHaveJsonBody(expect.objectContaining({ error: 'idempotency_key_reused' }))
      }
      const again = await post(s, input, key)
      expect(again).toHaveStatus(200)
      expect(again).toHaveJsonBody(expect.objectContaining({ id }))
      await settle(s)
      expectStarted(s, 1, 'one job for the key')
    })

    it('makes a new job for each request without a key, or with a new key', async () => {
      const rng = random()
      const s = setup({ concurrency: 5 })
      const input = exportInput(rng)
      const ids = [
        await accept(s, input),
        await accept(s, input),
        await accept(s, input, ''),
        await accept(s, input, keyOf(rng)),
        await accept(s, input, keyOf(rng)),
      ]
      expect(new Set(ids).size, 'five requests, five jobs').toBe(5)
      await settle(s)
      expectStarted(s, 5, 'five jobs run')
    })

    it('does not remember a refused body: the same key works once the body is fixed', async () => {
      const rng = random()
      const s = setup()
      const input = exportInput(rng)
      const key = keyOf(rng)
      const refused = await post(s, { ...input, format: 'xml' }, key)
      expect(refused).toHaveStatus(400)
      expect(refused).toHaveJsonBody(expect.objectContaining({ error: 'invalid_body' }))
      const id = await accept(s, input, key)
      const again = await post(s, input, key)
      expect(again).toHaveStatus(200)
      expect(again).toHaveJsonBody(expect.objectContaining({ id }))
    })

    it('treats keys such as "__proto__" and "constructor" like any other', async () => {
      const rng = random()
      const s = setup({ concurrency: 4 })
      for (const key of rng.shuffle(['__proto__', 'constructor', 'toString', 'hasOwnProperty'])) {
        const input = exportInput(rng)
        const id = await accept(s, input, key)
        const again = await post(s, input, key)
        expect(again).toHaveStatus(200)
        expect(again).toHaveJsonBody(expect.objectContaining({ id }))
      }
    })

    it('makes one job when two requests with the same key arrive together', async () => {
      const rng = random()
      const s = setup()
      const input = exportInput(rng)
      const key = keyOf(rng)
      // A note of a few hundred kilobytes reaches the app in many chunks, so the second request
      // arrives while the first is still reading its body: the window where a lookup made
      // before reading the body and a store made after it let both requests through.
      const body = { ...input, note: rng.word(8, 8).repeat(40_000) }
      const replies = await Promise.all([post(s, body, key), post(s, body, key)])
      const statuses = replies.map((r) => r.status).sort()
      focusOn(replies[0]!)
      expect(statuses, 'one 202 and one 200').toEqual([200, 202])
      const ids = replies.map((r) => (r.body as Job).id)
      expect(ids[0], 'both name the same job').toBe(ids[1])
      await settle(s)
      expectStarted(s, 1, 'one job runs')
    })

    it('keeps the keys of two createApp() instances apart', async () => {
      const rng = random()
      const s = setup()
      const other = setup()
      const input = exportInput(rng)
      const key = keyOf(rng)
      await accept(s, input, key)
      await accept(other, input, key)
    })
  })
})
