import { describe, expect, it } from 'vitest';
import {
  EXCEPTION_STACK_SIZE,
  KstackError,
  STACK_END_CORRUPTED_PANIC,
  STACK_END_MAGIC,
  THREAD_INFO_OFFSETS,
  THREAD_INFO_SIZE,
} from '../src/index.ts';
import { die, rig, SIZES, STRATEGY_NAMES } from './helpers.ts';

// The contract every strategy meets, at every THREAD_SIZE. Where the strategies differ
// by design (thread_info placement, sharing, caching) the expectation is derived
// from what the allocator says it is, and each branch asserts something.
describe.each(STRATEGY_NAMES.flatMap((strategy) => SIZES.map((threadSize) => ({ strategy, threadSize }))))(
  'contract: $strategy, THREAD_SIZE $threadSize',
  ({ strategy, threadSize }) => {
    const shared = strategy === 'single';
    const onStack = strategy === 'contiguous';
    const kb = threadSize / 1024;

    it('hands out a zeroed, THREAD_SIZE-aligned stack with the magic at end_of_stack and thread_info where the layout says', () => {
      const { kstack, memory } = rig({ strategy, threadSize });
      const s = kstack.alloc({ tid: 7, cpu: 1 });
      if (s === null) throw new Error('no stack');
      expect(s.size).toBe(threadSize);
      expect(s.top).toBe(s.base + threadSize);
      expect(s.base % threadSize).toBe(0);
      expect(kstack.threadInfoPlacement).toBe(onStack ? 'stack' : 'task');
      expect(s.threadInfo).toBe(onStack ? s.base : null);
      expect(s.endOfStack).toBe(onStack ? s.base + THREAD_INFO_SIZE : s.base);
      expect(kstack.endOfStack(7)).toBe(s.endOfStack);
      const expected = new Map<number, number>([[s.endOfStack, STACK_END_MAGIC]]);
      if (onStack) {
        expected.set(s.base + THREAD_INFO_OFFSETS.task, 7);
        expected.set(s.base + THREAD_INFO_OFFSETS.cpu, 1);
      }
      // The fake's free memory is 0xA5 garbage: every other word must have been zeroed.
      for (let a = s.base; a < s.top; a += 4) expect.soft(memory.read32(a), `word at 0x${a.toString(16)}`).toBe(expected.get(a) ?? 0);
    });

    it('publishes the allocation and accounts THREAD_SIZE/1024 kB in KernelStack', () => {
      const { kstack, of } = rig({ strategy, threadSize });
      const s = kstack.alloc({ tid: 3, cpu: 0 });
      expect(of('kstack.alloc')).toEqual([
        expect.objectContaining({
          tid: 3,
          cpu: 0,
          strategy,
          base: s?.base,
          top: s?.top,
          size: threadSize,
          endOfStack: s?.endOfStack,
          source: strategy === 'vmap' ? 'vmalloc' : 'pages',
        }),
      ]);
      expect(of('kstack.account')).toEqual([expect.objectContaining({ tid: 3, deltaKb: kb, kernelStackKb: kb })]);
      expect(kstack.kernelStackKb).toBe(kb);
      expect(kstack.meminfo()).toBe(`KernelStack:    ${String(kb).padStart(8)} kB`);
    });

    it(shared ? 'hands every thread the same stack, untouched' : 'gives each thread its own stack, overlapping no other', () => {
      const { kstack, memory } = rig({ strategy, threadSize });
      const a = kstack.alloc({ tid: 1, cpu: 0 });
      if (a === null) throw new Error('no stack');
      memory.write32(a.top - 4, 0xdeadbeef); // thread 1 has a frame on its stack
      const b = kstack.alloc({ tid: 2, cpu: 0 });
      const c = kstack.alloc({ tid: 3, cpu: 1 });
      if (b === null || c === null) throw new Error('no stack');
      if (shared) {
        expect([b.base, c.base]).toEqual([a.base, a.base]);
        expect(memory.read32(a.top - 4)).toBe(0xdeadbeef);
        expect(kstack.kernelStackKb).toBe(kb); // one stack of memory, however many holders
        expect(kstack.whereIs(a.top - 4)).toMatchObject({ kind: 'task-stack', tids: [1, 2, 3] });
      } else {
        const ranges = [a, b, c].map((s) => [s.base, s.top] as const).sort((x, y) => x[0] - y[0]);
        for (let i = 1; i < ranges.length; i++)
          expect((ranges[i] as readonly number[])[0]).toBeGreaterThanOrEqual((ranges[i - 1] as readonly number[])[1] as number);
        expect(memory.read32(b.top - 4)).toBe(0);
        expect(kstack.kernelStackKb).toBe(3 * kb);
      }
      expect(kstack.stacks().map((s) => s.tid)).toEqual([1, 2, 3]);
    });

    it('detects a clobbered STACK_END_MAGIC in the scheduler and says what the kernel panics with', () => {
      const { kstack, memory, of } = rig({ strategy, threadSize });
      const s = kstack.alloc({ tid: 5, cpu: 0 });
      if (s === null) throw new Error('no stack');
      expect(kstack.taskStackEndCorrupted(5, 0)).toBe(false);
      expect(of('kstack.overflow')).toEqual([]);
      memory.write32(s.endOfStack, 0x41414141);
      expect(kstack.taskStackEndCorrupted(5, 1)).toBe(true);
      expect(of('kstack.overflow')).toEqual([
        expect.objectContaining({
          cpu: 1,
          tid: 5,
          stack: 'task',
          how: 'stack-end-magic',
          endOfStackWord: 0x41414141,
          detectedIn: 'schedule',
          panic: STACK_END_CORRUPTED_PANIC,
        }),
      ]);
    });

    it('measures stack usage as stack_not_used(): zero words counted up from end_of_stack', () => {
      const { kstack, memory } = rig({ strategy, threadSize });
      const s = kstack.alloc({ tid: 9, cpu: 0 });
      if (s === null) throw new Error('no stack');
      expect(kstack.stackNotUsed(9)).toBe(s.top - s.endOfStack);
      memory.write32(s.top - 16, 1);
      expect(kstack.stackNotUsed(9)).toBe(s.top - 16 - s.endOfStack);
      memory.write8(s.endOfStack + 4 + 256 + 2, 0x80); // one byte of a word: the word counts as used
      expect(kstack.stackNotUsed(9)).toBe(4 + 256);
    });

    it('says where an address falls: thread_info, the magic word, the stack, or nothing', () => {
      const { kstack } = rig({ strategy, threadSize });
      const s = kstack.alloc({ tid: 4, cpu: 0 });
      if (s === null) throw new Error('no stack');
      expect(kstack.whereIs(s.top - 1)).toEqual({ kind: 'task-stack', tids: [4], base: s.base, top: s.top, part: 'stack' });
      expect(kstack.whereIs(s.endOfStack + 3)).toMatchObject({ kind: 'task-stack', part: 'stack-end' });
      expect(kstack.whereIs(s.endOfStack + 4)).toMatchObject({ kind: 'task-stack', part: 'stack' });
      expect(kstack.whereIs(s.base)).toMatchObject({ kind: 'task-stack', part: onStack ? 'thread-info' : 'stack-end' });
      expect(kstack.whereIs(0x1000)).toBeNull();
    });

    it('finds current by masking SP when thread_info is on the stack, and refuses otherwise', () => {
      const { kstack } = rig({ strategy, threadSize });
      const s = kstack.alloc({ tid: 11, cpu: 0 });
      if (s === null) throw new Error('no stack');
      if (onStack) {
        expect(kstack.current(s.top - 4)).toBe(11);
        expect(kstack.currentThreadInfo(s.top - 4)).toBe(s.base);
      } else {
        expect(() => kstack.current(s.top - 4)).toThrow(expect.objectContaining({ code: 'thread-info-in-task' }));
        expect(() => kstack.currentThreadInfo(s.top - 4)).toThrow(KstackError);
      }
    });

    it('releases a dead task’s stack, uncounts it, and lets the tid be used again', () => {
      const { kstack, of } = rig({ strategy, threadSize });
      kstack.alloc({ tid: 1, cpu: 0 });
      die(kstack, 1);
      expect(kstack.has(1)).toBe(false);
      expect(kstack.kernelStackKb).toBe(0);
      expect(of('kstack.free')).toEqual([
        expect.objectContaining({ tid: 1, cpu: 0, to: shared ? 'memory' : 'cache', slot: shared ? null : 0 }),
      ]);
      expect(kstack.alloc({ tid: 1, cpu: 0 })).not.toBeNull();
    });

    it(
      shared ? 'zeroes the shared stack when it is allocated afresh' : 'reuses a freed stack from the same CPU’s cache first, zeroed',
      () => {
        const { kstack, memory, of } = rig({ strategy, threadSize });
        const a = kstack.alloc({ tid: 1, cpu: 0 });
        if (a === null) throw new Error('no stack');
        memory.fill(a.base, threadSize, 0x5a);
        die(kstack, 1, 0);
        const other = kstack.alloc({ tid: 2, cpu: 1 });
        const again = kstack.alloc({ tid: 3, cpu: 0 });
        if (other === null || again === null) throw new Error('no stack');
        if (shared) {
          expect(of('kstack.cache_hit')).toEqual([]);
          expect(again.base).toBe(other.base);
        } else {
          expect(other.base).not.toBe(a.base); // cpu 1's cache is empty
          expect(again.base).toBe(a.base);
          expect(of('kstack.cache_hit')).toEqual([expect.objectContaining({ tid: 3, cpu: 0, slot: 0, base: a.base })]);
        }
        expect(kstack.stackNotUsed(3)).toBe(again.top - again.endOfStack);
        expect(memory.read8(again.top - 1)).toBe(0);
      },
    );

    it(`keeps at most ${shared ? 'no' : 'NR_CACHED_STACKS'} freed stacks per CPU and gives the rest back to memory`, () => {
      const { kstack, memory, of } = rig({ strategy, threadSize, exceptionStacks: false });
      const before = memory.freeFrames();
      for (let tid = 1; tid <= 4; tid++) kstack.alloc({ tid, cpu: 0 });
      for (let tid = 1; tid <= 4; tid++) die(kstack, tid, 0);
      expect(of('kstack.free').map((e) => e.to)).toEqual(
        shared ? ['kept', 'kept', 'kept', 'memory'] : ['cache', 'cache', 'memory', 'memory'],
      );
      expect(kstack.cachedStacks(0).filter((c) => c !== null)).toHaveLength(shared ? 0 : 2);
      expect(before - memory.freeFrames()).toBe(shared ? 0 : (2 * threadSize) / 4096);
      expect(kstack.kernelStackKb).toBe(0);
    });

    it('returns null and publishes kstack.alloc_failed when memory runs out', () => {
      const { kstack, of } = rig({ strategy, threadSize, frames: 64, exceptionStacks: false });
      let tid = 0;
      while (kstack.alloc({ tid, cpu: 0 }) !== null && tid < 200) tid++;
      if (shared) {
        expect(of('kstack.alloc_failed')).toEqual([]);
        expect(kstack.kernelStackKb).toBe(kb);
      } else {
        expect(tid).toBeLessThan(64 / (threadSize / 4096) + 1);
        expect(of('kstack.alloc_failed')).toEqual([
          { seq: expect.any(Number), time: 0, type: 'kstack.alloc_failed', tid, cpu: 0, strategy, size: threadSize },
        ]);
        expect(kstack.has(tid)).toBe(false);
        expect(kstack.kernelStackKb).toBe(tid * kb);
      }
    });

    it('sets up per-CPU IRQ and exception stacks and notes the switch onto them', () => {
      const { kstack, of } = rig({ strategy, threadSize, irqStacks: true });
      const s = kstack.alloc({ tid: 1, cpu: 0 });
      if (s === null) throw new Error('no stack');
      expect(of('kstack.percpu_stack').map((e) => [e.cpu, e.kind, e.size])).toEqual([
        [0, 'irq', threadSize],
        [0, 'exception', EXCEPTION_STACK_SIZE],
        [1, 'irq', threadSize],
        [1, 'exception', EXCEPTION_STACK_SIZE],
      ]);
      const irq = kstack.irqStack(1);
      const exc = kstack.exceptionStack(1);
      if (irq === null || exc === null) throw new Error('no per-CPU stacks');
      expect(irq.base % threadSize).toBe(0);
      expect(kstack.whereIs(irq.top - 4)).toMatchObject({ kind: 'irq-stack', cpu: 1 });
      expect(kstack.whereIs(exc.top - 4)).toMatchObject({ kind: 'exception-stack', cpu: 1 });
      expect(kstack.noteTrapEntry({ cpu: 1, spBefore: s.top - 64, spAfter: irq.top - 8 })).toBe('irq');
      expect(kstack.noteTrapEntry({ cpu: 1, spBefore: irq.top - 64, spAfter: irq.top - 128 })).toBeNull(); // nested: already on it
      expect(kstack.noteTrapEntry({ cpu: 0, spBefore: s.top - 64, spAfter: s.top - 128 })).toBeNull(); // stayed on the task stack
      expect(kstack.noteTrapEntry({ cpu: 1, spBefore: s.top - 64, spAfter: exc.top - 8 })).toBe('exception');
      expect(of('kstack.irq_stack_switch')).toEqual([
        expect.objectContaining({ cpu: 1, spBefore: s.top - 64, spAfter: irq.top - 8, base: irq.base, top: irq.top }),
      ]);
      expect(of('kstack.exception_stack_switch')).toEqual([expect.objectContaining({ cpu: 1, base: exc.base, top: exc.top })]);
      if (onStack) expect(kstack.current(irq.top - 8)).toBe(1); // i386: the IRQ stack's thread_info names the interrupted task
    });
  },
);
