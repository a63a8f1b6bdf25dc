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
    // TODO (task 1): read the JSON array and create its items: ids go on from `lastId`, and the
    // answer is 201 { results: [{ index, status: 201, item }], created, failed }.

    // TODO (task 2): judge every item, in input order, before creating anything; create the
    // valid ones, report the others as { index, status: 422, errors } and sum the batch up with
    // 201, 207 or 422.

    // TODO (task 3): an email already in the store, or taken by an earlier item of this batch
    // that passes, is a duplicate (ignoring case).

    // TODO (task 4): `?atomic=true` creates every item or none (422 batch_rejected with every
    // failure); `false` or no `atomic` is partial mode; anything else is 400 invalid_query.

    // TODO (task 5): refuse the batch as a whole: malformed JSON (400 malformed_json), a body
    // that is not an array (400 not_an_array), an empty array (400 empty_batch), more than
    // `maxBatchSize` items (413 { "error": "batch_too_large", "max": maxBatchSize }).
    void maxBatchSize
    void lastId
    return c.json({ error: 'not_implemented' }, 501)
  })

  app.notFound((c) => c.json({ error: 'not_found' }, 404))

  return app
}
