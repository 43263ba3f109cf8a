/**
 * What was wrong with what the caller asked of `@ossim/kstack`:
 * - `bad-thread-size`: THREAD_SIZE is not 4, 8, 16 or 32 KiB;
 * - `bad-option`: another option is malformed (CPU count, IRQ stack size, cache size, ...);
 * - `bad-cpu`: a CPU number outside `0 .. cpus-1`;
 * - `unknown-tid`: no stack is held for this tid;
 * - `duplicate-tid`: the tid already holds a stack;
 * - `bad-state`: a lifecycle call out of order (`finalSwitch` before `taskExited`, twice, ...);
 * - `thread-info-in-task`: `current()` by masking SP asked of a layout whose thread_info is in the task;
 * - `no-memory`: the memory given cannot even hold the per-CPU IRQ and exception stacks at boot;
 * - `bad-checkpoint`: a checkpoint taken of an allocator with another configuration.
 */
export type KstackErrorCode =
  | 'bad-thread-size'
  | 'bad-option'
  | 'bad-cpu'
  | 'unknown-tid'
  | 'duplicate-tid'
  | 'bad-state'
  | 'thread-info-in-task'
  | 'no-memory'
  | 'bad-checkpoint';

/**
 * The one error class of `@ossim/kstack`: a mistake in the caller's input (a bad
 * option, an unknown tid, a lifecycle call out of order). What happens *inside* the
 * simulation (an overflow, an allocation failure) is never an error: it is an event.
 *
 * @example
 * ```ts
 * try {
 *   createKstackAllocator({ memory, log, strategy: 'vmap', threadSize: 12288, cpus: 1 });
 * } catch (e) {
 *   if (e instanceof KstackError && e.code === 'bad-thread-size') console.error(e.message);
 * }
 * ```
 */
export class KstackError extends Error {
  override readonly name = 'KstackError';
  /** Which kind of mistake. */
  readonly code: KstackErrorCode;
  /** The input at fault (`threadSize`, `tid 42`, `cpu 3`, ...). */
  readonly input: string;

  constructor(code: KstackErrorCode, input: string, reason: string, options: { cause?: unknown } = {}) {
    super(`${input}: ${reason}`, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.input = input;
  }
}
