import { Hono, type Context } from 'hono'

/** A user as the shop stores it. Each API version shows it in its own shape. */
export interface User {
  id: number
  firstName: string
  lastName: string
}

export interface VersioningOptions {
  /** Every user, in id order. The app reads them and never changes them. */
  users: User[]
  /** When v1 was deprecated (whole seconds). Defaults to 2025-01-01T00:00:00Z. */
  deprecatedAt?: Date
  /** When v1 will be switched off (whole seconds). Defaults to 2027-01-01T00:00:00Z. */
  sunsetAt?: Date
}

type Version = '1' | '2'

const DEFAULT_DEPRECATED_AT = new Date('2025-01-01T00:00:00Z')
const DEFAULT_SUNSET_AT = new Date('2027-01-01T00:00:00Z')

/** The version a request is served in, and whether it was asked for by vendor media type. */
interface Choice {
  version: Version
  // How the version was chosen matters for one header: only a client that asked for the vendor
  // media type gets it back in Content-Type.
  vendorType: boolean
}

/** One version of the API = one way of showing the same stored users. */
interface Representation {
  one: (user: User) => unknown
  list: (users: User[]) => unknown
}

const v1User = (u: User) => ({ id: u.id, name: `${u.firstName} ${u.lastName}` })
const v2User = (u: User) => ({ id: u.id, firstName: u.firstName, lastName: u.lastName })

// The data is stored once; versions are views of it. A v3 is one more entry here, not a copy of
// the routes: that is what keeps running several versions side by side cheap.
const REPRESENTATIONS: Record<Version, Representation> = {
  '1': { one: v1User, list: (users) => users.map(v1User) },
  '2': {
    one: v2User,
    list: (users) => ({ data: users.map(v2User), meta: { total: users.length } }),
  },
}

function isVersion(value: string): value is Version {
  return Object.hasOwn(REPRESENTATIONS, value)
}

const UNSUPPORTED = { error: 'unsupported_version', supported: [1, 2] }

// `application/vnd.shop.v2+json`: the `vnd.` tree is where vendors name their own media types
// (RFC 6838), and `+json` tells generic clients the body is still JSON. Anything between `v` and
// `+json` is captured, so `vnd.shop.v9+json` is recognised as a version request (and refused)
// instead of being mistaken for "no preference".
const VENDOR_TYPE = /^application\/vnd\.shop\.v([^+]*)\+json$/

/** The version named by a vendor media range in Accept, or undefined when there is none. */
function versionFromAccept(accept: string | undefined): string | undefined {
  if (accept === undefined) return undefined
  for (const range of accept.split(',')) {
    // Parameters (`;q=0.9`, `;charset=utf-8`) do not change the type; media types are
    // case-insensitive.
    const mediaType = range.split(';')[0]!.trim().toLowerCase()
    const match = VENDOR_TYPE.exec(mediaType)
    if (match) return match[1]
  }
  return undefined
}

function validDate(value: Date, name: string): Date {
  if (!(value instanceof Date) || Number.isNaN(value.getTime())) {
    throw new TypeError(`createApp: ${name} must be a valid Date`)
  }
  return value
}

export function createApp(options: VersioningOptions) {
  const { users } = options
  const byId = new Map(users.map((u) => [u.id, u]))

  // Header values are computed once, when the app is built, not on every request.
  const deprecatedAt = validDate(options.deprecatedAt ?? DEFAULT_DEPRECATED_AT, 'deprecatedAt')
  const sunsetAt = validDate(options.sunsetAt ?? DEFAULT_SUNSET_AT, 'sunsetAt')
  // RFC 9745: Deprecation is a structured-field date, `@` + seconds since the epoch. The
  // milliseconds from getTime() would name a date some 50,000 years away.
  const deprecation = `@${Math.floor(deprecatedAt.getTime() / 1000)}`
  // RFC 8594: Sunset is an HTTP-date. toUTCString() writes exactly the IMF-fixdate form
  // (`Fri, 01 Jan 2027 00:00:00 GMT`); toISOString() would not be an HTTP-date.
  const sunset = sunsetAt.toUTCString()

  /** Sends a representation in the chosen version, with v1's deprecation headers. */
  function respond(c: Context, choice: Choice, body: unknown, successor: string) {
    if (choice.version === '1') {
      // Tells v1 clients, on every successful response whatever chose v1, that it is going away
      // and which URL replaces this one: the same resource under /api/v2.
      c.header('Deprecation', deprecation)
      c.header('Sunset', sunset)
      c.header('Link', `<${successor}>; rel="successor-version"`, { append: true })
    }
    // A client that asked for `application/vnd.shop.v2+json` gets a response labelled as such:
    // the label says which contract the body follows, so it can check it got what it asked for.
    const headers = choice.vendorType
      ? { 'Content-Type': `application/vnd.shop.v${choice.version}+json` }
      : undefined
    return c.json(body, 200, headers)
  }

  /** The unversioned routes: Accept first, then ?version=, then the default. */
  function negotiateVersion(c: Context): Choice | Response {
    const fromAccept = versionFromAccept(c.req.header('Accept'))
    if (fromAccept !== undefined) {
      // 406: the client asked for a representation this server cannot produce.
      if (!isVersion(fromAccept)) return c.json(UNSUPPORTED, 406)
      return { version: fromAccept, vendorType: true }
    }
    const fromQuery = c.req.query('version')
    if (fromQuery === undefined) {
      // No hint at all: the oldest supported version. Clients written before versioning existed
      // keep the shape they were built against; making "latest" the default would break them
      // on the day v2 (or v3) ships.
      return { version: '1', vendorType: false }
    }
    // 400: a query parameter with a value the server does not understand. An empty or unknown
    // value must not fall through to the default: the client would get v1 and never notice.
    if (!isVersion(fromQuery)) return c.json(UNSUPPORTED, 400)
    return { version: fromQuery, vendorType: false }
  }

  const app = new Hono()

  // One pair of handlers, registered under three prefixes. The handlers never look at the URL to
  // learn the version: `choose` decides it, and they only ask for the representation. The path
  // is the strongest hint, so `/api/v1/...` is v1 whatever the headers or query say.
  const prefixes: [string, (c: Context) => Choice | Response][] = [
    ['/api/v1', () => ({ version: '1', vendorType: false })],
    ['/api/v2', () => ({ version: '2', vendorType: false })],
    [
      '/api',
      (c) => {
        // Every answer here depends on Accept (even a ?version= answer: a vendor type in Accept
        // would have overridden it), so every answer, errors included, says so to caches. The
        // query string needs no Vary: it is part of the URL, which caches key on already.
        c.header('Vary', 'Accept')
        return negotiateVersion(c)
      },
    ],
  ]
  for (const [prefix, choose] of prefixes) {
    app.get(`${prefix}/users`, (c) => {
      const choice = choose(c)
      if (choice instanceof Response) return choice
      const body = REPRESENTATIONS[choice.version].list(users)
      return respond(c, choice, body, '/api/v2/users')
    })
    app.get(`${prefix}/users/:id`, (c) => {
      const choice = choose(c)
      if (choice instanceof Response) return choice
      const id = c.req.param('id')
      const user = /^\d+$/.test(id) ? byId.get(Number(id)) : undefined
      if (!user) return c.json({ error: 'not_found' }, 404)
      return respond(c, choice, REPRESENTATIONS[choice.version].one(user), `/api/v2/users/${id}`)
    })
  }

  // `/api/v9/users` is not a route: 404, never a quiet fallback to some other version.
  app.notFound((c) => c.json({ error: 'not_found' }, 404))

  return app
}
