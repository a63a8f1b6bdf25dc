// What a grade produces: plain data, no formatting. The terminal UI, --json and the course
// self-check all read these shapes.
import type { Exchange, StreamLog } from '../spec-kit/state.ts'
import type { Target } from './target-plugin.ts'

export type { Exchange, StreamLog }

export type CheckStatus = 'pass' | 'fail' | 'timeout' | 'not-run'

/** One `it` of a hidden spec, as the learner sees it. */
export interface CheckResult {
  /** The check's name, without the exercise and the task. */
  name: string
  status: CheckStatus
  /** The number of the task the check belongs to (specs group checks with the kit's `task`). */
  task?: number
  /** Why it failed, in the spec's words (an assertion message, a timeout...). */
  message?: string
  /** Expected vs received, as a line diff ("- Expected" / "+ Received"). */
  diff?: string
  /** The exchange the failure is about: the one a matcher pointed at, else the last one sent. */
  exchange?: Exchange
  /** How many requests the check sent in all. */
  exchangeCount?: number
  /** The WebSockets and event streams the check opened, with the frames and events exchanged. */
  streams?: StreamLog[]
  /** Set when the check drew random data: replaying with this seed reproduces it. */
  seed?: number
  /** How each app the check built was configured, when the spec said (the kit's `build`). */
  apps?: string[]
  /** What the learner's code printed with console.log during the check. */
  output?: string
  durationMs?: number
}

export interface SourceLocation {
  file: string
  line?: number
  column?: number
}

/** The learner's code could not even be loaded: a syntax error, a throw at import time, a missing export. */
export interface LoadError extends Partial<SourceLocation> {
  message: string
  /** The code does not parse: the type check's errors say the same thing again, so the report leaves them out. */
  syntax?: boolean
  /** A few lines of source around the problem, when known. */
  frame?: string
}

export interface TypeDiagnostic extends SourceLocation {
  code: string
  message: string
}

export interface TypecheckResult {
  status: 'pass' | 'fail' | 'skipped'
  errors: TypeDiagnostic[]
  /** Why it was skipped or could not run. */
  note?: string
}

export type GradeStatus = 'pass' | 'fail' | 'error'

/** One numbered task of an exercise, as this grade found it. */
export interface TaskResult {
  id: number
  title: string
  passed: number
  total: number
}

export interface GradeResult {
  slug: string
  target: Target
  seed: number
  /** pass: every check and the type check passed; error: the code could not be loaded or run. */
  status: GradeStatus
  checks: CheckResult[]
  /** The exercise's tasks in order, with their checks counted (empty for a spec without tasks). */
  tasks: TaskResult[]
  typecheck: TypecheckResult
  loadError?: LoadError
  /** Why this grade cannot be trusted (the code under test tampered with the grader); any makes it an error. */
  integrity?: string[]
  durationMs: number
}

/** What the runner reports while it works, so that a spinner or a web view can follow along. */
export type GradeEvent =
  | { type: 'check'; slug: string; target: Target; check: CheckResult }
  | { type: 'typecheck'; slug: string; result: TypecheckResult }
  | { type: 'killed'; slug: string; reason: string }

export type GradeListener = (event: GradeEvent) => void

/** Groups checks into their tasks, in task order. */
export function tasksOf(checks: CheckResult[], titles: Map<number, string>): TaskResult[] {
  const tasks = new Map<number, TaskResult>()
  for (const check of checks) {
    if (check.task === undefined) continue
    const task = tasks.get(check.task) ?? { id: check.task, title: titles.get(check.task) ?? `Task ${check.task}`, passed: 0, total: 0 }
    task.total++
    if (check.status === 'pass') task.passed++
    tasks.set(check.task, task)
  }
  return [...tasks.values()].sort((a, b) => a.id - b.id)
}

/** The task a learner is on: the first one with a check that does not pass. */
export function currentTask(result: Pick<GradeResult, 'tasks'>): TaskResult | undefined {
  return result.tasks.find((t) => t.passed < t.total)
}

/** The overall status from the parts. */
export function gradeStatus(
  checks: CheckResult[],
  typecheck: TypecheckResult,
  loadError?: LoadError,
  integrity: string[] = [],
): GradeStatus {
  if (loadError || integrity.length) return 'error'
  if (checks.length === 0) return 'error'
  const allPass = checks.every((c) => c.status === 'pass')
  return allPass && typecheck.status !== 'fail' ? 'pass' : 'fail'
}
