// Response matchers for specs: `expect(reply).toHaveStatus(201)` and friends.
// On failure they point the report at the exchange they judged, so the learner sees that
// request and its response even when the test sent several.
import { expect } from 'vitest'
import type { Reply } from './client.ts'
import { currentMeta } from './state.ts'

interface ResponseMatchers<R = unknown> {
  /** The status code equals `status`. */
  toHaveStatus: (status: number) => R
  /** The header is present; with `expected`, its value equals it (string), matches it (RegExp) or the asymmetric matcher. */
  toHaveHeader: (name: string, expected?: unknown) => R
  /** The body is JSON (by Content-Type) and deeply equals `expected` (asymmetric matchers allowed). */
  toHaveJsonBody: (expected: unknown) => R
  /** The body is empty. */
  toHaveEmptyBody: () => R
}

declare module 'vitest' {
  interface Matchers<T = any> extends ResponseMatchers<T> {}
}

function focus(reply: Reply, pass: boolean, isNot: boolean): void {
  if (pass === isNot && reply?.exchange) currentMeta().focus = reply.exchange.id
}

function assertReply(received: unknown): asserts received is Reply {
  const r = received as Reply | undefined
  if (!r || typeof r.status !== 'number' || !r.exchange) {
    throw new TypeError('response matchers expect a reply from the spec-kit client')
  }
}

expect.extend({
  toHaveStatus(received: Reply, status: number) {
    assertReply(received)
    const pass = received.status === status
    focus(received, pass, this.isNot)
    return {
      pass,
      message: () =>
        this.isNot
          ? `expected a status other than ${status}`
          : `expected status ${status}, received ${received.status}`,
      expected: status,
      actual: received.status,
    }
  },

  toHaveHeader(received: Reply, name: string, expected?: unknown) {
    assertReply(received)
    const value = received.headers[name.toLowerCase()]
    let pass: boolean
    if (value === undefined) pass = false
    else if (expected === undefined) pass = true
    else if (expected instanceof RegExp) pass = expected.test(value)
    else pass = this.equals(value, expected)
    focus(received, pass, this.isNot)
    // printExpected shows an asymmetric matcher as `StringMatching /json/`, not as its fields.
    const shown = expected instanceof RegExp ? String(expected) : this.utils.printExpected(expected)
    return {
      pass,
      message: () => {
        if (this.isNot) {
          return expected === undefined
            ? `expected no ${name} header, received ${name}: ${value}`
            : `expected ${name} not to be ${shown}`
        }
        if (value === undefined) {
          return expected === undefined
            ? `expected a ${name} header, but the response has none`
            : `expected header ${name}: ${shown}, but the response has no ${name} header`
        }
        return `expected header ${name}: ${shown}, received ${name}: ${JSON.stringify(value)}`
      },
      expected,
      actual: value,
    }
  },

  toHaveJsonBody(received: Reply, expected: unknown) {
    assertReply(received)
    const type = received.headers['content-type'] ?? ''
    const isJson = /\bjson\b/i.test(type)
    if (!isJson || received.body === undefined) {
      focus(received, false, this.isNot)
      return {
        pass: false,
        message: () =>
          !isJson
            ? `expected a JSON body (Content-Type: application/json), received Content-Type: ${type || '(none)'}`
            : `expected a JSON body, received text that is not valid JSON: ${received.text.slice(0, 200)}`,
      }
    }
    const pass = this.equals(received.body, expected)
    focus(received, pass, this.isNot)
    return {
      pass,
      message: () =>
        this.isNot ? 'expected a different JSON body' : 'the JSON body is not what was expected',
      expected,
      actual: received.body,
    }
  },

  toHaveEmptyBody(received: Reply) {
    assertReply(received)
    const pass = received.text === ''
    focus(received, pass, this.isNot)
    return {
      pass,
      message: () =>
        this.isNot
          ? 'expected a body, received none'
          : `expected no body, received ${received.text.length} bytes: ${received.text.slice(0, 200)}`,
    }
  },
})
