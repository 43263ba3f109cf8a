import { OrderedQueue } from '../internal/orderedQueue.ts';
import type { SchedPolicy, SchedTask } from '../policy.ts';

const lengthOf = (task: SchedTask): number => task.length ?? Number.POSITIVE_INFINITY;
const remainingOf = (task: SchedTask): number => task.remaining ?? task.length ?? Number.POSITIVE_INFINITY;

/**
 * Shortest job first (OSTEP ch. 7): the queued task with the smallest total length
 * runs next, to completion (or until it blocks). Ties go to the smaller tid, which in
 * standalone mode is job order. Tasks of unknown length run last.
 */
export function createSjf(): SchedPolicy {
  const queue = new OrderedQueue<SchedTask>();
  return {
    name: 'SJF',
    get nrQueued() {
      return queue.size;
    },
    enqueue(task) {
      queue.insert(task, lengthOf(task), task.tid);
    },
    dequeue(task) {
      return queue.remove(task);
    },
    pickNext() {
      return queue.popMin();
    },
    tick() {
      return false;
    },
  };
}

/**
 * Shortest time-to-completion first (OSTEP's STCF, also called SRTF): like SJF on the
 * *remaining* time, and a task that becomes runnable with less remaining time than
 * the running one preempts it. Ties go to the smaller tid.
 */
export function createStcf(): SchedPolicy {
  const queue = new OrderedQueue<SchedTask>();
  return {
    name: 'STCF',
    get nrQueued() {
      return queue.size;
    },
    enqueue(task) {
      queue.insert(task, remainingOf(task), task.tid);
    },
    dequeue(task) {
      return queue.remove(task);
    },
    pickNext() {
      return queue.popMin();
    },
    tick() {
      return false;
    },
    wakeupPreempt(curr, woken) {
      return remainingOf(woken) < remainingOf(curr);
    },
  };
}
