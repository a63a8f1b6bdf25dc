// `npm run exercise <slug>`: grade once, print the report (or --json), record the attempt,
// exit 0 only when every check passes.
import { grade, randomSeed } from '../runner/grade.ts'
import { createSession } from '../runner/vitest-session.ts'
import type { WorkerGround } from '../runner/early-worker.ts'
import { toJsonResults } from '../runner/results-json.ts'
import type { GradeResult } from '../runner/results.ts'
import { renderGrade } from '../ui/render-grade.ts'
import { startSpinner } from '../ui/spinner.ts'
import { exerciseOf, readNotes, recordGrade, type CommandContext } from './context.ts'

export interface ExerciseArgs {
  slug: string
  /** Grade the reference solution instead of the attempt (not recorded as progress). */
  solution?: boolean
  json?: boolean
  seed?: number
  /** Workers prepared before vitest was loaded (see runner/early-worker.ts). */
  ground?: WorkerGround
}

/** Grades one exercise; resolves to the process exit code. */
export async function exerciseCommand(ctx: CommandContext, args: ExerciseArgs): Promise<number> {
  const { exercise } = exerciseOf(ctx, args.slug)
  const target = args.solution ? ({ kind: 'solution' } as const) : ({ kind: 'attempt' } as const)
  const seed = args.seed ?? randomSeed()
  const spinner = args.json ? startSpinner({ ...ctx.out, interactive: false }, '') : startSpinner(ctx.out, `Grading ${exercise.slug}…`)
  let done = 0
  let result: GradeResult
  const session = await createSession(ctx.paths, { trusted: target.kind !== 'attempt' }, args.ground)
  // Ctrl-C mid-grade: stop the workers and remove the temporary files (nothing was written yet, so nothing is lost).
  const interrupt = () => {
    spinner.stop()
    session.abort()
    process.exit(130)
  }
  process.once('SIGINT', interrupt)
  process.once('SIGTERM', interrupt)
  try {
    ;[result] = (await grade(session, ctx.paths, [{ slug: exercise.slug, target }], {
      seed,
      onEvent: (event) => {
        if (event.type === 'check') spinner.update(`Grading ${exercise.slug}… ${++done} check${done === 1 ? '' : 's'} done`)
      },
    })) as [GradeResult]
  } finally {
    spinner.stop()
    process.off('SIGINT', interrupt)
    process.off('SIGTERM', interrupt)
    await session.close()
  }
  // The result first: if the progress cannot be saved (a read-only or full disk), that costs one
  // sentence after it, not the result.
  if (args.json) {
    ctx.out.write(`${JSON.stringify(toJsonResults(result), null, 2)}\n`)
  } else {
    if (target.kind === 'solution') {
      ctx.out.write(`${ctx.out.colors.dim(`Graded the reference solution (solutions/${exercise.slug}/), not your attempt; nothing is recorded.`)}\n\n`)
    }
    ctx.out.write(renderGrade(result, ctx.out.colors))
  }
  const firstPass = target.kind === 'attempt' ? await recordGrade(ctx, exercise.slug, result) : false
  if (!args.json) {
    if (result.status === 'pass' && target.kind === 'attempt') {
      const notes = readNotes(ctx, exercise.slug)
      if (firstPass && notes) ctx.out.write(`\n${notes.trimEnd()}\n`)
      ctx.out.write(`\n${ctx.out.colors.dim('Next: `npm start` opens the next unfinished exercise.')}\n`)
    } else if (result.status !== 'pass' && target.kind === 'attempt') {
      ctx.out.write(`\n${ctx.out.colors.dim(`Stuck? \`npm run hint ${exercise.slug}\` reveals a hint for the task you are on.`)}\n`)
    }
  }
  return result.status === 'pass' ? 0 : 1
}
