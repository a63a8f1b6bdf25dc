// A failing check should say how the app was built when that matters ("app created with
// { greeting: 'Hallo' }"): the learner cannot see the spec. `build(createApp, options)` calls the
// factory and records a short, readable summary of the options in the check's meta, which the
// report prints above the exchange.
import { inspect } from 'node:util'
import { currentMeta } from './state.ts'

const MAX_SUMMARY = 300

/** Calls `factory(options)` and records the options for the failure report. */
export function build<O, A>(factory: (options: O) => A, options: O): A {
  const meta = currentMeta()
  meta.apps = [...(meta.apps ?? []), summarise(options)]
  return factory(options)
}

/** The options as a learner would write them: functions and clocks named, long arrays cut. */
export function summarise(options: unknown): string {
  const text = inspect(options, { depth: 3, breakLength: Infinity, maxArrayLength: 4, maxStringLength: 60, compact: true })
    .replace(/\[(?:Async)?(?:Generator)?Function(?: \(anonymous\))?(?:: ([\w$]+))?\]/g, (_, name: string | undefined) => (name ? `${name}()` : 'a function'))
  return text.length > MAX_SUMMARY ? `${text.slice(0, MAX_SUMMARY)}…` : text
}
