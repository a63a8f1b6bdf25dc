// Waits for something a check expects to happen - a call reaching a fake upstream, a subscriber
// going away - by looking again after every turn of the event loop, never after a fixed delay.
// The deadline only bounds the wait for something that never happens, and the failure then says
// what did not happen, in the learner's words.

/** How long `until` waits by default before it fails the check. */
export const UNTIL_TIMEOUT_MS = 1500

/** Turns looked at back to back before `until` starts sleeping between looks. */
const EAGER_TURNS = 100

export interface UntilOptions {
  timeoutMs?: number
}

/**
 * Resolves as soon as `condition()` holds; rejects with `what` (a function is called only then,
 * so it can describe the state at the deadline) once `timeoutMs` has passed without it.
 */
export async function until(condition: () => boolean, what: string | (() => string), options: UntilOptions = {}): Promise<void> {
  const timeoutMs = options.timeoutMs ?? UNTIL_TIMEOUT_MS
  const deadline = Date.now() + timeoutMs
  for (let turn = 0; !condition(); turn++) {
    if (Date.now() > deadline) throw new Error(`${typeof what === 'string' ? what : what()} (waited ${timeoutMs} ms)`)
    // Work an app does in promise chains shows up within a few turns; after those, a short sleep
    // keeps a long wait from spinning a core the app itself needs on a busy machine.
    await new Promise((resolve) => (turn < EAGER_TURNS ? setImmediate(resolve) : setTimeout(resolve, 2)))
  }
}
