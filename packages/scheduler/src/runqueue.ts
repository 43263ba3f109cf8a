import type { EventLog } from '@ossim/eventlog';
import { type PolicyName, policyFactory } from './builtins.ts';
import { SchedulerError } from './errors.ts';
import type { DequeueReason, EnqueueReason, MigrateReason } from './events.ts';
import { checkPositiveInt } from './internal/check.ts';
import type { PolicyFactory, SchedPolicy, SchedTask, TaskResolver } from './policy.ts';
import {
  HARDIRQ_MASK,
  NMI_MASK,
  PREEMPT_MASK,
  PREEMPT_OFFSET,
  PREEMPTION_MODELS,
  type PreemptionModel,
  type PreemptionPoint,
  SOFTIRQ_MASK,
  shouldReschedule,
} from './preempt.ts';

/** One CPU's run queue as the kernel sees it (Linux's `struct rq`, read-only). */
export interface CpuRunQueue {
  /** The CPU id, 0-based. */
  readonly id: number;
  /** This CPU's policy instance. */
  readonly policy: SchedPolicy;
  /** The running task, or undefined when the CPU is idle. */
  readonly curr: SchedTask | undefined;
  /** Tasks waiting in the queue. */
  readonly nrQueued: number;
  /** Tasks waiting plus the running one (Linux's `rq->nr_running`). */
  readonly nrRunning: number;
  /** TIF_NEED_RESCHED of the running task: a reschedule is pending. */
  readonly needResched: boolean;
  /** TIF_NEED_RESCHED_LAZY: a lazy reschedule is pending (lazy model only). */
  readonly needReschedLazy: boolean;
  /** This CPU's preempt_count (see {@link PREEMPT_MASK} and friends for its layout). */
  readonly preemptCount: number;
}

/** What happened to the running task when it leaves the CPU. */
export type PrevState = 'runnable' | 'blocked' | 'dead';

/** Where a task stands with the run queues. */
export interface TaskPlacement {
  /** Its CPU: where it waits or runs, or where it last ran while it sleeps. */
  readonly cpu: number;
  readonly state: 'queued' | 'running' | 'sleeping';
}

/**
 * A checkpoint of the run queues ({@link RunQueues.save}): plain data naming tasks by
 * tid. Each CPU's policy state is whatever that policy's `save()` returned.
 */
export interface RunQueuesState {
  readonly nrCpus: number;
  readonly model: PreemptionModel;
  /** Per CPU. */
  readonly cpus: readonly {
    /** The running task, or null. */
    readonly curr: number | null;
    /** The waiting tasks in the order they were queued here. */
    readonly queued: readonly number[];
    readonly needResched: boolean;
    readonly needReschedLazy: boolean;
    readonly preemptCount: number;
    /** The task the last `sched.pick` named. */
    readonly lastTid: number | null;
    /** The policy's own `save()`. */
    readonly policy: unknown;
  }[];
  /** Every task the run queues know (queued, running or sleeping), in the order they met them. */
  readonly tasks: readonly { readonly tid: number; readonly cpu: number; readonly state: 'queued' | 'running' | 'sleeping' }[];
}

/** Options of {@link createRunQueues}. */
export interface RunQueuesOptions {
  /** The policy of every CPU: a built-in name or a factory called once per CPU. */
  readonly policy: PolicyName | PolicyFactory;
  /** Number of CPUs (default 1). */
  readonly cpus?: number;
  /** The preemption model (default `none`, the default of kernel/Kconfig.preempt). */
  readonly model?: PreemptionModel;
  /** Where to publish `sched.*` events; none are built without it. */
  readonly log?: EventLog;
  /**
   * Which `sched.*` events to publish: `all` (the default), or `host` for a host that
   * publishes its own scheduling facts (a kernel's `sched.switch` and wake-ups): then only
   * `sched.migrate` and `sched.tick` are published, and enqueue, dequeue, pick and preempt,
   * which the host's events imply, are not.
   */
  readonly events?: 'all' | 'host';
}

/**
 * Per-CPU run queues: the scheduler half a kernel drives.
 *
 * Rules (all deterministic, ties to the lowest CPU id):
 * - **wake-up placement** ({@link RunQueues.wakeUp}): the CPU the task last ran on if
 *   it is idle (nothing running or queued); otherwise the CPU with the fewest tasks
 *   (running + queued), preferring the previous CPU, then the lowest id, on a tie;
 * - **new-idle pull** ({@link RunQueues.pickNext}): a CPU whose queue is empty pulls
 *   the longest-waiting task of the CPU with the most waiting tasks;
 * - **periodic balance** ({@link RunQueues.rebalance}): while the busiest CPU (most
 *   tasks running + queued) has at least two more than the idlest (fewest), move the
 *   busiest's longest-waiting queued task to the idlest. Running tasks never move.
 *
 * A task that moves is detached from its old CPU's policy and enqueued on the new
 * one's as a migrated task.
 */
