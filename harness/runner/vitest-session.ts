// A long-lived vitest instance that runs hidden specs against chosen targets. One-shot grades
// create one and close it; watch mode keeps it warm between saves. Vitest is configured in
// memory (no config file to load), with the spec kit's setup file and the target plugin.
//
// Vitest alone cannot stop a learner's `while (true) {}`: the fork worker spins forever. So the
// session tails the progress record the setup file writes synchronously, and a watchdog kills
// any worker that stops making progress. The record also keeps what the finished checks said.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import type { TestModule, Vitest } from 'vitest/node'
import { createVitest } from 'vitest/node'
import type { CoursePaths } from '../paths.ts'
import { ProgressLogReader, ProgressTracker, type EndRecord } from './progress-log.ts'
import { specModuleId, targetPlugin, type Target } from './target-plugin.ts'
import { typescriptFiles } from '../course/exercise-files.ts'
import { discardSpareWorker, warmForksPool } from './warm-forks.ts'

export interface SessionOptions {
  /** Per-check limit (vitest's testTimeout); a hung async handler fails with "timed out". */
  checkTimeoutMs?: number
  /** How long past checkTimeoutMs a worker may sit in one check before the watchdog kills it. */
  stallMs?: number
  /** How long a worker may take to load a spec and the code under test before the watchdog kills it. */
  loadTimeoutMs?: number
  /** false runs every spec in a fresh module graph (learners' code); true shares workers (trusted solutions, faster). */
  shareWorkers?: boolean
  maxWorkers?: number
  /** Keep a worker process booted ahead of the next grade (watch mode). */
  warmWorkers?: boolean
}

export interface SpecJob {
  slug: string
  target: Target
  /** This job's own seed (else the run's). */
  seed?: number
  /** Skip the remaining checks after the first failure (the self-check's stubs and mutants). */
  bail?: boolean
}

/** What one spec module produced: the raw material the grade is assembled from. */
export interface ModuleOutcome {
  job: SpecJob
  moduleId: string
  /** Checks the spec declares, in order (empty if it never loaded). */
  planned: string[]
  ended: EndRecord[]
  /** Checks that were running when their worker was killed. */
  killedIn: string[]
  /** Why the module failed as a whole (a load error), with vitest's code frame if any. */
  moduleErrors: { message: string; stack?: string; frame?: string }[]
  killed?: string
  /** Console output of the learner's code, per check name ('' for output outside checks). */
  logs: Map<string, string[]>
}

export type CheckListener = (job: SpecJob, record: EndRecord) => void

const DEFAULTS = { checkTimeoutMs: 3000, stallMs: 2000, loadTimeoutMs: 15_000, shareWorkers: false, maxWorkers: 2, warmWorkers: false }

/** Creates a vitest session for the course at `paths.root`. */
export async function createSession(paths: CoursePaths, options: SessionOptions = {}): Promise<VitestSession> {
  const opts = { ...DEFAULTS, ...options }
  const logDir = mkdtempSync(path.join(os.tmpdir(), 'course-run-'))
  const logFile = path.join(logDir, 'progress.jsonl')
  writeFileSync(logFile, '')
  // Workers inherit the environment when forked: this is how the setup file finds the log.
  process.env.COURSE_PROGRESS_LOG = logFile
  const collector = new Collector()
  const before = { SIGINT: process.listeners('SIGINT'), SIGTERM: process.listeners('SIGTERM') }
  const vitest = await createVitest(
    'test',
    {
      watch: false,
      config: false,
      root: paths.root,
      include: [],
      setupFiles: [paths.specKitSetup],
      testTimeout: opts.checkTimeoutMs,
      hookTimeout: opts.checkTimeoutMs,
      pool: opts.warmWorkers ? warmForksPool : 'forks',
      isolate: !opts.shareWorkers,
      maxWorkers: opts.maxWorkers,
      fileParallelism: true,
      reporters: [collector],
      // A failing check is a result, not a reason to print vitest's own report.
      silent: false,
      printConsoleTrace: false,
      passWithNoTests: true,
    },
    {
      plugins: [
        targetPlugin({ exercises: paths.exercisesDir, solutions: paths.solutionsDir, content: paths.contentDir }),
      ],
      logLevel: 'silent',
      clearScreen: false,
    },
  )
  // Vitest's logger exits the process on SIGINT/SIGTERM. The harness handles those itself (kill
  // the workers, save progress, restore the terminal), so it takes them back.
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    for (const listener of process.listeners(signal)) {
      if (!before[signal].includes(listener)) process.off(signal, listener)
    }
  }
  return new VitestSession(vitest, paths, collector, new ProgressLogReader(logFile), logDir, opts)
}

export class VitestSession {
  private readonly tracker = new ProgressTracker()
  /** Set when a killed run never settled: the instance must not be reused. */
  broken = false

  constructor(
    private readonly vitest: Vitest,
    private readonly paths: CoursePaths,
    private readonly collector: Collector,
    private readonly log: ProgressLogReader,
    private readonly logDir: string,
    private readonly opts: Required<SessionOptions>,
  ) {}

