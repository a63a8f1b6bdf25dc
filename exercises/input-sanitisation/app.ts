import { Hono } from 'hono'
import { HTTPException } from 'hono/http-exception'

/** A settings value: text, a number, a flag, or a nested group of settings. */
export type SettingValue = string | number | boolean | { [key: string]: SettingValue }
export type Settings = { [key: string]: SettingValue }

export interface User {
  username: string
  displayName: string
  /** The link as `new URL(...).href`, or null when the user gave none. */
  website: string | null
  /** The canonical text the user wrote. */
  bio: string
  /** `bio` rendered as HTML that is safe to put in a page. */
  bioHtml: string
  /** The app's default settings with the user's deep-merged onto them. */
  settings: Settings
}

export interface SanitisationOptions {
  /** Settings every user starts with; the user's own are deep-merged onto a copy. */
  defaultSettings?: Settings
}

/** One problem with the body: where it is (a JSON Pointer, RFC 6901) and what. */
export interface Issue {
  pointer: string
  message: string
}

export function createApp(options: SanitisationOptions = {}) {
  const defaults = options.defaultSettings ?? {}
  const users = new Map<string, User>()

  const app = new Hono()

  app.post('/api/users', async (c) => {
    const body = await c.req.json()
    // TODO: validate the body and answer 422 { error: 'validation_failed', issues } with every
    //       problem at its JSON Pointer ("/username", "/settings/a~1b", "" for the whole body).
    // TODO: canonicalise every string first (NFC, then trim); refuse forbidden characters;
    //       count lengths in code points.
    // TODO: `website` must parse with `new URL` as http or https; store its `href`.
    // TODO: `bioHtml`: escape everything except the allowlisted tags of the README.
    // TODO: refuse __proto__, constructor and prototype keys anywhere in `settings`, and
    //       deep-merge the settings onto a copy of the defaults.
    const user: User = {
      username: body.username,
      displayName: body.displayName,
      website: body.website ?? null,
      bio: body.bio ?? '',
      bioHtml: body.bio ?? '',
      settings: Object.assign(defaults, body.settings),
    }
    // TODO: usernames are unique after canonicalisation.
    if (users.has(user.username)) return c.json({ error: 'username_taken' }, 409)
    users.set(user.username, user)
    return c.json(user, 201)
  })

  app.get('/api/users', (c) => c.json({ users: [...users.values()] }))

  // Done for you: a body that is not JSON at all is a 400.
  app.onError((err, c) => {
    if (err instanceof HTTPException || err instanceof SyntaxError) {
      return c.json({ error: 'malformed_json' }, 400)
    }
    return c.json({ error: 'internal_error' }, 500)
  })

  return app
}
