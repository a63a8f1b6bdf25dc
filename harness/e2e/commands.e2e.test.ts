// End-to-end: the commands around grading - hint, list, progress, compare, reset - and what
// happens to the progress file when it is corrupt or written by two processes at once.
import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { makeCourse, runCli } from './fixture.ts'

let course: ReturnType<typeof makeCourse>
beforeEach(() => {
  course = makeCourse()
})
afterEach(() => course.cleanup())

const progressFile = () => path.join(course.root, '.course', 'progress.json')
const progress = () => JSON.parse(readFileSync(progressFile(), 'utf8'))

describe('npm run hint', () => {
  it('reveals one tier per call, records it, and says when there are no more', async () => {
    const first = await runCli(course.root, ['hint', 'passing'])
    expect(first.code).toBe(0)
    expect(first.stdout).toContain('1. passing hint one')
    expect(first.stdout).not.toContain('passing hint two')
    expect(progress().exercises.passing.hintsRevealed).toBe(1)
    const second = await runCli(course.root, ['hint', 'passing'])
    expect(second.stdout).toContain('2. passing hint two')
    expect(second.stdout).toContain('That was the last hint')
    const third = await runCli(course.root, ['hint', 'passing'])
    expect(third.stdout).toContain('(2 of 2)')
    expect(progress().exercises.passing.hintsRevealed).toBe(2)
  })

  it('loses no update when two processes write progress at once', async () => {
    const slugs = ['passing', 'failing', 'hanging', 'stalled', 'broken', 'no-export']
    await Promise.all(slugs.map((slug) => runCli(course.root, ['hint', slug])))
    const state = progress().exercises
    // `failing` is in tasks: its hint is recorded for its task 1.
    for (const slug of slugs) expect(slug === 'failing' ? state[slug]?.taskHints?.['1'] : state[slug]?.hintsRevealed, slug).toBe(1)
  })
})

describe('progress file', () => {
  it('keeps a copy of a corrupt file, says so, and carries on', async () => {
    mkdir(path.dirname(progressFile()))
    writeFileSync(progressFile(), '{ "version": 1, "exercises": { "passing": { "passedAt": ')
    const run = await runCli(course.root, ['hint', 'passing'])
    expect(run.code).toBe(0)
    expect(run.stderr).toContain('Part of your progress file could not be read')
    expect(run.stderr).toContain('it is not valid JSON')
    const copies = readdirSync(path.dirname(progressFile())).filter((f) => f.startsWith('progress.json.damaged-'))
    expect(copies).toHaveLength(1)
    expect(readFileSync(path.join(path.dirname(progressFile()), copies[0]!), 'utf8')).toContain('"passedAt": ')
    expect(progress().exercises.passing.hintsRevealed).toBe(1)
  })

  it('keeps the good entries when one is bad, and keeps fields it does not know', async () => {
    mkdir(path.dirname(progressFile()))
    writeFileSync(progressFile(), JSON.stringify({ version: 1, note: 'mine', exercises: { passing: { attempts: 'many' }, failing: { attempts: 2, hintsRevealed: 1, passedAt: 'then' } } }))
    const run = await runCli(course.root, ['hint', 'failing'])
    expect(run.stderr).toContain('the entries for passing are not valid')
    expect(progress()).toMatchObject({ note: 'mine', exercises: { failing: { attempts: 2, hintsRevealed: 1, taskHints: { 1: 1 }, passedAt: 'then' } } })
  })

  it('reads a file from a newer harness without renaming or changing it', async () => {
    mkdir(path.dirname(progressFile()))
    const newer = JSON.stringify({ version: 99, exercises: { passing: { attempts: 1, passedAt: 'then' } } })
    writeFileSync(progressFile(), newer)
    const list = await runCli(course.root, ['list'])
    expect(list.code).toBe(0)
    expect(list.stderr).toContain('newer version of the harness')
    const hint = await runCli(course.root, ['hint', 'passing'])
    expect(hint.stdout).toContain('Hints for passing')
    expect(hint.stderr).toContain('left it unchanged')
    expect(readFileSync(progressFile(), 'utf8')).toBe(newer)
    expect(readdirSync(path.dirname(progressFile()))).toEqual(['progress.json'])
  })

  it('shows the grade, then one sentence, when the progress cannot be saved', async () => {
    // .course as a file: writing under it fails the way a read-only or missing folder does.
    writeFileSync(path.join(course.root, '.course'), 'not a folder')
    const run = await runCli(course.root, ['exercise', 'passing'])
    expect(run.stdout).toContain('✓ passing: all 3 checks pass')
    expect(run.stderr).toContain('Your progress could not be saved')
    expect(run.stderr.trim().split('\n').filter((l) => l.includes('progress'))).toHaveLength(1)
    expect(run.code).toBe(0)
  })
})

