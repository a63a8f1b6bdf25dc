// transactions - the hidden spec.
//
// The grader makes each statement of a transfer fail in turn (probe.failAt) and reads the
// database right after the response, through the same connection the app uses: an open
// transaction's uncommitted writes, or writes that were committed one by one, show up there.
//
// Wrong implementations this spec is built to catch:
// - no transaction: a failure between the debit and the credit leaves the money debited
// - BEGIN ... COMMIT without ROLLBACK on failure: the connection stays inside the transaction,
//   the half-done writes are visible, and the next transfer's BEGIN fails
// - BEGIN placed after the debit, or the ledger row written after COMMIT (money moves unrecorded)
// - answers 201 (or 422) when a statement failed: an I/O error is the server's fault, 500
// - maps every database error to 422 insufficient_funds
// - accepts amounts that are not whole positive cents: 0, -100, 1.5, "100", null, true
// - accepts a string id, or a transfer to the same account (a ledger row and new versions for
//   nothing)
// - an unknown receiving account found after the debit, without rolling the debit back
// - no CHECK (balance >= 0) in the schema: the database accepts an overdraft written by hand
// - an overdraft check off by one (refuses moving the whole balance, or allows one cent more)
// - transfers that do not bump the accounts' versions (an ETag read before them still matches)
// - no ETag, a weak or unquoted ETag; PATCH without If-Match accepted instead of 428; a stale,
//   weak (W/"3") or differently spelled ("03") If-Match accepted instead of 412
// - PATCH of an unknown account answered 412 (the UPDATE changed no row) or 428 instead of 404;
//   the owner validated before the If-Match header is looked at (422 instead of 428)
// - a whitespace-only owner accepted
// - reads the version, awaits the body, then writes without checking the version again: two
//   PATCHes sent at once with the same ETag both win (a lost update)
// - keeps accounts or versions in module-level state instead of the database
import { describe, expect, it } from 'vitest'
import {
  build,
  client,
  database,
  random,
  task,
  type DatabaseProbe,
  type Reply,
} from '../../harness/spec-kit/index.ts'
import { createApp, type Account } from '../../exercises/transactions/app.ts'

interface Ledger {
  id: number
  from_id: number
  to_id: number
  amount: number
}

interface Snapshot {
  accounts: Account[]
  transfers: Ledger[]
}

/** A fresh database, the app's migration run, then 4 to 6 accounts with random ids, balances and versions. */
async function setup() {
  const rng = random()
  const { db, probe } = await database()
  const app = build(createApp, { db })
  const api = client(app)
  const ids = rng.shuffle(Array.from({ length: 40 }, (_, i) => 10 + i * 3 + rng.int(0, 2))).slice(0, rng.int(4, 6))
  const accounts: Account[] = ids.map((id) => ({
    id,
    owner: rng.word(4, 9),
    balance: rng.int(50_000, 500_000),
    version: rng.int(1, 9),
  }))
  probe.exec(
    `INSERT INTO accounts (id, owner, balance, version) VALUES ${accounts
      .map((a) => `(${a.id}, '${a.owner}', ${a.balance}, ${a.version})`)
      .join(', ')}`,
  )
  const [from, to] = rng.shuffle(accounts) as [Account, Account, ...Account[]]
  const unknownId = Math.max(...ids) + rng.int(1, 50)
  const transfer = (json: unknown) => api.post('/api/transfers', { json })
  return { rng, db, probe, app, api, accounts, from, to, unknownId, transfer }
}

type Setup = Awaited<ReturnType<typeof setup>>

function snapshot(probe: DatabaseProbe): Snapshot {
  return {
    accounts: probe.query<Account>('SELECT id, owner, balance, version FROM accounts ORDER BY id'),
    transfers: probe.query<Ledger>('SELECT id, from_id, to_id, amount FROM transfers ORDER BY id'),
  }
}

