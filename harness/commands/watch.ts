// `npm run watch [slug]` and `npm start` (guided): grade on every save. Guided mode starts at
// the first unfinished exercise, shows the notes after a pass and moves on when asked.
// Keys (on a terminal): h hint, l list, r re-run, n next (after a pass), q quit.
import path from 'node:path'
import { loadCatalog, type Exercise } from '../catalog/catalog.ts'
import { attemptFilesLabel, watchTypescript, type FolderWatch } from '../course/exercise-files.ts'
import { HarnessError } from '../errors.ts'
import { grade, randomSeed } from '../runner/grade.ts'
import type { GradeResult } from '../runner/results.ts'
import { createSession, type VitestSession } from '../runner/vitest-session.ts'
import type { WorkerGround } from '../runner/early-worker.ts'
import { renderGrade } from '../ui/render-grade.ts'
import { startSpinner } from '../ui/spinner.ts'
import { currentExercise, exerciseOf, readNotes, readProgress, recordGrade, type CommandContext } from './context.ts'
import { hintCommand } from './hint.ts'
import { listCommand } from './list.ts'

export interface WatchArgs {
  slug?: string
  /** Guided mode (`npm start`): notes after a pass, `n` for the next exercise. */
  guided?: boolean
  seed?: number
  /** Resolves when the watch should end (tests); by default it runs until q or Ctrl-C. */
  until?: Promise<void>
  /** Workers prepared before vitest was loaded, for the first session (see runner/early-worker.ts). */
  ground?: WorkerGround
}

// A save is often several events (truncate, write, rename): one grade for the burst.
const DEBOUNCE_MS = 20

