// `npm run verify`: the course self-check (part of `npm test`). Exits 1 on any problem.
import { findExercise, loadCatalog } from '../catalog/catalog.ts'
import { verifyCourse } from '../verify/verify-course.ts'
import { planSeeds } from '../verify/soak-seeds.ts'
import { bufferOutput } from '../ui/output.ts'
import { renderGrade } from '../ui/render-grade.ts'
import { startSpinner } from '../ui/spinner.ts'
import type { CommandContext } from './context.ts'

export interface VerifyArgs {
  /** The first seed (replays a run); later seeds count up from it. */
  seed?: number
  /** How many seeds each reference solution is graded with (the soak). */
  seedCount?: number
  /** How many seeds each mutant is graded with (default 1). */
  mutantSeedCount?: number
  /** Only these exercises (all when empty). */
  slugs?: string[]
}

const STUB_REPORT_LINES = 60
const plain = bufferOutput().colors

/** Runs the self-check and prints one line per exercise, then the problems. */
export async function verifyCommand(ctx: CommandContext, args: VerifyArgs = {}): Promise<number> {
  const c = ctx.out.colors
  const catalog = loadCatalog(ctx.paths.catalog)
  for (const slug of args.slugs ?? []) findExercise(catalog, slug) // unknown names fail early, with suggestions
  const plan = planSeeds({
    ci: Boolean(ctx.env.CI),
    root: ctx.paths.root,
    ...(args.seedCount !== undefined ? { count: args.seedCount } : {}),
    ...(args.seed !== undefined ? { first: args.seed } : {}),
  })
  const { seeds } = plan
  const range = seeds.length > 1 ? `seeds ${seeds[0]}..${seeds.at(-1)}` : `seed ${seeds[0]}`
  ctx.out.write(c.dim(`Reference solutions are graded with ${seeds.length} seed${seeds.length > 1 ? 's' : ''} each: ${range} (${plan.origin}; replay with -- --seed ${seeds[0]}${seeds.length !== 2 ? ` --seeds ${seeds.length}` : ''}).\n`))
  if (args.mutantSeedCount !== undefined && args.mutantSeedCount > 1) {
    ctx.out.write(c.dim(`Each mutant is graded with ${args.mutantSeedCount} seeds from ${seeds[0]} on: it must be caught with every one.\n`))
  }
  const spinner = startSpinner(ctx.out, 'Verifying the course…')
  const report = await verifyCourse(ctx.paths, {
    ...(args.slugs?.length ? { only: args.slugs } : {}),
    seeds,
    ...(args.mutantSeedCount !== undefined ? { mutantSeeds: args.mutantSeedCount } : {}),
    requirePristineExercises: Boolean(ctx.env.CI),
    onProgress: (text) => {
      spinner.update(`Verifying the course: ${text}…`)
      // A soak runs for minutes: without a terminal to update, say where it is.
      if (!ctx.out.interactive && seeds.length > 20) ctx.out.write(c.dim(`  ${text}\n`))
    },
  }).finally(() => spinner.stop())
  let failed = report.problems.length
  for (const e of report.exercises) {
    // The stub's report is the first screen of an exercise: it must fit on one.
    // As a learner sees it: their grade has a type check line too (the self-check skips it).
    const stub = e.stub && { ...e.stub, typecheck: { status: 'pass' as const, errors: [] } }
    const lines = stub ? renderGrade(stub, plain).trimEnd().split('\n').length : 0
    if (lines > STUB_REPORT_LINES) e.problems.push(`the untouched stub's report takes ${lines} lines; it must fit on one screen (${STUB_REPORT_LINES})`)
    const ok = e.problems.length === 0
    if (!ok) failed++
    const facts = `${e.checks} checks, stub fails ${e.stubFailing}, ${e.mutantsCaught}/${e.mutants} mutants caught`
    ctx.out.write(`${ok ? c.green('✓') : c.red('✗')} ${e.slug.padEnd(28)} ${c.dim(facts)}\n`)
    for (const p of e.problems) ctx.out.write(`    ${c.red(p)}\n`)
  }
  for (const p of report.problems) ctx.out.write(`${c.red('✗')} ${p}\n`)
  const n = report.exercises.length
  const perExercise = n ? (report.seconds / n).toFixed(2) : '0'
  ctx.out.write(
    `\n${failed ? c.red(`${failed} problem area(s) found.`) : c.green(`The course is sound: ${n} exercise${n === 1 ? '' : 's'} verified.`)} ` +
      c.dim(`${report.seconds.toFixed(1)} s (${perExercise} s per exercise)\n`),
  )
  const bad = report.exercises.filter((e) => e.problems.length).length
  // A plain summary line that any CI log reader understands.
  ctx.out.write(`verify: ${report.exercises.length - bad} passed, ${bad + report.problems.length} failed\n`)
  return failed ? 1 : 0
}
