// Code under test can pollute built-in prototypes: `buckets[key].tokens = n` with key
// "__proto__" writes onto Object.prototype. In a worker shared by many spec modules (the
// self-check runs mutants that way), that would break every module after it, even vitest's
// own bookkeeping. So the setup file takes a snapshot of the built-in prototypes once, and
// puts them back after every check.

const PROTOTYPES: object[] = [
  Object.prototype,
  Array.prototype,
  Function.prototype,
  String.prototype,
  Number.prototype,
  Boolean.prototype,
  Promise.prototype,
]

type Snapshot = Map<PropertyKey, PropertyDescriptor>[]

const KEY = Symbol.for('api-course.pristine-prototypes')

function take(): Snapshot {
  return PROTOTYPES.map((proto) => {
    const descriptors = new Map<PropertyKey, PropertyDescriptor>()
    for (const key of Reflect.ownKeys(proto)) descriptors.set(key, Reflect.getOwnPropertyDescriptor(proto, key)!)
    return descriptors
  })
}

/** Records the pristine prototypes (only the first call in a worker takes the snapshot). */
export function rememberPrototypes(): void {
  const global = globalThis as Record<symbol, unknown>
  global[KEY] ??= take()
}

/** Removes what was added to the built-in prototypes since the snapshot and restores what was changed. */
export function restorePrototypes(): void {
  const snapshot = (globalThis as Record<symbol, unknown>)[KEY] as Snapshot | undefined
  if (!snapshot) return
  PROTOTYPES.forEach((proto, i) => {
    const pristine = snapshot[i]!
    for (const key of Reflect.ownKeys(proto)) {
      if (!pristine.has(key)) Reflect.deleteProperty(proto, key)
    }
    for (const [key, descriptor] of pristine) {
      const now = Reflect.getOwnPropertyDescriptor(proto, key)
      if (!now || now.value !== descriptor.value || now.get !== descriptor.get || now.set !== descriptor.set) {
        Reflect.defineProperty(proto, key, descriptor)
      }
    }
  })
}
