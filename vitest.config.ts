// For course authors: run hidden specs with plain vitest while writing them.
//   COURSE_TARGET=solution npx vitest run content/<slug>
//   COURSE_TARGET=mutant:<name> npx vitest run content/<slug>     (content/<slug>/mutants/<name>.ts)
// Learners use `npm run exercise`; the harness builds an equivalent configuration in memory.
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { defineConfig } from 'vitest/config'
import { parseTarget, targetPlugin } from './harness/runner/target-plugin.ts'

const root = path.dirname(fileURLToPath(import.meta.url))

export default defineConfig({
  plugins: [
    targetPlugin(
      {
        exercises: path.join(root, 'exercises'),
        solutions: path.join(root, 'solutions'),
        content: path.join(root, 'content'),
      },
      parseTarget(process.env.COURSE_TARGET ?? 'attempt'),
    ),
  ],
  test: {
    include: ['content/**/*.test.ts'],
    setupFiles: ['harness/spec-kit/setup.ts'],
    provide: { courseSeed: Number(process.env.COURSE_SEED ?? 1) },
    testTimeout: 3000,
  },
})
