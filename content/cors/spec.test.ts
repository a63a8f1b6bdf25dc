// cors - the hidden spec.
//
// Wrong implementations this spec is built to catch:
// - reflects any Origin back in Access-Control-Allow-Origin (the "allow everything" shortcut)
// - answers `Access-Control-Allow-Origin: *` to credentialed requests, or sends credentials
//   with `*` on the public endpoint
// - matches origins by prefix, suffix or substring (`https://app.example.com.evil.test`,
//   `https://evil-app.example.com`), ignores the scheme (`http://` for `https://`) or the port,
//   or normalises the spelling (a trailing slash, an upper-case host)
// - allows `Origin: null` (sandboxed iframes, file:// pages), or answers `Allow-Origin: null`
// - turns away a disallowed origin with 403: CORS is not authorisation, the request still runs
// - forgets `Vary: Origin`, or sends it only when it allows the origin
// - lets a preflight fall through to the routes (404/405), or answers it with a body
// - detects a preflight by the header alone (a GET carrying Access-Control-Request-Method)
// - echoes Access-Control-Request-Method / -Headers instead of the configured lists, or answers
//   `*` for them
// - leaves out Access-Control-Max-Age or Allow-Credentials on the preflight
// - sends Access-Control-Allow-Credentials when the app is configured without credentials
// - forgets Access-Control-Expose-Headers, or exposes headers that are not configured
// - accepts `*` or `null` in the allowlist instead of throwing a TypeError at createApp
// - keeps the configuration in module-level state shared between two apps
import { describe, expect, it } from 'vitest'
import {
  build,
  client,
  parseTokenList,
  random,
  task,
  type Reply,
  type Rng,
} from '../../harness/spec-kit/index.ts'
import { createApp } from '../../exercises/cors/app.ts'

const OPTIONAL_METHODS = ['PUT', 'PATCH', 'DELETE']
const EXPOSABLE = ['X-Total-Count', 'X-Request-Id']

/** A fresh app with a random allowlist and random CORS settings. */
function setup({ credentials = true, salt = '' } = {}) {
  const rng = random(salt)
  const base = `${rng.word(4, 8)}.example`
  const origin = `https://app.${base}`
  const second = `http://localhost:${rng.int(3000, 9999)}`
  const origins = rng.shuffle([origin, second, `https://admin.${base}`])
  const extra = rng.shuffle(OPTIONAL_METHODS).slice(0, rng.int(1, 2))
  const allowMethods = rng.shuffle(['GET', 'POST', ...extra])
  const refusedMethods = OPTIONAL_METHODS.filter((m) => !extra.includes(m))
  const custom = `X-${rng.word(4, 8)}-Version`
  const allowHeaders = rng.shuffle(['Content-Type', 'Authorization', custom])
  const exposeHeaders = rng.shuffle(EXPOSABLE).slice(0, rng.int(1, 2))
  const maxAge = rng.int(60, 86400)
  const options = { origins, allowMethods, allowHeaders, exposeHeaders, maxAge, credentials }
  const api = client(build(createApp, options))
  return { rng, api, base, origin, second, options, refusedMethods, custom }
}

/** Origins that are not on the list, each one a neighbour of the allowed `https://app.<base>`. */
function lookalikes(base: string, second: string, rng: Rng): string[] {
  return [
    `https://app.${base}.evil.test`, // the allowed origin as a prefix
    `https://evil-app.${base}`, // the allowed origin as a suffix
    `https://${rng.word()}.app.${base}`, // a subdomain
    `https://${base}`, // the parent domain
    `http://app.${base}`, // the other scheme
    `https://app.${base}:8443`, // another port
    `https://app.${base}/`, // not an origin: a trailing slash
    `https://APP.${base}`, // not the browser's spelling
    second.replace('http://', 'https://'),
    `${second}0`, // another port that starts with the allowed one
    'null',
  ]
}

const acao = (res: Reply) => res.headers['access-control-allow-origin']

