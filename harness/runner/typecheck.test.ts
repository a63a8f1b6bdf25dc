import { describe, expect, it } from 'vitest'
import { parseDiagnostics } from './typecheck.ts'

describe('parseDiagnostics', () => {
  it('reads file, line, column, code and message, relative to the root', () => {
    const out = [
      "/course/exercises/a/app.ts(9,23): error TS1005: ',' expected.",
      "exercises/a/app.ts(3,1): error TS2322: Type 'string' is not assignable to type 'number'.",
      "  The expected type comes from property 'id'.",
      'Found 2 errors.',
    ].join('\n')
    expect(parseDiagnostics(out, '/course')).toEqual([
      { file: 'exercises/a/app.ts', line: 9, column: 23, code: 'TS1005', message: "',' expected." },
      {
        file: 'exercises/a/app.ts',
        line: 3,
        column: 1,
        code: 'TS2322',
        message: "Type 'string' is not assignable to type 'number'.\n  The expected type comes from property 'id'.",
      },
    ])
  })

  it('returns nothing for clean output', () => {
    expect(parseDiagnostics('', '/course')).toEqual([])
  })
})
