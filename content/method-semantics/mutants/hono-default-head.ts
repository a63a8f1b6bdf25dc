// Mutant: leaves HEAD to Hono, whose HEAD answer loses the Content-Length GET sends
import { Hono, type Context } from 'hono'
import type { Note, NotesOptions } from '../../../exercises/method-semantics/app.ts'

interface Input {
  title: string
  text: string
  tags: string[]
}

function parseInput(body: unknown): Input | undefined {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return undefined
  const { title, text = '', tags = [] } = body as Record<string, unknown>
  if (typeof title !== 'string' || title.trim() === '' || typeof text !== 'string') return undefined
  if (!Array.isArray(tags) || !tags.every((t) => typeof t === 'string')) return undefined
  return { title, text, tags }
}

export function createApp(options: NotesOptions = {}) {
  const store = new Map<number, Note>()
  for (const note of options.notes ?? []) store.set(note.id, { ...note, tags: [...note.tags] })
  let lastId = Math.max(0, ...store.keys())
  const app = new Hono()

  const notFound = (c: Context) => c.json({ error: 'not_found' }, 404)
  const readInput = async (c: Context) => parseInput(await c.req.json().catch(() => undefined))
  const idOf = (c: Context) => Number(c.req.param('id'))

  app.get('/notes', (c) => c.json([...store.values()].sort((a, b) => a.id - b.id)))

  app.post('/notes', async (c) => {
    const input = await readInput(c)
    if (!input) return c.json({ error: 'invalid_note' }, 400)
    const note: Note = { id: ++lastId, ...input }
    store.set(note.id, note)
    return c.json(note, 201, { Location: `/notes/${note.id}` })
  })

  app.get('/notes/:id{[0-9]+}', (c) => {
    const note = store.get(idOf(c))
    return note ? c.json(note) : notFound(c)
  })

  app.put('/notes/:id{[0-9]+}', async (c) => {
    const id = idOf(c)
    if (!store.has(id)) return notFound(c)
    const input = await readInput(c)
    if (!input) return c.json({ error: 'invalid_note' }, 400)
    const note: Note = { id, ...input }
    store.set(id, note)
    return c.json(note)
  })

  app.delete('/notes/:id{[0-9]+}', (c) => (store.delete(idOf(c)) ? c.body(null, 204) : notFound(c)))

  app.options('/notes', (c) => c.body(null, 204, { Allow: 'GET, HEAD, POST, OPTIONS' }))
  app.options('/notes/:id{[0-9]+}', (c) =>
    c.body(null, 204, { Allow: 'GET, HEAD, PUT, DELETE, OPTIONS' }),
  )
  app.all('/notes', (c) =>
    c.json({ error: 'method_not_allowed' }, 405, { Allow: 'GET, HEAD, POST, OPTIONS' }),
  )
  app.all('/notes/:id{[0-9]+}', (c) =>
    c.json({ error: 'method_not_allowed' }, 405, { Allow: 'GET, HEAD, PUT, DELETE, OPTIONS' }),
  )

  app.notFound(notFound)

  return app
}
