#!/usr/bin/env node
// The harness's entry point: parses arguments, dispatches to a command, and turns expected
// errors into one clear sentence and an exit code. Each command lives in commands/.
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { createRequire } from 'node:module'
import { parseArgs } from 'node:util'
import type { CommandContext } from './commands/context.ts'
import type { WorkerGround } from './runner/early-worker.ts'
import { HarnessError } from './errors.ts'
import { rebuildIfStale } from './fresh-build.ts'
import { coursePaths, resolveCourseRoot } from './paths.ts'
import { terminalOutput, type Output } from './ui/output.ts'

export const USAGE = `Usage: npm <command> [-- flags]

  npm start                        guided mode: watch the next unfinished exercise
  npm run exercise <name>          grade once (flags: --solution, --json, --seed N)
  npm run watch [name]             grade on every save (default: the current exercise)
  npm run list                     every exercise with its status
  npm run progress                 completion by track
  npm run hint [name]              a hint for the task you are on (--task N for another)
  npm run compare <name>           your attempt vs the reference (--force before passing)
  npm run reset <name>             restore the stub (your attempt is backed up first)
  npm run verify [name...]         the course self-check (--seed N, --seeds COUNT for a soak,
                                   --mutant-seeds COUNT to grade each mutant with as many)

Flags go after \`--\`, e.g. \`npm run exercise jwt-verify -- --json\`.
`

const OPTIONS = {
  solution: { type: 'boolean' },
  json: { type: 'boolean' },
  force: { type: 'boolean' },
  seed: { type: 'string' },
  seeds: { type: 'string' },
  'mutant-seeds': { type: 'string' },
  task: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const

// "Unknown option '--jsn'" becomes "Unknown flag --jsn: did you mean --json?".
function flagProblem(error: Error): string {
  const unknown = /Unknown option '(-{1,2})([^']+)'/.exec(error.message)
  if (!unknown) return error.message
  const { closest, distance } = createRequire(import.meta.url)('fastest-levenshtein') as typeof import('fastest-levenshtein')
  const name = unknown[2]!
  const best = closest(name, Object.keys(OPTIONS))
  const near = distance(name, best) <= Math.max(2, Math.floor(best.length / 3)) || best.startsWith(name)
  return `Unknown flag ${unknown[1]}${name}${near ? `: did you mean \`--${best}\`?` : '.'}`
}

interface Flags {
  solution?: boolean
  json?: boolean
  force?: boolean
  seed?: string
  seeds?: string
  'mutant-seeds'?: string
  task?: string
  help?: boolean
}

/** Runs the CLI with `argv` (without node and the script); resolves to the exit code. */
// Grading commands fork their first worker before loading vitest: the two start-ups overlap.
async function earlyWorkers(ctx: CommandContext, trusted: boolean): Promise<WorkerGround> {
  const { prepareWorkers } = await import('./runner/early-worker.ts')
  return prepareWorkers(ctx.paths, { trusted })
}

// Idempotent: a session that used the ground has already cleaned it up.
function disposeWorkers(ground: WorkerGround): void {
  ground.registry.killAll()
  ground.runDir.remove()
}

export async function main(argv: string[], out: Output = terminalOutput(), env = process.env): Promise<number> {
  let command: string | undefined
  let positionals: string[]
  let flags: Flags
  try {
    const parsed = parseArgs({ args: argv, allowPositionals: true, strict: true, options: OPTIONS })
    ;[command, ...positionals] = parsed.positionals
    flags = parsed.values as Flags
  } catch (error) {
    out.error(`${flagProblem(error as Error)}\n\n${USAGE}`)
    return 2
  }
  if (flags.help || !command || command === 'help') {
    out.write(USAGE)
    return command || flags.help ? 0 : 2
  }
  try {
    const seed = parseSeed(flags.seed)
    const ctx: CommandContext = { paths: coursePaths(resolveCourseRoot(env)), out, env }
    const slug = positionals[0]
    const needSlug = () => {
      if (!slug) throw new HarnessError('BAD_USAGE', `Which exercise? Run \`npm run ${command} <name>\`; \`npm run list\` shows the names.`)
      if (positionals.length > 1) throw new HarnessError('BAD_USAGE', `One exercise at a time: got ${positionals.join(', ')}.`)
      return slug
    }
    // Commands are imported on demand: `list` should not pay for loading vitest.
    switch (command) {
      case 'start':
      case 'watch': {
        const ground = await earlyWorkers(ctx, false)
        try {
          const { watchCommand } = await import('./commands/watch.ts')
          return await watchCommand(ctx, {
            ...(command === 'start' ? { guided: true } : slug ? { slug } : {}),
            ...(seed !== undefined ? { seed } : {}),
            ground,
          })
        } finally {
          disposeWorkers(ground)
        }
      }
      case 'exercise': {
        const exercise = needSlug()
        const ground = await earlyWorkers(ctx, !!flags.solution)
        try {
          const { exerciseCommand } = await import('./commands/exercise.ts')
          return await exerciseCommand(ctx, {
            slug: exercise,
            ...(flags.solution ? { solution: true } : {}),
            ...(flags.json ? { json: true } : {}),
            ...(seed !== undefined ? { seed } : {}),
            ground,
          })
        } finally {
          disposeWorkers(ground)
        }
      }
      case 'list':
        return (await import('./commands/list.ts')).listCommand(ctx)
      case 'progress':
        return (await import('./commands/progress.ts')).progressCommand(ctx)
      case 'hint': {
        if (positionals.length > 1) throw new HarnessError('BAD_USAGE', `One exercise at a time: got ${positionals.join(', ')}.`)
        const task = flags.task === undefined ? undefined : Number(flags.task)
        if (task !== undefined && !(Number.isInteger(task) && task >= 1)) throw new HarnessError('BAD_USAGE', `--task takes a task number (1, 2, ...), not "${flags.task}".`)
        return await (await import('./commands/hint.ts')).hintCommand(ctx, { ...(slug ? { slug } : {}), ...(task ? { task } : {}) })
      }
      case 'compare': {
        const { compareCommand } = await import('./commands/compare.ts')
        return await compareCommand(ctx, { slug: needSlug(), ...(flags.force ? { force: true } : {}) })
      }
      case 'reset':
        return (await import('./commands/reset.ts')).resetCommand(ctx, { slug: needSlug() })
      case 'verify': {
        const { verifyCommand } = await import('./commands/verify.ts')
        const seedCount = parseSeedCount(flags.seeds, '--seeds', 'each reference solution')
        const mutantSeedCount = parseSeedCount(flags['mutant-seeds'], '--mutant-seeds', 'each mutant')
        return await verifyCommand(ctx, {
          slugs: positionals,
          ...(seed !== undefined ? { seed } : {}),
          ...(seedCount !== undefined ? { seedCount } : {}),
          ...(mutantSeedCount !== undefined ? { mutantSeedCount } : {}),
        })
      }
      default:
        throw new HarnessError('BAD_USAGE', `Unknown command "${command}".`)
    }
  } catch (error) {
    return report(error, out, env)
  }
}

