// app-factory - the hidden spec.
//
// Wrong implementations this spec is built to catch:
// - no validation, or validation on the first request instead of in createApp
// - validation that reports only the first bad field (one if/throw per field)
// - a message that names every field whatever is wrong with the config
// - a blank appName (spaces only, or tabs and newlines), a non-string appName or secret, a
//   31-character secret, maxItems 0, -n, 2.5, NaN, Infinity or "5", or an unknown env (another
//   case, or a prototype key such as "constructor") accepted; a 32-character secret or
//   maxItems 1 (also from MAX_ITEMS=1) rejected
// - an error message that shows the secret (as the bad value, or the whole config)
// - handlers that read the caller's config object after createApp (a later change leaks in)
// - configFromEnv that reads process.env instead of its argument, parses MAX_ITEMS with
//   parseInt ("12abc" -> 12) or leaves it a string, keeps "" instead of the default, or
//   falls back to a default secret
// - config read again inside a handler (from process.env) instead of from createApp's config
// - GET /api/info that leaks the secret (`c.json(config)`)
// - module-level state: the request counter or the item list shared by every app
// - the per-request value kept in a variable shared by all requests (module or app level), so
//   a request in flight reports the number of the request that came after it
// - a middleware only on some routes (404s and other routes not counted or not numbered)
// - items beyond maxItems accepted, or a bad item stored; a JSON null, array or string body
//   crashing to 500 instead of 400
// - the session kept server-side (a global Map keyed by a signed id): an older cookie then
//   brings back the newest count; or a per-app Map: another app with the same config forgets it
// - the session cookie unsigned, signed but never verified, or signed with a hard-coded secret
// - a 500 on a malformed cookie
// - a session cookie without HttpOnly or Path=/, Secure in development or missing in production
import { describe, expect, it } from 'vitest'
import {
  build,
  type Client,
  client,
  focusOn,
  parseSetCookies,
  random,
  task,
  type Reply,
  type Rng,
  type SetCookie,
} from '../../harness/spec-kit/index.ts'
import { configFromEnv, createApp, type AppConfig } from '../../exercises/app-factory/app.ts'

const FIELDS = ['appName', 'secret', 'maxItems', 'env'] as const
type Field = (typeof FIELDS)[number]

/** What configFromEnv falls back to, as the README says. */
const DEFAULTS = { appName: 'hono-app', maxItems: 10, env: 'development' }

const SECRET_CHARS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'

function secretOf(rng: Rng, length: number): string {
  let s = ''
  for (let i = 0; i < length; i++) s += SECRET_CHARS[rng.int(0, SECRET_CHARS.length - 1)]
  return s
}

/** A valid config with random values; `overrides` may break it on purpose. */
function randomConfig(rng: Rng, overrides: Record<string, unknown> = {}): AppConfig {
  return {
    appName: `${rng.word(3, 6)}-${rng.word(3, 8)}`,
    secret: secretOf(rng, rng.int(32, 48)),
    maxItems: rng.int(1, 6),
    env: rng.pick(['development', 'production'] as const),
    ...overrides,
  } as AppConfig
}

/** Runs `build`, expects it to throw an Error, and returns the message. */
function messageOf(build: () => unknown): string {
  let thrown: unknown
  try {
    build()
  } catch (error) {
    thrown = error
  }
  expect(thrown, 'expected an Error to be thrown for this config').toBeInstanceOf(Error)
  return (thrown as Error).message
}

const names = (message: string, field: string) => new RegExp(`\\b${field}\\b`).test(message)

function expectNamed(message: string, field: string): void {
  expect(names(message, field), `the error message must name the field "${field}"`).toBe(true)
}

/** Every Set-Cookie of a reply. */
const setCookies = (reply: Reply): SetCookie[] => parseSetCookies(reply.headers['set-cookie'])

/** The session cookie a reply sets; fails the check without one. */
function sessionCookie(reply: Reply): SetCookie {
  const cookie = setCookies(reply)
    .filter((c) => c.name === 'session')
    .at(-1)
  focusOn(reply)
  const why = 'the response must set the cookie `session` (Set-Cookie: session=...)'
  expect(cookie, why).toBeDefined()
  expect(
    cookie!.value.lastIndexOf('.'),
    'the session cookie must look like <payload>.<signature>',
  ).toBeGreaterThan(0)
  return cookie!
}

