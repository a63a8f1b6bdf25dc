// End-to-end: watch mode re-grades on save, survives an endless loop, and quits cleanly.
import type { ChildProcess } from 'node:child_process'
import { readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs'
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

/**
 * Collects the CLI's output; `waitFor` resolves when `pattern` appears after `from` characters.
 * It is woken by the output itself, never by a clock: the deadline only turns a hang into a
 * failure that shows what was printed.
 */
function output(proc: ChildProcess) {
  let text = ''
  const waiters = new Set<() => void>()
  const onData = (chunk: Buffer) => {
    text += chunk.toString()
    for (const wake of [...waiters]) wake()
  }
  proc.stdout!.on('data', onData)
  proc.stderr!.on('data', onData)
  return {
    get text() {
      return text
    },
    waitFor(pattern: RegExp, from = 0, deadlineMs = 45_000): Promise<number> {
      return new Promise((resolve, reject) => {
        const check = () => {
          const m = pattern.exec(text.slice(from))
          if (!m) return
          waiters.delete(check)
          clearTimeout(deadline)
          resolve(from + m.index + m[0].length)
        }
        const deadline = setTimeout(() => {
          waiters.delete(check)
          reject(new Error(`no ${pattern} in the output; output so far:\n${text}`))
        }, deadlineMs)
        waiters.add(check)
        check()
      })
    },
  }
}

/** Saves the way many editors do: write a temporary file beside it, then rename it over the original. */
function atomicSave(file: string, contents: string, n: number): void {
  const temp = path.join(path.dirname(file), `.${path.basename(file)}.${n}.tmp~`)
  writeFileSync(temp, contents)
  renameSync(temp, file)
}

describe('npm run watch', () => {
  it('grades again on every save, recovers from an endless loop, and quits on SIGINT', async () => {
    const attempt = path.join(course.root, 'exercises', 'failing', 'app.ts')
    const solution = readFileSync(path.join(course.root, 'solutions', 'failing', 'app.ts'), 'utf8')
    child = spawnCli(course.root, ['watch', 'failing'])
    const out = output(child)
    let at = await out.waitFor(/1 of 3 checks pass/)
    await out.waitFor(/Watching exercises\/failing\//, at)

    writeFileSync(attempt, solution.replace("(c) => c.json({ pong: options.name ?? 'anonymous' })", '(c) => {\n    while (true) {}\n    return c.json({})\n  }'))
    at = await out.waitFor(/timed out after \d+ ms/, at)

    writeFileSync(attempt, solution)
    at = await out.waitFor(/all 3 checks pass/, at)
    // The first pass shows the exercise's notes.
    await out.waitFor(/A ping route\./, at)

    const exited = new Promise<number | null>((resolve) => child!.on('exit', resolve))
    child.kill('SIGINT')
    expect(await exited).toBe(0)
    expect(processesOf(course.root)).toEqual([])
    expect(JSON.parse(readFileSync(path.join(course.root, '.course', 'progress.json'), 'utf8')).exercises.failing.passedAt).toEqual(expect.any(String))
  })

  it('grades every editor-style atomic save, and a file deleted and written again', async () => {
    const attempt = path.join(course.root, 'exercises', 'failing', 'app.ts')
    const stub = readFileSync(attempt, 'utf8')
    const solution = readFileSync(path.join(course.root, 'solutions', 'failing', 'app.ts'), 'utf8')
    child = spawnCli(course.root, ['watch', 'failing'])
    const out = output(child)
    let at = await out.waitFor(/1 of 3 checks pass[\s\S]*Watching exercises\/failing\//)
    atomicSave(attempt, solution, 1)
    at = await out.waitFor(/all 3 checks pass[\s\S]*Watching exercises\/failing\//, at)
    atomicSave(attempt, stub, 2)
    at = await out.waitFor(/1 of 3 checks pass[\s\S]*Watching exercises\/failing\//, at)
    atomicSave(attempt, solution, 3)
    at = await out.waitFor(/all 3 checks pass[\s\S]*Watching exercises\/failing\//, at)
    rmSync(attempt)
    writeFileSync(attempt, stub)
    at = await out.waitFor(/1 of 3 checks pass[\s\S]*Watching exercises\/failing\//, at)
    // One grade per save: the first, three atomic saves, the re-created file.
    expect(out.text.match(/✓ failing: all 3 checks pass|✗ failing: \d+ of 3 checks pass|✗ failing: the code could not be loaded/g)).toHaveLength(5)
  })

  it('starts guided mode at the first unfinished exercise', async () => {
    child = spawnCli(course.root, ['start'])
    const out = output(child)
    const at = await out.waitFor(/✓ passing: all 3 checks pass/)
    await out.waitFor(/Well done! Press n for the next exercise\./, at)
    // A first run opens with the welcome, above the exercise and the keys.
    expect(out.text.indexOf('Welcome!')).toBeGreaterThan(-1)
    expect(out.text.indexOf('Welcome!')).toBeLessThan(out.text.indexOf('passing - The passing fixture'))
    // After a pass, the last thing on screen says what to do next.
    expect(out.text.trimEnd().split('\n').filter((l) => !l.startsWith('Watching')).at(-1)).toContain('Press n for the next exercise')
    const exited = new Promise<number | null>((resolve) => child!.on('exit', resolve))
    child.kill('SIGTERM')
    expect(await exited).toBe(0)
  })
})
