// security-headers-csp - the hidden spec.
//
// Wrong implementations this spec is built to catch:
// - sets the headers only on the routes it wrote, so 404s and the report endpoint go bare, or
//   mounts them on /api/*, / and /csp-report only, so a 404 elsewhere goes bare
// - forgets X-Content-Type-Options: nosniff, or sends a Referrer-Policy that leaks
//   (unsafe-url, no-referrer-when-downgrade) or none
// - leaves the X-Powered-By of a passed-through upstream response in place
// - no CSP on JSON, or a JSON policy without default-src 'none' or frame-ancestors 'none', or
//   one that loosens it again (script-src *)
// - puts the JSON policy on the HTML page too (two policies: the page's scripts would be blocked)
// - one nonce for the life of the app (made in createApp), or a short / guessable one
// - a nonce in the header that differs from the one in the page, or on only one <script>
// - 'unsafe-inline' (or 'unsafe-eval', *, https:) in script-src next to the nonce
// - the page's policy without object-src 'none', base-uri, frame-ancestors or report-uri
// - HSTS on every response, on plain HTTP, or whenever X-Forwarded-Proto says https without
//   the proxy being trusted; a wrong max-age; no includeSubDomains
// - counts https anywhere in X-Forwarded-Proto (`http, https`, `httpss`), not as the scheme
// - a report endpoint that accepts only one of the two report formats, stores non-CSP reports
//   from a reports+json batch, accepts any Content-Type (or one that only starts with, or
//   contains, a report type), refuses a report type with parameters (`; charset=utf-8`) or in
//   another letter case, answers 200/201 instead of 204,
//   answers 500 to malformed JSON, or keeps every report forever (unbounded)
// - drops the newest reports instead of the oldest when the store is full
// - keeps reports in module-level state shared between two apps
import { describe, expect, it } from 'vitest'
import { build, client, random, task, type Reply, type Rng } from '../../harness/spec-kit/index.ts'
import { createApp } from '../../exercises/security-headers-csp/app.ts'

type Policy = Map<string, string[]>

/**
 * Parses one Content-Security-Policy header into its policies (a comma separates two), each a
 * map of directive (lower-case) to its sources. Keyword sources are lower-cased; a nonce keeps
 * its value as sent. The first occurrence of a directive wins, as in browsers.
 */
