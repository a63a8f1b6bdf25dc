// End-to-end: `exercise` on the fixture course's passing, failing, hanging and broken attempts.
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest'
import { checkStarted, makeCourse, processesOf, runCli, runDirsOf, spawnCli, until } from './fixture.ts'

let course: ReturnType<typeof makeCourse>
beforeAll(() => {
  course = makeCourse()
})
afterAll(() => course.cleanup())

/** Every file under exercises/ with its contents and modification time. */
function snapshot(root: string): Record<string, string> {
  const dir = path.join(root, 'exercises')
  const out: Record<string, string> = {}
  for (const entry of readdirSync(dir, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue
    const file = path.join(entry.parentPath, entry.name)
    out[path.relative(dir, file)] = `${statSync(file).mtimeMs}:${readFileSync(file, 'utf8')}`
  }
  return out
}

describe('npm run exercise', () => {
  it('exits 0 and says so when every check passes', async () => {
    const run = await runCli(course.root, ['exercise', 'passing'])
    expect(run.stdout).toContain('✓ passing: all 3 checks pass')
    expect(run.stdout).toContain('✓ type check (tsc)')
    expect(run.code).toBe(0)
  })

  it('shows the request sent, the response received and what was expected for a failing check', async () => {
    const run = await runCli(course.root, ['exercise', 'failing', '--seed', '7'])
    expect(run.code).toBe(1)
    expect(run.stdout).toContain('✗ failing: 1 of 3 checks pass')
    expect(run.stdout).toContain('expected status 200, received 201')
    expect(run.stdout).toContain('Request sent')
    expect(run.stdout).toContain('GET /ping')
    expect(run.stdout).toContain('Response received')
    expect(run.stdout).toContain('201 Created')
    expect(run.stdout).toContain('{"pong":"nobody"}')
    // Nothing of the harness's own machinery.
    expect(run.stdout + run.stderr).not.toMatch(/node_modules|harness\/|spec\.test\.ts|at .*\(/)
  })

  it('fails a handler that loops forever with "timed out after" and still ends', async () => {
    const run = await runCli(course.root, ['exercise', 'hanging'])
    expect(run.code).toBe(1)
    expect(run.stdout).toMatch(/⧗ answers GET \/ping with 200\n\s+timed out after \d+ ms/)
    expect(run.stdout).toContain('- names the caller')
    expect(run.ms).toBeLessThan(30_000)
    expect(processesOf(course.root)).toEqual([])
  })

  it('fails a handler that never responds with "timed out after 1000 ms"', async () => {
    const run = await runCli(course.root, ['exercise', 'stalled'])
    expect(run.code).toBe(1)
    expect(run.stdout).toContain('GET /ping timed out after 1000 ms: the app never sent a response')
  })

  it('names the file and line of a syntax error', async () => {
    const run = await runCli(course.root, ['exercise', 'broken'])
    expect(run.code).toBe(1)
    expect(run.stdout).toContain('the code could not be loaded')
    expect(run.stdout).toContain('exercises/broken/app.ts:9')
    expect(run.stdout).not.toMatch(/node_modules|at .*\(/)
  })

  it('says which export is missing', async () => {
    const run = await runCli(course.root, ['exercise', 'no-export'])
    expect(run.code).toBe(1)
    expect(run.stdout).toContain('does not export a function named `createApp`')
    // The file is named once, above the message.
    expect(run.stdout.split('exercises/no-export/app.ts').length - 1).toBe(1)
  })

  it('reports an exception thrown at import time with its file and line', async () => {
    const run = await runCli(course.root, ['exercise', 'throws-on-import'])
    expect(run.code).toBe(1)
    expect(run.stdout).toContain('exercises/throws-on-import/app.ts:7')
    expect(run.stdout).toContain('database unreachable')
  })

  it('fails the grade on a type error and gives its file and line', async () => {
    const run = await runCli(course.root, ['exercise', 'type-error'])
    expect(run.code).toBe(1)
    expect(run.stdout).toMatch(/✗ type check \(tsc\)\n\s+exercises\/type-error\/app\.ts:9:\d+ .*possibly 'undefined'/)
  })

  it('prints results.json-style output with --json', async () => {
    const run = await runCli(course.root, ['exercise', 'failing', '--json', '--seed', '42'])
    expect(run.code).toBe(1)
    const results = JSON.parse(run.stdout)
    expect(results).toMatchObject({ version: 3, status: 'fail', slug: 'failing', seed: 42 })
    const first = results.tests[0]
    expect(first).toMatchObject({ name: 'answers GET /ping with 200', status: 'fail' })
    expect(first.exchange.request).toMatchObject({ method: 'GET', path: '/ping' })
    expect(first.exchange.response.status).toBe(201)
    expect(results.tests.at(-1)).toMatchObject({ name: 'type check (tsc)', status: 'pass' })
  })

  it('grades the reference solution with --solution', async () => {
    const run = await runCli(course.root, ['exercise', 'failing', '--solution'])
    expect(run.code).toBe(0)
    expect(run.stdout).toContain('all 3 checks pass')
  })

  it('never writes to exercises/', async () => {
    const before = snapshot(course.root)
    await runCli(course.root, ['exercise', 'failing'])
    await runCli(course.root, ['exercise', 'broken'])
    expect(snapshot(course.root)).toEqual(before)
  })

  it('stops its workers and records nothing when interrupted with Ctrl-C', async () => {
    const own = makeCourse() // other checks here grade `hanging` and record it
    onTestFinished(() => own.cleanup())
    const child = spawnCli(own.root, ['exercise', 'hanging'])
    // Interrupt while the endless loop runs: a worker is inside a check.
    await until('a check to start', () => checkStarted(child.pid!))
    const exited = new Promise<number | null>((resolve) => child.on('exit', resolve))
    child.kill('SIGINT')
    expect(await exited).toBe(130)
    await until('the workers to be gone', () => processesOf(own.root).length === 0)
    expect(runDirsOf(child.pid!)).toEqual([])
    const progress = path.join(own.root, '.course', 'progress.json')
    const state = existsSync(progress) ? JSON.parse(readFileSync(progress, 'utf8')).exercises.hanging : undefined
    expect(state).toBeUndefined()
  })

  it('suggests the closest names for an unknown exercise', async () => {
    const run = await runCli(course.root, ['exercise', 'pasing'])
    expect(run.code).toBe(2)
    expect(run.stderr).toContain('There is no exercise called "pasing". Did you mean "passing"?')
  })

  it('prints usage and exits non-zero on a bad flag', async () => {
    const run = await runCli(course.root, ['exercise', 'passing', '--sed', '3'])
    expect(run.code).toBe(2)
    expect(run.stderr).toContain('Unknown flag --sed: did you mean `--seed`?')
    expect(run.stderr).toContain('Usage: npm <command>')
  })
})
