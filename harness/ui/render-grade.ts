// Renders a GradeResult for the terminal: the task you are on, each check, and for failing
// checks what was asked, what came back and what was expected; the verdict last. Nothing of the
// harness's own stack.
import { currentTask, type CheckResult, type GradeResult } from '../runner/results.ts'
import type { Colors } from './output.ts'
import { renderExchange, renderStream } from './render-exchange.ts'

export interface RenderOptions {
  /** How many failing checks to show in full; the rest are listed by name. */
  detailed?: number
  /** Lines the detailed failures may take together (the report should fit on one screen). */
  detailBudget?: number
}

const MARK: Record<CheckResult['status'], string> = { pass: '✓', fail: '✗', timeout: '⧗', 'not-run': '-' }

/**
 * The full report of one grade. With tasks: the task you are on with its checks (the first
 * failing ones in full), every other task one line. The verdict comes last, so that it is the
 * last thing on screen after every re-grade.
 */
export function renderGrade(result: GradeResult, c: Colors, options: RenderOptions = {}): string {
  const detailed = options.detailed ?? 3
  const out: string[] = []
  const current = currentTask(result)
  if (current && !result.loadError && !result.integrity?.length) {
    out.push(c.bold(`${result.slug} · Task ${current.id} of ${result.tasks.length}: ${current.title}`), '')
  }
  if (result.integrity?.length) {
    out.push(...result.integrity.map((problem) => `  ${c.red(problem)}`), '')
  }
  if (result.loadError) {
    const e = result.loadError
    const where = e.file ? `${e.file}${e.line ? `:${e.line}${e.column ? `:${e.column}` : ''}` : ''}` : ''
    if (where) out.push(`  ${c.bold(where)}`)
    out.push(...e.message.split('\n').map((l) => `  ${c.red(l)}`))
    if (e.frame) out.push('', ...e.frame.split('\n').map((l) => `    ${l}`))
    out.push('')
  }
  const budget = { full: detailed, detailed, lines: options.detailBudget ?? 30, skipped: 0 }
  if (result.tasks.length && !result.loadError) {
    for (const task of result.tasks) {
      const checks = result.checks.filter((ch) => ch.task === task.id)
      const done = task.passed === task.total
      const count = c.dim(`${task.passed} of ${task.total}`)
      if (task === current) {
        out.push(`  ${c.red('✗')} ${c.bold(`Task ${task.id}: ${task.title}`)}  ${count}`)
        out.push(...renderChecks(checks, c, budget, '    '))
        if (budget.skipped) {
          if (out.at(-1) !== '') out.push('')
          out.push(c.dim(`    (${budget.skipped} failing check${budget.skipped > 1 ? 's' : ''} not shown in full: fix the ones above first)`))
          budget.skipped = 0
        }
        if (out.at(-1) !== '') out.push('')
      } else if (done) {
        out.push(`  ${c.green('✓')} Task ${task.id}: ${task.title}  ${count}`)
      } else {
        out.push(c.dim(`  · Task ${task.id}: ${task.title}  ${task.passed} of ${task.total}`))
      }
    }
    const untasked = result.checks.filter((ch) => ch.task === undefined)
    if (untasked.length) out.push(...renderChecks(untasked, c, budget, '  '))
  } else {
    out.push(...renderChecks(result.checks, c, budget, '  '))
  }
  const hidden = budget.skipped
  if (hidden > 0) out.push(c.dim(`  (${hidden} failing check${hidden > 1 ? 's' : ''} not shown in full: fix the ones above first)`))
  // A file that does not parse fails the type check too; saying it twice helps nobody.
  if (!result.loadError?.syntax) out.push(...renderTypecheck(result, c))
  const seed = result.checks.find((ch) => ch.status !== 'pass' && ch.seed !== undefined)?.seed
  if (seed !== undefined && result.status !== 'pass') {
    out.push('', c.dim(`  Random test data came from seed ${seed}. Replay it with: npm run exercise ${result.slug} -- --seed ${seed}`))
  }
  if (out.at(-1) !== '') out.push('')
  out.push(verdict(result, c))
  return `${out.join('\n').replace(/[ \t]+$/gm, '')}\n`
}

// One line per check; failing ones in full while the budget lasts (count and lines).
// A task of 30 checks would push everything else off the screen: past this many, the rest of
// its checks are counted, not listed.
const MAX_LISTED_CHECKS = 12

function renderChecks(checks: CheckResult[], c: Colors, budget: { full: number; detailed: number; lines: number; skipped: number }, indent: string): string[] {
  const out: string[] = []
  const listed = checks.length > MAX_LISTED_CHECKS + 1 ? checks.slice(0, MAX_LISTED_CHECKS) : checks
  const rest = checks.slice(listed.length)
  for (const check of listed) {
    const colour = check.status === 'pass' ? c.green : check.status === 'not-run' ? c.dim : c.red
    out.push(`${indent}${colour(MARK[check.status])} ${check.status === 'pass' ? check.name : colour(check.name)}`)
    if (check.status === 'pass' || check.status === 'not-run') continue
    if (budget.full <= 0 || budget.lines <= 0) {
      budget.skipped++
      continue
    }
    const failure = renderFailure(check, c)
    if (failure.length > budget.lines && budget.full < budget.detailed) {
      // Not room for this one in full, and another is shown above: its name is enough for now.
      budget.skipped++
      continue
    }
    const shown = failure.length > budget.lines ? [...failure.slice(0, budget.lines), c.dim(`… (${failure.length - budget.lines} more lines)`)] : failure
    budget.full--
    budget.lines -= shown.length
    out.push(...shown.map((l) => (l ? `${indent}    ${l}` : '')), '')
  }
  if (rest.length) {
    const failing = rest.filter((ch) => ch.status === 'fail' || ch.status === 'timeout').length
    out.push(c.dim(`${indent}… and ${rest.length} more checks in this task${failing ? ` (${failing} failing)` : ''}`))
  }
  return out
}

