// harden-an-api - the hidden spec.
//
// Wrong implementations this spec is built to catch:
// - CORS: `*` with credentials; reflects any Origin; matches the allowlist by prefix, suffix or
//   substring (`https://app.example.com.evil.test`, `https://evilapp.example.com`), ignores the
//   scheme, the port or the letter case, accepts `Origin: null`; forgets Vary: Origin or the
//   credentials header, or drops them on error responses; a preflight that does not allow
//   Authorization/Content-Type or the method asked for; a hard-coded origin (the allowlist is
//   random per app)
// - 500s: the error's message, name, stack or SQL in the body or a header; no request id, or one
//   that differs from X-Request-Id; the same id for every request; logError not called, called
//   twice or with another id; malformed JSON answered 500 instead of 400 invalid_json; no
//   X-Request-Id on the answers a middleware sends before it runs (413, preflight)
// - body limit: none; off by one (refuses exactly maxBodyBytes, or accepts one byte more);
//   counts characters instead of bytes; only on some routes (signup, login or PATCH left open);
//   checks after the handler has already written to the database; trusts Content-Length, so a
//   body sent without one (chunked) is never counted; a default other than 16384
// - SQL: any value from the request pasted into SQL text (search q, note title/body, login email,
//   bearer token, note id, even one checked to be digits); the grader reads every statement the
//   app ran
// - object level: reads or deletes another user's note by id; 403 for someone else's note (tells
//   that it exists); checks the owner on GET but not on DELETE; lets admins read members' notes;
//   GET /api/notes without q (or with an empty q) lists every user's notes
// - function level: /api/admin/users open to anyone, 403 to a stranger instead of 401, 401 to a
//   member instead of 403, WWW-Authenticate missing, the role cached at login
// - login: different answers for an unknown email and a wrong password; no lockout, locks after
//   one failure too many or too few; checks the password during the lockout (a right guess gets
//   in); no or wrong Retry-After; Date.now() instead of options.now; lockout never ends; counts
//   per IP only or per account only; raw email as the key (letter case dodges the lock); unknown
//   emails never locked; success does not reset; counts only after the async password check
//   (attempts sent together all get through), or refuses the burst with 429s that carry no
//   Retry-After; counts an invalid body as a failure; counts kept at module level, shared
//   between apps
// - data exposure: password hashes, passwords or session tokens in any response (signup, login,
//   /api/me, PATCH /api/me, the admin list); users answered with extra columns
// - mass assignment: signup takes `role` (or `id`, `password_hash`) from the body; PATCH /api/me
//   writes every key of the body, including `role`, `email` and keys that smuggle SQL
import type { Context } from 'hono'
import { describe, expect, it } from 'vitest'
import {
  build,
  client,
  database,
  fakeClock,
  focusOn,
  parseChallenge,
  parseTokenList,
  random,
  SqliteError,
  task,
  type Client,
  type Reply,
  type Rng,
  streamedRequest,
} from '../../harness/spec-kit/index.ts'
import { createApp, type HardenOptions } from '../../exercises/harden-an-api/app.ts'

/** The grader's clientIp: the IP a check wants, from a header only the grader sends. */
const IP_HEADER = 'X-Grader-Client-Ip'
const DEFAULT_IP = '198.51.100.7'
const graderIp = (c: Context) => c.req.header(IP_HEADER) ?? DEFAULT_IP

interface Account {
  id: number
  email: string
  password: string
  name: string
  token: string
}

async function setup(overrides: Partial<HardenOptions> = {}) {
  const rng = random()
  const { db, probe } = await database()
  const clock = fakeClock()
  const logged: { error: unknown; requestId: unknown }[] = []
  const options: HardenOptions = {
    db,
    allowedOrigins: rng.shuffle([
      `https://${rng.word()}.example.com`,
      `https://admin.${rng.word()}.example.org:8443`,
      `http://localhost:${rng.int(3000, 9999)}`,
    ]),
    maxBodyBytes: rng.int(1024, 4096),
    maxLoginFailures: rng.int(3, 6),
    lockoutMs: rng.int(60, 900) * 1000 + rng.int(1, 999),
    now: clock.now,
    clientIp: graderIp,
    scryptCost: 16,
    logError: (error, requestId) => logged.push({ error, requestId }),
    ...overrides,
  }
  // An override of `undefined` leaves the option out, so the app's default applies.
  for (const [key, value] of Object.entries(overrides))
    if (value === undefined) delete options[key as keyof HardenOptions]
  const app = build(createApp, options)
  const api = client(app)
  let n = 0

  /** Signs a new member up through the API and logs them in. */
  const account = async (): Promise<Account> => {
    n += 1
    const email = `${rng.word()}.${n}@${rng.word()}.test`
    const password = `${rng.word(6, 8)}-${rng.word(6, 8)}-${n}`
    const name = `${rng.word()} ${rng.word()}`
    const signup = await api.post('/api/signup', { json: { email, password, name } })
    expect(signup, 'POST /api/signup must answer 201 for a valid new account').toHaveStatus(201)
    const { id } = probe.query<{ id: number }>('SELECT id FROM users WHERE email = ?', [email])[0]!
    const login = await api.post('/api/login', { json: { email, password } })
    expect(login, 'POST /api/login must answer 200 for the right password').toHaveStatus(200)
    const token = (login.body as { token?: unknown }).token
    expect(typeof token, 'the login answer carries a string "token"').toBe('string')
    return { id, email, password, name, token: token as string }
  }
  const admin = async () => {
    const a = await account()
    probe.query("UPDATE users SET role = 'admin' WHERE id = ?", [a.id])
    return a
  }
  const auth = (a: Account, headers: Record<string, string> = {}) => ({
    headers: { Authorization: `Bearer ${a.token}`, ...headers },
  })
  /** Creates a note through the API and returns its id. */
  const note = async (
    a: Account,
    title = `${rng.word()} ${rng.word()}`,
    body = rng.word(10, 30),
  ) => {
    const res = await api.post('/api/notes', { ...auth(a), json: { title, body } })
    expect(res, 'POST /api/notes must answer 201 for a valid note').toHaveStatus(201)
    const row = probe.query<{ id: number }>(
      'SELECT id FROM notes WHERE owner_id = ? ORDER BY id DESC LIMIT 1',
      [a.id],
    )
    return { id: row[0]!.id, title, body }
  }
  const count = (table: 'users' | 'notes') =>
    probe.query<{ n: number }>(`SELECT COUNT(*) AS n FROM ${table}`)[0]!.n
  return { rng, db, probe, clock, logged, options, app, api, account, admin, auth, note, count }
}

