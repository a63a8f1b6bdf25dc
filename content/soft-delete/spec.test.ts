// soft-delete - the hidden spec.
//
// Wrong implementations this spec is built to catch:
// - a hard delete: the document is removed, so the trash is empty and restore answers 404
// - filters deleted documents on one read path only: the item route hides them but the list,
//   the search (`?q=`) or the count still shows them; or documents deleted before the app
//   started (seeded with a deletedAt) are treated as live
// - stamps deletedAt from Date.now() / new Date() instead of the injected now(), stores the
//   milliseconds instead of an ISO string, or keeps the first deletedAt after a restore and a
//   second delete
// - answers a second DELETE of the same document with 204 (it is already gone for clients), or
//   lets a second DELETE move the deletedAt of an already deleted document
// - honours `?include=deleted` for members or anonymous callers, answers 404 or 401 to a member
//   instead of 403, or a 401 without a Bearer challenge; treats `Bearer constructor` (or
//   `__proto__`, `toString`) as a token, reads a token under another scheme, or wants `Bearer` in
//   one letter case
// - treats any `include` value as include=deleted, shows the trash to an admin who did not ask
//   for it, or checks the Authorization header on a plain GET /api/documents
// - shows a deleted document to an admin on GET /api/documents/:id
// - include=deleted for admins that still hides deleted documents, drops deletedAt, ignores `q`
//   or lists documents in another order
// - restore that leaves deletedAt set, sets it to the string "null" or drops the field, moves
//   the document to the end of the list, or works for members; looks the document up before
//   the role check (a member gets 404 for a missing id, or 409 for a live one, instead of 403),
//   or answers an anonymous restore of a missing id with 404 instead of 401
// - restore of a live document answering 200 instead of 409, or of an unknown id anything but 404
// - slug uniqueness checked against deleted documents too (a freed slug stays reserved), or not
//   checked at all; restore that brings back a slug a live document has taken since, or both of
//   two deleted documents that share a slug
// - a title of spaces accepted, or a slug with other characters
// - reuses a deleted document's id for a new one (or any id in use, e.g. counted from the number of
//   documents), or creates without signing in
// - writes deletedAt on the caller's objects, keeps them and copies only on write (so the caller's
//   later edits show), or keeps documents at module level shared by apps
import { describe, expect, it } from 'vitest'
import {
  build,
  client,
  fakeClock,
  focusOn,
  parseChallenge,
  random,
  task,
  type Client,
  type Reply,
  type Rng,
} from '../../harness/spec-kit/index.ts'
import { createApp, type Document, type User } from '../../exercises/soft-delete/app.ts'

const MINUTE = 60_000
const DAY = 86_400_000
const START = Date.UTC(2037, 4, 17, 9, 30)
const TOKEN_CHARS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~'

interface Account extends User {
  token: string
}

const iso = (ms: number) => new Date(ms).toISOString()

/**
 * An admin, two members and 5 to 9 documents in shuffled order: some live, some deleted days
 * before the clock starts. Ids and slugs are unique across all of them.
 */
function world(rng: Rng) {
  const used = new Set<string>()
  const unique = (make: () => string) => {
    let value = make()
    while (used.has(value)) value = make()
    used.add(value)
    return value
  }
  const account = (role: User['role']): Account => ({
    token: unique(() =>
      Array.from({ length: rng.int(20, 32) }, () => rng.pick([...TOKEN_CHARS])).join(''),
    ),
    userId: unique(() => `user-${rng.word(3, 7)}`),
    role,
  })
  const admin = account('admin')
  const member = account('member')
  const otherMember = account('member')
  const doc = (deletedAt: string | null): Document => ({
    id: unique(() => `${rng.word(3, 6)}${rng.int(1, 99)}`),
    slug: unique(() => `${rng.word(3, 7)}-${rng.word(3, 7)}`),
    title: `${rng.word()} ${rng.word()}`,
    deletedAt,
  })
  const live = Array.from({ length: rng.int(3, 6) }, () => doc(null))
  const deleted = Array.from({ length: rng.int(2, 3) }, () =>
    doc(iso(START - rng.int(1, 30 * DAY))),
  )
  const documents = rng.shuffle([...live, ...deleted])
  const tokens: Record<string, User> = {}
  for (const { token, userId, role } of [admin, member, otherMember]) {
    tokens[token] = { userId, role }
  }
  const clock = fakeClock(START + rng.int(0, DAY))
  const missingId = unique(() => `gone-${rng.word()}`)
  return { admin, member, otherMember, live, deleted, documents, tokens, clock, missingId }
}

