import { randomBytes } from 'node:crypto'
import { Hono, type Context } from 'hono'
import { createMiddleware } from 'hono/factory'

export interface SecurityHeadersOptions {
  /**
   * True when the app runs behind a proxy you control that terminates HTTPS, sets
   * X-Forwarded-Proto and drops any copy the client sent. Only then does that header mean anything.
   */
  trustProxy: boolean
  /** max-age of Strict-Transport-Security, in seconds. */
  hstsMaxAge: number
  /** How many CSP reports to keep; older ones are dropped first. */
  reportLimit: number
}

/** A CSP violation, whichever of the two report formats it arrived in. */
export interface CspReport {
  documentUrl: string | null
  blockedUrl: string | null
  directive: string | null
}

type Env = { Variables: { nonce: string } }

// JSON never needs to run scripts, load styles or be framed: forbid everything. If a browser
// ever renders an API response as a page (a sniffing bug, an injected error message), nothing
// in it can execute.
const API_POLICY = "default-src 'none'; frame-ancestors 'none'"

/** The one HTML page's policy: only scripts that carry this response's nonce may run. */
const pagePolicy = (nonce: string) =>
  [
    "default-src 'self'",
    `script-src 'nonce-${nonce}'`,
    "object-src 'none'",
    "base-uri 'none'",
    "frame-ancestors 'none'",
    'report-uri /csp-report',
  ].join('; ')

const text = (value: unknown) => (typeof value === 'string' ? value : null)

/** The violations in a report body, or undefined if the body is not a report of that type. */
function readReports(type: string, body: unknown): CspReport[] | undefined {
  if (type === 'application/csp-report') {
    // The legacy format (report-uri): one object under "csp-report", hyphenated keys.
    const report = (body as { 'csp-report'?: unknown } | null)?.['csp-report']
    if (report === null || typeof report !== 'object') return undefined
    const r = report as Record<string, unknown>
    return [
      {
        documentUrl: text(r['document-uri']),
        blockedUrl: text(r['blocked-uri']),
        directive: text(r['effective-directive']),
      },
    ]
  }
  // The Reporting API (report-to): an array of reports of many types; keep the CSP ones.
  if (!Array.isArray(body)) return undefined
  return body
    .filter((r) => r !== null && typeof r === 'object' && r.type === 'csp-violation')
    .map((r) => {
      const b = (typeof r.body === 'object' && r.body !== null ? r.body : {}) as Record<
        string,
        unknown
      >
      return {
        documentUrl: text(b.documentURL),
        blockedUrl: text(b.blockedURL),
        directive: text(b.effectiveDirective),
      }
    })
}

export function createApp(options: SecurityHeadersOptions) {
  const reports: CspReport[] = []
  const hsts = `max-age=${options.hstsMaxAge}; includeSubDomains`

  // One middleware for every response, 404s and errors included. It runs after the route, so
  // it can also remove what a route (or an upstream service) added.
  const securityHeaders = createMiddleware<Env>(async (c, next) => {
    await next()
    const h = c.res.headers
    h.set('X-Content-Type-Options', 'nosniff') // the browser must trust Content-Type, not guess
    h.set('Referrer-Policy', 'no-referrer') // URLs (with ids, tokens) never leak to other sites
    if (!h.has('Content-Security-Policy')) h.set('Content-Security-Policy', API_POLICY)
    h.delete('X-Powered-By') // tells attackers which exploits to try, tells users nothing
    // HSTS makes browsers use HTTPS only, for max-age seconds. It is only meaningful on a
    // response that came over HTTPS, and this app speaks plain HTTP to its proxy: it can only know
    // the client's scheme from X-Forwarded-Proto, and only a trusted proxy's copy is worth
    // believing (a client can send the header too).
    const proto = c.req.header('X-Forwarded-Proto')?.trim().toLowerCase()
    if (options.trustProxy && proto === 'https') h.set('Strict-Transport-Security', hsts)
    else h.delete('Strict-Transport-Security')
  })

  const app = new Hono<Env>()
  app.use('*', securityHeaders)

  // A fresh nonce per response, 128 random bits: an attacker who injects a <script> cannot
  // guess it, and one seen in an old page is worthless for the next.
  app.get('/', (c) => {
    const nonce = randomBytes(16).toString('base64')
    c.header('Content-Security-Policy', pagePolicy(nonce))
    return c.html(`<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8">
    <title>Status</title>
    <script nonce="${nonce}">window.apiBase = '/api'</script>
  </head>
  <body>
    <h1>Status</h1>
    <p id="status">loading...</p>
    <script nonce="${nonce}">
      fetch(window.apiBase + '/status')
        .then((r) => r.json())
        .then((s) => { document.getElementById('status').textContent = s.status })
    </script>
  </body>
</html>`)
  })

  app.get('/api/status', (c) => c.json({ status: 'ok' }))

  // An older service still answers this one; its response is passed through as it came.
  app.get('/api/legacy', () =>
    Response.json({ legacy: true }, { headers: { 'X-Powered-By': 'PHP/8.1.2' } }),
  )

  app.post('/csp-report', async (c) => {
    const type = (c.req.header('Content-Type') ?? '').split(';')[0]!.trim().toLowerCase()
    if (type !== 'application/csp-report' && type !== 'application/reports+json') {
      return c.json({ error: 'unsupported_media_type' }, 415)
    }
    const body: unknown = await c.req.json().catch(() => undefined)
    const found = body === undefined ? undefined : readReports(type, body)
    if (found === undefined) return c.json({ error: 'invalid_report' }, 400)
    // Anyone can post here, so storage is bounded: keep the newest reportLimit.
    reports.push(...found)
    reports.splice(0, Math.max(0, reports.length - options.reportLimit))
    return c.body(null, 204)
  })

  app.get('/api/csp-reports', (c) => c.json({ reports }))

  return app
}
