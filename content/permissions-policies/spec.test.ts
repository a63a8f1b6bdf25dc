// permissions-policies - the hidden spec.
//
// Wrong implementations this spec is built to catch:
// - answers 403 to an anonymous caller whose permission failed (DRF's rule: 401 + challenge)
// - answers 401 to a signed-in caller whose permission failed (403 is due)
// - treats an unknown or malformed Bearer token as anonymous (public routes answer 200, and
//   anonymous-only answers leak), or refuses another scheme (`Basic`) instead of ignoring it
// - looks tokens up in a plain object (`constructor` signs someone in)
// - loads the doc before the route check: a viewer locking a missing doc gets 404, an
//   anonymous PATCH of a missing doc gets 404 (the route check must say 401/403 first)
// - runs the object check before the lookup: a signed-in caller editing a missing doc gets 403
// - validates the body before the permission check: a viewer's broken POST gets 400
// - `or` where `and` is due (owner OR unlocked: anyone edits any unlocked doc, owners edit
//   locked ones), or `and` where `or` is due (admins refused on docs they do not own)
// - no admin override (admins refused on others' or locked docs), or no lock (owners still edit)
// - the object check forgets safe methods (GET of someone else's doc refused)
// - lets viewers create, or only editors (admins refused), or only admins
// - ownership by prefix, substring, letter case, role or doc id instead of ownerId === userId
// - PATCH copies the whole body (an owner hands the doc away via ownerId or unlocks it via
//   locked), or POST takes ownerId/locked from the body
// - a refused PATCH/DELETE/lock still changes the doc; DELETE answers 204 but keeps it
// - a new doc reuses an id of an existing doc (e.g. `doc-${size + 1}`: after a delete it hits a
//   doc created earlier and overwrites it), or is not listed / not found afterwards
// - treats only GET as safe: an anonymous HEAD of a doc gets 401
// - docs kept in a plain object (`constructor`, `__proto__` found), the caller's array mutated,
//   or state shared between apps (module level)
// - hard-coded users, tokens or docs (all of them are random per seed)
import { describe, expect, it } from 'vitest'
import {
  build,
  client,
  focusOn,
  parseChallenge,
  random,
  task,
  type Reply,
  type Rng,
} from '../../harness/spec-kit/index.ts'
import { createApp, type Doc, type Role, type User } from '../../exercises/permissions-policies/app.ts'

const LETTERS = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ'
const TOKEN_CHARS = `${LETTERS}0123456789-._~`

interface Account extends User {
  token: string
}

type Caller = 'anonymous' | Role
type Target = 'own' | 'ownLocked' | 'other' | 'otherLocked' | 'missing'

/** Random users (one per role) and docs: each user owns an unlocked and a locked doc. */
function world(rng: Rng) {
  const token = () =>
    rng.pick([...LETTERS]) +
    Array.from({ length: rng.int(20, 32) }, () => rng.pick([...TOKEN_CHARS])).join('')
  const ids = rng.shuffle(['ann', 'bo', 'cy', 'dee', 'eli', 'fay'])
  const account = (role: Role, i: number): Account => ({
    token: token(),
    userId: `${ids[i]}-${rng.word(2, 5)}`,
    role,
  })
  const accounts: Record<Role, Account> = {
    viewer: account('viewer', 0),
    editor: account('editor', 1),
    admin: account('admin', 2),
  }
  let n = 0
  const doc = (ownerId: string, locked: boolean): Doc => ({
    id: `${rng.word(3, 6)}${++n}`,
    ownerId,
    title: `${rng.word()} ${rng.word()}`,
    locked,
  })
  const owned = {} as Record<Role, { own: Doc; ownLocked: Doc }>
  for (const role of ['viewer', 'editor', 'admin'] as const) {
    owned[role] = { own: doc(accounts[role].userId, false), ownLocked: doc(accounts[role].userId, true) }
  }
  // An owner who holds no token, and one whose id extends the editor's: not the editor's doc.
  const stranger = doc(`${ids[3]}-${rng.word(2, 5)}`, false)
  const strangerLocked = doc(`${ids[4]}-${rng.word(2, 5)}`, true)
  const twin = doc(`${accounts.editor.userId}${rng.word(1, 2)}`, false)
  const docs = rng.shuffle([
    ...Object.values(owned).flatMap((o) => [o.own, o.ownLocked]),
    stranger,
    strangerLocked,
    twin,
  ])
  const tokens: Record<string, User> = {}
  for (const { token: t, userId, role } of Object.values(accounts)) tokens[t] = { userId, role }
  const missingId = `gone-${rng.word()}`

  /** The doc a caller's request aims at: their own, someone else's, or none at all. */
  const target = (caller: Caller, which: Target): string => {
    if (which === 'missing') return missingId
    if (caller !== 'anonymous' && (which === 'own' || which === 'ownLocked')) {
      return owned[caller][which].id
    }
    const locked = which === 'otherLocked' || which === 'ownLocked'
    const others = docs.filter(
      (d) => d.locked === locked && (caller === 'anonymous' || d.ownerId !== accounts[caller].userId),
    )
    return rng.pick(others).id
  }
  return { rng, accounts, owned, stranger, twin, docs, tokens, missingId, target }
}

