// oauth-scopes - the hidden spec.
//
// Wrong implementations this spec is built to catch:
// - matches scopes as substrings (`scope.includes('orders:read')` lets "orders:readwrite" in),
//   by prefix or hierarchy ("orders" or "orders:*" grants orders:read), ignoring letter case,
//   or splitting on commas ("orders:read,orders:write" is one token)
// - takes scopes from the token alone, ignoring the role (a viewer's token claiming
//   payments:write refunds), or from the role alone (the role's scopes the token never carried
//   are granted), or the union of both
// - looks roles or users up in plain objects (`sub: "constructor"` signs in, a role named
//   `toString` crashes or grants something)
// - accepts a token whose sub is not a known user, or answers it with 403 instead of 401
// - requires any one of a route's scopes instead of all of them (refund with one of two)
// - answers 401 where 403 insufficient_scope is due, or 403 where 401 is due (an expired or
//   forged token that carries every scope)
// - omits WWW-Authenticate on the 403, or its error="insufficient_scope", or the scope
//   auth-param, or names only the missing scope instead of every required one
// - looks the order up before checking scopes (404 for a token without the scopes)
// - treats a missing `scope` claim as invalid, or a non-string one (null included) as "no
//   scopes"; reads `scp`
// - lists a duplicated scope twice in /api/me
// - forgets what jwt-verify taught: accepts HS512 or `none`, ignores exp or nbf, refuses nbf
//   equal to the current second, reads Date.now() or reads now() once, accepts another issuer
//   or audience; refuses typ "at+jwt" or a token without iat; takes `Bearer<jwt>` for a bad
//   token instead of no credentials
// - a refused refund still refunds; the caller's orders array is mutated; module-level state
import { createHmac } from 'node:crypto'
import { SignJWT } from 'jose'
import { describe, expect, it } from 'vitest'
import {
  build,
  client,
  fakeClock,
  focusOn,
  parseChallenge,
  random,
  task,
  type Reply,
  type Rng,
} from '../../harness/spec-kit/index.ts'
import { createApp, type Order } from '../../exercises/oauth-scopes/app.ts'

type Claims = Record<string, unknown>

const READ = 'orders:read'
const WRITE = 'orders:write'
const PAY = 'payments:write'
const REFUND = [WRITE, PAY]

/** Tokens that look like orders:read but are not it. */
const NEAR_MISSES = ['orders:readwrite', 'orders', 'Orders:Read', 'orders:*', `${READ},${WRITE}`, `x${READ}`]

/** A whole-second instant in the given year, so that ms and s comparisons agree. */
function instantIn(rng: Rng, year: number): number {
  const [month, day, hour] = [rng.int(0, 11), rng.int(1, 28), rng.int(0, 23)]
  return Date.UTC(year, month, day, hour, rng.int(0, 59), rng.int(0, 59))
}

/**
 * A fresh app with random configuration, roles, users and orders, and a clock in 2031, so an
 * implementation that reads Date.now() gets expiry wrong.
 */
