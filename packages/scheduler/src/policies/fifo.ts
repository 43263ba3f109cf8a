import { Deque } from '../internal/deque.ts';
import type { SchedPolicy, SchedTask } from '../policy.ts';

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
  };
}
