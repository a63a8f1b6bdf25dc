// A vitest pool for watch mode that keeps one worker process booted ahead of time. A grade
// in watch mode spends most of its time starting a fresh fork (Node plus vitest's worker
// runtime, ~200 ms on 2 cores); starting the next fork while the learner is still typing takes
// that off the path from "save" to "verdict". Each grade still gets a fresh process, so one
// attempt's state never leaks into the next, and the watchdog can kill it as before.
import { fork, type ChildProcess } from 'node:child_process'
import { existsSync } from 'node:fs'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { ForksPoolWorker, type PoolOptions, type PoolRunnerInitializer, type PoolWorker } from 'vitest/node'

interface Spare {
  key: string
  child: ChildProcess
}

let spare: Spare | undefined

// What ForksPoolWorker passes to fork(): a spare is only usable if it was forked alike.
interface ForkSettings {
  entrypoint: string
  env: NodeJS.ProcessEnv
  execArgv: string[]
}

function keyOf(s: ForkSettings): string {
  return JSON.stringify([s.entrypoint, s.execArgv, s.env])
}

// Compiled next to this file; it preloads the specs' common packages, then runs vitest's entry.
const WARM_ENTRY = fileURLToPath(new URL('./warm-worker.js', import.meta.url))

function spawnSpare(s: ForkSettings): void {
  const preloading = existsSync(WARM_ENTRY)
  const child = fork(preloading ? WARM_ENTRY : s.entrypoint, [], {
    env: preloading ? { ...s.env, COURSE_VITEST_FORKS_ENTRY: pathToFileURL(s.entrypoint).href } : s.env,
    execArgv: s.execArgv,
    stdio: 'pipe',
    serialization: 'advanced',
  })
  child.on('error', () => {})
  spare = { key: keyOf(s), child }
}

function takeSpare(s: ForkSettings): ChildProcess | undefined {
  const taken = spare
  spare = undefined
  if (taken && taken.key === keyOf(s) && taken.child.exitCode === null && taken.child.connected) return taken.child
  taken?.child.kill('SIGKILL')
  return undefined
}

/** Kills the spare worker, if any (when the watch ends). */
export function discardSpareWorker(): void {
  spare?.child.kill('SIGKILL')
  spare = undefined
}

class WarmForksPoolWorker extends ForksPoolWorker implements PoolWorker {
  override name = 'course-warm-forks'

  override async start(): Promise<void> {
    const self = this as unknown as ForkSettings & { _fork?: ChildProcess }
    const settings: ForkSettings = { entrypoint: self.entrypoint, env: self.env, execArgv: self.execArgv }
    self._fork ??= takeSpare(settings)
    await super.start()
    // Boot the next one now, while this one runs the grade.
    setImmediate(() => spawnSpare(settings))
  }
}

/** The pool to pass as vitest's `pool` option. */
export const warmForksPool: PoolRunnerInitializer = {
  name: 'course-warm-forks',
  createPoolWorker: (options: PoolOptions) => new WarmForksPoolWorker(options),
}
