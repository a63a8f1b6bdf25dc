// `npm run reset <slug>`: puts the stub back. The attempt is copied to .course/backups first
// and the copy's path printed, so nothing is ever lost.
import path from 'node:path'
import { restoreStub } from '../course/exercise-files.ts'
import { HarnessError } from '../errors.ts'
import { exerciseOf, type CommandContext } from './context.ts'

/** Restores the stub files of `slug`; exits 0. */
export function resetCommand(ctx: CommandContext, args: { slug: string }): number {
  const { exercise } = exerciseOf(ctx, args.slug)
  const result = restoreStub(ctx.paths, exercise.slug)
  if (result.status === 'no-stub') {
    const stub = path.relative(ctx.paths.root, ctx.paths.stub(exercise.slug))
    throw new HarnessError('NOTHING_TO_RESET', `${exercise.slug} has no stub to restore (${stub} is missing).`)
  }
  if (result.status === 'unchanged') {
    ctx.out.write(`${exercise.slug} is already the untouched stub; nothing to reset.\n`)
    return 0
  }
  const c = ctx.out.colors
  const files = result.files.map((f) => `exercises/${exercise.slug}/${f}`).join(', ')
  ctx.out.write(`${c.green('✓')} Restored the stub of ${exercise.slug} (${files}).\n`)
  if (result.backup) ctx.out.write(`  Your previous attempt is saved in ${path.relative(ctx.paths.root, result.backup)}\n`)
  return 0
}
