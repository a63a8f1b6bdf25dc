import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { coursePaths } from '../paths.ts'
import { attemptAndSolution, attemptFilesLabel, restoreStub, typescriptFiles } from './exercise-files.ts'

function course() {
  const root = mkdtempSync(path.join(os.tmpdir(), 'exercise-files-'))
  const paths = coursePaths(root)
  for (const dir of [paths.exercise('x'), paths.solution('x'), paths.stub('x')]) mkdirSync(dir, { recursive: true })
  writeFileSync(path.join(paths.stub('x'), 'app.ts'), 'stub\n')
  writeFileSync(path.join(paths.exercise('x'), 'app.ts'), 'stub\n')
  writeFileSync(path.join(paths.solution('x'), 'app.ts'), 'solution\n')
  writeFileSync(path.join(paths.solution('x'), 'repo.ts'), 'repo\n')
  return paths
}

describe('exercise files', () => {
  it('lists TypeScript files recursively and sorted', () => {
    const paths = course()
    mkdirSync(path.join(paths.solution('x'), 'lib'))
    writeFileSync(path.join(paths.solution('x'), 'lib', 'a.ts'), '')
    writeFileSync(path.join(paths.solution('x'), 'notes.md'), '')
    expect(typescriptFiles(paths.solution('x')).map((f) => path.relative(paths.solution('x'), f))).toEqual(['app.ts', 'lib/a.ts', 'repo.ts'])
  })

  it('pairs attempt and solution, with empty text where one lacks a file', () => {
    expect(attemptAndSolution(course(), 'x')).toEqual([
      { file: 'app.ts', attempt: 'stub\n', solution: 'solution\n' },
      { file: 'repo.ts', attempt: '', solution: 'repo\n' },
    ])
  })

  it('names the file to edit, or the folder and its files when the attempt spans several', () => {
    const paths = course()
    expect(attemptFilesLabel(paths, 'x')).toBe('exercises/x/app.ts')
    writeFileSync(path.join(paths.stub('x'), 'service.ts'), 'stub\n')
    expect(attemptFilesLabel(paths, 'x')).toBe('exercises/x/ (app.ts, service.ts)')
  })

  it('restores every file of a multi-file stub, backing up the attempt first', () => {
    const paths = course()
    writeFileSync(path.join(paths.stub('x'), 'service.ts'), 'service stub\n')
    writeFileSync(path.join(paths.exercise('x'), 'service.ts'), 'my service\n')
    const result = restoreStub(paths, 'x')
    expect(result).toMatchObject({ status: 'restored', files: ['app.ts', 'service.ts'] })
    expect(readFileSync(path.join(paths.exercise('x'), 'service.ts'), 'utf8')).toBe('service stub\n')
  })

  it('restores the stub only after backing up a changed attempt', () => {
    const paths = course()
    expect(restoreStub(paths, 'x')).toEqual({ status: 'unchanged' })
    writeFileSync(path.join(paths.exercise('x'), 'app.ts'), 'my attempt\n')
    const result = restoreStub(paths, 'x')
    expect(result).toMatchObject({ status: 'restored', files: ['app.ts'] })
    expect(readFileSync(path.join(paths.exercise('x'), 'app.ts'), 'utf8')).toBe('stub\n')
    const backup = (result as { backup: string }).backup
    expect(readFileSync(path.join(backup, 'app.ts'), 'utf8')).toBe('my attempt\n')
  })
})
