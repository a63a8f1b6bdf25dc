// Grades exercises: runs the hidden specs (through a vitest session) and the type check side
// by side, and turns what they report into GradeResults. Never prints.
import { readFileSync } from 'node:fs'
import path from 'node:path'
import { stripVTControlCharacters } from 'node:util'
import type { CoursePaths } from '../paths.ts'
import type { ReportedCheck } from './collector.ts'
import { INTEGRITY_ERROR } from '../spec-kit/integrity.ts'
import { parseTaskBlockName } from '../spec-kit/task-name.ts'
import {
  gradeStatus,
  tasksOf,
  type CheckResult,
  type GradeListener,
  type GradeResult,
  type LoadError,
  type TypecheckResult,
} from './results.ts'
import type { Target } from './target-plugin.ts'
import { typescriptFiles } from '../course/exercise-files.ts'
import { typecheck } from './typecheck.ts'
import { describeAccessDenied } from './sandbox.ts'
import { graderFileChanges, snapshotGraderFiles, type GraderFilesSnapshot } from './grader-files.ts'
import { createSession, type ModuleOutcome, type SessionOptions, type VitestSession } from './vitest-session.ts'

export interface GradeRequest {
  slug: string
  target: Target
  /** Overrides the grade's seed for this request (the self-check grades solutions twice). */
  seed?: number
  /** Stop at the first failing check (the self-check only needs to know that one fails). */
  bail?: boolean
}

export interface GradeOptions {
  seed: number
  /** Type-check the graded files too (default true; mutants are never type-checked). */
  typecheck?: boolean
  onEvent?: GradeListener
}

/** A fresh random seed for a grade (printed on failure so the learner can replay it). */
export function randomSeed(): number {
  return Math.floor(Math.random() * 1_000_000) + 1
}

/** Grades with a throwaway session: what one-shot commands use. */
export async function gradeOnce(
  paths: CoursePaths,
  requests: GradeRequest[],
  options: GradeOptions,
  sessionOptions?: SessionOptions,
): Promise<GradeResult[]> {
  const session = await createSession(paths, sessionOptions)
  try {
    return await grade(session, paths, requests, options)
  } finally {
    await session.close()
  }
}

/** Grades `requests` in one vitest run on an existing session. */
export async function grade(
  session: VitestSession,
  paths: CoursePaths,
  requests: GradeRequest[],
  options: GradeOptions,
): Promise<GradeResult[]> {
  const started = Date.now()
  const { onEvent } = options
  const typechecks = requests.map((r) =>
    options.typecheck === false || r.target.kind === 'mutant'
      ? Promise.resolve<TypecheckResult>({ status: 'skipped', errors: [] })
      : typecheck(paths.root, typescriptFiles(targetDir(paths, r.slug, r.target))).then((result) => {
          onEvent?.({ type: 'typecheck', slug: r.slug, result })
          return result
        }),
  )
  const graderBefore = new Map<string, GraderFilesSnapshot>()
  for (const r of requests) if (!graderBefore.has(r.slug)) graderBefore.set(r.slug, snapshotGraderFiles(paths, r.slug))
  const graderAfter = new Map<string, GraderFilesSnapshot>()
  const outcomes = await session.run(requests, options.seed, (job, record) =>
    onEvent?.({ type: 'check', slug: job.slug, target: job.target, check: toCheck(record) }),
  )
  const typeResults = await Promise.all(typechecks)
  const after = (slug: string) => {
    if (!graderAfter.has(slug)) graderAfter.set(slug, snapshotGraderFiles(paths, slug))
    return graderAfter.get(slug)!
  }
  return outcomes.map((outcome, i) => {
    const request = requests[i]!
    if (outcome.killed) onEvent?.({ type: 'killed', slug: request.slug, reason: outcome.killed })
    const assembled = assemble(outcome, paths)
    const { checks, loadError } = assembled
    const integrity = [
      ...assembled.integrity,
      ...graderFileChanges(graderBefore.get(request.slug)!, after(request.slug), paths.root),
    ]
    const typecheckResult = typeResults[i]!
    return {
      slug: request.slug,
      target: request.target,
      seed: request.seed ?? options.seed,
      status: gradeStatus(checks, typecheckResult, loadError, integrity),
      checks,
      tasks: tasksOf(checks, taskTitles(names(outcome))),
      typecheck: typecheckResult,
      ...(loadError ? { loadError } : {}),
      ...(integrity.length ? { integrity } : {}),
      durationMs: Date.now() - started,
    }
  })
}

/** The folder whose files a target grades (mutants live in content/). */
export function targetDir(paths: CoursePaths, slug: string, target: Target): string {
  switch (target.kind) {
    case 'attempt':
      return paths.exercise(slug)
    case 'solution':
      return paths.solution(slug)
    case 'stub':
      return paths.stub(slug)
    case 'mutant':
      return paths.mutantsDir(slug)
  }
}

