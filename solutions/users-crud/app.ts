import { Hono, type Context } from 'hono'

export interface User {
  id: number
  name: string
  email: string
}

export interface UsersOptions {
  /** The users the store starts with; the app keeps its own copy. */
  users?: User[]
}

// One check for both POST and PUT: a PUT replaces the whole representation, so it needs the
// same complete body a POST does. It returns a new object holding only `name` and `email`,
// which is how extra fields (and a client-sent `id`) are dropped instead of stored.
function parseUserInput(raw: unknown): { name: string; email: string } | undefined {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return undefined
  const { name, email } = raw as Record<string, unknown>
  if (typeof name !== 'string' || name.trim() === '') return undefined
  // Exactly one @ with at least one character on each side; anything stricter is a policy.
  if (typeof email !== 'string' || !/^[^@]+@[^@]+$/.test(email)) return undefined
  return { name, email }
}

// The id segment must be digits only: `/api/users/3x` is not user 3 (parseInt would say it is).
// A path that fails the pattern matches no route here and falls through to the JSON 404.
const COLLECTION = '/api/users'
const ITEM = '/api/users/:id{[0-9]+}'

export function createApp(options: UsersOptions = {}) {
  // A Map per app, filled with copies of the seed objects: a PUT or DELETE here must never
  // reach the caller's array (or a second app built from the same array).
  const store = new Map<number, User>()
  for (const user of options.users ?? []) store.set(user.id, { ...user })
  // Ids only grow. Deriving the next id from the current users (`size + 1`, `max + 1`) would
  // hand a deleted user's id to a newcomer, and old links to /api/users/<id> would silently
  // point at someone else.
  let lastId = Math.max(0, ...store.keys())

  const app = new Hono()

  // Malformed JSON is the client's mistake, so it is a 400 like any other bad body, not a 500.
  const readUser = async (c: Context) => {
    const raw: unknown = await c.req.json().catch(() => undefined)
    return parseUserInput(raw)
  }
  const invalid = (c: Context) => c.json({ error: 'invalid_user' }, 400)
  const notFound = (c: Context) => c.json({ error: 'not_found' }, 404)

  app.get(COLLECTION, (c) => c.json([...store.values()].sort((a, b) => a.id - b.id)))

  // POST to the collection: the server picks the id, so the client cannot know the new URL in
  // advance. 201 Created plus Location tells it where the new resource lives.
  app.post(COLLECTION, async (c) => {
    const input = await readUser(c)
    if (!input) return invalid(c)
    const user: User = { id: ++lastId, name: input.name, email: input.email }
    store.set(user.id, user)
    return c.json(user, 201, { Location: `${COLLECTION}/${user.id}` })
  })

  app.get(ITEM, (c) => {
    const user = store.get(Number(c.req.param('id')))
    return user ? c.json(user) : notFound(c)
  })

  // PUT targets a URL the client already knows and replaces what is there; sending it twice
  // leaves the same state (idempotent), unlike POST. This API lets only the server mint ids,
  // so PUT to an id nobody holds is a 404 rather than a create. The existence check comes
  // first: there is no point judging a body meant for a resource that is not there.
  app.put(ITEM, async (c) => {
    const id = Number(c.req.param('id'))
    if (!store.has(id)) return notFound(c)
    const input = await readUser(c)
    if (!input) return invalid(c)
    const user: User = { id, name: input.name, email: input.email }
    store.set(id, user)
    return c.json(user)
  })

  // 204 No Content: the deletion worked and there is nothing left to show. A second DELETE
  // finds nothing and says 404; the server state is the same either way, which is what
  // "DELETE is idempotent" means (the status code may differ).
  app.delete(ITEM, (c) => {
    if (!store.delete(Number(c.req.param('id')))) return notFound(c)
    return c.body(null, 204)
  })

  // Registered after the real handlers, so these only run when no method above matched.
  // 405 (not 404) says "this resource exists, but not for that method", and Allow lists what
  // would work. HEAD is answered by Hono from the GET handler, so it never reaches here.
  app.all(COLLECTION, methodNotAllowed('GET, POST'))
  app.all(ITEM, methodNotAllowed('GET, PUT, DELETE'))

  app.notFound(notFound)

  return app
}

function methodNotAllowed(allow: string) {
  return (c: Context) => c.json({ error: 'method_not_allowed' }, 405, { Allow: allow })
}
