// Runs in the vitest worker before every spec (a `setupFiles` entry set by the runner).
// It writes a synchronous progress record, one JSON line per event, to the file the runner
// names in COURSE_PROGRESS_LOG. appendFileSync matters: if the learner's code spins forever
// the worker is killed, and only what already reached the disk tells the runner which check
// hung. The record only ever names checks: results come from vitest's own reporter.
import { appendFileSync } from 'node:fs'
import { afterEach, beforeEach } from 'vitest'
import { closeClients } from './client.ts'
import { closeDatabases, warmDatabase } from './database.ts'
import { closeServers } from './server.ts'
import { closeEventStreams } from './sse.ts'
import { closeSockets } from './websocket.ts'
import { capConsole, recordDroppedConsole, resetConsoleCount } from './console-cap.ts'
import { assertGraderToolsIntact, rememberGraderTools } from './integrity.ts'
import './matchers.ts'
import { rememberPrototypes, restorePrototypes } from './prototype-guard.ts'
import { setCurrentTest } from './state.ts'

const logFile = process.env.COURSE_PROGRESS_LOG
const append = appendFileSync

function record(entry: object): void {
  if (!logFile) return
  try {
    append(logFile, `${JSON.stringify(entry)}\n`)
  } catch {
    // the record is a hint for the watchdog; a grade does not depend on it
  }
}

// vitest's worker state names the spec this worker is about to import; if the learner's module
// never finishes loading, this line is the only clue to which spec it was.
const workerState = (globalThis as { __vitest_worker__?: { filepath?: string } }).__vitest_worker__
record({ kind: 'worker', pid: process.pid, file: workerState?.filepath, at: Date.now() })

// Spec modules with a failed check. Modules whose id carries course-bail=1 (the self-check's
// stubs and mutants) only need to fail once, so their remaining checks are skipped. Keyed by
// file because a shared worker runs many modules with this one setup module.
const failedModules = new Set<string>()

// Everything the assertions rely on, before the code under test is imported.
rememberGraderTools()
capConsole()
warmDatabase()

beforeEach((context) => {
  const test = context.task
  const file = test.file.filepath
  setCurrentTest(test)
  resetConsoleCount()
  // course-collect=1: the runner only wants the list of checks (see runner/check-lists.ts).
  if (/[?&]course-collect=1/.test(file) || (failedModules.has(file) && /[?&]course-bail=1/.test(file))) {
    context.skip()
    return
  }
  assertGraderToolsIntact('before this check')
  record({ kind: 'start', file, pid: process.pid, id: test.id, name: test.fullTestName ?? test.name, at: Date.now() })
  context.onTestFinished(({ task }) => {
    if (task.result?.state === 'fail') failedModules.add(task.file.filepath)
    record({ kind: 'end', file, pid: process.pid, id: task.id, name: task.fullTestName ?? task.name, at: Date.now() })
  })
})

// After every check, not just every module: a learner whose code pollutes a prototype then sees
// the one check that did it fail, not every check after it.
rememberPrototypes()
afterEach((context) => {
  recordDroppedConsole()
  closeSockets()
  closeEventStreams()
  closeClients()
  closeServers()
  closeDatabases()
  restorePrototypes()
  if (!/[?&]course-collect=1/.test(context.task.file.filepath)) assertGraderToolsIntact('during this check')
})
