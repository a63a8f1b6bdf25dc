// method-semantics - the hidden spec.
//
// Wrong implementations this spec is built to catch:
// - relies on Hono's automatic HEAD alone, which drops the Content-Length GET sends
// - a HEAD shortcut (`if (c.req.method === 'HEAD') return c.body(null)`) that answers 200 for a
//   missing note, or leaves out Content-Type / Content-Length / any other header GET has
// - GET (or HEAD) that changes what a client can see: a view counter or "last read" field in the
//   note, notes reordered by last access, a missing note created on read
// - OPTIONS not implemented (falls into the 405 fallback, or Hono's 404), OPTIONS without Allow,
//   or Allow with the wrong methods: one list shared by both routes, HEAD or OPTIONS left out
// - no 405: unsupported methods fall through to 404; a 405 without Allow; 405 only for a fixed
//   list of methods (PURGE slips through); a catch-all that answers 405 on unknown paths too
// - an unsupported method that still does something (DELETE /notes clearing the store)
// - PUT that merges (keeps text or tags the body left out) or appends tags, so a repeated PUT
//   piles up changes; PUT that creates a missing note
// - DELETE that crashes (500) or answers 204 the second time; DELETE that removes the wrong note
// - POST treated as idempotent (a second identical POST returning the first note)
// - a module-level store, or the caller's notes edited in place, or copied shallowly (the
//   caller's later edits to a tags array leak into the app)
// - a Content-Length set by hand as the string length, not the byte length (non-ASCII text)
// - a read-only side effect that only some method/path pairs trigger (HEAD of a missing note,
//   OPTIONS on an item): every GET/HEAD/OPTIONS on every path is tried
// - a 404 for a non-route (`DELETE /notes/3/extra`) that still deletes note 3
// - DELETE of a note that never existed crashing or removing another note
//
// Not checkable here: a HEAD answer *with* a body. Node's HTTP server never writes a body for
// HEAD, so every HEAD reply the spec sees is empty whatever the app returned.
import { describe, expect, it } from 'vitest'
import {
  build,
  client,
  focusOn,
  parseTokenList,
  random,
  task,
  type Client,
  type Reply,
  type Rng,
} from '../../harness/spec-kit/index.ts'
import { createApp, type Note } from '../../exercises/method-semantics/app.ts'

const COLLECTION_METHODS = ['GET', 'HEAD', 'POST', 'OPTIONS']
const ITEM_METHODS = ['GET', 'HEAD', 'PUT', 'DELETE', 'OPTIONS']

/** 2 to 5 notes with increasing, non-contiguous ids, handed over in shuffled order. */
function seedNotes(rng: Rng): Note[] {
  const notes: Note[] = []
  let id = rng.int(1, 5)
  for (let n = rng.int(2, 5); n > 0; n--) {
    notes.push({ id, ...fullInput(rng) })
    id += rng.int(2, 9)
  }
  const shuffled = rng.shuffle(notes)
  return shuffled.every((note, i) => note.id === notes[i]!.id) ? shuffled.reverse() : shuffled
}

/** A complete body: a title, some text and one to three tags. */
function fullInput(rng: Rng): Omit<Note, 'id'> {
  const words = (min: number, max: number) =>
    Array.from({ length: rng.int(min, max) }, () => rng.word(3, 8))
  return { title: words(1, 3).join(' '), text: words(3, 8).join(' '), tags: words(1, 3) }
}

// Every app gets its own copy, so expectations computed from `notes` stay right even when the
// app (wrongly) edits what it was given.
const appFor = (notes: Note[]) => client(build(createApp, { notes: structuredClone(notes) }))

const byId = (notes: Note[]) => [...notes].sort((a, b) => a.id - b.id)
const maxId = (notes: Note[]) => Math.max(...notes.map((n) => n.id))
/** A note as the contract describes it; the server may add fields of its own. */
const noteLike = (note: Note) => expect.objectContaining(note)
const listLike = (notes: Note[]) => byId(notes).map(noteLike)

const NOT_FOUND = expect.objectContaining({ error: 'not_found' })

