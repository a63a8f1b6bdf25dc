// The vitest pool graded code runs in: vitest's forks pool, with three changes.
// - Each worker starts inside the sandbox (see sandbox.ts), and its stdout and stderr go to a
//   bounded sink, never to the learner's terminal (so `--json` stays one document).
// - Every worker it forks is registered, so the watchdog kills only processes the harness
//   started, and nothing is left behind when a session closes.
// - A worker that dies while vitest is stopping it (killed by the watchdog, out of memory) is
//   answered for: vitest would otherwise wait 60 s for a "stopped" message that never comes.
// In watch mode it also keeps one worker booted ahead of the next grade (~0.2 s a save).
import type { ChildProcess } from 'node:child_process'
import { ForksPoolWorker, type PoolOptions, type PoolRunnerInitializer, type PoolWorker } from 'vitest/node'
import type { OutputSink } from './output-sink.ts'
import type { WorkerRegistry } from './worker-registry.ts'
import { forkKey, spawnGradingWorker, type ForkSettings } from './worker-process.ts'

export interface CoursePoolSettings {
  /** Node flags for every worker (the sandbox and the heap limit). */
  execArgv: string[]
  /** Environment added to vitest's for every worker. */
  env: NodeJS.ProcessEnv
  registry: WorkerRegistry
  /** Where the workers' own stdout and stderr go. */
  sink: OutputSink
  /** Keep a booted worker in reserve (watch mode). */
  warm: boolean
  /** A worker the CLI forked before vitest was loaded; used if vitest asks for one forked alike. */
  early?: { key: string; child: ChildProcess }
  /** Told how vitest forks its workers, so that the next run can fork one early (see early-worker.ts). */
  onForkSettings?: (vitestPart: ForkSettings) => void
}

/** The pool to pass as vitest's `pool` option. */
export function coursePool(settings: CoursePoolSettings): PoolRunnerInitializer & { discardSpare: () => void } {
  let spare: { key: string; child: ChildProcess } | undefined = settings.early
  let reported = false

  const spawnWorker = (s: ForkSettings): ChildProcess => spawnGradingWorker(s, settings.registry, settings.sink)
  const keyOf = forkKey
  const takeSpare = (s: ForkSettings): ChildProcess | undefined => {
    const taken = spare
    spare = undefined
    if (taken && taken.key === keyOf(s) && taken.child.exitCode === null && taken.child.connected) return taken.child
    taken?.child.kill('SIGKILL')
    return undefined
  }

  class CoursePoolWorker extends ForksPoolWorker implements PoolWorker {
    override name = 'course-forks'
    // Vitest would hand transformed modules over as files in its temp folder, outside the
    // sandbox (and holding the transformed spec); over the IPC channel they stay out of reach.
    override cacheFs = false
    private stopping = false
    private stopped = false

    private get settings(): ForkSettings {
      const self = this as unknown as ForkSettings
      if (!reported) {
        reported = true
        settings.onForkSettings?.({ entrypoint: self.entrypoint, env: self.env, execArgv: self.execArgv })
      }
      return {
        entrypoint: self.entrypoint,
        env: { ...self.env, ...settings.env },
        execArgv: [...self.execArgv, ...settings.execArgv],
      }
    }

    override async start(): Promise<void> {
      const self = this as unknown as { _fork?: ChildProcess }
      const s = this.settings
      const child = takeSpare(s) ?? spawnWorker(s)
      self._fork = child
      let started = false
      child.on('message', (message: { type?: string }) => {
        if (message?.type === 'stopped') this.stopped = true
        if (message?.type === 'started') started = true
      })
      child.once('exit', (code, signal) => {
        // A worker that dies before it started (a bad flag, no memory) would leave vitest
        // waiting 60 s for "started"; one that dies while stopping, 60 s for "stopped".
        if (!started) {
          const tail = settings.registry.entry(child)?.stderrTail.trim().split('\n').slice(-3).join('\n')
          const error = new Error(`the grading worker ended before it started (${signal ?? `exit code ${code}`})${tail ? `: ${tail}` : ''}`)
          child.emit('message', { type: 'started', error, __vitest_worker_response__: true })
        }
        if (this.stopping && !this.stopped) child.emit('message', { type: 'stopped', __vitest_worker_response__: true })
      })
      if (settings.warm) setImmediate(() => (spare = { key: keyOf(s), child: spawnWorker(s) }))
    }

    override send(message: unknown): void {
      const request = message as { type?: string; context?: { files?: { filepath?: string }[] } }
      if (request?.type === 'stop') this.stopping = true
      const child = (this as unknown as { _fork?: ChildProcess })._fork
      // Which specs this worker runs: the watchdog's only trusted link from a module to a pid.
      if ((request?.type === 'run' || request?.type === 'collect') && child) {
        const entry = settings.registry.entry(child)
        for (const file of request.context?.files ?? []) if (file.filepath) entry?.files.push(file.filepath)
      }
      // A worker that is already gone cannot be told anything; its exit was answered for.
      if (child?.connected) child.send(message as never)
      else if (this.stopping && !this.stopped) child?.emit('message', { type: 'stopped', __vitest_worker_response__: true })
    }

    override async stop(): Promise<void> {
      const self = this as unknown as { _fork?: ChildProcess }
      const child = self._fork
      if (child && child.exitCode === null && child.signalCode === null) {
        const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
        // Nothing in a grading worker needs a graceful end once vitest has its results.
        child.kill('SIGKILL')
        await exited
      }
      self._fork = undefined
    }
  }

  return {
    name: 'course-forks',
    createPoolWorker: (options: PoolOptions) => new CoursePoolWorker(options),
    discardSpare: () => {
      spare?.child.kill('SIGKILL')
      spare = undefined
    },
  }
}
