// Points a hidden spec at the code being graded. Specs import the learner's file by its real
// relative path (`../../exercises/<slug>/app.ts`), which keeps them type-checked against the
// stub's exported types; this Vite plugin redirects that import to the reference solution or
// to a mutant. The target travels in the spec's module id as a query string
// (`spec.test.ts?course-target=solution`), so one vitest run can grade the same spec against
// many targets side by side.
import { existsSync, readFileSync, realpathSync, statSync } from 'node:fs'
import path from 'node:path'
import { applyPatch, parsePatch, type StructuredPatch } from 'diff'
import type { Plugin } from 'vite'
import { typescriptFiles } from '../course/exercise-files.ts'
import type {} from 'vitest/node'

/** What a grade runs the spec against. */
export type Target =
  | { kind: 'attempt' }
  | { kind: 'solution' }
  /** The pristine stub kept in content/<slug>/stub (the learner's copy may have changed). */
  | { kind: 'stub' }
  /**
   * A deliberately wrong implementation: `mutants/<name>.patch` is a unified diff applied to the
   * solution (to app.ts, or to each file of the solution folder it names: `diff -ru` of a
   * multi-file exercise), `mutants/<name>.ts` replaces app.ts, `mutants/<name>/` replaces the files
   * it holds, and a name ending in .ts is a path to a file that replaces app.ts.
   */
  | { kind: 'mutant'; name: string }

export interface TargetDirs {
  exercises: string
  solutions: string
  content: string
  /** The harness's sources (the spec kit): off limits to graded code. */
  harness?: string
  /**
   * A session that grades learners' attempts: nothing in it may load a reference solution or a
   * mutant, however the import was spelled (a path computed at run time never meets resolveId).
   */
  untrusted?: boolean
}

const QUERY_KEY = 'course-target'
const SEED_KEY = 'course-seed'
const MUTANT_KEY = 'course-mutant'
/** Stop a module after its first failing check: enough to know a mutant was caught. */
const BAIL_KEY = 'course-bail'
/** Only collect the spec's checks (the spec kit skips every one). */
const COLLECT_KEY = 'course-collect'

// Packages that run or fake the grading itself. An app has no use for them; an attempt that
// imports them is reaching for the grader's matchers or results.
const GRADER_PACKAGES = /^(vitest|@vitest\/.*|vite|vite-node|supertest|superagent|chai|@jest\/.*|expect|esbuild|rollup|tinypool|tinyspy)(\/.*)?$/

/**
 * The module id that runs `specFile` against `target`. A seed in the id overrides the run's
 * seed for this module only, so one run can grade the same target twice with different data.
 */
export function specModuleId(specFile: string, target: Target, seed?: number, bail = false, collect = false): string {
  const value = target.kind === 'mutant' ? `mutant:${target.name}` : target.kind
  const extra = `${seed !== undefined ? `&${SEED_KEY}=${seed}` : ''}${bail ? `&${BAIL_KEY}=1` : ''}${collect ? `&${COLLECT_KEY}=1` : ''}`
  return `${specFile}?${QUERY_KEY}=${encodeURIComponent(value)}${extra}`
}

/** The seed a spec module id carries, if any. */
export function seedOfModuleId(id: string): number | undefined {
  const q = id.indexOf('?')
  const value = q < 0 ? null : new URLSearchParams(id.slice(q + 1)).get(SEED_KEY)
  return value && /^\d+$/.test(value) ? Number(value) : undefined
}

/** The target a spec module id names, or undefined for a plain path. */
export function targetOfModuleId(id: string): Target | undefined {
  const q = id.indexOf('?')
  if (q < 0) return undefined
  const value = new URLSearchParams(id.slice(q + 1)).get(QUERY_KEY)
  return value ? parseTarget(value) : undefined
}

/** Parses `attempt`, `solution`, `stub` or `mutant:<name>`. */
export function parseTarget(text: string): Target {
  if (text === 'attempt') return { kind: 'attempt' }
  if (text === 'solution') return { kind: 'solution' }
  if (text === 'stub') return { kind: 'stub' }
  if (text.startsWith('mutant:') && text.length > 'mutant:'.length) {
    return { kind: 'mutant', name: text.slice('mutant:'.length) }
  }
  throw new Error(`a target is attempt, solution, stub or mutant:<name>, not "${text}"`)
}

