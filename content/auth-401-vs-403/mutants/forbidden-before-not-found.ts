// Mutant: checks ownership before existence, so a member deleting a missing post gets 403.
import { Hono } from 'hono'
import { createMiddleware } from 'hono/factory'
import type { AuthOptions, User } from '../../../exercises/auth-401-vs-403/app.ts'

type Env = { Variables: { user: User } }

export function createApp(options: AuthOptions) {
  const posts = [...options.posts]
  const app = new Hono<Env>()

  const authenticate = createMiddleware<Env>(async (c, next) => {
    const match = /^Bearer +(\S+)$/i.exec(c.req.header('Authorization') ?? '')
    const token = match?.[1]
    const known = token !== undefined && Object.hasOwn(options.tokens, token)
    const user = known ? options.tokens[token] : undefined
    if (!user) {
      c.header('WWW-Authenticate', 'Bearer')
      return c.json({ error: 'unauthorized' }, 401)
    }
    c.set('user', user)
    await next()
  })

  app.get('/api/posts', (c) => c.json(posts))

  app.get('/api/me', authenticate, (c) => {
    const { userId, role } = c.get('user')
    return c.json({ userId, role })
  })

  app.get('/api/admin/stats', authenticate, (c) => {
    if (c.get('user').role !== 'admin') return c.json({ error: 'forbidden' }, 403)
    return c.json({ posts: posts.length })
  })

  app.delete('/api/posts/:id', authenticate, (c) => {
    const user = c.get('user')
    const index = posts.findIndex((p) => p.id === c.req.param('id'))
    if (user.role !== 'admin' && posts[index]?.authorId !== user.userId) {
      return c.json({ error: 'forbidden' }, 403)
    }
    if (index === -1) return c.json({ error: 'not_found' }, 404)
    posts.splice(index, 1)
    return c.body(null, 204)
  })

  return app
}
