// `npm run bench [slug]`: the harness's speed figures, printed (never asserted).
//   1. cold `npm run exercise <slug>`: median wall time of 10 runs, and its ratio to a bare
//      `node node_modules/vitest/vitest.mjs run <spec>` measured in the same run;
//   2. watch mode: from saving the file to the verdict printed, median of 10 saves 1 s apart
//      (BENCH_GAP=ms to change; a save sooner than the spare worker boots waits for it);
//   3. `npm run verify` over the whole course: seconds per exercise, all runs included.
import { execFileSync, spawn } from 'node:child_process'
import { readFileSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { loadCatalog } from '../catalog/catalog.ts'
import { coursePaths, resolveCourseRoot } from '../paths.ts'

const RUNS = Number(process.env.BENCH_RUNS ?? 10)
const paths = coursePaths(resolveCourseRoot())
// `npm run bench -- [slug] [--only cold|watch|verify]`
const only = process.argv.includes('--only') ? process.argv[process.argv.indexOf('--only') + 1] : undefined
const slug = process.argv.slice(2).find((a, i, all) => !a.startsWith('--') && all[i - 1] !== '--only') ?? 'hello-hono'
const env = { ...process.env, NO_COLOR: '1', CI: '' }

function time(command: string, args: string[]): number {
  const started = process.hrtime.bigint()
  try {
    execFileSync(command, args, { cwd: paths.root, env, stdio: 'ignore' })
  } catch {
    // a failing grade exits 1: it is the time that counts here
  }
  return Number(process.hrtime.bigint() - started) / 1e6
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b)
  const mid = Math.floor(sorted.length / 2)
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2
}

const fmt = (ms: number) => `${Math.round(ms)} ms`

function coldGrade(): void {
  const harness: number[] = []
  const bare: number[] = []
  const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm'
  const spec = path.relative(paths.root, paths.spec(slug))
  time(npm, ['run', '--silent', 'exercise', slug]) // warm the disk cache once
  for (let i = 0; i < RUNS; i++) {
    // Interleaved, so that background load affects both alike.
    harness.push(time(npm, ['run', '--silent', 'exercise', slug]))
    bare.push(time(process.execPath, ['node_modules/vitest/vitest.mjs', 'run', spec]))
  }
  const ratio = median(harness) / median(bare)
  console.log(`cold grade     npm run exercise ${slug}: median ${fmt(median(harness))} (min ${fmt(Math.min(...harness))})`)
  console.log(`               bare vitest run ${spec}: median ${fmt(median(bare))} (min ${fmt(Math.min(...bare))})`)
  console.log(`               ratio ${ratio.toFixed(2)} (target <= 1.1)`)
}

async function watchRegrade(): Promise<void> {
  const file = paths.exerciseFile(slug)
  const original = readFileSync(file, 'utf8')
  const child = spawn(process.execPath, [path.join(paths.root, 'dist', 'harness', 'cli.js'), 'watch', slug], { cwd: paths.root, env })
  let out = ''
  child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()))
  const verdicts = () => (out.match(/^[✓✗] \S+: /gm) ?? []).length
  const waitForVerdict = async (count: number) => {
    const started = Date.now()
    while (verdicts() < count) {
      if (Date.now() - started > 30_000) throw new Error(`no verdict from watch mode; output:\n${out}`)
      await new Promise((r) => setTimeout(r, 2))
    }
  }
  const samples: number[] = []
  try {
    await waitForVerdict(1)
    for (let i = 0; i < RUNS; i++) {
      await new Promise((r) => setTimeout(r, Number(process.env.BENCH_GAP ?? 1000)))
      const started = performance.now()
      writeFileSync(file, `${original}\n// bench save ${i}\n`)
      await waitForVerdict(i + 2)
      samples.push(performance.now() - started)
    }
  } finally {
    writeFileSync(file, original)
    child.kill('SIGINT')
  }
  console.log(`watch re-grade save -> verdict printed: median ${fmt(median(samples))} (min ${fmt(Math.min(...samples))}, max ${fmt(Math.max(...samples))}) (target <= 300 ms)`)
}

function verify(): void {
  const n = loadCatalog(paths.catalog).exercises.length
  const runs = [0, 1, 2].map(() => time(process.execPath, ['dist/harness/cli.js', 'verify']))
  const perExercise = median(runs) / 1000 / n
  console.log(`verify         ${n} exercises: median ${(median(runs) / 1000).toFixed(1)} s, ${perExercise.toFixed(2)} s per exercise (target <= 0.6 s)`)
}

const cpus = os.cpus()
console.log(`machine        ${cpus.length} x ${cpus[0]?.model ?? 'unknown CPU'}, ${Math.round(os.totalmem() / 2 ** 30)} GiB, ${os.platform()} ${os.release()}, Node ${process.version}`)
if (!only || only === 'cold') coldGrade()
if (!only || only === 'watch') await watchRegrade()
if (!only || only === 'verify') verify()
