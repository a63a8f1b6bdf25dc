// pagination-pages - the hidden spec.
//
// Wrong implementations this spec is built to catch:
// - off by one in the slice: page 1 starting at item perPage (`page * perPage`), or pages that
//   overlap or skip an item at the boundary
// - totalPages rounded down (`Math.floor`): the short last page is lost, answers 404, and
//   `last` points one page too early
// - totalPages as `floor + 1`: an extra empty page whenever total is a multiple of perPage, so
//   `last` points past the end and the real last page links `next` to nothing
// - `next` on the last page (comparing item counts with `<=`), or missing while pages remain
// - `prev` on page 1, or missing / pointing elsewhere than page - 1
// - per_page dropped from the links (or written only when the client sent it), defaults left
//   out of self/first/last
// - per_page above 50 clamped to 50 instead of rejected; 0 accepted
// - parseInt / Number leniency: "2x" read as 2, "1.5" as 1, "" as the default, "1e1" as 10,
//   "2.0" and "0x2" as 2, "00" as anything but an error
// - a 400 that does not name the bad parameter
// - page numbers counted from 0, or a page past the last answering 200 instead of 404
// - an empty collection answering 404 on page 1, or reporting totalPages 0 with no first/last
// - a page past the last one answering 200 with an empty page (after a full last page, or for
//   page 2 of an empty collection)
// - page and perPage echoed as strings in meta, or total counting the page, not the collection
// - a paginate() helper hard-wired to the route (fixed base URL, fixed per_page, articles only)
// - the caller's array changed (splice, by paginate itself or by the route), or articles kept in
//   module-level state
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
  paginate,
  type Article,
  type ArticlesOptions,
} from '../../exercises/pagination-pages/app.ts'

/** n articles with increasing ids that have gaps, so position and id never coincide. */
function makeArticles(rng: Rng, n: number): Article[] {
  const articles: Article[] = []
  let id = rng.int(1, 40)
  for (let i = 0; i < n; i++) {
    articles.push({ id, title: `${rng.word(3, 8)} ${rng.word(3, 8)}` })
    id += rng.int(1, 7)
  }
  return articles
}

/** The contract's page count: rounded up, and an empty collection still has one page. */
function pagesFor(total: number, perPage: number): number {
  return total === 0 ? 1 : Math.ceil(total / perPage)
}

type LinkShape = Record<string, string | string[]>

/**
 * A link reduced to what the contract fixes: the part before `?` and its query parameters.
 * With `pathOnly`, an absolute URL counts by its path (the route may link either way).
 */
function shapeOf(target: unknown, pathOnly: boolean): unknown {
  if (typeof target !== 'string') return target
  const q = target.indexOf('?')
  const base = q < 0 ? target : target.slice(0, q)
  const shape: LinkShape = { base: pathOnly ? new URL(base, 'http://api.test').pathname : base }
  const params = new URLSearchParams(q < 0 ? '' : target.slice(q + 1))
  for (const key of new Set(params.keys())) {
    const values = params.getAll(key)
    shape[key] = values.length === 1 ? values[0]! : values
  }
  return shape
}

/** Every link of a `links` object as a shape; links set to undefined count as absent. */
function shapesOf(links: unknown, pathOnly = true): unknown {
  if (typeof links !== 'object' || links === null) return links
  const shapes: Record<string, unknown> = {}
  for (const [rel, target] of Object.entries(links)) {
    if (target !== undefined) shapes[rel] = shapeOf(target, pathOnly)
  }
  return shapes
}

/** The links the contract gives page `page`: self, first, last, and next/prev where they exist. */
function expectedLinks(base: string, page: number, perPage: number, totalPages: number) {
  const at = (n: number): LinkShape => ({ base, page: String(n), per_page: String(perPage) })
  const links: Record<string, LinkShape> = { self: at(page), first: at(1), last: at(totalPages) }
  if (page < totalPages) links.next = at(page + 1)
  if (page > 1) links.prev = at(page - 1)
  return links
}

/** The shape of a link to page `page` of /api/articles. */
function articlesLink(page: number, perPage: number): LinkShape {
  return { base: '/api/articles', page: String(page), per_page: String(perPage) }
}

interface PageBody {
  data?: Article[]
  meta?: unknown
  links?: Record<string, unknown>
}

function bodyOf(res: Reply): PageBody {
  return (res.body ?? {}) as PageBody
}

