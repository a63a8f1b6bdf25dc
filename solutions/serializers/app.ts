import { randomBytes, scryptSync } from 'node:crypto'
import { Hono, type Context } from 'hono'
import { z } from 'zod'

/** An organisation as the store keeps it. `billing_secret` must never reach a client. */
export interface OrgRow {
  id: number
  name: string
  billing_secret: string
}

/**
 * A user as the store keeps it: snake_case columns, secrets included. This is the storage
 * shape, not the API's: `password_hash`, `api_key` and `org.billing_secret` never leave.
 */
export interface UserRow {
  id: number
  first_name: string
  last_name: string
  email: string
  password_hash: string
  api_key: string
  /** An ISO 8601 timestamp, possibly with an offset (`2031-02-03T04:05:06.000+05:30`). */
  created_at: string
  org: OrgRow
  is_admin: boolean
}

export interface SerializersOptions {
  /** The rows the store starts with. Copy them: never change the caller's objects. */
  users?: UserRow[]
  /** The clock, in milliseconds since the epoch; defaults to Date.now. */
  now?: () => number
}

const DAY_MS = 24 * 60 * 60 * 1000

// ---------------------------------------------------------------------------------------------
// Output: the hand-written serializer.

/**
 * What a client sees of a user. Written out field by field on purpose: this is an allowlist.
 * A column added to UserRow tomorrow (a `reset_token`, say) stays private until someone decides
 * to add it here. `{ ...row }` with a few deletions is a denylist, and a denylist leaks every
 * secret nobody remembered to delete.
 */
interface UserOut {
  id: number
  firstName: string
  lastName: string
  fullName: string
  email: string
  isAdmin: boolean
  createdAt: string
  memberForDays: number
  org: { id: number; name: string }
}

/** Row -> representation. The single place where storage names become API names. */
function serializeUser(row: UserRow, now: number): UserOut {
  const created = Date.parse(row.created_at)
  return {
    id: row.id,
    firstName: row.first_name,
    lastName: row.last_name,
    // Computed fields exist only in the representation: nothing stores them, so nothing can
    // let them drift out of date (and nothing lets a client write them).
    fullName: `${row.first_name} ${row.last_name}`,
    email: row.email,
    isAdmin: row.is_admin,
    // One format out, whatever came in: an instant in UTC, `toISOString()` form. Clients then
    // compare and parse dates without caring which offset the row happened to be stored with.
    createdAt: new Date(created).toISOString(),
    // Whole 24-hour periods elapsed, rounded down: a user created 23 hours ago has been a
    // member for 0 days, not 1. Dividing instants (not comparing calendar dates) keeps the
    // answer the same in every time zone. The time comes from the injected clock, read on
    // every request, so it advances with the clock and not with the machine.
    memberForDays: Math.floor((now - created) / DAY_MS),
    // Nested objects get their own allowlist: shaping the top level and passing `row.org`
    // through whole would send billing_secret.
    org: { id: row.org.id, name: row.org.name },
  }
}

// ---------------------------------------------------------------------------------------------
// Input: schemas for the writable fields, in the API's names.

const nonBlank = z.string().refine((s) => s.trim() !== '')

/**
 * The create schema lists every writable field; the patch schema is *derived* from it with
 * `.partial()`: same rules, every field optional. z.object() strips keys it does not know, which
 * is how read-only fields (`id`, `isAdmin`, `createdAt`, `fullName`...) and storage names
 * (`is_admin`) are ignored instead of stored.
 */
function inputSchemas(orgIds: ReadonlySet<number>) {
  const create = z.object({
    firstName: nonBlank,
    lastName: nonBlank,
    email: z.string().regex(/^[^@]+@[^@]+$/),
    // Write-only: accepted on the way in, stored only as a hash, never part of UserOut.
    password: z.string().min(8),
    // Written as an id, read as a nested object: the two directions need not look alike.
    orgId: z
      .number()
      .int()
      .refine((id) => orgIds.has(id)),
  })
  return { create, patch: create.partial() }
}

type UserInput = z.infer<ReturnType<typeof inputSchemas>['create']>

