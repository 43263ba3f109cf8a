import { describe, expect, it } from 'vitest';
import { createFakeMemory, FakeMemoryFault, PAGE_OFFSET } from './fakeMemory.ts';

// The fake is a test fixture the other suites lean on: it must be right.
describe('the fake memory', () => {
  it('is a buddy allocator: naturally aligned blocks that coalesce back when freed', () => {
    const m = createFakeMemory({ frames: 64 });
    const a = m.allocPages(0) as number;
    const b = m.allocPages(2) as number;
    const c = m.allocPages(3) as number;
    expect([b % 4, c % 8]).toEqual([0, 0]);
    expect(m.freeFrames()).toBe(64 - 1 - 4 - 8);
    expect(m.allocPages(6)).toBeNull(); // split: no 64-frame block left
    m.freePages(b, 2);
    m.freePages(a, 0);
    m.freePages(c, 3);
    expect(m.freeFrames()).toBe(64);
    expect(m.allocPages(6)).toBe(0);
    expect(() => m.freePages(1, 0)).toThrow(/not an allocated block/);
  });

  it('maps physical memory at PAGE_OFFSET, full of garbage until written', () => {
    const m = createFakeMemory({ frames: 4 });
    expect(m.directMapAddress(0x1234)).toBe(PAGE_OFFSET + 0x1234);
    expect(m.read8(PAGE_OFFSET + 5)).toBe(0xa5);
    m.write32(PAGE_OFFSET + 4094, 0x12345678); // straddles two frames
    expect(m.read32(PAGE_OFFSET + 4094)).toBe(0x12345678);
    expect([m.read8(PAGE_OFFSET + 4094), m.read8(PAGE_OFFSET + 4097)]).toEqual([0x78, 0x12]);
    m.fill(PAGE_OFFSET + 100, 8000, 0);
    expect([m.read8(PAGE_OFFSET + 99), m.read8(PAGE_OFFSET + 100), m.read8(PAGE_OFFSET + 8099), m.read8(PAGE_OFFSET + 8100)]).toEqual([
      0xa5, 0, 0, 0xa5,
    ]);
    expect(() => m.read8(PAGE_OFFSET + 4 * 4096)).toThrow(FakeMemoryFault);
  });

  it('vmallocs aligned runs of scattered frames between guard pages that fault, and unmaps them on vfree', () => {
    const m = createFakeMemory({ frames: 32 });
    const hole = m.allocPages(0) as number;
    const x = m.vmalloc(4, { guardPages: 1, align: 16384 }) as number;
    const y = m.vmalloc(4, { guardPages: 1, align: 16384 }) as number;
    expect([x % 16384, y % 16384]).toEqual([0, 0]);
    expect(y - x).toBeGreaterThanOrEqual(16384 + 4096);
    m.write32(x, 1);
    m.write32(x + 16380, 2);
    expect(m.read32(x + 16380)).toBe(2);
    for (const a of [x - 1, x - 4096, x + 16384, y - 1]) expect(() => m.read8(a)).toThrow(expect.objectContaining({ guard: true }));
    expect(() => m.read8(x - 4097)).toThrow(expect.objectContaining({ guard: false }));
    expect(m.vmallocAreas().map((a) => a.guardBelow)).toEqual([
      [x - 4096, x],
      [y - 4096, y],
    ]);
    m.freePages(hole, 0);
    m.vfree(x);
    expect(() => m.read8(x)).toThrow(expect.objectContaining({ guard: false }));
    expect(() => m.read8(x - 1)).toThrow(expect.objectContaining({ guard: false }));
    m.vfree(y);
    expect(m.freeFrames()).toBe(32);
    expect(() => m.vfree(y)).toThrow(/not a vmalloc base/);
  });

  it('returns null when the vmalloc area or the frames run out, leaking nothing', () => {
    const m = createFakeMemory({ frames: 6 });
    expect(m.vmalloc(8, { guardPages: 1, align: 4096 })).toBeNull();
    expect(m.freeFrames()).toBe(6);
  });
});
