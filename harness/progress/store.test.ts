import { execFile } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { ProgressStore, PROGRESS_VERSION, mutableStateOf } from './store.ts'

const tempFile = () => path.join(mkdtempSync(path.join(os.tmpdir(), 'progress-')), '.course', 'progress.json')

describe('ProgressStore', () => {
  it('starts empty and saves versioned JSON', async () => {
    const file = tempFile()
    const store = new ProgressStore(file)
    expect(store.load().progress).toEqual({ version: PROGRESS_VERSION, exercises: {} })
    await store.update((p) => {
      mutableStateOf(p, 'hello').hintsRevealed = 2
    })
    expect(JSON.parse(readFileSync(file, 'utf8'))).toEqual({
      version: PROGRESS_VERSION,
      exercises: { hello: { attempts: 0, hintsRevealed: 2 } },
    })
  })

  it('leaves no temporary file behind', async () => {
    const file = tempFile()
    await new ProgressStore(file).update(() => {})
    expect(readdirSync(path.dirname(file)).filter((f) => f.endsWith('.tmp'))).toEqual([])
  })

  it('moves an unreadable file aside and reports why', () => {
    const file = tempFile()
    mkdirSync(path.dirname(file), { recursive: true })
    writeFileSync(file, '{"version": 1, "exercises": {"a": {"attempts": -3}}}')
    const loaded = new ProgressStore(file).load()
    expect(loaded.progress.exercises).toEqual({})
    expect(loaded.recovered?.reason).toMatch(/not valid progress \(exercises\.a\.attempts/)
    expect(existsSync(file)).toBe(false)
    expect(readFileSync(loaded.recovered!.backup, 'utf8')).toContain('-3')
  })

  it('loses no update when several processes update at once', async () => {
    const file = tempFile()
    const worker = path.join(path.dirname(fileURLToPath(import.meta.url)), 'store.fixture-worker.ts')
    const tsx = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'node_modules', 'tsx', 'dist', 'cli.mjs')
    const run = (slug: string) =>
      new Promise<void>((resolve, reject) =>
        execFile(process.execPath, [tsx, worker, file, slug, '15'], (error) => (error ? reject(error) : resolve())),
      )
    await Promise.all([run('a'), run('b'), run('a')])
    const saved = JSON.parse(readFileSync(file, 'utf8'))
    expect(saved.exercises.a.attempts).toBe(30)
    expect(saved.exercises.b.attempts).toBe(15)
  })
})

