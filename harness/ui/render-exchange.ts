// Renders one recorded HTTP exchange the way a learner reads it: the request sent, then the
// response received, with bodies pretty-printed when they are JSON.
import { STATUS_CODES } from 'node:http'
import type { Exchange, StreamLog } from '../runner/results.ts'
import type { Colors } from './output.ts'

// Headers every response carries and no check is about.
const NOISE = new Set(['date', 'connection', 'keep-alive', 'content-length', 'transfer-encoding'])
const MAX_BODY_LINES = 30

/** The request and response of `exchange`, each line prefixed by `indent`. */
export function renderExchange(exchange: Exchange, c: Colors, indent = '    '): string {
  const lines: string[] = []
  const { request, response } = exchange
  lines.push(c.dim('Request sent'))
  lines.push(`  ${c.bold(`${request.method} ${request.path}`)}`)
  for (const [name, value] of Object.entries(request.headers)) lines.push(`  ${name}: ${value}`)
  if (request.body !== undefined) lines.push(...body(request.body).map((l) => `  ${l}`))
  lines.push(c.dim('Response received'))
  if (!response) {
    lines.push(`  ${c.red(exchange.error ?? 'no response')}`)
  } else {
    lines.push(`  ${c.bold(`${response.status} ${statusText(response.status)}`)}`)
    for (const [name, value] of Object.entries(response.headers)) {
      if (!NOISE.has(name)) lines.push(`  ${name}: ${value}`)
    }
    lines.push(...(response.body === '' ? [c.dim('(empty body)')] : body(response.body)).map((l) => `  ${l}`))
  }
  return lines.map((l) => indent + l).join('\n')
}

const MAX_STREAM_LINES = 12

/**
 * The frames or events of one WebSocket or event stream. When there are many, the last ones:
 * a check that waited in vain is about what came (or did not come) at the end.
 */
export function renderStream(stream: StreamLog, c: Colors): string[] {
  const title = stream.kind === 'websocket' ? `${stream.target}: frames exchanged` : `${stream.target}: events received`
  const kept = stream.lines.length > MAX_STREAM_LINES ? stream.lines.slice(-(MAX_STREAM_LINES - 1)) : stream.lines
  const earlier = stream.lines.length - kept.length
  return [
    c.dim(title),
    ...(earlier ? [c.dim(`  … (${earlier} earlier lines)`)] : []),
    ...kept.map((line) => `  ${line.startsWith('·') ? c.dim(line) : line}`),
    ...(stream.dropped ? [c.dim(`  … (${stream.dropped} more lines not recorded)`)] : []),
  ]
}

function body(text: string): string[] {
  let shown = text
  try {
    const parsed = JSON.parse(text)
    const pretty = JSON.stringify(parsed, null, 2)
    // Short JSON reads best on one line, as it was sent.
    shown = pretty.length <= 80 ? JSON.stringify(parsed) : pretty
  } catch {
    // not JSON: show as is
  }
  const lines = ['', ...shown.split('\n')]
  return lines.length > MAX_BODY_LINES
    ? [...lines.slice(0, MAX_BODY_LINES), `… (${lines.length - MAX_BODY_LINES} more lines)`]
    : lines
}

// RFC 9110's reason phrases where Node still uses older ones; Node's table for the rest.
const STATUS_TEXT: Record<number, string> = {
  413: 'Content Too Large', 422: 'Unprocessable Content',
  200: 'OK', 201: 'Created', 202: 'Accepted', 204: 'No Content', 301: 'Moved Permanently',
  302: 'Found', 304: 'Not Modified', 307: 'Temporary Redirect', 308: 'Permanent Redirect',
  400: 'Bad Request', 401: 'Unauthorized', 403: 'Forbidden', 404: 'Not Found',
  405: 'Method Not Allowed', 406: 'Not Acceptable', 409: 'Conflict', 410: 'Gone',
  412: 'Precondition Failed', 415: 'Unsupported Media Type',
  428: 'Precondition Required', 429: 'Too Many Requests', 500: 'Internal Server Error',
  502: 'Bad Gateway', 503: 'Service Unavailable', 504: 'Gateway Timeout',
}

function statusText(status: number): string {
  return STATUS_TEXT[status] ?? STATUS_CODES[status] ?? ''
}
