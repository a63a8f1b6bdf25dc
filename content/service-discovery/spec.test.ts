// service-discovery - the hidden spec.
//
// Wrong implementations this spec is built to catch:
// - weak registration checks (names with spaces or of 65 characters, ftp: or relative URLs, a body
//   that is not a JSON object), or a 400 that still registers something
// - a second registration of a live instance that duplicates it, moves it to the end of the
//   order, keeps the old URL or does not renew its TTL; 201 instead of 200 for it
// - instances listed or picked in another order than their first registration
// - a registry kept in plain objects, so `constructor` or `__proto__` is a service or an
//   instance before anyone registered it; one name shared by two services; a registry at module
//   level, shared by two apps
// - a TTL that expires one millisecond late (`<=`) or not at all, Date.now() instead of the
//   injected clock, a heartbeat that revives an expired instance or renews from the original
//   registration time; a deleted instance that is still listed or picked
// - a URL built with new URL(rest, base), without the query or the rest of the path; the answer's
//   status, body or Content-Type not passed on; a network error answered with 500; a 503 that is
//   not no_healthy_instance, or a fetch made when no instance is available
// - round-robin that starts at the second instance, shares one rotation among services, or is
//   random; an expired, deleted or ejected instance still in the rotation
// - least-outstanding that ignores in-flight counts, counts a request as done before its fetch
//   settles, never decrements after a rejection, or breaks ties by the last registration
// - ejection after failures that were not in a row (a success does not reset the count), after one
//   failure too many or too few, 4xx counted as failures, network errors not counted; ejection
//   that never ends, ends one millisecond late or early, is counted from the start of the failing
//   call, or leaves the old failure count (one more failure ejects it again); a heartbeat that ends
//   an ejection; an ejected instance dropped from the registry
// - defaults other than ttlMs 30 000, round-robin, maxFailures 3, ejectionMs 30 000; invalid
//   options accepted
// - an expired instance that registers again answered 200 and kept in its old place (when no
//   request purged it first); a DELETE of an expired instance answered 204
// - a URL checked with a regex (/^https?:\/\//) instead of parsed: `http://` or a host with a
//   space accepted
// - failure counts, ejections or in-flight counts kept at module level, shared by two apps
import { inspect } from 'node:util'
import { describe, expect, it } from 'vitest'
import {
  build,
  type Client,
  client,
  fakeClock,
  type FakeClock,
  focusOn,
  random,
  type Reply,
  type Rng,
  task,
  until,
} from '../../harness/spec-kit/index.ts'
import { createApp, type DiscoveryOptions } from '../../exercises/service-discovery/app.ts'

type Behaviour = number | 'network-error' | 'hold'

interface InstanceCall {
  url: string
  origin: string
  answer: (outcome: number | 'network-error') => void
}

/**
 * The instances, faked behind one fetch. Each origin answers as `behave` says (200 unless told
 * otherwise); `hold` keeps the call open until the spec answers it. Bodies are JSON naming the URL.
 */
class Instances {
  [inspect.custom](): string {
    return 'fakeFetch()'
  }

  readonly calls: InstanceCall[] = []
  readonly behave = new Map<string, Behaviour>()

  readonly fetch = (input: string): Promise<Response> => {
    const url = String(input)
    const origin = new URL(url).origin
    const n = this.calls.length + 1
    let answer!: InstanceCall['answer']
    const promise = new Promise<Response>((resolve, reject) => {
      answer = (outcome) => {
        if (outcome === 'network-error') reject(new TypeError('fetch failed'))
        else {
          resolve(
            new Response(JSON.stringify({ served: url, n, status: outcome }), {
              status: outcome,
              headers: { 'content-type': 'application/vnd.instance+json' },
            }),
          )
        }
      }
    })
    this.calls.push({ url, origin, answer })
    const behaviour = this.behave.get(origin) ?? 200
    if (behaviour !== 'hold') answer(behaviour)
    return promise
  }
}

interface Setup {
  rng: Rng
  clock: FakeClock
  up: Instances
  api: Client
  options: DiscoveryOptions
  /** Instance URLs handed out so far. */
  hosts: number
}

type Tunables = Partial<Omit<DiscoveryOptions, 'now' | 'fetch'>>

function setup(rng: Rng, tunables: Tunables = {}, timeoutMs?: number): Setup {
  const clock = fakeClock()
  clock.advance(rng.int(0, 3_600_000))
  const up = new Instances()
  const options: DiscoveryOptions = { now: clock.now, fetch: up.fetch, ...tunables }
  return { rng, clock, up, api: client(build(createApp, options), timeoutMs), options, hosts: 0 }
}

