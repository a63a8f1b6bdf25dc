// Loads and validates content/catalog.json: the tracks and the exercises in curriculum order.
import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { z } from 'zod'
import { HarnessError } from '../errors.ts'

const slug = z.string().regex(/^[a-z0-9]+(-[a-z0-9]+)*$/, 'a slug is kebab-case: lower-case words joined by "-"')

const taskSchema = z.object({
  /** Exactly the title the spec's `task(n, title, ...)` gives it. */
  title: z.string().min(1),
  /** Tiers, from a nudge to nearly the answer. */
  hints: z.array(z.string().min(1)),
})

const exerciseSchema = z
  .object({
    slug,
    title: z.string().min(1),
    track: z.string().min(1),
    difficulty: z.enum(['easy', 'medium', 'hard']),
    questions: z.array(z.string().min(1)),
    /** Exercises whose ideas this one builds on; each must come earlier in the course. */
    requires: z.array(slug).default([]),
    /** The numbered tasks, in order (task n is tasks[n - 1]). */
    tasks: z.array(taskSchema).optional(),
    /** Hints of an exercise without tasks (it is then one task, named like the exercise). */
    hints: z.array(z.string().min(1)).optional(),
  })
  .transform(({ hints, tasks, ...rest }) => ({
    ...rest,
    tasks: tasks?.length ? tasks : [{ title: rest.title, hints: hints ?? [] }],
    /** False for an exercise whose spec does not group its checks into tasks yet. */
    tasked: Boolean(tasks?.length),
  }))

const catalogSchema = z
  .object({
    tracks: z.array(z.object({ id: slug, title: z.string().min(1) })).min(1),
    exercises: z.array(exerciseSchema),
  })
  .superRefine((catalog, ctx) => {
    const trackIds = new Set(catalog.tracks.map((t) => t.id))
    const seen = new Set<string>()
    catalog.exercises.forEach((exercise, i) => {
      for (const [j, required] of exercise.requires.entries()) {
        if (!seen.has(required)) {
          const known = catalog.exercises.some((e) => e.slug === required)
          ctx.addIssue({
            code: 'custom',
            path: ['exercises', i, 'requires', j],
            message: known ? `"${required}" comes after "${exercise.slug}": an exercise may require only earlier ones` : `unknown exercise "${required}"`,
          })
        }
      }
      if (seen.has(exercise.slug)) {
        ctx.addIssue({ code: 'custom', path: ['exercises', i, 'slug'], message: `duplicate slug "${exercise.slug}"` })
      }
      seen.add(exercise.slug)
      if (!trackIds.has(exercise.track)) {
        ctx.addIssue({ code: 'custom', path: ['exercises', i, 'track'], message: `unknown track "${exercise.track}"` })
      }
    })
  })

export type Exercise = z.infer<typeof exerciseSchema>
export type Task = Exercise['tasks'][number]
export type Difficulty = Exercise['difficulty']
export type Catalog = z.infer<typeof catalogSchema>

/** Reads and validates the catalog; any problem is a CATALOG_INVALID error naming the field. */
export function loadCatalog(file: string): Catalog {
  let data: unknown
  try {
    data = JSON.parse(readFileSync(file, 'utf8'))
  } catch (error) {
    throw new HarnessError('CATALOG_INVALID', `Cannot read the catalog ${file}: ${(error as Error).message}`)
  }
  const parsed = catalogSchema.safeParse(data)
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}`).join('\n')
    throw new HarnessError('CATALOG_INVALID', `The catalog ${file} is invalid:\n${problems}`)
  }
  return parsed.data
}

/** The exercise with this slug, or an UNKNOWN_EXERCISE error that suggests the closest names. */
export function findExercise(catalog: Catalog, name: string): Exercise {
  const exercise = catalog.exercises.find((e) => e.slug === name)
  if (exercise) return exercise
  const suggestions = suggest(catalog.exercises.map((e) => e.slug), name)
  const hint = suggestions.length ? ` Did you mean ${suggestions.map((s) => `"${s}"`).join(' or ')}?` : ''
  throw new HarnessError(
    'UNKNOWN_EXERCISE',
    `There is no exercise called "${name}".${hint} Run \`npm run list\` to see them all.`,
  )
}

/** Up to three slugs that look like `name`: prefix and substring matches first, then close spellings. */
export function suggest(slugs: string[], name: string): string[] {
  // Loaded only when a name is wrong: every other command would pay for it otherwise.
  const { closest, distance } = createRequire(import.meta.url)('fastest-levenshtein') as typeof import('fastest-levenshtein')
  const needle = name.toLowerCase()
  if (!needle) return []
  const contains = slugs.filter((s) => s.includes(needle) || needle.includes(s))
  const near = slugs
    .filter((s) => !contains.includes(s))
    .map((s) => ({ s, d: distance(s, needle) }))
    .filter(({ s, d }) => d <= Math.max(2, Math.floor(s.length / 3)))
    .sort((a, b) => a.d - b.d)
    .map(({ s }) => s)
  const best = slugs.length ? closest(needle, slugs) : undefined
  const ordered = [...contains, ...near]
  if (!ordered.length && best && distance(best, needle) <= Math.ceil(best.length / 2)) ordered.push(best)
  return ordered.slice(0, 3)
}

/** The track title for an id (the id itself if the catalog has no such track). */
export function trackTitle(catalog: Catalog, id: string): string {
  return catalog.tracks.find((t) => t.id === id)?.title ?? id
}
