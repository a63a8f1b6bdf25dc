import { Hono, type Context } from 'hono'
import { createMiddleware } from 'hono/factory'
import { jwtVerify } from 'jose'

export interface Order {
  id: string
  item: string
  status: 'paid' | 'refunded'
}

export interface ScopeOptions {
  /** The shared HMAC secret (at least 32 bytes); its UTF-8 bytes are the key. */
  secret: string
  /** The only accepted `iss` claim. */
  issuer: string
  /** This API's name; the token's `aud` must be it or contain it. */
  audience: string
  /** The current time in milliseconds since the epoch; defaults to `Date.now`. */
  now?: () => number
  /** Role name -> every scope a user with that role may ever use. */
  roles: Record<string, string[]>
  /** The users this API knows: `sub` -> role name. */
  users: Record<string, string>
  /** The orders the app starts with. */
  orders: Order[]
}

/** Who is calling, and what they may do here. */
interface Principal {
  sub: string
  role: string
  scopes: ReadonlySet<string>
}

type Env = { Variables: { principal: Principal } }

const REALM = 'realm="api"'

// 401: no usable credentials. A bare challenge when none were presented; error="invalid_token"
// when a token was presented and failed (RFC 6750 section 3.1).
function unauthorized(c: Context, error?: 'invalid_token') {
  const value = error ? `Bearer ${REALM}, error="${error}"` : `Bearer ${REALM}`
  return c.json({ error: error ?? 'unauthorized' }, 401, { 'WWW-Authenticate': value })
}

// 403 with a challenge: unlike a role refusal, a missing scope is something the client can fix,
// by asking the authorization server for a token with more scope. RFC 6750 section 3.1 names
// the error insufficient_scope and lets the challenge say which scope would do.
function insufficientScope(c: Context, required: readonly string[]) {
  const scope = required.join(' ')
  const value = `Bearer ${REALM}, error="insufficient_scope", scope="${scope}"`
  return c.json({ error: 'insufficient_scope', scope }, 403, { 'WWW-Authenticate': value })
}

/**
 * The scope claim is one string of space-separated scope tokens (RFC 6749 section 3.3, and RFC
 * 9068 for access tokens). Each token is compared whole and case-sensitively: `orders:read` is
 * not in "orders:readwrite", and `orders` does not imply `orders:read`. Undefined = malformed.
 */
function parseScope(claim: unknown): string[] | undefined {
  if (claim === undefined) return []
  if (typeof claim !== 'string') return undefined
  return claim.split(' ').filter((token) => token !== '')
}

/** An API whose routes each demand scopes, and whose users never exceed their role. */
export function createApp(options: ScopeOptions) {
  const { issuer, audience } = options
  const now = options.now ?? Date.now
  const key = new TextEncoder().encode(options.secret)
  if (key.length < 32) throw new TypeError('createApp: `secret` must be at least 32 bytes (UTF-8)')
  // Maps of own entries only: a `sub` of "constructor" or a role of "__proto__" finds nothing.
  const users = new Map(Object.entries(options.users))
  const roles = new Map(Object.entries(options.roles).map(([role, s]) => [role, new Set(s)]))
  const orders = new Map(options.orders.map((order) => [order.id, { ...order }]))

  const authenticate = createMiddleware<Env>(async (c, next) => {
    const header = c.req.header('Authorization')
    const match = header === undefined ? null : /^\s*(\S+)(?:\s+(.*))?$/.exec(header)
    if (!match || match[1]!.toLowerCase() !== 'bearer') return unauthorized(c)
    const token = match[2]?.trim() ?? ''
    if (token === '') return unauthorized(c, 'invalid_token')

    let payload
    try {
      // Everything jwt-verify checked, unchanged: pinned algorithm, injected clock, exact
      // issuer, audience, a required expiry.
      ;({ payload } = await jwtVerify(token, key, {
        algorithms: ['HS256'],
        issuer,
        audience,
        requiredClaims: ['exp', 'sub'],
        currentDate: new Date(now()),
      }))
    } catch {
      return unauthorized(c, 'invalid_token')
    }
    const { sub } = payload
    if (typeof sub !== 'string' || sub === '') return unauthorized(c, 'invalid_token')
    const granted = parseScope(payload.scope)
    // A token for a user this API does not know identifies nobody: the token is the problem.
    const role = users.get(sub)
    if (granted === undefined || role === undefined) return unauthorized(c, 'invalid_token')

    // Effective scopes = what the token grants ∩ what the role allows. The token says what the
    // user consented to delegate; the role says what the user may do at all, today. A token
    // minted before a demotion, or by a too-generous client, never lifts the user above it.
    const allowed = roles.get(role) ?? new Set<string>()
    const scopes = new Set(granted.filter((scope) => allowed.has(scope)))
    c.set('principal', { sub, role, scopes })
    await next()
  })

  // Every listed scope is needed (all of, not any of). This is a route-level check, so it runs
  // before any lookup: a token without orders:read learns nothing about which orders exist.
  const requireScopes = (...required: string[]) =>
    createMiddleware<Env>(async (c, next) => {
      const { scopes } = c.var.principal
      if (!required.every((scope) => scopes.has(scope))) return insufficientScope(c, required)
      await next()
    })

  const app = new Hono<Env>()

  app.get('/health', (c) => c.json({ status: 'ok' }))

  app.use('/api/*', authenticate)

  app.get('/api/me', (c) => {
    const { sub, role, scopes } = c.var.principal
    return c.json({ sub, role, scopes: [...scopes] })
  })

  app.get('/api/orders', requireScopes('orders:read'), (c) => c.json([...orders.values()]))

  app.get('/api/orders/:id', requireScopes('orders:read'), (c) => {
    const order = orders.get(c.req.param('id'))
    return order ? c.json(order) : c.json({ error: 'not_found' }, 404)
  })

  app.post('/api/orders/:id/refund', requireScopes('orders:write', 'payments:write'), (c) => {
    const order = orders.get(c.req.param('id'))
    if (!order) return c.json({ error: 'not_found' }, 404)
    order.status = 'refunded'
    return c.json(order)
  })

  app.notFound((c) => c.json({ error: 'not_found' }, 404))

  return app
}
