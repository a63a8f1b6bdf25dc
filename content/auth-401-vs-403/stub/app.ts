import { Hono } from 'hono'

export type Role = 'admin' | 'member'

/** Who a token belongs to. */
export interface User {
  userId: string
  role: Role
}

export interface Post {
  id: string
  authorId: string
  title: string
}

export interface AuthOptions {
  /** Opaque bearer tokens: the token string -> the user it signs in. */
  tokens: Record<string, User>
  /** The posts the app starts with. */
  posts: Post[]
}

export function createApp(options: AuthOptions) {
  // `Variables` types what a middleware stores with c.set('user', ...) and a handler reads
  // back with c.get('user').
  const app = new Hono<{ Variables: { user: User } }>()

  // TODO: GET /api/posts is public: 200 with the JSON array of posts

  // TODO: authentication - read `Authorization: Bearer <token>` and find the token's user.
  //       Missing, malformed or unknown -> 401, `WWW-Authenticate: Bearer`,
  //       JSON { "error": "unauthorized" }

  // TODO: GET /api/me (any signed-in user) -> 200 { "userId", "role" }

  // TODO: GET /api/admin/stats (admins only) -> 200 { "posts": <count> };
  //       a signed-in member gets 403 { "error": "forbidden" }

  // TODO: DELETE /api/posts/:id (the post's author or an admin) -> 204, and the post is gone;
  //       a missing post -> 404, someone else's post -> 403

  return app
}
