import { Hono, type Context } from 'hono'
import { HTTPException } from 'hono/http-exception'
import { validator } from 'hono/validator'
import { z } from 'zod'

export type EventKind = 'talk' | 'workshop'

export interface EventRecord {
  id: number
  title: string
  /** An ISO 8601 date and time in UTC, e.g. "2037-05-01T18:30:00Z". */
  startsAt: string
  capacity: number
  tags: string[]
  kind: EventKind
}

export interface EventsOptions {
  /** The events the store starts with. Copy them: never change the caller's array. */
  events?: EventRecord[]
}

/** One problem with the request: where it is (a path of keys and array indexes) and what. */
export interface Issue {
  path: (string | number)[]
  message: string
}

// The schema is the single source of truth, like a Pydantic model: it checks the input, turns
// it into the shape the app works with (title trimmed, tags defaulted) and gives the type.
// strictObject: a key the schema does not name is an error, not something to drop silently. A
// typo (`capcity`) or a field the client may not set (`id`) is reported back to the client.
// JSON already has numbers, so the body is not coerced: "12" is a string, not a capacity.
const EventInput = z.strictObject({
  // trim() runs before min/max, so "  Talk  " is stored as "Talk" and "   " is too short.
  title: z.string().trim().min(1).max(100),
  // Date and time, seconds included, in UTC ("Z"): no date-only, no local time, no offsets.
  startsAt: z.iso.datetime(),
  capacity: z.int().min(1).max(1000),
  tags: z.array(z.string().min(1).max(20)).max(5).default([]),
  kind: z.enum(['talk', 'workshop']),
})

// z.infer derives the TypeScript type from the schema, the way FastAPI reads a Pydantic
// model's annotations: one declaration, both the runtime check and the static type.
type EventInput = z.infer<typeof EventInput>
// A compile-time guard that the schema's output is exactly an event without its id.
const sameShape: [EventInput, Omit<EventRecord, 'id'>] extends [Omit<EventRecord, 'id'>, EventInput]
  ? true
  : never = true
void sameShape

// A query string or path segment is always text, so numbers there must be converted. Only
// digits count: z.coerce.number() would turn "" and " " into 0, "1e2" into 100 and "0x10"
// into 16, and a garbage value would quietly become a filter the client never asked for.
const wholeNumber = z
  .string()
  .regex(/^[0-9]+$/, 'expected a whole number written in digits')
  .transform(Number)

// Strict here too: `?minCap=10` (a typo) would otherwise return every event, unfiltered.
const ListQuery = z.strictObject({
  limit: wholeNumber.pipe(z.int().min(1).max(100)).default(20),
  minCapacity: wholeNumber.pipe(z.int().min(0)).optional(),
  tag: z.string().min(1).max(20).optional(),
})

const EventParams = z.object({ id: wholeNumber.pipe(z.int().min(1)) })

/** Zod's issues in the shape clients read: one entry per problem, each at its exact path. */
function toIssues(error: z.ZodError): Issue[] {
  return error.issues.flatMap((issue) => {
    const path = issue.path.map((key) => (typeof key === 'symbol' ? String(key) : key))
    // Zod reports unknown keys once, at the path of the object that holds them. A client fixing
    // its request wants each one at its own path, like any other invalid field.
    if (issue.code === 'unrecognized_keys') {
      return issue.keys.map((key) => ({ path: [...path, key], message: 'unknown field' }))
    }
    return [{ path, message: issue.message }]
  })
}

// safeParse collects every issue instead of stopping at the first: the client gets the whole
// list in one round trip. 422, not 400: the request was well-formed (the JSON parsed, the URL
// matched), but what it says is not acceptable.
function validate<S extends z.ZodType>(schema: S, value: unknown, c: Context) {
  const result = schema.safeParse(value)
  if (result.success) return result.data
  return c.json({ error: 'validation_failed', issues: toIssues(result.error) }, 422)
}

export function createApp(options: EventsOptions = {}) {
  const store = new Map<number, EventRecord>()
  for (const event of options.events ?? []) {
    store.set(event.id, { ...event, tags: [...event.tags] })
  }
  // The server picks ids; the schema refuses an `id` in the body, so a client cannot choose one.
  let lastId = Math.max(0, ...store.keys())

  const app = new Hono()

  // hono/validator runs before the handler; whatever the callback returns becomes
  // c.req.valid(target), typed from the schema. A returned Response ends the request there.
  app.post(
    '/api/events',
    validator('json', (value, c) => validate(EventInput, value, c)),
    (c) => {
      const input = c.req.valid('json')
      // Store and echo the parsed value, not the raw body: trimmed title, tags filled in.
      const event: EventRecord = { id: ++lastId, ...input }
      store.set(event.id, event)
      return c.json(event, 201, { Location: `/api/events/${event.id}` })
    },
  )

  app.get(
    '/api/events',
    validator('query', (value, c) => validate(ListQuery, value, c)),
    (c) => {
      const filters = c.req.valid('query')
      const { limit, minCapacity, tag } = filters
      const events = [...store.values()]
        .sort((a, b) => a.id - b.id)
        // minCapacity is a number now, so 9 < 10 (as strings, "9" > "10").
        .filter((e) => minCapacity === undefined || e.capacity >= minCapacity)
        .filter((e) => tag === undefined || e.tags.includes(tag))
        .slice(0, limit)
      return c.json({ filters, events })
    },
  )

  // An id that is not a positive whole number is a malformed request parameter (422), not a
  // missing event: the client can tell "fix your request" from "nothing is there".
  app.get(
    '/api/events/:id',
    validator('param', (value, c) => validate(EventParams, value, c)),
    (c) => {
      const event = store.get(c.req.valid('param').id)
      return event ? c.json(event) : c.json({ error: 'not_found' }, 404)
    },
  )

  app.notFound((c) => c.json({ error: 'not_found' }, 404))

  // hono/validator throws a 400 HTTPException when the body is not JSON at all. That is a
  // different failure from 422: the server could not even read the request.
  app.onError((err, c) => {
    if (err instanceof HTTPException && err.status === 400) {
      return c.json({ error: 'malformed_json' }, 400)
    }
    if (err instanceof HTTPException) return err.getResponse()
    return c.json({ error: 'internal_error' }, 500)
  })

  return app
}
