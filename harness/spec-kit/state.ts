// Per-test state shared by the setup file, the request client and the matchers.
// Everything here lands in `task.meta`, which vitest hands back to the runner and which the
// harness's progress record copies synchronously, so it must stay plain JSON.
import type { TestContext } from 'vitest'

type Test = TestContext['task']

declare module 'vitest' {
  /** Values the runner hands to every spec (see `project.provide`). */
  export interface ProvidedContext {
    /** The grade's seed for random data. */
    courseSeed: number
  }
}

/** One HTTP request a spec sent and what came back (null when nothing came back). */
export interface Exchange {
  id: number
  request: {
    method: string
    path: string
    headers: Record<string, string>
    body?: string
  }
  response: {
    status: number
    headers: Record<string, string>
    body: string
  } | null
  /** Why there is no response: a timeout, a refused connection... */
  error?: string
}

/** What a check sent and received over a WebSocket, or read from an event stream. */
export interface StreamLog {
  kind: 'websocket' | 'event-stream'
  /** What was opened, e.g. "GET /events" or "WebSocket /chat". */
  target: string
  /** One line per frame, event or state change, oldest first: "→ ...", "← ...", "· ...". */
  lines: string[]
  /** Lines not kept once the log was full. */
  dropped?: number
}

/** What the kit records on each test for the failure report. */
export interface CheckMeta {
  exchanges?: Exchange[]
  /** The exchange a failing matcher pointed at; the report falls back to the last one. */
  focus?: number
  /** The grade's seed, set when the test drew random data, so the report can offer a replay. */
  seed?: number
  /** How each app the check built was configured (see app-options.ts), in build order. */
  apps?: string[]
  /** WebSockets and event streams the check opened, in opening order. */
  streams?: StreamLog[]
  /** Bytes of console output the worker did not send (see console-cap.ts). */
  consoleDropped?: number
}

let current: Test | undefined
let randomCalls = 0

/** Called by the setup file before every test. */
export function setCurrentTest(test: Test | undefined): void {
  current = test
  randomCalls = 0
}

/** 0 for the test's first call of random(), then 1, 2... */
export function nextRandomCall(): number {
  return randomCalls++
}

/** The meta object of the running test (a throwaway one outside a test, e.g. in beforeAll). */
export function currentMeta(): CheckMeta {
  if (!current) return {}
  return current.meta as CheckMeta
}

/** The full name of the running test ('' outside a test). */
export function currentTestName(): string {
  return current?.fullTestName ?? ''
}

/** A seed carried by the spec's module id (`?course-seed=N`), which wins over the run's seed. */
export function currentSeedOverride(): number | undefined {
  const file = current?.file.filepath ?? ''
  const m = /[?&]course-seed=(\d+)/.exec(file)
  return m ? Number(m[1]) : undefined
}

