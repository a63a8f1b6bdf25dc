import { Hono, type Context } from 'hono'
import type { ContentfulStatusCode } from 'hono/utils/http-status'

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

type NoteInput = Omit<Note, 'id'>

// POST and PUT take the same body. The defaults are what makes PUT a *replacement*: a field the
// client leaves out is not "keep what was there" but "the note has no text / no tags now".
function parseNoteInput(raw: unknown): NoteInput | undefined {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return undefined
  const { title, text = '', tags = [] } = raw as Record<string, unknown>
  if (typeof title !== 'string' || title.trim() === '' || typeof text !== 'string') return undefined
  if (!Array.isArray(tags) || !tags.every((tag) => typeof tag === 'string')) return undefined
  return { title, text, tags: [...tags] }
}

const COLLECTION = '/notes'
// Digits only: `/notes/abc` is not a note, it is an unknown path (404 whatever the method).
const ITEM = '/notes/:id{[0-9]+}'

// One list per route, used by both OPTIONS and 405, so the two can never disagree. HEAD and
// OPTIONS are listed because this app really answers them on these routes.
const COLLECTION_METHODS = ['GET', 'HEAD', 'POST', 'OPTIONS']
const ITEM_METHODS = ['GET', 'HEAD', 'PUT', 'DELETE', 'OPTIONS']

/**
 * A JSON response that states its own Content-Length. Hono answers HEAD by running the GET
 * handler and dropping the body, so status and headers match GET for free - except
 * Content-Length, which the Node server only adds while it writes a body. Setting it here, in
 * bytes (not string length: "é" is two bytes in UTF-8), keeps it on the HEAD answer too.
 */
function json(c: Context, value: unknown, status: ContentfulStatusCode = 200, headers = {}) {
  const text = JSON.stringify(value)
  const length = String(new TextEncoder().encode(text).byteLength)
  return c.body(text, status, {
    ...headers,
    'Content-Type': 'application/json',
    'Content-Length': length,
  })
}

export function createApp(options: NotesOptions = {}) {
  // Copies (tags included): a PUT here must never reach the caller's objects, and the caller's
  // later edits must never reach the store.
  const store = new Map<number, Note>()
  for (const note of options.notes ?? []) store.set(note.id, { ...note, tags: [...note.tags] })
  let lastId = Math.max(0, ...store.keys())

  const app = new Hono()

  const notFound = (c: Context) => json(c, { error: 'not_found' }, 404)
  const readNote = async (c: Context) => parseNoteInput(await c.req.json().catch(() => undefined))
  const idOf = (c: Context) => Number(c.req.param('id'))

  // GET is *safe*: it reads and changes nothing. No view counter, no "last read" stamp: a
  // crawler, a prefetching browser or a retrying proxy may send it any number of times.
  app.get(COLLECTION, (c) => json(c, [...store.values()].sort((a, b) => a.id - b.id)))

  // POST is neither safe nor idempotent: each one asks the collection for a *new* member, so
  // sending the same body twice rightly creates two notes with two ids.
  app.post(COLLECTION, async (c) => {
    const input = await readNote(c)
    if (!input) return json(c, { error: 'invalid_note' }, 400)
    const note: Note = { id: ++lastId, ...input }
    store.set(note.id, note)
    return json(c, note, 201, { Location: `${COLLECTION}/${note.id}` })
  })

  app.get(ITEM, (c) => {
    const note = store.get(idOf(c))
    return note ? json(c, note) : notFound(c)
  })

  // PUT is idempotent because it *sets* the note to the body, built fresh from the input:
  // nothing from the old note survives, so the second identical PUT finds nothing to change.
  // Merging (`{ ...old, ...input }`) or appending tags would make a retry pile up changes.
  app.put(ITEM, async (c) => {
    const id = idOf(c)
    if (!store.has(id)) return notFound(c)
    const input = await readNote(c)
    if (!input) return json(c, { error: 'invalid_note' }, 400)
    const note: Note = { id, ...input }
    store.set(id, note)
    return json(c, note)
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
  const allow = methods.join(', ')
  return (c: Context) => c.body(null, 204, { Allow: allow })
}

/** 405, not 404: the URL exists, the method does not. Allow says what would work. */
function methodNotAllowed(methods: string[]) {
  const allow = methods.join(', ')
  return (c: Context) => json(c, { error: 'method_not_allowed' }, 405, { Allow: allow })
}
