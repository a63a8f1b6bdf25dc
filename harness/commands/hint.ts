// `npm run hint <slug>`: reveals the next hint tier (recorded) and repeats the earlier ones.
import { mutableStateOf, stateOf } from '../progress/store.ts'
import { exerciseOf, readProgress, updateProgressAfterResult, type CommandContext } from './context.ts'

/** Reveals the next hint; exits 0 (also when all are already revealed). */
export async function hintCommand(ctx: CommandContext, args: { slug: string }): Promise<number> {
  const { exercise } = exerciseOf(ctx, args.slug)
  const c = ctx.out.colors
  const already = stateOf(readProgress(ctx), exercise.slug).hintsRevealed
  let revealed = already
  if (already < exercise.hints.length) {
    // A disk that will not take the record still gets the learner the hint.
    revealed = already + 1
    await updateProgressAfterResult(ctx, (p) => {
      const state = mutableStateOf(p, exercise.slug)
      state.hintsRevealed = Math.min(exercise.hints.length, Math.max(state.hintsRevealed, already) + 1)
      revealed = state.hintsRevealed
    })
  }
  const lines = [c.bold(`Hints for ${exercise.slug} (${revealed} of ${exercise.hints.length})`), '']
  exercise.hints.slice(0, revealed).forEach((hint, i) => {
    const fresh = i === revealed - 1 && revealed > already
    lines.push(`${fresh ? c.cyan(`${i + 1}.`) : c.dim(`${i + 1}.`)} ${fresh ? hint : c.dim(hint)}`, '')
  })
  lines.push(
    c.dim(
      revealed < exercise.hints.length
        ? `Run it again for the next hint.`
        : `That was the last hint. \`npm run compare ${exercise.slug} -- --force\` shows the reference solution.`,
    ),
  )
  ctx.out.write(`${lines.join('\n')}\n`)
  return 0
}
