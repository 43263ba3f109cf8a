import { describe, expect, it } from 'vitest';
import { formatGreatestDepth, formatKernelStackLine, type KernelStack, KstackError } from '../src/index.ts';
import { createFakeMemory } from './fakeMemory.ts';
import { die, rig } from './helpers.ts';

describe('CONFIG_DEBUG_STACK_USAGE', () => {
  it('prints the greatest-stack-depth message only when an exit sets a new low-water mark', () => {
    const { kstack, memory, of } = rig({ strategy: 'vmap', threadSize: 16384 });
    const use = (tid: number, bytes: number): void => {
      const s = kstack.alloc({ tid, cpu: 0 }) as KernelStack;
      memory.fill(s.top - bytes, bytes, 0xcc);
    };
    use(10, 1000);
    use(11, 500);
    use(12, 3000);
    use(13, 3000);
    expect(kstack.lowestToDate).toBe(16384);
    kstack.taskExited({ tid: 10, comm: 'bash' });
    kstack.taskExited({ tid: 11, comm: 'sleep' }); // used less: no message
    kstack.taskExited({ tid: 12, comm: 'make' });
    kstack.taskExited({ tid: 13, comm: 'cc1' }); // as deep, not deeper: no message
    // bytes left = from end_of_stack (the magic word included) to the first used word.
    const left = (bytes: number): number => 16384 - (bytes + (bytes % 4 === 0 ? 0 : 4 - (bytes % 4)));
    expect(of('kstack.greatest_depth').map((e) => e.message)).toEqual([
      `bash (10) used greatest stack depth: ${left(1000)} bytes left`,
      `make (12) used greatest stack depth: ${left(3000)} bytes left`,
    ]);
    expect(of('kstack.greatest_depth')[1]).toMatchObject({ tid: 12, comm: 'make', bytesLeft: 13384 });
    expect(kstack.lowestToDate).toBe(13384);
  });

  it('counts from just above the magic on the old layout, where thread_info sits below it', () => {
    const { kstack, memory, of } = rig({ strategy: 'contiguous', threadSize: 8192 });
    const s = kstack.alloc({ tid: 1, cpu: 0 }) as KernelStack;
    memory.write32(s.endOfStack + 4 + 400, 7);
    kstack.taskExited({ tid: 1, comm: 'init' });
    expect(of('kstack.greatest_depth')).toEqual([
      expect.objectContaining({ bytesLeft: 404, message: 'init (1) used greatest stack depth: 404 bytes left' }),
    ]);
  });

  it('is silent when turned off', () => {
    const { kstack, of } = rig({ strategy: 'vmap', threadSize: 8192, debugStackUsage: false });
    kstack.alloc({ tid: 1, cpu: 0 });
    kstack.taskExited({ tid: 1, comm: 'x' });
    expect(of('kstack.greatest_depth')).toEqual([]);
    expect(kstack.lowestToDate).toBe(8192);
  });

  it('formats the two kernel lines exactly', () => {
    expect(formatKernelStackLine(1472)).toBe('KernelStack:        1472 kB');
    expect(formatKernelStackLine(123456789)).toBe('KernelStack:    123456789 kB');
    expect(formatGreatestDepth('kworker/0:1', 33, 10920)).toBe('kworker/0:1 (33) used greatest stack depth: 10920 bytes left');
  });
});