/** Turns one module's raw outcome into checks, or into a load error when the code never ran. */
export function assemble(
  outcome: ModuleOutcome,
  paths: CoursePaths,
): { checks: CheckResult[]; loadError?: LoadError; integrity: string[] } {
  const ended = new Map(outcome.ended.map((r) => [r.name, r]))
  const names = outcome.planned.length ? outcome.planned : [...ended.keys(), ...outcome.killedIn]
  const integrity = [...outcome.integrity]
  const tampered = outcome.ended.find((r) => r.errors.some((e) => e.name === INTEGRITY_ERROR))
  if (tampered) integrity.unshift(tampered.errors.find((e) => e.name === INTEGRITY_ERROR)!.message)
  const checks: CheckResult[] = names.map((name) => {
    const record = ended.get(name)
    if (record) return withLogs(toCheck(record), outcome.logs.get(name), paths.root)
    const { name: short, task } = splitName(name)
    const where = { name: short, ...(task !== undefined ? { task } : {}) }
    if (outcome.killedIn.includes(name)) {
      return { ...where, status: 'timeout', message: outcome.killed ?? 'timed out: the check never finished' }
    }
    return { ...where, status: 'not-run', message: 'not run: an earlier check had to be stopped' }
  })

  const codeDir = targetDir(paths, outcome.job.slug, outcome.job.target)
  if (outcome.moduleErrors.length && outcome.ended.length === 0) {
    return { checks: [], loadError: describeLoadError(outcome.moduleErrors[0]!, paths, codeDir), integrity }
  }
  if (outcome.killed && outcome.ended.length === 0 && outcome.killedIn.length === 0) {
    const file = path.relative(paths.root, path.join(codeDir, 'app.ts'))
    return { checks: [], loadError: { file, message: `This file never finished loading: ${outcome.killed}` }, integrity }
  }
  const missing = missingExport(checks)
  if (missing) {
    const file = path.relative(paths.root, path.join(codeDir, 'app.ts'))
    return { checks: [], loadError: { file, message: `This file does not export a function named \`${missing}\`. Keep the \`export function ${missing}(...)\` the stub started with.` }, integrity }
  }
  return { checks, integrity }
}

/** One check's result as vitest reported it. */
export function toCheck(record: ReportedCheck): CheckResult {
  const error = record.errors[0]
  const exchanges = record.meta?.exchanges ?? []
  const focus = record.meta?.focus
  const exchange = focus !== undefined ? exchanges[focus] : exchanges[exchanges.length - 1]
  const timedOut =
    record.state === 'fail' &&
    (error?.name === 'NoResponseError' || /^Test timed out in \d+ms/.test(error?.message ?? ''))
  let message = error?.message
  // vitest's "// Object.is equality" says how it compared, not what was wrong.
  if (message) message = message.replace(/\s*\/\/ Object\.is equality/g, '')
  if (message && /^Test timed out in (\d+)ms/.test(message)) {
    const ms = /^Test timed out in (\d+)ms/.exec(message)![1]
    message = `timed out after ${ms} ms: the check never finished (an await that never resolves?)`
  }
  const { name, task } = splitName(record.name)
  return {
    name,
    ...(task !== undefined ? { task } : {}),
    status: record.state === 'pass' ? 'pass' : timedOut ? 'timeout' : 'fail',
    ...(record.state === 'fail' && message ? { message } : {}),
    ...(record.state === 'fail' && error?.diff ? { diff: error.diff } : {}),
    ...(exchange ? { exchange } : {}),
    ...(exchanges.length ? { exchangeCount: exchanges.length } : {}),
    ...(record.state === 'fail' && Array.isArray(record.meta?.streams) && record.meta.streams.length ? { streams: record.meta.streams } : {}),
    ...(record.meta?.seed !== undefined ? { seed: record.meta.seed } : {}),
    ...(Array.isArray(record.meta?.apps) && record.meta.apps.length ? { apps: record.meta.apps.map(String) } : {}),
    durationMs: record.durationMs,
  }
}

function withLogs(check: CheckResult, logs: string | undefined, root: string): CheckResult {
  if (!logs) return check
  const output = stripVTControlCharacters(logs)
  // A refused fs write or spawn in a handler shows up as a 500; say what the wall was.
  const denied = check.status === 'pass' ? undefined : describeAccessDenied(output, root)
  return { ...check, output, ...(denied ? { message: `${check.message ?? ''}\n(${denied})`.trim() } : {}) }
}

// "users-crud > Task 2: Create a user > answers 201" -> task 2, "answers 201": the exercise and
// the task are said elsewhere in the report.
function splitName(fullName: string): { name: string; task?: number } {
  const parts = fullName.split(' > ')
  const rest = parts.length > 1 ? parts.slice(1) : parts
  const task = rest.length > 1 ? parseTaskBlockName(rest[0]!) : undefined
  return task ? { name: rest.slice(1).join(' > '), task: task.id } : { name: rest.join(' > ') }
}

