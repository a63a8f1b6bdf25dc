// bulk-operations - the hidden spec.
//
// Wrong implementations this spec is built to catch:
// - results out of input order (created items first, failures after), indexes missing, counted
//   from 1, or only failed items listed
// - partial mode that stops at the first failing item (later valid items never created or never
//   reported), or that fails the whole batch like atomic mode
// - atomic mode that creates items one by one and returns 422 at the first invalid one, leaving
//   the earlier items created (half-applied); or lists only the first failing index
// - ids consumed by items that were not created: a rolled-back atomic batch or a failed item in
//   partial mode leaves a gap (ids minted while validating, or `base + index`)
// - two items with the same email in one batch both created (duplicates only checked against
//   the store), emails compared case-sensitively, or an item that fails anyway still claiming
//   its email so that a later valid item is refused
// - only the first problem of an item reported, or a duplicate hidden behind an invalid name
// - 201 (or 200) for a mixed batch, 201 or 207 for a batch where nothing was created
// - batch limit off by one (`>=` instead of `>`), a hard-coded 100 instead of `maxBatchSize`,
//   the limit checked after items were created, 400 instead of 413
// - an empty array accepted (201 with no results), a non-array body wrapped or crashing to 500,
//   malformed JSON as 500
// - `?atomic=1`, `?atomic=yes` quietly treated as partial mode
// - client-sent `id` or extra fields stored; the name trimmed or the email lower-cased when stored
// - an item copied with `Object.assign`, so a `"__proto__"` member lends it a name and email
// - an email rule that wants a dot in the domain (`a@b` refused), or that trims the email first
//   (a leading or trailing space accepted)
// - ids starting at -Infinity or 0 in an empty store (`Math.max(...[])`)
// - duplicates checked against the seed contacts only, not those created by earlier batches
// - unknown paths answered with Hono's text 404 instead of JSON
// - a module-level store shared between apps, the caller's array changed, or the caller's
//   objects kept so that its later edits reach the store
import { describe, expect, it } from 'vitest'
import {
  build,
  client,
  focusOn,
  random,
  task,
  type Reply,
  type Rng,
} from '../../harness/spec-kit/index.ts'
import { createApp, type Contact } from '../../exercises/bulk-operations/app.ts'

type Field = 'name' | 'email' | null
type Code = 'invalid' | 'duplicate'
type Err = [Field, Code]

/** One item of a batch as the spec builds it: what is sent and what the API must make of it. */
interface Case {
  item: unknown
  /** The errors the item must fail with, or undefined when it must be created. */
  errors?: Err[]
}

const BATCH = '/api/contacts/batch'
const ATOMIC = '/api/contacts/batch?atomic=true'
const cap = (word: string) => word[0]!.toUpperCase() + word.slice(1)

type Person = { name: string; email: string }
type Next = () => Person

/** A source of names and emails that never repeats an email within one test. */
function people(rng: Rng): Next {
  let n = 0
  return () => {
    n++
    const name = cap(rng.word(3, 8))
    return { name, email: `${name.toLowerCase()}${n}@${rng.word(4, 7)}.test` }
  }
}

/** 2 to 5 contacts with increasing, non-contiguous ids, handed over in shuffled order. */
function seedContacts(rng: Rng, next: Next): Contact[] {
  const contacts: Contact[] = []
  let id = rng.int(1, 5)
  for (let n = rng.int(2, 5); n > 0; n--) {
    contacts.push({ id, ...next() })
    id += rng.int(2, 9)
  }
  const shuffled = rng.shuffle(contacts)
  return shuffled.every((c, i) => c.id === contacts[i]!.id) ? shuffled.reverse() : shuffled
}

const byId = (contacts: Contact[]) => [...contacts].sort((a, b) => a.id - b.id)
const maxId = (contacts: Contact[]) => Math.max(...contacts.map((c) => c.id))
const appFor = (contacts: Contact[], maxBatchSize?: number) =>
  build(createApp, {
    contacts: structuredClone(contacts),
    ...(maxBatchSize ? { maxBatchSize } : {}),
  })

/** Changes the case of some letters: still the same email address. */
function recase(rng: Rng, email: string): string {
  const upper = email.toUpperCase()
  return upper === email ? email : rng.next() < 0.5 ? upper : cap(email)
}

