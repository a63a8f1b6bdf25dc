// api-versioning - the hidden spec.
//
// Wrong implementations this spec is built to catch:
// - the new shape served on v1 too (v1 users with firstName/lastName, or v2's { data, meta })
// - v2 left as v1 with extra fields (name kept next to firstName), or the list not wrapped
// - the unversioned route defaulting to the latest version instead of v1
// - Accept ignored (only the path and ?version= read), or only an exact `Accept` string matched
//   (a vendor type among other ranges, with parameters or in another letter case missed)
// - ?version= ignored
// - wrong precedence: query over Accept, or Accept/query read on the path-versioned routes
// - every hint validated up front, so an invalid ?version= breaks an Accept-chosen response
// - an unknown version silently served as v1: `vnd.shop.v9+json`, `?version=9`, `?version=`,
//   `?version=v2`, or `/api/v9/users` routed to v1 through a `/api/:version` pattern
// - `?version=2.0` accepted through Number(), or 400 and 406 swapped
// - Content-Type not naming the vendor type when Accept chose the version, or naming it (or the
//   wrong version) when the path or the query did
// - Deprecation on v2, or only on the path-versioned v1 (not when Accept, query or the default
//   chose v1); Deprecation as `true`, as an HTTP-date or in milliseconds
// - Sunset missing, written as an ISO date, or ignoring the sunsetAt option
// - no successor-version link, or one pointing at the list from an item (or at /api/v1)
// - Vary: Accept missing on some unversioned responses (query-chosen ones, errors, a 404)
// - `7x` or `7.0` read as user 7 (parseInt, Number); a path version read with Number() or
//   case-insensitively, so `/api/v01/users`, `/api/v1.0/users` or `/api/V2/users` is served
// - a version looked up with `in` or a plain object, so `?version=constructor`, `__proto__` or
//   `toString` is taken for a version (or crashes); `?version=01` or `vnd.shop.v01+json` read
//   with Number() as v1
// - header values cached at module level, so a second app answers with the first one's dates
// - a crash on an empty user list; the caller's users changed in place
import { describe, expect, it } from 'vitest'
import {
  build,
  client,
  focusOn,
  parseLinkHeader,
  parseTokenList,
  random,
  task,
  type Reply,
  type Rng,
} from '../../harness/spec-kit/index.ts'
import { createApp, type User } from '../../exercises/api-versioning/app.ts'

const V1_TYPE = 'application/vnd.shop.v1+json'
const V2_TYPE = 'application/vnd.shop.v2+json'

const capitalized = (word: string) => word[0]!.toUpperCase() + word.slice(1)

/** Users with gaps in their ids and capitalised names. */
function makeUsers(rng: Rng, n = rng.int(3, 8)): User[] {
  let id = rng.int(1, 40)
  return Array.from({ length: n }, () => {
    id += rng.int(1, 9)
    return { id, firstName: capitalized(rng.word(3, 8)), lastName: capitalized(rng.word(3, 10)) }
  })
}

const asV1 = (u: User) => ({ id: u.id, name: `${u.firstName} ${u.lastName}` })
const asV2 = (u: User) => ({ id: u.id, firstName: u.firstName, lastName: u.lastName })
const v2List = (users: User[]) =>
  expect.objectContaining({
    data: users.map(asV2),
    meta: expect.objectContaining({ total: users.length }),
  })

/** Deprecation and sunset dates in whole seconds, sunset some months after deprecation. */
function makeDates(rng: Rng): { deprecatedAt: Date; sunsetAt: Date } {
  const deprecated = Date.UTC(rng.int(2019, 2032), rng.int(0, 11), rng.int(1, 28)) / 1000
  const deprecatedSeconds = deprecated + rng.int(0, 86_399)
  const sunsetSeconds = deprecatedSeconds + rng.int(60, 900) * 86_400 + rng.int(0, 86_399)
  return {
    deprecatedAt: new Date(deprecatedSeconds * 1000),
    sunsetAt: new Date(sunsetSeconds * 1000),
  }
}

/** The media type of the reply's Content-Type, without parameters, lower-case. */
function mediaTypeOf(res: Reply): string | undefined {
  return res.headers['content-type']?.split(';')[0]?.trim().toLowerCase()
}

function expectMediaType(res: Reply, mediaType: string): void {
  expect(res).toHaveHeader('content-type')
  focusOn(res)
  expect(mediaTypeOf(res), 'the media type of Content-Type').toBe(mediaType)
}

