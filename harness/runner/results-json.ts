// The machine-readable form of a grade, in the spirit of Exercism's test-runner results.json
// (version 3): a top-level status and message, and one entry per test with its status and
// message - plus what this course adds: the HTTP exchange, WebSocket frames and
// server-sent events, the diff, the seed, the type check.
import type { CheckResult, GradeResult, TaskResult } from './results.ts'

export interface JsonTest {
  name: string
  /** The task the test belongs to, as in Exercism's results.json v3 (absent for the type check). */
  task_id?: number
  status: 'pass' | 'fail' | 'error'
  message?: string
  output?: string
  /** This course's additions. */
  timedOut?: boolean
  diff?: string
  exchange?: CheckResult['exchange']
  streams?: CheckResult['streams']
  seed?: number
}

export interface JsonResults {
  version: 3
  status: 'pass' | 'fail' | 'error'
  message?: string
  slug: string
  target: string
  seed: number
  /** This course's addition: the exercise's tasks with their checks counted. */
  tasks: TaskResult[]
  tests: JsonTest[]
}

/** The results.json-style document for one grade. */
export function toJsonResults(result: GradeResult): JsonResults {
  const tests: JsonTest[] = result.checks.map((c) => ({
    name: c.name,
    ...(c.task !== undefined ? { task_id: c.task } : {}),
    status: c.status === 'pass' ? 'pass' : c.status === 'fail' ? 'fail' : 'error',
    ...(c.message ? { message: c.message } : {}),
    ...(c.output ? { output: c.output } : {}),
    ...(c.status === 'timeout' ? { timedOut: true } : {}),
    ...(c.diff ? { diff: c.diff } : {}),
    ...(c.exchange ? { exchange: c.exchange } : {}),
    ...(c.streams ? { streams: c.streams } : {}),
    ...(c.seed !== undefined ? { seed: c.seed } : {}),
  }))
  const t = result.typecheck
  if (t.status !== 'skipped') {
    tests.push({
      name: 'type check (tsc)',
      status: t.status === 'pass' ? 'pass' : 'fail',
      ...(t.errors.length
        ? { message: t.errors.map((e) => `${e.file}:${e.line}:${e.column} ${e.code} ${e.message}`).join('\n') }
        : {}),
    })
  }
  const e = result.loadError
  const message = result.integrity?.length
    ? `this grade cannot be trusted: ${result.integrity.join('; ')}`
    : e
      ? `${e.file ? `${e.file}${e.line ? `:${e.line}` : ''}: ` : ''}${e.message}`
      : undefined
  return {
    version: 3,
    status: result.status,
    ...(message ? { message } : {}),
    slug: result.slug,
    target: result.target.kind === 'mutant' ? `mutant:${result.target.name}` : result.target.kind,
    seed: result.seed,
    tasks: result.tasks,
    tests,
  }
}
