// users-crud - the hidden spec.
//
// Wrong implementations this spec is built to catch:
// - answers 200 (not 201) to a POST that creates, or leaves out Location, or points Location
//   at another id
// - numbers new users `size + 1` (collides with non-contiguous seed ids), `last + 1` or
//   `first + 1` (the seed comes shuffled, its highest id never first or last), array position,
//   reuses the id of a deleted user (`max(current) + 1`), or never increments
// - hard-codes the user list, returns it in seed order instead of ascending id order, or looks
//   users up by array position (`users[id - 1]`)
// - reads ids with parseInt, or with Number() plus an integer check, so `/api/users/3x`,
//   `/api/users/3.0` or `/api/users/0x3` finds user 3 (on GET, PUT or DELETE)
// - spreads the request body into the stored user: echoes extra fields, lets a client pick or
//   overwrite an id; or keeps a client-sent id when it is free
// - weak validation: blank names, emails without or with two `@`, non-object bodies, a body
//   whose fields sit only under a `__proto__` key (merged with Object.assign); malformed JSON
//   crashing to 500; validating on POST only
// - validation stricter than the README: a one-letter name or `x@y` refused
// - validates the PUT body before checking that the user exists (400 where 404 is due), or lets
//   PUT create a missing user
// - DELETE answering 200 with a body, or 204 for a user that is already gone
// - no 405 (unsupported methods fall through to 404), a 405 without Allow, or one Allow shared
//   by both routes (DELETE listed on the collection, POST on the item)
// - a catch-all under /api/users that turns unknown sub-paths into 405, or Hono's text 404
// - a module-level store or id counter, the caller's array used in place (or its objects edited
//   in place), or copied only on the first request, so one app's changes leak into another app
//   or into the seed, and the caller's later edits leak into the app
import { describe, expect, it } from 'vitest'
import {
  build,
  client,
  focusOn,
  parseTokenList,
  random,
  task,
  type Client,
  type Reply,
  type Rng,
} from '../../harness/spec-kit/index.ts'
import { createApp, type User } from '../../exercises/users-crud/app.ts'

/**
 * 3 to 6 users with increasing, non-contiguous ids, handed over shuffled so that the highest id
 * is neither first nor last (so the seed is never in ascending order either).
 */
function seedUsers(rng: Rng): User[] {
  const users: User[] = []
  let id = rng.int(1, 4)
  for (let n = rng.int(3, 6); n > 0; n--) {
    users.push(person(rng, id))
    id += rng.int(2, 9)
  }
  const shuffled = rng.shuffle(users)
  const top = shuffled.indexOf(users[users.length - 1]!)
  if (top === 0 || top === shuffled.length - 1) {
    const middle = rng.int(1, shuffled.length - 2)
    ;[shuffled[top], shuffled[middle]] = [shuffled[middle]!, shuffled[top]!]
  }
  return shuffled
}

function person(rng: Rng, id: number): User {
  const name = rng.word(3, 8)
  const email = `${name}@${rng.word(4, 7)}.test`
  return { id, name: name[0]!.toUpperCase() + name.slice(1), email }
}

function newUser(rng: Rng): { name: string; email: string } {
  const { name, email } = person(rng, 0)
  return { name, email }
}

// Every app gets its own copy of the seed, so the expectations a test computes from `users`
// stay right even when the app (wrongly) edits what it was given. The checks on the caller's
// array hand the array itself over on purpose: that is where sharing or editing it fails.
const appFor = (users: User[]) => build(createApp, { users: structuredClone(users) })

const byId = (users: User[]) => [...users].sort((a, b) => a.id - b.id)
const maxId = (users: User[]) => Math.max(...users.map((u) => u.id))

/** Spellings of `id` that are not a whole number in digits, yet Number() or parseInt read as it. */
const notDigits = (id: number) => [`${id}x`, `${id}.0`, `0x${id.toString(16)}`]

/** Sends `text` as a JSON body, as is (so a `__proto__` key survives the trip). */
function sendJson(api: Client, method: string, path: string, text: string): Promise<Reply> {
  return api.send(method, path, { headers: { 'Content-Type': 'application/json' }, body: text })
}

