// csrf-protection - the hidden spec.
//
// Wrong implementations this spec is built to catch:
// - no token check at all, or one that only runs when the X-CSRF-Token header is present
// - checks the token of JSON requests only: form-encoded and text/plain posts get through
// - reads the token from the JSON body or header only, so a form's _csrf field is refused
// - accepts any well-formed token: one from another session, a prefix of the right one, the
//   right one with more characters, an empty one (`startsWith`, `includes`, a truthiness test)
// - one token for the whole app (or module-level), not one per session
// - a guessable token: a counter or a timestamp (behind a fixed prefix), or too few random bits
// - leaves DELETE (or another unsafe method) out of the check, or checks POST only
// - no Origin check: a cross-site page that somehow holds the token gets through
// - accepts `Sec-Fetch-Site: cross-site` or `same-site`, or ignores Sec-Fetch-Site
// - matches Origin by prefix or substring, ignores the scheme, or accepts `Origin: null`
// - refuses a request that carries neither Origin nor Sec-Fetch-Site even with a valid token
// - leaves the login out of the Origin check (login CSRF)
// - refuses safe methods (a cross-site GET link or a CORS read)
// - logs out on GET, or lets a cross-site POST log the user out
// - asks bearer-token clients for a CSRF token, or refuses them for their Origin
// - falls back to the session cookie when the bearer token is bad, skipping the CSRF check
// - a session cookie without HttpOnly, or without SameSite=Lax/Strict
import { describe, expect, it } from 'vitest'
import {
  build,
  client,
  parseSetCookies,
  random,
  task,
  type Client,
  type Reply,
} from '../../harness/spec-kit/index.ts'
import { createApp } from '../../exercises/csrf-protection/app.ts'

type Headers = Record<string, string>

function setup({ salt = '' } = {}) {
  const rng = random(salt)
  const base = `${rng.word(4, 8)}.example`
  const origin = `https://bank.${base}`
  const user = rng.word(5, 8)
  const other = `${rng.word(5, 8)}x`
  const users = { [user]: rng.word(10, 14), [other]: rng.word(10, 14) }
  const apiToken = rng.word(24, 32)
  const service = `svc-${rng.word()}`
  const options = { origin, users, apiTokens: { [apiToken]: service } }
  const api = client(build(createApp, options))
  /** What the site's own pages send with an unsafe request. */
  const own: Headers = { Origin: origin, 'Sec-Fetch-Site': 'same-origin' }
  /** What a page on another site sends. */
  const evil = `https://${rng.word()}.evil.test`
  const foreign: Headers = { Origin: evil, 'Sec-Fetch-Site': 'cross-site' }
  return { rng, api, base, origin, user, other, users, apiToken, service, own, evil, foreign }
}

type Setup = ReturnType<typeof setup>

interface Session {
  /** The Cookie header to send back: every cookie the login set. */
  cookie: string
  /** The CSRF token the login handed out. */
  token: string
}

/** Every cookie a response set, as a Cookie request header. */
function cookieJar(res: Reply): string {
  return parseSetCookies(res.headers['set-cookie'])
    .filter((c) => c.value !== '')
    .map((c) => `${c.name}=${c.value}`)
    .join('; ')
}

/**
 * How many bits the tokens vary in, estimated from outside: line the tokens up (at their start,
 * then at their end, for tokens of different lengths) and add up, per position, log2 of how
 * many different characters they have there. A fixed prefix or separator adds nothing, a
 * counter adds a few bits, random characters add up to log2(tokens.length) bits each, so this
 * works for any encoding (hex, base64, base64url, a UUID). It underestimates: 64 tokens of
 * 12 random bytes in base64url (96 bits) score about 85.
 */
function variedBits(tokens: string[]): number {
  const longest = Math.max(...tokens.map((t) => t.length))
  const score = (at: (token: string, i: number) => string | undefined) => {
    let bits = 0
    for (let i = 0; i < longest; i++) bits += Math.log2(new Set(tokens.map((t) => at(t, i))).size)
    return bits
  }
  return Math.max(
    score((t, i) => t[i]),
    score((t, i) => t[t.length - 1 - i]),
  )
}

async function login(s: Setup, user = s.user): Promise<Session> {
  const res = await s.api.post('/session', {
    headers: s.own,
    json: { user, password: s.users[user] },
  })
  expect(res, 'POST /session with the right password answers 201').toHaveStatus(201)
  const token = (res.body as { csrfToken?: unknown } | undefined)?.csrfToken
  expect(typeof token, 'the login answers JSON { "csrfToken": "<a string>" }').toBe('string')
  const cookie = cookieJar(res)
  expect(cookie, 'the login sets a session cookie').not.toBe('')
  return { cookie, token: token as string }
}

