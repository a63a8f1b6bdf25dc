import { scrypt } from 'node:crypto'
import { readFile } from 'node:fs/promises'
import { Worker } from 'node:worker_threads'
import { Hono } from 'hono'

export interface AppOptions {
  /** The report file `GET /api/report` reads, on every request (it lives in os.tmpdir()). */
  reportPath: string
  /** scrypt's cost parameter N: a power of two from 2 to 16384. Default 16384. */
  hashCost?: number
  /** How many worker threads compute checksums: an integer >= 1. Default 2. */
  workers?: number
}

export interface Service {
  app: Hono
  /** Ends this app's worker threads. The grader calls it after every check. */
  close: () => Promise<void>
}

const MAX_ROUNDS = 1_000_000_000

/**
 * The checksum the API promises: FNV-1a over the text's UTF-16 code units, then `rounds` rounds
 * of a multiply-xorshift mix. Pure JavaScript with no async version: only a worker thread can
 * take it off the event loop. It uses nothing from outside its body, so its source text runs in
 * a worker as it is (see WORKER_SOURCE).
 */
export function checksum(text: string, rounds: number): string {
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

// Node 20 cannot start a worker from a .ts file, and the grader takes only this file: the
// worker's code is JavaScript source text, run with `{ eval: true }`. `${checksum}` is the
// function's source as the TypeScript loader left it, types already stripped.
const WORKER_SOURCE = `
const { parentPort } = require('node:worker_threads')
${checksum}
parentPort.on('message', ({ id, text, rounds }) => {
  parentPort.postMessage({ id, value: checksum(text, rounds) })
})
`

interface Job {
  id: number
  text: string
  rounds: number
  resolve: (value: string) => void
  reject: (error: Error) => void
}

/**
 * At most `size` threads, started when first needed and kept for the next job. Each thread
 * runs one job at a time, so a reply always belongs to the job that thread was given; jobs
 * beyond `size` wait in arrival order. A thread per request would have no bound: a burst of
 * requests would start a burst of threads, each with its own heap.
 */
function createPool(size: number) {
  const idle: Worker[] = []
  const busy = new Map<Worker, Job>()
  const waiting: Job[] = []
  let nextId = 0
  let closed = false

  const spawn = (): Worker => {
    const worker = new Worker(WORKER_SOURCE, { eval: true })
    // An idle thread must not keep the process alive on its own.
    worker.unref()
    worker.on('message', (message: { id: number; value: string }) => {
      const job = busy.get(worker)
      busy.delete(worker)
      if (job?.id === message.id) job.resolve(message.value)
      idle.push(worker)
      dispatch()
    })
    // A thread that dies takes its job with it: fail that job, forget the thread (the next
    // job starts a new one).
    worker.on('error', (error) => {
      busy.get(worker)?.reject(error)
      busy.delete(worker)
      const i = idle.indexOf(worker)
      if (i >= 0) idle.splice(i, 1)
      dispatch()
    })
    return worker
  }

  const dispatch = (): void => {
    while (!closed && waiting.length > 0) {
      const worker = idle.pop() ?? (busy.size + idle.length < size ? spawn() : undefined)
      if (!worker) return
      const job = waiting.shift()!
      busy.set(worker, job)
      worker.postMessage({ id: job.id, text: job.text, rounds: job.rounds })
    }
  }

  return {
    run(text: string, rounds: number): Promise<string> {
      if (closed) return Promise.reject(new Error('the worker pool is closed'))
      return new Promise((resolve, reject) => {
        waiting.push({ id: nextId++, text, rounds, resolve, reject })
        dispatch()
      })
    },
    async close(): Promise<void> {
      closed = true
      for (const job of waiting.splice(0)) job.reject(new Error('the worker pool is closed'))
      const all = [...idle, ...busy.keys()]
      idle.length = 0
      busy.clear()
      await Promise.all(all.map((worker) => worker.terminate()))
    },
  }
}

/** scrypt through libuv's threadpool: the event loop only waits for the callback. */
function scryptHex(password: string, salt: string, cost: number): Promise<string> {
  return new Promise((resolve, reject) => {
    scrypt(password, salt, 32, { N: cost, r: 8, p: 1 }, (error, key) =>
      error ? reject(error) : resolve(key.toString('hex')),
    )
  })
}

/** A JSON body as an object, or undefined when it is not a JSON object. */
async function jsonObject(request: Request): Promise<Record<string, unknown> | undefined> {
  try {
    const value: unknown = await request.json()
    return value !== null && typeof value === 'object' && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : undefined
  } catch {
    return undefined
  }
}

export function createApp(options: AppOptions): Service {
  const { reportPath } = options
  const hashCost = options.hashCost ?? 16384
  const workers = options.workers ?? 2
  // Checked once, when the app is built: a bad option should stop the server at startup.
  if (typeof reportPath !== 'string' || reportPath === '') {
    throw new TypeError('reportPath must be the path of the report file')
  }
  if (!Number.isInteger(hashCost) || hashCost < 2 || hashCost > 16384 || (hashCost & (hashCost - 1)) !== 0) {
    throw new RangeError(`hashCost must be a power of two from 2 to 16384, received ${hashCost}`)
  }
  if (!Number.isInteger(workers) || workers < 1) {
    throw new RangeError(`workers must be an integer >= 1, received ${workers}`)
  }

  // One pool per app: close() ends this app's threads and no other's.
  const pool = createPool(workers)
  const app = new Hono()

  app.get('/health', (c) => c.json({ status: 'ok' }))

  // scryptSync would compute the same key on the event loop itself, and for those ~50 ms no
  // other request (not even /health) could be read. The callback form hands the work to one of
  // libuv's threads (4 by default, UV_THREADPOOL_SIZE) and the loop goes on serving.
  app.post('/api/hash', async (c) => {
    const body = await jsonObject(c.req.raw)
    const { password, salt } = body ?? {}
    if (typeof password !== 'string' || password === '' || typeof salt !== 'string' || salt === '') {
      return c.json({ error: 'invalid_body' }, 400)
    }
    return c.json({ hash: await scryptHex(password, salt, hashCost) })
  })

  // fs/promises reads the file in chunks on the threadpool; the loop serves other requests
  // between them. The file is read on every request: it may have changed since the last one.
  app.get('/api/report', async (c) => {
    let data: Buffer
    try {
      data = await readFile(reportPath)
    } catch (error) {
      // An async API reports failure as a rejected promise: catch it here and answer. Left
      // unhandled (or thrown from a callback) it is not a 500 but a crashed process.
      const code = (error as NodeJS.ErrnoException).code
      if (code === 'ENOENT') return c.json({ error: 'report_not_found' }, 404)
      return c.json({ error: 'report_unreadable' }, 500)
    }
    let lines = 0
    for (let i = data.indexOf(10); i !== -1; i = data.indexOf(10, i + 1)) lines++
    return c.json({ bytes: data.length, lines })
  })

  // `async` alone would not help here: an async function that loops for 100 ms holds the loop
  // for 100 ms. The loop stays free only when the work runs somewhere else: a worker thread.
  app.post('/api/checksum', async (c) => {
    const body = await jsonObject(c.req.raw)
    const { text, rounds } = body ?? {}
    if (typeof text !== 'string' || !Number.isInteger(rounds)) {
      return c.json({ error: 'invalid_body' }, 400)
    }
    const n = rounds as number
    if (n < 0 || n > MAX_ROUNDS) return c.json({ error: 'invalid_body' }, 400)
    return c.json({ checksum: await pool.run(text, n) })
  })

  return { app, close: () => pool.close() }
}
