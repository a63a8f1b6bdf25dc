import { Hono, type Context } from 'hono'

export interface Address {
  city: string
  country: string
  street?: string
}

export interface Settings {
  theme?: 'light' | 'dark'
  notifications?: { email?: boolean; sms?: boolean }
}

export interface Profile {
  id: string
  name: string
  email: string
  bio?: string
  tags?: string[]
  address?: Address
  settings?: Settings
}

export interface ProfilesOptions {
  /** The profiles the store starts with; the app keeps its own copy. */
  profiles?: Profile[]
}

/** The media type of a JSON Merge Patch document (RFC 7396). */
const MERGE_PATCH = 'application/merge-patch+json'

type Fields = Omit<Profile, 'id'>

/** A schema, by hand: a function that says whether a value fits. */
type Check = (value: unknown) => boolean

const string: Check = (value) => typeof value === 'string'
const boolean: Check = (value) => typeof value === 'boolean'
const oneOf =
  (...allowed: string[]): Check =>
  (value) =>
    typeof value === 'string' && allowed.includes(value)
const arrayOf =
  (item: Check): Check =>
  (value) =>
    Array.isArray(value) && value.every(item)

// An object with exactly these members: every required one present, every member there (own
// keys only) known and of its type. Unknown members are refused rather than silently dropped, so
// a typo like `adress` is a 422 the client sees, not a field that vanishes. The members live in
// a Map, so a key like `constructor` or `__proto__` is looked up as data, never found on
// Object.prototype.
function object(required: Record<string, Check>, optional: Record<string, Check> = {}): Check {
  const members = new Map([...Object.entries(required), ...Object.entries(optional)])
  return (value) =>
    isPlainObject(value) &&
    Object.keys(required).every((key) => Object.hasOwn(value, key)) &&
    Object.keys(value).every((key) => members.get(key)?.(value[key]) ?? false)
}

// One schema judges every representation the store may hold: a PUT body, and the result of a
// PATCH. The id is not in it: the URL names the resource, never the body. (In a later exercise,
// `request-validation`, a schema library does this job.)
const isProfileFields = object(
  { name: string, email: string },
  {
    bio: string,
    tags: arrayOf(string),
    address: object({ city: string, country: string }, { street: string }),
    settings: object(
      {},
      {
        theme: oneOf('light', 'dark'),
        notifications: object({}, { email: boolean, sms: boolean }),
      },
    ),
  },
) as (value: unknown) => value is Fields

const ITEM = '/api/profiles/:id'

export function createApp(options: ProfilesOptions = {}) {
  // The store keeps the fields without the id (the Map key is the id), deep copies of the seed:
  // a PATCH here must never reach into the caller's objects.
  const store = new Map<string, Fields>()
  for (const { id, ...fields } of options.profiles ?? []) store.set(id, structuredClone(fields))

  const app = new Hono()

  const show = (id: string, fields: Fields): Profile => ({ ...fields, id })
  const notFound = (c: Context) => c.json({ error: 'not_found' }, 404)
  const invalid = (c: Context) => c.json({ error: 'invalid_profile' }, 422)

  // Malformed JSON is a 400 (the bytes are not JSON at all); well-formed JSON that is not a valid
  // profile is a 422 (understood, but not acceptable). `undefined` never comes out of JSON.parse.
  const readJson = (c: Context): Promise<unknown> => c.req.json().catch(() => undefined)

  app.get(ITEM, (c) => {
    const id = c.req.param('id')
    const fields = store.get(id)
    return fields ? c.json(show(id, fields)) : notFound(c)
  })

  // PUT: "make the resource at this URL be exactly this". The body is the whole new
  // representation, so it must pass the full schema on its own, and whatever it leaves out is
  // gone afterwards: nothing is carried over from the old version. Because the client names the
  // URL, PUT may also create (RFC 9110 allows it; whether it does is this API's choice): 201 +
  // Location says "new", 200 says "replaced". The same PUT twice leaves the same state.
  app.put(ITEM, async (c) => {
    const id = c.req.param('id')
    const body = await readJson(c)
    if (body === undefined) return c.json({ error: 'invalid_json' }, 400)
    const fields = withoutId(body)
    if (!isProfileFields(fields)) return invalid(c)
    const created = !store.has(id)
    store.set(id, fields)
    if (created) return c.json(show(id, fields), 201, { Location: `/api/profiles/${id}` })
    return c.json(show(id, fields), 200)
  })

  // PATCH: "change the resource in the way this document describes". What the document means
  // depends on its media type, which is why an unknown type is 415 (with Accept-Patch naming the
  // one we do speak) rather than a guess: an `application/json` body could be a JSON Patch, a
  // merge patch or a whole representation, and each would be applied differently.
  app.patch(ITEM, async (c) => {
    if (!isMergePatch(c.req.header('content-type'))) {
      return c.json({ error: 'unsupported_media_type' }, 415, { 'Accept-Patch': MERGE_PATCH })
    }
    const id = c.req.param('id')
    const current = store.get(id)
    // RFC 5789 would let a server create from a PATCH; this API does not (a merge patch is a
    // list of changes, not a whole profile), so a missing target is 404.
    if (!current) return notFound(c)
    const patch = await readJson(c)
    if (patch === undefined) return c.json({ error: 'invalid_json' }, 400)
    // Patch a copy, validate the result, and only then swap it in: a patch is all or nothing.
    // Validating the patch alone would not do: `{ "name": null }` is a fine document that
    // produces a profile without a name.
    const merged = mergePatch(current, withoutId(patch))
    if (!isProfileFields(merged)) return invalid(c)
    store.set(id, merged)
    return c.json(show(id, merged), 200)
  })

  app.notFound(notFound)

  return app
}

/** RFC 7396 MergePatch(target, patch), without touching either argument. */
function mergePatch(target: unknown, patch: unknown): unknown {
  // A patch that is not an object (an array, a string, null...) replaces the target whole. That
  // is also why arrays are never merged element by element: to change one tag, send all tags.
  if (!isPlainObject(patch)) return patch
  // A Map, not `result[key] = ...`: a patch member named "__proto__" would otherwise hit the
  // prototype setter instead of becoming a member (which the schema then refuses).
  const result = new Map(Object.entries(isPlainObject(target) ? target : {}))
  for (const [key, value] of Object.entries(patch)) {
    // null is how a merge patch says "remove this member"; it is never stored.
    if (value === null) result.delete(key)
    // Objects merge recursively, so `{ "address": { "street": "x" } }` keeps city and country.
    else result.set(key, mergePatch(result.get(key), value))
  }
  return Object.fromEntries(result)
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

// The path names the resource; an `id` in a body is not allowed to rename or redirect it.
function withoutId(body: unknown): unknown {
  if (!isPlainObject(body)) return body
  const { id: _ignored, ...rest } = body
  return rest
}

// Media types are case-insensitive and may carry parameters (`; charset=utf-8`).
function isMergePatch(contentType: string | undefined): boolean {
  return contentType?.split(';')[0]?.trim().toLowerCase() === MERGE_PATCH
}
