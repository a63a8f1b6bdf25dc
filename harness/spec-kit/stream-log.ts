// The record of a WebSocket or event stream for the failure report: one short line per frame or
// event, kept in the check's meta like HTTP exchanges are. Bounded, because an app that floods a
// socket must not flood the report (or the worker's memory) with it.
import { currentMeta, type StreamLog } from './state.ts'

const MAX_LINES = 60
const MAX_LINE = 200

/** Starts a log in the running check's meta and returns a function that appends to it. */
export function streamLog(kind: StreamLog['kind'], target: string): (line: string) => void {
  const log: StreamLog = { kind, target, lines: [] }
  const meta = currentMeta()
  meta.streams = [...(meta.streams ?? []), log]
  return (line) => {
    if (log.lines.length >= MAX_LINES) {
      log.dropped = (log.dropped ?? 0) + 1
      return
    }
    const flat = line.replace(/\r?\n/g, '\\n')
    log.lines.push(flat.length > MAX_LINE ? `${flat.slice(0, MAX_LINE)}… (${flat.length} chars)` : flat)
  }
}
