// indexes-and-plans - the hidden spec.
//
// The grader seeds tens of thousands of orders, lets createApp add its indexes, sends the API's
// requests, and then asks SQLite how it ran each statement the app sent (EXPLAIN QUERY PLAN on
// the recorded SQL and parameters). Speed is judged by the plan, never by a stopwatch.
//
// Wrong implementations this spec is built to catch:
// - an index on the bare email column while the query compares lower(email) (or an index on
//   lower(email) while the query says COLLATE NOCASE): the index cannot serve it, SQLite scans
// - "fixes" the scan by comparing email = ? exactly: the lookup is no longer case-insensitive
// - compares email LIKE ? (it ignores case and searches a NOCASE index): _ and % in the address
//   act as wildcards, so ada_3@... also finds Ada.3@..., and % finds everyone
// - a single-column index on status: the search finds the rows, then sorts them in a temp B-tree
// - the compound index in the wrong order, (created_at, status): the date range is searched, or
//   the whole index walked, and status is filtered row by row
// - one index per column (status, created_at): SQLite can use only one of them per table
// - removes ORDER BY (or the id tie-break) to get rid of the sort: the rows come in the wrong order
// - an index on customer_id alone: the summary searches it and then reads every order row from
//   the table, where (customer_id, total) answers from the index alone
// - the covering index with total first: a full scan of the index instead of a search
// - keeps the indexes nobody uses ("an index on every column"), or adds one "for the filter"
//   that the compound index already serves
// - a migration that fails when createApp runs a second time on the same database
import { describe, expect, it } from 'vitest'
import {
  build,
  client,
  database,
  random,
  task,
  type DatabaseProbe,
  type Reply,
  type Rng,
} from '../../harness/spec-kit/index.ts'
import { createApp } from '../../exercises/indexes-and-plans/app.ts'

const SCHEMA = `
  CREATE TABLE customers (
    id INTEGER PRIMARY KEY,
    email TEXT NOT NULL,
    name TEXT NOT NULL
  );
  CREATE TABLE orders (
    id INTEGER PRIMARY KEY,
    customer_id INTEGER NOT NULL REFERENCES customers (id),
    status TEXT NOT NULL,
    total INTEGER NOT NULL,
    created_at INTEGER NOT NULL
  );
`
const STATUSES = ['new', 'paid', 'shipped', 'delivered', 'cancelled']
const MINUTE = 60_000
const PRIMES = [7919, 15485863, 104729, 1299709, 179424673, 86028121]

interface Order {
  id: number
  customerId: number
  status: string
  total: number
  createdAt: number
}

/**
 * A fresh database with ~900 customers and ~16000 orders, made by SQLite itself in one
 * transaction (a recursive CTE: fast), with the seed's own multipliers. A few customers at the
 * end have no orders. created_at repeats, so ties on it happen within a status.
 */
async function setup() {
  const rng = random()
  const { db, probe } = await database()
  const withOrders = rng.int(800, 1000)
  const customers = withOrders + rng.int(2, 5)
  const orders = rng.int(15_000, 18_000)
  const slots = Math.floor(orders / 2)
  const base = 1_700_000_000_000 + rng.int(0, 1_000_000) * MINUTE
  const [a, b, c, d] = rng.shuffle(PRIMES)
  probe.exec(`${SCHEMA}
    BEGIN;
    WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ${customers})
    INSERT INTO customers (id, email, name)
      SELECT i,
        CASE i % 3 WHEN 0 THEN 'Ada' WHEN 1 THEN 'grace' ELSE 'LINUS' END || '.' || i || '@' ||
        CASE i % 4 WHEN 0 THEN 'Example.com' WHEN 1 THEN 'MAIL.example.org'
                   WHEN 2 THEN 'shop.example.net' ELSE 'Post.EXAMPLE.io' END,
        'Customer ' || i
      FROM n;
    WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ${orders})
    INSERT INTO orders (id, customer_id, status, total, created_at)
      SELECT i,
        (i * ${a} + ${rng.int(0, 999)}) % ${withOrders} + 1,
        CASE (i * ${b}) % 10 WHEN 0 THEN 'new' WHEN 1 THEN 'new' WHEN 2 THEN 'paid' WHEN 3 THEN 'paid'
          WHEN 4 THEN 'paid' WHEN 5 THEN 'shipped' WHEN 6 THEN 'shipped' WHEN 7 THEN 'delivered'
          WHEN 8 THEN 'delivered' ELSE 'cancelled' END,
        (i * ${c}) % 90000 + 100,
        ${base} + ((i * ${d}) % ${slots}) * ${MINUTE}
      FROM n;
    COMMIT;`)
  const api = client(build(createApp, { db }))
  const span = { from: base, to: base + slots * MINUTE }
  return { rng, db, probe, api, customers, withOrders, span }
}

