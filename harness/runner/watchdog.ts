// Stops grading workers that stopped making progress or grew too big. Vitest's own timeouts
// need the worker's event loop; a `while (true) {}` or an allocation loop never gives it back.
// Progress is read from the spec kit's per-check record; which process runs which spec, and
// which processes may be killed at all, comes from the registry the pool keeps. Times are the
// harness's own: a record's timestamp, written by the worker, is never trusted.
import type { ProgressLogReader, ProgressTracker } from './progress-log.ts'
import { diedOfHeapLimit, residentMb, type WorkerRegistry } from './worker-registry.ts'

export interface WatchdogLimits {
  checkTimeoutMs: number
  stallMs: number
  loadTimeoutMs: number
  memoryLimitMb: number
}

const POLL_MS = 50
const MEMORY_EVERY = 2

export class Watchdog {
  private timer: NodeJS.Timeout | undefined
  private polls = 0
  private readonly seen = new Map<number, { signature: string; since: number }>()
  anyKilled = false

  constructor(
    private readonly registry: WorkerRegistry,
    private readonly tracker: ProgressTracker,
    private readonly log: ProgressLogReader,
    private readonly limits: WatchdogLimits,
  ) {}

  start(): void {
    this.timer = setInterval(() => this.poll(), POLL_MS)
  }

  stop(): void {
    clearInterval(this.timer)
    this.poll()
  }

  poll(): void {
    this.tracker.apply(this.log.read())
    const now = Date.now()
    const checkMemory = ++this.polls % MEMORY_EVERY === 0
    for (const entry of this.registry.live()) {
      if (entry.files.length === 0) continue // a spare, not yet given work
      const activity = this.tracker.workers.get(entry.pid)
      const signature = activity ? `${activity.last}:${activity.at}` : 'assigned'
      const seen = this.seen.get(entry.pid)
      if (!seen || seen.signature !== signature) this.seen.set(entry.pid, { signature, since: now })
      const since = this.seen.get(entry.pid)!.since
      // Loading gets more room: the first import of a spec is the slow part of a cold run.
      const inCheck = activity?.last === 'start'
      const limit = inCheck ? this.limits.checkTimeoutMs + this.limits.stallMs : this.limits.loadTimeoutMs
      if (now - since > limit) {
        this.kill(
          entry.pid,
          inCheck
            ? `timed out after ${limit} ms: the code never yielded (an endless loop?), so the harness stopped it`
            : `timed out after ${limit} ms while loading (an endless loop at the top level?), so the harness stopped it`,
        )
        continue
      }
      if (checkMemory) {
        const mb = residentMb(entry.pid)
        if (mb !== undefined && mb > this.limits.memoryLimitMb) {
          this.kill(entry.pid, memoryMessage(this.limits.memoryLimitMb))
        }
      }
    }
  }

  /** Why each killed (or heap-exhausted) worker's modules ended, by module id. */
  killedModules(): Map<string, string> {
    const killed = new Map<string, string>()
    for (const entry of this.registry.all()) {
      const reason = entry.killedFor ?? (diedOfHeapLimit(entry) ? memoryMessage(this.limits.memoryLimitMb) : undefined)
      if (!reason) continue
      for (const file of entry.files) killed.set(file, reason)
    }
    return killed
  }

  /** Resolves if a worker was killed and vitest has still not settled 3 s later. */
  untilKilledAndStuck(unsettled: () => boolean): Promise<void> {
    return new Promise((resolve) => {
      let since = 0
      const timer = setInterval(() => {
        if (!this.anyKilled || !unsettled()) return (since = 0)
        since ||= Date.now()
        if (Date.now() - since > 3000) {
          clearInterval(timer)
          resolve()
        }
      }, 100)
      timer.unref()
    })
  }

  private kill(pid: number, reason: string): void {
    if (this.registry.kill(pid, reason)) this.anyKilled = true
  }
}

function memoryMessage(limitMb: number): string {
  return `your app used more than ${limitMb} MB of memory, so the harness stopped it (does something grow without bound?)`
}
