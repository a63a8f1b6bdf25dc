// `npm run compare <slug>`: the attempt beside the reference solution, as a unified diff.
// Before the exercise passes it asks for --force, and records that the learner peeked.
import { createTwoFilesPatch } from 'diff'
import { attemptAndSolution } from '../course/exercise-files.ts'
import { HarnessError } from '../errors.ts'
import { mutableStateOf, stateOf } from '../progress/store.ts'
import type { Colors } from '../ui/output.ts'
import { exerciseOf, readProgress, updateProgress, type CommandContext } from './context.ts'

/** Prints the diff; exits 0, or throws NOT_PASSED_YET without --force before a pass. */
export async function compareCommand(ctx: CommandContext, args: { slug: string; force?: boolean }): Promise<number> {
  const { exercise } = exerciseOf(ctx, args.slug)
  const passed = Boolean(stateOf(readProgress(ctx), exercise.slug).passedAt)
  if (!passed && !args.force) {
    throw new HarnessError(
      'NOT_PASSED_YET',
      `${exercise.slug} has not passed yet, so comparing would show you the answer. ` +
        `Try \`npm run hint ${exercise.slug}\` first, or run \`npm run compare ${exercise.slug} -- --force\` to look anyway (it is recorded).`,
    )
  }
  if (!passed) {
    await updateProgress(ctx, (p) => {
      mutableStateOf(p, exercise.slug).peekedAt ??= new Date().toISOString()
    })
  }
  const c = ctx.out.colors
  let same = true
  for (const { file, attempt: mine, solution: theirs } of attemptAndSolution(ctx.paths, exercise.slug)) {
    if (mine === theirs) continue
    same = false
    const patch = createTwoFilesPatch(
      `exercises/${exercise.slug}/${file}`,
      `solutions/${exercise.slug}/${file}`,
      mine,
      theirs,
      'your attempt',
      'reference solution',
      { context: 3 },
    )
    ctx.out.write(colourPatch(patch, c))
  }
  if (same) ctx.out.write('Your attempt is identical to the reference solution.\n')
  else ctx.out.write(c.dim('\nLines marked - are yours, lines marked + are the reference solution’s. Different can still be correct: the checks are what count.\n'))
  return 0
}

function colourPatch(patch: string, c: Colors): string {
  return patch
    .split('\n')
    .filter((line) => !line.startsWith('====='))
    .map((line) =>
      line.startsWith('+++') || line.startsWith('---')
        ? c.bold(line)
        : line.startsWith('+')
          ? c.green(line)
          : line.startsWith('-')
            ? c.red(line)
            : line.startsWith('@@')
              ? c.cyan(line)
              : line,
    )
    .join('\n')
}
