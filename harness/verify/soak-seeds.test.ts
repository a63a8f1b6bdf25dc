import { execFileSync } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { MAX_SEED, planSeeds, seedFromText, seedRun } from './soak-seeds.ts'

describe('soak seeds', () => {
  it('counts up from the first seed and wraps inside the range --seed accepts', () => {
    expect(seedRun(5, 3)).toEqual([5, 6, 7])
    expect(seedRun(MAX_SEED - 1, 3)).toEqual([MAX_SEED - 1, MAX_SEED, 1])
  })

  it('takes --seed over everything and says so', () => {
    const plan = planSeeds({ first: 42, count: 4, ci: true, root: process.cwd() })
    expect(plan.seeds).toEqual([42, 43, 44, 45])
    expect(plan.origin).toContain('--seed 42')
  })

  it('derives the same seeds from the same commit, and different ones from another', () => {
    const a = seedFromText('1'.repeat(40))
    expect(seedFromText('1'.repeat(40))).toBe(a)
    expect(seedFromText('2'.repeat(40))).not.toBe(a)
    expect(a).toBeGreaterThanOrEqual(1)
    expect(a).toBeLessThanOrEqual(MAX_SEED)
  })

  it('uses the commit under CI in a git checkout, and distinct random seeds elsewhere', () => {
    const repo = mkdtempSync(path.join(os.tmpdir(), 'course-seeds-'))
    try {
      const git = (...args: string[]) =>
        execFileSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@example.test', ...args], { cwd: repo, stdio: 'pipe' }).toString().trim()
      git('init', '-q')
      writeFileSync(path.join(repo, 'file'), 'x')
      git('add', 'file')
      git('commit', '-qm', 'one')
      const commit = git('rev-parse', 'HEAD')
      const ci = planSeeds({ count: 3, ci: true, root: repo })
      expect(ci.origin).toBe(`from commit ${commit.slice(0, 10)}`)
      expect(ci.seeds[0]).toBe(seedFromText(commit))
      expect(planSeeds({ count: 3, ci: false, root: repo }).origin).toBe('random')
      // Outside a git checkout CI falls back to random seeds rather than failing.
      rmSync(path.join(repo, '.git'), { recursive: true, force: true })
      const local = planSeeds({ count: 3, ci: true, root: repo })
      expect(local.origin).toBe('random')
      expect(new Set(local.seeds).size).toBe(3)
    } finally {
      rmSync(repo, { recursive: true, force: true })
    }
  })
})
