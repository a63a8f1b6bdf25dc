// The entry point of a spare worker (see warm-forks.ts). Before handing over to vitest's own
// fork entry, it loads the packages every spec imports (supertest, Hono and its Node adapter).
// Vitest imports such dependencies natively, so they come out of Node's module cache when the
// spec asks: about 0.15 s the learner no longer waits for after a save.
const entry = process.env.COURSE_VITEST_FORKS_ENTRY
const preload = ['supertest', 'hono', '@hono/node-server']
await Promise.all(preload.map((name) => import(name).catch(() => undefined)))
if (entry) await import(entry)
