// A learner reads the course in order, so an exercise's README and notes may name only the
// exercises before it - unless the same line says plainly that the other one comes later
// ("`error-handling`, later in the course, ..."). Naming a later exercise as if it were done
// ("the JWT you verified in jwt-verify") sends the learner to something they have not built.
import { existsSync, readFileSync } from 'node:fs'
import path from 'node:path'
import type { Catalog, Exercise } from '../catalog/catalog.ts'
import type { CoursePaths } from '../paths.ts'

const SAYS_LATER = /\b(later|comes after|coming up|upcoming|ahead|next track|future)\b/i

/** Lines of the exercise's README and notes that name a later exercise without saying so. */
export function mentionProblems(paths: CoursePaths, catalog: Catalog, exercise: Exercise): string[] {
  const order = catalog.exercises.map((e) => e.slug)
  const at = order.indexOf(exercise.slug)
  const later = order.slice(at + 1)
  if (!later.length) return []
  const problems: string[] = []
  for (const file of [paths.exerciseReadme(exercise.slug), paths.notes(exercise.slug)]) {
    if (!existsSync(file)) continue
    const lines = readFileSync(file, 'utf8').split('\n')
    lines.forEach((line, i) => {
      for (const slug of later) {
        if (!namesSlug(line, slug) || SAYS_LATER.test(line)) continue
        const n = order.indexOf(slug) + 1
        problems.push(
          `${path.relative(paths.root, file)}:${i + 1} names ${slug}, which comes later (exercise ${n}); say so on that line, or do not name it`,
        )
      }
    })
  }
  return problems
}

/** True when `slug` appears as a whole name: not inside a longer kebab-case word. */
export function namesSlug(line: string, slug: string): boolean {
  const escaped = slug.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
  return new RegExp(`(^|[^a-z0-9-])${escaped}($|[^a-z0-9-])`, 'i').test(line)
}
