import { describe, expect, it } from 'vitest'
import { parseChallenge, parseHref, parseLinkHeader, parseTokenList } from './headers.ts'

describe('parseLinkHeader', () => {
  it('reads targets, rels and params whatever the spacing and quoting', () => {
    expect(parseLinkHeader('</a?x=1>; rel="next last",<https://h/b>;rel=prev ; title="B, c"')).toEqual([
      { target: '/a?x=1', rels: ['next', 'last'], params: { rel: 'next last' } },
      { target: 'https://h/b', rels: ['prev'], params: { rel: 'prev', title: 'B, c' } },
    ])
  })

  it('throws on a malformed header', () => {
    expect(() => parseLinkHeader('/a; rel=next')).toThrow('each link must start with <target>')
  })
})

describe('parseChallenge', () => {
  it('reads the scheme and params in any order and case', () => {
    expect(parseChallenge('bearer error=invalid_token,  realm="api"')).toEqual({
      scheme: 'bearer',
      params: { error: 'invalid_token', realm: 'api' },
    })
    expect(parseChallenge('Bearer')).toEqual({ scheme: 'bearer', params: {} })
  })

  it('rejects what is not a challenge', () => {
    expect(parseChallenge('')).toBeUndefined()
    expect(parseChallenge('Bearer realm=')).toBeUndefined()
  })
})

describe('parseTokenList', () => {
  it('splits, trims and upper-cases', () => {
    expect(parseTokenList(' get,HEAD , post')).toEqual(['GET', 'HEAD', 'POST'])
    expect(parseTokenList(undefined)).toEqual([])
  })
})

describe('parseHref', () => {
  it('reads relative and absolute targets alike', () => {
    expect(parseHref('/api/items?limit=5&offset=10')).toEqual({ path: '/api/items', query: { limit: '5', offset: '10' } })
    expect(parseHref('http://127.0.0.1:4567/api/items?offset=10&limit=5')).toEqual(parseHref('/api/items?limit=5&offset=10'))
  })
})
