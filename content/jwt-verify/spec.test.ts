// jwt-verify - the hidden spec.
//
// Wrong implementations this spec is built to catch:
// - accepts `alg: none` (trusts the algorithm named in the token's own header)
// - accepts any HMAC algorithm: HS384/HS512 tokens signed with the right secret get in
// - never reads the header's `alg`: always computes HS256, whatever the token claims to be
//   (also `hs256`: algorithm names are case-sensitive)
// - decodes the payload without checking the signature (tampered or foreign tokens accepted)
// - encodes the secret as anything but UTF-8 (latin1, base64, hex)
// - accepts a secret shorter than 32 bytes (RFC 7518 section 3.2: at least 256 bits for HS256),
//   or counts characters instead of UTF-8 bytes (refuses 16 x "é", which is 32 bytes)
// - ignores `exp`, accepts a token without `exp` or with a non-number `exp`, or compares with an
//   off-by-one (exp == now)
// - adds clock tolerance / leeway (a token that expired a second ago still works)
// - ignores `nbf`, or rejects a token whose `nbf` is exactly now
// - rounds now() up to a whole second (accepts a token whose nbf is the next second)
// - reads Date.now() instead of options.now (the clock sits in 2031 or 2003), or reads
//   options.now() once when the app is built instead of on every request
// - ignores `iss` or `aud`, or accepts a token that has none
// - only understands a string `aud` (rejects a valid array) or only looks at its first entry
// - matches `aud` or `iss` as a substring or prefix (`aud.includes(audience)` on a string)
// - accepts a token whose `sub` is missing, empty or not a string
// - matches the scheme case-sensitively ("bearer" rejected)
// - treats `Basic ...` or `Token <jwt>` as a bad token (invalid_token) instead of as no token
//   (unauthorized), or accepts a JWT under another scheme
// - finds the token with startsWith('bearer') (a token glued to the scheme gets in) or with
//   split(' ')[1] (trailing words after a valid token are ignored)
// - puts an error attribute in the challenge when no token was presented
// - treats `Bearer` with nothing after it as no token instead of as a malformed one
// - answers 403 instead of 401, or omits WWW-Authenticate
// - guards /health too
// - keeps the secret or claims in module-level state shared between apps
import { createHmac } from 'node:crypto'
import { SignJWT } from 'jose'
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
import { createApp } from '../../exercises/jwt-verify/app.ts'

type Claims = Record<string, unknown>

/** A whole-second instant in the given year, so that ms and s comparisons agree. */
function instantIn(rng: Rng, year: number): number {
  const [month, day, hour] = [rng.int(0, 11), rng.int(1, 28), rng.int(0, 23)]
  return Date.UTC(year, month, day, hour, rng.int(0, 59), rng.int(0, 59))
}

/**
 * A fresh app with random configuration and a clock far from real time (2031 by default), so an
 * implementation that reads Date.now() gets expiry wrong. Secrets are 32 to 40 bytes: HS256
 * needs a key of at least 256 bits.
 */
function setup({ year = 2031, secretSuffix = '', salt = '' } = {}) {
  const rng = random(salt)
  const secret = `${rng.word(32, 40)}${secretSuffix}`
  const issuer = `https://${rng.word()}.example`
  const audience = rng.word()
  const sub = `user-${rng.word()}`
  const clock = fakeClock(instantIn(rng, year))
  const api = client(build(createApp, { secret, issuer, audience, now: clock.now }))
  const nowSec = () => clock.now() / 1000
  /** The claims of a valid token, with `overrides` applied (undefined removes a claim). */
  const claims = (overrides: Claims = {}): Claims => ({
    sub,
    iss: issuer,
    aud: audience,
    iat: nowSec() - rng.int(0, 60),
    exp: nowSec() + rng.int(60, 3600),
    ...overrides,
  })
  const token = (overrides: Claims = {}, alg = 'HS256', key = secret) =>
    sign(claims(overrides), key, alg)
  const me = (tokenOrHeader: string, raw = false) =>
    api.get('/api/me', {
      headers: { Authorization: raw ? tokenOrHeader : `Bearer ${tokenOrHeader}` },
    })
  return { rng, secret, issuer, audience, sub, clock, api, nowSec, claims, token, me }
}