describe('npm run list and npm run progress', () => {
  it('lists exercises by track in catalog order with their status', async () => {
    await runCli(course.root, ['exercise', 'passing'])
    const run = await runCli(course.root, ['list'])
    expect(run.code).toBe(0)
    expect(run.stdout).toMatch(/Basics\n\s+1\. ✓ done\s+passing\s+easy/)
    expect(run.stdout).toMatch(/2\. ▶ current\s+failing/)
    expect(run.stdout.indexOf('Basics')).toBeLessThan(run.stdout.indexOf('Trouble'))
    expect(run.stdout).toContain('1 of 8 done. Next: failing')
    expect(run.stdout, 'a prerequisite that is done is not shown').not.toContain('after passing')
  })

  it('shows the prerequisites still to do under an exercise, unless it is the one just above', async () => {
    const run = await runCli(course.root, ['list'])
    expect(run.stdout).toMatch(/3\. · to do\s+hanging[^\n]*\n\s+after passing\n/)
    expect(run.stdout).not.toMatch(/2\. · to do\s+failing[^\n]*\n\s+after/)
  })

  it('shows completion by track with bars', async () => {
    await runCli(course.root, ['exercise', 'passing'])
    const run = await runCli(course.root, ['progress'])
    expect(run.code).toBe(0)
    expect(run.stdout).toMatch(/Basics\s+█{12}░{12}\s+1\/2/)
    expect(run.stdout).toMatch(/Trouble\s+░{24}\s+0\/6/)
    expect(run.stdout).toContain('1/8 (13%)')
    // Tasks: passing counts its one task; the others none yet (failing has two, the rest one each).
    expect(run.stdout).toMatch(/Tasks\s+\S+\s+1\/9/)
  })
})

describe('npm run compare', () => {
  it('asks for --force before a pass and records the peek', async () => {
    const refused = await runCli(course.root, ['compare', 'failing'])
    expect(refused.code).toBe(1)
    expect(refused.stderr).toContain('has not passed yet')
    expect(refused.stderr).toContain('npm run compare failing -- --force')
    expect(existsSync(progressFile()) ? progress().exercises.failing?.peekedAt : undefined).toBeUndefined()
    const forced = await runCli(course.root, ['compare', 'failing', '--force'])
    expect(forced.code).toBe(0)
    expect(forced.stdout).toContain('--- exercises/failing/app.ts')
    expect(forced.stdout).toContain('+++ solutions/failing/app.ts')
    expect(forced.stdout).toContain("-  app.get('/ping', (c) => c.json({ pong: 'nobody' }, 201))")
    expect(progress().exercises.failing.peekedAt).toEqual(expect.any(String))
  })

  it('compares freely after a pass', async () => {
    await runCli(course.root, ['exercise', 'passing'])
    const run = await runCli(course.root, ['compare', 'passing'])
    expect(run.code).toBe(0)
    expect(run.stdout).toContain('identical to the reference solution')
    expect(progress().exercises.passing.peekedAt).toBeUndefined()
  })
})

describe('npm run reset', () => {
  it('restores the stub and keeps the attempt in a backup it names', async () => {
    const attempt = path.join(course.root, 'exercises', 'failing', 'app.ts')
    const before = readFileSync(attempt, 'utf8')
    const run = await runCli(course.root, ['reset', 'failing'])
    expect(run.code).toBe(0)
    expect(readFileSync(attempt, 'utf8')).toBe(readFileSync(path.join(course.root, 'content', 'failing', 'stub', 'app.ts'), 'utf8'))
    const backup = /saved in (\S+)/.exec(run.stdout)?.[1]
    expect(backup).toMatch(/^\.course\/backups\/failing\//)
    expect(readFileSync(path.join(course.root, backup!, 'app.ts'), 'utf8')).toBe(before)
    const again = await runCli(course.root, ['reset', 'failing'])
    expect(again.stdout).toContain('already the untouched stub')
  })
})

function mkdir(dir: string): void {
  mkdirSync(dir, { recursive: true })
}