const BAD_NAMES: unknown[] = ['', '   ', 42, null]
const BAD_EMAILS: unknown[] = [
  'ada.example.test',
  'ada@home@example.test',
  '@example.test',
  'ada@',
  'ada lovelace@example.test',
  7,
]
const NOT_OBJECTS: unknown[] = [
  null,
  7,
  'ada@example.test',
  true,
  [{ name: 'Ada', email: 'ada@example.test' }],
]

const BAD_NAME: Err = ['name', 'invalid']
const BAD_EMAIL: Err = ['email', 'invalid']
const DUPLICATE: Err = ['email', 'duplicate']
/** An item the API must refuse with exactly these errors. */
const fails = (item: unknown, ...errors: Err[]): Case => ({ item, errors })

/**
 * A batch of `size` items mixing valid ones with every kind of failure, and the verdict the API
 * must reach for each. `existing` are emails already in the store. With `mixed`, the batch holds
 * at least one item that fails before one that is created, and at least one of each.
 */
function mix(rng: Rng, next: Next, existing: string[], size: number, mixed = true): Case[] {
  const claimed: string[] = []
  const badName = () => rng.pick(BAD_NAMES)
  const badEmail = () => rng.pick(BAD_EMAILS)
  const cases: Case[] = []
  const kinds = [
    ...['valid', 'valid', 'badName', 'noName', 'badEmail', 'noEmail', 'both'],
    ...['notObject', 'dupStore', 'dupBatch', 'badNameDup'],
  ]
  for (let i = 0; i < size; i++) {
    let kind = rng.pick(kinds)
    if (mixed && i === 0) kind = rng.pick(['badName', 'badEmail', 'notObject', 'dupStore'])
    if (mixed && i === size - 1 && cases.every((c) => c.errors)) kind = 'valid'
    if (kind === 'dupBatch' && claimed.length === 0) kind = 'valid'
    if ((kind === 'dupStore' || kind === 'badNameDup') && existing.length === 0) kind = 'badEmail'
    const { name, email } = next()
    switch (kind) {
      case 'valid':
        claimed.push(email)
        cases.push({ item: { name, email } })
        break
      case 'badName':
        cases.push(fails({ name: badName(), email }, BAD_NAME))
        break
      case 'noName':
        cases.push(fails({ email }, BAD_NAME))
        break
      case 'badEmail':
        cases.push(fails({ name, email: badEmail() }, BAD_EMAIL))
        break
      case 'noEmail':
        cases.push(fails({ name }, BAD_EMAIL))
        break
      case 'both':
        cases.push(fails({ name: badName(), email: badEmail() }, BAD_NAME, BAD_EMAIL))
        break
      case 'notObject':
        cases.push(fails(rng.pick(NOT_OBJECTS), [null, 'invalid']))
        break
      case 'dupStore':
        cases.push(fails({ name, email: recase(rng, rng.pick(existing)) }, DUPLICATE))
        break
      case 'dupBatch':
        cases.push(fails({ name, email: recase(rng, rng.pick(claimed)) }, DUPLICATE))
        break
      case 'badNameDup':
        cases.push(fails({ name: badName(), email: rng.pick(existing) }, BAD_NAME, DUPLICATE))
        break
    }
  }
  return cases
}

/** The contacts a batch creates, numbered on from `lastId` in input order. */
function creations(cases: Case[], lastId: number): Contact[] {
  let id = lastId
  return cases
    .filter((c) => !c.errors)
    .map((c) => {
      const { name, email } = c.item as { name: string; email: string }
      return { id: ++id, name, email }
    })
}

/** The partial-mode body the batch must produce, in the shape `summary` reads. */
function expectedResults(cases: Case[], lastId: number) {
  const made = creations(cases, lastId)
  let k = 0
  const results = cases.map((c, index) =>
    c.errors
      ? { index, status: 422, errors: errorKeys(c.errors) }
      : { index, status: 201, item: made[k++] },
  )
  return { results, created: made.length, failed: cases.length - made.length }
}

const errorKeys = (errors: Err[]) => [...new Set(errors.map(([f, code]) => `${f}:${code}`))].sort()

/** Reads a per-item error list as sorted `field:code` keys; anything else comes back as is. */
function keysOf(errors: unknown): unknown {
  if (!Array.isArray(errors)) return errors
  return [
    ...new Set(
      errors.map((e: unknown) => {
        const { field, code } = (e ?? {}) as { field?: unknown; code?: unknown }
        return `${field === undefined ? 'undefined' : String(field)}:${String(code)}`
      }),
    ),
  ].sort()
}