type World = ReturnType<typeof world>

/** A fresh app over copies of the world's data, so the world stays the expected state. */
const appFor = (w: World) =>
  client(build(createApp, { tokens: { ...w.tokens }, docs: w.docs.map((d) => ({ ...d })) }))

const auth = (w: World, caller: Caller): Record<string, string> =>
  caller === 'anonymous' ? {} : { Authorization: `Bearer ${w.accounts[caller].token}` }

/** The request options for a caller, with a JSON body when given. */
const as = (w: World, caller: Caller, json?: unknown) => ({
  headers: auth(w, caller),
  ...(json === undefined ? {} : { json }),
})

const titleBody = (w: World) => ({ title: `${w.rng.word()} ${w.rng.word()}` })

const byId = (w: World, id: string) => w.docs.find((d) => d.id === id)!

function expectUnauthorized(res: Reply) {
  expect(res).toHaveStatus(401)
  expect(res).toHaveHeader('www-authenticate')
  const challenge = parseChallenge(res.headers['www-authenticate']!)
  focusOn(res)
  expect(challenge?.scheme, 'WWW-Authenticate must be a Bearer challenge').toBe('bearer')
  expect(res).toHaveJsonBody(expect.objectContaining({ error: 'unauthorized' }))
}

function expectForbidden(res: Reply) {
  expect(res).toHaveStatus(403)
  expect(res).toHaveJsonBody(expect.objectContaining({ error: 'forbidden' }))
}

function expectNotFound(res: Reply) {
  expect(res).toHaveStatus(404)
  expect(res).toHaveJsonBody(expect.objectContaining({ error: 'not_found' }))
}

/** The docs are exactly as seeded: nothing a refused request did stuck. */
async function expectUnchanged(api: ReturnType<typeof appFor>, w: World) {
  const res = await api.get('/api/docs')
  expect(res).toHaveStatus(200)
  expect(res, 'a refused request must leave every doc as it was').toHaveJsonBody(w.docs)
}

const INHERITED = ['constructor', '__proto__', 'toString', 'hasOwnProperty']

// ---- The matrix: the README's table, written out as data --------------------------------------

type Route = 'list' | 'create' | 'read' | 'patch' | 'delete' | 'lock'
type Cells = Partial<Record<Target | 'none', number>>

const ROUTES: Record<Route, { method: string; path: (id: string) => string; body: boolean }> = {
  list: { method: 'GET', path: () => '/api/docs', body: false },
  create: { method: 'POST', path: () => '/api/docs', body: true },
  read: { method: 'GET', path: (id) => `/api/docs/${id}`, body: false },
  patch: { method: 'PATCH', path: (id) => `/api/docs/${id}`, body: true },
  delete: { method: 'DELETE', path: (id) => `/api/docs/${id}`, body: false },
  lock: { method: 'POST', path: (id) => `/api/docs/${id}/lock`, body: false },
}

