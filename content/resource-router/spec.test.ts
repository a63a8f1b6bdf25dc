// resource-router - the hidden spec.
//
// Wrong implementations this spec is built to catch:
// - a helper that only works for the two resources of the app: hard-coded paths or handler
//   sets (the spec calls `resource` directly with random subsets, paths and action names)
// - every standard route registered whatever was given (a missing handler crashes to 500, or
//   answers something other than 405); a handler given as `undefined` routed (`name in handlers`)
//   or listed in Allow; a 405 fallback for a fixed method list only (PURGE falls through)
// - no 405: a missing handler falls through to 404; a 405 without Allow
// - Allow listing methods that have no handler (a fixed `GET, POST` / `GET, PUT, PATCH, DELETE`),
//   one Allow for the whole resource (collection and item methods merged), action methods
//   added to the collection's or the item's Allow
// - a path with no handler at all answering 405 (with an empty Allow) instead of 404
// - item routes that match the collection path (`/:id?`, `/*`), so GET basePath runs retrieve
// - a 405 fallback registered as `basePath/*`, turning unknown sub-paths into 405
// - route order: actions registered after the item routes, so `basePath/<action>` is taken as
//   an id (`GET` runs retrieve with id "<action>", the item's 405 swallows the action's method)
// - actions mounted at the wrong path: `detail` ignored (detail actions at `basePath/<name>`),
//   collection actions under an id, or the id not handed to the detail handler as `id`
// - actions answering any method (`app.all`), so `GET .../publish` publishes
// - a helper that replaces app.notFound or adds a catch-all, breaking other routes of the app
//   (those registered before it and after it); a helper that wraps the handler's response
// - articles: published changed by PUT/PATCH (also when the body sends `published`), drafts
//   listing published articles, publish touching another article; tags writable; Hono's text 404
// - ids read with Number() or parseInt ("+7", "7.0", "0x7", "7e0", "7abc" name article 7); a new
//   id from the count (an id a seed article holds); a missing id on PUT/PATCH/DELETE/publish
//   that is not a 404
// - a module-level store, the caller's arrays edited in place, or the caller's objects kept (its
//   later changes show in the app)
import { Hono } from 'hono'
import { describe, expect, it } from 'vitest'
import {
  client,
  focusOn,
  parseTokenList,
  random,
  task,
  type Reply,
  type Rng,
} from '../../harness/spec-kit/index.ts'
import {
  createApp,
  resource,
  type Action,
  type ActionMethod,
  type Article,
  type Handler,
  type ResourceHandlers,
  type Tag,
} from '../../exercises/resource-router/app.ts'

// ---------------------------------------------------------------------------------------------
// The helper, called directly with made-up handlers.

type Standard = 'list' | 'create' | 'retrieve' | 'replace' | 'update' | 'destroy'
const COLLECTION: [Standard, string][] = [
  ['list', 'GET'],
  ['create', 'POST'],
]
const ITEM: [Standard, string][] = [
  ['retrieve', 'GET'],
  ['replace', 'PUT'],
  ['update', 'PATCH'],
  ['destroy', 'DELETE'],
]
const ACTION_METHODS: ActionMethod[] = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE']
const ALL_METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE']

/** A handler that says who ran, for which method and which id. */
const echo =
  (ran: string): Handler =>
  (c) =>
    c.json({ ran, method: c.req.method, id: c.req.param('id') ?? null })

/** A few of `pool`, chosen at random; at least `min` of them. */
function someOf<T>(rng: Rng, pool: T[], min = 0): T[] {
  const chosen = pool.filter(() => rng.next() < 0.5)
  while (chosen.length < min) {
    const extra = rng.pick(pool.filter((x) => !chosen.includes(x)))
    chosen.push(extra)
  }
  return rng.shuffle(chosen)
}

/** A base path of one or two segments, e.g. `/gizmos` or `/shop/gizmos`. */
const basePathOf = (rng: Rng) =>
  rng.int(0, 1) === 0 ? `/${rng.word(3, 8)}` : `/${rng.word(3, 6)}/${rng.word(3, 8)}`
/** An id: digits or a word. Never contains `-`, so it never equals an action name. */
const idOf = (rng: Rng) => (rng.int(0, 1) === 0 ? String(rng.int(1, 9999)) : rng.word(3, 8))
/** An action name, always with a `-` in it. */
const actionNameOf = (rng: Rng) => `${rng.word(3, 6)}-${rng.word(3, 6)}`

/** Handler objects whose every handler echoes its own name. */
function handlersFor(names: Standard[], actions: Record<string, Omit<Action, 'handler'>> = {}) {
  const handlers: ResourceHandlers = {}
  for (const name of names) handlers[name] = echo(name)
  const entries = Object.entries(actions)
  if (entries.length > 0) {
    handlers.actions = Object.fromEntries(
      entries.map(([name, a]) => [name, { ...a, handler: echo(`action:${name}`) }]),
    )
  }
  return handlers
}

