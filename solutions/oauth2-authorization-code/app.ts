import { createHash, randomBytes, timingSafeEqual } from 'node:crypto'
import { Hono, type Context } from 'hono'

export type Grant = 'authorization_code' | 'client_credentials'

export interface OAuthClient {
  /** The client's secret, for client_secret_basic or client_secret_post. */
  secret: string
  /** The redirect URIs registered for this client, compared as exact strings. */
  redirectUris: string[]
  /** The scopes this client may ever be granted. */
  scopes: string[]
  /** The grant types this client may use. */
  grants: Grant[]
}

export interface OAuthOptions {
  /** Registered clients by client_id. Own entries only: `constructor` is not a client. */
  clients: Record<string, OAuthClient>
  /** The current time in milliseconds since the epoch; defaults to `Date.now`. */
  now?: () => number
  /** How long an authorization code may wait to be exchanged, in seconds. */
  codeTtlSeconds?: number
  /** How long an access token lasts, in seconds. */
  accessTtlSeconds?: number
}

interface Code {
  clientId: string
  redirectUri: string
  challenge: string
  sub: string
  scope: string[]
  expiresAt: number
  used: boolean
  /** The access token this code bought, so that a replay can revoke it. */
  accessToken?: string
}

interface AccessToken {
  sub: string
  clientId: string
  scope: string[]
  expiresAt: number
}

type Form = Record<string, string>

const newSecret = () => randomBytes(32).toString('base64url')

// RFC 7636 section 4.2: code_challenge = BASE64URL(SHA256(ASCII(code_verifier))), unpadded.
const s256 = (verifier: string) =>
  createHash('sha256').update(verifier, 'ascii').digest('base64url')

// Compare secrets in constant time: hash both so the lengths match and nothing leaks through
// an early exit on the first differing byte.
const sameSecret = (a: string, b: string) =>
  timingSafeEqual(createHash('sha256').update(a).digest(), createHash('sha256').update(b).digest())

// RFC 6749 section 5.2: an error is a JSON object with an `error` code, status 400 unless the
// client failed to authenticate.
const oauthError = (c: Context, error: string, status: 400 | 401 = 400) =>
  c.json({ error }, status, { 'Cache-Control': 'no-store' })

const splitScope = (scope: string | undefined) => (scope ?? '').split(' ').filter(Boolean)

