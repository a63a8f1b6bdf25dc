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
// - matches tokens loosely (prefix, substring) instead of the whole token
// - looks the post up before authenticating, so an anonymous DELETE of a missing post is 404
// - authorizes before looking the post up, so a member deleting a missing post gets 403
// - lets only the author delete (an admin gets 403), or lets any member delete anything
// - compares the wrong fields for ownership (post id, token or role instead of authorId/userId)
// - answers 204 without removing the post: still listed, still counted, deletable again
// - a refused DELETE (401 or 403) still removes the post
// - mutates the caller's posts array, or keeps the posts at module level shared by every app
// - puts GET /api/posts behind authentication
// - hard-codes users, tokens or posts (all of them are random per seed)
import { describe, expect, it } from 'vitest'
import {
  client,
  focusOn,
  parseChallenge,
  random,
  type Reply,
  type Rng,
} from '../../harness/spec-kit/index.ts'
import { createApp, type Post, type User } from '../../exercises/auth-401-vs-403/app.ts'

const TOKEN_CHARS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~'

interface Account extends User {
  token: string
}

/** Random accounts and posts: an admin, a member who wrote some posts, and another member. */
function world(rng: Rng) {
  const token = () =>
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
  client(createApp({ tokens: { ...w.tokens }, posts: w.posts.map((p) => ({ ...p })) }))

const bearer = (account: Account) => ({ headers: { Authorization: `Bearer ${account.token}` } })

/** A token one character away from a real one: close, but not in the table. */
const nearMiss = (token: string) => `${token.slice(0, -1)}${token.endsWith('x') ? 'y' : 'x'}`

/** Every protected route: [name for the report, method, path in the given world]. */
const protectedRoutes: [string, string, (w: World) => string][] = [
  ['GET /api/me', 'get', () => '/api/me'],
  ['GET /api/admin/stats', 'get', () => '/api/admin/stats'],
  ['DELETE /api/posts/:id of an existing post', 'delete', (w) => `/api/posts/${w.authorPost.id}`],
  ['DELETE /api/posts/:id of a missing post', 'delete', (w) => `/api/posts/${w.missingId}`],
]

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

describe('auth-401-vs-403', () => {
  it('GET /api/posts is public: 200 with every post and no token needed', async () => {
    const w = world(random())
    const res = await appFor(w).get('/api/posts')
    expect(res).toHaveStatus(200)
    expect(res).toHaveJsonBody(w.posts)
  })

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

  it.each(protectedRoutes)(
    '%s answers 401 with a Bearer challenge when no token is sent',
    async (_, method, path) => {
      const w = world(random())
      const res = await appFor(w).send(method, path(w))
      expectUnauthorized(res)
    },
  )

  it.each(protectedRoutes)(
    '%s answers 401, not 403, to an unknown token',
    async (_, method, path) => {
      const w = world(random())
      const unknown = { ...w.admin, token: nearMiss(w.admin.token) }
      const res = await appFor(w).send(method, path(w), bearer(unknown))
      expectUnauthorized(res)
    },
  )

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
  ]

  it.each(malformed)('answers 401 to %s', async (_, header) => {
    const w = world(random())
    const api = appFor(w)
    const res = await api.get('/api/me', { headers: { Authorization: header(w) } })
    expectUnauthorized(res)
  })

  it.each(['constructor', '__proto__', 'toString', 'hasOwnProperty', 'valueOf'])(
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
    const api = client(createApp({ tokens, posts: w.posts }))
    const res = await api.get('/api/me', { headers: { Authorization: `Bearer ${intruder}` } })
    expectUnauthorized(res)
  })

  it('GET /api/admin/stats answers 200 with the number of posts for an admin', async () => {
    const w = world(random())
    const api = appFor(w)
    const res = await api.get('/api/admin/stats', bearer(w.admin))
    expect(res).toHaveStatus(200)
    expect(res).toHaveJsonBody({ posts: w.posts.length })
  })

  it('GET /api/admin/stats answers 403, not 401, to a signed-in member', async () => {
    const w = world(random())
    const api = appFor(w)
    const member = random('member').pick([w.author, w.other])
    const res = await api.get('/api/admin/stats', bearer(member))
    expect(res).toHaveStatus(403)
    expect(res).toHaveJsonBody(expect.objectContaining({ error: 'forbidden' }))
  })

  it('DELETE /api/posts/:id lets the author delete their own post: 204 with no body', async () => {
    const w = world(random())
    const api = appFor(w)
    const res = await api.delete(`/api/posts/${w.authorPost.id}`, bearer(w.author))
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
    const api = appFor(w)
    const res = await api.delete(`/api/posts/${w.otherPost.id}`, bearer(w.author))
    expect(res).toHaveStatus(403)
    expect(res).toHaveJsonBody(expect.objectContaining({ error: 'forbidden' }))
  })

  it('a refused DELETE (401 or 403) leaves the post in place', async () => {
    const w = world(random())
    const api = appFor(w)
    expect(await api.delete(`/api/posts/${w.otherPost.id}`)).toHaveStatus(401)
    expect(await api.delete(`/api/posts/${w.otherPost.id}`, bearer(w.author))).toHaveStatus(403)
    const list = await api.get('/api/posts')
    expect(list).toHaveJsonBody(w.posts)
  })

  it('a signed-in member deleting a missing post gets 404, not 403', async () => {
    const w = world(random())
    const api = appFor(w)
    const res = await api.delete(`/api/posts/${w.missingId}`, bearer(w.author))
    expect(res).toHaveStatus(404)
  })

  it('an admin deleting a missing post gets 404', async () => {
    const w = world(random())
    const api = appFor(w)
    const res = await api.delete(`/api/posts/${w.missingId}`, bearer(w.admin))
    expect(res).toHaveStatus(404)
  })

  it('deleting leaves the posts array passed to createApp unchanged', async () => {
    const w = world(random())
    const given = w.posts.map((p) => ({ ...p }))
    const api = client(createApp({ tokens: w.tokens, posts: given }))
    expect(await api.delete(`/api/posts/${w.authorPost.id}`, bearer(w.author))).toHaveStatus(204)
    expect(given).toEqual(w.posts)
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
