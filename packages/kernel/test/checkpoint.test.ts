import type { OssimEvent } from '@ossim/eventlog';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  buildWorkload,
  createKernel,
  defineOs,
  type Kernel,
  type KernelCheckpoint,
  KernelError,
  PRESETS,
  type PresetName,
} from '../src/index.ts';
import { MIX } from './mix.ts';

const workload = buildWorkload(MIX);

const UNTIL = 50_000_000;

/** A kernel whose every event from seq 1 is kept in `events`. */
function recorded(preset: PresetName): { k: Kernel; events: OssimEvent[] } {
  const events: OssimEvent[] = [];
  const k = createKernel({ os: PRESETS[preset], workload, attach: (log) => log.listen((e) => events.push(e)) });
  return { k, events };
}

/** A kernel run paused just after event `seq`, with the events it appended. */
function pausedAt(preset: PresetName, seq: number): { k: Kernel; events: OssimEvent[] } {
  const { k, events } = recorded(preset);
  k.log.listen((e) => {
    if (e.seq === seq) k.pause();
  });
  k.run({ until: UNTIL });
  return { k, events };
}

const upTo = (events: readonly OssimEvent[], seq: number): OssimEvent[] => events.filter((e) => e.seq <= seq);
const after = (events: readonly OssimEvent[], seq: number): OssimEvent[] => events.filter((e) => e.seq > seq);

const comparable = (events: readonly OssimEvent[]): string => JSON.stringify(events);

describe.each(['i386', 'x86_64', 'xv6', 'single-stack'] as const)('checkpoints on %s', (preset) => {
  const whole = (() => {
    const { k, events } = recorded(preset);
    const result = k.run({ until: UNTIL });
    return { events, result, console: k.console, tasks: k.tasks() };
  })();

  it('the workload runs long enough to checkpoint in its middle', () => {
    expect(whole.events.length).toBeGreaterThan(150);
  });

  it.each([0.1, 0.5, 0.9])('restored on a new kernel at %s of the run, it continues with the same events, seq for seq', (fraction) => {
    const seq = Math.floor(whole.events.length * fraction);
    const first = pausedAt(preset, seq);
    // Paused at the next instruction boundary: the events up to there are the run's.
    const at = first.k.log.lastSeq;
    expect(at).toBeGreaterThanOrEqual(seq);
    expect(comparable(first.events)).toBe(comparable(upTo(whole.events, at)));
    const cp: KernelCheckpoint = structuredClone(first.k.checkpoint());
    expect(cp.seq).toBe(at);

    const second = createKernel({ os: PRESETS[preset], workload });
    const resumed: OssimEvent[] = [];
    second.log.listen((e) => resumed.push(e));
    second.restore(cp);
    const result = second.run({ until: UNTIL });
    expect(comparable(resumed)).toBe(comparable(after(whole.events, at)));
    expect(result).toEqual(whole.result);
    expect(second.console).toBe(whole.console);
    expect(second.tasks()).toEqual(whole.tasks);
  });

  it('restored on the same kernel after it ran on (seeking back), it runs the same events again', () => {
    const seq = Math.floor(whole.events.length * 0.4);
    const { k, events } = pausedAt(preset, seq);
    const at = k.log.lastSeq;
    const cp = k.checkpoint();
    const stackThen = k.tasks().map((t) => (t.kernelStack === null ? [] : k.stackWords(t.threadSp, 8)));
    k.run({ until: UNTIL });
    expect(comparable(events)).toBe(comparable(whole.events));
    k.restore(cp);
    expect(k.log.lastSeq).toBe(at);
    // Memory is as it was at the checkpoint.
    expect(k.tasks().map((t) => (t.kernelStack === null ? [] : k.stackWords(t.threadSp, 8)))).toEqual(stackThen);
    events.length = 0;
    k.run({ until: UNTIL });
    expect(comparable(events)).toBe(comparable(after(whole.events, at)));
  });
});

/** Two CPUs: a pause cuts a CPU's slice, and running on must finish that slice as an uninterrupted run does. */
const SMP2 = defineOs({ preset: 'x86_64', name: 'smp2', cpus: 2 });

describe('two CPUs', () => {
  const smp = buildWorkload({
    name: 'smp',
    processes: [
      {
        comm: 'a',
        steps: [
          {
            op: 'threads',
            count: 3,
            steps: [{ op: 'compute', cycles: 300_000 }, { op: 'getpid' }, { op: 'yield' }, { op: 'compute', cycles: 200_000 }],
          },
        ],
      },
      {
        comm: 'b',
        steps: [
          { op: 'pipe-pingpong', rounds: 5 },
          { op: 'disk-write', bytes: 2000 },
        ],
      },
    ],
  });
  const whole: OssimEvent[] = [];
  createKernel({ os: SMP2, workload: smp, attach: (log) => log.listen((e) => whole.push(e)) }).run({ until: UNTIL });

  it.each([0.2, 0.4, 0.6, 0.8])('paused at %s of the run and run on, or restored there, gives the uninterrupted run', (fraction) => {
    const events: OssimEvent[] = [];
    const k = createKernel({ os: SMP2, workload: smp, attach: (log) => log.listen((e) => events.push(e)) });
    const seq = Math.floor(whole.length * fraction);
    k.log.listen((e) => {
      if (e.seq === seq) k.pause();
    });
    k.run({ until: UNTIL });
    const cp = k.checkpoint();
    k.run({ until: UNTIL });
    expect(comparable(events)).toBe(comparable(whole));
    const again = createKernel({ os: SMP2, workload: smp });
    const resumed: OssimEvent[] = [];
    again.log.listen((e) => resumed.push(e));
    again.restore(structuredClone(cp));
    again.run({ until: UNTIL });
    expect(comparable(resumed)).toBe(comparable(after(whole, cp.seq)));
  });
});

