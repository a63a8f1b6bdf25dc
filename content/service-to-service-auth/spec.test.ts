// service-to-service-auth - the hidden spec.
//
// Wrong implementations this spec is built to catch:
// - does not pin ES256: accepts an RS256 token signed by the RSA key that shares the key set, or an
//   ES384 token signed by the P-384 one
// - accepts `alg: none`, or an HS256 token whose HMAC key is the public key (the PEM, the JWK's
//   JSON or its `x` coordinate): the algorithm-confusion attack
// - picks the key without looking at `kid` (unknown kid accepted) or with `kid` alone (a key of
//   the wrong type, or one marked `use: "enc"`, is used for an ES256 signature); falls back on
//   the first usable key when the kid is unknown or missing; tries every key of the set until one
//   verifies (a kid naming key B on a token signed by key A gets in)
// - matches the scheme case-sensitively ("bearer", "BEARER" refused), or takes what follows the
//   first space as the token (more spaces refused); treats "Bearer" alone as no token
// - decodes the token without verifying it, or verifies it with a key that is not in the set
// - checks iss or aud loosely (prefix, substring) or not at all; only understands a string aud
// - ignores exp or nbf, adds leeway, or reads Date.now() instead of options.now (the clock sits
//   in 2031 or 2003), or reads now() once when the app is built
// - lets user tokens call internal routes: trusts `sub` alone (a user called "orders"), or treats
//   a token without `token_use` as a service token; or refuses user tokens on the public route
// - answers a user token on an internal route with 401 instead of 403
// - no lifetime limit, or `exp - iat` compared with an off-by-one, or the age (now - iat) checked
//   instead of the lifetime (jose's maxTokenAge), or a token without iat or with iat in the future
//   accepted
// - one allowlist for every route (reporting may charge), allowlist matched by prefix, substring
//   or case-insensitively, or kept as object keys (`sub in callers`: "constructor" gets in)
// - answers 403 for a bad token, or 401 for a caller that is not allowed
// - keys, issuer, audience or callers kept in module-level state shared between apps: a key
//   cache keyed by kid alone hands one app's key to another app whose set uses the same kid
import { createPublicKey } from 'node:crypto'
import {
  exportJWK,
  exportSPKI,
  generateKeyPair,
  SignJWT,
  type CryptoKey,
  type JSONWebKeySet,
  type JWK,
} from 'jose'
import { describe, expect, it } from 'vitest'
import {
  build,
  client,
  fakeClock,
  parseChallenge,
  random,
  task,
  type Reply,
  type Rng,
} from '../../harness/spec-kit/index.ts'
import { createApp } from '../../exercises/service-to-service-auth/app.ts'

type Claims = Record<string, unknown>

interface KeyPair {
  privateKey: CryptoKey
  publicJwk: JWK
  spki: string
}

// Key generation is the slow part (RSA most of all), so the keys are made once for the whole
// file and every check builds its own key set from them, with kids of its own.
let pool: Promise<{ ec: KeyPair[]; p384: KeyPair; rsa: KeyPair; outsider: KeyPair }> | undefined
function keyPool() {
  const pair = async (alg: string, options = {}): Promise<KeyPair> => {
    const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true, ...options })
    return { privateKey, publicJwk: await exportJWK(publicKey), spki: await exportSPKI(publicKey) }
  }
  pool ??= (async () => ({
    ec: await Promise.all([pair('ES256'), pair('ES256'), pair('ES256'), pair('ES256')]),
    p384: await pair('ES384'),
    rsa: await pair('RS256', { modulusLength: 2048 }),
    outsider: await pair('ES256'),
  }))()
  return pool
}

/** A whole-second instant in the given year. */
function instantIn(rng: Rng, year: number): number {
  return Date.UTC(year, rng.int(0, 11), rng.int(1, 28), rng.int(0, 23), rng.int(0, 59))
}

const b64url = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url')

/** What a second app can share with a first one: every option but the keys behind the kids. */
interface Twin {
  kids: string[]
  issuer: string
  audience: string
  orders: string
  reporting: string
  maxLifetimeSeconds: number
  start: number
}

/**
 * One app and the means to make tokens for it. With `twinOf`, the app has the same issuer,
 * audience, callers, clock and kids as the one that made `twinOf`, but its signing kids name
 * other keys: only the key behind the kid tells the two apps apart.
 */
