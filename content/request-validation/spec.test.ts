// request-validation - the hidden spec.
//
// Wrong implementations this spec is built to catch:
// - reports only the first problem (a hand-written if/return chain, or `issues[0]`), so a
//   client fixing its request has to send it once per mistake
// - a non-strict schema (`z.object`): unknown fields are stripped or stored silently, a typo
//   like `capcity` goes unnoticed, a client-sent `id` is accepted (or even used); or a
//   hand-rolled check that looks names up with `in` or on a plain object, so `constructor`,
//   `toString` or a `__proto__` member (with a primitive or an object value) passes as known
// - passes zod's `unrecognized_keys` issue through as it is: reported at the object's path
//   (`[]`) instead of at the unknown key's own path
// - flattens paths to the top-level field (`z.flattenError`, `path[0]`): an invalid tag is
//   reported at `["tags"]` instead of `["tags", 2]`
// - echoes or stores the raw body instead of the parsed value (title not trimmed, `tags`
//   missing instead of `[]`), or spreads the body over the server's fields
// - trusts a client-sent id instead of refusing it
// - coerces body values ("12" accepted as a capacity) where JSON already has types
// - leaves query numbers as strings (`filters.minCapacity` is "10"; comparing as strings puts
//   "9" above "10" and "150" below "60")
// - coerces query garbage: `z.coerce.number()` turns "" into 0, "1e2" into 100, "0x10" into 16;
//   Number("abc") gives NaN, parseInt("12abc") gives 12
// - ignores unknown query parameters (a typo returns everything, unfiltered), or applies the
//   limit before the filters
// - confuses 400 and 422: malformed JSON answered 422 (or 500), invalid fields answered 400
// - reads `:id` with parseInt or Number without checking (`/api/events/3x`, `+3`, `0x3` or
//   ` 3` is event 3, `abc` is a 404), or accepts 0 (or `00`), or refuses the leading zeros of a
//   digits-only id (`03`) with a "positive number" regex
// - query numbers read leniently (`+5` as 5, `00` as a valid limit); query ranges off by one at
//   either end (limit 1 and 100, a tag of 1 and of 20 characters)
// - a refused request that still creates an event or uses up an id
// - a module-level store shared between apps, the caller's array changed, or the caller's array
//   kept by reference (an event it pushes later shows up in the store)
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
import {
  createApp,
  type EventRecord,
  type EventsOptions,
} from '../../exercises/request-validation/app.ts'

type Path = (string | number)[]
type Body = Record<string, unknown>

const pad = (n: number) => String(n).padStart(2, '0')
const cap = (word: string) => word[0]!.toUpperCase() + word.slice(1)

/** A valid ISO datetime in UTC, sometimes with fractional seconds. */
function datetime(rng: Rng): string {
  const date = `${rng.int(2030, 2039)}-${pad(rng.int(1, 12))}-${pad(rng.int(1, 28))}`
  const time = `${pad(rng.int(0, 23))}:${pad(rng.int(0, 59))}:${pad(rng.int(0, 59))}`
  const fraction = rng.next() < 0.3 ? `.${rng.int(0, 999).toString().padStart(3, '0')}` : ''
  return `${date}T${time}${fraction}Z`
}

const tagsOf = (rng: Rng, count: number) => Array.from({ length: count }, () => rng.word(2, 10))

/** A valid POST body; tags are left out about a third of the time. */
function validInput(rng: Rng): Body {
  const input: Body = {
    title: Array.from({ length: rng.int(1, 4) }, () => cap(rng.word(2, 9))).join(' '),
    startsAt: datetime(rng),
    capacity: rng.int(1, 1000),
    kind: rng.pick(['talk', 'workshop']),
  }
  if (rng.next() < 0.67) input.tags = tagsOf(rng, rng.int(0, 5))
  return rng.next() < 0.5 ? input : Object.fromEntries(rng.shuffle(Object.entries(input)))
}

/** The event the API must create from a valid body: title trimmed, tags defaulted to []. */
function created(input: Body, id: number): EventRecord {
  return {
    id,
    title: (input.title as string).trim(),
    startsAt: input.startsAt as string,
    capacity: input.capacity as number,
    tags: (input.tags as string[] | undefined) ?? [],
    kind: input.kind as EventRecord['kind'],
  }
}

