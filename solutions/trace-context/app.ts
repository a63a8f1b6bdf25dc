import { AsyncLocalStorage } from 'node:async_hooks'
import { randomBytes as cryptoRandomBytes } from 'node:crypto'
import { Hono } from 'hono'

/** One structured log line: an object, written through the injected logger. */
export type LogLine = Record<string, unknown>

export interface TraceOptions {
  /** Calls the upstream services; defaults to the global fetch. */
  fetch?: (input: string, init: RequestInit) => Promise<Response>
  /** Receives every log line as an object; defaults to one JSON line per entry on stdout. */
  logger?: (line: LogLine) => void
  /** `size` random bytes; the only source of trace and span ids. Defaults to node:crypto. */
  randomBytes?: (size: number) => Uint8Array
  /** The sampling decision for a trace this app starts; defaults to sampling every trace. */
  sample?: () => boolean
  /** This app's tracestate key; defaults to `shop`. */
  vendor?: string
}

export const INVENTORY_URL = 'http://inventory.internal'
export const PRICING_URL = 'http://pricing.internal'

type Service = 'inventory' | 'pricing'

/** What this request knows about its trace: kept per request, never in a shared variable. */
interface Span {
  traceId: string
  /** This server's span: the parent of every call it makes. */
  spanId: string
  /** The flags this app sends: sampled (01) and random trace-id (02), nothing else. */
  flags: number
  /** The incoming tracestate members to pass on, in order, or [] after a restart. */
  tracestate: [string, string][]
}

const SAMPLED = 0x01
const RANDOM = 0x02
const MAX_MEMBERS = 32
const HEX = (n: number) => new RegExp(`^[0-9a-f]{${n}}$`)
const TRACE_ID = HEX(32)
const SPAN_ID = HEX(16)
const FLAGS = HEX(2)
// The tracestate key grammar: a lower-case letter or digit, then up to 255 more key characters.
const KEY = /^[a-z0-9][a-z0-9_\-*/@]{0,255}$/
// A value: up to 256 printable ASCII characters but `,` and `=`, not ending with a space.
const VALUE = /^[\x20-\x2b\x2d-\x3c\x3e-\x7e]{0,255}[\x21-\x2b\x2d-\x3c\x3e-\x7e]$/

// The span of the request being handled, wherever the code awaits: `current.run(span, fn)` makes
// `getStore()` return that span in everything `fn` starts. A plain variable would be overwritten
// by the next request while the first one waits for an upstream. One store for the module, like
// OpenTelemetry's single context manager: it holds no app state (each request brings its own
// span), and every AsyncLocalStorage ever created slows down every later async operation a little.
const current = new AsyncLocalStorage<Span>()

