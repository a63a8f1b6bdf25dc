// config-layers - the hidden spec.
//
// Wrong implementations this spec is built to catch:
// - a shallow merge ({ ...defaults, ...file }): a file that sets db.poolSize loses db.host
// - arrays merged item by item or concatenated instead of replaced
// - a merge that writes into the defaults (or the built-in DEFAULTS): the next call inherits
//   the previous call's file
// - a naive deep merge or path setter that follows `__proto__` or `constructor.prototype` keys
//   from the file or from APP_CONSTRUCTOR__PROTOTYPE__... and pollutes Object.prototype, or lets
//   their values into the config
// - file text not parsed, or parsed and treated differently from the object
// - z.coerce.number(): an empty APP_ variable becomes 0 instead of "not set"; parseInt: "12abc"
//   becomes 12; z.coerce.boolean() / Boolean(): "false" and "0" become true; `=== 'true'`:
//   "True" is false
// - environment names matched loosely (includes('APP_'), startsWith('APP'), case-insensitive):
//   MYAPP_PORT, APPLICATION_ID or app_debug read as settings
// - NODE_ENV other than "production" silently taken as development ("prod" runs with debug on)
// - the wrong precedence between any two layers (every pair is checked), e.g. the file's
//   service section below the shared part, or env below the file
// - other services' sections merged or validated; `services` left in the config; a `services`
//   or a section of this service that is not an object silently ignored
// - an overrides key set to undefined overwriting the layers below (at the top or deeper)
// - APP_DB=x next to APP_DB__PORT=1 (or APP_PORT next to APP_PORT__X): the variable read last
//   silently wins instead of an issue at the path, in either order
// - a file that cannot be read ending the check, so the other layers' problems stay hidden
// - validation that stops at the first problem, or reports production rules only when
//   everything else is valid; unknown keys accepted (z.object instead of z.strictObject) or
//   reported at the parent's path; issues at the layer's path instead of the setting's
// - off-by-one bounds: poolSize 0 or 101, port 65536, a password of 11 characters accepted,
//   or 12 refused
// - production rules checked per layer instead of on the merged value (a file's debug=true
//   turned off by APP_DEBUG=0 is refused), or not checked for values from the environment
// - GET /config showing secrets, redacting by mutating the config, or a module-level config
//   shared by two apps
// - secrets in errors: a message quoting the value, the merged config attached to the error,
//   JSON.parse's message (which quotes the file's text) passed on or kept as `cause`
import { inspect } from 'node:util'
import { describe, expect, it } from 'vitest'
import { build, client, random, task, type Rng } from '../../harness/spec-kit/index.ts'
import { ConfigError, createApp, loadConfig, type Config } from '../../exercises/config-layers/app.ts'

type Tree = Record<string, unknown>
type Sources = Parameters<typeof loadConfig>[0]

const BUILT_IN = {
  port: 8080,
  debug: false,
  logLevel: 'info',
  db: { host: 'localhost', port: 5432, poolSize: 10 },
  cors: { origins: [] as string[] },
}

const PRISTINE_OBJECT_PROTOTYPE = Object.getOwnPropertyNames(Object.prototype).sort().join(',')

/** A mixed-case token, so no window of it can turn up in an error message by chance. */
function token(rng: Rng, length: number): string {
  const chars = 'ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnpqrstuvwxyz23456789'
  let out = ''
  for (let i = 0; i < length; i++) out += chars[rng.int(0, chars.length - 1)]
  return out
}

interface Secrets {
  password: string
  sessionSecret: string
}

function secrets(rng: Rng): Secrets {
  return { password: token(rng, rng.int(12, 24)), sessionSecret: token(rng, rng.int(32, 44)) }
}

/** The file part that holds the two required secrets. */
function secretFile(s: Secrets): Tree {
  return { db: { password: s.password }, sessionSecret: s.sessionSecret }
}

function serviceName(rng: Rng): string {
  return `${rng.word(4, 8)}-svc`
}

function isTree(v: unknown): v is Tree {
  return typeof v === 'object' && v !== null && !Array.isArray(v)
}

/** The spec's own deep merge, for expected values (on data it made itself). */
function merge(...layers: Tree[]): Tree {
  const out: Tree = {}
  for (const layer of layers) {
    for (const [k, v] of Object.entries(layer)) {
      if (v === undefined) continue
      out[k] = isTree(v) && isTree(out[k]) ? merge(out[k] as Tree, v) : isTree(v) ? merge(v) : v
    }
  }
  return out
}

function setIn(path: readonly string[], value: unknown): Tree {
  return path.reduceRight<unknown>((inner, key) => ({ [key]: inner }), value) as Tree
}

function expected(service: string, env: string, ...layers: Tree[]): Tree {
  return { env, service, ...merge(BUILT_IN, ...layers) }
}

/** Calls loadConfig, which must return; a throw fails the check with what it said. */
function load(sources: Sources): Config {
  try {
    return build(loadConfig, sources)
  } catch (error) {
    const issues = error instanceof ConfigError ? ` ${JSON.stringify(error.issues)}` : ''
    throw new Error(`loadConfig threw where it should have returned a config: ${(error as Error)?.message ?? String(error)}${issues}`)
  }
}

