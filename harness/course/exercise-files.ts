// The files of an exercise, read and written in one place so that commands only print: listing
// a folder's TypeScript files, reading the notes, pairing an attempt with the reference
// solution, restoring the pristine stub, and watching the learner's folder.
import { cpSync, existsSync, readdirSync, readFileSync } from 'node:fs'
import { watch } from 'chokidar'
import path from 'node:path'
import type { CoursePaths } from '../paths.ts'
import { backupAttempt } from '../progress/backups.ts'

/** Every .ts file under `dir`, recursively (declaration files included), sorted. */
export function typescriptFiles(dir: string): string[] {
  if (!existsSync(dir)) return []
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile() && e.name.endsWith('.ts'))
    .map((e) => path.join(e.parentPath, e.name))
    .sort()
}

/** The notes shown after a pass ('' if the exercise has none). */
export function readNotes(paths: CoursePaths, slug: string): string {
  const file = paths.notes(slug)
  return existsSync(file) ? readFileSync(file, 'utf8') : ''
}

/**
 * Where the learner's code is, for a title line: `exercises/x/app.ts`, or for an exercise whose
 * attempt spans several files, the folder and its files (`exercises/x/ (app.ts, service.ts)`).
 */
export function attemptFilesLabel(paths: CoursePaths, slug: string): string {
  const dir = paths.exercise(slug)
  const files = relativeFiles(existsSync(paths.stub(slug)) ? paths.stub(slug) : dir)
  const folder = path.relative(paths.root, dir)
  if (files.length <= 1) return path.join(folder, files[0] ?? 'app.ts')
  return `${folder}/ (${files.join(', ')})`
}

export interface FilePair {
  /** Relative to the exercise folder, e.g. `app.ts`. */
  file: string
  attempt: string
  solution: string
}

/** Attempt and solution side by side, for every file either of them has ('' where one lacks it). */
export function attemptAndSolution(paths: CoursePaths, slug: string): FilePair[] {
  const attemptDir = paths.exercise(slug)
  const solutionDir = paths.solution(slug)
  const files = new Set([...relativeFiles(attemptDir), ...relativeFiles(solutionDir)])
  return [...files].sort().map((file) => ({
    file,
    attempt: read(path.join(attemptDir, file)),
    solution: read(path.join(solutionDir, file)),
  }))
}

export type RestoreResult =
  | { status: 'no-stub' }
  | { status: 'unchanged' }
  | { status: 'restored'; files: string[]; backup?: string }

/** Copies the pristine stub over the attempt, after backing the attempt up. */
export function restoreStub(paths: CoursePaths, slug: string): RestoreResult {
  const stubDir = paths.stub(slug)
  const attemptDir = paths.exercise(slug)
  if (!existsSync(stubDir)) return { status: 'no-stub' }
  const files = relativeFiles(stubDir)
  const same = (f: string) => {
    const shipped = path.join(attemptDir, f)
    return existsSync(shipped) && readFileSync(shipped).equals(readFileSync(path.join(stubDir, f)))
  }
  if (files.every(same)) return { status: 'unchanged' }
  const backup = backupAttempt(paths.backupsDir, slug, attemptDir)
  for (const f of files) cpSync(path.join(stubDir, f), path.join(attemptDir, f))
  return { status: 'restored', files, ...(backup ? { backup } : {}) }
}

export interface FolderWatch {
  /** Resolves once the watcher has scanned the folder: saves from then on are seen. */
  ready: Promise<void>
  close: () => Promise<void>
}

/**
 * Calls `onChange` when a .ts file under `dir` is saved, created or deleted. chokidar, not
 * fs.watch: Node's recursive watcher loses a file that an editor saves by writing a temporary
 * file and renaming it over the original (Emacs, gedit, JetBrains IDEs), and then goes silent.
 */
export function watchTypescript(dir: string, onChange: () => void): FolderWatch {
  const watcher = watch(dir, {
    ignoreInitial: true,
    // An unlink followed by an add of the same file is one save, not two.
    atomic: true,
    // Editors' swap and backup files (app.ts~, .app.ts.swp, app.ts___jb_tmp___) are not sources.
    ignored: (file, stats) => !!stats?.isFile() && !file.endsWith('.ts'),
  })
  const ready = new Promise<void>((resolve) => watcher.once('ready', () => resolve()))
  watcher.on('all', (_event, file) => {
    if (file.endsWith('.ts')) onChange()
  })
  watcher.on('error', () => {
    // A folder that vanished for a moment (a checkout) is picked up again by chokidar itself.
  })
  return { ready, close: () => watcher.close() }
}

function relativeFiles(dir: string): string[] {
  return typescriptFiles(dir).map((f) => path.relative(dir, f))
}

function read(file: string): string {
  return existsSync(file) ? readFileSync(file, 'utf8') : ''
}