function parseSeed(text: string | undefined): number | undefined {
  if (text === undefined) return undefined
  if (!/^\d{1,9}$/.test(text)) throw new HarnessError('BAD_USAGE', `--seed takes a whole number (the one a failing grade printed), not "${text}".`)
  return Number(text)
}

function parseSeedCount(text: string | undefined, flag: string, what: string): number | undefined {
  if (text === undefined) return undefined
  if (!/^\d{1,6}$/.test(text) || Number(text) < 1) {
    throw new HarnessError('BAD_USAGE', `${flag} takes how many seeds to grade ${what} with (1 or more), not "${text}".`)
  }
  return Number(text)
}

function report(error: unknown, out: Output, env: NodeJS.ProcessEnv): number {
  const c = out.colors
  if (error instanceof HarnessError && error.code === 'COURSE_COMPLETE') {
    out.write(`${c.green(error.message)}\n`)
    return 0
  }
  if (error instanceof HarnessError) {
    out.error(`${c.red(error.message)}\n`)
    if (error.code === 'BAD_USAGE') out.error(`\n${USAGE}`)
    return error.code === 'BAD_USAGE' || error.code === 'UNKNOWN_EXERCISE' ? 2 : 1
  }
  const e = error as Error
  out.error(`${c.red(`The harness itself failed: ${e?.message ?? String(error)}`)}\n`)
  out.error(env.DEBUG ? `${e?.stack ?? ''}\n` : c.dim('This is a bug in the harness, not in your code. Run again with DEBUG=1 to see the stack.\n'))
  return 1
}

// Run only when executed, not when imported by tests.
if (import.meta.url === `file://${process.argv[1]}` || process.argv[1]?.endsWith('/harness/cli.js')) {
  // `npm run list | head` closes the pipe early: that is not an error worth a stack trace.
  process.stdout.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code === 'EPIPE') process.exit(process.exitCode ?? 0)
    throw error
  })
  const self = fileURLToPath(import.meta.url)
  const compiled = self.endsWith(path.join('dist', 'harness', 'cli.js'))
  const rerun = compiled && rebuildIfStale(path.resolve(path.dirname(self), '..', '..'), self)
  if (!rerun) {
    main(process.argv.slice(2)).then(
      (code) => {
        // Exit once pending output is flushed: nothing else needs waiting for, and vitest's
        // leftover handles would otherwise keep the process alive a little longer.
        process.exitCode = code
        process.stdout.write('', () => process.stderr.write('', () => process.exit(code)))
      },
      (error: unknown) => {
        process.stderr.write(`${String(error)}\n`)
        process.exit(1)
      },
    )
  }
}