/** A Vite plugin that resolves each spec's import of `exercises/<slug>/…` to the spec's target. */
export function targetPlugin(dirs: TargetDirs, fallback: Target = { kind: 'attempt' }): Plugin {
  return {
    name: 'course-target',
    enforce: 'pre',
    resolveId(source, importer) {
      if (!importer) return null
      const [importerPath] = importer.split('?') as [string]
      if (isInside(dirs.exercises, importerPath)) return guardAttemptImport(this, dirs, source, importerPath)
      if (!source.startsWith('.')) return null
      const mutant = mutantOfModuleId(importer)
      if (mutant && isInside(dirs.solutions, importerPath)) return mutantSibling(this, dirs, source, importerPath, mutant)
      if (!importerPath.startsWith(dirs.content + path.sep) || !importerPath.endsWith('.test.ts')) return null
      const resolved = path.resolve(path.dirname(importerPath), source)
      const rel = path.relative(dirs.exercises, resolved)
      if (rel.startsWith('..') || path.isAbsolute(rel)) return null
      const [slug, ...rest] = rel.split(path.sep)
      const file = rest.join(path.sep)
      if (!slug || !file) return null
      const target = targetOfModuleId(importer) ?? fallback
      switch (target.kind) {
        case 'attempt':
          return resolved
        case 'solution':
          return path.join(dirs.solutions, slug, file)
        case 'stub':
          return path.join(dirs.content, slug, 'stub', file)
        case 'mutant':
          return mutantFile(dirs, slug, target.name, file)
      }
    },
    // Vitest's module cache (experimental.fsModuleCache) keys a module by its id and its file's
    // contents. A patch mutant's code comes from its patch, not its file, so it is never cached;
    // and a session grading attempts must not be served a solution or mutant from the cache,
    // which would skip the load hook that refuses them.
    configureVitest({ experimental_defineCacheKeyGenerator }) {
      experimental_defineCacheKeyGenerator(({ id }) => {
        const q = id.indexOf('?')
        const file = q < 0 ? id : id.slice(0, q)
        if (q >= 0 && new URLSearchParams(id.slice(q + 1)).has(MUTANT_KEY)) return false
        if (dirs.untrusted && (isInside(dirs.solutions, file) || (isInside(dirs.content, file) && file.split(path.sep).includes('mutants')))) {
          return false
        }
        return ''
      })
    },
    // A patch mutant is the solution's file with the patch applied, served under the solution's
    // path (so its own relative imports still resolve) plus a query naming the mutant. A
    // multi-file exercise's patch may change several files, so the query travels on to every
    // file of the solution folder the patched module imports (see resolveId).
    load(id) {
      const q = id.indexOf('?')
      if (dirs.untrusted) refuseCourseCode(dirs, q < 0 ? id : id.slice(0, q))
      const name = q < 0 ? null : new URLSearchParams(id.slice(q + 1)).get(MUTANT_KEY)
      if (!name) return null
      const file = id.slice(0, q)
      const [slug] = path.relative(dirs.solutions, file).split(path.sep) as [string]
      return patchedSolution(dirs, slug, name).get(path.relative(path.join(dirs.solutions, slug), file)) ?? readFileSync(file, 'utf8')
    },
  }
}

/** The mutant a module id names (the query patch mutants travel with), if any. */
function mutantOfModuleId(id: string): string | undefined {
  const q = id.indexOf('?')
  return (q < 0 ? null : new URLSearchParams(id.slice(q + 1)).get(MUTANT_KEY)) ?? undefined
}

// A relative import made by a patched solution file: a file of the same solution folder is
// served patched too (or unchanged, if the patch leaves it alone), under the same mutant.
async function mutantSibling(
  ctx: { resolve: (source: string, importer?: string, options?: { skipSelf?: boolean }) => Promise<{ id: string } | null> },
  dirs: TargetDirs,
  source: string,
  importer: string,
  mutant: string,
): Promise<string | null> {
  const [slug] = path.relative(dirs.solutions, importer).split(path.sep) as [string]
  const resolved = await ctx.resolve(source, importer, { skipSelf: true })
  const file = resolved?.id.split('?')[0]
  if (!file || !isInside(path.join(dirs.solutions, slug), file) || !file.endsWith('.ts')) return null
  return `${file}?${MUTANT_KEY}=${encodeURIComponent(mutant)}`
}

