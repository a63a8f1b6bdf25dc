// server-templates - the hidden spec.
//
// Wrong implementations this spec is built to catch:
// - builds pages by string concatenation without escaping: a post title, author or body (or
//   the search text) holding `<script>`, `"><img onerror=...>` or `</title><script>` turns into
//   live markup (stored and reflected XSS)
// - escapes only `<` and `>` (a hand-rolled replace): a literal `&amp;` in the data comes out as
//   `&`, and a `"` in the search text breaks out of value="..."
// - escapes twice (escapes by hand, then hands the result to html`` as a plain string): the
//   page shows `&amp;lt;` and `&amp;amp;`; or joins the list's html`` fragments with .join(''),
//   which turns them into a plain string that html`` escapes again (the <li> show as text)
// - passes user data through raw() (a post body treated as trusted "rich text")
// - passes the trusted footerHtml as a plain string, so it shows up escaped as visible tags
// - copy-pastes the layout per page so pages drift: no <title> (or the list's title) on the post
//   page, a missing doctype, lang or nav, a footer that differs from page to page
// - leaves Hono's plain-text 404, or renders the not-found page with status 200, or answers a
//   missing post differently from an unknown path
// - answers with c.text() (text/plain) or without charset=UTF-8
// - looks posts up by array position or in a plain object (`/posts/constructor`), or parses ids
//   with parseInt so `/posts/3x` shows post 3
// - lists posts sorted instead of in the given order, drops the author, links to the wrong id
// - a search that is case-sensitive or that ignores q, or a search box that forgets the text
//
// The spec reads HTML with the small, tolerant reader below: attribute quoting, entity style
// (`&#39;`, `&#x27;` or `&apos;`), whitespace and the markup around the required elements are up
// to the learner. It does need every element it looks into (main, li, a, h1, nav, footer) to
// be closed with its end tag.
import { describe, expect, it } from 'vitest'
import { client, focusOn, random, type Reply, type Rng } from '../../harness/spec-kit/index.ts'
import { createApp, type Post } from '../../exercises/server-templates/app.ts'

// ---------------------------------------------------------------------------------------------
// A minimal HTML reader: elements with attributes and text, no more.

interface Element {
  tag: string
  attrs: Map<string, string>
  children: (Element | string)[]
  parent: Element | null
  /** Offsets of the element's content (between its start and end tags) in the source. */
  start: number
  end: number
}

const VOID = new Set(
  'area base br col embed hr img input link meta source track wbr'.split(' '),
)
/** Elements whose content is text up to their end tag, as in a browser. */
const RAW_TEXT = new Set(['script', 'style', 'title', 'textarea'])
const ATTRIBUTE = /([^\s/>=]+)(?:\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>]*)))?/y

