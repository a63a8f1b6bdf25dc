// pagination-cursor - the hidden spec.
//
// Cursors are opaque here: the spec only ever hands back strings the app gave it, or changes
// them without knowing their format (flip a character, cut one off, edit any JSON it can decode).
//
// Wrong implementations this spec is built to catch:
// - an offset in the cursor (even a signed one): a message posted at the front makes the next page
//   repeat one; a deleted message that was already seen makes it skip one
// - a cursor that holds the id of the last message and looks it up: breaks (restarts, errors or
//   repeats) once that message is deleted
// - a cursor that holds only createdAt: `createdAt < c` drops the rest of a run of equal times at
//   a page boundary, `<=` repeats it (and loops forever when the run is longer than a page)
// - ordering by createdAt only (ties in insertion or id-ascending order)
// - nextCursor on the page that ends exactly at the last message (page full = "maybe more")
// - nextCursor null on a full page when more messages follow
// - unsigned cursors validated only by shape: a hand-made base64 key, offset or id is trusted,
//   and so is a real cursor whose JSON was edited
// - a signature that is not checked over the whole cursor (one changed character still accepted,
//   a separator replaced, or a payload cut off from its signature accepted)
// - a signature over the decoded bytes rather than the text sent: the same payload spelled in
//   other base64 (padding, + and /) accepted
// - parts of two real cursors mixed, or put in another order, accepted
// - a cursor signed with another secret accepted (signature never compared)
// - garbage (not base64, not JSON, wrong shape) crashing with 500, or silently read as "page 1"
// - cursors kept in server memory (a second app with the same secret rejects them)
// - a snapshot of the list taken on page 1: deleted messages still served, new ones never seen
// - limit read leniently (parseInt, Number('') or Number('1e1')), not rejected outside 1..100, or
//   clamped
// - POST ignoring the injected clock (Date.now()) or the default one, createdAt 0 read as missing,
//   an id other than one more than the highest ever held, or reusing the id of a deleted message
// - the caller's items array changed by POST/DELETE or sorted in place by createApp, or
//   messages kept in module-level state
// - the caller's array or messages kept (a shallow copy, or a copy made on the first request),
//   so that the caller's edits after createApp show up
// - an empty secret accepted, or a secret checked for truthiness only (42 accepted)
import { describe, expect, it } from 'vitest'
import {
  build,
  client,
  fakeClock,
  focusOn,
  random,
  task,
  type Client,
  type FakeClock,
  type Reply,
  type Rng,
} from '../../harness/spec-kit/index.ts'
import { createApp, type Message } from '../../exercises/pagination-cursor/app.ts'

type Key = [createdAt: number, id: number]
interface Page {
  data: Message[]
  nextCursor: string | null
}

const MINUTE = 60_000
const B64URL = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'

const keyOf = (m: Message): Key => [m.createdAt, m.id]
/** Negative when a comes first in the listing: createdAt desc, then id desc. */
const compare = (a: Key, b: Key) => b[0] - a[0] || b[1] - a[1]
const ordered = (messages: Iterable<Message>) =>
  [...messages].sort((a, b) => compare(keyOf(a), keyOf(b)))
const idsOf = (messages: Message[]) => messages.map((m) => m.id)

/**
 * n messages with unique, gappy, shuffled ids and only a handful of distinct timestamps, so that
 * runs of equal createdAt are long and page boundaries keep falling inside them.
 */
function makeMessages(rng: Rng, n: number, clock: FakeClock): Message[] {
  const base = clock.now() - rng.int(1, 48) * 60 * MINUTE
  const times = rng.int(2, 5)
  const ids = rng.shuffle(Array.from({ length: n * 3 }, (_, i) => i + 1)).slice(0, n)
  return ids.map((id) => ({
    id,
    createdAt: base - rng.int(0, times - 1) * MINUTE,
    text: rng.word(3, 12),
  }))
}

function setup(rng: Rng, n: number, secret = rng.word(12, 24)) {
  const clock = fakeClock()
  const items = makeMessages(rng, n, clock)
  const api = client(build(createApp, { items, secret, now: clock.now }))
  return { clock, items, api, secret }
}

function listPath(limit?: number | string, cursor?: string): string {
  const params: string[] = []
  if (limit !== undefined) params.push(`limit=${limit}`)
  // The cursor is whatever the server made of it: the client's only job is to URL-encode it.
  if (cursor !== undefined) params.push(`cursor=${encodeURIComponent(cursor)}`)
  return params.length === 0 ? '/api/messages' : `/api/messages?${params.join('&')}`
}

