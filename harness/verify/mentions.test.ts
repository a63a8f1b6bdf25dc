import { describe, expect, it } from 'vitest'
import { namesSlug, sentences } from './mentions.ts'

describe('naming later exercises', () => {
  it('finds a kebab-case name anywhere, and a one-word name only as code', () => {
    expect(namesSlug('see error-handling for that', 'error-handling')).toBe(true)
    expect(namesSlug('see `error-handling`.', 'error-handling')).toBe(true)
    expect(namesSlug('see error-handling-two', 'error-handling')).toBe(false)
    expect(namesSlug('nested serializers are not writable', 'serializers')).toBe(false)
    expect(namesSlug('as in `serializers`', 'serializers')).toBe(true)
  })

  it('joins a wrapped sentence, so "later" on the line before counts', () => {
    const text = 'Intro.\n\nIn a later exercise,\n`error-handling`, onError does it. Then `sub-apps` mounts.\n\n- a list item naming `x`\n'
    const found = sentences(text)
    expect(found).toContainEqual({ text: 'In a later exercise, `error-handling`, onError does it.', line: 3 })
    expect(found).toContainEqual({ text: 'Then `sub-apps` mounts.', line: 3 })
    expect(found).toContainEqual({ text: '- a list item naming `x`', line: 6 })
  })
})
