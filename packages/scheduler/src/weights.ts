/** The load weight of a nice-0 task (Linux's `NICE_0_LOAD`, scaled down: 1024). */
export const NICE_0_LOAD = 1024;

/**
 * Linux's `sched_prio_to_weight` (kernel/sched/core.c): the load weight of nice -20
 * (index 0) to nice 19 (index 39). Each step is about 1.25x, so one nice level is
 * about 10% of CPU time between two competing tasks.
 */
export const SCHED_PRIO_TO_WEIGHT: readonly number[] = Object.freeze([
  /* -20 */ 88761, 71755, 56483, 46273, 36291, /* -15 */ 29154, 23254, 18705, 14949, 11916, /* -10 */ 9548, 7620, 6100, 4904, 3906,
  /*  -5 */ 3121, 2501, 1991, 1586, 1277, /*   0 */ 1024, 820, 655, 526, 423, /*   5 */ 335, 272, 215, 172, 137, /*  10 */ 110, 87, 70, 56,
  45, /*  15 */ 36, 29, 23, 18, 15,
]);

/** The lowest nice value. */
export const MIN_NICE = -20;
/** The highest nice value. */
export const MAX_NICE = 19;

/** True when `nice` is an integer in [-20, 19]. */
export function isNice(nice: number): boolean {
  return Number.isInteger(nice) && nice >= MIN_NICE && nice <= MAX_NICE;
}

/**
 * The load weight of a nice value (`sched_prio_to_weight[nice + 20]`).
 *
 * @example
 * ```ts
 * niceToWeight(0); // 1024
 * niceToWeight(-5) / niceToWeight(0); // ~3.05: a nice -5 task gets ~3x the CPU
 * ```
 */
export function niceToWeight(nice: number): number {
  const w = SCHED_PRIO_TO_WEIGHT[nice - MIN_NICE];
  if (w === undefined || !Number.isInteger(nice)) throw new RangeError(`nice must be an integer in [-20, 19], got ${nice}`);
  return w;
}

/**
 * The kernel priority of a normal task as ftrace prints it (`prio=` in
 * `sched_switch`): 120 for nice 0, that is `100 + 20 + nice` (`NICE_TO_PRIO`).
 */
export function niceToPrio(nice: number): number {
  niceToWeight(nice);
  return 120 + nice;
}
