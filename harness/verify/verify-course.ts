// The course's self-check, as data: every reference solution passes with every seed of the
// run (two by default; `--seeds N` makes it a soak), every pristine stub loads and fails, every mutant is caught, metadata is complete,
// and the question bank agrees with the catalog. The verify command prints what this returns.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs'
import path from 'node:path'
import { loadCatalog, type Catalog, type Exercise } from '../catalog/catalog.ts'
import { bankProblems, loadQuestionBank } from '../catalog/question-bank.ts'
import type { CoursePaths } from '../paths.ts'
import { grade, type GradeRequest } from '../runner/grade.ts'
import type { GradeResult } from '../runner/results.ts'
import { typescriptFiles } from '../course/exercise-files.ts'
import { typecheck } from '../runner/typecheck.ts'
import { createSession } from '../runner/vitest-session.ts'
import { DEFAULT_SEED_COUNT, MAX_SEED, seedRun } from './soak-seeds.ts'
import { mentionProblems } from './mentions.ts'
import { stubCoverageProblems } from './stub-coverage.ts'

export interface ExerciseReport {
  slug: string
  problems: string[]
  /** Seeds the reference solution failed with (each one a replayable grade). */
  failingSeeds: number[]
  checks: number
  stubFailing: number
  mutantsCaught: number
  mutants: number
  /** Every mutant graded, and those some seed let through (or that did not load): each reported once. */
  mutantNames: Set<string>
  mutantsMissed: Set<string>
  /** The untouched stub's grade, for a check of how its report reads. */
  stub?: GradeResult
}

export interface VerifyReport {
  /** Problems that concern the course as a whole (catalog, question bank, type check). */
  problems: string[]
  exercises: ExerciseReport[]
  seconds: number
  /** The seeds every reference solution was graded with. */
  seeds: number[]
}

export interface VerifyOptions {
  /** Each reference solution is graded once per seed (default: two random seeds). */
  seeds?: number[]
  /**
   * Each mutant is graded with this many seeds, counting up from the first solution seed
   * (default 1): a mutant only some seeds' data catch is a gap in the spec.
   */
  mutantSeeds?: number
  /** Also require exercises/<slug> to be the untouched stub (set under CI, where nobody is working on them). */
  requirePristineExercises?: boolean
  onProgress?: (text: string) => void
  /** Check only these exercises (the bank is still checked against the whole catalog). */
  only?: string[]
}

/** Runs the whole self-check. */
export async function verifyCourse(paths: CoursePaths, options: VerifyOptions = {}): Promise<VerifyReport> {
  const started = Date.now()
  const seeds = options.seeds?.length ? options.seeds : seedRun(1 + Math.floor(Math.random() * MAX_SEED), DEFAULT_SEED_COUNT)
  const mutantSeeds = seedRun(seeds[0]!, options.mutantSeeds ?? 1)
  const catalog = loadCatalog(paths.catalog)
  const problems: string[] = []
  if (!existsSync(paths.questionBank)) problems.push('content/questions.json (the question bank) is missing')
  else problems.push(...bankProblems(catalog, loadQuestionBank(paths.questionBank)).map((p) => `question bank: ${p}`))

  problems.push(...orderProblems(catalog))
  const selected = options.only?.length ? catalog.exercises.filter((e) => options.only!.includes(e.slug)) : catalog.exercises
  const reports = new Map(selected.map((e) => [e.slug, metadataReport(paths, catalog, e, options)]))
  const runnable = selected.filter((e) => existsSync(paths.spec(e.slug)))

  options.onProgress?.('type-checking solutions, stubs and mutants')
  const files = runnable.flatMap((e) => [
    ...typescriptFiles(paths.solution(e.slug)),
    ...typescriptFiles(paths.stub(e.slug)),
    ...typescriptFiles(paths.mutantsDir(e.slug)),
  ])
  const typecheckDone = typecheck(paths.root, files)

  // Each solution once per seed, each stub, each mutant. A soak can mean thousands of spec runs,
  // so they go in batches through one session (its workers and transforms are reused).
  const requests: GradeRequest[] = [
    ...runnable.flatMap((e) => [
      // Not stopped at the first failure: the stub's full report is what a learner first sees.
      { slug: e.slug, target: { kind: 'stub' } as const },
      ...mutantNames(paths, e.slug).flatMap((name) =>
        mutantSeeds.map((seed) => ({ slug: e.slug, target: { kind: 'mutant', name } as const, bail: true, seed })),
      ),
    ]),
    ...seeds.flatMap((seed) => runnable.map((e) => ({ slug: e.slug, target: { kind: 'solution' } as const, seed }))),
  ]
  // Everything here is the course's own code, so workers can be shared: much faster. Results are
  // judged batch by batch and dropped, and a long soak starts a fresh session now and then: each
  // seed's spec is a module of its own, and one session would hold them all.
  const bySlug = new Map(runnable.map((e) => [e.slug, e]))
  let session = await createSession(paths, { shareWorkers: true, trusted: true })
  try {
    for (let at = 0, batches = 0; at < requests.length; at += BATCH, batches++) {
      if (batches > 0 && batches % BATCHES_PER_SESSION === 0) {
        await session.close()
        session = await createSession(paths, { shareWorkers: true, trusted: true })
      }
      const batch = requests.slice(at, at + BATCH)
      options.onProgress?.(`running specs ${at + 1}-${at + batch.length} of ${requests.length} (${seeds.length} seed${seeds.length > 1 ? 's' : ''} per solution)`)
      for (const result of await grade(session, paths, batch, { seed: seeds[0]!, typecheck: false })) {
        judge(reports.get(result.slug)!, result, bySlug.get(result.slug)!)
      }
    }
  } finally {
    await session.close()
  }
  for (const report of reports.values()) {
    const more = report.failingSeeds.length - SHOWN_FAILING_SEEDS
    if (more > 0) {
      report.problems.push(
        `and with ${more} more of the ${seeds.length} seeds (${report.failingSeeds.length} in all): ` +
          `${report.failingSeeds.slice(SHOWN_FAILING_SEEDS, SHOWN_FAILING_SEEDS + 10).join(', ')}${more > 10 ? ', …' : ''}`,
      )
    }
  }
  const types = await typecheckDone
  for (const e of types.errors) {
    const slug = e.file.split(path.sep)[1] ?? ''
    const where = `${e.file}:${e.line}:${e.column}`
    ;(reports.get(slug)?.problems ?? problems).push(`type error at ${where}: ${e.message.split('\n')[0]}`)
  }
  return { problems, exercises: [...reports.values()], seconds: (Date.now() - started) / 1000, seeds }
}

