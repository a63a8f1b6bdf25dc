// The grading worker processes a session started. The watchdog may kill only these (a pid
// read from the progress log is never trusted on its own), their memory is read from here,
// what each ran and how it ended is kept until the next run, and closing a session kills
// whatever is left.
import type { ChildProcess } from 'node:child_process'
import { readFileSync } from 'node:fs'

export interface WorkerEntry {
  pid: number
  child: ChildProcess
  /** The spec modules vitest asked it to run (their module ids). */
  files: string[]
  /** Why the harness stopped it, once it did. */
  killedFor?: string
  /** The last few kilobytes it wrote to stderr (Node's own fatal errors end up here). */
  stderrTail: string
  exited: boolean
}

const TAIL_BYTES = 4096

export class WorkerRegistry {
  private readonly workers = new Map<number, WorkerEntry>()

  add(child: ChildProcess): WorkerEntry | undefined {
    if (child.pid === undefined) return undefined
    const entry: WorkerEntry = { pid: child.pid, child, files: [], stderrTail: '', exited: false }
    this.workers.set(child.pid, entry)
    child.once('exit', () => (entry.exited = true))
    child.stderr?.on('data', (chunk: Buffer) => {
      entry.stderrTail = (entry.stderrTail + chunk.toString('utf8')).slice(-TAIL_BYTES)
    })
    return entry
  }

  entry(child: ChildProcess): WorkerEntry | undefined {
    return child.pid === undefined ? undefined : this.workers.get(child.pid)
  }

  /** Every worker of the current run, live or not. */
  all(): WorkerEntry[] {
    return [...this.workers.values()]
  }

  live(): WorkerEntry[] {
    return this.all().filter((e) => !e.exited)
  }

  has(pid: number): boolean {
    return this.workers.get(pid)?.exited === false
  }

  /** Kills a live registered worker; false if the pid is not one of ours. */
  kill(pid: number, reason: string): boolean {
    const entry = this.workers.get(pid)
    if (!entry || entry.exited) return false
    entry.killedFor ??= reason
    entry.child.kill('SIGKILL')
    return true
  }

  killAll(): void {
    for (const entry of this.live()) entry.child.kill('SIGKILL')
  }

  /** Forgets the workers that have exited (a new run starts). */
  forgetExited(): void {
    for (const [pid, entry] of this.workers) if (entry.exited) this.workers.delete(pid)
  }

  /** Resolves once every live worker has exited (or after `ms`). */
  async settled(ms = 2000): Promise<void> {
    const pending = this.live().map(
      (entry) =>
        new Promise<void>((resolve) => {
          if (entry.child.exitCode !== null || entry.child.signalCode !== null) return resolve()
          entry.child.once('exit', () => resolve())
        }),
    )
    await Promise.race([Promise.all(pending), new Promise((resolve) => setTimeout(resolve, ms).unref())])
  }
}

/** The resident memory of a process in MB, where the system tells (Linux /proc); undefined elsewhere. */
export function residentMb(pid: number): number | undefined {
  try {
    const kb = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1]
    return kb === undefined ? undefined : Number(kb) / 1024
  } catch {
    return undefined
  }
}

/** True when a worker's last words were V8 running out of heap. */
export function diedOfHeapLimit(entry: WorkerEntry): boolean {
  return /Reached heap limit|JavaScript heap out of memory|Allocation failed/.test(entry.stderrTail)
}
