import { Hono, type Context } from 'hono'
import { z } from 'zod'

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

// z.object() drops members it does not name, so a client-sent `id` or `role` never reaches the
// store. The name is stored as sent; it only has to hold something other than spaces.
const ContactInput = z.object({
  name: z.string().refine((name) => name.trim() !== ''),
  email: z.string().regex(/^[^@\s]+@[^@\s]+$/),
})
type ContactInput = z.infer<typeof ContactInput>

// One verdict per item, computed before anything is written. Both modes share it: atomic mode
// only adds "and if any verdict is a failure, write nothing".
type Verdict = { ok: true; input: ContactInput } | { ok: false; errors: ItemError[] }

const DEFAULT_MAX_BATCH = 100

export function createApp(options: ContactsOptions = {}) {
  const maxBatchSize = options.maxBatchSize ?? DEFAULT_MAX_BATCH
  // Checked once, when the app is built: a bad limit is the operator's bug, not a client's.
  if (!Number.isInteger(maxBatchSize) || maxBatchSize < 1) {
    throw new RangeError(`maxBatchSize must be a whole number of at least 1, not ${maxBatchSize}`)
  }

  // Per app, filled with copies: a module-level Map would let one app's batch leak into another.
  const store = new Map<number, Contact>()
  for (const contact of options.contacts ?? []) store.set(contact.id, { ...contact })
  let lastId = Math.max(0, ...store.keys())

  const app = new Hono()

  app.get('/api/contacts', (c) => c.json([...store.values()].sort((a, b) => a.id - b.id)))

  app.post('/api/contacts/batch', async (c) => {
    // An unknown mode must not quietly fall back to partial: a client that sent `atomic=1`
    // believes nothing is written unless everything is.
    const mode = c.req.query('atomic')
    if (mode !== undefined && mode !== 'true' && mode !== 'false') {
      return c.json({ error: 'invalid_query' }, 400)
    }
    const atomic = mode === 'true'

    let body: unknown
    try {
      body = await c.req.json()
    } catch {
      return c.json({ error: 'malformed_json' }, 400)
    }
    if (!Array.isArray(body)) return c.json({ error: 'not_an_array' }, 400)
    if (body.length === 0) return c.json({ error: 'empty_batch' }, 400)
    // The limit is judged before any item is: the point is to refuse the work, not to do it and
    // then complain. 413 Content Too Large says "send less", and `max` says how much less.
    if (body.length > maxBatchSize) {
      return c.json({ error: 'batch_too_large', max: maxBatchSize }, 413)
    }

    const verdicts = judge(body, store)

    if (atomic && verdicts.some((v) => !v.ok)) {
      // Nothing was written yet, so there is nothing to roll back and no id was used up.
      const failures = verdicts.flatMap((v, index) => (v.ok ? [] : [{ index, errors: v.errors }]))
      return c.json({ error: 'batch_rejected', failures }, 422)
    }

    // Ids are handed out only now, to the items that are really created: a failed item (or a
    // rejected batch) leaves no gap, and `index` - not the id - ties a result to its input.
    const results: ItemResult[] = verdicts.map((v, index) => {
      if (!v.ok) return { index, status: 422, errors: v.errors }
      const item: Contact = { id: ++lastId, name: v.input.name, email: v.input.email }
      store.set(item.id, item)
      return { index, status: 201, item }
    })
    const created = results.filter((r) => r.status === 201).length
    const failed = results.length - created
    // The overall status sums up the batch: 201 when everything was created, 422 when nothing
    // was, and 207 Multi-Status when the client must read `results` to know which is which. A
    // 201 there would tell a client that only checks the status that every item was stored.
    const status = failed === 0 ? 201 : created === 0 ? 422 : 207
    return c.json({ results, created, failed }, status)
  })

  app.notFound((c: Context) => c.json({ error: 'not_found' }, 404))

  return app
}

/** Judges the items in order; the store and earlier passing items take emails. */
function judge(items: unknown[], store: Map<number, Contact>): Verdict[] {
  // Emails are compared case-insensitively: Ada@Example.test and ada@example.test reach the
  // same mailbox, so they are the same contact.
  const taken = new Set([...store.values()].map((contact) => contact.email.toLowerCase()))
  return items.map((item): Verdict => {
    const parsed = ContactInput.safeParse(item)
    const errors: ItemError[] = []
    if (!parsed.success) {
      for (const issue of parsed.error.issues) {
        const key = issue.path[0]
        const field = key === 'name' || key === 'email' ? key : null
        if (!errors.some((e) => e.field === field)) errors.push({ field, code: 'invalid' })
      }
    }
    // A well-formed email can still be a duplicate, even when the name is wrong: report both,
    // so the client fixes the item in one go.
    const email = emailOf(item)
    if (email !== undefined && taken.has(email.toLowerCase())) {
      errors.push({ field: 'email', code: 'duplicate' })
    }
    if (errors.length > 0 || !parsed.success) return { ok: false, errors }
    // Only an item that will be created claims its email: in a batch, the first valid one wins
    // and later ones with the same address fail as duplicates.
    taken.add(parsed.data.email.toLowerCase())
    return { ok: true, input: parsed.data }
  })
}

/** The item's email when it is well-formed, else undefined. */
function emailOf(item: unknown): string | undefined {
  const result = ContactInput.shape.email.safeParse((item as { email?: unknown } | null)?.email)
  return typeof item === 'object' && item !== null && !Array.isArray(item) && result.success
    ? result.data
    : undefined
}
