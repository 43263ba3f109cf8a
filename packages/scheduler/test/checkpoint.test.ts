import { createClock, createEventLog, type OssimEvent } from '@ossim/eventlog';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  createCfs,
  createMlfq,
  createPolicy,
  createRunQueues,
  POLICY_NAMES,
  type PolicyFactory,
  PREEMPTION_MODELS,
  type PreemptionModel,
  type RunQueues,
  type RunQueuesState,
  type SchedTask,
  SchedulerError,
} from '../src/index.ts';

const CPUS = 3;

/** Every built-in policy, with options that make its state interesting. */
const POLICIES: Record<string, PolicyFactory> = {
  ...Object.fromEntries(POLICY_NAMES.map((name) => [name, () => createPolicy(name, { quantum: 3_000 })])),
  'MLFQ+boost': () => createMlfq({ levels: 3, quantum: [1_000, 2_000, 4_000], boostPeriod: 20_000 }),
  'CFS-small': () => createCfs({ schedLatency: 6_000, minGranularity: 750, wakeupGranularity: 1_000 }),
};

type Op =
  | { op: 'new'; nice: number; priority: number; length: number }
  | { op: 'wake'; pick: number }
  | { op: 'schedule'; cpu: number; prev: 'runnable' | 'blocked' | 'dead' }
  | { op: 'tick'; cpu: number; ran: number }
  | { op: 'yield'; cpu: number }
  | { op: 'dequeue'; pick: number; reason: 'block' | 'exit' }
  | { op: 'rebalance' }
  | { op: 'resched'; cpu: number; lazy: boolean }
  | { op: 'preempt'; cpu: number; disable: boolean }
  | { op: 'slice'; cpu: number }
  | { op: 'time'; dt: number };

const cpuArb = fc.nat({ max: CPUS - 1 });
const opArb: fc.Arbitrary<Op> = fc.oneof(
  {
    weight: 3,
    arbitrary: fc.record({
      op: fc.constant('new' as const),
      nice: fc.integer({ min: -20, max: 19 }),
      priority: fc.nat({ max: 5 }),
      length: fc.integer({ min: 1, max: 50_000 }),
    }),
  },
  { weight: 3, arbitrary: fc.record({ op: fc.constant('wake' as const), pick: fc.nat() }) },
  {
    weight: 5,
    arbitrary: fc.record({
      op: fc.constant('schedule' as const),
      cpu: cpuArb,
      prev: fc.constantFrom('runnable' as const, 'blocked' as const, 'dead' as const),
    }),
  },
  { weight: 5, arbitrary: fc.record({ op: fc.constant('tick' as const), cpu: cpuArb, ran: fc.integer({ min: 0, max: 4_000 }) }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('yield' as const), cpu: cpuArb }) },
  {
    weight: 1,
    arbitrary: fc.record({
      op: fc.constant('dequeue' as const),
      pick: fc.nat(),
      reason: fc.constantFrom('block' as const, 'exit' as const),
    }),
  },
  { weight: 1, arbitrary: fc.constant({ op: 'rebalance' as const }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('resched' as const), cpu: cpuArb, lazy: fc.boolean() }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('preempt' as const), cpu: cpuArb, disable: fc.boolean() }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('slice' as const), cpu: cpuArb }) },
  { weight: 3, arbitrary: fc.record({ op: fc.constant('time' as const), dt: fc.integer({ min: 1, max: 10_000 }) }) },
);

/** The test's "kernel": it owns the task objects, by tid. */
interface World {
  readonly rq: RunQueues;
  readonly events: OssimEvent[];
  readonly tasks: Map<number, SchedTask>;
  readonly results: unknown[];
  now: number;
  nextTid: number;
}

function world(policy: PolicyFactory, model: PreemptionModel): World {
  const log = createEventLog({ clock: createClock() });
  const events: OssimEvent[] = [];
  log.listen((e) => events.push(e));
  return { rq: createRunQueues({ policy, cpus: CPUS, model, log }), events, tasks: new Map(), results: [], now: 0, nextTid: 1 };
}

function apply(w: World, op: Op): void {
  const { rq } = w;
  const out = (v: unknown): void => {
    w.results.push(v);
  };
  const known = [...w.tasks.values()];
  const inState = (state: string): SchedTask[] => known.filter((t) => rq.placement(t.tid)?.state === state);
  const at = <T>(list: T[], n: number): T | undefined => list[n % Math.max(1, list.length)];
  switch (op.op) {
    case 'new': {
      const t: SchedTask = { tid: w.nextTid++, nice: op.nice, priority: op.priority, length: op.length, remaining: op.length };
      w.tasks.set(t.tid, t);
      out(rq.wakeUp(t, w.now));
      return;
    }
    case 'wake': {
      const t = at(inState('sleeping'), op.pick);
      if (t !== undefined) out(rq.wakeUp(t, w.now));
      return;
    }
    case 'schedule': {
      if (rq.cpu(op.cpu).preemptCount !== 0) return;
      const prev = rq.cpu(op.cpu).curr;
      const next = rq.schedule(op.cpu, w.now, op.prev);
      if (prev !== undefined && op.prev === 'dead') w.tasks.delete(prev.tid);
      out(next?.tid ?? null);
      return;
    }
    case 'tick':
      w.now += op.ran;
      out(rq.tick(op.cpu, op.ran, w.now));
      return;
    case 'yield': {
      // sched_yield(): the policy hears of it, then schedule().
      if (rq.cpu(op.cpu).preemptCount !== 0) return;
      rq.schedYield(op.cpu, w.now);
      out(rq.schedule(op.cpu, w.now, 'runnable')?.tid ?? null);
      return;
    }
    case 'dequeue': {
      const t = at(inState('queued'), op.pick);
      if (t === undefined) return;
      rq.dequeue(t, w.now, op.reason);
      if (op.reason === 'exit') w.tasks.delete(t.tid);
      return;
    }
    case 'rebalance':
      out(rq.rebalance(w.now));
      return;
    case 'resched':
      rq.setNeedResched(op.cpu, { lazy: op.lazy });
      return;
    case 'preempt':
      if (op.disable) rq.preemptDisable(op.cpu);
      else if (rq.cpu(op.cpu).preemptCount > 0) out(rq.preemptEnable(op.cpu));
      return;
    case 'slice':
      out(rq.timeSlice(op.cpu, w.now) ?? null);
      return;
    case 'time':
      w.now += op.dt;
      return;
  }
}

