// Test helpers for the end-to-end tests: a throwaway copy of the fixture course, and a way to
// run the built CLI against it.
import { execFile, spawn, type ChildProcess } from 'node:child_process'
import { cpSync, mkdtempSync, readdirSync, readFileSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..')
const cli = path.join(repoRoot, 'dist', 'harness', 'cli.js')

/** A fresh copy of harness/e2e/fixture-course; `harness` and `node_modules` link to the repo's. */
export function makeCourse(): { root: string; cleanup: () => void } {
  const root = realpathSync(mkdtempSync(path.join(os.tmpdir(), 'course-e2e-')))
  cpSync(path.join(repoRoot, 'harness', 'e2e', 'fixture-course'), root, { recursive: true })
  symlinkSync(path.join(repoRoot, 'harness'), path.join(root, 'harness'))
  symlinkSync(path.join(repoRoot, 'node_modules'), path.join(root, 'node_modules'))
  writeFileSync(path.join(root, 'package.json'), '{ "type": "module", "private": true }\n')
  return { root, cleanup: () => rmSync(root, { recursive: true, force: true }) }
}

export interface CliRun {
  code: number
  stdout: string
  stderr: string
  ms: number
}

/** Runs `node dist/harness/cli.js ...args` on the course at `root`. */
export function runCli(root: string, args: string[], env: NodeJS.ProcessEnv = {}): Promise<CliRun> {
  const started = Date.now()
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [cli, ...args],
      { env: cliEnv(root, env), timeout: 90_000, maxBuffer: 32 * 1024 * 1024 },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0
        resolve({ code, stdout: String(stdout), stderr: String(stderr), ms: Date.now() - started })
      },
    )
  })
}

/** Starts the CLI without waiting for it (watch mode). */
export function spawnCli(root: string, args: string[]): ChildProcess {
  return spawn(process.execPath, [cli, ...args], { env: cliEnv(root, {}), stdio: ['ignore', 'pipe', 'pipe'] })
}

function cliEnv(root: string, env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const base = { ...process.env }
  // The outer vitest's variables must not leak into the graded run.
  for (const key of Object.keys(base)) if (key.startsWith('VITEST') || key === 'COURSE_PROGRESS_LOG') delete base[key]
  return { ...base, COURSE_ROOT: root, NO_COLOR: '1', CI: '', FORCE_COLOR: '', ...env }
}

/** True when a process with this pid exists. */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch {
    return false
  }
}

/** Pids of live processes started for the course at `root` (Linux: read from /proc). */
export function processesOf(root: string): number[] {
  const pids: number[] = []
  let entries: string[] = []
  try {
    entries = readdirSync('/proc').filter((e) => /^\d+$/.test(e))
  } catch {
    return pids
  }
  for (const entry of entries) {
    try {
      const environ = readFileSync(`/proc/${entry}/environ`, 'utf8')
      if (environ.split('\0').includes(`COURSE_ROOT=${root}`)) pids.push(Number(entry))
    } catch {
      // gone, or not ours to read
    }
  }
  return pids.filter((pid) => pid !== process.pid)
}

/**
 * Resolves when `condition` holds, checking every few milliseconds: for events that only show
 * in the file system or the process table. The deadline turns a hang into a clear failure.
 */
export function until(what: string, condition: () => boolean, deadlineMs = 45_000): Promise<void> {
  return new Promise((resolve, reject) => {
    const started = Date.now()
    const timer = setInterval(() => {
      if (condition()) {
        clearInterval(timer)
        resolve()
      } else if (Date.now() - started > deadlineMs) {
        clearInterval(timer)
        reject(new Error(`gave up waiting for ${what}`))
      }
    }, 20)
  })
}

/** The temporary folders of the harness process `pid` (see harness/runner/run-dir.ts). */
export function runDirsOf(pid: number): string[] {
  return readdirSync(os.tmpdir())
    .filter((e) => e.startsWith(`course-run-${pid}-`))
    .map((e) => path.join(os.tmpdir(), e))
}

/** True when a check has started in one of the harness process's grading workers. */
export function checkStarted(pid: number): boolean {
  return runDirsOf(pid).some((dir) => {
    try {
      return readFileSync(path.join(dir, 'scratch', 'progress.jsonl'), 'utf8').includes('"kind":"start"')
    } catch {
      return false
    }
  })
}