describe('checkpoint errors', () => {
  it('refuses a checkpoint of other inputs, and one taken while an event is dispatched', () => {
    const { k } = pausedAt('i386', 200);
    const cp = k.checkpoint();
    const other = createKernel({ os: PRESETS.x86_64, workload });
    expect(() => other.restore(cp)).toThrow(KernelError);
    expect(() => other.restore(cp)).toThrow('the checkpoint was taken on a run of other inputs (OS variant, workload or seed)');
    const seeded = createKernel({ os: PRESETS.i386, workload, seed: 2 });
    expect(() => seeded.restore(cp)).toThrow(/other inputs/);
    expect(() => other.restore({ ...cp, version: 2 as 1 })).toThrow('checkpoint version 2 is not supported');
    const during = createKernel({ os: PRESETS.i386, workload });
    let thrown: unknown;
    during.log.listen((e) => {
      if (e.seq === 50) {
        try {
          during.checkpoint();
        } catch (err) {
          thrown = err;
        }
      }
    });
    during.run({ until: 1_000_000 });
    expect(thrown).toBeInstanceOf(KernelError);
    expect((thrown as KernelError).code).toBe('bad-checkpoint');
  });
});

describe('checkpoints of random workloads (property)', () => {
  const leaf = fc.oneof(
    fc.record({ op: fc.constant('getpid' as const) }),
    fc.record({ op: fc.constant('yield' as const) }),
    fc.record({ op: fc.constant('compute' as const), cycles: fc.integer({ min: 1_000, max: 200_000 }) }),
    fc.record({ op: fc.constant('write' as const), text: fc.constantFrom('a\n', 'hello\n') }),
    fc.record({ op: fc.constant('sleep' as const), ns: fc.integer({ min: 10_000, max: 2_000_000 }) }),
    fc.record({ op: fc.constant('disk-write' as const), bytes: fc.integer({ min: 1, max: 9_000 }) }),
    fc.record({ op: fc.constant('disk-read' as const), bytes: fc.integer({ min: 1, max: 5_000 }) }),
    fc.record({ op: fc.constant('call' as const), depth: fc.integer({ min: 1, max: 6 }), cycles: fc.integer({ min: 0, max: 500 }) }),
    fc.record({ op: fc.constant('pipe-pingpong' as const), rounds: fc.integer({ min: 1, max: 4 }) }),
  );
  const step = fc.oneof(
    { weight: 4, arbitrary: leaf },
    {
      weight: 1,
      arbitrary: fc.record({
        op: fc.constant('threads' as const),
        count: fc.integer({ min: 1, max: 3 }),
        steps: fc.array(leaf, { minLength: 1, maxLength: 3 }),
      }),
    },
    { weight: 1, arbitrary: fc.record({ op: fc.constant('fork' as const), child: fc.array(leaf, { minLength: 1, maxLength: 3 }) }) },
    { weight: 1, arbitrary: fc.record({ op: fc.constant('wait' as const) }) },
  );
  const shape = fc.record({
    processes: fc.array(fc.record({ comm: fc.constantFrom('p', 'q', 'r'), steps: fc.array(step, { minLength: 1, maxLength: 4 }) }), {
      minLength: 1,
      maxLength: 3,
    }),
    os: fc.constantFrom(PRESETS.i386, PRESETS.x86_64, PRESETS.xv6, SMP2),
    at: fc.double({ min: 0.05, max: 0.95, noNaN: true }),
  });

  it('restoring at any point continues with the same events as the run that never stopped', () => {
    fc.assert(
      fc.property(shape, ({ processes, os, at }) => {
        const w = buildWorkload({ name: 'prop', processes });
        const whole: OssimEvent[] = [];
        const k0 = createKernel({ os, workload: w, attach: (log) => log.listen((e) => whole.push(e)) });
        const r0 = k0.run({ until: UNTIL });
        const seq = Math.max(1, Math.floor(whole.length * at));
        const first = createKernel({ os, workload: w });
        first.log.listen((e) => {
          if (e.seq === seq) first.pause();
        });
        first.run({ until: UNTIL });
        const cp = structuredClone(first.checkpoint());
        const second = createKernel({ os, workload: w });
        const resumed: OssimEvent[] = [];
        second.log.listen((e) => resumed.push(e));
        second.restore(cp);
        const r1 = second.run({ until: UNTIL });
        expect(comparable(resumed)).toBe(comparable(after(whole, cp.seq)));
        expect(r1).toEqual(r0);
        expect(second.console).toBe(k0.console);
      }),
      { numRuns: 40, seed: 20261122 },
    );
  }, 60_000);
});

describe('stepping by instructions', () => {
  it.each([PRESETS.i386, SMP2])(
    'run({ instructions }) stops after exactly that many, and running on gives the uninterrupted run (%s)',
    (os) => {
      const whole: OssimEvent[] = [];
      createKernel({ os, workload, attach: (log) => log.listen((e) => whole.push(e)) }).run({ until: UNTIL });
      const events: OssimEvent[] = [];
      const k = createKernel({ os, workload, attach: (log) => log.listen((e) => events.push(e)) });
      const seq = Math.floor(whole.length / 3);
      k.log.listen((e) => {
        if (e.seq === seq) k.pause();
      });
      k.run({ until: UNTIL });
      for (const n of [1, 1, 3, 7, 50]) {
        const before = k.instructions;
        k.run({ until: UNTIL, instructions: n });
        expect(k.instructions - before).toBe(n);
      }
      k.run({ until: UNTIL });
      expect(comparable(events)).toBe(comparable(whole));
      expect(() => k.run({ instructions: 0 })).toThrow('run: instructions must be a positive integer, got 0');
    },
  );
});
