import { Hono } from 'hono'

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

export function createApp(options: SecurityHeadersOptions) {
  const reports: CspReport[] = []

  const app = new Hono()

  // TODO: one middleware for every response (404s included): X-Content-Type-Options: nosniff,
  //       a strict Referrer-Policy, no X-Powered-By, and unless the route set its own:
  //       Content-Security-Policy: default-src 'none'; frame-ancestors 'none'.
  // TODO: Strict-Transport-Security: max-age=<options.hstsMaxAge>; includeSubDomains, only when
  //       options.trustProxy is true and X-Forwarded-Proto is https.

  app.get('/', (c) => {
    // TODO: a fresh random nonce (16 bytes, base64) per response, on both <script> elements and
    //       in this page's own Content-Security-Policy (see the README for the directives).
    const nonce = ''
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

  app.post('/csp-report', (c) => {
    // TODO: accept application/csp-report ({ "csp-report": {...} }) and application/reports+json
    //       (an array; keep the "csp-violation" ones), store them as CspReport (at most
    //       options.reportLimit, the oldest dropped first), answer 204. Another Content-Type:
    //       415; malformed JSON or not a report: 400.
    return c.json({ error: 'not_implemented' }, 501)
  })

  app.get('/api/csp-reports', (c) => c.json({ reports }))

  return app
}
