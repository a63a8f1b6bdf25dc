// The harness's own tests: unit tests beside the code and end-to-end tests in e2e/ that drive
// the built CLI (dist/) against a copy of the fixture course.
import { defineConfig } from 'vitest/config'

export default defineConfig({
  test: {
    include: ['harness/**/*.test.ts'],
    exclude: ['harness/e2e/fixture-course/**', 'node_modules/**'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // The end-to-end tests start vitest themselves; two at a time is what two cores can take.
    maxWorkers: 2,
  },
})
