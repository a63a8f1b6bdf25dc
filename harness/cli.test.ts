import { describe, expect, it } from 'vitest'
import { main, USAGE } from './cli.ts'
import { bufferOutput } from './ui/output.ts'
import { repoRoot } from './e2e/fixture.ts'

const env = { COURSE_ROOT: `${repoRoot}/harness/e2e/fixture-course` }

describe('cli', () => {
  it('prints usage with exit 0 for --help and 2 with no command', async () => {
    const help = bufferOutput()
    expect(await main(['--help'], help, env)).toBe(0)
    expect(help.text()).toBe(USAGE)
    const none = bufferOutput()
    expect(await main([], none, env)).toBe(2)
  })

  it('rejects an unknown command with usage', async () => {
    const out = bufferOutput()
    expect(await main(['grade-all'], out, env)).toBe(2)
    expect(out.errors()).toContain('Unknown command "grade-all".')
    expect(out.errors()).toContain('Usage:')
  })

  it('asks which exercise when the name is missing', async () => {
    const out = bufferOutput()
    expect(await main(['reset'], out, env)).toBe(2)
    expect(out.errors()).toContain('Which exercise? Run `npm run reset <name>`')
  })

  it('rejects a seed that is not a whole number', async () => {
    const out = bufferOutput()
    expect(await main(['exercise', 'passing', '--seed', 'abc'], out, env)).toBe(2)
    expect(out.errors()).toContain('--seed takes a whole number')
  })

  it('says where it looked when there is no course', async () => {
    const out = bufferOutput()
    expect(await main(['list'], out, { COURSE_ROOT: '/nonexistent/course' })).toBe(1)
    expect(out.errors()).toContain('No course at /nonexistent/course (content/catalog.json is missing)')
  })
})
