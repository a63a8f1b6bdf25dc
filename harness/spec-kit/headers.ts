// Parsers for structured response headers, so that specs assert what a header means rather than
// how one implementation happened to spell it (order, spacing, quoting, letter case).

export interface LinkValue {
  /** The target as written (relative or absolute). */
  target: string
  /** Relation types, lower-case (`rel="next last"` gives two). */
  rels: string[]
  /** Every parameter, names lower-case, values unquoted. */
  params: Record<string, string>
}

/**
 * Parses a Link header (RFC 8288): comma-separated `<target>; name=value` link-values, values
 * as tokens or quoted strings. Throws on a malformed header, naming what is wrong.
 */
export function parseLinkHeader(header: string): LinkValue[] {
  const links: LinkValue[] = []
  let i = 0
  const skipSpace = () => {
    while (i < header.length && /[ \t]/.test(header[i]!)) i++
  }
  const fail = (why: string): never => {
    throw new Error(`malformed Link header (${why}): ${JSON.stringify(header)}`)
  }
  while (i < header.length) {
    while (i < header.length && /[ \t,]/.test(header[i]!)) i++
    if (i >= header.length) break
    if (header[i] !== '<') fail('each link must start with <target>')
    const end = header.indexOf('>', i)
    if (end < 0) fail('a <target> is not closed')
    const link: LinkValue = { target: header.slice(i + 1, end), rels: [], params: {} }
    i = end + 1
    for (;;) {
      skipSpace()
      if (i >= header.length || header[i] === ',') break
      if (header[i] !== ';') fail('expected ; before a parameter')
      i++
      skipSpace()
      const nameStart = i
      while (i < header.length && !/[=;, \t]/.test(header[i]!)) i++
      const name = header.slice(nameStart, i).toLowerCase()
      skipSpace()
      let value = ''
      if (header[i] === '=') {
        i++
        skipSpace()
        if (header[i] === '"') {
          i++
          while (i < header.length && header[i] !== '"') {
            if (header[i] === '\\') i++
            value += header[i] ?? ''
            i++
          }
          if (i >= header.length) fail('a quoted value is not closed')
          i++
        } else {
          const valueStart = i
          while (i < header.length && !/[;, \t]/.test(header[i]!)) i++
          value = header.slice(valueStart, i)
        }
      }
      link.params[name] = value
      if (name === 'rel') link.rels.push(...value.toLowerCase().split(/\s+/).filter(Boolean))
    }
    links.push(link)
  }
  return links
}

export interface Challenge {
  /** The auth scheme, lower-case (`bearer`). */
  scheme: string
  /** Auth-params, names lower-case, values unquoted. */
  params: Record<string, string>
}

const TOKEN = "[!#$%&'*+.^_`|~0-9A-Za-z-]+"
const SCHEME = new RegExp(`^\\s*(${TOKEN})(?:\\s+|$)`)
const QUOTED = '"((?:[^"\\\\]|\\\\.)*)"'
const PARAM = new RegExp(`^[\\s,]*(${TOKEN})\\s*=\\s*(?:${QUOTED}|(${TOKEN}))\\s*(?:,|$)`)

/**
 * Parses one WWW-Authenticate challenge (`Bearer realm="api", error=invalid_token`, RFC 9110
 * section 11.6.1): scheme in any case, params in any order, quoted or not. Undefined if malformed.
 */
export function parseChallenge(value: string): Challenge | undefined {
  const head = SCHEME.exec(value)
  if (!head) return undefined
  const params: Record<string, string> = {}
  let rest = value.slice(head[0].length)
  while (rest.replace(/[\s,]/g, '') !== '') {
    const m = PARAM.exec(rest)
    if (!m) return undefined
    params[m[1]!.toLowerCase()] = m[2] !== undefined ? m[2].replace(/\\(.)/g, '$1') : m[3]!
    rest = rest.slice(m[0].length)
  }
  return { scheme: head[1]!.toLowerCase(), params }
}

/** Splits a comma-separated list header (Allow, Vary...) into trimmed, upper-cased tokens. */
export function parseTokenList(value: string | undefined): string[] {
  if (!value) return []
  return value
    .split(',')
    .map((t) => t.trim().toUpperCase())
    .filter(Boolean)
}

export interface Href {
  /** The path, decoded segments left as sent (`/api/items`). */
  path: string
  /** Query parameters; a repeated name keeps its last value. */
  query: Record<string, string>
}

/**
 * Reads a link target (a Location, a Link target or an `href`) as path plus query, accepting a
 * relative or an absolute URL, so specs compare what it points at rather than how it is spelled.
 */
export function parseHref(href: string): Href {
  const url = new URL(href, 'http://relative.invalid')
  return { path: url.pathname, query: Object.fromEntries(url.searchParams) }
}

export interface SetCookie {
  name: string
  value: string
  /** Attribute names lower-case; flags such as HttpOnly map to ''. */
  attributes: Record<string, string>
}

/**
 * Reads a Set-Cookie header as the client recorded it (repeated headers joined with ", ").
 * It splits only where a new `name=` starts, so "Expires=Thu, 01 Jan 2037" stays whole.
 */
export function parseSetCookies(header: string | undefined): SetCookie[] {
  if (!header) return []
  return header.split(/,\s*(?=[^;,=\s]+=)/).map((line) => {
    const [pair = '', ...attrs] = line.split(';')
    const eq = pair.indexOf('=')
    const attributes: Record<string, string> = {}
    for (const attr of attrs) {
      const i = attr.indexOf('=')
      const name = (i < 0 ? attr : attr.slice(0, i)).trim().toLowerCase()
      attributes[name] = i < 0 ? '' : attr.slice(i + 1).trim()
    }
    return { name: pair.slice(0, eq).trim(), value: pair.slice(eq + 1).trim(), attributes }
  })
}
