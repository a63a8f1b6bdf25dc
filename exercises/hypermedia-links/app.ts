import { Hono } from 'hono'

export type OrderStatus = 'pending' | 'paid' | 'shipped' | 'cancelled'

export interface Order {
  id: number
  customerId: number
  /** In cents. */
  total: number
  status: OrderStatus
}

export interface Customer {
  id: number
  name: string
}

export interface OrdersOptions {
  /** The orders the store starts with. Copy them: never change the caller's objects. */
  orders?: Order[]
  /** The customers orders belong to; read-only here. */
  customers?: Customer[]
}

export function createApp(options: OrdersOptions = {}) {
  const app = new Hono()

  // TODO: give this app its own copies of options.orders and options.customers

  // TODO: write the state machine down once (pending -> paid or cancelled, paid -> shipped)
  // and a function that turns an order into { ...order, _links } using it: self, collection
  // and customer always; pay, cancel and ship ({ href, method: 'POST' }) only when allowed

  // TODO: GET /api answers the entry point: links to itself and to the orders collection

  // TODO: GET /api/orders answers { _links: { self }, _embedded: { orders: [...] } }, every
  // order in ascending id order, each exactly as GET /api/orders/:id shows it

  // TODO: GET /api/orders/:id answers the order with its links, or 404 not_found

  // TODO: POST /api/orders/:id/pay, /cancel and /ship move the order on and answer 200 with the
  // new representation; 409 invalid_transition when its status does not allow it; 404 if missing

  // TODO: GET /api/customers/:id answers the customer with a self link, or 404 not_found

  // TODO: any other path answers 404 with JSON { "error": "not_found" }

  return app
}