type Setup = Awaited<ReturnType<typeof setup>>

const flipCase = (text: string) =>
  text.replace(/[a-z]/gi, (ch) => (ch === ch.toLowerCase() ? ch.toUpperCase() : ch.toLowerCase()))

/** A query string with every value percent-encoded. */
function qs(query: Record<string, string>): string {
  return `?${Object.entries(query).map(([k, v]) => `${k}=${encodeURIComponent(v)}`).join('&')}`
}

/** What GET /api/orders must answer, read by the spec's own query. */
function expectedOrders(probe: DatabaseProbe, query: { status: string; from?: number; to?: number; limit: number }): Order[] {
  return probe.query<Order>(
    `SELECT id, customer_id AS customerId, status, total, created_at AS createdAt FROM orders
     WHERE status = ? AND created_at >= ? AND created_at < ? ORDER BY created_at DESC, id DESC LIMIT ?`,
    [query.status, query.from ?? 0, query.to ?? Number.MAX_SAFE_INTEGER, query.limit],
  )
}

function expectData(res: Reply, data: unknown[], why: string) {
  expect(res, why).toHaveStatus(200)
  expect((res.body as { data?: unknown }).data, `${why}: { "data": [...] } holds exactly these rows, in order`).toEqual(data)
}

interface Planned {
  sql: string
  lines: string[]
}

/** EXPLAIN QUERY PLAN for every query the app ran since the last `clear()`. */
function plans(probe: DatabaseProbe): Planned[] {
  const queries = probe.statements().filter(({ sql }) => /^\s*(SELECT|WITH)\b/i.test(sql))
  expect(queries.length, 'the request ran no SELECT').toBeGreaterThan(0)
  return queries.map(({ sql, params }) => ({ sql: sql.replace(/\s+/g, ' '), lines: probe.plan(sql, params) }))
}

const shown = (p: Planned) => `\n  ${p.sql}\n  plan: ${p.lines.join(' | ')}`

interface IndexUse {
  name: string
  covering: boolean
  /** The search key, e.g. "status=? AND created_at>?", or "" for a scan of the index. */
  key: string
  search: boolean
}

function indexUses(lines: string[]): IndexUse[] {
  return lines.flatMap((line) => {
    const m = /^(SEARCH|SCAN) \S+ USING (COVERING )?INDEX (\S+)(?: \((.*)\))?/.exec(line)
    return m ? [{ search: m[1] === 'SEARCH', covering: !!m[2], name: m[3]!, key: m[4] ?? '' }] : []
  })
}

/** The indexes the app created (the spec's schema has none), by table. */
function indexesOn(probe: DatabaseProbe, table: string): { name: string; sql: string }[] {
  return probe.query<{ name: string; sql: string }>(
    `SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL AND tbl_name = ?`,
    [table],
  )
}

/** No full scan of a table or an index, no sort in a temp B-tree, no index built on the fly. */
function expectNoScanOrSort(planned: Planned[]) {
  for (const p of planned) {
    for (const line of p.lines) {
      expect(/^SCAN (?!CONSTANT ROW)/.test(line), `a full scan (${line}):${shown(p)}`).toBe(false)
      expect(/TEMP B-TREE/.test(line), `the rows are sorted after they are found (${line}):${shown(p)}`).toBe(false)
      expect(/AUTOMATIC/.test(line), `SQLite builds an index for this query alone (${line}):${shown(p)}`).toBe(false)
    }
  }
}

/** The searches these plans make with one of the table's indexes. */
function searchesOn(probe: DatabaseProbe, table: string, planned: Planned[]): IndexUse[] {
  const names = new Set(indexesOn(probe, table).map((i) => i.name))
  return planned.flatMap((p) => indexUses(p.lines)).filter((u) => u.search && names.has(u.name))
}

const someCustomers = (s: Setup, n: number) =>
  Array.from({ length: n }, () => s.rng.int(1, s.customers))

function customer(probe: DatabaseProbe, id: number) {
  return probe.query<{ id: number; email: string; name: string }>('SELECT id, email, name FROM customers WHERE id = ?', [id])[0]!
}

/** A status and a date window inside the seeded span, wide enough to hold more than `limit` rows. */
function window(s: Setup, rng: Rng) {
  const length = s.span.to - s.span.from
  const from = s.span.from + rng.int(0, Math.floor(length / 2 / MINUTE)) * MINUTE
  const to = from + rng.int(Math.floor(length / 8 / MINUTE), Math.floor(length / 3 / MINUTE)) * MINUTE
  return { status: rng.pick(STATUSES), from, to, limit: rng.int(5, 60) }
}

