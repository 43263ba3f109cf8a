import { createKstackAllocator, type KstackAllocator } from '@ossim/kstack';
import type { SchedPolicy, SchedTask } from '@ossim/scheduler';
import { describe, expect, it } from 'vitest';
import { buildWorkload, createKernel, PRESETS } from '../src/index.ts';

const workload = buildWorkload({
  name: 'three',
  processes: ['a', 'b', 'c'].map((comm) => ({ comm, steps: [{ op: 'write', text: `${comm}\n` }] })),
});

describe('OS extensions', () => {
  it('a user policy (last in, first out) decides who runs', () => {
    const lifo = (): SchedPolicy => {
      const queue: SchedTask[] = [];
      return {
        name: 'LIFO',
        get nrQueued() {
          return queue.length;
        },
        enqueue: (t) => void queue.push(t),
        dequeue(t) {
          const i = queue.indexOf(t);
          if (i >= 0) queue.splice(i, 1);
          return i >= 0;
        },
        pickNext: () => queue.pop(),
        tick: () => false,
      };
    };
    const rr = createKernel({ os: PRESETS.i386, workload });
    rr.run();
    const mine = createKernel({ os: PRESETS.i386, workload, extensions: { policy: lifo } });
    expect(mine.run()).toMatchObject({ outcome: 'ok', finished: true });
    expect(rr.console).toBe('a\nb\nc\n');
    expect(mine.console).toBe('c\nb\na\n');
  });

  it('a user stack allocator (here wrapping the built-in one) gets every kernel stack request', () => {
    const allocated: number[] = [];
    const kernel = createKernel({
      os: PRESETS.i386,
      workload,
      extensions: {
        stackAllocator(options): KstackAllocator {
          expect(options).toMatchObject({ strategy: 'contiguous', threadSize: 8192, cpus: 1 });
          const inner = createKstackAllocator(options);
          const mine: KstackAllocator = Object.create(inner);
          return Object.assign(mine, {
            alloc(request: Parameters<KstackAllocator['alloc']>[0]) {
              allocated.push(request.tid);
              return inner.alloc(request);
            },
          });
        },
      },
    });
    expect(kernel.run()).toMatchObject({ outcome: 'ok', finished: true });
    // init, kthreadd and the three processes.
    expect(allocated).toEqual([1, 2, 3, 4, 5]);
    // The kernel uses the user's allocator for everything else too: init and kthreadd still hold their stacks.
    expect(kernel.kstack.has(1) && kernel.kstack.has(2)).toBe(true);
  });
});
