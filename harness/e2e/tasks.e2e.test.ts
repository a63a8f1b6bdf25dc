// End-to-end: an exercise in numbered tasks (the fixture's `failing`, two tasks). The report
// leads with the task you are on, --json carries task_id, progress keeps partial credit, and
// hints follow the task you are on.
import { readFileSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { makeCourse, runCli } from './fixture.ts'

let course: ReturnType<typeof makeCourse>
beforeEach(() => {
  course = makeCourse()
})
afterEach(() => course.cleanup())

const progress = () => JSON.parse(readFileSync(path.join(course.root, '.course', 'progress.json'), 'utf8'))

// Task 1 done (status 200), task 2 not (the name option ignored).
function finishTaskOne(): void {
  writeFileSync(
    path.join(course.root, 'exercises', 'failing', 'app.ts'),
    `import { Hono } from 'hono'

export interface Options {
  name?: string
}

export function createApp(_options: Options = {}) {
  const app = new Hono()
  app.get('/ping', (c) => c.json({ pong: 'nobody' }))
  return app
}
`,
  )
}

describe('an exercise in tasks', () => {
  it('leads with the task you are on, keeps done tasks to one line, and ends with the verdict', async () => {
    finishTaskOne()
    const run = await runCli(course.root, ['exercise', 'failing'])
    expect(run.code).toBe(1)
    const lines = run.stdout.trimEnd().split('\n')
    expect(lines[0]).toBe('failing · Task 2 of 2: Name the caller')
    expect(run.stdout).toContain('✓ Task 1: Answer the ping  1 of 1')
    expect(run.stdout).not.toContain('answers GET /ping with 200')
    expect(run.stdout).toContain('✗ Task 2: Name the caller  0 of 1')
    expect(run.stdout).toContain("(app created with { name: 'ada' })")
    expect(run.stdout).toContain('Request sent')
    // The body diff: what was expected against what came back.
    expect(run.stdout).toMatch(/-\s+"pong": "ada"/)
    expect(run.stdout).toMatch(/\+\s+"pong": "nobody"/)
    const verdict = lines.findIndex((l) => l.startsWith('✗ failing: '))
    expect(lines[verdict]).toBe('✗ failing: 2 of 3 checks pass (type check included); 1 of 2 tasks done, next: task 2')
    // After the verdict only the hint pointer follows.
    expect(lines.slice(verdict + 1).join('\n')).toMatch(/^\s*Stuck\? `npm run hint failing`/)
  })

  it('records partial credit, shown by list, and hints the task you are on', async () => {
    finishTaskOne()
    await runCli(course.root, ['exercise', 'failing'])
    expect(progress().exercises.failing.tasksDone).toEqual([1])
    const list = await runCli(course.root, ['list'])
    expect(list.stdout).toMatch(/failing .*1 of 2 tasks/)
    const hint = await runCli(course.root, ['hint', 'failing'])
    expect(hint.stdout).toContain('Hints for failing · Task 2 of 2: Name the caller (1 of 2)')
    expect(hint.stdout).toContain('1. failing task two hint one')
    expect(hint.stdout).not.toContain('task one hint')
    const other = await runCli(course.root, ['hint', 'failing', '--task', '1'])
    expect(other.stdout).toContain('Task 1 of 2: Answer the ping (1 of 2)')
    expect(progress().exercises.failing.taskHints).toEqual({ 1: 1, 2: 1 })
    const none = await runCli(course.root, ['hint', 'failing', '--task', '3'])
    expect(none.code).toBe(2)
    expect(none.stderr).toContain('failing has 2 tasks; there is no task 3.')
  })

  it('carries task_id on every test in --json', async () => {
    const run = await runCli(course.root, ['exercise', 'failing', '--json'])
    const doc = JSON.parse(run.stdout)
    expect(doc.tasks).toEqual([
      { id: 1, title: 'Answer the ping', passed: 0, total: 1 },
      { id: 2, title: 'Name the caller', passed: 0, total: 1 },
    ])
    const byName = Object.fromEntries(doc.tests.map((t: { name: string; task_id?: number }) => [t.name, t.task_id]))
    expect(byName).toEqual({ 'answers GET /ping with 200': 1, 'names the caller': 2, 'type check (tsc)': undefined })
  })

  it('hints the current exercise when no name is given', async () => {
    const run = await runCli(course.root, ['hint'])
    expect(run.code).toBe(0)
    expect(run.stdout).toContain('Hints for passing (1 of 2)')
  })
})