/** The successor-version targets in the reply's Link header. */
function successorsOf(res: Reply): string[] {
  const header = res.headers['link']
  if (header === undefined) return []
  return parseLinkHeader(header)
    .filter((link) => link.rels.includes('successor-version'))
    .map((link) => link.target)
}

/** A Link target reduced to path and query (an absolute URL keeps only those). */
function pathOf(target: string): string {
  const url = new URL(target, 'http://api.test')
  return `${url.pathname}${url.search}`
}

function expectVaryAccept(res: Reply): void {
  expect(res).toHaveHeader('vary')
  focusOn(res)
  expect(parseTokenList(res.headers['vary']), `Vary: ${res.headers['vary']}`).toContain('ACCEPT')
}

function expectUnsupported(res: Reply, status: 400 | 406): void {
  expect(res).toHaveStatus(status)
  expect(res).toHaveJsonBody(
    expect.objectContaining({ error: 'unsupported_version', supported: [1, 2] }),
  )
}

/**
 * One way of asking for a version: a label for the test name, a path (`:id` stands for an
 * existing user's id) and an optional Accept header.
 */
type Channel = [label: string, path: string, accept: string | undefined]

function channel(path: string, accept?: string): Channel {
  return [accept ? `${path} with Accept: ${accept}` : path, path, accept]
}

const V1_CHANNELS: Channel[] = [
  channel('/api/v1/users'),
  channel('/api/v1/users/:id'),
  channel('/api/users'),
  channel('/api/users/:id'),
  channel('/api/users', V1_TYPE),
  channel('/api/users/:id', V1_TYPE),
  channel('/api/users?version=1'),
  channel('/api/users/:id?version=1'),
]

const V2_CHANNELS: Channel[] = [
  channel('/api/v2/users'),
  channel('/api/v2/users/:id'),
  channel('/api/users', V2_TYPE),
  channel('/api/users/:id', V2_TYPE),
  channel('/api/users?version=2'),
  channel('/api/users/:id?version=2'),
]

/** Sends a channel's request for one of the users; returns the reply and the user's id. */
async function request(
  rng: Rng,
  users: User[],
  path: string,
  accept: string | undefined,
  options: { deprecatedAt?: Date; sunsetAt?: Date } = {},
): Promise<{ res: Reply; id: number }> {
  const id = rng.pick(users).id
  const api = client(createApp({ users, ...options }))
  const res = await api.get(path.replace(':id', String(id)), {
    headers: accept ? { Accept: accept } : {},
  })
  return { res, id }
}

