// oauth2-authorization-code - the hidden spec.
//
// Wrong implementations this spec is built to catch:
// - matches redirect_uri as a prefix or substring (extra path, a longer host, an added query or
//   fragment get through), or accepts another client's registered URI
// - redirects the error when the client or the redirect_uri is bad (an open redirector), instead
//   of answering 400 to the user (RFC 6749 section 4.1.2.1)
// - builds the Location by string concatenation: a registered query is lost, the state is not
//   encoded (or not echoed at all)
// - short or repeated codes; codes that work at another app (module-level state)
// - PKCE optional, `plain` accepted (the challenge itself passes as verifier), or the verifier
//   never checked; S256 computed with base64 or hex instead of base64url
// - a code not bound to its client or to its exact redirect_uri; a code that never expires or
//   expires by Date.now()
// - a code that can be exchanged twice, a replay that leaves the first token alive, or a race:
//   concurrent exchanges of one code all succeed
// - client authentication that answers 400 (or 403) instead of 401 invalid_client, without a
//   Basic challenge; that accepts another client's secret, `constructor` as a client id, two
//   authentication methods at once, a JSON body
// - missing grant_type taken for unsupported_grant_type or the other way round
// - no Cache-Control: no-store on token responses (RFC 6749 section 5.1)
// - client_credentials that grants scopes the client may not have, or to a client without
//   that grant; access tokens that never expire
// - /authorize that checks X-User only after response_type, PKCE or scope (the user comes first)
// - Basic credentials split at the last `:` (a secret may hold one), or the credentials checked
//   before the two-methods rule (wrong Basic plus client_secret must still be invalid_request)
// - an empty `scope=` taken for a scope named "" (invalid_scope) or for no scopes at all
// - a case-sensitive `Bearer` at /api/me; the code grant given to a client whose grants lack it
import { createHash } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import {
  build,
  client,
  fakeClock,
  focusOn,
  parseChallenge,
  parseTokenList,
  random,
  task,
  type Reply,
  type Rng,
} from '../../harness/spec-kit/index.ts'
import { createApp } from '../../exercises/oauth2-authorization-code/app.ts'

type Options = Parameters<typeof createApp>[0]

const UNRESERVED = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~'

/** A PKCE code_verifier (RFC 7636 section 4.1): 43 to 128 unreserved characters. */
function verifierFrom(rng: Rng): string {
  let v = ''
  for (let i = rng.int(43, 64); i > 0; i--) v += UNRESERVED[rng.int(0, UNRESERVED.length - 1)]
  return v
}

const s256 = (verifier: string) => createHash('sha256').update(verifier).digest('base64url')

const basic = (id: string, secret: string) =>
  `Basic ${Buffer.from(`${encodeURIComponent(id)}:${encodeURIComponent(secret)}`).toString('base64')}`

/** Basic credentials as a plain RFC 7617 client sends them: id ":" secret, nothing encoded. */
const rawBasic = (id: string, secret: string) =>
  `Basic ${Buffer.from(`${id}:${secret}`).toString('base64')}`

/**
 * A fresh app with three random clients: `web` (authorization_code, two redirect URIs, one with a
 * query), `partner` (both grants) and `bot` (client_credentials only, with a redirect URI so that
 * /authorize can refuse it). The clock sits in 2036, on a whole second.
 */
