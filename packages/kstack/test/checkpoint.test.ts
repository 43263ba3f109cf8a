import type { OssimEvent } from '@ossim/eventlog';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { KstackError, type KstackState, type ReleasePolicy } from '../src/index.ts';
import { FakeMemoryFault } from './fakeMemory.ts';
import { type Rig, rig, SIZES } from './helpers.ts';

type Op =
  | { op: 'alloc'; cpu: number }
  | { op: 'exit'; pick: number }
  | { op: 'final'; pick: number; cpu: number }
  | { op: 'reap'; pick: number; cpu: number }
  | { op: 'scribble'; pick: number; offset: number; value: number }
  | { op: 'trap'; cpu: number; pick: number }
  | { op: 'check'; pick: number; cpu: number; guard: boolean };

const CPUS = 2;
const cpuArb = fc.nat({ max: CPUS - 1 });
const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ op: fc.constant('alloc' as const), cpu: cpuArb }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('exit' as const), pick: fc.nat() }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('final' as const), pick: fc.nat(), cpu: cpuArb }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('reap' as const), pick: fc.nat(), cpu: cpuArb }) },
  {
    weight: 2,
    arbitrary: fc.record({
      op: fc.constant('scribble' as const),
      pick: fc.nat(),
      offset: fc.nat(),
      value: fc.integer({ min: 0, max: 0xffffffff }),
    }),
  },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('trap' as const), cpu: cpuArb, pick: fc.nat() }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('check' as const), pick: fc.nat(), cpu: cpuArb, guard: fc.boolean() }) },
);

const configArb = fc.record({
  strategy: fc.constantFrom('contiguous' as const, 'vmap' as const, 'single' as const),
  threadSize: fc.constantFrom(...SIZES),
  releasePolicy: fc.constantFrom<ReleasePolicy>('at-reap', 'at-final-switch'),
  nrCachedStacks: fc.integer({ min: 0, max: 2 }),
  irqStacks: fc.boolean(),
});
type Config = typeof configArb extends fc.Arbitrary<infer C> ? C : never;

/** The test's "kernel": tids it handed out and where they are in their life. */
interface World {
  readonly r: Rig;
  nextTid: number;
  tids: { tid: number; exited: boolean; switched: boolean; reaped: boolean }[];
  readonly results: unknown[];
}

const make = (config: Config): World => ({
  r: rig({ ...config, cpus: CPUS, frames: 256, ...(config.strategy === 'single' ? { nrCachedStacks: 0 } : {}) }),
  nextTid: 100,
  tids: [],
  results: [],
});

function apply(w: World, op: Op): void {
  const { kstack, memory } = w.r;
  const out = (v: unknown): void => {
    w.results.push(v);
  };
  const held = w.tids.filter((t) => kstack.has(t.tid));
  const at = <T>(list: T[], n: number): T | undefined => list[n % Math.max(1, list.length)];
  switch (op.op) {
    case 'alloc': {
      const tid = w.nextTid++;
      const s = kstack.alloc({ tid, cpu: op.cpu });
      out(s);
      if (s !== null) w.tids.push({ tid, exited: false, switched: false, reaped: false });
      return;
    }
    case 'exit': {
      const t = at(
        held.filter((x) => !x.exited),
        op.pick,
      );
      if (t === undefined) return;
      kstack.taskExited({ tid: t.tid, comm: `t${t.tid}` });
      t.exited = true;
      return;
    }
    case 'final': {
      const t = at(
        held.filter((x) => x.exited && !x.switched),
        op.pick,
      );
      if (t === undefined) return;
      kstack.finalSwitch(t.tid, op.cpu);
      t.switched = true;
      return;
    }
    case 'reap': {
      const t = at(
        w.tids.filter((x) => x.exited && !x.reaped),
        op.pick,
      );
      if (t === undefined) return;
      kstack.reaped(t.tid, op.cpu);
      t.reaped = true;
      return;
    }
    case 'scribble': {
      const t = at(held, op.pick);
      if (t === undefined) return;
      const s = kstack.stackOf(t.tid);
      memory.write32(s.endOfStack + 4 * (op.offset % ((s.top - s.endOfStack) / 4)), op.value);
      return;
    }
    case 'trap': {
      // An interrupt entry from a task stack onto the IRQ stack (when there is one).
      const t = at(held, op.pick);
      const irq = kstack.irqStack(op.cpu);
      if (t === undefined) return;
      const s = kstack.stackOf(t.tid);
      out(kstack.noteTrapEntry({ cpu: op.cpu, spBefore: s.top - 64, spAfter: irq === null ? s.top - 84 : irq.top - 20 }));
      return;
    }
    case 'check': {
      const t = at(held, op.pick);
      if (t === undefined) return;
      const s = kstack.stackOf(t.tid);
      if (op.guard && s.guardBelow !== null) out(kstack.checkOverflow({ cpu: op.cpu, tid: t.tid, faultAddress: s.guardBelow.end - 4 }));
      else out(kstack.taskStackEndCorrupted(t.tid, op.cpu));
      return;
    }
  }
}

