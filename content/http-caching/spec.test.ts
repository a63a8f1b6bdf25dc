// http-caching - the hidden spec.
//
// Wrong implementations this spec is built to catch:
// - no ETag, a weak ETag (W/"..."), or an ETag that is not a quoted entity-tag
// - an ETag computed from the id, the title or the modification time only: it misses a change
//   to one field, or two changes within the same second
// - an ETag or Last-Modified that changes on a read or as time passes, without a change
// - 304 for any If-None-Match (never compares), or only for an exact single tag: misses a list
//   `"a", "b"`, `*`, or a weak `W/"x"` (weak comparison, RFC 9110 section 8.8.3.2)
// - a 304 with a body, or without the ETag / Cache-Control a 200 would carry; HEAD not 304
// - 304 (or anything but 404) for a conditional GET of an article that does not exist
// - Last-Modified as ISO 8601 or in milliseconds, rounded up instead of down, stamped at read
//   time, or read from Date.now() instead of the injected clock
// - If-Modified-Since compared as a string (a later date is "modified"), in milliseconds (a
//   change later in the same second counts), or used when If-None-Match is present
//   (section 13.2.2: If-None-Match wins); a malformed date read as the epoch
// - a PUT that needs no If-Match (428 missing), a mismatching If-Match that still writes, 412
//   that changes the article anyway, If-Match compared weakly (W/"x" accepted), `*` or a list
//   refused, a matching If-None-Match on PUT answered 304 or ignored, 428/412 for a missing id
// - Cache-Control missing, public data marked private, per-user data marked public or cacheable
//   by a shared cache, max-age ignoring the option, no Vary: Authorization on /me
// - one ETag for every user of /me (another user's tag gets a 304)
// - state kept at module level, shared between two apps
import { describe, expect, it } from 'vitest'
import {
  build,
  client,
  fakeClock,
  random,
  task,
  type Client,
  type FakeClock,
  type Reply,
  type Rng,
} from '../../harness/spec-kit/index.ts'
import { createApp } from '../../exercises/http-caching/app.ts'

interface Article {
  id: number
  title: string
  body: string
}

const sentence = (rng: Rng, words = rng.int(3, 8)) =>
  Array.from({ length: words }, () => rng.word(2, 9)).join(' ')

/** A clock in 2031, never on a whole second, so second precision matters. */
function startClock(rng: Rng): FakeClock {
  const second = Date.UTC(2031, rng.int(0, 11), rng.int(1, 28), rng.int(0, 23), rng.int(0, 59))
  return fakeClock(second + rng.int(0, 59) * 1000 + rng.int(100, 400))
}

function setup({ maxAge = undefined as number | undefined, withMaxAge = true } = {}) {
  const rng = random()
  const clock = startClock(rng)
  // Three distinct ids between 10 and 199, in random order.
  const ids = rng.shuffle(Array.from({ length: 190 }, (_, i) => i + 10)).slice(0, 3)
  const articles: Article[] = ids
    .slice(0, 3)
    .map((id) => ({ id, title: sentence(rng, 3), body: sentence(rng) }))
  const users = [1, 2].map((n) => ({
    token: `${rng.word(16, 24)}${n}`,
    id: n * 100,
    name: rng.word(),
  }))
  const age = maxAge ?? rng.int(30, 3600)
  const options = withMaxAge
    ? { articles, users, maxAge: age, now: clock.now }
    : { articles, users, now: clock.now }
  const api = client(build(createApp, options))
  const [a, b] = articles as [Article, Article]
  const missing = Math.max(...ids) + rng.int(1, 50)
  const path = (id: number) => `/articles/${id}`
  return { rng, clock, api, articles, users, a, b, missing, path, maxAge: age }
}

/** The current ETag of an article, as a fresh unconditional GET reports it. */
async function etagOf(api: Client, path: string): Promise<string> {
  const res = await api.get(path)
  expect(res).toHaveStatus(200)
  expect(res, 'every 200 for an article carries an ETag').toHaveHeader('etag')
  return res.headers['etag']!
}

/** A PUT that passes the preconditions: If-Match with the current ETag. */
async function update(api: Client, path: string, article: Partial<Article>) {
  const etag = await etagOf(api, path)
  const res = await api.put(path, { json: article, headers: { 'If-Match': etag } })
  expect(res, 'a PUT with If-Match: <the current ETag> succeeds').toHaveStatus(200)
  return res
}

