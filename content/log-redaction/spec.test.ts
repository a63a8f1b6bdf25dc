// log-redaction - the hidden spec.
//
// Wrong implementations this spec is built to catch:
// - redacts only the top level, or skips arrays (a password inside `users[0]` is logged)
// - matches sensitive names exactly or case-sensitively: `new_password`, `Password`,
//   `refreshToken`, `X-Api-Key` slip through
// - redacts in place: the caller's object is changed (a handler would see "[REDACTED]")
// - loops forever or throws on a cycle, or marks every repeated (non-cyclic) reference circular;
//   tracks only objects as ancestors, so an array that contains itself recurses forever
// - logs the parsed body whatever the Content-Type (text/plain, a form), or only for exactly
//   `application/json` (not with `; charset=utf-8`)
// - masks every long digit run (no Luhn check), misses cards written with spaces or dashes, or
//   keeps the first four digits instead of the last four
// - leaves emails in free text, or masks them without keeping the domain
// - logs the full URL as the path, or the query unredacted (`?token=...` reaches the log)
// - logs raw headers (Authorization, Cookie, X-Api-Key) or the response's Set-Cookie
// - redacts the response itself, so the client never gets its tokens
// - reads Date.now() instead of the injected clock, or logs twice / not at all for a request
// - echoes the error's message or stack to the client, or logs the message unmasked
import { describe, expect, it } from 'vitest'
import { build, client, fakeClock, random, task, type Rng } from '../../harness/spec-kit/index.ts'
import {
  createApp,
  redact,
  type LogEntry,
  type Payment,
  type Tokens,
} from '../../exercises/log-redaction/app.ts'

const R = '[REDACTED]'

/** A random card number of `length` digits that passes (or, with `valid: false`, fails) Luhn. */
function cardNumber(rng: Rng, length = 16, valid = true): string {
  const digits = Array.from({ length: length - 1 }, (_, i) => (i === 0 ? rng.int(3, 6) : rng.int(0, 9)))
  let sum = 0
  for (let i = 0; i < digits.length; i++) {
    // Positions counted from the right once the check digit is appended: these get doubled.
    let d = digits[digits.length - 1 - i]!
    if (i % 2 === 0) d = d * 2 > 9 ? d * 2 - 9 : d * 2
    sum += d
  }
  const check = (10 - (sum % 10)) % 10
  return [...digits, valid ? check : (check + rng.int(1, 9)) % 10].join('')
}

const spaced = (digits: string, sep: string) => digits.replace(/(\d{4})(?=\d)/g, `$1${sep}`)

function setup() {
  const rng = random()
  const clock = fakeClock(Date.UTC(2031, rng.int(0, 11), rng.int(1, 28)))
  const entries: LogEntry[] = []
  let ids = 0
  const prefix = rng.word(4, 6)
  const secrets = {
    password: `pw-${rng.word(12, 16)}`,
    accessToken: `at-${rng.word(20, 24)}`,
    refreshToken: `rt-${rng.word(20, 24)}`,
    apiKey: `key-${rng.word(16, 20)}`,
    bearer: `eyJ${rng.word(20, 30)}`,
    cookie: `sid-${rng.word(16, 20)}`,
    card: cardNumber(rng, 16),
    emailUser: `${rng.word(6, 9)}.${rng.word(6, 9)}`,
  }
  const email = `${secrets.emailUser}@${rng.word()}.example`
  const calls: { authenticate: [string, string][]; charge: Payment[] } = { authenticate: [], charge: [] }
  let authDelay = 0
  let chargeFails: string | undefined
  const authenticate = (e: string, p: string): Tokens | null => {
    calls.authenticate.push([e, p])
    clock.advance(authDelay)
    return p === secrets.password ? { accessToken: secrets.accessToken, refreshToken: secrets.refreshToken } : null
  }
  const charge = (payment: Payment) => {
    calls.charge.push(payment)
    clock.advance(authDelay)
    if (chargeFails) throw new Error(chargeFails)
    return { id: `ch_${rng.word()}` }
  }
  const app = build(createApp, {
    log: (entry: LogEntry) => entries.push(entry),
    now: clock.now,
    requestId: () => `${prefix}-${++ids}`,
    authenticate,
    charge,
  })
  const api = client(app)
  return {
    rng,
    clock,
    api,
    entries,
    secrets,
    email,
    calls,
    prefix,
    delay: (ms: number) => (authDelay = ms),
    failCharge: (message: string) => (chargeFails = message),
  }
}

