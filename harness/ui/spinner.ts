// A spinner while grading, on an interactive terminal only; elsewhere it stays silent so that
// logs and --json stay clean.
import ora from 'ora'
import type { Output } from './output.ts'

export interface Spinner {
  update: (text: string) => void
  stop: () => void
}

/** Starts a spinner with `text` if the output is interactive, else a no-op. */
export function startSpinner(out: Output, text: string): Spinner {
  if (!out.interactive) return { update: () => {}, stop: () => {} }
  const spinner = ora({ text, discardStdin: false }).start()
  return {
    update: (next) => {
      spinner.text = next
    },
    stop: () => void spinner.stop(),
  }
}