function expectAllowed(res: Reply, origin: string) {
  expect(acao(res), `Access-Control-Allow-Origin must be the request's origin ${origin}`).toBe(
    origin,
  )
}

function expectNotAllowed(res: Reply, origin: string) {
  expect(
    acao(res),
    `no Access-Control-Allow-Origin for ${JSON.stringify(origin)}: it is not on the list`,
  ).toBeUndefined()
}

function expectVaryOrigin(res: Reply) {
  expect(
    parseTokenList(res.headers['vary']),
    'the answer depends on Origin, so it needs Vary: Origin',
  ).toContain('ORIGIN')
}

const lower = (value: string | undefined) =>
  parseTokenList(value).map((t) => t.toLowerCase())

/** A preflight as a browser sends it. */
function preflight(
  api: ReturnType<typeof client>,
  origin: string,
  method: string,
  headers?: string,
  path = '/api/notes',
) {
  return api.options(path, {
    headers: {
      Origin: origin,
      'Access-Control-Request-Method': method,
      ...(headers !== undefined ? { 'Access-Control-Request-Headers': headers } : {}),
    },
  })
}

/** True when the preflight answer lets the browser send `method` with `headers` from `origin`. */
function grants(res: Reply, origin: string, method: string, headers: string[] = []) {
  if (acao(res) !== origin) return false
  const methods = parseTokenList(res.headers['access-control-allow-methods'])
  const simple = ['GET', 'HEAD', 'POST'].includes(method)
  if (!simple && !methods.includes(method)) return false
  const allowedHeaders = lower(res.headers['access-control-allow-headers'])
  return headers.every((h) => allowedHeaders.includes(h.toLowerCase()))
}

