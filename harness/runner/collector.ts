// The vitest reporter a session listens with. Vitest's own results are the only source of a
// pass: what each check reported (state, errors, the spec kit's meta), the checks each module
// declared, errors of whole modules, and the learner's console output per check (capped, so a
// flood of logs cannot flood the report).
import { stripVTControlCharacters } from 'node:util'
import type { Reporter, TestCase, TestModule } from 'vitest/node'
import type { CheckMeta } from '../spec-kit/state.ts'

/** One check as vitest reported it. */
export interface ReportedCheck {
  id: string
  name: string
  state: 'pass' | 'fail'
  durationMs: number
  errors: { name?: string; message: string; diff?: string }[]
  meta: CheckMeta
}

/** How much console output one check keeps. */
export const CONSOLE_LIMIT_BYTES = 16 * 1024

interface CapturedOutput {
  chunks: string[]
  bytes: number
  dropped: number
}

export class Collector implements Reporter {
  planned = new Map<string, string[]>()
  /** Tests vitest reported as skipped, per module. */
  skipped = new Map<string, string[]>()
  results = new Map<string, ReportedCheck[]>()
  modules = new Map<string, TestModule>()
  /** Errors of the run as a whole (a worker that could not start, an unhandled rejection). */
  runErrors: { message: string; stack?: string }[] = []
  private output = new Map<string, Map<string, CapturedOutput>>()
  // Task ids are only unique within a module run, and the same spec runs once per target.
  private taskOwner = new Map<string, { moduleId: string; name: string }>()

  constructor(private onCheck?: (moduleId: string, check: ReportedCheck) => void) {}

  reset(onCheck?: (moduleId: string, check: ReportedCheck) => void): void {
    this.planned.clear()
    this.skipped.clear()
    this.results.clear()
    this.modules.clear()
    this.runErrors = []
    this.output.clear()
    this.taskOwner.clear()
    this.onCheck = onCheck
  }

  onTestModuleCollected(module: TestModule): void {
    const tests = [...module.children.allTests()]
    this.planned.set(module.moduleId, tests.map((t) => t.fullName))
    for (const t of tests) this.taskOwner.set(t.id, { moduleId: module.moduleId, name: t.fullName })
    this.taskOwner.set(module.id, { moduleId: module.moduleId, name: '' })
  }

  onTestCaseResult(test: TestCase): void {
    const result = test.result()
    const moduleId = test.module.moduleId
    if (result.state === 'skipped') {
      this.skipped.set(moduleId, [...(this.skipped.get(moduleId) ?? []), test.fullName])
      return
    }
    if (result.state !== 'passed' && result.state !== 'failed') return
    const check: ReportedCheck = {
      id: test.id,
      name: test.fullName,
      state: result.state === 'passed' ? 'pass' : 'fail',
      durationMs: Math.round(test.diagnostic()?.duration ?? 0),
      errors: (result.errors ?? []).map((e) => ({
        ...(e.name ? { name: e.name } : {}),
        message: stripVTControlCharacters(e.message ?? String(e)),
        ...(e.diff ? { diff: stripVTControlCharacters(e.diff) } : {}),
      })),
      meta: test.meta() as CheckMeta,
    }
    this.results.set(moduleId, [...(this.results.get(moduleId) ?? []), check])
    this.onCheck?.(moduleId, check)
  }

  onTestRunEnd(_modules: readonly TestModule[], errors: readonly { message?: string; stack?: string; cause?: unknown }[]): void {
    for (const e of errors) {
      const cause = e.cause as { message?: string } | undefined
      const message = [e.message, cause?.message].filter(Boolean).join(': ')
      this.runErrors.push({ message: stripVTControlCharacters(message || String(e)), ...(e.stack ? { stack: e.stack } : {}) })
    }
  }

  onTestModuleEnd(module: TestModule): void {
    this.modules.set(module.moduleId, module)
  }

  onUserConsoleLog(log: { content: string; taskId?: string }): void {
    const owner = log.taskId ? this.taskOwner.get(log.taskId) : undefined
    if (!owner) return
    const byCheck = this.output.get(owner.moduleId) ?? new Map<string, CapturedOutput>()
    this.output.set(owner.moduleId, byCheck)
    const captured = byCheck.get(owner.name) ?? { chunks: [], bytes: 0, dropped: 0 }
    byCheck.set(owner.name, captured)
    const room = CONSOLE_LIMIT_BYTES - captured.bytes
    const bytes = Buffer.byteLength(log.content)
    if (bytes <= room) {
      captured.chunks.push(log.content)
      captured.bytes += bytes
    } else {
      if (room > 0) captured.chunks.push(Buffer.from(log.content).subarray(0, room).toString('utf8'))
      captured.bytes = CONSOLE_LIMIT_BYTES
      captured.dropped += bytes - Math.max(0, room)
    }
  }

  /** The console output of a module's checks, with a note where it was cut. */
  logs(moduleId: string): Map<string, string> {
    const out = new Map<string, string>()
    const results = this.results.get(moduleId) ?? []
    for (const [name, captured] of this.output.get(moduleId) ?? []) {
      const text = captured.chunks.join('')
      // What the worker's own cap never sent (spec-kit/console-cap.ts) counts too.
      const unsent = results.find((r) => r.name === name)?.meta?.consoleDropped
      const dropped = captured.dropped + (typeof unsent === 'number' && unsent > 0 ? unsent : 0)
      out.set(name, dropped ? `${text}\n… ${dropped} more bytes of output not shown` : text)
    }
    return out
  }
}
