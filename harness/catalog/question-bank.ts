// The question bank (content/questions.json): every seed question with its text and the
// exercises that cover it, or the track where it is planned. The course carries its own copy
// because learners do not have the seed material.
import { readFileSync } from 'node:fs'
import { z } from 'zod'
import { HarnessError } from '../errors.ts'
import type { Catalog } from './catalog.ts'

const questionSchema = z.object({
  id: z.string().min(1),
  source: z.string().min(1),
  section: z.string(),
  difficulty: z.string(),
  question: z.string().min(1),
  /** The exercises that answer it, in catalog order; empty while it is only planned. */
  exercises: z.array(z.string()),
  /** The track meant to cover it, for questions no exercise covers yet. */
  planned: z.string().optional(),
})

const bankSchema = z.object({ version: z.literal(1), questions: z.array(questionSchema) })

export type Question = z.infer<typeof questionSchema>
export type QuestionBank = z.infer<typeof bankSchema>

/** Reads and validates the question bank. */
export function loadQuestionBank(file: string): QuestionBank {
  let data: unknown
  try {
    data = JSON.parse(readFileSync(file, 'utf8'))
  } catch (error) {
    throw new HarnessError('QUESTION_BANK_INVALID', `Cannot read the question bank ${file}: ${(error as Error).message}`)
  }
  const parsed = bankSchema.safeParse(data)
  if (!parsed.success) {
    const problems = parsed.error.issues.slice(0, 10).map((i) => `  ${i.path.join('.')}: ${i.message}`)
    throw new HarnessError('QUESTION_BANK_INVALID', `The question bank ${file} is invalid:\n${problems.join('\n')}`)
  }
  return parsed.data
}

/** Which exercises cover each question id, according to the catalog. */
export function coverageFromCatalog(catalog: Catalog): Map<string, string[]> {
  const coverage = new Map<string, string[]>()
  for (const exercise of catalog.exercises) {
    for (const id of exercise.questions) coverage.set(id, [...(coverage.get(id) ?? []), exercise.slug])
  }
  return coverage
}

/**
 * Problems between the catalog and the bank: ids the catalog cites that the bank lacks, bank
 * entries whose `exercises` disagree with the catalog, and uncovered ids with no planned track.
 */
export function bankProblems(catalog: Catalog, bank: QuestionBank): string[] {
  const problems: string[] = []
  const coverage = coverageFromCatalog(catalog)
  const ids = new Set(bank.questions.map((q) => q.id))
  const trackIds = new Set(catalog.tracks.map((t) => t.id))
  for (const [id, slugs] of coverage) {
    if (!ids.has(id)) problems.push(`${slugs.join(', ')} cite${slugs.length > 1 ? '' : 's'} question "${id}", which is not in the question bank`)
  }
  const seen = new Set<string>()
  for (const q of bank.questions) {
    if (seen.has(q.id)) problems.push(`question "${q.id}" appears twice in the bank`)
    seen.add(q.id)
    const expected = coverage.get(q.id) ?? []
    if (expected.join() !== q.exercises.join()) {
      problems.push(
        `question "${q.id}" lists exercises [${q.exercises.join(', ')}] but the catalog says [${expected.join(', ')}] (run \`npm run bank\`)`,
      )
    }
    if (expected.length === 0 && (!q.planned || !trackIds.has(q.planned))) {
      problems.push(`question "${q.id}" is covered by no exercise and has no planned track`)
    }
  }
  return problems
}
