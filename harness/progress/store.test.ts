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

  it('keeps the valid entries of a damaged file, reports the rest, and changes nothing on a read', () => {
    const file = tempFile()
    mkdirSync(path.dirname(file), { recursive: true })
    const original = '{"version": 1, "exercises": {"a": {"attempts": -3}, "b": {"attempts": 2, "passedAt": "x"}}}'
    writeFileSync(file, original)
    const loaded = new ProgressStore(file).load()
    expect(loaded.progress.exercises).toEqual({ b: { attempts: 2, passedAt: 'x', hintsRevealed: 0 } })
    expect(loaded.damage).toMatchObject({ lost: ['a'], reason: expect.stringContaining('entries for a') })
    expect(readFileSync(file, 'utf8')).toBe(original)
    expect(readdirSync(path.dirname(file))).toEqual(['progress.json'])
  })

  it('copies a damaged file aside before a change saves what could be read', async () => {
    const file = tempFile()
    mkdirSync(path.dirname(file), { recursive: true })
    const original = '{"version": 1, "exercises": {"a": "nonsense", "b": {"attempts": 2}}}'
    writeFileSync(file, original)
    const loaded = await new ProgressStore(file).update((p) => (p.exercises.b!.attempts = 3))
    expect(readFileSync(loaded.copy!, 'utf8')).toBe(original)
    expect(JSON.parse(readFileSync(file, 'utf8')).exercises).toEqual({ b: { attempts: 3, hintsRevealed: 0 } })
  })

  it('keeps fields it does not know through a save', async () => {
    const file = tempFile()
    mkdirSync(path.dirname(file), { recursive: true })
    writeFileSync(file, JSON.stringify({ version: 1, theme: 'dark', exercises: { a: { attempts: 1, hintsRevealed: 0, stars: 5 } } }))
    await new ProgressStore(file).update((p) => (p.exercises.a!.attempts = 2))
    expect(JSON.parse(readFileSync(file, 'utf8'))).toEqual({ version: 1, theme: 'dark', exercises: { a: { attempts: 2, hintsRevealed: 0, stars: 5 } } })
  })

  it('reads a file from a newer harness but never writes it', async () => {
    const file = tempFile()
    mkdirSync(path.dirname(file), { recursive: true })
    const original = JSON.stringify({ version: 2, exercises: { a: { attempts: 1, passedAt: 'x' } } })
    writeFileSync(file, original)
    const store = new ProgressStore(file)
    expect(store.load()).toMatchObject({ newer: 2, progress: { exercises: { a: { passedAt: 'x' } } } })
    await expect(store.update(() => {})).rejects.toMatchObject({ code: 'PROGRESS_NEWER' })
    expect(readFileSync(file, 'utf8')).toBe(original)
    expect(readdirSync(path.dirname(file))).toEqual(['progress.json'])
  })

  it('says the progress was not saved when the folder is not writable', async () => {
    const dir = path.dirname(tempFile())
    writeFileSync(dir, 'a file where the folder should be')
    await expect(new ProgressStore(path.join(dir, 'progress.json')).update(() => {})).rejects.toMatchObject({
      code: 'PROGRESS_NOT_SAVED',
      message: expect.stringContaining('is not a folder'),
    })
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

