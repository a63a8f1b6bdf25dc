import { describe, expect, it } from 'vitest'
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { coursePaths } from '../paths.ts'
import { assemble, describeLoadError, toCheck } from './grade.ts'
import type { ReportedCheck } from './collector.ts'
import type { ModuleOutcome } from './vitest-session.ts'

const paths = coursePaths('/course')
const exchange = (id: number, status: number) => ({
  id,
  request: { method: 'GET', path: `/r${id}`, headers: {} },
  response: { status, headers: {}, body: '' },
})

function record(name: string, over: Partial<ReportedCheck> = {}): ReportedCheck {
  return { id: name, name: `ex > ${name}`, state: 'pass', durationMs: 3, errors: [], meta: {}, ...over }
}

function outcome(over: Partial<ModuleOutcome>): ModuleOutcome {
  return { job: { slug: 'ex', target: { kind: 'attempt' } }, moduleId: 'm', planned: [], ended: [], killedIn: [], moduleErrors: [], integrity: [], logs: new Map(), ...over }
}

describe('toCheck', () => {
  it('shows the exchange a matcher pointed at, else the last one', () => {
    const failing = { state: 'fail' as const, errors: [{ message: 'expected status 200, received 404' }] }
    expect(toCheck(record('a', { ...failing, meta: { exchanges: [exchange(0, 404), exchange(1, 200)], focus: 0 } })).exchange?.id).toBe(0)
    expect(toCheck(record('a', { ...failing, meta: { exchanges: [exchange(0, 404), exchange(1, 200)] } })).exchange?.id).toBe(1)
  })

  it('drops the describe name and keeps message, diff and seed', () => {
    const check = toCheck(record('returns 429', { state: 'fail', errors: [{ message: 'm', diff: '- 1\n+ 2' }], meta: { seed: 42 } }))
    expect(check).toMatchObject({ name: 'returns 429', status: 'fail', message: 'm', diff: '- 1\n+ 2', seed: 42 })
  })

  it('turns vitest and request timeouts into "timed out after" timeouts', () => {
    const vitestTimeout = toCheck(record('a', { state: 'fail', errors: [{ message: 'Test timed out in 3000ms.\nIf this is a long-running test…' }] }))
    expect(vitestTimeout).toMatchObject({ status: 'timeout', message: expect.stringMatching(/^timed out after 3000 ms/) })
    const requestTimeout = toCheck(record('b', { state: 'fail', errors: [{ name: 'NoResponseError', message: 'GET / timed out after 1000 ms' }] }))
    expect(requestTimeout.status).toBe('timeout')
  })
})

describe('assemble', () => {
  it('marks the check a killed worker was in as timed out and the rest as not run', () => {
    const { checks } = assemble(
      outcome({ planned: ['ex > a', 'ex > b', 'ex > c'], ended: [record('a')], killedIn: ['ex > b'], killed: 'timed out after 5000 ms: stopped' }),
      paths,
    )
    expect(checks.map((c) => [c.name, c.status])).toEqual([['a', 'pass'], ['b', 'timeout'], ['c', 'not-run']])
    expect(checks[1]!.message).toBe('timed out after 5000 ms: stopped')
  })

  it('reports a missing createApp export once, instead of every check failing', () => {
    const failing = { state: 'fail' as const, errors: [{ message: '(0 , __vi_import_0__.createApp) is not a function' }] }
    const result = assemble(outcome({ planned: ['ex > a', 'ex > b'], ended: [record('a', failing), record('b', failing)] }), paths)
    expect(result.checks).toEqual([])
    expect(result.loadError).toMatchObject({ file: 'exercises/ex/app.ts' })
    expect(result.loadError?.message).toContain('This file does not export a function named `createApp`')
  })

  it('turns a module that never loaded into a load error', () => {
    const result = assemble(outcome({ moduleErrors: [{ message: 'Unexpected token', stack: 'at /course/exercises/ex/app.ts:4:2' }] }), paths)
    expect(result.loadError).toMatchObject({ file: 'exercises/ex/app.ts', line: 4, column: 2, syntax: true })
    expect(result.loadError?.message).toMatch(/^Syntax error: Unexpected token\./)
  })
})

describe('describeLoadError', () => {
  it('turns a compiler banner into one sentence with the place', () => {
    const error = describeLoadError(
      { message: 'Transform failed with 1 error:\n/course/exercises/ex/app.ts:9:23: ERROR: Expected "," but found ")"\n    at failure (/x/node_modules/esbuild.js:1:1)' },
      paths,
      paths.exercise('ex'),
    )
    expect(error.message).not.toContain('Transform failed')
    expect(error.message).toMatch(/^Syntax error: /)
    expect(error).toMatchObject({ file: 'exercises/ex/app.ts', line: 9, column: 23, syntax: true })
  })

  it('reads the place from the compiler frame and frames the learner\'s own lines', () => {
    const root = mkdtempSync(path.join(os.tmpdir(), 'course-frame-'))
    try {
      const here = coursePaths(root)
      mkdirSync(here.exercise('ex'), { recursive: true })
      writeFileSync(path.join(here.exercise('ex'), 'app.ts'), 'const a = 1\nexport function f() {\n  return a +\n}\n')
      const error = describeLoadError(
        { message: 'Transform failed with 1 error:\n[PARSE_ERROR] Unexpected token\n    ╭─[ exercises/ex/app.ts:4:1 ]\n    │' },
        here,
        here.exercise('ex'),
      )
      expect(error).toMatchObject({ file: path.join('exercises', 'ex', 'app.ts'), line: 4, column: 1, syntax: true })
      expect(error.message).toBe('Syntax error: Unexpected token. Fix it and save; nothing can run until the file parses.')
      expect(error.frame).toBe(['  2 | export function f() {', '  3 |   return a +', '> 4 | }', '    | ^', '  5 | '].join('\n'))
    } finally {
      rmSync(root, { recursive: true, force: true })
    }
  })

  it('keeps the message of an exception at import time, without stack frames or the course root', () => {
    const error = describeLoadError({ message: 'boom at /course/exercises/ex/app.ts:3:7\n    at x (/x/node_modules/a.js:1:1)' }, paths, paths.exercise('ex'))
    expect(error.message).toBe('boom at exercises/ex/app.ts:3:7')
    expect(error.syntax).toBeUndefined()
  })
})