// Headers that describe the connection or the moment rather than the resource.
const PER_MESSAGE = new Set(['date', 'connection', 'keep-alive', 'transfer-encoding'])

/** HEAD answers GET's status and every header GET sends, with the same values. */
async function expectHeadLikeGet(api: Client, path: string): Promise<void> {
  const get = await api.get(path)
  const head = await api.head(path)
  expect(head).toHaveStatus(get.status)
  for (const [name, value] of Object.entries(get.headers)) {
    if (!PER_MESSAGE.has(name)) expect(head).toHaveHeader(name, value)
  }
}

/** Allow lists exactly `methods`: any order, case or spacing. */
function expectAllow(reply: Reply, methods: string[]): void {
  expect(reply).toHaveHeader('allow')
  focusOn(reply)
  const listed = [...new Set(parseTokenList(reply.headers['allow']))].sort().join(', ')
  expect(listed, 'Allow must list exactly the methods this route supports').toBe(
    [...methods].sort().join(', '),
  )
}

function expectOptions(reply: Reply, methods: string[]): void {
  focusOn(reply)
  expect([200, 204], 'OPTIONS answers 204 (or 200)').toContain(reply.status)
  expectAllow(reply, methods)
  expect(reply).toHaveEmptyBody()
}

function expectMethodNotAllowed(reply: Reply, methods: string[]): void {
  expect(reply).toHaveStatus(405)
  expect(reply).toHaveJsonBody(expect.objectContaining({ error: 'method_not_allowed' }))
  expectAllow(reply, methods)
}

const etagOf = (reply: Reply) => (reply.headers['etag'] ? { etag: reply.headers['etag'] } : {})

/** Everything a client can read: the collection and each note in it, bodies and headers. */
async function snapshot(api: Client) {
  const list = await api.get('/notes')
  const ids = Array.isArray(list.body) ? list.body.map((n: { id: number }) => n.id) : []
  const items = []
  for (const id of ids) {
    const res = await api.get(`/notes/${id}`)
    items.push({ status: res.status, body: res.body, ...etagOf(res) })
  }
  return { status: list.status, list: list.body, ...etagOf(list), items }
}