type World = ReturnType<typeof world>

/** A fresh app over copies of the world's data, reading time from the world's clock. */
const appFor = (w: World): Client =>
  client(
    build(createApp, {
      documents: structuredClone(w.documents),
      tokens: { ...w.tokens },
      now: w.clock.now,
    }),
  )

const bearer = (account: Account) => ({ headers: { Authorization: `Bearer ${account.token}` } })

const liveOf = (docs: Document[]) => docs.filter((d) => d.deletedAt === null)

/** The world's documents with some of them changed, in the same order. */
const withChanges = (docs: Document[], changes: Record<string, Partial<Document>>) =>
  docs.map((d) => ({ ...d, ...changes[d.id] }))

const NOT_FOUND = expect.objectContaining({ error: 'not_found' })

/** The GET /api/stats body: `documents` is the live count; other fields are allowed. */
const statsBody = (documents: number) => expect.objectContaining({ documents })

/** Soft-deletes `doc` as the member at the current clock time; returns the expected deletedAt. */
async function softDelete(api: Client, w: World, doc: Document) {
  const res = await api.delete(`/api/documents/${doc.id}`, bearer(w.member))
  expect(res).toHaveStatus(204)
  return iso(w.clock.now())
}

/** A 401 with a Bearer challenge and the unauthorized error. */
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