interface Visit {
  reply: Reply
  /** The session cookie value the reply set, to send back on the next visit. */
  cookie: string
}

/** GET /api/visits with `cookie` (or none); expects 200 { visits: expected }. */
async function visit(api: Client, cookie: string | undefined, expected: number): Promise<Visit> {
  const headers: Record<string, string> =
    cookie === undefined ? {} : { Cookie: `session=${cookie}` }
  const reply = await api.get('/api/visits', { headers })
  expect(reply).toHaveStatus(200)
  expect(reply).toHaveJsonBody({ visits: expected })
  return { reply, cookie: sessionCookie(reply).value }
}

/** `count` visits in a row by one client; returns every cookie it was given. */
async function visits(api: Client, count: number): Promise<string[]> {
  const cookies: string[] = []
  for (let i = 1; i <= count; i++) cookies.push((await visit(api, cookies.at(-1), i)).cookie)
  return cookies
}

/** Splits a cookie value at its last '.', as the README allows. */
function split(value: string): { payload: string; signature: string } {
  const dot = value.lastIndexOf('.')
  return { payload: value.slice(0, dot), signature: value.slice(dot + 1) }
}

/** Each letter or digit mapped to another one, to alter a signature. */
const REPLACEMENT: Record<string, string> = Object.fromEntries(
  [...SECRET_CHARS.slice(0, 62)].map((ch, i, all) => [ch, all[(i + 1) % all.length]!]),
)

/** The signature with one letter or digit changed (skipping %XX escapes). */
function alterSignature(signature: string): string {
  for (let i = 0; i < signature.length; i++) {
    if (signature[i] === '%') {
      i += 2
      continue
    }
    const next = REPLACEMENT[signature[i]!]
    if (next !== undefined) return signature.slice(0, i) + next + signature.slice(i + 1)
  }
  return `${signature}A`
}

