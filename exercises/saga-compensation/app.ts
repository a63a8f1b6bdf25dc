import { Hono } from 'hono'

export type SqlValue = string | number | boolean | null | Uint8Array
export type SqlParams = readonly SqlValue[] | Readonly<Record<string, SqlValue>>

/** The database driver, in the shape of better-sqlite3 and node:sqlite. The saga log lives here. */
export interface SqlDatabase {
  /** Runs one or more statements without parameters (schema, scripts). */
  exec(sql: string): void
  /** Runs one statement and returns every row. */
  all<T = Record<string, SqlValue>>(sql: string, params?: SqlParams): T[]
  /** Runs one statement and returns its first row, or undefined. */
  get<T = Record<string, SqlValue>>(sql: string, params?: SqlParams): T | undefined
  /** Runs one statement that changes data. */
  run(sql: string, params?: SqlParams): { changes: number; lastInsertRowid: number }
}

/**
 * The three services an order touches. Every call carries an idempotency key: a second call with
 * a key the service has seen returns the first call's result and changes nothing. A call that
 * rejects did nothing and remembers nothing.
 */
export interface Services {
  inventory: {
    reserve(req: { orderId: string; idempotencyKey: string }): Promise<{ reservationId: string }>
    release(req: { orderId: string; reservationId: string; idempotencyKey: string }): Promise<void>
  }
  payments: {
    charge(req: { orderId: string; amount: number; idempotencyKey: string }): Promise<{ chargeId: string }>
    refund(req: { orderId: string; chargeId: string; amount: number; idempotencyKey: string }): Promise<void>
  }
  shipping: {
    schedule(req: { orderId: string; idempotencyKey: string }): Promise<{ shipmentId: string }>
    cancel(req: { orderId: string; shipmentId: string; idempotencyKey: string }): Promise<void>
  }
}

export interface SagaOptions {
  db: SqlDatabase
  services: Services
}

export type OrderStatus = 'pending' | 'completed' | 'compensated' | 'failed'
type StepName = 'reserve' | 'charge' | 'schedule'

/** The saga log of one order: everything a fresh process needs to carry on where this one stopped. */
interface OrderRecord {
  id: string
  amount: number
  status: OrderStatus
  /** `forward` while the steps run; `backward` from the moment a step failed. */
  direction: 'forward' | 'backward'
  /** The result of every step that completed: what its compensation will need. */
  done: Partial<Record<StepName, Record<string, string>>>
  /** The steps whose compensation has completed. */
  undone: StepName[]
}

const SCHEMA = `CREATE TABLE IF NOT EXISTS orders (
  id TEXT PRIMARY KEY, amount INTEGER NOT NULL, status TEXT NOT NULL, log TEXT NOT NULL)`

function load(db: SqlDatabase, id: string): OrderRecord | undefined {
  const row = db.get<{ id: string; amount: number; status: OrderStatus; log: string }>(
    'SELECT id, amount, status, log FROM orders WHERE id = ?',
    [id],
  )
  return row && { id: row.id, amount: row.amount, status: row.status, ...JSON.parse(row.log) }
}

function save(db: SqlDatabase, order: OrderRecord): void {
  const log = JSON.stringify({ direction: order.direction, done: order.done, undone: order.undone })
  db.run('UPDATE orders SET status = ?, log = ? WHERE id = ?', [order.status, log, order.id])
}

interface Step {
  name: StepName
  run(s: Services, order: OrderRecord, key: string): Promise<Record<string, string>>
  undo(s: Services, order: OrderRecord, result: Record<string, string>, key: string): Promise<void>
}

const STEPS: readonly Step[] = [
  {
    name: 'reserve',
    run: (s, o, key) => s.inventory.reserve({ orderId: o.id, idempotencyKey: key }),
    undo: (s, o, r, key) =>
      s.inventory.release({ orderId: o.id, reservationId: r.reservationId!, idempotencyKey: key }),
  },
  {
    name: 'charge',
    run: (s, o, key) => s.payments.charge({ orderId: o.id, amount: o.amount, idempotencyKey: key }),
    undo: (s, o, r, key) =>
      s.payments.refund({ orderId: o.id, chargeId: r.chargeId!, amount: o.amount, idempotencyKey: key }),
  },
  {
    name: 'schedule',
    run: (s, o, key) => s.shipping.schedule({ orderId: o.id, idempotencyKey: key }),
    undo: (s, o, r, key) =>
      s.shipping.cancel({ orderId: o.id, shipmentId: r.shipmentId!, idempotencyKey: key }),
  },
]

/**
 * Runs an order's saga. It runs the three steps one after the other, each with a random key,
 * writes the log only at the end, and lets a failing step throw out of the request.
 */
async function drive(db: SqlDatabase, services: Services, order: OrderRecord): Promise<void> {
  // TODO (task 1): give every call an idempotency key derived from the order id and the step
  //       (the same on every attempt, in every process); log each step's result as it completes.
  // TODO (task 2): when a step rejects, compensate the completed steps, last first, with the
  //       results they returned; status `compensated`.
  // TODO (task 3): skip the steps the log says are done, and go on backward if the log says so.
  // TODO (task 4): a compensation that rejects stops the saga with status `failed`; a resume
  //       retries it (same key) without repeating the compensations already done.
  for (const step of STEPS) {
    order.done[step.name] = { ...(await step.run(services, order, crypto.randomUUID())) }
  }
  order.status = 'completed'
  save(db, order)
}

const ID = /^[A-Za-z0-9_-]{1,64}$/

export function createApp(options: SagaOptions) {
  const { db, services } = options
  db.exec(SCHEMA)
  const app = new Hono()

  app.post('/api/orders', async (c) => {
    const body: unknown = await c.req.json().catch(() => null)
    const { id, amount } = (body ?? {}) as { id?: unknown; amount?: unknown }
    if (typeof id !== 'string' || !ID.test(id) || !Number.isInteger(amount) || (amount as number) < 1) {
      return c.json({ error: 'invalid_body' }, 400)
    }
    if (load(db, id)) return c.json({ error: 'order_exists' }, 409)

    const order: OrderRecord = { id, amount: amount as number, status: 'pending', direction: 'forward', done: {}, undone: [] }
    db.run('INSERT INTO orders (id, amount, status, log) VALUES (?, ?, ?, ?)', [id, order.amount, 'pending', '{}'])
    save(db, order)
    await drive(db, services, order)
    c.header('Location', `/api/orders/${id}`)
    return c.json({ id, amount: order.amount, status: order.status }, 201)
  })

  app.get('/api/orders/:id', (c) => {
    const order = load(db, c.req.param('id'))
    if (!order) return c.json({ error: 'not_found' }, 404)
    return c.json({ id: order.id, amount: order.amount, status: order.status })
  })

  app.post('/api/sagas/resume', async (c) => {
    // TODO (task 3): drive every `pending` order on from its log; (task 4) and every `failed` one.
    return c.json({ resumed: 0 })
  })

  return app
}
