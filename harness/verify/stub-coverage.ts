// A multi-file exercise must give the learner a stub of every file its solution is made of:
// a solution file without one is code the learner is graded on but never sees.
import path from 'node:path'
import { typescriptFiles } from '../course/exercise-files.ts'
import type { CoursePaths } from '../paths.ts'

/** One problem per solution file that has no pristine stub (none for a single-file exercise). */
export function stubCoverageProblems(paths: CoursePaths, slug: string): string[] {
  const stubDir = paths.stub(slug)
  const stubFiles = new Set(typescriptFiles(stubDir).map((f) => path.relative(stubDir, f)))
  if (!stubFiles.size) return []
  const problems: string[] = []
  for (const file of typescriptFiles(paths.solution(slug))) {
    const rel = path.relative(paths.solution(slug), file)
    if (stubFiles.has(rel)) continue
    const stub = path.relative(paths.root, path.join(stubDir, rel))
    problems.push(`${path.relative(paths.root, file)} has no stub: add ${stub} and copy it to exercises/${slug}/`)
  }
  return problems
}
