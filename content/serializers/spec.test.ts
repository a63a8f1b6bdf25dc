// serializers - the hidden spec.
//
// Every request goes through `serve()`, which searches each response (every key and every string
// value of the JSON body, nested objects and lists included, the raw text otherwise, and the
// headers) for secret field names, snake_case keys and the seeded secret VALUES, so a secret sent
// under another name is caught as well.
//
// Wrong implementations this spec is built to catch:
// - spreads the stored row into the response (`{ ...row, fullName }`): password_hash, api_key
//   and snake_case keys go out
// - shapes the user but passes `org` through whole, so billing_secret leaks in the nested object
// - shapes GET /api/users/:id but builds the list (or the POST/PATCH answer) another way that
//   leaks: a denylist that forgets one secret, a raw row in one route
// - renames a secret instead of dropping it (`apiKey`, `token`)
// - leaves snake_case keys in the output (`first_name`, `is_admin`, `created_at`) or sends fields
//   outside the contract
// - echoes the request body (and with it the password) in a POST, PATCH or 422 answer
// - passes created_at through as stored instead of normalising it to UTC `toISOString()` form
// - memberForDays from Date.now() instead of the injected now(), computed once at start-up,
//   rounded (Math.round, Math.ceil) instead of floored, or counted in calendar dates
// - fullName built in the wrong order or without the space
// - lets the client set read-only fields (id, createdAt, isAdmin, fullName...), in camelCase or
//   in storage's snake_case (`is_admin: true`), by spreading the body into the row
// - PATCH storing camelCase keys in the row (`Object.assign(row, body)`), so later reads still
//   show the old values; PATCH applying the valid half of a body that has an invalid field
// - validation errors naming storage columns (`first_name`) instead of the API's field names,
//   reporting only the first invalid field, 400 where 422 is due, accepting unknown org ids,
//   short passwords or null; accepting snake_case input names as if they were the API's
// - 500 or 422 for a body that is not a JSON object (400 is due), a JSON number or boolean
//   included; 422 or 400 before 404 on PATCH (the body read before the user is looked up)
// - email checks that want a dot after the @ (so `a@b` is refused) or let `@example.test` pass;
//   a password of exactly 8 characters refused
// - reads :id with Number() (`/api/users/3.0`, `+3`, `0x3` are user 3) or refuses the leading
//   zeros of a digits-only id (`/api/users/007`)
// - a refused POST (400) that still uses up an id
// - changing the rows (or org objects) the caller passed in, or keeping them by reference (a
//   shallow copy), so the caller's later changes show through; one store for every app
import { describe, expect, it } from 'vitest'
import {
  build,
  client,
  fakeClock,
  focusOn,
  random,
  task,
  type FakeClock,
  type Reply,
  type RequestOptions,
  type Rng,
} from '../../harness/spec-kit/index.ts'
import {
  createApp,
  type OrgRow,
  type SerializersOptions,
  type UserRow,
} from '../../exercises/serializers/app.ts'

const DAY = 24 * 60 * 60 * 1000
// A morning in 2037 plus up to a day: far from the machine's clock, at a random time of day.
const START = Date.UTC(2037, 4, 17, 9, 30)

// ---------------------------------------------------------------------------------------------
// Seed data: snake_case rows with random secrets.

const capital = (w: string) => w[0]!.toUpperCase() + w.slice(1)

/** An ISO 8601 string for the instant `ms`, written with the given UTC offset in minutes. */
function isoAt(ms: number, offsetMinutes: number): string {
  const local = new Date(ms + offsetMinutes * 60_000).toISOString().slice(0, -1)
  if (offsetMinutes === 0) return `${local}Z`
  const abs = Math.abs(offsetMinutes)
  const pad = (n: number) => String(n).padStart(2, '0')
  return `${local}${offsetMinutes < 0 ? '-' : '+'}${pad(Math.floor(abs / 60))}:${pad(abs % 60)}`
}

const OFFSETS = [0, 0, 60, -300, 330, -480, 545]

function makeOrgs(rng: Rng, count: number): OrgRow[] {
  const orgs: OrgRow[] = []
  let id = rng.int(10, 90)
  for (let n = count; n > 0; n--) {
    orgs.push({ id, name: capital(rng.word(4, 8)), billing_secret: `bill_${rng.word(20, 28)}` })
    id += rng.int(3, 40)
  }
  return orgs
}

function makeRow(rng: Rng, id: number, org: OrgRow, createdMs: number, isAdmin: boolean): UserRow {
  const first = capital(rng.word(3, 8))
  return {
    id,
    first_name: first,
    last_name: capital(rng.word(4, 10)),
    email: `${first.toLowerCase()}@${rng.word(4, 7)}.test`,
    password_hash: `scrypt$${rng.word(8, 8)}$${rng.word(24, 32)}`,
    api_key: `key_${rng.word(20, 28)}`,
    created_at: isoAt(createdMs, rng.pick(OFFSETS)),
    org: { ...org },
    is_admin: isAdmin,
  }
}

