// Mutant: PUT to an id nobody holds answers 404 instead of creating the profile
import { Hono, type Context } from 'hono'
import { z } from 'zod'
import type { Profile, ProfilesOptions } from '../../../exercises/put-vs-patch/app.ts'

const Fields = z.strictObject({
  name: z.string(),
  email: z.string(),
  bio: z.string().optional(),
  tags: z.array(z.string()).optional(),
  address: z
    .strictObject({ city: z.string(), country: z.string(), street: z.string().optional() })
    .optional(),
  settings: z
    .strictObject({
      theme: z.enum(['light', 'dark']).optional(),
      notifications: z
        .strictObject({ email: z.boolean().optional(), sms: z.boolean().optional() })
        .optional(),
    })
    .optional(),
})

type Fields = z.infer<typeof Fields>

export function createApp(options: ProfilesOptions = {}) {
  const store = new Map<string, Fields>()
  for (const { id, ...fields } of options.profiles ?? []) store.set(id, structuredClone(fields))
  const app = new Hono()

  const show = (id: string, fields: Fields): Profile => ({ ...fields, id })
  const readJson = (c: Context): Promise<unknown> => c.req.json().catch(() => undefined)
  const notFound = (c: Context) => c.json({ error: 'not_found' }, 404)

  app.get('/api/profiles/:id', (c) => {
    const id = c.req.param('id')
    const fields = store.get(id)
    return fields ? c.json(show(id, fields)) : notFound(c)
  })

  app.put('/api/profiles/:id', async (c) => {
    const id = c.req.param('id')
    if (!store.has(id)) return notFound(c)
    const body = await readJson(c)
    if (body === undefined) return c.json({ error: 'invalid_json' }, 400)
    const parsed = Fields.safeParse(withoutId(body))
    if (!parsed.success) return c.json({ error: 'invalid_profile' }, 422)
    const created = !store.has(id)
    store.set(id, parsed.data)
    if (created) return c.json(show(id, parsed.data), 201, { Location: `/api/profiles/${id}` })
    return c.json(show(id, parsed.data), 200)
  })

  app.patch('/api/profiles/:id', async (c) => {
    const type = c.req.header('content-type')?.split(';')[0]?.trim().toLowerCase()
    if (type !== 'application/merge-patch+json') {
      const headers = { 'Accept-Patch': 'application/merge-patch+json' }
      return c.json({ error: 'unsupported_media_type' }, 415, headers)
    }
    const id = c.req.param('id')
    const current = store.get(id)
    if (!current) return notFound(c)
    const patch = await readJson(c)
    if (patch === undefined) return c.json({ error: 'invalid_json' }, 400)
    const parsed = Fields.safeParse(mergePatch(current, withoutId(patch)))
    if (!parsed.success) return c.json({ error: 'invalid_profile' }, 422)
    store.set(id, parsed.data)
    return c.json(show(id, parsed.data), 200)
  })

  app.notFound(notFound)

  return app
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

function mergePatch(target: unknown, patch: unknown): unknown {
  if (!isObject(patch)) return patch
  const result = new Map(Object.entries(isObject(target) ? target : {}))
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) result.delete(key)
    else result.set(key, mergePatch(result.get(key), value))
  }
  return Object.fromEntries(result)
}

function withoutId(body: unknown): unknown {
  if (!isObject(body)) return body
  const { id: _ignored, ...rest } = body
  return rest
}