interface Known {
  service: string
  name: string
  url: string
}

/** A new instance URL: the second octet counts up, so no two instances of a check share one. */
function instanceUrl(s: Setup): string {
  const { rng } = s
  return `http://10.${++s.hosts}.${rng.int(0, 255)}.${rng.int(1, 254)}:${rng.int(1024, 9999)}`
}

function serviceName(rng: Rng): string {
  return `${rng.word(3, 7)}-svc`
}

function register(s: Setup, body: unknown): Promise<Reply> {
  return s.api.post('/registry/instances', { json: body })
}

/** Registers a new instance and checks the 201. */
async function add(s: Setup, service: string, name?: string): Promise<Known> {
  name ??= `${s.rng.word(3, 6)}-${s.rng.int(1, 99)}`
  const known = { service, name, url: instanceUrl(s) }
  const res = await register(s, known)
  expect(res).toHaveStatus(201)
  expect(res).toHaveJsonBody(expect.objectContaining({ ...known, expiresAt: expect.any(String) }))
  return known
}

/** `n` new instances of one service, with distinct names, in registration order. */
async function addMany(s: Setup, service: string, n: number): Promise<Known[]> {
  const out: Known[] = []
  for (let i = 0; i < n; i++) out.push(await add(s, service, `${s.rng.word(3, 6)}-${i}`))
  return out
}

async function expectListed(s: Setup, service: string, instances: Known[]): Promise<void> {
  const res = await s.api.get(`/registry/services/${service}`)
  expect(res).toHaveStatus(200)
  expect(res).toHaveJsonBody({
    service,
    instances: instances.map((i) => expect.objectContaining({ name: i.name, url: i.url })),
  })
}

function heartbeat(s: Setup, i: { service: string; name: string }): Promise<Reply> {
  return s.api.put(`/registry/instances/${i.service}/${i.name}/heartbeat`)
}

function ask(s: Setup, service: string): Promise<Reply> {
  return s.api.get(`/api/${service}/${s.rng.word(3, 6)}`)
}

const nameOf = (instances: Known[], origin: string) =>
  instances.find((i) => new URL(i.url).origin === origin)?.name ?? origin

/** Sends one request and returns the instance it went to (checking it reached exactly one). */
async function picked(s: Setup, service: string, among: Known[]): Promise<string> {
  const calls = s.up.calls.length
  const res = await ask(s, service)
  focusOn(res)
  expect(s.up.calls.length, 'the request called one instance, once').toBe(calls + 1)
  return nameOf(among, s.up.calls[calls]!.origin)
}

async function expectNoInstance(s: Setup, service: string): Promise<void> {
  const calls = s.up.calls.length
  const res = await ask(s, service)
  expect(res).toHaveStatus(503)
  expect(res).toHaveJsonBody(expect.objectContaining({ error: 'no_healthy_instance' }))
  focusOn(res)
  expect(s.up.calls.length, 'no instance was called').toBe(calls)
}

/** The next `count` picks must reach each of `instances` equally often. */
async function expectEvenSpread(
  s: Setup,
  service: string,
  instances: Known[],
  rounds: number,
  among = instances,
): Promise<void> {
  const picks: string[] = []
  for (let i = 0; i < instances.length * rounds; i++) picks.push(await picked(s, service, among))
  const count = (name: string) => picks.filter((p) => p === name).length
  const counts = Object.fromEntries(instances.map((i) => [i.name, count(i.name)]))
  expect(counts, `${picks.length} requests in a row, in order: ${picks.join(', ')}`).toEqual(
    Object.fromEntries(instances.map((i) => [i.name, rounds])),
  )
}

const origin = (i: Known) => new URL(i.url).origin

/** A failing answer (5xx or a network error) from `i` to one request. */
async function failOnce(s: Setup, service: string, i: Known, among: Known[]): Promise<void> {
  const failure = s.rng.pick([500, 502, 503, 'network-error'] as const)
  s.up.behave.set(origin(i), failure)
  const calls = s.up.calls.length
  const res = await ask(s, service)
  expect(res).toHaveStatus(failure === 'network-error' ? 502 : failure)
  focusOn(res)
  const went = nameOf(among, s.up.calls[calls]?.origin ?? '')
  expect(went, 'the request went to the failing instance').toBe(i.name)
}