describe('release policies', () => {
  it('at-reap (the old layout): a zombie keeps its stack, counted, until the parent reaps it', () => {
    const { kstack, of } = rig({ strategy: 'contiguous', threadSize: 8192 });
    expect(kstack.releasePolicy).toBe('at-reap');
    kstack.alloc({ tid: 5, cpu: 0 });
    kstack.taskExited({ tid: 5, comm: 'zombie' });
    kstack.finalSwitch(5, 1);
    expect(kstack.stackOf(5)).toMatchObject({ exited: true, switchedOut: true, reaped: false });
    expect(kstack.kernelStackKb).toBe(8);
    expect(of('kstack.free')).toEqual([]);
    kstack.reaped(5, 0);
    expect(kstack.has(5)).toBe(false);
    expect(kstack.kernelStackKb).toBe(0);
    expect(of('kstack.free')).toEqual([expect.objectContaining({ tid: 5, cpu: 0, to: 'cache', slot: 0 })]);
    expect(kstack.cachedStacks(0)[0]).not.toBeNull();
  });

  it('at-reap: a task reaped before its final switch keeps running on its stack until that switch', () => {
    const { kstack, of } = rig({ strategy: 'contiguous', threadSize: 8192 });
    kstack.alloc({ tid: 5, cpu: 0 });
    kstack.taskExited({ tid: 5, comm: 'x' });
    kstack.reaped(5, 0);
    expect(kstack.has(5)).toBe(true);
    kstack.finalSwitch(5, 1);
    expect(of('kstack.free')).toEqual([expect.objectContaining({ tid: 5, cpu: 1, to: 'cache' })]);
    expect(kstack.cachedStacks(1)[0]).not.toBeNull();
  });

  it('at-final-switch (modern Linux): uncounted at exit, freed right after the final switch, the tid taken until reaped', () => {
    const { kstack, events } = rig({ strategy: 'vmap', threadSize: 16384 });
    expect(kstack.releasePolicy).toBe('at-final-switch');
    kstack.alloc({ tid: 5, cpu: 0 });
    const from = events.length;
    kstack.taskExited({ tid: 5, comm: 'x' });
    expect(kstack.kernelStackKb).toBe(0);
    expect(kstack.has(5)).toBe(true);
    kstack.finalSwitch(5, 0);
    expect(kstack.has(5)).toBe(false);
    // Uncounted in do_exit; an untouched stack sets no low-water mark (16384 bytes left is not < THREAD_SIZE).
    expect(events.slice(from).map((e) => e.type)).toEqual(['kstack.account', 'kstack.free']);
    expect(() => kstack.alloc({ tid: 5, cpu: 0 })).toThrow(expect.objectContaining({ code: 'duplicate-tid' }));
    kstack.reaped(5, 0);
    expect(kstack.alloc({ tid: 5, cpu: 0 })).not.toBeNull();
  });

  it('the policy can be chosen against the layout’s default', () => {
    const { kstack } = rig({ strategy: 'contiguous', threadSize: 8192, releasePolicy: 'at-final-switch' });
    kstack.alloc({ tid: 1, cpu: 0 });
    kstack.taskExited({ tid: 1, comm: 'x' });
    kstack.finalSwitch(1, 0);
    expect(kstack.has(1)).toBe(false);
  });

  it('single: the shared stack is released when its last holder goes', () => {
    const { kstack, of } = rig({ strategy: 'single', threadSize: 8192, releasePolicy: 'at-reap' });
    kstack.alloc({ tid: 1, cpu: 0 });
    kstack.alloc({ tid: 2, cpu: 0 });
    die(kstack, 1);
    expect(kstack.kernelStackKb).toBe(8);
    die(kstack, 2);
    expect(kstack.kernelStackKb).toBe(0);
    expect(of('kstack.free').map((e) => e.to)).toEqual(['kept', 'memory']);
    expect(of('kstack.account').map((e) => e.deltaKb)).toEqual([8, -8]);
  });

  it('refuses lifecycle calls out of order', () => {
    const { kstack } = rig({ strategy: 'vmap', threadSize: 8192 });
    kstack.alloc({ tid: 1, cpu: 0 });
    const code = (f: () => void): unknown => {
      try {
        f();
      } catch (e) {
        return e instanceof KstackError ? e.code : e;
      }
      return 'no error';
    };
    expect(code(() => kstack.finalSwitch(1, 0))).toBe('bad-state');
    expect(code(() => kstack.reaped(1, 0))).toBe('bad-state');
    expect(code(() => kstack.alloc({ tid: 1, cpu: 1 }))).toBe('duplicate-tid');
    kstack.taskExited({ tid: 1, comm: 'x' });
    expect(code(() => kstack.taskExited({ tid: 1, comm: 'x' }))).toBe('bad-state');
    kstack.reaped(1, 0);
    expect(code(() => kstack.reaped(1, 0))).toBe('bad-state');
    kstack.finalSwitch(1, 0);
    expect(code(() => kstack.finalSwitch(1, 0))).toBe('unknown-tid');
    expect(code(() => kstack.stackOf(99))).toBe('unknown-tid');
    expect(code(() => kstack.alloc({ tid: 2, cpu: 2 }))).toBe('bad-cpu');
    expect(code(() => kstack.alloc({ tid: -1, cpu: 0 }))).toBe('bad-option');
  });
});

describe('options', () => {
  const base = { strategy: 'vmap' as const, threadSize: 8192 };
  it.each([
    [{ threadSize: 12288 }, 'bad-thread-size', 'threadSize'],
    [{ threadSize: 2048 }, 'bad-thread-size', 'threadSize'],
    [{ threadSize: 65536 }, 'bad-thread-size', 'threadSize'],
    [{ cpus: 0 }, 'bad-option', 'cpus'],
    [{ nrCachedStacks: -1 }, 'bad-option', 'nrCachedStacks'],
    [{ irqStacks: { size: 6000 } }, 'bad-option', 'irqStacks.size'],
    [{ strategy: 'contiguous' as const, irqStacks: { size: 4096 } }, 'bad-option', 'irqStacks.size'],
    [{ strategy: 'slab' as never }, 'bad-option', 'strategy'],
    [{ releasePolicy: 'never' as never }, 'bad-option', 'releasePolicy'],
    [{ frames: 1, irqStacks: true }, 'no-memory', 'irq stack of cpu 0'],
    [{ frames: 2, irqStacks: true }, 'no-memory', 'exception stack of cpu 0'],
  ])('%o is a %s error naming %s', (override, code, input) => {
    const f = (): unknown => rig({ ...base, ...override });
    expect(f).toThrow(KstackError);
    expect(f).toThrow(expect.objectContaining({ code, input, name: 'KstackError' }));
    expect(f).toThrow(new RegExp(`^${input.replace('.', '\\.')}: `));
  });

  it('accepts every THREAD_SIZE and a cache of any size', () => {
    for (const threadSize of [4096, 8192, 16384, 32768])
      expect(rig({ ...base, threadSize, nrCachedStacks: 5 }).kstack.nrCachedStacks).toBe(5);
    expect(rig({ strategy: 'single', threadSize: 8192 }).kstack.nrCachedStacks).toBe(0);
  });

  it('refuses a memory whose page size is not 4 KiB', () => {
    const memory = { ...createFakeMemory({ frames: 16 }), pageSize: 8192 } as never;
    expect(() => rig({ ...base, memory } as never)).toThrow(expect.objectContaining({ code: 'bad-option', input: 'memory.pageSize' }));
  });
});