describe('api-versioning', () => {
  task(1, 'Serve v1 and v2 by path', () => {
    it('serves /api/v1/users as a plain array of { id, name } with name "First Last"', async () => {
      const users = makeUsers(random())
      const res = await client(createApp({ users })).get('/api/v1/users')
      expect(res).toHaveStatus(200)
      expect(res).toHaveJsonBody(users.map(asV1))
      expectMediaType(res, 'application/json')
    })

    it('serves /api/v2/users as { data, meta: { total } } of split-name users', async () => {
      const users = makeUsers(random())
      const res = await client(createApp({ users })).get('/api/v2/users')
      expect(res).toHaveStatus(200)
      expect(res).toHaveJsonBody(v2List(users))
      expectMediaType(res, 'application/json')
    })

    it('serves one user in each version at /api/v1/users/:id and /api/v2/users/:id', async () => {
      const rng = random()
      const users = makeUsers(rng)
      const user = rng.pick(users)
      const api = client(createApp({ users }))
      const v1 = await api.get(`/api/v1/users/${user.id}`)
      expect(v1).toHaveStatus(200)
      expect(v1).toHaveJsonBody(asV1(user))
      const v2 = await api.get(`/api/v2/users/${user.id}`)
      expect(v2).toHaveStatus(200)
      expect(v2).toHaveJsonBody(asV2(user))
    })

    it('serves empty lists in both versions when there are no users', async () => {
      const api = client(createApp({ users: [] }))
      const v1 = await api.get('/api/v1/users')
      expect(v1).toHaveStatus(200)
      expect(v1).toHaveJsonBody([])
      const v2 = await api.get('/api/v2/users')
      expect(v2).toHaveStatus(200)
      expect(v2).toHaveJsonBody(v2List([]))
    })

    it('never changes the users it was given', async () => {
      const rng = random()
      const users = makeUsers(rng)
      const before = structuredClone(users)
      const api = client(createApp({ users }))
      const { id } = rng.pick(users)
      for (const path of ['/api/v1/users', '/api/v2/users', `/api/v1/users/${id}`]) {
        expect(await api.get(path)).toHaveStatus(200)
      }
      expect(await api.get(`/api/v2/users/${id}`)).toHaveStatus(200)
      expect(users, 'the users passed to createApp were changed').toEqual(before)
    })

    it.each(['/api/v1/users', '/api/v2/users', '/api/users'])(
      'answers 404 not_found for an id no user has under %s',
      async (prefix) => {
        const rng = random()
        const users = makeUsers(rng)
        const api = client(createApp({ users }))
        const missing = users.at(-1)!.id + rng.int(1, 50)
        const { id: existing } = rng.pick(users)
        // Not written in digits: `7x` and `7.0` name no user, even when user 7 exists.
        for (const id of [String(missing), rng.word(3, 6), `${existing}x`, `${existing}.0`]) {
          const res = await api.get(`${prefix}/${id}`)
          expect(res).toHaveStatus(404)
          expect(res).toHaveJsonBody(expect.objectContaining({ error: 'not_found' }))
        }
      },
    )

    it('answers 404 for a version the path does not know, never falling back to v1', async () => {
      const rng = random()
      const users = makeUsers(rng)
      const api = client(createApp({ users }))
      const version = rng.int(3, 99)
      const paths = [`/api/v${version}/users`, `/api/v${version}/users/${users[0]!.id}`]
      // Spellings that a `/api/v:n` route read with Number() would take for v1 or v2.
      for (const v of ['v0', 'v01', 'v1.0', 'v2.0', 'V2', '1']) paths.push(`/api/${v}/users`)
      for (const path of paths) {
        const res = await api.get(path)
        expect(res).toHaveStatus(404)
        expect(res).toHaveJsonBody(expect.objectContaining({ error: 'not_found' }))
      }
    })
  })

  task(2, 'Choose the version by Accept on /api/users', () => {
    it.each([
      ['no Accept header', undefined],
      ['Accept: application/json', 'application/json'],
      ['Accept: */*', '*/*'],
    ])('serves v1 at /api/users when the request names no version (%s)', async (_label, accept) => {
      const rng = random()
      const users = makeUsers(rng)
      const user = rng.pick(users)
      const api = client(createApp({ users }))
      const headers: Record<string, string> = accept ? { Accept: accept } : {}
      const list = await api.get('/api/users', { headers })
      expect(list).toHaveStatus(200)
      expect(list).toHaveJsonBody(users.map(asV1))
      expectMediaType(list, 'application/json')
      const one = await api.get(`/api/users/${user.id}`, { headers })
      expect(one).toHaveStatus(200)
      expect(one).toHaveJsonBody(asV1(user))
    })

    it('serves v2 at /api/users for Accept: application/vnd.shop.v2+json, labelled', async () => {
      const rng = random()
      const users = makeUsers(rng)
      const user = rng.pick(users)
      const api = client(createApp({ users }))
      const list = await api.get('/api/users', { headers: { Accept: V2_TYPE } })
      expect(list).toHaveStatus(200)
      expect(list).toHaveJsonBody(v2List(users))
      expectMediaType(list, V2_TYPE)
      const one = await api.get(`/api/users/${user.id}`, { headers: { Accept: V2_TYPE } })
      expect(one).toHaveStatus(200)
      expect(one).toHaveJsonBody(asV2(user))
      expectMediaType(one, V2_TYPE)
    })

    it('serves v1 at /api/users for Accept: application/vnd.shop.v1+json, labelled', async () => {
      const rng = random()
      const users = makeUsers(rng)
      const user = rng.pick(users)
      const api = client(createApp({ users }))
      const list = await api.get('/api/users', { headers: { Accept: V1_TYPE } })
      expect(list).toHaveStatus(200)
      expect(list).toHaveJsonBody(users.map(asV1))
      expectMediaType(list, V1_TYPE)
      const one = await api.get(`/api/users/${user.id}`, { headers: { Accept: V1_TYPE } })
      expect(one).toHaveStatus(200)
      expect(one).toHaveJsonBody(asV1(user))
      expectMediaType(one, V1_TYPE)
    })

    it.each([
      ['text/html, application/vnd.shop.v2+json;q=0.9, */*;q=0.1'],
      ['application/json ;q=0.5 , application/vnd.shop.v2+json ; charset=utf-8'],
      ['Application/VND.Shop.V2+JSON'],
    ])('finds the vendor type in Accept: %s', async (accept) => {
      const users = makeUsers(random())
      const api = client(createApp({ users }))
      const res = await api.get('/api/users', { headers: { Accept: accept } })
      expect(res).toHaveStatus(200)
      expect(res).toHaveJsonBody(v2List(users))
      expectMediaType(res, V2_TYPE)
    })

    it('answers 406 unsupported_version for an unknown version in Accept', async () => {
      const rng = random()
      const users = makeUsers(rng)
      const api = client(createApp({ users }))
      for (const version of [rng.int(3, 99), 0, '01', '2.0', 'two']) {
        const accept = `application/vnd.shop.v${version}+json`
        expectUnsupported(await api.get('/api/users', { headers: { Accept: accept } }), 406)
        const one = await api.get(`/api/users/${users[0]!.id}`, { headers: { Accept: accept } })
        expectUnsupported(one, 406)
      }
    })
  })

  task(3, 'Choose the version by ?version=', () => {
    it('picks the version from ?version= when Accept names none', async () => {
      const rng = random()
      const users = makeUsers(rng)
      const user = rng.pick(users)
      const api = client(createApp({ users }))
      const v2 = await api.get('/api/users?version=2')
      expect(v2).toHaveStatus(200)
      expect(v2).toHaveJsonBody(v2List(users))
      expectMediaType(v2, 'application/json')
      const v2One = await api.get(`/api/users/${user.id}?version=2`, {
        headers: { Accept: 'application/json' },
      })
      expect(v2One).toHaveStatus(200)
      expect(v2One).toHaveJsonBody(asV2(user))
      const v1 = await api.get('/api/users?version=1')
      expect(v1).toHaveStatus(200)
      expect(v1).toHaveJsonBody(users.map(asV1))
      expectMediaType(v1, 'application/json')
    })

    it.each([
      ['9'],
      ['3'],
      ['0'],
      ['01'],
      ['v2'],
      ['two'],
      ['2.0'],
      [''],
      ['constructor'],
      ['__proto__'],
      ['toString'],
    ])(
      'answers 400 unsupported_version for ?version=%s instead of a default',
      async (version) => {
        const users = makeUsers(random())
        const api = client(createApp({ users }))
        expectUnsupported(await api.get(`/api/users?version=${version}`), 400)
        expectUnsupported(await api.get(`/api/users/${users[0]!.id}?version=${version}`), 400)
      },
    )
  })

  task(4, 'Precedence: path, then Accept, then query', () => {
    it('lets the path decide over Accept and ?version=', async () => {
      const users = makeUsers(random())
      const api = client(createApp({ users }))
      const v1 = await api.get('/api/v1/users?version=2', { headers: { Accept: V2_TYPE } })
      expect(v1).toHaveStatus(200)
      expect(v1).toHaveJsonBody(users.map(asV1))
      expectMediaType(v1, 'application/json')
      const v2 = await api.get('/api/v2/users?version=1', { headers: { Accept: V1_TYPE } })
      expect(v2).toHaveStatus(200)
      expect(v2).toHaveJsonBody(v2List(users))
      expectMediaType(v2, 'application/json')
    })

    it('ignores unknown versions in Accept and ?version= on path-versioned routes', async () => {
      const users = makeUsers(random())
      const api = client(createApp({ users }))
      const v2 = await api.get('/api/v2/users?version=9', {
        headers: { Accept: 'application/vnd.shop.v9+json' },
      })
      expect(v2).toHaveStatus(200)
      expect(v2).toHaveJsonBody(v2List(users))
      const v1 = await api.get('/api/v1/users?version=', {
        headers: { Accept: 'application/vnd.shop.v7+json' },
      })
      expect(v1).toHaveStatus(200)
      expect(v1).toHaveJsonBody(users.map(asV1))
    })

    it('lets Accept decide over ?version=', async () => {
      const users = makeUsers(random())
      const api = client(createApp({ users }))
      const v2 = await api.get('/api/users?version=1', { headers: { Accept: V2_TYPE } })
      expect(v2).toHaveStatus(200)
      expect(v2).toHaveJsonBody(v2List(users))
      const v1 = await api.get('/api/users?version=2', { headers: { Accept: V1_TYPE } })
      expect(v1).toHaveStatus(200)
      expect(v1).toHaveJsonBody(users.map(asV1))
    })

    it('does not read ?version= once Accept has decided, valid or not', async () => {
      const users = makeUsers(random())
      const api = client(createApp({ users }))
      const v1 = await api.get('/api/users?version=9', { headers: { Accept: V1_TYPE } })
      expect(v1).toHaveStatus(200)
      expect(v1).toHaveJsonBody(users.map(asV1))
      const refused = await api.get('/api/users?version=2', {
        headers: { Accept: 'application/vnd.shop.v9+json' },
      })
      expectUnsupported(refused, 406)
    })
  })

  task(5, 'Deprecation headers on v1', () => {
    it.each(V1_CHANNELS)(
      'sends Deprecation: @<unix seconds> on v1 from %s',
      async (_, path, accept) => {
        const rng = random()
        const dates = makeDates(rng)
        const { res } = await request(rng, makeUsers(rng), path, accept, dates)
        expect(res).toHaveStatus(200)
        expect(res).toHaveHeader('deprecation', `@${dates.deprecatedAt.getTime() / 1000}`)
      },
    )

    it('sends Sunset as an IMF-fixdate HTTP-date of sunsetAt on every v1 response', async () => {
      const rng = random()
      const users = makeUsers(rng)
      const dates = makeDates(rng)
      for (const [, path, accept] of V1_CHANNELS) {
        const { res } = await request(rng, users, path, accept, dates)
        expect(res).toHaveStatus(200)
        // IMF-fixdate has one spelling per instant: `Sun, 06 Nov 1994 08:49:37 GMT`.
        expect(res).toHaveHeader('sunset', dates.sunsetAt.toUTCString())
      }
    })

    it('links v1 to the same resource under /api/v2 with rel="successor-version"', async () => {
      const rng = random()
      const users = makeUsers(rng)
      for (const [, path, accept] of V1_CHANNELS) {
        const { res, id } = await request(rng, users, path, accept)
        expect(res).toHaveStatus(200)
        expect(res).toHaveHeader('link')
        const successors = successorsOf(res)
        focusOn(res)
        const shown = `rel="successor-version" links in Link: ${res.headers['link']}`
        expect(successors, shown).toHaveLength(1)
        const expected = path.includes(':id') ? `/api/v2/users/${id}` : '/api/v2/users'
        expect(pathOf(successors[0]!), 'the successor-version target').toBe(expected)
      }
    })

    it('defaults to Deprecation @1735689600 and Sunset Fri, 01 Jan 2027 00:00:00 GMT', async () => {
      const users = makeUsers(random())
      const res = await client(createApp({ users })).get('/api/v1/users')
      expect(res).toHaveStatus(200)
      expect(res).toHaveHeader('deprecation', '@1735689600')
      expect(res).toHaveHeader('sunset', 'Fri, 01 Jan 2027 00:00:00 GMT')
    })

    it.each(V2_CHANNELS)(
      'sends no Deprecation, Sunset or successor link on v2 from %s',
      async (_, path, accept) => {
        const rng = random()
        const { res } = await request(rng, makeUsers(rng), path, accept, makeDates(rng))
        expect(res).toHaveStatus(200)
        expect(res).not.toHaveHeader('deprecation')
        expect(res).not.toHaveHeader('sunset')
        focusOn(res)
        const shown = `rel="successor-version" links in Link: ${res.headers['link']}`
        expect(successorsOf(res), shown).toEqual([])
      },
    )

    it('keeps each app its own deprecation dates', async () => {
      const rng = random()
      const users = makeUsers(rng)
      const first = makeDates(rng)
      const second = makeDates(rng)
      const one = client(build(createApp, { users, ...first }))
      const two = client(build(createApp, { users, ...second }))
      for (const [api, dates] of [
        [one, first],
        [two, second],
        [one, first],
      ] as const) {
        const res = await api.get('/api/v1/users')
        expect(res).toHaveStatus(200)
        expect(res).toHaveHeader('deprecation', `@${dates.deprecatedAt.getTime() / 1000}`)
        expect(res).toHaveHeader('sunset', dates.sunsetAt.toUTCString())
      }
    })
  })

  task(6, 'Vary: Accept on /api/users', () => {
    it.each([
      ...[...V1_CHANNELS, ...V2_CHANNELS].filter(([, path]) => path.startsWith('/api/users')),
      channel('/api/users', 'application/vnd.shop.v9+json'),
      channel('/api/users?version=9'),
      channel('/api/users/:id?version=v1'),
      channel('/api/users/999999'),
      channel('/api/users/999999', V2_TYPE),
    ])('lists Accept in Vary on %s', async (_, path, accept) => {
      const rng = random()
      const { res } = await request(rng, makeUsers(rng), path, accept)
      expectVaryAccept(res)
    })
  })
})