const all = (status: number): Cells => ({ own: status, ownLocked: status, other: status, otherLocked: status })
const unsafe = (ok: number) => ({
  anonymous: { other: 401, otherLocked: 401, missing: 401 },
  viewer: { own: ok, ownLocked: 403, other: 403, otherLocked: 403, missing: 404 },
  editor: { own: ok, ownLocked: 403, other: 403, otherLocked: 403, missing: 404 },
  admin: { ...all(ok), missing: 404 },
})

const MATRIX: Record<Route, Record<Caller, Cells>> = {
  list: { anonymous: { none: 200 }, viewer: { none: 200 }, editor: { none: 200 }, admin: { none: 200 } },
  create: { anonymous: { none: 401 }, viewer: { none: 403 }, editor: { none: 201 }, admin: { none: 201 } },
  read: {
    anonymous: { other: 200, otherLocked: 200, missing: 404 },
    viewer: { ...all(200), missing: 404 },
    editor: { ...all(200), missing: 404 },
    admin: { ...all(200), missing: 404 },
  },
  patch: unsafe(200),
  delete: unsafe(204),
  lock: {
    anonymous: { other: 401, otherLocked: 401, missing: 401 },
    viewer: { ...all(403), missing: 403 },
    editor: { ...all(403), missing: 403 },
    admin: { ...all(200), missing: 404 },
  },
}

const CALLERS: Caller[] = ['anonymous', 'viewer', 'editor', 'admin']
const MATRIX_ROWS = CALLERS.flatMap((caller) =>
  (Object.keys(ROUTES) as Route[]).map((route) => [caller, route] as const),
)

