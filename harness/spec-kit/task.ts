// Specs group their checks into numbered tasks, one behaviour each: `task(2, 'Create a user',
// () => { it(...) })`. A task is a describe block named "Task 2: Create a user", so the task is
// part of every check's name: the runner reads it back from vitest's own results (it is never
// told separately), and plain vitest output shows the same grouping.
import { describe } from 'vitest'
import { taskBlockName } from './task-name.ts'

/** Declares task `id` of the exercise; its checks are the `it`s inside `body`. */
export function task(id: number, title: string, body: () => void): void {
  if (!Number.isInteger(id) || id < 1) throw new Error(`task ids are 1, 2, 3...: got ${id}`)
  describe(taskBlockName(id, title), body)
}