/** The reply as a page, after checking it is a 200 with { data: [...], nextCursor }. */
function pageOf(res: Reply): Page {
  expect(res).toHaveStatus(200)
  focusOn(res)
  const body = res.body as Partial<Page> | undefined
  expect(Array.isArray(body?.data), 'the reply has a `data` array').toBe(true)
  const next = body!.nextCursor
  const valid = next === null || (typeof next === 'string' && next.length > 0)
  expect(valid, 'nextCursor is a non-empty string or null').toBe(true)
  return body as Page
}

/**
 * Follows nextCursor from the first page until it is null, calling `between` after each page
 * (that is where the collection changes under the walk). Returns the pages.
 */
async function walk(
  api: Client,
  limit: number | (() => number),
  between?: (page: Page) => Promise<void>,
  maxPages = 400,
): Promise<Page[]> {
  const pages: Page[] = []
  let cursor: string | undefined
  do {
    expect(pages.length, 'pages before nextCursor became null').toBeLessThan(maxPages)
    const size = typeof limit === 'number' ? limit : limit()
    const page = pageOf(await api.get(listPath(size, cursor)))
    expect(page.data.length, `messages on a page of limit ${size}`).toBeLessThanOrEqual(size)
    pages.push(page)
    cursor = page.nextCursor ?? undefined
    if (cursor !== undefined && between) await between(page)
  } while (cursor !== undefined)
  return pages
}

/** No id twice; and every id in `survivors` seen. Messages a walk saw, in order. */
function expectEachOnce(seen: Message[], survivors: Iterable<number>): void {
  const ids = idsOf(seen)
  const repeated = ids.filter((id, i) => ids.indexOf(id) !== i)
  expect(repeated, 'ids served more than once during the walk').toEqual([])
  const seenIds = new Set(ids)
  const skipped = [...survivors].filter((id) => !seenIds.has(id))
  expect(skipped, 'ids that existed for the whole walk but were never served').toEqual([])
}

async function post(api: Client, json: Record<string, unknown>): Promise<Message> {
  const res = await api.post('/api/messages', { json })
  expect(res).toHaveStatus(201)
  return res.body as Message
}

async function remove(api: Client, id: number): Promise<void> {
  expect(await api.delete(`/api/messages/${id}`)).toHaveStatus(204)
}

/** A real cursor from this app: the one after the first page of `limit`. */
async function firstCursor(api: Client, limit: number): Promise<string> {
  const page = pageOf(await api.get(listPath(limit)))
  expect(page.nextCursor, 'nextCursor of a first page with more messages after it').not.toBe(null)
  return page.nextCursor!
}

async function expectInvalidCursor(api: Client, cursor: string, what: string): Promise<void> {
  const res = await api.get(listPath(5, cursor))
  expect(res, `${what}: ${JSON.stringify(cursor.slice(0, 120))}`).toHaveStatus(400)
  expect(res).toHaveJsonBody(expect.objectContaining({ error: 'invalid_cursor' }))
}

const b64 = (text: string) => Buffer.from(text).toString('base64url')

/** Base64url segments (split on dots) that decode to JSON, with the JSON they hold. */
function jsonSegments(cursor: string): { index: number; value: unknown }[] {
  const found: { index: number; value: unknown }[] = []
  cursor.split('.').forEach((segment, index) => {
    if (!/^[A-Za-z0-9_-]+={0,2}$/.test(segment)) return
    try {
      found.push({ index, value: JSON.parse(Buffer.from(segment, 'base64url').toString()) })
    } catch {
      // not JSON: a signature, or another format
    }
  })
  return found
}

/** The same JSON with every number moved by `delta` (the shape a forger would keep). */
function shiftNumbers(value: unknown, delta: number): unknown {
  if (typeof value === 'number') return value + delta
  if (Array.isArray(value)) return value.map((v) => shiftNumbers(v, delta))
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, shiftNumbers(v, delta)]))
  }
  return value
}

