// A long-lived vitest instance that runs hidden specs against chosen targets. One-shot grades
// create one and close it; watch mode keeps it warm between saves. Vitest is configured in
// memory (no config file to load), with the spec kit's setup file, the target plugin and the
// course's own pool (sandboxed, registered workers: see course-pool.ts and sandbox.ts).
//
// What a check did comes only from vitest's reporter (collector.ts). Vitest alone cannot stop a
// learner's `while (true) {}`, so the session also tails a progress record the setup file
// writes synchronously: the watchdog (watchdog.ts) uses it to name the check a worker is stuck
// in and kills that worker. The record can name a stuck check; it never makes one pass.
import path from 'node:path'
import type { TestModule, Vitest } from 'vitest/node'
import { createVitest } from 'vitest/node'
import type { CoursePaths } from '../paths.ts'
import { typescriptFiles } from '../course/exercise-files.ts'
import { CheckLists } from './check-lists.ts'
import { Collector, type ReportedCheck } from './collector.ts'
import { coursePool } from './course-pool.ts'
import { courseWorkerSettings, DEFAULT_MEMORY_MB, learnForkSettings, prepareWorkers, type WorkerGround } from './early-worker.ts'
import { sinkStream } from './output-sink.ts'
import { ProgressLogReader, ProgressTracker } from './progress-log.ts'
import type { RunDir } from './run-dir.ts'
import { importGuardPlugin, specModuleId, targetPlugin, type Target } from './target-plugin.ts'
import { Watchdog } from './watchdog.ts'
import type { WorkerRegistry } from './worker-registry.ts'

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
  /** Only the course's own code is graded (the self-check): workers may read the whole course. */
  trusted?: boolean
  /** Memory one grading worker may use, in MB. */
  memoryLimitMb?: number
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
  /** Checks the spec declares, in order: the trusted list when known, else what the worker reported. */
  planned: string[]
  /** What vitest reported for each check that ran. */
  ended: ReportedCheck[]
  /** Checks that were running when their worker was killed. */
  killedIn: string[]
  /** Why the module failed as a whole (a load error), with vitest's code frame if any. */
  moduleErrors: { message: string; stack?: string; frame?: string }[]
  killed?: string
  /** Ways this run's report disagrees with the spec (forged or missing checks). */
  integrity: string[]
  /** Console output of the learner's code, per check name. */
  logs: Map<string, string>
}

export type CheckListener = (job: SpecJob, check: ReportedCheck) => void

const DEFAULTS = {
  checkTimeoutMs: 3000,
  stallMs: 2000,
  loadTimeoutMs: 15_000,
  shareWorkers: false,
  maxWorkers: 2,
  warmWorkers: false,
  trusted: false,
  memoryLimitMb: DEFAULT_MEMORY_MB,
}

/** Where the lists of checks collected from trusted runs are kept between runs. */
function checkListCache(paths: CoursePaths): string {
  return path.join(paths.root, 'node_modules', '.cache', 'api-course', 'check-lists.json')
}

/**
 * Creates a vitest session for the course at `paths.root`. `ground` is what prepareWorkers()
 * set up before vitest was loaded (the CLI does that first, to fork a worker early).
 */
export async function createSession(paths: CoursePaths, options: SessionOptions = {}, ground?: WorkerGround): Promise<VitestSession> {
  const opts = { ...DEFAULTS, ...options }
  // A ground prepared for other walls (a solution grade vs an attempt) is not used.
  if (ground && ground.trusted !== opts.trusted) {
    ground.registry.killAll()
    ground.runDir.remove()
    ground = undefined
  }
  const workers = ground ?? prepareWorkers(paths, { trusted: opts.trusted, memoryLimitMb: opts.memoryLimitMb, forkEarly: false })
  const { runDir, registry, sink } = workers
  const course = courseWorkerSettings(paths, workers)
  const pool = coursePool({
    execArgv: course.execArgv,
    env: course.env,
    registry,
    sink,
    warm: opts.warmWorkers,
    ...(workers.early ? { early: workers.early } : {}),
    onForkSettings: (vitestPart) => learnForkSettings(paths, vitestPart),
  })
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
      pool,
      isolate: !opts.shareWorkers,
      maxWorkers: opts.maxWorkers,
      fileParallelism: true,
      reporters: [collector],
      silent: false,
      printConsoleTrace: false,
      passWithNoTests: true,
      experimental: { fsModuleCache: true },
      // Snapshots are not used; pointing them at the scratch folder keeps the workers' lookups inside the sandbox.
      resolveSnapshotPath: (testPath: string, extension: string) =>
        path.join(runDir.scratch, 'snapshots', `${path.basename(testPath)}${extension}`),
    },
    {
      plugins: [
        importGuardPlugin({ exercises: paths.exercisesDir, solutions: paths.solutionsDir, content: paths.contentDir }),
        targetPlugin({ exercises: paths.exercisesDir, solutions: paths.solutionsDir, content: paths.contentDir, harness: path.dirname(path.dirname(paths.specKitSetup)), untrusted: !opts.trusted }),
      ],
      logLevel: 'silent',
      clearScreen: false,
    },
    { stdout: sinkStream(sink), stderr: sinkStream(sink) },
  )
  // Vitest's logger exits the process on SIGINT/SIGTERM. The harness handles those itself (kill
  // the workers, save progress, restore the terminal), so it takes them back.
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    for (const listener of process.listeners(signal)) {
      if (!before[signal].includes(listener)) process.off(signal, listener)
    }
  }
  const lists = new CheckLists(checkListCache(paths), path.dirname(paths.specKitSetup))
  return new VitestSession(vitest, paths, collector, runDir, registry, pool.discardSpare, lists, opts)
}

