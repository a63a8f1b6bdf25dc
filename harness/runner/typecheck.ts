// The type check a team's CI would run: `tsc --noEmit` over the learner's files, with the
// course's compiler options. TypeScript 7's native compiler is fast enough to run on every
// save, in parallel with the specs.
import { execFile } from 'node:child_process'
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import os from 'node:os'
import path from 'node:path'
import type { TypeDiagnostic, TypecheckResult } from './results.ts'

/** Type-checks `files` (absolute paths) with the options of `<root>/tsconfig.json`. */
export async function typecheck(root: string, files: string[], signal?: AbortSignal): Promise<TypecheckResult> {
  if (files.length === 0) return { status: 'skipped', errors: [], note: 'no TypeScript files' }
  const compiler = findCompiler(root)
  if (!compiler) {
    return { status: 'skipped', errors: [], note: 'TypeScript is not installed: run `npm install`' }
  }
  const dir = mkdtempSync(path.join(os.tmpdir(), 'course-tsc-'))
  const config = path.join(dir, 'tsconfig.json')
  writeFileSync(
    config,
    JSON.stringify({
      extends: path.join(root, 'tsconfig.json'),
      compilerOptions: { typeRoots: [path.join(root, 'node_modules', '@types')] },
      files,
      include: [],
    }),
  )
  try {
    const { code, stdout } = await run(compiler, ['--noEmit', '--pretty', 'false', '-p', config], root, signal)
    const errors = parseDiagnostics(stdout, root)
    if (code === 0) return { status: 'pass', errors: [] }
    if (errors.length === 0) {
      return { status: 'skipped', errors: [], note: `tsc exited with ${code}: ${stdout.trim().slice(0, 300)}` }
    }
    return { status: 'fail', errors }
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

/** Parses `file(line,col): error TS1234: message` lines, continuation lines folded in. */
export function parseDiagnostics(output: string, root: string): TypeDiagnostic[] {
  const diagnostics: TypeDiagnostic[] = []
  for (const line of output.split(/\r?\n/)) {
    const m = /^(.+?)\((\d+),(\d+)\): error (TS\d+): (.*)$/.exec(line)
    if (m) {
      diagnostics.push({
        file: path.relative(root, path.resolve(root, m[1]!)),
        line: Number(m[2]),
        column: Number(m[3]),
        code: m[4]!,
        message: m[5]!,
      })
    } else if (/^\s+\S/.test(line) && diagnostics.length) {
      diagnostics[diagnostics.length - 1]!.message += `\n${line.trimEnd()}`
    }
  }
  return diagnostics
}

interface Compiler {
  command: string
  prefix: string[]
}

// The platform package holds the native binary; calling it directly saves a Node start-up.
function findCompiler(root: string): Compiler | undefined {
  const require = createRequire(path.join(root, 'package.json'))
  try {
    const pkg = require.resolve(`@typescript/typescript-${process.platform}-${process.arch}/package.json`)
    const exe = path.join(path.dirname(pkg), 'lib', process.platform === 'win32' ? 'tsc.exe' : 'tsc')
    if (existsSync(exe)) return { command: exe, prefix: [] }
  } catch {
    // fall through to the JavaScript launcher
  }
  const launcher = path.join(root, 'node_modules', 'typescript', 'bin', 'tsc')
  return existsSync(launcher) ? { command: process.execPath, prefix: [launcher] } : undefined
}

function run(compiler: Compiler, args: string[], cwd: string, signal?: AbortSignal) {
  return new Promise<{ code: number; stdout: string }>((resolve) => {
    execFile(
      compiler.command,
      [...compiler.prefix, ...args],
      { cwd, signal, maxBuffer: 16 * 1024 * 1024, timeout: 60_000 },
      (error, stdout) => {
        const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0
        resolve({ code, stdout: String(stdout) })
      },
    )
  })
}