// A salted, deliberately slow hash: the store never holds the password itself. The cost is
// lowered (N = 2^12) to keep the course's checks fast; production uses scrypt's default or more.
function hashPassword(password: string): string {
  const salt = randomBytes(16)
  const hash = scryptSync(password, salt, 32, { N: 2 ** 12 })
  return `scrypt$${salt.toString('base64')}$${hash.toString('base64')}`
}

export function createApp(options: SerializersOptions = {}) {
  const now = options.now ?? Date.now
  // Deep copies: a PATCH here must never reach the caller's row (or its org object).
  const store = new Map<number, UserRow>()
  const orgs = new Map<number, OrgRow>()
  for (const row of options.users ?? []) {
    store.set(row.id, structuredClone(row))
    orgs.set(row.org.id, structuredClone(row.org))
  }
  let lastId = Math.max(0, ...store.keys())
  const schemas = inputSchemas(new Set(orgs.keys()))

  /** Input -> row: the reverse mapping, camelCase names back to columns. */
  function applyInput(row: UserRow, input: Partial<UserInput>): UserRow {
    const next = structuredClone(row)
    if (input.firstName !== undefined) next.first_name = input.firstName
    if (input.lastName !== undefined) next.last_name = input.lastName
    if (input.email !== undefined) next.email = input.email
    if (input.password !== undefined) next.password_hash = hashPassword(input.password)
    if (input.orgId !== undefined) next.org = structuredClone(orgs.get(input.orgId)!)
    return next
  }

  const app = new Hono()

  const notFound = (c: Context) => c.json({ error: 'not_found' }, 404)
  const invalidBody = (c: Context) => c.json({ error: 'invalid_body' }, 400)

  /** The JSON object in the body, or undefined for malformed JSON and non-objects. */
  const readObject = async (c: Context): Promise<object | undefined> => {
    const raw: unknown = await c.req.json().catch(() => undefined)
    return typeof raw === 'object' && raw !== null && !Array.isArray(raw) ? raw : undefined
  }

  // Errors speak the API's language too: `firstName`, never the column `first_name`. Every bad
  // field is listed at once, so a form can mark them all in one round trip.
  const validationFailed = (c: Context, error: z.ZodError) => {
    const fields = [...new Set(error.issues.map((issue) => String(issue.path[0])))]
    return c.json({ error: 'validation_failed', fields }, 422)
  }

  const ITEM = '/api/users/:id{[0-9]+}'

  app.get('/api/users', (c) => {
    const t = now()
    const rows = [...store.values()].sort((a, b) => a.id - b.id)
    // The list goes through the same serializer as the item: one mapper, no second place to leak.
    return c.json(rows.map((row) => serializeUser(row, t)))
  })

  app.get(ITEM, (c) => {
    const row = store.get(Number(c.req.param('id')))
    return row ? c.json(serializeUser(row, now())) : notFound(c)
  })

  app.post('/api/users', async (c) => {
    const body = await readObject(c)
    if (!body) return invalidBody(c)
    const parsed = schemas.create.safeParse(body)
    if (!parsed.success) return validationFailed(c, parsed.error)
    const t = now()
    // The server owns the read-only fields: id, creation time, admin flag.
    const blank: UserRow = {
      id: ++lastId,
      first_name: '',
      last_name: '',
      email: '',
      password_hash: '',
      api_key: `key_${randomBytes(18).toString('base64url')}`,
      created_at: new Date(t).toISOString(),
      org: { id: 0, name: '', billing_secret: '' },
      is_admin: false,
    }
    const row = applyInput(blank, parsed.data)
    store.set(row.id, row)
    return c.json(serializeUser(row, t), 201, { Location: `/api/users/${row.id}` })
  })

  // PATCH here is the "partial update" of DRF (`partial=True`): a plain JSON object whose
  // fields are validated and written, the others left as they are.
  app.patch(ITEM, async (c) => {
    const id = Number(c.req.param('id'))
    const row = store.get(id)
    if (!row) return notFound(c)
    const body = await readObject(c)
    if (!body) return invalidBody(c)
    const parsed = schemas.patch.safeParse(body)
    // Validate everything before writing anything: one bad field means no change at all.
    if (!parsed.success) return validationFailed(c, parsed.error)
    const next = applyInput(row, parsed.data)
    store.set(id, next)
    return c.json(serializeUser(next, now()))
  })

  app.notFound(notFound)

  return app
}
