import { describe, expect, it } from 'vitest'
import { EventStreamParser } from './event-stream.ts'

const parse = (...chunks: string[]) => {
  const parser = new EventStreamParser()
  return chunks.map((c) => parser.push(c))
}
const events = (...chunks: string[]) => parse(...chunks).flatMap((p) => p.events)

describe('EventStreamParser', () => {
  it('joins data lines, defaults the type and keeps the last id', () => {
    expect(events('id: 7\nevent: note\ndata: a\ndata:  b\n\ndata: c\n\n')).toEqual([
      { type: 'note', data: 'a\n b', lastEventId: '7', hasId: true },
      { type: 'message', data: 'c', lastEventId: '7', hasId: false },
    ])
  })

  it('accepts CRLF, LF and CR line endings, also split across chunks', () => {
    expect(events('data: 1\r\n\r\ndata: 2\r\r', 'data: 3\r', '\n\r\n')).toEqual([
      expect.objectContaining({ data: '1' }),
      expect.objectContaining({ data: '2' }),
      expect.objectContaining({ data: '3' }),
    ])
  })

  it('reads comments, drops a BOM, ignores unknown fields, bad retries and ids with NUL', () => {
    const [chunk] = parse('\uFEFF: ping\nretry: 15x\nfoo: bar\nid: a\0b\ndata\n\n')
    expect(chunk!.comments).toEqual(['ping'])
    expect(chunk!.retry).toBeUndefined()
    expect(chunk!.events).toEqual([{ type: 'message', data: '', lastEventId: '', hasId: false }])
    expect(parse('retry: 2500\n')[0]!.retry).toBe(2500)
  })

  it('does not dispatch an event without data, nor one the stream cut off', () => {
    expect(events('event: x\n\nid: 3\n\ndata: cut')).toEqual([])
  })

  it('parses a field with no space after the colon and a value that holds colons', () => {
    expect(events('data:a: b\n\n')[0]!.data).toBe('a: b')
  })
})
