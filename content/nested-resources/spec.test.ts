// nested-resources - the hidden spec.
//
// Wrong implementations this spec is built to catch:
// - lists every order (or the first user's, or hard-coded ones) instead of the orders whose
//   userId is the user in the path; compares the string path parameter with the numeric userId
//   (so every list is empty); lists in seed order instead of ascending id order
// - answers 200 [] for the orders of a user that does not exist instead of 404 user_not_found
// - trusts a userId / ownerId in the POST body, or spreads the body into the order (extra
//   fields stored and echoed, a client-picked id), or stores the path's userId as a string
// - creates an order for a user that does not exist, or validates the body before checking the
//   user (400 where 404 is due), or lets a refused POST use up an id
// - numbers orders per user, or from the parent's own orders, or `size + 1`, or reuses the id
//   of a deleted order, instead of one more than the highest order id ever held
// - finds an order by its id alone, ignoring the parent: another user's order answers 200
//   under the wrong user, or a missing user's path still serves the order
// - answers 403 (or anything but 404 order_not_found) for another user's order, which confirms
//   that the order exists
// - DELETE through the wrong parent deletes the order (with or without answering 404), or
//   DELETE under a missing user deletes it
// - DELETE answering 200 with a body, or 204 for an order that is already gone
// - Location pointing at a flat /api/orders/<id>, at the wrong user, or missing; 200 for a create
// - a flat /api/orders route the contract leaves out, or Hono's text 404 for unknown paths
// - a module-level store shared by every app, or the caller's arrays (or their objects) edited
//   in place, or copied only on the first request (the caller's later edits leak in)
// - the parent check done for some strangers only: another user's order served or deleted
//   through a user without orders, or through another user with orders; a missing user above
//   the highest id (or in a gap) treated as existing
// - validation gaps: a non-string item, a negative quantity, a `null` body, fields only under a
//   `__proto__` key; or quantity 1 refused (`> 1`)
// - a flat POST /api/orders or DELETE /api/orders/:id that writes
import { describe, expect, it } from 'vitest'
import {
  build,
  client,
  focusOn,
  random,
  task,
  type Client,
  type Rng,
} from '../../harness/spec-kit/index.ts'
import { createApp, type Order, type User } from '../../exercises/nested-resources/app.ts'

interface World {
  /** Every user, in shuffled order. */
  users: User[]
  /** Every order, in shuffled order (never ascending by id). */
  orders: Order[]
  /** Users with at least two orders each; their order ids interleave. */
  owners: User[]
  /** A user with no orders. */
  idle: User
}

/**
 * 4 to 6 users with non-contiguous ids, one of them without orders, the others with 2 or 3
 * orders each. Order ids are global and interleaved across users, so "the user's orders" is
 * never a contiguous run of ids, and order ids may collide with user ids.
 */
function world(rng: Rng): World {
  const sorted: User[] = []
  let id = rng.int(1, 5)
  for (let n = rng.int(4, 6); n > 0; n--) {
    const name = rng.word(3, 8)
    sorted.push({ id, name: name[0]!.toUpperCase() + name.slice(1) })
    id += rng.int(2, 6)
  }
  const [idle, ...owners] = rng.shuffle(sorted)
  const slots = owners.flatMap((u) => Array.from({ length: rng.int(2, 3) }, () => u))
  let sequence = rng.shuffle(slots)
  if (!interleaved(sequence)) sequence = roundRobin(owners, slots)
  let orderId = rng.int(1, 20)
  const byId = sequence.map((owner): Order => {
    const order = { id: orderId, userId: owner.id, item: rng.word(4, 10), quantity: rng.int(1, 9) }
    orderId += rng.int(1, 3)
    return order
  })
  const orders = rng.shuffle(byId)
  // Out of order for sure, so "list in insertion order" cannot pass by luck.
  if (orders.every((o, i) => o.id === byId[i]!.id)) orders.reverse()
  return { users: rng.shuffle(sorted), orders, owners, idle: idle! }
}