/**
 * 3 to 6 rows in 2 or 3 orgs (the first rows cover every org), at least one admin and one
 * non-admin, increasing non-contiguous ids handed over out of order.
 */
function seedRows(rng: Rng, now: number): UserRow[] {
  const orgs = makeOrgs(rng, rng.int(2, 3))
  const rows: UserRow[] = []
  let id = rng.int(1, 4)
  for (let i = 0, n = rng.int(3, 6); i < n; i++) {
    const org = i < orgs.length ? orgs[i]! : rng.pick(orgs)
    const created = now - rng.int(0, 900) * DAY - rng.int(0, DAY - 1)
    const admin = i === 0 ? true : i === 1 ? false : rng.next() < 0.4
    rows.push(makeRow(rng, id, org, created, admin))
    id += rng.int(2, 9)
  }
  const shuffled = rng.shuffle(rows)
  return shuffled.every((r, i) => r.id === rows[i]!.id) ? shuffled.reverse() : shuffled
}

const orgsOf = (rows: UserRow[]) => [...new Map(rows.map((r) => [r.org.id, r.org])).values()]
const byId = (rows: UserRow[]) => [...rows].sort((a, b) => a.id - b.id)
const maxId = (rows: UserRow[]) => Math.max(...rows.map((r) => r.id))

/** The representation the contract promises for `row` at time `now`. */
function shaped(row: UserRow, now: number) {
  const created = Date.parse(row.created_at)
  return {
    id: row.id,
    firstName: row.first_name,
    lastName: row.last_name,
    fullName: `${row.first_name} ${row.last_name}`,
    email: row.email,
    isAdmin: row.is_admin,
    createdAt: new Date(created).toISOString(),
    memberForDays: Math.floor((now - created) / DAY),
    org: { id: row.org.id, name: row.org.name },
  }
}

/** The list the contract promises: every row shaped, in ascending id order. */
const everyone = (rows: UserRow[], now: number) => byId(rows).map((r) => shaped(r, now))

/** A valid POST body for a new user in `org`. */
function newUser(rng: Rng, org: OrgRow) {
  const firstName = capital(rng.word(3, 8))
  return {
    firstName,
    lastName: capital(rng.word(4, 10)),
    email: `${firstName.toLowerCase()}@${rng.word(4, 7)}.test`,
    password: `pass-${rng.word(10, 14)}`,
    orgId: org.id,
  }
}

// ---------------------------------------------------------------------------------------------
// The leak detector every request goes through.

interface Secret {
  value: string
  what: string
}

const SECRET_KEYS = new Set(['password', 'passwordhash', 'apikey', 'billingsecret'])

function secretsOf(rows: UserRow[]): Secret[] {
  const all = rows.flatMap((r) => [
    { value: r.password_hash, what: `the password_hash of user ${r.id}` },
    { value: r.api_key, what: `the api_key of user ${r.id}` },
    { value: r.org.billing_secret, what: `the billing_secret of org ${r.org.id}` },
  ])
  // Users of one org share its billing secret: list each value once.
  return [...new Map(all.map((s) => [s.value, s])).values()]
}

/** Every place in the reply that reveals a secret or a snake_case key, described for the report. */
function leaksIn(reply: Reply, secrets: Secret[]): string[] {
  const found: string[] = []
  const scan = (text: string, where: string) => {
    for (const s of secrets) if (text.includes(s.value)) found.push(`${where} holds ${s.what}`)
  }
  const visit = (value: unknown, path: string) => {
    if (typeof value === 'string') scan(value, path)
    else if (Array.isArray(value)) value.forEach((v, i) => visit(v, `${path}[${i}]`))
    else if (typeof value === 'object' && value !== null) {
      for (const [key, v] of Object.entries(value)) {
        const at = `${path}.${key}`
        if (SECRET_KEYS.has(key.toLowerCase().replace(/[^a-z]/g, ''))) {
          found.push(`${at} is a secret field`)
        } else if (key.includes('_')) {
          found.push(`${at} is a snake_case key (the API speaks camelCase)`)
        }
        scan(key, `the key ${at}`)
        visit(v, at)
      }
    }
  }
  if (reply.body !== undefined) visit(reply.body, 'body')
  else scan(reply.text, 'the body')
  for (const [name, value] of Object.entries(reply.headers)) scan(value, `the ${name} header`)
  return found
}

interface Api {
  get: (path: string) => Promise<Reply>
  post: (path: string, json: unknown) => Promise<Reply>
  patch: (path: string, json: unknown) => Promise<Reply>
  send: (method: string, path: string, options?: RequestOptions) => Promise<Reply>
}