/** A 405 with the JSON error and an Allow of every `required` method, plus at most HEAD/OPTIONS. */
function expectMethodNotAllowed(reply: Reply, required: string[]): void {
  expect(reply).toHaveStatus(405)
  expect(reply).toHaveJsonBody(expect.objectContaining({ error: 'method_not_allowed' }))
  expect(reply).toHaveHeader('allow')
  focusOn(reply)
  const methods = parseTokenList(reply.headers['allow'])
  for (const m of required) {
    expect(methods, `Allow must list ${m}`).toContain(m)
  }
  const extra = methods.filter((m) => !required.includes(m) && m !== 'HEAD' && m !== 'OPTIONS')
  expect(extra, 'Allow must not list methods this route does not support').toEqual([])
}

const NOT_FOUND = expect.objectContaining({ error: 'not_found' })
const INVALID = expect.objectContaining({ error: 'invalid_user' })

// Bodies that must be refused with 400 on both POST and PUT, as the JSON text sent.
const invalidBodies: [string, string][] = [
  ['name is missing', { email: 'ada@example.test' }],
  ['name is empty', { name: '', email: 'ada@example.test' }],
  ['name is only spaces', { name: '   ', email: 'ada@example.test' }],
  ['name is not a string', { name: 42, email: 'ada@example.test' }],
  ['email is missing', { name: 'Ada' }],
  ['email has no @', { name: 'Ada', email: 'ada.example.test' }],
  ['email has two @', { name: 'Ada', email: 'ada@home@example.test' }],
  ['email has nothing before the @', { name: 'Ada', email: '@example.test' }],
  ['email has nothing after the @', { name: 'Ada', email: 'ada@' }],
  ['email is not a string', { name: 'Ada', email: ['ada@example.test'] }],
  ['the body is an array', [{ name: 'Ada', email: 'ada@example.test' }]],
  ['the body is null', null],
].map(([label, value]) => [label as string, JSON.stringify(value)] as [string, string])
// JSON.parse makes "__proto__" an ordinary key: the body has no name or email of its own.
invalidBodies.push([
  'name and email sit only under a "__proto__" key',
  '{"__proto__":{"name":"Ada","email":"ada@example.test"}}',
])