describe('cors', () => {
  task(1, 'Allow listed origins, exactly', () => {
    it('lets every listed origin read the answer: Allow-Origin is that origin', async () => {
      const { api, options } = setup()
      for (const origin of options.origins) {
        const res = await api.get('/api/notes', { headers: { Origin: origin } })
        expect(res).toHaveStatus(200)
        expectAllowed(res, origin)
      }
    })

    it('never reflects an origin that is not on the list', async () => {
      const { api, rng } = setup()
      const origin = `https://${rng.word()}.evil.test`
      const res = await api.get('/api/notes', { headers: { Origin: origin } })
      expect(res).toHaveStatus(200)
      expectNotAllowed(res, origin)
    })

    it('compares the whole origin exactly: scheme, host and port, no look-alikes', async () => {
      const { api, base, second, rng } = setup()
      for (const origin of lookalikes(base, second, rng)) {
        expectNotAllowed(await api.get('/api/notes', { headers: { Origin: origin } }), origin)
      }
    })

    it('still runs a request from a foreign origin: CORS is not authorisation', async () => {
      const { api, origin, rng } = setup()
      const text = rng.word(8, 12)
      const evil = `https://${rng.word()}.evil.test`
      const res = await api.post('/api/notes', { headers: { Origin: evil }, json: { text } })
      expect(res, 'a foreign origin gets the normal answer, without CORS headers').toHaveStatus(
        201,
      )
      expectNotAllowed(res, evil)
      const list = await api.get('/api/notes', { headers: { Origin: origin } })
      expect(list).toHaveJsonBody({ notes: [expect.objectContaining({ text })] })
    })

    it('answers a request without Origin (same-origin, curl) normally, without Allow-Origin', async () => {
      const { api } = setup()
      const res = await api.get('/api/notes')
      expect(res).toHaveStatus(200)
      expect(acao(res), 'no Origin, no Access-Control-Allow-Origin').toBeUndefined()
    })

    it('sends Vary: Origin on every /api answer, allowed or not, with or without Origin', async () => {
      const { api, origin, rng } = setup()
      expectVaryOrigin(await api.get('/api/notes', { headers: { Origin: origin } }))
      const evil = `https://${rng.word()}.evil.test`
      expectVaryOrigin(await api.get('/api/notes', { headers: { Origin: evil } }))
      expectVaryOrigin(await api.get('/api/notes'))
    })

    it('keeps each app its own allowlist', async () => {
      const first = setup({ salt: 'first' })
      const second = setup({ salt: 'second' })
      const res = await second.api.get('/api/notes', { headers: { Origin: first.origin } })
      expectNotAllowed(res, first.origin)
      expectAllowed(
        await first.api.get('/api/notes', { headers: { Origin: first.origin } }),
        first.origin,
      )
    })
  })

  task(2, 'Answer preflight requests', () => {
    it('answers a preflight from a listed origin with 204, no body, and the grant', async () => {
      const { api, origin, options } = setup()
      const method = options.allowMethods.find((m) => OPTIONAL_METHODS.includes(m))!
      const res = await preflight(api, origin, method, 'content-type')
      expect(res).toHaveStatus(204)
      expect(res).toHaveEmptyBody()
      expectAllowed(res, origin)
      expect(
        parseTokenList(res.headers['access-control-allow-methods']),
        `Access-Control-Allow-Methods must list ${method}`,
      ).toContain(method)
      expect(grants(res, origin, method, ['content-type']), 'the preflight must grant it').toBe(
        true,
      )
      expectVaryOrigin(res)
    })

    it('caches the grant for maxAge seconds: Access-Control-Max-Age', async () => {
      const { api, origin, options } = setup()
      const res = await preflight(api, origin, 'POST', 'content-type')
      expect(res).toHaveHeader('access-control-max-age', String(options.maxAge))
    })

    it('lists only configured methods and headers, never * and never an echo', async () => {
      const { api, origin, options } = setup()
      const res = await preflight(api, origin, 'POST', 'content-type')
      const methods = parseTokenList(res.headers['access-control-allow-methods'])
      const headers = lower(res.headers['access-control-allow-headers'])
      const configured = options.allowHeaders.map((h) => h.toLowerCase())
      expect(methods.every((m) => options.allowMethods.includes(m)), 'methods: only configured').toBe(
        true,
      )
      expect(headers.every((h) => configured.includes(h)), 'headers: only configured ones').toBe(
        true,
      )
    })

    it('grants every configured method and the configured headers in any letter case', async () => {
      const { api, origin, options, custom } = setup()
      for (const method of options.allowMethods) {
        const asked = ['authorization', 'content-type', custom.toLowerCase()]
        const res = await preflight(api, origin, method, asked.join(','))
        expect(res).toHaveStatus(204)
        expect(grants(res, origin, method, asked), `the preflight must grant ${method}`).toBe(true)
      }
    })

    it('does not grant a method that is not configured', async () => {
      const { api, origin, refusedMethods } = setup()
      for (const method of refusedMethods) {
        const res = await preflight(api, origin, method)
        expect(grants(res, origin, method), `${method} is not configured: no grant`).toBe(false)
      }
    })

    it('does not grant a request header that is not configured', async () => {
      const { api, origin, rng } = setup()
      const header = `x-${rng.word()}-token`
      const res = await preflight(api, origin, 'POST', `content-type,${header}`)
      expect(grants(res, origin, 'POST', [header]), `${header} is not configured: no grant`).toBe(
        false,
      )
    })

    it('grants nothing to a preflight from an origin that is not on the list', async () => {
      const { api, base, second, rng } = setup()
      for (const origin of [...lookalikes(base, second, rng).slice(0, 3), 'null']) {
        const res = await preflight(api, origin, 'POST', 'content-type')
        expectNotAllowed(res, origin)
        expect(res.status, 'a preflight never reaches the routes').not.toBe(404)
      }
    })

    it('runs no route for a preflight, even one that asks about DELETE', async () => {
      const { api, origin, rng } = setup()
      const created = await api.post('/api/notes', { json: { text: rng.word() } })
      const id = (created.body as { id: string }).id
      const res = await preflight(api, origin, 'DELETE', undefined, `/api/notes/${id}`)
      expect(res).toHaveStatus(204)
      const list = await api.get('/api/notes')
      expect(list, 'the note is still there after the preflight').toHaveJsonBody({
        notes: [expect.objectContaining({ id })],
      })
    })

    it('treats a GET that carries Access-Control-Request-Method as a normal request', async () => {
      const { api, origin } = setup()
      const res = await api.get('/api/notes', {
        headers: { Origin: origin, 'Access-Control-Request-Method': 'GET' },
      })
      expect(res).toHaveStatus(200)
      expect(res).toHaveJsonBody(expect.objectContaining({ notes: [] }))
    })
  })

  task(3, 'Credentials and exposed headers', () => {
    it('allows credentials for a listed origin: Allow-Credentials true, never *', async () => {
      const { api, origin } = setup()
      const actual = await api.get('/api/notes', { headers: { Origin: origin, Cookie: 'sid=1' } })
      expectAllowed(actual, origin)
      expect(actual).toHaveHeader('access-control-allow-credentials', 'true')
      const pre = await preflight(api, origin, 'POST', 'content-type')
      expectAllowed(pre, origin)
      expect(pre).toHaveHeader('access-control-allow-credentials', 'true')
    })

    it('sends no Allow-Credentials when the app is built with credentials: false', async () => {
      const { api, origin } = setup({ credentials: false })
      const actual = await api.get('/api/notes', { headers: { Origin: origin } })
      expectAllowed(actual, origin)
      expect(actual).not.toHaveHeader('access-control-allow-credentials')
      const pre = await preflight(api, origin, 'POST', 'content-type')
      expectAllowed(pre, origin)
      expect(pre).not.toHaveHeader('access-control-allow-credentials')
    })

    it('exposes exactly the configured response headers to listed origins', async () => {
      const { api, origin, options } = setup()
      const res = await api.get('/api/notes', { headers: { Origin: origin } })
      const exposed = lower(res.headers['access-control-expose-headers'])
      expect(
        [...exposed].sort(),
        'Access-Control-Expose-Headers must list the configured headers',
      ).toEqual(options.exposeHeaders.map((h) => h.toLowerCase()).sort())
    })

    it('exposes the headers on a 201 too', async () => {
      const { api, origin, options, rng } = setup()
      const res = await api.post('/api/notes', {
        headers: { Origin: origin },
        json: { text: rng.word() },
      })
      expect(res).toHaveStatus(201)
      expectAllowed(res, origin)
      const exposed = lower(res.headers['access-control-expose-headers'])
      for (const header of options.exposeHeaders) {
        expect(exposed, `Access-Control-Expose-Headers must list ${header}`).toContain(
          header.toLowerCase(),
        )
      }
    })
  })

  task(4, 'Public data: * without credentials', () => {
    it('lets any page read /public/status: Allow-Origin *', async () => {
      const { api, rng, origin } = setup()
      for (const from of [origin, `https://${rng.word()}.evil.test`, 'null']) {
        const res = await api.get('/public/status', { headers: { Origin: from } })
        expect(res).toHaveStatus(200)
        expect(acao(res), 'public data: Access-Control-Allow-Origin: *').toBe('*')
      }
    })

    it('never pairs * with Allow-Credentials, even in an app built with credentials', async () => {
      const { api, origin } = setup({ credentials: true })
      const res = await api.get('/public/status', { headers: { Origin: origin } })
      expect(acao(res)).toBe('*')
      expect(res, 'credentials are never allowed with *').not.toHaveHeader(
        'access-control-allow-credentials',
      )
    })

    it('refuses * and null in the allowlist: createApp throws a TypeError', () => {
      const { options } = setup()
      for (const bad of ['*', 'null']) {
        const origins = [...options.origins, bad]
        expect(
          () => createApp({ ...options, origins }),
          `createApp with ${JSON.stringify(bad)} in origins must throw a TypeError`,
        ).toThrow(TypeError)
      }
    })
  })
})
