// auth-401-vs-403 - the hidden spec.
//
// Wrong implementations this spec is built to catch:
// - looks the token up as tokens[token] (or `token in tokens`), so `constructor`, `__proto__`,
//   `toString` or a token inherited from the table's prototype signs someone in
// - answers 403 where 401 is due (an unknown token is "not allowed" instead of "not known")
// - answers 401 where 403 is due (a member on the admin route or on someone else's post)
// - omits WWW-Authenticate on a 401, or challenges with a scheme other than Bearer
// - takes the token from any scheme (`header.split(' ')[1]`): `Basic x`, `Token x`, a bare token
//   or trailing garbage sign in; or only accepts the exact spelling `Bearer`, not `bearer`
// - matches tokens loosely (prefix, substring, or ignoring letter case) instead of exactly
// - looks the post up before authenticating, so an anonymous DELETE of a missing post is 404
// - authorizes before looking the post up, so a member deleting a missing post gets 403
// - lets only the author delete (an admin gets 403), or lets any member delete anything
// - compares the wrong fields for ownership (post id, token or role instead of authorId/userId)
// - answers 204 without removing the post: still listed, still counted, deletable again
// - a refused DELETE (401 or 403, no token or an unknown one) still removes the post
// - keeps the posts in a plain object keyed by id, so DELETE /api/posts/constructor finds
//   an inherited "post" (an admin gets 204, a member 403, instead of 404)
// - mutates the caller's posts array, or keeps the posts at module level shared by every app
// - keeps the caller's array or post objects instead of copies, so a change the caller makes
//   after createApp shows up in the app
// - puts GET /api/posts behind authentication
// - hard-codes users, tokens or posts (all of them are random per seed)
import { describe, expect, it } from 'vitest'
import {
  build,
  client,
  focusOn,
  parseChallenge,
  random,
  task,
  type Reply,
  type Rng,
} from '../../harness/spec-kit/index.ts'
import { createApp, type Post, type User } from '../../exercises/auth-401-vs-403/app.ts'

const LETTERS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz'
const TOKEN_CHARS = `${LETTERS}0123456789-._~`

interface Account extends User {
  token: string
}

/** Random accounts and posts: an admin, a member who wrote some posts, and another member. */
function world(rng: Rng) {
  // Each token starts with a letter, so it always has a twin in another letter case.
  const token = () =>
    rng.pick([...LETTERS]) +
    Array.from({ length: rng.int(20, 32) }, () => rng.pick([...TOKEN_CHARS])).join('')
  const account = (role: User['role'], n: number): Account => ({
    token: token(),
    userId: `${rng.pick(['u', 'usr', 'user'])}-${rng.word(3, 7)}${n}`,
    role,
  })
  const admin = account('admin', 1)
  const author = account('member', 2)
  const other = account('member', 3)
  const post = (by: Account, n: number): Post => ({
    id: `${rng.word(3, 6)}${n}`,
    authorId: by.userId,
    title: `${rng.word()} ${rng.word()}`,
  })
  const extras = Array.from({ length: rng.int(1, 4) }, (_, i) =>
    post(rng.pick([admin, author, other]), i + 3),
  )
  const authorPost = post(author, 1)
  const otherPost = post(other, 2)
  const posts = rng.shuffle([authorPost, otherPost, ...extras])
  const tokens: Record<string, User> = {}
  for (const { token: t, userId, role } of [admin, author, other]) tokens[t] = { userId, role }
  const missingId = `gone-${rng.word()}`
  return { admin, author, other, authorPost, otherPost, posts, tokens, missingId }
}

type World = ReturnType<typeof world>

/** A fresh app over copies of the world's data, so the world stays the expected state. */
const appFor = (w: World) =>
  client(build(createApp, { tokens: { ...w.tokens }, posts: w.posts.map((p) => ({ ...p })) }))

const bearer = (account: Account) => ({ headers: { Authorization: `Bearer ${account.token}` } })

/** A token one character away from a real one: close, but not in the table. */
const nearMiss = (token: string) => `${token.slice(0, -1)}${token.endsWith('x') ? 'y' : 'x'}`

