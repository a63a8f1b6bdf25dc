// sessions-vs-tokens - the hidden spec.
//
// Wrong implementations this spec is built to catch:
// - a session cookie without HttpOnly, Secure, SameSite=Lax/Strict or Path=/ (SameSite=None)
// - session ids that can be guessed: built from the username or the time, a counter, the same
//   sequence in every app; ids shorter than 22 characters
// - session fixation: keeps the session id the browser came with (attacker-chosen), or keeps an
//   existing session alive and re-labels it with the new user instead of ending it
// - sessions that never expire, or expire by Date.now() instead of the injected clock
// - logout that only expires the cookie (a copied cookie still works), expires it with another
//   Path, or logs out every session of the user
// - access tokens whose exp ignores accessTtlSeconds or comes from Date.now(), verified against
//   the real clock, or stored server-side (another instance with the same secret must accept them)
// - every token of a user sharing one jti (logout of one device logs out all of them)
// - a refresh token that is also accepted as an access token, or an access token as a refresh token
// - refresh that hands back the same refresh token, leaves the used one alive, or lets it expire
//   never; a used refresh token that comes back without killing its family (newest included)
// - family revocation by user instead of by family (another login of the user dies too)
// - a race: two concurrent refreshes with one token both succeed
// - token logout that does not denylist the jti, denylists the user, or leaves the refresh
//   family alive; a bad bearer token that falls back to the session cookie
// - a case-sensitive `Bearer`; any Authorization header (Basic, another scheme) taken for a
//   bearer token, so that it shadows the session cookie; an empty bearer token that falls back to
//   the cookie
// - a verifier that also takes HS384/HS512 with the same secret or `alg: none`, or that accepts
//   a well-signed token without exp (it never expires) or without jti (logout cannot reach it)
// - state in module scope: a session or refresh token from one app works at another
import { decodeJwt, jwtVerify, SignJWT, UnsecuredJWT, type JWTPayload } from 'jose'
import { describe, expect, it } from 'vitest'
import {
  build,
  client,
  fakeClock,
  focusOn,
  parseChallenge,
  parseSetCookies,
  random,
  task,
  type Reply,
  type SetCookie,
} from '../../harness/spec-kit/index.ts'
import { createApp } from '../../exercises/sessions-vs-tokens/app.ts'

type Options = Parameters<typeof createApp>[0]

/**
 * A fresh app with random users and lifetimes and a clock in 2036 on a whole second, so that an
 * app reading Date.now() gets every expiry wrong. `same` rebuilds an app with the same options.
 */
function setup({ salt = '' } = {}) {
  const rng = random(salt)
  const user = `user-${rng.word()}`
  const password = rng.word(10, 16)
  const other = `other-${rng.word()}`
  const users = { [user]: password, [other]: rng.word(10, 16) }
  const clock = fakeClock(
    Date.UTC(2036, rng.int(0, 11), rng.int(1, 28), rng.int(0, 23)) + rng.int(0, 3599) * 1000,
  )
  const options: Options = {
    users,
    secret: rng.word(32, 40),
    now: clock.now,
    sessionTtlSeconds: rng.int(600, 7200),
    accessTtlSeconds: rng.int(60, 900),
    refreshTtlSeconds: rng.int(3600, 86_400),
  }
  const app = build(createApp, options)
  const api = client(app)
  const second = (extra: Partial<Options> = {}) =>
    client(build(createApp, { ...options, ...extra }))
  const creds = { username: user, password }
  return { rng, user, password, other, users, clock, options, app, api, second, creds }
}

type Api = ReturnType<typeof setup>['api']

function sidCookie(res: Reply): SetCookie | undefined {
  return parseSetCookies(res.headers['set-cookie']).find((c) => c.name === 'sid')
}

/** Logs in with a session and returns the new session id (the check fails if there is none). */
async function sessionLogin(api: Api, creds: object, cookie?: string): Promise<string> {
  const res = await api.post('/session/login', {
    json: creds,
    headers: cookie ? { Cookie: cookie } : {},
  })
  expect(res).toHaveStatus(200)
  const sid = sidCookie(res)
  expect(sid?.value, 'a successful session login sets the sid cookie').toBeTruthy()
  return sid!.value
}

