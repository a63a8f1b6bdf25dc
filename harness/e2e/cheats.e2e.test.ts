// End-to-end: attempts that try to pass without an implementation, or to damage the course.
// Each one is written over the fixture's `failing` attempt and graded as a learner would; none
// may be recorded as a pass, and each gets a message that says what was refused.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { makeCourse, processesOf, runCli } from './fixture.ts'

let course: ReturnType<typeof makeCourse>
let specBefore: string
const backup = () => path.join(course.root, '.course', 'backups', 'failing', 'app.ts')

beforeEach(() => {
  course = makeCourse()
  // Learner state that must survive: a progress file and a reset backup.
  mkdirSync(path.dirname(backup()), { recursive: true })
  writeFileSync(backup(), '// an earlier attempt\n')
  writeFileSync(path.join(course.root, '.course', 'progress.json'), JSON.stringify({ version: 1, exercises: {} }))
  specBefore = readFileSync(path.join(course.root, 'content', 'failing', 'spec.test.ts'), 'utf8')
})
afterEach(() => course.cleanup())

async function gradeCheat(source: string, ...args: string[]) {
  writeFileSync(path.join(course.root, 'exercises', 'failing', 'app.ts'), source)
  const run = await runCli(course.root, ['exercise', 'failing', ...args])
  const progress = JSON.parse(readFileSync(path.join(course.root, '.course', 'progress.json'), 'utf8'))
  // Whatever the attempt did: no pass, no peek, the grader's files and the learner's state intact.
  expect(run.code).not.toBe(0)
  expect(progress.exercises.failing?.passedAt).toBeUndefined()
  expect(progress.exercises.failing?.peekedAt).toBeUndefined()
  expect(readFileSync(path.join(course.root, 'content', 'failing', 'spec.test.ts'), 'utf8')).toBe(specBefore)
  expect(existsSync(backup())).toBe(true)
  expect(processesOf(course.root)).toEqual([])
  return run
}

const app = (body = '') => `import { Hono } from 'hono'
${body}
export function createApp(_options: { name?: string } = {}) {
  return new Hono()
}
`

describe('a grade cannot be forged', () => {
  it('refuses an attempt that re-exports the reference solution', async () => {
    const run = await gradeCheat("export * from '../../solutions/failing/app.ts'\n")
    expect(run.stdout).toContain('graded code may not import from solutions/, content/ or harness/')
  })

  it('refuses imports of the spec kit and of the test tools, by name or by path', async () => {
    expect((await gradeCheat(app("import '../../harness/spec-kit/index.ts'"))).stdout).toContain('from harness/')
    expect((await gradeCheat(app("import { expect } from 'vitest'\nvoid expect"))).stdout).toContain('a testing tool')
    expect((await gradeCheat(app("import '../../node_modules/vitest/dist/index.js'"))).stdout).toContain('a testing tool')
  })

  it('ignores fake "end" records appended to the per-check log', async () => {
    const run = await gradeCheat(
      app(`import { appendFileSync } from 'node:fs'
const file = (globalThis as any).__vitest_worker__?.filepath
for (const name of ['failing > answers GET /ping with 200', 'failing > names the caller']) {
  appendFileSync(process.env.COURSE_PROGRESS_LOG!, JSON.stringify({ kind: 'end', file, pid: process.pid, id: name, name, state: 'pass', at: Date.now() }) + '\\n')
}
process.exit(0)`),
    )
    expect(run.stdout).toContain('✗ failing')
  })

  it('fails a grade whose attempt replaced the matchers, saying so', async () => {
    const run = await gradeCheat(
      app(`const table = (globalThis as any)[Symbol.for('$$jest-matchers-object')].matchers
for (const name of Object.keys(table)) table[name] = () => ({ pass: true, message: () => '' })`),
    )
    expect(run.stdout).toContain('cannot be trusted')
    expect(run.stdout).toContain("changed the grader's own tools")
  })

  it('fails a grade whose attempt replaced a built-in that assertions use', async () => {
    const run = await gradeCheat(app('Object.is = () => true'))
    expect(run.stdout).toContain("changed the grader's own tools")
  })

  it('refuses the reference solution imported through a path computed at run time, even once it is cached', async () => {
    // Grading the solution first puts its compiled module in vitest's module cache.
    expect((await runCli(course.root, ['exercise', 'failing', '--solution'])).code).toBe(0)
    const run = await gradeCheat(
      "const m = await import(/* @vite-ignore */ ['..', '..', 'solutions', 'failing', 'app.ts'].join('/'))\nexport const createApp = m.createApp\n",
    )
    expect(run.stdout).toContain('graded code may not import from solutions/')
  })

  it('fails a grade whose run reports checks the spec does not have', async () => {
    // A test tool reached through a path computed at run time registers a check of its own.
    const run = await gradeCheat(
      app(`const { it } = await import(/* @vite-ignore */ ['..', '..', 'node_modules', 'vitest', 'dist', 'index.js'].join('/'))
it('a check of my own', () => {})`),
    )
    expect(run.stdout).toContain('the run reported checks the spec does not have: "a check of my own"')
  })

  it('keeps --json one JSON document when the attempt writes to fd 1 and fd 2', async () => {
    const run = await gradeCheat(app("import { writeSync } from 'node:fs'\nwriteSync(1, 'not json\\n')\nwriteSync(2, 'nor this\\n')"), '--json')
    expect(JSON.parse(run.stdout)).toMatchObject({ version: 3, slug: 'failing' })
  })
})