function sign(payload: Claims, secret: string, alg = 'HS256'): Promise<string> {
  return new SignJWT(payload)
    .setProtectedHeader({ alg, typ: 'JWT' })
    .sign(new TextEncoder().encode(secret))
}

const b64url = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url')

function expectChallenge(res: Reply) {
  expect(res).toHaveStatus(401)
  expect(res).toHaveHeader('www-authenticate')
  const challenge = parseChallenge(res.headers['www-authenticate']!)
  expect(challenge, 'WWW-Authenticate must be one Bearer challenge: Bearer realm="api"...').toEqual(
    { scheme: 'bearer', params: expect.objectContaining({ realm: 'api' }) },
  )
  return challenge!.params
}

/** No usable credentials: a bare challenge, without an error attribute (RFC 6750, 3.1). */
function expectUnauthorized(res: Reply) {
  const params = expectChallenge(res)
  expect(params.error, 'no error attribute when no token was presented').toBeUndefined()
  expect(res).toHaveJsonBody(expect.objectContaining({ error: 'unauthorized' }))
}

/** A token was presented and failed: the challenge says error="invalid_token". */
function expectInvalidToken(res: Reply) {
  const params = expectChallenge(res)
  expect(params.error, 'the challenge needs error="invalid_token"').toBe('invalid_token')
  expect(res).toHaveJsonBody(expect.objectContaining({ error: 'invalid_token' }))
}

function expectAccepted(res: Reply, sub: string) {
  expect(res).toHaveStatus(200)
  expect(res).toHaveJsonBody(expect.objectContaining({ sub }))
}

