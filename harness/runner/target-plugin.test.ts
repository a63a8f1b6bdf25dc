import { mkdirSync, mkdtempSync, realpathSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { parseTarget, specModuleId, targetOfModuleId, targetPlugin, type Target } from './target-plugin.ts'
import { importSpecifiers } from './target-plugin.ts'
import { parseAst } from 'vite'

// A course folder with one mutant file and one file to stand in for an author's alternative.
const c = realpathSync(mkdtempSync(path.join(os.tmpdir(), 'target-plugin-')))
mkdirSync(path.join(c, 'content', 'hello', 'mutants'), { recursive: true })
writeFileSync(path.join(c, 'content', 'hello', 'mutants', 'off-by-one.ts'), '')
writeFileSync(path.join(c, 'alt.ts'), '')
mkdirSync(path.join(c, 'solutions', 'hello'), { recursive: true })
writeFileSync(path.join(c, 'solutions', 'hello', 'app.ts'), "export const greeting = 'Hello'\n")
writeFileSync(
  path.join(c, 'content', 'hello', 'mutants', 'shouts.patch'),
  "--- a/app.ts\n+++ b/app.ts\n@@ -1,1 +1,1 @@\n-export const greeting = 'Hello'\n+export const greeting = 'HELLO'\n",
)
writeFileSync(
  path.join(c, 'content', 'hello', 'mutants', 'stale.patch'),
  "--- a/app.ts\n+++ b/app.ts\n@@ -1,1 +1,1 @@\n-export const greeting = 'Hi'\n+export const greeting = 'HI'\n",
)
const dirs = { exercises: `${c}/exercises`, solutions: `${c}/solutions`, content: `${c}/content` }
const spec = `${c}/content/hello/spec.test.ts`

function resolve(target: Target, source = '../../exercises/hello/app.ts', importer = specModuleId(spec, target)) {
  const plugin = targetPlugin(dirs)
  const hook = plugin.resolveId as (source: string, importer?: string) => string | null
  return hook.call({}, source, importer)
}

describe('targetPlugin', () => {
  it('leaves the attempt where it is', () => {
    expect(resolve({ kind: 'attempt' })).toBe(`${c}/exercises/hello/app.ts`)
  })

  it('points a spec at the solution, the pristine stub or a mutant', () => {
    expect(resolve({ kind: 'solution' })).toBe(`${c}/solutions/hello/app.ts`)
    expect(resolve({ kind: 'stub' })).toBe(`${c}/content/hello/stub/app.ts`)
    expect(resolve({ kind: 'mutant', name: 'off-by-one' })).toBe(`${c}/content/hello/mutants/off-by-one.ts`)
  })

  it('names a mutant that does not exist instead of running nothing', () => {
    expect(() => resolve({ kind: 'mutant', name: 'nope' })).toThrow('there is no mutant nope')
  })

  it('sends other files of a mutant target to the solution', () => {
    expect(resolve({ kind: 'mutant', name: 'off-by-one' }, '../../exercises/hello/repo.ts')).toBe(`${c}/solutions/hello/repo.ts`)
  })

  it('redirects only imports made by specs', () => {
    expect(resolve({ kind: 'solution' }, './repo.ts', `${c}/solutions/hello/app.ts`)).toBeNull()
    expect(resolve({ kind: 'solution' }, 'hono')).toBeNull()
    expect(resolve({ kind: 'solution' }, '../../harness/spec-kit/index.ts')).toBeNull()
  })
})

describe('patch mutants', () => {
  const load = (id: string) => (targetPlugin(dirs).load as (id: string) => string | null).call({}, id)

  it('serve the solution with the patch applied, under the solution path', () => {
    const id = resolve({ kind: 'mutant', name: 'shouts' })
    expect(id).toBe(`${c}/solutions/hello/app.ts?course-mutant=shouts`)
    expect(load(id!)).toBe("export const greeting = 'HELLO'\n")
  })

  it('say so when a patch no longer applies to the solution', () => {
    expect(() => load(resolve({ kind: 'mutant', name: 'stale' })!)).toThrow('mutant stale no longer applies to solutions/hello/app.ts')
  })

  it('leave other modules alone', () => {
    expect(load(`${c}/solutions/hello/app.ts`)).toBeNull()
  })
})

describe('multi-file patch mutants', () => {
  // An exercise whose attempt spans app.ts, service.ts and lib/app.ts (a second file named app.ts).
  const folder = path.join(c, 'solutions', 'layers')
  const mutants = path.join(c, 'content', 'layers', 'mutants')
  mkdirSync(path.join(folder, 'lib'), { recursive: true })
  mkdirSync(mutants, { recursive: true })
  writeFileSync(path.join(folder, 'app.ts'), "import { ttl } from './service.ts'\nexport const app = ttl\n")
  writeFileSync(path.join(folder, 'service.ts'), 'export const ttl = 60\n')
  writeFileSync(path.join(folder, 'lib', 'app.ts'), "export const name = 'lib'\n")
  const part = (from: string, to: string, file: string, before: string, after: string) =>
    `--- ${from}/${file}\t2026-12-03 10:00:00\n+++ ${to}/${file}\t2026-12-03 10:01:00\n` +
    `@@ -1,1 +1,${after.split('\n').length} @@\n-${before}\n${after.split('\n').map((l) => `+${l}\n`).join('')}`
  // What `diff -ru solutions/layers /tmp/wrong` writes (with its "diff -ru" command lines).
  writeFileSync(
    path.join(mutants, 'two-files.patch'),
    `diff -ru solutions/layers/lib/app.ts /tmp/wrong/lib/app.ts\n${part('solutions/layers', '/tmp/wrong', 'lib/app.ts', "export const name = 'lib'", "export const name = 'LIB'")}` +
      `diff -ru solutions/layers/service.ts /tmp/wrong/service.ts\n${part('solutions/layers', '/tmp/wrong', 'service.ts', 'export const ttl = 60', '// Mutant: no expiry\nexport const ttl = Infinity')}`,
  )
  writeFileSync(path.join(mutants, 'stale-part.patch'), part('a', 'b', 'lib/app.ts', "export const name = 'old'", "export const name = 'x'"))
  writeFileSync(path.join(mutants, 'stranger.patch'), part('a', 'b', 'service.ts', 'export const ttl = 60', 'export const ttl = 1') + part('a', 'b', 'cache.ts', 'x', 'y'))

  const plugin = targetPlugin(dirs)
  const load = (id: string) => (plugin.load as (id: string) => string | null).call({}, id)
  const resolveFrom = (source: string, importer: string) =>
    (plugin.resolveId as (this: unknown, s: string, i?: string) => Promise<string | null> | string | null).call(
      { resolve: async (s: string, i: string) => ({ id: path.resolve(path.dirname(i), s) }) },
      source,
      importer,
    )

  it('serve each file the spec imports patched, under the solution path', () => {
    const service = resolve({ kind: 'mutant', name: 'two-files' }, '../../exercises/layers/service.ts', specModuleId(`${c}/content/layers/spec.test.ts`, { kind: 'mutant', name: 'two-files' }))
    expect(service).toBe(`${folder}/service.ts?course-mutant=two-files`)
    expect(load(service!)).toBe('// Mutant: no expiry\nexport const ttl = Infinity\n')
  })

  it('carry the mutant on to the files a patched module imports', async () => {
    const importer = `${folder}/app.ts?course-mutant=two-files`
    expect(load(importer)).toBe("import { ttl } from './service.ts'\nexport const app = ttl\n")
    expect(await resolveFrom('./service.ts', importer)).toBe(`${folder}/service.ts?course-mutant=two-files`)
    expect(await resolveFrom('./lib/app.ts', importer)).toBe(`${folder}/lib/app.ts?course-mutant=two-files`)
    expect(load(`${folder}/lib/app.ts?course-mutant=two-files`)).toBe("export const name = 'LIB'\n")
    expect(await resolveFrom('../hello/app.ts', importer)).toBeNull()
    expect(await resolveFrom('./service.ts', `${folder}/app.ts`)).toBeNull()
  })

  it('say which file a stale part no longer applies to, even one the spec does not load', () => {
    expect(() => load(`${folder}/app.ts?course-mutant=stale-part`)).toThrow('mutant stale-part no longer applies to solutions/layers/lib/app.ts')
  })

  it('refuse a part for a file the solution does not have', () => {
    expect(() => load(`${folder}/service.ts?course-mutant=stranger`)).toThrow('changes a/cache.ts, which is not a file of solutions/layers')
  })
})

describe('target ids', () => {
  it('round-trips a target through a module id', () => {
    for (const target of [{ kind: 'attempt' }, { kind: 'solution' }, { kind: 'stub' }, { kind: 'mutant', name: 'x-y' }] as Target[]) {
      expect(targetOfModuleId(specModuleId(spec, target))).toEqual(target)
    }
    expect(targetOfModuleId(spec)).toBeUndefined()
  })

  it('rejects an unknown target name', () => {
    expect(() => parseTarget('everything')).toThrow('a target is attempt, solution, stub or mutant:<name>')
  })

  it('treats a mutant name ending in .ts as a file path', () => {
    expect(resolve({ kind: 'mutant', name: `${c}/alt.ts` })).toBe(`${c}/alt.ts`)
  })
})

describe('importSpecifiers', () => {
  it('finds static, side-effect, re-export, dynamic and require specifiers', () => {
    const code = `import { a } from 'vitest'\nimport 'supertest'\nexport * from "./x.ts"\nconst m = await import('chai')\nrequire('vite')\nconst s = "import { it } from 'esbuild'"`
    expect(importSpecifiers(parseAst(code)).sort()).toEqual(['./x.ts', 'chai', 'supertest', 'vite', 'vitest'])
  })
})
