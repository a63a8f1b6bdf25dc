import { describe, expect, it } from 'vitest'
import { until } from './until.ts'

describe('until', () => {
  it('resolves once the condition holds, after work done in promise chains and in timers', async () => {
    let calls = 0
    void Promise.resolve().then(() => Promise.resolve()).then(() => calls++)
    await until(() => calls === 1, 'the promise chain never ran')
    setTimeout(() => calls++, 30)
    await until(() => calls === 2, 'the timer never fired')
    expect(calls).toBe(2)
  })

  it('fails with what never happened, described at the deadline', async () => {
    let seen = 0
    const waiting = until(() => false, () => `the count stayed at ${seen}`, { timeoutMs: 20 })
    seen = 3
    await expect(waiting).rejects.toThrow(/^the count stayed at 3 \(waited 20 ms\)$/)
    await expect(until(() => false, 'nothing came', { timeoutMs: 5 })).rejects.toThrow('nothing came (waited 5 ms)')
  })
})
