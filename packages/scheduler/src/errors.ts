/**
 * What is wrong with an input given to `@ossim/scheduler`: a job list, an option, a
 * task handed to the run queues, or a policy that broke its contract.
 *
 * What happens *inside* a simulation (a preemption, a migration) is never an error:
 * it is published as a `sched.*` event.
 */
export type SchedulerErrorCode =
  /** A job of a standalone simulation is malformed (`jobs[2].length: ...`). */
  | 'bad-job'
  /** An option is out of range (a zero quantum, a negative switch cost, ...). */
  | 'bad-option'
  /** A policy name that is not one of {@link PolicyName}. */
  | 'unknown-policy'
  /** A CPU id outside the run queues. */
  | 'bad-cpu'
  /** A task in the wrong state for the call (woken twice, dequeued while running, ...). */
  | 'bad-task'
  /** A scheduling policy broke its contract (picked a task it was never given, left work unscheduled). */
  | 'policy'
  /** preempt_count would go negative or overflow one of its fields. */
  | 'preempt-count'
  /** A checkpoint cannot be taken or loaded: a policy without `save`/`load`, or a checkpoint of other run queues. */
  | 'no-checkpoint';

/**
 * The one error class of `@ossim/scheduler`. The message names the input and the
 * reason, e.g. `jobs[1].length: must be a positive integer, got 0`.
 *
 * @example
 * ```ts
 * try {
 *   simulate({ jobs: [{ id: 'A', arrival: 0, length: 0 }], policy: 'FIFO' });
 * } catch (e) {
 *   if (e instanceof SchedulerError) console.log(e.code); // bad-job
 * }
 * ```
 */
export class SchedulerError extends Error {
  override readonly name = 'SchedulerError';
  readonly code: SchedulerErrorCode;

  constructor(code: SchedulerErrorCode, message: string, options: { cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
  }
}
