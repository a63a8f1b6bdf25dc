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

export function createProfileService({ profiles }: ProfileServiceDeps): ProfileService {
  return {
    async getProfile(username) {
      // TODO (task 1): refuse a bad username (InvalidProfileError('username')) before asking
      // `profiles`; ProfileNotFoundError when it finds nothing.
      const profile = await profiles.find(username)
      if (!profile) throw new ProfileNotFoundError(username)
      return profile
    },

    async saveProfile(username, input) {
      // TODO (task 5): validate, then profiles.save({ username, displayName, bio }).
      void username
      void input
      throw new Error('TODO')
    },

    async deleteProfile(username) {
      // TODO (task 5): profiles.remove, ProfileNotFoundError when it removed nothing.
      void username
      throw new Error('TODO')
    },
  }
}