function parseHtml(source: string): Element {
  const lower = source.toLowerCase()
  const root: Element = {
    tag: '#document',
    attrs: new Map(),
    children: [],
    parent: null,
    start: 0,
    end: source.length,
  }
  let current = root
  const text = (from: number, to: number) => {
    if (to > from) current.children.push(source.slice(from, to))
  }
  let i = 0
  while (i < source.length) {
    const lt = source.indexOf('<', i)
    if (lt < 0) {
      text(i, source.length)
      break
    }
    text(i, lt)
    if (source.startsWith('<!--', lt)) {
      const end = source.indexOf('-->', lt + 4)
      i = end < 0 ? source.length : end + 3
      continue
    }
    if (source[lt + 1] === '!' || source[lt + 1] === '?') {
      const end = source.indexOf('>', lt)
      i = end < 0 ? source.length : end + 1
      continue
    }
    const close = /^<\/([a-z][^\s/>]*)[^>]*>/i.exec(source.slice(lt, lt + 200))
    if (close) {
      const tag = close[1]!.toLowerCase()
      let match: Element | null = current
      while (match && match !== root && match.tag !== tag) match = match.parent
      if (match && match !== root) {
        // Closing an element closes whatever is still open inside it.
        for (let open = current; ; open = open.parent!) {
          open.end = lt
          if (open === match) break
        }
        current = match.parent!
      }
      i = lt + close[0].length
      continue
    }
    const open = /^<([a-z][^\s/>]*)/i.exec(source.slice(lt, lt + 200))
    if (!open) {
      text(lt, lt + 1) // a lone "<" is text
      i = lt + 1
      continue
    }
    const el: Element = {
      tag: open[1]!.toLowerCase(),
      attrs: new Map(),
      children: [],
      parent: current,
      start: 0,
      end: source.length,
    }
    current.children.push(el)
    let j = lt + open[0].length
    while (j < source.length) {
      while (j < source.length && /[\s/]/.test(source[j]!)) j++
      if (j >= source.length || source[j] === '>') break
      ATTRIBUTE.lastIndex = j
      const m = ATTRIBUTE.exec(source)
      if (!m) {
        j++
        continue
      }
      const name = m[1]!.toLowerCase()
      if (!el.attrs.has(name)) el.attrs.set(name, decodeEntities(m[2] ?? m[3] ?? m[4] ?? ''))
      j = ATTRIBUTE.lastIndex
    }
    el.start = Math.min(j + 1, source.length)
    i = el.start
    if (VOID.has(el.tag)) {
      el.end = el.start
    } else if (RAW_TEXT.has(el.tag)) {
      const end = lower.indexOf(`</${el.tag}`, el.start)
      el.end = end < 0 ? source.length : end
      if (el.end > el.start) el.children.push(source.slice(el.start, el.end))
      const gt = end < 0 ? -1 : source.indexOf('>', end)
      i = gt < 0 ? source.length : gt + 1
    } else {
      current = el
    }
  }
  return root
}

const NAMED_ENTITIES: Record<string, string> = {
  amp: '&',
  lt: '<',
  gt: '>',
  quot: '"',
  apos: "'",
  nbsp: '\u00a0',
}

/** Decodes character references in one pass, so `&amp;lt;` becomes `&lt;`, not `<`. */
function decodeEntities(text: string): string {
  return text.replace(/&(#[0-9]+|#x[0-9a-f]+|[a-z]+);/gi, (whole, ref: string) => {
    if (ref[0] === '#') {
      const hex = ref[1] === 'x' || ref[1] === 'X'
      return String.fromCodePoint(hex ? parseInt(ref.slice(2), 16) : Number(ref.slice(1)))
    }
    const name = ref.toLowerCase()
    return Object.hasOwn(NAMED_ENTITIES, name) ? NAMED_ENTITIES[name]! : whole
  })
}

/** Runs of whitespace become one space, ends trimmed: layout whitespace is the learner's choice. */
const squash = (text: string) => text.replace(/\s+/g, ' ').trim()

/** A parsed page with the few queries the checks need. */
class Page {
  readonly root: Element

  constructor(readonly source: string) {
    this.root = parseHtml(source)
  }

  /** Every element with this tag name (or every element, for '*') inside `within`. */
  all(tag: string, within: Element = this.root): Element[] {
    const found: Element[] = []
    const walk = (el: Element) => {
      for (const child of el.children) {
        if (typeof child === 'string') continue
        if (tag === '*' || child.tag === tag) found.push(child)
        walk(child)
      }
    }
    walk(within)
    return found
  }

  /** The element's text as a browser shows it (entities decoded, tags dropped), squashed. */
  text(el: Element): string {
    const parts: string[] = []
    const walk = (node: Element) => {
      for (const child of node.children) {
        if (typeof child === 'string') parts.push(decodeEntities(child))
        else walk(child)
      }
    }
    walk(el)
    return squash(parts.join(''))
  }

  /** The element's markup between its start and end tags, as sent. */
  inner(el: Element): string {
    return this.source.slice(el.start, el.end)
  }
}

