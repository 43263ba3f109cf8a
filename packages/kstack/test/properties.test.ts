import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type KernelStack, type ReleasePolicy, STACK_END_MAGIC, THREAD_INFO_OFFSETS } from '../src/index.ts';
import { FakeMemoryFault } from './fakeMemory.ts';
import { type Rig, rig, SIZES } from './helpers.ts';

type Op =
  | { op: 'alloc'; cpu: number }
  | { op: 'exit'; pick: number }
  | { op: 'final'; pick: number; cpu: number }
  | { op: 'reap'; pick: number; cpu: number }
  | { op: 'scribble'; pick: number; offset: number; value: number };

const opArb = (cpus: number): fc.Arbitrary<Op> =>
  fc.oneof(
    { weight: 4, arbitrary: fc.record({ op: fc.constant('alloc' as const), cpu: fc.nat({ max: cpus - 1 }) }) },
    { weight: 2, arbitrary: fc.record({ op: fc.constant('exit' as const), pick: fc.nat() }) },
    { weight: 2, arbitrary: fc.record({ op: fc.constant('final' as const), pick: fc.nat(), cpu: fc.nat({ max: cpus - 1 }) }) },
    { weight: 2, arbitrary: fc.record({ op: fc.constant('reap' as const), pick: fc.nat(), cpu: fc.nat({ max: cpus - 1 }) }) },
    {
      weight: 2,
      arbitrary: fc.record({
        op: fc.constant('scribble' as const),
        pick: fc.nat(),
        offset: fc.nat(),
        value: fc.integer({ min: 1, max: 0xffffffff }),
      }),
    },
  );

interface ModelTask {
  tid: number;
  base: number;
  exited: boolean;
  switched: boolean;
  reaped: boolean;
  freed: boolean;
}

const configArb = fc.record({
  strategy: fc.constantFrom('contiguous' as const, 'vmap' as const),
  threadSize: fc.constantFrom(...SIZES),
  releasePolicy: fc.constantFrom<ReleasePolicy>('at-reap', 'at-final-switch'),
  nrCachedStacks: fc.integer({ min: 0, max: 2 }),
  irqStacks: fc.boolean(),
  cpus: fc.integer({ min: 1, max: 3 }),
});

/** Every byte range a live structure occupies, and every guard range, from the allocator's own view. */
function layout(r: Rig): {
  stacks: { what: string; start: number; end: number }[];
  guards: { what: string; start: number; end: number }[];
} {
  const stacks: { what: string; start: number; end: number }[] = [];
  const guards: { what: string; start: number; end: number }[] = [];
  const add = (what: string, s: Pick<KernelStack, 'base' | 'top' | 'guardBelow' | 'guardAbove'>): void => {
    stacks.push({ what, start: s.base, end: s.top });
    if (s.guardBelow) guards.push({ what: `${what} guard below`, ...s.guardBelow });
    if (s.guardAbove) guards.push({ what: `${what} guard above`, ...s.guardAbove });
  };
  for (const s of r.kstack.stacks()) add(`tid ${s.tid}`, s);
  for (let cpu = 0; cpu < r.kstack.cpus; cpu++) {
    const irq = r.kstack.irqStack(cpu);
    if (irq) add(`irq ${cpu}`, irq);
    const exc = r.kstack.exceptionStack(cpu);
    if (exc) add(`exception ${cpu}`, exc);
    for (const c of r.kstack.cachedStacks(cpu)) if (c) add(`cache ${cpu}.${c.slot}`, c);
  }
  return { stacks, guards };
}

const overlaps = (a: { start: number; end: number }, b: { start: number; end: number }): boolean => a.start < b.end && b.start < a.end;

