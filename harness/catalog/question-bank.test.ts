import { describe, expect, it } from 'vitest'
import type { Catalog } from './catalog.ts'
import { bankProblems, type QuestionBank } from './question-bank.ts'

const catalog: Catalog = {
  tracks: [{ id: 'basics', title: 'Basics' }],
  exercises: [
    { slug: 'one', title: 'One', track: 'basics', difficulty: 'easy', questions: ['q-1', 'q-2'], requires: [], tasks: [{ title: 'One', hints: ['a', 'b'] }], tasked: false },
    { slug: 'two', title: 'Two', track: 'basics', difficulty: 'easy', questions: ['q-2'], requires: [], tasks: [{ title: 'Two', hints: ['a', 'b'] }], tasked: false },
  ],
}

const question = (id: string, exercises: string[], planned?: string) => ({
  id,
  source: 's',
  section: 'S',
  difficulty: 'easy',
  question: `${id}?`,
  exercises,
  ...(planned ? { planned } : {}),
})

describe('bankProblems', () => {
  it('accepts a bank that agrees with the catalog', () => {
    const bank: QuestionBank = { version: 1, questions: [question('q-1', ['one']), question('q-2', ['one', 'two']), question('q-3', [], 'basics')] }
    expect(bankProblems(catalog, bank)).toEqual([])
  })

  it('reports an id the catalog cites but the bank lacks', () => {
    const bank: QuestionBank = { version: 1, questions: [question('q-1', ['one'])] }
    expect(bankProblems(catalog, bank)).toContain('one, two cite question "q-2", which is not in the question bank')
  })

  it('reports coverage that disagrees with the catalog, and uncovered ids with no plan', () => {
    const bank: QuestionBank = { version: 1, questions: [question('q-1', []), question('q-2', ['one', 'two']), question('q-9', [])] }
    const problems = bankProblems(catalog, bank)
    expect(problems).toContain('question "q-1" lists exercises [] but the catalog says [one] (run `npm run bank`)')
    expect(problems).toContain('question "q-9" is covered by no exercise and has no planned track')
  })
})