function setup({ salt = '' } = {}) {
  const rng = random(salt)
  const host = `https://${rng.word()}.example`
  const scope = (n: number) =>
    Array.from({ length: n }, (_, i) => `${rng.word()}:${i % 2 ? 'write' : 'read'}`)
  // Secrets may hold a colon (RFC 7617: the id cannot, the secret can): web's holds one,
  // partner's two.
  const web = {
    id: `web-${rng.word()}`,
    secret: `${rng.word(10, 16)}:${rng.word(10, 16)}`,
    scopes: scope(3),
  }
  const partner = {
    id: `partner-${rng.word()}`,
    secret: `${rng.word(8, 12)}:${rng.word(8, 12)}:${rng.word(8, 12)}`,
    scopes: scope(2),
  }
  const bot = { id: `bot-${rng.word()}`, secret: rng.word(24, 32), scopes: scope(3) }
  const webUris = [`${host}/callback`, `${host}/cb?tenant=${rng.word()}`]
  const partnerUri = `https://${rng.word()}-partner.example/oauth/callback`
  const options: Options = {
    clients: {
      [web.id]: {
        secret: web.secret,
        redirectUris: webUris,
        scopes: web.scopes,
        grants: ['authorization_code'],
      },
      [partner.id]: {
        secret: partner.secret,
        redirectUris: [partnerUri],
        scopes: partner.scopes,
        grants: ['authorization_code', 'client_credentials'],
      },
      [bot.id]: {
        secret: bot.secret,
        redirectUris: [`${host}/bot`],
        scopes: bot.scopes,
        grants: ['client_credentials'],
      },
    },
    now: fakeClock(0).now, // replaced below
    codeTtlSeconds: rng.int(30, 600),
    accessTtlSeconds: rng.int(300, 7200),
  }
  const clock = fakeClock(
    Date.UTC(2036, rng.int(0, 11), rng.int(1, 28), rng.int(0, 23)) + rng.int(0, 3599) * 1000,
  )
  options.now = clock.now
  const app = build(createApp, options)
  const api = client(app)
  const second = () => client(build(createApp, options))
  const user = `user-${rng.word()}`
  return {
    rng,
    clock,
    options,
    app,
    api,
    second,
    user,
    web,
    partner,
    bot,
    webUris,
    partnerUri,
    host,
  }
}

type Setup = ReturnType<typeof setup>
type Api = Setup['api']

/** A valid authorization request for `web`, as query parameters; `overrides` null removes one. */
function authParams(s: Setup, verifier: string, overrides: Record<string, string | null> = {}) {
  const params: Record<string, string | null> = {
    response_type: 'code',
    client_id: s.web.id,
    redirect_uri: s.webUris[0]!,
    state: s.rng.word(8, 16),
    code_challenge: s256(verifier),
    code_challenge_method: 'S256',
    ...overrides,
  }
  const search = new URLSearchParams()
  for (const [k, v] of Object.entries(params)) if (v !== null) search.set(k, v)
  return search
}

function authorize(api: Api, search: URLSearchParams, user: string | null) {
  return api.get(`/authorize?${search}`, { headers: user === null ? {} : { 'X-User': user } })
}

/** The redirect a 302 points at: where it goes and its query parameters. */
function redirectOf(res: Reply) {
  expect(res).toHaveStatus(302)
  expect(res).toHaveHeader('location')
  const url = new URL(res.headers.location!)
  return { base: `${url.origin}${url.pathname}`, query: Object.fromEntries(url.searchParams) }
}

const baseOf = (uri: string) => {
  const url = new URL(uri)
  return `${url.origin}${url.pathname}`
}

/** Runs /authorize for `web` (or the given overrides) and returns the code with its verifier. */
async function getCode(s: Setup, overrides: Record<string, string | null> = {}, api = s.api) {
  const verifier = verifierFrom(s.rng)
  const search = authParams(s, verifier, overrides)
  const res = await authorize(api, search, s.user)
  const { query } = redirectOf(res)
  expect(query.code, 'the redirect carries a code').toBeTruthy()
  return { code: query.code!, verifier, redirectUri: search.get('redirect_uri')! }
}

type Auth = { basic: [string, string] } | { post: [string, string] } | { header: string } | null

function token(api: Api, form: Record<string, string>, auth: Auth) {
  const headers: Record<string, string> = { 'Content-Type': 'application/x-www-form-urlencoded' }
  const fields = { ...form }
  if (auth && 'basic' in auth) headers.Authorization = basic(...auth.basic)
  if (auth && 'header' in auth) headers.Authorization = auth.header
  if (auth && 'post' in auth)
    Object.assign(fields, { client_id: auth.post[0], client_secret: auth.post[1] })
  return api.post('/token', { headers, body: new URLSearchParams(fields).toString() })
}

const asWeb = (s: Setup): Auth => ({ basic: [s.web.id, s.web.secret] })

function exchange(
  s: Setup,
  got: { code: string; verifier: string; redirectUri: string },
  auth = asWeb(s),
  api = s.api,
) {
  const form = {
    grant_type: 'authorization_code',
    code: got.code,
    redirect_uri: got.redirectUri,
    code_verifier: got.verifier,
  }
  return token(api, form, auth)
}

function expectOAuthError(res: Reply, error: string, status = 400) {
  expect(res).toHaveStatus(status)
  expect(res).toHaveJsonBody(expect.objectContaining({ error }))
}

