import type { AddressSpace, AddressSpaceState, MmapOptions, PageSize, StackOptions, Vma } from '../addressSpace.ts';
import {
  _PAGE_ACCESSED,
  _PAGE_DIRTY,
  _PAGE_PRESENT,
  _PAGE_PSE,
  _PAGE_RW,
  _PAGE_TABLE,
  _PAGE_USER,
  _STK_LIM,
  KERNEL_PGD_BOUNDARY,
  MAX_PAGE_ORDER,
  MMAP_MIN_ADDR,
  PAGE_MASK,
  PAGE_OFFSET,
  PAGE_SIZE,
  PGDIR_SHIFT,
  PGDIR_SIZE,
  PTRS_PER_PGD,
  STACK_GUARD_GAP,
  STACK_INITIAL_SIZE,
  STACK_TOP,
  X86_PF_USER,
  X86_PF_WRITE,
} from '../constants.ts';
import { hex32, MmuError } from '../errors.ts';
import type { FaultRefusal, FaultResolution, FaultResult } from '../fault.ts';
import type { Protection } from '../protection.ts';
import type { MmuContext } from './context.ts';

const RW_USER: Protection = { read: true, write: true, exec: false, user: true };

/** What a fault needs done to one page. */
interface Leaf {
  /** Physical address of the entry (PTE, or PDE for a 4 MiB page); -1 when there is no page table. */
  readonly entryAddress: number;
  readonly entry: number;
}

const orderOf = (pageSize: PageSize): number => (pageSize === PGDIR_SIZE ? MAX_PAGE_ORDER : 0);
const pagesOf = (pageSize: PageSize): number => pageSize / PAGE_SIZE;

/** The simulated `mm_struct`. */
export class Mm implements AddressSpace {
  readonly id: number;
  readonly pgd: number;
  destroyed = false;
  rss = 0;
  rlimitStack = _STK_LIM;
  private regions: Vma[] = [];
  private readonly ctx: MmuContext;

  /** A new address space with the next id (or `id`, when a checkpoint recreates one), registered with the MMU. */
  constructor(ctx: MmuContext, pgd: number, id?: number) {
    this.ctx = ctx;
    this.id = id ?? ctx.nextMmId++;
    this.pgd = pgd;
    ctx.spaces.set(this.id, this);
  }

  /** A checkpoint of the bookkeeping (the page tables are in the frames). */
  save(): AddressSpaceState {
    return { id: this.id, pgd: this.pgd, rss: this.rss, rlimitStack: this.rlimitStack, vmas: this.regions.map(copyVma) };
  }

  /** Puts back what {@link save} captured (of this id and pgd). */
  load(state: AddressSpaceState): void {
    this.destroyed = false;
    this.rss = state.rss;
    this.rlimitStack = state.rlimitStack;
    this.regions = state.vmas.map(copyVma);
  }

  setRlimitStack(bytes: number): void {
    if (!Number.isSafeInteger(bytes) || bytes < 0) throw new MmuError('bad-option', `RLIMIT_STACK ${bytes} must be a non-negative integer`);
    this.rlimitStack = bytes;
  }

  vmas(): Vma[] {
    return [...this.regions];
  }

  findVma(vaddr: number): Vma | null {
    const va = vaddr >>> 0;
    const vma = this.regions[this.firstEndingAfter(va)];
    return vma !== undefined && vma.start <= va ? vma : null;
  }