type Setup = ReturnType<typeof setup>

/** Every planted secret, and a digits-only and last-digits-free form of the card. */
function expectNoSecret(s: Setup, text: string, where: string) {
  const planted = [...Object.values(s.secrets), s.secrets.card.slice(0, 12)]
  for (const secret of planted) {
    expect(text.includes(secret), `${where} contains the secret "${secret}"`).toBe(false)
  }
}

function onlyEntry(s: Setup): LogEntry {
  expect(s.entries.length, 'log() is called exactly once per request').toBe(1)
  return s.entries[0]!
}

describe('log-redaction', () => {
  task(1, 'Redact secrets at any depth', () => {
    it('replaces the value of every sensitive key with "[REDACTED]"', () => {
      const rng = random()
      const keys = [
        'password', 'Password', 'new_password', 'PASSWORD_CONFIRMATION', 'access_token',
        'refreshToken', 'client_secret', 'apiKey', 'X-Api-Key', 'authorization', 'Cookie',
        'set-cookie', 'card_number', 'cardNumber', 'cvv', 'id_token',
      ]
      const input = Object.fromEntries(keys.map((k) => [k, rng.word()]))
      expect(redact(input)).toEqual(Object.fromEntries(keys.map((k) => [k, R])))
    })

    it('redacts a sensitive value whatever its type', () => {
      const rng = random()
      const input = { password: rng.int(1, 9999), token: { value: rng.word() }, secret: [rng.word()], cvv: null }
      expect(redact(input)).toEqual({ password: R, token: R, secret: R, cvv: R })
    })

    it('keeps other members and values as they are', () => {
      const rng = random()
      const input = { username: rng.word(), amount: rng.int(1, 999), active: true, note: null, page: '2', tags: [rng.word(), 3] }
      expect(redact(input)).toEqual(input)
      const n = rng.int(1, 99)
      expect(redact(n)).toBe(n)
      expect(redact(null)).toBe(null)
    })

    it('redacts at any depth, inside arrays too', () => {
      const rng = random()
      const [a, b, c] = [rng.word(), rng.word(), rng.word()]
      const input = {
        user: { name: a, credentials: { password: b, hint: c } },
        sessions: [{ id: 1, access_token: b }, [{ refresh_token: c }]],
        deep: { x: { y: { z: [{ Authorization: a }] } } },
      }
      expect(redact(input)).toEqual({
        user: { name: a, credentials: { password: R, hint: c } },
        sessions: [{ id: 1, access_token: R }, [{ refresh_token: R }]],
        deep: { x: { y: { z: [{ Authorization: R }] } } },
      })
    })

    it('returns a copy and never changes its input', () => {
      const rng = random()
      const input = { password: rng.word(), nested: { token: rng.word() }, list: [{ secret: rng.word() }] }
      const before = structuredClone(input)
      const out = redact(input)
      expect(input, 'redact() changed the object it was given').toEqual(before)
      expect(out).not.toBe(input)
    })

    it('replaces a reference back to an ancestor with "[CIRCULAR]", and copies shared ones', () => {
      const rng = random()
      const name = rng.word()
      const a: Record<string, unknown> = { name, password: rng.word() }
      a.self = a
      a.list = [a, { up: a }]
      expect(redact(a)).toEqual({
        name,
        password: R,
        self: '[CIRCULAR]',
        list: ['[CIRCULAR]', { up: '[CIRCULAR]' }],
      })
      const shared = { name }
      expect(redact({ x: shared, y: [shared] })).toEqual({ x: { name }, y: [{ name }] })
    })

    it('tracks arrays as ancestors too: an array that holds itself is "[CIRCULAR]" there', () => {
      const rng = random()
      const [name, password] = [rng.word(), rng.word()]
      const list: unknown[] = [name]
      list.push(list)
      expect(redact(list), 'an array that contains itself').toEqual([name, '[CIRCULAR]'])
      const outer: unknown[][] = [[name]]
      outer[0]!.push(outer)
      expect(redact({ outer }), 'an array inside an array that holds the outer one').toEqual({
        outer: [[name, '[CIRCULAR]']],
      })
      const holder: { items: unknown[] } = { items: [] }
      holder.items.push({ owner: holder.items, password, back: holder })
      expect(redact(holder), 'an array cycle through an object').toEqual({
        items: [{ owner: '[CIRCULAR]', password: R, back: '[CIRCULAR]' }],
      })
      const tags = [name]
      expect(redact({ a: tags, b: [tags, tags] }), 'a shared array is copied each time').toEqual({
        a: [name],
        b: [[name], [name]],
      })
    })
  })

  task(2, 'Mask card numbers and emails in strings', () => {
    it('masks Luhn-valid card numbers of 13 to 19 digits to the last four', () => {
      const rng = random()
      for (const length of [13, 15, 16, 19]) {
        const card = cardNumber(rng, length)
        expect(redact(`card ${card} declined`), `a ${length}-digit card`).toBe(
          `card ****${card.slice(-4)} declined`,
        )
      }
    })

    it('masks cards written with spaces or dashes', () => {
      const rng = random()
      const card = cardNumber(rng, 16)
      for (const sep of [' ', '-']) {
        expect(redact(`paid with ${spaced(card, sep)}.`)).toBe(`paid with ****${card.slice(-4)}.`)
      }
    })

    it('leaves digit runs alone that fail Luhn or have the wrong length', () => {
      const rng = random()
      for (const text of [
        `order ${cardNumber(rng, 16, false)}`,
        `ref ${cardNumber(rng, 12)}`,
        `serial ${cardNumber(rng, 20)}`,
        `phone +44 ${rng.int(1000, 9999)} ${rng.int(100000, 999999)}`,
      ]) {
        expect(redact(text), `"${text}" holds no card number`).toBe(text)
      }
    })

    it('masks email addresses, keeping the domain', () => {
      const rng = random()
      const domain = `mail.${rng.word()}.example`
      const user = `${rng.word()}.${rng.word()}+news`
      expect(redact(`sent to ${user}@${domain}, cc ${rng.word()}@${domain}`)).toBe(
        `sent to ***@${domain}, cc ***@${domain}`,
      )
    })

    it('masks strings at any depth, and redacts sensitive keys instead of masking', () => {
      const rng = random()
      const card = cardNumber(rng, 16)
      const domain = `${rng.word()}.example`
      const input = { email: `${rng.word()}@${domain}`, notes: [{ text: `card ${card}` }], card_number: card }
      expect(redact(input)).toEqual({
        email: `***@${domain}`,
        notes: [{ text: `card ****${card.slice(-4)}` }],
        card_number: R,
      })
    })
  })

  task(3, 'Log one entry per request', () => {
    const login = (s: Setup, query = '') =>
      s.api.post(`/api/login${query}`, {
        headers: {
          Authorization: `Bearer ${s.secrets.bearer}`,
          Cookie: `session=${s.secrets.cookie}`,
          'X-Api-Key': s.secrets.apiKey,
          'X-Trace': 'trace-1',
        },
        json: { email: s.email, password: s.secrets.password },
      })

    it('logs a login as one redacted entry', async () => {
      const s = setup()
      const ms = s.rng.int(3, 900)
      s.delay(ms)
      const res = await login(s)
      expect(res).toHaveStatus(200)
      const entry = onlyEntry(s)
      const domain = s.email.split('@')[1]
      expect(entry).toEqual(
        expect.objectContaining({
          requestId: `${s.prefix}-1`,
          method: 'POST',
          path: '/api/login',
          query: {},
          status: 200,
          durationMs: ms,
          requestBody: { email: `***@${domain}`, password: R },
          responseBody: { access_token: R, refresh_token: R, token_type: R },
        }),
      )
      expect(res.headers['x-request-id'], 'X-Request-Id carries the request id').toBe(`${s.prefix}-1`)
    })

    it('redacts sensitive request headers, whatever their case, and keeps the others', async () => {
      const s = setup()
      await login(s)
      expect(onlyEntry(s).requestHeaders).toEqual(
        expect.objectContaining({ authorization: R, cookie: R, 'x-api-key': R, 'x-trace': 'trace-1' }),
      )
    })

    it('redacts Set-Cookie in the logged response headers', async () => {
      const s = setup()
      const res = await login(s)
      expect(res.headers['set-cookie'], 'the client still gets its cookie').toContain(s.secrets.refreshToken)
      expect(onlyEntry(s).responseHeaders).toEqual(expect.objectContaining({ 'set-cookie': R }))
    })

    it('logs the path without the query, and the query redacted', async () => {
      const s = setup()
      const page = String(s.rng.int(2, 9))
      const q = `?token=${s.secrets.accessToken}&page=${page}&email=${encodeURIComponent(s.email)}&api_key=${s.secrets.apiKey}`
      await s.api.get(`/health${q}`)
      const entry = onlyEntry(s)
      expect(entry.path).toBe('/health')
      expect(entry.query).toEqual({ token: R, page, email: `***@${s.email.split('@')[1]}`, api_key: R })
      expectNoSecret(s, JSON.stringify(entry), 'the log entry')
    })

    it('hands the handler the real body and the client the real response', async () => {
      const s = setup()
      const res = await login(s)
      expect(s.calls.authenticate, 'authenticate() got the real email and password').toEqual([
        [s.email, s.secrets.password],
      ])
      expect(res).toHaveJsonBody(
        expect.objectContaining({ access_token: s.secrets.accessToken, refresh_token: s.secrets.refreshToken }),
      )
    })

    it('redacts a nested payment body, and charge() still gets every real value', async () => {
      const s = setup()
      const body = {
        card_number: spaced(s.secrets.card, ' '),
        amount: s.rng.int(100, 9999),
        email: s.email,
        billing: { contacts: [{ email: s.email, phone: '555-0100' }], note: `backup card ${s.secrets.card}` },
        meta: { auth: { password: s.secrets.password } },
      }
      const res = await s.api.post('/api/payments', { json: body })
      expect(res).toHaveStatus(201)
      expect(s.calls.charge, 'charge() got the body as sent').toEqual([body])
      const domain = s.email.split('@')[1]
      expect(onlyEntry(s).requestBody).toEqual({
        ...body,
        card_number: R,
        email: `***@${domain}`,
        billing: { contacts: [{ email: `***@${domain}`, phone: '555-0100' }], note: `backup card ****${s.secrets.card.slice(-4)}` },
        meta: { auth: { password: R } },
      })
      expectNoSecret(s, JSON.stringify(s.entries), 'the log')
    })

    it('logs every request once, with its own id: 404s and /health too', async () => {
      const s = setup()
      await s.api.get('/health')
      await s.api.get(`/api/${s.rng.word()}`)
      await login(s)
      expect(s.entries.map((e) => [e.requestId, e.status])).toEqual([
        [`${s.prefix}-1`, 200],
        [`${s.prefix}-2`, 404],
        [`${s.prefix}-3`, 200],
      ])
      expect(s.entries[1]!.responseBody, 'a non-JSON response logs responseBody: null').toBe(null)
      expect(s.entries[0]!.requestBody, 'a request without a JSON body logs requestBody: null').toBe(null)
    })

    it('logs requestBody only for a JSON Content-Type, parameters allowed', async () => {
      const s = setup()
      const domain = s.email.split('@')[1]
      const text = JSON.stringify({ email: s.email, password: s.secrets.password })
      const send = (contentType: string) =>
        s.api.post('/api/login', { body: text, headers: { 'Content-Type': contentType } })
      const cases: [string, unknown][] = [
        ['text/plain', null],
        ['text/plain;charset=UTF-8', null],
        ['application/x-www-form-urlencoded', null],
        ['application/json; charset=utf-8', { email: `***@${domain}`, password: R }],
        ['application/json;charset=utf-8', { email: `***@${domain}`, password: R }],
        ['application/json', { email: `***@${domain}`, password: R }],
      ]
      for (const [contentType, requestBody] of cases) {
        s.entries.length = 0
        await send(contentType)
        expect(onlyEntry(s).requestBody, `a JSON body sent as ${contentType}`).toEqual(requestBody)
        expectNoSecret(s, JSON.stringify(s.entries), 'the log')
      }
    })

    it('logs requestBody: null when a JSON Content-Type carries a body that is not JSON', async () => {
      const s = setup()
      const bodies = [`{"email":"${s.email}","password":`, 'not json', '']
      for (const body of bodies) {
        s.entries.length = 0
        const path = `/api/${s.rng.word()}`
        const res = await s.api.post(path, { body, headers: { 'Content-Type': 'application/json' } })
        expect(res, `POST ${path}`).toHaveStatus(404)
        expect(onlyEntry(s).requestBody, `the body ${JSON.stringify(body)}`).toBe(null)
      }
      s.entries.length = 0
      const res = await s.api.post('/api/login', { body: bodies[0], headers: { 'Content-Type': 'application/json' } })
      expect(res, 'the login route throws on a body it cannot parse').toHaveStatus(500)
      expect(onlyEntry(s)).toEqual(expect.objectContaining({ status: 500, requestBody: null }))
    })

    it('plants secrets everywhere and finds none of them in the log', async () => {
      const s = setup()
      await login(s, `?access_token=${s.secrets.accessToken}`)
      await s.api.post('/api/login', { json: { email: s.email, password: `${s.secrets.password}x` } })
      await s.api.post('/api/payments', { json: { card_number: s.secrets.card, amount: 1, email: s.email } })
      expect(s.entries.length).toBe(3)
      expectNoSecret(s, JSON.stringify(s.entries), 'the log')
    })
  })

  task(4, 'Keep secrets out of error responses', () => {
    it('answers a thrown error with 500 and only the request id', async () => {
      const s = setup()
      s.failCharge(`gateway declined ${s.secrets.card} for ${s.email} (key ${s.secrets.apiKey})`)
      const res = await s.api.post('/api/payments', { json: { card_number: s.secrets.card, amount: 5, email: s.email } })
      expect(res).toHaveStatus(500)
      const id = `${s.prefix}-1`
      expect(res).toHaveJsonBody(expect.objectContaining({ error: 'internal_error', requestId: id }))
      expect(res.headers['x-request-id']).toBe(id)
      expectNoSecret(s, res.text, 'the 500 response')
      for (const leak of ['gateway declined', '    at ', '.ts:']) {
        expect(res.text.includes(leak), `the 500 response shows "${leak}" from the error`).toBe(false)
      }
    })

    it('logs the 500 with the error message masked', async () => {
      const s = setup()
      const ms = s.rng.int(1, 500)
      s.delay(ms)
      const domain = s.email.split('@')[1]
      s.failCharge(`gateway declined ${spaced(s.secrets.card, '-')} for ${s.email}`)
      await s.api.post('/api/payments', { json: { card_number: s.secrets.card, amount: 5, email: s.email } })
      const entry = onlyEntry(s)
      expect(entry).toEqual(
        expect.objectContaining({
          status: 500,
          durationMs: ms,
          error: `gateway declined ****${s.secrets.card.slice(-4)} for ***@${domain}`,
        }),
      )
      expectNoSecret(s, JSON.stringify(entry), 'the log entry')
    })

    it('adds no error member when nothing was thrown', async () => {
      const s = setup()
      await s.api.post('/api/login', { json: { email: s.email, password: 'wrong' } })
      const entry = onlyEntry(s)
      expect(entry.status).toBe(401)
      expect('error' in entry, 'a 401 the handler returned is not an error').toBe(false)
    })
  })
})
