import { Hono } from 'hono'

/** The call to a chosen instance, shaped like the global `fetch` (the grader passes a fake). */
export type InstanceFetch = (url: string) => Promise<Response>

export type Strategy = 'round-robin' | 'least-outstanding'

export interface DiscoveryOptions {
  /** The current time in milliseconds. The registry and the balancer read time only here. */
  now: () => number
  /** Makes the calls to the instances. */
  fetch: InstanceFetch
  /** How long a registration or heartbeat keeps an instance alive, in ms. Default 30 000. */
  ttlMs?: number
  /** How the balancer picks among the available instances. Default 'round-robin'. */
  strategy?: Strategy
  /** Consecutive failures that eject an instance (an integer >= 1). Default 3. */
  maxFailures?: number
  /** How long an ejected instance is left out, in ms. Default 30 000. */
  ejectionMs?: number
}

export function createApp(options: DiscoveryOptions) {
  // TODO: read the options with their defaults; throw a RangeError for invalid ones.
  // TODO: keep the registry inside createApp (service -> instances, in registration order).
  void options

  const app = new Hono()

  // TODO (task 1): register, list and deregister instances. TODO (task 2): TTLs and heartbeats.
  app.post('/registry/instances', (c) => c.json({ error: 'not_implemented' }, 501))
  app.put('/registry/instances/:service/:name/heartbeat', (c) =>
    c.json({ error: 'not_implemented' }, 501),
  )
  app.delete('/registry/instances/:service/:name', (c) => c.json({ error: 'not_implemented' }, 501))
  app.get('/registry/services/:service', (c) => c.json({ error: 'not_implemented' }, 501))

  // TODO (task 3): pick an available instance and call options.fetch(url + rest + query).
  // TODO (task 4): least-outstanding. TODO (task 5): eject instances that keep failing.
  app.get('/api/*', (c) => c.json({ error: 'not_implemented' }, 501))

  app.notFound((c) => c.json({ error: 'not_found' }, 404))

  return app
}
