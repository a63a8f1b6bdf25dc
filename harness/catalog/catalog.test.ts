import { mkdtempSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { HarnessError } from '../errors.ts'
import { findExercise, loadCatalog, suggest, type Catalog } from './catalog.ts'

function write(data: unknown): string {
  const file = path.join(mkdtempSync(path.join(os.tmpdir(), 'catalog-')), 'catalog.json')
  writeFileSync(file, typeof data === 'string' ? data : JSON.stringify(data))
  return file
}

const exercise = (slug: string, track = 'basics') => ({
  slug,
  title: `About ${slug}`,
  track,
  difficulty: 'easy',
  questions: ['q-1'],
  hints: ['one', 'two'],
})

describe('loadCatalog', () => {
  it('loads a valid catalog in order', () => {
    const catalog = loadCatalog(write({ tracks: [{ id: 'basics', title: 'Basics' }], exercises: [exercise('b-one'), exercise('a-two')] }))
    expect(catalog.exercises.map((e) => e.slug)).toEqual(['b-one', 'a-two'])
  })

  it('names duplicate slugs and unknown tracks', () => {
    const file = write({ tracks: [{ id: 'basics', title: 'Basics' }], exercises: [exercise('dup'), exercise('dup'), exercise('x', 'nope')] })
    expect(() => loadCatalog(file)).toThrow(/exercises\.1\.slug: duplicate slug "dup"[\s\S]*exercises\.2\.track: unknown track "nope"/)
  })

  it('rejects a slug that is not kebab-case', () => {
    const file = write({ tracks: [{ id: 'basics', title: 'Basics' }], exercises: [exercise('Not_Kebab')] })
    expect(() => loadCatalog(file)).toThrow(/kebab-case/)
  })

  it('reports unreadable JSON with a CATALOG_INVALID error', () => {
    try {
      loadCatalog(write('{ nope'))
      expect.unreachable()
    } catch (error) {
      expect(error).toBeInstanceOf(HarnessError)
      expect((error as HarnessError).code).toBe('CATALOG_INVALID')
    }
  })
})

describe('findExercise', () => {
  const catalog = {
    tracks: [{ id: 'basics', title: 'Basics' }],
    exercises: ['jwt-verify', 'users-crud', 'pagination-offset', 'pagination-cursor'].map((s) => exercise(s)),
  } as unknown as Catalog

  it('finds by exact slug', () => {
    expect(findExercise(catalog, 'users-crud').slug).toBe('users-crud')
  })

  it('suggests close spellings and partial names', () => {
    expect(() => findExercise(catalog, 'jwt-verfy')).toThrow('Did you mean "jwt-verify"?')
    expect(suggest(catalog.exercises.map((e) => e.slug), 'pagination')).toEqual(['pagination-offset', 'pagination-cursor'])
  })

  it('suggests nothing for a name unlike any', () => {
    expect(suggest(catalog.exercises.map((e) => e.slug), 'zzzzzzzzzz')).toEqual([])
    expect(() => findExercise(catalog, 'zzzzzzzzzz')).toThrow('There is no exercise called "zzzzzzzzzz". Run `npm run list`')
  })
})
