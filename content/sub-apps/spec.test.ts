// sub-apps - the hidden spec.
//
// Wrong implementations this spec is built to catch:
// - a module's guard applied beyond its module (the billing key or the admin token demanded
//   from other modules), or one module's X-Module tag landing on another module's responses
//   (or on the root's 404)
// - prefix mistakes: routes declared with the full path inside the sub-app and mounted again at
//   the prefix (/api/users/api/users), routes also answering without the prefix, admin under /api
// - a guard consulted only after the handler has answered, so it never refuses (and a refused
//   DELETE still deletes)
// - a module that builds its errors its own way, so they do not look like the others'; an error
//   body without `module`; the X-Module tag missing from a module's error responses
// - Hono's default text 404, or no 404 from the root for prefix mistakes
// - the `modules` option ignored (a disabled module still mounted), or a disabled module's
//   guard left on the root by path (a disabled module answers 401 instead of 404)
// - an unknown module name accepted silently (or looked up on the prototype: "toString",
//   "constructor", "__proto__")
// - a billing key compared loosely: case-insensitively, by prefix, or as a prefix of the header
// - 403 where 401 is due (unknown token) or 401 where 403 is due (a member's token); a token
//   taken from any scheme, with no space, or with trailing words; a token looked up as
//   tokens[token] ("constructor", "toString", "__proto__"); tokens copied with Object.assign or
//   a loop, which drops an own "__proto__" token
// - sub-apps built once at module level, so a second app answers with the first app's data,
//   key or modules; a DELETE that changes the caller's array; the caller's arrays kept instead
//   of copied, so the caller's later changes reach the app
// - modules that do not share the store (a user deleted by admin still listed by users)
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
import {
  createApp,
  type AppOptions,
  type Invoice,
  type ModuleName,
  type Role,
  type User,
} from '../../exercises/sub-apps/app.ts'

const ALL: ModuleName[] = ['users', 'billing', 'admin']
const TOKEN_CHARS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789'
const cap = (word: string) => word[0]!.toUpperCase() + word.slice(1)

/** Random users, invoices, a billing key and two tokens (an admin's and a member's). */
function world(rng: Rng) {
  const secret = () =>
    Array.from({ length: rng.int(16, 28) }, () => rng.pick([...TOKEN_CHARS])).join('')
  const users: User[] = Array.from({ length: rng.int(2, 5) }, (_, i) => ({
    id: `u${i + 1}${rng.word(3, 6)}`,
    name: `${cap(rng.word(3, 8))} ${cap(rng.word(3, 10))}`,
  }))
  const invoices: Invoice[] = Array.from({ length: rng.int(2, 6) }, (_, i) => ({
    id: `inv${i + 1}${rng.word(3, 6)}`,
    userId: rng.pick(users).id,
    amountCents: rng.int(100, 500_000),
  }))
  const adminToken = secret()
  const memberToken = secret()
  const tokens: Record<string, Role> = {}
  for (const [token, role] of rng.shuffle([
    [adminToken, 'admin'],
    [memberToken, 'member'],
  ] as const)) {
    tokens[token] = role
  }
  return {
    users: rng.shuffle(users),
    invoices: rng.shuffle(invoices),
    billingKey: secret(),
    adminToken,
    memberToken,
    tokens,
    missingId: `gone${rng.word(4, 8)}`,
    word: rng.word(4, 8),
  }
}

type World = ReturnType<typeof world>

/** Options over copies of the world's data, so the world stays the expected state. */
const optionsFor = (w: World, modules?: ModuleName[]): AppOptions => ({
  users: w.users.map((u) => ({ ...u })),
  invoices: w.invoices.map((i) => ({ ...i })),
  billingKey: w.billingKey,
  tokens: { ...w.tokens },
  ...(modules ? { modules: [...modules] } : {}),
})

const appFor = (w: World, modules?: ModuleName[]) =>
  client(build(createApp, optionsFor(w, modules)))

