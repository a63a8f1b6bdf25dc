// Reads the progress record the spec kit's setup file appends to (one JSON object a line).
// The runner tails it while vitest runs, to notice a worker that stopped making progress and to
// name the check it was stuck in. Graded code can write to it too, so it never decides a result.
import { closeSync, openSync, readSync } from 'node:fs'

export type LogRecord =
  | { kind: 'worker'; pid: number; file?: string; at: number }
  | { kind: 'start'; file: string; pid: number; id: string; name: string; at: number }
  | { kind: 'end'; file: string; pid?: number; id: string; name: string; at: number }

export type EndRecord = Extract<LogRecord, { kind: 'end' }>
export type StartRecord = Extract<LogRecord, { kind: 'start' }>

/** Incremental reader: each `read()` returns the records appended since the last call. */
export class ProgressLogReader {
  private offset = 0
  private partial = ''

  constructor(private readonly file: string) {}

  read(): LogRecord[] {
    let fd: number
    try {
      fd = openSync(this.file, 'r')
    } catch {
      return []
    }
    const chunks: Buffer[] = []
    try {
      const buffer = Buffer.alloc(64 * 1024)
      for (;;) {
        const n = readSync(fd, buffer, 0, buffer.length, this.offset)
        if (n <= 0) break
        chunks.push(Buffer.from(buffer.subarray(0, n)))
        this.offset += n
      }
    } finally {
      closeSync(fd)
    }
    const text = this.partial + Buffer.concat(chunks).toString('utf8')
    const lines = text.split('\n')
    this.partial = lines.pop() ?? ''
    const records: LogRecord[] = []
    for (const line of lines) {
      if (!line.trim()) continue
      try {
        records.push(JSON.parse(line) as LogRecord)
      } catch {
        // A torn line can only come from a killed worker; the rest of the log is still good.
      }
    }
    return records
  }
}

/** What the log says about one spec module: the checks that ended, and the ones still running. */
export interface ModuleProgress {
  ended: Map<string, EndRecord>
  /** Started and not ended, in start order. */
  running: Map<string, StartRecord>
}

/** What a worker process did last: announced itself (importing a spec), started or ended a check. */
export interface WorkerActivity {
  pid: number
  last: 'worker' | 'start' | 'end'
  file?: string
  at: number
}

/** Folds records into per-module progress (keyed by the spec module id, query included) and per-worker activity. */
export class ProgressTracker {
  readonly modules = new Map<string, ModuleProgress>()
  readonly workers = new Map<number, WorkerActivity>()

  apply(records: LogRecord[]): void {
    for (const r of records) {
      if (r.kind === 'worker') {
        this.workers.set(r.pid, { pid: r.pid, last: 'worker', file: r.file, at: r.at })
        continue
      }
      const m = this.module(r.file)
      if (r.kind === 'start') {
        m.running.set(r.id, r)
        this.workers.set(r.pid, { pid: r.pid, last: 'start', file: r.file, at: r.at })
      } else {
        m.running.delete(r.id)
        m.ended.set(r.id, r)
        if (r.pid !== undefined) this.workers.set(r.pid, { pid: r.pid, last: 'end', file: r.file, at: r.at })
      }
    }
  }

  module(file: string): ModuleProgress {
    let m = this.modules.get(file)
    if (!m) {
      m = { ended: new Map(), running: new Map() }
      this.modules.set(file, m)
    }
    return m
  }
}
