// The temporary folder of one grading session: the per-check progress log and the scratch
// folder graded code may write to (its TMPDIR). Named after the harness's pid, so a later run
// can tell the folders of a harness that was killed (kill -9 leaves no chance to clean up)
// from those of one still running, and remove them.
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'

export interface RunDir {
  root: string
  /** Where graded code may write: its os.tmpdir(). */
  scratch: string
  /** The spec kit's per-check log (see spec-kit/setup.ts). */
  progressLog: string
  remove: () => void
}

const PREFIX = 'course-run-'

/** Creates this session's folder, after removing those left by harness processes that no longer run. */
export function createRunDir(tmp = os.tmpdir()): RunDir {
  sweepStaleRunDirs(tmp)
  const root = mkdtempSync(path.join(tmp, `${PREFIX}${process.pid}-`))
  const scratch = path.join(root, 'scratch')
  mkdirSync(scratch)
  const progressLog = path.join(scratch, 'progress.jsonl')
  writeFileSync(progressLog, '')
  return { root, scratch, progressLog, remove: () => rmSync(root, { recursive: true, force: true }) }
}

/** Removes run folders whose harness process is gone; returns how many. */
export function sweepStaleRunDirs(tmp = os.tmpdir()): number {
  let removed = 0
  let entries: string[] = []
  try {
    entries = readdirSync(tmp)
  } catch {
    return 0
  }
  for (const entry of entries) {
    const pid = new RegExp(`^${PREFIX}(\\d+)-`).exec(entry)?.[1]
    if (!pid || Number(pid) === process.pid || isAlive(Number(pid))) continue
    try {
      rmSync(path.join(tmp, entry), { recursive: true, force: true })
      removed++
    } catch {
      // someone else's, or already gone
    }
  }
  return removed
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (error) {
    // EPERM: it exists but belongs to another user.
    return (error as NodeJS.ErrnoException).code === 'EPERM'
  }
}
