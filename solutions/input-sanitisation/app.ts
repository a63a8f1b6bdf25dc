import { Hono, type Context } from 'hono'
import { HTTPException } from 'hono/http-exception'

/** A settings value: text, a number, a flag, or a nested group of settings. */
export type SettingValue = string | number | boolean | { [key: string]: SettingValue }
export type Settings = { [key: string]: SettingValue }

export interface User {
  username: string
  displayName: string
  /** The link as `new URL(...).href`, or null when the user gave none. */
  website: string | null
  /** The canonical text the user wrote. */
  bio: string
  /** `bio` rendered as HTML that is safe to put in a page. */
  bioHtml: string
  /** The app's default settings with the user's deep-merged onto them. */
  settings: Settings
}

export interface SanitisationOptions {
  /** Settings every user starts with; the user's own are deep-merged onto a copy. */
  defaultSettings?: Settings
}

/** One problem with the body: where it is (a JSON Pointer, RFC 6901) and what. */
export interface Issue {
  pointer: string
  message: string
}

const FIELDS = ['username', 'displayName', 'website', 'bio', 'settings']
const PROTOTYPE_KEYS = ['__proto__', 'constructor', 'prototype']

// C0 and C1 controls, zero-width and bidirectional formatting characters. They are invisible,
// so "admin" and "ad\u200Bmin" look alike, and U+202E turns "txt.exe" around on screen. ZWJ
// and ZWNJ (U+200C, U+200D) stay allowed: emoji sequences and several scripts need them.
const FORBIDDEN = /[\u0000-\u001F\u007F-\u009F\u200B\u200E\u200F\u202A-\u202E\u2060\u2066-\u2069\uFEFF]/
const FORBIDDEN_IN_BIO = /[\u0000-\u0009\u000B-\u001F\u007F-\u009F\u200B\u200E\u200F\u202A-\u202E\u2060\u2066-\u2069\uFEFF]/
const USERNAME = /^[\p{L}\p{M}\p{N}_]+$/u

/** One reference token of a JSON Pointer: `~` and `/` are escaped, `~` first (RFC 6901, 3). */
const token = (key: string | number) => String(key).replace(/~/g, '~0').replace(/\//g, '~1')
const pointer = (...keys: (string | number)[]) => keys.map((k) => `/${token(k)}`).join('')

// Canonicalise first, validate second: a check on the raw text judges a string the app will
// never store. NFC makes "e\u0301" and "é" the same string, so the uniqueness check sees them
// as one name. NFC, not NFKC: NFKC would also rewrite "①" as "1" and "ﬁ" as "fi".
const canonical = (text: string) => text.normalize('NFC').trim()

// Lengths in code points, the characters a person counts. `.length` counts UTF-16 units, in
// which "😀" is 2.
const codePoints = (text: string) => [...text].length

/** Parses an absolute http(s) URL with the WHATWG parser, the one browsers use, or null. */
function httpUrl(text: string): URL | null {
  // A regex like /^https?:/ is easy to get wrong; the parser lower-cases the scheme
  // ("JaVaScRiPt:"), and only its verdict matters, since a browser parses the link the same way.
  if (!URL.canParse(text)) return null
  const url = new URL(text)
  return url.protocol === 'http:' || url.protocol === 'https:' ? url : null
}

/** The same link rule for an `<a href>` in a bio: trimmed, no forbidden character, http(s). */
function hrefUrl(href: string): URL | null {
  // The parser would silently drop a line feed inside the URL; the rule refuses it instead.
  const clean = canonical(href)
  return FORBIDDEN.test(clean) ? null : httpUrl(clean)
}

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }
const escapeHtml = (text: string) => text.replace(/[&<>"']/g, (ch) => ESCAPES[ch]!)

const TAG = /^(?:<(b|i)>|<\/(b|i|a)>|<a href="([^"<>]*)">)/

/**
 * Renders a bio as HTML: the allowlisted tags are kept, everything else is escaped as text.
 * Escaping by default means an unknown construct shows up as harmless text instead of running.
 */
export function renderBio(bio: string): string {
  let out = ''
  const open: string[] = []
  for (let at = 0; at < bio.length; ) {
    const match = bio[at] === '<' ? TAG.exec(bio.slice(at)) : null
    const [tag, opened, closed, href] = match ?? []
    const url = href === undefined ? null : hrefUrl(href)
    if (opened) {
      open.push(opened)
      out += tag
    } else if (closed && open.at(-1) === closed) {
      // Only the innermost open tag may close: anything else would mis-nest the output.
      open.pop()
      out += tag
    } else if (url) {
      open.push('a')
      out += `<a href="${escapeHtml(url.href)}">`
    } else {
      out += escapeHtml(bio[at]!)
      at += 1
      continue
    }
    at += tag!.length
  }
  // Close what the user left open, so the bio cannot swallow the page after it.
  return out + open.reverse().map((name) => `</${name}>`).join('')
}

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value)