const withSid = (sid: string) => ({ headers: { Cookie: `sid=${sid}` } })
const withBearer = (token: string) => ({ headers: { Authorization: `Bearer ${token}` } })

/** The claims set signed by the grader with the app's secret (HS256 unless told otherwise). */
function signed(secret: string, claims: JWTPayload, alg = 'HS256') {
  return new SignJWT(claims)
    .setProtectedHeader({ alg, typ: 'JWT' })
    .sign(new TextEncoder().encode(secret))
}

interface Tokens {
  access_token: string
  refresh_token: string
  token_type: string
  expires_in: number
}

async function tokenLogin(api: Api, creds: object): Promise<Tokens> {
  const res = await api.post('/token/login', { json: creds })
  expect(res).toHaveStatus(200)
  const body = res.body as Tokens
  expect(typeof body?.access_token, 'the login answer carries an access_token string').toBe(
    'string',
  )
  expect(typeof body?.refresh_token, 'the login answer carries a refresh_token string').toBe(
    'string',
  )
  return body
}

const refresh = (api: Api, token: unknown) =>
  api.post('/token/refresh', { json: { refresh_token: token } })

async function refreshed(api: Api, token: string): Promise<Tokens> {
  const res = await refresh(api, token)
  expect(res).toHaveStatus(200)
  return res.body as Tokens
}

function expectUnauthorized(res: Reply) {
  expect(res).toHaveStatus(401)
  expect(res).toHaveHeader('www-authenticate')
  const challenge = parseChallenge(res.headers['www-authenticate']!)
  expect(challenge?.scheme, 'the 401 carries a Bearer challenge').toBe('bearer')
  expect(challenge?.params.error, 'no error attribute when no token was presented').toBeUndefined()
  expect(res).toHaveJsonBody(expect.objectContaining({ error: 'unauthorized' }))
}

function expectInvalidToken(res: Reply) {
  expect(res).toHaveStatus(401)
  expect(res).toHaveHeader('www-authenticate')
  const challenge = parseChallenge(res.headers['www-authenticate']!)
  expect(challenge?.scheme, 'the 401 carries a Bearer challenge').toBe('bearer')
  expect(challenge?.params.error, 'the challenge needs error="invalid_token"').toBe('invalid_token')
  expect(res).toHaveJsonBody(expect.objectContaining({ error: 'invalid_token' }))
}

function expectMe(res: Reply, sub: string, via: 'session' | 'token') {
  expect(res).toHaveStatus(200)
  expect(res).toHaveJsonBody(expect.objectContaining({ sub, via }))
}

function expectInvalidGrant(res: Reply) {
  expect(res).toHaveStatus(400)
  expect(res).toHaveJsonBody(expect.objectContaining({ error: 'invalid_grant' }))
}

