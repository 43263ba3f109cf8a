import { checkPositiveInt } from '../internal/check.ts';
import { Deque } from '../internal/deque.ts';
import type { SchedPolicy, SchedTask } from '../policy.ts';

/** The default time slice of round robin and MLFQ: 10 ms, in nanoseconds. */
export const DEFAULT_QUANTUM = 10_000_000;

/** Options of {@link createRoundRobin}. */
export interface RoundRobinOptions {
  /** The time slice (default {@link DEFAULT_QUANTUM}). */
  readonly quantum?: number;
}

/**
 * Round robin (OSTEP ch. 7): a FIFO queue where each task runs at most one
 * `quantum`, then goes to the back of the queue. A task that needs at most what is
 * left of its quantum finishes in that turn.
 */
export function createRoundRobin(options: RoundRobinOptions = {}): SchedPolicy {
  const quantum = checkPositiveInt(options.quantum ?? DEFAULT_QUANTUM, 'quantum');
  const queue = new Deque<SchedTask>();
  let used = 0;
  return {
    name: 'RR',
    get nrQueued() {
      return queue.size;
    },
    enqueue(task) {
      queue.push(task);
    },
    dequeue(task) {
      return queue.remove(task);
    },
    pickNext() {
      used = 0;
      return queue.shift();
    },
    tick(_task, ran) {
      used += ran;
      return used >= quantum;
    },
    timeSlice() {
      return Math.max(0, quantum - used);
    },
  };
}
