// End-to-end: watch mode re-grades on save, survives an endless loop, and quits cleanly.
import type { ChildProcess } from 'node:child_process'
import { readFileSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { makeCourse, processesOf, spawnCli } from './fixture.ts'

let course: ReturnType<typeof makeCourse>
let child: ChildProcess | undefined
beforeEach(() => {
  course = makeCourse()
})
afterEach(() => {
  child?.kill('SIGKILL')
  course.cleanup()
})

/** Collects stdout and resolves when `pattern` appears after `from` characters. */
function output(proc: ChildProcess) {
  let text = ''
  proc.stdout!.on('data', (chunk: Buffer) => (text += chunk.toString()))
  proc.stderr!.on('data', (chunk: Buffer) => (text += chunk.toString()))
  return {
    get text() {
      return text
    },
    waitFor(pattern: RegExp, from = 0, timeoutMs = 45_000): Promise<number> {
      return new Promise((resolve, reject) => {
        const started = Date.now()
        const timer = setInterval(() => {
          const m = pattern.exec(text.slice(from))
          if (m) {
            clearInterval(timer)
            resolve(from + m.index + m[0].length)
          } else if (Date.now() - started > timeoutMs) {
            clearInterval(timer)
            reject(new Error(`timed out waiting for ${pattern}; output so far:\n${text}`))
          }
        }, 25)
      })
    },
  }
}

describe('npm run watch', () => {
  it('grades again on every save, recovers from an endless loop, and quits on SIGINT', async () => {
    const attempt = path.join(course.root, 'exercises', 'failing', 'app.ts')
    const solution = readFileSync(path.join(course.root, 'solutions', 'failing', 'app.ts'), 'utf8')
    child = spawnCli(course.root, ['watch', 'failing'])
    const out = output(child)
    let at = await out.waitFor(/0 of 2 checks pass/)
    await out.waitFor(/Watching exercises\/failing\//, at)

    writeFileSync(attempt, solution.replace("(c) => c.json({ pong: options.name ?? 'anonymous' })", '(c) => {\n    while (true) {}\n    return c.json({})\n  }'))
    at = await out.waitFor(/timed out after \d+ ms/, at)

    writeFileSync(attempt, solution)
    at = await out.waitFor(/all 2 checks pass/, at)
    // The first pass shows the exercise's notes.
    expect(out.text.slice(at)).toContain('A ping route.')

    const exited = new Promise<number | null>((resolve) => child!.on('exit', resolve))
    child.kill('SIGINT')
    expect(await exited).toBe(0)
    expect(processesOf(course.root)).toEqual([])
    expect(JSON.parse(readFileSync(path.join(course.root, '.course', 'progress.json'), 'utf8')).exercises.failing.passedAt).toEqual(expect.any(String))
  })

  it('starts guided mode at the first unfinished exercise', async () => {
    child = spawnCli(course.root, ['start'])
    const out = output(child)
    await out.waitFor(/✓ passing: all 2 checks pass/)
    expect(out.text).toContain('Well done! Press n for the next exercise.')
    const exited = new Promise<number | null>((resolve) => child!.on('exit', resolve))
    child.kill('SIGTERM')
    expect(await exited).toBe(0)
  })
})