function observe(w: World): unknown {
  const { kstack } = w.r;
  return {
    stacks: kstack.stacks(),
    caches: Array.from({ length: CPUS }, (_, cpu) => kstack.cachedStacks(cpu)),
    kb: kstack.kernelStackKb,
    lowest: kstack.lowestToDate,
    meminfo: kstack.meminfo(),
    state: kstack.save(),
  };
}

const strip = (events: readonly OssimEvent[]): unknown[] => events.map(({ seq: _seq, time: _time, ...rest }) => rest);

function continueWith(w: World, ops: readonly Op[]): unknown {
  const e0 = w.r.events.length;
  const r0 = w.results.length;
  for (const op of ops) {
    try {
      apply(w, op);
    } catch (e) {
      if (!(e instanceof FakeMemoryFault)) throw e;
      w.results.push('fault');
    }
  }
  return { events: strip(w.r.events.slice(e0)), results: w.results.slice(r0), observed: observe(w) };
}

describe('kernel-stack allocator checkpoints', () => {
  it('load(save()) with the memory restored, then the same calls, gives the same events and stacks as never saving (fast-check)', () => {
    fc.assert(
      fc.property(
        configArb,
        fc.array(opArb, { maxLength: 40, size: 'max' }),
        fc.array(opArb, { minLength: 1, maxLength: 40, size: 'max' }),
        (config, before, after) => {
          const a = make(config);
          continueWith(a, before);
          const state: KstackState = structuredClone(a.r.kstack.save());
          const memory = a.r.memory.save();
          const tids = structuredClone(a.tids);
          const nextTid = a.nextTid;
          const expected = continueWith(a, after);

          const b = make(config);
          b.r.memory.load(memory);
          b.r.kstack.load(state);
          expect(b.r.kstack.save()).toEqual(state);
          b.tids = tids;
          b.nextTid = nextTid;
          expect(continueWith(b, after)).toEqual(expected);
        },
      ),
      { numRuns: 200 },
    );
  });

  it('a checkpoint shares nothing with the allocator, and refuses another configuration', () => {
    const { kstack } = rig({ strategy: 'single', threadSize: 8192 });
    kstack.alloc({ tid: 1, cpu: 0 });
    kstack.alloc({ tid: 2, cpu: 1 });
    const state = kstack.save();
    expect(state.held).toHaveLength(1);
    expect(state.tasks.map((t) => t.held)).toEqual([0, 0]);
    expect(state.sharedHeld).toBe(0);
    const saved = structuredClone(state);
    kstack.taskExited({ tid: 1, comm: 'a' });
    kstack.finalSwitch(1, 0);
    kstack.reaped(1, 0);
    expect(state).toEqual(saved);
    kstack.load(state);
    expect(kstack.stacks().map((s) => s.tid)).toEqual([1, 2]);
    const other = rig({ strategy: 'single', threadSize: 16384 }).kstack;
    expect(() => other.load(state)).toThrow(KstackError);
  });
});