/** Calls loadConfig, which must throw a ConfigError. */
function loadError(sources: Sources): ConfigError {
  let config: Config
  try {
    config = build(loadConfig, sources)
  } catch (error) {
    expect(error instanceof ConfigError, `loadConfig threw a ConfigError (it threw ${String(error)})`).toBe(true)
    return error as ConfigError
  }
  return expect.fail(`loadConfig returned a config but should have thrown a ConfigError: ${JSON.stringify(config)}`)
}

/** The error's issues name exactly these paths (each at least once), with messages. */
function expectIssuePaths(error: ConfigError, paths: string[]): void {
  expect(Array.isArray(error.issues), 'ConfigError has an issues array').toBe(true)
  for (const issue of error.issues) {
    expect(typeof issue.path, `every issue has a string path: ${JSON.stringify(issue)}`).toBe('string')
    expect(typeof issue.message === 'string' && issue.message.length > 0, `every issue has a message: ${JSON.stringify(issue)}`).toBe(true)
  }
  // An item of a list may be reported at the list's path or at its own (cors.origins.1).
  const got = [...new Set(error.issues.map((i) => String(i.path).replace(/(\.\d+)+$/, '')))].sort()
  expect(got, 'the paths of the issues').toEqual([...new Set(paths)].sort())
  for (const path of paths) {
    if (path) expect(error.message, `the error message names ${path}`).toContain(path)
  }
}

/** Object.prototype is as it was before the check. */
function expectPristinePrototypes(): void {
  const now = Object.getOwnPropertyNames(Object.prototype).sort().join(',')
  expect(now, 'Object.prototype was not changed').toBe(PRISTINE_OBJECT_PROTOTYPE)
  const probe = {} as Tree
  for (const key of ['debug', 'poolSize', 'port', 'logLevel']) {
    expect(probe[key], `({}).${key} is undefined: no prototype was changed`).toBeUndefined()
  }
}

/** Everything an error shows (message, stack, issues, what console.error prints) holds no part of `secret`. */
function expectNoFragments(error: unknown, secret: string): void {
  const err = error as ConfigError
  const shown = [
    String(err?.message),
    String(err?.stack),
    JSON.stringify(err?.issues ?? null),
    inspect(err, { depth: 10 }),
  ].join('\n')
  for (let i = 0; i + 6 <= secret.length; i++) {
    const part = secret.slice(i, i + 6)
    expect(shown.includes(part), `the error shows part of a secret ("${part}" of "${secret}")`).toBe(false)
  }
}

// Settings the precedence checks draw from: how to make a value and how the environment spells it.
interface Setting {
  path: readonly string[]
  variable: string
  value: (rng: Rng) => unknown
  text: (rng: Rng, value: unknown) => string
}

const SETTINGS: Setting[] = [
  { path: ['port'], variable: 'APP_PORT', value: (r) => r.int(1024, 65535), text: (_, v) => String(v) },
  {
    path: ['debug'],
    variable: 'APP_DEBUG',
    value: (r) => r.next() < 0.5,
    text: (r, v) => r.pick(v ? ['true', '1', 'True', 'TRUE'] : ['false', '0', 'False', 'FALSE']),
  },
  { path: ['logLevel'], variable: 'APP_LOG_LEVEL', value: (r) => r.pick(['debug', 'info', 'warn', 'error']), text: (_, v) => String(v) },
  { path: ['db', 'host'], variable: 'APP_DB__HOST', value: (r) => `${r.word()}.internal`, text: (_, v) => String(v) },
  { path: ['db', 'port'], variable: 'APP_DB__PORT', value: (r) => r.int(1, 65535), text: (_, v) => String(v) },
  { path: ['db', 'poolSize'], variable: 'APP_DB__POOL_SIZE', value: (r) => r.int(1, 100), text: (_, v) => String(v) },
  {
    path: ['cors', 'origins'],
    variable: 'APP_CORS__ORIGINS',
    value: (r) => Array.from({ length: r.int(1, 3) }, () => `https://${r.word()}.example`),
    text: (r, v) => (v as string[]).join(r.pick([',', ', ', ' , '])),
  },
]

/** Two different values for one setting. */
function twoValues(rng: Rng, setting: Setting): [unknown, unknown] {
  const a = setting.value(rng)
  let b = setting.value(rng)
  for (let i = 0; i < 20 && JSON.stringify(a) === JSON.stringify(b); i++) b = setting.value(rng)
  if (JSON.stringify(a) === JSON.stringify(b)) b = typeof a === 'boolean' ? !a : b
  return [a, b]
}

const LAYERS = ['defaults', 'file', 'section', 'env', 'overrides'] as const
type Layer = (typeof LAYERS)[number]

/** Sources with the secrets in the file, and helpers to set a value in any layer. */
function layered(rng: Rng) {
  const service = serviceName(rng)
  const s = secrets(rng)
  const file: Tree = { ...secretFile(s), services: { [service]: {}, [`${rng.word()}-other`]: { port: 1 } } }
  const sources: Sources & { file: Tree; env: Record<string, string>; overrides: Tree } = {
    file,
    env: {},
    service,
    overrides: {},
  }
  const put = (layer: Layer, setting: Setting, value: unknown) => {
    const tree = setIn(setting.path, value)
    if (layer === 'defaults') sources.defaults = merge(sources.defaults ?? structuredClone(BUILT_IN), tree)
    else if (layer === 'file') Object.assign(file, merge(file, tree))
    else if (layer === 'section') {
      const sections = file['services'] as Tree
      sections[service] = merge(sections[service] as Tree, tree)
    } else if (layer === 'env') sources.env[setting.variable] = setting.text(rng, value)
    else sources.overrides = merge(sources.overrides, tree)
  }
  return { sources, service, secrets: s, put }
}

