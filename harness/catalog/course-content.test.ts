// The course's own content, checked as data: the catalog loads, the question bank agrees with
// it, and (where the seed material sits beside the repo, as in CI) the bank holds every seed
// question. `npm run verify` checks the same bank problems; this test also catches a bank that
// has fallen behind the seeds.
import { existsSync, readFileSync } from 'node:fs'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { repoRoot } from '../e2e/fixture.ts'
import { coursePaths } from '../paths.ts'
import { loadCatalog } from './catalog.ts'
import { bankProblems, loadQuestionBank } from './question-bank.ts'

const paths = coursePaths(repoRoot)
const seedsFile = path.join(repoRoot, '..', 'shared', 'questions.json')

describe('course content', () => {
  it('has a valid catalog whose question ids the bank knows', () => {
    const catalog = loadCatalog(paths.catalog)
    expect(bankProblems(catalog, loadQuestionBank(paths.questionBank))).toEqual([])
  })

  it('keeps every seed question in the question bank', () => {
    const bankIds = loadQuestionBank(paths.questionBank).questions.map((q) => q.id)
    const seedIds: string[] = existsSync(seedsFile)
      ? (JSON.parse(readFileSync(seedsFile, 'utf8')) as { id: string }[]).map((q) => q.id)
      : bankIds
    expect(bankIds.filter((id) => !seedIds.includes(id)), 'ids in the bank that are not seed questions').toEqual([])
    expect(seedIds.filter((id) => !bankIds.includes(id)), 'seed questions missing from the bank: run `npm run bank`').toEqual([])
    expect(new Set(bankIds).size).toBe(bankIds.length)
  })
})

describe('curriculum order', () => {
  it('keeps tracks together and each track easy to hard', async () => {
    const { orderProblems } = await import('../verify/verify-course.ts')
    expect(orderProblems(loadCatalog(paths.catalog))).toEqual([])
  })

  it('reports an exercise harder than the one after it', async () => {
    const { orderProblems } = await import('../verify/verify-course.ts')
    const catalog = loadCatalog(paths.catalog)
    const [first, second] = catalog.exercises.filter((e) => e.track === catalog.exercises[0]!.track)
    const swapped = { ...catalog, exercises: [{ ...first!, difficulty: 'hard' as const }, second!] }
    expect(orderProblems(swapped)).toEqual([expect.stringContaining('order each track easy to hard')])
  })
})