async function setup({ year = 2031, salt = '', twinOf }: { year?: number; salt?: string; twinOf?: Twin } = {}) {
  const rng = random(salt)
  const keys = await keyPool()
  let kidCount = 0
  const kid = () => twinOf?.kids[kidCount++] ?? `${rng.word(3, 5)}-${rng.int(1000, 9999)}`
  // Three signing keys in rotation, plus keys the set holds for other purposes. A twin's kids
  // name the same three keys, each kid another one.
  const ec = twinOf ? [keys.ec[1]!, keys.ec[2]!, keys.ec[0]!] : keys.ec.slice(0, 3)
  const signers = ec.map((pair) => ({ ...pair, kid: kid() }))
  const encKey = { ...keys.ec[3]!, kid: kid() }
  const p384 = { ...keys.p384, kid: kid() }
  const rsa = { ...keys.rsa, kid: kid() }
  const jwks: JSONWebKeySet = {
    keys: rng.shuffle([
      ...signers.map((s) => ({ ...s.publicJwk, kid: s.kid })),
      { ...encKey.publicJwk, kid: encKey.kid, use: 'enc' },
      { ...p384.publicJwk, kid: p384.kid },
      { ...rsa.publicJwk, kid: rsa.kid },
    ]),
  }
  const issuer = twinOf?.issuer ?? `https://sts.${rng.word()}.internal`
  const audience = twinOf?.audience ?? `payments-${rng.word(3, 6)}`
  const orders = twinOf?.orders ?? `orders-${rng.word(3, 6)}`
  const reporting = twinOf?.reporting ?? `reporting-${rng.word(3, 6)}`
  const maxLifetimeSeconds = twinOf?.maxLifetimeSeconds ?? rng.pick([60, 120, 300, 600])
  const start = twinOf?.start ?? instantIn(rng, year)
  const clock = fakeClock(start)
  const callers = { charge: [orders], ledger: rng.shuffle([orders, reporting]) }
  const app = build(createApp, { jwks, issuer, audience, callers, maxLifetimeSeconds, now: clock.now })
  const api = client(app)
  const nowSec = () => Math.floor(clock.now() / 1000)

  /** The claims of a valid service token from `sub`, with `overrides` (undefined removes one). */
  const serviceClaims = (sub: string, overrides: Claims = {}): Claims => {
    const iat = nowSec() - rng.int(0, 20)
    return {
      iss: issuer,
      sub,
      aud: audience,
      token_use: 'service',
      iat,
      exp: iat + rng.int(30, maxLifetimeSeconds),
      ...overrides,
    }
  }
  const userClaims = (overrides: Claims = {}): Claims => ({
    iss: issuer,
    sub: `user-${rng.int(1, 99999)}`,
    aud: audience,
    token_use: 'user',
    iat: nowSec() - rng.int(0, 600),
    exp: nowSec() + rng.int(600, 7200),
    ...overrides,
  })
  /** Signs with one of the rotating keys (a random one unless `signer` says which). */
  const sign = (claims: Claims, header: Record<string, unknown> = {}, signer = rng.pick(signers)) =>
    new SignJWT(claims)
      .setProtectedHeader({ alg: 'ES256', typ: 'JWT', kid: signer.kid, ...header })
      .sign(signer.privateKey)
  const serviceToken = (sub = orders, overrides: Claims = {}) => sign(serviceClaims(sub, overrides))
  const userToken = (overrides: Claims = {}) => sign(userClaims(overrides))

  const call = (route: 'me' | 'charge' | 'ledger', token: string, raw = false) => {
    const headers = { Authorization: raw ? token : `Bearer ${token}` }
    if (route === 'charge') return api.post('/internal/charge', { headers, json: { cents: 100 } })
    return api.get(route === 'me' ? '/api/me' : '/internal/ledger', { headers })
  }
  const twin: Twin = {
    kids: [...signers, encKey, p384, rsa].map((key) => key.kid),
    issuer, audience, orders, reporting, maxLifetimeSeconds, start,
  }
  return {
    twin, rng, keys, signers, encKey, p384, rsa, jwks, issuer, audience, orders, reporting,
    maxLifetimeSeconds, clock, api, nowSec, serviceClaims, userClaims, sign, serviceToken,
    userToken, call,
  }
}

function expectChallenge(res: Reply) {
  expect(res).toHaveStatus(401)
  expect(res).toHaveHeader('www-authenticate')
  const challenge = parseChallenge(res.headers['www-authenticate']!)
  expect(challenge, 'WWW-Authenticate must be one Bearer challenge: Bearer realm="api"...').toEqual(
    { scheme: 'bearer', params: expect.objectContaining({ realm: 'api' }) },
  )
  return challenge!.params
}

