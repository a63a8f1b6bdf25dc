import { Hono } from 'hono'

/** A user as the shop stores it. Each API version shows it in its own shape. */
export interface User {
  id: number
  firstName: string
  lastName: string
}

export interface VersioningOptions {
  /** Every user, in id order. The app reads them and never changes them. */
  users: User[]
  /** When v1 was deprecated (whole seconds). Defaults to 2025-01-01T00:00:00Z. */
  deprecatedAt?: Date
  /** When v1 will be switched off (whole seconds). Defaults to 2027-01-01T00:00:00Z. */
  sunsetAt?: Date
}

export function createApp(options: VersioningOptions) {
  const { users } = options
  const app = new Hono()

  // v1, as it shipped: a plain array of { id, name }.
  const toV1 = (u: User) => ({ id: u.id, name: `${u.firstName} ${u.lastName}` })

  app.get('/api/v1/users', (c) => c.json(users.map(toV1)))

  // TODO: GET /api/v1/users/:id - one user in the v1 shape, or 404 { "error": "not_found" }.

  // TODO: v2 at /api/v2/users and /api/v2/users/:id: users as { id, firstName, lastName },
  // the list wrapped in { data, meta: { total } }.

  // TODO: the unversioned routes /api/users and /api/users/:id pick the version from
  // Accept (application/vnd.shop.v<N>+json), then ?version=<N>, else v1. An unknown version is
  // 406 (Accept) or 400 (query). Say `Vary: Accept` on every answer of these routes.

  // TODO: every successful v1 response carries Deprecation, Sunset and a successor-version Link.

  // TODO: any other path answers 404 { "error": "not_found" }.

  return app
}
