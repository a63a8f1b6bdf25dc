import { Hono } from 'hono'

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

export function createApp(options: SerializersOptions = {}) {
  const app = new Hono()

  // TODO: give this app its own store, filled with deep copies of options.users (default: none).
  // The orgs of those rows are the orgs a client may pick with `orgId`.

  // TODO: write the output serializer: one function from a UserRow (and the current time) to
  // the user representation { id, firstName, lastName, fullName, email, isAdmin, createdAt,
  // memberForDays, org: { id, name } } - name every field it sends, copy nothing wholesale.

  // TODO: GET /api/users answers 200 with every user, serialized, in ascending id order

  // TODO: GET /api/users/:id answers 200 with the serialized user, or 404 not_found

  // TODO: write the input side: validate the camelCase writable fields (firstName, lastName,
  // email, password, orgId), ignore everything else, and map what is valid to the row's columns

  // TODO: POST /api/users creates a user and answers 201 with its representation; 400
  // invalid_body when the body is not a JSON object, 422 validation_failed listing bad fields

  // TODO: PATCH /api/users/:id changes only the writable fields sent and answers 200 with the
  // user; 404 first, then 400 invalid_body, then 422 validation_failed (and no change at all)

  return app
}
