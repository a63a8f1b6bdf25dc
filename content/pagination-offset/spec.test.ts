// pagination-offset - the hidden spec.
//
// Wrong implementations this spec is built to catch:
// - off by one in the slice (skips or repeats an item between pages)
// - filters by id (`id > offset`) instead of skipping `offset` positions (ids have gaps here)
// - `rel="next"` when offset + limit === total (a page that ends exactly at the last item)
// - no `rel="next"` when items remain (even one), or a next target with the wrong offset
// - `rel="prev"` not clamped at 0 (offset=3&limit=10 links to offset=-7), before or past the end
// - `rel="prev"` on the first page (offset 0)
// - Link targets without the defaults (`?offset=20` instead of `?limit=20&offset=20`), in either
//   the next or the prev target
// - one `c.header('Link', ...)` per link, so the second replaces the first
// - an empty `Link:` header when there is neither a next nor a previous page
// - parseInt-style leniency: "10abc" read as 10, "1.5" read as 1
// - `Number('') === 0`: an empty offset or limit accepted as 0
// - `Number()` + `Number.isInteger` with `''` ruled out: still accepts `1e1`, `+5`, ` 5`, `0x10`,
//   `-0`
// - limit 0 or 101 accepted, or a limit above 100 clamped to 100 instead of rejected
// - a negative offset accepted (or treated as counting from the end)
// - an offset at or past the end answering an error or the last page instead of an empty page
// - total counting the page instead of the whole collection
// - limit and offset echoed as strings, or missing when the client left them out
// - `items.splice` (or sort/reverse) changing the caller's array, so a second request differs
// - the collection kept in module-level state, shared between apps
import { describe, expect, it } from 'vitest'
import {
  build,
  client,
  parseLinkHeader,
  random,
  task,
  type Reply,
  type Rng,
} from '../../harness/spec-kit/index.ts'
import { createApp, type Item } from '../../exercises/pagination-offset/app.ts'

/** n items with increasing ids that have gaps, so position and id never coincide. */
function makeItems(rng: Rng, n: number): Item[] {
  const items: Item[] = []
  let id = rng.int(1, 40)
  for (let i = 0; i < n; i++) {
    items.push({ id, name: rng.word(3, 10) })
    id += rng.int(1, 7)
  }
  return items
}

/** The targets the reply's Link header gives for one relation type. */
function targetsOf(res: Reply, rel: string): string[] {
  const header = res.headers['link']
  if (header === undefined) return []
  return parseLinkHeader(header)
    .filter((link) => link.rels.includes(rel))
    .map((link) => link.target)
}

/** A target reduced to what the contract fixes: its path and its query parameters. */
function describeTarget(target: string): Record<string, string | string[]> {
  const url = new URL(target, 'http://api.test')
  const shown: Record<string, string | string[]> = { path: url.pathname }
  for (const key of new Set(url.searchParams.keys())) {
    const values = url.searchParams.getAll(key)
    shown[key] = values.length === 1 ? values[0]! : values
  }
  return shown
}

/** A Link target as a path the client can request (an absolute URL keeps only path and query). */
function pathOf(target: string): string {
  const url = new URL(target, 'http://api.test')
  return `${url.pathname}${url.search}`
}

/** Asserts exactly one link with this rel, pointing at /api/items?limit=&offset=. */
function expectLink(res: Reply, rel: 'next' | 'prev', limit: number, offset: number): void {
  expect(res).toHaveHeader('link')
  const targets = targetsOf(res, rel)
  expect(targets, `expected one rel="${rel}" link in Link: ${res.headers['link']}`).toHaveLength(1)
  expect(describeTarget(targets[0]!), `the rel="${rel}" target`).toEqual({
    path: '/api/items',
    limit: String(limit),
    offset: String(offset),
  })
}

function expectNoLink(res: Reply, rel: 'next' | 'prev'): void {
  const targets = targetsOf(res, rel)
  expect(targets, `expected no rel="${rel}" link in Link: ${res.headers['link']}`).toEqual([])
}

/** The page body the contract describes (other fields are allowed). */
function page(data: Item[], total: number, limit: number, offset: number) {
  return expect.objectContaining({ data, total, limit, offset })
}

