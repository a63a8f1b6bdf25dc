// A request whose body arrives in pieces and only when the app reads it, with no Content-Length:
// what a chunked upload looks like. Sent straight to `app.fetch`, it lets a spec count how many
// bytes the app pulled before it answered, which is how "refuse an oversize body while it
// streams, not after buffering it" is graded without timing anything.

export interface StreamedRequest {
  request: Request
  /** Bytes the app has pulled from the body so far. */
  pulled: () => number
}

export interface StreamedOptions {
  method?: string
  headers?: Record<string, string>
  /** Bytes per piece (the default is 16 KiB). */
  chunk?: number
}

/** A request to `url` whose body is `body`, handed out `chunk` bytes at a time when read. */
export function streamedRequest(url: string, body: Uint8Array | string, options: StreamedOptions = {}): StreamedRequest {
  const bytes = typeof body === 'string' ? new TextEncoder().encode(body) : body
  const chunk = options.chunk ?? 16 * 1024
  let offset = 0
  const stream = new ReadableStream<Uint8Array>(
    {
      pull(controller) {
        if (offset >= bytes.length) return controller.close()
        const piece = bytes.slice(offset, offset + chunk)
        offset += piece.length
        controller.enqueue(piece)
      },
    },
    // Nothing is pulled before the app reads.
    { highWaterMark: 0 },
  )
  const init = { method: options.method ?? 'POST', body: stream, duplex: 'half', headers: options.headers ?? {} }
  return { request: new Request(url, init as RequestInit), pulled: () => offset }
}
