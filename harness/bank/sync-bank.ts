// `npm run bank`: brings content/questions.json up to date. It adds any seed question it does
// not know yet (from ../shared/questions.json, when that folder is beside the course), keeps
// every hand-edited `planned` track, and rewrites each question's `exercises` from the catalog.
// The course ships the result, because learners do not have the seed material.
import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { loadCatalog } from '../catalog/catalog.ts'
import { coverageFromCatalog, loadQuestionBank, type Question, type QuestionBank } from '../catalog/question-bank.ts'
import { coursePaths, resolveCourseRoot } from '../paths.ts'
import { plannedTrack } from './planned-track.ts'

interface SeedQuestion {
  id: string
  seed: string
  section: string
  difficulty: string
  question: string
}

/** The updated bank (pure: reads nothing, writes nothing). */
export function syncBank(bank: QuestionBank, seeds: SeedQuestion[], coverage: Map<string, string[]>): QuestionBank {
  const known = new Map(bank.questions.map((q) => [q.id, q]))
  const ordered: Question[] = []
  const ids = new Set<string>()
  for (const s of seeds) {
    ids.add(s.id)
    const old = known.get(s.id)
    ordered.push({
      id: s.id,
      source: s.seed,
      section: s.section,
      difficulty: s.difficulty,
      question: s.question,
      exercises: [],
      ...(old?.planned ? { planned: old.planned } : {}),
    })
  }
  for (const q of bank.questions) if (!ids.has(q.id)) ordered.push(q)
  return {
    version: 1,
    questions: ordered.map((q) => {
      const exercises = coverage.get(q.id) ?? []
      const { planned, ...rest } = q
      return exercises.length
        ? { ...rest, exercises }
        : { ...rest, exercises, planned: planned ?? plannedTrack(q.section, q.question) }
    }),
  }
}

function main(): void {
  const paths = coursePaths(resolveCourseRoot())
  const seedsFile = process.env.SEED_QUESTIONS ?? path.join(paths.root, '..', 'shared', 'questions.json')
  const seeds: SeedQuestion[] = existsSync(seedsFile) ? JSON.parse(readFileSync(seedsFile, 'utf8')) : []
  const bank: QuestionBank = existsSync(paths.questionBank) ? loadQuestionBank(paths.questionBank) : { version: 1, questions: [] }
  const next = syncBank(bank, seeds, coverageFromCatalog(loadCatalog(paths.catalog)))
  writeFileSync(paths.questionBank, `${JSON.stringify(next, null, 2)}\n`)
  const covered = next.questions.filter((q) => q.exercises.length).length
  process.stdout.write(
    `${paths.questionBank}: ${next.questions.length} questions, ${covered} covered, ${next.questions.length - covered} planned` +
      (seeds.length ? '' : ` (no seed file at ${seedsFile}: only the coverage was refreshed)`) +
      '\n',
  )
}

if (process.argv[1]?.endsWith('sync-bank.js') || process.argv[1]?.endsWith('sync-bank.ts')) main()