describe('sessions-vs-tokens', () => {
  task(1, 'Log in with a session cookie', () => {
    it('POST /session/login sets a sid cookie that GET /api/me accepts', async () => {
      const { api, creds, user } = setup()
      const res = await api.post('/session/login', { json: creds })
      expect(res).toHaveStatus(200)
      expect(res).toHaveJsonBody(expect.objectContaining({ sub: user }))
      const sid = sidCookie(res)
      expect(sid?.value, 'the login answer sets a cookie named sid').toBeTruthy()
      expectMe(await api.get('/api/me', withSid(sid!.value)), user, 'session')
    })

    it('marks the cookie HttpOnly, Secure, SameSite=Lax or Strict, Path=/', async () => {
      const { api, creds } = setup()
      const res = await api.post('/session/login', { json: creds })
      const attrs = sidCookie(res)?.attributes ?? {}
      focusOn(res)
      expect(Object.hasOwn(attrs, 'httponly'), 'HttpOnly: page scripts must not read the id').toBe(
        true,
      )
      expect(Object.hasOwn(attrs, 'secure'), 'Secure: never sent over plain HTTP').toBe(true)
      expect(attrs.samesite?.toLowerCase(), 'SameSite=Lax or SameSite=Strict').toMatch(
        /^(lax|strict)$/,
      )
      expect(attrs.path, 'Path=/').toBe('/')
    })

    it('refuses a wrong password, an unknown user and inherited names with 401', async () => {
      const { api, creds, users, other, rng } = setup()
      const attempts = [
        { ...creds, password: `${creds.password}x` },
        { ...creds, password: users[other] },
        { username: `nobody-${rng.word()}`, password: creds.password },
        { username: 'constructor', password: creds.password },
        { username: '__proto__', password: creds.password },
        { username: creds.username },
      ]
      for (const json of attempts) {
        const res = await api.post('/session/login', { json })
        expect(res).toHaveStatus(401)
        expect(res).toHaveJsonBody(expect.objectContaining({ error: 'invalid_credentials' }))
        expect(sidCookie(res)?.value || undefined, 'a failed login sets no session').toBeUndefined()
      }
    })

    it('answers 401 with a Bearer challenge without a cookie or with an unknown sid', async () => {
      const { api, rng, creds } = setup()
      const sid = await sessionLogin(api, creds)
      expectUnauthorized(await api.get('/api/me'))
      expectUnauthorized(await api.get('/api/me', withSid(rng.word(43, 43))))
      expectUnauthorized(await api.get('/api/me', withSid(`${sid}x`)))
      expectUnauthorized(await api.get('/api/me', { headers: { Cookie: `xsid=${sid}` } }))
    })

    it('finds the sid cookie among other cookies', async () => {
      const { api, creds, user } = setup()
      const sid = await sessionLogin(api, creds)
      const headers = { Cookie: `theme=dark; sid=${sid}; lang=en` }
      expectMe(await api.get('/api/me', { headers }), user, 'session')
    })

    it('hands out long, unguessable ids: all different, also between two apps', async () => {
      const { api, second, creds, user } = setup()
      const other = second()
      const ids: string[] = []
      // The clock does not move: an id made from the user and the time repeats.
      for (let i = 0; i < 6; i++)
        ids.push(await sessionLogin(api, creds), await sessionLogin(other, creds))
      for (const id of ids) {
        expect(id, 'a session id is at least 22 URL-safe characters').toMatch(
          /^[A-Za-z0-9_-]{22,}$/,
        )
        expect(id.includes(user), 'a session id must not contain the username').toBe(false)
      }
      expect(new Set(ids).size, 'every login gets a new, unpredictable id').toBe(ids.length)
    })

    it('ends a session sessionTtlSeconds after login, by the injected clock', async () => {
      const { api, creds, user, clock, options } = setup()
      const sid = await sessionLogin(api, creds)
      clock.advance(options.sessionTtlSeconds! * 1000 - 1)
      expectMe(await api.get('/api/me', withSid(sid)), user, 'session')
      clock.advance(1)
      expectUnauthorized(await api.get('/api/me', withSid(sid)))
    })

    it('keeps sessions per app: a session id means nothing to another app', async () => {
      const { api, second, creds, user } = setup()
      const sid = await sessionLogin(api, creds)
      const other = second()
      expectUnauthorized(await other.get('/api/me', withSid(sid)))
      expectMe(await api.get('/api/me', withSid(sid)), user, 'session')
    })
  })

  task(2, 'Rotate the session id at login', () => {
    it('never adopts a session id the browser brought to the login', async () => {
      const { api, creds, rng } = setup()
      const planted = rng.word(43, 43)
      const sid = await sessionLogin(api, creds, `sid=${planted}`)
      expect(sid, 'the login must issue a new id, not the one the request carried').not.toBe(
        planted,
      )
      expectUnauthorized(await api.get('/api/me', withSid(planted)))
    })

    it("ends the attacker's own session when a victim logs in with its id", async () => {
      const { api, creds, other, users, user } = setup()
      const attackerSid = await sessionLogin(api, { username: other, password: users[other] })
      const victimSid = await sessionLogin(api, creds, `sid=${attackerSid}`)
      expect(victimSid, 'the login must issue a new id').not.toBe(attackerSid)
      expectUnauthorized(await api.get('/api/me', withSid(attackerSid)))
      expectMe(await api.get('/api/me', withSid(victimSid)), user, 'session')
    })

    it('rotates the id on every login, also of the same user', async () => {
      const { api, creds, user } = setup()
      const first = await sessionLogin(api, creds)
      const next = await sessionLogin(api, creds, `sid=${first}`)
      expect(next).not.toBe(first)
      expectUnauthorized(await api.get('/api/me', withSid(first)))
      expectMe(await api.get('/api/me', withSid(next)), user, 'session')
    })
  })

  task(3, 'Log out a session for good', () => {
    it('POST /session/logout answers 204 and expires the cookie with Path=/', async () => {
      const { api, creds, clock } = setup()
      const sid = await sessionLogin(api, creds)
      const res = await api.post('/session/logout', withSid(sid))
      expect(res).toHaveStatus(204)
      const cookie = sidCookie(res)
      expect(cookie, 'logout sends Set-Cookie for sid').toBeDefined()
      const { 'max-age': maxAge, expires, path } = cookie!.attributes
      const gone =
        maxAge !== undefined
          ? Number(maxAge) <= 0
          : expires !== undefined && Date.parse(expires) <= clock.now()
      expect(gone, 'the logout cookie needs Max-Age=0 (or an Expires in the past)').toBe(true)
      expect(path, 'the same Path=/ as the cookie it replaces').toBe('/')
    })

    it('deletes the session on the server: a copy of the old cookie stops working', async () => {
      const { api, creds } = setup()
      const sid = await sessionLogin(api, creds)
      expect(await api.post('/session/logout', withSid(sid))).toHaveStatus(204)
      expectUnauthorized(await api.get('/api/me', withSid(sid)))
    })

    it('ends only that session: another session of the same user keeps working', async () => {
      const { api, creds, user } = setup()
      const phone = await sessionLogin(api, creds)
      const laptop = await sessionLogin(api, creds)
      expect(await api.post('/session/logout', withSid(phone))).toHaveStatus(204)
      expectMe(await api.get('/api/me', withSid(laptop)), user, 'session')
    })

    it('answers 204 to a logout without a session', async () => {
      const { api, rng } = setup()
      expect(await api.post('/session/logout')).toHaveStatus(204)
      expect(await api.post('/session/logout', withSid(rng.word(43, 43)))).toHaveStatus(204)
    })
  })

  task(4, 'Log in with a short-lived access token', () => {
    it('POST /token/login answers with a bearer access token that GET /api/me accepts', async () => {
      const { api, creds, user, options } = setup()
      const res = await api.post('/token/login', { json: creds })
      expect(res).toHaveStatus(200)
      expect(res).toHaveJsonBody(
        expect.objectContaining({
          access_token: expect.any(String),
          refresh_token: expect.any(String),
          token_type: expect.stringMatching(/^bearer$/i),
          expires_in: options.accessTtlSeconds,
        }),
      )
      const { access_token } = res.body as Tokens
      expectMe(await api.get('/api/me', withBearer(access_token)), user, 'token')
    })

    it('refuses wrong credentials with 401 invalid_credentials', async () => {
      const { api, creds, rng } = setup()
      for (const json of [
        { ...creds, password: rng.word(10, 16) },
        { username: 'constructor', password: '' },
      ]) {
        const res = await api.post('/token/login', { json })
        expect(res).toHaveStatus(401)
        expect(res).toHaveJsonBody(expect.objectContaining({ error: 'invalid_credentials' }))
      }
    })

    it('signs an HS256 JWT with sub, jti and exp = now + accessTtlSeconds', async () => {
      const { api, creds, user, options, clock } = setup()
      const { access_token } = await tokenLogin(api, creds)
      const key = new TextEncoder().encode(options.secret)
      const verified = await jwtVerify(access_token, key, {
        algorithms: ['HS256'],
        currentDate: new Date(clock.now()),
      }).catch(() => undefined)
      expect(verified, 'the access token is a JWT signed with HS256 and the secret').toBeDefined()
      const { payload } = verified!
      expect(payload.sub).toBe(user)
      expect(typeof payload.jti, 'the token carries a jti').toBe('string')
      expect(payload.exp, 'exp is now() in seconds plus accessTtlSeconds').toBe(
        clock.now() / 1000 + options.accessTtlSeconds!,
      )
    })

    it('rejects the access token from its exp on, by the injected clock', async () => {
      const { api, creds, user, options, clock } = setup()
      const { access_token } = await tokenLogin(api, creds)
      clock.advance(options.accessTtlSeconds! * 1000 - 1)
      expectMe(await api.get('/api/me', withBearer(access_token)), user, 'token')
      clock.advance(1)
      expectInvalidToken(await api.get('/api/me', withBearer(access_token)))
    })

    it('gives every token its own jti', async () => {
      const { api, creds } = setup()
      const a = await tokenLogin(api, creds)
      const b = await tokenLogin(api, creds)
      expect(decodeJwt(a.access_token).jti).not.toBe(decodeJwt(b.access_token).jti)
    })

    it('is verified with the key alone: another app with the same secret accepts it', async () => {
      const { api, second, creds, user, rng } = setup()
      const { access_token } = await tokenLogin(api, creds)
      expectMe(await second().get('/api/me', withBearer(access_token)), user, 'token')
      expectInvalidToken(
        await second({ secret: rng.word(33, 40) }).get('/api/me', withBearer(access_token)),
      )
    })

    it('rejects a tampered token and a refresh token presented as an access token', async () => {
      const { api, creds, other } = setup()
      const { access_token, refresh_token } = await tokenLogin(api, creds)
      const [header, payload, signature] = access_token.split('.')
      const claims = JSON.parse(Buffer.from(payload!, 'base64url').toString())
      const forged = Buffer.from(JSON.stringify({ ...claims, sub: other })).toString('base64url')
      expectInvalidToken(await api.get('/api/me', withBearer(`${header}.${forged}.${signature}`)))
      expectInvalidToken(await api.get('/api/me', withBearer(refresh_token)))
    })

    it('judges a bearer token alone, even when a valid session cookie comes along', async () => {
      const { api, creds, rng } = setup()
      const sid = await sessionLogin(api, creds)
      const headers = { Cookie: `sid=${sid}`, Authorization: `Bearer ${rng.word(30, 40)}` }
      expectInvalidToken(await api.get('/api/me', { headers }))
    })
    it('takes the scheme name Bearer in any case', async () => {
      const { api, creds, user, rng } = setup()
      const { access_token } = await tokenLogin(api, creds)
      const mixed = [...'bearer'].map((ch) => (rng.int(0, 1) ? ch.toUpperCase() : ch)).join('')
      for (const scheme of ['bearer', 'BEARER', 'Bearer', mixed]) {
        const headers = { Authorization: `${scheme} ${access_token}` }
        expectMe(await api.get('/api/me', { headers }), user, 'token')
      }
      const sid = await sessionLogin(api, creds)
      const headers = { Cookie: `sid=${sid}`, Authorization: `bearer ${rng.word(30, 40)}` }
      expectInvalidToken(await api.get('/api/me', { headers }))
    })

    it('accepts HS256 only: the same claims under HS384, HS512 or alg none are refused', async () => {
      const { api, creds, user, options } = setup()
      const { access_token } = await tokenLogin(api, creds)
      const claims = decodeJwt(access_token)
      // The grader signing the same claims with HS256 and the secret: the key alone decides.
      const resigned = await signed(options.secret, claims)
      expectMe(await api.get('/api/me', withBearer(resigned)), user, 'token')
      for (const alg of ['HS384', 'HS512']) {
        const forged = await signed(options.secret, claims, alg)
        expectInvalidToken(await api.get('/api/me', withBearer(forged)))
      }
      const unsecured = new UnsecuredJWT(claims).encode()
      expectInvalidToken(await api.get('/api/me', withBearer(unsecured)))
      // alg none in the header, the genuine HS256 signature still attached.
      const none = Buffer.from(JSON.stringify({ alg: 'none', typ: 'JWT' })).toString('base64url')
      const [, payload, signature] = access_token.split('.')
      expectInvalidToken(await api.get('/api/me', withBearer(`${none}.${payload}.${signature}`)))
    })

    it('refuses a well-signed token that lacks exp, jti or sub', async () => {
      const { api, creds, options } = setup()
      const { access_token } = await tokenLogin(api, creds)
      const claims = decodeJwt(access_token)
      for (const missing of ['exp', 'jti', 'sub'] as const) {
        const rest = { ...claims }
        delete rest[missing]
        const token = await signed(options.secret, rest)
        expectInvalidToken(await api.get('/api/me', withBearer(token)))
      }
    })

    it('leaves the cookie to decide when the Authorization header is not Bearer', async () => {
      const { api, creds, user } = setup()
      const { access_token } = await tokenLogin(api, creds)
      const sid = await sessionLogin(api, creds)
      const userPass = Buffer.from(`${creds.username}:${creds.password}`).toString('base64')
      for (const authorization of [
        `Basic ${userPass}`,
        `Token ${access_token}`,
        `Bearerx ${access_token}`,
      ]) {
        const headers = { Authorization: authorization }
        expectMe(
          await api.get('/api/me', { headers: { ...headers, Cookie: `sid=${sid}` } }),
          user,
          'session',
        )
        expectUnauthorized(await api.get('/api/me', { headers }))
      }
    })

    it('answers invalid_token to a Bearer header with no token, even with a valid cookie', async () => {
      const { api, creds } = setup()
      const sid = await sessionLogin(api, creds)
      for (const authorization of ['Bearer', 'Bearer   ', 'bearer']) {
        const headers = { Authorization: authorization, Cookie: `sid=${sid}` }
        expectInvalidToken(await api.get('/api/me', { headers }))
      }
    })
  })

  task(5, 'Rotate refresh tokens and catch reuse', () => {
    it('POST /token/refresh answers a new access token and a new refresh token', async () => {
      const { api, creds, user, options } = setup()
      const first = await tokenLogin(api, creds)
      const res = await refresh(api, first.refresh_token)
      expect(res).toHaveStatus(200)
      expect(res).toHaveJsonBody(
        expect.objectContaining({
          access_token: expect.any(String),
          refresh_token: expect.any(String),
          token_type: expect.stringMatching(/^bearer$/i),
          expires_in: options.accessTtlSeconds,
        }),
      )
      const next = res.body as Tokens
      expect(next.refresh_token, 'each refresh returns a new refresh token').not.toBe(
        first.refresh_token,
      )
      expect(decodeJwt(next.access_token).jti).not.toBe(decodeJwt(first.access_token).jti)
      expectMe(await api.get('/api/me', withBearer(next.access_token)), user, 'token')
    })

    it('refuses the used refresh token with 400 invalid_grant', async () => {
      const { api, creds } = setup()
      const first = await tokenLogin(api, creds)
      await refreshed(api, first.refresh_token)
      expectInvalidGrant(await refresh(api, first.refresh_token))
    })

    it('kills the whole family, the newest token included, when a used one comes back', async () => {
      const { api, creds } = setup()
      const first = await tokenLogin(api, creds)
      const second = await refreshed(api, first.refresh_token)
      const third = await refreshed(api, second.refresh_token)
      expectInvalidGrant(await refresh(api, first.refresh_token))
      expectInvalidGrant(await refresh(api, third.refresh_token))
    })

    it('leaves the families of other logins alone when one family dies', async () => {
      const { api, creds } = setup()
      const stolen = await tokenLogin(api, creds)
      const other = await tokenLogin(api, creds)
      await refreshed(api, stolen.refresh_token)
      expectInvalidGrant(await refresh(api, stolen.refresh_token))
      expect(await refresh(api, other.refresh_token)).toHaveStatus(200)
    })

    it('lets only one of several concurrent refreshes with the same token succeed', async () => {
      const { app, api, creds } = setup()
      const { refresh_token } = await tokenLogin(api, creds)
      // Straight into app.fetch, all four started in the same tick: over sockets the requests
      // may arrive one by one, and a race would only show now and then.
      const request = () =>
        new Request('http://localhost/token/refresh', {
          method: 'POST',
          headers: { 'Content-Type': 'application/json' },
          body: JSON.stringify({ refresh_token }),
        })
      const replies = await Promise.all([1, 2, 3, 4].map(() => app.fetch(request())))
      const statuses = replies.map((r) => r.status)
      expect(
        statuses.filter((s) => s === 200).length,
        `four concurrent refreshes with one token answered ${statuses.join(', ')}: one refresh token buys one refresh`,
      ).toBe(1)
    })

    it('refuses unknown values, an access token and a refresh token of another app', async () => {
      const { api, second, creds, rng } = setup()
      const { access_token } = await tokenLogin(api, creds)
      expectInvalidGrant(await refresh(api, rng.word(43, 43)))
      expectInvalidGrant(await refresh(api, access_token))
      const { refresh_token } = await tokenLogin(api, creds)
      expectInvalidGrant(await refresh(second(), refresh_token))
      expect(await refresh(api, refresh_token)).toHaveStatus(200)
    })

    it('answers 400 invalid_request when refresh_token is missing', async () => {
      const { api } = setup()
      for (const json of [{}, { refresh_token: 42 }]) {
        const res = await api.post('/token/refresh', { json })
        expect(res).toHaveStatus(400)
        expect(res).toHaveJsonBody(expect.objectContaining({ error: 'invalid_request' }))
      }
    })

    it('ends a refresh token refreshTtlSeconds after it was issued', async () => {
      const { api, creds, clock, options } = setup()
      const early = await tokenLogin(api, creds)
      const late = await tokenLogin(api, creds)
      clock.advance(options.refreshTtlSeconds! * 1000 - 1)
      expect(await refresh(api, early.refresh_token)).toHaveStatus(200)
      clock.advance(1)
      expectInvalidGrant(await refresh(api, late.refresh_token))
    })
  })

  task(6, 'Log out a token: denylist its jti', () => {
    it('POST /token/logout answers 204, and the access token stops working at once', async () => {
      const { api, creds } = setup()
      const { access_token } = await tokenLogin(api, creds)
      expect(await api.post('/token/logout', withBearer(access_token))).toHaveStatus(204)
      expectInvalidToken(await api.get('/api/me', withBearer(access_token)))
      expectInvalidToken(await api.post('/token/logout', withBearer(access_token)))
    })

    it('ends the refresh family of that login, also after a refresh', async () => {
      const { api, creds } = setup()
      const first = await tokenLogin(api, creds)
      expect(await api.post('/token/logout', withBearer(first.access_token))).toHaveStatus(204)
      expectInvalidGrant(await refresh(api, first.refresh_token))
      const login = await tokenLogin(api, creds)
      const next = await refreshed(api, login.refresh_token)
      expect(await api.post('/token/logout', withBearer(next.access_token))).toHaveStatus(204)
      expectInvalidGrant(await refresh(api, next.refresh_token))
    })

    it('leaves the other tokens of the same user working', async () => {
      const { api, creds, user } = setup()
      const phone = await tokenLogin(api, creds)
      const laptop = await tokenLogin(api, creds)
      expect(await api.post('/token/logout', withBearer(phone.access_token))).toHaveStatus(204)
      expectMe(await api.get('/api/me', withBearer(laptop.access_token)), user, 'token')
      expect(await refresh(api, laptop.refresh_token)).toHaveStatus(200)
    })

    it('answers 401 to a logout without a usable token', async () => {
      const { api, rng } = setup()
      expectUnauthorized(await api.post('/token/logout'))
      const userPass = Buffer.from(`${rng.word()}:${rng.word()}`).toString('base64')
      expectUnauthorized(
        await api.post('/token/logout', { headers: { Authorization: `Basic ${userPass}` } }),
      )
      expectInvalidToken(await api.post('/token/logout', withBearer(rng.word(30, 40))))
      expectInvalidToken(await api.post('/token/logout', { headers: { Authorization: 'Bearer' } }))
    })

    it('takes the scheme name Bearer in any case at logout too', async () => {
      const { api, creds } = setup()
      const { access_token } = await tokenLogin(api, creds)
      const headers = { Authorization: `bEARER ${access_token}` }
      expect(await api.post('/token/logout', { headers })).toHaveStatus(204)
      expectInvalidToken(await api.get('/api/me', withBearer(access_token)))
    })

    it('keeps the two kinds apart: ending one leaves the other signed in', async () => {
      const { api, creds, user } = setup()
      const sid = await sessionLogin(api, creds)
      const tokens = await tokenLogin(api, creds)
      expect(await api.post('/session/logout', withSid(sid))).toHaveStatus(204)
      expectMe(await api.get('/api/me', withBearer(tokens.access_token)), user, 'token')
      const sid2 = await sessionLogin(api, creds)
      expect(await api.post('/token/logout', withBearer(tokens.access_token))).toHaveStatus(204)
      expectMe(await api.get('/api/me', withSid(sid2)), user, 'session')
    })
  })
})
