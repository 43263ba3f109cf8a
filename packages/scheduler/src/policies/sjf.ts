import { checkState } from '../internal/checkpoint.ts';
import { OrderedQueue } from '../internal/orderedQueue.ts';
import type { SchedPolicy, SchedTask } from '../policy.ts';

const lengthOf = (task: SchedTask): number => task.length ?? Number.POSITIVE_INFINITY;
const remainingOf = (task: SchedTask): number => task.remaining ?? task.length ?? Number.POSITIVE_INFINITY;

/**
 * A checkpoint of {@link createSjf}'s or {@link createStcf}'s policy: the queue as
 * `[tid, key, tid]` in run order (the key is the length, or the remaining time, the task
 * had when it was queued).
 */
export interface ShortestFirstState {
  readonly policy: 'SJF' | 'STCF';
  readonly queue: readonly (readonly [number, number, number])[];
}

/** A run-to-completion policy whose queue is ordered by `key` (ties by tid). */
function shortestFirst(name: 'SJF' | 'STCF', key: (task: SchedTask) => number, preemptOnWake: boolean): SchedPolicy {
  const queue = new OrderedQueue<SchedTask>();
  const policy: SchedPolicy = {
    name,
    get nrQueued() {
      return queue.size;
    },
    enqueue(task) {
      queue.insert(task, key(task), task.tid);
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
    save(): ShortestFirstState {
      return { policy: name, queue: queue.save() };
    },
    load(state, taskByTid) {
      queue.load(checkState<ShortestFirstState>(state, name).queue, taskByTid);
    },
  };
  if (preemptOnWake) policy.wakeupPreempt = (curr, woken) => key(woken) < key(curr);
  return policy;
}

/**
 * Shortest job first (OSTEP ch. 7): the queued task with the smallest total length
 * runs next, to completion (or until it blocks). Ties go to the smaller tid, which in
 * standalone mode is job order. Tasks of unknown length run last.
 */
export function createSjf(): SchedPolicy {
  return shortestFirst('SJF', lengthOf, false);
}

/**
 * Shortest time-to-completion first (OSTEP's STCF, also called SRTF): like SJF on the
 * *remaining* time, and a task that becomes runnable with less remaining time than
 * the running one preempts it. Ties go to the smaller tid.
 */
export function createStcf(): SchedPolicy {
  return shortestFirst('STCF', remainingOf, true);
}
