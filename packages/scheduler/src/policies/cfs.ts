import { type BTree, BTreeCtor } from '../internal/btree.ts';
import { checkPositiveInt } from '../internal/check.ts';
import { checkState } from '../internal/checkpoint.ts';
import type { SchedPolicy, SchedTask } from '../policy.ts';
import { NICE_0_LOAD, niceToWeight } from '../weights.ts';

/** Options of {@link createCfs}, named after Linux's sysctls (all in the caller's time unit, nanoseconds by default). */
export interface CfsOptions {
  /** sched_latency: the period in which every runnable task should run once. Default 6 ms. */
  readonly schedLatency?: number;
  /** min_granularity: the shortest slice a task gets however many share the CPU. Default 0.75 ms. */
  readonly minGranularity?: number;
  /** wakeup_granularity: how far a woken task's vruntime must be behind the running one's to preempt it. Default 1 ms. */
  readonly wakeupGranularity?: number;
}

/** The CFS-like policy, with its accounting visible. */
export interface CfsPolicy extends SchedPolicy {
  /** The vruntime of a task this queue knows, or undefined. */
  vruntimeOf(tid: number): number | undefined;
  /** The queue's min_vruntime: never decreases. */
  readonly minVruntime: number;
  /** The ideal slice of `task` now (sched_slice()), counting the queued tasks, the running one and `task`. */
  sliceOf(task: SchedTask): number;
  /** The queued tasks in (vruntime, tid) order. */
  queued(): SchedTask[];
  /** A checkpoint of the queue (see {@link CfsState}). */
  save(): CfsState;
}

/**
 * A checkpoint of {@link createCfs}'s policy: every scheduling entity the queue knows
 * (in the order it met them), the running one, min_vruntime and the queued load. The
 * tree is rebuilt from the queued entities (its order is (vruntime, tid)).
 */
export interface CfsState {
  readonly policy: 'CFS';
  readonly entities: readonly {
    readonly tid: number;
    readonly vruntime: number;
    readonly weight: number;
    readonly sliceUsed: number;
    readonly queued: boolean;
  }[];
  /** The tid of the entity last picked or ticked (the running one), or null. */
  readonly curr: number | null;
  readonly nrQueued: number;
  readonly minVruntime: number;
  readonly queuedWeight: number;
  /** The tid of the skip buddy (the last task to yield, while it waits), or null. Absent in checkpoints made before sched_yield had it: null. */
  readonly skip?: number | null;
  /** When the running entity's CPU time was last charged (its pick, a tick or a yield). Absent in older checkpoints: 0. */
  readonly chargedAt?: number;
}

// A task's scheduling entity. It is also its key in the tree: its vruntime only
// changes while it runs, that is while it is out of the tree.
interface CfsEntity {
  readonly tid: number;
  task: SchedTask;
  vruntime: number;
  weight: number;
  /** CPU time since it was last picked (delta_exec of check_preempt_tick). */
  sliceUsed: number;
  queued: boolean;
}

const byVruntime = (x: CfsEntity, y: CfsEntity): number => (x.vruntime < y.vruntime ? -1 : x.vruntime > y.vruntime ? 1 : x.tid - y.tid);

/**
 * A CFS-like fair policy (Linux's fair class before EEVDF, kernel/sched/fair.c):
 * - each task's `vruntime` grows by `ran * NICE_0_LOAD / weight`, its weight from
 *   `sched_prio_to_weight` by nice, so CPU time is shared in proportion to weight;
 * - the run queue is a B+ tree (`sorted-btree`) ordered by (vruntime, tid), and the
 *   leftmost task runs next;
 * - a task's slice is `period * weight / total weight`, where the period is
 *   `sched_latency`, or `nr_running * min_granularity` when more than
 *   `sched_latency / min_granularity` tasks share the CPU, and never below
 *   `min_granularity`; the tick preempts a task that used up its slice, or whose
 *   vruntime got more than a slice ahead of the leftmost one;
 * - a new task starts at the queue's `min_vruntime` (no START_DEBIT); a task waking
 *   from sleep gets `max(its vruntime, min_vruntime - sched_latency / 2)`
 *   (GENTLE_FAIR_SLEEPERS); it preempts the running task when it is more than
 *   `wakeup_granularity` (scaled by its weight) behind it;
 * - a task migrated here is placed like a new one;
 * - sched_yield() (`yield_task_fair`, unless the task is alone) charges the task the time
 *   since its pick or last tick (`update_curr`) and makes it the queue's skip buddy: while
 *   it is the leftmost, the task after it runs instead, unless that one is more than
 *   `wakeup_granularity` (scaled by the yielder's weight) to its right; the mark goes when
 *   the task is picked or leaves the queue.
 */
