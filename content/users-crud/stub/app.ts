import { Hono } from 'hono'

export interface User {
  id: number
  name: string
  email: string
}

export interface UsersOptions {
  /** The users the store starts with. Copy them: never change the caller's array. */
  users?: User[]
}

export function createApp(options: UsersOptions = {}) {
  const app = new Hono()

  // TODO: give this app its own store, filled with copies of options.users (default: none),
  // and remember the highest id it has ever held.

  // TODO: GET /api/users answers 200 with every user, in ascending id order

  // TODO: POST /api/users validates { name, email }, creates the user with the next id and
  // answers 201 with the user and `Location: /api/users/<id>`; a bad body is 400 invalid_user

  // TODO: GET /api/users/:id answers 200 with the user, or 404 not_found

  // TODO: PUT /api/users/:id replaces name and email (404 if the user is missing, then 400 if
  // the body is invalid) and answers 200 with the user

  // TODO: DELETE /api/users/:id answers 204 with no body, or 404 not_found

  // TODO: any other method on /api/users or /api/users/:id answers 405 method_not_allowed
  // with an Allow header listing the methods that route does support

  // TODO: any other path answers 404 with JSON { "error": "not_found" }

  return app
}
