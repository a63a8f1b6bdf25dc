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

  // TODO 1: give this app its own users and orders (copies of options.users and options.orders,
  // default: none). GET /api/users/:userId/orders answers 200 with that user's orders (and only
  // theirs), in ascending id order, or 404 { "error": "user_not_found" } when no user has that
  // id; any other path answers 404 with JSON { "error": "not_found" }

  // TODO 2: GET /api/users/:userId/orders/:orderId answers 200 with the order, 404
  // user_not_found for a missing user (checked first), or 404 order_not_found when that user
  // has no such order

  // TODO 3: POST /api/users/:userId/orders creates an order for the user named in the path, with
  // the next global order id, and answers 201 with the order and a Location header pointing at
  // /api/users/:userId/orders/:orderId

  // TODO 4: POST answers 404 user_not_found for a missing user, then 400
  // { "error": "invalid_order" } for a body that is not { item, quantity } as the README says

  // TODO 5: DELETE /api/users/:userId/orders/:orderId answers 204 with no body, or 404
  // (user_not_found, or order_not_found when that user has no such order)

  return app
}