export class VitestSession {
  private readonly tracker = new ProgressTracker()
  private readonly log: ProgressLogReader
  /** Set when a killed run never settled: the instance must not be reused. */
  broken = false

  constructor(
    private readonly vitest: Vitest,
    private readonly paths: CoursePaths,
    private readonly collector: Collector,
    private readonly runDir: RunDir,
    private readonly registry: WorkerRegistry,
    private readonly discardSpare: () => void,
    private readonly lists: CheckLists,
    private readonly opts: Required<SessionOptions>,
  ) {
    this.log = new ProgressLogReader(runDir.progressLog)
  }

  /** Runs each job's spec against its target; resolves when all ended or were killed. */
  async run(jobs: SpecJob[], seed: number, onCheck?: CheckListener): Promise<ModuleOutcome[]> {
    const project = this.vitest.getRootProject()
    project.provide('courseSeed', seed)
    const ids = jobs.map((job) => specModuleId(this.paths.spec(job.slug), job.target, job.seed, job.bail))
    const jobById = new Map(ids.map((id, i) => [id, jobs[i]!]))
    const keys = new Map(jobs.map((job) => [job.slug, this.lists.keyOf(this.paths.spec(job.slug))]))
    // An attempt is compared with the checks a trusted run declared; if none is known yet, the
    // spec is collected against its pristine stub in the same run (every check skipped).
    const collectIds = new Map<string, string>()
    for (const job of jobs) {
      if (job.target.kind !== 'attempt' || this.lists.get(keys.get(job.slug)!) || collectIds.has(job.slug)) continue
      collectIds.set(job.slug, specModuleId(this.paths.spec(job.slug), { kind: 'stub' }, undefined, false, true))
    }
    for (const job of jobs) this.invalidate(job)
    this.collector.reset((moduleId, check) => {
      const job = jobById.get(moduleId)
      if (job) onCheck?.(job, check)
    })
    this.log.read() // skip whatever earlier runs left
    this.registry.forgetExited()
    for (const id of ids) this.tracker.modules.delete(id)

    let settled = false
    const all = [...ids, ...collectIds.values()]
    const run = this.vitest
      .runTestSpecifications(all.map((id) => project.createSpecification(id)))
      .finally(() => (settled = true))
    const watchdog = new Watchdog(this.registry, this.tracker, this.log, this.opts)
    watchdog.start()
    try {
      await Promise.race([run, watchdog.untilKilledAndStuck(() => !settled)])
    } finally {
      watchdog.stop()
    }
    if (!settled) this.broken = true
    const killed = watchdog.killedModules()

    // Trusted runs record the checks their spec declares, for later attempts to be held to.
    for (const [slug, id] of [...jobs.map((job, i) => [job.slug, ids[i]!] as const), ...collectIds]) {
      const job = jobById.get(id)
      if (job?.target.kind === 'attempt') continue
      const module = this.collector.modules.get(id)
      const planned = this.collector.planned.get(id)
      if (module && planned?.length && moduleErrors(module).length === 0 && !killed.has(id)) this.lists.set(keys.get(slug)!, planned)
    }

    return ids.map((id) => {
      const job = jobById.get(id)!
      const progress = this.tracker.module(id)
      const module = this.collector.modules.get(id)
      const reported = this.collector.planned.get(id) ?? []
      const trusted = job.target.kind === 'attempt' ? this.lists.get(keys.get(job.slug)!) : reported
      const ended = this.collector.results.get(id) ?? []
      // A module vitest never got to run (its worker failed to start) is explained by the run's errors.
      const killedReason = killed.get(id)
      const errors = module ? moduleErrors(module) : this.collector.runErrors.length && !killedReason ? [this.workerDeath()] : []
      const integrity =
        job.target.kind === 'attempt' ? integrityProblems(trusted, reported, ended, this.collector.skipped.get(id) ?? [], errors.length > 0 || !!killedReason) : []
      const planned = trusted ?? reported
      return {
        job,
        moduleId: id,
        planned: reported.length || errors.length === 0 ? planned : [],
        ended: ended.filter((c) => planned.includes(c.name)),
        killedIn: [...progress.running.values()].map((r) => r.name).filter((n) => planned.includes(n)),
        moduleErrors: errors,
        ...(killedReason ? { killed: killedReason } : {}),
        integrity,
        logs: this.collector.logs(id),
      }
    })
  }