/** The JSON a request sends, from `json` or from a raw `body` that parses. */
function sentJson(options: RequestOptions | undefined): unknown {
  if (options?.json !== undefined) return options.json
  if (typeof options?.body !== 'string') return undefined
  try {
    return JSON.parse(options.body)
  } catch {
    return undefined
  }
}

/**
 * A client whose every reply is searched for `secrets`. A password sent in a request body joins
 * the secrets before the request goes out: no answer may ever contain it.
 */
function serve(app: ReturnType<typeof createApp>, secrets: Secret[]): Api {
  const api = client(app)
  const send = async (method: string, path: string, options?: RequestOptions) => {
    const password = (sentJson(options) as { password?: unknown } | null | undefined)?.password
    const known = secrets.some((s) => s.value === password)
    if (typeof password === 'string' && password.length >= 8 && !known) {
      secrets.push({ value: password, what: 'the password the client sent' })
    }
    const reply = await api.send(method, path, options)
    const leaks = leaksIn(reply, secrets)
    if (leaks.length > 0) focusOn(reply)
    expect(leaks, `${method} ${path} must not reveal secrets or storage names`).toEqual([])
    return reply
  }
  return {
    get: (path) => send('GET', path),
    post: (path, json) => send('POST', path, { json }),
    patch: (path, json) => send('PATCH', path, { json }),
    send,
  }
}

/** The app, built so that a failing check can say which rows and clock it was given. */
function appOf(options: SerializersOptions) {
  return build(createApp, options)
}

/** A fresh app over a copy of `rows` (seeded at random unless given), with a fake clock. */
function setup(rng: Rng, given?: (now: number) => UserRow[]) {
  const clock: FakeClock = fakeClock(START + rng.int(0, DAY - 1))
  const rows = given ? given(clock.now()) : seedRows(rng, clock.now())
  const app = appOf({ users: structuredClone(rows), now: clock.now })
  return { clock, rows, api: serve(app, secretsOf(rows)), orgs: orgsOf(rows) }
}

const NOT_FOUND = expect.objectContaining({ error: 'not_found' })
const INVALID_BODY = expect.objectContaining({ error: 'invalid_body' })

/** A 422 validation_failed whose `fields` are exactly `fields`, in any order. */
function expectValidationFailed(reply: Reply, fields: string[]): void {
  expect(reply).toHaveStatus(422)
  expect(reply).toHaveJsonBody(
    expect.objectContaining({ error: 'validation_failed', fields: expect.any(Array) }),
  )
  const got = [...(reply.body as { fields: unknown[] }).fields].map(String).sort()
  expect(got, '`fields` must list every invalid writable field, by its API name').toEqual(
    [...fields].sort(),
  )
}

// Bodies that are JSON, but not JSON objects, or not JSON at all: 400 on POST and PATCH.
const notObjects: [string, RequestOptions][] = [
  [
    'text that is not JSON',
    { headers: { 'Content-Type': 'application/json' }, body: '{"firstName":' },
  ],
  ['a JSON array', { json: [{ firstName: 'Ada' }] }],
  ['JSON null', { json: null }],
  ['a JSON string', { json: 'Ada' }],
  ['a JSON number', { json: 42 }],
  ['a JSON boolean', { json: true }],
]

type Input = ReturnType<typeof newUser>
// POST bodies with invalid writable fields, and the fields the 422 must name.
const invalidCreates: [string, (valid: Input, unknownOrg: number) => unknown, string[]][] = [
  ['firstName is missing', ({ firstName: _, ...v }) => v, ['firstName']],
  ['firstName is empty', (v) => ({ ...v, firstName: '' }), ['firstName']],
  ['firstName is only spaces', (v) => ({ ...v, firstName: '   ' }), ['firstName']],
  ['firstName is a number', (v) => ({ ...v, firstName: 42 }), ['firstName']],
  ['lastName is null', (v) => ({ ...v, lastName: null }), ['lastName']],
  ['email has no @', (v) => ({ ...v, email: 'ada.example.test' }), ['email']],
  ['email has two @', (v) => ({ ...v, email: 'ada@home@example.test' }), ['email']],
  ['email has nothing after the @', (v) => ({ ...v, email: 'ada@' }), ['email']],
  ['email has nothing before the @', (v) => ({ ...v, email: '@example.test' }), ['email']],
  ['password is missing', ({ password: _, ...v }) => v, ['password']],
  ['password has 7 characters', (v) => ({ ...v, password: 'abcdefg' }), ['password']],
  ['password is a number', (v) => ({ ...v, password: 12345678 }), ['password']],
  ['orgId is missing', ({ orgId: _, ...v }) => v, ['orgId']],
  ['orgId names no known org', (v, unknown) => ({ ...v, orgId: unknown }), ['orgId']],
  ['orgId is a string', (v) => ({ ...v, orgId: String(v.orgId) }), ['orgId']],
  ['orgId is not a whole number', (v) => ({ ...v, orgId: v.orgId + 0.5 }), ['orgId']],
  [
    'several fields are bad at once',
    (v) => ({ ...v, firstName: '', email: 'nope', password: 'short' }),
    ['email', 'firstName', 'password'],
  ],
  [
    'the fields come in storage names',
    (v) => ({
      first_name: v.firstName,
      last_name: v.lastName,
      email: v.email,
      password: v.password,
      org_id: v.orgId,
    }),
    ['firstName', 'lastName', 'orgId'],
  ],
]