describe('method-semantics', () => {
  task(1, 'Read notes without changing them', () => {
    it('GET /notes answers 200 with every note in ascending id order', async () => {
      const notes = seedNotes(random())
      const res = await appFor(notes).get('/notes')
      expect(res).toHaveStatus(200)
      expect(res).toHaveJsonBody(listLike(notes))
    })

    it('GET /notes/:id answers 200 with the note', async () => {
      const rng = random()
      const notes = seedNotes(rng)
      const note = rng.pick(notes)
      const res = await appFor(notes).get(`/notes/${note.id}`)
      expect(res).toHaveStatus(200)
      expect(res).toHaveJsonBody(noteLike(note))
    })

    it('GET /notes/:id answers 404 not_found for a missing note', async () => {
      const rng = random()
      const notes = seedNotes(rng)
      const res = await appFor(notes).get(`/notes/${maxId(notes) + rng.int(1, 20)}`)
      expect(res).toHaveStatus(404)
      expect(res).toHaveJsonBody(NOT_FOUND)
    })

    it('answers 404 not_found (not 405) on paths that are not routes', async () => {
      const rng = random()
      const notes = seedNotes(rng)
      const api = appFor(notes)
      const word = rng.word()
      const attempts: [string, string][] = [
        ['GET', '/'],
        ['GET', `/notes/${word}`],
        ['GET', `/notes/${rng.pick(notes).id}/${word}`],
        ['PATCH', `/${word}`],
        ['DELETE', `/notes/${rng.pick(notes).id}/${word}`],
      ]
      for (const [method, path] of attempts) {
        const res = await api.send(method, path)
        expect(res).toHaveStatus(404)
        expect(res).toHaveJsonBody(NOT_FOUND)
      }
      // A refused request changes nothing.
      expect(await api.get('/notes')).toHaveJsonBody(listLike(notes))
    })

    it('GET /notes/:id answers the same note every time (GET changes nothing)', async () => {
      const rng = random()
      const notes = seedNotes(rng)
      const api = appFor(notes)
      const path = `/notes/${rng.pick(notes).id}`
      const first = await api.get(path)
      for (let n = rng.int(2, 4); n > 0; n--) {
        const again = await api.get(path)
        expect(again).toHaveStatus(first.status)
        expect(again).toHaveJsonBody(first.body)
      }
    })

    it('GET, HEAD and OPTIONS in any number and order leave every note unchanged', async () => {
      const rng = random()
      const notes = seedNotes(rng)
      const api = appFor(notes)
      const before = await snapshot(api)
      const paths = ['/notes', `/notes/${rng.pick(notes).id}`, `/notes/${maxId(notes) + 1}`]
      // Every method on every path at least once, then more at random, in a shuffled order.
      const methods = ['GET', 'HEAD', 'OPTIONS']
      const calls = methods.flatMap((method) => paths.map((path) => [method, path] as const))
      for (let n = rng.int(3, 11); n > 0; n--) calls.push([rng.pick(methods), rng.pick(paths)])
      for (const [method, path] of rng.shuffle(calls)) await api.send(method, path)
      const after = await snapshot(api)
      expect(after, 'what GET /notes and GET /notes/:id show changed').toEqual(before)
      expect(after.list, 'GET /notes shows the notes the app was given').toEqual(listLike(notes))
    })

    it("GET /notes is not changed by the caller's edits after createApp", async () => {
      const rng = random()
      const notes = seedNotes(rng)
      const before = structuredClone(notes)
      const api = client(build(createApp, { notes }))
      // The caller goes on using its notes (and their tags arrays) before the app answers.
      const [tagged, renamed] = rng.shuffle(notes)
      tagged!.tags.push(rng.word())
      renamed!.title = rng.word()
      notes.pop()
      const res = await api.get('/notes')
      expect(res).toHaveStatus(200)
      expect(res).toHaveJsonBody(listLike(before))
    })
  })

  task(2, 'Create notes with POST', () => {
    it('POST /notes answers 201 with the note and Location, text and tags defaulted', async () => {
      const rng = random()
      const notes = seedNotes(rng)
      const api = appFor(notes)
      const title = rng.word()
      const res = await api.post('/notes', { json: { title } })
      expect(res).toHaveStatus(201)
      expect(res).toHaveJsonBody(expect.objectContaining({ title, text: '', tags: [] }))
      const id = (res.body as Note).id
      focusOn(res)
      expect(Number.isInteger(id) && id > 0, 'the new note has a positive integer id').toBe(true)
      expect(notes.map((n) => n.id), 'the new id is not held by another note').not.toContain(id)
      expect(res).toHaveHeader('location')
      const location = new URL(res.headers['location']!, 'http://localhost').pathname
      expect(location, 'the path of Location').toBe(`/notes/${id}`)
      const read = await api.get(`/notes/${id}`)
      expect(read).toHaveJsonBody(noteLike({ id, title, text: '', tags: [] }))
    })

    it('POST /notes sent twice creates two notes (POST is not idempotent)', async () => {
      const rng = random()
      const notes = seedNotes(rng)
      const api = appFor(notes)
      const input = fullInput(rng)
      const first = await api.post('/notes', { json: input })
      const second = await api.post('/notes', { json: input })
      expect(first).toHaveStatus(201)
      expect(second).toHaveStatus(201)
      const a = (first.body as Note).id
      const b = (second.body as Note).id
      focusOn(second)
      expect(b, 'the second POST must create a note with a new id').not.toBe(a)
      expect(await api.get('/notes')).toHaveJsonBody(
        listLike([...notes, { id: a, ...input }, { id: b, ...input }]),
      )
    })
  })

  task(3, 'Replace a note with PUT', () => {
    it(
      'PUT /notes/:id replaces the whole note: text and tags left out become "" and []',
      async () => {
        const rng = random()
        const notes = seedNotes(rng)
        const { id } = rng.pick(notes)
        const api = appFor(notes)
        const title = rng.word()
        const res = await api.put(`/notes/${id}`, { json: { title } })
        expect(res).toHaveStatus(200)
        expect(res).toHaveJsonBody(noteLike({ id, title, text: '', tags: [] }))
        const read = await api.get(`/notes/${id}`)
        expect(read).toHaveJsonBody(noteLike({ id, title, text: '', tags: [] }))
      },
    )

    it('PUT /notes/:id replaces the tags instead of adding to them', async () => {
      const rng = random()
      const notes = seedNotes(rng)
      const { id } = rng.pick(notes)
      const api = appFor(notes)
      const input = fullInput(rng)
      const res = await api.put(`/notes/${id}`, { json: input })
      expect(res).toHaveStatus(200)
      expect(res).toHaveJsonBody(noteLike({ id, ...input }))
      expect(await api.get(`/notes/${id}`)).toHaveJsonBody(noteLike({ id, ...input }))
    })

    it('PUT /notes/:id sent twice leaves the same state as sent once', async () => {
      const rng = random()
      const notes = seedNotes(rng)
      const { id } = rng.pick(notes)
      const api = appFor(notes)
      const input = fullInput(rng)
      const once = await api.put(`/notes/${id}`, { json: input })
      expect(once).toHaveStatus(200)
      const afterOnce = await snapshot(api)
      const twice = await api.put(`/notes/${id}`, { json: input })
      expect(twice).toHaveStatus(200)
      expect(twice).toHaveJsonBody(once.body)
      const afterTwice = await snapshot(api)
      expect(afterTwice, 'a second identical PUT changed the notes').toEqual(afterOnce)
      expect(afterTwice.list, 'GET /notes after the PUTs').toEqual(
        listLike(notes.map((n) => (n.id === id ? { id, ...input } : n))),
      )
    })

    it('PUT /notes/:id answers 404 for a missing note and creates nothing', async () => {
      const rng = random()
      const notes = seedNotes(rng)
      const id = maxId(notes) + rng.int(1, 20)
      const api = appFor(notes)
      const res = await api.put(`/notes/${id}`, { json: fullInput(rng) })
      expect(res).toHaveStatus(404)
      expect(res).toHaveJsonBody(NOT_FOUND)
      expect(await api.get('/notes')).toHaveJsonBody(listLike(notes))
    })
  })

  task(4, 'Delete a note', () => {
    it('DELETE /notes/:id answers 204 with no body and removes the note', async () => {
      const rng = random()
      const notes = seedNotes(rng)
      const gone = rng.pick(notes)
      const api = appFor(notes)
      const res = await api.delete(`/notes/${gone.id}`)
      expect(res).toHaveStatus(204)
      expect(res).toHaveEmptyBody()
      expect(await api.get(`/notes/${gone.id}`)).toHaveStatus(404)
      expect(await api.get('/notes')).toHaveJsonBody(listLike(notes.filter((n) => n !== gone)))
    })

    it('DELETE /notes/:id sent twice answers 404 the second time, state unchanged', async () => {
      const rng = random()
      const notes = seedNotes(rng)
      const gone = rng.pick(notes)
      const api = appFor(notes)
      expect(await api.delete(`/notes/${gone.id}`)).toHaveStatus(204)
      const afterOnce = await snapshot(api)
      const again = await api.delete(`/notes/${gone.id}`)
      expect(again).toHaveStatus(404)
      expect(again).toHaveJsonBody(NOT_FOUND)
      const afterTwice = await snapshot(api)
      expect(afterTwice, 'a second DELETE changed the notes').toEqual(afterOnce)
      expect(afterTwice.list, 'GET /notes after the DELETEs').toEqual(
        listLike(notes.filter((n) => n !== gone)),
      )
      // A note that never existed: 404 too, and nothing else goes.
      const never = await api.delete(`/notes/${maxId(notes) + rng.int(1, 20)}`)
      expect(never).toHaveStatus(404)
      expect(never).toHaveJsonBody(NOT_FOUND)
      const afterNever = await snapshot(api)
      expect(afterNever, 'a DELETE of a missing note changed the notes').toEqual(afterTwice)
    })

    it('keeps each app its own notes and never edits the ones it was given', async () => {
      const rng = random()
      const notes = seedNotes(rng)
      const before = structuredClone(notes)
      const [edited, deleted] = rng.shuffle(notes)
      const first = client(build(createApp, { notes }))
      const second = client(build(createApp, { notes }))
      expect(await first.put(`/notes/${edited!.id}`, { json: fullInput(rng) })).toHaveStatus(200)
      expect(await first.delete(`/notes/${deleted!.id}`)).toHaveStatus(204)
      expect(await second.get('/notes')).toHaveJsonBody(listLike(before))
      expect(notes, 'the notes passed to createApp were changed').toEqual(before)
    })
  })

  task(5, 'Answer HEAD like GET', () => {
    it('HEAD /notes answers with the status and headers of GET /notes', async () => {
      const notes = seedNotes(random())
      await expectHeadLikeGet(appFor(notes), '/notes')
    })

    it('HEAD /notes answers like GET for an empty collection too', async () => {
      await expectHeadLikeGet(client(createApp()), '/notes')
    })

    it('HEAD /notes/:id answers with the status and headers of GET /notes/:id', async () => {
      const rng = random()
      const notes = seedNotes(rng)
      await expectHeadLikeGet(appFor(notes), `/notes/${rng.pick(notes).id}`)
    })

    it('HEAD /notes/:id answers 404 with the headers of GET for a missing note', async () => {
      const rng = random()
      const notes = seedNotes(rng)
      const api = appFor(notes)
      const path = `/notes/${maxId(notes) + rng.int(1, 20)}`
      expect(await api.head(path)).toHaveStatus(404)
      await expectHeadLikeGet(api, path)
    })

    it('HEAD /notes/:id sends the Content-Length of GET in bytes, also for non-ASCII text', async () => {
      const rng = random()
      const notes = seedNotes(rng)
      const id = maxId(notes) + rng.int(1, 9)
      // "é", "ü" and "☕" take 2, 2 and 3 bytes in UTF-8: a length in characters is too short.
      const title = `Café ${rng.word()}`
      const note: Note = { id, title, text: 'crème brûlée ☕', tags: ['über'] }
      const api = appFor([...notes, note])
      const get = await api.get(`/notes/${id}`)
      expect(get).toHaveJsonBody(noteLike(note))
      focusOn(get)
      const length = Number(get.headers['content-length'])
      expect(length, 'Content-Length is the body size in bytes').toBe(Buffer.byteLength(get.text))
      await expectHeadLikeGet(api, `/notes/${id}`)
      await expectHeadLikeGet(api, '/notes')
    })
  })

  task(6, 'Say which methods each URL allows', () => {
    it('OPTIONS /notes answers 204 with Allow: GET, HEAD, POST, OPTIONS', async () => {
      const notes = seedNotes(random())
      expectOptions(await appFor(notes).options('/notes'), COLLECTION_METHODS)
    })

    it('OPTIONS /notes/:id answers 204 with Allow: GET, HEAD, PUT, DELETE, OPTIONS', async () => {
      const rng = random()
      const notes = seedNotes(rng)
      expectOptions(await appFor(notes).options(`/notes/${rng.pick(notes).id}`), ITEM_METHODS)
    })

    it('answers 405 with Allow: GET, HEAD, POST, OPTIONS for other methods on /notes', async () => {
      const rng = random()
      const notes = seedNotes(rng)
      const api = appFor(notes)
      for (const method of ['PUT', 'PATCH', 'DELETE', 'PURGE']) {
        const res = await api.send(method, '/notes', { json: fullInput(rng) })
        expectMethodNotAllowed(res, COLLECTION_METHODS)
      }
      // A refused request changes nothing.
      expect(await api.get('/notes')).toHaveJsonBody(listLike(notes))
    })

    it(
      'answers 405 with Allow: GET, HEAD, PUT, DELETE, OPTIONS for other methods on /notes/:id',
      async () => {
        const rng = random()
        const notes = seedNotes(rng)
        const note = rng.pick(notes)
        const api = appFor(notes)
        for (const method of ['POST', 'PATCH', 'PURGE']) {
          const res = await api.send(method, `/notes/${note.id}`, { json: fullInput(rng) })
          expectMethodNotAllowed(res, ITEM_METHODS)
        }
        expect(await api.get('/notes')).toHaveJsonBody(listLike(notes))
      },
    )
  })
})
