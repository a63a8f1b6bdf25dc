import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { coursePaths } from '../paths.ts'
import { stubCoverageProblems } from './stub-coverage.ts'

function course(solutionFiles: string[], stubFiles: string[]) {
  const paths = coursePaths(mkdtempSync(path.join(os.tmpdir(), 'stub-coverage-')))
  for (const [dir, files] of [[paths.solution('x'), solutionFiles], [paths.stub('x'), stubFiles]] as const) {
    for (const file of files) {
      mkdirSync(path.dirname(path.join(dir, file)), { recursive: true })
      writeFileSync(path.join(dir, file), '// code\n')
    }
  }
  return paths
}

describe('stub coverage', () => {
  it('names each solution file of a multi-file exercise that has no stub, and where to add it', () => {
    const paths = course(['app.ts', 'service.ts', 'lib/cache.ts'], ['app.ts', 'service.ts'])
    expect(stubCoverageProblems(paths, 'x')).toEqual([
      'solutions/x/lib/cache.ts has no stub: add content/x/stub/lib/cache.ts and copy it to exercises/x/',
    ])
  })

  it('is satisfied when every solution file has its stub', () => {
    expect(stubCoverageProblems(course(['app.ts', 'lib/cache.ts'], ['app.ts', 'lib/cache.ts']), 'x')).toEqual([])
  })

  it('leaves an exercise without stubs to the check that requires app.ts', () => {
    expect(stubCoverageProblems(course(['app.ts', 'repo.ts'], []), 'x')).toEqual([])
  })
})
