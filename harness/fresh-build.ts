// The CLI runs from dist/, compiled when `npm install` runs. After a `git pull` that changes the
// harness, dist/ would be stale and the learner would run old code without knowing; so the CLI
// compares modification times and, when a source is newer, rebuilds (TypeScript 7 takes well
// under a second) and runs itself again.
import { spawnSync } from 'node:child_process'
import { existsSync, readdirSync, statSync } from 'node:fs'
import path from 'node:path'

/** The newest modification time among the harness's compiled sources. */
function newestSource(harnessDir: string): number {
  let newest = 0
  for (const entry of readdirSync(harnessDir, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile() || !entry.name.endsWith('.ts') || entry.name.endsWith('.test.ts')) continue
    const file = path.join(entry.parentPath, entry.name)
    if (file.includes(`${path.sep}e2e${path.sep}`) || file.includes(`${path.sep}spec-kit${path.sep}`)) continue
    newest = Math.max(newest, statSync(file).mtimeMs)
  }
  return newest
}

/**
 * True when dist/ is older than the sources and was rebuilt and re-run (the caller should exit
 * with `process.exitCode`); false when dist/ is current.
 */
export function rebuildIfStale(repoRoot: string, builtCli: string): boolean {
  const harnessDir = path.join(repoRoot, 'harness')
  if (process.env.COURSE_NO_REBUILD || !existsSync(harnessDir)) return false
  if (newestSource(harnessDir) <= statSync(builtCli).mtimeMs) return false
  process.stderr.write('The harness changed since it was built; rebuilding it first…\n')
  const tsc = path.join(repoRoot, 'node_modules', 'typescript', 'bin', 'tsc')
  const build = spawnSync(process.execPath, [tsc, '-p', path.join(repoRoot, 'tsconfig.build.json')], { stdio: 'inherit' })
  if (build.status !== 0) {
    process.stderr.write('Rebuilding the harness failed (see above). Run `npm install` to set it up again.\n')
    process.exitCode = 1
    return true
  }
  const rerun = spawnSync(process.execPath, [builtCli, ...process.argv.slice(2)], {
    stdio: 'inherit',
    env: { ...process.env, COURSE_NO_REBUILD: '1' },
  })
  process.exitCode = rerun.status ?? 1
  return true
}
