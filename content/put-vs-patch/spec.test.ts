// put-vs-patch - the hidden spec.
//
// Wrong implementations this spec is built to catch:
// - PUT that merges the body into the old profile instead of replacing it: optional members the
//   body leaves out (top-level or nested, like address.street) survive
// - PUT that refuses a new id with 404 (PUT creates at a client-chosen URL), or creates with
//   200 instead of 201, or without Location
// - PUT that treats null like "leave out", or validates loosely (wrong types, unknown members,
//   a nested object without its required members, bodies that are not objects)
// - malformed JSON answered with 500 or 422 instead of 400
// - an `id` in the body that overrides the id in the path (echoed, or stored under it)
// - PATCH that accepts `application/json` (or any type) instead of answering 415, a 415 without
//   Accept-Patch, or a check so strict that `; charset=utf-8` or other letter case is refused
// - PATCH that stores null (or refuses it) instead of removing the member, at the top level or
//   inside nested objects; that replaces nested objects instead of merging them (or merges one
//   level deep only); that merges arrays by index or concatenates them
// - PATCH that does not follow RFC 7396 for a nested object the profile lacks (keeps the
//   patch's nulls in it, skips validating it)
// - PATCH that validates the patch document instead of the patched result (`{ "name": null }`
//   passes a partial schema), or does not validate at all
// - a failed PATCH that leaves a half-applied change: patching the stored object (or a shallow
//   copy sharing its nested objects) in place before validating
// - PATCH on a missing id that creates the profile (an upsert) instead of answering 404
// - a merge written as `result[key] = ...`, where a `__proto__` member sets the prototype (or
//   pollutes Object.prototype) instead of being refused as unknown
// - a merge that assigns `result[key] = ...` on a plain object, so a `__proto__` member with a
//   primitive value (`{"__proto__": 5}`) is silently dropped and the patch answers 200
// - a schema that looks members up in a plain object (`key in shape`, `shape[key]`), so
//   `constructor`, `toString` or `__proto__` count as known members, in a PUT body or a patch,
//   at any level
// - an `id` ignored only when it is a string (a numeric or null `id` judged by the schema)
// - a PATCH without Content-Type, or with `application/merge-patch`, let through; an empty body
//   not answered 400
// - patching the seed objects the app was given, or hard-coded data (every profile is random)
// - seed profiles copied one level deep (the caller's nested objects shared), or read lazily
//   after createApp, so the caller's later changes show up
// - one store for the whole module, so two apps see each other's writes
import { describe, expect, it } from 'vitest'
import {
  client,
  focusOn,
  random,
  task,
  type Client,
  type Rng,
} from '../../harness/spec-kit/index.ts'
import { createApp, type Profile } from '../../exercises/put-vs-patch/app.ts'

const MERGE_PATCH = 'application/merge-patch+json'

const cap = (word: string) => word[0]!.toUpperCase() + word.slice(1)

/** A profile with every optional member present, nested ones included. */
function fullProfile(rng: Rng, id: string): Profile {
  return {
    id,
    name: `${cap(rng.word(3, 8))} ${cap(rng.word(3, 9))}`,
    email: `${rng.word(3, 8)}@${rng.word(4, 7)}.test`,
    bio: Array.from({ length: rng.int(3, 7) }, () => rng.word(2, 8)).join(' '),
    tags: Array.from({ length: rng.int(2, 4) }, () => rng.word(3, 7)),
    address: {
      street: `${rng.int(1, 250)} ${cap(rng.word())} Street`,
      city: cap(rng.word()),
      country: cap(rng.word(4, 8)),
    },
    settings: {
      theme: rng.pick(['light', 'dark'] as const),
      notifications: { email: rng.next() < 0.5, sms: rng.next() < 0.5 },
    },
  }
}

/** A profile with the required members only. */
function sparseProfile(rng: Rng, id: string): Profile {
  const { name, email } = fullProfile(rng, id)
  return { id, name, email }
}