describe('allocator properties (fast-check)', () => {
  it('no live stack overlaps another or a guard page; alignment holds; the cache is used first and zeroed; KernelStack counts live stacks; nothing leaks', () => {
    fc.assert(
      fc.property(
        configArb.chain((config) => fc.tuple(fc.constant(config), fc.array(opArb(config.cpus), { minLength: 1, maxLength: 40 }))),
        ([config, ops]) => {
          const r = rig({ ...config, frames: 512 });
          const { kstack, memory } = r;
          const kb = config.threadSize / 1024;
          const model: ModelTask[] = [];
          const cache: (number | null)[][] = Array.from({ length: config.cpus }, () =>
            Array.from({ length: config.nrCachedStacks }, () => null),
          );
          let nextTid = 100;
          const perCpuStacks = config.cpus * (1 + (config.irqStacks ? 1 : 0));

          const modelFree = (t: ModelTask, cpu: number): void => {
            t.freed = true;
            const slots = cache[cpu] as (number | null)[];
            const slot = slots.indexOf(null);
            if (slot >= 0) slots[slot] = t.base;
          };

          for (const op of ops) {
            const live = model.filter((t) => !t.freed);
            if (op.op === 'alloc') {
              const tid = nextTid++;
              const slots = cache[op.cpu] as (number | null)[];
              const slot = slots.findIndex((b) => b !== null);
              const s = kstack.alloc({ tid, cpu: op.cpu });
              if (s === null) continue; // out of memory is allowed; the invariants still hold
              if (slot >= 0) {
                expect(s.base).toBe(slots[slot]);
                expect(r.events.at(-2)).toMatchObject({ type: 'kstack.cache_hit', tid, slot });
                slots[slot] = null;
              } else {
                expect(r.events.at(-2)).toMatchObject({ type: 'kstack.alloc', tid });
              }
              // Zeroed, whatever was there before, except what the allocator writes.
              for (let a = s.base; a < s.top; a += 4) {
                const want: number =
                  a === s.endOfStack
                    ? STACK_END_MAGIC
                    : s.threadInfo !== null && a === s.base + THREAD_INFO_OFFSETS.task
                      ? tid
                      : s.threadInfo !== null && a === s.base + THREAD_INFO_OFFSETS.cpu
                        ? op.cpu
                        : 0;
                if (memory.read32(a) !== want) expect.fail(`tid ${tid}: word 0x${a.toString(16)} is ${memory.read32(a)}, want ${want}`);
              }
              model.push({ tid, base: s.base, exited: false, switched: false, reaped: false, freed: false });
            } else if (op.op === 'exit') {
              const c = live.filter((t) => !t.exited);
              const t = c[op.pick % Math.max(1, c.length)];
              if (!t) continue;
              kstack.taskExited({ tid: t.tid, comm: 'p' });
              t.exited = true;
            } else if (op.op === 'final') {
              const c = live.filter((t) => t.exited && !t.switched);
              const t = c[op.pick % Math.max(1, c.length)];
              if (!t) continue;
              kstack.finalSwitch(t.tid, op.cpu);
              t.switched = true;
              if (config.releasePolicy === 'at-final-switch' || t.reaped) modelFree(t, op.cpu);
            } else if (op.op === 'reap') {
              const c = model.filter((t) => t.exited && !t.reaped);
              const t = c[op.pick % Math.max(1, c.length)];
              if (!t) continue;
              kstack.reaped(t.tid, op.cpu);
              t.reaped = true;
              if (config.releasePolicy === 'at-reap' && t.switched && !t.freed) modelFree(t, op.cpu);
            } else {
              const t = live[op.pick % Math.max(1, live.length)];
              if (!t) continue;
              const s = kstack.stackOf(t.tid);
              const word = s.endOfStack + 4 + 4 * (op.offset % ((s.top - s.endOfStack - 4) / 4));
              memory.write32(word, op.value);
            }

            // The allocator holds exactly the stacks the model says are not freed.
            expect(kstack.stacks().map((s) => [s.tid, s.base])).toEqual(model.filter((t) => !t.freed).map((t) => [t.tid, t.base]));
            expect(kstack.cachedStacks(0).map((c) => c?.base ?? null)).toEqual(cache[0]);
            // KernelStack: live stacks, cached ones not counted; newer kernels uncount at exit.
            const counted = model.filter((t) => !t.freed && (config.releasePolicy === 'at-reap' || !t.exited)).length;
            expect(kstack.kernelStackKb).toBe(counted * kb);
            expect(kstack.meminfo()).toBe(`KernelStack:    ${String(counted * kb).padStart(8)} kB`);

            const { stacks, guards } = layout(r);
            for (let i = 0; i < stacks.length; i++) {
              const a = stacks[i] as (typeof stacks)[number];
              const align = a.what.startsWith('exception') ? 4096 : config.threadSize;
              if (a.start % align !== 0) expect.fail(`${a.what} at 0x${a.start.toString(16)} is not ${align}-aligned`);
              for (let j = i + 1; j < stacks.length; j++) {
                const b = stacks[j] as (typeof stacks)[number];
                if (overlaps(a, b)) expect.fail(`${a.what} overlaps ${b.what}`);
              }
              for (const g of guards) if (overlaps(a, g)) expect.fail(`${a.what} overlaps ${g.what}`);
            }
            // The guard pages the allocator reports really are unmapped guard pages.
            for (const g of guards) expect(() => memory.read8(g.start)).toThrow(FakeMemoryFault);
            expect(guards.length).toBe(config.strategy === 'vmap' ? 2 * stacks.length : 0);
            // Nothing leaks: memory in use is exactly the stacks held, cached and per CPU.
            const inUse = config.strategy === 'vmap' ? memory.vmallocAreas().length : memory.allocatedBlocks().length;
            expect(inUse).toBe(stacks.length);
            expect(stacks.length).toBe(perCpuStacks + kstack.stacks().length + cache.flat().filter((b) => b !== null).length);
          }
        },
      ),
      { numRuns: 150 },
    );
  });

  it('current is found by masking SP for every address inside a contiguous stack, and is wrong once thread_info is clobbered', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...SIZES),
        fc.uniqueArray(fc.integer({ min: 1, max: 30_000 }), { minLength: 1, maxLength: 6 }),
        fc.array(fc.nat(), { minLength: 1, maxLength: 20 }),
        fc.integer({ min: 0, max: 0xffffffff }),
        (threadSize, tids, offsets, garbage) => {
          const { kstack, memory } = rig({ strategy: 'contiguous', threadSize, irqStacks: true });
          const stacks = tids.map((tid) => kstack.alloc({ tid, cpu: 0 }) as KernelStack);
          for (const s of stacks) {
            for (const o of offsets) {
              const sp = s.base + (o % threadSize);
              expect(kstack.current(sp)).toBe(s.tid);
              expect(kstack.currentThreadInfo(sp)).toBe(s.base);
            }
            expect(kstack.current(s.base)).toBe(s.tid);
            expect(kstack.current(s.top - 1)).toBe(s.tid);
          }
          const victim = stacks[0] as KernelStack;
          memory.write32(victim.base + THREAD_INFO_OFFSETS.task, garbage);
          expect(kstack.current(victim.top - 4)).toBe(garbage);
          const report = kstack.checkOverflow({ cpu: 0, tid: victim.tid });
          if (garbage === victim.tid) expect(report).toBeNull();
          else expect(report).toMatchObject({ how: 'thread-info', evidence: ['thread-info'], tid: victim.tid });
        },
      ),
      { numRuns: 100 },
    );
  });

  it('clobbering any byte of the magic word is detected by the scheduler check', () => {
    fc.assert(
      fc.property(
        fc.constantFrom('contiguous' as const, 'vmap' as const, 'single' as const),
        fc.constantFrom(...SIZES),
        fc.integer({ min: 0, max: 3 }),
        fc.integer({ min: 0, max: 255 }),
        (strategy, threadSize, byte, value) => {
          const { kstack, memory, of } = rig({ strategy, threadSize });
          const s = kstack.alloc({ tid: 1, cpu: 0 }) as KernelStack;
          const before = memory.read8(s.endOfStack + byte);
          memory.write8(s.endOfStack + byte, value);
          const corrupted = kstack.taskStackEndCorrupted(1, 0);
          expect(corrupted).toBe(value !== before);
          expect(of('kstack.overflow')).toHaveLength(corrupted ? 1 : 0);
        },
      ),
    );
  });

  it('the same operations give the same events, and every event is plain JSON', () => {
    fc.assert(
      fc.property(configArb, fc.array(fc.nat({ max: 4 }), { maxLength: 30 }), (config, script) => {
        const run = (): unknown[] => {
          const r = rig(config);
          let tid = 1;
          const alive: number[] = [];
          for (const step of script) {
            if (step < 2 || alive.length === 0) {
              if (r.kstack.alloc({ tid, cpu: step % config.cpus }) !== null) alive.push(tid);
              tid++;
            } else {
              const victim = alive.splice(step % alive.length, 1)[0] as number;
              r.kstack.taskExited({ tid: victim, comm: 'x' });
              r.kstack.finalSwitch(victim, step % config.cpus);
              r.kstack.reaped(victim, 0);
            }
          }
          return r.events;
        };
        const a = run();
        expect(run()).toEqual(a);
        expect(JSON.parse(JSON.stringify(a))).toEqual(a);
      }),
      { numRuns: 50 },
    );
  });
});
