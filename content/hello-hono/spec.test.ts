// hello-hono - the hidden spec.
//
// Wrong implementations this spec is built to catch:
// - returns JSON (or HTML) for GET / instead of plain text
// - hard-codes the name ("Hello, World!") instead of reading the route parameter
// - ignores the `greeting` option, or ignores the default when it is absent
// - does not decode the name (greets "Ada%20Lovelace")
// - leaves Hono's default text 404 ("404 Not Found") for unknown paths
// - answers 200 for unknown paths (e.g. a catch-all route)
// - keeps state in a module-level app, so a second createApp() with other options leaks
import { describe, expect, it } from 'vitest'
import { client, random } from '../../harness/spec-kit/index.ts'
import { createApp } from '../../exercises/hello-hono/app.ts'

describe('hello-hono', () => {
  it('GET / answers 200 with plain text "Hello, Hono!"', async () => {
    const res = await client(createApp()).get('/')
    expect(res).toHaveStatus(200)
    expect(res).toHaveHeader('content-type', expect.stringMatching(/^text\/plain/))
    expect(res.text).toBe('Hello, Hono!')
  })

  it('GET /hello/:name greets the name from the path', async () => {
    const rng = random()
    const name = rng.word(3, 8)
    const res = await client(createApp()).get(`/hello/${name}`)
    expect(res).toHaveStatus(200)
    expect(res).toHaveJsonBody({ message: `Hello, ${name}!` })
  })

  it('GET /hello/:name decodes a percent-encoded name', async () => {
    const res = await client(createApp()).get('/hello/Ada%20Lovelace')
    expect(res).toHaveJsonBody({ message: 'Hello, Ada Lovelace!' })
  })

  it('uses the greeting option on both routes', async () => {
    const rng = random()
    const greeting = rng.pick(['Hola', 'Bonjour', 'Ciao', 'Hallo', 'Ahoj'])
    const name = rng.word()
    const api = client(createApp({ greeting }))
    const root = await api.get('/')
    expect(root.text).toBe(`${greeting}, Hono!`)
    const named = await api.get(`/hello/${name}`)
    expect(named).toHaveJsonBody({ message: `${greeting}, ${name}!` })
  })

  it('keeps each app its own greeting', async () => {
    const first = client(createApp({ greeting: 'Hi' }))
    const second = client(createApp({ greeting: 'Yo' }))
    expect((await first.get('/')).text).toBe('Hi, Hono!')
    expect((await second.get('/')).text).toBe('Yo, Hono!')
    expect((await client(createApp()).get('/')).text).toBe('Hello, Hono!')
  })

  it('answers 404 with JSON { "error": "not_found" } for an unknown path', async () => {
    const path = `/${random().word()}`
    const res = await client(createApp()).get(path)
    expect(res).toHaveStatus(404)
    expect(res).toHaveJsonBody({ error: 'not_found' })
  })
})