const billingKey = (w: World) => ({ 'X-Billing-Key': w.billingKey })
const bearer = (token: string) => ({ Authorization: `Bearer ${token}` })
/** Every credential at once: a module must ignore the ones that are not its own. */
const allCredentials = (w: World) => ({ headers: { ...billingKey(w), ...bearer(w.adminToken) } })
/** A secret one character away from a real one. */
const nearMiss = (secret: string) => `${secret.slice(0, -1)}${secret.endsWith('x') ? 'y' : 'x'}`
/** The secret with every letter's case flipped (a letter is always there, or one is added). */
const flipCase = (secret: string) => {
  const flipped = [...secret]
    .map((ch) => (ch === ch.toUpperCase() ? ch.toLowerCase() : ch.toUpperCase()))
    .join('')
  return flipped === secret ? `${secret}x` : flipped
}

/** One working route per module, with that module's credentials. */
const working: Record<ModuleName, (w: World) => [string, Record<string, string>]> = {
  users: (w) => [`/api/users/${w.users[0]!.id}`, {}],
  billing: (w) => [`/api/billing/invoices/${w.invoices[0]!.id}`, billingKey(w)],
  admin: (w) => ['/admin/stats', bearer(w.adminToken)],
}

/** The media type of a response, without parameters such as charset. */
const mediaType = (res: Reply) => res.headers['content-type']?.split(';')[0]?.trim().toLowerCase()

function expectJson(res: Reply) {
  focusOn(res)
  expect(mediaType(res), 'an error response is JSON (Content-Type: application/json)').toBe(
    'application/json',
  )
}

/** A module error: the status, and a JSON body naming the code and the module. */
function expectModuleError(res: Reply, status: number, error: string, module: ModuleName) {
  expect(res).toHaveStatus(status)
  expectJson(res)
  expect(res).toHaveJsonBody(expect.objectContaining({ error, module }))
}

/** The root's 404: JSON with error "not_found". */
function expectNotFound(res: Reply) {
  expect(res).toHaveStatus(404)
  expectJson(res)
  expect(res).toHaveJsonBody(expect.objectContaining({ error: 'not_found' }))
}

