// End-to-end: the course self-check on the fixture course, sound and then broken on purpose.
import { rmSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { makeCourse, runCli } from './fixture.ts'

let course: ReturnType<typeof makeCourse>
beforeEach(() => {
  course = makeCourse()
})
afterEach(() => course.cleanup())

describe('npm run verify', () => {
  it('passes a sound course and counts its checks and mutants', async () => {
    const run = await runCli(course.root, ['verify', '--seed', '3'])
    expect(run.stdout).toMatch(/✓ passing\s+2 checks, stub fails 1, 1\/1 mutants caught/)
    expect(run.stdout).toContain('The course is sound: 8 exercises verified.')
    expect(run.code).toBe(0)
  })

  it('fails when a mutant survives, a stub passes, notes are missing or a question is unknown', async () => {
    const root = course.root
    // A "mutant" that is in fact correct: the spec cannot catch it.
    writeFileSync(path.join(root, 'content', 'passing', 'mutants', 'survivor.ts'), "export { createApp } from '../../../solutions/passing/app.ts'\n")
    // A stub that already passes.
    writeFileSync(path.join(root, 'content', 'failing', 'stub', 'app.ts'), "export { createApp } from '../../../solutions/failing/app.ts'\n")
    rmSync(path.join(root, 'content', 'hanging', 'notes.md'))
    const catalogFile = path.join(root, 'content', 'catalog.json')
    const catalog = JSON.parse(await import('node:fs').then((fs) => fs.readFileSync(catalogFile, 'utf8')))
    catalog.exercises[2].questions.push('q-404')
    writeFileSync(catalogFile, JSON.stringify(catalog))

    const run = await runCli(root, ['verify', '--seed', '3'])
    expect(run.code).toBe(1)
    expect(run.stdout).toContain('mutant survivor passes every check: the spec does not catch it')
    expect(run.stdout).toContain('the untouched stub passes every check')
    expect(run.stdout).toContain('the notes is missing (content/hanging/notes.md)')
    expect(run.stdout).toContain('hanging cites question "q-404", which is not in the question bank')
  })
})