/**
 * Every file a patch mutant changes, by its path inside the solution folder, patched. A patch
 * with one file in it that names no file of the folder (`diff -u solutions/x/app.ts wrong.ts`
 * is named after app.ts, but an author may diff two scratch files) is app.ts's. Each file is
 * matched by the longest path inside the folder that ends its name in the patch, so
 * `solutions/x/lib/app.ts` is lib/app.ts, not app.ts. Every part must apply, also to a file
 * the spec does not load, so a stale part is reported, not skipped.
 */
export function patchedSolution(dirs: Pick<TargetDirs, 'solutions' | 'content'>, slug: string, name: string): Map<string, string> {
  const folder = path.join(dirs.solutions, slug)
  const patchFile = path.join(dirs.content, slug, 'mutants', `${name}.patch`)
  const parts = parsePatch(readFileSync(patchFile, 'utf8')).filter((p) => p.hunks.length > 0)
  const files = typescriptFiles(folder).map((f) => path.relative(folder, f))
  const patched = new Map<string, string>()
  for (const part of parts) {
    const file = fileOfPart(part, files) ?? (parts.length === 1 ? 'app.ts' : undefined)
    if (!file || !files.includes(file)) {
      throw new Error(
        `mutant ${name} changes ${part.oldFileName ?? part.newFileName ?? 'a file'}, which is not a file of solutions/${slug}: ` +
          `make the patch with \`diff -ru solutions/${slug} <wrong copy>\``,
      )
    }
    const result = applyPatch(patched.get(file) ?? readFileSync(path.join(folder, file), 'utf8'), part)
    if (result === false) {
      throw new Error(
        `mutant ${name} no longer applies to solutions/${slug}/${file}: ` +
          'write the wrong version again and store `diff -u` of it as the patch',
      )
    }
    patched.set(file, result)
  }
  return patched
}

function fileOfPart(part: StructuredPatch, files: string[]): string | undefined {
  const names = [part.oldFileName, part.newFileName].filter((n): n is string => !!n).map((n) => `/${n.replace(/\\/g, '/')}`)
  const matches = files.filter((f) => names.some((n) => n.endsWith(`/${f.split(path.sep).join('/')}`)))
  return matches.sort((a, b) => b.length - a.length)[0]
}

function refuseCourseCode(dirs: TargetDirs, file: string): void {
  const root = path.dirname(dirs.exercises)
  const mutants = isInside(dirs.content, file) && file.split(path.sep).includes('mutants')
  if (isInside(dirs.solutions, file) || isInside(realpathOr(dirs.solutions), file) || mutants) {
    throw new Error(
      `graded code tried to load ${path.relative(root, file)}: graded code may not import from solutions/, content/ or harness/. ` +
        'Write the code in your exercise folder yourself (`npm run hint` helps when you are stuck).',
    )
  }
}

function refuseTestTool(who: string, source: string): never {
  throw new Error(
    `${who} imports "${source}", a testing tool: graded code may not import the tools that grade it. ` +
      'Remove the import; your app only needs hono and the packages the task names.',
  )
}

/**
 * Vitest resolves its own name before any plugin sees it, so bare imports of the test tools are
 * caught in the attempt's compiled code instead: this plugin runs after TypeScript is stripped.
 */
export function importGuardPlugin(dirs: TargetDirs): Plugin {
  return {
    name: 'course-import-guard',
    enforce: 'post',
    transform(code, id) {
      const [file] = id.split('?') as [string]
      if (!isInside(dirs.exercises, file)) return null
      for (const source of importSpecifiers(this.parse(code))) {
        if (GRADER_PACKAGES.test(source)) refuseTestTool(path.relative(path.dirname(dirs.exercises), file), source)
      }
      return null
    },
  }
}

interface AstNode {
  type?: string
  source?: { type?: string; value?: unknown }
  callee?: { type?: string; name?: string }
  arguments?: { type?: string; value?: unknown }[]
}

