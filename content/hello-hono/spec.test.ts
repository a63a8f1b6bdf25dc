// hello-hono - the hidden spec.
//
// Wrong implementations this spec is built to catch:
// - returns JSON (or HTML) for GET / instead of plain text
// - hard-codes the name ("Hello, World!") instead of reading the route parameter
// - ignores the `greeting` option, or ignores the default when it is absent
// - does not decode the name (greets "Ada%20Lovelace"), or decodes only a space
// - leaves Hono's default text 404 ("404 Not Found") for unknown paths
// - answers 200 for unknown paths (e.g. a catch-all route)
// - a hand-made 404 route for one-segment paths only, so `/a/b` or `/hello` still gets Hono's
//   text 404, or `/hello/a/b` greets "a"
// - keeps state in a module-level app or variable, so a second createApp() with other options
//   leaks into the first
import { describe, expect, it } from 'vitest'
import { build, client, focusOn, random, task } from '../../harness/spec-kit/index.ts'
import { createApp } from '../../exercises/hello-hono/app.ts'

const GREETINGS = ['Hola', 'Bonjour', 'Ciao', 'Hallo', 'Ahoj']

describe('hello-hono', () => {
  task(1, 'Say hello on GET /', () => {
    it('GET / answers 200 with plain text "Hello, Hono!"', async () => {
      const res = await client(createApp()).get('/')
      expect(res).toHaveStatus(200)
      expect(res).toHaveHeader('content-type')
      focusOn(res)
      const type = res.headers['content-type']?.split(';')[0]?.trim()
      expect(type, 'the Content-Type is text/plain').toBe('text/plain')
      expect(res.text, 'the body is the greeting').toBe('Hello, Hono!')
    })
  })

  task(2, 'Greet a name from the path', () => {
    it('GET /hello/:name greets the name from the path', async () => {
      const rng = random()
      const name = rng.word(3, 8)
      const res = await client(createApp()).get(`/hello/${name}`)
      expect(res).toHaveStatus(200)
      expect(res).toHaveJsonBody({ message: `Hello, ${name}!` })
    })

    it('GET /hello/:name decodes a percent-encoded name', async () => {
      const api = client(createApp())
      const spaced = await api.get('/hello/Ada%20Lovelace')
      expect(spaced).toHaveJsonBody({ message: 'Hello, Ada Lovelace!' })
      const first = random().word(3, 6)
      // "é" travels as two UTF-8 bytes, each percent-encoded.
      const accented = await api.get(`/hello/${first}%C3%A9`)
      expect(accented).toHaveJsonBody({ message: `Hello, ${first}é!` })
    })
  })

  task(3, 'Take the greeting from the options', () => {
    it('uses the greeting option on both routes', async () => {
      const rng = random()
      const greeting = rng.pick(GREETINGS)
      const name = rng.word()
      const api = client(build(createApp, { greeting }))
      const root = await api.get('/')
      focusOn(root)
      expect(root.text, 'GET / greets with the greeting option').toBe(`${greeting}, Hono!`)
      const named = await api.get(`/hello/${name}`)
      expect(named).toHaveJsonBody({ message: `${greeting}, ${name}!` })
    })

    it('keeps each app its own greeting', async () => {
      const [a, b] = random().shuffle(GREETINGS)
      const first = client(build(createApp, { greeting: a }))
      const second = client(build(createApp, { greeting: b }))
      const plain = client(build(createApp, {}))
      const one = await first.get('/')
      focusOn(one)
      expect(one.text, 'the first app keeps its own greeting').toBe(`${a}, Hono!`)
      const two = await second.get('/hello/Grace')
      expect(two).toHaveJsonBody({ message: `${b}, Grace!` })
      const three = await plain.get('/')
      focusOn(three)
      expect(three.text, 'an app made without a greeting says Hello').toBe('Hello, Hono!')
    })
  })

  task(4, 'Answer unknown paths with a JSON 404', () => {
    it('answers 404 with JSON { "error": "not_found" } for an unknown path', async () => {
      const path = `/${random().word()}`
      const res = await client(createApp()).get(path)
      expect(res).toHaveStatus(404)
      expect(res).toHaveJsonBody({ error: 'not_found' })
    })

    it('answers the same 404 for deeper paths and for /hello without one name', async () => {
      const rng = random()
      const api = client(createApp())
      const deep = [`/${rng.word()}/${rng.word()}`, `/hello/${rng.word()}/${rng.word()}`]
      for (const path of [...deep, '/hello']) {
        const res = await api.get(path)
        expect(res).toHaveStatus(404)
        expect(res).toHaveJsonBody({ error: 'not_found' })
      }
    })
  })
})