/**
 * The members of a results body the contract fixes: index, status, item or errors (as keys),
 * created and failed. Extra members are allowed and left out.
 */
function summary(body: unknown): unknown {
  const b = body as { results?: unknown; created?: unknown; failed?: unknown } | undefined
  if (!b || !Array.isArray(b.results)) return body
  const results = b.results.map((r: unknown) => {
    const { index, status, item, errors } = (r ?? {}) as Record<string, unknown>
    return status === 201 ? { index, status, item } : { index, status, errors: keysOf(errors) }
  })
  return { results, created: b.created, failed: b.failed }
}

/** The members of an atomic rejection the contract fixes: error and failures (index, errors). */
function rejection(body: unknown): unknown {
  const b = body as { error?: unknown; failures?: unknown } | undefined
  if (!b || !Array.isArray(b.failures)) return body
  const failures = b.failures.map((f: unknown) => {
    const { index, errors } = (f ?? {}) as Record<string, unknown>
    return { index, errors: keysOf(errors) }
  })
  return { error: b.error, failures }
}

function expectedRejection(cases: Case[]) {
  return {
    error: 'batch_rejected',
    failures: cases.flatMap((c, index) =>
      c.errors ? [{ index, errors: errorKeys(c.errors) }] : [],
    ),
  }
}

function expectResults(reply: Reply, status: number, expected: unknown): void {
  expect(reply).toHaveStatus(status)
  expect(reply).toHaveJsonBody(expect.anything())
  focusOn(reply)
  expect(summary(reply.body), 'the results body is not what was expected').toEqual(expected)
}

function expectRejection(reply: Reply, cases: Case[]): void {
  expect(reply).toHaveStatus(422)
  expect(reply).toHaveJsonBody(expect.anything())
  focusOn(reply)
  expect(rejection(reply.body), 'the rejection body is not what was expected').toEqual(
    expectedRejection(cases),
  )
}

/** Everything a test needs: seeded contacts, a name source, an app and its client. */
function setup(maxBatchSize?: number) {
  const rng = random()
  const next = people(rng)
  const contacts = seedContacts(rng, next)
  const api = client(appFor(contacts, maxBatchSize))
  const emails = contacts.map((c) => c.email)
  return { rng, next, contacts, api, emails }
}

const valid = (next: Next, count: number): Case[] =>
  Array.from({ length: count }, () => ({ item: next() }))

const items = (cases: Case[]) => cases.map((c) => c.item)

