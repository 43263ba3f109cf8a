import { checkPositiveInt } from '../internal/check.ts';
import { checkState } from '../internal/checkpoint.ts';
import { Deque } from '../internal/deque.ts';
import type { SchedPolicy, SchedTask } from '../policy.ts';

/** The default time slice of round robin and MLFQ: 10 ms, in nanoseconds. */
export const DEFAULT_QUANTUM = 10_000_000;

/** Options of {@link createRoundRobin}. */
export interface RoundRobinOptions {
  /** The time slice (default {@link DEFAULT_QUANTUM}). */
  readonly quantum?: number;
}

/** A checkpoint of {@link createRoundRobin}'s policy: the queue's tids, front first, and the running task's used slice. */
export interface RoundRobinState {
  readonly policy: 'RR';
  readonly queue: readonly number[];
  readonly used: number;
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
    save(): RoundRobinState {
      return { policy: 'RR', queue: queue.toArray().map((t) => t.tid), used };
    },
    load(state, taskByTid) {
      const s = checkState<RoundRobinState>(state, 'RR');
      queue.clear();
      for (const tid of s.queue) queue.push(taskByTid(tid));
      used = s.used;
    },
  };
}