  mmap(options: MmapOptions): Vma {
    this.checkLive();
    const pageSize = options.pageSize ?? PAGE_SIZE;
    const { start, length, prot } = options;
    if (pageSize !== PAGE_SIZE && pageSize !== PGDIR_SIZE)
      throw new MmuError('bad-option', `page size ${pageSize} must be 4096 or 4194304`);
    const what = `mapping at ${hex32(start)} (+${length})`;
    if (!Number.isSafeInteger(start) || !Number.isSafeInteger(length) || length <= 0) {
      throw new MmuError('bad-address', `${what}: start and length must be integers, length positive`);
    }
    if (start % pageSize !== 0 || length % pageSize !== 0) {
      throw new MmuError('misaligned', `${what}: start and length must be multiples of the page size ${pageSize}`);
    }
    if (start < MMAP_MIN_ADDR) throw new MmuError('bad-address', `${what}: starts below mmap_min_addr ${hex32(MMAP_MIN_ADDR)}`);
    if (start + length > PAGE_OFFSET)
      throw new MmuError('bad-address', `${what}: reaches past the user half (PAGE_OFFSET ${hex32(PAGE_OFFSET)})`);
    const clash = this.regions.find((v) => v.start < start + length && start < v.end);
    if (clash !== undefined) {
      throw new MmuError('overlap', `${what}: overlaps the region ${hex32(clash.start)}-${hex32(clash.end)}`);
    }
    let paddr: number | null = null;
    if (options.paddr !== undefined) {
      paddr = options.paddr;
      if (!Number.isSafeInteger(paddr) || paddr < 0 || paddr % pageSize !== 0) {
        throw new MmuError('misaligned', `${what}: physical address ${hex32(paddr)} must be aligned to the page size ${pageSize}`);
      }
      if (paddr + length > this.ctx.phys.size) {
        throw new MmuError(
          'physical-range',
          `${what}: physical ${hex32(paddr)}-${hex32(paddr + length)} is past the end of memory (${this.ctx.phys.size} bytes)`,
        );
      }
    }
    const vma: Vma = {
      start,
      end: start + length,
      prot: { read: prot.read, write: prot.write, exec: prot.exec, user: prot.user },
      pageSize,
      kind: paddr === null ? 'anon' : 'pfnmap',
      paddr,
      growsDown: options.growsDown === true,
    };
    this.insert(vma);
    if (options.populate === true && (prot.read || prot.write)) {
      // MAP_POPULATE faults every page in, as a write when the region is writable.
      const errorCode = (prot.write ? X86_PF_WRITE : 0) | (prot.user ? X86_PF_USER : 0);
      for (let va = start; va < start + length; va += pageSize) {
        if (!this.handleFault(va, errorCode).resolved) break;
      }
    }
    return vma;
  }

  munmap(start: number, length: number): void {
    this.checkLive();
    if (
      !Number.isSafeInteger(start) ||
      !Number.isSafeInteger(length) ||
      length <= 0 ||
      start % PAGE_SIZE !== 0 ||
      length % PAGE_SIZE !== 0
    ) {
      throw new MmuError('misaligned', `munmap ${hex32(start)} (+${length}): start and length must be page-aligned, length positive`);
    }
    const end = start + length;
    if (end > PAGE_OFFSET) throw new MmuError('bad-address', `munmap ${hex32(start)} (+${length}): reaches into the kernel half`);
    const kept: Vma[] = [];
    for (const vma of this.regions) {
      if (vma.end <= start || vma.start >= end) {
        kept.push(vma);
        continue;
      }
      const a = Math.max(vma.start, start);
      const b = Math.min(vma.end, end);
      if (a % vma.pageSize !== 0 || b % vma.pageSize !== 0) {
        throw new MmuError(
          'misaligned',
          `munmap ${hex32(start)} (+${length}): splits a 4 MiB page of the region ${hex32(vma.start)}-${hex32(vma.end)}`,
        );
      }
    }
    for (const vma of this.regions) {
      if (vma.end <= start || vma.start >= end) continue;
      const a = Math.max(vma.start, start);
      const b = Math.min(vma.end, end);
      this.unmapRange(vma, a, b);
      if (vma.start < a) kept.push({ ...vma, end: a });
      if (b < vma.end) kept.push({ ...vma, start: b, paddr: vma.paddr === null ? null : vma.paddr + (b - vma.start) });
    }
    this.regions = kept.sort((x, y) => x.start - y.start);
    // free_pgtables: drop page tables no region reaches any more.
    for (let pdi = start >>> PGDIR_SHIFT; pdi <= (end - 1) >>> PGDIR_SHIFT; pdi++) {
      const lo = pdi * PGDIR_SIZE;
      if (this.regions.some((v) => v.start < lo + PGDIR_SIZE && lo < v.end)) continue;
      const pdeAddress = this.pgd + pdi * 4;
      const pde = this.ctx.phys.read32(pdeAddress);
      if ((pde & _PAGE_PRESENT) !== 0 && (pde & _PAGE_PSE) === 0) {
        this.ctx.phys.write32(pdeAddress, 0);
        this.ctx.buddy.freePages(pde >>> 12, 0);
      }
    }
    this.ctx.shootdown(this.pgd, start, end);
  }