/** n events with increasing, non-contiguous ids, handed over in shuffled order. */
function seedEvents(rng: Rng, n = rng.int(3, 7)): EventRecord[] {
  const events: EventRecord[] = []
  let id = rng.int(1, 5)
  for (let i = 0; i < n; i++) {
    events.push(created(validInput(rng), id))
    id += rng.int(2, 6)
  }
  return rng.shuffle(events)
}

const byId = (events: EventRecord[]) => [...events].sort((a, b) => a.id - b.id)
const maxId = (events: EventRecord[]) => Math.max(0, ...events.map((e) => e.id))
/** The app, built so that a failing check can say which events it started with. */
const eventsApp = (options: EventsOptions) => client(build(createApp, options))
const appFor = (events: EventRecord[]) => eventsApp({ events: structuredClone(events) })

/** A valid body as JSON text with one more member in front, written as raw JSON. */
const withRawMember = (input: Body, member: string) =>
  JSON.stringify(input).replace(/^\{/, `{${member},`)

// Field names a client might plausibly add, none of them part of the contract.
const EXTRA_KEYS = ['venue', 'speaker', 'price', 'room', 'organizer', 'isPublic', 'capcity']

/**
 * One way to break one part of the body. `apply` edits a valid body and returns the path the
 * API must report. The field names the slot the defect occupies, so that a random combination
 * never puts two defects on one field.
 */
interface Defect {
  field: string
  label: string
  apply: (body: Body, rng: Rng) => Path
}

const set = (field: string, label: string, value: (rng: Rng) => unknown): Defect => ({
  field,
  label,
  apply: (body, rng) => {
    body[field] = value(rng)
    return [field]
  },
})
const drop = (field: string): Defect => ({
  field,
  label: `${field} is missing`,
  apply: (body) => {
    delete body[field]
    return [field]
  },
})
const badTag = (label: string, value: (rng: Rng) => unknown): Defect => ({
  field: 'tags',
  label,
  apply: (body, rng) => {
    const tags: unknown[] = tagsOf(rng, rng.int(1, 5))
    const index = rng.int(0, tags.length - 1)
    tags[index] = value(rng)
    body.tags = tags
    return ['tags', index]
  },
})

const DEFECTS: Defect[] = [
  drop('title'),
  set('title', 'title is empty', () => ''),
  set('title', 'title is only spaces', () => '   '),
  set('title', 'title is 101 characters', (rng) => 'x'.repeat(101 - 4) + rng.word(4, 4)),
  set('title', 'title is a number', (rng) => rng.int(1, 99)),
  drop('startsAt'),
  set('startsAt', 'startsAt is free text', () => 'next tuesday'),
  set('startsAt', 'startsAt is a date without a time', () => '2037-05-01'),
  set('startsAt', 'startsAt has no time zone', () => '2037-05-01T18:30:00'),
  set('startsAt', 'startsAt has an offset instead of Z', () => '2037-05-01T18:30:00+02:00'),
  set('startsAt', 'startsAt has month 13', () => '2037-13-01T18:30:00Z'),
  set('startsAt', 'startsAt is a number', () => 2124300000000),
  drop('capacity'),
  set('capacity', 'capacity is 0', () => 0),
  set('capacity', 'capacity is 1001', () => 1001),
  set('capacity', 'capacity is negative', (rng) => -rng.int(1, 50)),
  set('capacity', 'capacity is not a whole number', (rng) => rng.int(1, 99) + 0.5),
  set('capacity', 'capacity is a numeric string', (rng) => String(rng.int(1, 999))),
  set('capacity', 'capacity is null', () => null),
  drop('kind'),
  set('kind', 'kind is not one of the two', () => 'party'),
  set('kind', 'kind has the wrong case', () => 'Talk'),
  set('kind', 'kind is null', () => null),
  set('tags', 'tags is a string', (rng) => rng.word()),
  set('tags', 'tags is null', () => null),
  set('tags', 'tags has 6 items', (rng) => tagsOf(rng, 6)),
  badTag('a tag is a number', (rng) => rng.int(1, 99)),
  badTag('a tag is empty', () => ''),
  badTag('a tag is 21 characters', (rng) => 'x'.repeat(17) + rng.word(4, 4)),
  {
    field: 'unknown',
    label: 'the body has an unknown field',
    apply: (body, rng) => {
      const key = rng.pick(EXTRA_KEYS)
      body[key] = rng.word()
      return [key]
    },
  },
]

const sortPaths = (paths: Path[]) => paths.map((p) => JSON.stringify(p)).sort()

/**
 * Checks the 422 contract and returns the distinct paths reported, sorted, as JSON text:
 * `{ error: 'validation_failed', issues: [{ path: [...], message: '...' }, ...] }`.
 */
function reportedPaths(reply: Reply): string[] {
  expect(reply).toHaveStatus(422)
  expect(reply).toHaveJsonBody(
    expect.objectContaining({ error: 'validation_failed', issues: expect.any(Array) }),
  )
  focusOn(reply)
  const issues = (reply.body as { issues: unknown[] }).issues
  expect(issues.length, 'issues must list at least one problem').toBeGreaterThan(0)
  for (const issue of issues) {
    expect(issue, 'each issue is { path: (string | number)[], message: string }').toEqual(
      expect.objectContaining({ path: expect.any(Array), message: expect.any(String) }),
    )
    const { path } = issue as { path: unknown[] }
    const keysOk = path.every((k) => typeof k === 'string' || typeof k === 'number')
    expect(keysOk, `path ${JSON.stringify(path)} must hold only strings and numbers`).toBe(true)
  }
  return [...new Set(issues.map((i) => JSON.stringify((i as { path: Path }).path)))].sort()
}

/** A 422 whose issues name exactly these paths (each at least once, nothing else). */
function expectIssuesAt(reply: Reply, paths: Path[]): void {
  const reported = reportedPaths(reply)
  expect(reported, 'the paths reported in issues (as JSON)').toEqual(
    [...new Set(sortPaths(paths))].sort(),
  )
}

const NOT_FOUND = expect.objectContaining({ error: 'not_found' })

describe('request-validation', () => {
  task(1, 'Look up an event by id', () => {
    it('GET /api/events/:id answers 200 with that event', async () => {
      const rng = random()
      const events = seedEvents(rng)
      const event = rng.pick(events)
      const res = await appFor(events).get(`/api/events/${event.id}`)
      expect(res).toHaveStatus(200)
      expect(res).toHaveJsonBody(event)
    })

    it('GET /api/events/:id answers 404 not_found for an id no event holds', async () => {
      const rng = random()
      const events = seedEvents(rng)
      const api = appFor(events)
      const gap = byId(events)[0]!.id + 1 // ids are at least 2 apart, so this one is free
      for (const id of [gap, maxId(events) + rng.int(1, 50)]) {
        const res = await api.get(`/api/events/${id}`)
        expect(res).toHaveStatus(404)
        expect(res).toHaveJsonBody(NOT_FOUND)
      }
    })

    it('answers 404 not_found for paths outside the API', async () => {
      const rng = random()
      const events = seedEvents(rng)
      const api = appFor(events)
      for (const path of ['/', `/api/${rng.word()}`, `/api/events/${rng.pick(events).id}/x`]) {
        const res = await api.get(path)
        expect(res).toHaveStatus(404)
        expect(res).toHaveJsonBody(NOT_FOUND)
      }
    })
  })

  task(2, 'List and filter events', () => {
    it(
      'GET /api/events lists every event in ascending id order, with default filters',
      async () => {
        const events = seedEvents(random())
        const res = await appFor(events).get('/api/events')
        expect(res).toHaveStatus(200)
        expect(res).toHaveJsonBody({ filters: { limit: 20 }, events: byId(events) })
      },
    )

    it('GET /api/events returns at most 20 events when no limit is given', async () => {
      const rng = random()
      const events = seedEvents(rng, rng.int(21, 30))
      const res = await appFor(events).get('/api/events')
      expect(res).toHaveStatus(200)
      expect(res).toHaveJsonBody({ filters: { limit: 20 }, events: byId(events).slice(0, 20) })
    })

    it(
      'GET /api/events?limit=n returns the first n events, echoing limit as a number',
      async () => {
        const rng = random()
        const events = seedEvents(rng, rng.int(5, 9))
        const limit = rng.int(2, events.length - 1)
        const api = appFor(events)
        for (const n of [limit, 1]) {
          const res = await api.get(`/api/events?limit=${n}`)
          expect(res).toHaveStatus(200)
          expect(res).toHaveJsonBody({ filters: { limit: n }, events: byId(events).slice(0, n) })
        }
        const all = await api.get('/api/events?limit=100')
        expect(all).toHaveJsonBody({ filters: { limit: 100 }, events: byId(events) })
      },
    )

    it('GET /api/events?minCapacity=n compares capacities as numbers, not strings', async () => {
      const rng = random()
      // A two-digit minimum "ab" with 2 <= a <= 8: a one-digit capacity above a sorts above it as
      // text ("9" > "25") and a 1xx capacity sorts below it ("150" < "25"), both wrongly.
      const min = rng.int(20, 89)
      const lead = Math.floor(min / 10)
      const capacities = rng.shuffle([
        rng.int(lead + 1, 9),
        min - 1,
        min,
        min + rng.int(1, 9),
        rng.int(100, 199),
        rng.int(200, 1000),
      ])
      const events = seedEvents(rng, capacities.length).map((e, i) => ({
        ...e,
        capacity: capacities[i]!,
      }))
      const res = await appFor(events).get(`/api/events?minCapacity=${min}`)
      expect(res).toHaveStatus(200)
      expect(res).toHaveJsonBody({
        filters: { limit: 20, minCapacity: min },
        events: byId(events).filter((e) => e.capacity >= min),
      })
    })

    it('GET /api/events?minCapacity=0 keeps every event', async () => {
      const events = seedEvents(random())
      const res = await appFor(events).get('/api/events?minCapacity=0')
      expect(res).toHaveStatus(200)
      expect(res).toHaveJsonBody({ filters: { limit: 20, minCapacity: 0 }, events: byId(events) })
    })

    it('GET /api/events?tag=t keeps the events that carry that tag', async () => {
      const rng = random()
      const tag = rng.word(3, 8)
      const events = seedEvents(rng, rng.int(5, 8)).map((e, i) => ({
        ...e,
        // Every other event carries the tag, at a random place among its other tags.
        tags:
          i % 2 === 0 ? rng.shuffle([...e.tags.slice(0, 4), tag]) : e.tags.filter((t) => t !== tag),
      }))
      const res = await appFor(events).get(`/api/events?tag=${tag}`)
      expect(res).toHaveStatus(200)
      expect(res).toHaveJsonBody({
        filters: { limit: 20, tag },
        events: byId(events).filter((e) => e.tags.includes(tag)),
      })
    })

    it(
      'GET /api/events accepts tags of 1 and 20 characters and numbers with leading zeros',
      async () => {
        const rng = random()
        const short = rng.word(1, 1)
        const long = 'x'.repeat(16) + rng.word(4, 4)
        const events = seedEvents(rng, 8).map((e, i) => ({
          ...e,
          capacity: rng.int(1, 1000),
          tags: i % 2 === 0 ? [short, long] : e.tags.filter((t) => t !== short && t !== long),
        }))
        const api = appFor(events)
        for (const tag of [short, long]) {
          const res = await api.get(`/api/events?tag=${tag}`)
          expect(res).toHaveStatus(200)
          expect(res).toHaveJsonBody({
            filters: { limit: 20, tag },
            events: byId(events).filter((e) => e.tags.includes(tag)),
          })
        }
        const min = rng.int(1, 9)
        const res = await api.get(`/api/events?limit=03&minCapacity=00${min}`)
        expect(res).toHaveStatus(200)
        expect(res).toHaveJsonBody({
          filters: { limit: 3, minCapacity: min },
          events: byId(events)
            .filter((e) => e.capacity >= min)
            .slice(0, 3),
        })
      },
    )

    it('GET /api/events applies the filters first, then the limit', async () => {
      const rng = random()
      const tag = rng.word(3, 8)
      // In id order, the first event fails the capacity filter and the second the tag filter:
      // cutting to `limit` before filtering returns fewer events than it should.
      const events = byId(seedEvents(rng, 10)).map((e, i) => ({
        ...e,
        capacity: i % 3 === 0 ? rng.int(1, 49) : rng.int(50, 1000),
        tags: i % 4 === 1 ? e.tags.filter((t) => t !== tag) : [tag],
      }))
      const matching = events.filter((e) => e.capacity >= 50 && e.tags.includes(tag))
      const limit = matching.length - 1
      const res = await appFor(rng.shuffle(events)).get(
        `/api/events?tag=${tag}&limit=${limit}&minCapacity=50`,
      )
      expect(res).toHaveStatus(200)
      expect(res).toHaveJsonBody({
        filters: { limit, minCapacity: 50, tag },
        events: matching.slice(0, limit),
      })
    })
  })

  task(3, 'Create an event', () => {
    it('POST /api/events answers 201 with the event it created', async () => {
      const rng = random()
      const events = seedEvents(rng)
      const input = validInput(rng)
      const res = await appFor(events).post('/api/events', { json: input })
      expect(res).toHaveStatus(201)
      expect(res).toHaveJsonBody(created(input, maxId(events) + 1))
    })

    it(
      'POST /api/events stores the parsed event: title trimmed, tags defaulted to []',
      async () => {
        const rng = random()
        const input = validInput(rng)
        delete input.tags
        const title = input.title as string
        input.title = `  ${title}   `
        const api = eventsApp({})
        const res = await api.post('/api/events', { json: input })
        const event = { ...created(input, 1), title, tags: [] }
        expect(res).toHaveStatus(201)
        expect(res).toHaveJsonBody(event)
        const fetched = await api.get('/api/events/1')
        expect(fetched).toHaveStatus(200)
        expect(fetched).toHaveJsonBody(event)
      },
    )

    it('POST /api/events accepts values at the edges of every range', async () => {
      const rng = random()
      const api = eventsApp({})
      const bodies: Body[] = [
        {
          ...validInput(rng),
          title: 'x'.repeat(96) + rng.word(4, 4),
          capacity: 1000,
          tags: Array.from({ length: 5 }, () => 'x'.repeat(16) + rng.word(4, 4)),
          kind: 'workshop',
        },
        // 100 characters once trimmed: the length counts after trimming.
        {
          ...validInput(rng),
          title: ` ${'y'.repeat(99)}x  `,
          capacity: 1,
          tags: ['a'],
          kind: 'talk',
        },
        { ...validInput(rng), startsAt: '2037-05-01T18:30:00.123456Z', tags: [] },
      ]
      for (const [i, body] of bodies.entries()) {
        const res = await api.post('/api/events', { json: body })
        expect(res).toHaveStatus(201)
        expect(res).toHaveJsonBody(created(body, i + 1))
      }
    })

    it('keeps each app its own store, and never changes the array it was given', async () => {
      const rng = random()
      const events = seedEvents(rng)
      const before = structuredClone(events)
      const first = eventsApp({ events })
      const second = eventsApp({ events })
      expect(await first.post('/api/events', { json: validInput(rng) })).toHaveStatus(201)
      const list = await second.get('/api/events')
      expect(list).toHaveJsonBody({ filters: { limit: 20 }, events: byId(before) })
      focusOn(list)
      expect(events, 'the events array passed to createApp was changed').toEqual(before)
      // The store is a copy: what the caller adds to its array afterwards is not in it.
      events.push(created(validInput(rng), maxId(events) + 1))
      const after = await second.get('/api/events')
      expect(after).toHaveJsonBody({ filters: { limit: 20 }, events: byId(before) })
    })
  })

  task(4, 'Report every invalid field at its path', () => {
    it.each(DEFECTS.map((d) => [d.label, d] as const))(
      'POST /api/events answers 422 with the issue at its path when %s',
      async (_, defect) => {
        const rng = random()
        const body = validInput(rng)
        const path = defect.apply(body, rng)
        const res = await eventsApp({}).post('/api/events', { json: body })
        expectIssuesAt(res, [path])
      },
    )

    it('POST /api/events reports every invalid field, not just the first', async () => {
      const rng = random()
      const api = eventsApp({})
      for (let round = 0; round < 4; round++) {
        const body = validInput(rng)
        const slots = [...new Set(DEFECTS.map((d) => d.field))]
        const fields = rng.shuffle(slots).slice(0, rng.int(2, 6))
        const paths = fields
          .map((field) => rng.pick(DEFECTS.filter((d) => d.field === field)))
          .map((defect) => defect.apply(body, rng))
        expectIssuesAt(await api.post('/api/events', { json: body }), paths)
      }
    })

    it('POST /api/events reports an invalid tag at its index in the array', async () => {
      const rng = random()
      const body = validInput(rng)
      const tags: unknown[] = tagsOf(rng, 5)
      const [first, second] = rng.shuffle([0, 1, 2, 3, 4])
      tags[first!] = rng.int(1, 9)
      tags[second!] = ''
      body.tags = tags
      const res = await eventsApp({}).post('/api/events', { json: body })
      expectIssuesAt(res, [
        ['tags', first!],
        ['tags', second!],
      ])
    })

    it('POST /api/events rejects each unknown field at its own path', async () => {
      const rng = random()
      const [a, b] = rng.shuffle(EXTRA_KEYS)
      const body = { ...validInput(rng), [a!]: rng.word(), [b!]: rng.int(1, 9) }
      const api = eventsApp({})
      expectIssuesAt(await api.post('/api/events', { json: body }), [[a!], [b!]])
      expect(await api.get('/api/events')).toHaveJsonBody({ filters: { limit: 20 }, events: [] })
    })

    it.each([
      ['"__proto__" with a number', '"__proto__":7', '__proto__'],
      ['"__proto__" with an object', '"__proto__":{"isAdmin":true}', '__proto__'],
      ['"constructor"', '"constructor":"x"', 'constructor'],
      ['"prototype"', '"prototype":{}', 'prototype'],
      ['"toString"', '"toString":"y"', 'toString'],
    ])(
      'POST /api/events rejects an unknown field named %s at its own path',
      async (_, member, key) => {
        const rng = random()
        const api = eventsApp({})
        const res = await api.post('/api/events', {
          headers: { 'Content-Type': 'application/json' },
          body: withRawMember(validInput(rng), member),
        })
        expectIssuesAt(res, [[key]])
        expect(await api.get('/api/events')).toHaveJsonBody({ filters: { limit: 20 }, events: [] })
      },
    )

    it(
      'POST /api/events refuses a client-sent id (422 at ["id"]) and creates nothing',
      async () => {
        const rng = random()
        const events = seedEvents(rng)
        const taken = rng.pick(events)
        const api = appFor(events)
        const res = await api.post('/api/events', { json: { ...validInput(rng), id: taken.id } })
        expectIssuesAt(res, [['id']])
        expect(await api.get(`/api/events/${taken.id}`)).toHaveJsonBody(taken)
        const fresh = await api.post('/api/events', { json: { ...validInput(rng), id: 999999 } })
        expectIssuesAt(fresh, [['id']])
        expect(await api.get('/api/events/999999')).toHaveStatus(404)
      },
    )

    it.each([
      ['an array', [{ title: 'Talk' }]],
      ['null', null],
      ['a number', 42],
      ['a string', 'Talk'],
      ['a boolean', true],
    ])('POST /api/events answers 422 at path [] when the JSON body is %s', async (_, body) => {
      const res = await eventsApp({}).post('/api/events', { json: body })
      expectIssuesAt(res, [[]])
    })

    it('a POST refused with 422 creates nothing and uses up no id', async () => {
      const rng = random()
      const events = seedEvents(rng)
      const api = appFor(events)
      const bad = validInput(rng)
      bad.capacity = 0
      expect(await api.post('/api/events', { json: bad })).toHaveStatus(422)
      const list = await api.get('/api/events')
      expect(list).toHaveJsonBody({ filters: { limit: 20 }, events: byId(events) })
      const input = validInput(rng)
      const res = await api.post('/api/events', { json: input })
      expect(res).toHaveStatus(201)
      expect(res).toHaveJsonBody(created(input, maxId(events) + 1))
    })
  })

  task(5, 'Tell malformed JSON from invalid content', () => {
    it.each([
      ['truncated JSON', '{"title": "Talk", "capacity": '],
      ['a JavaScript object literal', "{ title: 'Talk' }"],
      ['an empty body', ''],
    ])('POST /api/events answers 400 malformed_json (not 422) for %s', async (_, text) => {
      const res = await eventsApp({}).post('/api/events', {
        headers: { 'Content-Type': 'application/json' },
        body: text,
      })
      expect(res).toHaveStatus(400)
      expect(res).toHaveJsonBody(expect.objectContaining({ error: 'malformed_json' }))
    })

    it('a POST refused with 400 creates nothing and uses up no id', async () => {
      const rng = random()
      const events = seedEvents(rng)
      const api = appFor(events)
      const broken = await api.post('/api/events', {
        headers: { 'Content-Type': 'application/json' },
        body: '{"title":',
      })
      expect(broken).toHaveStatus(400)
      const list = await api.get('/api/events')
      expect(list).toHaveJsonBody({ filters: { limit: 20 }, events: byId(events) })
      const input = validInput(rng)
      const res = await api.post('/api/events', { json: input })
      expect(res).toHaveStatus(201)
      expect(res).toHaveJsonBody(created(input, maxId(events) + 1))
    })
  })

  task(6, 'Validate the query and the id', () => {
    it.each([
      ['limit', 'abc'],
      ['limit', ''],
      ['limit', '0'],
      ['limit', '00'],
      ['limit', '101'],
      ['limit', '2.5'],
      ['limit', '1e1'],
      ['limit', '-5'],
      ['limit', '%2B5'],
      ['minCapacity', ''],
      ['minCapacity', '%20'],
      ['minCapacity', 'abc'],
      ['minCapacity', '12abc'],
      ['minCapacity', '1e2'],
      ['minCapacity', '0x10'],
      ['minCapacity', '-1'],
      ['minCapacity', '7.5'],
      ['minCapacity', '%2B3'],
      ['tag', ''],
      ['tag', 'x'.repeat(21)],
    ])('GET /api/events answers 422 at the parameter for %s=%j', async (name, value) => {
      const events = seedEvents(random())
      const res = await appFor(events).get(`/api/events?${name}=${value}`)
      expectIssuesAt(res, [[name]])
    })

    it('GET /api/events reports every invalid query parameter', async () => {
      const rng = random()
      const api = appFor(seedEvents(rng))
      const res = await api.get(`/api/events?limit=${rng.word(2, 5)}&minCapacity=&tag=`)
      expectIssuesAt(res, [['limit'], ['minCapacity'], ['tag']])
    })

    it('GET /api/events rejects an unknown query parameter at its path', async () => {
      const rng = random()
      const api = appFor(seedEvents(rng))
      const typo = await api.get(`/api/events?minCap=${rng.int(10, 99)}`)
      expectIssuesAt(typo, [['minCap']])
      const two = await api.get(`/api/events?limit=3&sort=capacity&page=2`)
      expectIssuesAt(two, [['sort'], ['page']])
      for (const key of ['__proto__', 'constructor', 'toString']) {
        expectIssuesAt(await api.get(`/api/events?${key}=1`), [[key]])
      }
    })

    it.each([
      ['a word', (_: EventRecord) => 'abc'],
      ['an existing id followed by a letter', (e: EventRecord) => `${e.id}x`],
      ['an existing id with a decimal part', (e: EventRecord) => `${e.id}.0`],
      ['an existing id with a plus sign', (e: EventRecord) => `%2B${e.id}`],
      ['an existing id after a space', (e: EventRecord) => `%20${e.id}`],
      ['an existing id in hexadecimal', (e: EventRecord) => `0x${e.id.toString(16)}`],
      ['zero', (_: EventRecord) => '0'],
      ['zero written twice', (_: EventRecord) => '00'],
      ['negative', (e: EventRecord) => `-${e.id}`],
    ])('GET /api/events/:id answers 422 at ["id"] when the id is %s', async (_, idOf) => {
      const rng = random()
      const events = seedEvents(rng)
      const res = await appFor(events).get(`/api/events/${idOf(rng.pick(events))}`)
      expectIssuesAt(res, [['id']])
    })

    it(
      'GET /api/events/:id reads an id with leading zeros as the number its digits spell',
      async () => {
        const rng = random()
        const events = seedEvents(rng)
        const event = rng.pick(events)
        const res = await appFor(events).get(`/api/events/00${event.id}`)
        expect(res).toHaveStatus(200)
        expect(res).toHaveJsonBody(event)
      },
    )
  })
})