export function createApp(options: TraceOptions = {}) {
  const fetchUpstream = options.fetch ?? ((input, init) => fetch(input, init))
  const logger = options.logger ?? ((line: LogLine) => console.log(JSON.stringify(line)))
  const randomBytes = options.randomBytes ?? ((size: number) => cryptoRandomBytes(size))
  const sample = options.sample ?? (() => true)
  const vendor = options.vendor ?? 'shop'
  // Checked once, at startup: a typo in the config should stop the server, not every request.
  for (const [name, fn] of Object.entries({ fetch: fetchUpstream, logger, randomBytes, sample })) {
    if (typeof fn !== 'function') throw new TypeError(`${name} must be a function`)
  }
  if (typeof vendor !== 'string' || !KEY.test(vendor)) {
    throw new RangeError(`vendor must be a valid tracestate key, received ${String(vendor)}`)
  }


  /** A fresh id of `size` bytes, never all zeros (an all-zero id is invalid). */
  function newId(size: number): string {
    for (;;) {
      const hex = Buffer.from(randomBytes(size)).toString('hex')
      if (/[^0]/.test(hex)) return hex
    }
  }

  /** Writes a line stamped with the current trace: the correlation a log search joins on. */
  function log(fields: LogLine): void {
    const span = current.getStore()
    logger(span ? { ...fields, trace_id: span.traceId, span_id: span.spanId } : fields)
  }

  /** Calls a service inside a child span: a new span id per call, our entry first in tracestate. */
  async function call(service: Service, url: string): Promise<unknown> {
    const span = current.getStore()!
    const childId = newId(8)
    const members = span.tracestate.filter(([key]) => key !== vendor)
    const tracestate = [[vendor, childId], ...members].slice(0, MAX_MEMBERS)
    const res = await fetchUpstream(url, {
      headers: {
        accept: 'application/json',
        traceparent: `00-${span.traceId}-${childId}-${hex2(span.flags)}`,
        tracestate: tracestate.map(([k, v]) => `${k}=${v}`).join(','),
      },
    })
    log({ event: 'upstream', service, url, status: res.status })
    if (!res.ok) throw new Error(`${service} answered ${res.status}`)
    return res.json()
  }

  const app = new Hono()

  app.use('*', async (c, next) => {
    const parent = parseTraceparent(c.req.header('traceparent'))
    const span: Span = parent
      ? {
          traceId: parent.traceId,
          spanId: newId(8),
          // Parent-based sampling: the caller decided; keep its sampled and random bits only.
          flags: parent.flags & (SAMPLED | RANDOM),
          // tracestate is read only when traceparent was valid (the spec forbids otherwise).
          tracestate: parseTracestate(c.req.header('tracestate')) ?? [],
        }
      : {
          // No usable parent: restart. Our ids come from randomBytes, so the random bit is set.
          traceId: newId(16),
          spanId: newId(8),
          flags: RANDOM | (sample() ? SAMPLED : 0),
          tracestate: [],
        }
    await current.run(span, async () => {
      await next()
      c.header('traceresponse', `00-${span.traceId}-${span.spanId}-${hex2(span.flags)}`)
      log({ event: 'request', method: c.req.method, path: c.req.path, status: c.res.status })
    })
  })

  app.get('/api/products/:id', async (c) => {
    const id = encodeURIComponent(c.req.param('id'))
    try {
      const [stock, price] = await Promise.all([
        call('inventory', `${INVENTORY_URL}/stock/${id}`),
        call('pricing', `${PRICING_URL}/prices/${id}`),
      ])
      return c.json({ id: c.req.param('id'), stock, price })
    } catch {
      return c.json({ error: 'upstream_failed' }, 502)
    }
  })

  app.notFound((c) => c.json({ error: 'not_found' }, 404))

  return app
}

function hex2(n: number): string {
  return n.toString(16).padStart(2, '0')
}

/**
 * The trace a valid traceparent continues, or undefined to restart. Version 00 must be exactly
 * `00-<32 hex>-<16 hex>-<2 hex>`; a higher version is read the same way as long as what follows
 * the flags is nothing or starts with `-` (future versions only add fields at the end).
 */
function parseTraceparent(
  value: string | undefined,
): { traceId: string; flags: number } | undefined {
  if (value === undefined) return undefined
  const version = value.slice(0, 2)
  if (!FLAGS.test(version) || version === 'ff' || value[2] !== '-') return undefined
  if (version === '00' ? value.length !== 55 : value.length < 55) return undefined
  if (value.length > 55 && value[55] !== '-') return undefined
  const traceId = value.slice(3, 35)
  const parentId = value.slice(36, 52)
  const flags = value.slice(53, 55)
  if (value[35] !== '-' || value[52] !== '-') return undefined
  if (!TRACE_ID.test(traceId) || !SPAN_ID.test(parentId) || !FLAGS.test(flags)) return undefined
  if (!/[^0]/.test(traceId) || !/[^0]/.test(parentId)) return undefined
  return { traceId, flags: parseInt(flags, 16) }
}

/** The members of a valid tracestate, in order; undefined when any member is invalid. */
function parseTracestate(value: string | undefined): [string, string][] | undefined {
  if (value === undefined) return undefined
  const members: [string, string][] = []
  for (const raw of value.split(',')) {
    // Spaces and tabs around a member are not part of it; inside the value they are kept.
    const member = raw.replace(/^[ \t]+|[ \t]+$/g, '')
    if (member === '') continue
    const eq = member.indexOf('=')
    if (eq < 0) return undefined
    const key = member.slice(0, eq)
    const val = member.slice(eq + 1)
    if (!KEY.test(key) || !VALUE.test(val)) return undefined
    members.push([key, val])
  }
  return members.length > MAX_MEMBERS ? undefined : members
}