  /** Runs each job's spec against its target; resolves when all ended or were killed. */
  async run(jobs: SpecJob[], seed: number, onCheck?: CheckListener): Promise<ModuleOutcome[]> {
    const project = this.vitest.getRootProject()
    project.provide('courseSeed', seed)
    const ids = jobs.map((job) => specModuleId(this.paths.spec(job.slug), job.target, job.seed, job.bail))
    const jobById = new Map(ids.map((id, i) => [id, jobs[i]!]))
    for (const job of jobs) this.invalidate(job)
    this.collector.reset()
    this.log.read() // skip whatever earlier runs left
    for (const id of ids) this.tracker.modules.delete(id)

    const killed = new Map<string, string>()
    const runStarted = Date.now()
    let settled = false
    const run = this.vitest
      .runTestSpecifications(ids.map((id) => project.createSpecification(id)))
      .finally(() => (settled = true))

    // The watchdog: tail the record, report finished checks, kill workers that stopped.
    const seen = new Set<string>()
    const poll = () => {
      this.tracker.apply(this.log.read())
      for (const id of ids) {
        for (const [testId, record] of this.tracker.module(id).ended) {
          if (seen.has(`${id}#${testId}`)) continue
          seen.add(`${id}#${testId}`)
          onCheck?.(jobById.get(id)!, record)
        }
      }
      const now = Date.now()
      for (const worker of this.tracker.workers.values()) {
        if (worker.at < runStarted || worker.last === 'end' || killed.has(String(worker.pid))) continue
        // Loading gets more room: the first import of a spec is the slow part of a cold run.
        const limit = worker.last === 'start' ? this.opts.checkTimeoutMs + this.opts.stallMs : this.opts.loadTimeoutMs
        if (now - worker.at < limit) continue
        const reason =
          worker.last === 'start'
            ? `timed out after ${limit} ms: the code never yielded (an endless loop?), so the harness stopped it`
            : `timed out after ${limit} ms while loading (an endless loop at the top level?), so the harness stopped it`
        killed.set(String(worker.pid), reason)
        if (worker.file) killed.set(worker.file, reason)
        try {
          process.kill(worker.pid, 'SIGKILL')
        } catch {
          // already gone
        }
      }
    }
    const timer = setInterval(poll, 50)
    try {
      await Promise.race([run, untilKilledAndStuck(() => killed.size > 0 && !settled)])
    } finally {
      clearInterval(timer)
    }
    if (!settled) this.broken = true
    poll()

    return ids.map((id) => {
      const job = jobById.get(id)!
      const progress = this.tracker.module(id)
      const module = this.collector.modules.get(id)
      const killedReason = killed.get(id)
      return {
        job,
        moduleId: id,
        planned: this.collector.planned.get(id) ?? [],
        ended: [...progress.ended.values()],
        killedIn: [...progress.running.values()].map((r) => r.name),
        moduleErrors: module ? moduleErrors(module) : [],
        ...(killedReason ? { killed: killedReason } : {}),
        logs: this.collector.logs.get(id) ?? new Map(),
      }
    })
  }

  /** Frees the instance and its temporary files. */
  async close(): Promise<void> {
    this.killWorkers()
    discardSpareWorker()
    if (!this.broken) await this.vitest.close()
    rmSync(this.logDir, { recursive: true, force: true })
  }

  /** Kills every worker this session has seen that may still run (on Ctrl-C, or before closing). */
  killWorkers(): void {
    discardSpareWorker()
    this.tracker.apply(this.log.read())
    for (const worker of this.tracker.workers.values()) {
      if (worker.last === 'end') continue
      try {
        process.kill(worker.pid, 'SIGKILL')
      } catch {
        // already gone
      }
    }
  }

  // Without a file watcher vite would serve the copy of a file it compiled before the save.
  private invalidate(job: SpecJob): void {
    for (const file of typescriptFiles(this.paths.exercise(job.slug))) this.vitest.invalidateFile(file)
    if (job.target.kind !== 'attempt') {
      for (const file of typescriptFiles(this.paths.content(job.slug))) this.vitest.invalidateFile(file)
    }
  }
}

// A killed worker normally makes vitest settle at once; if it does not within 3 s, give up on it.
function untilKilledAndStuck(stuck: () => boolean): Promise<void> {
  return new Promise((resolve) => {
    let since = 0
    const timer = setInterval(() => {
      if (!stuck()) return (since = 0)
      since ||= Date.now()
      if (Date.now() - since > 3000) {
        clearInterval(timer)
        resolve()
      }
    }, 100)
    timer.unref()
  })
}

function moduleErrors(module: TestModule): ModuleOutcome['moduleErrors'] {
  return module.errors().map((e) => ({
    message: e.message ?? String(e),
    ...(e.stack ? { stack: e.stack } : {}),
    ...((e as { frame?: string }).frame ? { frame: (e as { frame?: string }).frame } : {}),
  }))
}

/** A vitest reporter that only listens: collected checks, module-level errors, console output. */
class Collector {
  planned = new Map<string, string[]>()
  modules = new Map<string, TestModule>()
  logs = new Map<string, Map<string, string[]>>()
  // Task ids are only unique within a module run, and the same spec runs once per target.
  private taskOwner = new Map<string, { moduleId: string; name: string }>()

  reset(): void {
    this.planned.clear()
    this.modules.clear()
    this.logs.clear()
    this.taskOwner.clear()
  }

  onTestModuleCollected(module: TestModule): void {
    const tests = [...module.children.allTests()]
    this.planned.set(module.moduleId, tests.map((t) => t.fullName))
    for (const t of tests) this.taskOwner.set(t.id, { moduleId: module.moduleId, name: t.fullName })
    this.taskOwner.set(module.id, { moduleId: module.moduleId, name: '' })
  }

  onTestModuleEnd(module: TestModule): void {
    this.modules.set(module.moduleId, module)
  }

  onUserConsoleLog(log: { content: string; taskId?: string }): void {
    const owner = log.taskId ? this.taskOwner.get(log.taskId) : undefined
    if (!owner) return
    const byCheck = this.logs.get(owner.moduleId) ?? new Map<string, string[]>()
    this.logs.set(owner.moduleId, byCheck)
    byCheck.set(owner.name, [...(byCheck.get(owner.name) ?? []), log.content])
  }
}
