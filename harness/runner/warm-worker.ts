// The entry point of every grading worker (see worker-process.ts). It hands over to vitest's own
// fork entry first, so vitest's messages are listened for from the start (a worker forked early
// may be asked to start at once), then loads the packages every spec imports (supertest, Hono
// and its Node adapter) in the background. Vitest imports such dependencies natively, so they
// come out of Node's module cache when the spec asks for them.
const entry = process.env.COURSE_VITEST_FORKS_ENTRY
// A worker whose harness is gone has nobody to report to: it must not linger.
process.once('disconnect', () => process.exit(1))
if (entry) await import(entry)
const preload = ['supertest', 'hono', '@hono/node-server']
await Promise.all(preload.map((name) => import(name).catch(() => undefined)))
