import { Hono } from 'hono'
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

// TODO: a zod schema for the POST body (title, startsAt, capacity, tags, kind; nothing else),
// one for the list's query string (limit, minCapacity, tag) and one for the :id parameter.
// Query strings and path segments are text: turn digits into numbers, refuse anything else.

// TODO: turn a failed parse into issues: every problem, each at its exact path, and one issue
// per unknown key at that key's own path.

export function createApp(options: EventsOptions = {}) {
  const app = new Hono()

  // TODO: give this app its own store, filled with copies of options.events (default: none),
  // and remember the highest id it has ever held.

  // TODO: POST /api/events validates the body and answers 201 with the parsed event and a new
  // id; invalid fields are 422 { error: 'validation_failed', issues: [...] }

  // TODO: GET /api/events validates the query and answers 200 { filters, events }

  // TODO: GET /api/events/:id validates the id (422), then answers 200 with the event or 404

  // TODO: a body that is not JSON at all is 400 { error: 'malformed_json' }; any other path is
  // 404 { error: 'not_found' }

  return app
}