function expectInvalidClient(res: Reply) {
  expectOAuthError(res, 'invalid_client', 401)
  expect(res).toHaveHeader('www-authenticate')
  const challenge = parseChallenge(res.headers['www-authenticate']!)
  expect(
    challenge?.scheme,
    'the 401 carries a Basic challenge: WWW-Authenticate: Basic realm="..."',
  ).toBe('basic')
}

/** A 400 shown to the user: never a redirect. */
function expectShownError(res: Reply) {
  expect(res).toHaveStatus(400)
  expect(res.headers.location, 'this error must not be redirected anywhere').toBeUndefined()
  expect(res).toHaveJsonBody(expect.objectContaining({ error: 'invalid_request' }))
}

/** An error redirected back to the client's redirect_uri, with the state. */
function expectRedirectedError(res: Reply, uri: string, error: string, state: string) {
  const { base, query } = redirectOf(res)
  focusOn(res)
  expect(base, 'the error goes back to the redirect_uri').toBe(baseOf(uri))
  expect(query.error, `the redirect carries error=${error}`).toBe(error)
  expect(query.state, 'the state comes back with the error').toBe(state)
  expect(query.code, 'no code comes with an error').toBeUndefined()
}

async function tokenBody(res: Reply) {
  expect(res).toHaveStatus(200)
  const body = res.body as {
    access_token: string
    token_type: string
    expires_in: number
    scope: string
  }
  expect(typeof body?.access_token, 'the answer carries an access_token string').toBe('string')
  return body
}

const me = (api: Api, accessToken: string) =>
  api.get('/api/me', { headers: { Authorization: `Bearer ${accessToken}` } })

const scopeSet = (scope: unknown) =>
  new Set(
    String(scope ?? '')
      .split(' ')
      .filter(Boolean),
  )

function expectInvalidToken(res: Reply) {
  expect(res).toHaveStatus(401)
  expect(res).toHaveHeader('www-authenticate')
  const challenge = parseChallenge(res.headers['www-authenticate']!)
  expect(challenge?.scheme).toBe('bearer')
  expect(challenge?.params.error, 'the challenge needs error="invalid_token"').toBe('invalid_token')
  expect(res).toHaveJsonBody(expect.objectContaining({ error: 'invalid_token' }))
}