describe('service-discovery', () => {
  task(1, 'Register instances', () => {
    it('registers an instance: 201 with the instance, then listed under its service', async () => {
      const rng = random()
      const s = setup(rng)
      const service = serviceName(rng)
      const instances = await addMany(s, service, rng.int(1, 4))
      await expectListed(s, service, instances)
    })

    it('lists a service nobody registered as an empty list, constructor and __proto__ too', async () => {
      const rng = random()
      const s = setup(rng)
      await add(s, serviceName(rng))
      for (const service of rng.shuffle([serviceName(rng), 'constructor', '__proto__', 'toString'])) {
        await expectListed(s, service, [])
      }
    })

    it('takes constructor and __proto__ as service and instance names like any other', async () => {
      const rng = random()
      const s = setup(rng)
      for (const service of rng.shuffle(['constructor', '__proto__'])) {
        const instances = [await add(s, service, '__proto__'), await add(s, service, 'constructor')]
        await expectListed(s, service, instances)
      }
    })

    it('answers 200 to a second registration: same place, new URL, no duplicate', async () => {
      const rng = random()
      const s = setup(rng)
      const service = serviceName(rng)
      const instances = await addMany(s, service, 3)
      const moved = { ...instances[rng.int(0, 2)]!, url: instanceUrl(s) }
      const res = await register(s, moved)
      expect(res).toHaveStatus(200)
      expect(res).toHaveJsonBody(expect.objectContaining(moved))
      await expectListed(s, service, instances.map((i) => (i.name === moved.name ? moved : i)))
    })

    it('answers 400 invalid_instance to an invalid registration and registers nothing', async () => {
      const rng = random()
      const s = setup(rng)
      const service = serviceName(rng)
      const good = { service, name: rng.word(), url: instanceUrl(s) }
      const bad: unknown[] = [
        { name: good.name, url: good.url },
        { service, url: good.url },
        { service, name: good.name },
        { ...good, name: '' },
        { ...good, name: `${rng.word()} ${rng.word()}` },
        { ...good, name: 'a'.repeat(65) },
        { ...good, name: 42 },
        { ...good, url: 'not a url' },
        { ...good, url: `ftp://10.0.0.1/${rng.word()}` },
        { ...good, url: `/${rng.word()}` },
        { ...good, url: 'http://' },
        { ...good, url: `http://${rng.word()} ${rng.word()}` },
        { ...good, url: `https://[::${rng.int(1, 9)}` },
        [good],
        null,
      ]
      for (const body of rng.shuffle(bad)) {
        const res = await register(s, body)
        expect(res, `registering ${JSON.stringify(body)}`).toHaveStatus(400)
        expect(res).toHaveJsonBody(expect.objectContaining({ error: 'invalid_instance' }))
      }
      const text = await s.api.post('/registry/instances', {
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify(good).slice(0, -2),
      })
      expect(text).toHaveStatus(400)
      await expectListed(s, service, [])
      // 64 characters is still a name.
      await add(s, service, 'b'.repeat(64))
    })

    it('deregisters an instance with DELETE: 204, no longer listed, and new when it comes back', async () => {
      const rng = random()
      const s = setup(rng)
      const service = serviceName(rng)
      const instances = await addMany(s, service, 3)
      const gone = instances[rng.int(0, 1)]!
      const res = await s.api.delete(`/registry/instances/${service}/${gone.name}`)
      expect(res).toHaveStatus(204)
      expect(res).toHaveEmptyBody()
      const rest = instances.filter((i) => i !== gone)
      await expectListed(s, service, rest)
      const again = await s.api.delete(`/registry/instances/${service}/${gone.name}`)
      expect(again).toHaveStatus(404)
      expect(again).toHaveJsonBody(expect.objectContaining({ error: 'unknown_instance' }))
      const back = await register(s, gone)
      expect(back).toHaveStatus(201)
      await expectListed(s, service, [...rest, gone])
    })

    it('answers 404 unknown_instance to DELETE for an instance nobody registered', async () => {
      const rng = random()
      const s = setup(rng)
      const known = await add(s, serviceName(rng))
      for (const [service, name] of [
        [known.service, rng.word()],
        [serviceName(rng), known.name],
        [known.service, 'constructor'],
        ['__proto__', known.name],
      ]) {
        const res = await s.api.delete(`/registry/instances/${service}/${name}`)
        expect(res).toHaveStatus(404)
        expect(res).toHaveJsonBody(expect.objectContaining({ error: 'unknown_instance' }))
      }
      await expectListed(s, known.service, [known])
    })

    it('keeps the instances of two services apart, even with the same name', async () => {
      const rng = random()
      const s = setup(rng)
      const [a, b] = [serviceName(rng), `${serviceName(rng)}-2`]
      const name = rng.word()
      const first = await add(s, a, name)
      const second = await add(s, b, name)
      await expectListed(s, a, [first])
      await expectListed(s, b, [second])
      expect(await s.api.delete(`/registry/instances/${a}/${name}`)).toHaveStatus(204)
      await expectListed(s, b, [second])
    })

    it('keeps the registries of two createApp() instances apart', async () => {
      const rng = random()
      const s = setup(rng)
      const other = setup(rng)
      const service = serviceName(rng)
      const mine = await add(s, service)
      await expectListed(other, service, [])
      const theirs = await add(other, service, mine.name)
      await expectListed(s, service, [mine])
      await expectListed(other, service, [theirs])
    })
  })

  task(2, 'Expire instances without heartbeats', () => {
    it('keeps an instance until ttlMs after it registered, not a millisecond longer', async () => {
      const rng = random()
      const ttlMs = rng.int(1, 120) * 1000 + rng.int(0, 999)
      const s = setup(rng, { ttlMs })
      const service = serviceName(rng)
      const known = { service, name: rng.word(), url: instanceUrl(s) }
      const res = await register(s, known)
      expect(res).toHaveStatus(201)
      expect(res).toHaveJsonBody(
        expect.objectContaining({ ...known, expiresAt: new Date(s.clock.now() + ttlMs).toISOString() }),
      )
      s.clock.advance(ttlMs - 1)
      await expectListed(s, service, [known])
      s.clock.advance(1)
      await expectListed(s, service, [])
    })

    it('renews the TTL from the time of each heartbeat', async () => {
      const rng = random()
      const ttlMs = rng.int(3, 60) * 1000
      const s = setup(rng, { ttlMs })
      const service = serviceName(rng)
      const [kept] = await addMany(s, service, 2)
      const early = rng.int(1, ttlMs - 2)
      for (const step of [early, ttlMs - 1 - early]) {
        s.clock.advance(step)
        const res = await heartbeat(s, kept!)
        expect(res).toHaveStatus(200)
        expect(res).toHaveJsonBody(
          expect.objectContaining({ ...kept, expiresAt: new Date(s.clock.now() + ttlMs).toISOString() }),
        )
      }
      // The other one sent no heartbeat: gone at its registration + ttlMs.
      s.clock.advance(1)
      await expectListed(s, service, [kept!])
      // The last heartbeat was one millisecond ago: kept lives until then + ttlMs.
      s.clock.advance(ttlMs - 2)
      await expectListed(s, service, [kept!])
      s.clock.advance(1)
      await expectListed(s, service, [])
    })

    it('answers 404 unknown_instance to a heartbeat after the TTL ran out; a new registration is 201', async () => {
      const rng = random()
      const ttlMs = rng.int(1, 60) * 1000
      const s = setup(rng, { ttlMs })
      const service = serviceName(rng)
      const [first, second] = await addMany(s, service, 2)
      s.clock.advance(ttlMs - 1)
      expect(await heartbeat(s, second!)).toHaveStatus(200)
      s.clock.advance(1)
      const late = await heartbeat(s, first!)
      expect(late).toHaveStatus(404)
      expect(late).toHaveJsonBody(expect.objectContaining({ error: 'unknown_instance' }))
      await expectListed(s, service, [second!])
      // Registered again, it is a new instance, at the end of the order.
      expect(await register(s, first)).toHaveStatus(201)
      await expectListed(s, service, [second!, first!])
    })

    it('answers 201 to an expired instance registering again, and puts it at the end', async () => {
      const rng = random()
      const ttlMs = rng.int(2, 60) * 1000
      const s = setup(rng, { ttlMs })
      const service = serviceName(rng)
      const first = await add(s, service)
      const gap = rng.int(1, ttlMs - 1)
      s.clock.advance(gap)
      const second = await add(s, service)
      s.clock.advance(ttlMs - gap)
      // The first has just expired, the second is alive, and nothing was asked in between.
      const back = { ...first, url: instanceUrl(s) }
      const res = await register(s, back)
      expect(res).toHaveStatus(201)
      expect(res).toHaveJsonBody(expect.objectContaining(back))
      await expectListed(s, service, [second, back])
    })

    it('answers 404 unknown_instance to DELETE for an instance that expired', async () => {
      const rng = random()
      const ttlMs = rng.int(1, 60) * 1000
      const s = setup(rng, { ttlMs })
      const known = await add(s, serviceName(rng))
      s.clock.advance(ttlMs)
      const res = await s.api.delete(`/registry/instances/${known.service}/${known.name}`)
      expect(res).toHaveStatus(404)
      expect(res).toHaveJsonBody(expect.objectContaining({ error: 'unknown_instance' }))
      expect(await register(s, known)).toHaveStatus(201)
      await expectListed(s, known.service, [known])
    })

    it('answers 404 unknown_instance to a heartbeat for an instance nobody registered', async () => {
      const rng = random()
      const s = setup(rng)
      const known = await add(s, serviceName(rng))
      for (const target of [
        { service: known.service, name: rng.word() },
        { service: serviceName(rng), name: known.name },
        { service: known.service, name: 'constructor' },
        { service: '__proto__', name: known.name },
      ]) {
        const res = await heartbeat(s, target)
        expect(res).toHaveStatus(404)
        expect(res).toHaveJsonBody(expect.objectContaining({ error: 'unknown_instance' }))
      }
    })

    it('renews the TTL when a live instance registers again', async () => {
      const rng = random()
      const ttlMs = rng.int(2, 60) * 1000
      const s = setup(rng, { ttlMs })
      const known = await add(s, serviceName(rng))
      s.clock.advance(rng.int(1, ttlMs - 1))
      expect(await register(s, known)).toHaveStatus(200)
      s.clock.advance(ttlMs - 1)
      await expectListed(s, known.service, [known])
      s.clock.advance(1)
      await expectListed(s, known.service, [])
    })

    it('uses a ttlMs of 30000 by default, and throws a RangeError for an invalid one', async () => {
      const rng = random()
      const s = setup(rng)
      const known = await add(s, serviceName(rng))
      s.clock.advance(29_999)
      await expectListed(s, known.service, [known])
      s.clock.advance(1)
      await expectListed(s, known.service, [])
      for (const ttlMs of [0, -1, -30_000, Number.NaN]) {
        expect(() => createApp({ ...s.options, ttlMs }), `ttlMs: ${ttlMs}`).toThrow(RangeError)
      }
    })
  })

  task(3, 'Balance requests round-robin', () => {
    it('calls the instance URL followed by the rest of the path and the query string', async () => {
      const rng = random()
      const s = setup(rng)
      const known = await add(s, serviceName(rng))
      const rest = `/${rng.word()}/${rng.int(1, 999)}`
      const query = `?${rng.word(2, 5)}=${rng.int(0, 99)}&${rng.word(2, 5)}=${rng.word(1, 4)}`
      expect(await s.api.get(`/api/${known.service}${rest}${query}`)).toHaveStatus(200)
      expect(await s.api.get(`/api/${known.service}`)).toHaveStatus(200)
      expect(s.up.calls.map((c) => new URL(c.url).href)).toEqual([
        new URL(`${known.url}${rest}${query}`).href,
        new URL(known.url).href,
      ])
    })

    it("passes on the instance's status, body and Content-Type, 4xx and 5xx included", async () => {
      const rng = random()
      const s = setup(rng, { maxFailures: 50 })
      const known = await add(s, serviceName(rng))
      for (const status of rng.shuffle([200, 201, 404, 422, 500, 503])) {
        s.up.behave.set(origin(known), status)
        const res = await ask(s, known.service)
        const call = s.up.calls[s.up.calls.length - 1]!
        expect(res).toHaveStatus(status)
        expect(res).toHaveHeader('Content-Type', 'application/vnd.instance+json')
        focusOn(res)
        expect(res.text, 'the body is the instance body, as it came').toBe(
          JSON.stringify({ served: call.url, n: s.up.calls.length, status }),
        )
      }
    })

    it('answers 502 bad_gateway when the call fails with a network error', async () => {
      const rng = random()
      const s = setup(rng)
      const known = await add(s, serviceName(rng))
      s.up.behave.set(origin(known), 'network-error')
      const res = await ask(s, known.service)
      expect(res).toHaveStatus(502)
      expect(res).toHaveJsonBody(expect.objectContaining({ error: 'bad_gateway' }))
    })

    it('answers 503 no_healthy_instance when the service has no instance, and calls nothing', async () => {
      const rng = random()
      const s = setup(rng)
      await add(s, serviceName(rng))
      for (const service of rng.shuffle([serviceName(rng), 'constructor', '__proto__'])) {
        await expectNoInstance(s, service)
      }
    })

    it('goes round the instances in registration order, starting with the first', async () => {
      const rng = random()
      const s = setup(rng)
      const service = serviceName(rng)
      const instances = await addMany(s, service, rng.int(2, 4))
      const rounds = rng.int(2, 3)
      const picks: string[] = []
      const total = instances.length * rounds
      for (let i = 0; i < total; i++) picks.push(await picked(s, service, instances))
      const expected = Array.from({ length: total }, (_, i) => instances[i % instances.length]!.name)
      expect(picks).toEqual(expected)
    })

    it('keeps a rotation per service', async () => {
      const rng = random()
      const s = setup(rng)
      const [a, b] = [serviceName(rng), `${serviceName(rng)}-b`]
      const mine = await addMany(s, a, rng.int(2, 3))
      const theirs = await addMany(s, b, rng.int(2, 3))
      const picks: Record<string, string[]> = { [a]: [], [b]: [] }
      // One service's first request right after the other's: one counter for both would start
      // the second service at its second instance. Then a random mix.
      const order = [...rng.shuffle([a, b]), ...Array.from({ length: 8 }, () => rng.pick([a, b]))]
      for (const service of order) picks[service]!.push(await picked(s, service, [...mine, ...theirs]))
      for (const [service, list] of [[a, mine], [b, theirs]] as const) {
        expect(picks[service], `the requests to ${service}, in order`).toEqual(
          picks[service]!.map((_, i) => list[i % list.length]!.name),
        )
      }
    })

    it('never picks an instance that expired or was deleted, and takes in one that joined', async () => {
      const rng = random()
      const ttlMs = rng.int(5, 60) * 1000
      const s = setup(rng, { ttlMs })
      const service = serviceName(rng)
      const instances = await addMany(s, service, 4)
      const [expired, deleted, ...kept] = rng.shuffle(instances)
      await picked(s, service, instances)
      s.clock.advance(ttlMs - 1)
      for (const i of kept) expect(await heartbeat(s, i)).toHaveStatus(200)
      expect(await s.api.delete(`/registry/instances/${service}/${deleted!.name}`)).toHaveStatus(204)
      s.clock.advance(1)
      void expired
      await expectEvenSpread(s, service, kept, 2, instances)
      const joined = await add(s, service)
      await expectEvenSpread(s, service, [...kept, joined], 2, [...instances, joined])
    })

    it('throws a RangeError for a strategy it does not know', () => {
      const rng = random()
      const s = setup(rng)
      for (const strategy of ['random', 'round_robin', '', 'constructor']) {
        const options = { ...s.options, strategy: strategy as 'round-robin' }
        expect(() => createApp(options), `strategy: ${strategy}`).toThrow(RangeError)
      }
    })
  })

  task(4, 'Prefer the least outstanding instance', () => {
    it('sends every request to the first instance while none overlap', async () => {
      const rng = random()
      const s = setup(rng, { strategy: 'least-outstanding' })
      const service = serviceName(rng)
      const instances = await addMany(s, service, rng.int(2, 4))
      for (let i = rng.int(3, 5); i > 0; i--) {
        const name = await picked(s, service, instances)
        expect(name, 'with nothing in flight: the first instance').toBe(instances[0]!.name)
      }
    })

    it('picks the instance with the fewest requests in flight, the earliest on a tie', async () => {
      const rng = random()
      const s = setup(rng, { strategy: 'least-outstanding', maxFailures: 100 }, 2000)
      const service = serviceName(rng)
      const instances = await addMany(s, service, rng.int(3, 4))
      for (const i of instances) s.up.behave.set(origin(i), 'hold')
      const inFlight = new Map(instances.map((i) => [i.name, 0]))
      const open: { name: string; call: InstanceCall; reply: Promise<Reply> }[] = []
      const log: string[] = []
      for (let step = 0; step < 9; step++) {
        const release = open.length > 0 && (open.length >= 5 || rng.next() < 0.35)
        if (release) {
          const [done] = open.splice(rng.int(0, open.length - 1), 1)
          done!.call.answer(rng.pick([200, 404, 500]))
          await done!.reply
          inFlight.set(done!.name, inFlight.get(done!.name)! - 1)
          log.push(`${done!.name} answered`)
          continue
        }
        const least = Math.min(...inFlight.values())
        const expected = instances.find((i) => inFlight.get(i.name) === least)!.name
        const calls = s.up.calls.length
        const reply = ask(s, service)
        reply.catch(() => {})
        await until(() => s.up.calls.length > calls, 'the app never called an instance for the request')
        const call = s.up.calls[calls]!
        const name = nameOf(instances, call.origin)
        log.push(`request -> ${name}`)
        const before = JSON.stringify(Object.fromEntries(inFlight))
        expect(name, `in flight before it: ${before}; so far: ${log.join(', ')}`).toBe(expected)
        inFlight.set(name, inFlight.get(name)! + 1)
        open.push({ name, call, reply })
      }
      for (const o of open) o.call.answer(200)
      await Promise.all(open.map((o) => o.reply))
    })

    it('counts a request whose fetch rejected as no longer in flight', async () => {
      const rng = random()
      const s = setup(rng, { strategy: 'least-outstanding', maxFailures: 10 }, 2000)
      const service = serviceName(rng)
      const [first, second] = await addMany(s, service, 2)
      s.up.behave.set(origin(first!), 'hold')
      const reply = ask(s, service)
      reply.catch(() => {})
      await until(() => s.up.calls.length > 0, 'the app never called an instance for the request')
      s.up.calls[0]!.answer('network-error')
      expect(await reply).toHaveStatus(502)
      s.up.behave.delete(origin(first!))
      const name = await picked(s, service, [first!, second!])
      expect(name, 'nothing is in flight: the first instance').toBe(first!.name)
    })

    it('counts only the requests in flight from this app', async () => {
      const rng = random()
      const mine = setup(rng, { strategy: 'least-outstanding' }, 2000)
      const theirs = setup(rng, { strategy: 'least-outstanding' }, 2000)
      const service = serviceName(rng)
      const names = [`${rng.word(3, 6)}-0`, `${rng.word(3, 6)}-1`]
      const own = [await add(mine, service, names[0]), await add(mine, service, names[1])]
      const other = [await add(theirs, service, names[0]), await add(theirs, service, names[1])]
      mine.up.behave.set(origin(own[0]!), 'hold')
      const reply = ask(mine, service)
      reply.catch(() => {})
      await until(() => mine.up.calls.length > 0, 'the app never called the first instance')
      const name = await picked(theirs, service, other)
      expect(name, 'nothing in flight from this app: its first instance').toBe(other[0]!.name)
      const next = await picked(mine, service, own)
      expect(next, 'one request in flight to the first: the second').toBe(own[1]!.name)
      mine.up.calls[0]!.answer(200)
      expect(await reply).toHaveStatus(200)
    })
  })

  task(5, 'Eject failing instances', () => {
    it('ejects an instance after maxFailures failures in a row, not one earlier', async () => {
      const rng = random()
      const maxFailures = rng.int(1, 5)
      const s = setup(rng, { maxFailures })
      const only = await add(s, serviceName(rng))
      for (let i = 0; i < maxFailures; i++) await failOnce(s, only.service, only, [only])
      await expectNoInstance(s, only.service)
    })

    it('starts counting again after a success (4xx included)', async () => {
      const rng = random()
      const maxFailures = rng.int(2, 5)
      const s = setup(rng, { maxFailures })
      const only = await add(s, serviceName(rng))
      // A 2xx and two 4xx, in a random order: a 4xx must reset the count as a 2xx does.
      const answers = rng.shuffle([rng.pick([200, 201]), rng.pick([400, 404]), rng.pick([409, 422])])
      for (const answer of answers) {
        for (let i = 1; i < maxFailures; i++) await failOnce(s, only.service, only, [only])
        s.up.behave.set(origin(only), answer)
        await picked(s, only.service, [only])
      }
      await failOnce(s, only.service, only, [only])
      s.up.behave.delete(origin(only))
      expect(await picked(s, only.service, [only])).toBe(only.name)
    })

    it('lets an ejected instance back in exactly ejectionMs after its last failure, with a clean count', async () => {
      const rng = random()
      const maxFailures = rng.int(2, 4)
      const ejectionMs = rng.int(1, 60) * 1000 + rng.int(0, 999)
      const s = setup(rng, { maxFailures, ejectionMs, ttlMs: 3_600_000 })
      const only = await add(s, serviceName(rng))
      for (let i = 1; i < maxFailures; i++) await failOnce(s, only.service, only, [only])
      // The last failure takes a while: the ejection counts from when it is recorded.
      s.up.behave.set(origin(only), 'hold')
      const calls = s.up.calls.length
      const reply = ask(s, only.service)
      reply.catch(() => {})
      await until(() => s.up.calls.length > calls, 'the app never called the instance')
      s.clock.advance(rng.int(1, 5) * 1000)
      s.up.calls[calls]!.answer(500)
      expect(await reply).toHaveStatus(500)
      s.up.behave.delete(origin(only))
      s.clock.advance(ejectionMs - 1)
      await expectNoInstance(s, only.service)
      s.clock.advance(1)
      // Back, with a clean slate: maxFailures - 1 new failures do not eject it.
      for (let i = 1; i < maxFailures; i++) await failOnce(s, only.service, only, [only])
      s.up.behave.delete(origin(only))
      expect(await picked(s, only.service, [only])).toBe(only.name)
    })

    it('spreads the requests over the others while one is ejected, then takes it back', async () => {
      const rng = random()
      const ejectionMs = rng.int(5, 60) * 1000
      const maxFailures = rng.int(1, 3)
      const s = setup(rng, { maxFailures, ejectionMs, ttlMs: 3_600_000 })
      const service = serviceName(rng)
      const instances = await addMany(s, service, rng.int(3, 4))
      const bad = rng.pick(instances)
      s.up.behave.set(origin(bad), 503)
      let failures = 0
      for (let i = 0; failures < maxFailures && i < 20; i++) {
        if ((await picked(s, service, instances)) === bad.name) failures++
      }
      expect(failures, 'the failing instance got its share of requests').toBe(maxFailures)
      const good = instances.filter((i) => i !== bad)
      await expectEvenSpread(s, service, good, 2, instances)
      s.clock.advance(ejectionMs)
      s.up.behave.delete(origin(bad))
      await expectEvenSpread(s, service, instances, 1)
    })

    it('keeps an ejected instance registered; heartbeats do not end its ejection', async () => {
      const rng = random()
      const ttlMs = rng.int(5, 20) * 1000
      const s = setup(rng, { maxFailures: 1, ejectionMs: 4 * ttlMs, ttlMs })
      const only = await add(s, serviceName(rng))
      await failOnce(s, only.service, only, [only])
      for (let i = 0; i < 3; i++) {
        s.clock.advance(ttlMs - 1)
        expect(await heartbeat(s, only)).toHaveStatus(200)
        await expectListed(s, only.service, [only])
        await expectNoInstance(s, only.service)
      }
    })

    it('keeps the ejection to one service: the same name elsewhere is another instance', async () => {
      const rng = random()
      const s = setup(rng, { maxFailures: rng.int(1, 3) })
      const name = rng.word()
      const sick = await add(s, serviceName(rng), name)
      const fine = await add(s, `${serviceName(rng)}-2`, name)
      for (let i = 0; i < s.options.maxFailures!; i++) await failOnce(s, sick.service, sick, [sick])
      await expectNoInstance(s, sick.service)
      expect(await picked(s, fine.service, [fine])).toBe(fine.name)
    })

    it('keeps the failure counts and ejections of two createApp() instances apart', async () => {
      const rng = random()
      const maxFailures = rng.int(2, 4)
      const mine = setup(rng, { maxFailures })
      const theirs = setup(rng, { maxFailures })
      const service = serviceName(rng)
      const name = rng.word()
      const own = await add(mine, service, name)
      const other = await add(theirs, service, name)
      // maxFailures - 1 failures in each app: neither instance has maxFailures in a row.
      for (let i = 1; i < maxFailures; i++) await failOnce(theirs, service, other, [other])
      for (let i = 1; i < maxFailures; i++) await failOnce(mine, service, own, [own])
      await failOnce(mine, service, own, [own])
      await expectNoInstance(mine, service)
      theirs.up.behave.delete(origin(other))
      expect(await picked(theirs, service, [other]), 'ejected in the other app only').toBe(name)
    })

    it('ejects under least-outstanding too', async () => {
      const rng = random()
      const s = setup(rng, { strategy: 'least-outstanding', maxFailures: rng.int(1, 3) })
      const service = serviceName(rng)
      const [first, second] = await addMany(s, service, 2)
      for (let i = 0; i < s.options.maxFailures!; i++) {
        await failOnce(s, service, first!, [first!, second!])
      }
      s.up.behave.delete(origin(first!))
      expect(await picked(s, service, [first!, second!])).toBe(second!.name)
    })

    it('uses maxFailures 3 and ejectionMs 30000 by default', async () => {
      const rng = random()
      const s = setup(rng)
      const only = await add(s, serviceName(rng))
      for (let i = 0; i < 2; i++) await failOnce(s, only.service, only, [only])
      s.up.behave.delete(origin(only))
      await picked(s, only.service, [only])
      for (let i = 0; i < 3; i++) await failOnce(s, only.service, only, [only])
      s.up.behave.delete(origin(only))
      await expectNoInstance(s, only.service)
      s.clock.advance(29_999)
      expect(await heartbeat(s, only)).toHaveStatus(200)
      await expectNoInstance(s, only.service)
      s.clock.advance(1)
      expect(await picked(s, only.service, [only])).toBe(only.name)
    })

    it('throws a RangeError for an invalid maxFailures or ejectionMs', () => {
      const rng = random()
      const s = setup(rng)
      for (const maxFailures of [0, -1, 1.5, Number.NaN]) {
        const options = { ...s.options, maxFailures }
        expect(() => createApp(options), `maxFailures: ${maxFailures}`).toThrow(RangeError)
      }
      for (const ejectionMs of [0, -1, -30_000, Number.NaN]) {
        const options = { ...s.options, ejectionMs }
        expect(() => createApp(options), `ejectionMs: ${ejectionMs}`).toThrow(RangeError)
      }
      expect(() => createApp({ ...s.options, maxFailures: 1 }), 'maxFailures: 1').not.toThrow()
    })
  })
})
