// What every command gets: the course's paths, where to write, the environment. Commands load
// the catalog and progress through these helpers so that problems are reported the same way.
import { findExercise, loadCatalog, type Catalog, type Exercise } from '../catalog/catalog.ts'
import { readNotes as readCourseNotes } from '../course/exercise-files.ts'
import type { CoursePaths } from '../paths.ts'
import { HarnessError } from '../errors.ts'
import { ProgressStore, mutableStateOf, type LoadedProgress, type Progress } from '../progress/store.ts'
import type { GradeResult } from '../runner/results.ts'
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

/** Reads the progress (changing nothing on disk), telling the learner what could not be read. */
export function readProgress(ctx: CommandContext): Progress {
  const loaded = new ProgressStore(ctx.paths.progressFile).load()
  warnDamage(ctx, loaded)
  return loaded.progress
}

/** Changes the progress under the lock (see ProgressStore.update). */
export async function updateProgress(ctx: CommandContext, change: (progress: Progress) => void): Promise<Progress> {
  let result: Progress | undefined
  const loaded = await new ProgressStore(ctx.paths.progressFile).update((p) => {
    change(p)
    result = p
  })
  warnDamage(ctx, loaded)
  return result!
}

/**
 * Records something after its result was shown: a disk that will not take it (read-only, full)
 * or a progress file from a newer harness costs one sentence, not the result.
 */
export async function updateProgressAfterResult(ctx: CommandContext, change: (progress: Progress) => void): Promise<boolean> {
  try {
    await updateProgress(ctx, change)
    return true
  } catch (error) {
    if (error instanceof HarnessError && (error.code === 'PROGRESS_NOT_SAVED' || error.code === 'PROGRESS_NEWER')) {
      ctx.out.error(`${ctx.out.colors.yellow(error.message)}\n`)
      return false
    }
    throw error
  }
}

/** Records a grade of the learner's attempt; returns true when this is the first pass. */
export async function recordGrade(ctx: CommandContext, slug: string, result: Pick<GradeResult, 'status' | 'tasks'>): Promise<boolean> {
  let firstPass = false
  const { status } = result
  const passedTasks = result.tasks.filter((t) => t.passed === t.total).map((t) => t.id)
  await updateProgressAfterResult(ctx, (p) => {
    const state = mutableStateOf(p, slug)
    state.attempts += 1
    state.lastStatus = status
    state.lastGradedAt = new Date().toISOString()
    if (result.tasks.length) {
      // Partial credit: a task counts as done once all its checks passed in some grade.
      state.lastPassedTasks = passedTasks
      state.tasksDone = [...new Set([...(state.tasksDone ?? []), ...passedTasks])].sort((a, b) => a - b)
      state.taskCount = result.tasks.length
    }
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

// Said once per process: watch mode reads the progress after every grade.
const warned = new Set<string>()

function warnDamage(ctx: CommandContext, loaded: LoadedProgress): void {
  const { colors: c } = ctx.out
  const file = ctx.paths.progressFile
  let text: string | undefined
  if (loaded.newer !== undefined) {
    text = `Your progress file was written by a newer version of the harness (version ${loaded.newer}); it is shown as far as this version can read it, and left unchanged.`
  } else if (loaded.damage) {
    text =
      `Part of your progress file could not be read: ${loaded.damage.reason}.\n` +
      (loaded.copy
        ? `The file as it was is kept at ${loaded.copy}; the rest of your progress was saved without the damaged part.`
        : `It was left as it is; the next change keeps a copy of it before saving what could be read.`) +
      ' Your exercise files are untouched.'
  }
  if (!text || warned.has(text)) return
  warned.add(text)
  ctx.out.error(`${c.yellow(text)}\n\n`)
  void file
}
