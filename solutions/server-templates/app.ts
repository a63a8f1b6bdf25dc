import { Hono } from 'hono'
import { html, raw } from 'hono/html'

export interface Post {
  id: number
  title: string
  author: string
  body: string
}

export interface BlogOptions {
  /** The posts to show, in the order the index lists them. Defaults to none. */
  posts?: Post[]
  /** Trusted HTML owned by the server (never user data), placed unescaped in every footer. */
  footerHtml?: string
}

/** What `html`...`` returns: already-escaped HTML, possibly still waiting on a Promise. */
type Html = ReturnType<typeof html>

/** What a page hands to the layout: its own title and the markup that goes in `<main>`. */
interface Page {
  title: string
  body: Html
}

export function createApp(options: BlogOptions = {}) {
  const posts = [...(options.posts ?? [])]
  // A Map, not a plain object: `/posts/constructor` must not find Object.prototype.constructor.
  const byId = new Map(posts.map((post) => [post.id, post]))
  // raw() marks a string as already-safe HTML. It belongs here and nowhere else: footerHtml
  // comes from the server's own configuration, while titles, authors, bodies and the search
  // text come from users and must go through html`` escaping.
  const footer = raw(options.footerHtml ?? '')

  // The one layout. Pages only say what differs (title and main content), so the doctype, the
  // <title>, the nav and the footer cannot drift apart between pages: Jinja2's
  // `{% extends "base.html" %}`, written as a function call.
  const layout = ({ title, body }: Page): Html => html`<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8">
    <title>${title}</title>
  </head>
  <body>
    <nav><a href="/">All posts</a></nav>
    <main>${body}</main>
    <footer>${footer}</footer>
  </body>
</html>`

  const app = new Hono()

  app.get('/', (c) => {
    const q = c.req.query('q') ?? ''
    const needle = q.toLowerCase()
    const shown = posts.filter((post) => post.title.toLowerCase().includes(needle))
    // Every ${...} below is escaped by html``: `"` and `'` too, which is what keeps the search
    // text inside its value="..." attribute. An array of html`` fragments is joined as is,
    // without escaping the fragments a second time.
    const list = shown.length
      ? html`<ul>
          ${shown.map(
            (post) =>
              html`<li><a href="/posts/${post.id}">${post.title}</a> by ${post.author}</li>`,
          )}
        </ul>`
      : html`<p>No posts found.</p>`
    return c.html(
      layout({
        title: 'Posts',
        body: html`<h1>Posts</h1>
          <form action="/" method="get">
            <input type="search" name="q" value="${q}">
            <button>Search</button>
          </form>
          ${list}`,
      }),
    )
  })

  app.get('/posts/:id', (c) => {
    const id = c.req.param('id')
    const post = /^[0-9]+$/.test(id) ? byId.get(Number(id)) : undefined
    // c.notFound() runs the handler below, so a missing post gets the same HTML 404 page.
    if (!post) return c.notFound()
    return c.html(
      layout({
        title: post.title,
        body: html`<article>
          <h1>${post.title}</h1>
          <p>by ${post.author}</p>
          <p>${post.body}</p>
        </article>`,
      }),
    )
  })

  // Hono's default 404 is the plain text "404 Not Found". A browser user deserves a page with
  // the site's navigation, so the error goes through the same layout - with status 404, not 200.
  app.notFound((c) =>
    c.html(
      layout({
        title: 'Not found',
        body: html`<h1>Not found</h1>
          <p>There is nothing at this address. <a href="/">Back to all posts</a>.</p>`,
      }),
      404,
    ),
  )

  return app
}
