import { Hono } from 'hono'
import { html, raw } from 'hono/html'

export interface Post {
  id: number
  title: string
  author: string
  body: string
}

export interface BlogOptions {
  /** The posts to show, in the order the list page shows them. Defaults to none. */
  posts?: Post[]
  /** Trusted HTML owned by the server (never user data), placed unescaped in every footer. */
  footerHtml?: string
}

/** What html`...` returns: HTML that is already escaped (possibly still a Promise). */
type Html = ReturnType<typeof html>

/** What a page hands to the layout: its own title and the markup that goes in <main>. */
interface Page {
  title: string
  body: Html
}

export function createApp(options: BlogOptions = {}) {
  const posts = options.posts ?? []
  const footerHtml = options.footerHtml ?? ''
  const app = new Hono()

  // TODO: the one layout every page goes through: <!doctype html>, <html lang="en">, a <title>
  // holding `title`, a <nav> linking to "/", <main> holding `body` and a <footer> holding
  // footerHtml. That trusted footer is the only thing allowed to skip escaping: see `raw`.
  const layout = ({ title, body }: Page): Html => html`<h1>${title}</h1>${body}`

  // TODO: GET / lists the posts (only those whose title contains ?q=, ignoring case, when q is
  // given) as links to /posts/:id with their authors, under a search box <input name="q">
  app.get('/', (c) => c.html(layout({ title: 'Posts', body: html`<p>${posts.length} posts</p>` })))

  // TODO: GET /posts/:id shows one post: its title in <h1>, its author and its body

  // TODO: everything else, unknown posts included, answers 404 with a "Not found" page rendered
  // through the same layout

  return app
}
