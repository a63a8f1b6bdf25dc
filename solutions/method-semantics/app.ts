import { Hono, type Context } from 'hono'
import { z } from 'zod'

export interface Note {
  id: number
  title: string
  text: string
  tags: string[]
}

export interface NotesOptions {
  /** The notes the store starts with; the app keeps its own copy. */
  notes?: Note[]
}

// POST and PUT take the same body. The defaults are what makes PUT a *replacement*: a field the
// client leaves out is not "keep what was there" but "the note has no text / no tags now".
const NoteInput = z.object({
  title: z.string().refine((title) => title.trim() !== ''),
  text: z.string().default(''),
  tags: z.array(z.string()).default([]),
})

const COLLECTION = '/notes'
// Digits only: `/notes/abc` is not a note, it is an unknown path (404 whatever the method).
const ITEM = '/notes/:id{[0-9]+}'

// One list per route, used by both OPTIONS and 405, so the two can never disagree. HEAD and
// OPTIONS are listed because this app really answers them on these routes.
const COLLECTION_METHODS = ['GET', 'HEAD', 'POST', 'OPTIONS']
const ITEM_METHODS = ['GET', 'HEAD', 'PUT', 'DELETE', 'OPTIONS']

export function createApp(options: NotesOptions = {}) {
  // Copies (tags included): a PUT here must never reach the caller's objects.
  const store = new Map<number, Note>()
  for (const note of options.notes ?? []) store.set(note.id, { ...note, tags: [...note.tags] })
  let lastId = Math.max(0, ...store.keys())

  const app = new Hono()

  // Hono answers HEAD by running the GET handler and dropping the body, so status and headers
  // match for free - except Content-Length, which the Node server only adds while it writes a
  // body. Measuring the GET body here (the response still has it at this point) puts the same
  // Content-Length on the HEAD answer that GET would have sent.
  app.use(async (c, next) => {
    await next()
    if (c.req.method !== 'HEAD' || !c.res.body || c.res.headers.has('Content-Length')) return
    const size = (await c.res.clone().arrayBuffer()).byteLength
    c.res.headers.set('Content-Length', String(size))
  })

  const notFound = (c: Context) => c.json({ error: 'not_found' }, 404)
  const readNote = async (c: Context) => {
    const parsed = NoteInput.safeParse(await c.req.json().catch(() => undefined))
    return parsed.success ? parsed.data : undefined
  }
  const idOf = (c: Context) => Number(c.req.param('id'))

  // GET is *safe*: it reads and changes nothing. No view counter, no "last read" stamp: a
  // crawler, a prefetching browser or a retrying proxy may send it any number of times.
  app.get(COLLECTION, (c) => c.json([...store.values()].sort((a, b) => a.id - b.id)))

  // POST is neither safe nor idempotent: each one asks the collection for a *new* member, so
  // sending the same body twice rightly creates two notes with two ids.
  app.post(COLLECTION, async (c) => {
    const input = await readNote(c)
    if (!input) return c.json({ error: 'invalid_note' }, 400)
    const note: Note = { id: ++lastId, ...input }
    store.set(note.id, note)
    return c.json(note, 201, { Location: `${COLLECTION}/${note.id}` })
  })

  app.get(ITEM, (c) => {
    const note = store.get(idOf(c))
    return note ? c.json(note) : notFound(c)
  })

  // PUT is idempotent because it *sets* the note to the body, built fresh from the input:
  // nothing from the old note survives, so the second identical PUT finds nothing to change.
  // Merging (`{ ...old, ...input }`) or appending tags would make a retry pile up changes.
  app.put(ITEM, async (c) => {
    const id = idOf(c)
    if (!store.has(id)) return notFound(c)
    const input = await readNote(c)
    if (!input) return c.json({ error: 'invalid_note' }, 400)
    const note: Note = { id, ...input }
    store.set(id, note)
    return c.json(note)
  })

  // DELETE is idempotent too: after one or five of them the note is gone. The second one
  // answers 404 - the status may differ, the resulting state may not (and a 500 would tell
  // a retrying client that something broke, when nothing did).
  app.delete(ITEM, (c) => (store.delete(idOf(c)) ? c.body(null, 204) : notFound(c)))

  // Registered after the real handlers: OPTIONS first, then everything else is a 405.
  app.options(COLLECTION, allowOnly(COLLECTION_METHODS))
  app.options(ITEM, allowOnly(ITEM_METHODS))
  app.all(COLLECTION, methodNotAllowed(COLLECTION_METHODS))
  app.all(ITEM, methodNotAllowed(ITEM_METHODS))

  app.notFound(notFound)

  return app
}

/** OPTIONS: "here is what you can do at this URL", and nothing else. */
function allowOnly(methods: string[]) {
  return (c: Context) => c.body(null, 204, { Allow: methods.join(', ') })
}

/** 405, not 404: the URL exists, the method does not. Allow says what would work. */
function methodNotAllowed(methods: string[]) {
  return (c: Context) =>
    c.json({ error: 'method_not_allowed' }, 405, { Allow: methods.join(', ') })
}
