// A spinner while grading, on an interactive terminal only; elsewhere it stays silent so that
// logs and --json stay clean. ora takes ~0.1 s to import, so it is loaded only on a terminal,
// in the background: a grade that finishes first simply never shows one.
import type { Ora } from 'ora'
import type { Output } from './output.ts'

export interface Spinner {
  update: (text: string) => void
  stop: () => void
}

/** Starts a spinner with `text` if the output is interactive, else a no-op. */
export function startSpinner(out: Output, text: string): Spinner {
  if (!out.interactive) return { update: () => {}, stop: () => {} }
  let current = text
  let stopped = false
  let spinner: Ora | undefined
  void import('ora').then(({ default: ora }) => {
    if (!stopped) spinner = ora({ text: current, discardStdin: false }).start()
  })
  return {
    update: (next) => {
      current = next
      if (spinner) spinner.text = next
    },
    stop: () => {
      stopped = true
      spinner?.stop()
    },
  }
}
