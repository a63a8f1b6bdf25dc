import { appendFileSync, mkdtempSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { ProgressLogReader, ProgressTracker } from './progress-log.ts'

function log(): string {
  const file = path.join(mkdtempSync(path.join(os.tmpdir(), 'log-')), 'progress.jsonl')
  writeFileSync(file, '')
  return file
}

const start = (id: string, at = 1) => ({ kind: 'start', file: 'm', pid: 7, id, name: `t ${id}`, at })
const end = (id: string, at = 2) => ({ kind: 'end', file: 'm', pid: 7, id, name: `t ${id}`, at })

describe('ProgressLogReader', () => {
  it('returns only what was appended since the last read, holding back a partial line', () => {
    const file = log()
    const reader = new ProgressLogReader(file)
    appendFileSync(file, `${JSON.stringify(start('a'))}\n{"kind":"end","fi`)
    expect(reader.read().map((r) => r.kind)).toEqual(['start'])
    appendFileSync(file, `le":"m","pid":7,"id":"a","name":"t a","at":2}\n`)
    expect(reader.read()).toEqual([end('a')])
    expect(reader.read()).toEqual([])
  })

  it('skips a torn line left by a killed worker', () => {
    const file = log()
    appendFileSync(file, `{"kind":"sta\n${JSON.stringify(start('b'))}\n`)
    expect(new ProgressLogReader(file).read()).toEqual([start('b')])
  })
})

describe('ProgressTracker', () => {
  it('knows which check is still running and what the worker did last', () => {
    const tracker = new ProgressTracker()
    tracker.apply([{ kind: 'worker', pid: 7, file: 'm', at: 0 }, start('a'), end('a'), start('b', 3)] as never)
    const m = tracker.module('m')
    expect([...m.ended.keys()]).toEqual(['a'])
    expect([...m.running.keys()]).toEqual(['b'])
    expect(tracker.workers.get(7)).toMatchObject({ last: 'start', at: 3 })
  })
})