// PATCH bodies with an invalid field (sometimes next to a valid one), and the fields to name.
const invalidPatches: [string, (valid: Input, unknownOrg: number) => unknown, string[]][] = [
  ['firstName is empty', () => ({ firstName: '' }), ['firstName']],
  ['firstName is null', () => ({ firstName: null }), ['firstName']],
  ['lastName is a number', () => ({ lastName: 7 }), ['lastName']],
  ['email has no @', () => ({ email: 'nobody.example.test' }), ['email']],
  ['password has 7 characters', () => ({ password: 'abcdefg' }), ['password']],
  ['orgId names no known org', (_, unknown) => ({ orgId: unknown }), ['orgId']],
  [
    'a valid firstName comes with an invalid email',
    (v) => ({ firstName: v.firstName, email: 'nope' }),
    ['email'],
  ],
]

/** An org id that no seeded org holds. */
const unknownOrgId = (rows: UserRow[]) => Math.max(...rows.map((r) => r.org.id)) + 1

/** The representation of a user created from `input` in `org` at `createdMs`, read at `now`. */
function createdUser(id: number, input: Input, org: OrgRow, createdMs: number, now: number) {
  return {
    id,
    firstName: input.firstName,
    lastName: input.lastName,
    fullName: `${input.firstName} ${input.lastName}`,
    email: input.email,
    isAdmin: false,
    createdAt: new Date(createdMs).toISOString(),
    memberForDays: Math.floor((now - createdMs) / DAY),
    org: { id: org.id, name: org.name },
  }
}

/** [time elapsed since created_at, memberForDays]: both sides of several day boundaries. */
function dayBoundaries(k: number): [number, number][] {
  return [
    [0, 0],
    [DAY - 1, 0],
    [DAY, 1],
    [k * DAY - 1, k - 1],
    [k * DAY, k],
    [k * DAY + 1, k],
    [k * DAY + DAY / 2, k],
    [(k + 1) * DAY - 1, k],
  ]
}

