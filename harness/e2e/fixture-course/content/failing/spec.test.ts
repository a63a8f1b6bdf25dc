// Fixture spec. Wrong implementations it catches: a wrong status, an ignored name option.
import { describe, expect, it } from 'vitest'
import { client } from '../../harness/spec-kit/index.ts'
import { createApp } from '../../exercises/failing/app.ts'

describe('failing', () => {
  it('answers GET /ping with 200', async () => {
    const res = await client(createApp()).get('/ping')
    expect(res).toHaveStatus(200)
  })

  it('names the caller', async () => {
    const res = await client(createApp({ name: 'ada' })).get('/ping')
    expect(res).toHaveJsonBody({ pong: 'ada' })
  })
})