/** Random profiles in random order: 2 to 4 full ones, 1 or 2 sparse ones, and an unused id. */
function world(rng: Rng) {
  const ids = new Set<string>()
  const freshId = () => {
    let id: string
    do id = `${rng.word(3, 7)}-${rng.int(1, 999)}`
    while (ids.has(id))
    ids.add(id)
    return id
  }
  const full = Array.from({ length: rng.int(2, 4) }, () => fullProfile(rng, freshId()))
  const sparse = Array.from({ length: rng.int(1, 2) }, () => sparseProfile(rng, freshId()))
  const [target, other] = rng.shuffle(full)
  return {
    profiles: rng.shuffle([...full, ...sparse]),
    /** A full profile to work on. */
    target: target!,
    /** Another full profile, to check that it is left alone. */
    other: other!,
    sparse: rng.pick(sparse),
    freeId: freshId(),
  }
}

type World = ReturnType<typeof world>

// Every app gets its own deep copy, so `w` stays the expected state even if the app (wrongly)
// edits what it was given. The last test hands the seed over as is, on purpose.
const appFor = (w: World) => client(createApp({ profiles: structuredClone(w.profiles) }))

const url = (id: string) => `/api/profiles/${id}`

/** The body a client sends for a profile: every member but the id. */
function bodyOf(profile: Profile): Omit<Profile, 'id'> {
  const { id: _id, ...body } = structuredClone(profile)
  return body
}

const mergePatch = (api: Client, id: string, patch: unknown) =>
  api.patch(url(id), { headers: { 'Content-Type': MERGE_PATCH }, json: patch })

/** The stored profile still equals `expected`. */
async function expectStored(api: Client, expected: Profile): Promise<void> {
  const res = await api.get(url(expected.id))
  expect(res).toHaveStatus(200)
  expect(res).toHaveJsonBody(expected)
}

async function expectMissing(api: Client, id: string): Promise<void> {
  const res = await api.get(url(id))
  expect(res).toHaveStatus(404)
  expect(res).toHaveJsonBody(NOT_FOUND)
}

const NOT_FOUND = expect.objectContaining({ error: 'not_found' })
const INVALID_PROFILE = expect.objectContaining({ error: 'invalid_profile' })
const INVALID_JSON = expect.objectContaining({ error: 'invalid_json' })

// PUT bodies that must be refused with 422, built from a valid full body.
type Body = Omit<Profile, 'id'>
const invalidPutBodies: [string, (b: Body) => unknown][] = [
  ['name is missing', ({ name: _, ...b }) => b],
  ['email is missing', ({ email: _, ...b }) => b],
  ['name is not a string', (b) => ({ ...b, name: 42 })],
  ['bio is null (leave a member out instead)', (b) => ({ ...b, bio: null })],
  ['tags is not an array', (b) => ({ ...b, tags: b.tags!.join(',') })],
  ['a tag is not a string', (b) => ({ ...b, tags: [...b.tags!, 7] })],
  ['address has no city', (b) => ({ ...b, address: { country: b.address!.country } })],
  ['address.street is not a string', (b) => ({ ...b, address: { ...b.address, street: 12 } })],
  ['settings.theme is neither light nor dark', (b) => ({ ...b, settings: { theme: 'blue' } })],
  [
    'settings.notifications.sms is not a boolean',
    (b) => ({ ...b, settings: { notifications: { sms: 'yes' } } }),
  ],
  ['it has a member the schema does not know', (b) => ({ ...b, nickname: 'ace' })],
  [
    'address has a member the schema does not know',
    (b) => ({ ...b, address: { ...b.address, zip: '1' } }),
  ],
  ['it has a __proto__ member with a primitive value', (b) => ({ ...b, ['__proto__']: 5 })],
  ['it has a constructor member', (b) => ({ ...b, constructor: { name: b.name } })],
  ['the body is an array', (b) => [b]],
  ['the body is null', () => null],
  ['the body is a string', (b) => b.name],
]

// Merge patches whose result breaks the schema, for a full profile `p`.
const invalidPatches: [string, (p: Profile) => unknown][] = [
  ['removes the name', () => ({ name: null })],
  ['removes the email', () => ({ email: null })],
  ['sets name to a number', () => ({ name: 7 })],
  ['sets tags to a string', (p) => ({ tags: p.tags!.join(' ') })],
  ['removes the city of the address', () => ({ address: { city: null } })],
  ['sets address.country to a number', () => ({ address: { country: 31 } })],
  ['sets settings.theme to blue', () => ({ settings: { theme: 'blue' } })],
  [
    'sets settings.notifications.sms to a string',
    () => ({ settings: { notifications: { sms: 'no' } } }),
  ],
  ['adds a member the schema does not know', () => ({ nickname: 'ace' })],
  ['adds an unknown member inside address', () => ({ address: { zip: '1234' } })],
  ['adds a __proto__ member with a primitive value', () => ({ ['__proto__']: 5 })],
  ['adds a constructor member', (p) => ({ constructor: { name: p.name } })],
  ['adds a prototype member', () => ({ prototype: 'x' })],
  ['replaces the whole profile with an array', (p) => [p.name]],
  ['replaces the whole profile with a string', (p) => p.name],
  ['replaces the whole profile with null', () => null],
]