describe('sub-apps', () => {
  task(1, 'Mount the users module', () => {
    it('GET /api/users answers 200 with every user, no credentials needed', async () => {
      const w = world(random())
      const res = await appFor(w).get('/api/users')
      expect(res).toHaveStatus(200)
      expect(res).toHaveJsonBody(w.users)
    })

    it('GET /api/users/:id answers 200 with that user', async () => {
      const w = world(random())
      const api = appFor(w)
      for (const user of w.users) {
        const res = await api.get(`/api/users/${user.id}`)
        expect(res).toHaveStatus(200)
        expect(res).toHaveJsonBody(user)
      }
    })

    it('the users module tags its responses with X-Module: users', async () => {
      const w = world(random())
      const api = appFor(w)
      for (const path of ['/api/users', `/api/users/${w.users[0]!.id}`]) {
        const res = await api.get(path, allCredentials(w))
        expect(res).toHaveStatus(200)
        expect(res).toHaveHeader('x-module', 'users')
      }
    })

    it("the caller's users array is copied: changing it after createApp changes nothing", async () => {
      const w = world(random())
      const options = optionsFor(w)
      const api = client(build(createApp, options))
      options.users.push({ id: `late${w.word}`, name: 'Late Comer' })
      options.users.shift()
      const res = await api.get('/api/users')
      expect(res).toHaveStatus(200)
      expect(res).toHaveJsonBody(w.users)
    })
  })

  task(2, 'One error format and one 404', () => {
    it('GET /api/users/:id of an unknown id answers 404 { error: "not_found", module: "users" }, tagged', async () => {
      const w = world(random())
      const res = await appFor(w).get(`/api/users/${w.missingId}`, allCredentials(w))
      expectModuleError(res, 404, 'not_found', 'users')
      expect(res).toHaveHeader('x-module', 'users')
    })

    const outside: [string, (w: World) => string][] = [
      ['/', () => '/'],
      ['a random path', (w) => `/${w.word}`],
      ['/api', () => '/api'],
      ['a random path under /api', (w) => `/api/${w.word}`],
      ['/users (no prefix)', () => '/users'],
      ['/invoices (no prefix)', () => '/invoices'],
      ['/billing/invoices (half the prefix)', () => '/billing/invoices'],
      ['/stats (no prefix)', () => '/stats'],
      ['/api/admin/stats (admin is not under /api)', () => '/api/admin/stats'],
    ]

    it.each(outside)(
      'answers the root JSON 404 { error: "not_found" }, without X-Module, for %s',
      async (_, path) => {
        const w = world(random())
        const res = await appFor(w).get(path(w), allCredentials(w))
        expectNotFound(res)
        expect(res.headers['x-module'], 'X-Module belongs to module responses only').toBeUndefined()
      },
    )

    const doubled: [string, (w: World) => string][] = [
      ['/api/users/api/users', () => '/api/users/api/users'],
      ['/api/users/api/users/:id', (w) => `/api/users/api/users/${w.users[0]!.id}`],
      ['/api/billing/api/billing/invoices', () => '/api/billing/api/billing/invoices'],
      ['/admin/admin/stats', () => '/admin/admin/stats'],
      ['an unknown path under /api/users', (w) => `/api/users/${w.users[0]!.id}/${w.word}`],
      ['an unknown path under /api/billing', (w) => `/api/billing/${w.word}`],
      ['an unknown path under /admin', (w) => `/admin/${w.word}`],
    ]

    it.each(doubled)(
      'answers a JSON 404 { error: "not_found" } for %s, even with every credential',
      async (_, path) => {
        const w = world(random())
        expectNotFound(await appFor(w).get(path(w), allCredentials(w)))
      },
    )
  })

  task(3, 'Billing behind its key', () => {
    it('GET /api/billing/invoices answers 200 with every invoice to the right key', async () => {
      const w = world(random())
      const res = await appFor(w).get('/api/billing/invoices', { headers: billingKey(w) })
      expect(res).toHaveStatus(200)
      expect(res).toHaveJsonBody(w.invoices)
    })

    it('GET /api/billing/invoices/:id answers 200 with that invoice', async () => {
      const w = world(random())
      const api = appFor(w)
      for (const invoice of w.invoices) {
        const res = await api.get(`/api/billing/invoices/${invoice.id}`, { headers: billingKey(w) })
        expect(res).toHaveStatus(200)
        expect(res).toHaveJsonBody(invoice)
      }
    })

    it('every response of the billing module carries X-Module: billing, errors included', async () => {
      const w = world(random())
      const api = appFor(w)
      const [path] = working.billing(w)
      const ok = await api.get(path, allCredentials(w))
      expect(ok).toHaveStatus(200)
      expect(ok).toHaveHeader('x-module', 'billing')
      const refused = await api.get(path, { headers: bearer(w.adminToken) })
      expect(refused).toHaveStatus(401)
      expect(refused).toHaveHeader('x-module', 'billing')
    })

    const billingRefusals: [string, (w: World) => [string, Record<string, string>]][] = [
      ['no X-Billing-Key', () => ['/api/billing/invoices', {}]],
      [
        'a wrong X-Billing-Key',
        (w) => ['/api/billing/invoices', { 'X-Billing-Key': nearMiss(w.billingKey) }],
      ],
      ['an empty X-Billing-Key', () => ['/api/billing/invoices', { 'X-Billing-Key': '' }]],
      [
        'the key in another letter case',
        (w) => ['/api/billing/invoices', { 'X-Billing-Key': flipCase(w.billingKey) }],
      ],
      [
        'the key without its last character',
        (w) => ['/api/billing/invoices', { 'X-Billing-Key': w.billingKey.slice(0, -1) }],
      ],
      [
        'the key with a character more',
        (w) => ['/api/billing/invoices', { 'X-Billing-Key': `${w.billingKey}x` }],
      ],
      [
        'the admin token instead of the key',
        (w) => ['/api/billing/invoices', bearer(w.adminToken)],
      ],
      [
        'no X-Billing-Key on GET /api/billing/invoices/:id',
        (w) => [`/api/billing/invoices/${w.invoices[0]!.id}`, {}],
      ],
    ]

    it.each(billingRefusals)(
      'billing answers 401 { error: "unauthorized", module: "billing" } to %s',
      async (_, request) => {
        const w = world(random())
        const [path, headers] = request(w)
        const res = await appFor(w).get(path, { headers })
        expectModuleError(res, 401, 'unauthorized', 'billing')
      },
    )

    it('GET /api/billing/invoices/:id of an unknown id answers 404 { error: "not_found", module: "billing" }', async () => {
      const w = world(random())
      const res = await appFor(w).get(`/api/billing/invoices/${w.missingId}`, {
        headers: billingKey(w),
      })
      expectModuleError(res, 404, 'not_found', 'billing')
      expect(res).toHaveHeader('x-module', 'billing')
    })

    it("billing's key check does not run for the users module", async () => {
      const w = world(random())
      const api = appFor(w)
      const variants: Record<string, string>[] = [{}, { 'X-Billing-Key': nearMiss(w.billingKey) }]
      for (const headers of variants) {
        const users = await api.get('/api/users', { headers })
        expect(users).toHaveStatus(200)
        expect(users).toHaveHeader('x-module', 'users')
      }
    })

    it("the caller's invoices array is copied: changing it after createApp changes nothing", async () => {
      const w = world(random())
      const options = optionsFor(w)
      const api = client(build(createApp, options))
      options.invoices.push({ id: `late${w.word}`, userId: w.users[0]!.id, amountCents: 100 })
      options.invoices.shift()
      const res = await api.get('/api/billing/invoices', { headers: billingKey(w) })
      expect(res).toHaveStatus(200)
      expect(res).toHaveJsonBody(w.invoices)
    })
  })

  task(4, 'Admin behind a bearer token', () => {
    it('GET /admin/stats answers an admin 200 with the counts and the enabled modules', async () => {
      const w = world(random())
      const res = await appFor(w).get('/admin/stats', { headers: bearer(w.adminToken) })
      expect(res).toHaveStatus(200)
      expect(res).toHaveJsonBody({
        users: w.users.length,
        invoices: w.invoices.length,
        modules: expect.any(Array),
      })
      focusOn(res)
      expect(
        [...(res.body as { modules: string[] }).modules].sort(),
        'modules lists every enabled module',
      ).toEqual([...ALL].sort())
    })

    it('DELETE /admin/users/:id answers 204 and /api/users no longer has the user', async () => {
      const rng = random()
      const w = world(rng)
      const api = appFor(w)
      const victim = rng.pick(w.users)
      const res = await api.delete(`/admin/users/${victim.id}`, { headers: bearer(w.adminToken) })
      expect(res).toHaveStatus(204)
      expect(res).toHaveEmptyBody()
      const list = await api.get('/api/users')
      expect(list).toHaveJsonBody(w.users.filter((u) => u !== victim))
      expectModuleError(await api.get(`/api/users/${victim.id}`), 404, 'not_found', 'users')
      const stats = await api.get('/admin/stats', { headers: bearer(w.adminToken) })
      expect(stats).toHaveJsonBody(expect.objectContaining({ users: w.users.length - 1 }))
      const again = await api.delete(`/admin/users/${victim.id}`, { headers: bearer(w.adminToken) })
      expectModuleError(again, 404, 'not_found', 'admin')
    })

    it('every response of the admin module carries X-Module: admin, errors included', async () => {
      const w = world(random())
      const api = appFor(w)
      const ok = await api.get('/admin/stats', allCredentials(w))
      expect(ok).toHaveStatus(200)
      expect(ok).toHaveHeader('x-module', 'admin')
      const refused = await api.get('/admin/stats', {
        headers: { ...billingKey(w), ...bearer(w.memberToken) },
      })
      expect(refused).toHaveStatus(403)
      expect(refused).toHaveHeader('x-module', 'admin')
    })

    const adminRefusals: [string, (w: World) => Record<string, string>][] = [
      ['no Authorization header', () => ({})],
      ['an unknown token', (w) => bearer(nearMiss(w.adminToken))],
      ['the admin token without its last character', (w) => bearer(w.adminToken.slice(0, -1))],
      [
        'the admin token under the Basic scheme',
        (w) => ({ Authorization: `Basic ${w.adminToken}` }),
      ],
      ['"Bearer" glued to the token', (w) => ({ Authorization: `Bearer${w.adminToken}` })],
      ['the admin token followed by another word', (w) => bearer(`${w.adminToken} ${w.word}`)],
      ['the scheme Bearer with no token', () => ({ Authorization: 'Bearer' })],
      ['the token "constructor"', () => bearer('constructor')],
      ['the token "toString"', () => bearer('toString')],
      ['the token "__proto__"', () => bearer('__proto__')],
      ['the billing key instead of a token', (w) => billingKey(w)],
    ]

    it.each(adminRefusals)(
      'admin answers 401 { error: "unauthorized", module: "admin" } to %s',
      async (_, headers) => {
        const w = world(random())
        const api = appFor(w)
        expectModuleError(
          await api.get('/admin/stats', { headers: headers(w) }),
          401,
          'unauthorized',
          'admin',
        )
        const victim = w.users[0]!
        const del = await api.delete(`/admin/users/${victim.id}`, { headers: headers(w) })
        expectModuleError(del, 401, 'unauthorized', 'admin')
        expect(await api.get(`/api/users/${victim.id}`)).toHaveStatus(200)
      },
    )

    it('admin answers 403 { error: "forbidden", module: "admin" } to a member token', async () => {
      const w = world(random())
      const api = appFor(w)
      const headers = bearer(w.memberToken)
      expectModuleError(await api.get('/admin/stats', { headers }), 403, 'forbidden', 'admin')
      const victim = w.users[0]!
      const del = await api.delete(`/admin/users/${victim.id}`, { headers })
      expectModuleError(del, 403, 'forbidden', 'admin')
      expect(await api.get(`/api/users/${victim.id}`)).toHaveStatus(200)
    })

    it('admin accepts the Bearer scheme in any letter case', async () => {
      const w = world(random())
      const api = appFor(w)
      for (const scheme of ['bearer', 'BEARER', 'bEaReR']) {
        const res = await api.get('/admin/stats', {
          headers: { Authorization: `${scheme} ${w.adminToken}` },
        })
        expect(res).toHaveStatus(200)
      }
    })

    it('an own key of tokens is a token, even one named "__proto__"', async () => {
      const w = world(random())
      const tokens = JSON.parse('{"__proto__":"admin"}') as Record<string, Role>
      Object.assign(tokens, w.tokens)
      const options = { ...optionsFor(w), tokens }
      const api = client(build(createApp, options))
      expect(await api.get('/admin/stats', { headers: bearer('__proto__') })).toHaveStatus(200)
      expect(await api.get('/admin/stats', { headers: bearer(w.adminToken) })).toHaveStatus(200)
      expectModuleError(
        await api.get('/admin/stats', { headers: bearer('constructor') }),
        401,
        'unauthorized',
        'admin',
      )
    })

    it("admin's token check does not run for users or billing, nor billing's for admin", async () => {
      const w = world(random())
      const api = appFor(w)
      for (const auth of [{}, bearer(w.memberToken), bearer(nearMiss(w.adminToken))]) {
        const users = await api.get('/api/users', { headers: auth })
        expect(users).toHaveStatus(200)
        expect(users).toHaveHeader('x-module', 'users')
        const billing = await api.get('/api/billing/invoices', {
          headers: { ...auth, ...billingKey(w) },
        })
        expect(billing).toHaveStatus(200)
        expect(billing).toHaveHeader('x-module', 'billing')
      }
      const keys: Record<string, string>[] = [{}, { 'X-Billing-Key': nearMiss(w.billingKey) }]
      for (const key of keys) {
        const headers = { ...key, ...bearer(w.adminToken) }
        const admin = await api.get('/admin/stats', { headers })
        expect(admin).toHaveStatus(200)
        expect(admin).toHaveHeader('x-module', 'admin')
      }
    })

    it('DELETE /admin/users/:id of an unknown id answers 404 { error: "not_found", module: "admin" }', async () => {
      const w = world(random())
      const api = appFor(w)
      const res = await api.delete(`/admin/users/${w.missingId}`, { headers: bearer(w.adminToken) })
      expectModuleError(res, 404, 'not_found', 'admin')
      expect(res).toHaveHeader('x-module', 'admin')
      expect(await api.get('/api/users')).toHaveJsonBody(w.users)
    })

    it('DELETE /admin/users/:id leaves the array passed to createApp as it was', async () => {
      const w = world(random())
      const options = optionsFor(w)
      const api = client(build(createApp, options))
      const res = await api.delete(`/admin/users/${options.users[0]!.id}`, {
        headers: bearer(w.adminToken),
      })
      expect(res).toHaveStatus(204)
      focusOn(res)
      expect(options.users, "the caller's array is unchanged").toEqual(w.users)
      expect(await client(build(createApp, options)).get('/api/users')).toHaveJsonBody(w.users)
    })

    it('a DELETE in one app leaves another app built from the same options alone', async () => {
      const w = world(random())
      const options = optionsFor(w)
      const a = client(build(createApp, options))
      const b = client(build(createApp, options))
      const victim = w.users[0]!.id
      const res = await a.delete(`/admin/users/${victim}`, { headers: bearer(w.adminToken) })
      expect(res).toHaveStatus(204)
      expect(await b.get('/api/users')).toHaveJsonBody(w.users)
      expect(await a.get('/api/users')).toHaveJsonBody(w.users.slice(1))
    })
  })

  task(5, 'Switch modules on and off', () => {
    it.each(ALL.map((m) => [m]))(
      'a disabled %s module answers the JSON 404 on its routes while the others still work',
      async (module) => {
        const w = world(random())
        const api = appFor(w, ALL.filter((m) => m !== module))
        for (const name of ALL) {
          const [path, headers] = working[name](w)
          const res = await api.get(path, { headers: { ...headers } })
          if (name === module) {
            expectNotFound(res)
            expect(res.headers['x-module'], 'a disabled module tags nothing').toBeUndefined()
          } else {
            expect(res).toHaveStatus(200)
            expect(res).toHaveHeader('x-module', name)
          }
        }
      },
    )

    it.each([['billing'], ['admin']] as [ModuleName][])(
      "a disabled %s module's guard is gone too: 404, not 401, without credentials",
      async (module) => {
        const w = world(random())
        const api = appFor(w, ALL.filter((m) => m !== module))
        const [path] = working[module](w)
        expectNotFound(await api.get(path))
      },
    )

    it('modules: [] mounts nothing, so every route answers the JSON 404', async () => {
      const w = world(random())
      const api = appFor(w, [])
      for (const name of ALL) {
        const [path, headers] = working[name](w)
        expectNotFound(await api.get(path, { headers }))
      }
    })

    it('GET /admin/stats lists exactly the enabled modules', async () => {
      const rng = random()
      const w = world(rng)
      const others = rng.shuffle(['users', 'billing'] as ModuleName[]).slice(0, rng.int(0, 2))
      const modules = rng.shuffle([...others, 'admin'] as ModuleName[])
      const res = await appFor(w, modules).get('/admin/stats', { headers: bearer(w.adminToken) })
      expect(res).toHaveStatus(200)
      focusOn(res)
      const listed = (res.body as { modules?: unknown }).modules
      expect(Array.isArray(listed), 'modules must be an array').toBe(true)
      expect([...(listed as string[])].sort(), 'modules lists the enabled modules').toEqual(
        [...modules].sort(),
      )
    })

    it.each([['a made-up name'], ['toString'], ['constructor'], ['__proto__'], ['hasOwnProperty']])(
      'createApp throws for an unknown module name: %s',
      (name) => {
        const w = world(random())
        const bad = name === 'a made-up name' ? `${w.word}s` : name
        const options = {
          users: w.users,
          invoices: w.invoices,
          billingKey: w.billingKey,
          tokens: w.tokens,
          modules: ['users', bad] as unknown as ModuleName[],
        }
        const what = `createApp({ modules: ['users', '${bad}'] }) throws`
        expect(() => createApp(options), what).toThrow()
      },
    )

    it('keeps each app its own data, key, tokens and modules', async () => {
      const rng = random()
      const first = world(rng)
      const second = world(rng)
      const a = appFor(first)
      const b = appFor(second, ['users', 'billing'])
      expect(await a.get('/api/users')).toHaveJsonBody(first.users)
      expect(await b.get('/api/users')).toHaveJsonBody(second.users)
      const invoices = await b.get('/api/billing/invoices', { headers: billingKey(second) })
      expect(invoices).toHaveJsonBody(second.invoices)
      expect(await b.get('/api/billing/invoices', { headers: billingKey(first) })).toHaveStatus(401)
      expect(await a.get('/admin/stats', { headers: bearer(first.adminToken) })).toHaveStatus(200)
      expectNotFound(await b.get('/admin/stats', { headers: bearer(second.adminToken) }))
      const third = appFor(first, ['admin'])
      const foreign = await third.get('/admin/stats', { headers: bearer(second.adminToken) })
      expect(foreign).toHaveStatus(401)
    })
  })
})