type World = Awaited<ReturnType<typeof setup>>

const login = (api: Client, email: string, password: string, ip = DEFAULT_IP) =>
  api.post('/api/login', { json: { email, password }, headers: { [IP_HEADER]: ip } })

/** A JSON body of exactly `bytes` bytes (UTF-8), padded in `field` with `char` (1 or 2 bytes). */
function sized(
  base: Record<string, unknown>,
  field: string,
  bytes: number,
  char: 'x' | 'é' = 'x',
): string {
  // Neither character is escaped by JSON.stringify, so each costs its UTF-8 length.
  const room = bytes - Buffer.byteLength(JSON.stringify({ ...base, [field]: '' }))
  const wide = Math.floor(room / Buffer.byteLength(char))
  const pad = char.repeat(wide) + 'x'.repeat(room - wide * Buffer.byteLength(char))
  const text = JSON.stringify({ ...base, [field]: pad })
  if (Buffer.byteLength(text) !== bytes)
    throw new Error(`the grader could not build a ${bytes}-byte body`)
  return text
}

const jsonPost = (api: Client, path: string, body: string, headers: Record<string, string> = {}) =>
  api.post(path, { body, headers: { 'Content-Type': 'application/json', ...headers } })

/**
 * Sends `body` to the app as a stream, `chunk` bytes at a time, with no Content-Length (the way
 * a chunked upload arrives), straight through app.fetch. Returns the status and the JSON body.
 */
async function streamed(
  w: World,
  path: string,
  body: string,
  headers: Record<string, string>,
): Promise<{ status: number; body: unknown; headers: Headers }> {
  const { request } = streamedRequest(`http://api.test${path}`, body, {
    chunk: w.rng.int(100, 700),
    headers: { 'Content-Type': 'application/json', ...headers },
  })
  expect(request.headers.has('content-length'), 'the grader sends no Content-Length here').toBe(
    false,
  )
  const response = await w.app.fetch(request)
  const text = await response.text()
  let parsed: unknown
  try {
    parsed = JSON.parse(text)
  } catch {
    parsed = undefined
  }
  return { status: response.status, body: parsed, headers: response.headers }
}

/** Everything a client could read in a reply: its headers and body. */
const readable = (res: Reply) => `${JSON.stringify(res.headers)}\n${res.text}`

function expectNoAllowOrigin(res: Reply, origin: string) {
  focusOn(res)
  expect(
    res.headers['access-control-allow-origin'],
    `${origin} is not in allowedOrigins: send no Access-Control-Allow-Origin`,
  ).toBeUndefined()
}

function expectChallenge(res: Reply) {
  expect(res).toHaveStatus(401)
  expect(res).toHaveHeader('www-authenticate')
  const challenge = parseChallenge(res.headers['www-authenticate']!)
  expect(
    challenge?.scheme,
    'the 401 must carry a Bearer challenge: WWW-Authenticate: Bearer ...',
  ).toBe('bearer')
  expect(res).toHaveJsonBody(expect.objectContaining({ error: 'unauthorized' }))
}

const USER_KEYS = ['email', 'id', 'name', 'role']

function expectPublicUser(res: Reply, value: unknown, where: string) {
  focusOn(res)
  expect(value, `${where} must be a JSON object`).toBeTypeOf('object')
  expect(
    Object.keys(value as object).sort(),
    `${where} has exactly id, email, name and role`,
  ).toEqual(USER_KEYS)
}