describe('put-vs-patch', () => {
  task(1, 'Read a profile', () => {
    it('GET /api/profiles/:id answers 200 with the profile', async () => {
      const w = world(random())
      const api = appFor(w)
      await expectStored(api, w.target)
      await expectStored(api, w.sparse)
    })

    it('GET /api/profiles/:id answers 404 not_found for an id nobody holds', async () => {
      const w = world(random())
      await expectMissing(appFor(w), w.freeId)
    })

    it('keeps its own copy of the profiles, taken when createApp runs', async () => {
      const rng = random()
      const w = world(rng)
      const given = structuredClone(w.profiles)
      const api = client(createApp({ profiles: given }))
      // The caller goes on using its array and objects before the first request arrives.
      const mine = given.find((p) => p.id === w.target.id)!
      mine.name = cap(rng.word())
      delete mine.bio
      mine.address!.city = cap(rng.word())
      mine.tags!.push(rng.word())
      given.splice(given.findIndex((p) => p.id === w.sparse.id), 1)
      given.push(fullProfile(rng, w.freeId))
      await expectStored(api, w.target)
      await expectStored(api, w.sparse)
      await expectMissing(api, w.freeId)
    })
  })

  task(2, 'Replace a profile with PUT', () => {
    it('PUT to a new id creates the profile: 201, Location and the profile', async () => {
      const rng = random()
      const w = world(rng)
      const created = fullProfile(rng, w.freeId)
      const api = appFor(w)
      const res = await api.put(url(w.freeId), { json: bodyOf(created) })
      expect(res).toHaveStatus(201)
      expect(res).toHaveJsonBody(created)
      expect(res).toHaveHeader('location')
      // A relative reference or an absolute URL: only the path is the contract.
      expect(new URL(res.headers['location']!, 'http://api.test').pathname).toBe(url(w.freeId))
      await expectStored(api, created)
    })

    it('PUT to an existing id answers 200 with the new representation', async () => {
      const rng = random()
      const w = world(rng)
      const replacement = fullProfile(rng, w.target.id)
      const api = appFor(w)
      const res = await api.put(url(w.target.id), { json: bodyOf(replacement) })
      expect(res).toHaveStatus(200)
      expect(res).toHaveJsonBody(replacement)
      await expectStored(api, replacement)
    })

    it('PUT replaces the whole profile: members the body leaves out are removed', async () => {
      const rng = random()
      const w = world(rng)
      const { target } = w
      const api = appFor(w)
      // No bio, no tags, no address.street, no settings.notifications: all of them must go.
      const replacement: Profile = {
        id: target.id,
        name: cap(rng.word()),
        email: target.email,
        address: { city: target.address!.city, country: target.address!.country },
        settings: { theme: target.settings!.theme === 'dark' ? 'light' : 'dark' },
      }
      const res = await api.put(url(target.id), { json: bodyOf(replacement) })
      expect(res).toHaveStatus(200)
      expect(res).toHaveJsonBody(replacement)
      await expectStored(api, replacement)
    })

    it('PUT with only the required members leaves only those', async () => {
      const rng = random()
      const w = world(rng)
      const replacement = sparseProfile(rng, w.target.id)
      const api = appFor(w)
      const res = await api.put(url(w.target.id), { json: bodyOf(replacement) })
      expect(res).toHaveStatus(200)
      expect(res).toHaveJsonBody(replacement)
      await expectStored(api, replacement)
    })

    it('PUT is idempotent: the same request twice leaves the same profile', async () => {
      const rng = random()
      const w = world(rng)
      const profile = fullProfile(rng, w.freeId)
      const api = appFor(w)
      const first = await api.put(url(w.freeId), { json: bodyOf(profile) })
      expect(first).toHaveStatus(201)
      const second = await api.put(url(w.freeId), { json: bodyOf(profile) })
      expect(second).toHaveStatus(200)
      expect(second).toHaveJsonBody(profile)
      await expectStored(api, profile)
    })

    it('PUT ignores an id in the body: the path names the profile', async () => {
      const rng = random()
      const w = world(rng)
      const created = fullProfile(rng, w.freeId)
      const api = appFor(w)
      const res = await api.put(url(w.freeId), { json: { ...bodyOf(created), id: w.other.id } })
      expect(res).toHaveStatus(201)
      expect(res).toHaveJsonBody(created)
      await expectStored(api, created)
      await expectStored(api, w.other)
      // Whatever its value: a number or null is ignored too, not judged against the schema.
      for (const id of [rng.int(1, 999), null]) {
        const again = await api.put(url(w.freeId), { json: { ...bodyOf(created), id } })
        expect(again).toHaveStatus(200)
        expect(again).toHaveJsonBody(created)
      }
    })

    it('each app keeps its own store, even when built from the same profiles', async () => {
      const rng = random()
      const w = world(rng)
      const given = structuredClone(w.profiles)
      const first = client(createApp({ profiles: given }))
      const second = client(createApp({ profiles: given }))
      const replacement = sparseProfile(rng, w.target.id)
      expect(await first.put(url(w.target.id), { json: bodyOf(replacement) })).toHaveStatus(200)
      const created = fullProfile(rng, w.freeId)
      expect(await first.put(url(w.freeId), { json: bodyOf(created) })).toHaveStatus(201)
      await expectStored(first, replacement)
      await expectStored(second, w.target)
      await expectMissing(second, w.freeId)
    })
  })

  task(3, 'Refuse an invalid PUT with 422 or 400', () => {
    it.each(invalidPutBodies)(
      'PUT answers 422 invalid_profile and changes nothing when %s',
      async (_, make) => {
        const rng = random()
        const w = world(rng)
        const api = appFor(w)
        const res = await api.put(url(w.target.id), { json: make(bodyOf(fullProfile(rng, 'x'))) })
        expect(res).toHaveStatus(422)
        expect(res).toHaveJsonBody(INVALID_PROFILE)
        await expectStored(api, w.target)
      },
    )

    it('PUT with an invalid body to a new id answers 422 and creates nothing', async () => {
      const rng = random()
      const w = world(rng)
      const { name: _, ...noName } = bodyOf(fullProfile(rng, w.freeId))
      const api = appFor(w)
      const res = await api.put(url(w.freeId), { json: noName })
      expect(res).toHaveStatus(422)
      expect(res).toHaveJsonBody(INVALID_PROFILE)
      await expectMissing(api, w.freeId)
    })

    it('PUT refuses prototype-named members, whatever their value', async () => {
      const rng = random()
      const w = world(rng)
      const api = appFor(w)
      const headers = { 'Content-Type': 'application/json' }
      const base = JSON.stringify(bodyOf(sparseProfile(rng, w.target.id))).slice(0, -1)
      const address = `"address": {"city": "${cap(rng.word())}", "country": "${cap(rng.word())}"`
      for (const extra of [
        `"__proto__": ${rng.int(1, 99)}`,
        `"__proto__": {"bio": "${rng.word()}"}`,
        `"constructor": "${rng.word()}"`,
        `"constructor": {}`,
        `"prototype": ${rng.int(1, 99)}`,
        `"toString": "${rng.word()}"`,
        `${address}, "__proto__": ${rng.int(1, 99)}}`,
        `"settings": {"constructor": {}}`,
      ]) {
        for (const id of [w.target.id, w.freeId]) {
          const res = await api.put(url(id), { headers, body: `${base}, ${extra}}` })
          expect(res).toHaveStatus(422)
          expect(res).toHaveJsonBody(INVALID_PROFILE)
        }
      }
      await expectStored(api, w.target)
      await expectMissing(api, w.freeId)
    })

    it('PUT answers 400 invalid_json for malformed JSON and changes nothing', async () => {
      const w = world(random())
      const api = appFor(w)
      const headers = { 'Content-Type': 'application/json' }
      const truncated = `{"name": "${w.target.name}", "email": `
      for (const id of [w.target.id, w.freeId]) {
        for (const body of [truncated, '']) {
          const res = await api.put(url(id), { headers, body })
          expect(res).toHaveStatus(400)
          expect(res).toHaveJsonBody(INVALID_JSON)
        }
      }
      await expectStored(api, w.target)
      await expectMissing(api, w.freeId)
    })
  })

  task(4, 'Merge a patch with PATCH', () => {
    it('PATCH replaces the members it names and keeps the others', async () => {
      const rng = random()
      const w = world(rng)
      const api = appFor(w)
      const name = cap(rng.word())
      const bio = `${rng.word()} ${rng.word()}`
      const expected = { ...w.target, name, bio }
      const res = await mergePatch(api, w.target.id, { name, bio })
      expect(res).toHaveStatus(200)
      expect(res).toHaveJsonBody(expected)
      await expectStored(api, expected)
    })

    it('PATCH with an empty object changes nothing and answers 200 with the profile', async () => {
      const w = world(random())
      const api = appFor(w)
      const res = await mergePatch(api, w.target.id, {})
      expect(res).toHaveStatus(200)
      expect(res).toHaveJsonBody(w.target)
      await expectStored(api, w.target)
    })

    it('PATCH adds members the profile did not have, nested objects included', async () => {
      const rng = random()
      const w = world(rng)
      const api = appFor(w)
      const { bio, tags, address } = fullProfile(rng, 'x')
      const patch = { bio, tags, address, settings: { theme: 'dark' as const } }
      const expected: Profile = { ...w.sparse, ...patch }
      const res = await mergePatch(api, w.sparse.id, patch)
      expect(res).toHaveStatus(200)
      expect(res).toHaveJsonBody(expected)
      await expectStored(api, expected)
    })

    it('PATCH removes a member whose value is null (it does not store null)', async () => {
      const w = world(random())
      const api = appFor(w)
      const { bio: _b, tags: _t, settings: _s, ...expected } = w.target
      const res = await mergePatch(api, w.target.id, { bio: null, tags: null, settings: null })
      expect(res).toHaveStatus(200)
      expect(res).toHaveJsonBody(expected)
      await expectStored(api, expected)
    })

    it('PATCH merges nested objects recursively, keeping the members not mentioned', async () => {
      const rng = random()
      const w = world(rng)
      const { address, settings } = w.target
      const api = appFor(w)
      const street = `${rng.int(251, 999)} ${cap(rng.word())} Road`
      const sms = !settings!.notifications!.sms
      const expected: Profile = {
        ...w.target,
        address: { ...address!, street },
        settings: { ...settings, notifications: { ...settings!.notifications, sms } },
      }
      const res = await mergePatch(api, w.target.id, {
        address: { street },
        settings: { notifications: { sms } },
      })
      expect(res).toHaveStatus(200)
      expect(res).toHaveJsonBody(expected)
      await expectStored(api, expected)
    })

    it('PATCH removes only the nested member set to null', async () => {
      const w = world(random())
      const { address, settings } = w.target
      const api = appFor(w)
      const { street: _, ...kept } = address!
      const expected: Profile = {
        ...w.target,
        address: kept,
        settings: { ...settings, notifications: { sms: settings!.notifications!.sms } },
      }
      const res = await mergePatch(api, w.target.id, {
        address: { street: null },
        settings: { notifications: { email: null } },
      })
      expect(res).toHaveStatus(200)
      expect(res).toHaveJsonBody(expected)
      await expectStored(api, expected)
    })

    it('PATCH replaces arrays whole instead of merging them', async () => {
      const rng = random()
      const w = world(rng)
      const api = appFor(w)
      const tag = `${rng.word(3, 7)}-${rng.int(1, 99)}`
      const one = await mergePatch(api, w.target.id, { tags: [tag] })
      expect(one).toHaveStatus(200)
      expect(one).toHaveJsonBody({ ...w.target, tags: [tag] })
      const none = await mergePatch(api, w.target.id, { tags: [] })
      expect(none).toHaveStatus(200)
      expect(none).toHaveJsonBody({ ...w.target, tags: [] })
      await expectStored(api, { ...w.target, tags: [] })
    })

    it('PATCH with a merge patch is idempotent: sent twice, it gives the same result', async () => {
      const rng = random()
      const w = world(rng)
      const api = appFor(w)
      const tags = [rng.word(), rng.word()]
      const theme = rng.pick(['light', 'dark'] as const)
      const { bio: _, ...rest } = w.target
      const expected: Profile = { ...rest, tags, settings: { ...w.target.settings, theme } }
      for (let i = 0; i < 2; i++) {
        const res = await mergePatch(api, w.target.id, { tags, settings: { theme }, bio: null })
        expect(res).toHaveStatus(200)
        expect(res).toHaveJsonBody(expected)
      }
      await expectStored(api, expected)
    })

    it('PATCH ignores an id in the patch: the path names the profile', async () => {
      const rng = random()
      const w = world(rng)
      const api = appFor(w)
      const bio = rng.word()
      const res = await mergePatch(api, w.target.id, { id: w.other.id, bio })
      expect(res).toHaveStatus(200)
      expect(res).toHaveJsonBody({ ...w.target, bio })
      await expectStored(api, { ...w.target, bio })
      await expectStored(api, w.other)
      for (const id of [rng.int(1, 999), null]) {
        const again = await mergePatch(api, w.target.id, { id })
        expect(again).toHaveStatus(200)
        expect(again).toHaveJsonBody({ ...w.target, bio })
      }
    })

    it('PATCH on an id nobody holds answers 404 and creates nothing', async () => {
      const rng = random()
      const w = world(rng)
      const api = appFor(w)
      // A patch that would make a perfectly valid profile: PATCH still must not create it.
      const res = await mergePatch(api, w.freeId, bodyOf(fullProfile(rng, w.freeId)))
      expect(res).toHaveStatus(404)
      expect(res).toHaveJsonBody(NOT_FOUND)
      await expectMissing(api, w.freeId)
    })

    it('never changes the profiles it was given', async () => {
      const rng = random()
      const w = world(rng)
      const before = structuredClone(w.profiles)
      const api = client(createApp({ profiles: w.profiles }))
      const patched = await mergePatch(api, w.target.id, {
        bio: null,
        address: { street: null },
        settings: { notifications: { sms: null } },
      })
      expect(patched).toHaveStatus(200)
      const replacement = bodyOf(sparseProfile(rng, w.other.id))
      const replaced = await api.put(url(w.other.id), { json: replacement })
      expect(replaced).toHaveStatus(200)
      expect(w.profiles, 'the profiles passed to createApp were changed').toEqual(before)
    })
  })

  task(5, 'Refuse a PATCH it cannot apply', () => {
    it.each([
      ['application/json', 'application/json'],
      ['application/json-patch+json', 'application/json-patch+json'],
      ['text/plain', 'text/plain'],
      ['application/merge-patch (no +json)', 'application/merge-patch'],
      ['none at all', undefined],
    ])(
      'PATCH with Content-Type %s answers 415 with Accept-Patch and changes nothing',
      async (_, type) => {
        const rng = random()
        const w = world(rng)
        const api = appFor(w)
        const res = await api.patch(url(w.target.id), {
          headers: type ? { 'Content-Type': type } : {},
          body: JSON.stringify({ bio: rng.word() }),
        })
        expect(res).toHaveStatus(415)
        expect(res).toHaveJsonBody(expect.objectContaining({ error: 'unsupported_media_type' }))
        // A list of media types; ours must be in it (other types and parameters may follow).
        expect(res).toHaveHeader('accept-patch')
        focusOn(res)
        const types = res.headers['accept-patch']!.split(',')
        const listed = types.map((t) => t.split(';')[0]!.trim().toLowerCase())
        expect(listed, 'Accept-Patch lists application/merge-patch+json').toContain(MERGE_PATCH)
        await expectStored(api, w.target)
      },
    )

    it.each([['application/merge-patch+json; charset=utf-8'], ['Application/Merge-Patch+JSON']])(
      'PATCH accepts the merge patch media type written as %s',
      async (type) => {
        const rng = random()
        const w = world(rng)
        const api = appFor(w)
        const bio = rng.word()
        const headers = { 'Content-Type': type }
        const res = await api.patch(url(w.target.id), { headers, json: { bio } })
        expect(res).toHaveStatus(200)
        expect(res).toHaveJsonBody({ ...w.target, bio })
      },
    )

    it('PATCH builds a nested object the profile lacks, then validates it', async () => {
      const rng = random()
      const w = world(rng)
      const api = appFor(w)
      const { city, country } = fullProfile(rng, 'x').address!
      // Merged into an empty object: without a country the result is not a valid address.
      const incomplete = await mergePatch(api, w.sparse.id, { address: { city } })
      expect(incomplete).toHaveStatus(422)
      expect(incomplete).toHaveJsonBody(INVALID_PROFILE)
      await expectStored(api, w.sparse)
      // A null for a member that is not there removes nothing, and is not stored either.
      const expected = { ...w.sparse, address: { city, country } }
      const res = await mergePatch(api, w.sparse.id, { address: { city, country, street: null } })
      expect(res).toHaveStatus(200)
      expect(res).toHaveJsonBody(expected)
      await expectStored(api, expected)
    })

    it.each(invalidPatches)(
      'PATCH answers 422 invalid_profile and changes nothing when the patch %s',
      async (_, make) => {
        const w = world(random())
        const api = appFor(w)
        const res = await mergePatch(api, w.target.id, make(w.target))
        expect(res).toHaveStatus(422)
        expect(res).toHaveJsonBody(INVALID_PROFILE)
        await expectStored(api, w.target)
      },
    )

    it('a failed PATCH applies none of its changes, not even the valid ones', async () => {
      const rng = random()
      const w = world(rng)
      const { target } = w
      const api = appFor(w)
      // Valid changes at every level first, the one that breaks the schema last.
      const res = await mergePatch(api, target.id, {
        name: cap(rng.word()),
        bio: null,
        tags: [rng.word()],
        address: { street: `${rng.int(251, 999)} ${cap(rng.word())} Lane` },
        settings: { notifications: { sms: !target.settings!.notifications!.sms } },
        email: null,
      })
      expect(res).toHaveStatus(422)
      expect(res).toHaveJsonBody(INVALID_PROFILE)
      await expectStored(api, target)
    })

    it('PATCH answers 400 invalid_json for malformed JSON and changes nothing', async () => {
      const w = world(random())
      const api = appFor(w)
      for (const body of ['{"bio": null, "tags": [', '']) {
        const headers = { 'Content-Type': MERGE_PATCH }
        const res = await api.patch(url(w.target.id), { headers, body })
        expect(res).toHaveStatus(400)
        expect(res).toHaveJsonBody(INVALID_JSON)
      }
      await expectStored(api, w.target)
    })

    it('PATCH refuses a __proto__ member as unknown, leaving Object.prototype alone', async () => {
      const rng = random()
      const w = world(rng)
      const api = appFor(w)
      const value = rng.word()
      const res = await api.patch(url(w.target.id), {
        headers: { 'Content-Type': MERGE_PATCH },
        body: `{"__proto__": {"polluted": "${value}"}, "bio": "${value}"}`,
      })
      const polluted = ({} as Record<string, unknown>)['polluted']
      expect(polluted, 'the patch wrote into Object.prototype').toBeUndefined()
      expect(res).toHaveStatus(422)
      expect(res).toHaveJsonBody(INVALID_PROFILE)
      await expectStored(api, w.target)
    })

    it('PATCH refuses prototype-named members with a primitive value, at any level', async () => {
      const rng = random()
      const w = world(rng)
      const api = appFor(w)
      const headers = { 'Content-Type': MERGE_PATCH }
      const bio = `"bio": "${rng.word()}"`
      // JSON.parse makes each of these an ordinary member, which the schema does not know.
      for (const body of [
        `{"__proto__": ${rng.int(1, 99)}, ${bio}}`,
        `{"__proto__": "${rng.word()}", ${bio}}`,
        `{"constructor": ${rng.int(1, 99)}, ${bio}}`,
        `{"prototype": "${rng.word()}", ${bio}}`,
        `{"toString": "${rng.word()}", ${bio}}`,
        `{"address": {"__proto__": ${rng.int(1, 99)}}, ${bio}}`,
        `{"settings": {"constructor": "${rng.word()}"}, ${bio}}`,
      ]) {
        const res = await api.patch(url(w.target.id), { headers, body })
        expect(res).toHaveStatus(422)
        expect(res).toHaveJsonBody(INVALID_PROFILE)
      }
      await expectStored(api, w.target)
    })

    it('PATCH refuses constructor and prototype members with object values', async () => {
      const rng = random()
      const w = world(rng)
      const api = appFor(w)
      const headers = { 'Content-Type': MERGE_PATCH }
      for (const body of [
        `{"constructor": {"name": "${rng.word()}"}}`,
        `{"prototype": {"bio": "${rng.word()}"}}`,
        `{"address": {"constructor": {}}}`,
      ]) {
        const res = await api.patch(url(w.target.id), { headers, body })
        expect(res).toHaveStatus(422)
        expect(res).toHaveJsonBody(INVALID_PROFILE)
      }
      await expectStored(api, w.target)
    })
  })
})
