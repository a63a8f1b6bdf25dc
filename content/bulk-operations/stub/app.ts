import { Hono } from 'hono'

export interface Contact {
  id: number
  name: string
  email: string
}

export interface ContactsOptions {
  /** The contacts the store starts with (unique ids and emails). Copy them, never change them. */
  contacts?: Contact[]
  /** The most items one batch may hold; defaults to 100. */
  maxBatchSize?: number
}

/** What is wrong with one item: a field (`null` when the item is not an object) and why. */
export interface ItemError {
  field: 'name' | 'email' | null
  code: 'invalid' | 'duplicate'
}

/** The outcome of one input item, at the same position as the item in the request. */
export type ItemResult =
  | { index: number; status: 201; item: Contact }
  | { index: number; status: 422; errors: ItemError[] }

export function createApp(options: ContactsOptions = {}) {
  const maxBatchSize = options.maxBatchSize ?? 100

  // Each app keeps its own store, filled with copies of the contacts it was given.
  const store = new Map<number, Contact>()
  for (const contact of options.contacts ?? []) store.set(contact.id, { ...contact })
  let lastId = Math.max(0, ...store.keys())

  const app = new Hono()

  app.get('/api/contacts', (c) => c.json([...store.values()].sort((a, b) => a.id - b.id)))

  app.post('/api/contacts/batch', async (c) => {
    // TODO: read `?atomic=`: absent or `false` is partial mode, `true` is atomic mode, anything
    // else is 400 { "error": "invalid_query" }.

    // TODO: refuse the batch as a whole: malformed JSON (400 malformed_json), a body that is not
    // an array (400 not_an_array), an empty array (400 empty_batch), more than `maxBatchSize`
    // items (413 { "error": "batch_too_large", "max": maxBatchSize }).

    // TODO: judge every item, in input order, before creating anything: invalid fields and
    // emails already taken (by the store, or by an earlier item of this batch that passes).

    // TODO: partial mode creates the items that pass and answers one result per item, in input
    // order; atomic mode creates all of them or none. See the README for statuses and bodies.
    void maxBatchSize
    void lastId
    return c.json({ error: 'not_implemented' }, 501)
  })

  app.notFound((c) => c.json({ error: 'not_found' }, 404))

  return app
}