function mount(base: string, handlers: ResourceHandlers) {
  const app = new Hono()
  resource(app, base, handlers)
  return client(app)
}

const methodsOf = (pairs: [Standard, string][], names: Standard[]) =>
  pairs.filter(([name]) => names.includes(name)).map(([, method]) => method)

const describeHandlers = (names: Standard[]) => `handlers { ${names.join(', ')} }`

/** The reply came from the echo handler `ran`, with this method and id. */
function expectRan(reply: Reply, ran: string, method: string, id: string | null): void {
  expect(reply).toHaveStatus(200)
  expect(reply).toHaveJsonBody({ ran, method, id })
}

/**
 * Allow lists exactly `methods`: any order, case or spacing. HEAD may ride along with GET, and
 * OPTIONS may be listed by an app that answers it; nothing else.
 */
function expectAllow(reply: Reply, methods: string[], context = ''): void {
  expect(reply).toHaveHeader('allow')
  focusOn(reply)
  const listed = new Set(parseTokenList(reply.headers['allow']))
  listed.delete('OPTIONS')
  if (methods.includes('GET')) listed.delete('HEAD')
  expect(
    [...listed].sort().join(', '),
    `Allow must list exactly the methods with a handler on this path${context}`,
  ).toBe([...methods].sort().join(', '))
}

function expectMethodNotAllowed(reply: Reply, methods: string[], context = ''): void {
  expect(reply).toHaveStatus(405)
  expect(reply).toHaveJsonBody(expect.objectContaining({ error: 'method_not_allowed' }))
  expectAllow(reply, methods, context)
}

// ---------------------------------------------------------------------------------------------
// The app: articles and tags.

const WORDS = (rng: Rng, min: number, max: number) =>
  Array.from({ length: rng.int(min, max) }, () => rng.word(3, 8)).join(' ')

/** 3 to 6 articles with increasing, gapped ids, some published, handed over shuffled. */
function seedArticles(rng: Rng): Article[] {
  const articles: Article[] = []
  let id = rng.int(1, 5)
  for (let n = rng.int(3, 6); n > 0; n--) {
    articles.push({ id, title: WORDS(rng, 1, 3), body: WORDS(rng, 3, 8), published: false })
    id += rng.int(2, 9)
  }
  // At least one draft and one published article.
  const [draft, published, ...rest] = rng.shuffle(articles)
  draft!.published = false
  published!.published = true
  for (const a of rest) a.published = rng.next() < 0.5
  const shuffled = rng.shuffle(articles)
  return shuffled.every((a, i) => a.id === articles[i]!.id) ? shuffled.reverse() : shuffled
}

function seedTags(rng: Rng): Tag[] {
  const tags: Tag[] = []
  let id = rng.int(1, 5)
  for (let n = rng.int(2, 5); n > 0; n--) {
    tags.push({ id, name: rng.word(3, 10) })
    id += rng.int(2, 9)
  }
  return rng.shuffle(tags).reverse()
}

function seed(rng: Rng) {
  return { articles: seedArticles(rng), tags: seedTags(rng) }
}

// Every app gets its own copy, so expectations computed from the seed stay right even when the
// app (wrongly) edits what it was given.
const appFor = (data: { articles: Article[]; tags: Tag[] }) =>
  client(createApp(structuredClone(data)))

const byId = <T extends { id: number }>(items: T[]) => [...items].sort((a, b) => a.id - b.id)
const maxId = (items: { id: number }[]) => Math.max(...items.map((x) => x.id))
const like = (x: object) => expect.objectContaining(x)
const listLike = <T extends { id: number }>(items: T[]) => byId(items).map(like)
const NOT_FOUND = expect.objectContaining({ error: 'not_found' })
const newInput = (rng: Rng) => ({ title: WORDS(rng, 1, 3), body: WORDS(rng, 3, 8) })

const ARTICLES = '/api/articles'
const TAGS = '/api/tags'