// ---------------------------------------------------------------------------------------------
// Checks on replies.

const HTML_TYPE = /^text\/html;\s*charset="?utf-8"?$/i
const DOCTYPE = /^\s*<!doctype html>/i

/** Status and Content-Type of an HTML page, then the parsed page. */
function htmlPage(reply: Reply, status: number): Page {
  expect(reply).toHaveStatus(status)
  expect(reply).toHaveHeader('content-type', HTML_TYPE)
  return new Page(reply.text)
}

/** The one element with this tag; fails with a sentence when there is none or several. */
function only(reply: Reply, page: Page, tag: string, within?: Element): Element {
  const found = page.all(tag, within)
  focusOn(reply)
  expect(found.length, `expected exactly one <${tag}> element, found ${found.length}`).toBe(1)
  return found[0]!
}

/** The text of the page's <title>, which must be the only one and sit outside <body>. */
function titleOf(reply: Reply, page: Page): string {
  const title = only(reply, page, 'title')
  let inBody = false
  for (let el = title.parent; el; el = el.parent) inBody ||= el.tag === 'body'
  expect(inBody, 'the <title> belongs in <head>, not in <body>').toBe(false)
  return page.text(title)
}

/** Path part of an href, so "/posts/3", "posts/3" and "http://host/posts/3" all read "/posts/3". */
function pathOf(href: string | undefined): string | undefined {
  return href === undefined ? undefined : new URL(href, 'http://blog.test/').pathname
}

/**
 * Fails when markup from the data became a <script> element or an event-handler attribute (the
 * contract keeps both out of every page). Other tags, such as a <b> from the data, show up in the
 * text checks instead: the page's text no longer reads like the original string.
 */
function expectNoInjectedMarkup(reply: Reply, page: Page): void {
  const injected: string[] = []
  for (const el of page.all('*')) {
    if (el.tag === 'script') injected.push('<script>')
    for (const name of el.attrs.keys()) {
      if (name.startsWith('on')) injected.push(`${name}="..." on <${el.tag}>`)
    }
  }
  focusOn(reply)
  expect(injected, 'text from the data was rendered as HTML instead of being escaped').toEqual([])
}

/** The rows of the list page: each <li> in <main>, as its link's path and text, and its text. */
function listRows(reply: Reply, page: Page) {
  const main = only(reply, page, 'main')
  return page.all('li', main).map((li) => {
    const link = page.all('a', li)[0]
    return {
      href: pathOf(link?.attrs.get('href')),
      title: link ? page.text(link) : undefined,
      text: page.text(li),
    }
  })
}

/** The one <input name="q"> of the list page. */
function searchBox(reply: Reply, page: Page): Element {
  const boxes = page.all('input').filter((input) => input.attrs.get('name') === 'q')
  focusOn(reply)
  expect(boxes.length, `expected one <input name="q">, found ${boxes.length}`).toBe(1)
  return boxes[0]!
}

function expectedRows(posts: Post[]) {
  return posts.map((post) => ({
    href: `/posts/${post.id}`,
    title: squash(post.title),
    text: expect.stringContaining(squash(post.author)),
  }))
}

// ---------------------------------------------------------------------------------------------
// Data.

const capital = (word: string) => word[0]!.toUpperCase() + word.slice(1)
const words = (rng: Rng, min: number, max: number) =>
  Array.from({ length: rng.int(min, max) }, () => rng.word(3, 9))

function newPost(rng: Rng, id: number): Post {
  return {
    id,
    title: words(rng, 2, 4).map(capital).join(' '),
    author: `${capital(rng.word(3, 7))} ${capital(rng.word(4, 9))}`,
    body: `${capital(words(rng, 6, 14).join(' '))}.`,
  }
}

