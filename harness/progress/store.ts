// The learner's progress: .course/progress.json, git-ignored. Versioned, written atomically
// (a temp file renamed over the old one), and updated under a lock so that two harness
// processes at once (a watch and a one-off grade) lose no update.
//
// Damage never costs more than it must: reading never moves or rewrites the file; one bad
// entry costs that entry, not the others; a change to a damaged file first keeps a copy of
// it; a file from a newer harness is left alone (read what can be read, refuse to write);
// fields this version does not know survive a save.
import { copyFileSync, existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import lockfile from 'proper-lockfile'
import { z } from 'zod'
import { HarnessError } from '../errors.ts'

export const PROGRESS_VERSION = 1

const exerciseStateSchema = z.looseObject({
  /** When every check first passed. */
  passedAt: z.string().optional(),
  /** Grades of the attempt so far. */
  attempts: z.number().int().nonnegative().default(0),
  lastGradedAt: z.string().optional(),
  lastStatus: z.enum(['pass', 'fail', 'error']).optional(),
  /** How many hint tiers were revealed (exercises without tasks). */
  hintsRevealed: z.number().int().nonnegative().default(0),
  /** Hint tiers revealed per task, by task number. */
  taskHints: z.record(z.string(), z.number().int().nonnegative()).optional(),
  /** Tasks whose checks all passed in some grade (partial credit). */
  tasksDone: z.array(z.number().int().positive()).optional(),
  /** Tasks that passed in the latest grade: the first one missing is the task to hint. */
  lastPassedTasks: z.array(z.number().int().positive()).optional(),
  /** How many tasks the exercise had at the latest grade. */
  taskCount: z.number().int().positive().optional(),
  /** When the learner looked at the reference solution before passing. */
  peekedAt: z.string().optional(),
})

const fileSchema = z.looseObject({
  version: z.number(),
  exercises: z.record(z.string(), z.unknown()).default({}),
})

export type ExerciseState = z.infer<typeof exerciseStateSchema>
export interface Progress {
  version: number
  exercises: Record<string, ExerciseState>
  [field: string]: unknown
}

export interface LoadedProgress {
  progress: Progress
  /** Set when the file is damaged: what could not be read. The UI must tell the learner. */
  damage?: { reason: string; lost: string[] }
  /** Set when the file comes from a newer harness: it is read as far as possible, never written. */
  newer?: number
  /** Set by update() when a damaged file was copied aside before the change. */
  copy?: string
}

const empty = (): Progress => ({ version: PROGRESS_VERSION, exercises: {} })

/** Codes of the errors that mean "the disk would not take it", as opposed to a harness bug. */
const SAVE_ERRORS = new Set(['EACCES', 'EPERM', 'EROFS', 'ENOSPC', 'EDQUOT', 'ENOTDIR', 'EEXIST', 'EISDIR'])

/** The progress store for one file. */
export class ProgressStore {
  constructor(private readonly file: string) {}

  /** Reads the progress without changing anything on disk. */
  load(): LoadedProgress {
    let text: string
    try {
      if (!existsSync(this.file)) return { progress: empty() }
      text = readFileSync(this.file, 'utf8')
    } catch (error) {
      return { progress: empty(), damage: { reason: `it could not be read (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`, lost: [] } }
    }
    let data: unknown
    try {
      data = JSON.parse(text)
    } catch (error) {
      return { progress: empty(), damage: { reason: `it is not valid JSON (${(error as Error).message})`, lost: [] } }
    }
    const file = fileSchema.safeParse(data)
    if (!file.success) return { progress: empty(), damage: { reason: 'it is not a progress file (no version or exercises)', lost: [] } }
    const { version, exercises, ...rest } = file.data
    const progress: Progress = { ...rest, version: PROGRESS_VERSION, exercises: {} }
    const lost: string[] = []
    for (const [slug, entry] of Object.entries(exercises)) {
      const parsed = exerciseStateSchema.safeParse(entry)
      if (parsed.success) progress.exercises[slug] = parsed.data
      else lost.push(slug)
    }
    if (version > PROGRESS_VERSION) return { progress, newer: version }
    if (version !== PROGRESS_VERSION) {
      return { progress: empty(), damage: { reason: `it has version ${version}, this harness reads version ${PROGRESS_VERSION}`, lost: [] } }
    }
    if (lost.length) return { progress, damage: { reason: `the entries for ${lost.join(', ')} are not valid`, lost } }
    return { progress }
  }

  /** Applies `change` to the latest progress under the lock and saves it atomically. */
  async update(change: (progress: Progress) => void): Promise<LoadedProgress> {
    let release: () => Promise<void>
    try {
      mkdirSync(path.dirname(this.file), { recursive: true })
      // The lock is a directory next to the file; the holder refreshes it, so one left by a killed
      // process goes stale after 5 s, and the retries (about 7 s in all) outlast that.
      release = await lockfile.lock(this.file, {
        realpath: false,
        stale: 5_000,
        retries: { retries: 40, minTimeout: 20, maxTimeout: 200 },
      })
    } catch (error) {
      if (SAVE_ERRORS.has((error as NodeJS.ErrnoException).code ?? '')) throw notSaved(this.file, error)
      throw new HarnessError(
        'PROGRESS_LOCKED',
        `Could not lock ${this.file} (${(error as Error).message}). Another harness command may be stuck; stop it and try again.`,
      )
    }
    try {
      const loaded = this.load()
      if (loaded.newer !== undefined) {
        throw new HarnessError(
          'PROGRESS_NEWER',
          `${this.file} was written by a newer version of the harness (progress version ${loaded.newer}; this one writes ${PROGRESS_VERSION}), ` +
            'so this command left it unchanged. Update the course (git pull, then npm install) to record progress again.',
        )
      }
      // Keep the damaged original before the change replaces it with what could be salvaged.
      if (loaded.damage && existsSync(this.file)) {
        loaded.copy = `${this.file}.damaged-${timestamp()}`
        copyFileSync(this.file, loaded.copy)
      }
      change(loaded.progress)
      this.save(loaded.progress)
      return loaded
    } catch (error) {
      if (SAVE_ERRORS.has((error as NodeJS.ErrnoException).code ?? '')) throw notSaved(this.file, error)
      throw error
    } finally {
      await release().catch(() => {})
    }
  }

  private save(progress: Progress): void {
    const temp = `${this.file}.${process.pid}.tmp`
    try {
      writeFileSync(temp, `${JSON.stringify(progress, null, 2)}\n`)
      renameSync(temp, this.file)
    } catch (error) {
      rmSync(temp, { force: true })
      throw error
    }
  }
}

function notSaved(file: string, error: unknown): HarnessError {
  const code = (error as NodeJS.ErrnoException).code ?? ''
  const why =
    code === 'ENOSPC' || code === 'EDQUOT'
      ? 'the disk is full'
      : code === 'ENOTDIR' || code === 'EEXIST' || code === 'EISDIR'
        ? `${path.dirname(file)} is not a folder`
        : `${path.dirname(file)} is not writable`
  return new HarnessError('PROGRESS_NOT_SAVED', `Your progress could not be saved (${why}, ${code}); the result above still stands. Free space or fix the folder's permissions to keep recording progress.`)
}

/** The state of one exercise (a blank one if it was never touched). */
export function stateOf(progress: Progress, slug: string): ExerciseState {
  return progress.exercises[slug] ?? { attempts: 0, hintsRevealed: 0 }
}

/** The state of one exercise, created on first write. */
export function mutableStateOf(progress: Progress, slug: string): ExerciseState {
  progress.exercises[slug] ??= { attempts: 0, hintsRevealed: 0 }
  return progress.exercises[slug]
}

/** Hint tiers revealed for an exercise, over all its tasks. */
export function hintsUsed(state: ExerciseState): number {
  return state.hintsRevealed + Object.values(state.taskHints ?? {}).reduce((a, b) => a + b, 0)
}

export function timestamp(date = new Date()): string {
  return date.toISOString().replace(/[:.]/g, '-')
}
