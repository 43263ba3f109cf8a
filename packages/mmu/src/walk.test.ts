import { describe, expect, it } from 'vitest';
import { createMmu } from './mmu.ts';

// Hand-built tables at fixed physical addresses: page directory at 0x00200000, one page table at 0x00201000.
// Every PDE/PTE value below is worked out by hand from the bit layout: P 0x1, RW 0x2, US 0x4, A 0x20, D 0x40, PS 0x80, G 0x100.
const PGD = 0x0020_0000;
function machine() {
  const mmu = createMmu({ memorySize: 64 * 1024 * 1024 });
  const { phys } = mmu;
  phys.write32(PGD + 0x20 * 4, 0x0020_1007); // PDE 0x020 (0x08000000-0x083fffff): table 0x00201000, P|RW|US
  phys.write32(PGD + 0x21 * 4, 0x0080_0087); // PDE 0x021 (0x08400000): 4 MiB page at 0x00800000, P|RW|US|PS
  phys.write32(PGD + 0x22 * 4, 0x00c0_0081); // PDE 0x022 (0x08800000): 4 MiB page at 0x00c00000, P|PS, kernel read-only
  phys.write32(PGD + 0x23 * 4, 0x0020_1005); // PDE 0x023 (0x08c00000): the same table, but P|US without RW
  phys.write32(0x0020_1000 + 0x48 * 4, 0x0040_0005); // PTE 0x048 (0x08048000): frame 0x400, P|US (read-only)
  phys.write32(0x0020_1000 + 0x49 * 4, 0x0040_1007); // PTE 0x049 (0x08049000): frame 0x401, P|RW|US
  phys.write32(0x0020_1000 + 0x4a * 4, 0x0040_2003); // PTE 0x04a (0x0804a000): frame 0x402, P|RW (kernel only)
  return mmu;
}

describe('two-level page walk against hand-worked PDE/PTE values', () => {
  it('translates a user read of a 4 KiB page and sets A in the PDE and the PTE', () => {
    const mmu = machine();
    const walk = mmu.walk(PGD, 0x0804_8123, { user: true }, { update: true });
    expect(walk).toMatchObject({
      pdeIndex: 0x20,
      pdeAddress: 0x0020_0080,
      pde: 0x0020_1007,
      pdeAfter: 0x0020_1027,
      pteIndex: 0x48,
      pteAddress: 0x0020_1120,
      pte: 0x0040_0005,
      pteAfter: 0x0040_0025,
      pageSize: 4096,
      paddr: 0x0040_0123,
      writable: false,
      userAccessible: true,
      fault: null,
    });
    expect(mmu.phys.read32(0x0020_0080)).toBe(0x0020_1027);
    expect(mmu.phys.read32(0x0020_1120)).toBe(0x0040_0025);
  });

  it('sets D on a write, and leaves memory alone without update', () => {
    const mmu = machine();
    const dry = mmu.walk(PGD, 0x0804_9ffc, { write: true, user: true });
    expect(dry).toMatchObject({ paddr: 0x0040_1ffc, pteAfter: 0x0040_1067, pdeAfter: 0x0020_1027 });
    expect(mmu.phys.read32(0x0020_1124)).toBe(0x0040_1007);
    mmu.walk(PGD, 0x0804_9ffc, { write: true, user: true }, { update: true });
    expect(mmu.phys.read32(0x0020_1124)).toBe(0x0040_1067);
  });

  it('faults with the x86 error codes', () => {
    const mmu = machine();
    const fault = (vaddr: number, write: boolean, user: boolean) => mmu.walk(PGD, vaddr, { write, user }).fault;
    expect(fault(0x0804_8123, true, true)).toEqual({ errorCode: 0x7, level: 'pte', reason: 'read-only' }); // P|W|U
    expect(fault(0x0804_8123, true, false)).toEqual({ errorCode: 0x3, level: 'pte', reason: 'read-only' }); // CR0.WP: kernel too
    expect(fault(0x0804_a000, false, true)).toEqual({ errorCode: 0x5, level: 'pte', reason: 'supervisor-only' });
    expect(fault(0x0804_a000, true, false)).toBeNull();
    expect(fault(0x0804_b000, false, true)).toEqual({ errorCode: 0x4, level: 'pte', reason: 'not-present' });
    expect(fault(0x0900_0000, true, true)).toEqual({ errorCode: 0x6, level: 'pde', reason: 'not-present' });
    expect(fault(0x0900_0000, false, false)).toEqual({ errorCode: 0x0, level: 'pde', reason: 'not-present' });
    // PDE without RW makes the whole 4 MiB read-only even where the PTE has RW (0x08c49000 uses PTE 0x049).
    expect(fault(0x08c4_9000, true, true)).toEqual({ errorCode: 0x7, level: 'pde', reason: 'read-only' });
    expect(mmu.walk(PGD, 0x08c4_9000, { user: true }).paddr).toBe(0x0040_1000);
  });

  it('translates 4 MiB pages through PS directory entries', () => {
    const mmu = machine();
    const walk = mmu.walk(PGD, 0x0851_2345, { write: true, user: true }, { update: true });
    expect(walk).toMatchObject({ pdeIndex: 0x21, pde: 0x0080_0087, pdeAfter: 0x0080_00e7, pteIndex: null, pte: null, pageSize: 0x40_0000 });
    expect(walk.paddr).toBe(0x0091_2345);
    expect(mmu.walk(PGD, 0x0881_2345, { user: true }).fault).toEqual({ errorCode: 0x5, level: 'pde', reason: 'supervisor-only' });
    expect(mmu.walk(PGD, 0x0881_2345, {}).paddr).toBe(0x00c1_2345); // offset 0x012345 in the 4 MiB page
  });

  it('boots swapper_pg_dir with a global 4 MiB direct map and shared kernel page tables', () => {
    const mmu = machine();
    const swapper = mmu.swapperPgDir;
    expect(swapper).toBe(0x0010_0000);
    // 64 MiB: PDEs 0x300-0x30f direct-map 0-64 MiB with P|RW|A|D|PS|G = 0x1e3.
    expect(mmu.phys.read32(swapper + 0x300 * 4)).toBe(0x0000_01e3);
    expect(mmu.phys.read32(swapper + 0x30f * 4)).toBe(0x03c0_01e3);
    // PDE 0x310 onward: page tables in the frames after swapper_pg_dir, P|RW|A|D = 0x063.
    expect(mmu.phys.read32(swapper + 0x310 * 4)).toBe(0x0010_1063);
    expect(mmu.phys.read32(swapper + 0x3ff * 4)).toBe(0x001f_0063);
    const walk = mmu.walk(swapper, 0xc012_3456, {});
    expect(walk).toMatchObject({ pdeIndex: 0x300, pdeAddress: 0x0010_0c00, pde: 0x1e3, paddr: 0x0012_3456, global: true });
    expect(mmu.walk(swapper, 0xc012_3456, { user: true }).fault?.errorCode).toBe(0x5);
    // Every kernel PDE is present: past the direct map, faults come from the (empty) shared page tables.
    expect(mmu.walk(swapper, 0xc400_0000, {}).fault).toEqual({ errorCode: 0, level: 'pte', reason: 'not-present' });
    expect(mmu.walk(swapper, 0x0800_0000, {}).fault).toEqual({ errorCode: 0, level: 'pde', reason: 'not-present' });
  });
});
