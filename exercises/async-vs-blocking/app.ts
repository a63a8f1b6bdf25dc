import { scryptSync } from 'node:crypto'
import { readFileSync } from 'node:fs'
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
 * of a multiply-xorshift mix. Pure JavaScript with no async version. It uses nothing from
 * outside its body, so `${checksum}` in a template string is JavaScript source a worker thread
 * can run (see the README, task 4).
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
  if (typeof reportPath !== 'string' || reportPath === '') {
    throw new TypeError('reportPath must be the path of the report file')
  }
  // TODO (task 2): throw a RangeError unless hashCost is a power of two from 2 to 16384.
  const hashCost = options.hashCost ?? 16384
  // TODO (task 4): throw a RangeError unless workers is an integer >= 1 (default 2), and keep
  // a pool of that many worker threads for the checksums.

  const app = new Hono()

  app.get('/health', (c) => c.json({ status: 'ok' }))

  app.post('/api/hash', async (c) => {
    const body = await jsonObject(c.req.raw)
    const { password, salt } = body ?? {}
    if (typeof password !== 'string' || password === '' || typeof salt !== 'string' || salt === '') {
      return c.json({ error: 'invalid_body' }, 400)
    }
    // TODO (task 2): scryptSync holds the event loop until the key is ready. Use the async API.
    const key = scryptSync(password, salt, 32, { N: hashCost, r: 8, p: 1 })
    return c.json({ hash: key.toString('hex') })
  })

  app.get('/api/report', (c) => {
    // TODO (task 3): read the file with fs/promises, and answer 404 report_not_found when it
    // does not exist, 500 report_unreadable for any other read error.
    const data = readFileSync(reportPath)
    let lines = 0
    for (let i = data.indexOf(10); i !== -1; i = data.indexOf(10, i + 1)) lines++
    return c.json({ bytes: data.length, lines })
  })

  app.post('/api/checksum', async (c) => {
    const body = await jsonObject(c.req.raw)
    const { text, rounds } = body ?? {}
    if (typeof text !== 'string' || !Number.isInteger(rounds)) {
      return c.json({ error: 'invalid_body' }, 400)
    }
    const n = rounds as number
    if (n < 0 || n > MAX_ROUNDS) return c.json({ error: 'invalid_body' }, 400)
    // TODO (task 4): this loop runs on the event loop, async handler or not. Run it on one of
    // the app's worker threads.
    return c.json({ checksum: checksum(text, n) })
  })

  // TODO (task 4): end the worker threads.
  return { app, close: async () => {} }
}
