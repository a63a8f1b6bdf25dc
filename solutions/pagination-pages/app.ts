import { Hono } from 'hono'

/** One article of the collection. */
export interface Article {
  id: number
  title: string
}

export interface ArticlesOptions {
  /** The whole collection, in id order. The app reads it and never changes it. */
  articles: Article[]
}

/** Which page to cut: both 1 or more, already validated. */
export interface PageParams {
  page: number
  perPage: number
}

export interface PageMeta {
  page: number
  perPage: number
  total: number
  totalPages: number
}

/** URLs of neighbouring pages; `next` and `prev` are left out where there is no such page. */
export interface PageLinks {
  self: string
  first: string
  last: string
  next?: string
  prev?: string
}

export interface Page<T> {
  data: T[]
  meta: PageMeta
  links: PageLinks
}

const DEFAULT_PER_PAGE = 10
const MAX_PER_PAGE = 50

/**
 * Cuts page `page` of `items`, `perPage` items to a page, and links its neighbours under
 * `baseUrl`. Knows nothing about articles, Hono or query strings: any list endpoint can call it.
 */
export function paginate<T>(
  items: readonly T[],
  { page, perPage }: PageParams,
  baseUrl: string,
): Page<T> {
  const total = items.length
  // Round up: 23 items at 10 a page need a third page for the last 3. `Math.floor` would lose
  // them, and `floor + 1` would invent an empty page whenever total is a multiple of perPage.
  // An empty collection still has one (empty) page, so page 1 always exists, as in Django.
  const totalPages = Math.max(1, Math.ceil(total / perPage))

  // Page numbers start at 1, array indexes at 0: page 1 is items [0, perPage).
  // `slice` copies and stops at the end, so the last page is simply short.
  const start = (page - 1) * perPage
  const data = items.slice(start, start + perPage)

  // Every link writes out both parameters, defaults included: a client that chose 25 a page
  // keeps 25 a page however many links it follows.
  const at = (n: number) => `${baseUrl}?page=${n}&per_page=${perPage}`
  const links: PageLinks = { self: at(page), first: at(1), last: at(totalPages) }
  // Compare page numbers, not item counts: "is there a page after this one?"
  if (page < totalPages) links.next = at(page + 1)
  if (page > 1) links.prev = at(page - 1)

  return { data, meta: { page, perPage, total, totalPages }, links }
}

/**
 * A query parameter as a whole number: the fallback when it is absent, `undefined` when it is not
 * written in digits only. A query value is text, and `parseInt('2x')` is 2, `Number('')` is 0 and
 * `Number('1e1')` is 10, so neither conversion is a check: first decide what a number looks like
 * (digits only), then convert, then check the range.
 */
function wholeNumber(raw: string | undefined, fallback: number): number | undefined {
  if (raw === undefined) return fallback
  return /^\d+$/.test(raw) ? Number(raw) : undefined
}

export function createApp(options: ArticlesOptions) {
  const { articles } = options
  const app = new Hono()

  app.get('/api/articles', (c) => {
    // Name the parameter so the client knows which one to fix.
    const page = wholeNumber(c.req.query('page'), 1)
    if (page === undefined || page < 1) {
      return c.json({ error: 'invalid_query', parameter: 'page' }, 400)
    }
    const perPage = wholeNumber(c.req.query('per_page'), DEFAULT_PER_PAGE)
    // Above the cap is a 400, not a silent clamp: a client that asked for 200 and got 50 would
    // think it had the whole page it asked for.
    if (perPage === undefined || perPage < 1 || perPage > MAX_PER_PAGE) {
      return c.json({ error: 'invalid_query', parameter: 'per_page' }, 400)
    }
    const result = paginate(articles, { page, perPage }, '/api/articles')
    // A page number names a page that either exists or does not (unlike an offset, which is
    // just a position): page 4 of 3 is a 404, and the body says where the last page is.
    if (page > result.meta.totalPages) {
      return c.json({ error: 'page_not_found', totalPages: result.meta.totalPages }, 404)
    }
    return c.json(result)
  })

  return app
}