describe('jwt-verify', () => {
  task(1, 'Accept a valid token', () => {
    it('GET /health answers 200 without a token', async () => {
      const { api } = setup()
      expect(await api.get('/health')).toHaveStatus(200)
    })

    it('GET /api/me answers 200 with the sub of a valid HS256 token', async () => {
      const { me, token, sub } = setup()
      expectAccepted(await me(await token()), sub)
    })

    it('accepts the Bearer scheme name in any case', async () => {
      const { me, token, sub } = setup()
      const jwt = await token()
      for (const scheme of ['bearer', 'BEARER', 'bEaReR']) {
        expectAccepted(await me(`${scheme} ${jwt}`, true), sub)
      }
    })

    it('accepts more than one space between Bearer and the token', async () => {
      const { me, token, sub } = setup()
      expectAccepted(await me(`Bearer   ${await token()}`, true), sub)
    })
  })

  task(2, 'Two kinds of 401: no credentials, or a bad token', () => {
    it('answers 401 with a bare Bearer challenge when there is no Authorization header', async () => {
      const { api } = setup()
      expectUnauthorized(await api.get('/api/me'))
    })

    it('treats another scheme (Basic, or Token with a valid JWT) like no token', async () => {
      const { me, rng, token } = setup()
      const basic = Buffer.from(`${rng.word()}:${rng.word()}`).toString('base64')
      expectUnauthorized(await me(`Basic ${basic}`, true))
      expectUnauthorized(await me(`Token ${await token()}`, true))
    })

    it('treats a valid token glued to the scheme (Bearer<jwt>) as another scheme', async () => {
      const { me, token } = setup()
      expectUnauthorized(await me(`Bearer${await token()}`, true))
    })

    it('treats "Bearer" with no token after it as an invalid token', async () => {
      const { me } = setup()
      expectInvalidToken(await me('Bearer', true))
    })

    it('rejects a value that is not a JWT with 401 invalid_token', async () => {
      const { me, rng } = setup()
      expectInvalidToken(await me(rng.word(20, 30)))
    })

    it('rejects a valid token followed by more words as invalid_token', async () => {
      const { me, token, rng } = setup()
      expectInvalidToken(await me(`${await token()} ${rng.word()}`))
    })
  })

  task(3, 'Check the signature and pin HS256', () => {
    it('refuses a secret shorter than 32 bytes when the app is created', () => {
      const { rng, issuer, audience } = setup()
      for (const secret of ['', rng.word(31, 31), `${rng.word(10, 20)}`]) {
        const make = () => createApp({ secret, issuer, audience })
        expect(make, `createApp({ secret: "${secret}" }) throws a TypeError`).toThrow(TypeError)
      }
    })

    it('counts the secret in UTF-8 bytes: 16 x "é" is 32 bytes, long enough', async () => {
      const { rng, issuer, audience, sub } = setup()
      const secret = 'é'.repeat(16)
      const clock = fakeClock(instantIn(rng, 2031))
      const api = client(build(createApp, { secret, issuer, audience, now: clock.now }))
      const now = clock.now() / 1000
      const jwt = await sign({ sub, iss: issuer, aud: audience, exp: now + 600 }, secret)
      expectAccepted(await api.get('/api/me', { headers: { Authorization: `Bearer ${jwt}` } }), sub)
    })

    it('rejects a token signed with a different secret', async () => {
      const { me, token, rng } = setup()
      expectInvalidToken(await me(await token({}, 'HS256', rng.word(33, 40))))
    })

    it('rejects a token whose payload was changed after signing', async () => {
      const { me, token, claims, rng } = setup()
      const [header, , signature] = (await token()).split('.')
      const forged = b64url(claims({ sub: `admin-${rng.word()}` }))
      expectInvalidToken(await me(`${header}.${forged}.${signature}`))
    })

    it('verifies the signature with the UTF-8 bytes of the secret', async () => {
      const { me, token, sub } = setup({ secretSuffix: '-clé-🔑' })
      expectAccepted(await me(await token()), sub)
    })

    it('rejects an unsigned token with alg "none"', async () => {
      const { me, claims } = setup()
      expectInvalidToken(await me(`${b64url({ alg: 'none', typ: 'JWT' })}.${b64url(claims())}.`))
    })

    it.each(['HS384', 'HS512'])(
      'rejects an %s token even when it is signed with the right secret',
      async (alg) => {
        const { me, token } = setup()
        expectInvalidToken(await me(await token({}, alg)))
      },
    )

    it('rejects a token whose header names another algorithm, even over an HS256 MAC', async () => {
      const { me, claims, secret } = setup()
      const payload = b64url(claims())
      for (const alg of ['HS512', 'HS384', 'none', 'hs256']) {
        const input = `${b64url({ alg, typ: 'JWT' })}.${payload}`
        const mac = createHmac('sha256', Buffer.from(secret)).update(input).digest('base64url')
        expectInvalidToken(await me(`${input}.${mac}`))
      }
    })

    it('keeps each app its own secret, issuer and audience', async () => {
      const first = setup({ salt: 'first' })
      const second = setup({ salt: 'second' })
      const jwt = await first.token()
      expectAccepted(await first.me(jwt), first.sub)
      expectInvalidToken(await second.me(jwt))
      expectAccepted(await second.me(await second.token()), second.sub)
    })
  })

  task(4, 'Check exp and nbf against now()', () => {
    it('rejects a token that expired one second ago', async () => {
      const { me, token, nowSec } = setup()
      expectInvalidToken(await me(await token({ exp: nowSec() - 1 })))
    })

    it('rejects a token whose exp is the current second (no leeway)', async () => {
      const { me, token, nowSec } = setup()
      expectInvalidToken(await me(await token({ exp: nowSec() })))
    })

    it('accepts a token that expires one second from now', async () => {
      const { me, token, nowSec, sub } = setup()
      expectAccepted(await me(await token({ exp: nowSec() + 1 })), sub)
    })

    it('rejects a token without exp', async () => {
      const { me, token } = setup()
      expectInvalidToken(await me(await token({ exp: undefined })))
    })

    it('rejects a token whose exp is not a number', async () => {
      const { me, token, nowSec } = setup()
      expectInvalidToken(await me(await token({ exp: String(nowSec() + 3600) })))
    })

    it('accepts a token whose nbf is the current second', async () => {
      const { me, token, nowSec, sub } = setup()
      expectAccepted(await me(await token({ nbf: nowSec() })), sub)
    })

    it('rejects a token whose nbf is one second in the future', async () => {
      const { me, token, nowSec } = setup()
      expectInvalidToken(await me(await token({ nbf: nowSec() + 1 })))
    })

    it('judges exp and nbf the same when now() falls in the middle of a second', async () => {
      // Rounding now() up (or comparing milliseconds with seconds) only shows between whole seconds.
      const { me, token, clock, sub } = setup()
      clock.set(Math.floor(clock.now() / 1000) * 1000 + 500)
      const second = Math.floor(clock.now() / 1000)
      expectInvalidToken(await me(await token({ nbf: second + 1 })))
      expectAccepted(await me(await token({ nbf: second })), sub)
      expectInvalidToken(await me(await token({ exp: second })))
      expectAccepted(await me(await token({ exp: second + 1 })), sub)
    })

    it('takes the time from options.now on every request, never from Date.now()', async () => {
      const { me, token, nowSec, clock, sub } = setup({ year: 2003 })
      const jwt = await token({ exp: nowSec() + 600 })
      expectAccepted(await me(jwt), sub)
      clock.advance(600_000)
      expectInvalidToken(await me(jwt))
    })
  })

  task(5, 'Check iss, aud and sub', () => {
    it('rejects a token from another issuer, also one that starts with the right one', async () => {
      const { me, token, rng, issuer } = setup()
      for (const iss of [`https://other-${rng.word()}.example`, `${issuer}.${rng.word()}.example`]) {
        expectInvalidToken(await me(await token({ iss })))
      }
    })

    it('rejects a token without iss', async () => {
      const { me, token } = setup()
      expectInvalidToken(await me(await token({ iss: undefined })))
    })

    it('rejects a token for another audience, also one that contains the name', async () => {
      const { me, token, rng, audience } = setup()
      for (const aud of [`${rng.word()}-api`, `${audience}-${rng.word()}`, `x${audience}`]) {
        expectInvalidToken(await me(await token({ aud })))
      }
    })

    it('accepts a token whose aud array contains the audience', async () => {
      const { me, token, audience, rng, sub } = setup()
      // Not first in the list, so looking only at aud[0] fails too.
      const aud = [`${rng.word()}-web`, ...rng.shuffle([audience, `${rng.word()}-api`])]
      expectAccepted(await me(await token({ aud })), sub)
    })

    it('rejects a token whose aud array does not contain the audience', async () => {
      const { me, token, rng, audience } = setup()
      const aud = [`${rng.word()}-api`, `${audience}-${rng.word()}`]
      expectInvalidToken(await me(await token({ aud })))
    })

    it('rejects a token without aud', async () => {
      const { me, token } = setup()
      expectInvalidToken(await me(await token({ aud: undefined })))
    })

    it('rejects a token without sub', async () => {
      const { me, token } = setup()
      expectInvalidToken(await me(await token({ sub: undefined })))
    })

    it('rejects a token whose sub is an empty string', async () => {
      const { me, token } = setup()
      expectInvalidToken(await me(await token({ sub: '' })))
    })

    it('rejects a token whose sub is not a string', async () => {
      const { me, token, rng } = setup()
      expectInvalidToken(await me(await token({ sub: rng.int(1, 99999) })))
    })
  })
})
