// `npm run progress`: completion by track, with bars.
import { loadCatalog } from '../catalog/catalog.ts'
import { hintsUsed, stateOf } from '../progress/store.ts'
import { readProgress, type CommandContext } from './context.ts'

const BAR_WIDTH = 24

/** A bar like `████████░░░░` for done/total. */
export function bar(done: number, total: number, width = BAR_WIDTH): string {
  const filled = total ? Math.round((done / total) * width) : 0
  return '█'.repeat(filled) + '░'.repeat(width - filled)
}

/** Prints completion per track and overall; always exits 0. */
export function progressCommand(ctx: CommandContext): number {
  const catalog = loadCatalog(ctx.paths.catalog)
  const progress = readProgress(ctx)
  const c = ctx.out.colors
  const width = Math.max(...catalog.tracks.map((t) => t.title.length))
  const lines: string[] = []
  let doneAll = 0
  let hints = 0
  let peeks = 0
  for (const track of catalog.tracks) {
    const exercises = catalog.exercises.filter((e) => e.track === track.id)
    if (!exercises.length) continue
    const done = exercises.filter((e) => stateOf(progress, e.slug).passedAt).length
    doneAll += done
    const colour = done === exercises.length ? c.green : done ? c.yellow : c.dim
    lines.push(`  ${track.title.padEnd(width)}  ${colour(bar(done, exercises.length))}  ${done}/${exercises.length}`)
  }
  for (const e of catalog.exercises) {
    hints += hintsUsed(stateOf(progress, e.slug))
    if (stateOf(progress, e.slug).peekedAt) peeks++
  }
  // Partial credit: a passed exercise counts all its tasks, a started one the tasks done so far.
  const taskTotal = catalog.exercises.reduce((n, e) => n + e.tasks.length, 0)
  const tasksDone = catalog.exercises.reduce((n, e) => {
    const state = stateOf(progress, e.slug)
    return n + (state.passedAt ? e.tasks.length : Math.min(e.tasks.length, state.tasksDone?.length ?? 0))
  }, 0)
  const total = catalog.exercises.length
  const pct = total ? Math.round((doneAll / total) * 100) : 0
  lines.push('', `  ${c.bold('Overall'.padEnd(width))}  ${bar(doneAll, total)}  ${doneAll}/${total} (${pct}%)`)
  lines.push(`  ${'Tasks'.padEnd(width)}  ${bar(tasksDone, taskTotal)}  ${tasksDone}/${taskTotal}`)
  lines.push(c.dim(`  Hints revealed: ${hints}. Solutions peeked at before passing: ${peeks}.`))
  ctx.out.write(`${lines.join('\n')}\n`)
  return 0
}
