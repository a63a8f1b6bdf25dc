// input-sanitisation - the hidden spec.
//
// Wrong implementations this spec is built to catch:
// - reports only the first issue, or reports an unknown member at the body's pointer instead of
//   its own; the whole body's pointer written "/" instead of "" (RFC 6901: "" is the root)
// - pointers without RFC 6901 escaping, or escaping "/" before "~" (the key "a/b" becomes
//   "a~01b")
// - validates the raw text and stores the canonical one (or the other way round): no NFC, so
//   "e\u0301mile" and "émile" are two users; NFKC instead of NFC ("①" becomes "1"); checks for
//   forbidden characters before trimming (a trailing newline is refused instead of trimmed)
// - counts lengths in UTF-16 units (`.length`, zod's `.max()`): 30 emoji are refused
// - lets zero-width and bidirectional control characters through (only checks \p{Cc}), or
//   refuses every \p{Cf} character, so an emoji joined with U+200D is refused; strips the
//   forbidden characters silently instead of refusing; refuses the line feeds a bio may hold
// - checks links with a regex (`/^https?:/i`) and stores them as typed instead of the parser's
//   href, or accepts any scheme the parser knows (`javascript:`, `data:`), or is fooled by case
//   or leading spaces; leaves the website's forbidden characters to `new URL`, which drops a tab
//   or U+200B ("https://exa\tmple.com" stored as "https://example.com/"); takes "website": null
//   for a website left out
// - escapes only `<` and `>` (not `&`, quotes), or uses other entities than the README's
// - keeps `<a href>` whatever its URL, or reads its URL without the whole link rule (untrimmed,
//   or a line feed inside left for the parser to drop), keeps tags with other attributes or in upper case,
//   keeps a closing tag that does not close the innermost open tag, or leaves tags open
// - checks prototype keys only at the top of `settings`, or only `__proto__` (not
//   `constructor`, `prototype`), or refuses any key that merely contains "proto"; canonicalises
//   settings keys (they are kept as sent); accepts arrays or null inside settings
// - deep-merges with plain assignment onto the defaults object, so one user's settings leak
//   into the next user's (or into the caller's object), or keeps the caller's defaults by
//   reference
// - the uniqueness check on the raw username; 409 before 422 for an invalid body
// - users kept at module level, shared between two apps
import { describe, expect, it } from 'vitest'
import { build, client, random, task, type Reply, type Rng } from '../../harness/spec-kit/index.ts'
import { createApp, type Settings } from '../../exercises/input-sanitisation/app.ts'

type Body = Record<string, unknown>

function setup(defaultSettings?: Settings) {
  const rng = random()
  const api = client(build(createApp, defaultSettings === undefined ? {} : { defaultSettings }))
  const post = (body: unknown) => api.post('/api/users', { json: body })
  /** A body as raw JSON text: the only way to send "__proto__" as an own key. */
  const postRaw = (text: string) =>
    api.post('/api/users', { body: text, headers: { 'Content-Type': 'application/json' } })
  const stored = async () => ((await api.get('/api/users')).body as { users: Body[] }).users
  /** A valid body: plain ASCII, so only what a check changes is interesting. */
  const valid = (extra: Body = {}): Body => ({
    username: `${rng.word(4, 8)}_${rng.int(1, 999)}`,
    displayName: `${cap(rng.word())} ${cap(rng.word())}`,
    ...extra,
  })
  return { rng, api, post, postRaw, stored, valid }
}

const cap = (word: string) => word[0]!.toUpperCase() + word.slice(1)

/** The user in a 201, with the members every check reads. */
async function created(res: Reply | Promise<Reply>): Promise<Body> {
  const reply = await res
  expect(reply, 'a valid body is stored: 201').toHaveStatus(201)
  return reply.body as Body
}