export function createCfs(options: CfsOptions = {}): CfsPolicy {
  const schedLatency = checkPositiveInt(options.schedLatency ?? 6_000_000, 'schedLatency');
  const minGranularity = checkPositiveInt(options.minGranularity ?? 750_000, 'minGranularity');
  const wakeupGranularity = checkPositiveInt(options.wakeupGranularity ?? 1_000_000, 'wakeupGranularity');
  const nrLatency = Math.max(1, Math.floor(schedLatency / minGranularity));
  const tree: BTree<CfsEntity, undefined> = new BTreeCtor<CfsEntity, undefined>(undefined, byVruntime);
  const entities = new Map<number, CfsEntity>();
  let nrQueued = 0;
  let minVruntime = 0;
  let queuedWeight = 0;
  let curr: CfsEntity | undefined;
  /** The skip buddy (cfs_rq->skip): the last task to yield. */
  let skip: CfsEntity | undefined;
  /** When curr's CPU time was last charged (exec_start). */
  let chargedAt = 0;

  const entityOf = (task: SchedTask): CfsEntity => {
    if (curr !== undefined && curr.task === task) return curr;
    let e = entities.get(task.tid);
    if (e === undefined) {
      e = { tid: task.tid, task, vruntime: minVruntime, weight: niceToWeight(task.nice), sliceUsed: 0, queued: false };
      entities.set(task.tid, e);
    }
    e.task = task;
    return e;
  };

  const updateMinVruntime = (): void => {
    const left = tree.minKey();
    let v: number;
    if (curr !== undefined) v = left === undefined ? curr.vruntime : Math.min(curr.vruntime, left.vruntime);
    else if (left !== undefined) v = left.vruntime;
    else return;
    if (v > minVruntime) minVruntime = v;
  };

  // sched_slice(): the share of the period of a task of `weight`, with `extraNr` tasks of
  // `extraWeight` counted on top of the queued ones (the running task, the task itself).
  const slice = (weight: number, extraNr: number, extraWeight: number): number => {
    const nr = nrQueued + extraNr;
    const period = nr > nrLatency ? nr * minGranularity : schedLatency;
    return Math.max(minGranularity, Math.floor((period * weight) / (queuedWeight + extraWeight)));
  };

  // update_curr: `ran` units of CPU time charged to the running entity `e`, at `now`.
  const charge = (e: CfsEntity, ran: number, now: number): void => {
    e.vruntime += ran === 0 ? 0 : (ran * NICE_0_LOAD) / e.weight;
    e.sliceUsed += ran;
    chargedAt = now;
    updateMinVruntime();
  };

  // The slice of the running task.
  const currSlice = (e: CfsEntity): number => slice(e.weight, 1, e.weight);

  const remove = (e: CfsEntity): void => {
    if (skip === e) skip = undefined;
    tree.delete(e);
    e.queued = false;
    nrQueued--;
    queuedWeight -= e.weight;
  };

  return {
    name: 'CFS',
    get nrQueued() {
      return nrQueued;
    },
    get minVruntime() {
      return minVruntime;
    },
    enqueue(task) {
      const e = entityOf(task);
      if (e.queued) return;
      e.weight = niceToWeight(task.nice);
      if (curr === e) curr = undefined;
      tree.set(e, undefined);
      e.queued = true;
      nrQueued++;
      queuedWeight += e.weight;
    },
    dequeue(task) {
      const e = entities.get(task.tid);
      if (e === undefined || !e.queued) return false;
      remove(e);
      return true;
    },
    pickNext(now) {
      curr = undefined;
      let e = tree.minKey();
      if (e === undefined) return undefined;
      chargedAt = now;
      if (e === skip) {
        // pick_next_entity's skip buddy: the next one in line runs instead when it is close enough.
        const second = tree.nextHigherKey(e);
        if (second !== undefined && second.vruntime - e.vruntime <= (wakeupGranularity * NICE_0_LOAD) / e.weight) e = second;
      }
      remove(e);
      e.sliceUsed = 0;
      curr = e;
      updateMinVruntime();
      return e.task;
    },
    tick(task, ran, now) {
      const e = entityOf(task);
      curr = e;
      charge(e, ran, now);
      if (nrQueued === 0) return false;
      const ideal = currSlice(e);
      if (e.sliceUsed >= ideal) return true;
      if (e.sliceUsed < minGranularity) return false;
      const left = tree.minKey();
      return left !== undefined && e.vruntime - left.vruntime > ideal;
    },
    timeSlice(task) {
      if (nrQueued === 0) return undefined;
      const e = entityOf(task);
      return Math.max(0, currSlice(e) - e.sliceUsed);
    },
    onWake(task) {
      const e = entities.get(task.tid);
      if (e !== undefined) e.vruntime = Math.max(e.vruntime, minVruntime - schedLatency / 2);
    },
    wakeupPreempt(running, woken) {
      const c = entityOf(running);
      const w = entityOf(woken);
      const vdiff = c.vruntime - w.vruntime;
      return vdiff > 0 && vdiff > (wakeupGranularity * NICE_0_LOAD) / w.weight;
    },
    yieldTask(task, now) {
      if (nrQueued === 0) return;
      const e = entityOf(task);
      if (curr === e && now > chargedAt) charge(e, now - chargedAt, now);
      skip = e;
    },
    detach(task) {
      const e = entities.get(task.tid);
      if (e === undefined) return;
      if (e.queued) remove(e);
      entities.delete(task.tid);
      if (curr === e) curr = undefined;
      if (skip === e) skip = undefined;
    },
    vruntimeOf(tid) {
      return entities.get(tid)?.vruntime;
    },
    sliceOf(task) {
      const e = entities.get(task.tid);
      const weight = e?.weight ?? niceToWeight(task.nice);
      const other = curr === undefined || curr === e ? undefined : curr;
      const self = e?.queued === true ? 0 : 1;
      return slice(weight, (other === undefined ? 0 : 1) + self, (other?.weight ?? 0) + self * weight);
    },
    queued() {
      return tree.keysArray().map((e) => e.task);
    },
    save(): CfsState {
      return {
        policy: 'CFS',
        entities: [...entities.values()].map(({ tid, vruntime, weight, sliceUsed, queued }) => ({
          tid,
          vruntime,
          weight,
          sliceUsed,
          queued,
        })),
        curr: curr === undefined ? null : curr.tid,
        nrQueued,
        minVruntime,
        queuedWeight,
        skip: skip === undefined ? null : skip.tid,
        chargedAt,
      };
    },
    load(state, taskByTid) {
      const s = checkState<CfsState>(state, 'CFS');
      tree.clear();
      entities.clear();
      for (const { tid, vruntime, weight, sliceUsed, queued } of s.entities) {
        const e: CfsEntity = { tid, task: taskByTid(tid), vruntime, weight, sliceUsed, queued };
        entities.set(tid, e);
        if (queued) tree.set(e, undefined);
      }
      curr = s.curr === null ? undefined : entities.get(s.curr);
      nrQueued = s.nrQueued;
      minVruntime = s.minVruntime;
      queuedWeight = s.queuedWeight;
      const skipTid = s.skip ?? null;
      skip = skipTid === null ? undefined : entities.get(skipTid);
      chargedAt = s.chargedAt ?? 0;
    },
  };
}
