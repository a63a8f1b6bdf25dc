// Copies of attempts taken before `reset` overwrites them. An attempt is never destroyed:
// it is copied here first, and the copy's path is printed.
import { cpSync, existsSync } from 'node:fs'
import path from 'node:path'
import { timestamp } from './store.ts'

/** Copies the folder `from` to `<backupsDir>/<slug>/<timestamp>/` and returns that path. */
export function backupAttempt(backupsDir: string, slug: string, from: string): string | undefined {
  if (!existsSync(from)) return undefined
  let dest = path.join(backupsDir, slug, timestamp())
  for (let n = 2; existsSync(dest); n++) dest = path.join(backupsDir, slug, `${timestamp()}-${n}`)
  cpSync(from, dest, { recursive: true })
  return dest
}
