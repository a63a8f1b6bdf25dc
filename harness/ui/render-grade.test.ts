import { describe, expect, it } from 'vitest'
import type { GradeResult } from '../runner/results.ts'
import { bufferOutput } from './output.ts'
import { renderGrade } from './render-grade.ts'

const c = bufferOutput().colors
const base: GradeResult = {
  slug: 'rate-limit',
  target: { kind: 'attempt' },
  seed: 1234,
  status: 'fail',
  checks: [],
  tasks: [],
  typecheck: { status: 'pass', errors: [] },
  durationMs: 10,
}

describe('renderGrade', () => {
  it('shows the request sent, the response received, the message and a structured diff', () => {
    const text = renderGrade(
      {
        ...base,
        checks: [
          { name: 'allows a request with a full bucket', status: 'pass' },
          {
            name: 'returns 429 once the bucket is empty',
            status: 'fail',
            message: 'the JSON body is not what was expected',
            diff: '- Expected\n+ Received\n\n  {\n-   "error": "rate_limited",\n+   "ok": true,\n  }',
            exchange: {
              id: 2,
              request: { method: 'GET', path: '/api/resource', headers: { 'X-API-Key': 'k1' } },
              response: { status: 200, headers: { 'content-type': 'application/json', date: 'today' }, body: '{"ok":true}' },
            },
            exchangeCount: 3,
            seed: 1234,
          },
        ],
      },
      c,
    )
    expect(text).toContain('✗ rate-limit: 2 of 3 checks pass (type check included)')
    expect(text.trimEnd().split('\n').at(-1)).toContain('✗ rate-limit:')
    expect(text).toContain('GET /api/resource\n        X-API-Key: k1')
    expect(text).toContain('200 OK\n        content-type: application/json')
    expect(text).not.toContain('date: today')
    expect(text).toContain('{"ok":true}')
    expect(text).toContain('-   "error": "rate_limited",')
    expect(text).toContain('(request 3 of the 3 this check sent)')
    expect(text).toContain('npm run exercise rate-limit -- --seed 1234')
  })

  it('shows the frames of a WebSocket, the last ones when there are many', () => {
    const lines = ['· opened', ...Array.from({ length: 20 }, (_, i) => `← {"n":${i}}`), '→ {"type":"leave"}']
    const text = renderGrade(
      {
        ...base,
        checks: [
          {
            name: 'closes the socket after /leave',
            status: 'fail',
            message: 'the socket was not closed after /leave (waited 1000 ms)',
            streams: [{ kind: 'websocket', target: 'WebSocket /chat', lines, dropped: 3 }],
          },
        ],
      },
      c,
    )
    expect(text).toContain('WebSocket /chat: frames exchanged')
    expect(text).toContain('… (11 earlier lines)')
    expect(text).not.toContain('← {"n":9}')
    expect(text).toContain('← {"n":10}')
    expect(text).toContain('→ {"type":"leave"}')
    expect(text).toContain('… (3 more lines not recorded)')
  })

  it('leaves out a diff that only repeats the message', () => {
    const text = renderGrade(
      { ...base, checks: [{ name: 'x', status: 'fail', message: 'expected status 200, received 404', diff: '- Expected\n+ Received\n\n- 200\n+ 404' }] },
      c,
    )
    expect(text).not.toContain('Expected vs received')
  })

  it('reports a load error with its place and frame and no checks', () => {
    const text = renderGrade(
      { ...base, status: 'error', loadError: { file: 'exercises/a/app.ts', line: 3, column: 7, message: 'Unexpected token', frame: '3 | const = 1' } },
      c,
    )
    expect(text).toContain('the code could not be loaded')
    expect(text).toContain('exercises/a/app.ts:3:7')
    expect(text).toContain('3 | const = 1')
  })

  it('lists type errors with file and line', () => {
    const text = renderGrade(
      { ...base, checks: [{ name: 'x', status: 'pass' }], typecheck: { status: 'fail', errors: [{ file: 'exercises/a/app.ts', line: 2, column: 5, code: 'TS2322', message: 'Type mismatch' }] } },
      c,
    )
    expect(text).toContain('1 of 2 checks pass (type check included)')
    expect(text).toContain('exercises/a/app.ts:2:5 Type mismatch TS2322')
  })

  it('cuts long diffs and long output lines, saying how much was left out', () => {
    const diff = ['- Expected', '+ Received', '', ...Array.from({ length: 100 }, (_, i) => `+ line ${i}`)].join('\n')
    const text = renderGrade(
      { ...base, checks: [{ name: 'big', status: 'fail', message: 'm', diff, output: 'y'.repeat(5000) }] },
      c,
      { detailBudget: 500 },
    )
    expect(text).toContain('… (63 more lines)')
    expect(text).not.toContain('+ line 99')
    expect(text).toContain('… (4700 more characters)')
    expect(text.length).toBeLessThan(3000)
  })

  it('says a tampered grade cannot be trusted, and why', () => {
    const text = renderGrade({ ...base, status: 'error', integrity: ['the run reported checks the spec does not have: "x"'] }, c)
    expect(text).toContain('cannot be trusted')
    expect(text).toContain('the run reported checks the spec does not have: "x"')
  })

  describe('with tasks', () => {
    const failing = (name: string, task: number) => ({
      name,
      task,
      status: 'fail' as const,
      message: `${name} failed`,
      exchange: { id: 0, request: { method: 'GET', path: `/${name}`, headers: {} }, response: { status: 501, headers: {}, body: '' } },
    })
    const result: GradeResult = {
      ...base,
      checks: [
        { name: 'lists', task: 1, status: 'pass' },
        { name: 'lists empty', task: 1, status: 'pass' },
        ...['a', 'b', 'c', 'd', 'e'].map((n) => failing(`create-${n}`, 2)),
        failing('rejects', 3),
      ],
      tasks: [
        { id: 1, title: 'List users', passed: 2, total: 2 },
        { id: 2, title: 'Create a user', passed: 0, total: 5 },
        { id: 3, title: 'Validation errors', passed: 0, total: 1 },
      ],
    }

    it('leads with the task you are on, shows at most three of its failures in full, and ends with the verdict', () => {
      const text = renderGrade(result, c)
      const lines = text.trimEnd().split('\n')
      expect(lines[0]).toBe('rate-limit · Task 2 of 3: Create a user')
      expect(text).toContain('✓ Task 1: List users  2 of 2')
      expect(text).toContain('✗ Task 2: Create a user  0 of 5')
      expect(text).toContain('· Task 3: Validation errors  0 of 1')
      // Passed task: one line, its checks not listed; later task: one line, its failure not shown.
      expect(text).not.toContain('lists empty')
      expect(text).not.toContain('rejects failed')
      expect(text.match(/Request sent/g)).toHaveLength(3)
      expect(text).toContain('create-d')
      expect(text).not.toContain('create-d failed')
      expect(text).toContain('(2 failing checks not shown in full')
      expect(text).toContain('501 Not Implemented')
      expect(lines.at(-1)).toBe('✗ rate-limit: 3 of 9 checks pass (type check included); 1 of 3 tasks done, next: task 2')
    })

    it('says how the app was built when the spec recorded it', () => {
      const text = renderGrade({ ...result, checks: result.checks.map((ch) => ({ ...ch, apps: ["{ greeting: 'Hallo' }"] })) }, c)
      expect(text).toContain("(app created with { greeting: 'Hallo' })")
    })

    it('fits a report of many long failures on one screen', () => {
      const body = JSON.stringify(Object.fromEntries(Array.from({ length: 60 }, (_, i) => [`field${i}`, i])))
      const diff = ['- Expected', '+ Received', '', ...Array.from({ length: 60 }, (_, i) => `+ line ${i}`)].join('\n')
      const long = (name: string) => ({ ...failing(name, 2), diff, exchange: { ...failing(name, 2).exchange, response: { status: 200, headers: {}, body } } })
      const text = renderGrade({ ...result, checks: [...result.checks.slice(0, 2), ...['a', 'b', 'c', 'd'].map(long), failing('rejects', 3)] }, c)
      expect(text.trimEnd().split('\n').length).toBeLessThanOrEqual(60)
    })

    it('counts a one-check, no-type-check grade in the singular', () => {
      const text = renderGrade({ ...base, status: 'pass', checks: [{ name: 'x', status: 'pass' }], typecheck: { status: 'skipped', errors: [] } }, c)
      expect(text).toContain('✓ rate-limit: its one check passes')
    })

    it('counts the checks of a long task instead of listing them all', () => {
      const many = Array.from({ length: 30 }, (_, i) => failing(`check-${i}`, 2))
      const text = renderGrade({ ...result, checks: [...result.checks.slice(0, 2), ...many], tasks: [result.tasks[0]!, { id: 2, title: 'Create a user', passed: 0, total: 30 }] }, c)
      expect(text).toContain('check-11')
      expect(text).not.toContain('check-12')
      expect(text).toContain('… and 18 more checks in this task (18 failing)')
      expect(text.trimEnd().split('\n').length).toBeLessThanOrEqual(60)
    })
  })
})
