// `npm run reset <slug>`: puts the stub back. The attempt is copied to .course/backups first
// and the copy's path printed, so nothing is ever lost.
import { cpSync, existsSync, readFileSync } from 'node:fs'
import path from 'node:path'
import { HarnessError } from '../errors.ts'
import { backupAttempt } from '../progress/backups.ts'
import { typescriptFiles } from '../runner/typecheck.ts'
import { exerciseOf, type CommandContext } from './context.ts'

/** Restores the stub files of `slug`; exits 0. */
export function resetCommand(ctx: CommandContext, args: { slug: string }): number {
  const { exercise } = exerciseOf(ctx, args.slug)
  const stubDir = ctx.paths.stub(exercise.slug)
  const attemptDir = ctx.paths.exercise(exercise.slug)
  if (!existsSync(stubDir)) {
    throw new HarnessError('NOTHING_TO_RESET', `${exercise.slug} has no stub to restore (${path.relative(ctx.paths.root, stubDir)} is missing).`)
  }
  const stubFiles = typescriptFiles(stubDir).map((f) => path.relative(stubDir, f))
  const unchanged = stubFiles.every((f) => sameFile(path.join(stubDir, f), path.join(attemptDir, f)))
  if (unchanged) {
    ctx.out.write(`${exercise.slug} is already the untouched stub; nothing to reset.\n`)
    return 0
  }
  const backup = backupAttempt(ctx.paths.backupsDir, exercise.slug, attemptDir)
  for (const file of stubFiles) {
    cpSync(path.join(stubDir, file), path.join(attemptDir, file))
  }
  const c = ctx.out.colors
  ctx.out.write(`${c.green('✓')} Restored the stub of ${exercise.slug} (${stubFiles.map((f) => `exercises/${exercise.slug}/${f}`).join(', ')}).\n`)
  if (backup) ctx.out.write(`  Your previous attempt is saved in ${path.relative(ctx.paths.root, backup)}\n`)
  return 0
}

function sameFile(a: string, b: string): boolean {
  if (!existsSync(a) || !existsSync(b)) return false
  return readFileSync(a).equals(readFileSync(b))
}
