// `npm run list`: every exercise in curriculum order, grouped by track, with its status and,
// under an exercise that is not done, the nearest prerequisites still to do.
import { loadCatalog } from '../catalog/catalog.ts'
import { pendingPrerequisites } from '../catalog/prerequisites.ts'
import { hintsUsed, stateOf } from '../progress/store.ts'
import { currentExercise, readProgress, type CommandContext } from './context.ts'

/** Prints the exercise list; always exits 0. */
export function listCommand(ctx: CommandContext): number {
  const catalog = loadCatalog(ctx.paths.catalog)
  const progress = readProgress(ctx)
  const current = currentExercise(catalog, progress)
  const c = ctx.out.colors
  const width = Math.max(...catalog.exercises.map((e) => e.slug.length), 8)
  const lines: string[] = []
  const done = new Set(catalog.exercises.filter((e) => stateOf(progress, e.slug).passedAt).map((e) => e.slug))
  let n = 0
  for (const track of catalog.tracks) {
    const exercises = catalog.exercises.filter((e) => e.track === track.id)
    if (!exercises.length) continue
    lines.push('', c.bold(track.title))
    for (const e of exercises) {
      n++
      const state = stateOf(progress, e.slug)
      const status = state.passedAt
        ? c.green('✓ done   ')
        : e === current
          ? c.cyan('▶ current')
          : state.attempts
            ? c.yellow('… started')
            : c.dim('· to do  ')
      const hints = hintsUsed(state)
      // Partial credit: tasks done so far, for an exercise that is not done yet.
      const tasks = !state.passedAt && e.tasked && state.tasksDone?.length ? `${state.tasksDone.length} of ${e.tasks.length} tasks` : ''
      const extras = [tasks, hints ? `${hints} hint${hints > 1 ? 's' : ''}` : '', state.peekedAt ? 'peeked' : '']
        .filter(Boolean)
        .join(', ')
      lines.push(
        `  ${String(n).padStart(2)}. ${status}  ${e.slug.padEnd(width)}  ${e.difficulty.padEnd(6)}  ${e.title}${extras ? c.dim(`  (${extras})`) : ''}`,
      )
      // The exercise just above needs no pointer: the list's order already says it comes first.
      const previous = catalog.exercises[catalog.exercises.indexOf(e) - 1]?.slug
      const pending = done.has(e.slug) ? [] : pendingPrerequisites(catalog, e.slug, done).filter((r) => r !== previous)
      if (pending.length) lines.push(c.dim(`  ${' '.repeat(15 + width)}after ${pending.join(', ')}`))
    }
  }
  lines.push('', `${done.size} of ${catalog.exercises.length} done.${current ? ` Next: ${current.slug} (npm start).` : ' The course is complete!'}`)
  ctx.out.write(`${lines.join('\n').replace(/^\n/, '')}\n`)
  return 0
}
