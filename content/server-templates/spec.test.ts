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
// - passes the trusted footerHtml as a plain string, so it shows up escaped as visible tags, or
//   hands raw() a missing footerHtml, which prints "undefined" in the footer
// - copy-pastes the layout per page so pages drift: no <title> (or the list's title) on the post
//   page, a missing doctype, lang or nav, a footer that differs from page to page
// - leaves Hono's plain-text 404, or renders the not-found page with status 200, or answers a
//   missing post differently from an unknown path
// - answers with c.text() (text/plain) or without charset=UTF-8
// - looks posts up by array position or in a plain object (`/posts/constructor`,
//   `/posts/__proto__`), or parses ids with parseInt (`/posts/3x` shows post 3) or Number
//   (`/posts/3.0`, `/posts/+3`, `/posts/0x3`, `/posts/%203` show post 3)
// - lists posts sorted instead of in the given order, drops the author, links to the wrong id
// - keeps the posts or the footer in module-level state, so two apps show each other's
// - a search that is case-sensitive on either side (only q lower-cased), that ignores q, that
//   also searches authors and bodies, that falls back to every post when nothing matches, or
//   that treats q as a regular expression (`.` matches every title, `(` crashes); a search box
//   that forgets the text
//
// The spec reads HTML with the small, tolerant reader below: attribute quoting, entity style
// (`&#39;`, `&#x27;` or `&apos;`), whitespace and the markup around the required elements are up
// to the learner. It does need every element it looks into (main, li, a, h1, nav, footer) to
// be closed with its end tag.
import { describe, expect, it } from 'vitest'
import {
  build,
  client,
  focusOn,
  random,
  task,
  type Reply,
  type Rng,
} from '../../harness/spec-kit/index.ts'
import { createApp, type BlogOptions, type Post } from '../../exercises/server-templates/app.ts'

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

/** The app, built so that a failing check can say which posts and footer it was given. */
function blog(options: BlogOptions) {
  return client(build(createApp, options))
}

/** Status 200/404 and Content-Type text/html with charset UTF-8. */
function expectHtml(reply: Reply, status: number): void {
  expect(reply).toHaveStatus(status)
  expect(reply).toHaveHeader('content-type')
  const [type, ...params] = (reply.headers['content-type'] ?? '').split(';')
  const charset = params
    .map((p) => p.trim().split('='))
    .find(([name]) => name?.toLowerCase() === 'charset')?.[1]
  focusOn(reply)
  expect(type?.trim().toLowerCase(), 'the Content-Type is text/html').toBe('text/html')
  expect(charset?.replaceAll('"', '').toLowerCase(), 'the Content-Type says charset=UTF-8').toBe(
    'utf-8',
  )
}

/** Status and Content-Type of an HTML page, then the parsed page. */
function htmlPage(reply: Reply, status: number): Page {
  expectHtml(reply, status)
  return new Page(reply.text)
}

