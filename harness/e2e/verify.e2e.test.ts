// End-to-end: the course self-check on the fixture course, sound and then broken on purpose.
import { readFileSync, rmSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { makeCourse, runCli } from './fixture.ts'

let course: ReturnType<typeof makeCourse>
beforeEach(() => {
  course = makeCourse()
})
afterEach(() => course.cleanup())

/** Rewrites the fixture's `passing` spec, with the kit's `random` imported for the edit to use. */
function editPassingSpec(edit: (source: string) => string): void {
  const spec = path.join(course.root, 'content', 'passing', 'spec.test.ts')
  const source = readFileSync(spec, 'utf8').replace('import { client } from', 'import { client, random } from')
  const edited = edit(source)
  if (edited === source) throw new Error('the edit changed nothing: the fixture spec no longer has the text it replaces')
  writeFileSync(spec, edited)
}

describe('npm run verify', () => {
  it('passes a sound course and counts its checks and mutants', async () => {
    const run = await runCli(course.root, ['verify', '--seed', '3'])
    expect(run.stdout).toMatch(/✓ passing\s+2 checks, stub fails 2, 1\/1 mutants caught/)
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
    const catalog = JSON.parse(readFileSync(catalogFile, 'utf8'))
    catalog.exercises[2].questions.push('q-404')
    writeFileSync(catalogFile, JSON.stringify(catalog))

    const run = await runCli(root, ['verify', '--seed', '3'])
    expect(run.code).toBe(1)
    expect(run.stdout).toContain('mutant survivor passes every check with seed 3: the spec does not catch it')
    expect(run.stdout).toContain('replay: COURSE_SEED=3 COURSE_TARGET=mutant:survivor npx vitest run content/passing')
    expect(run.stdout).toContain('the untouched stub passes every check')
    expect(run.stdout).toContain('the notes is missing (content/hanging/notes.md)')
    expect(run.stdout).toContain('hanging cites question "q-404", which is not in the question bank')
  })

  it('soaks each solution with many seeds and prints a failing seed as a command that replays it', async () => {
    // A spec that is wrong for about one seed in three: its random data sometimes asks for a
    // case the contract rules out. Two seeds can miss that; twelve will not (with seeds 1..12).
    editPassingSpec((source) => source.replace("expect(res).toHaveStatus(200)\n", "expect(res).toHaveStatus(random().int(0, 2) === 0 ? 418 : 200)\n"))
    const run = await runCli(course.root, ['verify', 'passing', '--seed', '1', '--seeds', '12'])
    expect(run.stdout).toContain('graded with 12 seeds each: seeds 1..12 (from --seed 1')
    expect(run.code).toBe(1)
    const replays = [...run.stdout.matchAll(/replay: npm run exercise passing -- --solution --seed (\d+)/g)].map((m) => Number(m[1]))
    expect(replays.length).toBeGreaterThan(0)
    // The printed command fails the same way, every time; a seed the soak passed passes.
    const replayed = await runCli(course.root, ['exercise', 'passing', '--solution', '--seed', String(replays[0])])
    expect(replayed.code).toBe(1)
    expect(replayed.stdout).toContain('expected status 418')
    const more = /in all\): ([\d, ]+)/.exec(run.stdout)?.[1]?.split(', ').map(Number) ?? []
    const failing = new Set([...replays, ...more])
    const passed = [...Array(12).keys()].map((i) => i + 1).find((seed) => !failing.has(seed))
    expect(passed).toBeDefined()
    const clean = await runCli(course.root, ['exercise', 'passing', '--solution', '--seed', String(passed)])
    expect(clean.code).toBe(0)
  })

  it('grades each mutant with --mutant-seeds seeds and names the one that missed it, once', async () => {
    // The check that catches the mutant sometimes asks for the one name the mutant gets right.
    editPassingSpec((source) =>
      source.replace(
        "const res = await client(createApp({ name: 'ada' })).get('/ping')\n    expect(res).toHaveJsonBody({ pong: 'ada' })",
        "const name = random().int(0, 2) === 0 ? 'anonymous' : 'ada'\n    const res = await client(createApp({ name })).get('/ping')\n    expect(res).toHaveJsonBody({ pong: name })",
      ),
    )
    const run = await runCli(course.root, ['verify', 'passing', '--seed', '1', '--mutant-seeds', '12'])
    expect(run.stdout).toContain('Each mutant is graded with 12 seeds from 1 on')
    expect(run.code).toBe(1)
    expect(run.stdout).toMatch(/✗ passing\s+2 checks, stub fails 2, 0\/1 mutants caught/)
    const missed = [...run.stdout.matchAll(/mutant wrong-name passes every check with seed (\d+)/g)]
    expect(missed, 'one report for the mutant, however many seeds missed it').toHaveLength(1)
    expect(run.stdout).toContain(`replay: COURSE_SEED=${missed[0]![1]} COURSE_TARGET=mutant:wrong-name npx vitest run content/passing`)
    // A count that is not a number is refused before anything runs.
    const bad = await runCli(course.root, ['verify', 'passing', '--mutant-seeds', 'many'])
    expect(bad.code).toBe(2)
    expect(bad.stdout + bad.stderr).toContain('--mutant-seeds takes how many seeds to grade each mutant with (1 or more), not "many"')
  })
})