export interface RunQueues {
  readonly nrCpus: number;
  readonly model: PreemptionModel;
  /** The run queue of `cpu`. */
  cpu(cpu: number): CpuRunQueue;
  /** Where task `tid` is, or undefined if the run queues do not know it (never woken, or exited). */
  placement(tid: number): TaskPlacement | undefined;
  /**
   * Makes `task` runnable (`wake_up_new_task` for a new task, `try_to_wake_up` for a
   * sleeping one): chooses its CPU by the placement rule, enqueues it there and sets
   * needResched on that CPU if it is idle or the policy says the task should preempt.
   * Returns the CPU.
   */
  wakeUp(task: SchedTask, now: number): number;
  /** Takes the running task off `cpu` (`put_prev_task`): back in the queue if runnable, out if blocked or dead. Returns it. */
  putPrev(cpu: number, now: number, state: PrevState): SchedTask | undefined;
  /**
   * Picks the next task of an idle `cpu` (`pick_next_task`), pulling one from the
   * busiest CPU if its own queue is empty, and clears needResched. Returns undefined
   * when there is nothing to run.
   */
  pickNext(cpu: number, now: number): SchedTask | undefined;
  /**
   * `do_sched_yield()`: the running task of `cpu` gives up the CPU (its policy's
   * `yieldTask`); the caller then calls {@link RunQueues.schedule}. Nothing on an idle CPU.
   */
  schedYield(cpu: number, now: number): void;
  /** `schedule()`: {@link RunQueues.putPrev} then {@link RunQueues.pickNext}. */
  schedule(cpu: number, now: number, prevState?: PrevState): SchedTask | undefined;
  /**
   * The scheduler tick (`sched_tick`): under the lazy model first upgrades a pending
   * lazy reschedule to a full one, then charges `ran` units of CPU time to the running
   * task and sets needResched (lazily) if the policy wants it preempted. Returns the policy's answer.
   */
  tick(cpu: number, ran: number, now: number): boolean;
  /** How long the running task of `cpu` may still run by its policy, if the policy says. */
  timeSlice(cpu: number, now: number): number | undefined;
  /** Removes a *waiting* task from its queue: it blocks or exits without running first. */
  dequeue(task: SchedTask, now: number, reason: 'block' | 'exit'): void;
  /** Runs the periodic load balance; returns how many tasks moved. */
  rebalance(now: number): number;
  /** Sets needResched on `cpu` (`resched_curr`); with `lazy`, the lazy flag under the lazy model. */
  setNeedResched(cpu: number, options?: { lazy?: boolean }): void;
  /** preempt_disable(). */
  preemptDisable(cpu: number): void;
  /** preempt_enable(): true if the count reached 0 with a reschedule the model honours there (call schedule()). */
  preemptEnable(cpu: number): boolean;
  /** Adds one of the preempt_count offsets (PREEMPT_OFFSET, SOFTIRQ_OFFSET, HARDIRQ_OFFSET, NMI_OFFSET or multiples). */
  preemptCountAdd(cpu: number, offset: number): void;
  /** Subtracts what {@link RunQueues.preemptCountAdd} added. */
  preemptCountSub(cpu: number, offset: number): void;
  /** Whether `cpu` reschedules at `point` now ({@link shouldReschedule} with this CPU's state and the model). */
  shouldReschedule(cpu: number, point: PreemptionPoint): boolean;
  /**
   * A checkpoint of every CPU's queue, running task, need-resched flags and
   * preempt_count, of where every known task is, and of each CPU's policy (its
   * `save()`). Tasks are named by tid: the task objects are the host's. Throws
   * `no-checkpoint` when a policy has no `save`/`load`.
   */
  save(): RunQueuesState;
  /**
   * Puts back what {@link RunQueues.save} captured, on run queues created with the same
   * options. `taskByTid` gives the host's task object for each tid the checkpoint names
   * (the objects the host passes to every later call); the queues and policies then
   * hold those objects. Emits nothing.
   */
  load(state: RunQueuesState, taskByTid: TaskResolver): void;
}