function observe(w: World): unknown {
  const { rq } = w;
  return {
    cpus: Array.from({ length: CPUS }, (_, c) => {
      const q = rq.cpu(c);
      return {
        curr: q.curr?.tid ?? null,
        nrQueued: q.nrQueued,
        needResched: q.needResched,
        lazy: q.needReschedLazy,
        preempt: q.preemptCount,
      };
    }),
    placement: [...w.tasks.keys()].map((tid) => [tid, rq.placement(tid)]),
    state: rq.save(),
  };
}

const strip = (events: readonly OssimEvent[]): unknown[] => events.map(({ seq: _s, time: _t, ...rest }) => rest);

function continueWith(w: World, ops: readonly Op[]): unknown {
  const e0 = w.events.length;
  const r0 = w.results.length;
  for (const op of ops) apply(w, op);
  return { events: strip(w.events.slice(e0)), results: w.results.slice(r0), observed: observe(w) };
}

describe('run-queue checkpoints', () => {
  it.each(Object.keys(POLICIES))(
    '%s: load(save(), taskByTid) then the same calls gives the same events, picks and state (fast-check)',
    (name) => {
      const factory = POLICIES[name] as PolicyFactory;
      fc.assert(
        fc.property(
          fc.constantFrom(...PREEMPTION_MODELS),
          fc.array(opArb, { maxLength: 80, size: 'max' }),
          fc.array(opArb, { minLength: 1, maxLength: 80, size: 'max' }),
          (model, before, after) => {
            const a = world(factory, model);
            continueWith(a, before);
            const state: RunQueuesState = structuredClone(a.rq.save());
            // The kernel restores its own task objects: copies, by tid.
            const copies = new Map([...a.tasks].map(([tid, t]) => [tid, { ...t }]));
            const now = a.now;
            const nextTid = a.nextTid;
            const expected = continueWith(a, after);

            const b = world(factory, model);
            b.rq.load(state, (tid) => copies.get(tid) as SchedTask);
            expect(b.rq.save()).toEqual(state);
            for (const [tid, t] of copies) b.tasks.set(tid, t);
            b.now = now;
            b.nextTid = nextTid;
            expect(continueWith(b, after)).toEqual(expected);
          },
        ),
        { numRuns: 60 },
      );
    },
  );

  it('refuses a user policy without save/load, naming it, and a checkpoint of other run queues', () => {
    const lottery = (): ReturnType<PolicyFactory> => {
      const fifo = createPolicy('FIFO');
      return {
        name: 'lottery',
        get nrQueued() {
          return fifo.nrQueued;
        },
        enqueue: (t, now) => fifo.enqueue(t, now),
        dequeue: (t, now) => fifo.dequeue(t, now),
        pickNext: (now) => fifo.pickNext(now),
        tick: () => false,
      };
    };
    const rq = createRunQueues({ policy: lottery, cpus: 2 });
    const error = (() => {
      try {
        rq.save();
      } catch (e) {
        return e;
      }
      return undefined;
    })();
    expect(error).toBeInstanceOf(SchedulerError);
    expect(error).toMatchObject({ code: 'no-checkpoint', message: expect.stringContaining('policy lottery on cpu 0') });
    const state = createRunQueues({ policy: 'RR', cpus: 2 }).save();
    expect(() => createRunQueues({ policy: 'RR', cpus: 3 }).load(state, () => undefined as never)).toThrow(/cannot be loaded/);
    expect(() => createRunQueues({ policy: 'CFS', cpus: 2 }).load(state, () => undefined as never)).toThrow(/RR checkpoint/);
  });

  it('resolves every task through taskByTid: the queues hold the host’s objects afterwards', () => {
    const rq = createRunQueues({ policy: 'CFS', cpus: 1 });
    const t1: SchedTask = { tid: 1, nice: 0, priority: 0, length: undefined, remaining: undefined };
    const t2: SchedTask = { ...t1, tid: 2 };
    rq.wakeUp(t1, 0);
    rq.wakeUp(t2, 0);
    rq.schedule(0, 0);
    const state = rq.save();
    const mine = new Map([1, 2].map((tid) => [tid, { ...t1, tid }]));
    const fresh = createRunQueues({ policy: 'CFS', cpus: 1 });
    fresh.load(state, (tid) => mine.get(tid) as SchedTask);
    expect(fresh.cpu(0).curr).toBe(mine.get(1));
    expect(fresh.schedule(0, 10)).toBe(mine.get(1)); // (vruntime, tid) order: task 1 again
    expect(() => fresh.load(state, () => undefined as never)).toThrow(/taskByTid gave nothing/);
  });
});
