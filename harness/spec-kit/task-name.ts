// How a task's describe block is named. Apart from task.ts so the runner can read task names
// back without loading vitest's test API.

/** The describe-block name of task `id`: "Task 2: Create a user". */
export function taskBlockName(id: number, title: string): string {
  return `Task ${id}: ${title}`
}

/** Parses a describe-block name made by taskBlockName, or undefined for any other name. */
export function parseTaskBlockName(name: string): { id: number; title: string } | undefined {
  const m = /^Task (\d+): (.+)$/.exec(name)
  return m ? { id: Number(m[1]), title: m[2]! } : undefined
}