/** A 200 reply holding page `page` of `articles`: data, meta and links as the contract says. */
function expectPage(res: Reply, articles: Article[], page: number, perPage: number): void {
  const totalPages = pagesFor(articles.length, perPage)
  const start = (page - 1) * perPage
  expect(res).toHaveStatus(200)
  expect(res).toHaveJsonBody(
    expect.objectContaining({
      data: articles.slice(start, start + perPage),
      meta: { page, perPage, total: articles.length, totalPages },
    }),
  )
  expect(shapesOf(bodyOf(res).links), `links of page ${page}`).toEqual(
    expectedLinks('/api/articles', page, perPage, totalPages),
  )
}

/** The path a link leads to, for requesting it (an absolute URL keeps only path and query). */
function pathOf(target: string): string {
  const url = new URL(target, 'http://api.test')
  return `${url.pathname}${url.search}`
}

/** The app over `articles`, built so that a failing check can say which collection it served. */
function articlesApp(articles: Article[]) {
  const options: ArticlesOptions = { articles }
  return client(build(createApp, options))
}

/** Random lists for calling paginate directly: any item type, any size, any base URL. */
function paginateCases(rng: Rng) {
  const bases = [
    `/api/${rng.word()}`,
    `/${rng.word()}/${rng.int(1, 999)}/${rng.word()}`,
    `https://${rng.word()}.example.test/v${rng.int(1, 9)}/${rng.word()}`,
  ]
  return Array.from({ length: 12 }, () => {
    const perPage = rng.int(1, 60)
    const total = rng.pick([
      0,
      1,
      perPage,
      perPage * rng.int(2, 8),
      perPage * rng.int(1, 8) + rng.int(1, perPage),
      rng.int(0, 300),
    ])
    const items = Array.from({ length: total }, (_, i) => ({ sku: `${rng.word(2, 4)}-${i}` }))
    const totalPages = pagesFor(total, perPage)
    const page = rng.pick([1, totalPages, rng.int(1, totalPages)])
    const base = rng.pick(bases)
    const call = `paginate(${total} items, { page: ${page}, perPage: ${perPage} }, '${base}')`
    return { items, page, perPage, total, totalPages, base, call }
  })
}

const BAD_NUMBERS = ['0', '00', '-1', 'abc', '1.5', '2.0', '', '2x', '1e1', '0x2', '+3', ' 2']