describe('users-crud', () => {
  task(1, 'List users', () => {
    it('GET /api/users lists the seeded users in ascending id order', async () => {
      const users = seedUsers(random())
      const res = await client(appFor(users)).get('/api/users')
      expect(res).toHaveStatus(200)
      expect(res).toHaveJsonBody(byId(users))
    })

    it('GET /api/users answers an empty array when created without users', async () => {
      const res = await client(createApp()).get('/api/users')
      expect(res).toHaveStatus(200)
      expect(res).toHaveJsonBody([])
    })

    it("GET /api/users is not changed by the caller's edits after createApp", async () => {
      const rng = random()
      const users = seedUsers(rng)
      const before = structuredClone(users)
      const api = client(build(createApp, { users }))
      // The caller goes on using its array before the app answers anything.
      users[0]!.name = rng.word()
      users.splice(1, 1)
      users.push(person(rng, maxId(before) + 1))
      const res = await api.get('/api/users')
      expect(res).toHaveStatus(200)
      expect(res).toHaveJsonBody(byId(before))
    })
  })

  task(2, 'Read one user', () => {
    it('GET /api/users/:id answers 200 with that user', async () => {
      const rng = random()
      const users = seedUsers(rng)
      const user = rng.pick(users)
      const res = await client(appFor(users)).get(`/api/users/${user.id}`)
      expect(res).toHaveStatus(200)
      expect(res).toHaveJsonBody(user)
    })

    it('GET /api/users/:id answers 404 not_found for an id nobody holds', async () => {
      const rng = random()
      const users = seedUsers(rng)
      const api = client(appFor(users))
      const gap = users[0]!.id + 1 // ids are at least 2 apart, so this one is free
      for (const id of [gap, maxId(users) + rng.int(1, 50)]) {
        const res = await api.get(`/api/users/${id}`)
        expect(res).toHaveStatus(404)
        expect(res).toHaveJsonBody(NOT_FOUND)
      }
    })

    it('GET /api/users/:id answers 404 when the id is not a whole number in digits', async () => {
      const rng = random()
      const users = seedUsers(rng)
      const api = client(appFor(users))
      for (const id of [rng.word(3, 6), ...notDigits(rng.pick(users).id)]) {
        const res = await api.get(`/api/users/${id}`)
        expect(res).toHaveStatus(404)
        expect(res).toHaveJsonBody(NOT_FOUND)
      }
    })

    it('answers 404 not_found for paths outside the API', async () => {
      const rng = random()
      const users = seedUsers(rng)
      const api = client(appFor(users))
      const word = rng.word()
      for (const path of ['/', `/api/${word}`, `/api/users/${rng.pick(users).id}/${word}`]) {
        const res = await api.get(path)
        expect(res).toHaveStatus(404)
        expect(res).toHaveJsonBody(NOT_FOUND)
      }
    })
  })

  task(3, 'Create a user', () => {
    it('POST /api/users answers 201 with the created user', async () => {
      const rng = random()
      const users = seedUsers(rng)
      const input = newUser(rng)
      const res = await client(appFor(users)).post('/api/users', { json: input })
      expect(res).toHaveStatus(201)
      expect(res).toHaveJsonBody({ id: maxId(users) + 1, ...input })
    })

    it('POST /api/users sets Location to the URL of the new user', async () => {
      const rng = random()
      const users = seedUsers(rng)
      const input = newUser(rng)
      const api = client(appFor(users))
      const res = await api.post('/api/users', { json: input })
      expect(res).toHaveStatus(201)
      expect(res).toHaveHeader('location')
      const id = maxId(users) + 1
      // A relative reference or an absolute URL: only the path is the contract.
      const path = new URL(res.headers['location']!, 'http://api.test').pathname
      focusOn(res)
      expect(path, 'the path of Location').toBe(`/api/users/${id}`)
      const fetched = await api.get(path)
      expect(fetched).toHaveStatus(200)
      expect(fetched).toHaveJsonBody({ id, ...input })
    })

    it('POST /api/users gives the first user of an empty store id 1', async () => {
      const input = newUser(random())
      const res = await client(createApp()).post('/api/users', { json: input })
      expect(res).toHaveStatus(201)
      expect(res).toHaveJsonBody({ id: 1, ...input })
    })

    it('POST /api/users numbers new users on from the highest id, one apart', async () => {
      const rng = random()
      const users = seedUsers(rng)
      const api = client(appFor(users))
      const first = newUser(rng)
      const second = newUser(rng)
      const a = await api.post('/api/users', { json: first })
      expect(a).toHaveJsonBody({ id: maxId(users) + 1, ...first })
      const b = await api.post('/api/users', { json: second })
      expect(b).toHaveJsonBody({ id: maxId(users) + 2, ...second })
      const list = await api.get('/api/users')
      expect(list).toHaveJsonBody([
        ...byId(users),
        { id: maxId(users) + 1, ...first },
        { id: maxId(users) + 2, ...second },
      ])
    })

    it('POST /api/users ignores fields other than name and email', async () => {
      const rng = random()
      const users = seedUsers(rng)
      const input = newUser(rng)
      const api = client(appFor(users))
      const res = await api.post('/api/users', {
        json: { ...input, role: 'admin', [`x${rng.word()}`]: rng.word() },
      })
      const created = { id: maxId(users) + 1, ...input }
      expect(res).toHaveStatus(201)
      expect(res).toHaveJsonBody(created)
      expect(await api.get(`/api/users/${created.id}`)).toHaveJsonBody(created)
    })

    it('POST /api/users ignores an id sent by the client', async () => {
      const rng = random()
      const users = seedUsers(rng)
      const taken = rng.pick(users)
      const input = newUser(rng)
      const api = client(appFor(users))
      const res = await api.post('/api/users', { json: { id: taken.id, ...input } })
      expect(res).toHaveStatus(201)
      expect(res).toHaveJsonBody({ id: maxId(users) + 1, ...input })
      expect(await api.get(`/api/users/${taken.id}`)).toHaveJsonBody(taken)
    })

    it('POST /api/users ignores a free id sent by the client too', async () => {
      const rng = random()
      const users = seedUsers(rng)
      const free = maxId(users) + rng.int(2, 40)
      const input = newUser(rng)
      const api = client(appFor(users))
      const res = await api.post('/api/users', { json: { ...input, id: free } })
      expect(res).toHaveStatus(201)
      expect(res).toHaveJsonBody({ id: maxId(users) + 1, ...input })
      expect(await api.get(`/api/users/${free}`)).toHaveStatus(404)
    })

    it("POST /api/users leaves the caller's array as it was", async () => {
      const rng = random()
      const users = seedUsers(rng)
      const before = structuredClone(users)
      const api = client(build(createApp, { users }))
      expect(await api.post('/api/users', { json: newUser(rng) })).toHaveStatus(201)
      expect(users, 'the users array passed to createApp was changed').toEqual(before)
    })
  })

  task(4, 'Refuse an invalid user', () => {
    it.each(invalidBodies)('POST /api/users answers 400 invalid_user when %s', async (_, text) => {
      const res = await sendJson(client(createApp()), 'POST', '/api/users', text)
      expect(res).toHaveStatus(400)
      expect(res).toHaveJsonBody(INVALID)
    })

    it('POST /api/users answers 400 invalid_user for malformed JSON', async () => {
      const text = '{"name": "Ada", "email": '
      const res = await sendJson(client(createApp()), 'POST', '/api/users', text)
      expect(res).toHaveStatus(400)
      expect(res).toHaveJsonBody(INVALID)
    })

    it('POST /api/users with an invalid body creates nothing', async () => {
      const rng = random()
      const users = seedUsers(rng)
      const api = client(appFor(users))
      const res = await api.post('/api/users', { json: { name: '', email: 'nobody@example.test' } })
      expect(res).toHaveStatus(400)
      expect(await api.get('/api/users')).toHaveJsonBody(byId(users))
      // ...and did not use up an id either.
      const next = newUser(rng)
      expect(await api.post('/api/users', { json: next })).toHaveJsonBody({
        id: maxId(users) + 1,
        ...next,
      })
    })

    it('POST /api/users accepts a one-letter name and one character on each side of the @', async () => {
      const rng = random()
      const letters = 'abcdefghijklmnopqrstuvwxyz'
      const pick = () => letters[rng.int(0, 25)]!
      const input = { name: pick().toUpperCase(), email: `${pick()}@${pick()}` }
      const res = await client(createApp()).post('/api/users', { json: input })
      expect(res).toHaveStatus(201)
      expect(res).toHaveJsonBody({ id: 1, ...input })
    })
  })

  task(5, 'Replace a user', () => {
    it('PUT /api/users/:id replaces name and email and answers 200 with the user', async () => {
      const rng = random()
      const users = seedUsers(rng)
      const { id } = rng.pick(users)
      const input = newUser(rng)
      const api = client(appFor(users))
      const res = await api.put(`/api/users/${id}`, { json: input })
      expect(res).toHaveStatus(200)
      expect(res).toHaveJsonBody({ id, ...input })
      expect(await api.get(`/api/users/${id}`)).toHaveJsonBody({ id, ...input })
    })

    it('PUT /api/users/:id keeps the id when the body sends another one', async () => {
      const rng = random()
      const users = seedUsers(rng)
      const [target, other] = rng.shuffle(users)
      const input = newUser(rng)
      const api = client(appFor(users))
      const res = await api.put(`/api/users/${target!.id}`, { json: { ...input, id: other!.id } })
      expect(res).toHaveStatus(200)
      expect(res).toHaveJsonBody({ id: target!.id, ...input })
      expect(await api.get(`/api/users/${other!.id}`)).toHaveJsonBody(other)
      expect(await api.get('/api/users')).toHaveJsonBody(
        byId(users).map((u) => (u.id === target!.id ? { id: u.id, ...input } : u)),
      )
    })

    it('PUT /api/users/:id ignores fields other than name and email', async () => {
      const rng = random()
      const users = seedUsers(rng)
      const { id } = rng.pick(users)
      const input = newUser(rng)
      const api = client(appFor(users))
      const res = await api.put(`/api/users/${id}`, { json: { ...input, role: 'admin' } })
      expect(res).toHaveStatus(200)
      expect(res).toHaveJsonBody({ id, ...input })
      expect(await api.get(`/api/users/${id}`)).toHaveJsonBody({ id, ...input })
    })

    it('PUT /api/users/:id answers 404 for a missing user and creates nothing', async () => {
      const rng = random()
      const users = seedUsers(rng)
      const id = maxId(users) + rng.int(1, 20)
      const api = client(appFor(users))
      const res = await api.put(`/api/users/${id}`, { json: newUser(rng) })
      expect(res).toHaveStatus(404)
      expect(res).toHaveJsonBody(NOT_FOUND)
      expect(await api.get(`/api/users/${id}`)).toHaveStatus(404)
      // An id that is not written in digits names nobody, even when it reads as a user's id.
      const user = rng.pick(users)
      for (const spelled of notDigits(user.id)) {
        const odd = await api.put(`/api/users/${spelled}`, { json: newUser(rng) })
        expect(odd).toHaveStatus(404)
        expect(odd).toHaveJsonBody(NOT_FOUND)
      }
      expect(await api.get('/api/users')).toHaveJsonBody(byId(users))
    })

    it('PUT /api/users/:id answers 404 for a missing user even if the body is invalid', async () => {
      const rng = random()
      const users = seedUsers(rng)
      const res = await client(appFor(users)).put(`/api/users/${maxId(users) + 1}`, {
        json: { name: '' },
      })
      expect(res).toHaveStatus(404)
      expect(res).toHaveJsonBody(NOT_FOUND)
    })

    it.each(invalidBodies)(
      'PUT /api/users/:id answers 400 invalid_user and changes nothing when %s',
      async (_, text) => {
        const rng = random()
        const users = seedUsers(rng)
        const user = rng.pick(users)
        const api = client(appFor(users))
        const res = await sendJson(api, 'PUT', `/api/users/${user.id}`, text)
        expect(res).toHaveStatus(400)
        expect(res).toHaveJsonBody(INVALID)
        expect(await api.get(`/api/users/${user.id}`)).toHaveJsonBody(user)
      },
    )

    it('PUT /api/users/:id answers 400 invalid_user for malformed JSON', async () => {
      const rng = random()
      const users = seedUsers(rng)
      const api = client(appFor(users))
      const res = await sendJson(api, 'PUT', `/api/users/${rng.pick(users).id}`, '{"name": "Ada",')
      expect(res).toHaveStatus(400)
      expect(res).toHaveJsonBody(INVALID)
    })

    it("PUT /api/users/:id leaves the caller's user objects as they were", async () => {
      const rng = random()
      const users = seedUsers(rng)
      const before = structuredClone(users)
      const edited = rng.pick(users)
      const api = client(build(createApp, { users }))
      expect(await api.put(`/api/users/${edited.id}`, { json: newUser(rng) })).toHaveStatus(200)
      expect(users, 'the users passed to createApp were changed').toEqual(before)
    })
  })

  task(6, 'Delete a user and answer 405 for other methods', () => {
    it('DELETE /api/users/:id answers 204 with an empty body', async () => {
      const rng = random()
      const users = seedUsers(rng)
      const res = await client(appFor(users)).delete(`/api/users/${rng.pick(users).id}`)
      expect(res).toHaveStatus(204)
      expect(res).toHaveEmptyBody()
    })

    it('DELETE /api/users/:id removes the user from the item URL and from the list', async () => {
      const rng = random()
      const users = seedUsers(rng)
      const gone = rng.pick(users)
      const api = client(appFor(users))
      expect(await api.delete(`/api/users/${gone.id}`)).toHaveStatus(204)
      const res = await api.get(`/api/users/${gone.id}`)
      expect(res).toHaveStatus(404)
      expect(res).toHaveJsonBody(NOT_FOUND)
      expect(await api.get('/api/users')).toHaveJsonBody(byId(users).filter((u) => u !== gone))
    })

    it('DELETE /api/users/:id answers 404 the second time', async () => {
      const rng = random()
      const users = seedUsers(rng)
      const { id } = rng.pick(users)
      const api = client(appFor(users))
      expect(await api.delete(`/api/users/${id}`)).toHaveStatus(204)
      const again = await api.delete(`/api/users/${id}`)
      expect(again).toHaveStatus(404)
      expect(again).toHaveJsonBody(NOT_FOUND)
    })

    it('DELETE /api/users/:id answers 404 for a user that never existed', async () => {
      const rng = random()
      const users = seedUsers(rng)
      const api = client(appFor(users))
      const res = await api.delete(`/api/users/${maxId(users) + rng.int(1, 20)}`)
      expect(res).toHaveStatus(404)
      expect(res).toHaveJsonBody(NOT_FOUND)
      // An id that is not written in digits names nobody, even when it reads as a user's id.
      for (const spelled of notDigits(rng.pick(users).id)) {
        const odd = await api.delete(`/api/users/${spelled}`)
        expect(odd).toHaveStatus(404)
        expect(odd).toHaveJsonBody(NOT_FOUND)
      }
      expect(await api.get('/api/users')).toHaveJsonBody(byId(users))
    })

    it('POST /api/users never reuses the id of a deleted user', async () => {
      const rng = random()
      const users = seedUsers(rng)
      const top = maxId(users)
      const api = client(appFor(users))
      expect(await api.delete(`/api/users/${top}`)).toHaveStatus(204)
      const input = newUser(rng)
      const res = await api.post('/api/users', { json: input })
      expect(res).toHaveStatus(201)
      expect(res).toHaveJsonBody({ id: top + 1, ...input })
    })

    it('keeps each app its own store, even when both start from the same array', async () => {
      const rng = random()
      const users = seedUsers(rng)
      const gone = rng.pick(users)
      const first = client(build(createApp, { users }))
      const second = client(build(createApp, { users }))
      expect(await first.delete(`/api/users/${gone.id}`)).toHaveStatus(204)
      expect(await first.post('/api/users', { json: newUser(rng) })).toHaveStatus(201)
      expect(await second.get('/api/users')).toHaveJsonBody(byId(users))
      const input = newUser(rng)
      expect(await second.post('/api/users', { json: input })).toHaveJsonBody({
        id: maxId(users) + 1,
        ...input,
      })
    })

    it("DELETE /api/users/:id leaves the caller's array as it was", async () => {
      const rng = random()
      const users = seedUsers(rng)
      const before = structuredClone(users)
      const deleted = rng.pick(users)
      const api = client(build(createApp, { users }))
      expect(await api.delete(`/api/users/${deleted.id}`)).toHaveStatus(204)
      expect(users, 'the users array passed to createApp was changed').toEqual(before)
    })

    it('answers 405 with Allow: GET, POST for other methods on /api/users', async () => {
      const users = seedUsers(random())
      const api = client(appFor(users))
      for (const method of ['PUT', 'PATCH', 'DELETE']) {
        expectMethodNotAllowed(await api.send(method, '/api/users', { json: {} }), ['GET', 'POST'])
      }
      // A 405 changes nothing.
      expect(await api.get('/api/users')).toHaveJsonBody(byId(users))
    })

    it('answers 405 with Allow: GET, PUT, DELETE for other methods on /api/users/:id', async () => {
      const rng = random()
      const users = seedUsers(rng)
      const user = rng.pick(users)
      const api = client(appFor(users))
      for (const method of ['POST', 'PATCH']) {
        const res = await api.send(method, `/api/users/${user.id}`, { json: newUser(rng) })
        expectMethodNotAllowed(res, ['GET', 'PUT', 'DELETE'])
      }
      expect(await api.get(`/api/users/${user.id}`)).toHaveJsonBody(user)
    })
  })
})
