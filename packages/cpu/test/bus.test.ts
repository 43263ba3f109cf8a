import { describe, expect, it } from 'vitest';
import { CpuError, createFlatBus, isPageFault, PageFaultError } from '../src/index.ts';

const faultOf = (f: () => unknown): unknown => {
  try {
    f();
  } catch (e) {
    return e;
  }
  return undefined;
};

describe('flat bus', () => {
  const bus = createFlatBus(1 << 16);
  it('maps user address a and kernel address 0xC0000000 + a to physical a, little-endian', () => {
    bus.write32(0x100, 0x11223344, true);
    expect(bus.read32(0xc0000100, false)).toBe(0x11223344);
    expect(bus.read8(0x100, true)).toBe(0x44);
    bus.write8(0xc0000103, 0xab, false);
    expect(bus.read32(0x100, false)).toBe(0xab223344);
    expect(bus.fetch32(0x100, true)).toBe(0xab223344);
  });
  it('handles unaligned words', () => {
    bus.write32(0x201, 0xdeadbeef, false);
    expect(bus.read32(0x201, false)).toBe(0xdeadbeef);
    expect(bus.read8(0x201, false)).toBe(0xef);
  });
  it('refuses kernel addresses to user mode: page fault with P and U (W, I by access)', () => {
    expect(faultOf(() => bus.read32(0xc0000000, true))).toEqual({
      kind: 'page-fault',
      address: 0xc0000000,
      errorCode: PageFaultError.P | PageFaultError.U,
    });
    expect(faultOf(() => bus.write8(0xc0001234, 1, true))).toEqual({ kind: 'page-fault', address: 0xc0001234, errorCode: 7 });
    expect(faultOf(() => bus.fetch32(0xfffffffc, true))).toEqual({ kind: 'page-fault', address: 0xfffffffc, errorCode: 0x15 });
    expect(faultOf(() => bus.read32(0xbffffffe, true))).toEqual({ kind: 'page-fault', address: 0xc0000000, errorCode: 5 });
  });
  it('addresses past the end of memory are not present (P clear)', () => {
    expect(faultOf(() => bus.read32(0x10000, false))).toEqual({ kind: 'page-fault', address: 0x10000, errorCode: 0 });
    expect(faultOf(() => bus.write32(0xfffe, 0, true))).toEqual({
      kind: 'page-fault',
      address: 0x10000,
      errorCode: PageFaultError.W | PageFaultError.U,
    });
    expect(faultOf(() => bus.read8(0xc0010000, false))).toEqual({ kind: 'page-fault', address: 0xc0010000, errorCode: 0 });
  });
  it('records page-table base loads and invlpg', () => {
    const b = createFlatBus(4096);
    b.loadPageTableBase(0x3000);
    b.invalidatePage(0x12345fff);
    expect([b.pageTableBase, b.lastInvalidatedPage, b.tlbFlushes]).toEqual([0x3000, 0x12345000, 2]);
  });
  it('rejects a bad size', () => {
    expect(faultOf(() => createFlatBus(3))).toBeInstanceOf(CpuError);
    expect(faultOf(() => createFlatBus(0))).toBeInstanceOf(CpuError);
  });
  it('isPageFault checks the shape', () => {
    expect(isPageFault({ kind: 'page-fault', address: 1, errorCode: 0 })).toBe(true);
    expect(isPageFault({ kind: 'page-fault', address: '1', errorCode: 0 })).toBe(false);
    expect(isPageFault(new Error('page-fault'))).toBe(false);
    expect(isPageFault(null)).toBe(false);
  });
});