  setupStack(options: StackOptions = {}): Vma {
    const top = options.top ?? STACK_TOP;
    const size = options.size ?? STACK_INITIAL_SIZE;
    if (size > this.rlimitStack)
      throw new MmuError('bad-option', `stack of ${size} bytes exceeds RLIMIT_STACK (${this.rlimitStack} bytes)`);
    return this.mmap({ start: top - size, length: size, prot: RW_USER, growsDown: true });
  }

  handleFault(vaddr: number, errorCode: number): FaultResult {
    this.checkLive();
    const va = vaddr >>> 0;
    if (va >= PAGE_OFFSET) {
      if ((errorCode & X86_PF_USER) !== 0) return this.report(va, errorCode, { resolved: false, reason: 'segv' });
      return this.ctx.kernelFault(this.id, va, errorCode);
    }
    let vma = this.findVma(va);
    let stackGrew = false;
    if (vma === null) {
      const index = this.firstEndingAfter(va);
      const above = this.regions[index];
      if (above === undefined || !above.growsDown) return this.report(va, errorCode, { resolved: false, reason: 'segv' });
      const refusal = this.expandStack(index, va);
      if (refusal !== null) return this.report(va, errorCode, { resolved: false, reason: refusal });
      vma = this.regions[index] as Vma;
      stackGrew = true;
    }
    const write = (errorCode & X86_PF_WRITE) !== 0;
    const user = (errorCode & X86_PF_USER) !== 0;
    // access_error(): the region must allow the access.
    if ((write && !vma.prot.write) || (!write && !vma.prot.read && !vma.prot.write) || (user && !vma.prot.user)) {
      return this.report(va, errorCode, { resolved: false, reason: 'protection' });
    }
    const page = va - (va % vma.pageSize);
    const outcome = this.resolve(vma, page, write, user);
    if (typeof outcome === 'string') return this.report(va, errorCode, { resolved: false, reason: outcome });
    return this.report(va, errorCode, { resolved: true, how: outcome.how, pfn: outcome.pfn + ((va % vma.pageSize) >>> 12), stackGrew });
  }

  fork(): AddressSpace | null {
    this.checkLive();
    const { phys } = this.ctx;
    const pgd = this.ctx.allocZeroed(0);
    if (pgd === null) return null;
    const child = new Mm(this.ctx, pgd * PAGE_SIZE);
    copyKernelHalf(this.ctx, child.pgd);
    child.rlimitStack = this.rlimitStack;
    child.regions = this.regions.map((v) => ({ ...v }));
    this.ctx.log?.emit('mmu.mm_create', { mm: child.id, pgd: child.pgd, parent: this.id });
    for (const vma of this.regions) {
      let failed = false;
      this.forEachLeaf(vma.start, vma.end, (va, entryAddress, entry) => {
        if (failed) return;
        const pfn = entry >>> 12;
        let parentEntry = entry;
        if (vma.kind === 'anon' && vma.prot.write && (entry & _PAGE_RW) !== 0) {
          // copy_present_pte(): a private writable page becomes copy-on-write in both.
          parentEntry = (entry & ~_PAGE_RW) >>> 0;
          phys.write32(entryAddress, parentEntry);
          this.emitMap(va, pfn, parentEntry, vma.pageSize);
        }
        // The child's copy starts old (pte_mkold).
        const childEntry = (parentEntry & ~_PAGE_ACCESSED) >>> 0;
        if (!child.setEntry(vma, va, childEntry)) {
          failed = true;
          return;
        }
        child.emitMap(va, pfn, childEntry, vma.pageSize);
        if (vma.kind === 'anon' && pfn !== this.ctx.zeroPfn) {
          this.ctx.refcount[pfn] = (this.ctx.refcount[pfn] as number) + 1;
          child.rss += pagesOf(vma.pageSize);
        }
      });
      if (failed) {
        this.ctx.shootdown(this.pgd, 0, PAGE_OFFSET);
        child.destroy();
        return null;
      }
    }
    this.ctx.shootdown(this.pgd, 0, PAGE_OFFSET);
    return child;
  }