describe('serializers', () => {
  task(1, 'Show one user', () => {
    it('GET /api/users/:id answers 200 with exactly the user representation', async () => {
      const rng = random()
      const { clock, rows, api } = setup(rng)
      for (const row of rows) {
        const res = await api.get(`/api/users/${row.id}`)
        expect(res).toHaveStatus(200)
        expect(res).toHaveJsonBody(shaped(row, clock.now()))
      }
    })

    it('shapes the nested org to { id, name }', async () => {
      const rng = random()
      const { rows, api } = setup(rng)
      for (const row of rows) {
        const res = await api.get(`/api/users/${row.id}`)
        expect(res).toHaveJsonBody(
          expect.objectContaining({ org: { id: row.org.id, name: row.org.name } }),
        )
      }
    })

    it('computes fullName as "<firstName> <lastName>"', async () => {
      const rng = random()
      const { rows, api } = setup(rng)
      const row = rng.pick(rows)
      const res = await api.get(`/api/users/${row.id}`)
      expect(res).toHaveJsonBody(
        expect.objectContaining({ fullName: `${row.first_name} ${row.last_name}` }),
      )
    })

    it('sends createdAt in UTC toISOString() form, whatever offset the row uses', async () => {
      const rng = random()
      const { rows, api } = setup(rng, (now) => {
        const [org] = makeOrgs(rng, 1)
        return [330, -480, 60, 0].map((offset, i) => {
          const createdMs = now - rng.int(1, 500) * DAY - rng.int(0, DAY)
          const row = makeRow(rng, i + 1, org!, createdMs, i > 2)
          return { ...row, created_at: isoAt(Date.parse(row.created_at), offset) }
        })
      })
      for (const row of rows) {
        const res = await api.get(`/api/users/${row.id}`)
        const createdAt = new Date(Date.parse(row.created_at)).toISOString()
        expect(res).toHaveJsonBody(expect.objectContaining({ createdAt }))
      }
    })

    it('counts memberForDays as whole days elapsed, rounded down', async () => {
      const rng = random()
      const cases = dayBoundaries(rng.int(2, 400))
      const { api } = setup(rng, (now) => {
        const [org] = makeOrgs(rng, 1)
        return cases.map(([elapsed], i) => makeRow(rng, i + 1, org!, now - elapsed, false))
      })
      for (const [i, [, days]] of cases.entries()) {
        const res = await api.get(`/api/users/${i + 1}`)
        expect(res).toHaveJsonBody(expect.objectContaining({ id: i + 1, memberForDays: days }))
      }
    })

    it('reads memberForDays from the injected now() on every request', async () => {
      const rng = random()
      const { clock, rows, api } = setup(rng)
      const row = rng.pick(rows)
      const path = `/api/users/${row.id}`
      const before = await api.get(path)
      expect(before).toHaveJsonBody(shaped(row, clock.now()))
      clock.advance(rng.int(3, 60) * DAY + rng.int(0, DAY - 1))
      expect(await api.get(path)).toHaveJsonBody(shaped(row, clock.now()))
      // Up to one millisecond before the next whole day, then onto it.
      const created = Date.parse(row.created_at)
      const days = Math.floor((clock.now() - created) / DAY)
      clock.set(created + (days + 1) * DAY - 1)
      expect(await api.get(path)).toHaveJsonBody(expect.objectContaining({ memberForDays: days }))
      clock.advance(1)
      expect(await api.get(path)).toHaveJsonBody(
        expect.objectContaining({ memberForDays: days + 1 }),
      )
    })

    it('answers 404 not_found for an id nobody holds or one not written in digits', async () => {
      const rng = random()
      const { rows, api } = setup(rng)
      const taken = rng.pick(rows).id
      const ids = [
        maxId(rows) + rng.int(1, 50),
        rng.word(3, 6),
        `${taken}x`,
        `${taken}.0`,
        `%2B${taken}`,
        `%20${taken}`,
        `0x${taken.toString(16)}`,
        `-${taken}`,
      ]
      for (const id of ids) {
        const res = await api.get(`/api/users/${id}`)
        expect(res).toHaveStatus(404)
        expect(res).toHaveJsonBody(NOT_FOUND)
      }
    })

    it('reads an id with leading zeros as the number its digits spell', async () => {
      const rng = random()
      const { clock, rows, api } = setup(rng)
      const row = rng.pick(rows)
      const res = await api.get(`/api/users/00${row.id}`)
      expect(res).toHaveStatus(200)
      expect(res).toHaveJsonBody(shaped(row, clock.now()))
    })
  })

  task(2, 'List every user', () => {
    it('GET /api/users lists every user, shaped the same way, in ascending id order', async () => {
      const rng = random()
      const { clock, rows, api } = setup(rng)
      const res = await api.get('/api/users')
      expect(res).toHaveStatus(200)
      expect(res).toHaveJsonBody(everyone(rows, clock.now()))
    })

    it('GET /api/users answers an empty array when created without users', async () => {
      const res = await serve(appOf({ now: fakeClock().now }), []).get('/api/users')
      expect(res).toHaveStatus(200)
      expect(res).toHaveJsonBody([])
    })

    it('GET /api/users counts memberForDays as whole days elapsed, rounded down', async () => {
      const rng = random()
      const cases = dayBoundaries(rng.int(2, 400))
      const { api } = setup(rng, (now) => {
        const [org] = makeOrgs(rng, 1)
        return cases.map(([elapsed], i) => makeRow(rng, i + 1, org!, now - elapsed, false))
      })
      const res = await api.get('/api/users')
      expect(res).toHaveJsonBody(
        cases.map(([, days], i) => expect.objectContaining({ id: i + 1, memberForDays: days })),
      )
    })

    it('GET /api/users reads the injected now() on every request', async () => {
      const rng = random()
      const { clock, rows, api } = setup(rng)
      expect(await api.get('/api/users')).toHaveJsonBody(everyone(rows, clock.now()))
      const row = rng.pick(rows)
      const created = Date.parse(row.created_at)
      const days = Math.floor((clock.now() - created) / DAY) + rng.int(3, 60)
      clock.set(created + (days + 1) * DAY - 1)
      expect(await api.get('/api/users')).toHaveJsonBody(everyone(rows, clock.now()))
      clock.advance(1)
      expect(await api.get('/api/users')).toHaveJsonBody(
        expect.arrayContaining([expect.objectContaining({ id: row.id, memberForDays: days + 1 })]),
      )
    })

    it(
      'keeps its own deep copy: later changes to the caller rows and orgs do not show',
      async () => {
        const rng = random()
        const clock = fakeClock(START)
        const rows = seedRows(rng, clock.now())
        const before = structuredClone(rows)
        const api = serve(appOf({ users: rows, now: clock.now }), secretsOf(rows))
        for (const row of rows) {
          row.first_name = `Changed${rng.word(3, 5)}`
          row.org.name = `Renamed${rng.word(3, 5)}`
        }
        rows.pop()
        expect(await api.get('/api/users')).toHaveJsonBody(everyone(before, clock.now()))
        const row = rng.pick(before)
        expect(await api.get(`/api/users/${row.id}`)).toHaveJsonBody(shaped(row, clock.now()))
      },
    )
  })

  task(3, 'Create a user', () => {
    it('POST /api/users answers 201 with the new user, shaped like every other', async () => {
      const rng = random()
      const { clock, rows, orgs, api } = setup(rng)
      const org = rng.pick(orgs)
      const input = newUser(rng, org)
      const res = await api.post('/api/users', input)
      expect(res).toHaveStatus(201)
      expect(res).toHaveJsonBody(
        createdUser(maxId(rows) + 1, input, org, clock.now(), clock.now()),
      )
    })

    it('POST /api/users stores the user so that later reads and the list show it', async () => {
      const rng = random()
      const { clock, rows, orgs, api } = setup(rng)
      const org = rng.pick(orgs)
      const input = newUser(rng, org)
      const createdAt = clock.now()
      expect(await api.post('/api/users', input)).toHaveStatus(201)
      const days = rng.int(1, 30)
      clock.advance(days * DAY + rng.int(0, DAY - 1))
      const created = createdUser(maxId(rows) + 1, input, org, createdAt, clock.now())
      expect(await api.get(`/api/users/${created.id}`)).toHaveJsonBody(created)
      expect(await api.get('/api/users')).toHaveJsonBody([...everyone(rows, clock.now()), created])
    })

    it(
      'POST /api/users accepts the shortest valid values: a@b, an 8-character password',
      async () => {
        const rng = random()
        const { clock, rows, orgs, api } = setup(rng)
        const org = rng.pick(orgs)
        const input = {
          ...newUser(rng, org),
          firstName: capital(rng.word(1, 1)),
          email: `${rng.word(1, 1)}@${rng.word(1, 1)}`,
          password: rng.word(8, 8),
        }
        const res = await api.post('/api/users', input)
        expect(res).toHaveStatus(201)
        expect(res).toHaveJsonBody(
          createdUser(maxId(rows) + 1, input, org, clock.now(), clock.now()),
        )
      },
    )

    it('POST /api/users ignores read-only fields, storage names and unknown fields', async () => {
      const rng = random()
      const { clock, rows, orgs, api } = setup(rng)
      const [org, other] = rng.shuffle(orgs)
      const taken = rng.pick(rows)
      const input = newUser(rng, org!)
      const res = await api.post('/api/users', {
        ...input,
        id: taken.id,
        isAdmin: true,
        is_admin: true,
        createdAt: '2001-02-03T04:05:06.000Z',
        created_at: '2001-02-03T04:05:06.000Z',
        fullName: 'Mallory Admin',
        memberForDays: 9999,
        org: { id: other!.id, name: other!.name },
        first_name: 'Mallory',
        password_hash: 'chosen-by-the-client',
        [rng.word()]: rng.word(),
      })
      const created = createdUser(maxId(rows) + 1, input, org!, clock.now(), clock.now())
      expect(res).toHaveStatus(201)
      expect(res).toHaveJsonBody(created)
      expect(await api.get(`/api/users/${created.id}`)).toHaveJsonBody(created)
      expect(await api.get(`/api/users/${taken.id}`)).toHaveJsonBody(shaped(taken, clock.now()))
    })

    it('POST /api/users ignores a __proto__ member that tries to set isAdmin', async () => {
      const rng = random()
      const { clock, rows, orgs, api } = setup(rng)
      const org = rng.pick(orgs)
      const input = newUser(rng, org)
      const body = JSON.stringify(input).replace(
        /^\{/,
        '{"__proto__":{"isAdmin":true,"is_admin":true,"id":1},',
      )
      const res = await api.send('POST', '/api/users', {
        headers: { 'Content-Type': 'application/json' },
        body,
      })
      const created = createdUser(maxId(rows) + 1, input, org, clock.now(), clock.now())
      expect(res).toHaveStatus(201)
      expect(res).toHaveJsonBody(created)
      expect(await api.get(`/api/users/${created.id}`)).toHaveJsonBody(created)
    })

    it('keeps each app its own store', async () => {
      const rng = random()
      const clock = fakeClock(START)
      const first = seedRows(rng, clock.now())
      const second = seedRows(rng, clock.now())
      const a = serve(appOf({ users: structuredClone(first), now: clock.now }), secretsOf(first))
      const b = serve(appOf({ users: structuredClone(second), now: clock.now }), secretsOf(second))
      expect(await a.post('/api/users', newUser(rng, rng.pick(orgsOf(first))))).toHaveStatus(201)
      expect(await b.get('/api/users')).toHaveJsonBody(everyone(second, clock.now()))
      const res = await a.get('/api/users')
      expect(res).toHaveStatus(200)
      focusOn(res)
      expect((res.body as unknown[]).length, 'users in the first app').toBe(first.length + 1)
    })
  })

  task(4, 'Validate what a client writes', () => {
    it.each(invalidCreates)(
      'POST /api/users answers 422 naming the invalid fields when %s',
      async (_, make, fields) => {
        const rng = random()
        const { rows, orgs, api } = setup(rng)
        const body = make(newUser(rng, rng.pick(orgs)), unknownOrgId(rows))
        expectValidationFailed(await api.post('/api/users', body), fields)
      },
    )

    it('POST /api/users with invalid fields creates nothing and uses up no id', async () => {
      const rng = random()
      const { clock, rows, orgs, api } = setup(rng)
      const bad = { ...newUser(rng, rng.pick(orgs)), email: 'nope' }
      expectValidationFailed(await api.post('/api/users', bad), ['email'])
      expect(await api.get('/api/users')).toHaveJsonBody(everyone(rows, clock.now()))
      const res = await api.post('/api/users', newUser(rng, rng.pick(orgs)))
      expect(res).toHaveStatus(201)
      expect(res).toHaveJsonBody(expect.objectContaining({ id: maxId(rows) + 1 }))
    })

    it.each(notObjects)('POST /api/users answers 400 invalid_body for %s', async (_, options) => {
      const rng = random()
      const { clock, rows, orgs, api } = setup(rng)
      const res = await api.send('POST', '/api/users', options)
      expect(res).toHaveStatus(400)
      expect(res).toHaveJsonBody(INVALID_BODY)
      expect(await api.get('/api/users')).toHaveJsonBody(everyone(rows, clock.now()))
      const next = await api.post('/api/users', newUser(rng, rng.pick(orgs)))
      expect(next).toHaveStatus(201)
      expect(next).toHaveJsonBody(expect.objectContaining({ id: maxId(rows) + 1 }))
    })
  })

  task(5, 'Update a user in part', () => {
    it('PATCH /api/users/:id changes only the fields sent, and later reads agree', async () => {
      const rng = random()
      const { clock, rows, api } = setup(rng)
      const row = rng.pick(rows)
      const path = `/api/users/${row.id}`
      const firstName = capital(rng.word(3, 8))
      const first = await api.patch(path, { firstName })
      const renamed: UserRow = { ...row, first_name: firstName }
      expect(first).toHaveStatus(200)
      expect(first).toHaveJsonBody(shaped(renamed, clock.now()))

      const lastName = capital(rng.word(4, 10))
      const email = `${rng.word(3, 8)}@${rng.word(4, 7)}.test`
      const second = await api.patch(path, { lastName, email })
      const updated: UserRow = { ...renamed, last_name: lastName, email }
      expect(second).toHaveStatus(200)
      expect(second).toHaveJsonBody(shaped(updated, clock.now()))

      expect(await api.get(path)).toHaveJsonBody(shaped(updated, clock.now()))
      expect(await api.get('/api/users')).toHaveJsonBody(
        byId(rows).map((r) => shaped(r.id === row.id ? updated : r, clock.now())),
      )
    })

    it('PATCH /api/users/:id with orgId moves the user to that org', async () => {
      const rng = random()
      const { clock, rows, orgs, api } = setup(rng)
      const row = rng.pick(rows)
      const target = rng.pick(orgs.filter((o) => o.id !== row.org.id))
      const path = `/api/users/${row.id}`
      const moved: UserRow = { ...row, org: target }
      const res = await api.patch(path, { orgId: target.id })
      expect(res).toHaveStatus(200)
      expect(res).toHaveJsonBody(shaped(moved, clock.now()))
      expect(await api.get(path)).toHaveJsonBody(shaped(moved, clock.now()))
    })

    it('PATCH /api/users/:id accepts a new password and never shows it', async () => {
      const rng = random()
      const { clock, rows, api } = setup(rng)
      const row = rng.pick(rows)
      const res = await api.patch(`/api/users/${row.id}`, { password: `pass-${rng.word(10, 14)}` })
      expect(res).toHaveStatus(200)
      expect(res).toHaveJsonBody(shaped(row, clock.now()))
    })

    it(
      'PATCH /api/users/:id with an empty object changes nothing and answers the user',
      async () => {
        const rng = random()
        const { clock, rows, api } = setup(rng)
        const row = rng.pick(rows)
        const res = await api.patch(`/api/users/${row.id}`, {})
        expect(res).toHaveStatus(200)
        expect(res).toHaveJsonBody(shaped(row, clock.now()))
      },
    )

    it(
      'PATCH /api/users/:id ignores isAdmin, id, createdAt and other read-only fields',
      async () => {
        const rng = random()
        const { clock, rows, api } = setup(rng)
        const admin = rng.pick(rows.filter((r) => r.is_admin))
        const member = rng.pick(rows.filter((r) => !r.is_admin))
        const stamp = isoAt(START - 1000 * DAY, 0)
        const readOnly = (flag: boolean, id: number) => ({
          id,
          isAdmin: flag,
          is_admin: flag,
          createdAt: stamp,
          created_at: stamp,
          fullName: 'Mallory Admin',
          memberForDays: 9999,
          first_name: 'Mallory',
        })
        const promoted = await api.patch(`/api/users/${member.id}`, readOnly(true, admin.id))
        expect(promoted).toHaveStatus(200)
        expect(promoted).toHaveJsonBody(shaped(member, clock.now()))
        const demoted = await api.patch(`/api/users/${admin.id}`, readOnly(false, member.id))
        expect(demoted).toHaveStatus(200)
        expect(demoted).toHaveJsonBody(shaped(admin, clock.now()))
        const sneaky = await api.send('PATCH', `/api/users/${member.id}`, {
          headers: { 'Content-Type': 'application/json' },
          body: '{"__proto__":{"isAdmin":true,"is_admin":true}}',
        })
        expect(sneaky).toHaveStatus(200)
        expect(sneaky).toHaveJsonBody(shaped(member, clock.now()))
        expect(await api.get('/api/users')).toHaveJsonBody(everyone(rows, clock.now()))
      },
    )

    it.each(invalidPatches)(
      'PATCH /api/users/:id answers 422 and changes nothing when %s',
      async (_, make, fields) => {
        const rng = random()
        const { clock, rows, orgs, api } = setup(rng)
        const row = rng.pick(rows)
        const path = `/api/users/${row.id}`
        const res = await api.patch(path, make(newUser(rng, rng.pick(orgs)), unknownOrgId(rows)))
        expectValidationFailed(res, fields)
        expect(await api.get(path)).toHaveJsonBody(shaped(row, clock.now()))
      },
    )

    it.each(notObjects)('PATCH /api/users/:id answers 400 invalid_body for %s', async (_, opts) => {
      const rng = random()
      const { clock, rows, api } = setup(rng)
      const row = rng.pick(rows)
      const res = await api.send('PATCH', `/api/users/${row.id}`, opts)
      expect(res).toHaveStatus(400)
      expect(res).toHaveJsonBody(INVALID_BODY)
      expect(await api.get(`/api/users/${row.id}`)).toHaveJsonBody(shaped(row, clock.now()))
    })

    it(
      'PATCH /api/users/:id answers 404 for a missing user, even with an invalid body',
      async () => {
        const rng = random()
        const { rows, api } = setup(rng)
        const path = `/api/users/${maxId(rows) + rng.int(1, 20)}`
        for (const body of [{ firstName: capital(rng.word()) }, { firstName: '' }]) {
          const res = await api.patch(path, body)
          expect(res).toHaveStatus(404)
          expect(res).toHaveJsonBody(NOT_FOUND)
        }
        for (const [, options] of notObjects) {
          const res = await api.send('PATCH', path, options)
          expect(res).toHaveStatus(404)
          expect(res).toHaveJsonBody(NOT_FOUND)
        }
        const notDigits = await api.patch(`/api/users/${rng.pick(rows).id}x`, {})
        expect(notDigits).toHaveStatus(404)
        expect(notDigits).toHaveJsonBody(NOT_FOUND)
        expect(await api.get(path)).toHaveStatus(404)
      },
    )

    it('never sends password_hash, api_key or billing_secret, by any name, anywhere', async () => {
      // serve() searches every reply; this test just makes sure every route is exercised.
      const rng = random()
      const { rows, orgs, api } = setup(rng)
      expect(await api.get('/api/users')).toHaveStatus(200)
      for (const row of rows) expect(await api.get(`/api/users/${row.id}`)).toHaveStatus(200)
      const target = rng.pick(rows)
      const path = `/api/users/${target.id}`
      expect(await api.patch(path, { firstName: capital(rng.word()) })).toHaveStatus(200)
      expect(await api.patch(path, { email: 'broken' })).toHaveStatus(422)
      expect(await api.post('/api/users', newUser(rng, rng.pick(orgs)))).toHaveStatus(201)
      const bad = { ...newUser(rng, rng.pick(orgs)), lastName: '' }
      expect(await api.post('/api/users', bad)).toHaveStatus(422)
    })

    it('never changes the rows (or org objects) it was given', async () => {
      const rng = random()
      const clock = fakeClock(START)
      const rows = seedRows(rng, clock.now())
      const before = structuredClone(rows)
      const api = serve(appOf({ users: rows, now: clock.now }), secretsOf(rows))
      const row = rng.pick(rows)
      const target = rng.pick(orgsOf(rows).filter((o) => o.id !== row.org.id))
      const res = await api.patch(`/api/users/${row.id}`, {
        firstName: capital(rng.word()),
        orgId: target.id,
      })
      expect(res).toHaveStatus(200)
      expect(await api.post('/api/users', newUser(rng, target))).toHaveStatus(201)
      focusOn(res)
      expect(rows, 'the rows passed to createApp were changed').toEqual(before)
    })
  })
})
