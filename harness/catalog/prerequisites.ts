// Which prerequisites to show beside an exercise. `requires` lists everything an exercise builds
// on, often including what its other prerequisites already require; a learner only needs the
// nearest ones ("after stateless-requests", not also the four exercises before that), and only
// those not done yet.
import type { Catalog } from './catalog.ts'

/** The direct prerequisites of `slug` not implied by another of its prerequisites, and not in `done`. */
export function pendingPrerequisites(catalog: Catalog, slug: string, done: ReadonlySet<string>): string[] {
  const requires = new Map(catalog.exercises.map((e) => [e.slug, e.requires]))
  const direct = requires.get(slug) ?? []
  const implied = new Set(direct.flatMap((r) => [...closure(requires, r)]))
  return direct.filter((r) => !implied.has(r) && !done.has(r))
}

/** Everything `slug` requires, directly or through its prerequisites (not `slug` itself). */
function closure(requires: ReadonlyMap<string, readonly string[]>, slug: string): Set<string> {
  const seen = new Set<string>()
  const stack = [...(requires.get(slug) ?? [])]
  while (stack.length) {
    const next = stack.pop()!
    if (seen.has(next)) continue
    seen.add(next)
    stack.push(...(requires.get(next) ?? []))
  }
  return seen
}