export function createApp(options: OAuthOptions) {
  const now = options.now ?? Date.now
  const codeTtl = (options.codeTtlSeconds ?? 60) * 1000
  const accessTtl = options.accessTtlSeconds ?? 3600
  const clients = new Map(Object.entries(options.clients))
  const codes = new Map<string, Code>()
  const tokens = new Map<string, AccessToken>()

  // The scopes a client asked for, or all it may have when it asked for none (RFC 6749, 3.3);
  // undefined when it asked for one it may not have.
  const grantScope = (client: OAuthClient, requested: string | undefined) => {
    const scope = splitScope(requested)
    if (scope.length === 0) return [...client.scopes]
    return scope.every((s) => client.scopes.includes(s)) ? [...new Set(scope)] : undefined
  }

  const issueToken = (c: Context, sub: string, clientId: string, scope: string[]) => {
    const token = newSecret()
    tokens.set(token, { sub, clientId, scope, expiresAt: now() + accessTtl * 1000 })
    // RFC 6749 section 5.1: a response that carries a token must not be stored by any cache.
    c.header('Cache-Control', 'no-store')
    c.header('Pragma', 'no-cache')
    const body = { access_token: token, token_type: 'Bearer', expires_in: accessTtl }
    return { token, body: { ...body, scope: scope.join(' ') } }
  }

  const app = new Hono()

  // --- The authorization endpoint ------------------------------------------------------------

  app.get('/authorize', (c) => {
    const q = c.req.query()
    const client = q.client_id === undefined ? undefined : clients.get(q.client_id)
    // RFC 6749 section 4.1.2.1: until the client and its redirect URI are known to be right,
    // an error must not be redirected anywhere: redirecting to an unverified URI would make us
    // an open redirector, and would hand a code or an error to whoever wrote the link.
    // Exact string match: a prefix or substring test would let
    // https://app.example/callback.evil.example in.
    if (!client || q.redirect_uri === undefined || !client.redirectUris.includes(q.redirect_uri)) {
      return c.json({ error: 'invalid_request' }, 400)
    }
    // The login page is out of scope: a trusted front end puts the signed-in user here.
    const sub = c.req.header('X-User')
    if (!sub) return c.json({ error: 'login_required' }, 401)

    // From here on the redirect URI is trusted, so errors travel back to the client there.
    const back = (params: Record<string, string>) => {
      const url = new URL(q.redirect_uri!) // keeps a query the registered URI already has
      for (const [k, v] of Object.entries(params)) url.searchParams.set(k, v)
      if (q.state !== undefined) url.searchParams.set('state', q.state)
      return c.redirect(url.toString(), 302)
    }
    if (q.response_type === undefined) return back({ error: 'invalid_request' })
    if (q.response_type !== 'code') return back({ error: 'unsupported_response_type' })
    if (!client.grants.includes('authorization_code')) return back({ error: 'unauthorized_client' })
    // PKCE is required and only S256: `plain` sends the verifier itself through the browser,
    // where whoever intercepts the code can read it too (RFC 7636 section 4.2, RFC 9700 2.1.1).
    if (!q.code_challenge || q.code_challenge_method !== 'S256') {
      return back({ error: 'invalid_request' })
    }
    const scope = grantScope(client, q.scope)
    if (!scope) return back({ error: 'invalid_scope' })

    const code = newSecret()
    codes.set(code, {
      clientId: q.client_id!,
      redirectUri: q.redirect_uri,
      challenge: q.code_challenge,
      sub,
      scope,
      expiresAt: now() + codeTtl,
      used: false,
    })
    return back({ code })
  })

  // --- The token endpoint --------------------------------------------------------------------

  // Client authentication, RFC 6749 section 2.3.1: HTTP Basic with the form-urlencoded id and
  // secret (client_secret_basic), or both in the body (client_secret_post); never both at once.
  const authenticate = (c: Context, form: Form) => {
    const header = c.req.header('Authorization')
    const basic = header === undefined ? null : /^\s*basic\s+(\S+)\s*$/i.exec(header)
    if (basic && form.client_secret !== undefined) return 'two_methods' as const
    let id: string | undefined
    let secret: string | undefined
    if (basic) {
      const decoded = Buffer.from(basic[1]!, 'base64').toString('utf8')
      const colon = decoded.indexOf(':') // the id has no colon once encoded; the secret may
      if (colon < 0) return undefined
      try {
        id = decodeURIComponent(decoded.slice(0, colon).replace(/\+/g, ' '))
        secret = decodeURIComponent(decoded.slice(colon + 1).replace(/\+/g, ' '))
      } catch {
        return undefined // a malformed %-escape: no such client
      }
    } else {
      id = form.client_id
      secret = form.client_secret
    }
    const client = id === undefined ? undefined : clients.get(id)
    if (!client || secret === undefined || !sameSecret(secret, client.secret)) return undefined
    return { id: id!, client }
  }

  app.post('/token', async (c) => {
    const type = c.req.header('Content-Type') ?? ''
    if (!/^application\/x-www-form-urlencoded\b/i.test(type)) {
      return oauthError(c, 'invalid_request')
    }
    const form = Object.fromEntries(new URLSearchParams(await c.req.text())) as Form

    const who = authenticate(c, form)
    if (who === 'two_methods') return oauthError(c, 'invalid_request')
    if (!who) {
      // 401 with a challenge for the scheme the client may use (RFC 6749 section 5.2).
      c.header('WWW-Authenticate', 'Basic realm="oauth"')
      return oauthError(c, 'invalid_client', 401)
    }

    if (form.grant_type === undefined) return oauthError(c, 'invalid_request')

    if (form.grant_type === 'authorization_code') {
      // A client may use only the grants registered for it (RFC 6749 section 5.2), whatever
      // code it brings: checked before the code, like the client_credentials grant below.
      if (!who.client.grants.includes('authorization_code')) {
        return oauthError(c, 'unauthorized_client')
      }
      const { code, redirect_uri, code_verifier } = form
      if (!code || !redirect_uri || !code_verifier) return oauthError(c, 'invalid_request')
      const grant = codes.get(code)
      if (!grant || grant.clientId !== who.id) return oauthError(c, 'invalid_grant')
      if (grant.used) {
        // RFC 6749 section 4.1.2: a code used twice was probably stolen; deny it and revoke
        // what the first exchange issued, since that may have gone to the thief.
        if (grant.accessToken) tokens.delete(grant.accessToken)
        return oauthError(c, 'invalid_grant')
      }
      if (now() >= grant.expiresAt) return oauthError(c, 'invalid_grant')
      // The exact redirect_uri of the authorization request, and the verifier whose hash was
      // sent then: a code intercepted on its way back is useless without the verifier.
      if (grant.redirectUri !== redirect_uri) return oauthError(c, 'invalid_grant')
      if (!sameSecret(s256(code_verifier), grant.challenge)) return oauthError(c, 'invalid_grant')
      grant.used = true
      const { token, body } = issueToken(c, grant.sub, grant.clientId, grant.scope)
      grant.accessToken = token
      return c.json(body)
    }

    if (form.grant_type === 'client_credentials') {
      // A machine acting for itself: no user, no code, no redirect. The client is the subject.
      if (!who.client.grants.includes('client_credentials')) {
        return oauthError(c, 'unauthorized_client')
      }
      const scope = grantScope(who.client, form.scope)
      if (!scope) return oauthError(c, 'invalid_scope')
      return c.json(issueToken(c, who.id, who.id, scope).body)
    }

    return oauthError(c, 'unsupported_grant_type')
  })

  // --- The resource server -------------------------------------------------------------------

  app.get('/api/me', (c) => {
    const header = c.req.header('Authorization')
    const match = header === undefined ? null : /^\s*(\S+)(?:\s+(.*))?$/.exec(header)
    if (!match || match[1]!.toLowerCase() !== 'bearer') {
      return c.json({ error: 'unauthorized' }, 401, { 'WWW-Authenticate': 'Bearer realm="api"' })
    }
    const token = tokens.get(match[2]?.trim() ?? '')
    if (!token || now() >= token.expiresAt) {
      return c.json({ error: 'invalid_token' }, 401, {
        'WWW-Authenticate': 'Bearer realm="api", error="invalid_token"',
      })
    }
    return c.json({ sub: token.sub, client_id: token.clientId, scope: token.scope.join(' ') })
  })

  return app
}
