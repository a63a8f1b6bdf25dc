// Code under test runs in the same process as the assertions. The sandbox keeps it away from
// the grader's files; this keeps it away from the grader's tools in memory. The setup file
// takes a fingerprint of everything an assertion relies on (vitest's expect and its matchers,
// chai's assertion methods, the test API, the built-in functions matchers call) before the
// learner's module is imported, and compares it before and after every check. A difference
// fails the check with CourseIntegrityError, and the runner fails the whole grade on it.
import { chai, expect, it, test, describe, beforeEach, afterEach, beforeAll, afterAll } from 'vitest'

export const INTEGRITY_ERROR = 'CourseIntegrityError'

// The holder is looked up again at each comparison: vitest itself swaps some tables (the matchers
// object is rebuilt per spec file) while keeping the functions in them.
type Entry = [label: string, holder: () => object | undefined, key: PropertyKey, value: unknown]

// Built-ins whose functions assertions (and the kit's matchers) call. Only replacing a function
// that was there counts: a learner's bug that adds a data property to Object.prototype is a
// failed check, undone by the prototype guard, not tampering.
const BUILT_INS: [string, object][] = [
  ['Object', Object],
  ['Object.prototype', Object.prototype],
  ['Function.prototype', Function.prototype],
  ['Array', Array],
  ['Array.prototype', Array.prototype],
  ['String', String],
  ['String.prototype', String.prototype],
  ['Number', Number],
  ['Number.prototype', Number.prototype],
  ['Boolean.prototype', Boolean.prototype],
  ['Promise', Promise],
  ['Promise.prototype', Promise.prototype],
  ['Map.prototype', Map.prototype],
  ['Set.prototype', Set.prototype],
  ['RegExp.prototype', RegExp.prototype],
  ['Error', Error],
  ['Error.prototype', Error.prototype],
  ['JSON', JSON],
  ['Reflect', Reflect],
  ['Math', Math],
  ['Symbol', Symbol],
]

function ownFunctions(label: string, get: () => object | undefined): Entry[] {
  const holder = get()
  if (!holder) return []
  const entries: Entry[] = []
  for (const key of Reflect.ownKeys(holder)) {
    const d = Reflect.getOwnPropertyDescriptor(holder, key)
    if (!d) continue
    if (typeof d.value === 'function') entries.push([label, get, key, d.value])
    if (d.get) entries.push([label, get, key, d.get])
  }
  return entries
}

function matchersObject(name: string): { matchers?: object } | undefined {
  return (globalThis as Record<symbol, { matchers?: object } | undefined>)[Symbol.for(name)]
}

function take(): Entry[] {
  const api = { it, test, describe, beforeEach, afterEach, beforeAll, afterAll }
  const worker = (globalThis as { __vitest_worker__?: { rpc?: unknown } }).__vitest_worker__
  return [
    ...ownFunctions('expect', () => expect),
    ...ownFunctions('the matchers', () => matchersObject('$$jest-matchers-object')?.matchers),
    ...ownFunctions("chai's assertions", () => chai.Assertion.prototype),
    ...Object.entries(api).flatMap(([name, fn]) => ownFunctions(`the test API (${name})`, () => fn)),
    ['the worker', () => globalThis, '__vitest_worker__', worker],
    ...(worker ? ([['the worker', () => worker, 'rpc', worker.rpc]] as Entry[]) : []),
    ['the worker', () => process, 'send', process.send],
    ...BUILT_INS.flatMap(([label, holder]) => ownFunctions(label, () => holder)),
  ]
}

let fingerprint: Entry[] | undefined

/**
 * Takes the fingerprint, before the code under test loads. The setup file runs again before
 * each spec file, and vitest swaps its worker state between files, so each file gets its own.
 */
export function rememberGraderTools(): void {
  fingerprint = take()
}

/** What changed since the fingerprint, as "expect.toBe" style labels. */
export function changedGraderTools(): string[] {
  if (!fingerprint) return []
  const changed: string[] = []
  for (const [label, get, key, value] of fingerprint) {
    const holder = get()
    const d = holder ? Reflect.getOwnPropertyDescriptor(holder, key) : undefined
    const now = d ? ('value' in d ? d.value : d.get) : undefined
    if (now !== value) changed.push(`${label}: ${String(key)}`)
  }
  const matchers = matchersObject('$$jest-matchers-object')?.matchers
  const known = new Set(fingerprint.filter(([label]) => label === 'the matchers').map(([, , key]) => key))
  for (const key of matchers ? Reflect.ownKeys(matchers) : []) {
    if (!known.has(key)) changed.push(`the matchers: ${String(key)} (added)`)
  }
  return changed
}

/** Throws if the code under test changed the grader's tools. */
export function assertGraderToolsIntact(when: string): void {
  const changed = changedGraderTools()
  if (!changed.length) return
  const error = new Error(
    `The code under test changed the grader's own tools ${when} (${changed.slice(0, 3).join('; ')}` +
      `${changed.length > 3 ? `; and ${changed.length - 3} more` : ''}). ` +
      'A grade cannot be trusted after that, so it fails. Remove whatever replaces expect, its matchers or built-in functions.',
  )
  error.name = INTEGRITY_ERROR
  throw error
}
