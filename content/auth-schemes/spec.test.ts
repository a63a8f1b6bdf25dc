// auth-schemes - the hidden spec.
//
// Wrong implementations this spec is built to catch:
// - splits Basic credentials at the last colon, or at every colon (`split(':')`), so a password
//   that contains a colon never works (RFC 7617: the user-id has none, the password may)
// - decodes the Basic credentials as latin1/ASCII instead of UTF-8 (a password with "é" fails)
// - ignores `options.scrypt` (hashes with Node's defaults), or feeds scrypt the salt's hex text
//   instead of its bytes, or derives a fixed key length instead of the stored hash's length
// - compares the hash with timingSafeEqual on buffers of different lengths (throws: 500)
// - tells an unknown user apart from a wrong password (another status, error or message)
// - answers 403 instead of 401 to bad credentials, or omits WWW-Authenticate
// - only one challenge in WWW-Authenticate (DRF's habit: the first class's), or challenges for
//   schemes that are not configured, or a Basic challenge without the realm RFC 7617 requires
// - matches the scheme word case-sensitively (`basic`, `TOKEN` rejected), or by prefix
//   (`Tokenabc` taken for a Token header)
// - lets a recognised scheme that fails fall through to the next one, ending in
//   not_authenticated instead of authentication_failed, or hands its credentials on to the
//   schemes after it (`Bearer <a Token key>` signed in by Token when Token comes later)
// - takes exactly one space after the scheme word (`Token  <key>` with two spaces fails)
// - drops the bytes of Basic credentials that are not UTF-8 instead of failing on them
// - ignores `options.schemes`: a scheme that is not configured still signs people in
// - takes the credential with `split(' ')[1]`, so trailing words are ignored, or treats a bare
//   `Token` / `Basic` header as no credentials
// - one table for Token and Bearer (a Token key works as a Bearer token, or the reverse)
// - looks keys or users up in plain objects, so `constructor` or `__proto__` signs in
// - reports the wrong scheme (or none) in /api/me
// - accepts an empty or duplicated `schemes` list, or an unknown scheme name
import { scryptSync } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import {
  build,
  client,
  focusOn,
  random,
  task,
  type Reply,
  type Rng,
} from '../../harness/spec-kit/index.ts'
import { createApp, type SchemeName } from '../../exercises/auth-schemes/app.ts'

const ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789'
const ALL: SchemeName[] = ['basic', 'token', 'bearer']

interface Account {
  username: string
  password: string
}

/** Random users (passwords with colons and non-ASCII letters), keys and cheap scrypt params. */
function world(rng: Rng) {
  const word = (min: number, max: number) =>
    Array.from({ length: rng.int(min, max) }, () => rng.pick([...ALNUM])).join('')
  const params = { N: rng.pick([2, 4, 8, 16]), r: rng.int(1, 2), p: 1 }
  const keylen = rng.pick([16, 24, 32, 64])
  const accounts: Account[] = Array.from({ length: 3 }, (_, i) => ({
    username: `${rng.word(3, 6)}${i}`,
    password: `${word(4, 8)}${rng.pick([':', '::', ': '])}${word(2, 6)}`,
  }))
  // One password with letters outside ASCII: only a UTF-8 reading gives back its bytes.
  accounts[1]!.password = `${rng.pick(['é', 'ñ', 'ü', 'ø'])}${accounts[1]!.password}${rng.pick(['ß', 'ç', '€'])}`
  const users: Record<string, { salt: string; hash: string }> = {}
  for (const a of accounts) {
    const salt = Buffer.from(Array.from({ length: 16 }, () => rng.int(0, 255)))
    const hash = scryptSync(a.password, salt, keylen, params)
    users[a.username] = { salt: salt.toString('hex'), hash: hash.toString('hex') }
  }
  const tokenKey = word(20, 40)
  const bearerToken = word(20, 40)
  const tokenUser = `${rng.word(3, 6)}-t`
  const bearerUser = `${rng.word(3, 6)}-b`
  return {
    params,
    accounts,
    users,
    tokenKey,
    bearerToken,
    tokenUser,
    bearerUser,
    tokens: { [tokenKey]: tokenUser },
    bearerTokens: { [bearerToken]: bearerUser },
    order: rng.shuffle(ALL),
  }
}