describe('soft-delete', () => {
  task(1, 'Hide documents that are already deleted', () => {
    it('GET /api/documents lists only the live documents, in the order given', async () => {
      const rng = random()
      const w = world(rng)
      const res = await appFor(w).get('/api/documents')
      expect(res).toHaveStatus(200)
      expect(res).toHaveJsonBody(liveOf(w.documents))
    })

    it('GET /api/documents/:id answers 200 with a live document, deletedAt null', async () => {
      const rng = random()
      const w = world(rng)
      const doc = rng.pick(w.live)
      const res = await appFor(w).get(`/api/documents/${doc.id}`)
      expect(res).toHaveStatus(200)
      expect(res).toHaveJsonBody(doc)
    })

    it('GET /api/documents/:id answers 404 for a document that was already deleted', async () => {
      const rng = random()
      const w = world(rng)
      const api = appFor(w)
      for (const doc of w.deleted) {
        const res = await api.get(`/api/documents/${doc.id}`)
        expect(res).toHaveStatus(404)
        expect(res).toHaveJsonBody(NOT_FOUND)
        // Gone for everyone: an admin's token changes nothing on this route.
        const asAdmin = await api.get(`/api/documents/${doc.id}`, bearer(w.admin))
        expect(asAdmin).toHaveStatus(404)
        expect(asAdmin).toHaveJsonBody(NOT_FOUND)
      }
    })

    it('GET /api/stats counts live documents only', async () => {
      const rng = random()
      const w = world(rng)
      const res = await appFor(w).get('/api/stats')
      expect(res).toHaveStatus(200)
      expect(res).toHaveJsonBody(statsBody(w.live.length))
    })

    it('GET /api/documents?q= searches titles in any case, skipping deleted ones', async () => {
      const rng = random()
      const w = world(rng)
      // One word shared by a live and a deleted title, so the search must filter both ways.
      const term = rng.word(6, 9)
      const hits = [rng.pick(w.live), rng.pick(w.deleted)]
      for (const doc of hits) doc.title = `${rng.word(3, 6)} ${term}${rng.word(0, 3)}`
      const res = await appFor(w).get(`/api/documents?q=${term.toUpperCase()}`)
      expect(res).toHaveStatus(200)
      expect(res).toHaveJsonBody(liveOf(w.documents).filter((d) => d.title.includes(term)))
    })

    it("keeps its own copy: the caller's later edits to the documents do not show", async () => {
      const rng = random()
      const w = world(rng)
      const given = structuredClone(w.documents)
      const api = client(build(createApp, { documents: given, tokens: w.tokens, now: w.clock.now }))
      // After createApp, before any request: the caller deletes one, revives one, renames one and
      // adds one of its own.
      const [gone, renamed] = rng.shuffle(liveOf(given))
      gone!.deletedAt = iso(w.clock.now())
      renamed!.title = `${renamed!.title} changed`
      given.find((d) => d.deletedAt !== null && d !== gone)!.deletedAt = null
      given.push({ id: w.missingId, slug: `${rng.word()}-new`, title: rng.word(), deletedAt: null })
      expect(await api.get('/api/documents')).toHaveJsonBody(liveOf(w.documents))
      expect(await api.get('/api/stats')).toHaveJsonBody(statsBody(w.live.length))
      expect(await api.get(`/api/documents/${gone!.id}`)).toHaveJsonBody(
        w.documents.find((d) => d.id === gone!.id)!,
      )
      expect(await api.get(`/api/documents/${w.missingId}`)).toHaveStatus(404)
    })
  })

  task(2, 'Show admins the trash with ?include=deleted', () => {
    it('lists every document in the order given, deleted ones with their deletedAt', async () => {
      const rng = random()
      const w = world(rng)
      const res = await appFor(w).get('/api/documents?include=deleted', bearer(w.admin))
      expect(res).toHaveStatus(200)
      expect(res).toHaveJsonBody(w.documents)
    })

    it('applies ?q= to deleted documents too', async () => {
      const rng = random()
      const w = world(rng)
      const term = rng.word(6, 9)
      for (const doc of [rng.pick(w.live), ...w.deleted.slice(1)]) {
        doc.title = `${term}${rng.word(0, 3)} ${rng.word(3, 6)}`
      }
      const res = await appFor(w).get(`/api/documents?include=deleted&q=${term}`, bearer(w.admin))
      expect(res).toHaveStatus(200)
      expect(res).toHaveJsonBody(w.documents.filter((d) => d.title.includes(term)))
    })

    it('answers 403, not 404 or a filtered list, to a member asking for the trash', async () => {
      const rng = random()
      const w = world(rng)
      const res = await appFor(w).get('/api/documents?include=deleted', bearer(w.member))
      expectForbidden(res)
    })

    it.each([
      ['no Authorization header', (_: World) => undefined],
      ['an unknown token', (w: World) => `Bearer ${w.admin.token.slice(0, -1)}`],
      ['the inherited name "constructor" as a token', (_: World) => 'Bearer constructor'],
      ['the inherited name "__proto__" as a token', (_: World) => 'Bearer __proto__'],
      ['the inherited name "toString" as a token', (_: World) => 'Bearer toString'],
      ['an admin token under another scheme', (w: World) => `Basic ${w.admin.token}`],
      ['an empty Bearer token', (_: World) => 'Bearer '],
    ])('answers 401 to include=deleted with %s', async (_, header) => {
      const rng = random()
      const w = world(rng)
      const value = header(w)
      const res = await appFor(w).get('/api/documents?include=deleted', {
        headers: value === undefined ? {} : { Authorization: value },
      })
      expectUnauthorized(res)
    })

    it('accepts the Bearer scheme in any letter case', async () => {
      const rng = random()
      const w = world(rng)
      const api = appFor(w)
      for (const scheme of ['bearer', 'BEARER', 'bEaReR']) {
        const headers = { Authorization: `${scheme} ${w.admin.token}` }
        const res = await api.get('/api/documents?include=deleted', { headers })
        expect(res).toHaveStatus(200)
        expect(res).toHaveJsonBody(w.documents)
      }
    })

    it('ignores the token, and other include values, without include=deleted', async () => {
      const rng = random()
      const w = world(rng)
      const api = appFor(w)
      const live = liveOf(w.documents)
      // An admin without include=deleted sees what everyone sees; a bad token is not checked.
      expect(await api.get('/api/documents', bearer(w.admin))).toHaveJsonBody(live)
      const junk = { headers: { Authorization: `Bearer ${w.admin.token}x` } }
      const anyone = await api.get('/api/documents', junk)
      expect(anyone).toHaveStatus(200)
      expect(anyone).toHaveJsonBody(live)
      for (const include of ['all', 'DELETED', 'deleted,all', '', 'true']) {
        for (const who of [{}, bearer(w.member), bearer(w.admin)]) {
          const res = await api.get(`/api/documents?include=${encodeURIComponent(include)}`, who)
          expect(res).toHaveStatus(200)
          expect(res).toHaveJsonBody(live)
        }
      }
    })
  })

  task(3, 'Delete softly, stamped by the clock', () => {
    it('answers 204 with an empty body for a signed-in member', async () => {
      const rng = random()
      const w = world(rng)
      const doc = rng.pick(w.live)
      const res = await appFor(w).delete(`/api/documents/${doc.id}`, bearer(w.member))
      expect(res).toHaveStatus(204)
      expect(res).toHaveEmptyBody()
    })

    it('hides the document from GET /api/documents/:id afterwards (404)', async () => {
      const rng = random()
      const w = world(rng)
      const api = appFor(w)
      const doc = rng.pick(w.live)
      await softDelete(api, w, doc)
      const res = await api.get(`/api/documents/${doc.id}`)
      expect(res).toHaveStatus(404)
      expect(res).toHaveJsonBody(NOT_FOUND)
    })

    it('hides the document from GET /api/documents afterwards', async () => {
      const rng = random()
      const w = world(rng)
      const api = appFor(w)
      const doc = rng.pick(w.live)
      await softDelete(api, w, doc)
      const res = await api.get('/api/documents')
      expect(res).toHaveJsonBody(liveOf(w.documents).filter((d) => d.id !== doc.id))
    })

    it('hides the document from searches and from GET /api/stats afterwards', async () => {
      const rng = random()
      const w = world(rng)
      const api = appFor(w)
      const doc = rng.pick(w.live)
      await softDelete(api, w, doc)
      const search = await api.get(`/api/documents?q=${encodeURIComponent(doc.title)}`)
      expect(search).toHaveStatus(200)
      expect(search).toHaveJsonBody(
        liveOf(w.documents).filter((d) => d.id !== doc.id && d.title.includes(doc.title)),
      )
      const stats = await api.get('/api/stats')
      expect(stats).toHaveJsonBody(statsBody(w.live.length - 1))
    })

    it('stamps deletedAt with the injected clock as an ISO 8601 string', async () => {
      const rng = random()
      const w = world(rng)
      const api = appFor(w)
      const [first, second] = rng.shuffle(w.live)
      w.clock.advance(rng.int(1, 50) * MINUTE + rng.int(1, 999))
      const firstAt = await softDelete(api, w, first!)
      w.clock.advance(rng.int(1, 3) * DAY + rng.int(1, 999))
      const secondAt = await softDelete(api, w, second!)
      w.clock.advance(DAY)
      const res = await api.get('/api/documents?include=deleted', bearer(w.admin))
      expect(res).toHaveJsonBody(
        withChanges(w.documents, {
          [first!.id]: { deletedAt: firstAt },
          [second!.id]: { deletedAt: secondAt },
        }),
      )
    })

    it('answers 404 to a second DELETE of the same document, keeping its deletedAt', async () => {
      const rng = random()
      const w = world(rng)
      const api = appFor(w)
      const doc = rng.pick(w.live)
      const deletedAt = await softDelete(api, w, doc)
      w.clock.advance(MINUTE)
      const again = await api.delete(`/api/documents/${doc.id}`, bearer(w.member))
      expect(again).toHaveStatus(404)
      expect(again).toHaveJsonBody(NOT_FOUND)
      const all = await api.get('/api/documents?include=deleted', bearer(w.admin))
      expect(all).toHaveJsonBody(withChanges(w.documents, { [doc.id]: { deletedAt } }))
    })

    it('answers 404 for a document deleted before the app started, or never there', async () => {
      const rng = random()
      const w = world(rng)
      const api = appFor(w)
      for (const id of [...w.deleted.map((d) => d.id), w.missingId]) {
        const res = await api.delete(`/api/documents/${id}`, bearer(w.admin))
        expect(res).toHaveStatus(404)
      }
      // Their deletedAt stays as it was.
      const all = await api.get('/api/documents?include=deleted', bearer(w.admin))
      expect(all).toHaveJsonBody(w.documents)
    })

    it.each([
      ['no Authorization header', (_: World) => undefined],
      ['an unknown token', (w: World) => `Bearer ${w.admin.token}x`],
    ])('answers 401 to %s and deletes nothing', async (_, header) => {
      const rng = random()
      const w = world(rng)
      const api = appFor(w)
      const doc = rng.pick(w.live)
      const value = header(w)
      const res = await api.delete(`/api/documents/${doc.id}`, {
        headers: value === undefined ? {} : { Authorization: value },
      })
      expectUnauthorized(res)
      expect(await api.get(`/api/documents/${doc.id}`)).toHaveStatus(200)
    })

    it('keeps each app its own documents', async () => {
      const rng = random()
      const w = world(rng)
      const first = appFor(w)
      const second = appFor(w)
      await softDelete(first, w, w.live[0]!)
      expect(await second.get('/api/documents')).toHaveJsonBody(liveOf(w.documents))
      expect(await appFor(w).get('/api/documents')).toHaveJsonBody(liveOf(w.documents))
    })
  })

  task(4, 'Restore a deleted document', () => {
    it('brings a deleted document back: 200 with deletedAt null, readable again', async () => {
      const rng = random()
      const w = world(rng)
      const api = appFor(w)
      const doc = rng.pick(w.live)
      await softDelete(api, w, doc)
      w.clock.advance(MINUTE)
      const res = await api.post(`/api/documents/${doc.id}/restore`, bearer(w.admin))
      expect(res).toHaveStatus(200)
      expect(res).toHaveJsonBody(doc)
      const item = await api.get(`/api/documents/${doc.id}`)
      expect(item).toHaveStatus(200)
      expect(item).toHaveJsonBody(doc)
    })

    it('puts a restored document back in its place in the list and the count', async () => {
      const rng = random()
      const w = world(rng)
      const api = appFor(w)
      const doc = rng.pick(w.deleted)
      expect(await api.post(`/api/documents/${doc.id}/restore`, bearer(w.admin))).toHaveStatus(200)
      const restored = withChanges(w.documents, { [doc.id]: { deletedAt: null } })
      expect(await api.get('/api/documents')).toHaveJsonBody(liveOf(restored))
      expect(await api.get('/api/stats')).toHaveJsonBody(statsBody(w.live.length + 1))
      const all = await api.get('/api/documents?include=deleted', bearer(w.admin))
      expect(all).toHaveJsonBody(restored)
    })

    it('lets a restored document be deleted again, with a new deletedAt', async () => {
      const rng = random()
      const w = world(rng)
      const api = appFor(w)
      const doc = rng.pick(w.live)
      await softDelete(api, w, doc)
      w.clock.advance(rng.int(1, 9) * MINUTE)
      expect(await api.post(`/api/documents/${doc.id}/restore`, bearer(w.admin))).toHaveStatus(200)
      w.clock.advance(rng.int(1, 9) * DAY)
      const deletedAt = await softDelete(api, w, doc)
      const all = await api.get('/api/documents?include=deleted', bearer(w.admin))
      expect(all).toHaveJsonBody(withChanges(w.documents, { [doc.id]: { deletedAt } }))
    })

    it('answers 409 not_deleted for a live document, and changes nothing', async () => {
      const rng = random()
      const w = world(rng)
      const api = appFor(w)
      const doc = rng.pick(w.live)
      const res = await api.post(`/api/documents/${doc.id}/restore`, bearer(w.admin))
      expect(res).toHaveStatus(409)
      expect(res).toHaveJsonBody(expect.objectContaining({ error: 'not_deleted' }))
      expect(await api.get(`/api/documents/${doc.id}`)).toHaveJsonBody(doc)
    })

    it('answers 404 to an admin for an id no document has', async () => {
      const rng = random()
      const w = world(rng)
      const res = await appFor(w).post(`/api/documents/${w.missingId}/restore`, bearer(w.admin))
      expect(res).toHaveStatus(404)
      expect(res).toHaveJsonBody(NOT_FOUND)
    })

    it('answers 403 to a member, whatever the document, and restores nothing', async () => {
      const rng = random()
      const w = world(rng)
      const api = appFor(w)
      const doc = rng.pick(w.deleted)
      expectForbidden(await api.post(`/api/documents/${doc.id}/restore`, bearer(w.member)))
      expectForbidden(await api.post(`/api/documents/${w.missingId}/restore`, bearer(w.member)))
      // A live document too: 403, not 409 not_deleted.
      const live = rng.pick(w.live)
      expectForbidden(await api.post(`/api/documents/${live.id}/restore`, bearer(w.member)))
      expect(await api.get(`/api/documents/${doc.id}`)).toHaveStatus(404)
    })

    it('answers 401 without a valid token, whatever the id', async () => {
      const rng = random()
      const w = world(rng)
      const api = appFor(w)
      // Before any lookup: the same 401 for a deleted, a live and a missing id.
      for (const id of [rng.pick(w.deleted).id, rng.pick(w.live).id, w.missingId]) {
        expectUnauthorized(await api.post(`/api/documents/${id}/restore`))
        const unknown = { headers: { Authorization: `Bearer ${w.admin.token}x` } }
        expectUnauthorized(await api.post(`/api/documents/${id}/restore`, unknown))
      }
      expect(await api.get('/api/documents?include=deleted', bearer(w.admin))).toHaveJsonBody(
        w.documents,
      )
    })

    it('leaves the documents passed to createApp unchanged', async () => {
      const rng = random()
      const w = world(rng)
      const given = structuredClone(w.documents)
      const api = client(build(createApp, { documents: given, tokens: w.tokens, now: w.clock.now }))
      const [live, deleted] = [w.live[0]!, w.deleted[0]!]
      await softDelete(api, w, live)
      const restore = await api.post(`/api/documents/${deleted.id}/restore`, bearer(w.admin))
      expect(restore).toHaveStatus(200)
      expect(given).toEqual(w.documents)
    })
  })

  task(5, 'Keep slugs unique among live documents', () => {
    it('creates a live document: 201, a fresh id, listed last and readable', async () => {
      const rng = random()
      const w = world(rng)
      const api = appFor(w)
      const input = { slug: `${rng.word()}-${rng.word()}`, title: `${rng.word()} ${rng.word()}` }
      const res = await api.post('/api/documents', { ...bearer(w.member), json: input })
      expect(res).toHaveStatus(201)
      expect(res).toHaveJsonBody({ id: expect.any(String), ...input, deletedAt: null })
      const created = res.body as Document
      focusOn(res)
      expect(
        w.documents.map((d) => d.id),
        'a new document must not reuse the id of any document, deleted ones included',
      ).not.toContain(created.id)
      expect(await api.get(`/api/documents/${created.id}`)).toHaveJsonBody(created)
      expect(await api.get('/api/documents')).toHaveJsonBody([...liveOf(w.documents), created])
    })

    it('never gives a new document the id of another one, whatever the ids look like', async () => {
      const rng = random()
      const w = world(rng)
      // The seed ids look like server-made ones and skip a number, so counting documents (or
      // starting a counter at 1) lands on an id in use; some of them belong to deleted documents.
      const documents = w.documents.map((d, i) => ({ ...d, id: `doc-${i + 2}` }))
      const api = client(build(createApp, { documents, tokens: w.tokens, now: w.clock.now }))
      const created: Document[] = []
      for (let n = 0; n < 3; n++) {
        const input = { slug: `${rng.word()}-${n}`, title: rng.word() }
        const res = await api.post('/api/documents', { ...bearer(w.member), json: input })
        expect(res).toHaveStatus(201)
        created.push(res.body as Document)
      }
      const ids = [...documents, ...created].map((d) => d.id)
      const all = await api.get('/api/documents?include=deleted', bearer(w.admin))
      focusOn(all)
      const message = `ids in use after three creates: ${ids.join(', ')}`
      expect(new Set(ids).size, message).toBe(ids.length)
      expect(all).toHaveJsonBody([...documents, ...created])
    })

    it('answers 409 slug_taken for the slug of a live document, and creates nothing', async () => {
      const rng = random()
      const w = world(rng)
      const api = appFor(w)
      const input = { slug: rng.pick(w.live).slug, title: rng.word() }
      const res = await api.post('/api/documents', { ...bearer(w.member), json: input })
      expect(res).toHaveStatus(409)
      expect(res).toHaveJsonBody(expect.objectContaining({ error: 'slug_taken' }))
      expect(await api.get('/api/documents')).toHaveJsonBody(liveOf(w.documents))
    })

    it('frees the slug of a deleted document: creating with it answers 201', async () => {
      const rng = random()
      const w = world(rng)
      const api = appFor(w)
      const doc = rng.pick(w.live)
      const deletedAt = await softDelete(api, w, doc)
      const input = { slug: doc.slug, title: rng.word() }
      const res = await api.post('/api/documents', { ...bearer(w.member), json: input })
      expect(res).toHaveStatus(201)
      expect(res).toHaveJsonBody({ id: expect.any(String), ...input, deletedAt: null })
      const all = await api.get('/api/documents?include=deleted', bearer(w.admin))
      expect(all).toHaveJsonBody([
        ...withChanges(w.documents, { [doc.id]: { deletedAt } }),
        res.body,
      ])
    })

    it('answers 409 slug_taken to a restore whose slug a live document now holds', async () => {
      const rng = random()
      const w = world(rng)
      const api = appFor(w)
      const doc = rng.pick(w.deleted)
      const input = { slug: doc.slug, title: rng.word() }
      const taken = await api.post('/api/documents', { ...bearer(w.otherMember), json: input })
      expect(taken).toHaveStatus(201)
      const res = await api.post(`/api/documents/${doc.id}/restore`, bearer(w.admin))
      expect(res).toHaveStatus(409)
      expect(res).toHaveJsonBody(expect.objectContaining({ error: 'slug_taken' }))
      const all = await api.get('/api/documents?include=deleted', bearer(w.admin))
      expect(all).toHaveJsonBody([...w.documents, taken.body])
    })

    it('restores only one of two deleted documents that share a slug', async () => {
      const rng = random()
      const w = world(rng)
      // Slugs are unique among live documents only: two deleted ones may share one.
      const [first, second] = w.deleted as [Document, Document]
      second.slug = first.slug
      const api = appFor(w)
      const [winner, loser] = rng.shuffle([first, second])
      const restored = await api.post(`/api/documents/${winner!.id}/restore`, bearer(w.admin))
      expect(restored).toHaveStatus(200)
      const res = await api.post(`/api/documents/${loser!.id}/restore`, bearer(w.admin))
      expect(res).toHaveStatus(409)
      expect(res).toHaveJsonBody(expect.objectContaining({ error: 'slug_taken' }))
      const all = await api.get('/api/documents?include=deleted', bearer(w.admin))
      expect(all).toHaveJsonBody(withChanges(w.documents, { [winner!.id]: { deletedAt: null } }))
    })

    it.each([
      ['a missing title', { slug: 'fine-slug' }],
      ['an empty slug', { slug: '', title: 'Title' }],
      ['a slug with spaces and capitals', { slug: 'Not A Slug', title: 'Title' }],
      ['a title that is not a string', { slug: 'fine-slug', title: 42 }],
      ['a title of spaces only', { slug: 'fine-slug', title: '   ' }],
      ['a slug with an underscore', { slug: 'fine_slug', title: 'Title' }],
      ['a slug that is not a string', { slug: 7, title: 'Title' }],
      ['an array', [{ slug: 'fine-slug', title: 'Title' }]],
      ['null', null],
    ])('answers 400 invalid_document to %s', async (_, input) => {
      const rng = random()
      const w = world(rng)
      const api = appFor(w)
      const res = await api.post('/api/documents', { ...bearer(w.member), json: input })
      expect(res).toHaveStatus(400)
      expect(res).toHaveJsonBody(expect.objectContaining({ error: 'invalid_document' }))
      expect(await api.get('/api/documents')).toHaveJsonBody(liveOf(w.documents))
    })

    it('answers 401 to a POST without a token', async () => {
      const rng = random()
      const w = world(rng)
      const res = await appFor(w).post('/api/documents', { json: { slug: 'a-b', title: 'T' } })
      expectUnauthorized(res)
    })
  })
})