/** A 422 whose distinct pointers are exactly `pointers`. */
async function refused(res: Reply | Promise<Reply>, pointers: string[], why = '') {
  const reply = await res
  expect(reply, `${why}: 422 validation_failed`.replace(/^: /, '')).toHaveStatus(422)
  const body = reply.body as { error?: unknown; issues?: { pointer?: unknown }[] }
  expect(body.error, 'the 422 body says { "error": "validation_failed" }').toBe('validation_failed')
  expect(Array.isArray(body.issues), 'the 422 body carries an `issues` array').toBe(true)
  const got = [...new Set(body.issues!.map((issue) => issue.pointer))].sort()
  expect(got, `${why}: the issues point exactly at ${JSON.stringify(pointers)}`).toEqual(
    [...new Set(pointers)].sort(),
  )
}

/** Code points from a pool, mixing 1- and 2-unit characters. */
function letters(rng: Rng, n: number, pool = ['a', 'é', '𝒜', 'ß', 'ж', '字']): string {
  return Array.from({ length: n }, () => rng.pick(pool)).join('')
}

function expectUnpolluted() {
  const probe = {} as Record<string, unknown>
  for (const key of ['admin', 'isAdmin', 'polluted']) {
    expect(probe[key], `Object.prototype gained "${key}": a prototype key was assigned`).toBeUndefined()
  }
}

