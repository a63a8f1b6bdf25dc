import { randomUUID } from 'node:crypto'
import { Hono } from 'hono'

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

export function createApp(options: GatewayOptions) {
  const fetchUpstream = options.fetch ?? ((url, init) => fetch(url, init))
  const timers: Timers = options.timers ?? {
    set: (callback, ms) => setTimeout(callback, ms),
    clear: (handle) => clearTimeout(handle as NodeJS.Timeout),
  }
  const newRequestId = options.newRequestId ?? (() => randomUUID())
  // TODO (task 5): check the options once, here (see the README's Reference).
  void fetchUpstream
  void timers
  void newRequestId

  const app = new Hono()

  app.get('/api/orders/:id/summary', async (c) => {
    // TODO (task 1): call the three services and answer { order, payment, shipment, degraded }.
    return c.json({ error: 'not_implemented' }, 501)
  })

  app.notFound((c) => c.json({ error: 'not_found' }, 404))

  return app
}
