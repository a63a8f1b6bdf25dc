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
    expect(text).toContain('✗ rate-limit: 1 of 2 checks pass')
    expect(text).toContain('GET /api/resource\n        X-API-Key: k1')
    expect(text).toContain('200 OK\n        content-type: application/json')
    expect(text).not.toContain('date: today')
    expect(text).toContain('{"ok":true}')
    expect(text).toContain('-   "error": "rate_limited",')
    expect(text).toContain('(request 3 of the 3 this check sent)')
    expect(text).toContain('npm run exercise rate-limit -- --seed 1234')
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
    expect(text).toContain('1 of 1 checks pass, and the type check fails')
    expect(text).toContain('exercises/a/app.ts:2:5 Type mismatch TS2322')
  })

  it('cuts long diffs and long output lines, saying how much was left out', () => {
    const diff = ['- Expected', '+ Received', '', ...Array.from({ length: 100 }, (_, i) => `+ line ${i}`)].join('\n')
    const text = renderGrade(
      { ...base, checks: [{ name: 'big', status: 'fail', message: 'm', diff, output: 'y'.repeat(5000) }] },
      c,
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
})
