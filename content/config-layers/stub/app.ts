import { Hono } from 'hono'
import { z } from 'zod' // for task 4

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

/** Loads the configuration: see the README, one task at a time. */
export function loadConfig(sources: ConfigSources): Config {
  // TODO task 1: deep-merge the file (JSON text or an object) over the defaults.
  // TODO task 2: read APP_ variables and NODE_ENV from sources.env.
  // TODO task 3: the file's services.<service> section, then sources.overrides.
  // TODO task 4: validate with zod and throw a ConfigError listing every problem.
  // TODO task 5: refuse debug settings in production.
  // TODO task 6: never let a secret's value into an error.
  const defaults = structuredClone(sources.defaults ?? DEFAULTS) as Record<string, any>
  return { env: 'development', service: sources.service, ...defaults } as Config
}

export interface AppOptions {
  config: Config
}

export function createApp(options: AppOptions) {
  const app = new Hono()
  // TODO task 6: replace db.password and sessionSecret with "[redacted]" (in a copy).
  app.get('/config', (c) => c.json(options.config))
  return app
}