describe('harden-an-api', () => {
  task(1, 'Allow only the listed origins (CORS)', () => {
    it('serves requests without an Origin header as before', async () => {
      const { api, account, auth } = await setup()
      const a = await account()
      expect(await api.get('/api/me', auth(a))).toHaveStatus(200)
      expect(await api.get('/health')).toHaveStatus(200)
    })

    it('lets each listed origin read responses, with credentials and Vary: Origin', async () => {
      const { api, account, auth, options } = await setup()
      const a = await account()
      for (const origin of options.allowedOrigins) {
        const res = await api.get('/api/me', auth(a, { Origin: origin }))
        expect(res).toHaveStatus(200)
        expect(res).toHaveHeader('access-control-allow-origin', origin)
        expect(res).toHaveHeader('access-control-allow-credentials', 'true')
        expect(
          parseTokenList(res.headers.vary),
          'the answer depends on Origin: send Vary: Origin',
        ).toContain('ORIGIN')
      }
    })

    it('sends a listed origin the same CORS headers on error responses: 400, 401, 403, 404, 413, 429', async () => {
      const { api, account, auth, options, rng } = await setup()
      const a = await account()
      const origins: string[] = []
      const o = () => {
        origins.push(rng.pick(options.allowedOrigins))
        return { Origin: origins.at(-1)! }
      }
      for (let i = 1; i <= options.maxLoginFailures!; i++) {
        await login(api, a.email, `wrong-${i}-password`)
      }
      const replies = [
        await jsonPost(api, '/api/notes', '{"title": "x",', auth(a, o()).headers),
        await api.get('/api/me', { headers: o() }),
        await api.get('/api/admin/users', auth(a, o())),
        await api.get(`/api/${rng.word()}`, { headers: o() }),
        await api.get(`/api/notes/${rng.int(500, 900)}`, auth(a, o())),
        await jsonPost(
          api,
          '/api/notes',
          sized({ title: 'big' }, 'body', options.maxBodyBytes! + 1),
          auth(a, o()).headers,
        ),
        await api.post('/api/login', {
          json: { email: a.email, password: a.password },
          headers: { [IP_HEADER]: DEFAULT_IP, ...o() },
        }),
      ]
      // With every task done these are 400, 401, 403, 404, 404, 413 and 429; each is checked
      // whatever its status, so this check does not wait for the other tasks.
      for (const [i, res] of replies.entries()) {
        const origin = origins[i]!
        expect(res, `a ${res.status} to a listed origin`).toHaveHeader(
          'access-control-allow-origin',
          origin,
        )
        expect(res).toHaveHeader('access-control-allow-credentials', 'true')
        expect(
          parseTokenList(res.headers.vary),
          `a ${res.status} depends on Origin too: send Vary: Origin`,
        ).toContain('ORIGIN')
      }
    })

    it('gives other origins no Access-Control-Allow-Origin, near misses included', async () => {
      const { api, account, auth, options, rng } = await setup()
      const a = await account()
      const listed = options.allowedOrigins.find(
        (o) => o.startsWith('https://') && !/:\d+$/.test(o),
      )!
      const host = listed.slice('https://'.length)
      const [label, ...rest] = host.split('.')
      const others = [
        `https://${[label!.toUpperCase(), ...rest].join('.')}`, // letter case: HTTPS://APP.example.com
        listed.toUpperCase(),
        `https://${rng.word()}.evil.test`,
        `${listed}.${rng.word()}.test`, // the listed origin as a prefix
        `https://${rng.word()}${host}`, // ...as a suffix
        `https://${rng.word()}.${host}`, // a subdomain
        listed.replace('https://', 'http://'), // another scheme
        `${listed}:8443`, // another port
        `${listed}/`,
        'null', // sandboxed iframes and file:// pages
      ]
      for (const origin of others) {
        expectNoAllowOrigin(await api.get('/api/notes', auth(a, { Origin: origin })), origin)
      }
    })

    it('never answers Access-Control-Allow-Origin: *', async () => {
      const { api, account, auth } = await setup()
      const a = await account()
      for (const res of [
        await api.get('/health'),
        await api.get('/api/me', auth(a)),
        await api.get('/api/notes'),
      ]) {
        focusOn(res)
        expect(res.headers['access-control-allow-origin'], 'with credentials, never `*`').not.toBe(
          '*',
        )
      }
    })

    it('answers a preflight from a listed origin with the method and headers it asks for', async () => {
      const { api, options, rng } = await setup()
      const origin = rng.pick(options.allowedOrigins)
      const [path, method] = rng.pick([
        ['/api/notes', 'POST'],
        ['/api/notes/7', 'DELETE'],
        ['/api/me', 'PATCH'],
        ['/api/login', 'POST'],
      ] as const)
      const res = await api.options(path, {
        headers: {
          Origin: origin,
          'Access-Control-Request-Method': method,
          'Access-Control-Request-Headers': 'authorization, content-type',
        },
      })
      expect([200, 204], 'a preflight answers 204 (or 200)').toContain(res.status)
      expect(res).toHaveHeader('access-control-allow-origin', origin)
      expect(res).toHaveHeader('access-control-allow-credentials', 'true')
      expect(
        parseTokenList(res.headers['access-control-allow-methods']),
        `Allow-Methods lists ${method}`,
      ).toContain(method)
      const headers = parseTokenList(res.headers['access-control-allow-headers'])
      expect(headers, 'Allow-Headers lists Authorization').toContain('AUTHORIZATION')
      expect(headers, 'Allow-Headers lists Content-Type').toContain('CONTENT-TYPE')
    })

    it('gives a preflight from another origin no Access-Control-Allow-Origin', async () => {
      const { api, options, rng } = await setup()
      const origin = `${rng.pick(options.allowedOrigins)}.${rng.word()}.test`
      const res = await api.options('/api/notes', {
        headers: { Origin: origin, 'Access-Control-Request-Method': 'POST' },
      })
      expectNoAllowOrigin(res, origin)
    })
  })

  task(2, 'A 500 tells nothing but a request id', () => {
    /** Makes the next statement on `table` fail with an error full of secrets, then calls `route`. */
    async function failing(w: World) {
      const a = await w.account()
      const { id } = await w.note(a)
      const secret = `pw-${w.rng.word(8, 12)}`
      const [table, send] = w.rng.pick([
        ['notes', () => w.api.get('/api/notes', w.auth(a))],
        ['notes', () => w.api.get(`/api/notes/${id}`, w.auth(a))],
        [
          'notes',
          () => w.api.post('/api/notes', { ...w.auth(a), json: { title: 'a', body: 'b' } }),
        ],
        ['sessions', () => w.api.get('/api/me', w.auth(a))],
      ] as const)
      const error = new SqliteError(
        `no such column: ${secret} in "SELECT * FROM ${table} WHERE secret = '${secret}'" (postgres://admin:${secret}@db/prod)`,
        'SQLITE_ERROR',
      )
      w.probe.failWhen(new RegExp(`\\b${table}\\b`, 'i'), 1, error)
      return { res: await send(), error, secret }
    }

    it('still answers ordinary requests and unknown paths as before', async () => {
      const { api, account, auth } = await setup()
      expect(await api.get('/api/me', auth(await account()))).toHaveStatus(200)
      const res = await api.get('/api/nothing-here')
      expect(res).toHaveStatus(404)
      expect(res).toHaveJsonBody(expect.objectContaining({ error: 'not_found' }))
    })

    it('answers an unexpected error with 500 { error, requestId }, the id also in X-Request-Id', async () => {
      const { res } = await failing(await setup())
      expect(res).toHaveStatus(500)
      expect(res).toHaveJsonBody(
        expect.objectContaining({ error: 'internal_error', requestId: expect.any(String) }),
      )
      expect(res).toHaveHeader('x-request-id', (res.body as { requestId: string }).requestId)
      expect((res.body as { requestId: string }).requestId, 'the request id is not empty').not.toBe(
        '',
      )
    })

    it('reveals nothing of the error: no message, error name, stack, SQL or file path', async () => {
      const { res, secret } = await failing(await setup())
      expect(res).toHaveStatus(500)
      const text = readable(res)
      for (const leak of [
        secret,
        'no such column',
        'SqliteError',
        'SQLITE_',
        'SELECT',
        'postgres:',
        '    at ',
        '.ts:',
      ]) {
        expect(text.includes(leak), `the 500 must not contain "${leak}" (it is in the error)`).toBe(
          false,
        )
      }
    })

    it('hands the error and the same request id to logError, once', async () => {
      const w = await setup()
      const { res, error } = await failing(w)
      expect(res).toHaveStatus(500)
      focusOn(res)
      expect(w.logged.length, 'logError is called exactly once for the failed request').toBe(1)
      expect(w.logged[0]!.error, 'logError gets the very error that was thrown').toBe(error)
      expect(w.logged[0]!.requestId, 'logError gets the id the client was given').toBe(
        res.headers['x-request-id'],
      )
    })

    it('gives every request an id of its own', async () => {
      const w = await setup()
      const first = await failing(w)
      const second = await failing(w)
      const ok = await w.api.get('/health')
      expect(ok).toHaveHeader('x-request-id')
      const ids = [first.res, second.res, ok].map((r) => r.headers['x-request-id'])
      expect(new Set(ids).size, 'three requests, three different X-Request-Id values').toBe(3)
    })

    it('puts an X-Request-Id on every response: preflights, 400, 401, 403, 404, 413 and 429 too', async () => {
      const { api, account, auth, options, rng } = await setup()
      const a = await account()
      for (let i = 1; i <= options.maxLoginFailures!; i++) {
        await login(api, a.email, `wrong-${i}-password`)
      }
      const preflight = (origin: string) =>
        api.options('/api/notes', {
          headers: {
            Origin: origin,
            'Access-Control-Request-Method': 'POST',
            'Access-Control-Request-Headers': 'authorization, content-type',
          },
        })
      const replies = [
        await preflight(rng.pick(options.allowedOrigins)),
        await preflight(`https://${rng.word()}.evil.test`),
        await jsonPost(api, '/api/notes', '{"title": "x",', auth(a).headers),
        await api.get('/api/me'),
        await api.get('/api/admin/users', auth(a)),
        await api.get(`/api/${rng.word()}`),
        await api.get(`/api/notes/${rng.int(500, 900)}`, auth(a)),
        await jsonPost(
          api,
          '/api/signup',
          sized(
            { email: `${rng.word()}@${rng.word()}.test`, password: rng.word(10, 12), name: 'x' },
            'bio',
            options.maxBodyBytes! + 1,
          ),
        ),
        await login(api, a.email, a.password),
      ]
      // With every task done these are two preflights, then 400, 401, 403, 404, 404, 413 and 429;
      // each is checked whatever its status, so this check does not wait for the other tasks.
      for (const res of replies) {
        expect(res, `every response carries X-Request-Id, this ${res.status} too`).toHaveHeader(
          'x-request-id',
        )
        focusOn(res)
        expect(res.headers['x-request-id'], 'the request id is not empty').not.toBe('')
      }
      const ids = replies.map((r) => r.headers['x-request-id'])
      expect(new Set(ids).size, `${ids.length} requests, ${ids.length} different ids`).toBe(
        ids.length,
      )
    })

    it('answers a body that is not JSON with 400 { error: "invalid_json" }, not 500', async () => {
      const { api, account, auth, rng, logged } = await setup()
      const a = await account()
      const broken = rng.pick([
        '{"title": "x",',
        "{'title': 'x'}",
        'title=x&body=y',
        '{"title":"x"}}',
      ])
      for (const [path, headers] of [
        ['/api/notes', auth(a).headers],
        ['/api/login', {}],
      ] as const) {
        const res = await jsonPost(api, path, broken, headers)
        expect(res).toHaveStatus(400)
        expect(res).toHaveJsonBody(expect.objectContaining({ error: 'invalid_json' }))
      }
      expect(logged.length, 'a client mistake is not logged as a server error').toBe(0)
    })
  })

  task(3, 'Refuse bodies over maxBodyBytes with 413', () => {
    it('accepts a body of exactly maxBodyBytes bytes', async () => {
      const { api, account, auth, options } = await setup()
      const a = await account()
      const res = await jsonPost(
        api,
        '/api/notes',
        sized({ title: 'big' }, 'body', options.maxBodyBytes!),
        auth(a).headers,
      )
      expect(res).toHaveStatus(201)
    })

    it('answers 413 { error: "payload_too_large" } one byte over the limit, and stores nothing', async () => {
      const { api, account, auth, options, count } = await setup()
      const a = await account()
      const before = count('notes')
      const res = await jsonPost(
        api,
        '/api/notes',
        sized({ title: 'big' }, 'body', options.maxBodyBytes! + 1),
        auth(a).headers,
      )
      expect(res).toHaveStatus(413)
      expect(res).toHaveJsonBody(expect.objectContaining({ error: 'payload_too_large' }))
      expect(count('notes'), 'a refused body creates no note').toBe(before)
    })

    it('counts bytes, not characters', async () => {
      const { api, account, auth, options } = await setup()
      const a = await account()
      const limit = options.maxBodyBytes!
      const exact = sized({ title: 'café' }, 'body', limit, 'é')
      expect(
        await jsonPost(api, '/api/notes', exact, auth(a).headers),
        `${limit} bytes, with "é" in it`,
      ).toHaveStatus(201)
      const over = sized({ title: 'café' }, 'body', limit + 1, 'é')
      expect(over.length, 'fewer characters than the limit').toBeLessThan(limit)
      expect(await jsonPost(api, '/api/notes', over, auth(a).headers)).toHaveStatus(413)
    })

    it('counts a body sent without Content-Length (chunked) too', async () => {
      const w = await setup()
      const { account, auth, options, count, rng } = w
      const a = await account()
      const limit = options.maxBodyBytes!
      const notes = count('notes')
      const exact = await streamed(
        w,
        '/api/notes',
        sized({ title: 'streamed' }, 'body', limit),
        auth(a).headers,
      )
      expect(exact.status, `${limit} bytes without Content-Length: accepted (201)`).toBe(201)
      for (const size of [limit + 1, limit * 8]) {
        const before = count('notes')
        const res = await streamed(
          w,
          '/api/notes',
          sized({ title: 'streamed' }, 'body', size),
          auth(a).headers,
        )
        expect(res.status, `${size} bytes (limit ${limit}) without Content-Length: 413`).toBe(413)
        expect(res.body).toEqual(expect.objectContaining({ error: 'payload_too_large' }))
        expect(count('notes'), 'a refused body creates no note').toBe(before)
      }
      expect(count('notes')).toBe(notes + 1)
      const users = count('users')
      const signup = {
        email: `${rng.word()}@${rng.word()}.test`,
        password: rng.word(10, 12),
        name: 'x',
      }
      const res = await streamed(w, '/api/signup', sized(signup, 'bio', limit + 1), {})
      expect(res.status, 'a signup over the limit without Content-Length: 413').toBe(413)
      expect(count('users'), 'a refused signup creates no account').toBe(users)
    })

    it('limits bodies to 16384 bytes when maxBodyBytes is not given', async () => {
      const { api, account, auth } = await setup({ maxBodyBytes: undefined })
      const a = await account()
      expect(
        await jsonPost(api, '/api/notes', sized({ title: 'big' }, 'body', 16384), auth(a).headers),
        'exactly 16384 bytes: accepted',
      ).toHaveStatus(201)
      expect(
        await jsonPost(api, '/api/notes', sized({ title: 'big' }, 'body', 16385), auth(a).headers),
        '16385 bytes: over the default limit',
      ).toHaveStatus(413)
    })

    it('limits signup, login and PATCH /api/me too, far over the limit as well', async () => {
      const { api, account, auth, options, count, rng } = await setup()
      const a = await account()
      const limit = options.maxBodyBytes!
      const size = rng.pick([limit + 1, limit * 8])
      const users = count('users')
      const signup = {
        email: `${rng.word()}@${rng.word()}.test`,
        password: rng.word(10, 12),
        name: 'x',
      }
      expect(await jsonPost(api, '/api/signup', sized(signup, 'bio', size))).toHaveStatus(413)
      expect(count('users'), 'a refused signup creates no account').toBe(users)
      expect(
        await jsonPost(
          api,
          '/api/login',
          sized({ email: a.email, password: a.password }, 'pad', size),
        ),
      ).toHaveStatus(413)
      const patch = await api.patch('/api/me', {
        body: sized({ name: 'new' }, 'bio', size),
        headers: { ...auth(a).headers, 'Content-Type': 'application/json' },
      })
      expect(patch).toHaveStatus(413)
    })
  })

  task(4, 'Bind every value as an SQL parameter', () => {
    const PAYLOADS = [
      "' OR '1'='1",
      "') OR ('1'='1",
      "x' UNION SELECT id, email, password_hash FROM users --",
      "'; DROP TABLE notes; --",
    ]

    it('searches and creates notes with ordinary text', async () => {
      const { api, account, auth, note, rng } = await setup()
      const a = await account()
      const word = rng.word(6, 8)
      const hit = await note(a, `about ${word} today`)
      await note(a, `${rng.word()} ${rng.word()}`)
      const res = await api.get(`/api/notes?q=${word}`, auth(a))
      expect(res).toHaveStatus(200)
      expect(res).toHaveJsonBody([expect.objectContaining({ id: hit.id, title: hit.title })])
    })

    it('finds a note titled like an injection, and nothing but your own notes', async () => {
      const { api, account, auth, note, rng } = await setup()
      const [a, b] = [await account(), await account()]
      await note(b, `${rng.word()} secret`)
      for (const payload of PAYLOADS) {
        const mine = await note(a, payload)
        const res = await api.get(`/api/notes?q=${encodeURIComponent(payload)}`, auth(a))
        expect(res, `searching for ${payload}`).toHaveStatus(200)
        expect(res).toHaveJsonBody([expect.objectContaining({ id: mine.id, title: payload })])
      }
    })

    it('stores titles and bodies full of quotes exactly as sent, and the table survives', async () => {
      const { api, account, auth, probe, note, count } = await setup()
      const [a, b] = [await account(), await account()]
      const theirs = await note(b)
      const cases = [
        { title: "Robert'); DROP TABLE notes; --", body: 'it\'s "quoted" \\ and -- commented' },
        { title: "x', (SELECT password_hash FROM users LIMIT 1)) --", body: "O'Brien" },
      ]
      for (const sent of cases) {
        const res = await api.post('/api/notes', { ...auth(a), json: sent })
        expect(res).toHaveStatus(201)
        const rows = probe.query(
          'SELECT title, body FROM notes WHERE owner_id = ? ORDER BY id DESC LIMIT 1',
          [a.id],
        )
        expect(rows, 'the note is stored with its title and body as sent').toEqual([sent])
      }
      expect(count('notes'), 'the notes table keeps every note').toBe(3)
      expect(probe.query('SELECT title FROM notes WHERE id = ?', [theirs.id])).toEqual([
        { title: theirs.title },
      ])
    })

    it('does not let a token made of SQL sign anyone in', async () => {
      const { api, account, admin } = await setup()
      await admin()
      await account()
      for (const token of ["' OR '1'='1", "x' OR 1=1 --", "' OR role = 'admin' --"]) {
        expectChallenge(await api.get('/api/me', { headers: { Authorization: `Bearer ${token}` } }))
      }
    })

    it('answers 404 to a note id made of SQL', async () => {
      const { api, account, auth, note } = await setup()
      const [a, b] = [await account(), await account()]
      await note(b)
      for (const id of ['0 OR 1=1', '0 UNION SELECT 1', '1;']) {
        const res = await api.get(`/api/notes/${encodeURIComponent(id)}`, auth(a))
        expect(res, `GET /api/notes/${id}`).toHaveStatus(404)
      }
    })

    it('never pastes a note id into SQL text, not even one made of digits', async () => {
      const { api, account, auth, probe, rng } = await setup()
      const a = await account()
      // Ids long enough that they can only be in the SQL text if the app put them there.
      const ids = rng.shuffle([40000, 50000, 60000].map((base) => base + rng.int(1000, 9999)))
      const [read, removed, missing] = ids as [number, number, number]
      for (const id of [read, removed]) {
        probe.query('INSERT INTO notes (id, owner_id, title, body) VALUES (?, ?, ?, ?)', [
          id,
          a.id,
          rng.word(),
          rng.word(),
        ])
      }
      probe.clear()
      expect(await api.get(`/api/notes/${read}`, auth(a)), 'your own note').toHaveStatus(200)
      expect(await api.delete(`/api/notes/${removed}`, auth(a)), 'your own note').toHaveStatus(204)
      expect(await api.get(`/api/notes/${missing}`, auth(a)), 'no such note').toHaveStatus(404)
      for (const { sql } of probe.statements()) {
        for (const id of ids) {
          expect(sql.includes(String(id)), `the note id ${id} is pasted into this SQL: ${sql}`).toBe(
            false,
          )
        }
      }
    })

    it('never pastes a value from the request into SQL text', async () => {
      const { api, account, auth, probe, rng } = await setup()
      const a = await account()
      const mark = () => `zq${rng.word(8, 10)}`
      const marks = {
        q: mark(),
        title: mark(),
        body: mark(),
        email: mark(),
        token: mark(),
        id: mark(),
      }
      probe.clear()
      await api.get(`/api/notes?q=${marks.q}`, auth(a))
      await api.post('/api/notes', { ...auth(a), json: { title: marks.title, body: marks.body } })
      await login(api, `${marks.email}@example.test`, 'not-the-password')
      await api.get('/api/me', { headers: { Authorization: `Bearer ${marks.token}` } })
      await api.get(`/api/notes/${marks.id}`, auth(a))
      for (const { sql } of probe.statements()) {
        for (const [field, value] of Object.entries(marks)) {
          expect(
            sql.includes(value),
            `the ${field} from the request is pasted into this SQL: ${sql}`,
          ).toBe(false)
        }
      }
    })
  })

  task(5, 'Only the owner may read or delete a note', () => {
    it('lists only your own notes, with or without q, and with an empty q', async () => {
      const { api, account, auth, note } = await setup()
      const [a, b] = [await account(), await account()]
      const mine = []
      const theirs = []
      for (let i = 0; i < 2; i++) {
        theirs.push(await note(b))
        mine.push(await note(a))
      }
      theirs.push(await note(b))
      for (const [who, own] of [
        [a, mine],
        [b, theirs],
      ] as const) {
        for (const path of ['/api/notes', '/api/notes?q=', '/api/notes?q']) {
          const res = await api.get(path, auth(who))
          expect(res, `GET ${path}`).toHaveStatus(200)
          expect(res, `GET ${path} lists the caller's notes, by id, and nobody else's`).toHaveJsonBody(
            own.map((n) => expect.objectContaining({ id: n.id, title: n.title })),
          )
        }
      }
    })


    it('reads, lists and deletes your own notes', async () => {
      const { api, account, auth, note } = await setup()
      const a = await account()
      const mine = await note(a)
      const read = await api.get(`/api/notes/${mine.id}`, auth(a))
      expect(read).toHaveStatus(200)
      expect(read).toHaveJsonBody(
        expect.objectContaining({ id: mine.id, title: mine.title, body: mine.body }),
      )
      expect(await api.get('/api/notes', auth(a))).toHaveJsonBody([
        expect.objectContaining({ id: mine.id }),
      ])
      expect(await api.delete(`/api/notes/${mine.id}`, auth(a))).toHaveStatus(204)
      expect(await api.get(`/api/notes/${mine.id}`, auth(a))).toHaveStatus(404)
    })

    it("answers 404 for someone else's note, exactly like a note that does not exist", async () => {
      const { api, account, auth, note, rng } = await setup()
      const [a, b] = [await account(), await account()]
      const theirs = await note(b)
      const missing = await api.get(`/api/notes/${theirs.id + rng.int(50, 500)}`, auth(a))
      const res = await api.get(`/api/notes/${theirs.id}`, auth(a))
      expect(res).toHaveStatus(404)
      expect(res).toHaveJsonBody(missing.body)
      expect(res).toHaveJsonBody(expect.objectContaining({ error: 'not_found' }))
    })

    it("does not delete someone else's note", async () => {
      const { api, account, auth, note, probe } = await setup()
      const [a, b] = [await account(), await account()]
      const theirs = await note(b)
      expect(await api.delete(`/api/notes/${theirs.id}`, auth(a))).toHaveStatus(404)
      expect(
        probe.query('SELECT id FROM notes WHERE id = ?', [theirs.id]),
        'the note is still there',
      ).toHaveLength(1)
      expect(await api.get(`/api/notes/${theirs.id}`, auth(b))).toHaveStatus(200)
    })

    it("keeps a member's notes from admins too", async () => {
      const { api, account, admin, auth, note } = await setup()
      const boss = await admin()
      const theirs = await note(await account())
      expect(await api.get(`/api/notes/${theirs.id}`, auth(boss))).toHaveStatus(404)
      expect(await api.delete(`/api/notes/${theirs.id}`, auth(boss))).toHaveStatus(404)
    })
  })

  task(6, 'Admins only on /api/admin/users: 401, then 403', () => {
    it('lists every user for an admin', async () => {
      const { api, account, admin, auth } = await setup()
      const members = [await account(), await account()]
      const boss = await admin()
      const res = await api.get('/api/admin/users', auth(boss))
      expect(res).toHaveStatus(200)
      expect(res).toHaveJsonBody(
        [boss, ...members]
          .sort((x, y) => x.id - y.id)
          .map((u) =>
            expect.objectContaining({
              id: u.id,
              email: u.email,
              role: u === boss ? 'admin' : 'member',
            }),
          ),
      )
    })

    it('answers 401 with a Bearer challenge to a caller without a valid token', async () => {
      const { api, account, rng } = await setup()
      await account()
      expectChallenge(await api.get('/api/admin/users'))
      expectChallenge(
        await api.get('/api/admin/users', {
          headers: { Authorization: `Bearer ${rng.word(30, 40)}` },
        }),
      )
      expectChallenge(
        await api.get('/api/admin/users', { headers: { Authorization: 'Basic YWRtaW46YWRtaW4=' } }),
      )
    })

    it('answers 403 { error: "forbidden" } to a signed-in member', async () => {
      const { api, account, auth } = await setup()
      const res = await api.get('/api/admin/users', auth(await account()))
      expect(res).toHaveStatus(403)
      expect(res).toHaveJsonBody(expect.objectContaining({ error: 'forbidden' }))
    })

    it('reads the role on every request: a promotion or a demotion counts at once', async () => {
      const { api, account, auth, probe } = await setup()
      const a = await account()
      expect(await api.get('/api/admin/users', auth(a))).toHaveStatus(403)
      probe.query("UPDATE users SET role = 'admin' WHERE id = ?", [a.id])
      expect(await api.get('/api/admin/users', auth(a)), 'promoted after login').toHaveStatus(200)
      probe.query("UPDATE users SET role = 'member' WHERE id = ?", [a.id])
      expect(await api.get('/api/admin/users', auth(a)), 'demoted after login').toHaveStatus(403)
    })
  })

  task(7, 'Throttle failed logins per account and IP', () => {
    /** Sends `times` wrong passwords for `email` from `ip`; each must be a 401. */
    async function fail(api: Client, email: string, times: number, ip = DEFAULT_IP) {
      for (let i = 1; i <= times; i++) {
        const res = await login(api, email, `wrong-${i}-password`, ip)
        expect(res, `wrong password ${i} of ${times}: still 401`).toHaveStatus(401)
      }
    }

    function expectLocked(res: Reply, retryAfter: number) {
      expect(res).toHaveStatus(429)
      expect(res).toHaveJsonBody(expect.objectContaining({ error: 'too_many_attempts' }))
      expect(res).toHaveHeader('retry-after', String(retryAfter))
    }

    it('logs in with the right password and refuses a wrong one with 401', async () => {
      const { api, account } = await setup()
      const a = await account()
      expect(await login(api, a.email, a.password)).toHaveStatus(200)
      expect(await login(api, a.email, `${a.password}x`)).toHaveStatus(401)
    })

    it('answers an unknown email exactly like a wrong password', async () => {
      const { api, account, rng } = await setup()
      const a = await account()
      const wrong = await login(api, a.email, `${a.password}x`)
      const unknown = await login(api, `${rng.word()}.${a.email}`, a.password)
      expect(wrong).toHaveStatus(401)
      expect(wrong).toHaveJsonBody(expect.objectContaining({ error: 'invalid_credentials' }))
      expect(unknown).toHaveStatus(401)
      expect(unknown).toHaveJsonBody(wrong.body)
    })

    it('locks the account for this IP after maxLoginFailures failures: 429 and Retry-After', async () => {
      const { api, account, options } = await setup()
      const a = await account()
      await fail(api, a.email, options.maxLoginFailures!)
      // The right password during the lockout: still refused, or the attacker learns it was right.
      expectLocked(await login(api, a.email, a.password), Math.ceil(options.lockoutMs! / 1000))
    })

    it('counts Retry-After down with now() and lets the user in when the lockout ends', async () => {
      const { api, account, options, clock, rng } = await setup()
      const a = await account()
      await fail(api, a.email, options.maxLoginFailures!)
      const lockout = options.lockoutMs!
      const waited = rng.int(1, lockout - 2000)
      clock.advance(waited)
      expectLocked(await login(api, a.email, a.password), Math.ceil((lockout - waited) / 1000))
      clock.advance(lockout - waited - 1)
      expectLocked(await login(api, a.email, a.password), 1)
      clock.advance(1)
      expect(await login(api, a.email, a.password), 'the lockout is over').toHaveStatus(200)
    })

    it('starts counting again after a successful login', async () => {
      const { api, account, options } = await setup()
      const a = await account()
      const max = options.maxLoginFailures!
      await fail(api, a.email, max - 1)
      expect(await login(api, a.email, a.password)).toHaveStatus(200)
      await fail(api, a.email, max - 1)
      expect(
        await login(api, a.email, a.password),
        'only max - 1 failures since the last success',
      ).toHaveStatus(200)
    })

    it('keeps accounts and IPs apart, and the email in any letter case is the same account', async () => {
      const { api, account, options } = await setup()
      const [a, b] = [await account(), await account()]
      await fail(api, a.email, options.maxLoginFailures!)
      expect(
        await login(api, a.email, a.password, '203.0.113.9'),
        'the same account from another IP',
      ).toHaveStatus(200)
      expect(
        await login(api, b.email, b.password),
        'another account from the same IP',
      ).toHaveStatus(200)
      const shouted = await login(api, ` ${a.email.toUpperCase()}`, a.password)
      expect(shouted, 'the same account spelled in capitals, from the locked IP').toHaveStatus(429)
    })

    it('locks unknown emails the same way', async () => {
      const { api, options, rng } = await setup()
      const email = `${rng.word()}@${rng.word()}.test`
      await fail(api, email, options.maxLoginFailures!)
      expectLocked(await login(api, email, 'any-password'), Math.ceil(options.lockoutMs! / 1000))
    })

    it('answers a body without a string email and password with 400 invalid_body, counting nothing', async () => {
      const { api, account, options } = await setup()
      const a = await account()
      const max = options.maxLoginFailures!
      await fail(api, a.email, max - 1)
      const bodies = [
        { email: a.email },
        { email: a.email, password: 12345678 },
        { email: a.email, password: null },
        { email: a.email, password: [a.password] },
        { email: [a.email], password: a.password },
        { password: a.password },
      ]
      for (const body of bodies) {
        const res = await api.post('/api/login', { json: body, headers: { [IP_HEADER]: DEFAULT_IP } })
        expect(res, `POST /api/login ${JSON.stringify(body)}`).toHaveStatus(400)
        expect(res).toHaveJsonBody(expect.objectContaining({ error: 'invalid_body' }))
      }
      expect(
        await login(api, a.email, a.password),
        `${max - 1} failures, then only invalid bodies: not locked`,
      ).toHaveStatus(200)
    })

    it('counts attempts sent at the same moment', async () => {
      // The guesses go straight to app.fetch in one tick, so every one of them is in flight before
      // the first password check (an asynchronous scrypt) can finish: an app that counts a failure
      // only after the check lets them all through, on a fast machine or a busy one alike.
      const { app, account, options } = await setup()
      const a = await account()
      const max = options.maxLoginFailures!
      const guess = (i: number) =>
        app.fetch(
          new Request('http://api.test/api/login', {
            method: 'POST',
            headers: { 'Content-Type': 'application/json', [IP_HEADER]: DEFAULT_IP },
            body: JSON.stringify({ email: a.email, password: `guess-${i}-password` }),
          }),
        )
      const all = await Promise.all(Array.from({ length: max + 3 }, (_, i) => guess(i)))
      const statuses = all.map((r) => r.status).sort()
      expect(statuses, `${max + 3} guesses sent at once: ${max} get 401, the other 3 get 429`).toEqual([
        ...Array<number>(max).fill(401),
        429,
        429,
        429,
      ])
      // A 429 says how long to wait. The ones sent before the lock has begun (the guesses that set
      // it still being checked) say the whole lockout, rounded up.
      for (const res of all.filter((r) => r.status === 429)) {
        expect(
          res.headers.get('retry-after'),
          'every 429 of the burst carries Retry-After: the whole lockout, in seconds, rounded up',
        ).toBe(String(Math.ceil(options.lockoutMs! / 1000)))
        expect(await res.json()).toEqual(expect.objectContaining({ error: 'too_many_attempts' }))
      }
    })

    it('keeps the counts of two apps apart', async () => {
      const first = await setup()
      const second = await setup()
      const a = await first.account()
      const twin = await second.account()
      await fail(first.api, a.email, first.options.maxLoginFailures!)
      // The same email in the second app's own database:
      second.probe.query('UPDATE users SET email = ? WHERE id = ?', [a.email, twin.id])
      expect(await login(first.api, a.email, a.password)).toHaveStatus(429)
      expect(
        await login(second.api, a.email, twin.password),
        'another app, its own counts',
      ).toHaveStatus(200)
    })
  })

  task(8, 'Never send secrets, never take a role from the client', () => {
    it('creates a member who can log in', async () => {
      const { api, rng } = await setup()
      const [email, password] = [`${rng.word()}@${rng.word()}.test`, rng.word(10, 14)]
      const res = await api.post('/api/signup', { json: { email, password, name: rng.word() } })
      expect(res).toHaveStatus(201)
      expect(res).toHaveJsonBody(expect.objectContaining({ email, role: 'member' }))
      expect(await login(api, email, password)).toHaveStatus(200)
    })

    it('answers signup, /api/me, PATCH /api/me and the admin list with id, email, name, role only', async () => {
      const { api, admin, auth, rng } = await setup()
      const signup = await api.post('/api/signup', {
        json: {
          email: `${rng.word()}@${rng.word()}.test`,
          password: rng.word(10, 14),
          name: rng.word(),
        },
      })
      expectPublicUser(signup, signup.body, 'the signup answer')
      const boss = await admin()
      const me = await api.get('/api/me', auth(boss))
      expectPublicUser(me, me.body, 'GET /api/me')
      const patched = await api.patch('/api/me', { ...auth(boss), json: { name: rng.word() } })
      expect(patched).toHaveStatus(200)
      expectPublicUser(patched, patched.body, 'the PATCH /api/me answer')
      const list = await api.get('/api/admin/users', auth(boss))
      expect(list).toHaveStatus(200)
      for (const user of list.body as unknown[])
        expectPublicUser(list, user, 'each user in the admin list')
    })

    it('answers a login with { token } and nothing else', async () => {
      const { api, account } = await setup()
      const a = await account()
      const res = await login(api, a.email, a.password)
      expect(res).toHaveStatus(200)
      expect(res).toHaveJsonBody({ token: expect.any(String) })
    })

    it("never sends a password hash, a password or another user's token", async () => {
      const { api, account, admin, auth, probe } = await setup()
      const [a, b] = [await account(), await account()]
      const boss = await admin()
      const replies = [
        await api.get('/api/me', auth(a)),
        await api.patch('/api/me', { ...auth(b), json: { name: 'renamed' } }),
        await api.get('/api/admin/users', auth(boss)),
        await login(api, a.email, a.password),
      ]
      const hashes = probe.query<{ password_hash: string }>('SELECT password_hash FROM users')
      // Each part of scrypt$N$salt$key is a secret on its own (the key most of all).
      const secrets = hashes.flatMap((h) =>
        h.password_hash.split('$').filter((part) => part.length >= 16),
      )
      for (const res of replies) {
        const text = readable(res)
        focusOn(res)
        expect(text.includes('password'), 'no field about passwords in any answer').toBe(false)
        for (const secret of secrets)
          expect(text.includes(secret), 'a password hash (or part of one) is in this answer').toBe(
            false,
          )
        for (const u of [a, b, boss]) {
          expect(text.includes(u.password), 'a password is in this answer').toBe(false)
          expect(
            text.includes(u.token),
            "a session token is in this answer (only a login may send one, the caller's new one)",
          ).toBe(false)
        }
      }
    })

    it('makes every new account a member, whatever the signup body says', async () => {
      const { api, probe, rng } = await setup()
      const [email, password] = [`${rng.word()}@${rng.word()}.test`, rng.word(10, 14)]
      const res = await api.post('/api/signup', {
        json: {
          email,
          password,
          name: rng.word(),
          role: 'admin',
          id: 4242,
          password_hash: 'scrypt$2$AAAA$AAAA',
        },
      })
      expect(
        [201, 400, 422],
        'either ignore the extra fields (201) or refuse the body (400 or 422)',
      ).toContain(res.status)
      const rows = probe.query<{ id: number; role: string }>(
        'SELECT id, role FROM users WHERE email = ?',
        [email],
      )
      if (res.status === 201) {
        expect(rows, 'one account, a member').toEqual([{ id: expect.any(Number), role: 'member' }])
        expect(rows[0]!.id, "the id is the database's choice, not the client's").not.toBe(4242)
        expect(
          await login(api, email, password),
          'the password given, not the password_hash sent',
        ).toHaveStatus(200)
      } else {
        expect(rows, 'a refused signup creates no account').toEqual([])
      }
    })

    it('changes nothing but the name on PATCH /api/me', async () => {
      const { api, account, auth, probe, rng } = await setup()
      const a = await account()
      const bodies = [
        { name: rng.word(), role: 'admin' },
        { name: rng.word(), email: `${rng.word()}@evil.test`, password_hash: 'scrypt$2$AAAA$AAAA' },
        { name: rng.word(), "role = 'admin', email": `${rng.word()}@evil.test` },
      ]
      for (const body of bodies) {
        const res = await api.patch('/api/me', { ...auth(a), json: body })
        expect(
          [200, 400, 422],
          'either ignore the other fields (200) or refuse the body (400 or 422)',
        ).toContain(res.status)
        const [row] = probe.query<{ name: string; email: string; role: string }>(
          'SELECT name, email, role FROM users WHERE id = ?',
          [a.id],
        )
        focusOn(res)
        expect(row!.role, 'the role stays member').toBe('member')
        expect(row!.email, 'the email stays as it was').toBe(a.email)
        if (res.status === 200) expect(row!.name, 'a 200 has changed the name').toBe(body.name)
      }
      expect(await login(api, a.email, a.password), 'the password still works').toHaveStatus(200)
    })
  })
})
