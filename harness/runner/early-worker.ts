// A grading worker forked before vitest is even loaded. A cold grade spends ~0.25 s loading
// vitest in the harness and another ~0.25 s booting the worker process; forked first, the
// worker boots on the other core meanwhile. Vitest only takes over a worker forked exactly as
// it would fork one, so each session records how vitest forked its workers (entry point,
// flags, the variables it adds) and the next start forks alike. If the record is missing or
// stale, the early worker is simply not used and killed. Nothing here imports vitest.
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs'
import { isatty } from 'node:tty'
import path from 'node:path'
import type { ChildProcess } from 'node:child_process'
import type { CoursePaths } from '../paths.ts'
import { OutputSink } from './output-sink.ts'
import { createRunDir, type RunDir } from './run-dir.ts'
import { sandboxFlags } from './sandbox.ts'
import { WorkerRegistry } from './worker-registry.ts'
import { forkKey, spawnGradingWorker, warmEntry, type ForkSettings } from './worker-process.ts'

/** Memory one grading worker may use, in MB, unless a session says otherwise. */
export const DEFAULT_MEMORY_MB = 512

/** What a session's workers share: the temporary folder, the registry, the sink, maybe an early worker. */
export interface WorkerGround {
  runDir: RunDir
  registry: WorkerRegistry
  sink: OutputSink
  trusted: boolean
  memoryLimitMb: number
  early?: { key: string; child: ChildProcess }
}

/** The flags and variables the course adds to every grading worker. */
export function courseWorkerSettings(paths: CoursePaths, ground: WorkerGround): { execArgv: string[]; env: NodeJS.ProcessEnv } {
  const { scratch, progressLog } = ground.runDir
  const extraReadable = [warmEntry()].filter((f): f is string => !!f)
  return {
    execArgv: sandboxFlags(paths, { trusted: ground.trusted, scratchDir: scratch, heapMb: ground.memoryLimitMb, extraReadable }),
    env: { COURSE_PROGRESS_LOG: progressLog, TMPDIR: scratch, TMP: scratch, TEMP: scratch },
  }
}

/** Prepares a session's workers; forks one right away when the last session left a record of how. */
export function prepareWorkers(paths: CoursePaths, options: { trusted: boolean; memoryLimitMb?: number; forkEarly?: boolean }): WorkerGround {
  const ground: WorkerGround = {
    runDir: createRunDir(),
    registry: new WorkerRegistry(),
    sink: new OutputSink(),
    trusted: options.trusted,
    memoryLimitMb: options.memoryLimitMb ?? DEFAULT_MEMORY_MB,
  }
  const learned = options.forkEarly === false ? undefined : readLearned(paths)
  if (learned) {
    const course = courseWorkerSettings(paths, ground)
    const settings: ForkSettings = {
      entrypoint: learned.entrypoint,
      env: { ...process.env, ...learned.env, FORCE_TTY: isatty(1) ? 'true' : '', ...course.env },
      execArgv: [...learned.execArgv, ...course.execArgv],
    }
    try {
      ground.early = { key: forkKey(settings), child: spawnGradingWorker(settings, ground.registry, ground.sink) }
    } catch {
      // an early worker is an optimisation; vitest forks its own
    }
  }
  return ground
}

/** Records how vitest forked a worker (its own part only), for the next start. */
export function learnForkSettings(paths: CoursePaths, vitestPart: ForkSettings): void {
  const env = Object.fromEntries(
    Object.entries(vitestPart.env).filter(([name, value]) => name !== 'FORCE_TTY' && process.env[name] !== value),
  )
  const record: Learned = { entrypoint: vitestPart.entrypoint, execArgv: vitestPart.execArgv, env }
  const text = JSON.stringify(record)
  const file = learnedFile(paths)
  try {
    if (readFileSync(file, 'utf8') === text) return
  } catch {
    // not there yet
  }
  try {
    mkdirSync(path.dirname(file), { recursive: true })
    writeFileSync(`${file}.${process.pid}.tmp`, text)
    renameSync(`${file}.${process.pid}.tmp`, file)
  } catch {
    // a read-only install just never forks early
  }
}

interface Learned {
  entrypoint: string
  execArgv: string[]
  env: Record<string, string | undefined>
}

function learnedFile(paths: CoursePaths): string {
  return path.join(paths.root, 'node_modules', '.cache', 'api-course', 'worker-fork.json')
}

function readLearned(paths: CoursePaths): Learned | undefined {
  try {
    const data = JSON.parse(readFileSync(learnedFile(paths), 'utf8')) as Learned
    if (typeof data.entrypoint !== 'string' || !Array.isArray(data.execArgv) || typeof data.env !== 'object') return undefined
    return data
  } catch {
    return undefined
  }
}
