// The service layer: the application's rules (what a valid username or profile is, what "not
// found" means), written against the ProfileRepository interface only. It knows no HTTP (no
// status codes, no Context) and no storage (no SQL, no cache, no directory), so it can be
// tested with a fake repository and reused by a CLI or a queue consumer as it is.
import type { Profile, ProfileRepository } from './repository.ts'

export interface ProfileServiceDeps {
  profiles: ProfileRepository
}

export interface ProfileService {
  /** The profile; throws InvalidProfileError for a bad username, ProfileNotFoundError for none. */
  getProfile(username: string): Promise<Profile>
  /** Creates or replaces the local profile; `input` is the request body as parsed. */
  saveProfile(username: string, input: unknown): Promise<Profile>
  /** Deletes the local profile; throws ProfileNotFoundError when there is none. */
  deleteProfile(username: string): Promise<void>
}

export class ProfileNotFoundError extends Error {
  override name = 'ProfileNotFoundError'
  constructor(readonly username: string) {
    super(`no profile named ${username}`)
  }
}

export class InvalidProfileError extends Error {
  override name = 'InvalidProfileError'
  constructor(readonly field: 'username' | 'body' | 'displayName' | 'bio') {
    super(`invalid ${field}`)
  }
}

const USERNAME = /^[a-z0-9_-]{3,32}$/

export function createProfileService({ profiles }: ProfileServiceDeps): ProfileService {
  // Checked before any source is asked: a name that cannot exist costs no database query, no
  // call to the directory, and never becomes a cache key.
  const checkUsername = (username: string) => {
    if (!USERNAME.test(username)) throw new InvalidProfileError('username')
  }

  return {
    async getProfile(username) {
      checkUsername(username)
      const profile = await profiles.find(username)
      if (!profile) throw new ProfileNotFoundError(username)
      return profile
    },

    async saveProfile(username, input) {
      checkUsername(username)
      if (typeof input !== 'object' || input === null || Array.isArray(input)) {
        throw new InvalidProfileError('body')
      }
      const { displayName, bio } = input as Record<string, unknown>
      if (typeof displayName !== 'string' || !displayName.trim() || displayName.length > 80) {
        throw new InvalidProfileError('displayName')
      }
      if (typeof bio !== 'string' || bio.length > 280) throw new InvalidProfileError('bio')
      // Only the fields the service knows reach the repository: nothing else the client sent.
      return profiles.save({ username, displayName, bio })
    },

    async deleteProfile(username) {
      checkUsername(username)
      if (!(await profiles.remove(username))) throw new ProfileNotFoundError(username)
    },
  }
}
