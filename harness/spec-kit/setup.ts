// Runs in the vitest worker before every spec (a `setupFiles` entry set by the runner).
// It writes a synchronous progress record, one JSON line per event, to the file the runner
// names in COURSE_PROGRESS_LOG. appendFileSync matters: if the learner's code spins forever
// the worker is killed, and only what already reached the disk tells the runner which test
// hung and what the finished tests reported.
import { appendFileSync } from 'node:fs'
import { stripVTControlCharacters } from 'node:util'
import { afterEach, beforeEach } from 'vitest'
import './matchers.ts'
import { rememberPrototypes, restorePrototypes } from './prototype-guard.ts'
import { setCurrentTest, type CheckMeta } from './state.ts'

const logFile = process.env.COURSE_PROGRESS_LOG

function record(entry: object): void {
  if (logFile) appendFileSync(logFile, `${JSON.stringify(entry)}\n`)
}

// vitest's worker state names the spec this worker is about to import; if the learner's module
// never finishes loading, this line is the only clue to which spec it was.
const workerState = (globalThis as { __vitest_worker__?: { filepath?: string } }).__vitest_worker__
record({ kind: 'worker', pid: process.pid, file: workerState?.filepath, at: Date.now() })

// Spec modules with a failed check. Modules whose id carries course-bail=1 (the self-check's
// stubs and mutants) only need to fail once, so their remaining checks are skipped. Keyed by
// file because a shared worker runs many modules with this one setup module.
const failedModules = new Set<string>()

beforeEach((context) => {
  const test = context.task
  setCurrentTest(test)
  if (failedModules.has(test.file.filepath) && /[?&]course-bail=1/.test(test.file.filepath)) {
    context.skip()
    return
  }
  const startedAt = Date.now()
  const file = test.file.filepath
  record({ kind: 'start', file, pid: process.pid, id: test.id, name: test.fullTestName ?? test.name, at: startedAt })
  context.onTestFinished(({ task }) => {
    const result = task.result
    if (result?.state === 'fail') failedModules.add(task.file.filepath)
    const errors = (result?.errors ?? []).map((e) => ({
      name: e.name,
      message: stripVTControlCharacters(e.message ?? ''),
      ...(e.diff ? { diff: stripVTControlCharacters(e.diff) } : {}),
    }))
    record({
      kind: 'end',
      file,
      id: task.id,
      name: task.fullTestName ?? task.name,
      state: result?.state === 'fail' ? 'fail' : 'pass',
      durationMs: Date.now() - startedAt,
      errors,
      meta: task.meta as CheckMeta,
      at: Date.now(),
    })
  })
})

// After every check, not just every module: a learner whose code pollutes a prototype then sees
// the one check that did it fail, not every check after it.
rememberPrototypes()
afterEach(() => {
  restorePrototypes()
})