function metadataReport(paths: CoursePaths, catalog: Catalog, e: Exercise, options: VerifyOptions): ExerciseReport {
  const problems: string[] = []
  const report: ExerciseReport = {
    slug: e.slug,
    problems,
    failingSeeds: [],
    checks: 0,
    stubFailing: 0,
    mutantsCaught: 0,
    mutants: 0,
    mutantNames: new Set(),
    mutantsMissed: new Set(),
  }
  problems.push(...mentionProblems(paths, catalog, e))
  e.tasks.forEach((task, i) => {
    const which = e.tasked ? `task ${i + 1} ("${task.title}")` : 'the exercise'
    if (task.hints.length < 2) problems.push(`${which} has ${task.hints.length} hint tier(s); at least 2 are needed`)
  })
  if (e.questions.length < 1) problems.push('covers no seed question')
  const required: [string, string][] = [
    [paths.exerciseFile(e.slug), 'the learner stub'],
    [paths.exerciseReadme(e.slug), 'the learner README'],
    [paths.solutionFile(e.slug), 'the reference solution'],
    [paths.spec(e.slug), 'the hidden spec'],
    [path.join(paths.stub(e.slug), 'app.ts'), 'the pristine stub'],
    [paths.notes(e.slug), 'the notes'],
  ]
  for (const [file, what] of required) {
    if (!existsSync(file)) problems.push(`${what} is missing (${path.relative(paths.root, file)})`)
    else if (!readFileSync(file, 'utf8').trim()) problems.push(`${what} is empty (${path.relative(paths.root, file)})`)
  }
  if (existsSync(paths.spec(e.slug))) {
    const head = readFileSync(paths.spec(e.slug), 'utf8').split('\n').slice(0, 60).join('\n')
    if (!/wrong implementations/i.test(head)) problems.push('the spec header does not list the wrong implementations it catches')
  }
  problems.push(...stubCoverageProblems(paths, e.slug))
  if (options.requirePristineExercises) {
    for (const file of typescriptFiles(paths.stub(e.slug))) {
      const shipped = path.join(paths.exercise(e.slug), path.relative(paths.stub(e.slug), file))
      if (!existsSync(shipped) || !readFileSync(shipped).equals(readFileSync(file))) {
        problems.push(`${path.relative(paths.root, shipped)} differs from the pristine stub ${path.relative(paths.root, file)}`)
      }
    }
  }
  return report
}