/** 3 to 6 posts with non-contiguous ids, handed over out of id order. */
function seedPosts(rng: Rng): Post[] {
  const posts: Post[] = []
  let id = rng.int(1, 5)
  for (let n = rng.int(3, 6); n > 0; n--) {
    posts.push(newPost(rng, id))
    id += rng.int(2, 9)
  }
  const shuffled = rng.shuffle(posts)
  // Neither ascending nor descending by id, so "sorted" cannot pass for "in the given order".
  const ids = shuffled.map((p) => p.id)
  const monotone =
    ids.every((id, i) => i === 0 || id > ids[i - 1]!) ||
    ids.every((id, i) => i === 0 || id < ids[i - 1]!)
  if (monotone) [shuffled[0], shuffled[1]] = [shuffled[1]!, shuffled[0]!]
  return shuffled
}

/** Trusted HTML for the footer, different in every test. */
function footerFor(rng: Rng): string {
  const [a, b, c] = [rng.word(), rng.word(), rng.word()]
  return `<small class="${a}">Written with <em>${b}</em> &amp; <a href="/about">${c}</a></small>`
}

/** Text that is markup if it is not escaped, or that shows a mistake in the escaping. */
const HOSTILE: [string, string][] = [
  ['a <script> element', '<script>alert(1)</script>'],
  ['an attribute break-out with onerror', '"><img src=x onerror=alert(1)>'],
  ['a single-quote break-out with onmouseover', "' onmouseover='alert(1)"],
  ['a closing </title> tag', '</title><script>alert(1)</script>'],
  ['a literal "&amp;" entity', 'Tom &amp; Jerry'],
  ['tags such as <b> and <i>', '<b>bold</b> & <i>italic</i>'],
  ['comparisons such as a<b && c>d', 'if a<b && c>d then'],
]

/** Seeded posts where one post carries `payload` in its title, author and body. */
function hostilePosts(rng: Rng, payload: string): { posts: Post[]; target: Post } {
  const posts = seedPosts(rng)
  const target = rng.pick(posts)
  target.title = `${capital(rng.word())} ${payload}`
  target.author = `${payload} ${capital(rng.word())}`
  target.body = `${capital(words(rng, 3, 6).join(' '))} ${payload} ${words(rng, 3, 6).join(' ')}.`
  return { posts, target }
}

// ---------------------------------------------------------------------------------------------

