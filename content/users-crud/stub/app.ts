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

  // TODO 1: give this app its own store, filled with copies of options.users (default: none);
  // GET /api/users answers 200 with every user, in ascending id order

  // TODO 2: GET /api/users/:id (digits only) answers 200 with the user, or 404 not_found;
  // any other path answers 404 with JSON { "error": "not_found" }

  // TODO 3: POST /api/users creates the user with the next id (one more than the highest id
  // ever held) and answers 201 with { id, name, email } and `Location: /api/users/<id>`

  // TODO 4: a POST body that is not { name, email } as the README describes is 400 invalid_user

  // TODO 5: PUT /api/users/:id replaces name and email (404 if the user is missing, then 400 if
  // the body is invalid) and answers 200 with the user

  // TODO 6: DELETE /api/users/:id answers 204 with no body, or 404 not_found; then any other
  // method on /api/users or /api/users/:id answers 405 method_not_allowed with an Allow header

  return app
}