type World = ReturnType<typeof world>

const appFor = (w: World, schemes: SchemeName[] = w.order) =>
  client(
    build(createApp, {
      schemes: [...schemes],
      users: { ...w.users },
      tokens: { ...w.tokens },
      bearerTokens: { ...w.bearerTokens },
      scrypt: { ...w.params },
    }),
  )

const basicHeader = (username: string, password: string) =>
  `Basic ${Buffer.from(`${username}:${password}`, 'utf8').toString('base64')}`
const basic = (a: Account) => ({ headers: { Authorization: basicHeader(a.username, a.password) } })
const auth = (value: string) => ({ headers: { Authorization: value } })

interface Challenge {
  scheme: string
  params: Record<string, string>
}

/**
 * Parses a WWW-Authenticate value that may hold several challenges (RFC 9110 section 11.6.1),
 * as one header or as repeated headers joined with ", ". Scheme names lower-case. After a comma,
 * `name=` continues the current challenge and a bare word starts a new one. Undefined if broken.
 */
function parseChallenges(value: string): Challenge[] | undefined {
  const out: Challenge[] = []
  const re =
    /\s*([!#$%&'*+.^_`|~0-9A-Za-z-]+)\s*(=\s*(?:"((?:[^"\\]|\\.)*)"|([!#$%&'*+.^_`|~0-9A-Za-z-]+)))?\s*/y
  let i = 0
  while (i < value.length) {
    if (/[\s,]/.test(value[i]!)) {
      i++
      continue
    }
    re.lastIndex = i
    const m = re.exec(value)
    if (!m) return undefined
    i = re.lastIndex
    if (m[2] !== undefined && out.length > 0) {
      out[out.length - 1]!.params[m[1]!.toLowerCase()] = m[3]?.replace(/\\(.)/g, '$1') ?? m[4]!
    } else if (m[2] === undefined) {
      out.push({ scheme: m[1]!.toLowerCase(), params: {} })
    } else return undefined
  }
  return out
}

/** A 401 with the given error and exactly one challenge per configured scheme. */
function expectChallenge(res: Reply, error: string, schemes: SchemeName[]) {
  expect(res).toHaveStatus(401)
  expect(res).toHaveHeader('www-authenticate')
  const challenges = parseChallenges(res.headers['www-authenticate']!)
  focusOn(res)
  expect(challenges, 'WWW-Authenticate must be a list of challenges').toBeDefined()
  const names = challenges!.map((c) => c.scheme)
  expect(
    [...names].sort(),
    'WWW-Authenticate must hold one challenge per configured scheme, and no others',
  ).toEqual([...schemes].sort())
  const basicChallenge = challenges!.find((c) => c.scheme === 'basic')
  if (basicChallenge) {
    expect(basicChallenge.params.realm, 'the Basic challenge must carry a realm').toBeDefined()
  }
  expect(res).toHaveJsonBody(expect.objectContaining({ error }))
}

const expectFailed = (res: Reply, w: World, schemes: SchemeName[] = w.order) =>
  expectChallenge(res, 'authentication_failed', schemes)
const expectNotAuthenticated = (res: Reply, w: World, schemes: SchemeName[] = w.order) =>
  expectChallenge(res, 'not_authenticated', schemes)

/** Names every plain object inherits. */
const INHERITED = ['constructor', '__proto__', 'toString', 'hasOwnProperty']

describe('auth-schemes', () => {
  task(1, 'Challenge a caller who sent no credentials', () => {
    it('GET /api/me without Authorization answers 401 not_authenticated with a challenge per scheme', async () => {
      const w = world(random())
      expectNotAuthenticated(await appFor(w).get('/api/me'), w)
    })

    const unknown: [string, (w: World) => string][] = [
      ['an empty Authorization header', () => ''],
      ['a scheme nobody here knows', (w) => `Digest ${w.tokenKey}`],
      ['a key glued to the Token word', (w) => `Token${w.tokenKey}`],
      ['a token glued to the Bearer word', (w) => `Bearer${w.bearerToken}`],
      [
        'Basic credentials glued to the Basic word',
        (w) => basicHeader(w.accounts[0]!.username, w.accounts[0]!.password).replace(' ', ''),
      ],
      ['a bare key with no scheme', (w) => w.tokenKey],
    ]

    it.each(unknown)('answers 401 not_authenticated to %s', async (_, header) => {
      const w = world(random())
      expectNotAuthenticated(await appFor(w).get('/api/me', auth(header(w))), w)
    })

    it('lists only the configured schemes, whichever they are', async () => {
      const rng = random()
      const w = world(rng)
      for (const schemes of [[w.order[0]!], w.order.slice(0, 2), w.order]) {
        expectNotAuthenticated(await appFor(w, schemes).get('/api/me'), w, schemes)
      }
    })

    it('createApp throws a TypeError for an empty, duplicated or unknown scheme list', () => {
      const w = world(random())
      const make = (schemes: unknown) => () =>
        build(createApp, {
          schemes: schemes as SchemeName[],
          users: w.users,
          tokens: w.tokens,
          bearerTokens: w.bearerTokens,
          scrypt: w.params,
        })
      expect(make([]), 'an empty list').toThrow(TypeError)
      expect(make(['token', 'token']), 'a duplicated scheme').toThrow(TypeError)
      expect(make(['basic', 'digest']), 'an unknown scheme').toThrow(TypeError)
      expect(make(['Basic']), 'scheme names are the lower-case ones').toThrow(TypeError)
    })
  })

  task(2, 'Sign in with Basic and a scrypt hash', () => {
    it('GET /api/me answers 200 with the user and scheme "basic" for the right password', async () => {
      const w = world(random())
      const api = appFor(w)
      for (const a of w.accounts) {
        const res = await api.get('/api/me', basic(a))
        expect(res).toHaveStatus(200)
        expect(res).toHaveJsonBody({ user: a.username, scheme: 'basic' })
      }
    })

    it('a password may contain colons: only the first colon ends the user-id', async () => {
      const w = world(random())
      const a = w.accounts[0]!
      expect(a.password).toContain(':')
      const res = await appFor(w).get('/api/me', basic(a))
      expect(res).toHaveStatus(200)
      expect(res).toHaveJsonBody({ user: a.username, scheme: 'basic' })
    })

    it('decodes the credentials as UTF-8 (a password with letters outside ASCII)', async () => {
      const w = world(random())
      const a = w.accounts[1]!
      const res = await appFor(w).get('/api/me', basic(a))
      expect(res).toHaveStatus(200)
      expect(res).toHaveJsonBody({ user: a.username, scheme: 'basic' })
    })

    it('accepts the Basic scheme word in any letter case', async () => {
      const w = world(random())
      const api = appFor(w)
      const a = w.accounts[2]!
      for (const word of ['basic', 'BASIC', 'bAsIc']) {
        const value = basicHeader(a.username, a.password).replace('Basic', word)
        const res = await api.get('/api/me', auth(value))
        expect(res).toHaveStatus(200)
        expect(res).toHaveJsonBody({ user: a.username, scheme: 'basic' })
      }
    })

    it('accepts one or more spaces between the Basic word and the credentials', async () => {
      const w = world(random())
      const api = appFor(w)
      const a = w.accounts[0]!
      for (const spaces of ['  ', '   ', ' '.repeat(random().int(4, 8))]) {
        const value = basicHeader(a.username, a.password).replace(' ', spaces)
        const res = await api.get('/api/me', auth(value))
        expect(res).toHaveStatus(200)
        expect(res).toHaveJsonBody({ user: a.username, scheme: 'basic' })
      }
    })

    it('hashes with the scrypt parameters given to createApp', async () => {
      // The same passwords hashed with other parameters: an app that ignores options.scrypt
      // gets one of the two worlds wrong.
      const w = world(random())
      const other = { ...w.params, N: w.params.N === 16 ? 8 : w.params.N * 2 }
      const users: Record<string, { salt: string; hash: string }> = {}
      for (const a of w.accounts) {
        const { salt, hash } = w.users[a.username]!
        const bytes = Buffer.from(hash, 'hex').length
        const rehashed = scryptSync(a.password, Buffer.from(salt, 'hex'), bytes, other)
        users[a.username] = { salt, hash: rehashed.toString('hex') }
      }
      const api = client(
        build(createApp, {
          schemes: ['basic'],
          users,
          tokens: {},
          bearerTokens: {},
          scrypt: other,
        }),
      )
      const res = await api.get('/api/me', basic(w.accounts[0]!))
      expect(res).toHaveStatus(200)
      expect(res).toHaveJsonBody({ user: w.accounts[0]!.username, scheme: 'basic' })
    })
  })

  task(3, 'Turn away bad Basic credentials', () => {
    it('a wrong password answers 401 authentication_failed', async () => {
      const w = world(random())
      const a = w.accounts[0]!
      const api = appFor(w)
      for (const password of [
        `${a.password}x`,
        a.password.slice(0, -1),
        a.password.toUpperCase(),
        '',
      ]) {
        if (password === a.password) continue
        expectFailed(await api.get('/api/me', basic({ ...a, password })), w)
      }
    })

    it("another user's password does not sign in", async () => {
      const w = world(random())
      const [a, b] = w.accounts
      expectFailed(
        await appFor(w).get('/api/me', basic({ username: a!.username, password: b!.password })),
        w,
      )
    })

    it('credentials whose bytes are not UTF-8 answer 401 authentication_failed', async () => {
      // Dropping the bad bytes would turn these back into the right username and password.
      const rng = random()
      const w = world(rng)
      const a = w.accounts[0]!
      const api = appFor(w)
      const utf8 = (text: string) => Buffer.from(text, 'utf8')
      const splice = (text: string, bad: number[]) => {
        const at = rng.int(0, text.length)
        return Buffer.concat([utf8(text.slice(0, at)), Buffer.from(bad), utf8(text.slice(at))])
      }
      for (const bad of [[0xff], [0x80], [0xc3], [0xed, 0xa0, 0x80], [0xc0, 0xba]]) {
        for (const bytes of [
          Buffer.concat([utf8(`${a.username}:`), splice(a.password, bad)]),
          Buffer.concat([splice(a.username, bad), utf8(`:${a.password}`)]),
        ]) {
          expectFailed(await api.get('/api/me', auth(`Basic ${bytes.toString('base64')}`)), w)
        }
      }
    })

    it('an unknown user gets exactly the answer a wrong password gets', async () => {
      const w = world(random())
      const a = w.accounts[0]!
      const api = appFor(w)
      const wrong = await api.get('/api/me', basic({ ...a, password: `${a.password}!` }))
      const unknown = await api.get('/api/me', basic({ ...a, username: `${a.username}x` }))
      expectFailed(wrong, w)
      expectFailed(unknown, w)
      focusOn(unknown)
      expect(unknown.text, 'the body must not tell an unknown user from a wrong password').toBe(
        wrong.text,
      )
      expect(unknown.headers['www-authenticate'], 'nor the challenge').toBe(
        wrong.headers['www-authenticate'],
      )
    })

    it.each(INHERITED)('the inherited name "%s" is not a user', async (name) => {
      const w = world(random())
      expectFailed(
        await appFor(w).get(
          '/api/me',
          basic({ username: name, password: w.accounts[0]!.password }),
        ),
        w,
      )
    })

    const broken: [string, (w: World) => string][] = [
      ['the Basic word alone', () => 'Basic'],
      [
        'credentials that decode to text without a colon',
        (w) => `Basic ${Buffer.from(w.accounts[0]!.username).toString('base64')}`,
      ],
      ['credentials that are not base64 at all', () => 'Basic ***'],
      [
        'valid credentials followed by another word',
        (w) => `${basicHeader(w.accounts[0]!.username, w.accounts[0]!.password)} extra`,
      ],
    ]

    it.each(broken)('answers 401 authentication_failed to %s', async (_, header) => {
      const w = world(random())
      expectFailed(await appFor(w).get('/api/me', auth(header(w))), w)
    })
  })

  task(4, 'Sign in with a Token key or a Bearer token', () => {
    it('`Token <key>` answers 200 with the key owner and scheme "token"', async () => {
      const w = world(random())
      const res = await appFor(w).get('/api/me', auth(`Token ${w.tokenKey}`))
      expect(res).toHaveStatus(200)
      expect(res).toHaveJsonBody({ user: w.tokenUser, scheme: 'token' })
    })

    it('`Bearer <token>` answers 200 with the token owner and scheme "bearer"', async () => {
      const w = world(random())
      const res = await appFor(w).get('/api/me', auth(`Bearer ${w.bearerToken}`))
      expect(res).toHaveStatus(200)
      expect(res).toHaveJsonBody({ user: w.bearerUser, scheme: 'bearer' })
    })

    it('accepts the Token and Bearer words in any letter case', async () => {
      const w = world(random())
      const api = appFor(w)
      for (const word of ['token', 'TOKEN', 'tOkEn']) {
        expect(await api.get('/api/me', auth(`${word} ${w.tokenKey}`))).toHaveJsonBody({
          user: w.tokenUser,
          scheme: 'token',
        })
      }
      for (const word of ['bearer', 'BEARER', 'BeArEr']) {
        expect(await api.get('/api/me', auth(`${word} ${w.bearerToken}`))).toHaveJsonBody({
          user: w.bearerUser,
          scheme: 'bearer',
        })
      }
    })

    it('accepts one or more spaces between the Token or Bearer word and the key', async () => {
      const w = world(random())
      const api = appFor(w)
      for (const spaces of ['  ', '   ', ' '.repeat(random().int(4, 8))]) {
        expect(await api.get('/api/me', auth(`Token${spaces}${w.tokenKey}`))).toHaveJsonBody({
          user: w.tokenUser,
          scheme: 'token',
        })
        expect(await api.get('/api/me', auth(`Bearer${spaces}${w.bearerToken}`))).toHaveJsonBody(
          { user: w.bearerUser, scheme: 'bearer' },
        )
      }
    })

    const bad: [string, (w: World) => string][] = [
      [
        'an unknown Token key',
        (w) => `Token ${w.tokenKey.slice(0, -1)}${w.tokenKey.endsWith('x') ? 'y' : 'x'}`,
      ],
      ['a Token key missing its last character', (w) => `Token ${w.tokenKey.slice(0, -1)}`],
      ['a Token key with one character more', (w) => `Token ${w.tokenKey}0`],
      [
        'a Token key in another letter case',
        (w) =>
          `Token ${w.tokenKey.toLowerCase() === w.tokenKey ? w.tokenKey.toUpperCase() : w.tokenKey.toLowerCase()}`,
      ],
      ['the Token word alone', () => 'Token'],
      ['a valid Token key followed by another word', (w) => `Token ${w.tokenKey} ${w.tokenKey}`],
      ['a Token key sent as a Bearer token', (w) => `Bearer ${w.tokenKey}`],
      ['a Bearer token sent as a Token key', (w) => `Token ${w.bearerToken}`],
      ['an unknown Bearer token', (w) => `Bearer ${w.bearerToken}${w.bearerToken}`],
      ['the Bearer word alone', () => 'Bearer'],
      ['a valid Bearer token followed by another word', (w) => `Bearer ${w.bearerToken} more`],
    ]

    it.each(bad)('answers 401 authentication_failed to %s', async (_, header) => {
      const w = world(random())
      expectFailed(await appFor(w).get('/api/me', auth(header(w))), w)
    })

    it('an inherited name such as constructor or __proto__ is neither a key nor a token', async () => {
      const w = world(random())
      const api = appFor(w)
      for (const name of INHERITED) {
        expectFailed(await api.get('/api/me', auth(`Token ${name}`)), w)
        expectFailed(await api.get('/api/me', auth(`Bearer ${name}`)), w)
      }
    })
  })

  task(5, 'Try only the configured schemes, and let the first match decide', () => {
    it('a scheme that is not configured is not recognised: 401 not_authenticated', async () => {
      const w = world(random())
      const creds: Record<SchemeName, string> = {
        basic: basicHeader(w.accounts[0]!.username, w.accounts[0]!.password),
        token: `Token ${w.tokenKey}`,
        bearer: `Bearer ${w.bearerToken}`,
      }
      for (const off of ALL) {
        const on = w.order.filter((s) => s !== off)
        const api = appFor(w, on)
        expectNotAuthenticated(await api.get('/api/me', auth(creds[off])), w, on)
        for (const s of on) expect(await api.get('/api/me', auth(creds[s]))).toHaveStatus(200)
      }
    })

    it('a recognised scheme that fails decides: authentication_failed, whatever comes after it', async () => {
      const w = world(random())
      for (const first of ALL) {
        const schemes: SchemeName[] = [first, ...ALL.filter((s) => s !== first)]
        const api = appFor(w, schemes)
        const a = w.accounts[0]!
        expectFailed(
          await api.get('/api/me', basic({ ...a, password: `${a.password}?` })),
          w,
          schemes,
        )
        expectFailed(await api.get('/api/me', auth(`Token ${w.tokenKey}?`)), w, schemes)
        expectFailed(await api.get('/api/me', auth(`Bearer ${w.bearerToken}?`)), w, schemes)
      }
    })

    it("a failed scheme does not hand its credentials on, even when they are good for a later scheme", async () => {
      // `Bearer <a Token key>` with Token after Bearer, `Token <Basic credentials>` with Basic
      // after Token, ...: every pair of schemes, in both orders, next to each other or not.
      const w = world(random())
      const a = w.accounts[0]!
      const word: Record<SchemeName, string> = { basic: 'Basic', token: 'Token', bearer: 'Bearer' }
      const good: Record<SchemeName, string> = {
        basic: Buffer.from(`${a.username}:${a.password}`, 'utf8').toString('base64'),
        token: w.tokenKey,
        bearer: w.bearerToken,
      }
      for (const named of ALL) {
        for (const later of ALL) {
          if (later === named) continue
          const third = ALL.find((s) => s !== named && s !== later)!
          for (const schemes of [
            [named, later],
            [named, third, later],
            [third, named, later],
          ] as SchemeName[][]) {
            const api = appFor(w, schemes)
            expectFailed(
              await api.get('/api/me', auth(`${word[named]} ${good[later]}`)),
              w,
              schemes,
            )
            // The same credentials under their own word still sign in.
            expect(await api.get('/api/me', auth(`${word[later]} ${good[later]}`))).toHaveStatus(200)
          }
        }
      }
    })

    it('each scheme reports itself in /api/me, whatever the order', async () => {
      const w = world(random())
      const api = appFor(w)
      const a = w.accounts[2]!
      expect(await api.get('/api/me', basic(a))).toHaveJsonBody({
        user: a.username,
        scheme: 'basic',
      })
      expect(await api.get('/api/me', auth(`Token ${w.tokenKey}`))).toHaveJsonBody({
        user: w.tokenUser,
        scheme: 'token',
      })
      expect(await api.get('/api/me', auth(`Bearer ${w.bearerToken}`))).toHaveJsonBody({
        user: w.bearerUser,
        scheme: 'bearer',
      })
    })

    it('a single-scheme app challenges with that scheme only', async () => {
      const w = world(random())
      for (const only of ALL) {
        const res = await appFor(w, [only]).get('/api/me', auth(`Digest ${w.tokenKey}`))
        expectNotAuthenticated(res, w, [only])
      }
    })
  })
})
