// The files that decide a grade: the exercise's hidden spec (and whatever else content/<slug>
// holds) and the spec kit. Graded code cannot write them (the sandbox), and a grade still
// checks: if one changed while an attempt was graded, the grade fails and says how to restore it.
import { createHash } from 'node:crypto'
import { readFileSync } from 'node:fs'
import path from 'node:path'
import type { CoursePaths } from '../paths.ts'
import { typescriptFiles } from '../course/exercise-files.ts'

export type GraderFilesSnapshot = Map<string, string>

/** Hashes of the grader's files for `slug`. */
export function snapshotGraderFiles(paths: CoursePaths, slug: string): GraderFilesSnapshot {
  const kit = path.dirname(paths.specKitSetup)
  const files = [...typescriptFiles(paths.content(slug)), ...typescriptFiles(kit).filter((f) => !f.endsWith('.test.ts'))]
  const snapshot: GraderFilesSnapshot = new Map()
  for (const file of files) {
    try {
      snapshot.set(file, createHash('sha256').update(readFileSync(file)).digest('hex'))
    } catch {
      snapshot.set(file, 'missing')
    }
  }
  return snapshot
}

/** What changed between two snapshots, as integrity problems a learner can act on. */
export function graderFileChanges(before: GraderFilesSnapshot, after: GraderFilesSnapshot, root: string): string[] {
  const changed = [...new Set([...before.keys(), ...after.keys()])].filter((f) => before.get(f) !== after.get(f))
  if (!changed.length) return []
  const rel = changed.map((f) => path.relative(root, f))
  return [
    `The grader's own files changed while your code was graded (${rel.join(', ')}), so this grade does not count. ` +
      `Restore them with \`git checkout -- ${rel.join(' ')}\`, then grade again.`,
  ]
}
