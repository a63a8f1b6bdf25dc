import { Hono } from 'hono'
import { z } from 'zod'

/** The configuration one service runs with, after every layer was merged and checked. */
export interface Config {
  /** From NODE_ENV only: `development` when it is unset or empty. */
  env: 'development' | 'test' | 'production'
  /** The `service` option: which service of the system this process is. */
  service: string
  port: number
  debug: boolean
  logLevel: 'debug' | 'info' | 'warn' | 'error'
  db: { host: string; port: number; poolSize: number; password: string }
  cors: { origins: string[] }
  sessionSecret: string
}

/** Where the settings come from, lowest layer first (see the README for the exact rules). */
export interface ConfigSources {
  /** The lowest layer; `DEFAULTS` when omitted. */
  defaults?: Record<string, unknown>
  /** The shared config file: its JSON text, or the value JSON.parse made of it. */
  file?: string | Record<string, unknown>
  /** The process environment, e.g. `process.env`. */
  env: Record<string, string | undefined>
  /** The name of this service: picks the file's `services.<name>` section. */
  service: string
  /** The highest layer: what the program itself says (command-line flags, a test). */
  overrides?: Record<string, unknown>
}

/** One problem, at the dotted path of the setting in the merged config (`db.poolSize`). */
export interface ConfigIssue {
  path: string
  message: string
}

/** Thrown by loadConfig with every problem it found, never just the first one. */
export class ConfigError extends Error {
  override name = 'ConfigError'
  readonly issues: ConfigIssue[]

  constructor(issues: ConfigIssue[]) {
    // The message lists every path, so a crash log at startup says everything that is wrong.
    super(`invalid configuration:\n${issues.map((i) => `  - ${i.path || '(file)'}: ${i.message}`).join('\n')}`)
    this.issues = issues
  }
}

/** The built-in defaults: safe everywhere, production included. No secrets here, ever. */
export const DEFAULTS = {
  port: 8080,
  debug: false,
  logLevel: 'info',
  db: { host: 'localhost', port: 5432, poolSize: 10 },
  cors: { origins: [] as string[] },
}

/** The settings whose values must never be shown: in GET /config, in an error, in a log. */
const SECRETS = [['db', 'password'], ['sessionSecret']] as const
const REDACTED = '[redacted]'

// Environment variables are text, so the schema turns the texts it knows into typed values.
// Not z.coerce: z.coerce.number() reads '' as 0, and z.coerce.boolean() reads 'false' as true
// (Boolean('false') is true). A Map for the words: an object literal would answer
// `words['constructor']` with a function.
const BOOLEAN_WORDS = new Map([['true', true], ['1', true], ['false', false], ['0', false]])
const bool = z.preprocess(
  (v) => (typeof v === 'string' ? (BOOLEAN_WORDS.get(v.toLowerCase()) ?? v) : v),
  z.boolean(),
)
// Decimal digits only: Number('0x10') is 16 and parseInt('12abc') is 12.
const int = (min: number, max: number) =>
  z.preprocess((v) => (typeof v === 'string' && /^\d+$/.test(v) ? Number(v) : v), z.number().int().min(min).max(max))
const list = z.preprocess(
  (v) => (typeof v === 'string' ? v.split(',').map((s) => s.trim()) : v),
  z.array(z.string().min(1)),
)

// strictObject: an unknown key is almost always a typo (`poolsize`, `APP_DB__POOLSIZE`), and a
// typo silently ignored means the service runs on a default nobody chose.
const Settings = z.strictObject({
  port: int(1, 65535),
  debug: bool,
  logLevel: z.enum(['debug', 'info', 'warn', 'error']),
  db: z.strictObject({
    host: z.string().min(1),
    port: int(1, 65535),
    poolSize: int(1, 100),
    password: z.string().min(12),
  }),
  cors: z.strictObject({ origins: list }),
  sessionSecret: z.string().min(32),
})

const Env = z.enum(['development', 'test', 'production'])

type Tree = Record<string, unknown>

function isPlainObject(value: unknown): value is Tree {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

/**
 * Deep-merges `source` into `target`: objects key by key, anything else (arrays included)
 * replaces. Every object the merge builds has a null prototype, so a key named `__proto__` or
 * `constructor` is an ordinary own key here: `target['__proto__'] = x` cannot reach
 * Object.prototype, and `target['constructor']` is not Object. Sources are only read, never
 * written: the defaults must still be the defaults on the next call.
 */
function mergeInto(target: Tree, source: Tree, skip?: string): Tree {
  for (const [key, value] of Object.entries(source)) {
    if (key === skip || value === undefined) continue
    if (isPlainObject(value)) {
      const below = target[key]
      target[key] = mergeInto(isPlainObject(below) ? below : Object.create(null), value)
    } else {
      target[key] = Array.isArray(value) ? [...value] : value
    }
  }
  return target
}

/**
 * `APP_DB__POOL_SIZE=25` -> `{ db: { poolSize: '25' } }`; empty values count as unset. Two
 * variables that make one path both a value and a section (`APP_DB=x`, `APP_DB__PORT=1`) are an
 * issue at that path, whichever comes first: letting one silently win would hide the other.
 */
function environmentLayer(env: Record<string, string | undefined>, issues: ConfigIssue[]): Tree {
  const layer: Tree = Object.create(null)
  const clash = (path: string[]) => issues.push({ path: path.join('.'), message: 'APP_ variables set this both as a value and as a section' })
  variables: for (const [name, value] of Object.entries(env)) {
    // Case-sensitive and with the underscore: APPDATA or MYAPP_PORT are not ours.
    if (!name.startsWith('APP_') || value === undefined || value === '') continue
    const path = name.slice(4).split('__').map(camelCase)
    let node = layer
    for (const [i, segment] of path.slice(0, -1).entries()) {
      const next = node[segment]
      if (typeof next === 'string') {
        clash(path.slice(0, i + 1))
        continue variables
      }
      node = isPlainObject(next) ? next : (node[segment] = Object.create(null) as Tree)
    }
    const last = path[path.length - 1]!
    if (isPlainObject(node[last])) clash(path)
    node[last] = value
  }
  return layer
}

/** `POOL_SIZE` -> `poolSize`. */
function camelCase(segment: string): string {
  return segment.toLowerCase().replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase())
}

