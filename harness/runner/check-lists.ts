// The checks each hidden spec declares, as the course's own code reported them. A grade of an
// attempt is compared with this list: the attempt runs in the same process as the spec, so the
// names its worker reports could be forged (an extra `it`, an `it.only`); the list recorded
// from a trusted run (a solution, a stub, a mutant) cannot. Keyed by the hash of the spec and
// the spec kit, so an edited spec is never compared with a stale list. Kept in memory and in
// node_modules/.cache, which graded code may not write.
import { createHash } from 'node:crypto'
import { mkdirSync, readdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs'
import path from 'node:path'

export class CheckLists {
  private readonly lists = new Map<string, string[]>()
  private loaded = false

  constructor(
    private readonly cacheFile: string,
    private readonly kitDir: string,
  ) {}

  /** The key of a spec's current contents (with the kit it runs on). */
  keyOf(specFile: string): string {
    const hash = createHash('sha256')
    hash.update(readFileSync(specFile))
    for (const file of kitSources(this.kitDir)) hash.update(file).update(readFileSync(path.join(this.kitDir, file)))
    return hash.digest('hex')
  }

  get(key: string): string[] | undefined {
    this.load()
    return this.lists.get(key)
  }

  /** Records what a trusted run collected; written through to the cache file (best effort). */
  set(key: string, names: string[]): void {
    this.load()
    const known = this.lists.get(key)
    if (known && known.length === names.length && known.every((n, i) => n === names[i])) return
    this.lists.set(key, names)
    try {
      mkdirSync(path.dirname(this.cacheFile), { recursive: true })
      const temp = `${this.cacheFile}.${process.pid}.tmp`
      writeFileSync(temp, JSON.stringify(Object.fromEntries(this.lists)))
      renameSync(temp, this.cacheFile)
    } catch {
      // A read-only install still grades: the list is collected again next time.
    }
  }

  private load(): void {
    if (this.loaded) return
    this.loaded = true
    try {
      const data = JSON.parse(readFileSync(this.cacheFile, 'utf8')) as Record<string, unknown>
      for (const [key, names] of Object.entries(data)) {
        if (Array.isArray(names) && names.every((n) => typeof n === 'string')) this.lists.set(key, names)
      }
    } catch {
      // no cache yet, or a torn one: start empty
    }
  }
}

/** The kit's source files (not its own tests), sorted. */
export function kitSources(kitDir: string): string[] {
  return readdirSync(kitDir)
    .filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts'))
    .sort()
}
