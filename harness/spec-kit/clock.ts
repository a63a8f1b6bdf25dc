// A clock a spec controls: apps under test read time only through an injected `now()`,
// so a spec can jump an hour ahead without waiting a millisecond.

export interface FakeClock {
  /** Milliseconds since the epoch, as `Date.now()` would return them. */
  now: () => number
  /** Moves time forward (a negative value moves it back: useful for clock-skew checks). */
  advance: (ms: number) => void
  /** Sets the time outright. */
  set: (ms: number) => void
}

/**
 * A clock frozen at `start` until advanced. The default lies years away from any real "now",
 * so an app that reads Date.now() instead of the injected clock gets caught.
 */
export function fakeClock(start = Date.UTC(2037, 4, 17, 9, 30)): FakeClock {
  let t = start
  return {
    now: () => t,
    advance: (ms) => {
      t += ms
    },
    set: (ms) => {
      t = ms
    },
  }
}