function names(outcome: ModuleOutcome): string[] {
  return outcome.planned.length ? outcome.planned : outcome.ended.map((r) => r.name)
}

// Task titles come from the spec's own describe blocks, as vitest reported their names.
function taskTitles(fullNames: string[]): Map<number, string> {
  const titles = new Map<number, string>()
  for (const fullName of fullNames) {
    const parts = fullName.split(' > ')
    const task = parts.length > 2 ? parseTaskBlockName(parts[1]!) : undefined
    if (task && !titles.has(task.id)) titles.set(task.id, task.title)
  }
  return titles
}

// Every check failing with "createApp is not a function" means the export is missing or renamed.
function missingExport(checks: CheckResult[]): string | undefined {
  if (!checks.length) return undefined
  let name: string | undefined
  for (const c of checks) {
    const m = /\b(create\w+)\)? is not a function/.exec(c.message ?? '')
    if (c.status === 'pass' || !m) return undefined
    name = m[1]
  }
  return name
}

/** A load failure as the learner should read it: their file and line, the message, the code frame. */
export function describeLoadError(
  error: { message: string; stack?: string; frame?: string },
  paths: CoursePaths,
  codeDir?: string,
): LoadError {
  const dirs = [codeDir, paths.solutionsDir, paths.exercisesDir].filter((d): d is string => !!d)
  const text = stripVTControlCharacters(`${error.message}\n${error.stack ?? ''}`)
  let location: { file: string; line?: number; column?: number } | undefined
  for (const dir of dirs) {
    const escaped = dir.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
    const m = new RegExp(`(${escaped}[^\\s:()'"]*\\.ts)(?::(\\d+)(?::(\\d+))?)?`).exec(text)
    if (m) {
      location = {
        file: path.relative(paths.root, m[1]!),
        ...(m[2] ? { line: Number(m[2]) } : {}),
        ...(m[3] ? { column: Number(m[3]) } : {}),
      }
      break
    }
  }
  // The compiler's own report names the file relative to the course: "╭─[ exercises/x/app.ts:18:1 ]".
  const framed = /╭─\[\s*([^\]:]+\.ts):(\d+):(\d+)\s*\]/.exec(text)
  if (framed && (!location || location.line === undefined)) {
    location = { file: path.relative(paths.root, path.resolve(paths.root, framed[1]!)), line: Number(framed[2]), column: Number(framed[3]) }
  }
  const syntax = /\[PARSE_ERROR\]|Transform failed|SyntaxError|Unexpected token|Expected .* but found/.test(text)
  const denied = describeAccessDenied(text, paths.root)
  if (syntax && !denied) {
    // One sentence and a frame of the learner's own lines, instead of the compiler's banner.
    const firstLine = text.split('\n').find((l) => l.trim() && !/^Transform failed/.test(l) && !/^\s+at /.test(l))
    const reason =
      /\[PARSE_ERROR\]\s*(?:Error:\s*)?([^\n]+)/.exec(text)?.[1] ??
      /SyntaxError:\s*([^\n]+)/.exec(text)?.[1] ??
      /ERROR:\s*([^\n]+)/.exec(text)?.[1] ??
      firstLine ??
      'the code does not parse'
    const frame = location?.line ? sourceFrame(path.join(paths.root, location.file), location.line, location.column) : undefined
    return {
      message: `Syntax error: ${reason.trim().replace(/\.$/, '')}. Fix it and save; nothing can run until the file parses.`,
      syntax: true,
      ...(location ?? {}),
      ...(frame ? { frame } : {}),
    }
  }
  // Keep the compiler's own lines ("Transform failed with 1 error:" says little alone), not vitest's.
  const message = denied ? `Your code ${denied.replace(/^your code /, '')}` : stripVTControlCharacters(error.message)
    .split('\n')
    .filter((line) => line.trim() && !/^\s+at /.test(line))
    .slice(0, 4)
    .join('\n')
    .replaceAll(paths.root + path.sep, '')
    .replace(/^\[vite\] /, '')
  return { message, ...(location ?? {}), ...(error.frame ? { frame: error.frame } : {}) }
}

/** Lines around `line` of `file` with the line marked and a caret under `column` (1-based). */
export function sourceFrame(file: string, line: number, column?: number): string | undefined {
  let lines: string[]
  try {
    lines = readFileSync(file, 'utf8').split('\n')
  } catch {
    return undefined
  }
  if (line < 1 || line > lines.length + 1) return undefined
  const from = Math.max(1, line - 2)
  const to = Math.min(lines.length, line + 1)
  const width = String(to).length
  const out: string[] = []
  for (let n = from; n <= to; n++) {
    out.push(`${n === line ? '>' : ' '} ${String(n).padStart(width)} | ${lines[n - 1] ?? ''}`)
    if (n === line && column) out.push(`  ${' '.repeat(width)} | ${' '.repeat(Math.max(0, column - 1))}^`)
  }
  return out.join('\n')
}
