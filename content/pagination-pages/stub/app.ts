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

/**
 * Cuts page `page` of `items`, `perPage` items to a page, and links its neighbours under
 * `baseUrl`. Knows nothing about articles, Hono or query strings: any list endpoint can call it.
 */
export function paginate<T>(items: readonly T[], params: PageParams, baseUrl: string): Page<T> {
  // TODO: the items on page `params.page` (pages start at 1), the meta numbers and the links
  // (self, first, last, and next/prev only where that page exists), each `baseUrl?page=&per_page=`
  throw new Error(`paginate is not written yet (${items.length}, ${params.page}, ${baseUrl})`)
}

export function createApp(options: ArticlesOptions) {
  const { articles } = options
  const app = new Hono()

  // TODO: GET /api/articles?page=&per_page=
  // - page: digits only, 1 or more, default 1
  // - per_page: digits only, 1 to 50, default 10
  // - anything else: 400 { "error": "invalid_query", "parameter": "<the bad one>" }
  // - a page past the last one: 404 { "error": "page_not_found" }
  // - otherwise: 200 with paginate(articles, ..., '/api/articles')
  app.get('/api/articles', (c) => c.json({ data: articles }))

  return app
}
