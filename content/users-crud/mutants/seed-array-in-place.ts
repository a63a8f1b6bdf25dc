// Mutant: keeps the caller's users array as its store and edits it in place
import { Hono, type Context } from 'hono'
import type { User, UsersOptions } from '../../../exercises/users-crud/app.ts'

function isValidUser(body: unknown): body is { name: string; email: string } {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return false
  const { name, email } = body as Record<string, unknown>
  return (
    typeof name === 'string' &&
    name.trim() !== '' &&
    typeof email === 'string' &&
    /^[^@]+@[^@]+$/.test(email)
  )
}

export function createApp(options: UsersOptions = {}) {
  const users: User[] = options.users ?? []
  let lastId = Math.max(0, ...users.map((u) => u.id))
  const app = new Hono()

  const readBody = (c: Context) => c.req.json().catch(() => undefined)
  const find = (c: Context) => users.find((u) => u.id === Number(c.req.param('id')))

  app.get('/api/users', (c) => c.json([...users].sort((a, b) => a.id - b.id)))

  app.post('/api/users', async (c) => {
    const body = await readBody(c)
    if (!isValidUser(body)) return c.json({ error: 'invalid_user' }, 400)
    const user: User = { id: ++lastId, name: body.name, email: body.email }
    users.push(user)
    return c.json(user, 201, { Location: `/api/users/${user.id}` })
  })

  app.get('/api/users/:id{[0-9]+}', (c) => {
    const user = find(c)
    if (!user) return c.json({ error: 'not_found' }, 404)
    return c.json(user)
  })

  app.put('/api/users/:id{[0-9]+}', async (c) => {
    const user = find(c)
    if (!user) return c.json({ error: 'not_found' }, 404)
    const body = await readBody(c)
    if (!isValidUser(body)) return c.json({ error: 'invalid_user' }, 400)
    user.name = body.name
    user.email = body.email
    return c.json(user)
  })

  app.delete('/api/users/:id{[0-9]+}', (c) => {
    const user = find(c)
    if (!user) return c.json({ error: 'not_found' }, 404)
    users.splice(users.indexOf(user), 1)
    return c.body(null, 204)
  })

  app.all('/api/users', (c) => c.json({ error: 'method_not_allowed' }, 405, { Allow: 'GET, POST' }))
  app.all('/api/users/:id{[0-9]+}', (c) =>
    c.json({ error: 'method_not_allowed' }, 405, { Allow: 'GET, PUT, DELETE' }),
  )

  app.notFound((c) => c.json({ error: 'not_found' }, 404))

  return app
}