describe('input-sanitisation', () => {
  task(1, 'Create users and report issues as JSON Pointers', () => {
    it('creates a user from the required members, with the defaults for the rest', async () => {
      const { post, valid } = setup()
      const body = valid()
      expect(await created(post(body))).toEqual(
        expect.objectContaining({ ...body, website: null, bio: '', bioHtml: '', settings: {} }),
      )
    })

    it('lists the stored users oldest first', async () => {
      const { post, valid, stored } = setup()
      const bodies = [valid(), valid(), valid()]
      for (const body of bodies) await created(post(body))
      const users = await stored()
      expect(users.map((u) => u.username)).toEqual(bodies.map((b) => b.username))
    })

    it('reports every invalid member at its own pointer, and stores nothing', async () => {
      const { post, valid, stored, rng } = setup()
      const body = { ...valid(), displayName: rng.int(1, 99), website: false }
      delete (body as Body).username
      await refused(post(body), ['/username', '/displayName', '/website'])
      expect(await stored(), 'a refused body stores nothing').toEqual([])
    })

    it('reports a member the rules do not name at its own pointer', async () => {
      const { post, valid, rng } = setup()
      const extra = rng.word(5, 9)
      await refused(post(valid({ admin: true, [extra]: 1 })), ['/admin', `/${extra}`])
    })

    it('points at "" when the body is not an object', async () => {
      const { post } = setup()
      for (const body of [[], null, 7, 'text', true]) {
        await refused(post(body), [''], `the body ${JSON.stringify(body)}`)
      }
    })

    it('refuses a wrong type for each member', async () => {
      const { post, valid } = setup()
      const wrong = { username: 5, displayName: null, website: 1, bio: ['x'], settings: 'dark' }
      await refused(post(wrong), Object.keys(wrong).map((k) => `/${k}`))
      for (const settings of [[], null]) {
        await refused(post(valid({ settings })), ['/settings'], `settings ${JSON.stringify(settings)}`)
      }
    })

    it('refuses null for the optional members: optional means left out, not null', async () => {
      const { post, valid, stored } = setup()
      for (const website of [null, true, ['https://ex.com'], { href: 'https://ex.com' }]) {
        await refused(post(valid({ website })), ['/website'], `the website ${JSON.stringify(website)}`)
      }
      await refused(post(valid({ bio: null })), ['/bio'], 'the bio null')
      expect(await stored(), 'a refused body stores nothing').toEqual([])
      expect((await created(post(valid()))).website, 'a website left out is stored as null').toBe(null)
    })

    it('refuses arrays and null inside settings, at their own pointer', async () => {
      const { post, valid, rng } = setup()
      const key = rng.word()
      const cases: [Body, string[]][] = [
        [{ [key]: ['a', 'b'] }, [`/settings/${key}`]],
        [{ ui: { [key]: [] }, ok: 1 }, [`/settings/ui/${key}`]],
        [{ ui: { a: { [key]: null } } }, [`/settings/ui/a/${key}`]],
        [{ list: [{ x: 1 }], n: null }, ['/settings/list', '/settings/n']],
      ]
      for (const [settings, pointers] of cases) {
        await refused(post(valid({ settings })), pointers, `settings ${JSON.stringify(settings)}`)
      }
    })

    it('escapes "~" as ~0 and "/" as ~1 in pointers, in that order', async () => {
      const { post, valid, rng } = setup()
      const [a, b] = [rng.word(), rng.word()]
      const settings = { [`${a}/${b}`]: null, [`${b}~1`]: [], [`~/${a}`]: { ok: [] } }
      await refused(post(valid({ settings })), [
        `/settings/${a}~1${b}`,
        `/settings/${b}~01`,
        `/settings/~0~1${a}/ok`,
      ])
    })

    it('answers 400 malformed_json for a body that is not JSON', async () => {
      const { postRaw } = setup()
      const res = await postRaw('{"username":')
      expect(res).toHaveStatus(400)
      expect(res).toHaveJsonBody(expect.objectContaining({ error: 'malformed_json' }))
    })

    it('keeps each app its own users', async () => {
      const first = setup()
      const second = setup()
      const body = first.valid()
      await created(first.post(body))
      expect(await second.stored(), 'a second app starts empty').toEqual([])
      await created(second.post(body))
    })
  })

  task(2, 'Canonicalise, then validate', () => {
    it('stores every string in NFC', async () => {
      const { post, valid, rng } = setup()
      const word = rng.word(3, 6)
      const user = await created(
        post(valid({ username: `e\u0301${word}`, displayName: `Zoe\u0308 ${word}`, bio: 'cafe\u0301' })),
      )
      expect(user.username, '"e\\u0301" is stored as "é"').toBe(`é${word}`)
      expect(user.displayName).toBe(`Zoë ${word}`)
      expect(user.bio).toBe('café')
    })

    it('uses NFC, not NFKC: compatibility characters stay as they are', async () => {
      const { post, valid } = setup()
      const user = await created(post(valid({ displayName: '①ﬁＡ ² Ⅻ' })))
      expect(user.displayName).toBe('①ﬁＡ ² Ⅻ')
    })

    it('trims surrounding whitespace, tabs and line feeds before any rule', async () => {
      const { post, valid, rng } = setup()
      const name = `${rng.word(3, 6)}_${rng.int(1, 99)}`
      const user = await created(
        post(valid({ username: `  ${name}\t`, displayName: `\n ${cap(name)} \r\n`, bio: '\t hi \n' })),
      )
      expect(user).toEqual(expect.objectContaining({ username: name, displayName: cap(name), bio: 'hi' }))
      await refused(post(valid({ displayName: ' \t\n ' })), ['/displayName'], 'a blank displayName')
    })

    it('refuses control characters and invisible formatting characters', async () => {
      const { post, valid, rng } = setup()
      const chars = [
        '\u0000', '\u0007', '\t', '\u000D', '\u001B', '\u007F', '\u0085', '\u009F', '\u200B',
        '\u200E', '\u200F', '\u202A', '\u202E', '\u2060', '\u2066', '\u2069', '\uFEFF',
      ]
      for (const ch of chars) {
        const displayName = `${cap(rng.word())}${ch}${rng.word()}`
        const code = `U+${ch.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}`
        await refused(post(valid({ displayName })), ['/displayName'], `a displayName holding ${code}`)
      }
    })

    it('allows the zero-width joiners that emoji and scripts need', async () => {
      const { post, valid } = setup()
      for (const displayName of ['👩\u200D👩\u200D👧 family', 'می\u200Cخواهم', '🏳\uFE0F\u200D🌈']) {
        expect((await created(post(valid({ displayName })))).displayName).toBe(displayName)
      }
    })

    it('lets the bio hold line feeds but no other control character', async () => {
      const { post, valid, rng } = setup()
      const bio = `${rng.word()}\n\n${rng.word()}\n${rng.word()}`
      expect((await created(post(valid({ bio })))).bio).toBe(bio)
      for (const ch of ['\r', '\t', '\u0000', '\u202E']) {
        await refused(post(valid({ bio: `a${ch}b` })), ['/bio'], `a bio holding ${JSON.stringify(ch)}`)
      }
    })

    it('refuses forbidden characters in usernames and settings strings too', async () => {
      const { post, valid, rng } = setup()
      const w = rng.word()
      await refused(post(valid({ username: `ad\u200Bmin${w}` })), ['/username'])
      await refused(post(valid({ settings: { motto: `${w}\u202Etxt.exe` } })), ['/settings/motto'])
    })

    it('refuses forbidden characters in a website, also where the URL parser would drop them', async () => {
      const { post, valid, rng } = setup()
      const host = `${rng.word()}.example`
      // new URL() silently removes a tab or line feed anywhere and maps U+200B, U+2060 and U+FEFF
      // in a host to nothing, so "exa\tmple.com" would be read as "example.com".
      const cases = [
        `https://${host.slice(0, 2)}\t${host.slice(2)}`,
        `https://${host.slice(0, 3)}\u200B${host.slice(3)}`,
        `https://${host.slice(0, 1)}\u2060${host.slice(1)}`,
        `https://${host}\uFEFF/`,
        `https://${host}/a\nb`,
        `https://${host}/a\rb`,
        `https://${host}/a\u0085b`,
        `https://${host}/\u202Etxt.exe`,
        `https://${host}/a\u2066b\u2069`,
        `https://${host}/?q=\u200F`,
      ]
      for (const website of cases) {
        await refused(post(valid({ website })), ['/website'], `the website ${JSON.stringify(website)}`)
      }
    })

    it('counts lengths in code points: 30 emoji are a valid displayName, 31 are not', async () => {
      const { post, valid } = setup()
      expect((await created(post(valid({ displayName: '😀'.repeat(30) })))).displayName).toBe('😀'.repeat(30))
      await refused(post(valid({ displayName: '😀'.repeat(31) })), ['/displayName'], '31 emoji')
      await created(post(valid({ bio: '🎉'.repeat(280) })))
      await refused(post(valid({ bio: '🎉'.repeat(281) })), ['/bio'], 'a bio of 281 emoji')
    })

    it('counts usernames from 3 to 20 code points, also with 2-unit letters', async () => {
      const { post, valid, rng } = setup()
      for (const n of [3, 20]) await created(post(valid({ username: letters(rng, n) })))
      for (const n of [2, 21]) {
        await refused(post(valid({ username: letters(rng, n) })), ['/username'], `${n} code points`)
      }
      await created(post(valid({ username: '𝒜'.repeat(20) })))
    })

    it('counts the canonical text: 11 decomposed accents are 11 characters', async () => {
      const { post, valid, rng } = setup()
      // 22 code points as sent, 11 once composed.
      const username = 'e\u0301'.repeat(11)
      expect((await created(post(valid({ username })))).username).toBe('é'.repeat(11))
      const settings = { quote: `${'a\u0308'.repeat(100)}` }
      expect((await created(post(valid({ settings })))).settings).toEqual({ quote: 'ä'.repeat(100) })
      await refused(post(valid({ settings: { quote: rng.word(101, 101) } })), ['/settings/quote'])
    })

    it('refuses usernames with characters other than letters, marks, digits and _', async () => {
      const { post, valid, rng } = setup()
      for (const sep of ['-', ' ', '.', '@', '/', '😀']) {
        const username = `${rng.word(3, 5)}${sep}${rng.word(3, 5)}`
        await refused(post(valid({ username })), ['/username'], `the username ${JSON.stringify(username)}`)
      }
    })

    it('treats usernames that are equal once canonical as taken: 409', async () => {
      const { post, valid, stored, rng } = setup()
      const word = rng.word(3, 6)
      await created(post(valid({ username: `é${word}` })))
      for (const username of [`e\u0301${word}`, ` é${word} `]) {
        const res = await post(valid({ username }))
        expect(res, `"${username}" is the same name as "é${word}"`).toHaveStatus(409)
        expect(res).toHaveJsonBody(expect.objectContaining({ error: 'username_taken' }))
      }
      await created(post(valid({ username: `É${word}` })))
      expect((await stored()).length, 'a 409 stores nothing').toBe(2)
    })

    it('answers 422, not 409, when a taken username comes with an invalid body', async () => {
      const { post, valid } = setup()
      const body = valid()
      await created(post(body))
      await refused(post({ ...body, displayName: '' }), ['/displayName'])
    })
  })

  task(3, 'Accept only http and https links', () => {
    it('stores an http or https link as the URL parser serialises it', async () => {
      const { post, valid, rng } = setup()
      const host = `${rng.word()}.example`
      const cases: [string, string][] = [
        [`https://${host}`, `https://${host}/`],
        [`HTTP://${host.toUpperCase()}/a/../b?q=1#top`, `http://${host}/b?q=1#top`],
        [`  https://${host}/x y  `, `https://${host}/x%20y`],
        [`https:${host}`, `https://${host}/`],
        [`\thttps://${host}/a\u200Db\n`, `https://${host}/a%E2%80%8Db`],
      ]
      for (const [website, href] of cases) {
        const user = await created(post(valid({ website })))
        expect(user.website, `${JSON.stringify(website)} is stored as new URL(...).href`).toBe(href)
      }
    })

    it('refuses javascript: links in any spelling', async () => {
      const { post, valid } = setup()
      for (const website of [
        'javascript:alert(1)',
        'JaVaScRiPt:alert(document.cookie)',
        '  javascript:alert(1)',
        'javascript://example.com/%0aalert(1)',
      ]) {
        await refused(post(valid({ website })), ['/website'], `the website ${JSON.stringify(website)}`)
      }
    })

    it('refuses every other scheme, relative links and what does not parse', async () => {
      const { post, valid } = setup()
      for (const website of [
        'data:text/html,<script>alert(1)</script>',
        'vbscript:msgbox(1)',
        'ftp://files.example/a',
        'file:///etc/passwd',
        'mailto:ann@example.com',
        '/about',
        '//evil.example/',
        'example.com',
        'https://',
        'http://exa mple.com',
        '',
      ]) {
        await refused(post(valid({ website })), ['/website'], `the website ${JSON.stringify(website)}`)
      }
    })
  })

  task(4, 'Render the bio through an allowlist', () => {
    const bioHtml = async (bio: string) => {
      const { post, valid } = setup()
      const user = await created(post(valid({ bio })))
      expect(user.bio, 'bio is the text as written').toBe(bio)
      return user.bioHtml
    }

    it('escapes & < > " and \' in text', async () => {
      const rng = random()
      const [a, b] = [rng.word(), rng.word()]
      expect(await bioHtml(`${a} & "${b}" <'x'> &amp;`)).toBe(
        `${a} &amp; &quot;${b}&quot; &lt;&#39;x&#39;&gt; &amp;amp;`,
      )
    })

    it('keeps <b> and <i>', async () => {
      expect(await bioHtml('<b>bold</b> & <i>it</i>')).toBe('<b>bold</b> &amp; <i>it</i>')
    })

    it('escapes every other tag: img onerror, script, svg, upper case, extra attributes', async () => {
      const cases: [string, string][] = [
        ['<img src=x onerror=alert(1)>', '&lt;img src=x onerror=alert(1)&gt;'],
        ['<script>alert(1)</script>', '&lt;script&gt;alert(1)&lt;/script&gt;'],
        ['<svg onload="x">', '&lt;svg onload=&quot;x&quot;&gt;'],
        ['<B>x</B>', '&lt;B&gt;x&lt;/B&gt;'],
        ['<b onclick="x">y</b>', '&lt;b onclick=&quot;x&quot;&gt;y&lt;/b&gt;'],
        ['<b >y', '&lt;b &gt;y'],
      ]
      for (const [bio, html] of cases) expect(await bioHtml(bio), `the bio ${bio}`).toBe(html)
    })

    it('keeps <a href> for an http(s) URL, written as the parser serialises it', async () => {
      expect(await bioHtml('<a href="HTTPS://Ex.com?a=1&b=2">x</a>')).toBe(
        '<a href="https://ex.com/?a=1&amp;b=2">x</a>',
      )
      expect(await bioHtml("see <a href=\"http://ex.com/it's\">it</a>")).toBe(
        'see <a href="http://ex.com/it&#39;s">it</a>',
      )
    })

    it('escapes <a> whose URL is not http(s), or that has another form', async () => {
      const cases: [string, string][] = [
        ['<a href="javascript:alert(1)">x</a>', '&lt;a href=&quot;javascript:alert(1)&quot;&gt;x&lt;/a&gt;'],
        ['<a href="JaVaScRiPt:alert(1)">x</a>', '&lt;a href=&quot;JaVaScRiPt:alert(1)&quot;&gt;x&lt;/a&gt;'],
        ['<a href="data:text/html,x">x</a>', '&lt;a href=&quot;data:text/html,x&quot;&gt;x&lt;/a&gt;'],
        ['<a href="/rel">x</a>', '&lt;a href=&quot;/rel&quot;&gt;x&lt;/a&gt;'],
        ["<a href='https://ex.com'>x</a>", '&lt;a href=&#39;https://ex.com&#39;&gt;x&lt;/a&gt;'],
        ['<a href="https://ex.com" onclick="x">y</a>', '&lt;a href=&quot;https://ex.com&quot; onclick=&quot;x&quot;&gt;y&lt;/a&gt;'],
        ['<a>x</a>', '&lt;a&gt;x&lt;/a&gt;'],
      ]
      for (const [bio, html] of cases) expect(await bioHtml(bio), `the bio ${bio}`).toBe(html)
    })

    it('reads an <a href> URL by the whole link rule: trimmed, no forbidden character, http(s)', async () => {
      const cases: [string, string][] = [
        ['<a href=" https://ex.com/a ">x</a>', '<a href="https://ex.com/a">x</a>'],
        ['<a href="\u3000https://ex.com/\u3000">x</a>', '<a href="https://ex.com/">x</a>'],
        ['<a href="https://ex.com/a\u00A0">x</a>', '<a href="https://ex.com/a">x</a>'],
        ['<a href="\nhttps://ex.com/b\n">x</a>', '<a href="https://ex.com/b">x</a>'],
        // The parser would drop the line feed and read "https://ex.com/"; the rule refuses it.
        ['<a href="https://ex\n.com/">x</a>', '&lt;a href=&quot;https://ex\n.com/&quot;&gt;x&lt;/a&gt;'],
        ['<a href="https://ex.com/a\nb">x</a>', '&lt;a href=&quot;https://ex.com/a\nb&quot;&gt;x&lt;/a&gt;'],
        ['<a href=" javascript:alert(1)">x</a>', '&lt;a href=&quot; javascript:alert(1)&quot;&gt;x&lt;/a&gt;'],
      ]
      for (const [bio, html] of cases) expect(await bioHtml(bio), `the bio ${JSON.stringify(bio)}`).toBe(html)
    })

    it('keeps a closing tag only when it closes the innermost open tag', async () => {
      expect(await bioHtml('<b><i>x</b></i>')).toBe('<b><i>x&lt;/b&gt;</i></b>')
      expect(await bioHtml('</b>x<i>y</i></i>')).toBe('&lt;/b&gt;x<i>y</i>&lt;/i&gt;')
    })

    it('closes the tags left open, innermost first', async () => {
      expect(await bioHtml('<i>unclosed')).toBe('<i>unclosed</i>')
      expect(await bioHtml('<b>a <a href="https://ex.com">b <i>c')).toBe(
        '<b>a <a href="https://ex.com/">b <i>c</i></a></b>',
      )
    })

    it('keeps line feeds as they are', async () => {
      expect(await bioHtml('<b>a</b>\n<i>b</i>')).toBe('<b>a</b>\n<i>b</i>')
    })
  })

  task(5, 'Refuse prototype keys at any depth', () => {
    const defaults = (): Settings => ({ theme: 'light', ui: { density: 'normal', font: 'sans' } })

    it('deep-merges the user\'s settings onto the defaults', async () => {
      const { post, valid, rng } = setup(defaults())
      const word = rng.word()
      const user = await created(post(valid({ settings: { ui: { font: word, size: 14 }, beta: true } })))
      expect(user.settings).toEqual({
        theme: 'light',
        ui: { density: 'normal', font: word, size: 14 },
        beta: true,
      })
    })

    it('lets a user value replace a default group, and a group replace a default value', async () => {
      const { post, valid } = setup(defaults())
      const user = await created(post(valid({ settings: { ui: 'compact', theme: { dark: true } } })))
      expect(user.settings).toEqual({ theme: { dark: true }, ui: 'compact' })
    })

    it('starts every user from the same defaults, and never changes the caller\'s', async () => {
      const given = defaults()
      const { post, valid } = setup(given)
      await created(post(valid({ settings: { ui: { density: 'compact', extra: 1 }, theme: 'dark' } })))
      const next = await created(post(valid()))
      expect(next.settings, 'a second user still gets the defaults').toEqual(defaults())
      expect(given, "the caller's defaultSettings is unchanged").toEqual(defaults())
      ;(given.ui as Settings).density = 'changed-later'
      expect((await created(post(valid()))).settings, 'the app copied the defaults').toEqual(defaults())
    })

    it('refuses "__proto__" in settings, at the top and deeper', async () => {
      const { postRaw, stored, valid } = setup(defaults())
      const { username, displayName } = valid()
      const head = `{"username":"${username as string}","displayName":"${displayName as string}"`
      const cases: [string, string][] = [
        ['{"__proto__":{"admin":true}}', '/settings/__proto__'],
        ['{"ui":{"__proto__":{"admin":true}}}', '/settings/ui/__proto__'],
        ['{"ui":{"a":{"__proto__":{"polluted":1}}}}', '/settings/ui/a/__proto__'],
        ['{"ok":1,"ui":{"__proto__":{"isAdmin":true},"font":"x"}}', '/settings/ui/__proto__'],
      ]
      for (const [settings, pointer] of cases) {
        await refused(postRaw(`${head},"settings":${settings}}`), [pointer], `settings ${settings}`)
        expectUnpolluted()
      }
      expect(await stored(), 'a refused body stores nothing').toEqual([])
    })

    it('refuses "constructor" and "prototype" at any depth', async () => {
      const { post, valid } = setup(defaults())
      const cases: [Settings, string][] = [
        [{ constructor: { prototype: { admin: true } } }, '/settings/constructor'],
        [{ ui: { constructor: { prototype: { admin: true } } } }, '/settings/ui/constructor'],
        [{ prototype: { admin: true } }, '/settings/prototype'],
        [{ ui: { a: { prototype: 1 } } }, '/settings/ui/a/prototype'],
      ]
      for (const [settings, pointer] of cases) {
        await refused(post(valid({ settings })), [pointer], `settings ${JSON.stringify(settings)}`)
        expectUnpolluted()
      }
    })

    it('refuses "__proto__" at the top of the body as an unknown field', async () => {
      const { postRaw, valid } = setup()
      const { username, displayName } = valid()
      const text = `{"username":"${username as string}","displayName":"${displayName as string}","__proto__":{"admin":true}}`
      await refused(postRaw(text), ['/__proto__'])
      expectUnpolluted()
    })

    it('keeps settings keys exactly as sent: keys are not canonicalised', async () => {
      const { post, valid, rng } = setup(defaults())
      const word = rng.word()
      const settings = { ' theme': 'dark', [`e\u0301${word}`]: 1, [`${word}\t`]: true, ' __proto__': { x: 1 } }
      expect((await created(post(valid({ settings })))).settings).toEqual({ ...defaults(), ...settings })
    })

    it('accepts keys that only look like prototype keys', async () => {
      const { post, valid } = setup()
      const settings = { proto: 1, __proto: 2, constructors: 'x', prototypes: { _proto_: true } }
      expect((await created(post(valid({ settings })))).settings).toEqual(settings)
    })
  })
})