  destroy(): void {
    this.checkLive();
    const busy = this.ctx.cpus.find((cpu) => cpu.cr3 === this.pgd);
    if (busy !== undefined)
      throw new MmuError('in-use', `address space ${this.id} is loaded in CR3 of CPU ${busy.id}; switch away before destroying it`);
    for (const vma of this.regions) this.unmapRange(vma, vma.start, vma.end);
    this.regions = [];
    const { phys, buddy } = this.ctx;
    for (let pdi = 0; pdi < KERNEL_PGD_BOUNDARY; pdi++) {
      const pde = phys.read32(this.pgd + pdi * 4);
      if ((pde & _PAGE_PRESENT) !== 0 && (pde & _PAGE_PSE) === 0) {
        phys.write32(this.pgd + pdi * 4, 0);
        buddy.freePages(pde >>> 12, 0);
      }
    }
    buddy.freePages(this.pgd / PAGE_SIZE, 0);
    this.destroyed = true;
    this.ctx.spaces.delete(this.id);
    this.ctx.log?.emit('mmu.mm_destroy', { mm: this.id, pgd: this.pgd });
  }

  private checkLive(): void {
    if (this.destroyed) throw new MmuError('destroyed', `address space ${this.id} has been destroyed`);
  }

  /** The index of the first region ending above `va` (`find_vma`), or the number of regions. */
  private firstEndingAfter(va: number): number {
    let lo = 0;
    let hi = this.regions.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if ((this.regions[mid] as Vma).end > va) hi = mid;
      else lo = mid + 1;
    }
    return lo;
  }

  private insert(vma: Vma): void {
    const at = this.firstEndingAfter(vma.start);
    this.regions.splice(at, 0, vma);
  }

  /** expand_downwards(): grows the stack region at `index` down to the page of `va`, or says why not. */
  private expandStack(index: number, va: number): FaultRefusal | null {
    const vma = this.regions[index] as Vma;
    const start = (va & PAGE_MASK) >>> 0;
    if (start < MMAP_MIN_ADDR) return 'segv';
    const prev = this.regions[index - 1];
    const accessible = prev !== undefined && (prev.prot.read || prev.prot.write || prev.prot.exec);
    if (prev !== undefined && !prev.growsDown && accessible && start - prev.end < STACK_GUARD_GAP) return 'guard-gap';
    if (vma.end - start > this.rlimitStack) return 'stack-limit';
    this.regions[index] = { ...vma, start };
    this.ctx.log?.emit('mmu.stack_expand', { mm: this.id, start, end: vma.end });
    return null;
  }

  /** Makes `page` of `vma` usable for the access, or returns why it cannot. */
  private resolve(vma: Vma, page: number, write: boolean, user: boolean): { how: FaultResolution; pfn: number } | FaultRefusal {
    const { phys, zeroPfn, refcount } = this.ctx;
    const leaf = this.leaf(page, vma.pageSize);
    const entry = leaf.entry;
    const large = vma.pageSize === PGDIR_SIZE;
    const order = orderOf(vma.pageSize);
    const base = (vma.prot.user ? _PAGE_USER : 0) | _PAGE_PRESENT | (large ? _PAGE_PSE : 0);
    const writable = vma.prot.write ? _PAGE_RW : 0;

    if ((entry & _PAGE_PRESENT) === 0) {
      if (vma.kind === 'pfnmap') {
        const pfn = ((vma.paddr as number) + (page - vma.start)) / PAGE_SIZE;
        return this.install(vma, page, (pfn * PAGE_SIZE + (base | writable)) >>> 0) ? { how: 'pfnmap', pfn } : 'oom';
      }
      if (!write && !large) {
        // do_anonymous_page(): a read maps the shared zero page, read-only.
        return this.install(vma, page, (zeroPfn * PAGE_SIZE + base) >>> 0) ? { how: 'zero-page', pfn: zeroPfn } : 'oom';
      }
      const pfn = this.ctx.allocZeroed(order);
      if (pfn === null) return 'oom';
      refcount[pfn] = 1;
      if (!this.install(vma, page, (pfn * PAGE_SIZE + (base | writable | (writable ? _PAGE_DIRTY : 0))) >>> 0)) {
        this.ctx.putPage(pfn, order);
        return 'oom';
      }
      this.rss += pagesOf(vma.pageSize);
      return { how: 'demand-zero', pfn };
    }

    const pfn = entry >>> 12;
    const permitted = (!write || (entry & _PAGE_RW) !== 0) && (!user || (entry & _PAGE_USER) !== 0);
    if (permitted) {
      // The page tables already allow it: a stale TLB entry (flush_tlb_fix_spurious_fault).
      this.ctx.shootdown(this.pgd, page, page + vma.pageSize);
      return { how: 'spurious', pfn };
    }
    if (!write || vma.kind !== 'anon') return 'protection';

    // do_wp_page(): a write to a write-protected page of a writable private region.
    let how: FaultResolution;
    let newPfn: number;
    if (pfn === zeroPfn) {
      const fresh = this.ctx.allocZeroed(order);
      if (fresh === null) return 'oom';
      refcount[fresh] = 1;
      this.rss += pagesOf(vma.pageSize);
      how = 'demand-zero';
      newPfn = fresh;
    } else if (refcount[pfn] === 1) {
      how = 'cow-reuse';
      newPfn = pfn;
    } else {
      const copy = this.ctx.buddy.allocPages(order);
      if (copy === null) return 'oom';
      for (let k = 0; k < 1 << order; k++) phys.copyFrame(copy + k, pfn + k);
      refcount[copy] = 1;
      this.ctx.putPage(pfn, order);
      how = 'cow-copy';
      newPfn = copy;
      this.ctx.log?.emit('mmu.cow_copy', { mm: this.id, address: page, fromPfn: pfn, toPfn: copy });
    }
    const flags = how === 'cow-reuse' ? _PAGE_ACCESSED | _PAGE_DIRTY : _PAGE_DIRTY;
    const newEntry = (newPfn * PAGE_SIZE + (base | _PAGE_RW | flags)) >>> 0;
    phys.write32(leaf.entryAddress, newEntry);
    this.emitMap(page, newPfn, newEntry, vma.pageSize);
    this.ctx.shootdown(this.pgd, page, page + vma.pageSize);
    return { how, pfn: newPfn };
  }

  /** The leaf entry for `page`, without allocating. */
  private leaf(page: number, pageSize: PageSize): Leaf {
    const { phys } = this.ctx;
    const pdeAddress = this.pgd + (page >>> PGDIR_SHIFT) * 4;
    const pde = phys.read32(pdeAddress);
    if (pageSize === PGDIR_SIZE) return { entryAddress: pdeAddress, entry: pde };
    if ((pde & _PAGE_PRESENT) === 0) return { entryAddress: -1, entry: 0 };
    const entryAddress = ((pde & PAGE_MASK) >>> 0) + ((page >>> 12) & 0x3ff) * 4;
    return { entryAddress, entry: phys.read32(entryAddress) };
  }

  /** Writes a new leaf entry where none was present, allocating the page table; false when out of frames. */
  private install(vma: Vma, page: number, entry: number): boolean {
    if (!this.setEntry(vma, page, entry)) return false;
    this.emitMap(page, entry >>> 12, entry, vma.pageSize);
    return true;
  }

  /** Writes the leaf entry of `page` (allocating a page table if needed, `pte_alloc`); false when out of frames. */
  private setEntry(vma: Vma, page: number, entry: number): boolean {
    const { phys } = this.ctx;
    const pdeAddress = this.pgd + (page >>> PGDIR_SHIFT) * 4;
    if (vma.pageSize === PGDIR_SIZE) {
      phys.write32(pdeAddress, entry);
      return true;
    }
    let pde = phys.read32(pdeAddress);
    if ((pde & _PAGE_PRESENT) === 0) {
      const table = this.ctx.allocZeroed(0);
      if (table === null) return false;
      pde = (table * PAGE_SIZE + _PAGE_TABLE) >>> 0;
      phys.write32(pdeAddress, pde);
    }
    phys.write32(((pde & PAGE_MASK) >>> 0) + ((page >>> 12) & 0x3ff) * 4, entry);
    return true;
  }

  private emitMap(page: number, pfn: number, entry: number, pageSize: PageSize): void {
    this.ctx.log?.emit('mmu.page_map', { mm: this.id, address: page, pfn, entry, pageSize });
  }

  /** Calls `fn` for every present leaf entry in `[start, end)`, by address. */
  private forEachLeaf(start: number, end: number, fn: (va: number, entryAddress: number, entry: number, pageSize: PageSize) => void): void {
    const { phys } = this.ctx;
    for (let pdi = start >>> PGDIR_SHIFT; pdi < PTRS_PER_PGD && pdi * PGDIR_SIZE < end; pdi++) {
      const pdeAddress = this.pgd + pdi * 4;
      const pde = phys.read32(pdeAddress);
      if ((pde & _PAGE_PRESENT) === 0) continue;
      const lo = pdi * PGDIR_SIZE;
      if ((pde & _PAGE_PSE) !== 0) {
        if (lo >= start && lo + PGDIR_SIZE <= end) fn(lo, pdeAddress, pde, PGDIR_SIZE);
        continue;
      }
      const table = (pde & PAGE_MASK) >>> 0;
      // The table's words straight from its frame (none: it was never written, all entries 0).
      // fn may clear entries already visited; those after it read the same either way.
      const words = phys.readOnlyFrameWords(table >>> 12);
      if (words === undefined) continue;
      const first = Math.max(start, lo);
      const last = Math.min(end, lo + PGDIR_SIZE);
      for (let va = first; va < last; va += PAGE_SIZE) {
        const index = (va >>> 12) & 0x3ff;
        const pte = words[index] as number;
        if ((pte & _PAGE_PRESENT) !== 0) fn(va, table + index * 4, pte, PAGE_SIZE);
      }
    }
  }

  /** zap_page_range(): clears every entry of `vma` in `[start, end)` and drops the pages. */
  private unmapRange(vma: Vma, start: number, end: number): void {
    const { phys, zeroPfn, log } = this.ctx;
    this.forEachLeaf(start, end, (va, entryAddress, entry, pageSize) => {
      phys.write32(entryAddress, 0);
      const pfn = entry >>> 12;
      log?.emit('mmu.page_unmap', { mm: this.id, address: va, pfn, pageSize });
      if (vma.kind === 'anon' && pfn !== zeroPfn) {
        this.rss -= pagesOf(pageSize);
        this.ctx.putPage(pfn, orderOf(pageSize));
      }
    });
  }

  private report(va: number, errorCode: number, result: FaultResult): FaultResult {
    this.ctx.log?.emit('mmu.page_fault', {
      mm: this.id,
      address: va,
      errorCode,
      resolved: result.resolved,
      outcome: result.resolved ? result.how : result.reason,
    });
    return result;
  }
}

function copyVma(v: Vma): Vma {
  return { ...v, prot: { ...v.prot } };
}

/** clone_pgd_range(): copies the kernel's PDEs 768-1023 from swapper_pg_dir into the new directory at `pgd`. */
export function copyKernelHalf(ctx: MmuContext, pgd: number): void {
  for (let i = KERNEL_PGD_BOUNDARY; i < PTRS_PER_PGD; i++) ctx.phys.write32(pgd + i * 4, ctx.phys.read32(ctx.swapperPgDir + i * 4));
}
