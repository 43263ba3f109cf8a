import { checkState } from '../internal/checkpoint.ts';
import { Deque } from '../internal/deque.ts';
import type { SchedPolicy, SchedTask } from '../policy.ts';

/** A checkpoint of {@link createFifo}'s policy: the queue's tids, front first. */
export interface FifoState {
  readonly policy: 'FIFO';
  readonly queue: readonly number[];
}

/**
 * First in, first out (OSTEP's FIFO / FCFS): tasks run in the order they became
 * runnable, each until it blocks or finishes. Never preempts.
 */
export function createFifo(): SchedPolicy {
  const queue = new Deque<SchedTask>();
  return {
    name: 'FIFO',
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
      return queue.shift();
    },
    tick() {
      return false;
    },
    save(): FifoState {
      return { policy: 'FIFO', queue: queue.toArray().map((t) => t.tid) };
    },
    load(state, taskByTid) {
      const s = checkState<FifoState>(state, 'FIFO');
      queue.clear();
      for (const tid of s.queue) queue.push(taskByTid(tid));
    },
  };
}