interface TaskRecord {
  task: SchedTask;
  cpu: number;
  state: 'queued' | 'running' | 'sleeping';
  /** Neighbours in its CPU's waiting list while queued (see {@link Rq.head}). */
  prevQueued: TaskRecord | null;
  nextQueued: TaskRecord | null;
}

const newRecord = (task: SchedTask, cpu: number, state: TaskRecord['state']): TaskRecord => ({
  task,
  cpu,
  state,
  prevQueued: null,
  nextQueued: null,
});

class Rq implements CpuRunQueue {
  readonly id: number;
  readonly policy: SchedPolicy;
  curr: SchedTask | undefined = undefined;
  /** The record of `curr`. */
  currRecord: TaskRecord | undefined = undefined;
  /**
   * The waiting tasks, in the order they were queued here (the balancer's "longest waiting"
   * is the first): a list linked through their records, from `head` to `tail`.
   */
  head: TaskRecord | null = null;
  tail: TaskRecord | null = null;
  queuedCount = 0;
  needResched = false;
  needReschedLazy = false;
  preemptCount = 0;
  lastTid: number | null = null;

  constructor(id: number, policy: SchedPolicy) {
    this.id = id;
    this.policy = policy;
  }

  get nrQueued(): number {
    return this.queuedCount;
  }

  get nrRunning(): number {
    return this.queuedCount + (this.curr === undefined ? 0 : 1);
  }

  /** Appends `rec` to the waiting list. */
  link(rec: TaskRecord): void {
    rec.prevQueued = this.tail;
    rec.nextQueued = null;
    if (this.tail === null) this.head = rec;
    else this.tail.nextQueued = rec;
    this.tail = rec;
    this.queuedCount++;
  }

  /** Takes `rec` out of the waiting list. */
  unlink(rec: TaskRecord): void {
    const { prevQueued: prev, nextQueued: next } = rec;
    if (prev === null) this.head = next;
    else prev.nextQueued = next;
    if (next === null) this.tail = prev;
    else next.prevQueued = prev;
    rec.prevQueued = null;
    rec.nextQueued = null;
    this.queuedCount--;
  }

  /** The waiting tasks, longest waiting first. */
  queuedTasks(): SchedTask[] {
    const out: SchedTask[] = [];
    for (let r = this.head; r !== null; r = r.nextQueued) out.push(r.task);
    return out;
  }
}

const FIELD_MASKS = [PREEMPT_MASK, SOFTIRQ_MASK, HARDIRQ_MASK, NMI_MASK];

// The field of preempt_count an offset belongs to, or undefined if it spans several.
function fieldOf(offset: number): number | undefined {
  return FIELD_MASKS.find((mask) => (offset & mask) === offset);
}

/**
 * Creates the per-CPU run queues.
 *
 * @example
 * ```ts
 * const rq = createRunQueues({ cpus: 2, policy: () => createCfs(), model: 'full' });
 * const task = { tid: 1, nice: 0, priority: 0, length: undefined, remaining: undefined };
 * const cpu = rq.wakeUp(task, 0);     // 0: both idle, ties to the lowest id
 * rq.schedule(cpu, 0);                // task 1 runs on CPU 0
 * rq.tick(cpu, 4_000_000, 4_000_000); // charge a 4 ms tick
 * ```
 */