  /** Frees the instance and its temporary files. */
  async close(): Promise<void> {
    this.discardSpare()
    if (this.broken) this.registry.killAll()
    else {
      // Vitest stops its own workers; only then is anything still alive a leftover to kill.
      await Promise.race([this.vitest.close(), new Promise((resolve) => setTimeout(resolve, 10_000).unref())])
    }
    this.registry.killAll()
    await this.registry.settled()
    this.runDir.remove()
  }

  /** Ctrl-C: kills every worker at once and removes the temporary files (synchronous). */
  abort(): void {
    this.discardSpare()
    this.registry.killAll()
    this.runDir.remove()
  }

  // What the workers said before they died, for a run that never reached a spec.
  private workerDeath(): { message: string } {
    const said = this.registry
      .all()
      .map((e) => e.stderrTail.split('\n').filter((l) => !/^\(node:\d+\) |^\(Use `node --trace/.test(l)).join('\n').trim())
      .filter(Boolean)
      .at(-1)
    const lines = said?.split('\n') ?? []
    const telling = lines.filter((l) => /Error|FATAL|ERR_/.test(l)).slice(0, 2)
    const reason = lines.length ? (telling.length ? telling : lines.slice(-3)).join('\n') : this.collector.runErrors[0]!.message
    return { message: `The grading worker process stopped before it could run the checks:\n${reason}` }
  }

  // Without a file watcher vite would serve the copy of a file it compiled before the save.
  private invalidate(job: SpecJob): void {
    for (const file of typescriptFiles(this.paths.exercise(job.slug))) this.vitest.invalidateFile(file)
    if (job.target.kind !== 'attempt') {
      for (const file of typescriptFiles(this.paths.content(job.slug))) this.vitest.invalidateFile(file)
    }
  }
}

/**
 * How an attempt's report departs from the spec's trusted list of checks. Code under test runs
 * beside the assertions, so it could register checks of its own or skip the spec's.
 */
export function integrityProblems(
  trusted: string[] | undefined,
  reported: string[],
  ended: ReportedCheck[],
  skipped: string[],
  failedAsAWhole: boolean,
): string[] {
  if (!trusted) return failedAsAWhole ? [] : ['the spec\'s list of checks could not be established, so this grade cannot be trusted']
  const problems: string[] = []
  const known = new Set(trusted)
  const foreign = [...new Set([...reported, ...ended.map((c) => c.name)])].filter((n) => !known.has(n))
  if (foreign.length) problems.push(`the run reported checks the spec does not have: ${foreign.map((n) => `"${n}"`).join(', ')}`)
  if (!failedAsAWhole) {
    const missing = trusted.filter((n) => !reported.includes(n))
    if (missing.length) problems.push(`${missing.length} of the spec's checks were not collected`)
    const dropped = trusted.filter((n) => skipped.includes(n))
    if (dropped.length) problems.push(`${dropped.length} of the spec's checks were skipped`)
  }
  return problems
}

function moduleErrors(module: TestModule): ModuleOutcome['moduleErrors'] {
  return module.errors().map((e) => ({
    message: e.message ?? String(e),
    // The permission model names what was refused in fields of its own.
    ...(e.stack ? { stack: `${e.stack}${deniedFields(e)}` } : {}),
    ...((e as { frame?: string }).frame ? { frame: (e as { frame?: string }).frame } : {}),
  }))
}

function deniedFields(error: object): string {
  const { permission, resource } = error as { permission?: unknown; resource?: unknown }
  return typeof permission === 'string' ? `\n  permission: '${permission}',\n  resource: '${String(resource ?? '')}'` : ''
}