const form = (fields: Record<string, string>) =>
  Object.entries(fields)
    .map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`)
    .join('&')

/** A JSON transfer, the token (if any) in X-CSRF-Token. */
function jsonTransfer(api: Client, session: Session, headers: Headers, token?: string) {
  return api.post('/api/transfers', {
    headers: {
      ...headers,
      Cookie: session.cookie,
      ...(token !== undefined ? { 'X-CSRF-Token': token } : {}),
    },
    json: { to: 'mallory', amount: 100 },
  })
}

/** A form-encoded transfer, as an HTML form sends it; the token (if any) in _csrf. */
function formTransfer(api: Client, session: Session, headers: Headers, token?: string) {
  const fields = { to: 'mallory', amount: '100', ...(token !== undefined ? { _csrf: token } : {}) }
  return api.post('/api/transfers', {
    headers: {
      ...headers,
      Cookie: session.cookie,
      'Content-Type': 'application/x-www-form-urlencoded',
    },
    body: form(fields),
  })
}

async function transferCount(api: Client, session: Session): Promise<number> {
  const res = await api.get('/api/transfers', { headers: { Cookie: session.cookie } })
  expect(res).toHaveStatus(200)
  return (res.body as { transfers: unknown[] }).transfers.length
}

async function expectRefused(res: Reply, s: Setup, session: Session, why: string) {
  expect(res, `${why}: 403`).toHaveStatus(403)
  expect(await transferCount(s.api, session), `${why}: no transfer was made`).toBe(0)
}

describe('csrf-protection', () => {
  task(1, 'Sessions and a CSRF token', () => {
    it('signs in with a session cookie that is HttpOnly and SameSite=Lax or Strict', async () => {
      const s = setup()
      const res = await s.api.post('/session', {
        headers: s.own,
        json: { user: s.user, password: s.users[s.user] },
      })
      expect(res).toHaveStatus(201)
      const cookies = parseSetCookies(res.headers['set-cookie']).filter((c) => c.value !== '')
      expect(cookies.length, 'the login sets a session cookie').toBeGreaterThan(0)
      const session = cookies.find((c) => 'httponly' in c.attributes)
      expect(session, 'the session cookie is HttpOnly: scripts must not read it').toBeDefined()
      expect(
        session!.attributes.samesite?.toLowerCase(),
        'the session cookie has SameSite=Lax (or Strict)',
      ).toMatch(/^(lax|strict)$/)
    })

    it('hands out a CSRF token at login and again at GET /api/csrf', async () => {
      const s = setup()
      const session = await login(s)
      expect(session.token.length, 'a token of at least 16 characters').toBeGreaterThanOrEqual(16)
      const res = await s.api.get('/api/csrf', { headers: { Cookie: session.cookie } })
      expect(res).toHaveStatus(200)
      expect(res, 'GET /api/csrf gives the same token as the login').toHaveJsonBody(
        expect.objectContaining({ csrfToken: session.token }),
      )
      const me = await s.api.get('/api/me', { headers: { Cookie: session.cookie } })
      expect(me).toHaveJsonBody(expect.objectContaining({ user: s.user }))
    })

    it('gives every session its own token', async () => {
      const s = setup()
      const first = await login(s)
      const second = await login(s)
      const third = await login(s, s.other)
      expect(second.token, 'two logins, two tokens').not.toBe(first.token)
      expect(third.token).not.toBe(first.token)
      expect(second.cookie, 'two logins, two sessions').not.toBe(first.cookie)
    })

    it('makes tokens nobody can guess: those of 64 sessions vary in about 96 bits or more', async () => {
      const s = setup()
      const tokens: string[] = []
      for (let i = 0; i < 64; i++) tokens.push((await login(s, i % 4 === 3 ? s.other : s.user)).token)
      expect(new Set(tokens).size, '64 logins, 64 different tokens').toBe(64)
      const bits = variedBits(tokens)
      expect(
        bits,
        `the tokens of 64 sessions differ in only about ${Math.round(bits)} bits of their characters ` +
          `(e.g. ${JSON.stringify(tokens[0])}, ${JSON.stringify(tokens[1])}): a token needs at least ` +
          '96 random bits from crypto, not a counter or a timestamp',
      ).toBeGreaterThanOrEqual(80)
    })

    it('answers 401 without a session: /api/csrf, /api/me, POST /api/transfers', async () => {
      const s = setup()
      expect(await s.api.get('/api/csrf')).toHaveStatus(401)
      expect(await s.api.get('/api/me')).toHaveStatus(401)
      const post = await s.api.post('/api/transfers', {
        headers: s.own,
        json: { to: 'x', amount: 1 },
      })
      expect(post).toHaveStatus(401)
    })
  })

  task(2, "Refuse unsafe requests without the session's token", () => {
    it('accepts a JSON transfer with the token in X-CSRF-Token', async () => {
      const s = setup()
      const session = await login(s)
      expect(await jsonTransfer(s.api, session, s.own, session.token)).toHaveStatus(201)
      expect(await transferCount(s.api, session)).toBe(1)
    })

    it('accepts a form transfer with the token in the _csrf field, or in the header', async () => {
      const s = setup()
      const session = await login(s)
      expect(await formTransfer(s.api, session, s.own, session.token)).toHaveStatus(201)
      const res = await s.api.post('/api/transfers', {
        headers: {
          ...s.own,
          Cookie: session.cookie,
          'Content-Type': 'application/x-www-form-urlencoded',
          'X-CSRF-Token': session.token,
        },
        body: form({ to: 'bob', amount: '5' }),
      })
      expect(res).toHaveStatus(201)
      expect(await transferCount(s.api, session)).toBe(2)
    })

    it('refuses a JSON transfer without a token', async () => {
      const s = setup()
      const session = await login(s)
      await expectRefused(await jsonTransfer(s.api, session, s.own), s, session, 'no token')
    })

    it('refuses a form transfer without a token', async () => {
      const s = setup()
      const session = await login(s)
      await expectRefused(await formTransfer(s.api, session, s.own), s, session, 'no token')
    })

    it('refuses a text/plain post without a token (the JSON-in-a-form trick)', async () => {
      const s = setup()
      const session = await login(s)
      const res = await s.api.post('/api/transfers', {
        headers: { ...s.own, Cookie: session.cookie, 'Content-Type': 'text/plain' },
        body: JSON.stringify({ to: 'mallory', amount: 100 }),
      })
      await expectRefused(res, s, session, 'text/plain, no token')
    })

    it("refuses another session's token, also one of the same user", async () => {
      const s = setup()
      const victim = await login(s)
      const attacker = await login(s, s.other)
      const again = await login(s)
      for (const token of [attacker.token, again.token]) {
        await expectRefused(
          await jsonTransfer(s.api, victim, s.own, token),
          s,
          victim,
          "another session's token",
        )
        await expectRefused(
          await formTransfer(s.api, victim, s.own, token),
          s,
          victim,
          "another session's token in a form",
        )
      }
    })

    it('refuses near misses: empty, a prefix, one character more, one character changed', async () => {
      const s = setup()
      const session = await login(s)
      const t = session.token
      const flipped = `${t.slice(0, -1)}${t.endsWith('A') ? 'B' : 'A'}`
      for (const token of ['', t.slice(0, -1), t.slice(0, 8), `${t}x`, flipped]) {
        await expectRefused(
          await jsonTransfer(s.api, session, s.own, token),
          s,
          session,
          `token ${JSON.stringify(token)}`,
        )
      }
    })

    it('checks DELETE too', async () => {
      const s = setup()
      const session = await login(s)
      const made = await jsonTransfer(s.api, session, s.own, session.token)
      const id = (made.body as { id: string }).id
      const path = `/api/transfers/${encodeURIComponent(id)}`
      const forged = await s.api.delete(path, { headers: { ...s.own, Cookie: session.cookie } })
      expect(forged, 'DELETE without the token: 403').toHaveStatus(403)
      expect(await transferCount(s.api, session), 'the transfer is still there').toBe(1)
      const real = await s.api.delete(path, {
        headers: { ...s.own, Cookie: session.cookie, 'X-CSRF-Token': session.token },
      })
      expect(real).toHaveStatus(204)
    })
  })

  task(3, 'Check Origin and Sec-Fetch-Site', () => {
    it('refuses Sec-Fetch-Site: cross-site, even with the right token', async () => {
      const s = setup()
      const session = await login(s)
      const res = await formTransfer(s.api, session, s.foreign, session.token)
      await expectRefused(res, s, session, 'Sec-Fetch-Site: cross-site')
    })

    it('refuses Sec-Fetch-Site: same-site (a sibling subdomain is another origin)', async () => {
      const s = setup()
      const session = await login(s)
      const headers = { Origin: `https://blog.${s.base}`, 'Sec-Fetch-Site': 'same-site' }
      const res = await formTransfer(s.api, session, headers, session.token)
      await expectRefused(res, s, session, 'Sec-Fetch-Site: same-site')
    })

    it('refuses a foreign Origin, also look-alikes and null, when Sec-Fetch-Site is absent', async () => {
      const s = setup()
      const session = await login(s)
      const origins = [
        s.evil,
        `${s.origin}.evil.test`,
        `https://evil-bank.${s.base}`,
        `http://bank.${s.base}`,
        `${s.origin}:8443`,
        'null',
      ]
      for (const origin of origins) {
        const res = await formTransfer(s.api, session, { Origin: origin }, session.token)
        await expectRefused(res, s, session, `Origin: ${origin}`)
      }
    })

    it('accepts the own origin, with or without Sec-Fetch-Site: same-origin', async () => {
      const s = setup()
      const session = await login(s)
      expect(await formTransfer(s.api, session, s.own, session.token)).toHaveStatus(201)
      const originOnly = { Origin: s.origin }
      expect(await formTransfer(s.api, session, originOnly, session.token)).toHaveStatus(201)
      const siteOnly = { 'Sec-Fetch-Site': 'same-origin' }
      expect(await formTransfer(s.api, session, siteOnly, session.token)).toHaveStatus(201)
    })

    it('lets the token decide when neither Origin nor Sec-Fetch-Site is sent', async () => {
      const s = setup()
      const session = await login(s)
      expect(await jsonTransfer(s.api, session, {}, session.token)).toHaveStatus(201)
      expect(await jsonTransfer(s.api, session, {}), 'no headers and no token: 403').toHaveStatus(
        403,
      )
      expect(await transferCount(s.api, session)).toBe(1)
    })

    it('refuses a login posted from a foreign page (login CSRF)', async () => {
      const s = setup()
      const res = await s.api.post('/session', {
        headers: { ...s.foreign, 'Content-Type': 'application/x-www-form-urlencoded' },
        body: form({ user: s.other, password: s.users[s.other]! }),
      })
      expect(res, 'a cross-site login: 403').toHaveStatus(403)
      expect(cookieJar(res), 'and no session cookie').toBe('')
    })
  })

  task(4, 'Safe methods and bearer tokens are exempt', () => {
    it('never refuses a GET, even cross-site', async () => {
      const s = setup()
      const session = await login(s)
      const res = await s.api.get('/api/transfers', {
        headers: { ...s.foreign, Cookie: session.cookie },
      })
      expect(res, 'a cross-site GET is answered as usual').toHaveStatus(200)
    })

    it('does not log out on GET /api/logout', async () => {
      const s = setup()
      const session = await login(s)
      await s.api.get('/api/logout', { headers: { ...s.foreign, Cookie: session.cookie } })
      const me = await s.api.get('/api/me', { headers: { Cookie: session.cookie } })
      expect(me, 'a GET must not end the session: /api/me still answers 200').toHaveStatus(200)
    })

    it('logs out on POST /api/logout with the token, and refuses a forged one', async () => {
      const s = setup()
      const session = await login(s)
      const forged = await s.api.post('/api/logout', {
        headers: { ...s.foreign, Cookie: session.cookie },
      })
      expect(forged, 'a cross-site logout: 403').toHaveStatus(403)
      const noToken = await s.api.post('/api/logout', {
        headers: { ...s.own, Cookie: session.cookie },
      })
      expect(noToken, 'a logout without the token: 403').toHaveStatus(403)
      const me = await s.api.get('/api/me', { headers: { Cookie: session.cookie } })
      expect(me, 'the session survived both').toHaveStatus(200)
      const real = await s.api.post('/api/logout', {
        headers: { ...s.own, Cookie: session.cookie, 'X-CSRF-Token': session.token },
      })
      expect(real.status, 'a real logout answers 2xx').toBeGreaterThanOrEqual(200)
      expect(real.status).toBeLessThan(300)
      const after = await s.api.get('/api/me', { headers: { Cookie: session.cookie } })
      expect(after, 'after logout the session is gone').toHaveStatus(401)
    })

    it('asks a bearer-token client for no CSRF token, whatever its Origin', async () => {
      const s = setup()
      const auth = { Authorization: `Bearer ${s.apiToken}` }
      const bare = await s.api.post('/api/transfers', { headers: auth, json: { to: 'a', amount: 1 } })
      expect(bare, 'a script with a bearer token: 201 without a CSRF token').toHaveStatus(201)
      expect(bare).toHaveJsonBody(expect.objectContaining({ from: s.service }))
      const fromPage = await s.api.post('/api/transfers', {
        headers: { ...auth, Origin: s.evil },
        json: { to: 'b', amount: 2 },
      })
      expect(fromPage, 'a bearer token from another origin: 201').toHaveStatus(201)
    })

    it('does not fall back to the cookie when the bearer token is bad', async () => {
      const s = setup()
      const session = await login(s)
      const res = await s.api.post('/api/transfers', {
        headers: { ...s.own, Cookie: session.cookie, Authorization: `Bearer ${s.rng.word(24, 32)}` },
        json: { to: 'mallory', amount: 100 },
      })
      expect(res, 'a bad bearer token is a 401, cookie or not').toHaveStatus(401)
      expect(await transferCount(s.api, session)).toBe(0)
    })
  })
})
