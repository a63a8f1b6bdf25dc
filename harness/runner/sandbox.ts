// The walls around graded code. A grading worker is a Node process started with the permission
// model on: it may read the packages, the exercises and its own scratch folder, and write only
// there; it may not start processes. So an attempt cannot rewrite the hidden spec or the spec
// kit, read the reference solutions, touch the learner's progress and backups, or leave a
// process behind. Node's heap limit and the watchdog's memory readings bound its memory.
import { realpathSync } from 'node:fs'
import path from 'node:path'
import type { CoursePaths } from '../paths.ts'

export interface SandboxOptions {
  /** The course's own code (solutions, stubs, mutants): may read the whole course. */
  trusted: boolean
  /** The grade's scratch folder: the only place graded code may write (it is also its TMPDIR). */
  scratchDir: string
  /** Node's heap limit for the worker, in MB. */
  heapMb: number
  /** Files outside those folders the worker must load (the harness's own worker entry). */
  extraReadable?: string[]
}

/** Node's flag for the permission model: `--permission` from Node 22.13/23.5, before that `--experimental-permission`. */
export function permissionFlag(): string {
  return process.allowedNodeEnvironmentFlags.has('--permission') ? '--permission' : '--experimental-permission'
}

/** The Node flags a grading worker starts with. */
export function sandboxFlags(paths: CoursePaths, options: SandboxOptions): string[] {
  // node_modules is named on its own even when trusted: it may be a link out of the course.
  const readable = options.trusted
    ? [paths.root, path.join(paths.root, 'node_modules')]
    : [path.join(paths.root, 'node_modules'), paths.exercisesDir]
  readable.push(...(options.extraReadable ?? []))
  const flags = [
    permissionFlag(),
    ...withRealPaths(readable).map((p) => `--allow-fs-read=${p}`),
    ...withRealPaths([options.scratchDir]).flatMap((p) => [`--allow-fs-read=${p}`, `--allow-fs-write=${p}`]),
    // Lessons on blocking work use worker threads; they live and die with the worker process.
    '--allow-worker',
    `--max-old-space-size=${options.heapMb}`,
    // "Permission is an experimental feature" on every start says nothing to a learner.
    '--disable-warning=ExperimentalWarning',
    // "--allow-worker must be used with extreme caution": a worker thread gets the same walls.
    '--disable-warning=SecurityWarning',
  ]
  return flags
}

// The course may be reached through symbolic links (the end-to-end fixture links node_modules),
// and the permission model checks the path a call names: grant both spellings.
function withRealPaths(dirs: string[]): string[] {
  const all = new Set<string>()
  for (const dir of dirs) {
    all.add(dir)
    try {
      all.add(realpathSync(dir))
    } catch {
      // not there yet: the plain path is enough
    }
  }
  return [...all]
}

/** What graded code that hit a wall tried to do, in the learner's words; undefined for other errors. */
export function describeAccessDenied(text: string, root: string): string | undefined {
  if (!/ERR_ACCESS_DENIED|Access to this API has been restricted/.test(text)) return undefined
  const permission = /permission:\s*'(\w+)'/.exec(text)?.[1]
  const resource = /resource:\s*'([^']+)'/.exec(text)?.[1]
  const where = resource ? ` (${path.relative(root, resource) || resource})` : ''
  switch (permission) {
    case 'FileSystemWrite':
      return `your code tried to write a file outside its scratch folder${where}. Graded code may write only under os.tmpdir(); the course's own files, your progress and your backups are off limits.`
    case 'FileSystemRead':
      return `your code tried to read a file it may not read${where}. Graded code may read node_modules, exercises/ and os.tmpdir(), not the solutions or the hidden specs.`
    case 'ChildProcess':
      return 'your code tried to start another process. Graded code may not start processes: do the work in the app itself.'
    default:
      return `your code used something graded code may not use${permission ? ` (${permission})` : ''}${where}.`
  }
}