describe('oauth2-authorization-code', () => {
  task(1, 'Issue a code at /authorize', () => {
    it('redirects 302 to the redirect_uri with a code and the state', async () => {
      const s = setup()
      const search = authParams(s, verifierFrom(s.rng))
      const { base, query } = redirectOf(await authorize(s.api, search, s.user))
      expect(base).toBe(s.webUris[0])
      expect(query.code, 'the redirect carries a code').toBeTruthy()
      expect(query.state, 'the state comes back unchanged').toBe(search.get('state'))
    })

    it('encodes the state: it comes back exactly as sent, special characters included', async () => {
      const s = setup()
      const state = `${s.rng.word()} &=/+?%#${s.rng.word()}`
      const search = authParams(s, verifierFrom(s.rng), { state })
      const { query } = redirectOf(await authorize(s.api, search, s.user))
      expect(query.state).toBe(state)
      expect(query.code).toBeTruthy()
    })

    it('sends no state back when the request had none', async () => {
      const s = setup()
      const search = authParams(s, verifierFrom(s.rng), { state: null })
      const { query } = redirectOf(await authorize(s.api, search, s.user))
      expect(query.code).toBeTruthy()
      expect(query.state).toBeUndefined()
    })

    it('keeps the query a registered redirect URI already has', async () => {
      const s = setup()
      const uri = s.webUris[1]!
      const search = authParams(s, verifierFrom(s.rng), { redirect_uri: uri })
      const { base, query } = redirectOf(await authorize(s.api, search, s.user))
      expect(base).toBe(baseOf(uri))
      expect(query.tenant, 'the registered ?tenant=... stays').toBe(
        new URL(uri).searchParams.get('tenant'),
      )
      expect(query.code).toBeTruthy()
    })

    it('answers 401 login_required when no user is signed in (no X-User)', async () => {
      const s = setup()
      const res = await authorize(s.api, authParams(s, verifierFrom(s.rng)), null)
      expect(res).toHaveStatus(401)
      expect(res.headers.location, 'no redirect without a user').toBeUndefined()
      expect(res).toHaveJsonBody(expect.objectContaining({ error: 'login_required' }))
    })

    it('hands out a new, long code every time, also between two apps', async () => {
      const s = setup()
      const other = s.second()
      const codes: string[] = []
      for (let i = 0; i < 4; i++)
        codes.push((await getCode(s)).code, (await getCode(s, {}, other)).code)
      for (const code of codes)
        expect(
          code.length,
          'a code has at least 128 random bits (22+ characters)',
        ).toBeGreaterThanOrEqual(22)
      expect(new Set(codes).size, 'every authorization gets its own code').toBe(codes.length)
    })
  })

  task(2, 'Refuse bad authorization requests', () => {
    it('answers 400 without redirecting when client_id is missing or unknown', async () => {
      const s = setup()
      for (const client_id of [null, `nobody-${s.rng.word()}`, 'constructor', '__proto__']) {
        expectShownError(
          await authorize(s.api, authParams(s, verifierFrom(s.rng), { client_id }), s.user),
        )
      }
    })

    it('answers 400 without redirecting unless redirect_uri matches a registered one exactly', async () => {
      const s = setup()
      const uri = s.webUris[0]!
      const { host } = s
      const near = [
        `${uri}/extra`,
        `${uri}x`,
        `${uri}?next=1`,
        `${uri}#top`,
        `${uri}/`,
        uri.slice(0, -2),
        uri.replace('https://', 'http://'),
        uri.replace(host, `${host}.evil.example`),
        `https://evil.example/?r=${uri}`,
        s.webUris[1]!.split('?')[0]!,
        s.partnerUri,
      ]
      for (const redirect_uri of [null, ...near]) {
        expectShownError(
          await authorize(s.api, authParams(s, verifierFrom(s.rng), { redirect_uri }), s.user),
        )
      }
    })

    it('redirects unsupported_response_type, and invalid_request for a missing one', async () => {
      const s = setup()
      const uri = s.webUris[0]!
      for (const [response_type, error] of [
        ['token', 'unsupported_response_type'],
        [null, 'invalid_request'],
      ] as const) {
        const search = authParams(s, verifierFrom(s.rng), { response_type })
        expectRedirectedError(
          await authorize(s.api, search, s.user),
          uri,
          error,
          search.get('state')!,
        )
      }
    })

    it('requires PKCE with S256: no challenge, plain or no method is invalid_request', async () => {
      const s = setup()
      const uri = s.webUris[0]!
      const cases: Record<string, string | null>[] = [
        { code_challenge: null },
        { code_challenge_method: 'plain' },
        { code_challenge_method: null },
      ]
      for (const overrides of cases) {
        const search = authParams(s, verifierFrom(s.rng), overrides)
        expectRedirectedError(
          await authorize(s.api, search, s.user),
          uri,
          'invalid_request',
          search.get('state')!,
        )
      }
    })

    it('redirects invalid_scope for a scope the client may not have', async () => {
      const s = setup()
      const uri = s.webUris[0]!
      for (const scope of [
        `${s.web.scopes[0]} ${s.partner.scopes[0]}`,
        `${s.rng.word()}:admin`,
        'constructor',
      ]) {
        const search = authParams(s, verifierFrom(s.rng), { scope })
        expectRedirectedError(
          await authorize(s.api, search, s.user),
          uri,
          'invalid_scope',
          search.get('state')!,
        )
      }
    })

    it('redirects unauthorized_client for a client without the authorization_code grant', async () => {
      const s = setup()
      const uri = `${s.host}/bot`
      const search = authParams(s, verifierFrom(s.rng), { client_id: s.bot.id, redirect_uri: uri })
      expectRedirectedError(
        await authorize(s.api, search, s.user),
        uri,
        'unauthorized_client',
        search.get('state')!,
      )
    })
    it('checks the user before every redirected problem: no X-User is 401 login_required', async () => {
      const s = setup()
      const cases: Record<string, string | null>[] = [
        { response_type: null },
        { response_type: 'token' },
        { client_id: s.bot.id, redirect_uri: `${s.host}/bot` },
        { code_challenge: null },
        { code_challenge_method: 'plain' },
        { scope: `${s.rng.word()}:admin` },
      ]
      for (const overrides of cases) {
        const res = await authorize(s.api, authParams(s, verifierFrom(s.rng), overrides), null)
        expect(res).toHaveStatus(401)
        expect(res.headers.location, 'no redirect without a user').toBeUndefined()
        expect(res).toHaveJsonBody(expect.objectContaining({ error: 'login_required' }))
      }
      // The redirect URI still comes before the user: an untrusted one is shown, not redirected.
      const search = authParams(s, verifierFrom(s.rng), { redirect_uri: `${s.webUris[0]}x` })
      expectShownError(await authorize(s.api, search, null))
    })

    it('takes an empty scope= as no scope, not as a bad one', async () => {
      const s = setup()
      const search = authParams(s, verifierFrom(s.rng), { scope: '' })
      const { query } = redirectOf(await authorize(s.api, search, s.user))
      expect(query.error, 'scope= with no value is as if it was left out').toBeUndefined()
      expect(query.code, 'the redirect carries a code').toBeTruthy()
    })
  })

  task(3, 'Authenticate the client at /token', () => {
    // A grant type the server does not support gets past client authentication and fails after
    // it: unsupported_grant_type proves the client was accepted.
    const probe = { grant_type: 'password', username: 'u', password: 'p' }

    it('accepts client_secret_basic (any case of Basic) and client_secret_post', async () => {
      const s = setup()
      expectOAuthError(await token(s.api, probe, asWeb(s)), 'unsupported_grant_type')
      const lower = basic(s.web.id, s.web.secret).replace('Basic', 'basic')
      expectOAuthError(await token(s.api, probe, { header: lower }), 'unsupported_grant_type')
      expectOAuthError(
        await token(s.api, probe, { post: [s.web.id, s.web.secret] }),
        'unsupported_grant_type',
      )
    })

    it('answers 401 invalid_client with a Basic challenge to a wrong secret, either way', async () => {
      const s = setup()
      const wrong = `${s.web.secret}x`
      expectInvalidClient(await token(s.api, probe, { basic: [s.web.id, wrong] }))
      expectInvalidClient(await token(s.api, probe, { post: [s.web.id, wrong] }))
      expectInvalidClient(await token(s.api, probe, { basic: [s.web.id, s.partner.secret] }))
    })

    it('answers 401 invalid_client to an unknown client or none at all', async () => {
      const s = setup()
      expectInvalidClient(
        await token(s.api, probe, { basic: [`nobody-${s.rng.word()}`, s.web.secret] }),
      )
      expectInvalidClient(await token(s.api, probe, { basic: ['constructor', s.web.secret] }))
      expectInvalidClient(await token(s.api, probe, { post: ['__proto__', s.web.secret] }))
      expectInvalidClient(await token(s.api, probe, null))
      expectInvalidClient(await token(s.api, { ...probe, client_id: s.web.id }, null))
    })

    it('refuses two authentication methods at once with 400 invalid_request', async () => {
      const s = setup()
      const res = await token(s.api, { ...probe, client_secret: s.web.secret }, asWeb(s))
      expectOAuthError(res, 'invalid_request')
    })

    it('checks for two methods first: with wrong credentials too it is invalid_request', async () => {
      const s = setup()
      const cases: [Auth, string][] = [
        [{ basic: [s.web.id, `${s.web.secret}x`] }, s.web.secret],
        [{ basic: [`nobody-${s.rng.word()}`, s.web.secret] }, s.web.secret],
        [asWeb(s), `${s.web.secret}x`],
        [{ basic: [s.web.id, s.partner.secret] }, s.partner.secret],
      ]
      for (const [auth, client_secret] of cases) {
        expectOAuthError(await token(s.api, { ...probe, client_secret }, auth), 'invalid_request')
      }
    })

    it('splits Basic credentials at the first colon: the secret may hold more', async () => {
      const s = setup()
      for (const { id, secret } of [s.web, s.partner]) {
        const header = rawBasic(id, secret)
        expectOAuthError(await token(s.api, probe, { header }), 'unsupported_grant_type')
        // The same, with the colons of the secret form-urlencoded as %3A.
        const encoded: Auth = { basic: [id, secret] }
        expectOAuthError(await token(s.api, probe, encoded), 'unsupported_grant_type')
        const cut = secret.lastIndexOf(':')
        for (const wrong of [secret.slice(0, cut), secret.slice(cut + 1), `${secret}:`]) {
          expectInvalidClient(await token(s.api, probe, { header: rawBasic(id, wrong) }))
        }
      }
    })

    it('answers invalid_request without grant_type and unsupported_grant_type for others', async () => {
      const s = setup()
      expectOAuthError(await token(s.api, {}, asWeb(s)), 'invalid_request')
      for (const grant_type of ['password', 'refresh_token', 'implicit', 'Authorization_Code']) {
        expectOAuthError(await token(s.api, { grant_type }, asWeb(s)), 'unsupported_grant_type')
      }
    })

    it('takes only a form-encoded body: JSON is invalid_request', async () => {
      const s = setup()
      const res = await s.api.post('/token', {
        headers: { Authorization: basic(s.web.id, s.web.secret) },
        json: { grant_type: 'client_credentials' },
      })
      expectOAuthError(res, 'invalid_request')
    })
  })

  task(4, 'Exchange the code with PKCE', () => {
    it('trades the code, its verifier and redirect_uri for a bearer token', async () => {
      const s = setup()
      const res = await exchange(s, await getCode(s))
      expect(res).toHaveJsonBody(
        expect.objectContaining({
          access_token: expect.any(String),
          token_type: expect.stringMatching(/^bearer$/i),
          expires_in: s.options.accessTtlSeconds,
        }),
      )
      const body = await tokenBody(res)
      expect(scopeSet(body.scope), 'without a scope request, every scope of the client').toEqual(
        new Set(s.web.scopes),
      )
      const who = await me(s.api, body.access_token)
      expect(who).toHaveStatus(200)
      expect(who).toHaveJsonBody(expect.objectContaining({ sub: s.user, client_id: s.web.id }))
      expect(scopeSet((who.body as { scope: string }).scope)).toEqual(new Set(s.web.scopes))
    })

    it('marks the token response Cache-Control: no-store', async () => {
      const s = setup()
      const res = await exchange(s, await getCode(s))
      expect(res).toHaveStatus(200)
      expect(res).toHaveHeader('cache-control')
      expect(
        parseTokenList(res.headers['cache-control']),
        'Cache-Control: no-store (RFC 6749 section 5.1)',
      ).toContain('NO-STORE')
    })

    it('accepts client_secret_post and a redirect URI with a query', async () => {
      const s = setup()
      const got = await getCode(s, { redirect_uri: s.webUris[1]! })
      await tokenBody(await exchange(s, got, { post: [s.web.id, s.web.secret] }))
    })

    it('grants the scopes asked for at /authorize', async () => {
      const s = setup()
      const asked = s.rng.shuffle(s.web.scopes).slice(0, 2)
      const body = await tokenBody(await exchange(s, await getCode(s, { scope: asked.join(' ') })))
      expect(scopeSet(body.scope)).toEqual(new Set(asked))
    })

    it('grants every scope of the client for an empty scope= at /authorize', async () => {
      const s = setup()
      const body = await tokenBody(await exchange(s, await getCode(s, { scope: '' })))
      expect(scopeSet(body.scope), 'scope= with no value is as if it was left out').toEqual(
        new Set(s.web.scopes),
      )
    })

    it('refuses the code grant to a client whose grants lack it with unauthorized_client', async () => {
      const s = setup()
      const auth: Auth = { basic: [s.bot.id, s.bot.secret] }
      // Whatever code it brings: another client's, with its verifier and redirect_uri, or none
      // this app issued.
      expectOAuthError(await exchange(s, await getCode(s), auth), 'unauthorized_client')
      const got = await getCode(s)
      expectOAuthError(
        await exchange(s, { ...got, code: `${got.code}x` }, { post: [s.bot.id, s.bot.secret] }),
        'unauthorized_client',
      )
      // A client with both grants may trade its own code.
      const partner = await getCode(s, { client_id: s.partner.id, redirect_uri: s.partnerUri })
      await tokenBody(await exchange(s, partner, { basic: [s.partner.id, s.partner.secret] }))
    })

    it('refuses a wrong verifier, and the challenge itself as verifier, with invalid_grant', async () => {
      const s = setup()
      const a = await getCode(s)
      expectOAuthError(await exchange(s, { ...a, verifier: verifierFrom(s.rng) }), 'invalid_grant')
      const b = await getCode(s)
      expectOAuthError(await exchange(s, { ...b, verifier: s256(b.verifier) }), 'invalid_grant')
    })

    it('refuses another redirect_uri than the one the code was issued for', async () => {
      const s = setup()
      const a = await getCode(s)
      expectOAuthError(await exchange(s, { ...a, redirectUri: s.webUris[1]! }), 'invalid_grant')
      const b = await getCode(s)
      expectOAuthError(
        await exchange(s, { ...b, redirectUri: `${b.redirectUri}/` }),
        'invalid_grant',
      )
    })

    it('refuses a code issued to another client, even with the right verifier', async () => {
      const s = setup()
      const got = await getCode(s)
      const res = await exchange(s, got, { basic: [s.partner.id, s.partner.secret] })
      expectOAuthError(res, 'invalid_grant')
    })

    it('answers invalid_request when code, redirect_uri or code_verifier is missing', async () => {
      const s = setup()
      for (const field of ['code', 'redirect_uri', 'code_verifier']) {
        const got = await getCode(s)
        const form: Record<string, string> = {
          grant_type: 'authorization_code',
          code: got.code,
          redirect_uri: got.redirectUri,
          code_verifier: got.verifier,
        }
        delete form[field]
        expectOAuthError(await token(s.api, form, asWeb(s)), 'invalid_request')
      }
    })

    it('refuses an unknown code with invalid_grant', async () => {
      const s = setup()
      const got = await getCode(s)
      expectOAuthError(await exchange(s, { ...got, code: `${got.code}x` }), 'invalid_grant')
    })

    it('lets a code expire codeTtlSeconds after it was issued, by the injected clock', async () => {
      const s = setup()
      const early = await getCode(s)
      const late = await getCode(s)
      s.clock.advance(s.options.codeTtlSeconds! * 1000 - 1)
      await tokenBody(await exchange(s, early))
      s.clock.advance(1)
      expectOAuthError(await exchange(s, late), 'invalid_grant')
    })
  })

  task(5, 'Check access tokens at the resource server', () => {
    it('answers 401 with a bare Bearer challenge without a bearer token', async () => {
      const s = setup()
      const variants: Record<string, string>[] = [
        {},
        { Authorization: basic(s.web.id, s.web.secret) },
      ]
      for (const headers of variants) {
        const res = await s.api.get('/api/me', { headers })
        expect(res).toHaveStatus(401)
        const challenge = parseChallenge(res.headers['www-authenticate'] ?? '')
        expect(challenge?.scheme, 'WWW-Authenticate: Bearer realm="api"').toBe('bearer')
        expect(challenge?.params.error).toBeUndefined()
        expect(res).toHaveJsonBody(expect.objectContaining({ error: 'unauthorized' }))
      }
    })

    it('takes the scheme name Bearer in any case', async () => {
      const s = setup()
      const { access_token } = await tokenBody(await exchange(s, await getCode(s)))
      const mixed = [...'bearer'].map((ch) => (s.rng.int(0, 1) ? ch.toUpperCase() : ch)).join('')
      for (const scheme of ['bearer', 'BEARER', mixed]) {
        const res = await s.api.get('/api/me', {
          headers: { Authorization: `${scheme} ${access_token}` },
        })
        expect(res).toHaveStatus(200)
        expect(res).toHaveJsonBody(expect.objectContaining({ sub: s.user, client_id: s.web.id }))
      }
      const headers = { Authorization: `bearer ${access_token}x` }
      expectInvalidToken(await s.api.get('/api/me', { headers }))
    })

    it('answers 401 invalid_token to a token it never issued', async () => {
      const s = setup()
      const { access_token } = await tokenBody(await exchange(s, await getCode(s)))
      expectInvalidToken(await me(s.api, `${access_token}x`))
      expectInvalidToken(await me(s.api, s.rng.word(30, 40)))
    })

    it('ends an access token accessTtlSeconds after it was issued', async () => {
      const s = setup()
      const { access_token } = await tokenBody(await exchange(s, await getCode(s)))
      s.clock.advance(s.options.accessTtlSeconds! * 1000 - 1)
      expect(await me(s.api, access_token)).toHaveStatus(200)
      s.clock.advance(1)
      expectInvalidToken(await me(s.api, access_token))
    })

    it('keeps each app its own: codes and tokens mean nothing to another app', async () => {
      const s = setup()
      const other = s.second()
      const { access_token } = await tokenBody(await exchange(s, await getCode(s)))
      expectInvalidToken(await me(other, access_token))
      expectOAuthError(await exchange(s, await getCode(s), asWeb(s), other), 'invalid_grant')
    })
  })

  task(6, 'Catch code reuse', () => {
    it('refuses a code the second time with invalid_grant', async () => {
      const s = setup()
      const got = await getCode(s)
      await tokenBody(await exchange(s, got))
      expectOAuthError(await exchange(s, got), 'invalid_grant')
    })

    it('revokes the token the first exchange issued when the code comes back', async () => {
      const s = setup()
      const got = await getCode(s)
      const { access_token } = await tokenBody(await exchange(s, got))
      expect(await me(s.api, access_token)).toHaveStatus(200)
      expectOAuthError(await exchange(s, got), 'invalid_grant')
      expectInvalidToken(await me(s.api, access_token))
    })

    it('leaves the tokens of other codes working', async () => {
      const s = setup()
      const stolen = await getCode(s)
      const { access_token } = await tokenBody(await exchange(s, await getCode(s)))
      await tokenBody(await exchange(s, stolen))
      expectOAuthError(await exchange(s, stolen), 'invalid_grant')
      expect(await me(s.api, access_token)).toHaveStatus(200)
    })

    it('issues at most one token for concurrent exchanges of one code', async () => {
      const s = setup()
      const got = await getCode(s)
      const body = new URLSearchParams({
        grant_type: 'authorization_code',
        code: got.code,
        redirect_uri: got.redirectUri,
        code_verifier: got.verifier,
      }).toString()
      // Straight into app.fetch, all three started in the same tick: over sockets the requests
      // may arrive one by one, and a race would only show now and then.
      const request = () =>
        new Request('http://localhost/token', {
          method: 'POST',
          headers: {
            'Content-Type': 'application/x-www-form-urlencoded',
            Authorization: basic(s.web.id, s.web.secret),
          },
          body,
        })
      const replies = await Promise.all([1, 2, 3].map(() => s.app.fetch(request())))
      const statuses = replies.map((r) => r.status)
      expect(
        statuses.filter((st) => st === 200).length,
        `three concurrent exchanges of one code answered ${statuses.join(', ')}: one code buys at most one token`,
      ).toBeLessThanOrEqual(1)
    })
  })

  task(7, 'Client credentials for machines', () => {
    const cc = { grant_type: 'client_credentials' }

    it('issues a token to the client itself, with all its scopes by default', async () => {
      const s = setup()
      const res = await token(s.api, cc, { basic: [s.bot.id, s.bot.secret] })
      const body = await tokenBody(res)
      expect(parseTokenList(res.headers['cache-control']), 'Cache-Control: no-store').toContain(
        'NO-STORE',
      )
      expect(body.token_type).toMatch(/^bearer$/i)
      expect(body.expires_in).toBe(s.options.accessTtlSeconds)
      expect(scopeSet(body.scope)).toEqual(new Set(s.bot.scopes))
      const who = await me(s.api, body.access_token)
      expect(who).toHaveStatus(200)
      expect(who).toHaveJsonBody(expect.objectContaining({ sub: s.bot.id, client_id: s.bot.id }))
    })

    it('grants exactly the scopes asked for, when the client may have them', async () => {
      const s = setup()
      const asked = s.rng.shuffle(s.bot.scopes).slice(0, 2)
      const res = await token(
        s.api,
        { ...cc, scope: asked.join(' ') },
        { post: [s.bot.id, s.bot.secret] },
      )
      expect(scopeSet((await tokenBody(res)).scope)).toEqual(new Set(asked))
    })

    it('grants all its scopes for an empty scope=, as if there was none', async () => {
      const s = setup()
      const res = await token(s.api, { ...cc, scope: '' }, { basic: [s.bot.id, s.bot.secret] })
      expect(scopeSet((await tokenBody(res)).scope)).toEqual(new Set(s.bot.scopes))
    })

    it("refuses a scope outside the client's allowed scopes with invalid_scope", async () => {
      const s = setup()
      for (const scope of [
        `${s.bot.scopes[0]} ${s.web.scopes[0]}`,
        `${s.rng.word()}:admin`,
        'constructor',
      ]) {
        expectOAuthError(
          await token(s.api, { ...cc, scope }, { basic: [s.bot.id, s.bot.secret] }),
          'invalid_scope',
        )
      }
    })

    it('refuses a client without the client_credentials grant with unauthorized_client', async () => {
      const s = setup()
      expectOAuthError(await token(s.api, cc, asWeb(s)), 'unauthorized_client')
      await tokenBody(await token(s.api, cc, { basic: [s.partner.id, s.partner.secret] }))
    })

    it('still authenticates the client first: a wrong secret is invalid_client', async () => {
      const s = setup()
      expectInvalidClient(await token(s.api, cc, { basic: [s.bot.id, s.web.secret] }))
    })
  })
})