/** The one-line verdict, e.g. "✗ users-crud: 9 of 26 checks pass (type check included)". */
export function verdict(result: GradeResult, c: Colors): string {
  const typed = result.typecheck.status !== 'skipped' ? 1 : 0
  const total = result.checks.length + typed
  const passed = result.checks.filter((ch) => ch.status === 'pass').length + (result.typecheck.status === 'pass' ? 1 : 0)
  const counted = typed ? ' (type check included)' : ''
  if (result.status === 'pass') return c.green(c.bold(`✓ ${result.slug}: ${total === 1 ? 'its one check passes' : `all ${total} checks pass`}${counted}`))
  if (result.integrity?.length) return c.red(c.bold(`✗ ${result.slug}: this grade cannot be trusted, so it does not count`))
  if (result.loadError) return c.red(c.bold(`✗ ${result.slug}: the code could not be loaded, so no check ran`))
  const current = currentTask(result)
  const tasks = result.tasks.length ? `; ${result.tasks.filter((t) => t.passed === t.total).length} of ${plural(result.tasks.length, 'task')} done` : ''
  const next = current ? `, next: task ${current.id}` : ''
  return c.red(c.bold(`✗ ${result.slug}: ${passed} of ${plural(total, 'check')} pass${counted}${tasks}${next}`))
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`
}

function renderFailure(check: CheckResult, c: Colors): string[] {
  const lines: string[] = []
  if (check.message) lines.push(...cut(check.message.split('\n'), MAX_MESSAGE_LINES).map((l) => c.yellow(l)))
  for (const app of check.apps ?? []) lines.push(c.dim(`(app created with ${app})`))
  if (check.exchange) {
    lines.push('')
    lines.push(...renderExchange(check.exchange, c, '').split('\n'))
    if ((check.exchangeCount ?? 1) > 1) {
      lines.push(c.dim(`(request ${check.exchange.id + 1} of the ${check.exchangeCount} this check sent)`))
    }
  }
  for (const stream of check.streams ?? []) lines.push('', ...renderStream(stream, c))
  if (check.diff && !isOneLineDiff(check.diff)) {
    lines.push('', c.dim('Expected vs received'))
    for (const line of cut(check.diff.split('\n'), MAX_DIFF_LINES)) {
      lines.push(line.startsWith('-') ? c.green(line) : line.startsWith('+') ? c.red(line) : line)
    }
  }
  const output = appOutput(check.output)
  if (output.length) lines.push('', c.dim('Your app printed'), ...output.map((l) => `  ${l}`))
  return lines
}

// "- 200 / + 404" repeats what the message already said; only structured values need a diff.
function isOneLineDiff(diff: string): boolean {
  const lines = diff.split('\n').slice(2).filter((l) => l.trim())
  return lines.length <= 2 && lines.every((l) => /^[-+] /.test(l))
}

// Console output minus the frames of node_modules and Node internals: the learner's lines stay.
function appOutput(output: string | undefined): string[] {
  if (!output) return []
  const lines = output.trimEnd().split('\n').filter((l) => !/^\s+at .*(node_modules|node:)/.test(l))
  // The runner's note on output it did not keep stays visible however long the rest is.
  const note = /^… \d+ more bytes of output not shown$/.test(lines.at(-1) ?? '') ? lines.pop()! : undefined
  return [...cut(lines, 15), ...(note ? [note] : [])]
}

// A report is read, not scrolled: long parts end in a count of what was left out.
const MAX_MESSAGE_LINES = 20
const MAX_DIFF_LINES = 40
const MAX_LINE_CHARS = 300

function cut(lines: string[], max: number): string[] {
  const shown = lines.slice(0, max).map((l) =>
    l.length > MAX_LINE_CHARS ? `${l.slice(0, MAX_LINE_CHARS)}… (${l.length - MAX_LINE_CHARS} more characters)` : l,
  )
  return lines.length > max ? [...shown, `… (${lines.length - max} more lines)`] : shown
}

function renderTypecheck(result: GradeResult, c: Colors): string[] {
  const t = result.typecheck
  if (t.status === 'pass') return [`  ${c.green('✓')} type check (tsc)`]
  if (t.status === 'skipped') return t.note ? [c.dim(`  - type check skipped: ${t.note}`)] : []
  const lines = [`  ${c.red('✗')} ${c.red('type check (tsc)')}`]
  for (const e of t.errors.slice(0, 10)) {
    lines.push(`      ${c.bold(`${e.file}:${e.line}:${e.column}`)} ${e.message.split('\n').join('\n        ')} ${c.dim(e.code)}`)
  }
  if (t.errors.length > 10) lines.push(c.dim(`      … and ${t.errors.length - 10} more`))
  return lines
}