export function createRunQueues(options: RunQueuesOptions): RunQueues {
  const nrCpus = checkPositiveInt(options.cpus ?? 1, 'cpus');
  const model = options.model ?? 'none';
  if (!PREEMPTION_MODELS.includes(model)) {
    throw new SchedulerError(
      'bad-option',
      `model: unknown preemption model ${JSON.stringify(model)} (expected ${PREEMPTION_MODELS.join(', ')})`,
    );
  }
  const factory = typeof options.policy === 'string' ? policyFactory(options.policy) : options.policy;
  const log = options.log;
  const cpus: Rq[] = Array.from({ length: nrCpus }, (_, id) => new Rq(id, factory(id)));
  const records = new Map<number, TaskRecord>();

  const rqOf = (cpu: number): Rq => {
    const rq = cpus[cpu];
    if (rq === undefined || !Number.isInteger(cpu)) throw new SchedulerError('bad-cpu', `cpu ${cpu} does not exist (${nrCpus} CPUs)`);
    return rq;
  };

  if (options.events !== undefined && options.events !== 'all' && options.events !== 'host') {
    throw new SchedulerError('bad-option', `events: 'all' or 'host', got ${JSON.stringify(options.events)}`);
  }
  const quiet = options.events === 'host';
  const emitEnqueue = (rq: Rq, tid: number, reason: EnqueueReason): void => {
    if (!quiet) log?.emit('sched.enqueue', { cpu: rq.id, tid, reason, nrRunning: rq.nrRunning });
  };
  const emitDequeue = (rq: Rq, tid: number, reason: DequeueReason): void => {
    if (!quiet) log?.emit('sched.dequeue', { cpu: rq.id, tid, reason, nrRunning: rq.nrRunning });
  };

  const request = (rq: Rq, lazy: boolean): void => {
    if (lazy && model === 'lazy') rq.needReschedLazy = true;
    else rq.needResched = true;
  };

  // After a task arrived on `rq`: an idle CPU must schedule; a busy one asks its policy.
  const checkPreempt = (rq: Rq, task: SchedTask, now: number): void => {
    if (rq.curr === undefined) request(rq, false);
    else if (rq.policy.wakeupPreempt?.(rq.curr, task, now) === true) request(rq, true);
  };

  const isIdle = (rq: Rq): boolean => rq.curr === undefined && rq.queuedCount === 0;

  const place = (prev: number | undefined): Rq => {
    const prevRq = prev === undefined ? undefined : cpus[prev];
    if (prevRq !== undefined && isIdle(prevRq)) return prevRq;
    let best = prevRq ?? (cpus[0] as Rq);
    for (const rq of cpus) if (rq.nrRunning < best.nrRunning) best = rq;
    return best;
  };

  const migrate = (task: SchedTask, from: Rq, to: Rq, now: number, reason: MigrateReason): void => {
    if (!from.policy.dequeue(task, now)) {
      throw new SchedulerError(
        'policy',
        `policy ${from.policy.name} on cpu ${from.id} could not dequeue task ${task.tid}, which it was given`,
      );
    }
    const rec = records.get(task.tid) as TaskRecord;
    from.unlink(rec);
    from.policy.detach?.(task);
    emitDequeue(from, task.tid, 'migrate');
    log?.emit('sched.migrate', { tid: task.tid, from: from.id, to: to.id, reason });
    rec.cpu = to.id;
    to.policy.enqueue(task, now);
    to.link(rec);
    emitEnqueue(to, task.tid, 'migrated');
    checkPreempt(to, task, now);
  };

  const firstQueued = (rq: Rq): SchedTask => (rq.head as TaskRecord).task;

  const putPrev = (cpu: number, now: number, state: PrevState): SchedTask | undefined => {
    const rq = rqOf(cpu);
    const prev = rq.curr;
    if (prev === undefined) return undefined;
    const rec = rq.currRecord as TaskRecord;
    rq.curr = undefined;
    rq.currRecord = undefined;
    if (state === 'runnable') {
      if (!quiet) log?.emit('sched.preempt', { cpu, tid: prev.tid });
      rq.policy.enqueue(prev, now);
      rq.link(rec);
      rec.state = 'queued';
      emitEnqueue(rq, prev.tid, 'preempted');
    } else if (state === 'blocked') {
      rec.state = 'sleeping';
      emitDequeue(rq, prev.tid, 'block');
    } else {
      rq.policy.detach?.(prev);
      records.delete(prev.tid);
      emitDequeue(rq, prev.tid, 'exit');
    }
    return prev;
  };

  const pickNext = (cpu: number, now: number): SchedTask | undefined => {
    const rq = rqOf(cpu);
    if (rq.curr !== undefined) throw new SchedulerError('bad-task', `cpu ${cpu} still runs task ${rq.curr.tid}: put it back first`);
    if (rq.queuedCount === 0 && nrCpus > 1) {
      let busiest: Rq | undefined;
      for (const other of cpus) if (other !== rq && other.queuedCount > (busiest?.queuedCount ?? 0)) busiest = other;
      if (busiest !== undefined) migrate(firstQueued(busiest), busiest, rq, now, 'newidle');
    }
    const next = rq.policy.pickNext(now);
    if (next !== undefined) {
      const rec = records.get(next.tid);
      if (rec === undefined || rec.task !== next || rec.cpu !== cpu || rec.state !== 'queued') {
        throw new SchedulerError('policy', `policy ${rq.policy.name} on cpu ${cpu} picked task ${next.tid}, which is not waiting there`);
      }
      rec.state = 'running';
      rq.unlink(rec);
      rq.curr = next;
      rq.currRecord = rec;
    } else if (rq.queuedCount > 0) {
      throw new SchedulerError('policy', `policy ${rq.policy.name} on cpu ${cpu} picked nothing although ${rq.queuedCount} task(s) wait`);
    }
    rq.needResched = false;
    rq.needReschedLazy = false;
    const tid = next === undefined ? null : next.tid;
    if (log !== undefined && !quiet && (tid !== null || rq.lastTid !== null)) {
      log.emit('sched.pick', { cpu, tid, prevTid: rq.lastTid, policy: rq.policy.name, nrRunning: rq.nrRunning });
    }
    rq.lastTid = tid;
    return next;
  };

  const checkOffset = (offset: number): number => {
    const mask = Number.isSafeInteger(offset) && offset > 0 ? fieldOf(offset) : undefined;
    if (mask === undefined) throw new SchedulerError('preempt-count', `preempt_count offset ${offset} is not within one field`);
    return mask;
  };

  const preemptCountAdd = (cpu: number, offset: number): void => {
    const rq = rqOf(cpu);
    const mask = checkOffset(offset);
    if ((rq.preemptCount & mask) + offset > mask) {
      throw new SchedulerError(
        'preempt-count',
        `cpu ${cpu}: preempt_count 0x${rq.preemptCount.toString(16)} + 0x${offset.toString(16)} overflows its field`,
      );
    }
    rq.preemptCount += offset;
  };

  const preemptCountSub = (cpu: number, offset: number): void => {
    const rq = rqOf(cpu);
    const mask = checkOffset(offset);
    if ((rq.preemptCount & mask) < offset) {
      throw new SchedulerError(
        'preempt-count',
        `cpu ${cpu}: preempt_count 0x${rq.preemptCount.toString(16)} - 0x${offset.toString(16)} underflows`,
      );
    }
    rq.preemptCount -= offset;
  };

  return {
    nrCpus,
    model,
    cpu: rqOf,
    placement(tid) {
      const rec = records.get(tid);
      return rec === undefined ? undefined : { cpu: rec.cpu, state: rec.state };
    },
    wakeUp(task, now) {
      const rec = records.get(task.tid);
      if (rec !== undefined && rec.state !== 'sleeping') {
        throw new SchedulerError('bad-task', `task ${task.tid} is already ${rec.state} on cpu ${rec.cpu}`);
      }
      const rq = place(rec?.cpu);
      if (rec !== undefined && rec.cpu !== rq.id) {
        (cpus[rec.cpu] as Rq).policy.detach?.(task);
        log?.emit('sched.migrate', { tid: task.tid, from: rec.cpu, to: rq.id, reason: 'wakeup' });
      }
      let queued: TaskRecord;
      if (rec === undefined) {
        queued = newRecord(task, rq.id, 'queued');
        records.set(task.tid, queued);
      } else {
        rec.task = task;
        rec.cpu = rq.id;
        rec.state = 'queued';
        queued = rec;
      }
      rq.policy.onWake?.(task, now);
      rq.policy.enqueue(task, now);
      rq.link(queued);
      emitEnqueue(rq, task.tid, rec === undefined ? 'new' : 'wakeup');
      checkPreempt(rq, task, now);
      return rq.id;
    },
    putPrev,
    pickNext,
    schedYield(cpu, now) {
      const rq = rqOf(cpu);
      if (rq.curr !== undefined) rq.policy.yieldTask?.(rq.curr, now);
    },
    schedule(cpu, now, prevState = 'runnable') {
      putPrev(cpu, now, prevState);
      return pickNext(cpu, now);
    },
    tick(cpu, ran, now) {
      const rq = rqOf(cpu);
      const curr = rq.curr;
      if (curr === undefined) return false;
      if (model === 'lazy' && rq.needReschedLazy) rq.needResched = true;
      const resched = rq.policy.tick(curr, ran, now);
      if (resched) request(rq, true);
      log?.emit('sched.tick', { cpu, tid: curr.tid, ran, resched });
      return resched;
    },
    timeSlice(cpu, now) {
      const rq = rqOf(cpu);
      return rq.curr === undefined ? undefined : rq.policy.timeSlice?.(rq.curr, now);
    },
    dequeue(task, now, reason) {
      const rec = records.get(task.tid);
      if (rec === undefined || rec.state !== 'queued') {
        throw new SchedulerError('bad-task', `task ${task.tid} is not waiting in a run queue (${rec?.state ?? 'unknown'})`);
      }
      const rq = cpus[rec.cpu] as Rq;
      const queued = rec.task;
      if (!rq.policy.dequeue(queued, now)) {
        throw new SchedulerError(
          'policy',
          `policy ${rq.policy.name} on cpu ${rq.id} could not dequeue task ${task.tid}, which it was given`,
        );
      }
      rq.unlink(rec);
      if (reason === 'exit') {
        rq.policy.detach?.(queued);
        records.delete(task.tid);
      } else rec.state = 'sleeping';
      emitDequeue(rq, task.tid, reason);
    },
    rebalance(now) {
      let moved = 0;
      for (;;) {
        let busiest = cpus[0] as Rq;
        let idlest = busiest;
        for (const rq of cpus) {
          if (rq.nrRunning > busiest.nrRunning) busiest = rq;
          if (rq.nrRunning < idlest.nrRunning) idlest = rq;
        }
        if (busiest.nrRunning - idlest.nrRunning < 2 || busiest.queuedCount === 0) return moved;
        migrate(firstQueued(busiest), busiest, idlest, now, 'balance');
        moved++;
      }
    },
    setNeedResched(cpu, opts = {}) {
      request(rqOf(cpu), opts.lazy === true);
    },
    preemptDisable(cpu) {
      preemptCountAdd(cpu, PREEMPT_OFFSET);
    },
    preemptEnable(cpu) {
      preemptCountSub(cpu, PREEMPT_OFFSET);
      const rq = rqOf(cpu);
      return rq.preemptCount === 0 && shouldReschedule(model, 'preempt-enable', rq);
    },
    preemptCountAdd,
    preemptCountSub,
    shouldReschedule(cpu, point) {
      return shouldReschedule(model, point, rqOf(cpu));
    },
    save() {
      for (const rq of cpus) checkpointable(rq);
      return {
        nrCpus,
        model,
        cpus: cpus.map((rq) => ({
          curr: rq.curr === undefined ? null : rq.curr.tid,
          queued: rq.queuedTasks().map((t) => t.tid),
          needResched: rq.needResched,
          needReschedLazy: rq.needReschedLazy,
          preemptCount: rq.preemptCount,
          lastTid: rq.lastTid,
          policy: (rq.policy.save as () => unknown)(),
        })),
        tasks: [...records.values()].map((r) => ({ tid: r.task.tid, cpu: r.cpu, state: r.state })),
      };
    },
    load(state, taskByTid) {
      if (state.nrCpus !== nrCpus || state.model !== model || state.cpus.length !== nrCpus) {
        throw new SchedulerError(
          'no-checkpoint',
          `a checkpoint of ${state.nrCpus} CPU(s) under the ${state.model} model cannot be loaded into ${nrCpus} CPU(s) under ${model}`,
        );
      }
      for (const rq of cpus) checkpointable(rq);
      const resolve = (tid: number): SchedTask => {
        const task = taskByTid(tid);
        if (task === undefined || task.tid !== tid) {
          throw new SchedulerError(
            'bad-task',
            `the checkpoint names task ${tid}, for which taskByTid gave ${task === undefined ? 'nothing' : `task ${task.tid}`}`,
          );
        }
        return task;
      };
      records.clear();
      for (const r of state.tasks) records.set(r.tid, newRecord(resolve(r.tid), r.cpu, r.state));
      state.cpus.forEach((s, id) => {
        const rq = cpus[id] as Rq;
        rq.curr = s.curr === null ? undefined : resolve(s.curr);
        rq.currRecord = s.curr === null ? undefined : records.get(s.curr);
        rq.head = null;
        rq.tail = null;
        rq.queuedCount = 0;
        for (const tid of s.queued) {
          const rec = records.get(tid);
          if (rec === undefined || rec.state !== 'queued' || rec.cpu !== id)
            throw new SchedulerError('bad-task', `the checkpoint queues task ${tid} on cpu ${id}, where it does not wait`);
          rq.link(rec);
        }
        rq.needResched = s.needResched;
        rq.needReschedLazy = s.needReschedLazy;
        rq.preemptCount = s.preemptCount;
        rq.lastTid = s.lastTid;
        (rq.policy.load as NonNullable<SchedPolicy['load']>)(s.policy, resolve);
      });
    },
  };
}

/** Throws `no-checkpoint` unless `rq`'s policy can save and load its state. */
function checkpointable(rq: Rq): void {
  if (rq.policy.save === undefined || rq.policy.load === undefined) {
    throw new SchedulerError(
      'no-checkpoint',
      `policy ${rq.policy.name} on cpu ${rq.id} has no save()/load(): a policy must implement both for the run queues to be checkpointed`,
    );
  }
}