function valueAt(config: unknown, path: readonly string[]): unknown {
  return path.reduce<unknown>((node, key) => (isTree(node) ? node[key] : undefined), config)
}

describe('config-layers', () => {
  task(1, 'Merge the defaults and the file', () => {
    it('uses the built-in defaults for everything the file does not set', async () => {
      const rng = random()
      const service = serviceName(rng)
      const s = secrets(rng)
      const config = load({ file: secretFile(s), env: {}, service })
      expect(config).toEqual(expected(service, 'development', secretFile(s)))
    })

    it('merges the file deeply: a nested setting keeps its neighbours', async () => {
      const rng = random()
      const service = serviceName(rng)
      const s = secrets(rng)
      const file = merge(secretFile(s), {
        port: rng.int(1024, 65535),
        db: { poolSize: rng.int(1, 100) },
        cors: { origins: [`https://${rng.word()}.example`] },
      })
      expect(load({ file, env: {}, service })).toEqual(expected(service, 'development', file))
    })

    it('replaces arrays instead of merging them', async () => {
      const rng = random()
      const service = serviceName(rng)
      const s = secrets(rng)
      const below = [`https://${rng.word()}.example`, `https://${rng.word()}.example`, `https://${rng.word()}.example`]
      const above = [`https://${rng.word()}.test`]
      const defaults = merge(BUILT_IN, { cors: { origins: below } })
      const file = merge(secretFile(s), { cors: { origins: above } })
      const config = load({ defaults, file, env: {}, service })
      expect(config.cors.origins, 'cors.origins is the file list, whole').toEqual(above)
    })

    it('uses the given defaults instead of the built-in ones', async () => {
      const rng = random()
      const service = serviceName(rng)
      const s = secrets(rng)
      const defaults = {
        port: rng.int(1024, 65535),
        debug: true,
        logLevel: 'warn',
        db: { host: `${rng.word()}.internal`, port: rng.int(1, 65535), poolSize: rng.int(1, 100) },
        cors: { origins: [`https://${rng.word()}.example`] },
      }
      const config = load({ defaults, file: secretFile(s), env: {}, service })
      expect(config).toEqual({ env: 'development', service, ...merge(defaults, secretFile(s)) })
    })

    it('reads a file given as JSON text like the parsed object', async () => {
      const rng = random()
      const service = serviceName(rng)
      const s = secrets(rng)
      const file = merge(secretFile(s), { logLevel: 'warn', db: { host: `${rng.word()}.internal` } })
      const text = JSON.stringify(file, null, rng.pick([0, 2]))
      expect(load({ file: text, env: {}, service })).toEqual(expected(service, 'development', file))
    })

    it('treats a key set to undefined as not set', async () => {
      const rng = random()
      const service = serviceName(rng)
      const s = secrets(rng)
      const file = { ...secretFile(s), port: undefined, db: { password: s.password, poolSize: undefined } }
      const config = load({ file, env: {}, service })
      expect(config.port, 'port').toBe(8080)
      expect(config.db.poolSize, 'db.poolSize').toBe(10)
    })

    it('never changes its inputs: a second call does not see the first call\'s file', async () => {
      const rng = random()
      const service = serviceName(rng)
      const s = secrets(rng)
      const defaults = structuredClone(BUILT_IN)
      const file = merge(secretFile(s), { port: rng.int(1024, 65535), db: { poolSize: rng.int(11, 100) }, cors: { origins: ['https://x.example'] } })
      const before = JSON.stringify({ defaults, file })
      load({ defaults, file, env: {}, service })
      expect(JSON.stringify({ defaults, file }), 'defaults and file are unchanged').toBe(before)
      // Built-in defaults: the same file once, then a file with the secrets only.
      load({ file, env: {}, service })
      const second = load({ file: secretFile(s), env: {}, service })
      expect(second).toEqual(expected(service, 'development', secretFile(s)))
    })

    it.each([
      ['a top-level "__proto__" key', '{"__proto__": {"debug": true, "poolSize": 99}}'],
      ['a "constructor.prototype" path', '{"constructor": {"prototype": {"debug": true, "poolSize": 99}}}'],
      ['a "__proto__" key inside db', '{"db": {"__proto__": {"poolSize": 99, "port": 1}}}'],
    ])('does not pollute prototypes through %s in the file', async (_, extra) => {
      const rng = random()
      const service = serviceName(rng)
      const s = secrets(rng)
      const text = JSON.stringify(secretFile(s)).replace(/}$/, `, ${extra.slice(1)}`)
      let config: Config | undefined
      try {
        config = build(loadConfig, { file: rng.next() < 0.5 ? text : (JSON.parse(text) as Tree), env: {}, service })
      } catch (error) {
        expect(error instanceof ConfigError, `loadConfig threw a ConfigError, or nothing (it threw ${String(error)})`).toBe(true)
      }
      expectPristinePrototypes()
      if (config) {
        expect(config.debug, 'debug keeps its default').toBe(false)
        expect(config.db.poolSize, 'db.poolSize keeps its default').toBe(10)
        expect(config.db.port, 'db.port keeps its default').toBe(5432)
      }
    })

    it('GET /config answers 200 with the config as JSON', async () => {
      const rng = random()
      const service = serviceName(rng)
      const s = secrets(rng)
      const file = merge(secretFile(s), { port: rng.int(1024, 65535), db: { poolSize: rng.int(1, 100) } })
      const config = load({ file, env: {}, service })
      const res = await client(build(createApp, { config })).get('/config')
      expect(res).toHaveStatus(200)
      expect(res).toHaveJsonBody({
        ...expected(service, 'development', file),
        db: { ...(expected(service, 'development', file)['db'] as Tree), password: expect.any(String) },
        sessionSecret: expect.any(String),
      })
    })
  })

  task(2, 'Read the environment', () => {
    it('APP_ variables beat the file, with numbers as numbers', async () => {
      const rng = random()
      const service = serviceName(rng)
      const s = secrets(rng)
      const file = merge(secretFile(s), { port: 3000, logLevel: 'error', db: { host: 'file.internal', poolSize: 5, port: 6000 } })
      const port = rng.int(1024, 65535)
      const poolSize = rng.int(11, 100)
      const dbPort = rng.int(1, 65535)
      const host = `${rng.word()}.internal`
      const env = {
        APP_PORT: String(port),
        APP_LOG_LEVEL: 'warn',
        APP_DB__HOST: host,
        APP_DB__POOL_SIZE: String(poolSize),
        APP_DB__PORT: String(dbPort),
      }
      const config = load({ file, env, service })
      expect(config).toEqual(
        expected(service, 'development', file, { port, logLevel: 'warn', db: { host, poolSize, port: dbPort } }),
      )
    })

    it.each([
      ['true', true],
      ['1', true],
      ['True', true],
      ['TRUE', true],
      ['false', false],
      ['0', false],
      ['False', false],
      ['FALSE', false],
    ])('reads APP_DEBUG=%s as %s', async (text, value) => {
      const rng = random()
      const service = serviceName(rng)
      const s = secrets(rng)
      const file = merge(secretFile(s), { debug: !value })
      expect(load({ file, env: { APP_DEBUG: text }, service }).debug).toBe(value)
    })

    it('reads a list from comma-separated text, spaces around items dropped', async () => {
      const rng = random()
      const service = serviceName(rng)
      const s = secrets(rng)
      const origins = Array.from({ length: rng.int(2, 4) }, () => `https://${rng.word()}.example`)
      const text = origins.map((o, i) => (i % 2 ? ` ${o}` : `${o} `)).join(',')
      const file = merge(secretFile(s), { cors: { origins: ['https://file.example'] } })
      expect(load({ file, env: { APP_CORS__ORIGINS: text }, service }).cors.origins).toEqual(origins)
    })

    it('takes the secrets from APP_DB__PASSWORD and APP_SESSION_SECRET when there is no file', async () => {
      const rng = random()
      const service = serviceName(rng)
      const s = secrets(rng)
      const env = { APP_DB__PASSWORD: s.password, APP_SESSION_SECRET: s.sessionSecret }
      expect(load({ env, service })).toEqual(expected(service, 'development', secretFile(s)))
    })

    it('treats a variable set to the empty string as not set', async () => {
      const rng = random()
      const service = serviceName(rng)
      const s = secrets(rng)
      const file = merge(secretFile(s), { port: rng.int(1024, 65535), debug: true, logLevel: 'warn', db: { host: `${rng.word()}.internal` } })
      const env = {
        APP_PORT: '',
        APP_DEBUG: '',
        APP_LOG_LEVEL: '',
        APP_DB__HOST: '',
        APP_DB__POOL_SIZE: '',
        APP_CORS__ORIGINS: '',
      }
      const config = load({ file, env, service })
      expect(config, 'every setting comes from the file or the defaults').toEqual(expected(service, 'development', file))
    })

    it('treats a variable set to undefined as not set', async () => {
      const rng = random()
      const service = serviceName(rng)
      const s = secrets(rng)
      const file = merge(secretFile(s), { port: rng.int(1024, 65535) })
      const env = { APP_PORT: undefined, APP_DB__POOL_SIZE: undefined }
      expect(load({ file, env, service })).toEqual(expected(service, 'development', file))
    })

    it('ignores every variable whose name does not start with APP_', async () => {
      const rng = random()
      const service = serviceName(rng)
      const s = secrets(rng)
      const env = {
        PATH: '/usr/bin:/bin',
        HOME: `/home/${rng.word()}`,
        APPDATA: 'C:\\Users\\x',
        APPLICATION_ID: String(rng.int(1, 99)),
        MYAPP_PORT: '1',
        XAPP_DEBUG: 'true',
        app_debug: 'true',
        App_Port: '2',
        DEBUG: 'true',
        LOG_LEVEL: 'debug',
        APP_DB__POOL_SIZE: '42',
      }
      const config = load({ file: secretFile(s), env, service })
      expect(config).toEqual(expected(service, 'development', secretFile(s), { db: { poolSize: 42 } }))
    })

    it.each([
      ['production', 'production'],
      ['test', 'test'],
      ['development', 'development'],
      ['', 'development'],
    ])('NODE_ENV=%j gives env %s', async (text, env) => {
      const rng = random()
      const service = serviceName(rng)
      const s = secrets(rng)
      expect(load({ file: secretFile(s), env: { NODE_ENV: text }, service }).env).toBe(env)
    })

    it('does not pollute prototypes through APP_CONSTRUCTOR__PROTOTYPE__DEBUG', async () => {
      const rng = random()
      const service = serviceName(rng)
      const s = secrets(rng)
      const env = { APP_CONSTRUCTOR__PROTOTYPE__DEBUG: 'true', APP_CONSTRUCTOR__PROTOTYPE__POOL_SIZE: '99' }
      let config: Config | undefined
      try {
        config = build(loadConfig, { file: secretFile(s), env, service })
      } catch (error) {
        expect(error instanceof ConfigError, `loadConfig threw a ConfigError, or nothing (it threw ${String(error)})`).toBe(true)
      }
      expectPristinePrototypes()
      if (config) expect(config.debug, 'debug keeps its default').toBe(false)
    })
  })

  task(3, 'Service sections and overrides', () => {
    it("merges this service's section deeply over the rest of the file, and only that one", async () => {
      const rng = random()
      const service = serviceName(rng)
      const s = secrets(rng)
      const section = { port: rng.int(1024, 65535), db: { poolSize: rng.int(1, 100) } }
      const file = {
        ...secretFile(s),
        logLevel: 'warn',
        db: { password: s.password, host: `${rng.word()}.internal`, poolSize: 3 },
        services: {
          [`${rng.word()}-other`]: { debug: true, db: { poolSize: 0, typo: 1 }, unknownKey: 'x' },
          [service]: section,
          [`${rng.word()}-third`]: { port: 'not a number' },
        },
      }
      const config = load({ file, env: {}, service })
      const { services: _, ...shared } = file
      expect(config, 'the shared settings, then the section; no services').toEqual(
        expected(service, 'development', shared, section),
      )
    })

    it('applies no section to a service without one, "constructor" included', async () => {
      const rng = random()
      const s = secrets(rng)
      const service = rng.pick(['constructor', serviceName(rng)])
      const file = { ...secretFile(s), services: { [`${rng.word()}-other`]: { port: 1234 } } }
      const config = load({ file, env: {}, service })
      expect(config).toEqual(expected(service, 'development', secretFile(s)))
    })

    it('overrides beat every layer, and an undefined override is not set, at any depth', async () => {
      const rng = random()
      const l = layered(rng)
      // port and db.poolSize carry the undefined overrides, so the overridden setting is another.
      const setting = rng.pick(SETTINGS.filter((x) => !['port', 'db.poolSize'].includes(x.path.join('.'))))
      const [a, b] = twoValues(rng, setting)
      for (const layer of ['defaults', 'file', 'section', 'env'] as const) l.put(layer, setting, a)
      l.put('overrides', setting, b)
      const port = rng.int(1024, 65535)
      const poolSize = rng.int(1, 100)
      l.put('file', SETTINGS.find((x) => x.path.join('.') === 'port')!, port)
      l.put('section', SETTINGS.find((x) => x.path.join('.') === 'db.poolSize')!, poolSize)
      l.sources.overrides['port'] = undefined
      const db = (l.sources.overrides['db'] ??= {}) as Tree
      db['poolSize'] = undefined
      const config = load(l.sources)
      expect(valueAt(config, setting.path), `${setting.path.join('.')} comes from the overrides`).toEqual(b)
      expect(config.port, 'overrides { port: undefined } leaves port to the file').toBe(port)
      expect(config.db.poolSize, "overrides { db: { poolSize: undefined } } leaves db.poolSize to the service's section").toBe(poolSize)
    })

    const pairs: [Layer, Layer][] = []
    for (let i = 0; i < LAYERS.length; i++) {
      for (let j = i + 1; j < LAYERS.length; j++) pairs.push([LAYERS[j]!, LAYERS[i]!])
    }
    it.each(pairs)('%s beats %s, and the lower layer shows where the higher one is silent', async (high, low) => {
      const rng = random()
      const l = layered(rng)
      const [setting, second] = rng.shuffle(SETTINGS)
      const [a, b] = twoValues(rng, setting!)
      l.put(low, setting!, a)
      l.put(high, setting!, b)
      const only = second!.value(rng)
      l.put(low, second!, only)
      const config = load(l.sources)
      expect(valueAt(config, setting!.path), `${setting!.path.join('.')}, set in ${low} and ${high}`).toEqual(b)
      expect(valueAt(config, second!.path), `${second!.path.join('.')}, set only in ${low}`).toEqual(only)
    })
  })

  task(4, 'Report every problem at once', () => {
    it('throws one ConfigError that lists the problems of every layer', async () => {
      const rng = random()
      const service = serviceName(rng)
      const s = secrets(rng)
      const file = { db: { password: s.password, poolSize: rng.pick([0, 101, 500]) } }
      const env = { APP_PORT: rng.pick(['abc', 'eighty', '80a']) }
      const overrides = { logLevel: rng.pick(['verbose', 'trace', 'INFOO']) }
      const error = loadError({ file, env, overrides, service })
      expectIssuePaths(error, ['db.poolSize', 'port', 'logLevel', 'sessionSecret'])
    })

    it.each([
      ['APP_PORT', 'abc', 'port'],
      ['APP_DB__POOL_SIZE', '12abc', 'db.poolSize'],
      ['APP_DB__PORT', '10.5', 'db.port'],
      ['APP_DEBUG', 'maybe', 'debug'],
      ['APP_DEBUG', '2', 'debug'],
      ['APP_DEBUG', 'ture', 'debug'],
      ['APP_LOG_LEVEL', 'verbose', 'logLevel'],
    ])('refuses %s=%s with an issue at %s', async (name, text, path) => {
      const rng = random()
      const s = secrets(rng)
      expectIssuePaths(loadError({ file: secretFile(s), env: { [name]: text }, service: serviceName(rng) }), [path])
    })

    it.each([
      ['db.poolSize', ['db', 'poolSize'], 0],
      ['db.poolSize', ['db', 'poolSize'], 101],
      ['port', ['port'], 0],
      ['port', ['port'], 65536],
      ['db.port', ['db', 'port'], 70000],
      ['db.host', ['db', 'host'], ''],
      ['cors.origins', ['cors', 'origins'], ['https://a.example', '']],
      ['debug', ['debug'], 'yes please'],
    ])('refuses %s = %j from the file', async (path, keys, value) => {
      const rng = random()
      const s = secrets(rng)
      const file = merge(secretFile(s), setIn(keys, value))
      expectIssuePaths(loadError({ file, env: {}, service: serviceName(rng) }), [path])
    })

    it('accepts the bounds: poolSize 1 and 100, port 65535, a 12-character password, a 32-character secret', async () => {
      const rng = random()
      const service = serviceName(rng)
      const s = { password: token(rng, 12), sessionSecret: token(rng, 32) }
      const poolSize = rng.pick([1, 100])
      const file = merge(secretFile(s), { port: 65535, db: { poolSize, port: 1 } })
      expect(load({ file, env: {}, service })).toEqual(expected(service, 'development', file))
    })

    it('refuses an 11-character password and a 31-character session secret', async () => {
      const rng = random()
      const s = { password: token(rng, 11), sessionSecret: token(rng, 31) }
      expectIssuePaths(loadError({ file: secretFile(s), env: {}, service: serviceName(rng) }), ['db.password', 'sessionSecret'])
    })

    it('requires both secrets', async () => {
      const rng = random()
      expectIssuePaths(loadError({ env: {}, service: serviceName(rng) }), ['db.password', 'sessionSecret'])
    })

    it.each([
      ['an unknown top-level key in the file', { file: { dbb: { poolSize: 5 } } }, 'dbb'],
      ['an unknown key inside db in the file', { file: { db: { poolsize: 5 } } }, 'db.poolsize'],
      ['a misspelt variable APP_DB__POOLSIZE', { env: { APP_DB__POOLSIZE: '5' } }, 'db.poolsize'],
      ['a misspelt variable APP_DEBUGG', { env: { APP_DEBUGG: 'true' } }, 'debugg'],
      ['an unknown override', { overrides: { logLevell: 'warn' } }, 'logLevell'],
      ['an unknown key in the service section', { section: { db: { typo: 1 } } }, 'db.typo'],
      ['an "env" key in the file', { file: { env: 'production' } }, 'env'],
      ['an APP_SERVICE variable', { env: { APP_SERVICE: 'other' } }, 'service'],
      ['a "services" key in the overrides', { overrides: { services: {} } }, 'services'],
    ])('refuses %s', async (_, where, path) => {
      const rng = random()
      const service = serviceName(rng)
      const s = secrets(rng)
      const w = where as { file?: Tree; env?: Record<string, string>; overrides?: Tree; section?: Tree }
      const file = merge(secretFile(s), w.file ?? {}, w.section ? { services: { [service]: w.section } } : {})
      const sources: Sources = { file, env: w.env ?? {}, service, ...(w.overrides ? { overrides: w.overrides } : {}) }
      expectIssuePaths(loadError(sources), [path])
    })

    it.each([
      ['"__proto__"', '"__proto__": {"debug": true}', '__proto__'],
      ['"constructor"', '"constructor": {"prototype": {"debug": true}}', 'constructor'],
      ['"__proto__" inside db', '"db": {"__proto__": {"poolSize": 99}, "password": "PASSWORD"}', 'db.__proto__'],
    ])('reports a file key named %s as unknown, without polluting anything', async (_, member, path) => {
      const rng = random()
      const s = secrets(rng)
      const text = `{"sessionSecret": "${s.sessionSecret}", "db": {"password": "${s.password}"}, ${member.replace('PASSWORD', s.password)}}`
      // A key given twice (db) keeps the last one, which holds the password too.
      const file = rng.next() < 0.5 ? text : (JSON.parse(text) as Tree)
      const error = loadError({ file, env: {}, service: serviceName(rng) })
      expectPristinePrototypes()
      expectIssuePaths(error, [path])
    })

    it('reports a variable below a plain setting at that setting: APP_PORT__X is an issue at port', async () => {
      const rng = random()
      const s = secrets(rng)
      const variable = `APP_PORT__${rng.pick(['X', 'VALUE', 'NUMBER'])}`
      expectIssuePaths(loadError({ file: secretFile(s), env: { [variable]: String(rng.int(1, 65535)) }, service: serviceName(rng) }), ['port'])
    })

    it.each([
      ['APP_DB', 'APP_DB__PORT', 'db'],
      ['APP_PORT', 'APP_PORT__X', 'port'],
    ])('reports %s next to %s at %s, in either order', async (value, below, path) => {
      const rng = random()
      const s = secrets(rng)
      const variables: [string, string][] = [
        [value, String(rng.int(1024, 65535))],
        [below, String(rng.int(1024, 65535))],
      ]
      for (const order of [variables, [...variables].reverse()]) {
        const env = Object.fromEntries(order)
        const error = loadError({ file: secretFile(s), env, service: serviceName(rng) })
        expect(error.issues.map((i) => i.path), `the paths of the issues for env ${JSON.stringify(env)}`).toContain(path)
        expectIssuePaths(error, [path])
      }
    })

    it('reports APP_CONSTRUCTOR__PROTOTYPE__DEBUG as the unknown key "constructor"', async () => {
      const rng = random()
      const s = secrets(rng)
      const error = loadError({ file: secretFile(s), env: { APP_CONSTRUCTOR__PROTOTYPE__DEBUG: 'true' }, service: serviceName(rng) })
      expectPristinePrototypes()
      expectIssuePaths(error, ['constructor'])
    })

    it.each(['prod', 'Production', 'staging', 'dev'])('refuses NODE_ENV=%s with an issue at env', async (text) => {
      const rng = random()
      const s = secrets(rng)
      expectIssuePaths(loadError({ file: secretFile(s), env: { NODE_ENV: text }, service: serviceName(rng) }), ['env'])
    })

    it.each([
      ['text that is not JSON', '{"port": 8080,'],
      ['a JSON array', '[{"port": 8080}]'],
      ['JSON null', 'null'],
      ['a JSON number', '42'],
    ])('reports a file that is %s at the path ""', async (_, text) => {
      const rng = random()
      const s = secrets(rng)
      const env = { APP_DB__PASSWORD: s.password, APP_SESSION_SECRET: s.sessionSecret }
      const file = rng.next() < 0.5 || text.startsWith('{') ? text : (JSON.parse(text) as Tree)
      const error = loadError({ file, env, service: serviceName(rng) })
      expect(error.issues.map((i) => i.path), 'an issue at the path ""').toContain('')
      // The file counts as an empty layer: the others are still merged and checked, all at once.
      const more = loadError({ file, env: { ...env, APP_PORT: rng.pick(['abc', '80a']) }, overrides: { logLevel: 'verbose' }, service: serviceName(rng) })
      expectIssuePaths(more, ['', 'port', 'logLevel'])
      // Secrets only the broken file could have held are missing, and that is said too.
      expectIssuePaths(loadError({ file, env: {}, service: serviceName(rng) }), ['', 'db.password', 'sessionSecret'])
    })

    it("reports a services that is not an object, and this service's section that is not one", async () => {
      const rng = random()
      const s = secrets(rng)
      const service = serviceName(rng)
      for (const services of [5, 'billing', [{ port: 1 }], true, null]) {
        expectIssuePaths(loadError({ file: { ...secretFile(s), services }, env: {}, service }), ['services'])
      }
      for (const section of [5, 'x', [{ port: 1 }], null]) {
        expectIssuePaths(loadError({ file: { ...secretFile(s), services: { [service]: section } }, env: {}, service }), [`services.${service}`])
        // Another service's section is not read at all, however wrong it is.
        const config = load({ file: { ...secretFile(s), services: { [`${rng.word()}-other`]: section } }, env: {}, service })
        expect(config).toEqual(expected(service, 'development', secretFile(s)))
      }
    })

    it('refuses an empty service name', async () => {
      const rng = random()
      const s = secrets(rng)
      expectIssuePaths(loadError({ file: secretFile(s), env: {}, service: '' }), ['service'])
    })
  })

  task(5, 'Refuse debug settings in production', () => {
    const production = { NODE_ENV: 'production' }

    it.each([
      ['debug: true in the file', { file: { debug: true } }, 'debug'],
      ['APP_DEBUG=1', { env: { APP_DEBUG: '1' } }, 'debug'],
      ['APP_DEBUG=True', { env: { APP_DEBUG: 'True' } }, 'debug'],
      ['debug: true in the overrides', { overrides: { debug: true } }, 'debug'],
      ['logLevel "debug" in the file', { file: { logLevel: 'debug' } }, 'logLevel'],
      ['APP_LOG_LEVEL=debug', { env: { APP_LOG_LEVEL: 'debug' } }, 'logLevel'],
      ['a "*" origin in the file', { file: { cors: { origins: ['https://a.example', '*'] } } }, 'cors.origins'],
      ['APP_CORS__ORIGINS with a *', { env: { APP_CORS__ORIGINS: 'https://a.example, *' } }, 'cors.origins'],
      ['a "*" origin in the service section', { section: { cors: { origins: ['*'] } } }, 'cors.origins'],
    ])('refuses %s in production', async (_, where, path) => {
      const rng = random()
      const service = serviceName(rng)
      const s = secrets(rng)
      const w = where as { file?: Tree; env?: Record<string, string>; overrides?: Tree; section?: Tree }
      const file = merge(secretFile(s), w.file ?? {}, w.section ? { services: { [service]: w.section } } : {})
      const sources: Sources = { file, env: { ...production, ...w.env }, service, ...(w.overrides ? { overrides: w.overrides } : {}) }
      expectIssuePaths(loadError(sources), [path])
    })

    it('reports all three at once', async () => {
      const rng = random()
      const s = secrets(rng)
      const file = merge(secretFile(s), { debug: true, logLevel: 'debug', cors: { origins: ['*'] } })
      expectIssuePaths(loadError({ file, env: production, service: serviceName(rng) }), ['debug', 'logLevel', 'cors.origins'])
    })

    it('reports them together with problems of other settings', async () => {
      const rng = random()
      const s = secrets(rng)
      const file = merge(secretFile(s), { debug: true, logLevel: 'debug' })
      const env = { ...production, APP_PORT: rng.pick(['abc', 'x1', '8080x']) }
      expectIssuePaths(loadError({ file, env, service: serviceName(rng) }), ['port', 'debug', 'logLevel'])
    })

    it('judges the merged value: a higher layer may turn the debug settings off', async () => {
      const rng = random()
      const service = serviceName(rng)
      const s = secrets(rng)
      const file = merge(secretFile(s), { debug: true, logLevel: 'debug', cors: { origins: ['*'] } })
      const origins = [`https://${rng.word()}.example`]
      const env = { ...production, APP_DEBUG: rng.pick(['0', 'false', 'False']), APP_LOG_LEVEL: 'warn' }
      const config = load({ file, env, service, overrides: { cors: { origins } } })
      expect(config).toEqual(expected(service, 'production', file, { debug: false, logLevel: 'warn', cors: { origins } }))
    })

    it.each(['development', 'test'])('allows all three when NODE_ENV=%s', async (nodeEnv) => {
      const rng = random()
      const service = serviceName(rng)
      const s = secrets(rng)
      const file = merge(secretFile(s), { logLevel: 'debug', cors: { origins: ['*'] } })
      const config = load({ file, env: { NODE_ENV: nodeEnv, APP_DEBUG: '1' }, service })
      expect(config).toEqual(expected(service, nodeEnv, file, { debug: true }))
    })
  })

  task(6, 'Keep secrets out of errors and GET /config', () => {
    it('GET /config shows "[redacted]" for each secret and everything else as loaded', async () => {
      const rng = random()
      const service = serviceName(rng)
      const s = secrets(rng)
      const file = merge(secretFile(s), { db: { poolSize: rng.int(1, 100) }, cors: { origins: ['https://a.example'] } })
      const config = load({ file, env: { NODE_ENV: rng.pick(['production', 'test', '']) }, service })
      const res = await client(build(createApp, { config })).get('/config')
      expect(res).toHaveStatus(200)
      const shown = structuredClone(config) as unknown as Tree
      ;(shown['db'] as Tree)['password'] = '[redacted]'
      shown['sessionSecret'] = '[redacted]'
      expect(res).toHaveJsonBody(shown)
    })

    it('leaves the config alone, and each app shows its own', async () => {
      const rng = random()
      const [s1, s2] = [secrets(rng), secrets(rng)]
      const one = load({ file: merge(secretFile(s1), { port: 1111 }), env: {}, service: serviceName(rng) })
      const two = load({ file: merge(secretFile(s2), { port: 2222 }), env: {}, service: serviceName(rng) })
      const before = JSON.stringify(one)
      const api1 = client(build(createApp, { config: one }))
      const api2 = client(build(createApp, { config: two }))
      for (const api of [api1, api2, api1]) await api.get('/config')
      const res = await api1.get('/config')
      expect(res).toHaveStatus(200)
      expect(res).toHaveJsonBody(expect.objectContaining({ port: 1111, sessionSecret: '[redacted]' }))
      expect(res.text.includes(s1.password) || res.text.includes(s1.sessionSecret), 'no secret in the body').toBe(false)
      expect(JSON.stringify(one), 'the config passed to createApp still holds its secrets').toBe(before)
    })

    it('does not show a secret that is itself invalid', async () => {
      const rng = random()
      const s = { password: token(rng, rng.int(7, 11)), sessionSecret: token(rng, rng.int(20, 31)) }
      const env = { APP_DB__PASSWORD: s.password, APP_SESSION_SECRET: s.sessionSecret }
      const error = loadError({ env, service: serviceName(rng) })
      expectIssuePaths(error, ['db.password', 'sessionSecret'])
      expectNoFragments(error, s.password)
      expectNoFragments(error, s.sessionSecret)
    })

    it('does not show valid secrets when other settings are wrong', async () => {
      const rng = random()
      const s = secrets(rng)
      const file = merge(secretFile(s), { db: { poolSize: 0 }, debug: true })
      const env = { NODE_ENV: 'production', APP_PORT: 'abc', APP_SESSION_SECRET: s.sessionSecret }
      const error = loadError({ file, env, service: serviceName(rng) })
      expectIssuePaths(error, ['db.poolSize', 'debug', 'port'])
      expectNoFragments(error, s.password)
      expectNoFragments(error, s.sessionSecret)
    })

    it('does not show the value of a misspelt secret variable', async () => {
      const rng = random()
      const s = secrets(rng)
      const misspelt = token(rng, 20)
      const error = loadError({ file: secretFile(s), env: { APP_DB__PASWORD: misspelt }, service: serviceName(rng) })
      expectIssuePaths(error, ['db.pasword'])
      expectNoFragments(error, misspelt)
      expectNoFragments(error, s.password)
    })

    it('does not quote a file that is not valid JSON', async () => {
      const rng = random()
      const s = secrets(rng)
      // An unquoted value that starts with a letter: JSON.parse's message ("Unexpected token 'k',
      // ..."password": kX9..." is not valid JSON") quotes the text right there. A value starting
      // with a digit would get a message without the text, and a leaky error would slip through.
      const text = `{"db": {"password": k${s.password}}, "sessionSecret": "${s.sessionSecret}"}`
      const error = loadError({ file: text, env: {}, service: serviceName(rng) })
      expect(error.issues.map((i) => i.path), 'an issue at the path ""').toContain('')
      expectNoFragments(error, s.password)
      expectNoFragments(error, s.sessionSecret)
    })
  })
})