function judge(report: ExerciseReport, result: GradeResult, exercise: Exercise): void {
  switch (result.target.kind) {
    case 'solution':
      if (!report.checks) report.problems.push(...taskProblems(exercise, result))
      report.checks = result.checks.length
      if (result.status === 'pass') break
      report.failingSeeds.push(result.seed)
      // A soak can fail on many seeds for one reason: the first few say enough.
      if (report.failingSeeds.length <= SHOWN_FAILING_SEEDS) {
        report.problems.push(
          `the reference solution fails with seed ${result.seed}: ${summary(result)}\n` +
            `  replay: npm run exercise ${result.slug} -- --solution --seed ${result.seed}`,
        )
      }
      break
    case 'stub':
      report.stubFailing = result.checks.filter((c) => c.status === 'fail' || c.status === 'timeout').length
      if (result.loadError) report.problems.push(`the stub does not load: ${result.loadError.message}`)
      else if (result.status === 'pass') report.problems.push('the untouched stub passes every check')
      else report.stub = result
      break
    case 'mutant': {
      // Graded once per mutant seed: caught only when every seed caught it.
      const name = result.target.name
      report.mutantNames.add(name)
      const problem = result.loadError
        ? `mutant ${name} does not load: ${result.loadError.message}`
        : result.status === 'pass'
          ? `mutant ${name} passes every check with seed ${result.seed}: the spec does not catch it\n` +
            `  replay: COURSE_SEED=${result.seed} COURSE_TARGET=mutant:${name} npx vitest run content/${result.slug}`
          : undefined
      // One report per mutant: the first seed that let it through replays it.
      if (problem && !report.mutantsMissed.has(name)) {
        report.mutantsMissed.add(name)
        report.problems.push(problem)
      }
      report.mutants = report.mutantNames.size
      report.mutantsCaught = report.mutants - report.mutantsMissed.size
      break
    }
    case 'attempt':
      break
  }
}

/** The spec's tasks must be the catalog's, in order, and hold every check. */
export function taskProblems(exercise: Exercise, result: GradeResult): string[] {
  const problems: string[] = []
  const spec = result.tasks.map((t) => t.title)
  if (!exercise.tasked) {
    if (spec.length) problems.push(`the spec has tasks (${spec.join('; ')}) but the catalog lists none: add them with their hints`)
    return problems
  }
  const catalog = exercise.tasks.map((t) => t.title)
  if (!spec.length) problems.push('the catalog lists tasks but the spec groups no checks with task(n, title, ...)')
  else if (spec.join('\n') !== catalog.join('\n') || result.tasks.some((t, i) => t.id !== i + 1)) {
    problems.push(`the spec's tasks (${result.tasks.map((t) => `${t.id}. ${t.title}`).join('; ')}) differ from the catalog's (${catalog.map((t, i) => `${i + 1}. ${t}`).join('; ')})`)
  }
  const loose = result.checks.filter((c) => c.task === undefined)
  if (spec.length && loose.length) problems.push(`${loose.length} check(s) belong to no task, e.g. "${loose[0]!.name}"`)
  return problems
}

/**
 * Spec runs per vitest run, and vitest runs per session. Workers are shared within a run and
 * keep every module it loaded: at 300 runs a worker reached ~480 MB of the 512 MB limit (74
 * exercises, 2026-12-04); at 150 it peaks at ~360 MB, for the same total time.
 */
const BATCH = 150
const BATCHES_PER_SESSION = 8
const SHOWN_FAILING_SEEDS = 3

const RANK = { easy: 0, medium: 1, hard: 2 } as const

/** The curriculum runs track by track, and easy to hard within a track. */
export function orderProblems(catalog: Catalog): string[] {
  const problems: string[] = []
  const trackOrder = catalog.tracks.map((t) => t.id)
  catalog.exercises.forEach((e, i) => {
    const prev = catalog.exercises[i - 1]
    if (!prev) return
    if (trackOrder.indexOf(e.track) < trackOrder.indexOf(prev.track)) {
      problems.push(`catalog order: ${e.slug} (${e.track}) comes after ${prev.slug} (${prev.track}); keep each track's exercises together, in track order`)
    } else if (e.track === prev.track && RANK[e.difficulty] < RANK[prev.difficulty]) {
      problems.push(`catalog order: ${e.slug} (${e.difficulty}) comes after ${prev.slug} (${prev.difficulty}); order each track easy to hard`)
    }
  })
  return problems
}

function summary(result: GradeResult): string {
  if (result.loadError) return result.loadError.message
  const failing = result.checks.filter((c) => c.status !== 'pass')
  return failing.map((c) => `"${c.name}" (${c.message?.split('\n')[0] ?? c.status})`).join('; ') || 'no checks ran'
}

/** The mutants of an exercise: mutants/<name>.patch and <name>.ts files, and mutants/<name>/ folders. */
export function mutantNames(paths: CoursePaths, slug: string): string[] {
  const dir = paths.mutantsDir(slug)
  if (!existsSync(dir)) return []
  const names = readdirSync(dir)
    .filter((entry) => /\.(ts|patch)$/.test(entry) || statSync(path.join(dir, entry)).isDirectory())
    .map((entry) => entry.replace(/\.(ts|patch)$/, ''))
  return [...new Set(names)].sort()
}
