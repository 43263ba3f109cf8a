import { SchedulerError } from '../errors.ts';
import { checkNonNegativeInt, checkPositiveInt } from '../internal/check.ts';
import { checkState } from '../internal/checkpoint.ts';
import { Deque } from '../internal/deque.ts';
import type { SchedPolicy, SchedTask } from '../policy.ts';
import { DEFAULT_QUANTUM } from './roundRobin.ts';

/** Options of {@link createMlfq}. */
export interface MlfqOptions {
  /** Number of priority levels (queues), level 0 the highest. Default 3. */
  readonly levels?: number;
  /** The time slice of each level: one number for all, or one per level. Default {@link DEFAULT_QUANTUM}. */
  readonly quantum?: number | readonly number[];
  /**
   * The time allotment of each level: how much CPU time a task may use at that level,
   * however many times it gives up the CPU, before it moves down (Rule 4). One number
   * for all or one per level; default: one quantum of that level.
   */
  readonly allotment?: number | readonly number[];
  /** Rule 5's period S: every S, all tasks move to the top level. 0 (the default) never boosts. */
  readonly boostPeriod?: number;
}

/** The MLFQ policy, which can also tell at what level a task is. */
export interface MlfqPolicy extends SchedPolicy {
  /** The level of a task this queue knows (0 is the top), or undefined. */
  levelOf(tid: number): number | undefined;
  /** The queued tasks of each level, front first. */
  queues(): SchedTask[][];
}

/**
 * A checkpoint of {@link createMlfq}'s policy: each level's queue (tids, front first),
 * each known task's `[tid, level, allotment used, slice used]`, and the next boost time.
 */
export interface MlfqState {
  readonly policy: 'MLFQ';
  readonly queues: readonly (readonly number[])[];
  readonly entities: readonly (readonly [number, number, number, number])[];
  readonly nrQueued: number;
  /** Infinity when the policy never boosts. */
  readonly nextBoost: number;
}

interface MlfqEntity {
  level: number;
  /** CPU time used at this level since arriving at it (Rule 4). */
  allotUsed: number;
  /** CPU time used in the current turn (Rule 2). */
  sliceUsed: number;
}

function perLevel(value: number | readonly number[], levels: number, what: string): number[] {
  if (typeof value === 'number') return Array.from({ length: levels }, () => checkPositiveInt(value, what));
  if (value.length !== levels) throw new SchedulerError('bad-option', `${what}: ${value.length} values for ${levels} levels`);
  return value.map((v, i) => checkPositiveInt(v, `${what}[${i}]`));
}

/**
 * The multi-level feedback queue of OSTEP ch. 8, with its five rules:
 * 1. if Priority(A) > Priority(B), A runs (B doesn't); a task woken at a higher level
 *    preempts the running one;
 * 2. if Priority(A) = Priority(B), A and B run in round robin with the level's quantum;
 * 3. a new task enters at the top level;
 * 4. once a task uses up its allotment at a level (however many times it gave up the
 *    CPU), it moves down one level;
 * 5. every `boostPeriod`, all tasks move to the top level (with a fresh allotment).
 *
 * A task keeps its level and used allotment while it sleeps; a preempted task goes to
 * the back of its level's queue.
 */
export function createMlfq(options: MlfqOptions = {}): MlfqPolicy {
  const levels = checkPositiveInt(options.levels ?? 3, 'levels');
  const quantum = perLevel(options.quantum ?? DEFAULT_QUANTUM, levels, 'quantum');
  const allotment = perLevel(options.allotment ?? quantum, levels, 'allotment');
  const boostPeriod = checkNonNegativeInt(options.boostPeriod ?? 0, 'boostPeriod');
  const queues = Array.from({ length: levels }, () => new Deque<SchedTask>());
  const entities = new Map<number, MlfqEntity>();
  let nrQueued = 0;
  let nextBoost = boostPeriod > 0 ? boostPeriod : Number.POSITIVE_INFINITY;

  const entityOf = (task: SchedTask): MlfqEntity => {
    let e = entities.get(task.tid);
    if (e === undefined) {
      e = { level: 0, allotUsed: 0, sliceUsed: 0 };
      entities.set(task.tid, e);
    }
    return e;
  };

  // Rule 5, applied at the first call at or after each boost time. Returns true if it boosted.
  const maybeBoost = (now: number): boolean => {
    if (now < nextBoost) return false;
    nextBoost = (Math.floor(now / boostPeriod) + 1) * boostPeriod;
    const all: SchedTask[] = [];
    for (const q of queues) {
      all.push(...q.toArray());
      q.clear();
    }
    const top = queues[0] as Deque<SchedTask>;
    for (const task of all) top.push(task);
    for (const e of entities.values()) {
      e.level = 0;
      e.allotUsed = 0;
      e.sliceUsed = 0;
    }
    return true;
  };

  return {
    name: 'MLFQ',
    get nrQueued() {
      return nrQueued;
    },
    enqueue(task, now) {
      maybeBoost(now);
      (queues[entityOf(task).level] as Deque<SchedTask>).push(task);
      nrQueued++;
    },
    dequeue(task, now) {
      maybeBoost(now);
      const e = entities.get(task.tid);
      if (e === undefined || !(queues[e.level] as Deque<SchedTask>).remove(task)) return false;
      nrQueued--;
      return true;
    },
    pickNext(now) {
      maybeBoost(now);
      for (const q of queues) {
        const task = q.shift();
        if (task !== undefined) {
          nrQueued--;
          entityOf(task).sliceUsed = 0;
          return task;
        }
      }
      return undefined;
    },
    tick(task, ran, now) {
      const e = entityOf(task);
      e.allotUsed += ran;
      e.sliceUsed += ran;
      if (maybeBoost(now)) return true;
      const level = e.level;
      if (level < levels - 1 && e.allotUsed >= (allotment[level] as number)) {
        e.level = level + 1;
        e.allotUsed = 0;
        return true;
      }
      return e.sliceUsed >= (quantum[level] as number);
    },
    timeSlice(task, now) {
      const e = entityOf(task);
      let left = (quantum[e.level] as number) - e.sliceUsed;
      if (e.level < levels - 1) left = Math.min(left, (allotment[e.level] as number) - e.allotUsed);
      return Math.max(0, Math.min(left, nextBoost - now));
    },
    wakeupPreempt(curr, woken) {
      return entityOf(woken).level < entityOf(curr).level;
    },
    detach(task) {
      entities.delete(task.tid);
    },
    levelOf(tid) {
      return entities.get(tid)?.level;
    },
    save(): MlfqState {
      return {
        policy: 'MLFQ',
        queues: queues.map((q) => q.toArray().map((t) => t.tid)),
        entities: [...entities].map(([tid, e]) => [tid, e.level, e.allotUsed, e.sliceUsed] as const),
        nrQueued,
        nextBoost,
      };
    },
    load(state, taskByTid) {
      const s = checkState<MlfqState>(state, 'MLFQ');
      if (s.queues.length !== levels)
        throw new SchedulerError('no-checkpoint', `an MLFQ checkpoint of ${s.queues.length} levels cannot be loaded into ${levels}`);
      queues.forEach((q, level) => {
        q.clear();
        for (const tid of s.queues[level] as readonly number[]) q.push(taskByTid(tid));
      });
      entities.clear();
      for (const [tid, level, allotUsed, sliceUsed] of s.entities) entities.set(tid, { level, allotUsed, sliceUsed });
      nrQueued = s.nrQueued;
      nextBoost = s.nextBoost;
    },
    queues() {
      return queues.map((q) => q.toArray());
    },
  };
}
