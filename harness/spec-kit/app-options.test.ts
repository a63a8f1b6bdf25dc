import { describe, expect, it } from 'vitest'
import { fakeClock } from './clock.ts'
import { summarise } from './app-options.ts'

describe('app options summary', () => {
  it('reads like the options a learner would write', () => {
    expect(summarise({ greeting: 'Hallo' })).toBe("{ greeting: 'Hallo' }")
    expect(summarise(undefined)).toBe('undefined')
  })

  it('names functions instead of printing them, and cuts long collections', () => {
    const text = summarise({ clock: fakeClock(), items: [1, 2, 3, 4, 5, 6], work: async function work() {} })
    expect(text).toContain('work: work()')
    expect(text).toContain('now()')
    expect(text).not.toContain('[Function')
    expect(text).toContain('... 2 more items')
  })
})