describe('resource-router', () => {
  task(1, 'Route the standard handlers', () => {
    it('resource() routes each given standard handler to its method and path', async () => {
      const rng = random()
      for (let round = 0; round < 3; round++) {
        const names = someOf(rng, [...COLLECTION, ...ITEM].map(([n]) => n), 1)
        const base = basePathOf(rng)
        const api = mount(base, handlersFor(names))
        for (const [name, method] of COLLECTION) {
          if (names.includes(name)) expectRan(await api.send(method, base), name, method, null)
        }
        for (const [name, method] of ITEM) {
          const id = idOf(rng)
          if (!names.includes(name)) continue
          expectRan(await api.send(method, `${base}/${id}`), name, method, id)
        }
      }
    })

    it('resource() hands any single segment after basePath to item handlers as the id', async () => {
      const rng = random()
      const base = basePathOf(rng)
      const api = mount(base, handlersFor(['retrieve', 'replace', 'update', 'destroy']))
      const ids = [String(rng.int(1, 99999)), rng.word(2, 10), `${rng.word(2, 5)}_${rng.int(1, 9)}`]
      for (const id of ids) {
        for (const [name, method] of ITEM) {
          expectRan(await api.send(method, `${base}/${id}`), name, method, id)
        }
      }
    })

    it('answers 404 on the item path when no item handler is given', async () => {
      const rng = random()
      const names = someOf(rng, COLLECTION.map(([n]) => n), 1)
      const base = basePathOf(rng)
      const api = mount(base, handlersFor(names))
      for (const method of ALL_METHODS) {
        expect(await api.send(method, `${base}/${idOf(rng)}`)).toHaveStatus(404)
      }
    })

    it('answers 404 on the collection path when no collection handler is given', async () => {
      // Item routes must not match basePath itself: GET basePath never runs retrieve.
      const rng = random()
      const names = someOf(rng, ITEM.map(([n]) => n), 1)
      const base = basePathOf(rng)
      const api = mount(base, handlersFor(names))
      for (const method of ALL_METHODS) expect(await api.send(method, base)).toHaveStatus(404)
    })

    it('GET basePath runs list, never retrieve', async () => {
      const rng = random()
      const base = basePathOf(rng)
      const api = mount(base, handlersFor(rng.shuffle(['list', 'retrieve', 'create'])))
      expectRan(await api.get(base), 'list', 'GET', null)
      const id = idOf(rng)
      expectRan(await api.get(`${base}/${id}`), 'retrieve', 'GET', id)
    })

    it('a handler given as undefined is not a route', async () => {
      const rng = random()
      const base = basePathOf(rng)
      const handlers: ResourceHandlers = {
        list: undefined,
        create: undefined,
        retrieve: echo('retrieve'),
      }
      const api = mount(base, handlers)
      for (const method of ALL_METHODS) expect(await api.send(method, base)).toHaveStatus(404)
      const id = idOf(rng)
      expectRan(await api.get(`${base}/${id}`), 'retrieve', 'GET', id)
    })

    it("passes the handler's response through untouched: status, headers and body", async () => {
      const rng = random()
      const base = basePathOf(rng)
      const word = rng.word(4, 10)
      const api = mount(base, {
        create: (c) => c.text(word, 202, { 'X-Echo': word }),
        destroy: (c) => c.body(null, 204),
      })
      const created = await api.post(base)
      expect(created).toHaveStatus(202)
      expect(created).toHaveHeader('x-echo', word)
      focusOn(created)
      expect(created.text, "the body is the handler's own").toBe(word)
      const gone = await api.delete(`${base}/${idOf(rng)}`)
      expect(gone).toHaveStatus(204)
      expect(gone).toHaveEmptyBody()
    })

    it("leaves the app's own 404 and the app's other routes alone", async () => {
      const rng = random()
      const base = basePathOf(rng)
      const marker = rng.word(6, 10)
      const app = new Hono()
      app.notFound((c) => c.text(marker, 404))
      resource(app, base, handlersFor(someOf(rng, COLLECTION.map(([n]) => n), 1)))
      app.get(`${base}-${marker}`, (c) => c.text('sibling'))
      const api = client(app)
      const sibling = await api.get(`${base}-${marker}`)
      expect(sibling).toHaveStatus(200)
      focusOn(sibling)
      expect(sibling.text, 'a route the app adds after resource() still answers').toBe('sibling')
      for (const path of [`${base}/${idOf(rng)}`, `/${rng.word(3, 8)}z`]) {
        const res = await api.get(path)
        expect(res).toHaveStatus(404)
        focusOn(res)
        expect(res.text, "the 404 is the app's own (resource() must not set notFound)").toBe(marker)
      }
    })
  })

  task(2, '405 and Allow on each path', () => {
    it('answers 405 on the collection path, Allow listing only the collection handlers', async () => {
      const rng = random()
      const collections: Standard[][] = rng.shuffle([['list'], ['create'], ['list', 'create']])
      for (const collection of collections) {
        // Random item handlers next to them: the collection's Allow must not pick them up.
        const names = [...collection, ...someOf(rng, ITEM.map(([n]) => n))]
        const base = basePathOf(rng)
        const api = mount(base, handlersFor(names))
        const allowed = methodsOf(COLLECTION, names)
        for (const method of [...ALL_METHODS.filter((m) => !allowed.includes(m)), 'PURGE']) {
          const res = await api.send(method, base)
          expectMethodNotAllowed(res, allowed, ` (${describeHandlers(names)})`)
        }
      }
    })

    it('answers 405 on the item path, Allow listing only the item handlers given', async () => {
      const rng = random()
      for (let round = 0; round < 3; round++) {
        const names = [
          ...someOf(rng, ITEM.map(([n]) => n), 1),
          ...someOf(rng, COLLECTION.map(([n]) => n)),
        ]
        const base = basePathOf(rng)
        const api = mount(base, handlersFor(names))
        const allowed = methodsOf(ITEM, names)
        const path = `${base}/${idOf(rng)}`
        for (const method of [...ALL_METHODS.filter((m) => !allowed.includes(m)), 'PURGE']) {
          const res = await api.send(method, path)
          expectMethodNotAllowed(res, allowed, ` (${describeHandlers(names)})`)
        }
      }
    })

    it('leaves a handler given as undefined out of Allow', async () => {
      const rng = random()
      const base = basePathOf(rng)
      const api = mount(base, {
        list: echo('list'),
        create: undefined,
        retrieve: undefined,
        replace: echo('replace'),
        update: undefined,
        destroy: undefined,
      })
      expectMethodNotAllowed(await api.post(base), ['GET'], ' (create: undefined)')
      const path = `${base}/${idOf(rng)}`
      expectMethodNotAllowed(await api.get(path), ['PUT'], ' (retrieve: undefined)')
      expectMethodNotAllowed(await api.delete(path), ['PUT'], ' (destroy: undefined)')
    })

    it('keeps several resources on one app apart, next to routes the app already has', async () => {
      const rng = random()
      const app = new Hono()
      app.get('/health', (c) => c.text('ok'))
      const first = `/${rng.word(3, 6)}a`
      const second = `/${rng.word(3, 6)}b`
      const firstNames = someOf(rng, [...COLLECTION, ...ITEM].map(([n]) => n), 1)
      const secondNames = someOf(rng, [...COLLECTION, ...ITEM].map(([n]) => n), 1)
      resource(app, first, handlersFor(firstNames))
      resource(app, second, handlersFor(secondNames))
      const api = client(app)
      const health = await api.get('/health')
      expect(health).toHaveStatus(200)
      focusOn(health)
      expect(health.text, `the app's own /health route still answers "ok"`).toBe('ok')
      for (const [base, names] of [
        [first, firstNames],
        [second, secondNames],
      ] as const) {
        const id = idOf(rng)
        for (const [pairs, path] of [
          [COLLECTION, base],
          [ITEM, `${base}/${id}`],
        ] as const) {
          const allowed = methodsOf(pairs, names)
          for (const [name, method] of pairs) {
            const res = await api.send(method, path)
            if (names.includes(name)) expectRan(res, name, method, path === base ? null : id)
            else if (allowed.length > 0) expectMethodNotAllowed(res, allowed, ` on ${base}`)
            else expect(res).toHaveStatus(404)
          }
        }
      }
      expect(await api.get(`/${rng.word(3, 8)}c`)).toHaveStatus(404)
    })
  })

  task(3, 'Custom actions', () => {
    it('mounts a detail action at basePath/:id/<name> and hands it the id', async () => {
      const rng = random()
      const base = basePathOf(rng)
      const name = actionNameOf(rng)
      const method = rng.pick(ACTION_METHODS)
      const names = someOf(rng, [...COLLECTION, ...ITEM].map(([n]) => n))
      const api = mount(base, handlersFor(names, { [name]: { method, detail: true } }))
      for (const id of [String(rng.int(1, 9999)), rng.word(3, 8)]) {
        expectRan(await api.send(method, `${base}/${id}/${name}`), `action:${name}`, method, id)
      }
    })

    it('mounts a collection action at basePath/<name>, with no id', async () => {
      const rng = random()
      const base = basePathOf(rng)
      // Any of the characters a name may hold between letters: `-`, `.`, `_`, `~`.
      const sep = rng.pick(['-', '.', '_', '~'])
      const name = `${rng.word(3, 6)}${sep}${rng.word(3, 6)}`
      const method = rng.pick(ACTION_METHODS)
      const names = someOf(rng, [...COLLECTION, ...ITEM].map(([n]) => n))
      const api = mount(base, handlersFor(names, { [name]: { method, detail: false } }))
      expectRan(await api.send(method, `${base}/${name}`), `action:${name}`, method, null)
    })

    it('answers 405 with Allow: <its method> for other methods on a detail action', async () => {
      const rng = random()
      const base = basePathOf(rng)
      const name = actionNameOf(rng)
      const method = rng.pick(ACTION_METHODS)
      const names = someOf(rng, [...COLLECTION, ...ITEM].map(([n]) => n), 1)
      const api = mount(base, handlersFor(names, { [name]: { method, detail: true } }))
      const path = `${base}/${idOf(rng)}/${name}`
      for (const other of [...ALL_METHODS.filter((m) => m !== method), 'PURGE']) {
        expectMethodNotAllowed(await api.send(other, path), [method], ` (action ${method} ${name})`)
      }
    })

    it.each([['GET'], ['POST'], ['PUT'], ['PATCH'], ['DELETE']] as [ActionMethod][])(
      'a %s collection action owns basePath/<name> for every method, even next to item routes',
      async (method) => {
        // Every item handler is given, so `basePath/:id` matches `basePath/<name>` too: only
        // registering the action first keeps the name from being read as an id.
        const rng = random()
        const base = basePathOf(rng)
        const name = actionNameOf(rng)
        const names: Standard[] = ['list', 'create', 'retrieve', 'replace', 'update', 'destroy']
        const handlers = handlersFor(rng.shuffle(names), { [name]: { method, detail: false } })
        const api = mount(base, handlers)
        const path = `${base}/${name}`
        expectRan(await api.send(method, path), `action:${name}`, method, null)
        for (const other of ALL_METHODS.filter((m) => m !== method)) {
          const res = await api.send(other, path)
          expectMethodNotAllowed(res, [method], ` (action ${method} ${name}, not an item id)`)
        }
        // The item routes still work for real ids.
        const id = idOf(rng)
        expectRan(await api.get(`${base}/${id}`), 'retrieve', 'GET', id)
      },
    )

    it('keeps detail actions off the collection and collection actions off the item', async () => {
      const rng = random()
      const base = basePathOf(rng)
      const detail = actionNameOf(rng)
      const onCollection = actionNameOf(rng)
      const detailMethod = rng.pick(ACTION_METHODS)
      const collectionMethod = rng.pick(ACTION_METHODS)
      const api = mount(
        base,
        handlersFor(['list', 'create', 'retrieve'], {
          [detail]: { method: detailMethod, detail: true },
          [onCollection]: { method: collectionMethod, detail: false },
        }),
      )
      // `basePath/<detail name>` is just an item path: retrieve answers GET, the item refuses
      // the rest - the detail action never runs there.
      const atCollection = await api.send(detailMethod, `${base}/${detail}`)
      if (detailMethod === 'GET') expectRan(atCollection, 'retrieve', 'GET', detail)
      else expectMethodNotAllowed(atCollection, ['GET'], ' (no detail action at basePath/<name>)')
      const underItem = await api.send(collectionMethod, `${base}/${idOf(rng)}/${onCollection}`)
      expect(underItem).toHaveStatus(404)
    })

    it('answers 404 for paths below the item that are not detail actions', async () => {
      const rng = random()
      const base = basePathOf(rng)
      const name = actionNameOf(rng)
      const api = mount(
        base,
        handlersFor(['list', 'create', 'retrieve', 'replace', 'update', 'destroy'], {
          [name]: { method: rng.pick(ACTION_METHODS), detail: true },
        }),
      )
      const id = idOf(rng)
      const paths = [`${base}/${id}/${rng.word(3, 8)}`, `${base}/${id}/${name}/${rng.word(3, 8)}`]
      for (const path of paths) {
        for (const method of ALL_METHODS) expect(await api.send(method, path)).toHaveStatus(404)
      }
    })
  })

  task(4, 'The articles resource', () => {
    it('GET /api/articles answers every article in ascending id order', async () => {
      const data = seed(random())
      const res = await appFor(data).get(ARTICLES)
      expect(res).toHaveStatus(200)
      expect(res).toHaveJsonBody(listLike(data.articles))
    })

    it('POST /api/articles creates a draft: 201, Location, published false', async () => {
      const rng = random()
      const data = seed(rng)
      const api = appFor(data)
      const input = newInput(rng)
      const res = await api.post(ARTICLES, { json: input })
      expect(res).toHaveStatus(201)
      expect(res).toHaveJsonBody(like({ ...input, published: false }))
      const id = (res.body as Article).id
      focusOn(res)
      expect(Number.isInteger(id) && id > 0, 'the new article has a positive integer id').toBe(true)
      const taken = data.articles.map((a) => a.id)
      expect(taken, 'the new id is not held by another article').not.toContain(id)
      expect(res).toHaveHeader('location')
      const location = new URL(res.headers['location']!, 'http://localhost').pathname
      expect(location, 'Location points at the new article').toBe(`${ARTICLES}/${id}`)
      const read = await api.get(`${ARTICLES}/${id}`)
      expect(read).toHaveJsonBody(like({ id, ...input, published: false }))
    })

    it('GET /api/articles/:id answers the article, 404 not_found for a missing id', async () => {
      const rng = random()
      const data = seed(rng)
      const api = appFor(data)
      const article = rng.pick(data.articles)
      const res = await api.get(`${ARTICLES}/${article.id}`)
      expect(res).toHaveStatus(200)
      expect(res).toHaveJsonBody(like(article))
      for (const id of [String(maxId(data.articles) + rng.int(1, 20)), rng.word(3, 8)]) {
        const missing = await api.get(`${ARTICLES}/${id}`)
        expect(missing).toHaveStatus(404)
        expect(missing).toHaveJsonBody(NOT_FOUND)
      }
    })

    it('PUT /api/articles/:id replaces title and body and keeps published', async () => {
      const rng = random()
      const data = seed(rng)
      const api = appFor(data)
      const published = data.articles.find((a) => a.published)!
      const draft = data.articles.find((a) => !a.published)!
      for (const article of [published, draft]) {
        const input = newInput(rng)
        const expected = { ...article, ...input }
        const res = await api.put(`${ARTICLES}/${article.id}`, { json: input })
        expect(res).toHaveStatus(200)
        expect(res).toHaveJsonBody(like(expected))
        expect(await api.get(`${ARTICLES}/${article.id}`)).toHaveJsonBody(like(expected))
      }
    })

    it('PATCH /api/articles/:id changes only the fields sent', async () => {
      const rng = random()
      const data = seed(rng)
      const api = appFor(data)
      const article = rng.pick(data.articles)
      const title = WORDS(rng, 1, 3)
      const res = await api.patch(`${ARTICLES}/${article.id}`, { json: { title } })
      expect(res).toHaveStatus(200)
      expect(res).toHaveJsonBody(like({ ...article, title }))
      expect(await api.get(`${ARTICLES}/${article.id}`)).toHaveJsonBody(like({ ...article, title }))
    })

    it('DELETE /api/articles/:id answers 204 and removes only that article', async () => {
      const rng = random()
      const data = seed(rng)
      const api = appFor(data)
      const gone = rng.pick(data.articles)
      const res = await api.delete(`${ARTICLES}/${gone.id}`)
      expect(res).toHaveStatus(204)
      expect(res).toHaveEmptyBody()
      expect(await api.get(`${ARTICLES}/${gone.id}`)).toHaveStatus(404)
      const rest = data.articles.filter((a) => a !== gone)
      expect(await api.get(ARTICLES)).toHaveJsonBody(listLike(rest))
      expect(await api.delete(`${ARTICLES}/${gone.id}`)).toHaveStatus(404)
    })

    it('POST /api/articles/:id/publish publishes that article and no other', async () => {
      const rng = random()
      const data = seed(rng)
      const api = appFor(data)
      const draft = rng.pick(data.articles.filter((a) => !a.published))
      const res = await api.post(`${ARTICLES}/${draft.id}/publish`)
      expect(res).toHaveStatus(200)
      expect(res).toHaveJsonBody(like({ ...draft, published: true }))
      const after = data.articles.map((a) => (a.id === draft.id ? { ...a, published: true } : a))
      expect(await api.get(ARTICLES)).toHaveJsonBody(listLike(after))
      // Publishing twice is fine: still 200, still published.
      const again = await api.post(`${ARTICLES}/${draft.id}/publish`)
      expect(again).toHaveStatus(200)
      expect(again).toHaveJsonBody(like({ ...draft, published: true }))
    })

    it('POST /api/articles/:id/publish answers 404 not_found for a missing article', async () => {
      const rng = random()
      const data = seed(rng)
      const api = appFor(data)
      const res = await api.post(`${ARTICLES}/${maxId(data.articles) + rng.int(1, 20)}/publish`)
      expect(res).toHaveStatus(404)
      expect(res).toHaveJsonBody(NOT_FOUND)
      expect(await api.get(ARTICLES)).toHaveJsonBody(listLike(data.articles))
    })

    it('GET /api/articles/drafts lists the unpublished articles (drafts is not an id)', async () => {
      const rng = random()
      const data = seed(rng)
      const api = appFor(data)
      const res = await api.get(`${ARTICLES}/drafts`)
      expect(res).toHaveStatus(200)
      expect(res).toHaveJsonBody(listLike(data.articles.filter((a) => !a.published)))
      const draft = rng.pick(data.articles.filter((a) => !a.published))
      expect(await api.post(`${ARTICLES}/${draft.id}/publish`)).toHaveStatus(200)
      const after = data.articles.filter((a) => !a.published && a.id !== draft.id)
      expect(await api.get(`${ARTICLES}/drafts`)).toHaveJsonBody(listLike(after))
    })

    it('answers 405 with Allow: GET, POST for PUT, PATCH and DELETE on /api/articles', async () => {
      const rng = random()
      const data = seed(rng)
      const api = appFor(data)
      for (const method of ['PUT', 'PATCH', 'DELETE']) {
        const res = await api.send(method, ARTICLES, { json: newInput(rng) })
        expectMethodNotAllowed(res, ['GET', 'POST'])
      }
      expect(await api.get(ARTICLES)).toHaveJsonBody(listLike(data.articles))
    })

    it('answers 405 with Allow: GET, PUT, PATCH, DELETE for POST on /api/articles/:id', async () => {
      const rng = random()
      const data = seed(rng)
      const api = appFor(data)
      const res = await api.post(`${ARTICLES}/${rng.pick(data.articles).id}`, { json: newInput(rng) })
      expectMethodNotAllowed(res, ['GET', 'PUT', 'PATCH', 'DELETE'])
      expect(await api.get(ARTICLES)).toHaveJsonBody(listLike(data.articles))
    })

    it('answers 405 with Allow: POST for other methods on /api/articles/:id/publish', async () => {
      const rng = random()
      const data = seed(rng)
      const api = appFor(data)
      const draft = rng.pick(data.articles.filter((a) => !a.published))
      for (const method of ['GET', 'PUT', 'PATCH', 'DELETE']) {
        expectMethodNotAllowed(await api.send(method, `${ARTICLES}/${draft.id}/publish`), ['POST'])
      }
      expect(await api.get(ARTICLES), 'nothing was published').toHaveJsonBody(listLike(data.articles))
    })

    it('answers 405 with Allow: GET for other methods on /api/articles/drafts', async () => {
      const rng = random()
      const data = seed(rng)
      const api = appFor(data)
      for (const method of ['POST', 'PUT', 'PATCH', 'DELETE']) {
        const res = await api.send(method, `${ARTICLES}/drafts`, { json: newInput(rng) })
        expectMethodNotAllowed(res, ['GET'])
      }
      expect(await api.get(ARTICLES)).toHaveJsonBody(listLike(data.articles))
    })

    it('PUT, PATCH, DELETE and publish answer 404 not_found for a missing or non-numeric id', async () => {
      const rng = random()
      const data = seed(rng)
      const api = appFor(data)
      for (const id of [String(maxId(data.articles) + rng.int(1, 20)), rng.word(3, 8)]) {
        const attempts: [string, string, object | undefined][] = [
          ['PUT', `${ARTICLES}/${id}`, newInput(rng)],
          ['PATCH', `${ARTICLES}/${id}`, { title: WORDS(rng, 1, 2) }],
          ['DELETE', `${ARTICLES}/${id}`, undefined],
          ['POST', `${ARTICLES}/${id}/publish`, undefined],
        ]
        for (const [method, path, json] of attempts) {
          const res = await api.send(method, path, json ? { json } : {})
          expect(res).toHaveStatus(404)
          expect(res).toHaveJsonBody(NOT_FOUND)
        }
      }
      expect(await api.get(ARTICLES), 'nothing changed').toHaveJsonBody(listLike(data.articles))
    })

    it('an id not written in digits is no article, even when it reads as a number', async () => {
      const rng = random()
      const data = seed(rng)
      const api = appFor(data)
      const { id } = rng.pick(data.articles)
      const hex = `0x${id.toString(16)}`
      const spellings = [`+${id}`, `${id}.0`, hex, `${id}e0`, `${id}${rng.word(1, 3)}`]
      for (const spelling of spellings) {
        const res = await api.get(`${ARTICLES}/${spelling}`)
        expect(res).toHaveStatus(404)
        expect(res).toHaveJsonBody(NOT_FOUND)
      }
      expect(await api.delete(`${ARTICLES}/${id}.0`)).toHaveStatus(404)
      expect(await api.get(ARTICLES), 'nothing was deleted').toHaveJsonBody(listLike(data.articles))
    })

    it('POST /api/articles never reuses an id an article holds, whatever the seed ids', async () => {
      const rng = random()
      // The count plus one is held, and the highest id is not the last one handed over.
      const count = rng.int(3, 5)
      const ids = [count + 1]
      while (ids.length < count) ids.push(ids.at(-1)! + rng.int(2, 5))
      const articles: Article[] = rng.shuffle(ids).map((id) => ({
        id,
        title: WORDS(rng, 1, 3),
        body: WORDS(rng, 3, 8),
        published: rng.next() < 0.5,
      }))
      if (articles.at(-1)!.id === Math.max(...ids)) articles.reverse()
      const api = appFor({ articles, tags: [] })
      const created: number[] = []
      for (let n = 0; n < 2; n++) {
        const res = await api.post(ARTICLES, { json: newInput(rng) })
        expect(res).toHaveStatus(201)
        focusOn(res)
        const id = (res.body as Article).id
        expect(Number.isInteger(id) && id > 0, 'the new article has a positive integer id').toBe(true)
        expect([...ids, ...created], 'the new id is not held by another article').not.toContain(id)
        created.push(id)
      }
      expect(await api.get(ARTICLES)).toHaveJsonBody(
        expect.arrayContaining(listLike(articles)),
      )
    })

    it('POST works on an app built with no options', async () => {
      const rng = random()
      const api = client(createApp())
      expect(await api.get(ARTICLES)).toHaveJsonBody([])
      const input = newInput(rng)
      const res = await api.post(ARTICLES, { json: input })
      expect(res).toHaveStatus(201)
      expect(res).toHaveJsonBody(like({ ...input, published: false }))
      focusOn(res)
      const id = (res.body as Article).id
      expect(Number.isInteger(id) && id > 0, 'the new article has a positive integer id').toBe(true)
    })

    it('published in a PUT or PATCH body changes nothing: only publish changes it', async () => {
      const rng = random()
      const data = seed(rng)
      const api = appFor(data)
      const draft = data.articles.find((a) => !a.published)!
      const published = data.articles.find((a) => a.published)!
      const put = await api.put(`${ARTICLES}/${draft.id}`, {
        json: { ...newInput(rng), published: true },
      })
      expect(put).toHaveStatus(200)
      expect(put).toHaveJsonBody(like({ id: draft.id, published: false }))
      const title = WORDS(rng, 1, 3)
      const patch = await api.patch(`${ARTICLES}/${published.id}`, {
        json: { title, published: false },
      })
      expect(patch).toHaveStatus(200)
      expect(patch).toHaveJsonBody(like({ ...published, title }))
      const drafts = await api.get(`${ARTICLES}/drafts`)
      const stillDrafts = data.articles.filter((a) => !a.published)
      const expected = stillDrafts.map(({ id }) => ({ id, published: false }))
      expect(drafts).toHaveJsonBody(listLike(expected))
    })

    it('PATCH /api/articles/:id with only a body keeps the title', async () => {
      const rng = random()
      const data = seed(rng)
      const api = appFor(data)
      const article = rng.pick(data.articles)
      const body = WORDS(rng, 3, 8)
      const res = await api.patch(`${ARTICLES}/${article.id}`, { json: { body } })
      expect(res).toHaveStatus(200)
      expect(res).toHaveJsonBody(like({ ...article, body }))
    })

    it("the caller's changes to its arrays and objects after createApp never reach the app", async () => {
      const rng = random()
      const data = seed(rng)
      const before = structuredClone(data)
      const api = client(createApp(data))
      for (const article of data.articles) {
        article.title = WORDS(rng, 1, 2)
        article.published = !article.published
      }
      data.articles.pop()
      data.tags[0]!.name = rng.word(3, 8)
      data.tags.push({ id: maxId(data.tags) + 1, name: rng.word(3, 8) })
      expect(await api.get(ARTICLES)).toHaveJsonBody(listLike(before.articles))
      expect(await api.get(TAGS)).toHaveJsonBody(listLike(before.tags))
    })

    it('keeps each app its own store and never edits the arrays it was given', async () => {
      const rng = random()
      const data = seed(rng)
      const before = structuredClone(data)
      const first = client(createApp(data))
      const second = client(createApp(data))
      const [edited, deleted] = rng.shuffle(data.articles)
      const draft = data.articles.find((a) => !a.published)!
      expect(await first.put(`${ARTICLES}/${edited!.id}`, { json: newInput(rng) })).toHaveStatus(200)
      expect(await first.post(`${ARTICLES}/${draft.id}/publish`)).toHaveStatus(200)
      expect(await first.delete(`${ARTICLES}/${deleted!.id}`)).toHaveStatus(204)
      expect(await first.post(ARTICLES, { json: newInput(rng) })).toHaveStatus(201)
      expect(await second.get(ARTICLES)).toHaveJsonBody(listLike(before.articles))
      expect(data, 'the arrays passed to createApp were changed').toEqual(before)
    })
  })

  task(5, 'Read-only tags and the JSON 404', () => {
    it('GET /api/tags and /api/tags/:id read the tags', async () => {
      const rng = random()
      const data = seed(rng)
      const api = appFor(data)
      expect(await api.get(TAGS)).toHaveJsonBody(listLike(data.tags))
      const tag = rng.pick(data.tags)
      const one = await api.get(`${TAGS}/${tag.id}`)
      expect(one).toHaveStatus(200)
      expect(one).toHaveJsonBody(like(tag))
      for (const id of [String(maxId(data.tags) + rng.int(1, 20)), rng.word(3, 8)]) {
        const missing = await api.get(`${TAGS}/${id}`)
        expect(missing).toHaveStatus(404)
        expect(missing).toHaveJsonBody(NOT_FOUND)
      }
    })

    it('tags are read-only: POST, PUT, PATCH and DELETE answer 405 with Allow: GET', async () => {
      const rng = random()
      const data = seed(rng)
      const api = appFor(data)
      const body = { json: { name: rng.word() } }
      expectMethodNotAllowed(await api.post(TAGS, body), ['GET'])
      for (const method of ['PUT', 'PATCH', 'DELETE']) {
        const res = await api.send(method, `${TAGS}/${rng.pick(data.tags).id}`, body)
        expectMethodNotAllowed(res, ['GET'])
      }
      expect(await api.get(TAGS), 'the tags did not change').toHaveJsonBody(listLike(data.tags))
    })

    it('answers 404 not_found (not 405) on paths that are not routes', async () => {
      const rng = random()
      const data = seed(rng)
      const api = appFor(data)
      const article = rng.pick(data.articles).id
      const attempts: [string, string][] = [
        ['GET', '/'],
        ['GET', `/api/x-${rng.word(3, 8)}`],
        ['POST', `${TAGS}/${rng.pick(data.tags).id}/publish`],
        ['POST', `${ARTICLES}/${article}/unpublish`],
        ['POST', `${ARTICLES}/${article}/publish/${rng.word(3, 8)}`],
        ['DELETE', `${ARTICLES}/${article}/${rng.word(3, 8)}`],
      ]
      for (const [method, path] of attempts) {
        const res = await api.send(method, path)
        expect(res).toHaveStatus(404)
        expect(res).toHaveJsonBody(NOT_FOUND)
      }
      expect(await api.get(ARTICLES)).toHaveJsonBody(listLike(data.articles))
    })
  })
})
