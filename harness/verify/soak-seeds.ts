// The seeds the self-check grades each reference solution with. A spec draws its data from the
// seed, so a spec that is wrong for a few seeds (an edge its random ranges can reach) only shows
// up over many of them: `npm run verify -- --seeds 300` is the soak. Without --seed, CI derives
// the seeds from the commit (so each commit covers new ones, and a rerun of the same commit
// replays them) and a developer's run draws fresh ones.
import { execFileSync } from 'node:child_process'
import { createHash } from 'node:crypto'

export const DEFAULT_SEED_COUNT = 2
/** Seeds are whole numbers in [1, MAX_SEED]: what `--seed` accepts. */
export const MAX_SEED = 999_999_999

export interface SeedPlan {
  seeds: number[]
  /** Where the seeds came from, for the report ("from commit 1a2b3c4", "from --seed 12"...). */
  origin: string
}

/** `count` seeds starting at `first` (each one gives unrelated data: the kit hashes it per check). */
export function seedRun(first: number, count: number): number[] {
  return Array.from({ length: count }, (_, i) => ((first - 1 + i) % MAX_SEED) + 1)
}

/** The seeds for a run: from --seed, else from the commit under CI, else random. */
export function planSeeds(options: { count?: number; first?: number; ci: boolean; root: string }): SeedPlan {
  const count = options.count ?? DEFAULT_SEED_COUNT
  if (options.first !== undefined) return { seeds: seedRun(options.first, count), origin: `from --seed ${options.first}` }
  const commit = options.ci ? headCommit(options.root) : undefined
  if (commit) return { seeds: seedRun(seedFromText(commit), count), origin: `from commit ${commit.slice(0, 10)}` }
  return { seeds: seedRun(1 + Math.floor(Math.random() * MAX_SEED), count), origin: 'random' }
}

/** A seed in [1, MAX_SEED] derived from any text (a commit id). */
export function seedFromText(text: string): number {
  return (createHash('sha256').update(text).digest().readUInt32BE(0) % MAX_SEED) + 1
}

function headCommit(root: string): string | undefined {
  try {
    const out = execFileSync('git', ['rev-parse', 'HEAD'], { cwd: root, stdio: ['ignore', 'pipe', 'ignore'], timeout: 5000 })
    const id = out.toString().trim()
    return /^[0-9a-f]{40,64}$/.test(id) ? id : undefined
  } catch {
    return undefined // not a git checkout, or no git: fall back to random seeds
  }
}