describe('pagination-offset', () => {
  task(1, 'Serve a window of items', () => {
    it('serves the first 20 items with limit 20 and offset 0 when the query is empty', async () => {
      const rng = random()
      const items = makeItems(rng, rng.int(21, 60))
      const res = await client(build(createApp, { items })).get('/api/items')
      expect(res).toHaveStatus(200)
      expect(res).toHaveJsonBody(page(items.slice(0, 20), items.length, 20, 0))
    })

    it('returns the items from offset up to offset + limit', async () => {
      const rng = random()
      const items = makeItems(rng, rng.int(30, 80))
      const limit = rng.int(2, 9)
      const offset = rng.int(1, items.length - limit - 1)
      const api = client(build(createApp, { items }))
      const res = await api.get(`/api/items?limit=${limit}&offset=${offset}`)
      expect(res).toHaveStatus(200)
      const window = items.slice(offset, offset + limit)
      expect(res).toHaveJsonBody(page(window, items.length, limit, offset))
    })

    it('fills in the default limit or offset when only the other one is given', async () => {
      const rng = random()
      const items = makeItems(rng, rng.int(50, 90))
      const api = client(build(createApp, { items }))
      const offset = rng.int(1, 20)
      const onlyOffset = await api.get(`/api/items?offset=${offset}`)
      const window = items.slice(offset, offset + 20)
      expect(onlyOffset).toHaveJsonBody(page(window, items.length, 20, offset))
      const limit = rng.int(1, 15)
      const onlyLimit = await api.get(`/api/items?limit=${limit}`)
      expect(onlyLimit).toHaveJsonBody(page(items.slice(0, limit), items.length, limit, 0))
    })

    it('accepts the limits 1 and 100', async () => {
      const rng = random()
      const items = makeItems(rng, rng.int(101, 130))
      const api = client(build(createApp, { items }))
      const one = await api.get('/api/items?limit=1&offset=3')
      expect(one).toHaveStatus(200)
      expect(one).toHaveJsonBody(page(items.slice(3, 4), items.length, 1, 3))
      const hundred = await api.get('/api/items?limit=100')
      expect(hundred).toHaveStatus(200)
      expect(hundred).toHaveJsonBody(page(items.slice(0, 100), items.length, 100, 0))
    })

    it('returns a short last page when fewer than limit items remain', async () => {
      const rng = random()
      const limit = rng.int(5, 12)
      const items = makeItems(rng, limit * rng.int(2, 5) + rng.int(1, limit - 1))
      const offset = Math.floor(items.length / limit) * limit
      const api = client(build(createApp, { items }))
      const res = await api.get(`/api/items?limit=${limit}&offset=${offset}`)
      expect(res).toHaveStatus(200)
      expect(res).toHaveJsonBody(page(items.slice(offset), items.length, limit, offset))
    })

    it('answers 200 with an empty page when offset is at or past the end', async () => {
      const rng = random()
      const items = makeItems(rng, rng.int(3, 30))
      const limit = rng.int(1, 10)
      const api = client(build(createApp, { items }))
      for (const offset of [items.length, items.length + rng.int(1, 50)]) {
        const res = await api.get(`/api/items?limit=${limit}&offset=${offset}`)
        expect(res).toHaveStatus(200)
        expect(res).toHaveJsonBody(page([], items.length, limit, offset))
      }
    })

    it('serves an empty collection as an empty page with total 0 and no Link header', async () => {
      const res = await client(build(createApp, { items: [] })).get('/api/items')
      expect(res).toHaveStatus(200)
      expect(res).toHaveJsonBody(page([], 0, 20, 0))
      expect(res).not.toHaveHeader('link')
    })

    it('leaves the items array it was given unchanged', async () => {
      const rng = random()
      const items = makeItems(rng, rng.int(30, 60))
      const before = structuredClone(items)
      const api = client(build(createApp, { items }))
      await api.get('/api/items?limit=7&offset=3')
      await api.get(`/api/items?limit=5&offset=${items.length - 2}`)
      await api.get('/api/items')
      expect(items, "the caller's items array after three requests").toEqual(before)
    })

    it('serves the same page again when the same request is repeated', async () => {
      const rng = random()
      const items = makeItems(rng, rng.int(30, 60))
      const expected = structuredClone(items)
      const api = client(build(createApp, { items }))
      const limit = rng.int(3, 8)
      const offset = rng.int(0, 10)
      for (let round = 0; round < 3; round++) {
        const res = await api.get(`/api/items?limit=${limit}&offset=${offset}`)
        expect(res).toHaveJsonBody(
          page(expected.slice(offset, offset + limit), expected.length, limit, offset),
        )
      }
    })

    it('keeps each app its own collection', async () => {
      const rng = random()
      const first = makeItems(rng, rng.int(5, 15))
      const second = makeItems(rng, rng.int(16, 30))
      const a = client(build(createApp, { items: first }))
      const b = client(build(createApp, { items: second }))
      const all = '/api/items?limit=100'
      expect(await b.get(all)).toHaveJsonBody(page(second, second.length, 100, 0))
      expect(await a.get(all)).toHaveJsonBody(page(first, first.length, 100, 0))
      expect(await b.get(all)).toHaveJsonBody(page(second, second.length, 100, 0))
    })
  })

  task(2, 'Reject a bad limit or offset', () => {
    it('rejects a limit that is not a plain integer with 400 invalid_query', async () => {
      const items = makeItems(random(), 30)
      const api = client(build(createApp, { items }))
      // Number() reads '1e1' as 10, '+5' and ' 5' as 5, '0x10' as 16: not digits only.
      for (const limit of ['abc', '10abc', '1.5', '', '1e1', '+5', ' 5', '5 ', '0x10', '٣']) {
        const res = await api.get(`/api/items?limit=${encodeURIComponent(limit)}`)
        expect(res).toHaveStatus(400)
        expect(res).toHaveJsonBody(expect.objectContaining({ error: 'invalid_query' }))
      }
    })

    it('rejects a limit outside 1..100 with 400 instead of clamping it', async () => {
      const rng = random()
      const items = makeItems(rng, 130)
      const api = client(build(createApp, { items }))
      for (const limit of ['0', '-1', '101', String(rng.int(102, 5000)), '100000000000000000000']) {
        const res = await api.get(`/api/items?limit=${limit}`)
        expect(res).toHaveStatus(400)
        expect(res).toHaveJsonBody(expect.objectContaining({ error: 'invalid_query' }))
      }
    })

    it('rejects an offset that is not an integer >= 0 with 400 invalid_query', async () => {
      const rng = random()
      const items = makeItems(rng, 30)
      const api = client(build(createApp, { items }))
      const notDigits = ['1e1', '+5', ' 5', '5 ', '0x10', '-0']
      for (const offset of ['abc', '10abc', '1.5', '-1', String(-rng.int(2, 50)), ...notDigits]) {
        const res = await api.get(`/api/items?offset=${encodeURIComponent(offset)}`)
        expect(res).toHaveStatus(400)
        expect(res).toHaveJsonBody(expect.objectContaining({ error: 'invalid_query' }))
      }
    })

    it('rejects an empty limit or offset with 400 instead of reading it as 0', async () => {
      const items = makeItems(random(), 30)
      const api = client(build(createApp, { items }))
      for (const query of ['limit=5&offset=', 'offset=', 'limit=&offset=5']) {
        const res = await api.get(`/api/items?${query}`)
        expect(res).toHaveStatus(400)
        expect(res).toHaveJsonBody(expect.objectContaining({ error: 'invalid_query' }))
      }
    })
  })

  task(3, 'Link to the next page', () => {
    it('links rel="next" to the following window while items remain', async () => {
      const rng = random()
      const items = makeItems(rng, rng.int(40, 80))
      const limit = rng.int(2, 10)
      const offset = rng.int(0, items.length - limit - 1)
      const api = client(build(createApp, { items }))
      const res = await api.get(`/api/items?offset=${offset}&limit=${limit}`)
      expect(res).toHaveStatus(200)
      expectLink(res, 'next', limit, offset + limit)
      // One item left after the page: the last offset that still has a next page.
      const edge = items.length - limit - 1
      const oneLeft = await api.get(`/api/items?limit=${limit}&offset=${edge}`)
      expectLink(oneLeft, 'next', limit, items.length - 1)
    })

    it('writes the default limit and offset into the rel="next" target', async () => {
      const rng = random()
      const items = makeItems(rng, rng.int(41, 70))
      const api = client(build(createApp, { items }))
      expectLink(await api.get('/api/items'), 'next', 20, 20)
      const offset = rng.int(1, 20)
      expectLink(await api.get(`/api/items?offset=${offset}`), 'next', 20, offset + 20)
      const limit = rng.int(2, 20)
      expectLink(await api.get(`/api/items?limit=${limit}`), 'next', limit, limit)
    })

    it('has no rel="next" when the page ends exactly at the last item', async () => {
      const rng = random()
      const limit = rng.int(2, 10)
      const items = makeItems(rng, limit * rng.int(2, 6))
      const offset = items.length - limit
      const api = client(build(createApp, { items }))
      const res = await api.get(`/api/items?limit=${limit}&offset=${offset}`)
      expect(res).toHaveStatus(200)
      expect(res).toHaveJsonBody(page(items.slice(offset), items.length, limit, offset))
      expectNoLink(res, 'next')
    })

    it('visits every item exactly once by following rel="next" from the first page', async () => {
      const rng = random()
      const limit = rng.int(1, 9)
      const counts = [0, 1, limit, limit * rng.int(2, 6), limit * rng.int(2, 6) + rng.int(1, limit)]
      for (const count of counts) {
        const items = makeItems(rng, count)
        const api = client(build(createApp, { items }))
        const seen: Item[] = []
        let path: string | undefined = `/api/items?limit=${limit}`
        for (let pages = 0; path !== undefined; pages++) {
          expect(pages, `more pages than ${count} items can fill`).toBeLessThanOrEqual(count)
          const res: Reply = await api.get(path)
          expect(res).toHaveStatus(200)
          const data = (res.body as { data?: Item[] } | undefined)?.data ?? []
          expect(data.length, `items on a page of limit ${limit}`).toBeLessThanOrEqual(limit)
          seen.push(...data)
          const next = targetsOf(res, 'next')
          expect(next.length, 'at most one rel="next" link').toBeLessThanOrEqual(1)
          path = next[0] === undefined ? undefined : pathOf(next[0])
        }
        expect(seen, `the items seen following next links through ${count} items`).toEqual(items)
      }
    })
  })

  task(4, 'Link to the previous page', () => {
    it('links rel="prev" to offset - limit', async () => {
      const rng = random()
      const items = makeItems(rng, rng.int(40, 80))
      const limit = rng.int(2, 10)
      const offset = rng.int(limit, items.length - 1)
      const api = client(build(createApp, { items }))
      const res = await api.get(`/api/items?limit=${limit}&offset=${offset}`)
      expect(res).toHaveStatus(200)
      expectLink(res, 'prev', limit, offset - limit)
    })

    it('clamps the rel="prev" offset at 0 when offset is smaller than limit', async () => {
      const rng = random()
      const items = makeItems(rng, rng.int(40, 80))
      const limit = rng.int(5, 15)
      const offset = rng.int(1, limit - 1)
      const api1 = client(build(createApp, { items }))
      const res = await api1.get(`/api/items?limit=${limit}&offset=${offset}`)
      expect(res).toHaveStatus(200)
      expectLink(res, 'prev', limit, 0)
      // Both ends of that range: offset 1, and offset equal to limit (exactly one page back).
      const api = client(build(createApp, { items }))
      expectLink(await api.get(`/api/items?limit=${limit}&offset=1`), 'prev', limit, 0)
      expectLink(await api.get(`/api/items?limit=${limit}&offset=${limit}`), 'prev', limit, 0)
      expectLink(await api.get(`/api/items?limit=${limit}&offset=${limit + 1}`), 'prev', limit, 1)
    })

    it('has no rel="prev" on the first page', async () => {
      const rng = random()
      const items = makeItems(rng, rng.int(40, 80))
      const limit = rng.int(2, 10)
      const api = client(build(createApp, { items }))
      const res = await api.get(`/api/items?limit=${limit}&offset=0`)
      expect(res).toHaveStatus(200)
      expectNoLink(res, 'prev')
      expectLink(res, 'next', limit, limit)
    })

    it('writes the default limit into the rel="prev" target', async () => {
      const rng = random()
      const items = makeItems(rng, rng.int(41, 70))
      const api = client(build(createApp, { items }))
      const offset = rng.int(21, 40)
      expectLink(await api.get(`/api/items?offset=${offset}`), 'prev', 20, offset - 20)
      const short = rng.int(1, 19)
      expectLink(await api.get(`/api/items?offset=${short}`), 'prev', 20, 0)
    })

    it('sends rel="next" and rel="prev" together from a page in the middle', async () => {
      const rng = random()
      const items = makeItems(rng, rng.int(40, 80))
      const limit = rng.int(2, 10)
      const offset = rng.int(limit, items.length - limit - 1)
      const api = client(build(createApp, { items }))
      const res = await api.get(`/api/items?limit=${limit}&offset=${offset}`)
      expect(res).toHaveStatus(200)
      expectLink(res, 'next', limit, offset + limit)
      expectLink(res, 'prev', limit, offset - limit)
    })

    it('links back with rel="prev" and offers no rel="next" past the end', async () => {
      const rng = random()
      const items = makeItems(rng, rng.int(5, 30))
      const limit = rng.int(2, 8)
      const offset = items.length + rng.int(0, 40)
      const api = client(build(createApp, { items }))
      const res = await api.get(`/api/items?limit=${limit}&offset=${offset}`)
      expect(res).toHaveStatus(200)
      expectNoLink(res, 'next')
      // Never below 0: with 7 items, offset 7 and limit 8 the previous window starts at 0.
      expectLink(res, 'prev', limit, Math.max(0, offset - limit))
      // That edge on purpose, not only when the draw reaches it: just past the end of a collection
      // smaller than one page.
      const few = makeItems(rng, rng.int(1, 6))
      const wide = few.length + rng.int(1, 5)
      const api2 = client(build(createApp, { items: few }))
      const pastFew = await api2.get(`/api/items?limit=${wide}&offset=${few.length}`)
      expect(pastFew).toHaveStatus(200)
      expectNoLink(pastFew, 'next')
      expectLink(pastFew, 'prev', wide, 0)
    })

    it('sends no Link header at all when one page holds everything', async () => {
      const rng = random()
      const items = makeItems(rng, rng.int(1, 20))
      const limit = rng.pick([items.length, items.length + rng.int(1, 30)])
      const res = await client(build(createApp, { items })).get(`/api/items?limit=${limit}`)
      expect(res).toHaveStatus(200)
      expect(res).toHaveJsonBody(page(items, items.length, limit, 0))
      expect(res).not.toHaveHeader('link')
    })

    it('visits every item once by following rel="prev" back from the last page', async () => {
      const rng = random()
      const limit = rng.int(2, 9)
      const items = makeItems(rng, limit * rng.int(2, 6) + rng.int(0, limit - 1))
      const api = client(build(createApp, { items }))
      const lastOffset = Math.floor((items.length - 1) / limit) * limit
      const pages: Item[][] = []
      let path: string | undefined = `/api/items?limit=${limit}&offset=${lastOffset}`
      for (let n = 0; path !== undefined; n++) {
        expect(n, 'more pages than the items can fill').toBeLessThanOrEqual(items.length)
        const res: Reply = await api.get(path)
        expect(res).toHaveStatus(200)
        const data = (res.body as { data?: Item[] } | undefined)?.data ?? []
        expect(data.length, `items on a page of limit ${limit}`).toBeLessThanOrEqual(limit)
        pages.unshift(data)
        const prev = targetsOf(res, 'prev')
        path = prev[0] === undefined ? undefined : pathOf(prev[0])
      }
      expect(pages.flat(), 'the items seen following prev links back to the start').toEqual(items)
    })
  })
})