describe('app-factory', () => {
  task(1, 'Validate the config', () => {
    it.each([
      ['appName', 'is empty', () => ''],
      ['appName', 'is only spaces', () => '   '],
      ['appName', 'is missing', () => undefined],
      ['appName', 'is only whitespace (tabs, newlines)', () => '\t \n'],
      ['appName', 'is a number', (rng: Rng) => rng.int(1, 999)],
      ['secret', 'is 31 characters long', (rng: Rng) => secretOf(rng, 31)],
      ['secret', 'is missing', () => undefined],
      ['secret', 'is not a string', (rng: Rng) => 10 ** 40 + rng.int(1, 9)],
      ['maxItems', 'is 0', () => 0],
      ['maxItems', 'is negative', (rng: Rng) => -rng.int(1, 50)],
      ['maxItems', 'is fractional', (rng: Rng) => rng.int(1, 9) + 0.5],
      ['maxItems', 'is NaN', () => Number.NaN],
      ['maxItems', 'is a numeric string', (rng: Rng) => String(rng.int(1, 9))],
      ['maxItems', 'is Infinity', () => Number.POSITIVE_INFINITY],
      ['env', 'is "staging"', () => 'staging'],
      ['env', 'is "test"', () => 'test'],
      ['env', 'is "Production"', () => 'Production'],
      ['env', 'is "constructor"', () => 'constructor'],
    ] as const)('throws naming %s (and no other field) when it %s', (field, _case, make) => {
      const rng = random()
      const config = randomConfig(rng, { [field]: make(rng) })
      const message = messageOf(() => build(createApp, config))
      expectNamed(message, field)
      for (const other of FIELDS.filter((f) => f !== field)) {
        const why = `"${other}" is valid here: the message must not name it`
        expect(names(message, other), why).toBe(false)
      }
    })

    it('names every bad field in one error, not just the first', () => {
      const rng = random()
      const config = randomConfig(rng, {
        appName: '',
        secret: secretOf(rng, rng.int(0, 31)),
        maxItems: rng.int(-9, 0),
        env: rng.pick(['staging', 'prod', 'dev', '']),
      })
      const message = messageOf(() => build(createApp, config))
      for (const field of FIELDS) expectNamed(message, field)
    })

    it('names every bad field when only some are bad', () => {
      const rng = random()
      const bad = rng.shuffle<Field>(FIELDS).slice(0, rng.int(2, 3))
      const breakers: Record<Field, unknown> = {
        appName: '',
        secret: secretOf(rng, rng.int(1, 31)),
        maxItems: 0,
        env: 'staging',
      }
      const config = randomConfig(rng, Object.fromEntries(bad.map((f) => [f, breakers[f]])))
      const message = messageOf(() => build(createApp, config))
      for (const field of bad) expectNamed(message, field)
    })

    it('accepts a secret of exactly 32 characters and maxItems 1', async () => {
      const rng = random()
      const config = randomConfig(rng, { secret: secretOf(rng, 32), maxItems: 1 })
      const res = await client(createApp(config)).get('/api/info')
      expect(res).toHaveStatus(200)
      expect(res).toHaveJsonBody(expect.objectContaining({ maxItems: 1 }))
    })

    it('keeps the config it validated: later changes to the object change nothing', async () => {
      const rng = random()
      const config = randomConfig(rng)
      const { appName, env, maxItems } = config
      const api = client(createApp(config))
      // Reflect.set, not assignment: an app that froze the caller's object is fine too.
      Reflect.set(config, 'appName', `${appName}-${rng.word()}`)
      Reflect.set(config, 'maxItems', maxItems + rng.int(1, 9))
      Reflect.set(config, 'env', env === 'production' ? 'development' : 'production')
      const res = await api.get('/api/info')
      expect(res).toHaveJsonBody(expect.objectContaining({ appName, env, maxItems }))
    })
    it('GET /api/info answers appName, env and maxItems from the config', async () => {
      const rng = random()
      const config = randomConfig(rng)
      const res = await client(createApp(config)).get('/api/info')
      expect(res).toHaveStatus(200)
      expect(res).toHaveJsonBody(
        expect.objectContaining({
          appName: config.appName,
          env: config.env,
          maxItems: config.maxItems,
        }),
      )
    })

    it('never shows the secret on GET /api/info', async () => {
      const rng = random()
      const config = randomConfig(rng)
      const res = await client(createApp(config)).get('/api/info')
      expect(res).toHaveStatus(200)
      expect(res.text.includes(config.secret), 'the body must not contain the secret').toBe(false)
      expect(res.body, 'the body has no secret field').not.toHaveProperty('secret')
      for (const [name, value] of Object.entries(res.headers)) {
        const why = `header ${name} must not contain the secret`
        expect(value.includes(config.secret), why).toBe(false)
      }
    })

    it('never puts the secret in the error message, even when the secret is the bad field', () => {
      const rng = random()
      for (const overrides of [
        { secret: secretOf(rng, rng.int(20, 31)) },
        { appName: '', env: 'staging' },
      ]) {
        const config = randomConfig(rng, overrides)
        const message = messageOf(() => build(createApp, config))
        expect(message.includes(config.secret), 'the message must not contain the secret').toBe(
          false,
        )
      }
    })

  })

  task(2, 'Read the config from the environment', () => {
    it('reads APP_NAME, APP_SECRET, MAX_ITEMS (as a number) and NODE_ENV', async () => {
      const rng = random()
      const expected = randomConfig(rng)
      const config = configFromEnv({
        APP_NAME: expected.appName,
        APP_SECRET: expected.secret,
        MAX_ITEMS: String(expected.maxItems),
        NODE_ENV: expected.env,
        [`${rng.word().toUpperCase()}_HOME`]: rng.word(),
      })
      expect(config, 'configFromEnv builds the config from the variables').toMatchObject(expected)
      const res = await client(createApp(config)).get('/api/info')
      expect(res).toHaveJsonBody(
        expect.objectContaining({
          appName: expected.appName,
          env: expected.env,
          maxItems: expected.maxItems,
        }),
      )
    })

    it('falls back to appName "hono-app", maxItems 10 and env "development"', () => {
      const secret = secretOf(random(), 40)
      const config = configFromEnv({ APP_SECRET: secret })
      expect(config, 'configFromEnv falls back to the defaults').toMatchObject({ ...DEFAULTS, secret })
    })

    it('treats an empty variable as unset', () => {
      const secret = secretOf(random(), 40)
      const env = { APP_SECRET: secret, APP_NAME: '', MAX_ITEMS: '', NODE_ENV: '' }
      const config = configFromEnv(env)
      expect(config, 'configFromEnv falls back to the defaults').toMatchObject({ ...DEFAULTS, secret })
    })

    it('has no default secret: without APP_SECRET the app refuses to start, naming secret', () => {
      const rng = random()
      for (const env of [{}, { APP_SECRET: '' }, { APP_SECRET: secretOf(rng, 31) }]) {
        const message = messageOf(() =>
          createApp(configFromEnv({ APP_NAME: rng.word(), NODE_ENV: 'production', ...env })),
        )
        expectNamed(message, 'secret')
      }
    })

    it.each([['ten'], ['12abc'], ['1.5'], ['0'], ['-3'], ['0x']])(
      'refuses MAX_ITEMS=%s, naming maxItems',
      (value) => {
        const secret = secretOf(random(), 40)
        const message = messageOf(() =>
          createApp(configFromEnv({ APP_SECRET: secret, MAX_ITEMS: value })),
        )
        expect(
          names(message, 'maxItems') || names(message, 'MAX_ITEMS'),
          'the error message must name maxItems (or MAX_ITEMS)',
        ).toBe(true)
      },
    )

    it('accepts MAX_ITEMS=1, the smallest list', async () => {
      const secret = secretOf(random(), 40)
      const config = configFromEnv({ APP_SECRET: secret, MAX_ITEMS: '1' })
      expect(config, 'configFromEnv reads MAX_ITEMS=1 as the number 1').toMatchObject({ maxItems: 1 })
      const res = await client(build(createApp, config)).get('/api/info')
      expect(res).toHaveJsonBody(expect.objectContaining({ maxItems: 1 }))
    })

    it.each([['staging'], ['test'], ['Production']])('refuses NODE_ENV=%s, naming env', (value) => {
      const secret = secretOf(random(), 40)
      const message = messageOf(() =>
        createApp(configFromEnv({ APP_SECRET: secret, NODE_ENV: value })),
      )
      expect(
        names(message, 'env') || names(message, 'NODE_ENV'),
        'the error message must name env (or NODE_ENV)',
      ).toBe(true)
    })
  })

  task(3, 'Keep an item list per app', () => {
    it('POST /api/items answers 201 with the whole list, shared by every client', async () => {
      const rng = random()
      const config = randomConfig(rng, { maxItems: rng.int(3, 6) })
      const api = client(createApp(config))
      const names = Array.from({ length: config.maxItems }, (_, i) => `${rng.word()}-${i}`)
      for (let i = 0; i < names.length; i++) {
        // Each item from another "client": a cookie of its own, or none.
        const cookie = `${rng.word()}.${rng.word()}`
        const res = await api.post('/api/items', {
          json: { name: names[i] },
          headers: i % 2 === 0 ? { Cookie: `session=${cookie}` } : {},
        })
        expect(res).toHaveHeader('x-request-number', String(i + 1))
        expect(res).toHaveStatus(201)
        expect(res).toHaveJsonBody({ items: names.slice(0, i + 1) })
      }
      const list = await api.get('/api/items')
      expect(list).toHaveStatus(200)
      expect(list).toHaveJsonBody({ items: names })
    })

    it('answers 409 { error: "too_many_items" } once the list holds maxItems', async () => {
      const rng = random()
      const config = randomConfig(rng)
      const api = client(createApp(config))
      const names = Array.from({ length: config.maxItems }, (_, i) => `${rng.word()}-${i}`)
      for (const name of names) {
        expect(await api.post('/api/items', { json: { name } })).toHaveStatus(201)
      }
      const res = await api.post('/api/items', { json: { name: rng.word() } })
      expect(res).toHaveStatus(409)
      expect(res).toHaveJsonBody({ error: 'too_many_items' })
      expect(await api.get('/api/items')).toHaveJsonBody({ items: names })
    })

    it.each([
      ['without a name', { json: {} }],
      ['with an empty name', { json: { name: '' } }],
      ['with a number as the name', { json: { name: 42 } }],
      ['that is not JSON', { body: '{name', headers: { 'Content-Type': 'application/json' } }],
      ['that is JSON null', { body: 'null', headers: { 'Content-Type': 'application/json' } }],
      ['that is a JSON array', { json: ['name'] }],
      ['that is a JSON string', { json: 'name' }],
    ])('answers 400 { error: "invalid_item" } for a body %s, storing nothing', async (_c, opts) => {
      const api = client(createApp(randomConfig(random())))
      const res = await api.post('/api/items', opts)
      expect(res).toHaveStatus(400)
      expect(res).toHaveJsonBody({ error: 'invalid_item' })
      expect(await api.get('/api/items')).toHaveJsonBody({ items: [] })
    })

    it('gives each app its own list, even two apps from the same config', async () => {
      const rng = random()
      const config = randomConfig(rng)
      const first = client(createApp(config))
      const name = rng.word()
      expect(await first.post('/api/items', { json: { name } })).toHaveStatus(201)
      const second = client(createApp(config))
      expect(await second.get('/api/items')).toHaveJsonBody({ items: [] })
      expect(await first.get('/api/items')).toHaveJsonBody({ items: [name] })
    })
  })

  task(4, 'Number every request', () => {
    it('numbers every request the app receives from 1, whatever its path', async () => {
      const rng = random()
      const api = client(createApp(randomConfig(rng)))
      const paths = ['/api/info', '/api/visits', '/api/items', `/${rng.word()}`, '/api/request']
      const sequence = [...rng.shuffle(paths), ...paths.slice(0, rng.int(0, 3))]
      const count = sequence.length
      for (let i = 1; i <= count; i++) {
        const res = await api.get(sequence[i - 1]!)
        expect(res).toHaveHeader('x-request-number', String(i))
      }
      const res = await api.get('/api/request')
      expect(res).toHaveStatus(200)
      expect(res).toHaveJsonBody({ requestNumber: count + 1 })
      expect(res).toHaveHeader('x-request-number', String(count + 1))
    })

    it('answers 404 { error: "not_found" } for an unknown path, numbered too', async () => {
      const rng = random()
      const api = client(createApp(randomConfig(rng)))
      const res = await api.get(rng.pick([`/${rng.word()}`, `/api/${rng.word()}`]))
      expect(res).toHaveStatus(404)
      expect(res).toHaveJsonBody({ error: 'not_found' })
      expect(res).toHaveHeader('x-request-number', '1')
    })

    it('keeps each request its own number while requests overlap', async () => {
      const rng = random()
      let entered!: () => void
      const firstEntered = new Promise<void>((resolve) => (entered = resolve))
      let release!: () => void
      const held = new Promise<void>((resolve) => (release = resolve))
      let calls = 0
      // The first request waits inside work() until the later ones are answered.
      const app = createApp(randomConfig(rng), {
        work: async () => {
          if (calls++ === 0) {
            entered()
            await held
          }
        },
      })
      const api = client(app)
      const pending = api.get('/api/request')
      await Promise.race([firstEntered, pending])
      const others = rng.int(1, 3)
      for (let i = 2; i <= others + 1; i++) {
        const res = await api.get('/api/request')
        expect(res).toHaveJsonBody({ requestNumber: i })
        expect(res).toHaveHeader('x-request-number', String(i))
      }
      release()
      const first = await pending
      expect(first).toHaveStatus(200)
      expect(first).toHaveJsonBody({ requestNumber: 1 })
      expect(first).toHaveHeader('x-request-number', '1')
      expect(calls, 'GET /api/request must await hooks.work() once per request').toBe(others + 1)
    })

    it('counts per app: a second app starts again at 1', async () => {
      const rng = random()
      const config = randomConfig(rng)
      const first = client(createApp(config))
      const count = rng.int(2, 5)
      for (let i = 0; i < count; i++) await first.get('/api/info')
      const second = client(createApp(randomConfig(rng)))
      expect(await second.get('/api/request')).toHaveJsonBody({ requestNumber: 1 })
      const again = client(createApp(config))
      expect(await again.get('/api/request')).toHaveJsonBody({ requestNumber: 1 })
      expect(await first.get('/api/request')).toHaveJsonBody({ requestNumber: count + 1 })
    })
  })

  task(5, 'Count visits in a signed cookie', () => {
    it('starts at 1 and sets a session cookie with HttpOnly and Path=/', async () => {
      const api = client(createApp(randomConfig(random())))
      const { reply } = await visit(api, undefined, 1)
      const cookie = sessionCookie(reply)
      expect(cookie.attributes, 'the session cookie must be HttpOnly').toHaveProperty('httponly')
      expect(cookie.attributes.path, 'the session cookie must have Path=/').toBe('/')
    })

    it('counts the visits of a client that sends its cookie back', async () => {
      const rng = random()
      const api = client(createApp(randomConfig(rng)))
      await visits(api, rng.int(3, 7))
    })

    it('keeps clients apart: each cookie counts for its own client', async () => {
      const rng = random()
      const api = client(createApp(randomConfig(rng)))
      const a = await visits(api, rng.int(2, 4))
      const b = await visits(api, 1)
      await visit(api, a.at(-1), a.length + 1)
      await visit(api, b.at(-1), 2)
    })

    it('marks the session cookie Secure in production', async () => {
      const api = client(createApp(randomConfig(random(), { env: 'production' })))
      const { reply } = await visit(api, undefined, 1)
      const why = 'production: the cookie must be Secure'
      expect(sessionCookie(reply).attributes, why).toHaveProperty('secure')
    })

    it('leaves Secure off in development (http://localhost would never send it back)', async () => {
      const api = client(createApp(randomConfig(random(), { env: 'development' })))
      const { reply } = await visit(api, undefined, 1)
      expect(
        sessionCookie(reply).attributes,
        'development: the cookie must not be Secure',
      ).not.toHaveProperty('secure')
    })

    it('starts over when the payload was swapped under another signature', async () => {
      const rng = random()
      const api = client(createApp(randomConfig(rng)))
      const cookies = await visits(api, rng.int(3, 5))
      const forged = `${split(cookies.at(-1)!).payload}.${split(cookies[0]!).signature}`
      const fresh = await visit(api, forged, 1)
      // The new session is a good one: it counts on from 1.
      await visit(api, fresh.cookie, 2)
    })

    it('starts over when the signature was altered', async () => {
      const rng = random()
      const api = client(createApp(randomConfig(rng)))
      const cookies = await visits(api, rng.int(2, 4))
      const { payload, signature } = split(cookies.at(-1)!)
      await visit(api, `${payload}.${alterSignature(signature)}`, 1)
    })

    it.each([['garbage'], ['.'], ['abc.def'], ['%E0%A4%A'], ['7']])(
      'starts over (200, not 500) on the malformed cookie %s',
      async (value) => {
        const api = client(createApp(randomConfig(random())))
        await visit(api, value, 1)
      },
    )

    it('rejects a session cookie signed by an app with another secret', async () => {
      const rng = random()
      const config = randomConfig(rng)
      const mine = client(createApp(config))
      const theirs = client(createApp({ ...config, secret: secretOf(rng, rng.int(32, 48)) }))
      const cookies = await visits(theirs, rng.int(2, 4))
      await visit(mine, cookies.at(-1), 1)
    })

    it('accepts the cookie on another app built from the same config', async () => {
      const rng = random()
      const config = randomConfig(rng)
      const cookies = await visits(client(createApp(config)), rng.int(2, 4))
      await visit(client(createApp({ ...config })), cookies.at(-1), cookies.length + 1)
    })

    it('keeps the session in the cookie: an older cookie brings back the older count', async () => {
      const rng = random()
      const api = client(createApp(randomConfig(rng)))
      const cookies = await visits(api, rng.int(3, 6))
      const k = rng.int(1, cookies.length - 1)
      await visit(api, cookies[k - 1], k + 1)
    })
  })
})
