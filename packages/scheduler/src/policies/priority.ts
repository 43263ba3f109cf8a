import { checkPositiveInt } from '../internal/check.ts';
import { checkState } from '../internal/checkpoint.ts';
import { OrderedQueue } from '../internal/orderedQueue.ts';
import type { SchedPolicy, SchedTask } from '../policy.ts';

/** Options of {@link createPriority}. */
export interface PriorityOptions {
  /**
   * With a quantum, tasks of equal priority take turns like SCHED_RR; without one
   * (the default) each runs until it blocks or finishes, like SCHED_FIFO.
   */
  readonly quantum?: number;
}

/**
 * A checkpoint of {@link createPriority}'s policy: the queue as `[tid, priority, arrival
 * seq]` in run order, the next arrival seq and the running task's used slice.
 */
export interface PriorityState {
  readonly policy: 'PRIO';
  readonly queue: readonly (readonly [number, number, number])[];
  readonly seq: number;
  readonly used: number;
}

/**
 * Static priority: the queued task with the smallest `priority` runs first (0 is the
 * most important, as with the kernel's prio); equal priorities in the order they
 * became runnable. A task that wakes with a smaller priority than the running one
 * preempts it.
 */
export function createPriority(options: PriorityOptions = {}): SchedPolicy {
  const quantum = options.quantum === undefined ? undefined : checkPositiveInt(options.quantum, 'quantum');
  const queue = new OrderedQueue<SchedTask>();
  let seq = 0;
  let used = 0;
  return {
    name: 'PRIO',
    get nrQueued() {
      return queue.size;
    },
    enqueue(task) {
      queue.insert(task, task.priority, seq++);
    },
    dequeue(task) {
      return queue.remove(task);
    },
    pickNext() {
      used = 0;
      return queue.popMin();
    },
    tick(_task, ran) {
      used += ran;
      return quantum !== undefined && used >= quantum;
    },
    timeSlice() {
      return quantum === undefined ? undefined : Math.max(0, quantum - used);
    },
    wakeupPreempt(curr, woken) {
      return woken.priority < curr.priority;
    },
    save(): PriorityState {
      return { policy: 'PRIO', queue: queue.save(), seq, used };
    },
    load(state, taskByTid) {
      const s = checkState<PriorityState>(state, 'PRIO');
      queue.load(s.queue, taskByTid);
      seq = s.seq;
      used = s.used;
    },
  };
}