function expectUnauthorized(res: Reply) {
  const params = expectChallenge(res)
  expect(params.error, 'no error attribute when no token was presented').toBeUndefined()
  expect(res).toHaveJsonBody(expect.objectContaining({ error: 'unauthorized' }))
}

function expectInvalidToken(res: Reply, why: string) {
  expect(res.status, `${why}: answer 401 invalid_token`).toBe(401)
  const params = expectChallenge(res)
  expect(params.error, 'the challenge needs error="invalid_token"').toBe('invalid_token')
  expect(res).toHaveJsonBody(expect.objectContaining({ error: 'invalid_token' }))
}

function expectForbidden(res: Reply, why: string) {
  expect(res.status, `${why}: answer 403 (the token is genuine, the caller is not allowed)`).toBe(
    403,
  )
  expect(res).toHaveJsonBody(expect.objectContaining({ error: 'forbidden' }))
}

function expectCaller(res: Reply, caller: string) {
  expect(res).toHaveStatus(200)
  expect(res).toHaveJsonBody(expect.objectContaining({ caller }))
}

describe('service-to-service-auth', () => {
  task(1, 'Verify ES256 tokens against the key set', () => {
    it('GET /health answers 200 without a token', async () => {
      const { api } = await setup()
      expect(await api.get('/health')).toHaveStatus(200)
    })

    it('accepts a service token signed by any of the keys in the set, picked by kid', async () => {
      const s = await setup()
      for (const signer of s.signers) {
        const token = await s.sign(s.serviceClaims(s.orders), {}, signer)
        expectCaller(await s.call('charge', token), s.orders)
      }
    })

    it('accepts the Bearer scheme in any case, and more than one space before the token', async () => {
      const s = await setup()
      for (const scheme of ['bearer ', 'BEARER ', 'bEaReR ', 'Bearer   ', 'bearer  ']) {
        const res = await s.call('charge', `${scheme}${await s.serviceToken()}`, true)
        expect(res, `Authorization: ${JSON.stringify(scheme)} + the token`).toHaveStatus(200)
        expectCaller(res, s.orders)
      }
    })

    it('treats "Bearer" with no token after it as an invalid token', async () => {
      const s = await setup()
      for (const value of ['Bearer', 'bearer', 'BEARER   ']) {
        expectInvalidToken(await s.call('ledger', value, true), `Authorization: ${JSON.stringify(value)}`)
      }
    })

    it('answers 401 with a bare Bearer challenge when no token or another scheme is sent', async () => {
      const s = await setup()
      expectUnauthorized(await s.api.post('/internal/charge', { json: {} }))
      expectUnauthorized(await s.api.get('/api/me'))
      expectUnauthorized(await s.call('ledger', `Basic ${btoa(`${s.orders}:x`)}`, true))
    })

    it('rejects a token whose kid is not in the set, whichever key of the set signed it', async () => {
      const s = await setup()
      for (const signer of s.signers) {
        for (const kid of [`${signer.kid}-old`, `${s.rng.word(3, 5)}-${s.rng.int(1000, 9999)}`, '']) {
          const token = await s.sign(s.serviceClaims(s.orders), { kid }, signer)
          expectInvalidToken(await s.call('charge', token), `an unknown kid ${JSON.stringify(kid)}`)
        }
      }
    })

    it('rejects a token whose header has no kid, whichever key of the set signed it', async () => {
      const s = await setup()
      for (const signer of s.signers) {
        const token = await s.sign(s.serviceClaims(s.orders), { kid: undefined }, signer)
        expectInvalidToken(await s.call('charge', token), 'a header without kid')
      }
    })

    it('verifies only with the key the kid names, not another key of the set', async () => {
      const s = await setup()
      for (const signer of s.signers) {
        for (const named of s.signers.filter((other) => other !== signer)) {
          const token = await s.sign(s.serviceClaims(s.orders), { kid: named.kid }, signer)
          expectInvalidToken(await s.call('charge', token), "kid names one key, another signed")
        }
      }
    })

    it('rejects a token signed by a key outside the set, whatever kid it names', async () => {
      const s = await setup()
      const outsider = { ...s.keys.outsider, kid: s.signers[0]!.kid }
      expectInvalidToken(
        await s.call('charge', await s.sign(s.serviceClaims(s.orders), {}, outsider)),
        'a signature from a key that is not in the key set',
      )
    })

    it('rejects a token whose payload was changed after signing', async () => {
      const s = await setup()
      const [header, , signature] = (await s.serviceToken(s.reporting)).split('.')
      const forged = b64url(s.serviceClaims(s.orders))
      expectInvalidToken(await s.call('charge', `${header}.${forged}.${signature}`), 'a tampered payload')
    })

    it('never verifies ES256 with a key of the wrong type or one marked use "enc"', async () => {
      const s = await setup()
      const claims = s.serviceClaims(s.orders)
      // ES256 headers naming the RSA key, the P-384 key and the encryption key; the signature
      // is made with the key that kid names where that is possible, with an ES256 key otherwise.
      const forRsa = await s.sign(claims, { kid: s.rsa.kid }, s.signers[0]!)
      const forP384 = await s.sign(claims, { kid: s.p384.kid }, s.signers[0]!)
      const forEnc = await s.sign(claims, {}, s.encKey)
      expectInvalidToken(await s.call('charge', forRsa), 'kid names an RSA key')
      expectInvalidToken(await s.call('charge', forP384), 'kid names a P-384 key')
      expectInvalidToken(await s.call('charge', forEnc), 'kid names a key marked use "enc"')
    })

    it('keeps each app to its own key set, issuer and audience', async () => {
      const first = await setup({ salt: 'first' })
      const second = await setup({ salt: 'second' })
      const token = await first.serviceToken()
      expectCaller(await first.call('charge', token), first.orders)
      expectInvalidToken(await second.call('ledger', token), 'a token for another app')
      expectCaller(await second.call('charge', await second.serviceToken()), second.orders)
    })

    it('keeps each app to its own keys, even when two key sets use the same kids', async () => {
      // Same issuer, audience, callers and kids; each kid names another key in the second app.
      const first = await setup({ salt: 'first' })
      const second = await setup({ salt: 'second', twinOf: first.twin })
      for (const i of first.rng.shuffle([0, 1, 2])) {
        const mine = await first.sign(first.serviceClaims(first.orders), {}, first.signers[i]!)
        const theirs = await second.sign(second.serviceClaims(second.orders), {}, second.signers[i]!)
        expectCaller(await first.call('charge', mine), first.orders)
        expectInvalidToken(
          await second.call('charge', mine),
          'the kid is in this set too, but names another key here',
        )
        expectCaller(await second.call('charge', theirs), second.orders)
        expectInvalidToken(await first.call('charge', theirs), 'the same kid, the other app\'s key')
      }
    })
  })

  task(2, 'Pin ES256: no algorithm confusion', () => {
    it('rejects an unsigned token with alg "none"', async () => {
      const s = await setup()
      const header = b64url({ alg: 'none', typ: 'JWT', kid: s.signers[0]!.kid })
      expectInvalidToken(
        await s.call('charge', `${header}.${b64url(s.serviceClaims(s.orders))}.`),
        'alg "none"',
      )
    })

    it('rejects HS256 tokens whose HMAC key is the public key (PEM, JWK JSON or x)', async () => {
      const s = await setup()
      const signer = s.signers[0]!
      const jwk = { ...signer.publicJwk, kid: signer.kid }
      const secrets = [
        signer.spki,
        signer.spki.trim(),
        createPublicKey({ key: jwk as any, format: 'jwk' }).export({ type: 'spki', format: 'pem' }),
        JSON.stringify(jwk),
        jwk.x!,
      ]
      for (const secret of secrets) {
        const token = await new SignJWT(s.serviceClaims(s.orders))
          .setProtectedHeader({ alg: 'HS256', typ: 'JWT', kid: signer.kid })
          .sign(new TextEncoder().encode(String(secret)))
        expectInvalidToken(await s.call('charge', token), 'HS256 keyed with the public key')
      }
    })

    it('rejects an RS256 token signed by the RSA key in the set', async () => {
      const s = await setup()
      const token = await new SignJWT(s.serviceClaims(s.orders))
        .setProtectedHeader({ alg: 'RS256', typ: 'JWT', kid: s.rsa.kid })
        .sign(s.rsa.privateKey)
      expectInvalidToken(await s.call('charge', token), 'RS256 is not ES256')
    })

    it('rejects an ES384 token signed by the P-384 key in the set', async () => {
      const s = await setup()
      const token = await new SignJWT(s.serviceClaims(s.orders))
        .setProtectedHeader({ alg: 'ES384', typ: 'JWT', kid: s.p384.kid })
        .sign(s.p384.privateKey)
      expectInvalidToken(await s.call('charge', token), 'ES384 is not ES256')
    })
  })

  task(3, 'Check iss, aud, exp and nbf against now()', () => {
    it('rejects a token from another issuer, also one that starts with the right one', async () => {
      const s = await setup()
      for (const iss of [`https://login.${s.rng.word()}.example`, `${s.issuer}.evil`, undefined]) {
        const token = await s.serviceToken(s.orders, { iss })
        expectInvalidToken(await s.call('charge', token), `iss ${JSON.stringify(iss)}`)
      }
    })

    it('rejects a token for another service, also one whose name contains this one', async () => {
      const s = await setup()
      const others = [`ledger-${s.rng.word()}`, `${s.audience}-admin`, s.audience.slice(0, -1)]
      for (const aud of [...others, [others[0]!, others[1]!], undefined]) {
        const token = await s.serviceToken(s.orders, { aud })
        expectInvalidToken(await s.call('charge', token), `aud ${JSON.stringify(aud)}`)
      }
    })

    it('accepts a token whose aud array contains this service', async () => {
      const s = await setup()
      const aud = [`ledger-${s.rng.word()}`, ...s.rng.shuffle([s.audience, `${s.audience}-x`])]
      expectCaller(await s.call('charge', await s.serviceToken(s.orders, { aud })), s.orders)
    })

    it('rejects a token that has expired, or whose exp is the current second', async () => {
      const s = await setup()
      for (const exp of [s.nowSec() - 1, s.nowSec()]) {
        const token = await s.serviceToken(s.orders, { iat: exp - 30, exp })
        expectInvalidToken(await s.call('charge', token), `exp ${exp - s.nowSec()} s from now`)
      }
      const token = await s.serviceToken(s.orders, { iat: s.nowSec() - 30, exp: s.nowSec() + 1 })
      expectCaller(await s.call('charge', token), s.orders)
    })

    it('rejects a token without exp, or without sub', async () => {
      const s = await setup()
      expectInvalidToken(await s.call('me', await s.userToken({ exp: undefined })), 'no exp')
      expectInvalidToken(await s.call('me', await s.userToken({ sub: undefined })), 'no sub')
      expectInvalidToken(await s.call('me', await s.userToken({ sub: '' })), 'an empty sub')
    })

    it('rejects a token whose nbf is in the future', async () => {
      const s = await setup()
      const early = await s.serviceToken(s.orders, { nbf: s.nowSec() + 1 })
      expectInvalidToken(await s.call('charge', early), 'nbf one second from now')
      const ready = await s.serviceToken(s.orders, { nbf: s.nowSec() })
      expectCaller(await s.call('charge', ready), s.orders)
    })

    it('takes the time from options.now on every request, never from Date.now()', async () => {
      const s = await setup({ year: 2003 })
      const iat = s.nowSec()
      const token = await s.serviceToken(s.orders, { iat, exp: iat + 30 })
      expectCaller(await s.call('charge', token), s.orders)
      s.clock.advance(30_000)
      expectInvalidToken(await s.call('charge', token), 'the same token 30 s later, past its exp')
    })
  })

  task(4, 'Only short-lived service tokens on internal routes', () => {
    it('accepts a user token on GET /api/me', async () => {
      const s = await setup()
      const claims = s.userClaims()
      const res = await s.call('me', await s.sign(claims))
      expect(res).toHaveStatus(200)
      expect(res).toHaveJsonBody(expect.objectContaining({ sub: claims.sub }))
    })

    it('accepts a service token on GET /api/me too', async () => {
      const s = await setup()
      const res = await s.call('me', await s.serviceToken(s.reporting))
      expect(res).toHaveStatus(200)
      expect(res).toHaveJsonBody(expect.objectContaining({ sub: s.reporting }))
    })

    it('answers 403 to a user token on both internal routes', async () => {
      const s = await setup()
      const token = await s.userToken()
      expectForbidden(await s.call('charge', token), 'a user token on POST /internal/charge')
      expectForbidden(await s.call('ledger', token), 'a user token on GET /internal/ledger')
    })

    it('answers 403 to a user token whose sub is an allowed service name', async () => {
      const s = await setup()
      const token = await s.userToken({ sub: s.orders })
      expectForbidden(await s.call('charge', token), 'a user called like the orders service')
      expectCaller(await s.call('charge', await s.serviceToken(s.orders)), s.orders)
    })

    it('treats a token without token_use, or with another value, as a user token', async () => {
      const s = await setup()
      for (const use of [undefined, 'Service', 'services', 'user', true]) {
        const token = await s.serviceToken(s.orders, { token_use: use })
        expectForbidden(await s.call('charge', token), `token_use ${JSON.stringify(use)}`)
      }
    })

    it('accepts a service token that lives exactly maxLifetimeSeconds', async () => {
      const s = await setup()
      const iat = s.nowSec() - s.rng.int(0, 10)
      const token = await s.serviceToken(s.orders, { iat, exp: iat + s.maxLifetimeSeconds })
      expectCaller(await s.call('charge', token), s.orders)
    })

    it('rejects a fresh, unexpired service token that would live one second too long', async () => {
      const s = await setup()
      for (const extra of [1, 3600]) {
        const iat = s.nowSec()
        const exp = iat + s.maxLifetimeSeconds + extra
        const token = await s.serviceToken(s.orders, { iat, exp })
        expectInvalidToken(await s.call('charge', token), `exp - iat = maxLifetimeSeconds + ${extra}`)
      }
    })

    it('rejects a service token without iat, or issued in the future', async () => {
      const s = await setup()
      const noIat = await s.serviceToken(s.orders, { iat: undefined, exp: s.nowSec() + 30 })
      expectInvalidToken(await s.call('charge', noIat), 'a service token without iat')
      const iat = s.nowSec() + 1
      const future = await s.serviceToken(s.orders, { iat, exp: iat + 30 })
      expectInvalidToken(await s.call('charge', future), 'iat one second from now')
      const current = await s.serviceToken(s.orders, { iat: s.nowSec(), exp: s.nowSec() + 30 })
      expectCaller(await s.call('charge', current), s.orders)
    })

    it('still accepts a long-lived user token on GET /api/me', async () => {
      const s = await setup()
      const iat = s.nowSec() - 60
      const token = await s.userToken({ iat, exp: iat + s.maxLifetimeSeconds + 3600 })
      expect(await s.call('me', token)).toHaveStatus(200)
    })
  })

  task(5, 'Allow callers per route', () => {
    it('lets orders call both routes and reporting only the ledger', async () => {
      const s = await setup()
      expectCaller(await s.call('charge', await s.serviceToken(s.orders)), s.orders)
      expectCaller(await s.call('ledger', await s.serviceToken(s.orders)), s.orders)
      expectCaller(await s.call('ledger', await s.serviceToken(s.reporting)), s.reporting)
      expectForbidden(
        await s.call('charge', await s.serviceToken(s.reporting)),
        'reporting is not on the callers of /internal/charge',
      )
    })

    it('answers 403 to a service that is on no list', async () => {
      const s = await setup()
      const token = await s.serviceToken(`billing-${s.rng.word(3, 6)}`)
      expectForbidden(await s.call('charge', token), 'an unknown service on /internal/charge')
      expectForbidden(await s.call('ledger', token), 'an unknown service on /internal/ledger')
    })

    it('matches caller names exactly: no prefix, suffix or case variant', async () => {
      const s = await setup()
      const near = [
        `${s.orders}-admin`,
        s.orders.slice(0, -1),
        s.orders.toUpperCase(),
        ` ${s.orders}`,
        `x${s.orders}`,
      ]
      for (const sub of near) {
        expectForbidden(await s.call('charge', await s.serviceToken(sub)), `sub ${JSON.stringify(sub)}`)
      }
    })

    it('treats names such as "constructor" and "__proto__" like any other caller', async () => {
      const s = await setup()
      for (const sub of s.rng.shuffle(['constructor', '__proto__', 'toString', 'hasOwnProperty'])) {
        const token = await s.serviceToken(sub)
        expectForbidden(await s.call('charge', token), `sub ${JSON.stringify(sub)}`)
        expectForbidden(await s.call('ledger', token), `sub ${JSON.stringify(sub)}`)
      }
    })

    it('keeps each app to its own callers', async () => {
      const first = await setup({ salt: 'first' })
      const second = await setup({ salt: 'second' })
      expectCaller(await first.call('ledger', await first.serviceToken(first.reporting)), first.reporting)
      const stranger = await second.serviceToken(first.reporting)
      expectForbidden(await second.call('ledger', stranger), "another app's caller")
    })
  })
})