function setup(salt = '') {
  const rng = random(salt)
  const secret = rng.word(32, 40)
  const issuer = `https://${rng.word()}.example`
  const audience = rng.word()
  const clock = fakeClock(instantIn(rng, 2031))
  const extra = [`${rng.word(3, 6)}:read`, `${rng.word(3, 6)}:write`, 'admin:write', 'profile']
  const roleName = (prefix: string) => `${prefix}-${rng.word(3, 6)}`
  const role = { viewer: roleName('viewer'), clerk: roleName('clerk'), boss: roleName('boss') }
  const roles: Record<string, string[]> = {
    [role.viewer]: rng.shuffle([READ, extra[0]!]),
    [role.clerk]: rng.shuffle([READ, WRITE, PAY]),
    // The boss may use every scope this spec ever signs, near misses included.
    [role.boss]: rng.shuffle([READ, WRITE, PAY, ...extra, ...NEAR_MISSES]),
  }
  const sub = {
    viewer: `user-${rng.word()}1`,
    clerk: `user-${rng.word()}2`,
    boss: `user-${rng.word()}3`,
    orphan: `user-${rng.word()}4`, // a role that has no entry in roles
  }
  const users: Record<string, string> = {
    [sub.viewer]: role.viewer,
    [sub.clerk]: role.clerk,
    [sub.boss]: role.boss,
    [sub.orphan]: roleName('gone'),
  }
  const orders: Order[] = Array.from({ length: rng.int(2, 5) }, (_, i) => ({
    id: `o${i + 1}-${rng.word(3, 5)}`,
    item: rng.word(),
    status: 'paid' as const,
  }))
  const options = { secret, issuer, audience, now: clock.now, roles, users, orders: orders.map((o) => ({ ...o })) }
  const api = client(build(createApp, options))
  const nowSec = () => clock.now() / 1000

  /** A valid token for `who` with the given scope claim (undefined: no scope claim). */
  const token = (who: string, scope?: unknown, overrides: Claims = {}, alg = 'HS256', key = secret, typ = 'JWT') =>
    sign(
      {
        sub: who,
        iss: issuer,
        aud: audience,
        iat: nowSec() - rng.int(0, 60),
        exp: nowSec() + rng.int(60, 3600),
        ...(scope === undefined ? {} : { scope }),
        ...overrides,
      },
      key,
      alg,
      typ,
    )
  const bearer = (jwt: string) => ({ headers: { Authorization: `Bearer ${jwt}` } })
  const me = async (jwt: string) => api.get('/api/me', bearer(jwt))
  const refund = async (id: string, jwt: string) => api.post(`/api/orders/${id}/refund`, bearer(jwt))
  return { rng, secret, issuer, audience, clock, nowSec, roles, role, users, sub, orders, options, api, extra, token, bearer, me, refund }
}

function sign(payload: Claims, secret: string, alg = 'HS256', typ = 'JWT'): Promise<string> {
  return new SignJWT(payload).setProtectedHeader({ alg, typ }).sign(new TextEncoder().encode(secret))
}

const b64url = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url')

function challengeOf(res: Reply) {
  expect(res).toHaveHeader('www-authenticate')
  const challenge = parseChallenge(res.headers['www-authenticate']!)
  focusOn(res)
  expect(challenge, 'WWW-Authenticate must be one Bearer challenge: Bearer realm="api"...').toEqual({
    scheme: 'bearer',
    params: expect.objectContaining({ realm: 'api' }),
  })
  return challenge!.params
}

function expectUnauthorized(res: Reply) {
  expect(res).toHaveStatus(401)
  const params = challengeOf(res)
  expect(params.error, 'no error attribute when no token was presented').toBeUndefined()
  expect(res).toHaveJsonBody(expect.objectContaining({ error: 'unauthorized' }))
}

function expectInvalidToken(res: Reply) {
  expect(res).toHaveStatus(401)
  const params = challengeOf(res)
  expect(params.error, 'the challenge needs error="invalid_token"').toBe('invalid_token')
  expect(res).toHaveJsonBody(expect.objectContaining({ error: 'invalid_token' }))
}

/** 403 with error="insufficient_scope" and a scope auth-param naming every required scope. */
function expectInsufficientScope(res: Reply, required: string[]) {
  expect(res).toHaveStatus(403)
  const params = challengeOf(res)
  expect(params.error, 'the challenge needs error="insufficient_scope"').toBe('insufficient_scope')
  const named = (params.scope ?? '').split(' ').filter(Boolean).sort()
  expect(named, 'the challenge\'s scope="..." must list every scope this route requires').toEqual(
    [...required].sort(),
  )
  expect(res).toHaveJsonBody(expect.objectContaining({ error: 'insufficient_scope' }))
}

/** /api/me answered 200 with exactly these effective scopes, each once, in any order. */
function expectScopes(res: Reply, scopes: string[]) {
  expect(res).toHaveStatus(200)
  expect(res).toHaveJsonBody(expect.objectContaining({ scopes: expect.any(Array) }))
  const listed = [...((res.body as { scopes: string[] }).scopes)].sort()
  focusOn(res)
  expect(listed, 'scopes lists the effective scopes, each once').toEqual([...new Set(scopes)].sort())
}

