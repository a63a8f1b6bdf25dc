// The learner's progress: .course/progress.json, git-ignored. Versioned, written atomically
// (a temp file renamed over the old one), and updated under a lock so that two harness
// processes at once (a watch and a one-off grade) lose no update. A file that cannot be read
// is moved aside and reported, never silently replaced.
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import lockfile from 'proper-lockfile'
import { z } from 'zod'
import { HarnessError } from '../errors.ts'

export const PROGRESS_VERSION = 1

const exerciseStateSchema = z.object({
  /** When every check first passed. */
  passedAt: z.string().optional(),
  /** Grades of the attempt so far. */
  attempts: z.number().int().nonnegative().default(0),
  lastGradedAt: z.string().optional(),
  lastStatus: z.enum(['pass', 'fail', 'error']).optional(),
  /** How many hint tiers were revealed. */
  hintsRevealed: z.number().int().nonnegative().default(0),
  /** When the learner looked at the reference solution before passing. */
  peekedAt: z.string().optional(),
})

const progressSchema = z.object({
  version: z.literal(PROGRESS_VERSION),
  exercises: z.record(z.string(), exerciseStateSchema),
})

export type ExerciseState = z.infer<typeof exerciseStateSchema>
export type Progress = z.infer<typeof progressSchema>

export interface LoadedProgress {
  progress: Progress
  /** Set when an unreadable file was moved aside: the UI must tell the learner. */
  recovered?: { backup: string; reason: string }
}

const empty = (): Progress => ({ version: PROGRESS_VERSION, exercises: {} })

/** The progress store for one file. */
export class ProgressStore {
  constructor(private readonly file: string) {}

  /** Reads the progress; an unreadable file is moved aside (and reported in `recovered`). */
  load(): LoadedProgress {
    if (!existsSync(this.file)) return { progress: empty() }
    let reason: string
    try {
      const data = JSON.parse(readFileSync(this.file, 'utf8'))
      const parsed = progressSchema.safeParse(data)
      if (parsed.success) return { progress: parsed.data }
      reason =
        data && typeof data === 'object' && 'version' in data && data.version !== PROGRESS_VERSION
          ? `it has version ${JSON.stringify(data.version)}, this harness reads version ${PROGRESS_VERSION}`
          : `its contents are not valid progress (${parsed.error.issues[0]?.path.join('.')}: ${parsed.error.issues[0]?.message})`
    } catch (error) {
      reason = `it is not valid JSON (${(error as Error).message})`
    }
    const backup = `${this.file}.corrupt-${timestamp()}`
    renameSync(this.file, backup)
    return { progress: empty(), recovered: { backup, reason } }
  }

  /** Applies `change` to the latest progress under the lock and saves it atomically. */
  async update(change: (progress: Progress) => void): Promise<LoadedProgress> {
    mkdirSync(path.dirname(this.file), { recursive: true })
    let release: () => Promise<void>
    try {
      // The lock is a directory next to the file; stale locks (a killed process) expire.
      release = await lockfile.lock(this.file, {
        realpath: false,
        stale: 10_000,
        retries: { retries: 50, minTimeout: 20, maxTimeout: 200 },
      })
    } catch (error) {
      throw new HarnessError(
        'PROGRESS_LOCKED',
        `Could not lock ${this.file} (${(error as Error).message}). Another harness command may be stuck; stop it and try again.`,
      )
    }
    try {
      const loaded = this.load()
      change(loaded.progress)
      this.save(loaded.progress)
      return loaded
    } finally {
      await release()
    }
  }

  private save(progress: Progress): void {
    const temp = `${this.file}.${process.pid}.tmp`
    writeFileSync(temp, `${JSON.stringify(progress, null, 2)}\n`)
    renameSync(temp, this.file)
  }
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

export function timestamp(date = new Date()): string {
  return date.toISOString().replace(/[:.]/g, '-')
}
