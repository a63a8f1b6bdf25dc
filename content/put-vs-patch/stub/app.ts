import { Hono } from 'hono'

export interface Address {
  city: string
  country: string
  street?: string
}

export interface Settings {
  theme?: 'light' | 'dark'
  notifications?: { email?: boolean; sms?: boolean }
}

export interface Profile {
  id: string
  name: string
  email: string
  bio?: string
  tags?: string[]
  address?: Address
  settings?: Settings
}

export interface ProfilesOptions {
  /** The profiles the store starts with. Copy them: never change the caller's objects. */
  profiles?: Profile[]
}

export function createApp(options: ProfilesOptions = {}) {
  const app = new Hono()

  // TODO: give this app its own store, filled with deep copies of options.profiles (default: none)

  // TODO: write one check for the fields of a profile (exactly the members of the schema, each of
  // its type) and use it for both PUT bodies and PATCH results

  // TODO: GET /api/profiles/:id answers 200 with the profile, or 404 not_found

  // TODO: PUT /api/profiles/:id replaces the whole profile with the body (anything the body leaves
  // out is gone): 201 + Location when the id is new, 200 when it existed; 400 invalid_json for
  // malformed JSON, 422 invalid_profile when the body does not fit the schema

  // TODO: PATCH /api/profiles/:id applies a JSON Merge Patch (RFC 7396): 415 + Accept-Patch
  // unless the Content-Type is application/merge-patch+json, 404 for a missing id, 400 for
  // malformed JSON, 422 (and no change at all) when the patched profile does not fit the schema

  return app
}
