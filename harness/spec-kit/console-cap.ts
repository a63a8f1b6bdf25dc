// A check's console output is capped twice. The runner keeps 16 KB of it per check (see
// runner/collector.ts); this cap, in the worker, stops a flood before it is formatted and sent
// over IPC, which otherwise costs about a second per 50 MB and can push a check past its time
// limit. Past the cap each call is only counted, and the count goes into the check's meta, so
// the report can say how much it left out. Code under test can undo this; it only makes its
// own grade slower.
import { format } from 'node:util'
import { currentMeta } from './state.ts'

/** Bytes of console output a check sends to the runner; well above what the runner keeps. */
export const WORKER_CONSOLE_CAP_BYTES = 64 * 1024

const METHODS = ['log', 'info', 'warn', 'error', 'debug', 'trace', 'dir', 'dirxml', 'table'] as const

let sent = 0
let dropped = 0

/** Wraps the worker's console once; later calls only reset the count. */
export function capConsole(): void {
  const console = globalThis.console as unknown as Record<string, ((...args: unknown[]) => void) & { courseCapped?: true }>
  for (const name of METHODS) {
    const original = console[name]
    if (typeof original !== 'function' || original.courseCapped) continue
    const capped = Object.assign(
      function (this: unknown, ...args: unknown[]) {
        if (sent >= WORKER_CONSOLE_CAP_BYTES) {
          dropped += Buffer.byteLength(format(...args)) + 1
          return
        }
        sent += Buffer.byteLength(format(...args)) + 1
        return original.apply(this, args)
      },
      { courseCapped: true as const },
    )
    console[name] = capped
  }
}

/** Starts a check's count. */
export function resetConsoleCount(): void {
  sent = 0
  dropped = 0
}

/** Records in the check's meta what the cap left out. */
export function recordDroppedConsole(): void {
  if (dropped) currentMeta().consoleDropped = dropped
}