/** The page starts with `<!doctype html>` (any case, leading whitespace allowed). */
function expectDoctype(reply: Reply): void {
  focusOn(reply)
  const start = reply.text.trimStart().slice(0, '<!doctype html>'.length).toLowerCase()
  expect(start, 'the page starts with <!doctype html>').toBe('<!doctype html>')
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

/** Fails unless the list page shows exactly these posts, in this order. */
function expectRows(reply: Reply, page: Page, posts: Post[], what: string): void {
  const rows = listRows(reply, page)
  focusOn(reply)
  expect(rows, what).toEqual(expectedRows(posts))
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

/** The nav and footer markup of a page, which the layout owns, after checking the page shape. */
function layoutParts(reply: Reply, path: string): { nav: string; footer: string } {
  expectDoctype(reply)
  const page = new Page(reply.text)
  focusOn(reply)
  expect(only(reply, page, 'html').attrs.get('lang'), `the lang of <html> on ${path}`).toBe('en')
  titleOf(reply, page)
  only(reply, page, 'main')
  const nav = only(reply, page, 'nav')
  const home = page.all('a', nav).map((a) => pathOf(a.attrs.get('href')))
  expect(home, `the <nav> of ${path} links to the list page "/"`).toContain('/')
  const footer = only(reply, page, 'footer')
  return { nav: squash(page.inner(nav)), footer: squash(page.inner(footer)) }
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

/**
 * A word of 10 to 12 letters. Titles are words of 3 to 9 letters, so it is inside no title
 * unless a check puts it there.
 */
const longWord = (rng: Rng) => rng.word(10, 12)

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

/** The posts whose title contains q, ignoring case: the contract's search. */
const matching = (posts: Post[], q: string) =>
  posts.filter((p) => p.title.toLowerCase().includes(q.toLowerCase()))

// ---------------------------------------------------------------------------------------------

describe('server-templates', () => {
  task(1, 'List the posts', () => {
    it('GET / answers 200 with an HTML page (Content-Type: text/html; charset=UTF-8)', async () => {
      const res = await blog({ posts: seedPosts(random()) }).get('/')
      expectHtml(res, 200)
    })

    it(
      'GET / lists every post in the given order: a link to /posts/:id and the author',
      async () => {
        const posts = seedPosts(random())
        const res = await blog({ posts }).get('/')
        expectRows(res, htmlPage(res, 200), posts, 'the <li> rows in <main>')
      },
    )

    it(
      'GET / still renders the page, titled "Posts" with no <li>, when the app has no posts',
      async () => {
        const res = await blog({}).get('/')
        const page = htmlPage(res, 200)
        expect(titleOf(res, page), 'the <title> of /').toBe('Posts')
        expectRows(res, page, [], 'the <li> rows in <main>')
      },
    )

    it('keeps each app its own posts', async () => {
      const rng = random()
      const first = seedPosts(rng)
      const second = seedPosts(rng).map((post) => ({ ...post, id: post.id + 100 }))
      const a = blog({ posts: first })
      const b = blog({ posts: second })
      for (const [api, posts, which] of [
        [b, second, 'second'],
        [a, first, 'first'],
        [b, second, 'second'],
      ] as const) {
        const res = await api.get('/')
        expectRows(res, htmlPage(res, 200), posts, `the <li> rows of the ${which} app`)
      }
    })
  })

  task(2, 'Show one post', () => {
    it('GET /posts/:id shows the post: its title in <h1>, its author and its body', async () => {
      const rng = random()
      const posts = seedPosts(rng)
      const post = rng.pick(posts)
      const res = await blog({ posts }).get(`/posts/${post.id}`)
      const page = htmlPage(res, 200)
      const main = only(res, page, 'main')
      const heading = page.all('h1', main)[0]
      focusOn(res)
      expect(heading && page.text(heading), 'the first <h1> in <main>').toBe(squash(post.title))
      expect(page.text(main), 'the text of <main>').toContain(squash(post.author))
      expect(page.text(main), 'the text of <main>').toContain(squash(post.body))
    })

    it(
      'gives each page its own <title>: "Posts" on the list, the post title on a post',
      async () => {
        const rng = random()
        const posts = seedPosts(rng)
        const [first, second] = rng.shuffle(posts)
        const api = blog({ posts })
        const cases: [string, string][] = [
          ['/', 'Posts'],
          [`/posts/${first!.id}`, first!.title],
          [`/posts/${second!.id}`, second!.title],
        ]
        for (const [path, title] of cases) {
          const res = await api.get(path)
          expect(titleOf(res, htmlPage(res, 200)), `the <title> of ${path}`).toBe(squash(title))
        }
      },
    )
  })

  task(3, 'Answer 404 with a Not found page', () => {
    it(
      'GET /posts/:id answers 404 with the HTML "Not found" page for ids no post has',
      async () => {
        const rng = random()
        const posts = seedPosts(rng)
        const ids = posts.map((p) => p.id).sort((a, b) => a - b)
        const api = blog({ posts })
        // Ids are at least 2 apart, so the one after the smallest is free.
        for (const id of [ids[0]! + 1, ids.at(-1)! + rng.int(1, 50), 0]) {
          const res = await api.get(`/posts/${id}`)
          expect(titleOf(res, htmlPage(res, 404)), `the <title> of /posts/${id}`).toBe('Not found')
        }
      },
    )

    it('GET /posts/:id answers 404 for an id not written in plain digits', async () => {
      const rng = random()
      const posts = seedPosts(rng)
      const taken = rng.pick(posts).id
      const api = blog({ posts })
      const spellings = [
        `${taken}x`, // parseInt reads 3
        `${taken}.0`, // Number reads 3
        `+${taken}`,
        `0x${taken.toString(16)}`,
        `%20${taken}`,
        rng.word(),
        'constructor', // a plain-object lookup finds Object.prototype.constructor
        '__proto__',
        'toString',
      ]
      for (const id of spellings) {
        const res = await api.get(`/posts/${id}`)
        expect(titleOf(res, htmlPage(res, 404)), `the <title> of /posts/${id}`).toBe('Not found')
      }
    })

    it('answers 404 with the HTML "Not found" page for an unknown path', async () => {
      const rng = random()
      const posts = seedPosts(rng)
      const api = blog({ posts })
      const paths = [`/${rng.word()}`, '/posts', `/posts/${rng.pick(posts).id}/${rng.word()}`]
      for (const path of paths) {
        const res = await api.get(path)
        expect(titleOf(res, htmlPage(res, 404)), `the <title> of ${path}`).toBe('Not found')
      }
    })
  })

  task(4, 'Complete the layout with a trusted footer', () => {
    it('renders every page in one layout: doctype, <html lang>, same nav and footer', async () => {
      const rng = random()
      const posts = seedPosts(rng)
      const [first, second] = rng.shuffle(posts)
      const ids = posts.map((p) => p.id).sort((a, b) => a - b)
      const taken = rng.pick(posts).id
      const api = blog({ posts, footerHtml: footerFor(rng) })
      const paths = [
        '/',
        `/posts/${first!.id}`,
        `/posts/${second!.id}`,
        `/posts/${ids[0]! + 1}`,
        `/posts/${ids.at(-1)! + rng.int(1, 50)}`,
        `/posts/${taken}x`,
        `/posts/${rng.word()}`,
        '/posts/constructor',
        `/${rng.word()}`,
        '/posts',
        `/posts/${taken}/${rng.word()}`,
      ]
      const parts: { nav: string; footer: string }[] = []
      for (const path of paths) parts.push(layoutParts(await api.get(path), path))
      // Pages rendered through one layout cannot differ in the parts the layout owns.
      expect(parts, 'the <nav> and <footer> of /, two posts and the 404 pages').toEqual(
        paths.map(() => parts[0]),
      )
    })

    it('puts the trusted footerHtml into every footer as HTML, unescaped', async () => {
      const rng = random()
      const posts = seedPosts(rng)
      const footerHtml = footerFor(rng)
      const emphasis = /<em>(\w+)<\/em>/.exec(footerHtml)![1]
      const api = blog({ posts, footerHtml })
      for (const path of ['/', `/posts/${rng.pick(posts).id}`, `/${rng.word()}`]) {
        const res = await api.get(path)
        const page = new Page(res.text)
        const footer = only(res, page, 'footer')
        expect(page.inner(footer), `the <footer> of ${path}`).toContain(footerHtml)
        const em = page.all('em', footer).map((el) => page.text(el))
        expect(em, `the <em> elements inside the <footer> of ${path}`).toContain(emphasis)
      }
    })

    it('leaves the footer empty when no footerHtml is given', async () => {
      const rng = random()
      const posts = seedPosts(rng)
      const api = blog({ posts })
      for (const path of ['/', `/posts/${rng.pick(posts).id}`, `/${rng.word()}`]) {
        const res = await api.get(path)
        const page = new Page(res.text)
        const footer = only(res, page, 'footer')
        expect(squash(page.inner(footer)), `the <footer> of ${path}`).toBe('')
      }
    })

    it('keeps each app its own footer', async () => {
      const rng = random()
      const posts = seedPosts(rng)
      const [one, two] = [footerFor(rng), footerFor(rng)]
      const a = blog({ posts, footerHtml: one })
      const b = blog({ posts, footerHtml: two })
      for (const [api, own, other, which] of [
        [b, two, one, 'second'],
        [a, one, two, 'first'],
      ] as const) {
        const res = await api.get('/')
        const page = new Page(res.text)
        const inner = page.inner(only(res, page, 'footer'))
        expect(inner, `the <footer> of the ${which} app`).toContain(own)
        expect(inner, `the <footer> of the ${which} app`).not.toContain(other)
      }
    })
  })

  task(5, 'Escape user data', () => {
    it.each(HOSTILE)(
      'escapes %s in titles, authors and bodies on the list page',
      async (_, payload) => {
        const { posts, target } = hostilePosts(random(), payload)
        const res = await blog({ posts }).get('/')
        const page = htmlPage(res, 200)
        expectNoInjectedMarkup(res, page)
        // Escaped exactly once: the browser's text is the original string, not "&amp;lt;..."
        const row = listRows(res, page).find((r) => r.href === `/posts/${target.id}`)
        focusOn(res)
        expect(row, `the <li> linking to /posts/${target.id}`).toEqual(expectedRows([target])[0])
      },
    )

    it.each(HOSTILE)(
      'escapes %s in titles, authors and bodies on the post page',
      async (_, payload) => {
        const { posts, target } = hostilePosts(random(), payload)
        const res = await blog({ posts }).get(`/posts/${target.id}`)
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
  })

  task(6, 'Search the titles', () => {
    it('GET / has a search box <input name="q"> that keeps the text searched for', async () => {
      const rng = random()
      const posts = seedPosts(rng)
      const api = blog({ posts })
      const empty = await api.get('/')
      const box = searchBox(empty, htmlPage(empty, 200))
      expect(box.attrs.get('value') ?? '', 'the search box of GET / is empty').toBe('')
      const q = `${rng.word()} ${rng.word()}`
      const res = await api.get(`/?q=${encodeURIComponent(q)}`)
      const input = searchBox(res, htmlPage(res, 200))
      expect(input.attrs.get('value'), `the value of the search box for ?q=${q}`).toBe(q)
    })

    it('GET /?q= lists only the posts whose title contains q, ignoring case', async () => {
      const rng = random()
      const posts = seedPosts(rng)
      const word = rng.pick(rng.pick(posts).title.split(' '))
      const api = blog({ posts })
      // Title words start with a capital: the whole word in lower case fails a search that
      // lower-cases q but not the title.
      for (const q of [word.slice(1).toUpperCase(), word.toLowerCase(), word.toUpperCase(), '']) {
        const res = await api.get(`/?q=${encodeURIComponent(q)}`)
        expectRows(res, htmlPage(res, 200), matching(posts, q), `the <li> rows for ?q=${q}`)
      }
    })

    it('searches titles only, not authors or bodies', async () => {
      const rng = random()
      const posts = seedPosts(rng)
      const [inTitle, elsewhere] = rng.shuffle(posts)
      const q = longWord(rng)
      inTitle!.title = `${capital(q)} ${inTitle!.title}`
      elsewhere!.author = `${capital(q)} ${capital(rng.word())}`
      elsewhere!.body = `${capital(rng.word())} ${q} ${rng.word()}.`
      const res = await blog({ posts }).get(`/?q=${q.toUpperCase()}`)
      expectRows(res, htmlPage(res, 200), [inTitle!], `the <li> rows for ?q=${q.toUpperCase()}`)
    })

    it(
      'lists no post for a search that matches no title, special characters included',
      async () => {
        const rng = random()
        const posts = seedPosts(rng)
        const api = blog({ posts })
        for (const q of [longWord(rng), '.', '.*', '(']) {
          const res = await api.get(`/?q=${encodeURIComponent(q)}`)
          expectRows(res, htmlPage(res, 200), [], `the <li> rows for ?q=${q}`)
        }
      },
    )

    it.each([
      ['a double-quote break-out into a new element', '"><script>alert(1)</script>'],
      ['a double-quote break-out into an event handler', '" autofocus onfocus="alert(1)'],
      ['a single-quote break-out into an event handler', "' onmouseover='alert(1)"],
      ['a literal "&amp;" entity', 'R&amp;D'],
    ])('escapes %s in the search box value', async (_, q) => {
      const res = await blog({ posts: seedPosts(random()) }).get(`/?q=${encodeURIComponent(q)}`)
      const page = htmlPage(res, 200)
      expectNoInjectedMarkup(res, page)
      expect(searchBox(res, page).attrs.get('value'), 'the search box value').toBe(q)
    })
  })
})
