// Seeded random data for specs. The grade picks one seed (or takes `--seed N`); each test
// derives its own stream from that seed and its name, so a replay reproduces every test's
// data whatever order the tests run in.
import { inject } from 'vitest'
import { currentMeta, currentSeedOverride, currentTestName, nextRandomCall } from './state.ts'

export interface Rng {
  /** A float in [0, 1). */
  next(): number
  /** An integer in [min, max], both ends included. */
  int(min: number, max: number): number
  /** One element of a non-empty array. */
  pick<T>(items: readonly T[]): T
  /** A shuffled copy. */
  shuffle<T>(items: readonly T[]): T[]
  /** A lower-case word of the given length range, e.g. for names and keys. */
  word(minLength?: number, maxLength?: number): string
}

/**
 * A random stream for the running test, recorded so that the failure report can print the seed.
 * Each call in a test returns a new stream (the n-th call always the same one for a given seed),
 * so two calls never hand two "different" apps the same data.
 */
export function random(salt = ''): Rng {
  const seed = currentSeedOverride() ?? inject('courseSeed') ?? 1
  const meta = currentMeta()
  meta.seed = seed
  const call = nextRandomCall()
  return mulberry32(hash(`${seed}:${currentTestName()}:${salt}:${call}`))
}

function hash(text: string): number {
  let h = 2166136261
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i)
    h = Math.imul(h, 16777619)
  }
  return h >>> 0
}

function mulberry32(state: number): Rng {
  const next = () => {
    state = (state + 0x6d2b79f5) | 0
    let t = state
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
  const int = (min: number, max: number) => min + Math.floor(next() * (max - min + 1))
  return {
    next,
    int,
    pick: (items) => items[int(0, items.length - 1)]!,
    shuffle: (items) => {
      const copy = [...items]
      for (let i = copy.length - 1; i > 0; i--) {
        const j = int(0, i)
        ;[copy[i], copy[j]] = [copy[j]!, copy[i]!]
      }
      return copy
    },
    word: (minLength = 4, maxLength = 9) => {
      const letters = 'abcdefghijklmnopqrstuvwxyz'
      let w = ''
      for (let i = int(minLength, maxLength); i > 0; i--) w += letters[int(0, 25)]
      return w
    },
  }
}