/** The file as an object, or an issue. The parser's own message is never used: it quotes the text. */
function readFile(file: ConfigSources['file'], issues: ConfigIssue[]): Tree | undefined {
  if (file === undefined) return undefined
  let value: unknown = file
  if (typeof file === 'string') {
    try {
      value = JSON.parse(file)
    } catch {
      issues.push({ path: '', message: 'the config file is not valid JSON' })
      return undefined
    }
  }
  if (!isPlainObject(value)) {
    issues.push({ path: '', message: 'the config file must hold a JSON object' })
    return undefined
  }
  return value
}

/** zod's issues as paths and messages; an unknown key gets its own path, one issue per key. */
function toIssues(error: z.ZodError): ConfigIssue[] {
  return error.issues.flatMap((issue) => {
    const at = issue.path.map(String)
    if (issue.code === 'unrecognized_keys') {
      return issue.keys.map((key) => ({ path: [...at, key].join('.'), message: 'unknown setting' }))
    }
    // zod's messages say what was expected, never what was received: safe for secrets too.
    return [{ path: at.join('.'), message: issue.message }]
  })
}

/** Merges defaults < file < services.<service> < APP_ variables < overrides, then validates. */
export function loadConfig(sources: ConfigSources): Config {
  const issues: ConfigIssue[] = []
  const { service } = sources
  if (typeof service !== 'string' || service === '') {
    issues.push({ path: 'service', message: 'a service name is required' })
  }
  const envName = Env.safeParse(sources.env.NODE_ENV || 'development')
  if (!envName.success) {
    issues.push({ path: 'env', message: 'NODE_ENV must be development, test or production' })
  }

  const file = readFile(sources.file, issues)
  const merged: Tree = Object.create(null)
  mergeInto(merged, sources.defaults ?? DEFAULTS)
  if (file) {
    // `services` is a section of the file, not a setting: only this service's part is read.
    mergeInto(merged, file, 'services')
    const sections = file['services']
    if (sections !== undefined && !isPlainObject(sections)) {
      issues.push({ path: 'services', message: 'services must be an object of service sections' })
    } else if (isPlainObject(sections) && Object.hasOwn(sections, service)) {
      const section = sections[service]
      if (isPlainObject(section)) mergeInto(merged, section)
      else issues.push({ path: `services.${service}`, message: 'a service section must be an object' })
    }
  }
  mergeInto(merged, environmentLayer(sources.env, issues))
  if (sources.overrides) mergeInto(merged, sources.overrides)

  const parsed = Settings.safeParse(merged)
  if (!parsed.success) issues.push(...toIssues(parsed.error))
  // Production rules look at the merged values, not at each layer: a file may say debug=true
  // as long as a higher layer turns it off. They run even when other settings are invalid,
  // so one failed start shows every problem.
  if (envName.success && envName.data === 'production') issues.push(...productionIssues(merged))

  if (issues.length > 0) throw new ConfigError(issues)
  return { env: envName.data!, service, ...parsed.data! } as Config
}

function productionIssues(merged: Tree): ConfigIssue[] {
  const issues: ConfigIssue[] = []
  const debug = bool.safeParse(merged['debug'])
  if (debug.success && debug.data) {
    issues.push({ path: 'debug', message: 'debug must be off in production' })
  }
  if (merged['logLevel'] === 'debug') {
    issues.push({ path: 'logLevel', message: 'the debug log level is not allowed in production' })
  }
  const cors = merged['cors']
  const origins = list.safeParse(isPlainObject(cors) ? cors['origins'] : undefined)
  if (origins.success && origins.data.includes('*')) {
    issues.push({ path: 'cors.origins', message: 'a wildcard CORS origin is not allowed in production' })
  }
  return issues
}

/** A copy of the config with every secret replaced; the config itself is left alone. */
function redact(config: Config): unknown {
  const copy = structuredClone(config) as unknown as Tree
  for (const path of SECRETS) {
    let node = copy
    for (const key of path.slice(0, -1)) node = node[key] as Tree
    node[path[path.length - 1]!] = REDACTED
  }
  return copy
}

export interface AppOptions {
  config: Config
}

export function createApp(options: AppOptions) {
  // Redacted once, when the app is built: the handler never touches the real secrets.
  const shown = redact(options.config)
  const app = new Hono()
  app.get('/config', (c) => c.json(shown))
  return app
}
