import { createMmu, MmuError, PAGE_KERNEL } from '@ossim/mmu';
import { describe, expect, it } from 'vitest';
import { faultOf } from './helpers.ts';

const MiB = 1024 * 1024;

describe('kernel memory: direct map and vmalloc', () => {
  it('lays out the direct map, the 8 MiB hole and the vmalloc area', () => {
    expect(createMmu({ memorySize: 64 * MiB }).layout).toMatchObject({
      lowmemSize: 64 * MiB,
      highMemory: 0xc400_0000,
      vmallocStart: 0xc480_0000,
      vmallocEnd: 0xff80_0000,
      swapperPgDir: 0x0010_0000,
    });
    // 1 GiB: only 896 MiB is lowmem, the rest is highmem (not direct-mapped).
    const big = createMmu({ memorySize: 1024 * MiB });
    expect(big.layout).toMatchObject({ lowmemSize: 896 * MiB, highMemory: 0xf800_0000, vmallocStart: 0xf880_0000 });
    expect(big.physToVirt(0x0012_3000)).toBe(0xc012_3000);
    expect(big.virtToPhys(0xc012_3000)).toBe(0x0012_3000);
    expect(() => big.physToVirt(900 * MiB)).toThrow(MmuError);
    expect(() => big.virtToPhys(0xf880_0000)).toThrow(/not a direct-map address/);
  });

  it('maps vmalloc pages with unmapped guard pages on both sides', () => {
    const mmu = createMmu({ memorySize: 64 * MiB });
    const bus = mmu.bus(0);
    const first = mmu.vmalloc(2, { guardPages: 1 }) as number;
    const second = mmu.vmalloc(4, { guardPages: 1, align: 16384, zero: true }) as number;
    expect(first).toBe(0xc480_1000);
    expect(second % 16384).toBe(0);
    expect(second).toBe(0xc480_8000); // first area ends (with its guard) at 0xc4804000; + 1 guard page, aligned up
    const pte = mmu.walk(mmu.swapperPgDir, first).pte as number;
    expect(pte & 0xfff).toBe(PAGE_KERNEL); // P|RW|A|D|G
    bus.write32(first + 8188, 0x5a5a5a5a, false);
    expect(bus.read32(first + 8188, false)).toBe(0x5a5a5a5a);
    // A run off either end hits a guard page.
    expect(faultOf(() => bus.write32(first - 4, 1, false))).toEqual({ kind: 'page-fault', address: first - 4, errorCode: 0x2 });
    expect(faultOf(() => bus.read32(first + 8192, false))?.errorCode).toBe(0x0);
    expect(mmu.handleFault(null, first - 4, 0x2)).toEqual({ resolved: false, reason: 'vmalloc-guard' });
    expect(mmu.handleFault(null, 0xf000_0000, 0x0)).toEqual({ resolved: false, reason: 'kernel-address' });
    expect(mmu.handleFault(null, 0x0804_8000, 0x0)).toEqual({ resolved: false, reason: 'no-mm' });
    expect(faultOf(() => bus.read32(first, true))?.errorCode).toBe(0x5);
    expect(mmu.findVmallocArea(first - 1)).toMatchObject({ address: first, pages: 2, guardPages: 1 });
  });

  it('shows a kernel mapping made after an address space was created to that address space too', () => {
    const mmu = createMmu({ memorySize: 64 * MiB, cpus: 2 });
    const a = mmu.createAddressSpace();
    const b = mmu.createAddressSpace();
    const va = mmu.vmalloc(1) as number;
    mmu.bus(0).loadPageTableBase(a.pgd);
    mmu.bus(1).loadPageTableBase(b.pgd);
    mmu.bus(0).write32(va, 0xcafe, false);
    expect(mmu.bus(1).read32(va, false)).toBe(0xcafe);
  });

  it('vfree unmaps on every CPU and frees the frames; reuses the range', () => {
    const mmu = createMmu({ memorySize: 64 * MiB, cpus: 2 });
    const free0 = mmu.buddy.nrFreePages;
    const va = mmu.vmalloc(3) as number;
    expect(mmu.buddy.nrFreePages).toBe(free0 - 3);
    mmu.bus(0).read32(va, false);
    mmu.bus(1).read32(va, false);
    mmu.vfree(va);
    expect(mmu.buddy.nrFreePages).toBe(free0);
    expect(faultOf(() => mmu.bus(0).read32(va, false))?.errorCode).toBe(0);
    expect(faultOf(() => mmu.bus(1).read32(va, false))?.errorCode).toBe(0);
    expect(() => mmu.vfree(va)).toThrow(/no vmalloc area starts there/);
    expect(mmu.vmalloc(3)).toBe(va);
  });

  it('returns null when out of frames, freeing what it took', () => {
    const mmu = createMmu({ memorySize: 4 * MiB });
    const free0 = mmu.buddy.nrFreePages;
    expect(mmu.vmalloc(free0 + 1)).toBeNull();
    expect(mmu.buddy.nrFreePages).toBe(free0);
  });
});

describe('lazy backing', () => {
  it('a 1 GiB machine touching a few pages allocates storage for only those', () => {
    const mmu = createMmu({ memorySize: 1024 * MiB });
    const bootBacked = mmu.phys.backedFrames;
    expect(bootBacked).toBe(1); // swapper_pg_dir; the kernel page tables are still all zeros
    const mm = mmu.createAddressSpace();
    mm.mmap({ start: 0x0800_0000, length: 256 * MiB, prot: { read: true, write: true, exec: false, user: true } });
    const bus = mmu.bus(0);
    bus.loadPageTableBase(mm.pgd);
    for (const va of [0x0800_0000, 0x0900_0000, 0x0a00_0000]) {
      try {
        bus.write32(va, va, true);
      } catch {
        mm.handleFault(va, 0x6);
        bus.write32(va, va, true);
      }
    }
    // + the pgd, 3 page tables (one per 4 MiB touched), 3 data pages.
    expect(mmu.phys.backedFrames).toBe(bootBacked + 1 + 3 + 3);
    for (let i = 0; i < 64; i++) bus.read32(0xc000_0000 + i * 4 * MiB * 3, false); // reads through the direct map allocate nothing
    expect(mmu.phys.backedFrames).toBe(bootBacked + 7);
  });
});