/** Checks a string field; returns its canonical value, or undefined after recording issues. */
function text(value: unknown, at: string, issues: Issue[], rule: { min: number; max: number; bio?: boolean }) {
  if (typeof value !== 'string') return void issues.push({ pointer: at, message: 'expected a string' })
  const clean = canonical(value)
  if ((rule.bio ? FORBIDDEN_IN_BIO : FORBIDDEN).test(clean)) {
    return void issues.push({ pointer: at, message: 'contains a control or invisible formatting character' })
  }
  const length = codePoints(clean)
  if (length < rule.min || length > rule.max) {
    return void issues.push({ pointer: at, message: `must be ${rule.min} to ${rule.max} characters` })
  }
  return clean
}

/** Checks a settings group at any depth; prototype keys are refused wherever they appear. */
function settings(value: unknown, keys: string[], issues: Issue[]): Settings | undefined {
  if (!isObject(value)) return void issues.push({ pointer: pointer(...keys), message: 'expected an object' })
  const out: Settings = {}
  // Object.entries lists "__proto__" as the own key JSON.parse made it: it is plain data until
  // someone writes `target[key] = ...` with it, which sets a prototype instead of a member.
  for (const [key, item] of Object.entries(value)) {
    const at = [...keys, key]
    if (PROTOTYPE_KEYS.includes(key)) {
      issues.push({ pointer: pointer(...at), message: 'this key is not allowed' })
    } else if (isObject(item)) {
      const group = settings(item, at, issues)
      if (group) define(out, key, group)
    } else if (typeof item === 'string') {
      const clean = text(item, pointer(...at), issues, { min: 0, max: 100 })
      if (clean !== undefined) define(out, key, clean)
    } else if (typeof item === 'number' || typeof item === 'boolean') {
      define(out, key, item)
    } else {
      issues.push({ pointer: pointer(...at), message: 'expected a string, number, boolean or object' })
    }
  }
  return out
}

// defineProperty creates an own member whatever the key; plain assignment is what pollutes.
function define(target: Settings, key: string, value: SettingValue) {
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true })
}

/** A deep merge into a fresh object: neither input is changed, so defaults stay the defaults. */
function merge(base: Settings, extra: Settings): Settings {
  const out: Settings = {}
  for (const [key, value] of Object.entries(base)) define(out, key, isObject(value) ? merge(value as Settings, {}) : value)
  for (const [key, value] of Object.entries(extra)) {
    const current = Object.hasOwn(out, key) ? out[key] : undefined
    define(out, key, isObject(value) ? merge(isObject(current) ? (current as Settings) : {}, value as Settings) : value)
  }
  return out
}

/** Validates a whole body; every issue is reported, each at its own pointer. */
function parseUser(body: unknown, defaults: Settings): { user?: User; issues: Issue[] } {
  const issues: Issue[] = []
  if (!isObject(body)) return { issues: [{ pointer: '', message: 'expected a JSON object' }] }
  for (const key of Object.keys(body)) {
    if (!FIELDS.includes(key)) issues.push({ pointer: pointer(key), message: 'unknown field' })
  }
  let username = text(body.username, '/username', issues, { min: 3, max: 20 })
  if (username !== undefined && !USERNAME.test(username)) {
    issues.push({ pointer: '/username', message: 'letters, digits and _ only' })
    username = undefined
  }
  const displayName = text(body.displayName, '/displayName', issues, { min: 1, max: 30 })
  let website: string | null = null
  if (body.website !== undefined) {
    const link = text(body.website, '/website', issues, { min: 1, max: 2000 })
    const url = link === undefined ? null : httpUrl(link)
    if (url) website = url.href
    else if (link !== undefined) issues.push({ pointer: '/website', message: 'expected an http or https URL' })
  }
  const bio = body.bio === undefined ? '' : text(body.bio, '/bio', issues, { min: 0, max: 280, bio: true })
  const own = body.settings === undefined ? {} : settings(body.settings, ['settings'], issues)
  if (issues.length || username === undefined || displayName === undefined || bio === undefined || !own) {
    return { issues }
  }
  const user = { username, displayName, website, bio, bioHtml: renderBio(bio), settings: merge(defaults, own) }
  return { user, issues }
}

export function createApp(options: SanitisationOptions = {}) {
  // A copy taken once: a caller changing its object later does not change new users' settings.
  const defaults = merge(options.defaultSettings ?? {}, {})
  // Keyed by the canonical username: "e\u0301" and "é" find the same entry.
  const users = new Map<string, User>()

  const app = new Hono()

  app.post('/api/users', async (c) => {
    const body: unknown = await c.req.json()
    const { user, issues } = parseUser(body, defaults)
    if (!user) return c.json({ error: 'validation_failed', issues }, 422)
    if (users.has(user.username)) return c.json({ error: 'username_taken' }, 409)
    users.set(user.username, user)
    return c.json(user, 201)
  })

  app.get('/api/users', (c) => c.json({ users: [...users.values()] }))

  app.onError((err, c: Context) => {
    // c.req.json() throws a 400 HTTPException when the body is not JSON at all.
    if (err instanceof HTTPException || err instanceof SyntaxError) {
      return c.json({ error: 'malformed_json' }, 400)
    }
    return c.json({ error: 'internal_error' }, 500)
  })

  return app
}
