// `npm run hint [name]`: reveals the next hint tier of the task you are on (recorded) and
// repeats the earlier ones. Without a name it hints the current exercise. The task is the first
// one the latest grade did not pass (task 1 before any grade).
import { loadCatalog, type Exercise } from '../catalog/catalog.ts'
import { HarnessError } from '../errors.ts'
import { mutableStateOf, stateOf, type ExerciseState } from '../progress/store.ts'
import { currentExercise, exerciseOf, readProgress, updateProgressAfterResult, type CommandContext } from './context.ts'

/** Reveals the next hint; exits 0 (also when all are already revealed). */
export async function hintCommand(ctx: CommandContext, args: { slug?: string; task?: number }): Promise<number> {
  const exercise = args.slug ? exerciseOf(ctx, args.slug).exercise : currentOf(ctx)
  const c = ctx.out.colors
  const state = stateOf(readProgress(ctx), exercise.slug)
  const taskId = args.task ?? taskToHint(exercise, state)
  const task = exercise.tasks[taskId - 1]
  if (!task) {
    throw new HarnessError('BAD_USAGE', `${exercise.slug} has ${exercise.tasks.length} task${exercise.tasks.length > 1 ? 's' : ''}; there is no task ${taskId}.`)
  }
  const already = revealedOf(exercise, state, taskId)
  let revealed = already
  if (already < task.hints.length) {
    // A disk that will not take the record still gets the learner the hint.
    revealed = already + 1
    await updateProgressAfterResult(ctx, (p) => {
      const s = mutableStateOf(p, exercise.slug)
      revealed = Math.min(task.hints.length, Math.max(revealedOf(exercise, s, taskId), already) + 1)
      if (exercise.tasked) s.taskHints = { ...(s.taskHints ?? {}), [String(taskId)]: revealed }
      else s.hintsRevealed = revealed
    })
  }
  const which = exercise.tasked ? ` · Task ${taskId} of ${exercise.tasks.length}: ${task.title}` : ''
  const lines = [c.bold(`Hints for ${exercise.slug}${which} (${revealed} of ${task.hints.length})`), '']
  task.hints.slice(0, revealed).forEach((hint, i) => {
    const fresh = i === revealed - 1 && revealed > already
    lines.push(`${fresh ? c.cyan(`${i + 1}.`) : c.dim(`${i + 1}.`)} ${fresh ? hint : c.dim(hint)}`, '')
  })
  lines.push(
    c.dim(
      revealed < task.hints.length
        ? `Run it again for the next hint.`
        : `That was the last hint for this task. \`npm run compare ${exercise.slug} -- --force\` shows the reference solution.`,
    ),
  )
  ctx.out.write(`${lines.join('\n')}\n`)
  return 0
}

/** The task a hint is for: the first one the latest grade did not pass. */
export function taskToHint(exercise: Exercise, state: ExerciseState): number {
  if (!exercise.tasked) return 1
  const passed = new Set(state.lastPassedTasks ?? state.tasksDone ?? [])
  const open = exercise.tasks.findIndex((_, i) => !passed.has(i + 1))
  return open < 0 ? exercise.tasks.length : open + 1
}

function revealedOf(exercise: Exercise, state: ExerciseState, taskId: number): number {
  return exercise.tasked ? (state.taskHints?.[String(taskId)] ?? 0) : state.hintsRevealed
}

function currentOf(ctx: CommandContext): Exercise {
  const catalog = loadCatalog(ctx.paths.catalog)
  const current = currentExercise(catalog, readProgress(ctx))
  if (!current) throw new HarnessError('COURSE_COMPLETE', 'Every exercise passes: there is nothing left to hint. Name one to see its hints: `npm run hint <name>`.')
  return current
}
