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

// Done for you: a random value with 256 bits, for codes and access tokens.
const newSecret = () => randomBytes(32).toString('base64url')

// Done for you: compares two secrets in constant time, whatever their lengths.
const sameSecret = (a: string, b: string) =>
  timingSafeEqual(createHash('sha256').update(a).digest(), createHash('sha256').update(b).digest())

// Done for you: an RFC 6749 section 5.2 error answer, `{ "error": "<code>" }`.
const oauthError = (c: Context, error: string, status: 400 | 401 = 400) =>
  c.json({ error }, status, { 'Cache-Control': 'no-store' })

export function createApp(options: OAuthOptions) {
  const now = options.now ?? Date.now
  const codeTtl = (options.codeTtlSeconds ?? 60) * 1000
  const accessTtl = options.accessTtlSeconds ?? 3600
  const clients = new Map(Object.entries(options.clients))

  // TODO: the codes and access tokens this app issued, kept here so two apps share nothing.
  void [now, codeTtl, accessTtl, clients, newSecret, sameSecret]

  const app = new Hono()

  app.get('/authorize', (c) => {
    // TODO (task 2): check client_id and redirect_uri (an exact match) first; when either is
    //       wrong, answer 400 { error: 'invalid_request' } and never redirect.
    // TODO (task 1): no X-User header: 401 { error: 'login_required' }. Otherwise store a new
    //       one-time code bound to the client, the redirect_uri, the code_challenge, the user and
    //       the scope, and redirect 302 to redirect_uri with ?code=...&state=...
    // TODO (task 2): response_type, the client's grants, PKCE (S256 only) and scope errors are
    //       redirected to redirect_uri as ?error=...&state=...
    return c.json({ error: 'not_implemented' }, 501)
  })

  app.post('/token', async (c) => {
    // TODO (task 3): read the form-encoded body; authenticate the client with HTTP Basic or
    //       client_id + client_secret in the form (401 invalid_client with a Basic challenge).
    // TODO (task 4): grant_type=authorization_code: check the code, its client, redirect_uri and
    //       the PKCE code_verifier, then answer the token with Cache-Control: no-store.
    // TODO (task 6): a code used twice: invalid_grant, and revoke the token it bought.
    // TODO (task 7): grant_type=client_credentials, within the client's allowed scopes.
    return oauthError(c, 'unsupported_grant_type')
  })

  app.get('/api/me', (c) => {
    // TODO (task 5): find the bearer token among the live tokens this app issued and answer
    //       { sub, client_id, scope }; 401 with a Bearer challenge otherwise.
    return c.json({ error: 'unauthorized' }, 401, { 'WWW-Authenticate': 'Bearer realm="api"' })
  })

  return app
}