describe('oauth-scopes', () => {
  task(1, 'Verify the access token', () => {
    it('GET /health answers 200 without a token', async () => {
      const { api } = setup()
      expect(await api.get('/health')).toHaveStatus(200)
    })

    it('GET /api/me answers 200 with the sub and role of a valid token', async () => {
      const { me, token, sub, users } = setup()
      for (const who of [sub.viewer, sub.clerk, sub.orphan]) {
        const res = await me(await token(who, READ))
        expect(res).toHaveStatus(200)
        expect(res).toHaveJsonBody(expect.objectContaining({ sub: who, role: users[who] }))
      }
    })

    it('accepts the Bearer scheme in any letter case', async () => {
      const { api, token, sub } = setup()
      const jwt = await token(sub.clerk, READ)
      for (const scheme of ['bearer', 'BEARER']) {
        const res = await api.get('/api/orders', { headers: { Authorization: `${scheme}  ${jwt}` } })
        expect(res).toHaveStatus(200)
      }
    })

    it('answers 401 with a bare challenge without credentials, or under another scheme', async () => {
      const { api, token, sub } = setup()
      expectUnauthorized(await api.get('/api/me'))
      expectUnauthorized(await api.get('/api/orders'))
      const jwt = await token(sub.boss, READ)
      // A token glued to the scheme is one word: some other scheme, so no credentials.
      for (const header of ['Basic dXNlcjpwdw==', `Token ${jwt}`, `Bearer${jwt}`, `bearer${jwt}`]) {
        expectUnauthorized(await api.get('/api/orders', { headers: { Authorization: header } }))
      }
    })

    type Forger = (s: ReturnType<typeof setup>) => Promise<string>
    const forged: [string, Forger][] = [
      ['signed with another secret', (s) => s.token(s.sub.boss, READ, {}, 'HS256', `${s.secret}x`)],
      ['signed HS512 with the right secret', (s) => s.token(s.sub.boss, READ, {}, 'HS512')],
      ['with alg "none"', async (s) => `${b64url({ alg: 'none' })}.${b64url({ sub: s.sub.boss, iss: s.issuer, aud: s.audience, exp: s.nowSec() + 600, scope: READ })}.`],
      ['with a changed payload', async (s) => {
        const [h, , sig] = (await s.token(s.sub.viewer, READ)).split('.')
        return `${h}.${b64url({ sub: s.sub.boss, iss: s.issuer, aud: s.audience, exp: s.nowSec() + 600, scope: READ })}.${sig}`
      }],
      ['whose header says HS512 over an HS256 MAC', async (s) => {
        const input = `${b64url({ alg: 'HS512' })}.${b64url({ sub: s.sub.boss, iss: s.issuer, aud: s.audience, exp: s.nowSec() + 600, scope: READ })}`
        return `${input}.${createHmac('sha256', Buffer.from(s.secret)).update(input).digest('base64url')}`
      }],
      ['whose exp is the current second', (s) => s.token(s.sub.boss, READ, { exp: s.nowSec() })],
      ['without exp', (s) => s.token(s.sub.boss, READ, { exp: undefined })],
      ['whose nbf is one second ahead', (s) => s.token(s.sub.boss, READ, { nbf: s.nowSec() + 1 })],
      ['from an issuer that starts with the right one', (s) => s.token(s.sub.boss, READ, { iss: `${s.issuer}.evil` })],
      ['for an audience that contains the name', (s) => s.token(s.sub.boss, READ, { aud: `${s.audience}-admin` })],
      ['without sub', (s) => s.token(s.sub.boss, READ, { sub: undefined })],
    ]

    it.each(forged)('rejects a token %s: 401 invalid_token', async (_, forge) => {
      const s = setup()
      const jwt = await forge(s)
      expectInvalidToken(await s.api.get('/api/orders', s.bearer(jwt)))
      expectInvalidToken(await s.me(jwt))
    })

    it('rejects "Bearer" with nothing after it, and a token followed by more words', async () => {
      const { api, token, sub } = setup()
      const jwt = await token(sub.boss, READ)
      for (const header of ['Bearer', 'bearer   ', `Bearer ${jwt} ${READ}`]) {
        expectInvalidToken(await api.get('/api/orders', { headers: { Authorization: header } }))
      }
    })

    it('accepts nbf equal to the current second, or earlier; refuses it one second ahead', async () => {
      const { api, token, bearer, sub, nowSec, rng } = setup()
      for (const nbf of [nowSec(), nowSec() - 1, nowSec() - rng.int(2, 3600)]) {
        const res = await api.get('/api/orders', bearer(await token(sub.clerk, READ, { nbf })))
        focusOn(res)
        expect(res.status, `nbf ${nbf - nowSec()} s from now is not later than now: valid`).toBe(200)
      }
      expectInvalidToken(await api.get('/api/orders', bearer(await token(sub.clerk, READ, { nbf: nowSec() + 1 }))))
    })

    it('nbf is judged against now() too: a token becomes valid when the clock reaches it', async () => {
      const { api, token, bearer, sub, nowSec, clock } = setup()
      const jwt = await token(sub.clerk, READ, { nbf: nowSec() + 30 })
      expectInvalidToken(await api.get('/api/orders', bearer(jwt)))
      clock.advance(29_000)
      expectInvalidToken(await api.get('/api/orders', bearer(jwt)))
      clock.advance(1_000)
      expect(await api.get('/api/orders', bearer(jwt))).toHaveStatus(200)
    })

    it('accepts typ "JWT" and "at+jwt" in the header, and a token without iat', async () => {
      const { api, token, bearer, sub, secret } = setup()
      for (const typ of ['JWT', 'at+jwt']) {
        const res = await api.get('/api/orders', bearer(await token(sub.clerk, READ, {}, 'HS256', secret, typ)))
        focusOn(res)
        expect(res.status, `a token with typ "${typ}" is valid`).toBe(200)
      }
      const res = await api.get('/api/orders', bearer(await token(sub.clerk, READ, { iat: undefined })))
      focusOn(res)
      expect(res.status, 'iat is not required').toBe(200)
    })

    it('accepts an aud array that contains the audience, not in first place', async () => {
      const { api, token, sub, audience, rng, bearer } = setup()
      const jwt = await token(sub.clerk, READ, { aud: [`${rng.word()}-web`, audience] })
      expect(await api.get('/api/orders', bearer(jwt))).toHaveStatus(200)
    })

    it('rejects a valid token for a sub that is not one of the users: 401 invalid_token', async () => {
      const { api, token, bearer, rng, sub } = setup()
      for (const who of [`user-${rng.word()}`, `${sub.boss}x`, 'constructor', '__proto__', 'toString']) {
        const jwt = await token(who, READ)
        expectInvalidToken(await api.get('/api/me', bearer(jwt)))
        expectInvalidToken(await api.get('/api/orders', bearer(jwt)))
      }
    })

    it('reads the time from now() on every request', async () => {
      const { api, token, bearer, sub, clock, nowSec } = setup()
      const jwt = await token(sub.clerk, READ, { exp: nowSec() + 600 })
      expect(await api.get('/api/orders', bearer(jwt))).toHaveStatus(200)
      clock.advance(600_000)
      expectInvalidToken(await api.get('/api/orders', bearer(jwt)))
    })
  })

  task(2, 'Read the scope claim exactly', () => {
    it('lists the scope tokens of the claim in /api/me', async () => {
      const { me, token, sub, extra, rng } = setup()
      const scopes = rng.shuffle([READ, PAY, ...extra]).slice(0, rng.int(2, 5))
      expectScopes(await me(await token(sub.boss, scopes.join(' '))), scopes)
    })

    it('accepts several spaces between tokens and spaces at either end; lists each scope once', async () => {
      const { me, token, sub } = setup()
      expectScopes(await me(await token(sub.boss, `  ${READ}   ${WRITE} ${READ}  ${PAY} `)), [READ, WRITE, PAY])
    })

    it('compares scope tokens whole and case-sensitively: near misses are other scopes', async () => {
      const { me, token, sub } = setup()
      expectScopes(await me(await token(sub.boss, NEAR_MISSES.join(' '))), NEAR_MISSES)
    })

    it('a token without a scope claim is valid and grants no scopes', async () => {
      const { me, token, sub } = setup()
      expectScopes(await me(await token(sub.boss)), [])
    })

    it('scp, scopes and roles claims grant nothing', async () => {
      const { me, token, sub, role } = setup()
      const res = await me(await token(sub.viewer, undefined, { scp: READ, scopes: [READ], roles: [role.boss] }))
      expectScopes(res, [])
    })

    it('a scope claim that is not a string makes the token invalid, null included', async () => {
      const { me, token, sub } = setup()
      for (const scope of [[READ, WRITE], [READ], 42, { [READ]: true }, null, true, false]) {
        expectInvalidToken(await me(await token(sub.boss, scope)))
      }
    })

    it('an empty scope string, or one of spaces only, is valid and grants no scopes', async () => {
      const { me, token, sub } = setup()
      for (const scope of ['', '   ']) {
        expectScopes(await me(await token(sub.boss, scope)), [])
      }
    })
  })

  task(3, 'Never more than the role allows', () => {
    it('drops the scopes the role does not allow: a viewer claiming everything', async () => {
      const { me, token, sub, roles, role, extra } = setup()
      const claimed = [READ, WRITE, PAY, ...extra]
      const allowed = roles[role.viewer]!
      expectScopes(await me(await token(sub.viewer, claimed.join(' '))), claimed.filter((s) => allowed.includes(s)))
    })

    it("does not add the role's scopes the token did not carry", async () => {
      const { me, token, sub } = setup()
      expectScopes(await me(await token(sub.clerk, `${READ} admin:write`)), [READ])
    })

    it('a role with no entry in roles allows nothing, and the token stays valid', async () => {
      const { me, token, sub, users } = setup()
      const res = await me(await token(sub.orphan, `${READ} ${WRITE}`))
      expect(res).toHaveJsonBody(expect.objectContaining({ sub: sub.orphan, role: users[sub.orphan] }))
      expectScopes(res, [])
    })

    it('a role named like an inherited property (constructor, toString...) allows nothing', async () => {
      const s = setup()
      const jwt = await s.token(s.sub.boss, `${READ} ${WRITE}`)
      for (const name of ['constructor', 'toString', '__proto__', 'valueOf']) {
        const api = client(build(createApp, { ...s.options, users: { ...s.users, [s.sub.boss]: name } }))
        expectScopes(await api.get('/api/me', s.bearer(jwt)), [])
        expectInsufficientScope(await api.get('/api/orders', s.bearer(jwt)), [READ])
      }
    })

    it("a viewer's token that claims the refund scopes cannot refund", async () => {
      const { refund, token, sub, orders, api, bearer } = setup()
      const jwt = await token(sub.viewer, [READ, WRITE, PAY].join(' '))
      expectInsufficientScope(await refund(orders[0]!.id, jwt), REFUND)
      expect(await api.get('/api/orders', bearer(jwt))).toHaveJsonBody(orders)
    })

    it('each app judges by its own roles and users', async () => {
      const s = setup()
      const jwt = await s.token(s.sub.viewer, [READ, WRITE, PAY].join(' '))
      const promoted = client(build(createApp, { ...s.options, users: { ...s.users, [s.sub.viewer]: s.role.clerk } }))
      expectScopes(await promoted.get('/api/me', s.bearer(jwt)), [READ, WRITE, PAY])
      expectScopes(await s.me(jwt), [READ])
    })
  })

  task(4, '403 insufficient_scope, naming the scope', () => {
    it('GET /api/orders answers 200 with the orders for a token with orders:read', async () => {
      const { api, token, bearer, sub, orders } = setup()
      for (const who of [sub.viewer, sub.clerk]) {
        const res = await api.get('/api/orders', bearer(await token(who, READ)))
        expect(res).toHaveStatus(200)
        expect(res).toHaveJsonBody(orders)
      }
    })

    it('GET /api/orders/:id answers 200 with the order, 404 when there is none', async () => {
      const { api, token, bearer, sub, orders, rng } = setup()
      const jwt = await token(sub.clerk, READ)
      const order = rng.pick(orders)
      const res = await api.get(`/api/orders/${order.id}`, bearer(jwt))
      expect(res).toHaveStatus(200)
      expect(res).toHaveJsonBody(order)
      for (const id of [`gone-${rng.word()}`, 'constructor', '__proto__']) {
        const missing = await api.get(`/api/orders/${id}`, bearer(jwt))
        expect(missing).toHaveStatus(404)
        expect(missing).toHaveJsonBody(expect.objectContaining({ error: 'not_found' }))
      }
    })

    it('a valid token without orders:read gets 403 insufficient_scope with scope="orders:read"', async () => {
      const { api, token, bearer, sub, orders } = setup()
      for (const jwt of [await token(sub.clerk, `${WRITE} ${PAY}`), await token(sub.clerk)]) {
        expectInsufficientScope(await api.get('/api/orders', bearer(jwt)), [READ])
        expectInsufficientScope(await api.get(`/api/orders/${orders[0]!.id}`, bearer(jwt)), [READ])
      }
    })

    it.each(NEAR_MISSES)('the scope "%s" does not grant orders:read', async (scope) => {
      const { api, token, bearer, sub } = setup()
      expectInsufficientScope(await api.get('/api/orders', bearer(await token(sub.boss, scope))), [READ])
    })

    it('orders:read in the token but not in the role is not enough: 403', async () => {
      const { api, token, bearer, sub } = setup()
      expectInsufficientScope(await api.get('/api/orders', bearer(await token(sub.orphan, READ))), [READ])
    })

    it('an invalid token that carries orders:read gets 401, not 403', async () => {
      const { api, token, bearer, sub, nowSec } = setup()
      expectInvalidToken(await api.get('/api/orders', bearer(await token(sub.clerk, READ, { exp: nowSec() - 1 }))))
    })
  })

  task(5, 'Refunds need two scopes: 401, then 403, then 404', () => {
    it('refunds with orders:write and payments:write: 200, and the order shows it', async () => {
      const { refund, api, token, bearer, sub, orders, rng } = setup()
      const order = rng.pick(orders)
      const jwt = await token(sub.clerk, rng.shuffle([READ, WRITE, PAY]).join(' '))
      const res = await refund(order.id, jwt)
      expect(res).toHaveStatus(200)
      expect(res).toHaveJsonBody({ ...order, status: 'refunded' })
      expect(await api.get(`/api/orders/${order.id}`, bearer(jwt))).toHaveJsonBody({ ...order, status: 'refunded' })
      const again = await refund(order.id, jwt)
      expect(again).toHaveStatus(200)
      expect(again).toHaveJsonBody({ ...order, status: 'refunded' })
    })

    it('one of the two scopes is not enough: 403, and the challenge names both', async () => {
      const { refund, token, sub, orders, api, bearer } = setup()
      for (const scope of [`${READ} ${WRITE}`, `${READ} ${PAY}`, READ]) {
        expectInsufficientScope(await refund(orders[0]!.id, await token(sub.clerk, scope)), REFUND)
      }
      expect(await api.get('/api/orders', bearer(await token(sub.clerk, READ)))).toHaveJsonBody(orders)
    })

    it('an expired or forged token with every scope gets 401, and nothing is refunded', async () => {
      const { refund, token, sub, orders, nowSec, secret, api, bearer } = setup()
      const scope = [READ, WRITE, PAY].join(' ')
      expectInvalidToken(await refund(orders[0]!.id, await token(sub.clerk, scope, { exp: nowSec() })))
      expectInvalidToken(await refund(orders[0]!.id, await token(sub.clerk, scope, {}, 'HS256', `${secret}!`)))
      expectUnauthorized(await api.post(`/api/orders/${orders[0]!.id}/refund`))
      expect(await api.get('/api/orders', bearer(await token(sub.clerk, READ)))).toHaveJsonBody(orders)
    })

    it('the scopes are checked before the lookup: a missing order is 403 without them', async () => {
      const { refund, token, sub, rng } = setup()
      expectInsufficientScope(await refund(`gone-${rng.word()}`, await token(sub.clerk, READ)), REFUND)
    })

    it('with both scopes, a missing order is 404', async () => {
      const { refund, token, sub, rng } = setup()
      const res = await refund(`gone-${rng.word()}`, await token(sub.clerk, `${WRITE} ${PAY}`))
      expect(res).toHaveStatus(404)
      expect(res).toHaveJsonBody(expect.objectContaining({ error: 'not_found' }))
    })

    it('keeps its own orders: the array given to createApp and other apps are unchanged', async () => {
      const s = setup()
      const other = client(build(createApp, { ...s.options, orders: s.orders.map((o) => ({ ...o })) }))
      expect(await s.refund(s.orders[0]!.id, await s.token(s.sub.clerk, REFUND.join(' ')))).toHaveStatus(200)
      expect(s.options.orders, 'the orders given to createApp are unchanged').toEqual(s.orders)
      expect(await other.get('/api/orders', s.bearer(await s.token(s.sub.clerk, READ)))).toHaveJsonBody(s.orders)
    })
  })
})
