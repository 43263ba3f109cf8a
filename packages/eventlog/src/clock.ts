import { EventlogError } from './errors.ts';

/** Simulated time in integer nanoseconds. It only moves forward, and only when told to. */
export interface Clock {
  /** The current simulated time, in nanoseconds. */
  readonly now: number;
  /** Moves time forward to `time` (never backward). */
  advanceTo(time: number): void;
  /** Moves time forward by `delta` nanoseconds. */
  advanceBy(delta: number): void;
}

/**
 * Creates a simulated clock, starting at `start` nanoseconds (default 0).
 *
 * @example
 * ```ts
 * const clock = createClock();
 * clock.advanceBy(1_000); // 1 us of simulated time
 * clock.now; // 1000
 * ```
 */
export function createClock(start = 0): Clock {
  return createSettableClock(start);
}

/**
 * A clock whose owner may also set it to any time: a simulation restoring a snapshot
 * taken earlier in the same run moves its clock back. Not exported from the package:
 * everyone else sees a {@link Clock}, which only moves forward.
 */
export function createSettableClock(start = 0): Clock & { set(time: number): void } {
  checkTime(start, 'start');
  // `now` is a plain field (read on every event and every native call): only these methods write it.
  const clock = {
    now: start,
    set(time: number): void {
      checkTime(time, 'set');
      clock.now = time;
    },
    advanceTo(time: number): void {
      if (time === clock.now) return;
      checkTime(time, 'advanceTo');
      if (time < clock.now) {
        throw new EventlogError('clock', `the simulated clock cannot go back from ${clock.now} ns to ${time} ns`);
      }
      clock.now = time;
    },
    advanceBy(delta: number): void {
      checkTime(delta, 'advanceBy');
      clock.now += delta;
    },
  };
  return clock;
}

function checkTime(value: number, what: string): void {
  if (!Number.isSafeInteger(value) || value < 0) {
    throw new EventlogError('clock', `${what}: simulated time must be a non-negative integer of nanoseconds, got ${value}`);
  }
}
