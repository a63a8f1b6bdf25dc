// What every command gets: the course's paths, where to write, the environment. Commands load
// the catalog and progress through these helpers so that problems are reported the same way.
import { findExercise, loadCatalog, type Catalog, type Exercise } from '../catalog/catalog.ts'
import { readNotes as readCourseNotes } from '../course/exercise-files.ts'
import type { CoursePaths } from '../paths.ts'
import { ProgressStore, mutableStateOf, type Progress } from '../progress/store.ts'
import type { GradeStatus } from '../runner/results.ts'
import type { Output } from '../ui/output.ts'

export interface CommandContext {
  paths: CoursePaths
  out: Output
  env: NodeJS.ProcessEnv
}

/** The catalog and one exercise of it (UNKNOWN_EXERCISE with suggestions otherwise). */
export function exerciseOf(ctx: CommandContext, slug: string): { catalog: Catalog; exercise: Exercise } {
  const catalog = loadCatalog(ctx.paths.catalog)
  return { catalog, exercise: findExercise(catalog, slug) }
}

/** Reads the progress, telling the learner if an unreadable file had to be moved aside. */
export function readProgress(ctx: CommandContext): Progress {
  const loaded = new ProgressStore(ctx.paths.progressFile).load()
  if (loaded.recovered) warnRecovered(ctx, loaded.recovered)
  return loaded.progress
}

/** Changes the progress under the lock (see ProgressStore.update). */
export async function updateProgress(ctx: CommandContext, change: (progress: Progress) => void): Promise<Progress> {
  let result: Progress | undefined
  const loaded = await new ProgressStore(ctx.paths.progressFile).update((p) => {
    change(p)
    result = p
  })
  if (loaded.recovered) warnRecovered(ctx, loaded.recovered)
  return result!
}

/** Records a grade of the learner's attempt; returns true when this is the first pass. */
export async function recordGrade(ctx: CommandContext, slug: string, status: GradeStatus): Promise<boolean> {
  let firstPass = false
  await updateProgress(ctx, (p) => {
    const state = mutableStateOf(p, slug)
    state.attempts += 1
    state.lastStatus = status
    state.lastGradedAt = new Date().toISOString()
    if (status === 'pass' && !state.passedAt) {
      state.passedAt = state.lastGradedAt
      firstPass = true
    }
  })
  return firstPass
}

/** The first exercise in curriculum order that has not passed yet. */
export function currentExercise(catalog: Catalog, progress: Progress): Exercise | undefined {
  return catalog.exercises.find((e) => !progress.exercises[e.slug]?.passedAt)
}

/** The notes shown after a pass (empty if the exercise has none). */
export function readNotes(ctx: CommandContext, slug: string): string {
  return readCourseNotes(ctx.paths, slug)
}

function warnRecovered(ctx: CommandContext, recovered: { backup: string; reason: string }): void {
  const { colors: c } = ctx.out
  ctx.out.error(
    c.yellow(
      `Your progress file could not be read: ${recovered.reason}.\n` +
        `It was moved to ${recovered.backup} and a new one was started; your exercise files are untouched.\n` +
        `If you repaired it, move it back to ${ctx.paths.progressFile}.\n\n`,
    ),
  )
}