describe('indexes-and-plans', () => {
  task(1, 'Search customers by email through an index', () => {
    it('finds a customer by email whatever the case of its letters', async () => {
      const s = await setup()
      for (const id of someCustomers(s, 3)) {
        const row = customer(s.probe, id)
        for (const email of [row.email, flipCase(row.email), row.email.toLowerCase()]) {
          expectData(await s.api.get(`/api/customers${qs({ email })}`), [row], `GET /api/customers?email=${email}`)
        }
        const other = row.email.replace(`.${id}@`, `.${id}0@`)
        if (other !== row.email && other.toLowerCase() !== customer(s.probe, id * 10)?.email.toLowerCase()) {
          expectData(await s.api.get(`/api/customers${qs({ email: other })}`), [], `email=${other} belongs to nobody`)
        }
      }
      expectData(await s.api.get(`/api/customers${qs({ email: 'nobody@example.com' })}`), [], 'an unknown email')
    })

    it('matches _ and % in an address as themselves, never as wildcards', async () => {
      const s = await setup()
      const row = customer(s.probe, s.rng.int(1, s.customers))
      // Ada.3@Example.com, and two neighbours that differ only where LIKE's wildcards would match.
      const [local, domain] = row.email.split('@') as [string, string]
      const [name, number] = local.split('.') as [string, string]
      const underscore = { id: s.customers + 1, email: `${name}_${number}@${domain}`, name: 'Underscore' }
      const percent = { id: s.customers + 2, email: `${name}%${number}@${domain}`, name: 'Percent' }
      s.probe.exec(
        `INSERT INTO customers (id, email, name) VALUES ${[underscore, percent]
          .map((c) => `(${c.id}, '${c.email}', '${c.name}')`)
          .join(', ')}`,
      )
      const cases: [string, unknown[]][] = [
        [flipCase(underscore.email), [underscore]],
        [underscore.email.toLowerCase(), [underscore]],
        [flipCase(percent.email), [percent]],
        [row.email, [row]],
        [flipCase(row.email), [row]],
        [`${name}_${number}@${domain}`.replace(/[0-9]/g, '_'), []],
        [`${name}.${'_'.repeat(number.length)}@${domain}`, []],
        [`${name}%@${domain}`, []],
        [`%${number}@${domain}`, []],
        ['_'.repeat(row.email.length), []],
        ['%', []],
        ['%%', []],
        ['_', []],
      ]
      for (const [email, want] of cases) {
        const label = want.length ? `belongs to ${JSON.stringify(want[0])} alone` : 'belongs to nobody'
        expectData(await s.api.get(`/api/customers${qs({ email })}`), want, `GET /api/customers?email=${email}: the address ${label}`)
      }
    })

    it('looks the email up with an index search, not a scan', async () => {
      const s = await setup()
      const row = customer(s.probe, s.rng.int(1, s.customers))
      s.probe.clear()
      expectData(await s.api.get(`/api/customers${qs({ email: flipCase(row.email) })}`), [row], 'the lookup')
      const planned = plans(s.probe)
      expectNoScanOrSort(planned)
      expect(searchesOn(s.probe, 'customers', planned).length, `no SEARCH with an index on customers:${planned.map(shown).join('')}`).toBeGreaterThan(0)
    })
  })

  task(2, 'Order the compound index for the order list', () => {
    it('lists the orders of a status newest first, ties by id, in a date window', async () => {
      const s = await setup()
      const w = window(s, s.rng)
      const queries = [
        { status: w.status, limit: w.limit },
        { status: w.status, from: w.from, limit: w.limit },
        { status: w.status, to: w.to, limit: w.limit },
        w,
        { status: s.rng.pick(STATUSES), from: w.from, to: w.to, limit: 100 },
      ]
      for (const query of queries) {
        const text = Object.fromEntries(Object.entries(query).map(([k, v]) => [k, String(v)]))
        const expected = expectedOrders(s.probe, query)
        expectData(await s.api.get(`/api/orders${qs(text)}`), expected, `GET /api/orders${qs(text)}`)
      }
    })

    it('searches one status in created_at order, with no sort and no scan', async () => {
      const s = await setup()
      const status = s.rng.pick(STATUSES)
      s.probe.clear()
      expectData(await s.api.get(`/api/orders${qs({ status })}`), expectedOrders(s.probe, { status, limit: 20 }), `status=${status}`)
      const planned = plans(s.probe)
      expectNoScanOrSort(planned)
      const keys = searchesOn(s.probe, 'orders', planned).map((u) => u.key)
      expect(keys.some((k) => /\bstatus=\?/.test(k)), `no index search on status=?:${planned.map(shown).join('')}`).toBe(true)
    })

    it('searches the date window inside the status, not the other way round', async () => {
      const s = await setup()
      const w = window(s, s.rng)
      s.probe.clear()
      const text = { status: w.status, from: String(w.from), to: String(w.to), limit: String(w.limit) }
      expectData(await s.api.get(`/api/orders${qs(text)}`), expectedOrders(s.probe, w), 'a status in a window')
      const planned = plans(s.probe)
      expectNoScanOrSort(planned)
      const keys = searchesOn(s.probe, 'orders', planned).map((u) => u.key)
      expect(
        keys.some((k) => /\bstatus=\?/.test(k) && /\bcreated_at>\?/.test(k) && /\bcreated_at<\?/.test(k)),
        `the index search must use status=? AND both created_at bounds:${planned.map(shown).join('')}`,
      ).toBe(true)
    })
  })

  task(3, 'Cover the summary', () => {
    it('counts and sums the orders of a customer', async () => {
      const s = await setup()
      const ids = [...someCustomers(s, 3).map((id) => Math.min(id, s.withOrders)), s.customers]
      for (const id of ids) {
        const want = s.probe.query<{ orders: number; spent: number }>(
          'SELECT count(*) AS orders, coalesce(sum(total), 0) AS spent FROM orders WHERE customer_id = ?',
          [id],
        )[0]!
        const res = await s.api.get(`/api/customers/${id}/summary`)
        expect(res, `GET /api/customers/${id}/summary`).toHaveStatus(200)
        expect(res).toHaveJsonBody(expect.objectContaining({ id, orders: want.orders, spent: want.spent }))
      }
      const unknown = await s.api.get(`/api/customers/${s.customers + 1}/summary`)
      expect(unknown, 'a customer that does not exist').toHaveStatus(404)
      expect(unknown).toHaveJsonBody(expect.objectContaining({ error: 'not_found' }))
    })

    it('answers the summary from a covering index, never reading the order rows', async () => {
      const s = await setup()
      const id = s.rng.int(1, s.withOrders)
      s.probe.clear()
      expect(await s.api.get(`/api/customers/${id}/summary`)).toHaveStatus(200)
      const planned = plans(s.probe)
      expectNoScanOrSort(planned)
      const uses = searchesOn(s.probe, 'orders', planned)
      expect(uses.length, `no index search on orders:${planned.map(shown).join('')}`).toBeGreaterThan(0)
      for (const use of uses) {
        expect(use.covering, `${use.name} is searched, then every order row is read from the table:${planned.map(shown).join('')}`).toBe(true)
        expect(use.key, `the search is not on customer_id=?:${planned.map(shown).join('')}`).toMatch(/\bcustomer_id=\?/)
      }
    })
  })

  task(4, 'Keep only the indexes a query uses', () => {
    it('keeps no index that none of the API\'s queries uses', async () => {
      const s = await setup()
      const w = window(s, s.rng)
      const email = customer(s.probe, s.rng.int(1, s.customers)).email
      s.probe.clear()
      // The tour: every query shape the API has.
      const paths = [
        `/api/customers${qs({ email })}`,
        `/api/orders${qs({ status: w.status })}`,
        `/api/orders${qs({ status: w.status, from: String(w.from) })}`,
        `/api/orders${qs({ status: w.status, to: String(w.to) })}`,
        `/api/orders${qs({ status: w.status, from: String(w.from), to: String(w.to) })}`,
        `/api/customers/${s.rng.int(1, s.withOrders)}/summary`,
      ]
      for (const path of paths) expect(await s.api.get(path), `GET ${path}`).toHaveStatus(200)
      const used = new Set(plans(s.probe).flatMap((p) => indexUses(p.lines).map((u) => u.name)))
      for (const table of ['customers', 'orders']) {
        for (const index of indexesOn(s.probe, table)) {
          expect(
            used.has(index.name),
            `${index.sql.replace(/\s+/g, ' ')}: none of the API's queries uses it, and every write to ${table} must update it`,
          ).toBe(true)
        }
      }
    })

    it('can run its migration again when createApp is called on the same database', async () => {
      const s = await setup()
      const again = client(build(createApp, { db: s.db }))
      const email = customer(s.probe, 1).email
      expectData(await again.get(`/api/customers${qs({ email })}`), [customer(s.probe, 1)], 'after a second createApp')
    })
  })
})