/** The connection is back in autocommit mode: the app committed or rolled back. */
function expectNoOpenTransaction(probe: DatabaseProbe, why: string) {
  let open = false
  try {
    probe.exec('BEGIN')
  } catch {
    open = true
  }
  if (!open) probe.exec('ROLLBACK')
  expect(open, `${why}: the app left its transaction open (no ROLLBACK), so the next BEGIN fails`).toBe(false)
}

/** Nothing was written: checked through the app's own connection, after the response. */
function expectUnchanged(s: Setup, before: Snapshot, why: string) {
  expectNoOpenTransaction(s.probe, why)
  const after = snapshot(s.probe)
  expect(after.accounts, `${why}: the accounts (balances, versions) must be as before`).toEqual(before.accounts)
  expect(after.transfers, `${why}: no transfer may be recorded`).toEqual(before.transfers)
}

const account = (probe: DatabaseProbe, id: number) => snapshot(probe).accounts.find((a) => a.id === id)!

/** What a successful transfer must have done to the snapshot taken before it. */
function expectTransferred(s: Setup, before: Snapshot, res: Reply, t: { from: number; to: number; amount: number }) {
  const why = `POST /api/transfers ${JSON.stringify(t)}`
  expect(res, why).toHaveStatus(201)
  expect(res).toHaveJsonBody(expect.objectContaining({ from: t.from, to: t.to, amount: t.amount }))
  expectNoOpenTransaction(s.probe, why)
  const after = snapshot(s.probe)
  const expected = before.accounts.map((a) =>
    a.id === t.from
      ? { ...a, balance: a.balance - t.amount, version: a.version + 1 }
      : a.id === t.to
        ? { ...a, balance: a.balance + t.amount, version: a.version + 1 }
        : a,
  )
  expect(after.accounts, `${why}: debit one, credit the other, version + 1 on both, nothing else`).toEqual(expected)
  expect(after.transfers.length, `${why}: exactly one new row in transfers`).toBe(before.transfers.length + 1)
  const row = after.transfers.at(-1)!
  expect(row, `${why}: the transfers row`).toEqual(expect.objectContaining({ from_id: t.from, to_id: t.to, amount: t.amount }))
  expect((res.body as { id?: unknown }).id, 'the response id is the transfers row id').toBe(row.id)
}

const isWrite = (sql: string) => /^\s*(INSERT|UPDATE|DELETE|REPLACE)\b/i.test(sql)