/** True when some user's orders are separated by another user's order. */
function interleaved(sequence: User[]): boolean {
  return sequence.some((u, i) => {
    const next = sequence.indexOf(u, i + 1)
    return next > i + 1
  })
}

function roundRobin(owners: User[], slots: User[]): User[] {
  const counts = new Map(owners.map((u) => [u, slots.filter((s) => s === u).length]))
  const out: User[] = []
  for (let round = 0; out.length < slots.length; round++) {
    for (const u of owners) if (counts.get(u)! > round) out.push(u)
  }
  return out
}

/** A fresh app over copies of the world, so the world stays the expected state. */
const appFor = (w: World) =>
  client(build(createApp, { users: structuredClone(w.users), orders: structuredClone(w.orders) }))

const ordersOf = (w: World, user: User) =>
  w.orders.filter((o) => o.userId === user.id).sort((a, b) => a.id - b.id)
const maxOrderId = (w: World) => Math.max(...w.orders.map((o) => o.id))

/** User ids nobody holds: one in a gap between two users, one above the highest. */
const missingUserIds = (rng: Rng, w: World) => {
  const ids = w.users.map((u) => u.id)
  return [Math.min(...ids) + 1, Math.max(...ids) + rng.int(1, 30)]
}
/** One user id nobody holds. */
const missingUserId = (rng: Rng, w: World) => rng.pick(missingUserIds(rng, w))

/** An order, its owner, and two other users to ask for it through: one without orders, one with. */
function foreignOrder(rng: Rng, w: World) {
  const owner = rng.pick(w.owners)
  const order = rng.pick(ordersOf(w, owner))
  const strangers = [w.idle, rng.pick(w.owners.filter((u) => u !== owner))]
  return { owner, order, strangers }
}

const newOrder = (rng: Rng) => ({ item: rng.word(4, 10), quantity: rng.int(1, 20) })

const list = (userId: number) => `/api/users/${userId}/orders`
const item = (userId: number, orderId: number) => `/api/users/${userId}/orders/${orderId}`

const USER_NOT_FOUND = expect.objectContaining({ error: 'user_not_found' })
const ORDER_NOT_FOUND = expect.objectContaining({ error: 'order_not_found' })
const NOT_FOUND = expect.objectContaining({ error: 'not_found' })

/** Every user's list is exactly what the world says it is. */
async function expectListsToMatch(api: Client, w: World) {
  for (const user of w.users) expect(await api.get(list(user.id))).toHaveJsonBody(ordersOf(w, user))
}

// Bodies that must be refused with 400, as the JSON text sent.
const invalidBodies: [string, string][] = [
  ['item is missing', { quantity: 2 }],
  ['item is only spaces', { item: '   ', quantity: 2 }],
  ['item is not a string', { item: 42, quantity: 2 }],
  ['quantity is missing', { item: 'lamp' }],
  ['quantity is 0', { item: 'lamp', quantity: 0 }],
  ['quantity is negative', { item: 'lamp', quantity: -3 }],
  ['quantity is not a whole number', { item: 'lamp', quantity: 1.5 }],
  ['quantity is a string', { item: 'lamp', quantity: '2' }],
  ['the body is an array', [{ item: 'lamp', quantity: 2 }]],
  ['the body is null', null],
].map(([label, value]) => [label as string, JSON.stringify(value)] as [string, string])
// JSON.parse makes "__proto__" an ordinary key: the body has no item or quantity of its own.
invalidBodies.push([
  'item and quantity sit only under a "__proto__" key',
  '{"__proto__":{"item":"lamp","quantity":2}}',
])