/** Watches and grades until quit; resolves to the exit code. */
export async function watchCommand(ctx: CommandContext, args: WatchArgs): Promise<number> {
  const catalog = loadCatalog(ctx.paths.catalog)
  let exercise: Exercise | undefined = args.slug
    ? exerciseOf(ctx, args.slug).exercise
    : currentExercise(catalog, readProgress(ctx))
  if (!exercise) {
    throw new HarnessError('COURSE_COMPLETE', 'Every exercise passes: the course is complete! `npm run list` shows them all.')
  }
  const c = ctx.out.colors
  let session: VitestSession = await createSession(ctx.paths, { warmWorkers: true }, args.ground)
  let folderWatch: FolderWatch | undefined
  let timer: NodeJS.Timeout | undefined
  let grading = false
  let again = false
  let last: GradeResult | undefined
  let resolveQuit!: () => void
  const quit = new Promise<void>((resolve) => (resolveQuit = resolve))

  const keysLine = () =>
    c.dim(
      `Watching exercises/${exercise!.slug}/ (save to grade again)` +
        (ctx.out.interactive ? `   h hint · l list · r re-run${args.guided ? ' · n next' : ''} · q quit` : ''),
    )
  // A learner who has passed nothing yet gets a short welcome above the first exercise.
  const firstRun = args.guided && !Object.values(readProgress(ctx).exercises).some((e) => e.passedAt)
  const welcome = () =>
    c.cyan(
      [
        'Welcome! Each exercise is a small Hono app for you to complete. Hidden checks grade it over',
        'real HTTP every time you save, and show the request, the response expected and the one received.',
        'Read the task, edit the code in your editor, save, and watch this screen.',
        'Keys: h a hint for the task you are on · l the list · r grade again · n next (after a pass) · q quit',
      ].join('\n'),
    ) + '\n\n'
  const title = () =>
    (firstRun ? welcome() : '') +
    `${c.bold(exercise!.slug)} - ${exercise!.title}\n` +
    c.dim(`Task: ${path.relative(ctx.paths.root, ctx.paths.exerciseReadme(exercise!.slug))}   Your code: ${attemptFilesLabel(ctx.paths, exercise!.slug)}\n`) +
    `${keysLine()}\n\n`

  // The grade in progress, if any: quitting waits for it, so that a grade is never cut off while
  // it records progress (it would leave the progress file locked for the next command).
  let inFlight: Promise<void> = Promise.resolve()
  const runGrade = (): Promise<void> => {
    const run = gradeOnce()
    inFlight = inFlight.then(() => run)
    return run
  }
  const gradeOnce = async (): Promise<void> => {
    if (grading) {
      again = true
      return
    }
    grading = true
    const current = exercise!
    const spinner = startSpinner(ctx.out, `Grading ${current.slug}…`)
    try {
      if (session.broken) session = await createSession(ctx.paths, { warmWorkers: true })
      ;[last] = (await grade(session, ctx.paths, [{ slug: current.slug, target: { kind: 'attempt' } }], {
        seed: args.seed ?? randomSeed(),
      })) as [GradeResult]
      spinner.stop()
      // On a terminal each grade replaces the last one, under the exercise's title; the verdict
      // (or, after a pass, what to do next) is the last line on screen.
      if (ctx.out.interactive) ctx.out.write(`\x1Bc${title()}`)
      ctx.out.write(renderGrade(last, c))
      const firstPass = await recordGrade(ctx, current.slug, last)
      if (last.status === 'pass') {
        const notes = readNotes(ctx, current.slug)
        if (notes && (firstPass || args.guided)) ctx.out.write(`\n${notes.trimEnd()}\n`)
        if (args.guided) ctx.out.write(`\n${c.green(c.bold(`✓ ${current.slug} passes.`))} ${c.cyan('Well done! Press n for the next exercise.')}\n`)
      }
      if (!ctx.out.interactive) ctx.out.write(`${keysLine()}\n`)
    } catch (error) {
      spinner.stop()
      ctx.out.error(`${c.red(`Grading failed: ${(error as Error).message}`)}\n`)
    } finally {
      grading = false
      if (again) {
        again = false
        void runGrade()
      }
    }
  }

  const watchExercise = async () => {
    void folderWatch?.close()
    folderWatch = watchTypescript(ctx.paths.exercise(exercise!.slug), () => {
      clearTimeout(timer)
      timer = setTimeout(() => void runGrade(), DEBOUNCE_MS)
    })
    await folderWatch.ready
  }

  const next = async () => {
    const progress = readProgress(ctx)
    const upcoming = currentExercise(catalog, progress)
    if (!upcoming) {
      ctx.out.write(c.green(c.bold('\nEvery exercise passes: the course is complete!\n')))
      resolveQuit()
      return
    }
    exercise = upcoming
    await watchExercise()
    if (!ctx.out.interactive) ctx.out.write(title())
    await runGrade()
  }

  const onKey = (key: string) => {
    if (key === 'q' || key === '\u0003') resolveQuit()
    else if (key === 'r') void runGrade()
    else if (key === 'h') void hintCommand(ctx, { slug: exercise!.slug }).then(() => ctx.out.write(`\n${keysLine()}\n`))
    else if (key === 'l') {
      listCommand(ctx)
      ctx.out.write(`\n${keysLine()}\n`)
    } else if (key === 'n' && args.guided) {
      if (last?.status === 'pass') void next()
      else ctx.out.write(`${c.yellow(`n moves on once ${exercise!.slug} passes, and it does not yet. Press h for a hint.`)}\n`)
    }
  }

  const stdin = process.stdin
  const keys = ctx.out.interactive && stdin.isTTY
  if (keys) {
    stdin.setRawMode(true)
    stdin.setEncoding('utf8')
    stdin.on('data', onKey)
    stdin.resume()
  }
  const onSignal = () => resolveQuit()
  process.once('SIGINT', onSignal)
  process.once('SIGTERM', onSignal)

  try {
    if (!ctx.out.interactive) ctx.out.write(title())
    await watchExercise()
    await runGrade()
    await Promise.race([quit, args.until ?? new Promise<never>(() => {})])
  } finally {
    clearTimeout(timer)
    await folderWatch?.close()
    again = false
    await inFlight
    process.off('SIGINT', onSignal)
    process.off('SIGTERM', onSignal)
    if (keys) {
      stdin.setRawMode(false)
      stdin.off('data', onKey)
      stdin.pause()
    }
    await session.close()
  }
  return 0
}
