// Reading `text/event-stream` responses the way a browser's EventSource does (WHATWG HTML,
// "Server-sent events", the event stream interpretation): lines end in CRLF, LF or CR; a
// leading BOM is dropped; `:` starts a comment (heartbeats); `data` lines of one event join with
// "\n"; `id` persists as the last event id (and is ignored if it holds NUL); `retry` counts only
// when it is all digits; a blank line dispatches; an event with no data is not dispatched; an
// event cut off by the end of the stream is dropped.

/** One dispatched event. */
export interface SseEvent {
  /** The `event` field, or "message" when there was none. */
  type: string
  data: string
  /** The last event id in force when the event was dispatched ("" when none was ever set). */
  lastEventId: string
  /** True when this event's own lines set `id` (an event can also inherit an earlier id). */
  hasId: boolean
}

export interface ParsedChunk {
  events: SseEvent[]
  /** Comment lines seen in this chunk, without the colon (heartbeats are usually comments). */
  comments: string[]
  /** The reconnection time the stream last asked for, in ms. */
  retry?: number
}

/** An incremental parser: feed it decoded text as it arrives. */
export class EventStreamParser {
  private buffer = ''
  private started = false
  private lastEventId = ''
  private type = ''
  private data: string[] = []
  private idSet = false
  private pendingCR = false

  push(text: string): ParsedChunk {
    const out: ParsedChunk = { events: [], comments: [] }
    if (!this.started && text.length) {
      this.started = true
      if (text.charCodeAt(0) === 0xfeff) text = text.slice(1)
    }
    // A CR at the end of one chunk and an LF at the start of the next are one line ending.
    if (this.pendingCR && text.startsWith('\n')) text = text.slice(1)
    this.pendingCR = false
    this.buffer += text
    const lines = this.buffer.split(/\r\n|\n|\r/)
    this.buffer = lines.pop() ?? ''
    if (this.buffer === '' && text.endsWith('\r')) this.pendingCR = true
    for (const line of lines) this.line(line, out)
    return out
  }

  private line(line: string, out: ParsedChunk): void {
    if (line === '') return this.dispatch(out)
    if (line.startsWith(':')) {
      out.comments.push(line.slice(1).replace(/^ /, ''))
      return
    }
    const colon = line.indexOf(':')
    const field = colon === -1 ? line : line.slice(0, colon)
    const value = colon === -1 ? '' : line.slice(colon + 1).replace(/^ /, '')
    switch (field) {
      case 'event':
        this.type = value
        break
      case 'data':
        this.data.push(value)
        break
      case 'id':
        if (!value.includes('\0')) {
          this.lastEventId = value
          this.idSet = true
        }
        break
      case 'retry':
        if (/^\d+$/.test(value)) out.retry = Number(value)
        break
      default:
      // unknown fields are ignored
    }
  }

  private dispatch(out: ParsedChunk): void {
    if (this.data.length) {
      out.events.push({ type: this.type || 'message', data: this.data.join('\n'), lastEventId: this.lastEventId, hasId: this.idSet })
    }
    this.type = ''
    this.data = []
    this.idSet = false
  }
}
