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

// Derived from the order and the step, never random and never a per-process counter: a retry
// after a crash, in another process, must send the very same key so the service recognises it.
// The compensation has a key of its own: a refund sent with the charge's key would be answered
// with the charge's stored result, and nothing would be refunded.
const stepKey = (order: OrderRecord, step: StepName) => `${order.id}:${step}`
const undoKey = (order: OrderRecord, step: StepName) => `${order.id}:${step}:undo`

/** Runs an order's saga from wherever its log says it is, to completed, compensated or failed. */
async function drive(db: SqlDatabase, services: Services, order: OrderRecord): Promise<void> {
  if (order.direction === 'forward') {
    for (const step of STEPS) {
      if (order.done[step.name]) continue // completed before a crash: never run twice
      try {
        const result = await step.run(services, order, stepKey(order, step.name))
        // Logged after it succeeded and before the next step starts. A crash before this line
        // means the step runs again on resume, which its idempotency key makes harmless.
        order.done[step.name] = { ...result }
        save(db, order)
      } catch {
        // A rejected step did nothing, so it has nothing to undo: only the steps in `done` do.
        order.direction = 'backward'
        save(db, order)
        break
      }
    }
    if (order.direction === 'forward') {
      order.status = 'completed'
      save(db, order)
      return
    }
  }

  // Backward, last completed step first: the shipment is cancelled before the refund, the refund
  // issued before the stock goes back on the shelf, mirroring the order things were done in.
  for (const step of [...STEPS].reverse()) {
    const result = order.done[step.name]
    if (!result || order.undone.includes(step.name)) continue
    try {
      await step.undo(services, order, result, undoKey(order, step.name))
      order.undone.push(step.name)
      save(db, order)
    } catch {
      // A compensation cannot be compensated. Stop, say so, and let a later resume retry it
      // with the same key; the ones already done are in `undone` and are not repeated.
      order.status = 'failed'
      save(db, order)
      return
    }
  }
  order.status = 'compensated'
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

    // The log is written before the first step runs: a crash during `reserve` leaves a pending
    // order that a resume can find.
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

  // Run by a fresh process after a crash (or by a periodic job): every saga that did not finish,
  // and every one whose compensation failed, is driven on from its log.
  app.post('/api/sagas/resume', async (c) => {
    const ids = db.all<{ id: string }>("SELECT id FROM orders WHERE status IN ('pending', 'failed') ORDER BY id")
    for (const { id } of ids) {
      const order = load(db, id)!
      if (order.status === 'failed') order.status = 'pending' // retrying its compensation now
      save(db, order) // logged before the retry: while it runs, the order reads `pending`
      await drive(db, services, order)
    }
    return c.json({ resumed: ids.length })
  })

  return app
}