describe('server-templates', () => {
  it('GET / answers 200 with an HTML page (Content-Type: text/html; charset=UTF-8)', async () => {
    const res = await client(createApp({ posts: seedPosts(random()) })).get('/')
    expect(res).toHaveStatus(200)
    expect(res).toHaveHeader('content-type', HTML_TYPE)
  })

  it('GET / lists every post in the given order: a link to /posts/:id and the author', async () => {
    const posts = seedPosts(random())
    const res = await client(createApp({ posts })).get('/')
    const page = htmlPage(res, 200)
    expect(listRows(res, page)).toEqual(expectedRows(posts))
  })

  it('GET / still renders the page, with no <li>, when the app has no posts', async () => {
    const res = await client(createApp()).get('/')
    const page = htmlPage(res, 200)
    expect(titleOf(res, page)).toBe('Posts')
    expect(listRows(res, page)).toEqual([])
  })

  it('GET /posts/:id shows the post: its title in <h1>, its author and its body', async () => {
    const rng = random()
    const posts = seedPosts(rng)
    const post = rng.pick(posts)
    const res = await client(createApp({ posts })).get(`/posts/${post.id}`)
    const page = htmlPage(res, 200)
    const main = only(res, page, 'main')
    const heading = page.all('h1', main)[0]
    focusOn(res)
    expect(heading && page.text(heading), 'the first <h1> in <main>').toBe(squash(post.title))
    expect(page.text(main), 'the text of <main>').toContain(squash(post.author))
    expect(page.text(main), 'the text of <main>').toContain(squash(post.body))
  })

  it('renders every page in one layout: doctype, <html lang>, same nav and footer', async () => {
    const rng = random()
    const posts = seedPosts(rng)
    const [first, second] = rng.shuffle(posts)
    const api = client(createApp({ posts, footerHtml: footerFor(rng) }))
    const paths = ['/', `/posts/${first!.id}`, `/posts/${second!.id}`, `/${rng.word()}`]
    const parts: { nav: string; footer: string }[] = []
    for (const path of paths) {
      const res = await api.get(path)
      focusOn(res)
      expect(res.text, 'every page starts with <!doctype html>').toMatch(DOCTYPE)
      const page = new Page(res.text)
      expect(only(res, page, 'html').attrs.get('lang'), 'the lang of <html>').toBe('en')
      titleOf(res, page)
      only(res, page, 'main')
      const nav = only(res, page, 'nav')
      const home = page.all('a', nav).map((a) => pathOf(a.attrs.get('href')))
      expect(home, 'the <nav> links to the list page "/"').toContain('/')
      const footer = only(res, page, 'footer')
      parts.push({ nav: squash(page.inner(nav)), footer: squash(page.inner(footer)) })
    }
    // Pages rendered through one layout cannot differ in the parts the layout owns.
    expect(parts, 'the <nav> and <footer> of /, two posts and a 404 page').toEqual(
      paths.map(() => parts[0]),
    )
  })

  it('gives each page its own <title>: "Posts", the post title, "Not found"', async () => {
    const rng = random()
    const posts = seedPosts(rng)
    const [first, second] = rng.shuffle(posts)
    const api = client(createApp({ posts }))
    const cases: [string, number, string][] = [
      ['/', 200, 'Posts'],
      [`/posts/${first!.id}`, 200, first!.title],
      [`/posts/${second!.id}`, 200, second!.title],
      [`/posts/${rng.word()}`, 404, 'Not found'],
    ]
    for (const [path, status, title] of cases) {
      const res = await api.get(path)
      expect(titleOf(res, htmlPage(res, status)), `the <title> of ${path}`).toBe(squash(title))
    }
  })

  it('GET /posts/:id answers 404 with the HTML "Not found" page for ids no post has', async () => {
    const rng = random()
    const posts = seedPosts(rng)
    const ids = posts.map((p) => p.id).sort((a, b) => a - b)
    const api = client(createApp({ posts }))
    const taken = rng.pick(posts).id
    const missing = [ids[0]! + 1, ids.at(-1)! + rng.int(1, 50), `${taken}x`, rng.word()]
    missing.push('constructor') // a plain-object lookup finds Object.prototype.constructor
    for (const id of missing) {
      const res = await api.get(`/posts/${id}`)
      const page = htmlPage(res, 404)
      expect(titleOf(res, page), `the <title> of /posts/${id}`).toBe('Not found')
      only(res, page, 'nav')
      only(res, page, 'footer')
    }
  })

  it('answers 404 with the HTML "Not found" page in the layout for an unknown path', async () => {
    const rng = random()
    const posts = seedPosts(rng)
    const api = client(createApp({ posts }))
    for (const path of [`/${rng.word()}`, '/posts', `/posts/${rng.pick(posts).id}/${rng.word()}`]) {
      const res = await api.get(path)
      focusOn(res)
      expect(res.text, 'the 404 page is a whole page: <!doctype html>').toMatch(DOCTYPE)
      const page = htmlPage(res, 404)
      expect(titleOf(res, page), `the <title> of ${path}`).toBe('Not found')
      only(res, page, 'nav')
      only(res, page, 'footer')
    }
  })

  it.each(HOSTILE)(
    'escapes %s in titles, authors and bodies on the list page',
    async (_, payload) => {
      const { posts, target } = hostilePosts(random(), payload)
      const res = await client(createApp({ posts })).get('/')
      const page = htmlPage(res, 200)
      expectNoInjectedMarkup(res, page)
      // Escaped exactly once: the browser's text is the original string, not "&amp;lt;..."
      const row = listRows(res, page).find((r) => r.href === `/posts/${target.id}`)
      expect(row, `the <li> linking to /posts/${target.id}`).toEqual(expectedRows([target])[0])
    },
  )

  it.each(HOSTILE)(
    'escapes %s in titles, authors and bodies on the post page',
    async (_, payload) => {
      const { posts, target } = hostilePosts(random(), payload)
      const res = await client(createApp({ posts })).get(`/posts/${target.id}`)
      const page = htmlPage(res, 200)
      expectNoInjectedMarkup(res, page)
      expect(titleOf(res, page), 'the <title> text').toBe(squash(target.title))
      const main = only(res, page, 'main')
      const heading = page.all('h1', main)[0]
      focusOn(res)
      expect(heading && page.text(heading), 'the first <h1> in <main>').toBe(squash(target.title))
      expect(page.text(main), 'the text of <main>').toContain(squash(target.author))
      expect(page.text(main), 'the text of <main>').toContain(squash(target.body))
    },
  )

  it('GET /?q= lists only the posts whose title contains q, ignoring case', async () => {
    const rng = random()
    const posts = seedPosts(rng)
    const word = rng.pick(rng.pick(posts).title.split(' '))
    const q = word.slice(1).toUpperCase()
    const res = await client(createApp({ posts })).get(`/?q=${encodeURIComponent(q)}`)
    const page = htmlPage(res, 200)
    const shown = posts.filter((p) => p.title.toLowerCase().includes(q.toLowerCase()))
    expect(listRows(res, page)).toEqual(expectedRows(shown))
  })

  it('GET / has a search box <input name="q"> that keeps the text searched for', async () => {
    const rng = random()
    const posts = seedPosts(rng)
    const api = client(createApp({ posts }))
    const empty = await api.get('/')
    const box = searchBox(empty, htmlPage(empty, 200))
    expect(box.attrs.get('value') ?? '', 'the search box of GET / is empty').toBe('')
    const q = `${rng.word()} ${rng.word()}`
    const res = await api.get(`/?q=${encodeURIComponent(q)}`)
    const input = searchBox(res, htmlPage(res, 200))
    expect(input.attrs.get('value'), `the value of the search box for ?q=${q}`).toBe(q)
  })

  it.each([
    ['a double-quote break-out into a new element', '"><script>alert(1)</script>'],
    ['a double-quote break-out into an event handler', '" autofocus onfocus="alert(1)'],
    ['a single-quote break-out into an event handler', "' onmouseover='alert(1)"],
    ['a literal "&amp;" entity', 'R&amp;D'],
  ])('escapes %s in the search box value', async (_, q) => {
    const res = await client(createApp({ posts: seedPosts(random()) })).get(
      `/?q=${encodeURIComponent(q)}`,
    )
    const page = htmlPage(res, 200)
    expectNoInjectedMarkup(res, page)
    expect(searchBox(res, page).attrs.get('value'), 'the search box value').toBe(q)
  })

  it('puts the trusted footerHtml into every footer as HTML, unescaped', async () => {
    const rng = random()
    const posts = seedPosts(rng)
    const footerHtml = footerFor(rng)
    const emphasis = /<em>(\w+)<\/em>/.exec(footerHtml)![1]
    const api = client(createApp({ posts, footerHtml }))
    for (const path of ['/', `/posts/${rng.pick(posts).id}`, `/${rng.word()}`]) {
      const res = await api.get(path)
      const page = new Page(res.text)
      const footer = only(res, page, 'footer')
      expect(page.inner(footer), `the <footer> of ${path}`).toContain(footerHtml)
      const em = page.all('em', footer).map((el) => page.text(el))
      expect(em, `the <em> elements inside the <footer> of ${path}`).toContain(emphasis)
    }
  })
})
