import { Hono } from 'hono'

export interface User {
  id: number
  name: string
}

export interface Order {
  id: number
  /** The user the order belongs to: its parent in the URL. */
  userId: number
  item: string
  quantity: number
}

export interface OrdersOptions {
  /** The users the store starts with. Copy them: never change the caller's array. */
  users?: User[]
  /** The orders the store starts with, each owned by one of `users`. Copy them too. */
  orders?: Order[]
}

export function createApp(options: OrdersOptions = {}) {
  const app = new Hono()

  // TODO: give this app its own users and orders (copies of options.users and options.orders,
  // default: none), and remember the highest order id it has ever held.

  // TODO: every route under /api/users/:userId/orders answers 404 { "error": "user_not_found" }
  // when no user has that id - before doing anything else.

  // TODO: GET /api/users/:userId/orders answers 200 with that user's orders (and only theirs),
  // in ascending id order

  // TODO: POST /api/users/:userId/orders validates { item, quantity }, creates an order for the
  // user named in the path, and answers 201 with the order and a Location header pointing at
  // /api/users/:userId/orders/:orderId; a bad body is 400 { "error": "invalid_order" }

  // TODO: GET /api/users/:userId/orders/:orderId answers 200 with the order, or 404
  // { "error": "order_not_found" } when that user has no such order

  // TODO: DELETE /api/users/:userId/orders/:orderId answers 204 with no body, or 404
  // { "error": "order_not_found" } when that user has no such order

  // TODO: any other path answers 404 with JSON { "error": "not_found" }

  return app
}
