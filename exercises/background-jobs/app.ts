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

export function createApp(options: AppOptions) {
  // TODO (tasks 2-4): take scheduler, work, concurrency, maxAttempts and backoffMs from the
  // options, with their defaults, and throw when one is not valid (see the README).
  void options

  // TODO (task 1): keep the jobs of this app (never at module level).

  const app = new Hono()

  app.post('/api/exports', async (c) => {
    // TODO (task 1): validate the body with parseInput (400 invalid_body), create a queued job
    // and answer 202 with a Location. TODO (task 2): start it after the response, through
    // the scheduler. TODO (task 5): Idempotency-Key.
    return c.json({ error: 'not_implemented' }, 501)
  })

  app.get('/api/jobs/:id', (c) => {
    // TODO (task 1): the job, or 404 not_found.
    return c.json({ error: 'not_implemented' }, 501)
  })

  app.notFound(notFound)

  return app
}

function notFound(c: Context) {
  return c.json({ error: 'not_found' }, 404)
}