/** The same token with every letter in the other case. */
const swapCase = (token: string) =>
  [...token].map((ch) => (ch === ch.toLowerCase() ? ch.toUpperCase() : ch.toLowerCase())).join('')

/**
 * A 401 with a Bearer challenge and the unauthorized error. The challenge is parsed, so the
 * scheme may be spelled in any case and carry auth-params (`Bearer realm="api"`) in any order.
 */
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

/** Names every plain object inherits: a lookup in one finds something for each of them. */
const INHERITED = ['constructor', '__proto__', 'toString', 'hasOwnProperty', 'valueOf']

describe('auth-401-vs-403', () => {
  task(1, 'List the posts for anyone', () => {
    it('GET /api/posts is public: 200 with every post, in order, and no token needed', async () => {
      const w = world(random())
      const res = await appFor(w).get('/api/posts')
      expect(res).toHaveStatus(200)
      expect(res).toHaveJsonBody(w.posts)
    })
  })

  task(2, 'Sign in with a bearer token', () => {
    it('GET /api/me answers 200 with the userId and role of the token owner', async () => {
      const w = world(random())
      const api = appFor(w)
      for (const account of [w.author, w.admin]) {
        const res = await api.get('/api/me', bearer(account))
        expect(res).toHaveStatus(200)
        expect(res).toHaveJsonBody({ userId: account.userId, role: account.role })
      }
    })

    it('accepts the Bearer scheme in any letter case', async () => {
      const w = world(random())
      const api = appFor(w)
      for (const scheme of ['bearer', 'BEARER', 'BeArEr']) {
        const headers = { Authorization: `${scheme} ${w.other.token}` }
        const res = await api.get('/api/me', { headers })
        expect(res).toHaveStatus(200)
        expect(res).toHaveJsonBody({ userId: w.other.userId, role: 'member' })
      }
    })
  })

  task(3, 'Answer 401 to a caller you cannot identify', () => {
    it('GET /api/me answers 401 with a Bearer challenge when no token is sent', async () => {
      const w = world(random())
      expectUnauthorized(await appFor(w).get('/api/me'))
    })

    it('GET /api/me answers 401, not 403, to an unknown token', async () => {
      const w = world(random())
      const unknown = { ...w.admin, token: nearMiss(w.admin.token) }
      expectUnauthorized(await appFor(w).get('/api/me', bearer(unknown)))
    })

    const malformed: [string, (w: World) => string][] = [
      ['an empty Authorization header', () => ''],
      ['the scheme "Bearer" with no token', () => 'Bearer'],
      ['a valid token under the Basic scheme', (w) => `Basic ${w.admin.token}`],
      [
        'Basic credentials holding a valid token',
        (w) => `Basic ${Buffer.from(`${w.admin.userId}:${w.admin.token}`).toString('base64')}`,
      ],
      ['a valid token under the Token scheme', (w) => `Token ${w.admin.token}`],
      ['a valid token with no scheme at all', (w) => w.admin.token],
      ['a valid token glued to the scheme', (w) => `Bearer${w.admin.token}`],
      ['a valid token followed by extra words', (w) => `Bearer ${w.admin.token} ${w.author.token}`],
      ['a valid token missing its last character', (w) => `Bearer ${w.admin.token.slice(0, -1)}`],
      ['two valid tokens glued together', (w) => `Bearer ${w.admin.token}${w.author.token}`],
      ['a valid token in another letter case', (w) => `Bearer ${swapCase(w.admin.token)}`],
    ]

    it.each(malformed)('answers 401 to %s', async (_, header) => {
      const w = world(random())
      const api = appFor(w)
      const res = await api.get('/api/me', { headers: { Authorization: header(w) } })
      expectUnauthorized(res)
    })

    it.each(INHERITED)(
      'does not sign in with the inherited property name "%s" as a token',
      async (name) => {
        const w = world(random())
        const api = appFor(w)
        const res = await api.get('/api/me', { headers: { Authorization: `Bearer ${name}` } })
        expectUnauthorized(res)
      },
    )

    it("signs in only with the token table's own entries, not inherited ones", async () => {
      const w = world(random())
      const intruder = `${w.other.token}-inherited`
      const tokens: Record<string, User> = Object.assign(
        Object.create({ [intruder]: { userId: w.admin.userId, role: 'admin' } }),
        w.tokens,
      )
      const api = client(build(createApp, { tokens, posts: w.posts }))
      const res = await api.get('/api/me', { headers: { Authorization: `Bearer ${intruder}` } })
      expectUnauthorized(res)
    })
  })

  task(4, 'Admins only: 403 for a signed-in member', () => {
    it('GET /api/admin/stats answers 200 with the number of posts for an admin', async () => {
      const w = world(random())
      const res = await appFor(w).get('/api/admin/stats', bearer(w.admin))
      expect(res).toHaveStatus(200)
      expect(res).toHaveJsonBody({ posts: w.posts.length })
    })

    it('GET /api/admin/stats answers 403, not 401, to a signed-in member', async () => {
      const w = world(random())
      const api = appFor(w)
      for (const member of [w.author, w.other]) {
        expectForbidden(await api.get('/api/admin/stats', bearer(member)))
      }
    })

    it('GET /api/admin/stats answers 401 with a Bearer challenge when no token is sent', async () => {
      const w = world(random())
      expectUnauthorized(await appFor(w).get('/api/admin/stats'))
    })

    it('GET /api/admin/stats answers 401, not 403, to an unknown token', async () => {
      const w = world(random())
      const unknown = { ...w.admin, token: nearMiss(w.admin.token) }
      expectUnauthorized(await appFor(w).get('/api/admin/stats', bearer(unknown)))
    })
  })

  task(5, 'Delete your own post', () => {
    it('DELETE /api/posts/:id lets the author delete their own post: 204 with no body', async () => {
      const w = world(random())
      const res = await appFor(w).delete(`/api/posts/${w.authorPost.id}`, bearer(w.author))
      expect(res).toHaveStatus(204)
      expect(res).toHaveEmptyBody()
    })

    it('a deleted post is gone from GET /api/posts', async () => {
      const w = world(random())
      const api = appFor(w)
      expect(await api.delete(`/api/posts/${w.authorPost.id}`, bearer(w.author))).toHaveStatus(204)
      const res = await api.get('/api/posts')
      expect(res).toHaveStatus(200)
      expect(res).toHaveJsonBody(w.posts.filter((p) => p.id !== w.authorPost.id))
    })

    it('a deleted post no longer counts in GET /api/admin/stats', async () => {
      const w = world(random())
      const api = appFor(w)
      expect(await api.delete(`/api/posts/${w.otherPost.id}`, bearer(w.other))).toHaveStatus(204)
      const res = await api.get('/api/admin/stats', bearer(w.admin))
      expect(res).toHaveJsonBody({ posts: w.posts.length - 1 })
    })

    it('deleting the same post a second time answers 404', async () => {
      const w = world(random())
      const api = appFor(w)
      expect(await api.delete(`/api/posts/${w.authorPost.id}`, bearer(w.author))).toHaveStatus(204)
      const again = await api.delete(`/api/posts/${w.authorPost.id}`, bearer(w.author))
      expect(again).toHaveStatus(404)
      expect(again).toHaveJsonBody(expect.objectContaining({ error: 'not_found' }))
    })

    it('a post id that is an inherited property name (constructor, __proto__...) is missing: 404', async () => {
      const w = world(random())
      const api = appFor(w)
      for (const name of INHERITED) {
        for (const account of [w.author, w.admin]) {
          const res = await api.delete(`/api/posts/${name}`, bearer(account))
          expect(res).toHaveStatus(404)
          expect(res).toHaveJsonBody(expect.objectContaining({ error: 'not_found' }))
        }
      }
      expect(await api.get('/api/posts')).toHaveJsonBody(w.posts)
    })

    it('deleting leaves the posts array passed to createApp unchanged', async () => {
      const w = world(random())
      const given = w.posts.map((p) => ({ ...p }))
      const api = client(build(createApp, { tokens: w.tokens, posts: given }))
      expect(await api.delete(`/api/posts/${w.authorPost.id}`, bearer(w.author))).toHaveStatus(204)
      expect(given, 'the array given to createApp still holds every post, unchanged').toEqual(
        w.posts,
      )
    })

    it('changes the caller makes to its array or posts after createApp do not reach the app', async () => {
      const w = world(random())
      const given = w.posts.map((p) => ({ ...p }))
      const api = client(build(createApp, { tokens: w.tokens, posts: given }))
      given[0]!.title = `changed ${given[0]!.title}`
      given[given.length - 1]!.authorId = w.admin.userId
      given.splice(1, 1)
      given.push({ id: `late-${w.missingId}`, authorId: w.author.userId, title: 'added later' })
      expect(await api.get('/api/posts')).toHaveJsonBody(w.posts)
      expect(await api.get('/api/admin/stats', bearer(w.admin))).toHaveJsonBody({
        posts: w.posts.length,
      })
    })

    it('each app keeps its own posts', async () => {
      const w = world(random())
      const first = appFor(w)
      const before = appFor(w)
      expect(await first.delete(`/api/posts/${w.authorPost.id}`, bearer(w.author))).toHaveStatus(204)
      const after = appFor(w)
      expect(await before.get('/api/posts')).toHaveJsonBody(w.posts)
      expect(await after.get('/api/posts')).toHaveJsonBody(w.posts)
    })
  })

  task(6, 'Who may delete: 401, then 404, then 403', () => {
    const deletes: [string, (w: World) => string][] = [
      ['an existing post', (w) => `/api/posts/${w.authorPost.id}`],
      ['a missing post', (w) => `/api/posts/${w.missingId}`],
    ]

    it.each(deletes)(
      'DELETE of %s answers 401 with a Bearer challenge when no token is sent',
      async (_, path) => {
        const w = world(random())
        expectUnauthorized(await appFor(w).delete(path(w)))
      },
    )

    it.each(deletes)('DELETE of %s answers 401, not 403 or 404, to an unknown token', async (_, path) => {
      const w = world(random())
      const unknown = { ...w.admin, token: nearMiss(w.admin.token) }
      expectUnauthorized(await appFor(w).delete(path(w), bearer(unknown)))
    })

    it('a signed-in member deleting a missing post gets 404, not 403', async () => {
      const w = world(random())
      const res = await appFor(w).delete(`/api/posts/${w.missingId}`, bearer(w.author))
      expect(res).toHaveStatus(404)
      expect(res).toHaveJsonBody(expect.objectContaining({ error: 'not_found' }))
    })

    it('an admin deleting a missing post gets 404', async () => {
      const w = world(random())
      const res = await appFor(w).delete(`/api/posts/${w.missingId}`, bearer(w.admin))
      expect(res).toHaveStatus(404)
      expect(res).toHaveJsonBody(expect.objectContaining({ error: 'not_found' }))
    })

    it("an admin may delete another user's post", async () => {
      const w = world(random())
      const api = appFor(w)
      const res = await api.delete(`/api/posts/${w.otherPost.id}`, bearer(w.admin))
      expect(res).toHaveStatus(204)
      const list = await api.get('/api/posts')
      expect(list).toHaveJsonBody(w.posts.filter((p) => p.id !== w.otherPost.id))
    })

    it("a member deleting another user's post gets 403, not 401", async () => {
      const w = world(random())
      const res = await appFor(w).delete(`/api/posts/${w.otherPost.id}`, bearer(w.author))
      expectForbidden(res)
    })

    it('a refused DELETE (401 or 403) leaves the post in place', async () => {
      const w = world(random())
      const api = appFor(w)
      const unknown = { ...w.other, token: nearMiss(w.other.token) }
      expect(await api.delete(`/api/posts/${w.otherPost.id}`)).toHaveStatus(401)
      expect(await api.delete(`/api/posts/${w.otherPost.id}`, bearer(unknown))).toHaveStatus(401)
      expect(await api.delete(`/api/posts/${w.otherPost.id}`, bearer(w.author))).toHaveStatus(403)
      const list = await api.get('/api/posts')
      expect(list).toHaveJsonBody(w.posts)
    })
  })
})