describe('nested-resources', () => {
  task(1, "List a user's orders", () => {
    it("GET /api/users/:userId/orders lists only that user's orders, in ascending id order", async () => {
      const w = world(random())
      const api = appFor(w)
      for (const owner of w.owners) {
        const res = await api.get(list(owner.id))
        expect(res).toHaveStatus(200)
        expect(res).toHaveJsonBody(ordersOf(w, owner))
      }
    })

    it('GET /api/users/:userId/orders answers [] for a user without orders', async () => {
      const w = world(random())
      const res = await appFor(w).get(list(w.idle.id))
      expect(res).toHaveStatus(200)
      expect(res).toHaveJsonBody([])
    })

    it('GET /api/users/:userId/orders answers 404 user_not_found for a missing user, not []', async () => {
      const rng = random()
      const w = world(rng)
      const api = appFor(w)
      for (const id of missingUserIds(rng, w)) {
        const res = await api.get(list(id))
        expect(res).toHaveStatus(404)
        expect(res).toHaveJsonBody(USER_NOT_FOUND)
      }
    })

    it('has no flat /api/orders route: unknown paths answer 404 not_found', async () => {
      const rng = random()
      const w = world(rng)
      const api = appFor(w)
      for (const path of ['/', '/api/orders', `/api/orders/${rng.pick(w.orders).id}`]) {
        const res = await api.get(path)
        expect(res).toHaveStatus(404)
        expect(res).toHaveJsonBody(NOT_FOUND)
      }
      // Not for writing either.
      const order = rng.pick(w.orders)
      const writes = [['POST', '/api/orders'], ['DELETE', `/api/orders/${order.id}`]] as const
      for (const [method, path] of writes) {
        const json = { ...newOrder(rng), userId: order.userId }
        const res = await api.send(method, path, { json })
        expect(res).toHaveStatus(404)
        expect(res).toHaveJsonBody(NOT_FOUND)
      }
      await expectListsToMatch(api, w)
    })

    it("the list is not changed by the caller's edits after createApp", async () => {
      const rng = random()
      const w = world(rng)
      const { users, orders } = structuredClone(w)
      const api = client(build(createApp, { users, orders }))
      // The caller goes on using its arrays before the app answers anything.
      const owner = rng.pick(w.owners)
      const moved = orders.find((o) => o.userId === owner.id)!
      moved.userId = w.idle.id
      orders.push({ id: maxOrderId(w) + 1, userId: owner.id, item: rng.word(), quantity: 1 })
      users.splice(users.findIndex((u) => u.id === w.idle.id), 1)
      await expectListsToMatch(api, w)
    })
  })

  task(2, 'Read one order through its user', () => {
    it('GET /api/users/:userId/orders/:orderId answers 200 with the order', async () => {
      const rng = random()
      const w = world(rng)
      const owner = rng.pick(w.owners)
      const order = rng.pick(ordersOf(w, owner))
      const res = await appFor(w).get(item(owner.id, order.id))
      expect(res).toHaveStatus(200)
      expect(res).toHaveJsonBody(order)
    })

    it("GET /api/users/:userId/orders/:orderId answers 404 order_not_found for another user's order, not 200 or 403", async () => {
      const rng = random()
      const w = world(rng)
      const { order, strangers } = foreignOrder(rng, w)
      const api = appFor(w)
      for (const stranger of strangers) {
        const res = await api.get(item(stranger.id, order.id))
        expect(res).toHaveStatus(404)
        expect(res).toHaveJsonBody(ORDER_NOT_FOUND)
      }
    })

    it('GET /api/users/:userId/orders/:orderId answers 404 order_not_found for an order nobody holds', async () => {
      const rng = random()
      const w = world(rng)
      const res = await appFor(w).get(item(rng.pick(w.users).id, maxOrderId(w) + rng.int(1, 20)))
      expect(res).toHaveStatus(404)
      expect(res).toHaveJsonBody(ORDER_NOT_FOUND)
    })

    it('GET /api/users/:userId/orders/:orderId answers 404 user_not_found under a missing user', async () => {
      const rng = random()
      const w = world(rng)
      const api = appFor(w)
      for (const id of missingUserIds(rng, w)) {
        const res = await api.get(item(id, rng.pick(w.orders).id))
        expect(res).toHaveStatus(404)
        expect(res).toHaveJsonBody(USER_NOT_FOUND)
      }
    })
  })

  task(3, 'Create an order for the user in the path', () => {
    it('POST /api/users/:userId/orders answers 201 with the order, owned by the user in the path', async () => {
      const rng = random()
      const w = world(rng)
      const user = rng.pick(w.users)
      const input = newOrder(rng)
      const res = await appFor(w).post(list(user.id), { json: input })
      expect(res).toHaveStatus(201)
      expect(res).toHaveJsonBody({ id: maxOrderId(w) + 1, userId: user.id, ...input })
    })

    it('POST /api/users/:userId/orders sets Location to the order under its user', async () => {
      const rng = random()
      const w = world(rng)
      const user = rng.pick(w.users)
      const input = newOrder(rng)
      const api = appFor(w)
      const res = await api.post(list(user.id), { json: input })
      expect(res).toHaveStatus(201)
      expect(res).toHaveHeader('location')
      const id = maxOrderId(w) + 1
      // A relative reference or an absolute URL: only the path is the contract.
      const path = new URL(res.headers['location']!, 'http://api.test').pathname
      focusOn(res)
      expect(path, 'Location must name the order under its user').toBe(item(user.id, id))
      const fetched = await api.get(path)
      expect(fetched).toHaveStatus(200)
      expect(fetched).toHaveJsonBody({ id, userId: user.id, ...input })
    })

    it("POST /api/users/:userId/orders adds the order to that user's list only", async () => {
      const rng = random()
      const w = world(rng)
      const user = rng.pick(w.users)
      const input = newOrder(rng)
      const api = appFor(w)
      expect(await api.post(list(user.id), { json: input })).toHaveStatus(201)
      const created: Order = { id: maxOrderId(w) + 1, userId: user.id, ...input }
      const after: World = { ...w, orders: [...w.orders, created] }
      await expectListsToMatch(api, after)
    })

    it('POST /api/users/:userId/orders ignores a userId or ownerId in the body', async () => {
      const rng = random()
      const w = world(rng)
      const [user, other] = rng.shuffle(w.users)
      const input = newOrder(rng)
      const api = appFor(w)
      const res = await api.post(list(user!.id), {
        json: { ...input, userId: other!.id, ownerId: other!.id },
      })
      const created = { id: maxOrderId(w) + 1, userId: user!.id, ...input }
      expect(res).toHaveStatus(201)
      expect(res).toHaveJsonBody(created)
      expect(await api.get(list(other!.id))).toHaveJsonBody(ordersOf(w, other!))
      expect(await api.get(list(user!.id))).toHaveJsonBody([...ordersOf(w, user!), created])
    })

    it('POST /api/users/:userId/orders ignores an id and other extra fields in the body', async () => {
      const rng = random()
      const w = world(rng)
      const user = rng.pick(w.users)
      const taken = rng.pick(w.orders)
      const input = newOrder(rng)
      const api = appFor(w)
      const res = await api.post(list(user.id), {
        json: { ...input, id: taken.id, status: 'paid', [`x${rng.word()}`]: rng.word() },
      })
      const created = { id: maxOrderId(w) + 1, userId: user.id, ...input }
      expect(res).toHaveStatus(201)
      expect(res).toHaveJsonBody(created)
      expect(await api.get(item(user.id, created.id))).toHaveJsonBody(created)
      expect(await api.get(item(taken.userId, taken.id))).toHaveJsonBody(taken)
    })

    it('POST /api/users/:userId/orders numbers orders on from the highest order id of any user', async () => {
      const rng = random()
      const w = world(rng)
      // The owner whose newest order is oldest, so numbering from their own orders goes wrong.
      const newest = (u: User) => Math.max(...ordersOf(w, u).map((o) => o.id))
      const user = w.owners.reduce((a, b) => (newest(a) < newest(b) ? a : b))
      const api = appFor(w)
      const first = newOrder(rng)
      const second = newOrder(rng)
      const a = await api.post(list(user.id), { json: first })
      expect(a).toHaveJsonBody({ id: maxOrderId(w) + 1, userId: user.id, ...first })
      const b = await api.post(list(w.idle.id), { json: second })
      expect(b).toHaveJsonBody({ id: maxOrderId(w) + 2, userId: w.idle.id, ...second })
    })

    it('POST /api/users/:userId/orders gives the first order of an empty store id 1', async () => {
      const rng = random()
      const user = { id: rng.int(1, 50), name: 'Ada' }
      const input = newOrder(rng)
      const api = client(build(createApp, { users: [user] }))
      const res = await api.post(list(user.id), { json: input })
      expect(res).toHaveStatus(201)
      expect(res).toHaveJsonBody({ id: 1, userId: user.id, ...input })
    })
  })

  task(4, 'Refuse bad orders', () => {
    it('POST /api/users/:userId/orders answers 404 user_not_found for a missing user and creates nothing', async () => {
      const rng = random()
      const w = world(rng)
      const api = appFor(w)
      const res = await api.post(list(missingUserId(rng, w)), { json: newOrder(rng) })
      expect(res).toHaveStatus(404)
      expect(res).toHaveJsonBody(USER_NOT_FOUND)
      await expectListsToMatch(api, w)
      // ...and no order was stored out of sight: the next one still gets the next id.
      const user = rng.pick(w.users)
      const input = newOrder(rng)
      expect(await api.post(list(user.id), { json: input })).toHaveJsonBody({
        id: maxOrderId(w) + 1,
        userId: user.id,
        ...input,
      })
    })

    it('POST /api/users/:userId/orders answers 404 for a missing user even if the body is invalid', async () => {
      const rng = random()
      const w = world(rng)
      const res = await appFor(w).post(list(missingUserId(rng, w)), { json: { quantity: 0 } })
      expect(res).toHaveStatus(404)
      expect(res).toHaveJsonBody(USER_NOT_FOUND)
    })

    it.each(invalidBodies)(
      'POST /api/users/:userId/orders answers 400 invalid_order when %s',
      async (_, text) => {
        const rng = random()
        const w = world(rng)
        const api = appFor(w)
        const res = await api.post(list(rng.pick(w.users).id), {
          headers: { 'Content-Type': 'application/json' },
          body: text,
        })
        expect(res).toHaveStatus(400)
        expect(res).toHaveJsonBody(expect.objectContaining({ error: 'invalid_order' }))
        await expectListsToMatch(api, w)
      },
    )

    it('POST /api/users/:userId/orders answers 400 invalid_order for malformed JSON and creates nothing', async () => {
      const rng = random()
      const w = world(rng)
      const user = rng.pick(w.users)
      const api = appFor(w)
      const res = await api.post(list(user.id), {
        headers: { 'Content-Type': 'application/json' },
        body: '{"item": "lamp", "quantity": ',
      })
      expect(res).toHaveStatus(400)
      expect(res).toHaveJsonBody(expect.objectContaining({ error: 'invalid_order' }))
      expect(await api.get(list(user.id))).toHaveJsonBody(ordersOf(w, user))
    })

    it('POST /api/users/:userId/orders accepts a quantity of exactly 1', async () => {
      const rng = random()
      const w = world(rng)
      const user = rng.pick(w.users)
      const input = { item: rng.word(4, 10), quantity: 1 }
      const res = await appFor(w).post(list(user.id), { json: input })
      expect(res).toHaveStatus(201)
      expect(res).toHaveJsonBody({ id: maxOrderId(w) + 1, userId: user.id, ...input })
    })
  })

  task(5, 'Delete an order through its user', () => {
    it('DELETE /api/users/:userId/orders/:orderId answers 204 with an empty body', async () => {
      const rng = random()
      const w = world(rng)
      const order = rng.pick(w.orders)
      const res = await appFor(w).delete(item(order.userId, order.id))
      expect(res).toHaveStatus(204)
      expect(res).toHaveEmptyBody()
    })

    it("DELETE /api/users/:userId/orders/:orderId removes the order from its URL and its user's list", async () => {
      const rng = random()
      const w = world(rng)
      const gone = rng.pick(w.orders)
      const api = appFor(w)
      expect(await api.delete(item(gone.userId, gone.id))).toHaveStatus(204)
      const res = await api.get(item(gone.userId, gone.id))
      expect(res).toHaveStatus(404)
      expect(res).toHaveJsonBody(ORDER_NOT_FOUND)
      await expectListsToMatch(api, { ...w, orders: w.orders.filter((o) => o !== gone) })
    })

    it('DELETE /api/users/:userId/orders/:orderId answers 404 order_not_found the second time', async () => {
      const rng = random()
      const w = world(rng)
      const order = rng.pick(w.orders)
      const api = appFor(w)
      expect(await api.delete(item(order.userId, order.id))).toHaveStatus(204)
      const again = await api.delete(item(order.userId, order.id))
      expect(again).toHaveStatus(404)
      expect(again).toHaveJsonBody(ORDER_NOT_FOUND)
    })

    it("DELETE /api/users/:userId/orders/:orderId answers 404 for another user's order and deletes nothing", async () => {
      const rng = random()
      const w = world(rng)
      const { owner, order, strangers } = foreignOrder(rng, w)
      const api = appFor(w)
      for (const stranger of strangers) {
        const res = await api.delete(item(stranger.id, order.id))
        expect(res).toHaveStatus(404)
        expect(res).toHaveJsonBody(ORDER_NOT_FOUND)
      }
      const still = await api.get(item(owner.id, order.id))
      expect(still, 'the order must still be there under its real owner').toHaveStatus(200)
      expect(still).toHaveJsonBody(order)
      await expectListsToMatch(api, w)
    })

    it('DELETE /api/users/:userId/orders/:orderId answers 404 user_not_found under a missing user and deletes nothing', async () => {
      const rng = random()
      const w = world(rng)
      const order = rng.pick(w.orders)
      const api = appFor(w)
      for (const id of missingUserIds(rng, w)) {
        const res = await api.delete(item(id, order.id))
        expect(res).toHaveStatus(404)
        expect(res).toHaveJsonBody(USER_NOT_FOUND)
      }
      expect(await api.get(item(order.userId, order.id))).toHaveJsonBody(order)
    })

    it('POST /api/users/:userId/orders never reuses the id of a deleted order', async () => {
      const rng = random()
      const w = world(rng)
      const top = w.orders.find((o) => o.id === maxOrderId(w))!
      const api = appFor(w)
      expect(await api.delete(item(top.userId, top.id))).toHaveStatus(204)
      const user = rng.pick(w.users)
      const input = newOrder(rng)
      const res = await api.post(list(user.id), { json: input })
      expect(res).toHaveStatus(201)
      expect(res).toHaveJsonBody({ id: top.id + 1, userId: user.id, ...input })
    })

    it('keeps each app its own store, even when both start from the same arrays', async () => {
      const rng = random()
      const w = world(rng)
      const { users, orders } = structuredClone(w)
      const first = client(build(createApp, { users, orders }))
      const second = client(build(createApp, { users, orders }))
      const gone = rng.pick(w.orders)
      expect(await first.delete(item(gone.userId, gone.id))).toHaveStatus(204)
      const created = await first.post(list(rng.pick(w.users).id), { json: newOrder(rng) })
      expect(created).toHaveStatus(201)
      await expectListsToMatch(second, w)
      const user = rng.pick(w.users)
      const input = newOrder(rng)
      const res = await second.post(list(user.id), { json: input })
      expect(res).toHaveJsonBody({ id: maxOrderId(w) + 1, userId: user.id, ...input })
    })

    it('never changes the arrays (or the objects in them) it was given', async () => {
      const rng = random()
      const w = world(rng)
      const { users, orders } = structuredClone(w)
      const api = client(build(createApp, { users, orders }))
      const gone = rng.pick(w.orders)
      expect(await api.post(list(rng.pick(w.users).id), { json: newOrder(rng) })).toHaveStatus(201)
      const deleted = await api.delete(item(gone.userId, gone.id))
      expect(deleted).toHaveStatus(204)
      focusOn(deleted)
      expect(users, 'the users array passed to createApp was changed').toEqual(w.users)
      expect(orders, 'the orders array passed to createApp was changed').toEqual(w.orders)
    })
  })
})
