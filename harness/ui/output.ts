// Where commands write, and whether they may decorate: colours and spinners only on a real
// terminal without NO_COLOR (and never under CI); tests pass a buffer instead.
import pc from 'picocolors'

export type Colors = ReturnType<typeof pc.createColors>

export interface Output {
  /** Writes text as is (add the newline yourself). */
  write: (text: string) => void
  /** Writes to the error stream. */
  error: (text: string) => void
  colors: Colors
  /** True when a spinner and key presses make sense. */
  interactive: boolean
}

/** The process's own streams. */
export function terminalOutput(env: NodeJS.ProcessEnv = process.env): Output {
  const tty = Boolean(process.stdout.isTTY)
  const colour = tty && !env.NO_COLOR && env.TERM !== 'dumb'
  return {
    write: (text) => void process.stdout.write(text),
    error: (text) => void process.stderr.write(text),
    colors: pc.createColors(colour || Boolean(env.FORCE_COLOR)),
    interactive: tty && !env.CI && !env.NO_COLOR,
  }
}

/** An output that records what was written (for tests). */
export function bufferOutput(): Output & { text: () => string; errors: () => string } {
  let out = ''
  let err = ''
  return {
    write: (text) => void (out += text),
    error: (text) => void (err += text),
    colors: pc.createColors(false),
    interactive: false,
    text: () => out,
    errors: () => err,
  }
}
