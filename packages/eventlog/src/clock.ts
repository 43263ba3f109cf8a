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
  checkTime(start, 'start');
  let now = start;
  return {
    get now() {
      return now;
    },
    advanceTo(time) {
      if (time === now) return;
      checkTime(time, 'advanceTo');
      if (time < now) {
        throw new EventlogError('clock', `the simulated clock cannot go back from ${now} ns to ${time} ns`);
      }
      now = time;
    },
    advanceBy(delta) {
      checkTime(delta, 'advanceBy');
      now += delta;
    },
  };
}

function checkTime(value: number, what: string): void {
  if (!Number.isSafeInteger(value) || value < 0) {
    throw new EventlogError('clock', `${what}: simulated time must be a non-negative integer of nanoseconds, got ${value}`);
  }
}
