// Fixture spec, in two tasks. Wrong implementations it catches: a wrong status, an ignored name option.
import { describe, expect, it } from 'vitest'
import { build, client, task } from '../../harness/spec-kit/index.ts'
import { createApp } from '../../exercises/failing/app.ts'

describe('failing', () => {
  task(1, 'Answer the ping', () => {
    it('answers GET /ping with 200', async () => {
      const res = await client(createApp()).get('/ping')
      expect(res).toHaveStatus(200)
    })
  })

  task(2, 'Name the caller', () => {
    it('names the caller', async () => {
      const res = await client(build(createApp, { name: 'ada' })).get('/ping')
      expect(res).toHaveJsonBody({ pong: 'ada' })
    })
  })
})
