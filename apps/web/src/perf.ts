/**
 * Main-thread time spent in the page's own code since the last animation frame (ms): the
 * playing loop, the timeline, receiving snapshots and drawing the views. The frame-time
 * figure of the bench is its 95th percentile per frame while playing.
 */
export const work = { ms: 0 };

/** Runs `fn`, adding its duration to {@link work}. */
export function timed<T>(fn: () => T): T {
  const t0 = performance.now();
  try {
    return fn();
  } finally {
    work.ms += performance.now() - t0;
  }
}