describe('bulk-operations', () => {
  task(1, 'Create a batch of valid contacts', () => {
    it('GET /api/contacts lists the seeded contacts in ascending id order', async () => {
      const { api, contacts } = setup()
      const res = await api.get('/api/contacts')
      expect(res).toHaveStatus(200)
      expect(res).toHaveJsonBody(byId(contacts))
    })

    it('answers 201 with one result per item, in input order, when all are created', async () => {
      const { rng, next, contacts, api } = setup()
      const cases = valid(next, rng.int(2, 8))
      const res = await api.post(BATCH, { json: items(cases) })
      expectResults(res, 201, expectedResults(cases, maxId(contacts)))
    })

    it('stores the created contacts under consecutive ids after the highest one', async () => {
      const { rng, next, contacts, api } = setup()
      const cases = valid(next, rng.int(2, 8))
      expect(await api.post(BATCH, { json: items(cases) })).toHaveStatus(201)
      const list = await api.get('/api/contacts')
      expect(list).toHaveJsonBody([...byId(contacts), ...creations(cases, maxId(contacts))])
    })

    it('numbers the first contact of an empty store 1', async () => {
      const rng = random()
      const next = people(rng)
      for (const options of [undefined, {}, { contacts: [] }]) {
        const api = client(build(createApp, options))
        const cases = valid(next, rng.int(1, 4))
        const res = await api.post(BATCH, { json: items(cases) })
        expectResults(res, 201, expectedResults(cases, 0))
        expect(await api.get('/api/contacts')).toHaveJsonBody(creations(cases, 0))
      }
    })

    it('stores the name and the email exactly as sent', async () => {
      const { rng, next, contacts, api } = setup()
      // Spaces around and inside a name, capitals in an email: kept, not trimmed or lower-cased.
      const shout = (email: string) => email.toUpperCase()
      const cases: Case[] = [
        { item: { name: ` ${next().name}  ${cap(rng.word(2, 5))} `, email: shout(next().email) } },
        { item: { name: `${next().name} `, email: cap(next().email) } },
      ]
      const res = await api.post(BATCH, { json: items(cases) })
      expectResults(res, 201, expectedResults(cases, maxId(contacts)))
      const list = await api.get('/api/contacts')
      expect(list).toHaveJsonBody([...byId(contacts), ...creations(cases, maxId(contacts))])
    })

    it('ignores a client-sent id and fields other than name and email', async () => {
      const { rng, next, contacts, api } = setup()
      const inputs = [next(), next()]
      const sent = [
        { id: rng.pick(contacts).id, ...inputs[0]! },
        { ...inputs[1]!, role: 'admin', [rng.word()]: rng.word() },
      ]
      const cases = inputs.map((item) => ({ item }))
      const res = await api.post(BATCH, { json: sent })
      expectResults(res, 201, expectedResults(cases, maxId(contacts)))
      const list = await api.get('/api/contacts')
      expect(list).toHaveJsonBody([...byId(contacts), ...creations(cases, maxId(contacts))])
    })

    it('answers 404 with JSON { "error": "not_found" } for any other path', async () => {
      const { api } = setup()
      for (const path of ['/', '/api/contact', '/api/contacts/1', '/api/contacts/batch/extra']) {
        const res = await api.get(path)
        expect(res).toHaveStatus(404)
        expect(res).toHaveJsonBody(expect.objectContaining({ error: 'not_found' }))
      }
      const batch = [{ name: 'Ada', email: 'a@b' }]
      const other = await api.post('/api/contacts/batches', { json: batch })
      expect(other).toHaveStatus(404)
      expect(other).toHaveJsonBody(expect.objectContaining({ error: 'not_found' }))
    })

    it('keeps each app its own store, even when both start from the same array', async () => {
      const { rng, next, contacts } = setup()
      const first = client(build(createApp, { contacts }))
      const second = client(build(createApp, { contacts }))
      const batch = valid(next, rng.int(2, 5))
      expect(await first.post(BATCH, { json: items(batch) })).toHaveStatus(201)
      expect(await second.get('/api/contacts')).toHaveJsonBody(byId(contacts))
      // The same emails are still free in the second app, and its ids start where the seed ends.
      const res = await second.post(BATCH, { json: items(batch) })
      expectResults(res, 201, expectedResults(batch, maxId(contacts)))
    })

    it('never changes the array (or the contact objects) it was given', async () => {
      const { rng, next, contacts } = setup()
      const before = structuredClone(contacts)
      const api = client(build(createApp, { contacts }))
      expect(await api.post(BATCH, { json: items(valid(next, rng.int(2, 5))) })).toHaveStatus(201)
      expect(contacts, 'the contacts array passed to createApp was changed').toEqual(before)
    })

    it("keeps its own copy: the caller's later edits do not reach the store", async () => {
      const { rng, next, contacts } = setup()
      const given = structuredClone(contacts)
      const api = client(build(createApp, { contacts: given }))
      // After createApp and before any request, the caller edits a contact, adds one and drops one.
      const edited = rng.pick(given)
      edited.name = `${edited.name} Changed`
      edited.email = next().email
      given.push({ id: maxId(contacts) + rng.int(1, 5), ...next() })
      given.shift()
      expect(await api.get('/api/contacts')).toHaveJsonBody(byId(contacts))
      const cases = valid(next, rng.int(1, 3))
      const res = await api.post(BATCH, { json: items(cases) })
      expectResults(res, 201, expectedResults(cases, maxId(contacts)))
    })
  })

  task(2, 'Report invalid items without stopping', () => {
    it('keeps going after a failing item: every later valid item is created', async () => {
      const { rng, next, contacts, api } = setup()
      const cases: Case[] = [
        ...valid(next, rng.int(0, 2)),
        fails({ name: '', email: next().email }, BAD_NAME),
        ...valid(next, rng.int(2, 4)),
      ]
      const res = await api.post(BATCH, { json: items(cases) })
      expectResults(res, 207, expectedResults(cases, maxId(contacts)))
    })

    it('reports every problem of an item: a bad name and a bad email both', async () => {
      const { rng, next, contacts, api } = setup()
      const cases: Case[] = [
        fails({ name: rng.pick(BAD_NAMES), email: rng.pick(BAD_EMAILS) }, BAD_NAME, BAD_EMAIL),
        fails({}, BAD_NAME, BAD_EMAIL),
        ...valid(next, 1),
      ]
      const res = await api.post(BATCH, { json: items(cases) })
      expectResults(res, 207, expectedResults(cases, maxId(contacts)))
    })

    it('judges an email by the rule: one @, something on each side, no whitespace', async () => {
      const { rng, next, contacts, api } = setup()
      const sample = () => next().email
      const [local, domain] = sample().split('@') as [string, string]
      const bad = [
        '',
        `${sample()} `,
        ` ${sample()}`,
        `${local}@${domain.slice(0, 2)} ${domain.slice(2)}`,
        `${local.slice(0, 2)}\t${local.slice(2)}@${domain}`,
        `${local}@@${domain}`,
        `${local}@`,
        `@${domain}`,
      ]
      // The rule asks for no dot and allows any other character: these are created.
      const good = [
        `${rng.word(1, 1)}@${rng.word(1, 1)}`,
        `${rng.word(2, 4)}+${local}@${rng.word(3, 6)}`,
      ]
      const cases = rng.shuffle([
        ...bad.map((email) => fails({ name: next().name, email }, BAD_EMAIL)),
        ...good.map((email) => ({ item: { name: next().name, email } })),
      ])
      const res = await api.post(BATCH, { json: items(cases) })
      expectResults(res, 207, expectedResults(cases, maxId(contacts)))
    })

    it('fails an item that is not an object with { field: null, code: "invalid" }', async () => {
      const { next, contacts, api } = setup()
      const cases: Case[] = [
        ...NOT_OBJECTS.map((item) => fails(item, [null, 'invalid'])),
        ...valid(next, 1),
      ]
      const res = await api.post(BATCH, { json: items(cases) })
      expectResults(res, 207, expectedResults(cases, maxId(contacts)))
    })

    it("reads only an item's own members: __proto__ is one more ignored member", async () => {
      const { next, contacts, api } = setup()
      const [first, inherited, last] = [next(), next(), next()]
      const member = (person: Person, extra: string) =>
        `${JSON.stringify(person).slice(0, -1)},${extra}}`
      // Sent as text: in a JavaScript object literal, __proto__ would set the prototype instead.
      const body = `[${[
        member(first, '"__proto__":5'),
        `{"__proto__":${JSON.stringify(inherited)}}`,
        member(last, '"__proto__":{"id":1,"role":"admin"},"constructor":"x","prototype":null'),
      ].join(',')}]`
      const cases: Case[] = [{ item: first }, fails({}, BAD_NAME, BAD_EMAIL), { item: last }]
      const res = await api.post(BATCH, { headers: { 'Content-Type': 'application/json' }, body })
      expectResults(res, 207, expectedResults(cases, maxId(contacts)))
      const list = await api.get('/api/contacts')
      expect(list).toHaveJsonBody([...byId(contacts), ...creations(cases, maxId(contacts))])
    })

    it('answers 422 with every result when every item of a batch fails', async () => {
      const { rng, next, contacts, api } = setup()
      const cases = rng.shuffle([
        fails({ name: rng.pick(BAD_NAMES), email: next().email }, BAD_NAME),
        fails({ name: next().name, email: rng.pick(BAD_EMAILS) }, BAD_EMAIL),
        fails(rng.pick(NOT_OBJECTS), [null, 'invalid']),
        fails({}, BAD_NAME, BAD_EMAIL),
      ])
      const res = await api.post(BATCH, { json: items(cases) })
      expectResults(res, 422, expectedResults(cases, maxId(contacts)))
      expect(await api.get('/api/contacts')).toHaveJsonBody(byId(contacts))
    })
  })

  task(3, 'Refuse duplicate emails', () => {
    it('reports an email already in the store as a duplicate, whatever its case', async () => {
      const { rng, next, contacts, api } = setup()
      const taken = rng.pick(contacts)
      const cases: Case[] = [
        fails({ name: next().name, email: taken.email.toUpperCase() }, DUPLICATE),
        ...valid(next, 1),
        fails({ name: next().name, email: taken.email }, DUPLICATE),
      ]
      const res = await api.post(BATCH, { json: items(cases) })
      expectResults(res, 207, expectedResults(cases, maxId(contacts)))
    })

    it('counts an email created by an earlier batch as taken', async () => {
      const { rng, next, contacts, api } = setup()
      const earlier = valid(next, rng.int(1, 3))
      expect(await api.post(BATCH, { json: items(earlier) })).toHaveStatus(201)
      const made = creations(earlier, maxId(contacts))
      const cases: Case[] = [
        fails({ name: next().name, email: recase(rng, rng.pick(made).email) }, DUPLICATE),
        ...valid(next, 1),
      ]
      const res = await api.post(BATCH, { json: items(cases) })
      expectResults(res, 207, expectedResults(cases, maxId(contacts) + made.length))
    })

    it('creates the first item with an email and fails later ones as duplicates', async () => {
      const { rng, next, contacts, api } = setup()
      const first = next()
      const cases: Case[] = [
        ...valid(next, rng.int(0, 2)),
        { item: first },
        ...valid(next, rng.int(0, 2)),
        fails({ name: next().name, email: recase(rng, first.email) }, DUPLICATE),
        fails({ name: next().name, email: first.email }, DUPLICATE),
      ]
      const res = await api.post(BATCH, { json: items(cases) })
      expectResults(res, 207, expectedResults(cases, maxId(contacts)))
      const list = await api.get('/api/contacts')
      expect(list).toHaveJsonBody([...byId(contacts), ...creations(cases, maxId(contacts))])
    })

    it('lets an email go to a later item when the earlier item with it fails anyway', async () => {
      const { next, contacts, api } = setup()
      const { email } = next()
      const cases: Case[] = [
        fails({ name: '', email }, BAD_NAME),
        { item: { name: next().name, email } },
      ]
      const res = await api.post(BATCH, { json: items(cases) })
      expectResults(res, 207, expectedResults(cases, maxId(contacts)))
    })

    it('reports every problem of an item, a duplicate email included', async () => {
      const { rng, next, contacts, api, emails } = setup()
      const cases: Case[] = [
        fails({ name: rng.pick(BAD_NAMES), email: rng.pick(emails) }, BAD_NAME, DUPLICATE),
        ...valid(next, 1),
      ]
      const res = await api.post(BATCH, { json: items(cases) })
      expectResults(res, 207, expectedResults(cases, maxId(contacts)))
    })

    it('answers 207 for a mixed batch, creating valid items and reporting the rest', async () => {
      const { rng, next, contacts, api, emails } = setup()
      const cases = mix(rng, next, emails, rng.int(6, 14))
      const res = await api.post(BATCH, { json: items(cases) })
      expectResults(res, 207, expectedResults(cases, maxId(contacts)))
      const list = await api.get('/api/contacts')
      expect(list).toHaveJsonBody([...byId(contacts), ...creations(cases, maxId(contacts))])
    })

    it('does not use up ids for items that fail: the created ones stay consecutive', async () => {
      const { rng, next, contacts, api, emails } = setup()
      const cases = mix(rng, next, emails, rng.int(6, 12))
      expect(await api.post(BATCH, { json: items(cases) })).toHaveStatus(207)
      const made = creations(cases, maxId(contacts))
      const later = valid(next, 2)
      const res = await api.post(BATCH, { json: items(later) })
      expectResults(res, 201, expectedResults(later, maxId(contacts) + made.length))
    })

    it('answers 422 with every result when no item of a partial batch is created', async () => {
      const { rng, next, contacts, api, emails } = setup()
      // Every item fails: the valid ones get a blank name, and so do the duplicates of them,
      // which are no longer duplicates once the item they copied is not created.
      const stored = new Set(emails.map((e) => e.toLowerCase()))
      const mustFail = (c: Case) =>
        !c.errors ||
        (c.errors.length === 1 &&
          c.errors[0]![1] === 'duplicate' &&
          !stored.has(String((c.item as Contact).email).toLowerCase()))
      const cases = mix(rng, next, emails, rng.int(3, 8), false).map((c): Case =>
        mustFail(c) ? fails({ ...(c.item as object), name: ' ' }, BAD_NAME) : c,
      )
      const res = await api.post(BATCH, { json: items(cases) })
      expectResults(res, 422, expectedResults(cases, maxId(contacts)))
      expect(await api.get('/api/contacts')).toHaveJsonBody(byId(contacts))
    })

    it.each([['first'], ['second'], ['third']])(
      'grades random mixes in partial mode, round %s',
      async () => {
        const { rng, next, contacts, api, emails } = setup()
        let lastId = maxId(contacts)
        let all = byId(contacts)
        for (let round = 0; round < 2; round++) {
          const cases = mix(rng, next, emails, rng.int(5, 20))
          const res = await api.post(BATCH, { json: items(cases) })
          expectResults(res, 207, expectedResults(cases, lastId))
          const made = creations(cases, lastId)
          all = [...all, ...made]
          emails.push(...made.map((c) => c.email))
          lastId += made.length
        }
        expect(await api.get('/api/contacts')).toHaveJsonBody(all)
      },
    )
  })

  task(4, 'All or nothing with ?atomic=true', () => {
    it('treats ?atomic=false as partial mode', async () => {
      const { rng, next, contacts, api, emails } = setup()
      const cases = mix(rng, next, emails, rng.int(4, 8))
      const res = await api.post(`${BATCH}?atomic=false`, { json: items(cases) })
      expectResults(res, 207, expectedResults(cases, maxId(contacts)))
    })

    it('creates every item of a valid atomic batch and answers 201 with the results', async () => {
      const { rng, next, contacts, api } = setup()
      const cases = valid(next, rng.int(2, 8))
      const res = await api.post(ATOMIC, { json: items(cases) })
      expectResults(res, 201, expectedResults(cases, maxId(contacts)))
      const list = await api.get('/api/contacts')
      expect(list).toHaveJsonBody([...byId(contacts), ...creations(cases, maxId(contacts))])
    })

    it('rejects an atomic batch with 422, every failing index listed, none created', async () => {
      const { rng, next, contacts, api, emails } = setup()
      // Valid items first: an app that creates as it goes has already stored them at the failure.
      // The mix starts with a failing item, and one more fails at the end.
      const cases = [
        ...valid(next, rng.int(1, 3)),
        ...mix(rng, next, emails, rng.int(4, 10)),
        fails({ name: next().name }, BAD_EMAIL),
      ]
      const res = await api.post(ATOMIC, { json: items(cases) })
      expectRejection(res, cases)
      expect(await api.get('/api/contacts')).toHaveJsonBody(byId(contacts))
    })

    it('rejects an atomic batch that has two items with the same email', async () => {
      const { rng, next, contacts, api } = setup()
      const twin = next()
      const cases: Case[] = [
        ...valid(next, rng.int(0, 2)),
        { item: twin },
        ...valid(next, rng.int(0, 2)),
        fails({ name: next().name, email: twin.email }, DUPLICATE),
      ]
      const res = await api.post(ATOMIC, { json: items(cases) })
      expectRejection(res, cases)
      expect(await api.get('/api/contacts')).toHaveJsonBody(byId(contacts))
    })

    it('does not use up ids in a rejected atomic batch', async () => {
      const { rng, next, contacts, api, emails } = setup()
      const rejected = [...valid(next, rng.int(2, 4)), ...mix(rng, next, emails, rng.int(3, 6))]
      expect(await api.post(ATOMIC, { json: items(rejected) })).toHaveStatus(422)
      const cases = valid(next, rng.int(2, 4))
      const res = await api.post(ATOMIC, { json: items(cases) })
      expectResults(res, 201, expectedResults(cases, maxId(contacts)))
    })

    it.each([['first'], ['second'], ['third']])(
      'grades random mixes in atomic mode, round %s',
      async () => {
        const { rng, next, contacts, api, emails } = setup()
        const batch = [...valid(next, rng.int(1, 4)), ...mix(rng, next, emails, rng.int(3, 12))]
        const cases = rng.shuffle(batch)
        // Shuffling moves duplicates of batch items around; judge the batch again in its new order.
        const rejected = rejudge(cases, emails)
        const res = await api.post(ATOMIC, { json: items(rejected) })
        expectRejection(res, rejected)
        expect(await api.get('/api/contacts')).toHaveJsonBody(byId(contacts))
      },
    )

    it.each([['1'], ['yes'], ['TRUE'], ['']])(
      'answers 400 invalid_query for ?atomic=%s and creates nothing',
      async (value) => {
        const { rng, next, contacts, api } = setup()
        const batch = items(valid(next, rng.int(1, 4)))
        const res = await api.post(`${BATCH}?atomic=${value}`, { json: batch })
        expect(res).toHaveStatus(400)
        expect(res).toHaveJsonBody(expect.objectContaining({ error: 'invalid_query' }))
        expect(await api.get('/api/contacts')).toHaveJsonBody(byId(contacts))
      },
    )
  })

  task(5, 'Refuse a bad batch as a whole', () => {
    it.each([['partial', BATCH], ['atomic', ATOMIC]])(
      'answers 400 empty_batch for an empty array (%s mode)',
      async (_, path) => {
        const res = await client(createApp()).post(path, { json: [] })
        expect(res).toHaveStatus(400)
        expect(res).toHaveJsonBody(expect.objectContaining({ error: 'empty_batch' }))
      },
    )

    it.each([
      ['an object holding the items', { items: [{ name: 'Ada', email: 'ada@example.test' }] }],
      ['a single contact', { name: 'Ada', email: 'ada@example.test' }],
      ['null', null],
      ['a string', 'ada@example.test'],
      ['a number', 3],
    ])('answers 400 not_an_array when the body is %s', async (_, body) => {
      const { contacts, api } = setup()
      const res = await api.post(BATCH, { json: body })
      expect(res).toHaveStatus(400)
      expect(res).toHaveJsonBody(expect.objectContaining({ error: 'not_an_array' }))
      expect(await api.get('/api/contacts')).toHaveJsonBody(byId(contacts))
    })

    it('answers 400 malformed_json when the body is not JSON, in either mode', async () => {
      const api = client(createApp())
      for (const path of [BATCH, ATOMIC]) {
        const res = await api.post(path, {
          headers: { 'Content-Type': 'application/json' },
          body: '[{"name": "Ada", "email": ',
        })
        expect(res).toHaveStatus(400)
        expect(res).toHaveJsonBody(expect.objectContaining({ error: 'malformed_json' }))
      }
    })

    it('accepts a batch of exactly 100 items by default', async () => {
      const { next, contacts, api } = setup()
      const cases = valid(next, 100)
      const res = await api.post(BATCH, { json: items(cases) })
      expectResults(res, 201, expectedResults(cases, maxId(contacts)))
    })

    it.each([['partial', BATCH], ['atomic', ATOMIC]])(
      'answers 413 batch_too_large, max 100, for 101 items by default (%s mode)',
      async (_, path) => {
        const { rng, next, contacts, api, emails } = setup()
        const cases = [...valid(next, 60), ...mix(rng, next, emails, 41)]
        const res = await api.post(path, { json: items(cases) })
        expect(res).toHaveStatus(413)
        expect(res).toHaveJsonBody(expect.objectContaining({ error: 'batch_too_large', max: 100 }))
        expect(await api.get('/api/contacts')).toHaveJsonBody(byId(contacts))
      },
    )

    it('takes its limit from maxBatchSize: that many items pass, one more is 413', async () => {
      const limit = random().int(2, 12)
      const { next, contacts, api } = setup(limit)
      const tooMany = valid(next, limit + 1)
      const refused = await api.post(BATCH, { json: items(tooMany) })
      expect(refused).toHaveStatus(413)
      expect(refused).toHaveJsonBody(
        expect.objectContaining({ error: 'batch_too_large', max: limit }),
      )
      const cases = valid(next, limit)
      const res = await api.post(BATCH, { json: items(cases) })
      expectResults(res, 201, expectedResults(cases, maxId(contacts)))
    })
  })
})

/**
 * Recomputes the verdicts of a shuffled batch: a valid-looking item whose email an earlier
 * passing item already took is now the duplicate, and the earlier one is valid.
 */
function rejudge(cases: Case[], existing: string[]): Case[] {
  const taken = new Set(existing.map((e) => e.toLowerCase()))
  return cases.map((c) => {
    const onlyDuplicate = c.errors?.length === 1 && c.errors[0]![1] === 'duplicate'
    const { email } = (c.item ?? {}) as { email?: unknown }
    if (c.errors && !onlyDuplicate) return c
    const key = String(email).toLowerCase()
    if (taken.has(key)) return fails(c.item, DUPLICATE)
    taken.add(key)
    return { item: c.item }
  })
}