describe('pagination-cursor', () => {
  task(1, 'Serve the newest page', () => {
    it('serves the newest 20 messages and a nextCursor when the query is empty', async () => {
      const rng = random()
      const { api, items } = setup(rng, rng.int(21, 60))
      const page = pageOf(await api.get('/api/messages'))
      expect(page.data).toEqual(ordered(items).slice(0, 20))
      expect(page.nextCursor, 'nextCursor while messages remain').not.toBe(null)
    })

    it('orders by createdAt, newest first, then by id, highest first, at equal times', async () => {
      const rng = random()
      const { api, items } = setup(rng, rng.int(30, 100))
      const res = await api.get('/api/messages?limit=100')
      expect(res).toHaveStatus(200)
      const everything = expect.objectContaining({ data: ordered(items), nextCursor: null })
      expect(res).toHaveJsonBody(everything)
    })

    it('answers nextCursor null when one page holds everything, or nothing at all', async () => {
      const rng = random()
      const { api, items } = setup(rng, rng.int(1, 20))
      const limit = rng.pick([items.length, items.length + rng.int(1, 30)])
      const res = await api.get(listPath(limit))
      const everything = expect.objectContaining({ data: ordered(items), nextCursor: null })
      expect(res).toHaveJsonBody(everything)
      const empty = client(build(createApp, { items: [], secret: rng.word(12, 20) }))
      const none = await empty.get('/api/messages')
      expect(none).toHaveStatus(200)
      expect(none).toHaveJsonBody(expect.objectContaining({ data: [], nextCursor: null }))
    })

    it('leaves the items array it was given unchanged', async () => {
      const rng = random()
      const clock = fakeClock()
      const items = makeMessages(rng, rng.int(10, 30), clock)
      // Taken before createApp runs: an app that sorts the caller's array up front is seen too.
      const before = structuredClone(items)
      const api = client(build(createApp, { items, secret: rng.word(12, 24), now: clock.now }))
      await post(api, { text: rng.word() })
      await remove(api, rng.pick(items).id)
      await walk(api, 4)
      expect(items, "the caller's items array after posting, deleting and paging").toEqual(before)
    })

    it("keeps its own copy: the caller's later edits do not show", async () => {
      const rng = random()
      const clock = fakeClock()
      const items = makeMessages(rng, rng.int(10, 30), clock)
      const original = structuredClone(items)
      const api = client(build(createApp, { items, secret: rng.word(12, 24), now: clock.now }))
      // After createApp and before any request, the caller edits a message, removes one and
      // adds one with an id above every other.
      const edited = rng.pick(items)
      edited.text = `${edited.text} changed`
      edited.createdAt += MINUTE
      items.splice(rng.int(0, items.length - 1), 1)
      const highest = Math.max(...idsOf(original))
      items.push({ id: highest + rng.int(5, 50), createdAt: clock.now(), text: rng.word() })
      const page = pageOf(await api.get('/api/messages?limit=100'))
      expect(page.data, 'the listing, as it was when the app was built').toEqual(ordered(original))
      const created = await post(api, { text: rng.word() })
      expect(created.id, 'the id after the highest one the app was given').toBe(highest + 1)
    })

    it('keeps each app its own messages', async () => {
      const rng = random()
      const clock = fakeClock()
      const first = makeMessages(rng, rng.int(5, 15), clock)
      const second = makeMessages(rng, rng.int(16, 30), clock)
      const a = client(
        build(createApp, { items: first, secret: rng.word(12, 20), now: clock.now }),
      )
      const b = client(
        build(createApp, { items: second, secret: rng.word(12, 20), now: clock.now }),
      )
      await post(b, { text: rng.word() })
      expect(pageOf(await a.get('/api/messages?limit=100')).data).toEqual(ordered(first))
    })
  })

  task(2, 'Follow nextCursor to the end', () => {
    it('visits every message once, in order, through runs of equal times', async () => {
      const rng = random()
      for (let round = 0; round < 3; round++) {
        const limit = rng.int(1, 7)
        const { api, items } = setup(rng, rng.int(limit + 1, 8 * limit))
        const pages = await walk(api, limit)
        expect(idsOf(pages.flatMap((p) => p.data)), 'ids seen following nextCursor').toEqual(
          idsOf(ordered(items)),
        )
        const short = pages.slice(0, -1).filter((p) => p.data.length !== limit)
        expect(short.length, `pages shorter than limit ${limit} before the last one`).toBe(0)
      }
    })

    it('answers nextCursor null on the page that ends exactly at the last message', async () => {
      const rng = random()
      const limit = rng.int(2, 8)
      const pageCount = rng.int(2, 6)
      const { api, items } = setup(rng, limit * pageCount)
      const pages = await walk(api, limit)
      expect(pages.length, `pages for ${items.length} messages of limit ${limit}`).toBe(pageCount)
      expect(pages.at(-1)!.data).toEqual(ordered(items).slice(-limit))
    })

    it('lets the client change limit from one page to the next', async () => {
      const rng = random()
      const { api, items } = setup(rng, rng.int(40, 90))
      const pages = await walk(api, () => rng.int(1, 12))
      const seen = idsOf(pages.flatMap((p) => p.data))
      expect(seen, 'ids seen with a new limit on every page').toEqual(
        idsOf(ordered(items)),
      )
    })

    it('accepts the limits 1 and 100', async () => {
      const rng = random()
      const { api, items } = setup(rng, rng.int(101, 140))
      const one = pageOf(await api.get(listPath(1)))
      expect(one.data).toEqual(ordered(items).slice(0, 1))
      const hundred = pageOf(await api.get(listPath(100, one.nextCursor!)))
      expect(hundred.data).toEqual(ordered(items).slice(1, 101))
    })

    it('accepts a cursor from another app built with the same secret', async () => {
      const rng = random()
      const clock = fakeClock()
      const items = makeMessages(rng, rng.int(20, 40), clock)
      const secret = rng.word(12, 24)
      const first = client(build(createApp, { items, secret, now: clock.now }))
      const limit = rng.int(2, 6)
      const cursor = await firstCursor(first, limit)
      // A restart, or a second instance behind the load balancer: the cursor carries its own state.
      const second = client(build(createApp, { items, secret, now: clock.now }))
      const page = pageOf(await second.get(listPath(limit, cursor)))
      expect(page.data).toEqual(ordered(items).slice(limit, 2 * limit))
    })
  })

  task(3, 'Reject a bad limit with 400', () => {
    it.each([
      ['not a number', 'abc'],
      ['digits then letters', '10abc'],
      ['a decimal', '1.5'],
      ['empty', ''],
      ['zero', '0'],
      ['negative', '-1'],
      ['101', '101'],
      ['far above 100', '5000'],
      ['in exponent notation', '1e1'],
      ['signed', '+5'],
      ['with a space in front', '%205'],
    ])('answers 400 invalid_query for a limit that is %s', async (_what, limit) => {
      const rng = random()
      const { api } = setup(rng, rng.int(120, 140))
      const cursor = await firstCursor(api, 5)
      for (const path of [listPath(limit), listPath(limit, cursor)]) {
        const res = await api.get(path)
        expect(res).toHaveStatus(400)
        expect(res).toHaveJsonBody(expect.objectContaining({ error: 'invalid_query' }))
      }
    })
  })

  task(4, 'Stay stable while the list changes', () => {
    it('never repeats a message when new ones are posted at the front between pages', async () => {
      const rng = random()
      const { api, items, clock } = setup(rng, rng.int(20, 45))
      const pages = await walk(api, rng.int(3, 6), async () => {
        for (let n = rng.int(1, 3); n > 0; n--) {
          clock.advance(rng.int(0, 2) * 1000)
          await post(api, { text: rng.word() })
        }
      })
      const seen = pages.flatMap((p) => p.data)
      expectEachOnce(seen, idsOf(items))
      expect(idsOf(seen), 'ids seen while posting at the front').toEqual(idsOf(ordered(items)))
    })

    it('never skips a message when messages already served are deleted between pages', async () => {
      const rng = random()
      const { api, items } = setup(rng, rng.int(20, 45))
      const served: number[] = []
      const pages = await walk(api, rng.int(2, 6), async (page) => {
        served.push(...idsOf(page.data))
        // Any served message but the page's last one (another check deletes that one).
        const candidates = served.filter((id) => id !== page.data.at(-1)!.id)
        for (const id of rng.shuffle(candidates).slice(0, rng.int(1, 2))) {
          await remove(api, id)
          served.splice(served.indexOf(id), 1)
        }
      })
      expectEachOnce(
        pages.flatMap((p) => p.data),
        idsOf(items),
      )
    })

    it("continues after the previous page's last message even once it is deleted", async () => {
      const rng = random()
      const { api, items } = setup(rng, rng.int(20, 45))
      const pages = await walk(api, rng.int(2, 6), async (page) => {
        await remove(api, page.data.at(-1)!.id)
      })
      const seen = idsOf(pages.flatMap((p) => p.data))
      expect(seen, "ids seen deleting each page's last one").toEqual(
        idsOf(ordered(items)),
      )
    })

    it('answers an empty last page when everything after the cursor was deleted', async () => {
      const rng = random()
      const { api, items } = setup(rng, rng.int(10, 40))
      const limit = rng.int(2, items.length - 1)
      const cursor = await firstCursor(api, limit)
      for (const m of ordered(items).slice(limit)) await remove(api, m.id)
      const res = await api.get(listPath(limit, cursor))
      expect(res).toHaveStatus(200)
      expect(res).toHaveJsonBody(expect.objectContaining({ data: [], nextCursor: null }))
    })

    it('serves each page from the messages as they are now while others come and go', async () => {
      const rng = random()
      // Sized so that the walk stays well inside the time limit on a busy machine: about a
      // dozen pages, each followed by up to seven changes.
      const { api, items, clock } = setup(rng, rng.int(30, 60))
      const model = new Map(items.map((m) => [m.id, m]))
      const survivors = new Set(idsOf(items))
      const times = [...new Set(items.map((m) => m.createdAt))]
      const limit = rng.int(4, 8)
      let after: Key | undefined
      let cursor: string | undefined
      const seen: Message[] = []
      for (let pages = 0; ; pages++) {
        expect(pages, 'pages before nextCursor became null').toBeLessThan(200)
        const res = await api.get(listPath(limit, cursor))
        const page = pageOf(res)
        const rest = ordered(model.values()).filter((m) => !after || compare(keyOf(m), after) > 0)
        expect(page.data, 'the messages after the cursor, as they are now').toEqual(
          rest.slice(0, limit),
        )
        expect(page.nextCursor === null, 'nextCursor is null exactly when nothing follows').toBe(
          rest.length <= limit,
        )
        seen.push(...page.data)
        if (page.nextCursor === null) break
        cursor = page.nextCursor
        after = keyOf(page.data.at(-1)!)

        // Change the collection: new messages at the front and at equal times anywhere (behind
        // the cursor, right at it, or still ahead), and deletions on both sides of it.
        for (let n = rng.int(0, 2); n > 0; n--) {
          clock.advance(rng.int(0, 1) * 1000)
          const m = await post(api, { text: rng.word() })
          model.set(m.id, m)
        }
        for (let n = rng.int(0, 2); n > 0; n--) {
          const m = await post(api, { text: rng.word(), createdAt: rng.pick(times) })
          model.set(m.id, m)
        }
        const doomed = rng.shuffle([...model.keys()]).slice(0, rng.int(0, 3))
        if (rng.next() < 0.5) doomed.push(page.data.at(-1)!.id)
        for (const id of new Set(doomed)) {
          await remove(api, id)
          model.delete(id)
          survivors.delete(id)
        }
      }
      expectEachOnce(seen, survivors)
    })

    it("creates a message with the next id and the clock's time without createdAt", async () => {
      const rng = random()
      const { api, items, clock } = setup(rng, rng.int(5, 20))
      clock.advance(rng.int(1, 10_000))
      const text = rng.word()
      const res = await api.post('/api/messages', { json: { text } })
      expect(res).toHaveStatus(201)
      const highest = Math.max(...idsOf(items))
      expect(res).toHaveJsonBody({ id: expect.any(Number), createdAt: clock.now(), text })
      const created = res.body as Message
      expect(created.id, 'the new id, one more than the highest').toBe(highest + 1)
      const page = pageOf(await api.get('/api/messages?limit=1'))
      expect(page.data, 'the newest message').toEqual([created])
    })

    it('creates a message at the given createdAt, in its place in the order', async () => {
      const rng = random()
      const { api, items } = setup(rng, rng.int(10, 30))
      const createdAt = rng.pick(items).createdAt
      const text = rng.word()
      const res = await api.post('/api/messages', { json: { text, createdAt } })
      expect(res).toHaveStatus(201)
      expect(res).toHaveJsonBody({ id: expect.any(Number), createdAt, text })
      const listing = pageOf(await api.get('/api/messages?limit=100'))
      expect(listing.data).toEqual(ordered([...items, res.body as Message]))
    })

    it('creates a message at createdAt 0, the oldest time, not at the clock time', async () => {
      const rng = random()
      const { api, items } = setup(rng, rng.int(5, 20))
      const res = await api.post('/api/messages', { json: { text: rng.word(), createdAt: 0 } })
      expect(res).toHaveStatus(201)
      expect(res).toHaveJsonBody(expect.objectContaining({ createdAt: 0 }))
      const listing = pageOf(await api.get('/api/messages?limit=100'))
      expect(listing.data).toEqual(ordered([...items, res.body as Message]))
      expect(listing.data.at(-1), 'the last message of the listing').toEqual(res.body)
    })

    it('reads the real clock when no now() is given', async () => {
      const rng = random()
      const api = client(build(createApp, { items: [], secret: rng.word(12, 24) }))
      const before = Date.now()
      const created = await post(api, { text: rng.word() })
      const after = Date.now()
      const between = 'createdAt, between the times read before and after the POST'
      expect(created.createdAt, between).toBeGreaterThanOrEqual(before)
      expect(created.createdAt, between).toBeLessThanOrEqual(after)
      expect(created.id, 'the first id of an empty app').toBe(1)
    })

    it('answers 400 invalid_body for a message without text or with a bad createdAt', async () => {
      const rng = random()
      const { api } = setup(rng, 5)
      const bodies = [{}, { text: '' }, { text: 5 }, { text: 'hi', createdAt: 'yesterday' }]
      const more = [{ text: 'hi', createdAt: 1.5 }, { text: 'hi', createdAt: '5' }, ['hi']]
      for (const json of [...bodies, ...more, { text: 'hi', createdAt: -rng.int(1, 1000) }]) {
        const res = await api.post('/api/messages', { json })
        expect(res).toHaveStatus(400)
        expect(res).toHaveJsonBody(expect.objectContaining({ error: 'invalid_body' }))
      }
      const broken = await api.post('/api/messages', {
        body: '{"text":',
        headers: { 'Content-Type': 'application/json' },
      })
      expect(broken).toHaveStatus(400)
    })

    it('deletes a message with 204, then answers 404, and never reuses its id', async () => {
      const rng = random()
      const { api, items } = setup(rng, rng.int(5, 20))
      const highest = Math.max(...idsOf(items))
      expect(await api.delete(`/api/messages/${highest}`)).toHaveStatus(204)
      const again = await api.delete(`/api/messages/${highest}`)
      expect(again).toHaveStatus(404)
      expect(again).toHaveJsonBody(expect.objectContaining({ error: 'not_found' }))
      const listing = pageOf(await api.get('/api/messages?limit=100'))
      expect(listing.data).toEqual(ordered(items.filter((m) => m.id !== highest)))
      const created = await post(api, { text: rng.word() })
      expect(created.id, 'the id after deleting the highest one').toBe(highest + 1)
    })
  })

  task(5, 'Sign cursors and reject any other', () => {
    it.each([
      ['an empty value', ''],
      ['plain text', 'next-page'],
      ['a number', '20'],
      ['characters base64 does not use', '!!!***'],
      ['percent signs and spaces', '% %20%'],
      ['JSON', '{"offset":20}'],
      ['dots only', '...'],
      ['two short parts', 'a.b'],
      ['a very long value', 'A'.repeat(3000)],
    ])('answers 400 invalid_cursor, not 500, for a cursor that is %s', async (_what, cursor) => {
      const rng = random()
      const { api } = setup(rng, rng.int(10, 30))
      await expectInvalidCursor(api, cursor, 'garbage cursor')
    })

    it('answers 400 invalid_cursor for random base64url bytes', async () => {
      const rng = random()
      const { api } = setup(rng, rng.int(10, 30))
      const real = await firstCursor(api, 3)
      for (const length of [rng.int(4, 24), real.length, rng.int(40, 90)]) {
        const bytes = Buffer.from(Array.from({ length }, () => rng.int(0, 255)))
        await expectInvalidCursor(api, bytes.toString('base64url'), 'random bytes')
      }
      const halves = [rng.int(8, 30), rng.int(8, 30)].map((n) =>
        Array.from({ length: n }, () => rng.pick([...B64URL])).join(''),
      )
      await expectInvalidCursor(api, halves.join('.'), 'random base64url parts')
    })

    it('answers 400 invalid_cursor for a hand-made cursor: an offset, an id or a key', async () => {
      const rng = random()
      const { api, items } = setup(rng, rng.int(20, 40))
      const target = rng.pick(ordered(items).slice(5))
      const offset = rng.int(3, items.length - 1)
      const payloads = [
        String(offset),
        JSON.stringify(offset),
        JSON.stringify({ offset }),
        JSON.stringify({ id: target.id }),
        JSON.stringify({ createdAt: target.createdAt, id: target.id }),
        JSON.stringify([target.createdAt, target.id]),
        `${target.createdAt}:${target.id}`,
        `${target.createdAt}_${target.id}`,
      ]
      const real = await firstCursor(api, 3)
      const realSignature = real.split('.').at(-1)!
      for (const payload of payloads) {
        await expectInvalidCursor(api, b64(payload), 'an unsigned forged cursor')
        await expectInvalidCursor(api, `${b64(payload)}.${realSignature}`, 'a borrowed signature')
      }
    })

    it('answers 400 invalid_cursor for a real cursor with one character changed', async () => {
      const rng = random()
      const { api } = setup(rng, rng.int(20, 40))
      const cursor = await firstCursor(api, rng.int(2, 6))
      const positions = [...cursor].flatMap((ch, i) => (B64URL.includes(ch) ? [i] : []))
      expect(positions.length, 'base64url characters in the cursor').toBeGreaterThan(0)
      // Both ends, both sides of every separator, and a spread of others: a check over part of
      // the cursor (a prefix of the signature, say) misses the rest.
      const inside = (i: number) => positions.includes(i - 1) && positions.includes(i + 1)
      const edges = positions.filter((i) => !inside(i))
      const chosen = new Set([...edges, ...rng.shuffle(positions).slice(0, 8)])
      for (const i of chosen) {
        // Flip the top bit of the 6 the character stands for: no decoder can ignore that bit, even
        // in the last character of a base64 string.
        const flipped = B64URL[B64URL.indexOf(cursor[i]!) ^ 32]!
        const tampered = cursor.slice(0, i) + flipped + cursor.slice(i + 1)
        await expectInvalidCursor(api, tampered, `character ${i} changed`)
      }
      // The characters base64url does not use (a separator, say) count as well.
      for (const [i, ch] of [...cursor].entries()) {
        if (B64URL.includes(ch)) continue
        for (const other of ['~', ',', ':', '-']) {
          if (other === ch) continue
          const tampered = cursor.slice(0, i) + other + cursor.slice(i + 1)
          await expectInvalidCursor(api, tampered, `separator ${i} replaced`)
        }
      }
    })

    it('answers 400 invalid_cursor for a real cursor cut short or extended', async () => {
      const rng = random()
      const { api } = setup(rng, rng.int(20, 40))
      const cursor = await firstCursor(api, rng.int(2, 6))
      await expectInvalidCursor(api, cursor.slice(0, -1), 'last character removed')
      const half = cursor.slice(0, Math.ceil(cursor.length / 2))
      await expectInvalidCursor(api, half, 'first half only')
      await expectInvalidCursor(api, `${cursor}AA`, 'two characters appended')
      await expectInvalidCursor(api, `${cursor}.${cursor}`, 'repeated')
      // Cut from the front too, and at every character base64url does not use: what is left on
      // either side of a separator (a payload without its signature, say) is not a cursor.
      await expectInvalidCursor(api, cursor.slice(1), 'first character removed')
      await expectInvalidCursor(api, `A${cursor}`, 'a character prepended')
      for (const [i, ch] of [...cursor].entries()) {
        if (B64URL.includes(ch)) continue
        const pieces = [cursor.slice(0, i), cursor.slice(0, i + 1)]
        pieces.push(cursor.slice(i), cursor.slice(i + 1))
        for (const piece of pieces) {
          if (piece !== '') await expectInvalidCursor(api, piece, `cut at character ${i}`)
        }
      }
    })

    it('answers 400 invalid_cursor for a real cursor whose JSON was edited', async () => {
      const rng = random()
      const { api } = setup(rng, rng.int(30, 60))
      const cursors = [
        await firstCursor(api, rng.int(2, 6)),
        await firstCursor(api, rng.int(7, 12)),
      ]
      // An unsigned cursor is base64 JSON: edit what it holds and re-encode it, the way a client
      // that wants to skip ahead would. A signed cursor must reject every one of these. If the
      // cursor holds no decodable JSON at all, there is nothing to edit: the character checks
      // above cover it.
      for (const cursor of cursors) {
        const segments = cursor.split('.')
        for (const { index, value } of jsonSegments(cursor)) {
          for (const delta of [-1, 1, rng.int(2, 9)]) {
            const shifted = JSON.stringify(shiftNumbers(value, delta))
            if (shifted === JSON.stringify(value)) continue // no numbers in it: nothing to edit
            const edited = [...segments]
            edited[index] = b64(shifted)
            await expectInvalidCursor(api, edited.join('.'), 'edited JSON')
          }
        }
        // Always exercised, whatever the format: the request with the real cursor still works.
        expect(await api.get(listPath(5, cursor))).toHaveStatus(200)
      }
    })

    it('answers 400 invalid_cursor for a real cursor whose parts were re-encoded', async () => {
      const rng = random()
      const { api } = setup(rng, rng.int(30, 60))
      // Same bytes, other spelling: base64 with padding or with + and /, in place of each part.
      // A check made on the decoded bytes rather than on the text sent lets these in.
      for (const cursor of [await firstCursor(api, rng.int(2, 6)), await firstCursor(api, 7)]) {
        // Whatever separates the parts ('.', '~', none at all): the parts are the base64url runs.
        const segments = cursor.split(/([^A-Za-z0-9_-])/)
        let tried = 0
        for (const [index, segment] of segments.entries()) {
          if (index % 2 === 1 || !/^[A-Za-z0-9_-]+$/.test(segment)) continue
          const bytes = Buffer.from(segment, 'base64url')
          const spellings = new Set([bytes.toString('base64'), `${segment}=`, `${segment}==`])
          for (const spelling of spellings) {
            if (spelling === segment) continue
            const edited = [...segments]
            edited[index] = spelling
            tried++
            await expectInvalidCursor(api, edited.join(''), `part ${index / 2} re-encoded`)
          }
        }
        expect(tried, 'base64url parts of the cursor that were re-encoded').toBeGreaterThan(0)
        // The real cursor still works.
        expect(await api.get(listPath(5, cursor))).toHaveStatus(200)
      }
    })

    it('answers 400 invalid_cursor for parts swapped between two real cursors', async () => {
      const rng = random()
      const { api } = setup(rng, rng.int(40, 80))
      const first = await firstCursor(api, rng.int(2, 6))
      const page = pageOf(await api.get(listPath(rng.int(2, 6), first)))
      const second = page.nextCursor!
      expect(second, 'nextCursor of a second page with more messages after it').not.toBe(null)
      // The parts between separators, taken from one cursor and the other: each mix is a cursor
      // nobody issued, even though every part of it is real.
      const parts = (cursor: string) => cursor.split(/([^A-Za-z0-9_-])/)
      const [a, b] = [parts(first), parts(second)]
      if (a.length === b.length && a.length > 1) {
        for (let i = 0; i < a.length; i += 2) {
          if (a[i] === b[i]) continue
          const mixed = a.map((part, j) => (j === i ? b[i]! : part)).join('')
          await expectInvalidCursor(api, mixed, `part ${i / 2} taken from another cursor`)
        }
      }
      // Whatever the format: the parts in reverse order.
      const reversed = [...a].reverse().join('')
      if (reversed !== first) await expectInvalidCursor(api, reversed, 'parts in reverse order')
    })

    it('answers 400 invalid_cursor for a cursor signed by an app with another secret', async () => {
      const rng = random()
      const clock = fakeClock()
      const items = makeMessages(rng, rng.int(20, 40), clock)
      const mine = client(build(createApp, { items, secret: rng.word(12, 20), now: clock.now }))
      const theirs = client(build(createApp, { items, secret: rng.word(21, 30), now: clock.now }))
      const cursor = await firstCursor(theirs, rng.int(2, 6))
      await expectInvalidCursor(mine, cursor, "another secret's cursor")
    })

    it('refuses to build an app with an empty secret', () => {
      expect(() => createApp({ items: [], secret: '' })).toThrow()
    })

    it('refuses to build an app with a secret that is not a string', () => {
      for (const secret of [undefined, null, 42, ['secret'], { key: 'secret' }]) {
        const options = { items: [], secret } as unknown as Parameters<typeof createApp>[0]
        const what = `createApp with secret ${JSON.stringify(secret)}`
        expect(() => createApp(options), what).toThrow()
      }
    })
  })
})