function expectNotModified(res: Reply, etag: string) {
  expect(res).toHaveStatus(304)
  expect(res, 'a 304 has no body').toHaveEmptyBody()
  expect(res, 'a 304 carries the ETag a 200 would carry').toHaveHeader('etag', etag)
}

/** Cache-Control as a map of lower-case directive -> value ('' when it has none). */
function directives(res: Reply): Map<string, string> {
  const map = new Map<string, string>()
  for (const part of (res.headers['cache-control'] ?? '').split(',')) {
    const [name, value = ''] = part.trim().toLowerCase().split('=')
    if (name) map.set(name, value.replace(/^"|"$/g, ''))
  }
  return map
}

const STRONG_ETAG = /^"[\x21\x23-\x7e\x80-\xff]*"$/
const IMF_FIXDATE =
  /^(Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d{2} (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) \d{4} [\d:]{8} GMT$/
const httpDate = (ms: number) => new Date(ms).toUTCString()
const floorSecond = (ms: number) => Math.floor(ms / 1000) * 1000

describe('http-caching', () => {
  task(1, 'Send a strong ETag', () => {
    it('a GET of an article answers 200 with its JSON and a strong ETag', async () => {
      const { api, a, path } = setup()
      const res = await api.get(path(a.id))
      expect(res).toHaveStatus(200)
      expect(res).toHaveJsonBody(expect.objectContaining(a))
      expect(res).toHaveHeader('etag')
      expect(res.headers['etag'], 'a strong ETag is a quoted tag without W/').toMatch(STRONG_ETAG)
    })

    it('the ETag stays the same across reads and as time passes', async () => {
      const { api, a, path, clock } = setup()
      const first = await etagOf(api, path(a.id))
      expect(await etagOf(api, path(a.id)), 'a second GET, same article').toBe(first)
      clock.advance(3_600_000)
      expect(await etagOf(api, path(a.id)), 'an hour later, nothing changed').toBe(first)
    })

    it('two articles have different ETags', async () => {
      const { api, articles, path } = setup()
      const tags = await Promise.all(articles.map((x) => etagOf(api, path(x.id))))
      expect(new Set(tags).size, 'each article its own ETag').toBe(articles.length)
    })

    it('the ETag changes when only the body changes, or only the title', async () => {
      const { api, a, path, rng } = setup()
      const before = await etagOf(api, path(a.id))
      await update(api, path(a.id), { title: a.title, body: `${a.body} ${rng.word()}` })
      const afterBody = await etagOf(api, path(a.id))
      expect(afterBody, 'the body changed, so must the ETag').not.toBe(before)
      const res = await api.get(path(a.id))
      await update(api, path(a.id), { title: `${a.title}!`, body: (res.body as Article).body })
      expect(await etagOf(api, path(a.id)), 'the title changed, so must the ETag').not.toBe(
        afterBody,
      )
    })

    it('two changes within the same second give two different ETags', async () => {
      const { api, a, path, clock, rng } = setup()
      const tags = [await etagOf(api, path(a.id))]
      for (const word of [rng.word(), rng.word()]) {
        clock.advance(100)
        await update(api, path(a.id), { title: a.title, body: `${a.body} ${word}1` })
        tags.push(await etagOf(api, path(a.id)))
      }
      expect(new Set(tags).size, 'three versions, three ETags (not one per second)').toBe(3)
    })

    it('a change to one article leaves the other ETags alone', async () => {
      const { api, a, b, path, rng } = setup()
      const before = await etagOf(api, path(b.id))
      await update(api, path(a.id), { title: rng.word(), body: rng.word() })
      expect(await etagOf(api, path(b.id))).toBe(before)
    })

    it('HEAD sends the same ETag as GET, and a missing article is 404', async () => {
      const { api, a, path, missing } = setup()
      const tag = await etagOf(api, path(a.id))
      const head = await api.head(path(a.id))
      expect(head).toHaveStatus(200)
      expect(head).toHaveHeader('etag', tag)
      expect(await api.get(path(missing))).toHaveStatus(404)
    })

    it('each app has its own articles', async () => {
      const rng = random()
      const article = { id: 7, title: rng.word(), body: rng.word() }
      const one = client(build(createApp, { articles: [article], now: startClock(rng).now }))
      const two = client(build(createApp, { articles: [article], now: startClock(rng).now }))
      const before = await etagOf(two, '/articles/7')
      await update(one, '/articles/7', { title: 'changed', body: 'in one app' })
      expect(await etagOf(two, '/articles/7'), 'the other app did not change').toBe(before)
      expect((await two.get('/articles/7')).body).toEqual(expect.objectContaining(article))
    })
  })

  task(2, 'Answer 304 to If-None-Match', () => {
    it('If-None-Match with the current ETag answers 304, no body, the same ETag', async () => {
      const { api, a, path } = setup()
      const tag = await etagOf(api, path(a.id))
      expectNotModified(await api.get(path(a.id), { headers: { 'If-None-Match': tag } }), tag)
    })

    it('an old ETag answers 200 with the new JSON and the new ETag', async () => {
      const { api, a, path, rng } = setup()
      const old = await etagOf(api, path(a.id))
      const body = `${a.body} ${rng.word()}`
      await update(api, path(a.id), { title: a.title, body })
      const res = await api.get(path(a.id), { headers: { 'If-None-Match': old } })
      expect(res).toHaveStatus(200)
      expect(res).toHaveJsonBody(expect.objectContaining({ id: a.id, body }))
      expect(res.headers['etag']).not.toBe(old)
    })

    it('an ETag of another article, or a near miss, answers 200', async () => {
      const { api, a, b, path } = setup()
      const tag = await etagOf(api, path(a.id))
      const other = await etagOf(api, path(b.id))
      const inner = tag.slice(1, -1)
      for (const sent of [other, `"${inner}x"`, `"x${inner}"`, `"${inner.slice(0, -1)}"`]) {
        const res = await api.get(path(a.id), { headers: { 'If-None-Match': sent } })
        expect(res, `If-None-Match: ${sent} does not match ${tag}`).toHaveStatus(200)
      }
    })

    it('a list of ETags matches when any of them is current, with or without spaces', async () => {
      const { api, a, b, path } = setup()
      const tag = await etagOf(api, path(a.id))
      const other = await etagOf(api, path(b.id))
      for (const list of [`${other}, ${tag}`, `${tag},${other}`, `"zz1" ,  ${tag} , "zz2"`]) {
        const res = await api.get(path(a.id), { headers: { 'If-None-Match': list } })
        expectNotModified(res, tag)
      }
      const res = await api.get(path(a.id), { headers: { 'If-None-Match': `${other}, "zz"` } })
      expect(res, 'a list without the current ETag').toHaveStatus(200)
    })

    it('If-None-Match compares weakly: W/"<tag>" matches "<tag>"', async () => {
      const { api, a, path } = setup()
      const tag = await etagOf(api, path(a.id))
      const weak = await api.get(path(a.id), { headers: { 'If-None-Match': `W/${tag}` } })
      expectNotModified(weak, tag)
      const list = `"zz", W/${tag}`
      expectNotModified(await api.get(path(a.id), { headers: { 'If-None-Match': list } }), tag)
    })

    it('If-None-Match: * is 304 for an article that exists, 404 for a missing one', async () => {
      const { api, a, path, missing } = setup()
      const tag = await etagOf(api, path(a.id))
      expectNotModified(await api.get(path(a.id), { headers: { 'If-None-Match': '*' } }), tag)
      const res = await api.get(path(missing), { headers: { 'If-None-Match': '*' } })
      expect(res, 'no article, nothing to be "not modified": 404').toHaveStatus(404)
    })

    it('HEAD answers 304 like GET', async () => {
      const { api, a, path } = setup()
      const tag = await etagOf(api, path(a.id))
      const head = await api.head(path(a.id), { headers: { 'If-None-Match': tag } })
      expect(head).toHaveStatus(304)
      expect(head).toHaveHeader('etag', tag)
    })
  })

  task(3, 'Last-Modified and If-Modified-Since', () => {
    it('Last-Modified is the second of the last change, as an IMF-fixdate from now()', async () => {
      const { api, a, path, clock } = setup()
      const created = clock.now()
      clock.advance(7_200_500)
      const res = await api.get(path(a.id))
      expect(res).toHaveHeader('last-modified')
      expect(res.headers['last-modified'], 'format: Sun, 06 Nov 1994 08:49:37 GMT').toMatch(
        IMF_FIXDATE,
      )
      expect(res.headers['last-modified'], 'the second the app was created, rounded down').toBe(
        httpDate(floorSecond(created)),
      )
      const head = await api.head(path(a.id))
      expect(head, 'HEAD sends the same Last-Modified').toHaveHeader(
        'last-modified',
        res.headers['last-modified'],
      )
    })

    it('a PUT moves Last-Modified to the time of the change', async () => {
      const { api, a, path, clock, rng } = setup()
      clock.advance(rng.int(2, 5000) * 1000 + 350)
      const changed = clock.now()
      await update(api, path(a.id), { title: rng.word(), body: rng.word() })
      clock.advance(90_000)
      const res = await api.get(path(a.id))
      expect(res).toHaveHeader('last-modified', httpDate(floorSecond(changed)))
    })

    it('If-Modified-Since equal to Last-Modified, or later, answers 304', async () => {
      const { api, a, path } = setup()
      const first = await api.get(path(a.id))
      const lastModified = first.headers['last-modified']!
      expect(first).toHaveHeader('last-modified')
      const later = httpDate(Date.parse(lastModified) + 86_400_000)
      for (const since of [lastModified, later]) {
        const res = await api.get(path(a.id), { headers: { 'If-Modified-Since': since } })
        expectNotModified(res, first.headers['etag']!)
      }
    })

    it('If-Modified-Since one second before Last-Modified answers 200', async () => {
      const { api, a, path } = setup()
      const first = await api.get(path(a.id))
      const since = httpDate(Date.parse(first.headers['last-modified'] ?? '') - 1000)
      const res = await api.get(path(a.id), { headers: { 'If-Modified-Since': since } })
      expect(res).toHaveStatus(200)
      expect(res).toHaveJsonBody(expect.objectContaining(a))
    })

    it('a change in a later second is seen by date; one in the same second is not', async () => {
      const { api, a, path, clock, rng } = setup()
      const seen = (await api.get(path(a.id))).headers['last-modified']!
      // Clock starts 100-400 ms into a second: +450 ms stays in that second.
      clock.advance(450)
      await update(api, path(a.id), { title: a.title, body: `${a.body} ${rng.word()}` })
      let res = await api.get(path(a.id), { headers: { 'If-Modified-Since': seen } })
      const message = 'changed within the Last-Modified second: dates compare whole seconds'
      expect(res, message).toHaveStatus(304)
      clock.advance(1000)
      await update(api, path(a.id), { title: a.title, body: `${a.body} ${rng.word()}2` })
      res = await api.get(path(a.id), { headers: { 'If-Modified-Since': seen } })
      expect(res, 'changed a second later: modified').toHaveStatus(200)
    })

    it('If-None-Match wins over If-Modified-Since', async () => {
      const { api, a, path, clock, rng } = setup()
      const first = await api.get(path(a.id))
      const old = first.headers['etag']!
      const since = first.headers['last-modified']!
      clock.advance(300)
      await update(api, path(a.id), { title: a.title, body: `${a.body} ${rng.word()}` })
      let res = await api.get(path(a.id), {
        headers: { 'If-None-Match': old, 'If-Modified-Since': since },
      })
      expect(res, 'the old ETag does not match: 200, whatever the date says').toHaveStatus(200)
      const tag = res.headers['etag']!
      const past = httpDate(Date.parse(since) - 86_400_000)
      res = await api.get(path(a.id), {
        headers: { 'If-None-Match': tag, 'If-Modified-Since': past },
      })
      expect(res, 'the ETag matches: 304, whatever the date says').toHaveStatus(304)
    })

    it('a malformed If-Modified-Since is ignored', async () => {
      const { api, a, path } = setup()
      for (const since of ['yesterday', 'not a date', '']) {
        const res = await api.get(path(a.id), { headers: { 'If-Modified-Since': since } })
        expect(res, `If-Modified-Since: ${JSON.stringify(since)} is no date: 200`).toHaveStatus(200)
        expect(res).toHaveJsonBody(expect.objectContaining(a))
      }
    })

    it('HEAD honours If-Modified-Since too', async () => {
      const { api, a, path } = setup()
      const since = (await api.get(path(a.id))).headers['last-modified'] ?? 'missing'
      const head = await api.head(path(a.id), { headers: { 'If-Modified-Since': since } })
      expect(head).toHaveStatus(304)
    })
  })

  task(4, 'Guard writes with If-Match', () => {
    it('a PUT without If-Match answers 428 and changes nothing', async () => {
      const { api, a, path } = setup()
      const res = await api.put(path(a.id), { json: { title: 'x', body: 'y' } })
      expect(res).toHaveStatus(428)
      expect(res).toHaveJsonBody(expect.objectContaining({ error: 'precondition_required' }))
      expect((await api.get(path(a.id))).body).toEqual(expect.objectContaining(a))
    })

    it('a PUT with the current ETag answers 200 with the new article', async () => {
      const { api, a, path, rng } = setup()
      const tag = await etagOf(api, path(a.id))
      const change = { title: rng.word(), body: sentence(rng) }
      const res = await api.put(path(a.id), { json: change, headers: { 'If-Match': tag } })
      expect(res).toHaveStatus(200)
      expect(res).toHaveJsonBody(expect.objectContaining({ id: a.id, ...change }))
      const now = await api.get(path(a.id))
      expect(now.body).toEqual(expect.objectContaining(change))
      if (res.headers['etag'] !== undefined) {
        expect(res.headers['etag'], 'an ETag on the PUT answer is the new one').toBe(
          now.headers['etag'],
        )
      }
    })

    it('a stale If-Match answers 412 and the other change survives (no lost update)', async () => {
      const { api, a, path, rng } = setup()
      const seenByBoth = await etagOf(api, path(a.id))
      const first = { title: rng.word(), body: `first ${rng.word()}` }
      const ok = await api.put(path(a.id), { json: first, headers: { 'If-Match': seenByBoth } })
      expect(ok).toHaveStatus(200)
      const second = { title: rng.word(), body: `second ${rng.word()}` }
      const res = await api.put(path(a.id), { json: second, headers: { 'If-Match': seenByBoth } })
      expect(res).toHaveStatus(412)
      expect(res).toHaveJsonBody(expect.objectContaining({ error: 'precondition_failed' }))
      expect((await api.get(path(a.id))).body).toEqual(expect.objectContaining(first))
    })

    it('If-Match compares strongly: W/"<tag>" answers 412', async () => {
      const { api, a, path } = setup()
      const tag = await etagOf(api, path(a.id))
      const res = await api.put(path(a.id), {
        json: { title: 'x', body: 'y' },
        headers: { 'If-Match': `W/${tag}` },
      })
      expect(res, 'a weak tag never matches in If-Match').toHaveStatus(412)
      expect((await api.get(path(a.id))).body).toEqual(expect.objectContaining(a))
    })

    it('If-Match accepts a list that holds the current ETag, and *', async () => {
      const { api, a, b, path, rng } = setup()
      const other = await etagOf(api, path(b.id))
      const tag = await etagOf(api, path(a.id))
      let change = { title: rng.word(), body: `${rng.word()}1` }
      const list = { 'If-Match': `${other}, ${tag}` }
      let res = await api.put(path(a.id), { json: change, headers: list })
      expect(res, 'the list holds the current ETag').toHaveStatus(200)
      change = { title: rng.word(), body: `${rng.word()}2` }
      res = await api.put(path(a.id), { json: change, headers: { 'If-Match': '*' } })
      expect(res, 'If-Match: * means "any current version"').toHaveStatus(200)
      expect((await api.get(path(a.id))).body).toEqual(expect.objectContaining(change))
      res = await api.put(path(a.id), { json: change, headers: { 'If-Match': `${other}, "zz"` } })
      expect(res, 'a list without the current ETag').toHaveStatus(412)
    })

    it('a matching If-None-Match on a PUT answers 412, not 304', async () => {
      const { api, a, path } = setup()
      const tag = await etagOf(api, path(a.id))
      for (const inm of [tag, '*']) {
        const res = await api.put(path(a.id), {
          json: { title: 'x', body: 'y' },
          headers: { 'If-Match': tag, 'If-None-Match': inm },
        })
        expect(res, `If-Match ok, If-None-Match: ${inm} matches`).toHaveStatus(412)
      }
      expect((await api.get(path(a.id))).body).toEqual(expect.objectContaining(a))
    })

    it('a PUT to a missing article answers 404, whatever the preconditions', async () => {
      const { api, a, path, missing } = setup()
      const tag = await etagOf(api, path(a.id))
      const variants: Record<string, string>[] = [{}, { 'If-Match': tag }, { 'If-Match': '*' }]
      for (const headers of variants) {
        const res = await api.put(path(missing), { json: { title: 'x', body: 'y' }, headers })
        expect(res, `PUT ${path(missing)} with ${JSON.stringify(headers)}`).toHaveStatus(404)
      }
      expect(await api.get(path(missing)), 'PUT never creates').toHaveStatus(404)
    })

    it('If-Modified-Since on a PUT is ignored', async () => {
      const { api, a, path, rng } = setup()
      const first = await api.get(path(a.id))
      const change = { title: rng.word(), body: rng.word() }
      const res = await api.put(path(a.id), {
        json: change,
        headers: {
          'If-Match': first.headers['etag'] ?? '',
          'If-Modified-Since': httpDate(Date.UTC(2040, 0)),
        },
      })
      expect(res).toHaveStatus(200)
    })
  })

  task(5, 'Cache-Control and Vary', () => {
    it('an article is public, max-age=<maxAge>, on the 200 and on the 304', async () => {
      const { api, a, path, maxAge } = setup()
      const res = await api.get(path(a.id))
      const cc = directives(res)
      expect(res).toHaveHeader('cache-control')
      expect(cc.has('public'), 'Cache-Control: public').toBe(true)
      expect(cc.get('max-age'), `max-age=${maxAge}`).toBe(String(maxAge))
      for (const bad of ['private', 'no-store', 'no-cache']) expect(cc.has(bad), bad).toBe(false)
      const inm = { 'If-None-Match': res.headers['etag'] ?? '*' }
      const notModified = await api.get(path(a.id), { headers: inm })
      expect(notModified).toHaveStatus(304)
      expect(notModified, 'the 304 repeats Cache-Control').toHaveHeader(
        'cache-control',
        res.headers['cache-control'],
      )
    })

    it('max-age defaults to 60', async () => {
      const { api, a, path } = setup({ withMaxAge: false })
      expect(directives(await api.get(path(a.id))).get('max-age')).toBe('60')
    })

    it('GET /me is private, no-cache, Vary: Authorization', async () => {
      const { api, users } = setup()
      const user = users[0]!
      const res = await api.get('/me', { headers: { Authorization: `Bearer ${user.token}` } })
      expect(res).toHaveStatus(200)
      expect(res).toHaveJsonBody(expect.objectContaining({ id: user.id, name: user.name }))
      const cc = directives(res)
      expect(cc.has('private'), 'Cache-Control: private (no shared cache may keep it)').toBe(true)
      expect(cc.has('no-cache'), 'Cache-Control: no-cache (ask before reuse)').toBe(true)
      for (const bad of ['public', 's-maxage']) expect(cc.has(bad), bad).toBe(false)
      expect(res).toHaveHeader('vary')
      expect(
        res.headers['vary']!.split(',').map((v) => v.trim().toLowerCase()),
        'Vary lists Authorization',
      ).toContain('authorization')
    })

    it('GET /me revalidates with its ETag; a 304 repeats Cache-Control and Vary', async () => {
      const { api, users } = setup()
      const auth = { Authorization: `Bearer ${users[0]!.token}` }
      const res = await api.get('/me', { headers: auth })
      expect(res).toHaveHeader('etag')
      const tag = res.headers['etag']!
      const again = await api.get('/me', { headers: { ...auth, 'If-None-Match': tag } })
      expectNotModified(again, tag)
      expect(again).toHaveHeader('cache-control', res.headers['cache-control'])
      expect(again).toHaveHeader('vary', res.headers['vary'])
    })

    it("another user's ETag never gets a 304 from /me", async () => {
      const { api, users } = setup()
      const [one, two] = users as [(typeof users)[0], (typeof users)[0]]
      const mine = await api.get('/me', { headers: { Authorization: `Bearer ${one.token}` } })
      expect(mine).toHaveHeader('etag')
      const res = await api.get('/me', {
        headers: { Authorization: `Bearer ${two.token}`, 'If-None-Match': mine.headers['etag']! },
      })
      expect(res, "user two with user one's ETag gets their own profile").toHaveStatus(200)
      expect(res).toHaveJsonBody(expect.objectContaining({ id: two.id, name: two.name }))
    })
  })
})