function parseCsp(value: string | undefined): Policy[] {
  if (value === undefined) return []
  return value.split(',').map((policy) => {
    const map: Policy = new Map()
    for (const part of policy.split(';')) {
      const [name, ...sources] = part.trim().split(/\s+/).filter(Boolean)
      if (name === undefined || map.has(name.toLowerCase())) continue
      map.set(
        name.toLowerCase(),
        sources.map((s) => (/^'nonce-/i.test(s) ? `'nonce-${s.slice(7)}` : s.toLowerCase())),
      )
    }
    return map
  })
}

/** The one policy of a response; fails if there is none or more than one. */
function onePolicy(res: Reply): Policy {
  const policies = parseCsp(res.headers['content-security-policy'])
  expect(policies.length, 'exactly one Content-Security-Policy (a comma starts a second)').toBe(1)
  return policies[0]!
}

const STRICT_REFERRER = ['no-referrer', 'same-origin', 'strict-origin', 'strict-origin-when-cross-origin']
// Directives that hold no source list, or whose sources are report endpoints.
const NON_FETCH = ['report-uri', 'report-to', 'sandbox', 'upgrade-insecure-requests', 'block-all-mixed-content']

function setup({ trustProxy = true, salt = '' } = {}) {
  const rng = random(salt)
  const hstsMaxAge = rng.pick([31536000, 63072000, 15552000]) + rng.int(0, 1000)
  const reportLimit = rng.int(3, 6)
  const options = { trustProxy, hstsMaxAge, reportLimit }
  const api = client(build(createApp, options))
  return { rng, api, options }
}

/** Every response the app can give that is not the HTML page. */
async function nonPageResponses(api: ReturnType<typeof client>, rng: Rng) {
  return {
    'GET /api/status': await api.get('/api/status'),
    'GET /api/legacy': await api.get('/api/legacy'),
    'a 404': await api.get(`/api/${rng.word()}`),
    'a 404 outside /api': await api.get(`/static/${rng.word()}.js`),
    'POST /csp-report': await api.post('/csp-report', {
      headers: { 'Content-Type': 'application/csp-report' },
      body: JSON.stringify(legacyReport(rng)),
    }),
  }
}

function expectBaseHeaders(res: Reply, what: string) {
  expect(res.headers['x-content-type-options'], `${what}: X-Content-Type-Options: nosniff`).toBe(
    'nosniff',
  )
  const referrer = res.headers['referrer-policy']?.split(',').map((v) => v.trim().toLowerCase())
  expect(
    STRICT_REFERRER.includes(referrer?.at(-1) ?? ''),
    `${what}: Referrer-Policy must be one of ${STRICT_REFERRER.join(', ')}, got ${res.headers['referrer-policy']}`,
  ).toBe(true)
  expect(res.headers['x-powered-by'], `${what}: no X-Powered-By`).toBeUndefined()
}

/** The JSON policy: default-src 'none', frame-ancestors 'none', nothing that loosens it. */
function expectApiPolicy(res: Reply, what: string) {
  const policy = onePolicy(res)
  expect(policy.get('default-src'), `${what}: default-src 'none'`).toEqual(["'none'"])
  expect(policy.get('frame-ancestors'), `${what}: frame-ancestors 'none'`).toEqual(["'none'"])
  for (const [name, sources] of policy) {
    if (NON_FETCH.includes(name)) continue
    expect(sources, `${what}: ${name} may only be 'none' in the API policy`).toEqual(["'none'"])
  }
}

/** The nonce the page's script-src allows; fails unless there is exactly one. */
function pageNonce(policy: Policy): string {
  const nonces = (policy.get('script-src') ?? []).filter((s) => s.startsWith("'nonce-"))
  expect(nonces.length, "script-src must allow exactly one 'nonce-...'").toBe(1)
  return nonces[0]!.slice(7, -1)
}

/** The nonce attribute of every <script> in the page (undefined where it has none). */
function scriptNonces(html: string): (string | undefined)[] {
  return [...html.matchAll(/<script\b([^>]*)>/gi)].map(
    (m) => /\bnonce\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>]+))/i.exec(m[1]!)?.slice(1).find((v) => v !== undefined),
  )
}

function hstsOf(res: Reply) {
  const value = res.headers['strict-transport-security']
  if (value === undefined) return undefined
  const parts = value.split(';').map((p) => p.trim().toLowerCase())
  const maxAge = parts.find((p) => p.startsWith('max-age='))?.slice(8).replace(/"/g, '')
  return { maxAge: maxAge === undefined ? NaN : Number(maxAge), includeSubDomains: parts.includes('includesubdomains') }
}

function legacyReport(rng: Rng, blocked = `https://${rng.word()}.evil.test/x.js`) {
  return {
    'csp-report': {
      'document-uri': 'https://status.example/',
      referrer: '',
      'violated-directive': 'script-src-elem',
      'effective-directive': 'script-src-elem',
      'original-policy': "default-src 'self'; script-src 'nonce-abc'",
      disposition: 'enforce',
      'blocked-uri': blocked,
      'status-code': 200,
    },
  }
}

function modernReport(blocked: string, type = 'csp-violation') {
  return {
    type,
    age: 10,
    url: 'https://status.example/',
    user_agent: 'Mozilla/5.0',
    body: {
      documentURL: 'https://status.example/',
      blockedURL: blocked,
      effectiveDirective: 'script-src-elem',
      originalPolicy: "default-src 'self'",
      disposition: 'enforce',
      statusCode: 200,
    },
  }
}

async function storedReports(api: ReturnType<typeof client>) {
  const res = await api.get('/api/csp-reports')
  expect(res).toHaveStatus(200)
  return (res.body as { reports: { documentUrl: unknown; blockedUrl: unknown; directive: unknown }[] })
    .reports
}

describe('security-headers-csp', () => {
  task(1, 'Headers on every response', () => {
    it('sends nosniff and a strict Referrer-Policy on JSON, 404s, reports and the page', async () => {
      const { api, rng } = setup()
      for (const [what, res] of Object.entries(await nonPageResponses(api, rng))) {
        expectBaseHeaders(res, what)
      }
      expectBaseHeaders(await api.get('/'), 'GET /')
    })

    it('removes the X-Powered-By that the legacy upstream sends', async () => {
      const { api } = setup()
      const res = await api.get('/api/legacy')
      expect(res).toHaveStatus(200)
      expect(res).toHaveJsonBody(expect.objectContaining({ legacy: true }))
      expect(res, 'X-Powered-By must be removed').not.toHaveHeader('x-powered-by')
    })
  })

  task(2, 'A locked-down policy for JSON', () => {
    it("answers JSON, 404s and the report endpoint with default-src 'none'; frame-ancestors 'none'", async () => {
      const { api, rng } = setup()
      for (const [what, res] of Object.entries(await nonPageResponses(api, rng))) {
        expectApiPolicy(res, what)
      }
    })
  })

  task(3, 'A nonce for the HTML page', () => {
    it('puts the same nonce in script-src and on every <script> of the page', async () => {
      const { api } = setup()
      const res = await api.get('/')
      expect(res).toHaveStatus(200)
      expect(res).toHaveHeader('content-type', expect.stringMatching(/^text\/html/i))
      const nonce = pageNonce(onePolicy(res))
      const tags = scriptNonces(res.text)
      expect(tags.length, 'the page has its two <script> elements').toBeGreaterThanOrEqual(2)
      for (const tag of tags) {
        expect(tag, 'every <script> carries the nonce of the policy').toBe(nonce)
      }
    })

    it('makes a new, unguessable nonce for every response', async () => {
      const { api } = setup()
      const seen = new Set<string>()
      for (let i = 0; i < 5; i++) {
        const res = await api.get('/')
        const nonce = pageNonce(onePolicy(res))
        expect(nonce, 'a nonce of at least 128 bits: 22 or more base64 characters').toMatch(
          /^[A-Za-z0-9+/_=-]{22,}$/,
        )
        expect(scriptNonces(res.text)[0], 'the page uses the nonce of its own response').toBe(nonce)
        seen.add(nonce)
      }
      expect(seen.size, 'five pages, five different nonces').toBe(5)
    })

    it('allows no other way to run script: no unsafe-inline, unsafe-eval, wildcards, schemes', async () => {
      const { api } = setup()
      const policy = onePolicy(await api.get('/'))
      const scriptSrc = policy.get('script-src') ?? []
      for (const bad of ["'unsafe-inline'", "'unsafe-eval'", "'unsafe-hashes'", '*', 'data:', 'http:', 'https:', 'blob:']) {
        expect(scriptSrc, `script-src must not contain ${bad}`).not.toContain(bad)
      }
      const fallback = policy.get('default-src')
      expect(fallback, 'the page policy has a default-src').toBeDefined()
      expect(fallback, 'default-src must not be *').not.toContain('*')
    })

    it("locks the rest: object-src 'none', base-uri, frame-ancestors 'none', report-uri /csp-report", async () => {
      const { api } = setup()
      const policy = onePolicy(await api.get('/'))
      expect(policy.get('object-src'), "object-src 'none'").toEqual(["'none'"])
      const baseUri = policy.get('base-uri')
      expect(baseUri?.length === 1 && ["'none'", "'self'"].includes(baseUri[0]!), "base-uri 'none' or 'self'").toBe(true)
      expect(policy.get('frame-ancestors'), "frame-ancestors 'none'").toEqual(["'none'"])
      const reportUri = policy.get('report-uri') ?? []
      const paths = reportUri.map((u) => new URL(u, 'http://relative.invalid').pathname)
      expect(paths, 'report-uri names /csp-report').toContain('/csp-report')
    })
  })

  task(4, 'HSTS only behind a trusted HTTPS proxy', () => {
    it('sends HSTS with max-age and includeSubDomains when a trusted proxy says https', async () => {
      const { api, options, rng } = setup({ trustProxy: true })
      const paths = ['/api/status', '/', `/api/${rng.word()}`, `/static/${rng.word()}.js`]
      for (const path of paths) {
        const res = await api.get(path, { headers: { 'X-Forwarded-Proto': 'https' } })
        expect(hstsOf(res), `${path} over https: Strict-Transport-Security`).toEqual({
          maxAge: options.hstsMaxAge,
          includeSubDomains: true,
        })
      }
    })

    it('sends no HSTS over plain HTTP, behind the trusted proxy or directly', async () => {
      const { api } = setup({ trustProxy: true })
      const http = await api.get('/api/status', { headers: { 'X-Forwarded-Proto': 'http' } })
      expect(http, 'X-Forwarded-Proto: http: no HSTS').not.toHaveHeader('strict-transport-security')
      const direct = await api.get('/api/status')
      expect(direct, 'no X-Forwarded-Proto: no HSTS').not.toHaveHeader('strict-transport-security')
    })

    it('ignores X-Forwarded-Proto when the app does not trust a proxy', async () => {
      const { api } = setup({ trustProxy: false })
      for (const path of ['/api/status', '/']) {
        for (const proto of ['https', 'HTTPS', 'https, http']) {
          const res = await api.get(path, { headers: { 'X-Forwarded-Proto': proto } })
          expect(res, `${path}, X-Forwarded-Proto: ${proto} from a client: no HSTS`).not.toHaveHeader(
            'strict-transport-security',
          )
        }
      }
    })

    it('sends no HSTS when X-Forwarded-Proto names another scheme, or https only later', async () => {
      const { api, rng } = setup({ trustProxy: true })
      // 'HTTPS' and 'https, http' are free (README); these are not https on any reading.
      const http = ['HTTP', 'http, https', 'http,https', 'httpss', 'xhttps', 'wss']
      for (const proto of rng.shuffle(http)) {
        const res = await api.get('/api/status', { headers: { 'X-Forwarded-Proto': proto } })
        expect(res, `X-Forwarded-Proto: ${JSON.stringify(proto)} is not https: no HSTS`).not.toHaveHeader(
          'strict-transport-security',
        )
      }
    })
  })

  task(5, 'Collect CSP reports', () => {
    it('stores a report-uri report (application/csp-report) and answers 204', async () => {
      const { api, rng } = setup()
      const blocked = `https://${rng.word()}.evil.test/a.js`
      const res = await api.post('/csp-report', {
        headers: { 'Content-Type': 'application/csp-report' },
        body: JSON.stringify(legacyReport(rng, blocked)),
      })
      expect(res).toHaveStatus(204)
      expect(res).toHaveEmptyBody()
      expect(await storedReports(api)).toEqual([
        { documentUrl: 'https://status.example/', blockedUrl: blocked, directive: 'script-src-elem' },
      ])
    })

    it('stores the csp-violation reports of a Reporting API batch (application/reports+json)', async () => {
      const { api, rng } = setup()
      const [a, b] = [`https://${rng.word()}.evil.test/a.js`, 'inline']
      const batch = rng.shuffle([modernReport(a), modernReport('x', 'deprecation'), modernReport(b)])
      const res = await api.post('/csp-report', {
        headers: { 'Content-Type': 'application/reports+json' },
        body: JSON.stringify(batch),
      })
      expect(res).toHaveStatus(204)
      const stored = await storedReports(api)
      expect(stored.map((r) => r.blockedUrl).sort(), 'only the two csp-violation reports').toEqual([a, b].sort())
      expect(stored[0]).toEqual(expect.objectContaining({ documentUrl: 'https://status.example/', directive: 'script-src-elem' }))
    })

    it('refuses other content types with 415 and stores nothing', async () => {
      const { api, rng } = setup()
      const body = JSON.stringify(legacyReport(rng))
      const types = [
        'application/json',
        'application/json; charset=utf-8',
        'text/plain',
        'application/x-www-form-urlencoded',
        'application/csp-reports',
        'application/x-csp-report',
        'text/csp-report',
        'application/reports+json5',
      ]
      for (const type of types) {
        const res = await api.post('/csp-report', { headers: { 'Content-Type': type }, body })
        expect(res, `Content-Type ${type}: 415`).toHaveStatus(415)
      }
      expect(await storedReports(api)).toEqual([])
    })

    it('accepts both report types with parameters and in any letter case', async () => {
      const { api, rng } = setup()
      const legacy = [
        'application/csp-report; charset=utf-8',
        'application/csp-report;charset=UTF-8',
        'application/csp-report ; charset=utf-8',
        'Application/CSP-Report',
      ]
      const modern = ['application/reports+json; charset=utf-8', 'APPLICATION/REPORTS+JSON']
      const cases = rng.shuffle([
        ...legacy.map((t) => [t, false] as const),
        ...modern.map((t) => [t, true] as const),
      ])
      for (const [type, isModern] of cases) {
        const blocked = `https://${rng.word()}.evil.test/${rng.word()}.js`
        const res = await api.post('/csp-report', {
          headers: { 'Content-Type': type },
          body: JSON.stringify(isModern ? [modernReport(blocked)] : legacyReport(rng, blocked)),
        })
        expect(res, `Content-Type ${type}: a report, 204`).toHaveStatus(204)
        const stored = await storedReports(api)
        expect(stored.at(-1), `Content-Type ${type}: the report is stored`).toEqual({
          documentUrl: 'https://status.example/',
          blockedUrl: blocked,
          directive: 'script-src-elem',
        })
      }
    })

    it('answers 400 to malformed JSON or a body that is not a report', async () => {
      const { api } = setup()
      const cases: [string, string][] = [
        ['application/csp-report', '{"csp-report": '],
        ['application/csp-report', '{"report": {}}'],
        ['application/reports+json', '{"type": "csp-violation"}'],
        ['application/reports+json', 'not json'],
      ]
      for (const [type, body] of cases) {
        const res = await api.post('/csp-report', { headers: { 'Content-Type': type }, body })
        expect(res, `${type} ${body}: 400`).toHaveStatus(400)
      }
      expect(await storedReports(api)).toEqual([])
    })

    it('keeps only the newest reportLimit reports, oldest first', async () => {
      const { api, options, rng } = setup()
      const sent: string[] = []
      const total = options.reportLimit + rng.int(1, 4)
      for (let i = 0; i < total; i++) {
        const blocked = `https://evil.test/${i}-${rng.word()}.js`
        sent.push(blocked)
        const modern = rng.next() < 0.5
        const res = await api.post('/csp-report', {
          headers: { 'Content-Type': modern ? 'application/reports+json' : 'application/csp-report' },
          body: JSON.stringify(modern ? [modernReport(blocked)] : legacyReport(rng, blocked)),
        })
        expect(res).toHaveStatus(204)
      }
      const stored = (await storedReports(api)).map((r) => r.blockedUrl)
      expect(stored, `the newest ${options.reportLimit} of ${total}`).toEqual(sent.slice(-options.reportLimit))
    })

    it('keeps each app its own reports', async () => {
      const first = setup({ salt: 'first' })
      const second = setup({ salt: 'second' })
      await first.api.post('/csp-report', {
        headers: { 'Content-Type': 'application/csp-report' },
        body: JSON.stringify(legacyReport(first.rng)),
      })
      expect(await storedReports(second.api)).toEqual([])
      expect((await storedReports(first.api)).length).toBe(1)
    })
  })
})
