// Where the grading workers' own stdout and stderr go: not the learner's terminal (a worker's
// raw writes would break `--json` and could flood the screen), but a small buffer that keeps
// the first few kilobytes for DEBUG and counts the rest.
import { Writable } from 'node:stream'

/** A bounded sink for bytes nobody should see by default. */
export class OutputSink {
  private kept: Buffer[] = []
  private keptBytes = 0
  dropped = 0

  constructor(private readonly limit = 64 * 1024) {}

  write(chunk: Buffer): void {
    const room = this.limit - this.keptBytes
    if (room > 0) {
      const part = chunk.subarray(0, room)
      this.kept.push(Buffer.from(part))
      this.keptBytes += part.length
    }
    this.dropped += Math.max(0, chunk.length - Math.max(0, room))
  }

  /** What was kept, with a note of how much was dropped. */
  text(): string {
    const text = Buffer.concat(this.kept).toString('utf8')
    return this.dropped ? `${text}\n… (${this.dropped} more bytes)` : text
  }

  clear(): void {
    this.kept = []
    this.keptBytes = 0
    this.dropped = 0
  }
}

/** A writable stream into a sink (what vitest's logger is given). */
export function sinkStream(sink: OutputSink): Writable {
  return new Writable({
    write(chunk: Buffer | string, _encoding, done) {
      sink.write(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk))
      done()
    },
  })
}