describe('permissions-policies', () => {
  task(1, 'Read the docs without signing in', () => {
    it('GET /api/docs answers 200 with every doc, in order, without a token', async () => {
      const w = world(random())
      const res = await appFor(w).get('/api/docs')
      expect(res).toHaveStatus(200)
      expect(res).toHaveJsonBody(w.docs)
    })

    it('GET /api/docs/:id answers 200 with the doc, locked ones too, without a token', async () => {
      const w = world(random())
      const api = appFor(w)
      for (const doc of [w.owned.editor.own, w.owned.admin.ownLocked, w.stranger]) {
        const res = await api.get(`/api/docs/${doc.id}`)
        expect(res).toHaveStatus(200)
        expect(res).toHaveJsonBody(doc)
      }
    })

    it('HEAD answers like GET without a body: 200 for a doc or the list, 404 for a missing doc', async () => {
      const w = world(random())
      const api = appFor(w)
      // HEAD is a safe method: the route check lets an anonymous caller through, as for GET.
      for (const caller of ['anonymous', 'viewer'] as const) {
        for (const path of ['/api/docs', `/api/docs/${w.owned.admin.ownLocked.id}`, `/api/docs/${w.stranger.id}`]) {
          const res = await api.head(path, as(w, caller))
          expect(res).toHaveStatus(200)
          expect(res).toHaveEmptyBody()
        }
        const missing = await api.head(`/api/docs/${w.missingId}`, as(w, caller))
        expect(missing).toHaveStatus(404)
        expect(missing).toHaveEmptyBody()
      }
      await expectUnchanged(api, w)
    })

    it('GET /api/docs/:id answers 404 for an id that is not in the app', async () => {
      const w = world(random())
      expectNotFound(await appFor(w).get(`/api/docs/${w.missingId}`))
    })

    it('an inherited property name (constructor, __proto__...) is not a doc: 404', async () => {
      const w = world(random())
      const api = appFor(w)
      for (const name of INHERITED) {
        expectNotFound(await api.get(`/api/docs/${name}`, as(w, 'admin')))
        expectNotFound(await api.patch(`/api/docs/${name}`, as(w, 'admin', titleBody(w))))
      }
    })

    it('keeps its own copy: the array given to createApp and other apps never change', async () => {
      const w = world(random())
      const given = w.docs.map((d) => ({ ...d }))
      const api = client(build(createApp, { tokens: w.tokens, docs: given }))
      const other = appFor(w)
      const { own } = w.owned.editor
      expect(await api.patch(`/api/docs/${own.id}`, as(w, 'editor', titleBody(w)))).toHaveStatus(200)
      expect(await api.delete(`/api/docs/${w.stranger.id}`, as(w, 'admin'))).toHaveStatus(204)
      expect(given, 'the array given to createApp still holds every doc, unchanged').toEqual(w.docs)
      await expectUnchanged(other, w)
    })
  })

  task(2, 'Anonymous is fine, a bad token is not', () => {
    it('a valid token, or no Authorization header at all, reads the public routes', async () => {
      const w = world(random())
      const api = appFor(w)
      for (const caller of CALLERS) {
        const res = await api.get('/api/docs', as(w, caller))
        expect(res).toHaveStatus(200)
        expect(res).toHaveJsonBody(w.docs)
      }
    })

    it('another scheme is no credentials: Basic or Token on a public route is anonymous', async () => {
      const w = world(random())
      const api = appFor(w)
      const { token } = w.accounts.admin
      for (const header of [`Basic ${Buffer.from(`x:${token}`).toString('base64')}`, `Token ${token}`, `Bearer${token}`]) {
        const headers = { Authorization: header }
        expect(await api.get(`/api/docs/${w.stranger.id}`, { headers })).toHaveStatus(200)
        // ...and anonymous on a protected route: 401, not signed in as the admin.
        expectUnauthorized(await api.post(`/api/docs/${w.stranger.id}/lock`, { headers }))
      }
    })

    const badBearer: [string, (w: World) => string][] = [
      ['an unknown token', (w) => `Bearer ${nearMiss(w.accounts.admin.token)}`],
      ['"Bearer" with nothing after it', () => 'Bearer'],
      ['a valid token followed by more words', (w) => `Bearer ${w.accounts.admin.token} x`],
      ['a valid token in another letter case', (w) => `Bearer ${swapCase(w.accounts.viewer.token)}`],
      ['the inherited name "constructor"', () => 'Bearer constructor'],
      ['the inherited name "__proto__"', () => 'bearer __proto__'],
    ]

    it.each(badBearer)('%s answers 401 even on the public GET /api/docs', async (_, header) => {
      const w = world(random())
      const res = await appFor(w).get('/api/docs', { headers: { Authorization: header(w) } })
      expectUnauthorized(res)
    })

    it.each(Object.keys(ROUTES) as Route[])(
      'an unknown Bearer token answers 401 on the %s route, whatever the doc',
      async (route) => {
        const w = world(random())
        const { method, path, body } = ROUTES[route]
        for (const id of [w.stranger.id, w.missingId]) {
          const headers = { Authorization: `Bearer ${w.rng.word(24, 30)}` }
          const options = body ? { headers, json: titleBody(w) } : { headers }
          expectUnauthorized(await appFor(w).send(method, path(id), options))
        }
      },
    )

    it('a bad Bearer token answers 401 on HEAD too', async () => {
      const w = world(random())
      const api = appFor(w)
      for (const path of ['/api/docs', `/api/docs/${w.stranger.id}`]) {
        const res = await api.head(path, { headers: { Authorization: `Bearer ${nearMiss(w.accounts.viewer.token)}` } })
        expect(res).toHaveStatus(401)
        expect(res).toHaveHeader('www-authenticate')
        focusOn(res)
        expect(parseChallenge(res.headers['www-authenticate']!)?.scheme, 'a Bearer challenge').toBe('bearer')
      }
    })

    it('accepts the Bearer scheme in any letter case', async () => {
      const w = world(random())
      const api = appFor(w)
      for (const scheme of ['bearer', 'BEARER']) {
        const headers = { Authorization: `${scheme} ${w.accounts.admin.token}` }
        expect(await api.post(`/api/docs/${w.stranger.id}/lock`, { headers })).toHaveStatus(200)
      }
    })
  })

  task(3, 'Editors create; 401 or 403 for everyone else', () => {
    it.each(['editor', 'admin'] as const)('an %s creates a doc: 201, owned by the caller, unlocked', async (role) => {
      const w = world(random())
      const api = appFor(w)
      const body = titleBody(w)
      const res = await api.post('/api/docs', as(w, role, body))
      expect(res).toHaveStatus(201)
      const expected = { ownerId: w.accounts[role].userId, title: body.title, locked: false }
      expect(res).toHaveJsonBody(expect.objectContaining({ ...expected, id: expect.any(String) }))
      const created = res.body as Doc
      focusOn(res)
      expect(w.docs.map((d) => d.id), 'a new doc needs an id no other doc has').not.toContain(created.id)
      const found = await api.get(`/api/docs/${encodeURIComponent(created.id)}`)
      expect(found).toHaveStatus(200)
      expect(found).toHaveJsonBody(expect.objectContaining({ id: created.id, ...expected }))
      const list = await api.get('/api/docs')
      expect(list).toHaveJsonBody([...w.docs, expect.objectContaining({ id: created.id, ...expected })])
    })

    it('two new docs get two different ids', async () => {
      const w = world(random())
      const api = appFor(w)
      const first = await api.post('/api/docs', as(w, 'editor', titleBody(w)))
      const second = await api.post('/api/docs', as(w, 'admin', titleBody(w)))
      expect(first).toHaveStatus(201)
      expect(second).toHaveStatus(201)
      focusOn(second)
      expect((second.body as Doc).id, 'each new doc gets its own id').not.toBe((first.body as Doc).id)
    })

    it('after deletes, a new doc still takes no id a doc of the app has, and overwrites none', async () => {
      const w = world(random())
      const api = appFor(w)
      // What the app should hold: the seeded docs, then every doc created, minus every one deleted.
      let expected: Doc[] = w.docs.map((d) => ({ ...d }))
      const rounds = w.rng.int(3, 5)
      for (let round = 0; round < rounds; round++) {
        const role = w.rng.pick(['editor', 'admin'] as const)
        const body = titleBody(w)
        const res = await api.post('/api/docs', as(w, role, body))
        expect(res).toHaveStatus(201)
        const created = res.body as Doc
        focusOn(res)
        expect(
          expected.map((d) => d.id),
          'a new doc needs an id no doc of the app has now, even after a delete',
        ).not.toContain(created.id)
        expected = [...expected, { id: created.id, ownerId: w.accounts[role].userId, title: body.title, locked: false }]
        // Delete some other doc (a seeded one first, then any but the newest), so the app
        // holds as many docs as before this round, and the next id must still be new.
        const candidates = round === 0 ? expected.filter((d) => w.docs.some((s) => s.id === d.id)) : expected.slice(0, -1)
        const victim = w.rng.pick(candidates)
        expect(await api.delete(`/api/docs/${encodeURIComponent(victim.id)}`, as(w, 'admin'))).toHaveStatus(204)
        expected = expected.filter((d) => d.id !== victim.id)
        const list = await api.get('/api/docs')
        expect(list, 'every other doc is still there, unchanged, in order').toHaveJsonBody(expected)
      }
      const last = await api.post('/api/docs', as(w, 'editor', titleBody(w)))
      expect(last).toHaveStatus(201)
      focusOn(last)
      expect(expected.map((d) => d.id), 'a new doc needs an id no doc of the app has').not.toContain(
        (last.body as Doc).id,
      )
      const list = await api.get('/api/docs')
      expect(list, 'the new doc comes last, and no other doc changed').toHaveJsonBody([
        ...expected,
        expect.objectContaining({ id: (last.body as Doc).id }),
      ])
    })

    it('ignores ownerId, locked and id in the body: the caller owns the new, unlocked doc', async () => {
      const w = world(random())
      const api = appFor(w)
      const body = { ...titleBody(w), ownerId: w.accounts.admin.userId, locked: true, id: w.stranger.id }
      const res = await api.post('/api/docs', as(w, 'editor', body))
      expect(res).toHaveStatus(201)
      expect(res).toHaveJsonBody(
        expect.objectContaining({ ownerId: w.accounts.editor.userId, title: body.title, locked: false }),
      )
      expect(await api.get(`/api/docs/${w.stranger.id}`)).toHaveJsonBody(w.stranger)
    })

    it('an anonymous POST answers 401 with a Bearer challenge, not 403', async () => {
      const w = world(random())
      const api = appFor(w)
      expectUnauthorized(await api.post('/api/docs', as(w, 'anonymous', titleBody(w))))
      await expectUnchanged(api, w)
    })

    it('a viewer POST answers 403, not 401, and creates nothing', async () => {
      const w = world(random())
      const api = appFor(w)
      expectForbidden(await api.post('/api/docs', as(w, 'viewer', titleBody(w))))
      await expectUnchanged(api, w)
    })

    const badBodies: [string, RequestBody][] = [
      ['no title', { json: { name: 'x' } }],
      ['an empty title', { json: { title: '' } }],
      ['a title that is not a string', { json: { title: 42 } }],
      ['a body that is not JSON', { body: '{"title": ', headers: { 'Content-Type': 'application/json' } }],
    ]

    it.each(badBodies)('an editor sending %s gets 400 invalid_body', async (_, bad) => {
      const w = world(random())
      const api = appFor(w)
      const res = await api.post('/api/docs', withAuth(w, 'editor', bad))
      expect(res).toHaveStatus(400)
      expect(res).toHaveJsonBody(expect.objectContaining({ error: 'invalid_body' }))
      await expectUnchanged(api, w)
    })

    it('the policy runs before the body: a broken body gets 403 from a viewer, 401 anonymous', async () => {
      const w = world(random())
      const api = appFor(w)
      for (const [, bad] of badBodies) {
        expectForbidden(await api.post('/api/docs', withAuth(w, 'viewer', bad)))
        expectUnauthorized(await api.post('/api/docs', withAuth(w, 'anonymous', bad)))
      }
    })
  })

  task(4, 'Owners edit, admins override, locks hold', () => {
    it('the owner edits their unlocked doc: 200 with the whole doc, new title', async () => {
      const w = world(random())
      const api = appFor(w)
      for (const role of ['viewer', 'editor'] as const) {
        const { own } = w.owned[role]
        const body = titleBody(w)
        const res = await api.patch(`/api/docs/${own.id}`, as(w, role, body))
        expect(res).toHaveStatus(200)
        expect(res).toHaveJsonBody({ ...own, title: body.title })
        expect(await api.get(`/api/docs/${own.id}`)).toHaveJsonBody({ ...own, title: body.title })
      }
    })

    it('the owner deletes their unlocked doc: 204, and it is gone', async () => {
      const w = world(random())
      const api = appFor(w)
      const { own } = w.owned.viewer
      const res = await api.delete(`/api/docs/${own.id}`, as(w, 'viewer'))
      expect(res).toHaveStatus(204)
      expect(res).toHaveEmptyBody()
      expectNotFound(await api.get(`/api/docs/${own.id}`))
      expect(await api.get('/api/docs')).toHaveJsonBody(w.docs.filter((d) => d.id !== own.id))
      expectNotFound(await api.delete(`/api/docs/${own.id}`, as(w, 'viewer')))
    })

    it("a signed-in non-owner gets 403 on someone else's doc, and it stays as it was", async () => {
      const w = world(random())
      const api = appFor(w)
      for (const role of ['viewer', 'editor'] as const) {
        const others = [w.owned.admin.own, w.stranger, w.owned[role === 'viewer' ? 'editor' : 'viewer'].own]
        for (const doc of others) {
          expectForbidden(await api.patch(`/api/docs/${doc.id}`, as(w, role, titleBody(w))))
          expectForbidden(await api.delete(`/api/docs/${doc.id}`, as(w, role)))
        }
      }
      await expectUnchanged(api, w)
    })

    it('ownership is the exact userId: a doc owned by a longer id is not yours', async () => {
      const w = world(random())
      const api = appFor(w)
      expectForbidden(await api.patch(`/api/docs/${w.twin.id}`, as(w, 'editor', titleBody(w))))
      const upper = { ...w.owned.editor.own, ownerId: w.accounts.editor.userId.toUpperCase() }
      const cased = client(build(createApp, { tokens: w.tokens, docs: [upper] }))
      expectForbidden(await cased.delete(`/api/docs/${upper.id}`, as(w, 'editor')))
      await expectUnchanged(api, w)
    })

    it("an admin edits and deletes anyone's doc, locked ones too", async () => {
      const w = world(random())
      const api = appFor(w)
      for (const doc of [w.owned.editor.own, w.owned.viewer.ownLocked, w.stranger]) {
        const body = titleBody(w)
        const res = await api.patch(`/api/docs/${doc.id}`, as(w, 'admin', body))
        expect(res).toHaveStatus(200)
        expect(res).toHaveJsonBody({ ...doc, title: body.title })
      }
      for (const doc of [w.owned.editor.ownLocked, w.twin]) {
        expect(await api.delete(`/api/docs/${doc.id}`, as(w, 'admin'))).toHaveStatus(204)
        expectNotFound(await api.get(`/api/docs/${doc.id}`))
      }
    })

    it('a locked doc is refused to its owner: 403 on PATCH and DELETE, unchanged', async () => {
      const w = world(random())
      const api = appFor(w)
      for (const role of ['viewer', 'editor'] as const) {
        const { ownLocked } = w.owned[role]
        expectForbidden(await api.patch(`/api/docs/${ownLocked.id}`, as(w, role, titleBody(w))))
        expectForbidden(await api.delete(`/api/docs/${ownLocked.id}`, as(w, role)))
      }
      await expectUnchanged(api, w)
    })

    it('a missing doc is 404 before the object check, for owners-to-be and admins alike', async () => {
      const w = world(random())
      const api = appFor(w)
      for (const role of ['viewer', 'editor', 'admin'] as const) {
        expectNotFound(await api.patch(`/api/docs/${w.missingId}`, as(w, role, titleBody(w))))
        expectNotFound(await api.delete(`/api/docs/${w.missingId}`, as(w, role)))
      }
    })

    it('an anonymous PATCH or DELETE is 401 at the route check, missing doc or not', async () => {
      const w = world(random())
      const api = appFor(w)
      for (const id of [w.stranger.id, w.missingId, w.owned.editor.own.id]) {
        expectUnauthorized(await api.patch(`/api/docs/${id}`, as(w, 'anonymous', titleBody(w))))
        expectUnauthorized(await api.delete(`/api/docs/${id}`, as(w, 'anonymous')))
      }
      await expectUnchanged(api, w)
    })

    it('PATCH changes only the title: ownerId, locked and id in the body are ignored', async () => {
      const w = world(random())
      const api = appFor(w)
      const { own } = w.owned.editor
      const body = { ...titleBody(w), ownerId: w.accounts.viewer.userId, locked: true, id: w.missingId }
      const res = await api.patch(`/api/docs/${own.id}`, as(w, 'editor', body))
      expect(res).toHaveStatus(200)
      expect(res).toHaveJsonBody({ ...own, title: body.title })
      // Still the editor's, still unlocked: the viewer may not touch it, the editor may.
      expectForbidden(await api.delete(`/api/docs/${own.id}`, as(w, 'viewer')))
      expect(await api.delete(`/api/docs/${own.id}`, as(w, 'editor'))).toHaveStatus(204)
    })

    it('the owner with a bad PATCH body gets 400; a non-owner gets 403, not 400', async () => {
      const w = world(random())
      const api = appFor(w)
      const { own } = w.owned.viewer
      const res = await api.patch(`/api/docs/${own.id}`, as(w, 'viewer', { title: '' }))
      expect(res).toHaveStatus(400)
      expect(res).toHaveJsonBody(expect.objectContaining({ error: 'invalid_body' }))
      expectForbidden(await api.patch(`/api/docs/${own.id}`, as(w, 'editor', { title: 7 })))
      expectNotFound(await api.patch(`/api/docs/${w.missingId}`, as(w, 'editor', {})))
      await expectUnchanged(api, w)
    })
  })

  task(5, 'Admins lock, and the route check comes first', () => {
    it('an admin locks a doc: 200 with locked true; then its owner is refused', async () => {
      const w = world(random())
      const api = appFor(w)
      const { own } = w.owned.editor
      const res = await api.post(`/api/docs/${own.id}/lock`, as(w, 'admin'))
      expect(res).toHaveStatus(200)
      expect(res).toHaveJsonBody({ ...own, locked: true })
      expect(await api.get(`/api/docs/${own.id}`)).toHaveJsonBody({ ...own, locked: true })
      expectForbidden(await api.patch(`/api/docs/${own.id}`, as(w, 'editor', titleBody(w))))
    })

    it('locking a locked doc answers 200 with the doc, still locked', async () => {
      const w = world(random())
      const { ownLocked } = w.owned.viewer
      const res = await appFor(w).post(`/api/docs/${ownLocked.id}/lock`, as(w, 'admin'))
      expect(res).toHaveStatus(200)
      expect(res).toHaveJsonBody(ownLocked)
    })

    it('an editor or viewer gets 403 on lock, their own doc included, and nothing changes', async () => {
      const w = world(random())
      const api = appFor(w)
      for (const role of ['viewer', 'editor'] as const) {
        for (const doc of [w.owned[role].own, w.stranger]) {
          expectForbidden(await api.post(`/api/docs/${doc.id}/lock`, as(w, role)))
        }
      }
      await expectUnchanged(api, w)
    })

    it('a non-admin locking a missing doc gets 403, not 404: the route check runs first', async () => {
      const w = world(random())
      const api = appFor(w)
      for (const role of ['viewer', 'editor'] as const) {
        expectForbidden(await api.post(`/api/docs/${w.missingId}/lock`, as(w, role)))
      }
    })

    it('an anonymous lock is 401, missing doc or not', async () => {
      const w = world(random())
      const api = appFor(w)
      for (const id of [w.missingId, w.stranger.id]) {
        expectUnauthorized(await api.post(`/api/docs/${id}/lock`))
      }
      await expectUnchanged(api, w)
    })

    it('an admin locking a missing doc gets 404', async () => {
      const w = world(random())
      expectNotFound(await appFor(w).post(`/api/docs/${w.missingId}/lock`, as(w, 'admin')))
    })
  })

  task(6, 'The whole matrix', () => {
    it.each(MATRIX_ROWS)('%s: %s answers as the matrix says, on every target', async (caller, route) => {
      const w = world(random())
      const { method, path, body } = ROUTES[route]
      const wrong: string[] = []
      for (const [which, status] of Object.entries(MATRIX[route][caller]) as [Target | 'none', number][]) {
        const id = which === 'none' ? '' : w.target(caller, which)
        const res = await appFor(w).send(method, path(id), as(w, caller, body ? titleBody(w) : undefined))
        if (res.status !== status) {
          wrong.push(`${method} ${path(id)} (${which === 'none' ? 'no doc' : which}): expected ${status}, got ${res.status}`)
        }
      }
      expect(wrong, `${caller}: these ${route} requests differ from the matrix`).toEqual([])
    })
  })
})

type RequestBody = { json?: unknown; body?: string; headers?: Record<string, string> }

/** A request with a (possibly broken) body, signed in as `caller`. */
function withAuth(w: World, caller: Caller, request: RequestBody) {
  return { ...request, headers: { ...(request.headers ?? {}), ...auth(w, caller) } }
}

/** A token one character away from a real one. */
function nearMiss(token: string) {
  return `${token.slice(0, -1)}${token.endsWith('x') ? 'y' : 'x'}`
}

/** The same token with every letter in the other case. */
function swapCase(token: string) {
  return [...token].map((ch) => (ch === ch.toLowerCase() ? ch.toUpperCase() : ch.toLowerCase())).join('')
}
