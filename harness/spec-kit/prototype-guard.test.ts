import { afterEach, describe, expect, it } from 'vitest'
import { rememberPrototypes, restorePrototypes } from './prototype-guard.ts'

afterEach(() => restorePrototypes())

describe('prototype guard', () => {
  it('removes properties added to Object.prototype and restores replaced ones', () => {
    rememberPrototypes()
    const original = Array.prototype.includes
    const buckets: Record<string, { tokens?: number }> = {}
    buckets['__proto__']!.tokens = 3
    Array.prototype.includes = () => true
    expect(({} as { tokens?: number }).tokens).toBe(3)
    restorePrototypes()
    expect(({} as { tokens?: number }).tokens).toBeUndefined()
    expect(Array.prototype.includes).toBe(original)
    expect([1].includes(2)).toBe(false)
  })
})
