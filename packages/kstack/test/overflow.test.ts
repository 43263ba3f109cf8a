import { createClock, createEventLog } from '@ossim/eventlog';
import { describe, expect, it } from 'vitest';
import { createKstackAllocator, type KernelStack, STACK_END_MAGIC, THREAD_INFO_OFFSETS } from '../src/index.ts';
import { createFakeMemory, type FakeMemory, FakeMemoryFault } from './fakeMemory.ts';
import { die, rig } from './helpers.ts';

/** Pushes non-zero words from `top` downward, as a runaway recursion would, until `count` words or a fault. */
function recurse(memory: FakeMemory, top: number, count: number): { sp: number; fault: FakeMemoryFault | null } {
  let sp = top;
  for (let i = 0; i < count; i++) {
    try {
      memory.write32(sp - 4, 0xc0de0000 + (i & 0xffff));
    } catch (e) {
      if (e instanceof FakeMemoryFault) return { sp, fault: e };
      throw e;
    }
    sp -= 4;
  }
  return { sp, fault: null };
}

describe('overflow, as it emerges from writes', () => {
  it('vmap: a write just below the stack hits the guard page; the allocator names it', () => {
    const { kstack, memory, of } = rig({ strategy: 'vmap', threadSize: 8192 });
    const s = kstack.alloc({ tid: 42, cpu: 1 }) as KernelStack;
    expect(() => memory.write8(s.base - 1, 1)).toThrow(expect.objectContaining({ name: 'FakeMemoryFault', guard: true }));
    const { sp, fault } = recurse(memory, s.top, 10_000);
    expect(sp).toBe(s.base); // every word of the stack was written, the magic too
    expect(fault?.address).toBe(s.base - 4);
    expect(kstack.whereIs(s.base - 4)).toEqual({
      kind: 'guard-page',
      side: 'below',
      start: s.base - 4096,
      end: s.base,
      owner: { kind: 'task-stack', tids: [42] },
    });
    const report = kstack.checkOverflow({ cpu: 1, faultAddress: s.base - 4 });
    expect(report).toEqual({
      cpu: 1,
      tid: 42,
      stack: 'task',
      base: s.base,
      top: s.top,
      how: 'guard-page',
      evidence: ['guard-page', 'stack-end-magic'],
      faultAddress: s.base - 4,
      endOfStackWord: memory.read32(s.base),
      detectedIn: 'fault',
      panic: null,
    });
    expect(of('kstack.overflow')).toEqual([expect.objectContaining({ ...report, seq: expect.any(Number) })]);
  });

  it('vmap: a guard page hit on a per-CPU IRQ or exception stack is reported against that stack', () => {
    const { kstack, memory } = rig({ strategy: 'vmap', threadSize: 16384, irqStacks: true });
    const irq = kstack.irqStack(0);
    const exc = kstack.exceptionStack(1);
    if (irq === null || exc === null) throw new Error('no per-CPU stacks');
    expect(recurse(memory, irq.top, 1 << 20).fault?.address).toBe(irq.base - 4);
    expect(kstack.checkOverflow({ cpu: 0, faultAddress: irq.base - 4 })).toMatchObject({
      stack: 'irq',
      tid: null,
      how: 'guard-page',
      base: irq.base,
    });
    expect(exc.guardBelow).toEqual({ start: exc.base - 4096, end: exc.base });
    expect(recurse(memory, exc.top, 1 << 20).fault?.address).toBe(exc.base - 4);
    expect(kstack.whereIs(exc.base - 4)).toMatchObject({ kind: 'guard-page', owner: { kind: 'exception-stack', cpu: 1 } });
  });

  it('contiguous: nothing faults; the magic goes first, then thread_info, and current goes wrong', () => {
    const { kstack, memory, of } = rig({ strategy: 'contiguous', threadSize: 4096 });
    const s = kstack.alloc({ tid: 7, cpu: 0 }) as KernelStack;
    recurse(memory, s.top, (s.top - s.endOfStack - 4) / 4); // down to just above the magic
    expect(kstack.checkOverflow({ cpu: 0, tid: 7 })).toBeNull();
    expect(kstack.taskStackEndCorrupted(7, 0)).toBe(false);
    expect(kstack.current(s.top - 4)).toBe(7);
    recurse(memory, s.endOfStack + 4, 1); // one more word: the magic
    expect(kstack.checkOverflow({ cpu: 0, tid: 7 })).toMatchObject({ how: 'stack-end-magic', evidence: ['stack-end-magic'] });
    recurse(memory, s.endOfStack, 5); // thread_info, task word last
    expect(kstack.current(s.top - 4)).not.toBe(7);
    expect(kstack.checkOverflow({ cpu: 0, tid: 7 })).toMatchObject({
      how: 'stack-end-magic',
      evidence: ['stack-end-magic', 'thread-info'],
    });
    expect(kstack.taskStackEndCorrupted(7, 0)).toBe(true);
    expect(of('kstack.overflow').map((e) => e.detectedIn)).toEqual(['check', 'check', 'schedule']);
    // And no guard: the next word down is some other memory, written without a fault.
    expect(recurse(memory, s.base, 1).fault).toBeNull();
  });

  it('a stray write into thread_info alone is reported as thread-info', () => {
    const { kstack, memory } = rig({ strategy: 'contiguous', threadSize: 8192 });
    const s = kstack.alloc({ tid: 3, cpu: 0 }) as KernelStack;
    memory.write32(s.base + THREAD_INFO_OFFSETS.task, 4);
    expect(memory.read32(s.endOfStack)).toBe(STACK_END_MAGIC);
    expect(kstack.checkOverflow({ cpu: 0, tid: 3 })).toMatchObject({
      how: 'thread-info',
      evidence: ['thread-info'],
      endOfStackWord: STACK_END_MAGIC,
    });
    expect(kstack.whereIs(s.base + THREAD_INFO_OFFSETS.preemptCount)).toMatchObject({ part: 'thread-info' });
  });

  it('single: a second thread’s frames land on the first one’s (the failure is left to the kernel)', () => {
    const { kstack, memory } = rig({ strategy: 'single', threadSize: 8192 });
    const a = kstack.alloc({ tid: 1, cpu: 0 }) as KernelStack;
    memory.write32(a.top - 4, 0x1111); // thread 1 blocks in a system call, its frame at the top
    const b = kstack.alloc({ tid: 2, cpu: 0 }) as KernelStack;
    expect(b.top).toBe(a.top); // thread 2 enters the kernel at the same sp0
    memory.write32(b.top - 4, 0x2222);
    expect(memory.read32(a.top - 4)).toBe(0x2222);
    expect(kstack.checkOverflow({ cpu: 0, tid: 1 })).toBeNull(); // nothing for the allocator to see
  });

  it('a page that guards two stacks is reported as the guard below the upper one: an overflow runs downward', () => {
    const memory = createFakeMemory({ frames: 64, sharedGuards: true });
    const log = createEventLog({ clock: createClock() });
    const kstack = createKstackAllocator({ memory, log, strategy: 'vmap', threadSize: 4096, cpus: 1, exceptionStacks: false });
    const lower = kstack.alloc({ tid: 1, cpu: 0 }) as KernelStack;
    const upper = kstack.alloc({ tid: 2, cpu: 0 }) as KernelStack;
    expect(lower.guardAbove).toEqual(upper.guardBelow);
    expect(() => memory.read8(upper.base - 4)).toThrow(FakeMemoryFault);
    expect(kstack.whereIs(upper.base - 4)).toMatchObject({ kind: 'guard-page', side: 'below', owner: { kind: 'task-stack', tids: [2] } });
    expect(kstack.checkOverflow({ cpu: 0, faultAddress: upper.base - 4 })).toMatchObject({ tid: 2, how: 'guard-page' });
    die(kstack, 2);
    die(kstack, 1);
  });

  it('checkOverflow finds nothing on a healthy stack or for a fault outside any guard page', () => {
    const { kstack } = rig({ strategy: 'vmap', threadSize: 8192 });
    const s = kstack.alloc({ tid: 1, cpu: 0 }) as KernelStack;
    expect(kstack.checkOverflow({ cpu: 0, tid: 1 })).toBeNull();
    expect(kstack.checkOverflow({ cpu: 0, faultAddress: 0x1000 })).toBeNull();
    expect(kstack.checkOverflow({ cpu: 0, faultAddress: s.top + 8 })).toMatchObject({ how: 'guard-page', tid: 1 });
    expect(kstack.whereIs(s.top + 8)).toMatchObject({ kind: 'guard-page', side: 'above' });
  });

  it('the IRQ stack switch is noted only when SP moved onto that CPU’s IRQ stack', () => {
    const { kstack, of } = rig({ strategy: 'vmap', threadSize: 16384, irqStacks: { size: 8192 } });
    const s = kstack.alloc({ tid: 1, cpu: 0 }) as KernelStack;
    const irq0 = kstack.irqStack(0);
    const irq1 = kstack.irqStack(1);
    if (irq0 === null || irq1 === null) throw new Error('no IRQ stacks');
    expect(irq0.size).toBe(8192);
    expect(kstack.noteTrapEntry({ cpu: 0, spBefore: s.top - 100, spAfter: irq1.top - 4 })).toBeNull(); // another CPU's
    expect(kstack.noteTrapEntry({ cpu: 0, spBefore: s.top - 100, spAfter: irq0.top })).toBe('irq');
    expect(of('kstack.irq_stack_switch')).toHaveLength(1);
  });
});