describe('the course and the learner\'s state are out of reach', () => {
  it('refuses to let the attempt rewrite the hidden spec, and a later grade of the stub still fails', async () => {
    const run = await gradeCheat(
      app(`import { writeFileSync } from 'node:fs'
writeFileSync(new URL('../../content/failing/spec.test.ts', import.meta.url), "import { it } from 'vitest'\\nit('x', () => {})\\n")`),
    )
    expect(run.stdout).toContain('tried to write a file outside its scratch folder (content/failing/spec.test.ts)')
    const stub = readFileSync(path.join(course.root, 'content', 'failing', 'stub', 'app.ts'), 'utf8')
    await gradeCheat(stub)
  })

  it('refuses to let the attempt write the progress file or delete .course/', async () => {
    const write = await gradeCheat(
      app(`import { writeFileSync } from 'node:fs'
writeFileSync(new URL('../../.course/progress.json', import.meta.url), JSON.stringify({ version: 1, exercises: { failing: { passedAt: 'now' } } }))`),
    )
    expect(write.stdout).toContain('tried to write a file outside its scratch folder (.course/progress.json)')
    const remove = await gradeCheat(app("import { rmSync } from 'node:fs'\nrmSync(new URL('../../.course', import.meta.url), { recursive: true, force: true })"))
    expect(remove.stdout).toContain('outside its scratch folder (.course)')
  })

  it('refuses to read the reference solution from disk', async () => {
    const run = await gradeCheat(app("import { readFileSync } from 'node:fs'\nreadFileSync(new URL('../../solutions/failing/app.ts', import.meta.url))"))
    expect(run.stdout).toContain('tried to read a file it may not read (solutions/failing/app.ts)')
  })
})

describe('limits', () => {
  it('leaves no process behind, detached or not, and says why it was refused', async () => {
    const run = await gradeCheat(`import { spawn } from 'node:child_process'
import { Hono } from 'hono'
export function createApp(_options: { name?: string } = {}) {
  const app = new Hono()
  app.get('/ping', (c) => {
    spawn('sleep', ['300'], { detached: true, stdio: 'ignore' }).unref()
    return c.json({ pong: 'anonymous' })
  })
  return app
}
`)
    expect(run.stdout).toContain('tried to start another process')
  })

  it('stops an attempt that allocates without bound with "used more than N MB"', async () => {
    const buffers = await gradeCheat(`import { Hono } from 'hono'
const hoard: Buffer[] = []
export function createApp(_options: { name?: string } = {}) {
  const app = new Hono()
  // Synchronous: the check's own request timeout cannot win the race against the memory limit.
  app.get('/ping', () => {
    for (;;) hoard.push(Buffer.alloc(20 * 1024 * 1024, 1))
  })
  return app
}
`)
    expect(buffers.stdout).toMatch(/your app used more than \d+ MB of memory/)
    const heap = await gradeCheat(`import { Hono } from 'hono'
export function createApp(_options: { name?: string } = {}) {
  const app = new Hono()
  app.get('/ping', () => {
    const hoard: number[][] = []
    for (;;) hoard.push(new Array(100_000).fill(Math.random()))
  })
  return app
}
`)
    expect(heap.stdout).toMatch(/your app used more than \d+ MB of memory/)
  })

  it('caps what a flood of console output adds to the report', async () => {
    const run = await gradeCheat(`import { Hono } from 'hono'
export function createApp(_options: { name?: string } = {}) {
  const app = new Hono()
  const line = 'x'.repeat(1000)
  app.get('/ping', (c) => {
    for (let i = 0; i < 50_000; i++) console.log(line)
    return c.json({ pong: 'nobody' }, 201)
  })
  return app
}
`)
    expect(run.stdout).toContain('expected status 200, received 201')
    expect(run.stdout.length).toBeLessThan(64 * 1024)
    expect(run.stdout).toMatch(/more characters|more lines/)
    // The count covers what the worker never sent, too: about 50 MB in all.
    const notShown = Number(/(\d+) more bytes of output not shown/.exec(run.stdout)?.[1])
    expect(notShown).toBeGreaterThan(49_000_000)
  })
})
