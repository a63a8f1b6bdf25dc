import { describe, expect, it } from 'vitest'
import type { Catalog, Exercise } from './catalog.ts'
import { pendingPrerequisites } from './prerequisites.ts'

const exercise = (slug: string, requires: string[] = []) => ({ slug, requires }) as unknown as Exercise
const catalog = {
  tracks: [],
  exercises: [
    exercise('hello'),
    exercise('crud', ['hello']),
    exercise('auth', ['hello', 'crud']),
    exercise('jwt', ['hello', 'crud', 'auth']),
    exercise('cors', ['hello', 'jwt', 'crud']),
  ],
} as unknown as Catalog

describe('pendingPrerequisites', () => {
  it('keeps only the nearest prerequisites', () => {
    expect(pendingPrerequisites(catalog, 'jwt', new Set())).toEqual(['auth'])
    expect(pendingPrerequisites(catalog, 'cors', new Set())).toEqual(['jwt'])
    expect(pendingPrerequisites(catalog, 'hello', new Set())).toEqual([])
  })

  it('drops the ones already done, without bringing back what they imply', () => {
    expect(pendingPrerequisites(catalog, 'jwt', new Set(['auth']))).toEqual([])
    expect(pendingPrerequisites(catalog, 'auth', new Set(['hello']))).toEqual(['crud'])
  })
})
