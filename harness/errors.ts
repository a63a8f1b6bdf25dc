// Errors the harness expects and explains. Each has a stable code (tests and --json match on
// it) and a message that tells the learner what to do next. Anything else is a bug in the
// harness, and the CLI says so. A failing check is never an error: it is a result.

export type HarnessErrorCode =
  | 'UNKNOWN_EXERCISE'
  | 'BAD_USAGE'
  | 'CATALOG_INVALID'
  | 'QUESTION_BANK_INVALID'
  | 'COURSE_NOT_FOUND'
  | 'PROGRESS_LOCKED'
  | 'PROGRESS_NEWER'
  | 'PROGRESS_NOT_SAVED'
  | 'NOT_PASSED_YET'
  | 'NOTHING_TO_RESET'
  | 'NO_MORE_HINTS'
  | 'COURSE_COMPLETE'

export class HarnessError extends Error {
  override name = 'HarnessError'
  constructor(
    readonly code: HarnessErrorCode,
    message: string,
  ) {
    super(message)
  }
}
