import { createMmu, isPageFaultSignal, parseProtection } from '@ossim/mmu';
import { describe, expect, it } from 'vitest';
import { faultOf, withFaults } from './helpers.ts';

const RW = parseProtection('rw-u');

function setup(options: { cpus?: number; tlbEntries?: number } = {}) {
  const mmu = createMmu({ memorySize: 64 * 1024 * 1024, ...options });
  const mm = mmu.createAddressSpace();
  mm.mmap({ start: 0x0804_8000, length: 4 * 4096, prot: RW, populate: true });
  const bus = mmu.bus(0);
  bus.loadPageTableBase(mm.pgd);
  return { mmu, mm, bus, tlb: mmu.tlb(0) };
}

describe('memory bus', () => {
  it('reads and writes 8 and 32 bits little-endian, aligned or not, across pages', () => {
    const { bus, mmu, mm } = setup();
    bus.write32(0x0804_8000, 0x11223344, true);
    expect(bus.read8(0x0804_8000, true)).toBe(0x44);
    expect(bus.read8(0x0804_8003, true)).toBe(0x11);
    bus.write32(0x0804_8ffe, 0xa1b2c3d4, true); // spans two pages
    expect(bus.read32(0x0804_8ffe, true)).toBe(0xa1b2c3d4);
    expect(bus.read8(0x0804_9000, true)).toBe(0xb2);
    bus.write32(0x0804_8001, 0xffffffff, false);
    expect(bus.read32(0x0804_8000, true)).toBe(0xffffff44);
    bus.write8(0x0804_a000, 0x1ff, true);
    expect(bus.fetch32(0x0804_a000, true)).toBe(0xff);
    const paddr = mmu.walk(mm.pgd, 0x0804_8ffe).paddr as number;
    expect([mmu.phys.read8(paddr), mmu.phys.read8(paddr + 1)]).toEqual([0xd4, 0xc3]); // the bytes are in simulated memory
  });

  it('throws a plain page-fault object with the address and error code', () => {
    const { bus } = setup();
    const signal = faultOf(() => bus.read32(0x0900_0000, true));
    expect(signal).toEqual({ kind: 'page-fault', address: 0x0900_0000, errorCode: 0x4 });
    expect(Object.getPrototypeOf(signal)).toBe(Object.prototype);
    expect(isPageFaultSignal(signal)).toBe(true);
    expect(isPageFaultSignal(new Error('page-fault'))).toBe(false);
    expect(faultOf(() => bus.write32(0xc000_0000, 1, true))).toEqual({ kind: 'page-fault', address: 0xc000_0000, errorCode: 0x7 });
    expect(faultOf(() => bus.read32(-0x4000_0000, false))).toBeNull(); // 0xc0000000 as a signed int: the direct map
  });

  it('faults on the second page of an unaligned access without writing the first', () => {
    const { bus } = setup();
    bus.write32(0x0804_bffc, 0x01020304, true);
    const signal = faultOf(() => bus.write32(0x0804_bffe, 0xaabbccdd, true)); // 0x0804c000 is not mapped
    expect(signal).toEqual({ kind: 'page-fault', address: 0x0804_c000, errorCode: 0x6 });
    expect(bus.read32(0x0804_bffc, true)).toBe(0x01020304);
    expect(faultOf(() => bus.read32(0x0804_bffe, true))).toEqual({ kind: 'page-fault', address: 0x0804_c000, errorCode: 0x4 });
  });

  it('counts TLB hits and misses', () => {
    const { bus, tlb } = setup();
    tlb.resetCounters();
    bus.read32(0x0804_8000, true);
    expect([tlb.hits, tlb.misses]).toEqual([0, 1]);
    for (let i = 0; i < 10; i++) bus.read32(0x0804_8000 + i * 4, true);
    expect([tlb.hits, tlb.misses]).toEqual([10, 1]);
    bus.read32(0x0804_9000, true);
    expect([tlb.hits, tlb.misses]).toEqual([10, 2]);
  });

  it('takes the slow path for the first write to a clean page, setting D in the PTE', () => {
    const { mmu, mm, bus, tlb } = setup();
    // populate mapped the pages writable and dirty; make one clean by hand and invlpg it.
    const pteAddress = mmu.walk(mm.pgd, 0x0804_8000).pteAddress as number;
    const clean = (mmu.phys.read32(pteAddress) & ~0x60) >>> 0;
    mmu.phys.write32(pteAddress, clean);
    bus.invalidatePage(0x0804_8000);
    bus.read32(0x0804_8000, true);
    expect(mmu.phys.read32(pteAddress)).toBe((clean | 0x20) >>> 0); // A, not D
    tlb.resetCounters();
    bus.write32(0x0804_8000, 5, true);
    expect(mmu.phys.read32(pteAddress)).toBe((clean | 0x60) >>> 0); // A and D
    expect(tlb.entries().find((e) => e.vaddr === 0x0804_8000)?.userWrite).toBe(true);
    expect([tlb.hits, tlb.misses]).toEqual([1, 0]); // a hit that needed the walk to set D
  });

  it('keeps serving a stale translation until invlpg, as hardware does', () => {
    const { mmu, mm, bus } = setup();
    bus.write32(0x0804_8000, 111, true);
    bus.write32(0x0804_9000, 222, true);
    const pteAddress = mmu.walk(mm.pgd, 0x0804_8000).pteAddress as number;
    const other = mmu.phys.read32(mmu.walk(mm.pgd, 0x0804_9000).pteAddress as number);
    mmu.phys.write32(pteAddress, other); // point page 0x08048000 at the frame of 0x08049000, no flush
    expect(bus.read32(0x0804_8000, true)).toBe(111);
    bus.invalidatePage(0x0804_8abc);
    expect(bus.read32(0x0804_8000, true)).toBe(222);
  });

  it('flushes non-global entries on a CR3 load and keeps global ones', () => {
    const { mmu, mm, bus, tlb } = setup();
    bus.read32(0x0804_8000, true);
    bus.read32(0xc000_1000, false); // direct map: global
    expect(tlb.entries().map((e) => [e.vaddr, e.global])).toEqual([
      [0xc000_1000, true],
      [0x0804_8000, false],
    ]);
    bus.loadPageTableBase(mm.pgd);
    expect(tlb.entries().map((e) => e.vaddr)).toEqual([0xc000_1000]);
    expect(tlb.cr3).toBe(mm.pgd);
    tlb.resetCounters();
    bus.read32(0xc000_1000, false);
    bus.read32(0x0804_8000, true);
    expect([tlb.hits, tlb.misses]).toEqual([1, 1]);
    bus.invalidatePage(0xc000_1000); // invlpg drops global entries too
    expect(tlb.entries().map((e) => e.vaddr)).toEqual([0x0804_8000]);
    expect(mmu.tlb(0).flushes).toBe(1); // counted since resetCounters
  });

  it('drops every cached piece of a 4 MiB page on invlpg of any address in it', () => {
    const { bus, tlb } = setup();
    bus.read32(0xc000_0000, false);
    bus.read32(0xc030_0000, false);
    bus.read32(0xc040_0000, false); // the next 4 MiB page
    expect(tlb.entries().every((e) => e.largePage)).toBe(true);
    bus.invalidatePage(0xc012_3000);
    expect(tlb.entries().map((e) => e.vaddr)).toEqual([0xc040_0000]);
  });

  it('evicts by slot in the direct-mapped TLB', () => {
    const { bus, tlb } = setup({ tlbEntries: 4 });
    bus.read32(0x0804_8000, true); // vpn 0x08048: slot 0
    bus.read32(0xc000_0000 + 4 * 4096, false); // vpn 0xc0004: slot 0 too
    tlb.resetCounters();
    bus.read32(0x0804_8000, true);
    expect(tlb.misses).toBe(1);
  });

  it('never caches a fault: the access faults again until the tables change', () => {
    const { mmu, mm, bus } = setup();
    mm.mmap({ start: 0x1000_0000, length: 4096, prot: RW });
    expect(faultOf(() => bus.read32(0x1000_0000, true))?.errorCode).toBe(0x4);
    expect(faultOf(() => bus.read32(0x1000_0000, true))?.errorCode).toBe(0x4);
    expect(withFaults(mm, () => bus.read32(0x1000_0000, true)).value).toBe(0);
    expect(
      mmu
        .tlb(0)
        .entries()
        .some((e) => e.vaddr === 0x1000_0000),
    ).toBe(true);
  });

  it('sees a frame written physically after a CPU cached it while it had no storage', () => {
    const { mmu, bus } = setup();
    expect(mmu.phys.isBacked(0x3000)).toBe(false);
    expect(bus.read32(0xc300_0000, false)).toBe(0); // direct map of frame 0x3000, cached as zeros
    mmu.phys.write32(0x0300_0000, 0xfeedf00d);
    expect(bus.read32(0xc300_0000, false)).toBe(0xfeedf00d);
    bus.write32(0xc300_0004, 7, false);
    expect(mmu.phys.read32(0x0300_0004)).toBe(7);
  });

  it('gives each CPU its own TLB and CR3', () => {
    const { mmu, mm } = setup({ cpus: 2 });
    const other = mmu.bus(1);
    expect(mmu.tlb(1).cr3).toBe(mmu.swapperPgDir);
    expect(faultOf(() => other.read32(0x0804_8000, true))?.errorCode).toBe(0x4);
    other.loadPageTableBase(mm.pgd);
    mmu.bus(0).write32(0x0804_8000, 9, true);
    expect(other.read32(0x0804_8000, true)).toBe(9);
    expect(() => mmu.bus(2)).toThrow(/CPU 2 does not exist/);
  });
});
