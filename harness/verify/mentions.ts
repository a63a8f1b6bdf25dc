// A learner reads the course in order, so an exercise's README and notes may name only the
// exercises before it - unless the same sentence says plainly that the other one comes later
// ("`error-handling`, later in the course, ..."). Naming a later exercise as if it were done
// ("the JWT you verified in jwt-verify") sends the learner to something they have not built.
import { existsSync, readFileSync } from 'node:fs'
import path from 'node:path'
import type { Catalog, Exercise } from '../catalog/catalog.ts'
import type { CoursePaths } from '../paths.ts'

const SAYS_LATER = /\b(later|comes after|comes next|next exercise|coming up|upcoming|ahead|next track|future|once)\b/i

/** Lines of the exercise's README and notes that name a later exercise without saying so. */
export function mentionProblems(paths: CoursePaths, catalog: Catalog, exercise: Exercise): string[] {
  const order = catalog.exercises.map((e) => e.slug)
  const at = order.indexOf(exercise.slug)
  const later = order.slice(at + 1)
  if (!later.length) return []
  const problems: string[] = []
  for (const file of [paths.exerciseReadme(exercise.slug), paths.notes(exercise.slug)]) {
    if (!existsSync(file)) continue
    for (const { text, line } of sentences(readFileSync(file, 'utf8'))) {
      for (const slug of later) {
        if (!namesSlug(text, slug) || SAYS_LATER.test(text)) continue
        const n = order.indexOf(slug) + 1
        problems.push(
          `${path.relative(paths.root, file)}:${line} names ${slug}, which comes later (exercise ${n}); say so in that sentence, or do not name it`,
        )
      }
    }
  }
  return problems
}

/** The sentences of a Markdown text (paragraphs joined, list items and table rows apart), with the line each starts on. */
export function sentences(markdown: string): { text: string; line: number }[] {
  const out: { text: string; line: number }[] = []
  let block: { text: string; line: number } | undefined
  const flush = () => {
    if (!block) return
    // Each sentence is reported at its block's first line: close enough to find it.
    for (const part of block.text.split(/(?<=[.!?])\s+(?=[A-Z`(])/)) out.push({ text: part, line: block.line })
    block = undefined
  }
  markdown.split('\n').forEach((raw, i) => {
    const line = raw.trim()
    // A blank line, a heading, a list item or a table row starts a new block.
    if (!line || /^(#|[-*+] |\d+\. |\|)/.test(line)) flush()
    if (!line) return
    if (block) block.text += ` ${line}`
    else block = { text: line, line: i + 1 }
    if (/^(#|\|)/.test(line)) flush()
  })
  flush()
  return out
}

/**
 * True when `slug` appears as a whole name (not inside a longer kebab-case word). A one-word slug
 * ("serializers") is also an ordinary word, so only its code spelling counts: `serializers`.
 */
export function namesSlug(text: string, slug: string): boolean {
  const escaped = slug.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
  if (!slug.includes('-')) return text.includes(`\`${slug}\``)
  return new RegExp(`(^|[^a-z0-9-])${escaped}($|[^a-z0-9-])`, 'i').test(text)
}