describe('transactions', () => {
  task(1, 'Move money in one transaction', () => {
    it('moves the amount, records the transfer and answers 201', async () => {
      const s = await setup()
      const t = { from: s.from.id, to: s.to.id, amount: s.rng.int(1, s.from.balance) }
      const before = snapshot(s.probe)
      expectTransferred(s, before, await s.transfer(t), t)
    })

    it('records every transfer of a sequence, and the total of the balances never changes', async () => {
      const s = await setup()
      const total = s.accounts.reduce((sum, a) => sum + a.balance, 0)
      for (let i = 0; i < 5; i++) {
        const [from, to] = s.rng.shuffle(s.accounts) as [Account, Account]
        const t = { from: from.id, to: to.id, amount: s.rng.int(1, 9_999) }
        const before = snapshot(s.probe)
        expectTransferred(s, before, await s.transfer(t), t)
      }
      const after = snapshot(s.probe)
      expect(after.accounts.reduce((sum, a) => sum + a.balance, 0), 'money is moved, never made or lost').toBe(total)
    })

    it('runs every write of a transfer between BEGIN and COMMIT', async () => {
      const s = await setup()
      s.probe.clear()
      expect(await s.transfer({ from: s.from.id, to: s.to.id, amount: 100 })).toHaveStatus(201)
      const sql = s.probe.statements().map((st) => st.sql)
      const writes = sql.flatMap((text, i) => (isWrite(text) ? [i] : []))
      expect(writes.length, 'a transfer writes to the database').toBeGreaterThan(0)
      const [first, last] = [writes[0]!, writes.at(-1)!]
      const shown = `\n  ${sql.join('\n  ')}`
      expect(sql.slice(0, first).some((t) => /^\s*(BEGIN|SAVEPOINT)\b/i.test(t)), `no BEGIN before the first write:${shown}`).toBe(true)
      expect(
        sql.slice(first, last).some((t) => /^\s*(COMMIT|END|RELEASE|ROLLBACK)\b/i.test(t)),
        `the transaction ends between two writes of one transfer:${shown}`,
      ).toBe(false)
      expect(sql.slice(last + 1).some((t) => /^\s*(COMMIT|END|RELEASE)\b/i.test(t)), `no COMMIT after the last write:${shown}`).toBe(true)
    })

    it('leaves no partial state when any statement of a transfer fails, and answers 500', async () => {
      const s = await setup()
      const t = { from: s.from.id, to: s.to.id, amount: s.rng.int(1, 999) }
      // Once to warm up, once to learn which statements a transfer runs.
      expect(await s.transfer(t)).toHaveStatus(201)
      s.probe.clear()
      expect(await s.transfer(t)).toHaveStatus(201)
      const statements = s.probe.statements().map((st) => st.sql.replace(/\s+/g, ' '))
      for (const [i, sql] of statements.entries()) {
        const before = snapshot(s.probe)
        s.probe.failAt(i + 1)
        const why = `when statement ${i + 1} of the transfer (${sql}) fails`
        expect(await s.transfer(t), why).toHaveStatus(500)
        expectUnchanged(s, before, why)
      }
      expectTransferred(s, snapshot(s.probe), await s.transfer(t), t)
    })

    it('still moves money after a transfer failed between the debit and the credit', async () => {
      const s = await setup()
      const t = { from: s.from.id, to: s.to.id, amount: s.rng.int(1, 999) }
      expect(await s.transfer(t)).toHaveStatus(201)
      s.probe.clear()
      expect(await s.transfer(t)).toHaveStatus(201)
      const statements = s.probe.statements().map((st) => st.sql)
      const second = statements.map((sql, i) => (isWrite(sql) ? i : -1)).filter((i) => i >= 0)[1]
      const before = snapshot(s.probe)
      s.probe.failAt((second ?? statements.length - 1) + 1)
      expect(await s.transfer(t), 'the failed transfer').toHaveStatus(500)
      expectUnchanged(s, before, 'after the failed transfer')
      expectTransferred(s, before, await s.transfer(t), t)
    })
  })

  task(2, 'Refuse bad transfers before they write', () => {
    it('refuses an amount that is not a whole number of cents above zero with 422', async () => {
      const s = await setup()
      const before = snapshot(s.probe)
      for (const amount of [0, -100, -1, 1.5, 0.01, '100', null, true, [100], { cents: 100 }, undefined]) {
        const res = await s.transfer({ from: s.from.id, to: s.to.id, amount })
        expect(res, `amount ${JSON.stringify(amount) ?? 'missing'}`).toHaveStatus(422)
        expect(res).toHaveJsonBody(expect.objectContaining({ error: 'validation_failed', field: 'amount' }))
      }
      expectUnchanged(s, before, 'after refused amounts')
      const t = { from: s.from.id, to: s.to.id, amount: 1 }
      expectTransferred(s, before, await s.transfer(t), t)
    })

    it('refuses from and to that are not account ids with 422', async () => {
      const s = await setup()
      const before = snapshot(s.probe)
      for (const field of ['from', 'to'] as const) {
        for (const id of [String(s[field].id), s[field].id + 0.5, null, -s[field].id, undefined]) {
          const body = { from: s.from.id, to: s.to.id, amount: 100, [field]: id }
          const res = await s.transfer(body)
          expect(res, `${field}: ${JSON.stringify(id) ?? 'missing'}`).toHaveStatus(422)
          expect(res).toHaveJsonBody(expect.objectContaining({ error: 'validation_failed', field }))
        }
      }
      expectUnchanged(s, before, 'after refused ids')
    })

    it('names one of the wrong fields when several are wrong, and writes nothing', async () => {
      const s = await setup()
      const before = snapshot(s.probe)
      const cases: [Record<string, unknown>, string[]][] = [
        [{ from: String(s.from.id), to: null, amount: 1.5 }, ['from', 'to', 'amount']],
        [{ to: -s.to.id, amount: 0 }, ['from', 'to', 'amount']],
        [{ from: s.from.id, to: s.to.id + 0.5, amount: '100' }, ['to', 'amount']],
        [{ from: s.from.id, to: s.from.id, amount: 0 }, ['to', 'amount']],
        [{ from: s.from.id, to: s.from.id, amount: s.from.balance + 1 }, ['to']],
      ]
      for (const [body, fields] of cases) {
        const res = await s.transfer(body)
        const why = `POST /api/transfers ${JSON.stringify(body)}`
        expect(res, why).toHaveStatus(422)
        expect(res, why).toHaveJsonBody(expect.objectContaining({ error: 'validation_failed' }))
        const field = (res.body as { field?: unknown }).field
        expect(fields.includes(field as string), `${why}: "field" is ${JSON.stringify(field)}, not one of the wrong fields ${fields.join(', ')}`).toBe(true)
      }
      expectUnchanged(s, before, 'after transfers with several wrong fields')
    })

    it('refuses a transfer to the same account with 422', async () => {
      const s = await setup()
      const before = snapshot(s.probe)
      const res = await s.transfer({ from: s.from.id, to: s.from.id, amount: 100 })
      expect(res, 'from and to are the same account').toHaveStatus(422)
      expect(res).toHaveJsonBody(expect.objectContaining({ error: 'validation_failed', field: 'to' }))
      expectUnchanged(s, before, 'after a transfer to the same account')
    })

    it('answers 404 for an unknown account and writes nothing', async () => {
      const s = await setup()
      const before = snapshot(s.probe)
      for (const body of [
        { from: s.unknownId, to: s.to.id, amount: 100 },
        { from: s.from.id, to: s.unknownId, amount: 100 },
      ]) {
        const res = await s.transfer(body)
        expect(res, `POST /api/transfers ${JSON.stringify(body)}`).toHaveStatus(404)
        expect(res).toHaveJsonBody(expect.objectContaining({ error: 'account_not_found' }))
        expectUnchanged(s, before, `after ${JSON.stringify(body)}`)
      }
      const t = { from: s.from.id, to: s.to.id, amount: 100 }
      expectTransferred(s, before, await s.transfer(t), t)
    })
  })

  task(3, 'Let the database refuse an overdraft', () => {
    it('refuses one cent more than the balance with 422, and moves the whole balance', async () => {
      const s = await setup()
      const before = snapshot(s.probe)
      const res = await s.transfer({ from: s.from.id, to: s.to.id, amount: s.from.balance + 1 })
      expect(res, 'one cent more than the balance').toHaveStatus(422)
      expect(res).toHaveJsonBody(expect.objectContaining({ error: 'insufficient_funds' }))
      expectUnchanged(s, before, 'after a refused overdraft')
      const t = { from: s.from.id, to: s.to.id, amount: s.from.balance }
      expectTransferred(s, before, await s.transfer(t), t)
      const empty = await s.transfer({ from: s.from.id, to: s.to.id, amount: 1 })
      expect(empty, 'one cent from an account at 0').toHaveStatus(422)
    })

    it('has a CHECK on accounts that refuses a negative balance written by anyone', async () => {
      const s = await setup()
      const id = s.from.id
      expect(() => s.probe.exec(`UPDATE accounts SET balance = -1 WHERE id = ${id}`), 'UPDATE accounts SET balance = -1').toThrow(/CHECK constraint failed/)
      expect(() => s.probe.exec(`INSERT INTO accounts (id, owner, balance, version) VALUES (${s.unknownId}, 'x', -5, 1)`), 'INSERT a negative balance').toThrow(/CHECK constraint failed/)
      expect(account(s.probe, id).balance, 'the balance is unchanged').toBe(s.from.balance)
    })

    it('still answers 500 for a database failure that is not the CHECK', async () => {
      const s = await setup()
      const before = snapshot(s.probe)
      s.probe.failWhen(/^\s*UPDATE/i)
      expect(await s.transfer({ from: s.from.id, to: s.to.id, amount: 100 }), 'an I/O error on the first UPDATE').toHaveStatus(500)
      expectUnchanged(s, before, 'after the failure')
    })
  })

  task(4, 'Guard updates with If-Match', () => {
    const get = (s: Setup, id: number) => s.api.get(`/api/accounts/${id}`)
    const patch = (s: Setup, id: number, json: unknown, ifMatch?: string) =>
      s.api.patch(`/api/accounts/${id}`, { json, headers: ifMatch === undefined ? {} : { 'If-Match': ifMatch } })

    it('answers GET /api/accounts/:id with the version as a strong ETag', async () => {
      const s = await setup()
      const res = await get(s, s.from.id)
      expect(res).toHaveStatus(200)
      expect(res).toHaveJsonBody(expect.objectContaining(s.from))
      expect(res.headers.etag, 'ETag is the version in double quotes').toBe(`"${s.from.version}"`)
      expect(await get(s, s.unknownId), 'an unknown account').toHaveStatus(404)
    })

    it('changes the owner with the current ETag, and answers the new one', async () => {
      const s = await setup()
      const owner = s.rng.word(5, 10)
      const res = await patch(s, s.from.id, { owner }, `"${s.from.version}"`)
      expect(res, 'PATCH with If-Match: the current ETag').toHaveStatus(200)
      expect(res).toHaveJsonBody(expect.objectContaining({ ...s.from, owner, version: s.from.version + 1 }))
      expect(res.headers.etag, 'the new ETag').toBe(`"${s.from.version + 1}"`)
      expect(account(s.probe, s.from.id)).toEqual({ ...s.from, owner, version: s.from.version + 1 })
      expect((await get(s, s.from.id)).headers.etag).toBe(`"${s.from.version + 1}"`)
    })

    it('answers 428 to a PATCH without If-Match and changes nothing', async () => {
      const s = await setup()
      const before = snapshot(s.probe)
      const res = await patch(s, s.from.id, { owner: s.rng.word() })
      expect(res, 'PATCH without If-Match').toHaveStatus(428)
      expect(res).toHaveJsonBody(expect.objectContaining({ error: 'precondition_required' }))
      // A missing If-Match comes before the owner's validation: 428, not 422.
      for (const json of [{ owner: '' }, { owner: 7 }, {}, ['x'], 'text']) {
        const bad = await patch(s, s.to.id, json)
        expect(bad, `PATCH ${JSON.stringify(json)} without If-Match`).toHaveStatus(428)
        expect(bad).toHaveJsonBody(expect.objectContaining({ error: 'precondition_required' }))
      }
      expectUnchanged(s, before, 'after the 428')
    })

    it('answers 404 to a PATCH of an unknown account, whatever its If-Match and body', async () => {
      const s = await setup()
      const before = snapshot(s.probe)
      const owner = s.rng.word()
      const cases: [unknown, string | undefined][] = [
        [{ owner }, '"1"'],
        [{ owner }, `"${s.from.version}"`],
        [{ owner }, `"${s.rng.int(1, 9)}"`],
        [{ owner }, undefined],
        [{ owner }, `W/"${s.from.version}"`],
        [{ owner: '' }, '"1"'],
        [{ owner: '' }, undefined],
        [['x'], `"${s.from.version}"`],
      ]
      for (const [json, tag] of cases) {
        const res = await patch(s, s.unknownId, json, tag)
        const why = `PATCH /api/accounts/${s.unknownId} (no such account) ${JSON.stringify(json)}, ${tag === undefined ? 'no If-Match' : `If-Match: ${tag}`}`
        expect(res, why).toHaveStatus(404)
        expect(res, why).toHaveJsonBody(expect.objectContaining({ error: 'not_found' }))
      }
      expectUnchanged(s, before, 'after PATCHes of an unknown account')
    })

    it('refuses an owner that is not a string with a non-whitespace character with 422', async () => {
      const s = await setup()
      const before = snapshot(s.probe)
      const tag = `"${s.from.version}"`
      for (const json of [{ owner: '' }, { owner: ' ' }, { owner: '   ' }, { owner: '\t\n ' }, { owner: 42 }, { owner: null }, { owner: true }, { owner: ['x'] }, {}, ['x'], 'text', 7, null]) {
        const res = await patch(s, s.from.id, json, tag)
        const why = `PATCH ${JSON.stringify(json)} with the current ETag`
        expect(res, why).toHaveStatus(422)
        expect(res, why).toHaveJsonBody(expect.objectContaining({ error: 'validation_failed', field: 'owner' }))
      }
      const raw = await s.api.patch(`/api/accounts/${s.from.id}`, {
        body: '{"owner": ',
        headers: { 'Content-Type': 'application/json', 'If-Match': tag },
      })
      expect(raw, 'PATCH with a body that is not JSON, and the current ETag').toHaveStatus(422)
      expect(raw).toHaveJsonBody(expect.objectContaining({ error: 'validation_failed', field: 'owner' }))
      expectUnchanged(s, before, 'after the refused owners')
      expect(await patch(s, s.from.id, { owner: s.rng.word() }, tag), 'then a valid owner with the same ETag').toHaveStatus(200)
    })

    it('answers 412 to a stale, weak or differently spelled ETag and changes nothing', async () => {
      const s = await setup()
      const before = snapshot(s.probe)
      const v = s.from.version
      for (const tag of [`"${v - 1}"`, `"${v + 1}"`, `W/"${v}"`, `"0${v}"`, `"${s.to.version === v ? v + 2 : s.to.version}"`]) {
        const res = await patch(s, s.from.id, { owner: s.rng.word() }, tag)
        expect(res, `PATCH with If-Match: ${tag} (the current ETag is "${v}")`).toHaveStatus(412)
        expect(res).toHaveJsonBody(expect.objectContaining({ error: 'precondition_failed' }))
      }
      expectUnchanged(s, before, 'after the 412s')
      const bad = await patch(s, s.from.id, { owner: '' }, `"${v}"`)
      expect(bad, 'an empty owner with the right ETag').toHaveStatus(422)
      expectUnchanged(s, before, 'after the 422')
    })

    it('makes an ETag read before a transfer stale', async () => {
      const s = await setup()
      const tag = (await get(s, s.to.id)).headers.etag!
      expect(await s.transfer({ from: s.from.id, to: s.to.id, amount: 100 })).toHaveStatus(201)
      expect(await patch(s, s.to.id, { owner: s.rng.word() }, tag), 'If-Match from before the transfer').toHaveStatus(412)
      const fresh = (await get(s, s.to.id)).headers.etag!
      expect(fresh, 'the transfer changed the version').not.toBe(tag)
      expect(await patch(s, s.to.id, { owner: s.rng.word() }, fresh), 'If-Match read after the transfer').toHaveStatus(200)
    })

    it('lets only one of two PATCHes sent at once with the same ETag win', async () => {
      const s = await setup()
      const tag = `"${s.from.version}"`
      const send = (owner: string) =>
        s.app.fetch(
          new Request(`http://api.test/api/accounts/${s.from.id}`, {
            method: 'PATCH',
            headers: { 'content-type': 'application/json', 'If-Match': tag },
            body: JSON.stringify({ owner }),
          }),
        )
      const owners = [s.rng.word(5, 8), s.rng.word(9, 12)]
      const replies = await Promise.all(owners.map(send))
      const statuses = replies.map((r) => r.status).sort()
      expect(statuses, 'two PATCHes with the same If-Match: one 200, one 412 (no lost update)').toEqual([200, 412])
      const winner = owners[replies.findIndex((r) => r.status === 200)]
      expect(account(s.probe, s.from.id), 'the winner\'s change, one version later').toEqual({ ...s.from, owner: winner, version: s.from.version + 1 })
    })
  })
})
