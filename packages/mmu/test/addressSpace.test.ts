import { createMmu, MmuError, PAGE_OFFSET, parseProtection, STACK_GUARD_GAP } from '@ossim/mmu';
import { describe, expect, it } from 'vitest';
import { faultOf, withFaults } from './helpers.ts';

const RW = parseProtection('rw-u');
const MiB = 1024 * 1024;

function setup() {
  const mmu = createMmu({ memorySize: 64 * MiB });
  const mm = mmu.createAddressSpace();
  const bus = mmu.bus(0);
  bus.loadPageTableBase(mm.pgd);
  return { mmu, mm, bus };
}
const pteOf = (mmu: ReturnType<typeof setup>['mmu'], pgd: number, va: number): number => mmu.walk(pgd, va).pte as number;

describe('address spaces', () => {
  it('share the kernel half: PDEs 768-1023 equal swapper_pg_dir', () => {
    const { mmu, mm } = setup();
    const other = mmu.createAddressSpace();
    for (let i = 768; i < 1024; i++) {
      const kernel = mmu.phys.read32(mmu.swapperPgDir + i * 4);
      expect(mmu.phys.read32(mm.pgd + i * 4)).toBe(kernel);
      expect(mmu.phys.read32(other.pgd + i * 4)).toBe(kernel);
    }
    expect(mmu.phys.read32(mm.pgd)).toBe(0);
  });

  it('maps the zero page on a read and a fresh zeroed page on a write (demand paging)', () => {
    const { mmu, mm, bus } = setup();
    mm.mmap({ start: 0x0804_8000, length: 2 * 4096, prot: RW });
    const read = withFaults(mm, () => bus.read32(0x0804_8010, true));
    expect(read.value).toBe(0);
    expect(read.faults).toEqual([{ resolved: true, how: 'zero-page', pfn: mmu.layout.zeroPage / 4096, stackGrew: false }]);
    expect(pteOf(mmu, mm.pgd, 0x0804_8000)).toBe((mmu.layout.zeroPage | 0x025) >>> 0); // P|US + A from the access
    expect(mm.rss).toBe(0);
    const write = withFaults(mm, () => bus.write32(0x0804_8010, 7, true));
    expect(write.faults.map((f) => (f.resolved ? f.how : f.reason))).toEqual(['demand-zero']);
    const pfn = write.faults[0]?.resolved ? write.faults[0].pfn : -1;
    expect(pteOf(mmu, mm.pgd, 0x0804_8000)).toBe((pfn * 4096 + 0x067) >>> 0); // P|RW|US|D set by the handler, A by the access
    expect(bus.read32(0x0804_8010, true)).toBe(7);
    expect(mm.rss).toBe(1);
  });

  it('refuses faults outside any region and accesses the region does not allow', () => {
    const { mm, bus } = setup();
    mm.mmap({ start: 0x0804_8000, length: 4096, prot: parseProtection('r--u') });
    mm.mmap({ start: 0x0805_0000, length: 4096, prot: parseProtection('rw-k') });
    const reason = (access: () => unknown) => withFaults(mm, access).faults.at(-1);
    expect(reason(() => bus.read32(0x0900_0000, true))).toEqual({ resolved: false, reason: 'segv' });
    expect(reason(() => bus.write32(0x0804_8000, 1, true))).toEqual({ resolved: false, reason: 'protection' });
    expect(reason(() => bus.read32(0x0805_0000, true))).toEqual({ resolved: false, reason: 'protection' });
    expect(withFaults(mm, () => bus.write32(0x0805_0000, 3, false)).faults).toMatchObject([{ resolved: true, how: 'demand-zero' }]); // kernel may
    expect(bus.read32(0x0805_0000, false)).toBe(3);
    expect(faultOf(() => bus.read32(0x0805_0000, true))?.errorCode).toBe(0x5); // present, read, user
    expect(reason(() => bus.read32(0xc000_0000, true))).toEqual({ resolved: false, reason: 'segv' });
  });

  it('validates mmap requests with typed errors', () => {
    const { mm } = setup();
    mm.mmap({ start: 0x0804_8000, length: 8192, prot: RW });
    const code = (fn: () => unknown) => {
      try {
        fn();
        return 'no error';
      } catch (error) {
        return error instanceof MmuError ? error.code : 'other';
      }
    };
    expect(code(() => mm.mmap({ start: 0x0804_9000, length: 4096, prot: RW }))).toBe('overlap');
    expect(code(() => mm.mmap({ start: 0x0804_a001, length: 4096, prot: RW }))).toBe('misaligned');
    expect(code(() => mm.mmap({ start: 0x0820_0000, length: 4096, prot: RW, pageSize: 4194304 }))).toBe('misaligned');
    expect(code(() => mm.mmap({ start: 0xbfff_f000, length: 8192, prot: RW }))).toBe('bad-address');
    expect(code(() => mm.mmap({ start: 0x1000, length: 4096, prot: RW }))).toBe('bad-address');
    expect(code(() => mm.mmap({ start: 0x1000_0000, length: 4096, prot: RW, paddr: 64 * MiB }))).toBe('physical-range');
  });

  it('copies on write after fork: shared read-only frames, a copy for the first writer, reuse for the last', () => {
    const { mmu, mm: parent, bus } = setup();
    parent.mmap({ start: 0x0804_8000, length: 4096, prot: RW, populate: true });
    bus.write32(0x0804_8000, 0xaaaa, true);
    const frame = mmu.walk(parent.pgd, 0x0804_8000).paddr as number;
    const before = pteOf(mmu, parent.pgd, 0x0804_8000);
    expect(before & 0x2).toBe(0x2);
    const child = parent.fork();
    if (child === null) throw new Error('fork failed');
    // Both write-protected, same frame, two references; the child's copy is old (A clear).
    expect(pteOf(mmu, parent.pgd, 0x0804_8000)).toBe((before & ~0x2) >>> 0);
    expect(pteOf(mmu, child.pgd, 0x0804_8000)).toBe((before & ~0x22) >>> 0);
    expect(mmu.pageRefcount(frame / 4096)).toBe(2);
    // The parent's TLB entry was writable: fork must have shot it down.
    expect(faultOf(() => bus.write32(0x0804_8000, 1, true))?.errorCode).toBe(0x7);

    bus.loadPageTableBase(child.pgd);
    expect(bus.read32(0x0804_8000, true)).toBe(0xaaaa);
    const childWrite = withFaults(child, () => bus.write32(0x0804_8000, 0xbbbb, true));
    expect(childWrite.faults).toMatchObject([{ resolved: true, how: 'cow-copy' }]);
    const childFrame = mmu.walk(child.pgd, 0x0804_8000).paddr as number;
    expect(childFrame).not.toBe(frame);
    expect(mmu.pageRefcount(frame / 4096)).toBe(1);
    expect(bus.read32(0x0804_8000, true)).toBe(0xbbbb);

    bus.loadPageTableBase(parent.pgd);
    expect(bus.read32(0x0804_8000, true)).toBe(0xaaaa);
    const parentWrite = withFaults(parent, () => bus.write32(0x0804_8000, 0xcccc, true));
    expect(parentWrite.faults).toMatchObject([{ resolved: true, how: 'cow-reuse', pfn: frame / 4096 }]);
    expect(mmu.walk(parent.pgd, 0x0804_8000).paddr).toBe(frame);
    expect(mmu.phys.read32(childFrame)).toBe(0xbbbb);
  });

  it('copies 4 MiB pages on write too', () => {
    const { mmu, mm, bus } = setup();
    mm.mmap({ start: 0x0840_0000, length: 4 * MiB, prot: RW, pageSize: 4194304 });
    withFaults(mm, () => bus.write32(0x0850_0000, 0x1234, true));
    const pde = mmu.phys.read32(mm.pgd + 0x21 * 4);
    expect(pde & 0xfff).toBe(0x0e7); // P|RW|US|A|D|PS
    const child = mm.fork();
    if (child === null) throw new Error('fork failed');
    bus.loadPageTableBase(child.pgd);
    const result = withFaults(child, () => bus.write32(0x0850_0000, 0x5678, true));
    expect(result.faults).toMatchObject([{ resolved: true, how: 'cow-copy' }]);
    expect(mmu.walk(child.pgd, 0x0850_0000).paddr).not.toBe(mmu.walk(mm.pgd, 0x0850_0000).paddr);
    bus.loadPageTableBase(mm.pgd);
    expect(bus.read32(0x0850_0000, true)).toBe(0x1234);
  });

  it('grows the stack down on faults below it, up to RLIMIT_STACK', () => {
    const { mm, bus } = setup();
    const stack = mm.setupStack({ size: 8192 });
    expect([stack.start, stack.end, stack.growsDown]).toEqual([PAGE_OFFSET - 8192, PAGE_OFFSET, true]);
    const grow = withFaults(mm, () => bus.write32(PAGE_OFFSET - 5 * 4096, 1, true));
    expect(grow.faults).toMatchObject([{ resolved: true, how: 'demand-zero', stackGrew: true }]);
    expect(mm.findVma(PAGE_OFFSET - 5 * 4096)?.start).toBe(PAGE_OFFSET - 5 * 4096);
    mm.setRlimitStack(64 * 1024);
    expect(withFaults(mm, () => bus.write32(PAGE_OFFSET - 16 * 4096, 1, true)).faults).toMatchObject([{ resolved: true, stackGrew: true }]);
    expect(withFaults(mm, () => bus.write32(PAGE_OFFSET - 17 * 4096, 1, true)).faults).toEqual([
      { resolved: false, reason: 'stack-limit' },
    ]);
    expect(mm.findVma(PAGE_OFFSET - 16 * 4096)?.start).toBe(PAGE_OFFSET - 16 * 4096);
  });

  it('refuses to grow the stack into the guard gap above another mapping', () => {
    const { mm, bus } = setup();
    mm.setupStack({ size: 4096 });
    const below = 0xbfe0_0000; // 2 MiB below the top
    mm.mmap({ start: below - 4096, length: 4096, prot: RW });
    // Growing to `below + gap` leaves exactly the gap: allowed; one page lower is inside it: refused.
    const lowestAllowed = below + STACK_GUARD_GAP;
    expect(withFaults(mm, () => bus.read32(lowestAllowed, true)).faults.at(-1)).toMatchObject({ resolved: true, stackGrew: true });
    expect(withFaults(mm, () => bus.read32(lowestAllowed - 4096, true)).faults).toEqual([{ resolved: false, reason: 'guard-gap' }]);
    expect(mm.findVma(lowestAllowed - 4096)).toBeNull();
    // A PROT_NONE mapping below does not count (vma_is_accessible).
    const { mm: other, bus: otherBus, mmu } = setup();
    other.setupStack({ size: 4096 });
    other.mmap({ start: below - 4096, length: 4096, prot: parseProtection('---u') });
    otherBus.loadPageTableBase(other.pgd);
    expect(withFaults(other, () => otherBus.read32(below, true)).faults.at(-1)).toMatchObject({ resolved: true, stackGrew: true });
    expect(other.findVma(below)?.start).toBe(below);
    expect(mmu.buddy.nrFreePages).toBeGreaterThan(0);
  });

  it('munmap frees the pages and the emptied page table', () => {
    const { mmu, mm, bus } = setup();
    const free0 = mmu.buddy.nrFreePages;
    mm.mmap({ start: 0x0804_8000, length: 3 * 4096, prot: RW, populate: true });
    expect(mmu.buddy.nrFreePages).toBe(free0 - 4); // 3 pages + 1 page table
    bus.read32(0x0804_9000, true);
    mm.munmap(0x0804_9000, 4096);
    expect(mm.vmas().map((v) => [v.start, v.end])).toEqual([
      [0x0804_8000, 0x0804_9000],
      [0x0804_a000, 0x0804_b000],
    ]);
    expect(faultOf(() => bus.read32(0x0804_9000, true))?.errorCode).toBe(0x4); // the TLB entry was shot down
    expect(mmu.buddy.nrFreePages).toBe(free0 - 3);
    mm.munmap(0x0800_0000, 4 * MiB);
    expect(mmu.buddy.nrFreePages).toBe(free0);
    expect(mmu.phys.read32(mm.pgd + 0x20 * 4)).toBe(0);
  });

  it('destroy frees every user page, page table and the page directory', () => {
    const { mmu, mm, bus } = setup();
    const free0 = mmu.buddy.nrFreePages + 1; // + the pgd
    mm.mmap({ start: 0x0804_8000, length: 3 * 4096, prot: RW, populate: true });
    mm.setupStack({ size: 8192 });
    withFaults(mm, () => bus.write32(PAGE_OFFSET - 4, 1, true));
    const child = mm.fork();
    if (child === null) throw new Error('fork failed');
    expect(() => mm.destroy()).toThrow(/loaded in CR3 of CPU 0/);
    bus.loadPageTableBase(mmu.swapperPgDir);
    child.destroy();
    mm.destroy();
    expect(mmu.buddy.nrFreePages).toBe(free0);
    expect(mm.destroyed).toBe(true);
    expect(() => mm.handleFault(0x0804_8000, 0)).toThrow(/destroyed/);
  });

  it('fork returns null and leaks nothing when frames run out', () => {
    const mmu = createMmu({ memorySize: 4 * MiB });
    const mm = mmu.createAddressSpace();
    // Two regions 4 MiB apart need two page tables in the child.
    mm.mmap({ start: 0x0800_0000, length: 4096, prot: RW, populate: true });
    mm.mmap({ start: 0x0840_0000, length: 4096, prot: RW, populate: true });
    const hog: number[] = [];
    for (let pfn = mmu.allocPages(0); pfn !== null; pfn = mmu.allocPages(0)) hog.push(pfn);
    mmu.freePages(hog.pop() as number, 0);
    mmu.freePages(hog.pop() as number, 0); // room for the child's pgd and one page table only
    const frame = (mmu.walk(mm.pgd, 0x0800_0000).paddr as number) / 4096;
    expect(mm.fork()).toBeNull();
    expect(mmu.buddy.nrFreePages).toBe(2);
    expect(mmu.pageRefcount(frame)).toBe(1);
  });
});
