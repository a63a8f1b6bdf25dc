import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { coursePaths } from '../paths.ts'
import { graderFileChanges, snapshotGraderFiles } from './grader-files.ts'
import { createRunDir, sweepStaleRunDirs } from './run-dir.ts'
import { integrityProblems } from './vitest-session.ts'
import type { ReportedCheck } from './collector.ts'

const check = (name: string): ReportedCheck => ({ id: name, name, state: 'pass', durationMs: 1, errors: [], meta: {} })

describe('integrityProblems', () => {
  const spec = ['s > a', 's > b']

  it('accepts a report that matches the spec', () => {
    expect(integrityProblems(spec, spec, spec.map(check), [], false)).toEqual([])
  })

  it('names a check the spec does not have, collected or only reported', () => {
    expect(integrityProblems(spec, [...spec, 'mine'], spec.map(check), [], false)[0]).toContain('"mine"')
    expect(integrityProblems(spec, spec, [...spec.map(check), check('forged')], [], false)[0]).toContain('"forged"')
  })

  it('fails a report that lost or skipped the spec\'s checks', () => {
    expect(integrityProblems(spec, ['s > a'], [check('s > a')], [], false)).toEqual(['1 of the spec\'s checks were not collected'])
    expect(integrityProblems(spec, spec, [check('s > a')], ['s > b'], false)).toEqual(['1 of the spec\'s checks were skipped'])
  })

  it('does not blame a module that failed to load for missing checks', () => {
    expect(integrityProblems(spec, [], [], [], true)).toEqual([])
  })

  it('refuses to trust a grade when the spec\'s list is unknown', () => {
    expect(integrityProblems(undefined, spec, spec.map(check), [], false)).toHaveLength(1)
  })
})

describe('grader files', () => {
  it('notices a changed spec and says how to restore it', () => {
    const root = mkdtempSync(path.join(os.tmpdir(), 'grader-files-'))
    try {
      const paths = coursePaths(root)
      mkdirSync(paths.content('ex'), { recursive: true })
      writeFileSync(paths.spec('ex'), 'it("a")')
      const before = snapshotGraderFiles(paths, 'ex')
      expect(graderFileChanges(before, snapshotGraderFiles(paths, 'ex'), root)).toEqual([])
      writeFileSync(paths.spec('ex'), 'it("b")')
      const [problem] = graderFileChanges(before, snapshotGraderFiles(paths, 'ex'), root)
      expect(problem).toContain('git checkout -- content/ex/spec.test.ts')
    } finally {
      rmSync(root, { recursive: true, force: true })
    }
  })
})

describe('run folders', () => {
  it('removes the folders of harness processes that are gone, and keeps live ones', () => {
    const tmp = mkdtempSync(path.join(os.tmpdir(), 'run-dirs-'))
    try {
      // pid 2^22 + 1 is above Linux's pid_max default range: no such process.
      const stale = path.join(tmp, `course-run-${2 ** 22 + 1}-abc`)
      mkdirSync(stale)
      const mine = createRunDir(tmp)
      expect(sweepStaleRunDirs(tmp)).toBe(0)
      expect(existsSync(stale)).toBe(false) // removed by createRunDir's sweep
      expect(existsSync(mine.progressLog)).toBe(true)
      expect(mine.root.startsWith(path.join(tmp, `course-run-${process.pid}-`))).toBe(true)
      mine.remove()
    } finally {
      rmSync(tmp, { recursive: true, force: true })
    }
  })
})
