import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type BuddyAllocator, createBuddyAllocator } from './buddy.ts';
import { MmuError } from './errors.ts';

describe('buddy allocator', () => {
  it('carves the managed range into maximal aligned blocks', () => {
    // 3000 frames from pfn 5: 5(o0) 6(o1) 8(o3) 16(o4) 32(o5) 64(o6) 128(o7) 256(o8) 512(o9) 1024(o10) 2048(o9) 2560(o8) 2816(o7) 2944(o5) 2976(o4) 2992(o3).
    const buddy = createBuddyAllocator({ frames: 3000, firstPfn: 5 });
    expect(buddy.freeCounts()).toEqual([1, 1, 0, 2, 2, 2, 1, 2, 2, 2, 1]);
    expect(buddy.nrFreePages).toBe(2995);
    expect(buddy.buddyinfo()).toBe('Node 0, zone   Normal      1      1      0      2      2      2      1      2      2      2      1 \n');
  });

  it('splits the smallest block that fits, keeping the lower half and freeing the upper halves', () => {
    const buddy = createBuddyAllocator({ frames: 1024 });
    expect(buddy.allocPages(0)).toBe(0);
    // 1 block of order 10 split down to order 0: one free block at each order 0..9.
    expect(buddy.freeCounts()).toEqual([1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0]);
    expect(buddy.freeBlocks()).toEqual([
      [1, 0],
      [2, 1],
      [4, 2],
      [8, 3],
      [16, 4],
      [32, 5],
      [64, 6],
      [128, 7],
      [256, 8],
      [512, 9],
    ]);
    expect(buddy.allocPages(2)).toBe(4);
    expect(buddy.allocPages(0)).toBe(1);
    expect(buddy.allocatedOrder(4)).toBe(2);
  });

  it('merges a freed block with its free buddy up to the largest order', () => {
    const buddy = createBuddyAllocator({ frames: 1024 });
    const a = buddy.allocPages(0) as number;
    const b = buddy.allocPages(0) as number;
    expect([a, b]).toEqual([0, 1]);
    buddy.freePages(a, 0);
    expect(buddy.freeCounts()[0]).toBe(1); // 0 cannot merge: its buddy 1 is allocated
    buddy.freePages(b, 0);
    expect(buddy.freeCounts()).toEqual([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1]);
  });

  it('returns null when no block is large enough', () => {
    const buddy = createBuddyAllocator({ frames: 512 });
    expect(buddy.allocPages(10)).toBeNull();
    expect(buddy.allocPages(9)).toBe(0);
    expect(buddy.allocPages(0)).toBeNull();
  });

  it('rejects double frees, frees of frames not allocated, and wrong orders with a typed error', () => {
    const buddy = createBuddyAllocator({ frames: 1024, firstPfn: 2 });
    const pfn = buddy.allocPages(1) as number;
    const code = (fn: () => void): string => {
      try {
        fn();
      } catch (error) {
        if (error instanceof MmuError) return error.code;
        throw error;
      }
      return 'no error';
    };
    expect(code(() => buddy.freePages(pfn, 0))).toBe('bad-order');
    expect(code(() => buddy.freePages(pfn + 1, 0))).toBe('not-allocated');
    expect(code(() => buddy.freePages(900, 0))).toBe('double-free');
    expect(code(() => buddy.freePages(0, 0))).toBe('bad-pfn');
    expect(code(() => buddy.allocPages(11))).toBe('bad-order');
    buddy.freePages(pfn, 1);
    expect(code(() => buddy.freePages(pfn, 1))).toBe('double-free');
  });

  it('never hands out a frame twice, and freeing everything restores the initial state (property)', () => {
    const op = fc.oneof(
      fc.record({ kind: fc.constant('alloc' as const), order: fc.integer({ min: 0, max: 10 }) }),
      fc.record({ kind: fc.constant('free' as const), pick: fc.nat() }),
    );
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 3000 }),
        fc.integer({ min: 0, max: 40 }),
        fc.array(op, { maxLength: 200 }),
        (frames, first, ops) => {
          const firstPfn = Math.min(first, frames);
          const buddy = createBuddyAllocator({ frames, firstPfn });
          const initialBlocks = buddy.freeBlocks();
          const initialCounts = buddy.freeCounts();
          const owner = new Int32Array(frames).fill(-1);
          const live: [number, number][] = [];
          for (const o of ops) {
            if (o.kind === 'alloc') {
              const pfn = buddy.allocPages(o.order);
              if (pfn === null) continue;
              expect(pfn % (1 << o.order)).toBe(0);
              expect(pfn).toBeGreaterThanOrEqual(firstPfn);
              for (let k = 0; k < 1 << o.order; k++) {
                expect(owner[pfn + k]).toBe(-1);
                owner[pfn + k] = pfn;
              }
              live.push([pfn, o.order]);
            } else if (live.length > 0) {
              const [pfn, order] = live.splice(o.pick % live.length, 1)[0] as [number, number];
              for (let k = 0; k < 1 << order; k++) owner[pfn + k] = -1;
              buddy.freePages(pfn, order);
            }
            const used = live.reduce((n, [, order]) => n + (1 << order), 0);
            expect(buddy.nrFreePages).toBe(frames - firstPfn - used);
          }
          for (const [pfn, order] of live) buddy.freePages(pfn, order);
          expect(buddy.freeBlocks()).toEqual(initialBlocks);
          expect(buddy.freeCounts()).toEqual(initialCounts);
        },
      ),
      { numRuns: 200 },
    );
  });

  it('load(save()) then the same allocations and frees gives the same pfns and events as never saving (property)', () => {
    const op = fc.oneof(
      fc.record({ kind: fc.constant('alloc' as const), order: fc.integer({ min: 0, max: 4 }) }),
      fc.record({ kind: fc.constant('free' as const), pick: fc.nat() }),
    );
    fc.assert(
      fc.property(fc.array(op, { maxLength: 60 }), fc.array(op, { minLength: 1, maxLength: 60 }), (before, after) => {
        const run = (buddy: BuddyAllocator, ops: typeof before, live: [number, number][]): unknown[] => {
          const out: unknown[] = [];
          for (const o of ops) {
            if (o.kind === 'alloc') {
              const pfn = buddy.allocPages(o.order);
              out.push(pfn);
              if (pfn !== null) live.push([pfn, o.order]);
            } else if (live.length > 0) {
              const [pfn, order] = live.splice(o.pick % live.length, 1)[0] as [number, number];
              buddy.freePages(pfn, order);
            }
          }
          out.push(buddy.freeBlocks(), buddy.freeCounts(), buddy.nrFreePages);
          return out;
        };
        const a = createBuddyAllocator({ frames: 300, firstPfn: 7 });
        const live: [number, number][] = [];
        run(a, before, live);
        const state = structuredClone(a.save());
        const liveCopy = live.map(([p, o]) => [p, o] as [number, number]);
        const expected = run(a, after, live);
        const b = createBuddyAllocator({ frames: 300, firstPfn: 7 });
        b.load(state);
        expect(run(b, after, liveCopy)).toEqual(expected);
      }),
      { numRuns: 200 },
    );
  });
});
