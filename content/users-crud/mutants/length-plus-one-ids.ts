// Mutant: numbers a new user `store.size + 1`, which collides with non-contiguous ids
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
  const store = new Map<number, User>()
  for (const user of options.users ?? []) store.set(user.id, { ...user })
  let lastId = Math.max(0, ...store.keys())
  const app = new Hono()

  const readBody = (c: Context) => c.req.json().catch(() => undefined)

  app.get('/api/users', (c) => c.json([...store.values()].sort((a, b) => a.id - b.id)))

  app.post('/api/users', async (c) => {
    const body = await readBody(c)
    if (!isValidUser(body)) return c.json({ error: 'invalid_user' }, 400)
    const user: User = { id: store.size + 1, name: body.name, email: body.email }
    store.set(user.id, user)
    return c.json(user, 201, { Location: `/api/users/${user.id}` })
  })

  app.get('/api/users/:id{[0-9]+}', (c) => {
    const user = store.get(Number(c.req.param('id')))
    if (!user) return c.json({ error: 'not_found' }, 404)
    return c.json(user)
  })

  app.put('/api/users/:id{[0-9]+}', async (c) => {
    const id = Number(c.req.param('id'))
    if (!store.has(id)) return c.json({ error: 'not_found' }, 404)
    const body = await readBody(c)
    if (!isValidUser(body)) return c.json({ error: 'invalid_user' }, 400)
    const user: User = { id, name: body.name, email: body.email }
    store.set(id, user)
    return c.json(user)
  })

  app.delete('/api/users/:id{[0-9]+}', (c) => {
    const id = Number(c.req.param('id'))
    if (!store.has(id)) return c.json({ error: 'not_found' }, 404)
    store.delete(id)
    return c.body(null, 204)
  })

  app.all('/api/users', (c) => c.json({ error: 'method_not_allowed' }, 405, { Allow: 'GET, POST' }))
  app.all('/api/users/:id{[0-9]+}', (c) =>
    c.json({ error: 'method_not_allowed' }, 405, { Allow: 'GET, PUT, DELETE' }),
  )

  app.notFound((c) => c.json({ error: 'not_found' }, 404))

  return app
}
