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
//   in place
import { describe, expect, it } from 'vitest'
import { client, focusOn, random, type Client, type Rng } from '../../harness/spec-kit/index.ts'
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
  client(createApp({ users: structuredClone(w.users), orders: structuredClone(w.orders) }))

const ordersOf = (w: World, user: User) =>
  w.orders.filter((o) => o.userId === user.id).sort((a, b) => a.id - b.id)
const maxOrderId = (w: World) => Math.max(...w.orders.map((o) => o.id))

/** A user id nobody holds: in a gap between two users, or above the highest. */
const missingUserId = (rng: Rng, w: World) => {
  const ids = w.users.map((u) => u.id)
  return rng.pick([Math.min(...ids) + 1, Math.max(...ids) + rng.int(1, 30)])
}

/** An order, its owner, and another user (maybe one without orders) to ask for it through. */
function foreignOrder(rng: Rng, w: World) {
  const owner = rng.pick(w.owners)
  const order = rng.pick(ordersOf(w, owner))
  const stranger = rng.pick(w.users.filter((u) => u !== owner))
  return { owner, order, stranger }
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

const invalidBodies: [string, unknown][] = [
  ['item is missing', { quantity: 2 }],
  ['item is only spaces', { item: '   ', quantity: 2 }],
  ['quantity is missing', { item: 'lamp' }],
  ['quantity is 0', { item: 'lamp', quantity: 0 }],
  ['quantity is not a whole number', { item: 'lamp', quantity: 1.5 }],
  ['quantity is a string', { item: 'lamp', quantity: '2' }],
  ['the body is an array', [{ item: 'lamp', quantity: 2 }]],
]

describe('nested-resources', () => {
  describe('GET /api/users/:userId/orders', () => {
    it("lists only that user's orders, in ascending id order", async () => {
      const w = world(random())
      const api = appFor(w)
      for (const owner of w.owners) {
        const res = await api.get(list(owner.id))
        expect(res).toHaveStatus(200)
        expect(res).toHaveJsonBody(ordersOf(w, owner))
      }
    })

    it('answers [] for a user without orders', async () => {
      const w = world(random())
      const res = await appFor(w).get(list(w.idle.id))
      expect(res).toHaveStatus(200)
      expect(res).toHaveJsonBody([])
    })

    it('answers 404 user_not_found for a missing user, not []', async () => {
      const rng = random()
      const w = world(rng)
      const res = await appFor(w).get(list(missingUserId(rng, w)))
      expect(res).toHaveStatus(404)
      expect(res).toHaveJsonBody(USER_NOT_FOUND)
    })
  })

  describe('GET /api/users/:userId/orders/:orderId', () => {
    it('answers 200 with the order', async () => {
      const rng = random()
      const w = world(rng)
      const owner = rng.pick(w.owners)
      const order = rng.pick(ordersOf(w, owner))
      const res = await appFor(w).get(item(owner.id, order.id))
      expect(res).toHaveStatus(200)
      expect(res).toHaveJsonBody(order)
    })

    it("answers 404 order_not_found for another user's order, not 200 or 403", async () => {
      const rng = random()
      const w = world(rng)
      const { order, stranger } = foreignOrder(rng, w)
      const res = await appFor(w).get(item(stranger.id, order.id))
      expect(res).toHaveStatus(404)
      expect(res).toHaveJsonBody(ORDER_NOT_FOUND)
    })

    it('answers 404 order_not_found for an order nobody holds', async () => {
      const rng = random()
      const w = world(rng)
      const res = await appFor(w).get(item(rng.pick(w.users).id, maxOrderId(w) + rng.int(1, 20)))
      expect(res).toHaveStatus(404)
      expect(res).toHaveJsonBody(ORDER_NOT_FOUND)
    })

    it('answers 404 user_not_found under a missing user', async () => {
      const rng = random()
      const w = world(rng)
      const res = await appFor(w).get(item(missingUserId(rng, w), rng.pick(w.orders).id))
      expect(res).toHaveStatus(404)
      expect(res).toHaveJsonBody(USER_NOT_FOUND)
    })
  })

  describe('POST /api/users/:userId/orders', () => {
    it('answers 201 with the order, owned by the user in the path', async () => {
      const rng = random()
      const w = world(rng)
      const user = rng.pick(w.users)
      const input = newOrder(rng)
      const res = await appFor(w).post(list(user.id), { json: input })
      expect(res).toHaveStatus(201)
      expect(res).toHaveJsonBody({ id: maxOrderId(w) + 1, userId: user.id, ...input })
    })

    it('sets Location to the order under its user', async () => {
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
      expect(path, 'Location must name the order under its user').toBe(item(user.id, id))
      const fetched = await api.get(path)
      expect(fetched).toHaveStatus(200)
      expect(fetched).toHaveJsonBody({ id, userId: user.id, ...input })
    })

    it("adds the order to that user's list only", async () => {
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

    it('ignores a userId or ownerId in the body', async () => {
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

    it('ignores an id and other extra fields in the body', async () => {
      const rng = random()
      const w = world(rng)
      const user = rng.pick(w.users)
      const taken = rng.pick(w.orders)
      const input = newOrder(rng)
      const api = appFor(w)
      const res = await api.post(list(user.id), {
        json: { ...input, id: taken.id, status: 'paid', [rng.word()]: rng.word() },
      })
      const created = { id: maxOrderId(w) + 1, userId: user.id, ...input }
      expect(res).toHaveStatus(201)
      expect(res).toHaveJsonBody(created)
      expect(await api.get(item(user.id, created.id))).toHaveJsonBody(created)
      expect(await api.get(item(taken.userId, taken.id))).toHaveJsonBody(taken)
    })

    it('numbers orders on from the highest order id of any user', async () => {
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

    it('gives the first order of an empty store id 1', async () => {
      const rng = random()
      const user = { id: rng.int(1, 50), name: 'Ada' }
      const input = newOrder(rng)
      const res = await client(createApp({ users: [user] })).post(list(user.id), { json: input })
      expect(res).toHaveStatus(201)
      expect(res).toHaveJsonBody({ id: 1, userId: user.id, ...input })
    })

    it('never reuses the id of a deleted order', async () => {
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

    it('answers 404 user_not_found for a missing user and creates nothing', async () => {
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

    it('answers 404 for a missing user even if the body is invalid', async () => {
      const rng = random()
      const w = world(rng)
      const res = await appFor(w).post(list(missingUserId(rng, w)), { json: { quantity: 0 } })
      expect(res).toHaveStatus(404)
      expect(res).toHaveJsonBody(USER_NOT_FOUND)
    })

    it.each(invalidBodies)('answers 400 invalid_order when %s', async (_, body) => {
      const rng = random()
      const w = world(rng)
      const res = await appFor(w).post(list(rng.pick(w.users).id), { json: body })
      expect(res).toHaveStatus(400)
      expect(res).toHaveJsonBody(expect.objectContaining({ error: 'invalid_order' }))
    })

    it('answers 400 invalid_order for malformed JSON and creates nothing', async () => {
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
  })

  describe('DELETE /api/users/:userId/orders/:orderId', () => {
    it('answers 204 with an empty body', async () => {
      const rng = random()
      const w = world(rng)
      const order = rng.pick(w.orders)
      const res = await appFor(w).delete(item(order.userId, order.id))
      expect(res).toHaveStatus(204)
      expect(res).toHaveEmptyBody()
    })

    it("removes the order from its URL and its user's list", async () => {
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

    it('answers 404 order_not_found the second time', async () => {
      const rng = random()
      const w = world(rng)
      const order = rng.pick(w.orders)
      const api = appFor(w)
      expect(await api.delete(item(order.userId, order.id))).toHaveStatus(204)
      const again = await api.delete(item(order.userId, order.id))
      expect(again).toHaveStatus(404)
      expect(again).toHaveJsonBody(ORDER_NOT_FOUND)
    })

    it("answers 404 for another user's order and deletes nothing", async () => {
      const rng = random()
      const w = world(rng)
      const { owner, order, stranger } = foreignOrder(rng, w)
      const api = appFor(w)
      const res = await api.delete(item(stranger.id, order.id))
      expect(res).toHaveStatus(404)
      expect(res).toHaveJsonBody(ORDER_NOT_FOUND)
      const still = await api.get(item(owner.id, order.id))
      expect(still, 'the order must still be there under its real owner').toHaveStatus(200)
      expect(still).toHaveJsonBody(order)
      await expectListsToMatch(api, w)
    })

    it('answers 404 user_not_found under a missing user and deletes nothing', async () => {
      const rng = random()
      const w = world(rng)
      const order = rng.pick(w.orders)
      const api = appFor(w)
      const res = await api.delete(item(missingUserId(rng, w), order.id))
      expect(res).toHaveStatus(404)
      expect(res).toHaveJsonBody(USER_NOT_FOUND)
      expect(await api.get(item(order.userId, order.id))).toHaveJsonBody(order)
    })
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
  })

  it('keeps each app its own store, even when both start from the same arrays', async () => {
    const rng = random()
    const w = world(rng)
    const { users, orders } = structuredClone(w)
    const first = client(createApp({ users, orders }))
    const second = client(createApp({ users, orders }))
    const gone = rng.pick(w.orders)
    expect(await first.delete(item(gone.userId, gone.id))).toHaveStatus(204)
    expect(await first.post(list(rng.pick(w.users).id), { json: newOrder(rng) })).toHaveStatus(201)
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
    const api = client(createApp({ users, orders }))
    const gone = rng.pick(w.orders)
    expect(await api.post(list(rng.pick(w.users).id), { json: newOrder(rng) })).toHaveStatus(201)
    const deleted = await api.delete(item(gone.userId, gone.id))
    expect(deleted).toHaveStatus(204)
    focusOn(deleted)
    expect(users, 'the users array passed to createApp was changed').toEqual(w.users)
    expect(orders, 'the orders array passed to createApp was changed').toEqual(w.orders)
  })
})
