// Starting one grading worker process, and what it takes for a process started ahead of time
// to be usable: vitest hands a worker over only if it was forked exactly as vitest would have
// forked it. No vitest import here: the CLI forks a worker before it loads vitest (see
// early-worker.ts), so that the two start-ups overlap.
import { fork, type ChildProcess } from 'node:child_process'
import { existsSync } from 'node:fs'
import { fileURLToPath, pathToFileURL } from 'node:url'
import type { OutputSink } from './output-sink.ts'
import type { WorkerRegistry } from './worker-registry.ts'

export interface ForkSettings {
  entrypoint: string
  env: NodeJS.ProcessEnv
  execArgv: string[]
}

// Compiled next to this file; it preloads the specs' common packages, then runs vitest's entry.
const WARM_ENTRY = fileURLToPath(new URL('./warm-worker.js', import.meta.url))

/** The file a worker starts from before vitest's entry, if built (the sandbox must let it be read). */
export function warmEntry(): string | undefined {
  return existsSync(WARM_ENTRY) ? WARM_ENTRY : undefined
}

/** Forks a grading worker, registered and with its output going to the sink. */
export function spawnGradingWorker(s: ForkSettings, registry: WorkerRegistry, sink: OutputSink): ChildProcess {
  const entry = warmEntry()
  const child = fork(entry ?? s.entrypoint, [], {
    env: entry ? { ...s.env, COURSE_VITEST_FORKS_ENTRY: pathToFileURL(s.entrypoint).href } : s.env,
    execArgv: s.execArgv,
    stdio: 'pipe',
    serialization: 'advanced',
  })
  child.on('error', () => {})
  child.stdout?.on('data', (chunk: Buffer) => sink.write(chunk))
  child.stderr?.on('data', (chunk: Buffer) => sink.write(chunk))
  registry.add(child)
  return child
}

/** Two fork settings are the same worker when these keys are equal (the environment as it differs from ours). */
export function forkKey(s: ForkSettings): string {
  const env = Object.entries(s.env)
    .filter(([name, value]) => process.env[name] !== value)
    .sort(([a], [b]) => a.localeCompare(b))
  const dropped = Object.keys(process.env).filter((name) => !(name in s.env)).sort()
  return JSON.stringify([s.entrypoint, s.execArgv, env, dropped])
}