/** The module specifiers a parsed module names: imports, re-exports, literal import() and require(). */
export function importSpecifiers(ast: unknown): string[] {
  const found: string[] = []
  const visit = (node: unknown): void => {
    if (!node || typeof node !== 'object') return
    if (Array.isArray(node)) return node.forEach(visit)
    const n = node as AstNode
    const literal = (v: { type?: string; value?: unknown } | undefined) =>
      v?.type === 'Literal' && typeof v.value === 'string' ? v.value : undefined
    const named = /^(Import|ExportAll|ExportNamed)Declaration$|^ImportExpression$/.test(n.type ?? '') ? literal(n.source) : undefined
    if (named) found.push(named)
    if (n.type === 'CallExpression' && n.callee?.type === 'Identifier' && n.callee.name === 'require') {
      const arg = literal(n.arguments?.[0])
      if (arg) found.push(arg)
    }
    for (const value of Object.values(node)) if (value && typeof value === 'object') visit(value)
  }
  visit(ast)
  return found
}

/** True when `file` is `dir` or inside it. */
function isInside(dir: string, file: string): boolean {
  const rel = path.relative(dir, file)
  return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel))
}

// Graded code may import its own files, packages and Node's modules; never the reference
// solutions, the hidden specs and mutants, the harness, or the test tools.
async function guardAttemptImport(
  ctx: { resolve: (source: string, importer?: string, options?: { skipSelf?: boolean }) => Promise<{ id: string } | null> },
  dirs: TargetDirs,
  source: string,
  importer: string,
): Promise<null> {
  const root = path.dirname(dirs.exercises)
  const who = path.relative(root, importer)
  const bare = !source.startsWith('.') && !path.isAbsolute(source) && !source.startsWith('file:')
  const refuseTool = (): never => refuseTestTool(who, source)
  if (bare && GRADER_PACKAGES.test(source)) refuseTool()
  if (bare) return null
  const resolved = await ctx.resolve(source, importer, { skipSelf: true })
  let file = resolved?.id.split('?')[0] ?? path.resolve(path.dirname(importer), source)
  try {
    file = realpathSync(file)
  } catch {
    // not a file on disk (a virtual module): judged by its name
  }
  // The same tools reached by a path (../../node_modules/vitest/dist/index.js).
  const packageName = /[\\/]node_modules[\\/]((?:@[^\\/]+[\\/])?[^\\/]+)/.exec(file)?.[1]?.replace('\\', '/')
  if (packageName && GRADER_PACKAGES.test(packageName)) refuseTool()
  const walls = [
    [dirs.solutions, 'solutions/'],
    [dirs.content, 'content/'],
    ...(dirs.harness ? [[dirs.harness, 'harness/'] as const] : []),
  ] as const
  for (const [dir, name] of walls) {
    if (isInside(dir, file) || isInside(realpathOr(dir), file)) {
      throw new Error(
        `${who} imports "${source}" from ${name}: graded code may not import from solutions/, content/ or harness/. ` +
          `Write the code in ${path.relative(root, path.dirname(importer))}/ yourself (\`npm run hint\` helps when you are stuck).`,
      )
    }
  }
  return null
}

function realpathOr(dir: string): string {
  try {
    return realpathSync(dir)
  } catch {
    return dir
  }
}

function mutantFile(dirs: TargetDirs, slug: string, name: string, file: string): string {
  // Authors may also name any file (`mutant:/tmp/alternative.ts`) to try it in place of app.ts.
  if (name.endsWith('.ts')) {
    if (file !== 'app.ts') return path.join(dirs.solutions, slug, file)
    if (!existsSync(path.resolve(name))) throw new Error(`there is no file ${path.resolve(name)} to grade`)
    return path.resolve(name)
  }
  const base = path.join(dirs.content, slug, 'mutants', name)
  if (existsSync(base) && statSync(base).isDirectory()) {
    const replacement = path.join(base, file)
    return existsSync(replacement) ? replacement : path.join(dirs.solutions, slug, file)
  }
  if (existsSync(`${base}.patch`)) return `${path.join(dirs.solutions, slug, file)}?${MUTANT_KEY}=${encodeURIComponent(name)}`
  if (file !== 'app.ts') return path.join(dirs.solutions, slug, file)
  if (!existsSync(`${base}.ts`)) throw new Error(`there is no mutant ${name} (no ${base}.patch or .ts)`)
  return `${base}.ts`
}
