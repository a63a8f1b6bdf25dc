import { describe, expect, it } from 'vitest'
import { plannedTrack } from './planned-track.ts'
import { syncBank } from './sync-bank.ts'

describe('syncBank', () => {
  const seeds = [
    { id: 'a-1', seed: 'f.txt', section: 'Security', difficulty: 'easy', question: 'What is CORS?' },
    { id: 'a-2', seed: 'f.txt', section: 'Basics', difficulty: 'easy', question: 'What is REST?' },
  ]

  it('adds new seed questions in seed order, with coverage from the catalog', () => {
    const bank = syncBank({ version: 1, questions: [] }, seeds, new Map([['a-2', ['rest-intro']]]))
    expect(bank.questions.map((q) => [q.id, q.exercises, q.planned])).toEqual([
      ['a-1', [], 'security'],
      ['a-2', ['rest-intro'], undefined],
    ])
  })

  it('keeps a hand-edited planned track and questions no longer in the seeds', () => {
    const old = { id: 'a-1', source: 'f.txt', section: 'Security', difficulty: 'easy', question: 'What is CORS?', exercises: [], planned: 'operations' }
    const gone = { ...old, id: 'z-9' }
    const bank = syncBank({ version: 1, questions: [old, gone] }, seeds, new Map())
    expect(bank.questions.find((q) => q.id === 'a-1')?.planned).toBe('operations')
    expect(bank.questions.map((q) => q.id)).toEqual(['a-1', 'a-2', 'z-9'])
  })
})

describe('plannedTrack', () => {
  it('guesses a track from the wording', () => {
    expect(plannedTrack('Deployment', 'How do you configure Gunicorn?')).toBe('operations')
    expect(plannedTrack('Misc', 'How does JWT work?')).toBe('auth')
    expect(plannedTrack('Misc', 'What is a resource?')).toBe('http-semantics')
  })
})
