import { Hono } from 'hono'

export interface Note {
  id: number
  title: string
  text: string
  tags: string[]
}

export interface NotesOptions {
  /** The notes the store starts with. Copy them: never change the caller's array. */
  notes?: Note[]
}

export function createApp(options: NotesOptions = {}) {
  const app = new Hono()

  // TODO 1: give this app its own store, filled with copies of options.notes (tags included;
  // default: none). GET /notes answers 200 with every note, in ascending id order; GET
  // /notes/:id answers 200 with the note, or 404 not_found; any other path answers 404 with
  // JSON { "error": "not_found" }. Reading never changes anything.

  // TODO 2: POST /notes creates a note ({ title, text?, tags? }) and answers 201 with it and
  // `Location: /notes/<id>`

  // TODO 3: PUT /notes/:id replaces title, text and tags (left out: back to '' and []) and
  // answers 200 with the note, or 404 not_found

  // TODO 4: DELETE /notes/:id answers 204 with no body, or 404 not_found

  // TODO 5: HEAD on every route answers GET's status and headers (Content-Length included),
  // without a body. Hono answers HEAD from your GET handlers: check what it leaves out.

  // TODO 6: OPTIONS on each route answers 204 with an Allow header listing its methods; any
  // other method on /notes or /notes/:id answers 405 method_not_allowed, with Allow

  return app
}