describe('pagination-pages', () => {
  task(1, 'Cut one page with paginate', () => {
    it('paginate returns the items of any page of any list, with its meta numbers', () => {
      const cases = paginateCases(random())
      for (const { items, page, perPage, total, totalPages, base, call } of cases) {
        const result = paginate(items, { page, perPage }, base)
        const start = (page - 1) * perPage
        expect(result.data, `${call}.data`).toEqual(items.slice(start, start + perPage))
        expect(result.meta, `${call}.meta`).toEqual({ page, perPage, total, totalPages })
      }
    })

    it('paginate gives an empty list one empty page', () => {
      const perPage = random().int(1, 50)
      const result = paginate([], { page: 1, perPage }, '/api/things')
      expect(result.data, 'data').toEqual([])
      expect(result.meta, 'meta').toEqual({ page: 1, perPage, total: 0, totalPages: 1 })
    })

    it('paginate leaves the list it was given unchanged', () => {
      const rng = random()
      const articles = makeArticles(rng, rng.int(30, 60))
      const before = structuredClone(articles)
      for (const page of [1, 2, 5]) paginate(articles, { page, perPage: 7 }, '/api/articles')
      expect(articles, "the caller's array after paginate cut pages 1, 2 and 5").toEqual(before)
    })
  })

  task(2, 'Link the neighbouring pages', () => {
    it('paginate links self, first, last, next and prev under the base URL it is given', () => {
      for (const { items, page, perPage, totalPages, base, call } of paginateCases(random())) {
        const result = paginate(items, { page, perPage }, base)
        expect(shapesOf(result.links, false), `${call}.links`).toEqual(
          expectedLinks(base, page, perPage, totalPages),
        )
      }
    })

    it("paginate links an empty list's one page as self, first and last", () => {
      const rng = random()
      const perPage = rng.int(1, 50)
      const base = `/api/${rng.word()}`
      const result = paginate([], { page: 1, perPage }, base)
      expect(shapesOf(result.links, false), 'links').toEqual(expectedLinks(base, 1, perPage, 1))
    })
  })

  task(3, 'Serve pages at GET /api/articles', () => {
    it('serves page 1 with 10 articles per page when the query is empty', async () => {
      const rng = random()
      const articles = makeArticles(rng, rng.int(21, 60))
      const res = await articlesApp(articles).get('/api/articles')
      expectPage(res, articles, 1, 10)
    })

    it('returns the articles of the requested page, counting pages from 1', async () => {
      const rng = random()
      const perPage = rng.int(2, 9)
      const articles = makeArticles(rng, perPage * rng.int(4, 8) + rng.int(0, perPage - 1))
      const page = rng.int(2, 3)
      const api = articlesApp(articles)
      expectPage(await api.get(`/api/articles?page=1&per_page=${perPage}`), articles, 1, perPage)
      const res = await api.get(`/api/articles?page=${page}&per_page=${perPage}`)
      expectPage(res, articles, page, perPage)
    })

    it('fills in the default of whichever parameter is left out', async () => {
      const rng = random()
      const articles = makeArticles(rng, rng.int(45, 90))
      const api = articlesApp(articles)
      const page = rng.int(2, 4)
      expectPage(await api.get(`/api/articles?page=${page}`), articles, page, 10)
      const perPage = rng.int(3, 15)
      expectPage(await api.get(`/api/articles?per_page=${perPage}`), articles, 1, perPage)
    })

    it('rounds totalPages up so a short last page still exists', async () => {
      const rng = random()
      const perPage = rng.int(3, 12)
      const full = rng.int(1, 5)
      const articles = makeArticles(rng, perPage * full + rng.int(1, perPage - 1))
      const last = full + 1
      const res = await articlesApp(articles).get(`/api/articles?page=${last}&per_page=${perPage}`)
      expectPage(res, articles, last, perPage)
    })

    it('ends on a full page when total is a multiple of per_page', async () => {
      const rng = random()
      const perPage = rng.int(2, 12)
      const pages = rng.int(1, 6)
      const articles = makeArticles(rng, perPage * pages)
      const api = articlesApp(articles)
      const first = await api.get(`/api/articles?per_page=${perPage}`)
      expectPage(first, articles, 1, perPage)
      const last = await api.get(`/api/articles?page=${pages}&per_page=${perPage}`)
      expectPage(last, articles, pages, perPage)
    })

    it('accepts per_page 1 and 50', async () => {
      const rng = random()
      const articles = makeArticles(rng, rng.int(51, 120))
      const api = articlesApp(articles)
      const page = rng.int(2, 40)
      expectPage(await api.get(`/api/articles?page=${page}&per_page=1`), articles, page, 1)
      expectPage(await api.get('/api/articles?per_page=50'), articles, 1, 50)
    })

    it('reads digits with leading zeros as the number they spell', async () => {
      const rng = random()
      const articles = makeArticles(rng, rng.int(30, 60))
      const res = await articlesApp(articles).get('/api/articles?page=02&per_page=007')
      expectPage(res, articles, 2, 7)
    })

    it('serves an empty collection as one empty page', async () => {
      const api = articlesApp([])
      expectPage(await api.get('/api/articles'), [], 1, 10)
      const perPage = random().int(2, 50)
      expectPage(await api.get(`/api/articles?per_page=${perPage}`), [], 1, perPage)
    })

    it('writes page and per_page, defaults included, into self, first and last', async () => {
      const rng = random()
      const articles = makeArticles(rng, rng.int(31, 99))
      const res = await articlesApp(articles).get('/api/articles')
      expect(res).toHaveStatus(200)
      const links = shapesOf(bodyOf(res).links) as Record<string, unknown>
      focusOn(res)
      expect(links?.self, 'links.self').toEqual(articlesLink(1, 10))
      expect(links?.first, 'links.first').toEqual(articlesLink(1, 10))
      expect(links?.last, 'links.last').toEqual(articlesLink(Math.ceil(articles.length / 10), 10))
    })

    it('links next to the following page and has no prev on page 1', async () => {
      const rng = random()
      const perPage = rng.int(2, 10)
      const articles = makeArticles(rng, perPage * rng.int(2, 6) + rng.int(0, perPage - 1))
      const res = await articlesApp(articles).get(`/api/articles?per_page=${perPage}`)
      expect(res).toHaveStatus(200)
      const links = shapesOf(bodyOf(res).links) as Record<string, unknown>
      focusOn(res)
      expect(links?.next, 'links.next').toEqual(articlesLink(2, perPage))
      expect(links?.prev, 'links.prev on page 1').toBeUndefined()
    })

    it('links prev to the page before', async () => {
      const rng = random()
      const perPage = rng.int(2, 10)
      const articles = makeArticles(rng, perPage * rng.int(3, 8) + rng.int(0, perPage - 1))
      const page = rng.int(2, pagesFor(articles.length, perPage))
      const res = await articlesApp(articles).get(`/api/articles?page=${page}&per_page=${perPage}`)
      expect(res).toHaveStatus(200)
      const links = shapesOf(bodyOf(res).links) as Record<string, unknown>
      focusOn(res)
      expect(links?.prev, 'links.prev').toEqual(articlesLink(page - 1, perPage))
    })

    it('has no next link on the last page, full or short', async () => {
      const rng = random()
      const perPage = rng.int(2, 10)
      for (const extra of [0, rng.int(1, perPage - 1)]) {
        const articles = makeArticles(rng, perPage * rng.int(1, 5) + extra)
        const last = pagesFor(articles.length, perPage)
        const res = await articlesApp(articles).get(
          `/api/articles?page=${last}&per_page=${perPage}`,
        )
        expect(res).toHaveStatus(200)
        const links = shapesOf(bodyOf(res).links) as Record<string, unknown>
        const where = `on page ${last} of ${articles.length} articles`
        focusOn(res)
        expect(links?.next, `links.next ${where}`).toBeUndefined()
        expect(links?.last, `links.last ${where}`).toEqual(articlesLink(last, perPage))
      }
    })

    it('keeps a non-default per_page in every link', async () => {
      const rng = random()
      const perPage = rng.pick([rng.int(2, 9), rng.int(11, 50)])
      const articles = makeArticles(rng, perPage * rng.int(3, 6) + rng.int(0, perPage - 1))
      const page = rng.int(2, pagesFor(articles.length, perPage) - 1)
      const res = await articlesApp(articles).get(`/api/articles?page=${page}&per_page=${perPage}`)
      expectPage(res, articles, page, perPage)
    })

    it('visits every article exactly once by following next from page 1', async () => {
      const rng = random()
      const perPage = rng.int(1, 9)
      const multiple = perPage * rng.int(2, 6)
      const counts = [0, 1, perPage, multiple, perPage * rng.int(2, 6) + rng.int(1, perPage)]
      for (const count of counts) {
        const articles = makeArticles(rng, count)
        const api = articlesApp(articles)
        const seen: Article[] = []
        let path: string | undefined = `/api/articles?per_page=${perPage}`
        let res: Reply | undefined
        for (let pages = 0; path !== undefined; pages++) {
          if (res) focusOn(res)
          expect(pages, `more pages than ${count} articles can fill`).toBeLessThanOrEqual(count)
          res = await api.get(path)
          expect(res).toHaveStatus(200)
          const data = bodyOf(res).data ?? []
          focusOn(res)
          expect(data.length, `articles on a page of ${perPage}`).toBeLessThanOrEqual(perPage)
          seen.push(...data)
          const next = bodyOf(res).links?.next
          path = typeof next === 'string' ? pathOf(next) : undefined
        }
        expect(seen, `the articles seen following next through ${count} articles`).toEqual(articles)
      }
    })

    it('visits every article exactly once by following prev back from the last page', async () => {
      const rng = random()
      const perPage = rng.int(2, 9)
      const articles = makeArticles(rng, perPage * rng.int(2, 6) + rng.int(0, perPage - 1))
      const api = articlesApp(articles)
      const first = await api.get(`/api/articles?per_page=${perPage}`)
      expect(first).toHaveStatus(200)
      const last = bodyOf(first).links?.last
      focusOn(first)
      expect(typeof last, 'links.last on page 1').toBe('string')
      const pages: Article[][] = []
      let path: string | undefined = pathOf(last as string)
      for (let n = 0; path !== undefined; n++) {
        expect(n, 'more pages than the articles can fill').toBeLessThanOrEqual(articles.length)
        const res: Reply = await api.get(path)
        expect(res).toHaveStatus(200)
        pages.unshift(bodyOf(res).data ?? [])
        const prev = bodyOf(res).links?.prev
        path = typeof prev === 'string' ? pathOf(prev) : undefined
      }
      expect(pages.flat(), 'the articles seen following prev back to page 1').toEqual(articles)
    })

    it('leaves the articles it was given unchanged', async () => {
      const rng = random()
      const articles = makeArticles(rng, rng.int(30, 60))
      const before = structuredClone(articles)
      const api = articlesApp(articles)
      await api.get('/api/articles?page=2&per_page=7')
      await api.get('/api/articles?page=3')
      const res = await api.get('/api/articles?page=2&per_page=7')
      focusOn(res)
      expect(articles, "the caller's articles array after three requests").toEqual(before)
      expectPage(res, before, 2, 7)
    })

    it('keeps each app its own collection', async () => {
      const rng = random()
      const first = makeArticles(rng, rng.int(5, 15))
      const second = makeArticles(rng, rng.int(16, 40))
      const a = articlesApp(first)
      const b = articlesApp(second)
      expectPage(await b.get('/api/articles?per_page=50'), second, 1, 50)
      expectPage(await a.get('/api/articles?per_page=50'), first, 1, 50)
      expectPage(await b.get('/api/articles?per_page=50'), second, 1, 50)
    })
  })

  task(4, 'Answer 404 past the last page', () => {
    it('answers 404 page_not_found for a page past the last one', async () => {
      const rng = random()
      const perPage = rng.int(2, 10)
      const articles = makeArticles(rng, rng.int(1, 40))
      const totalPages = pagesFor(articles.length, perPage)
      const api = articlesApp(articles)
      for (const page of [totalPages + 1, totalPages + rng.int(2, 500)]) {
        const res = await api.get(`/api/articles?page=${page}&per_page=${perPage}`)
        expect(res).toHaveStatus(404)
        expect(res).toHaveJsonBody(expect.objectContaining({ error: 'page_not_found' }))
      }
    })

    it('answers 404 for the page after a full last page', async () => {
      const rng = random()
      const perPage = rng.int(2, 12)
      const pages = rng.int(1, 6)
      const articles = makeArticles(rng, perPage * pages)
      const res = await articlesApp(articles).get(
        `/api/articles?page=${pages + 1}&per_page=${perPage}`,
      )
      expect(res).toHaveStatus(404)
      expect(res).toHaveJsonBody(expect.objectContaining({ error: 'page_not_found' }))
    })

    it('answers 404 for page 2 of an empty collection', async () => {
      const api = articlesApp([])
      for (const query of ['page=2', `page=2&per_page=${random().int(1, 50)}`]) {
        const res = await api.get(`/api/articles?${query}`)
        expect(res).toHaveStatus(404)
        expect(res).toHaveJsonBody(expect.objectContaining({ error: 'page_not_found' }))
      }
    })
  })

  task(5, 'Reject malformed numbers with 400', () => {
    it.each(BAD_NUMBERS.map((value) => [value]))(
      'rejects page=%s with 400 naming page',
      async (value) => {
        const articles = makeArticles(random(), 40)
        const res = await articlesApp(articles).get(
          `/api/articles?page=${encodeURIComponent(value)}&per_page=5`,
        )
        expect(res).toHaveStatus(400)
        expect(res).toHaveJsonBody(
          expect.objectContaining({ error: 'invalid_query', parameter: 'page' }),
        )
      },
    )

    it.each(BAD_NUMBERS.map((value) => [value]))(
      'rejects per_page=%s with 400 naming per_page',
      async (value) => {
        const articles = makeArticles(random(), 40)
        const res = await articlesApp(articles).get(
          `/api/articles?page=2&per_page=${encodeURIComponent(value)}`,
        )
        expect(res).toHaveStatus(400)
        expect(res).toHaveJsonBody(
          expect.objectContaining({ error: 'invalid_query', parameter: 'per_page' }),
        )
      },
    )

    it('rejects per_page above 50 with 400 instead of clamping it', async () => {
      const rng = random()
      const articles = makeArticles(rng, 120)
      const api = articlesApp(articles)
      for (const perPage of ['51', String(rng.int(52, 5000))]) {
        const res = await api.get(`/api/articles?per_page=${perPage}`)
        expect(res).toHaveStatus(400)
        expect(res).toHaveJsonBody(
          expect.objectContaining({ error: 'invalid_query', parameter: 'per_page' }),
        )
      }
    })
  })
})
