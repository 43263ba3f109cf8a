import type { EventLog } from '@ossim/eventlog';
import type { AddressSpace, AddressSpaceState } from './addressSpace.ts';
import { type BuddyAllocator, type BuddyState, createBuddyAllocator } from './buddy.ts';
import type { MemoryBus, Tlb, TlbState } from './bus.ts';
import {
  _KERNPG_TABLE,
  KERNEL_PGD_BOUNDARY,
  MAXMEM,
  PAGE_KERNEL,
  PAGE_KERNEL_LARGE,
  PAGE_MASK,
  PAGE_OFFSET,
  PAGE_SIZE,
  PGDIR_SHIFT,
  PGDIR_SIZE,
  PTRS_PER_PGD,
  VMALLOC_END,
  VMALLOC_OFFSET,
  X86_PF_USER,
  X86_PF_WRITE,
} from './constants.ts';
import { hex32, MmuError } from './errors.ts';
import type { FaultResult } from './fault.ts';
import type { MmuContext } from './internal/context.ts';
import { Cpu } from './internal/cpu.ts';
import { copyKernelHalf, Mm } from './internal/mm.ts';
import { createTranslation, translateInto } from './internal/translate.ts';
import { createPhysicalMemory, DEFAULT_MEMORY_SIZE, type PhysicalMemory, type PhysicalMemoryState } from './physmem.ts';
import { type Access, type Walk, walkPageTables } from './walk.ts';

/** Options of {@link createMmu}. */
export interface MmuOptions {
  /** Bytes of physical memory: a multiple of 4 MiB, from 4 MiB to 4 GiB. Default 64 MiB. */
  readonly memorySize?: number;
  /** CPUs, each with its own bus and TLB. Default 1. */
  readonly cpus?: number;
  /** TLB entries per CPU, a power of two from 1 to 4096. Default 256. */
  readonly tlbEntries?: number;
  /** Where the MMU's events go. Without a log nothing is emitted. */
  readonly log?: EventLog;
}

/**
 * Where things are, in virtual and physical memory. The direct map covers
 * `[PAGE_OFFSET, highMemory)` with global 4 MiB pages; `[highMemory, vmallocStart)` is
 * an unmapped 8 MiB hole; vmalloc areas live in `[vmallocStart, vmallocEnd)`; the top
 * 8 MiB stay unmapped. Physically, the first MiB is reserved, then come the kernel's
 * page directory, its page tables and the zero page; the buddy allocator manages the rest.
 */
export interface MemoryLayout {
  /** 0xC0000000. */
  readonly pageOffset: number;
  /** Bytes of physical memory direct-mapped (`min(memory, 896 MiB)`). */
  readonly lowmemSize: number;
  /** The end of the direct map: `PAGE_OFFSET + lowmemSize` (Linux's `high_memory`). */
  readonly highMemory: number;
  /** `VMALLOC_START`: `(highMemory + 8 MiB)` rounded down to 8 MiB. */
  readonly vmallocStart: number;
  /** `VMALLOC_END` (exclusive): 0xFF800000. */
  readonly vmallocEnd: number;
  /** Physical address of the kernel page directory (`swapper_pg_dir`). */
  readonly swapperPgDir: number;
  /** Physical address of `empty_zero_page`. */
  readonly zeroPage: number;
  /** The first frame the buddy allocator manages; frames below belong to boot. */
  readonly firstFreePfn: number;
}

/** A vmalloc area: `pages` mapped pages at `address`, with `guardPages` unmapped pages on each side. */
export interface VmallocArea {
  /** The first mapped byte (what `vmalloc` returned). */
  readonly address: number;
  readonly pages: number;
  readonly guardPages: number;
  /** The start of the lower guard. */
  readonly start: number;
  /** The end of the upper guard (exclusive). */
  readonly end: number;
  /** The frames mapped, in address order (not contiguous in general). */
  readonly pfns: readonly number[];
}

/** Options of {@link Mmu.vmalloc}. */
export interface VmallocOptions {
  /** Unmapped pages below and above the area. Default 1. */
  readonly guardPages?: number;
  /** Alignment of the returned address, a power of two and a multiple of 4 KiB. Default 4096. */
  readonly align?: number;
  /** Zero the pages (`vzalloc`; kernel stacks are allocated zeroed). Default false. */
  readonly zero?: boolean;
}

/**
 * A checkpoint of an {@link Mmu} ({@link Mmu.save}): plain, structured-cloneable data
 * (typed arrays included). The frames' contents are shared with the MMU and with
 * other checkpoints, copy-on-write: never write into them.
 */
export interface MmuState {
  readonly memorySize: number;
  /** Every backed frame and its contents (page tables included: they live in frames). */
  readonly phys: PhysicalMemoryState;
  readonly buddy: BuddyState;
  /** Reference counts of anonymous pages as `[pfn, count, pfn, count, ...]`, by pfn. */
  readonly refcount: Int32Array;
  /** The id the next address space gets. */
  readonly nextMmId: number;
  /** The live address spaces, in creation order. */
  readonly addressSpaces: readonly AddressSpaceState[];
  /** The vmalloc areas, by address. */
  readonly vmallocAreas: readonly VmallocArea[];
  /** Per CPU: CR3, the TLB's entries and its counters. */
  readonly tlbs: readonly TlbState[];
}

/**
 * The memory-management unit of a simulated machine: physical memory, the buddy
 * allocator, the kernel's page tables, the per-CPU buses and TLBs, vmalloc, and
 * user address spaces.
 */
export interface Mmu {
  readonly phys: PhysicalMemory;
  readonly buddy: BuddyAllocator;
  readonly layout: MemoryLayout;
  /** Physical address of the kernel page directory; CR3 of a CPU with no address space. */
  readonly swapperPgDir: number;
  /** The number of CPUs. */
  readonly cpus: number;
  /** CPU `cpu`'s memory bus (CR3 starts at `swapperPgDir`). */
  bus(cpu: number): MemoryBus;
  /** CPU `cpu`'s TLB. */
  tlb(cpu: number): Tlb;
  /**
   * Walks the page tables at `pgd` for `vaddr` and returns every step. With
   * `update: true` a successful access also sets the A/D bits in memory, as the MMU does.
   */
  walk(pgd: number, vaddr: number, access?: Access, options?: { readonly update?: boolean }): Walk;
  /**
   * Translates `vaddr` through the page tables at `pgd` with the MMU's rules, as fast as a
   * TLB fill and allocating nothing (for a kernel copying to and from user memory): the
   * physical address, or, when the access faults, `-1 - errorCode` (a negative number).
   * With `update: true` a successful access sets the A/D bits, as the MMU does.
   */
  translate(pgd: number, vaddr: number, access?: Access, options?: { readonly update?: boolean }): number;
  /** A new address space: a fresh page directory with the kernel half copied from swapper_pg_dir. */
  createAddressSpace(): AddressSpace;
  /** Allocates 2^order physically contiguous frames and returns the first pfn, or null. */
  allocPages(order: number, options?: { readonly zero?: boolean }): number | null;
  /** Frees 2^order frames at `pfn`. */
  freePages(pfn: number, order: number): void;
  /** Maps `pages` fresh frames in the vmalloc area with unmapped guards around them; returns the address, or null when out of frames or space. */
  vmalloc(pages: number, options?: VmallocOptions): number | null;
  /** Unmaps and frees the vmalloc area at `address`. */
  vfree(address: number): void;
  /** The vmalloc areas, by address. */
  vmallocAreas(): VmallocArea[];
  /** The vmalloc area whose range (guards included) holds `vaddr`, or null. */
  findVmallocArea(vaddr: number): VmallocArea | null;
  /** Handles a page fault: in `mm` (see {@link AddressSpace.handleFault}), or with no mm (a kernel thread). */
  handleFault(mm: AddressSpace | null, vaddr: number, errorCode: number): FaultResult;
  /** The direct-map address of physical `paddr` (`__va`); lowmem only. */
  physToVirt(paddr: number): number;
  /** The physical address of direct-map address `vaddr` (`__pa`). */
  virtToPhys(vaddr: number): number;
  /** The reference count of an anonymous page (0 for frames not mapped as anonymous memory). */
  pageRefcount(pfn: number): number;
  /** The live (not destroyed) address space `id`, or null. */
  addressSpace(id: number): AddressSpace | null;
  /** The live address spaces, in creation order. */
  addressSpaces(): AddressSpace[];
  /**
   * A checkpoint of everything the MMU decides from: physical memory (so page tables,
   * kernel stacks and user memory), the buddy allocator's free lists, page reference
   * counts, every live address space (id, pgd, regions, rss, RLIMIT_STACK), the vmalloc
   * areas, the address-space id counter, and each CPU's CR3, TLB entries and counters.
   *
   * Frames are not copied: the checkpoint shares their storage, and the MMU copies a
   * frame on its next write, so a checkpoint costs a scan of the frame table plus the
   * frames written since the previous checkpoint.
   */
  save(): MmuState;
  /**
   * Puts the MMU back in the state `save()` captured, on an MMU created with the same
   * options (memory size, CPUs, TLB entries). Running on gives the same events, TLB hits
   * and A/D bits as the MMU that saved it. The checkpoint stays valid (load it again at will).
   *
   * Address spaces: an object live both now and in the checkpoint (same id and pgd) is
   * kept and updated in place; the others of the checkpoint are new objects; objects not
   * in the checkpoint are marked destroyed. Re-resolve the objects you hold with
   * {@link Mmu.addressSpace} after a load.
   */
  load(state: MmuState): void;
}

const FOUR_MIB = PGDIR_SIZE;
const RESERVED_LOW_FRAMES = 256;

/**
 * Boots an MMU: physical memory, the kernel page directory with the direct map and
 * preallocated page tables for every other kernel PDE (so every address space shares
 * them), the zero page, the buddy allocator over the remaining frames, and one bus
 * and TLB per CPU.
 *
 * @example
 * ```ts
 * const mmu = createMmu({ memorySize: 64 * 1024 * 1024 });
 * const mm = mmu.createAddressSpace();
 * mm.mmap({ start: 0x08048000, length: 0x2000, prot: parseProtection('rw-u') });
 * const bus = mmu.bus(0);
 * bus.loadPageTableBase(mm.pgd);
 * try { bus.write32(0x08048000, 42, true); } catch (signal) {
 *   if (isPageFaultSignal(signal)) mm.handleFault(signal.address, signal.errorCode); // demand-zero
 * }
 * bus.write32(0x08048000, 42, true);
 * ```
 */
export function createMmu(options: MmuOptions = {}): Mmu {
  const memorySize = options.memorySize ?? DEFAULT_MEMORY_SIZE;
  if (!Number.isSafeInteger(memorySize) || memorySize < FOUR_MIB || memorySize % FOUR_MIB !== 0 || memorySize > 2 ** 32) {
    throw new MmuError('bad-option', `memorySize ${memorySize} must be a multiple of 4 MiB from 4 MiB to 4 GiB`);
  }
  const nCpus = options.cpus ?? 1;
  if (!Number.isSafeInteger(nCpus) || nCpus < 1 || nCpus > 256)
    throw new MmuError('bad-option', `cpus ${nCpus} must be an integer in 1..256`);
  const tlbEntries = options.tlbEntries ?? 256;
  if (!Number.isSafeInteger(tlbEntries) || tlbEntries < 1 || tlbEntries > 4096 || (tlbEntries & (tlbEntries - 1)) !== 0) {
    throw new MmuError('bad-option', `tlbEntries ${tlbEntries} must be a power of two in 1..4096`);
  }
  const log = options.log;
  const cpus: Cpu[] = [];
  let loading = false;
  const phys = createPhysicalMemory({
    size: memorySize,
    onFrameBacked: (pfn) => {
      for (const cpu of cpus) cpu.frameBacked(pfn);
    },
    onFrameReplaced: (pfn) => {
      // A load restores every TLB right after the frames.
      if (!loading) for (const cpu of cpus) cpu.frameReplaced(pfn);
    },
  });

  // Boot memory: the first MiB reserved, then swapper_pg_dir, the kernel page tables, the zero page.
  const lowmemSize = Math.min(memorySize, MAXMEM);
  const highMemory = PAGE_OFFSET + lowmemSize;
  const vmallocStart = ((highMemory + VMALLOC_OFFSET) & ~(VMALLOC_OFFSET - 1)) >>> 0;
  const directPdes = lowmemSize / FOUR_MIB;
  const swapperPfn = RESERVED_LOW_FRAMES;
  const swapperPgDir = swapperPfn * PAGE_SIZE;
  let nextBootPfn = swapperPfn + 1;
  for (let i = 0; i < PTRS_PER_PGD - KERNEL_PGD_BOUNDARY; i++) {
    const entry =
      i < directPdes
        ? (i * FOUR_MIB + PAGE_KERNEL_LARGE) >>> 0 // the direct map: global 4 MiB pages
        : (nextBootPfn++ * PAGE_SIZE + _KERNPG_TABLE) >>> 0; // a kernel page table shared by every pgd
    phys.write32(swapperPgDir + (KERNEL_PGD_BOUNDARY + i) * 4, entry);
  }
  const zeroPfn = nextBootPfn++;
  const firstFreePfn = nextBootPfn;
  const buddy = createBuddyAllocator({ frames: phys.frames, firstPfn: firstFreePfn, log });
  const refcount = new Int32Array(phys.frames);
  for (let id = 0; id < nCpus; id++) {
    const cpu = new Cpu(id, tlbEntries, phys, log);
    cpu.cr3 = swapperPgDir;
    cpus.push(cpu);
  }
  const layout: MemoryLayout = {
    pageOffset: PAGE_OFFSET,
    lowmemSize,
    highMemory,
    vmallocStart,
    vmallocEnd: VMALLOC_END,
    swapperPgDir,
    zeroPage: zeroPfn * PAGE_SIZE,
    firstFreePfn,
  };
  let areas: VmallocArea[] = [];

  const allocZeroed = (order: number): number | null => {
    const pfn = buddy.allocPages(order);
    if (pfn !== null) for (let k = 0; k < 1 << order; k++) phys.zeroFrame(pfn + k);
    return pfn;
  };
  const findArea = (va: number): VmallocArea | null => areas.find((a) => a.start <= va && va < a.end) ?? null;
  const kernelPteAddress = (va: number): number => {
    const pde = phys.read32(swapperPgDir + (va >>> PGDIR_SHIFT) * 4);
    return ((pde & PAGE_MASK) >>> 0) + ((va >>> 12) & 0x3ff) * 4;
  };

  const ctx: MmuContext = {
    phys,
    buddy,
    log,
    cpus,
    refcount,
    zeroPfn,
    swapperPgDir,
    nextMmId: 1,
    spaces: new Map(),
    allocZeroed,
    putPage(pfn, order) {
      const left = (refcount[pfn] as number) - 1;
      refcount[pfn] = left;
      if (left === 0) buddy.freePages(pfn, order);
      else if (left < 0) throw new MmuError('not-allocated', `page frame ${pfn} has no references left to drop`);
    },
    shootdown(pgd, start, end) {
      for (const cpu of cpus) if (pgd === null || cpu.cr3 === pgd) cpu.flushRange(start, end, 'shootdown');
    },
    kernelFault(mm, va, errorCode) {
      let result: FaultResult;
      if (va < PAGE_OFFSET) result = { resolved: false, reason: 'no-mm' };
      else if ((errorCode & X86_PF_USER) !== 0) result = { resolved: false, reason: 'segv' };
      else {
        const walk = walkPageTables(phys, swapperPgDir, va, { write: (errorCode & X86_PF_WRITE) !== 0 });
        if (walk.fault === null) {
          for (const cpu of cpus) cpu.flushRange(va & PAGE_MASK, (va & PAGE_MASK) + PAGE_SIZE, 'shootdown');
          result = { resolved: true, how: 'spurious', pfn: (walk.paddr as number) >>> 12, stackGrew: false };
        } else {
          const area = findArea(va);
          const inGuard = area !== null && (va < area.address || va >= area.address + area.pages * PAGE_SIZE);
          result = { resolved: false, reason: inGuard ? 'vmalloc-guard' : 'kernel-address' };
        }
      }
      log?.emit('mmu.page_fault', {
        mm,
        address: va,
        errorCode,
        resolved: result.resolved,
        outcome: result.resolved ? result.how : result.reason,
      });
      return result;
    },
  };

  const cpuAt = (id: number): Cpu => {
    const cpu = cpus[id];
    if (cpu === undefined) throw new MmuError('bad-cpu', `CPU ${id} does not exist (this machine has ${nCpus})`);
    return cpu;
  };

  const translation = createTranslation();
  return {
    phys,
    buddy,
    layout,
    swapperPgDir,
    cpus: nCpus,
    bus: cpuAt,
    tlb: (id) => cpuAt(id).view(),
    walk(pgd, vaddr, access = {}, walkOptions = {}) {
      return walkPageTables(phys, pgd, vaddr, access, walkOptions.update === true);
    },
    translate(pgd, vaddr, access = {}, translateOptions = {}) {
      return translateInto(phys, pgd, vaddr, access.write === true, access.user === true, translateOptions.update === true, translation)
        ? translation.paddr
        : -1 - translation.errorCode;
    },
    createAddressSpace() {
      const pfn = allocZeroed(0);
      if (pfn === null) throw new MmuError('out-of-memory', 'no free page frame for a page directory');
      const mm = new Mm(ctx, pfn * PAGE_SIZE);
      copyKernelHalf(ctx, mm.pgd);
      log?.emit('mmu.mm_create', { mm: mm.id, pgd: mm.pgd, parent: null });
      return mm;
    },
    allocPages(order, allocOptions = {}) {
      return allocOptions.zero === true ? allocZeroed(order) : buddy.allocPages(order);
    },
    freePages(pfn, order) {
      buddy.freePages(pfn, order);
    },
    vmalloc(pages, vmallocOptions = {}) {
      const guardPages = vmallocOptions.guardPages ?? 1;
      const align = vmallocOptions.align ?? PAGE_SIZE;
      if (!Number.isSafeInteger(pages) || pages < 1) throw new MmuError('bad-option', `vmalloc: pages ${pages} must be a positive integer`);
      if (!Number.isSafeInteger(guardPages) || guardPages < 0)
        throw new MmuError('bad-option', `vmalloc: guardPages ${guardPages} must be a non-negative integer`);
      if (!Number.isSafeInteger(align) || align < PAGE_SIZE || (align & (align - 1)) !== 0) {
        throw new MmuError('bad-option', `vmalloc: align ${align} must be a power of two of at least 4096`);
      }
      const guard = guardPages * PAGE_SIZE;
      const span = pages * PAGE_SIZE;
      // First fit, by address (deterministic), like the vmap_area allocator.
      let cursor = vmallocStart;
      let address = -1;
      for (let i = 0; i <= areas.length; i++) {
        const candidate = Math.ceil((cursor + guard) / align) * align;
        const limit = areas[i]?.start ?? VMALLOC_END;
        if (candidate + span + guard <= limit) {
          address = candidate;
          break;
        }
        cursor = (areas[i] as VmallocArea | undefined)?.end ?? VMALLOC_END;
      }
      if (address < 0) return null;
      const pfns: number[] = [];
      for (let k = 0; k < pages; k++) {
        const pfn = vmallocOptions.zero === true ? allocZeroed(0) : buddy.allocPages(0);
        if (pfn === null) {
          for (const p of pfns) buddy.freePages(p, 0);
          return null;
        }
        pfns.push(pfn);
      }
      for (let k = 0; k < pages; k++) {
        const va = address + k * PAGE_SIZE;
        const pfn = pfns[k] as number;
        const entry = (pfn * PAGE_SIZE + PAGE_KERNEL) >>> 0;
        phys.write32(kernelPteAddress(va), entry);
        log?.emit('mmu.page_map', { mm: null, address: va, pfn, entry, pageSize: PAGE_SIZE });
      }
      const area: VmallocArea = { address, pages, guardPages, start: address - guard, end: address + span + guard, pfns };
      areas = [...areas, area].sort((a, b) => a.start - b.start);
      log?.emit('mmu.vmalloc', { address, pages, guardPages, pfns: [...pfns] });
      return address;
    },
    vfree(address) {
      const area = areas.find((a) => a.address === address >>> 0);
      if (area === undefined) throw new MmuError('bad-vfree', `vfree(${hex32(address)}): no vmalloc area starts there`);
      for (let k = 0; k < area.pages; k++) {
        const va = area.address + k * PAGE_SIZE;
        phys.write32(kernelPteAddress(va), 0);
        log?.emit('mmu.page_unmap', { mm: null, address: va, pfn: area.pfns[k] as number, pageSize: PAGE_SIZE });
      }
      ctx.shootdown(null, area.address, area.address + area.pages * PAGE_SIZE);
      for (const pfn of area.pfns) buddy.freePages(pfn, 0);
      areas = areas.filter((a) => a !== area);
      log?.emit('mmu.vfree', { address: area.address, pages: area.pages });
    },
    vmallocAreas() {
      return [...areas];
    },
    findVmallocArea(vaddr) {
      return findArea(vaddr >>> 0);
    },
    handleFault(mm, vaddr, errorCode) {
      if (mm !== null) return mm.handleFault(vaddr, errorCode);
      return ctx.kernelFault(null, vaddr >>> 0, errorCode);
    },
    physToVirt(paddr) {
      if (!Number.isSafeInteger(paddr) || paddr < 0 || paddr >= lowmemSize) {
        throw new MmuError('bad-address', `physical ${hex32(paddr)} is not in the direct map (lowmem is ${hex32(0)}-${hex32(lowmemSize)})`);
      }
      return PAGE_OFFSET + paddr;
    },
    virtToPhys(vaddr) {
      const va = vaddr >>> 0;
      if (va < PAGE_OFFSET || va >= highMemory) {
        throw new MmuError('bad-address', `${hex32(vaddr)} is not a direct-map address (${hex32(PAGE_OFFSET)}-${hex32(highMemory)})`);
      }
      return va - PAGE_OFFSET;
    },
    pageRefcount(pfn) {
      return refcount[pfn] ?? 0;
    },
    addressSpace(id) {
      return ctx.spaces.get(id) ?? null;
    },
    addressSpaces() {
      return [...ctx.spaces.values()];
    },
    save() {
      const physState = phys.save(); // first: the TLBs hold write permissions back from the frames it shares
      let n = 0;
      for (let pfn = 0; pfn < refcount.length; pfn++) if (refcount[pfn] !== 0) n++;
      const counts = new Int32Array(2 * n);
      let k = 0;
      for (let pfn = 0; pfn < refcount.length; pfn++) {
        if (refcount[pfn] === 0) continue;
        counts[k++] = pfn;
        counts[k++] = refcount[pfn] as number;
      }
      return {
        memorySize,
        phys: physState,
        buddy: buddy.save(),
        refcount: counts,
        nextMmId: ctx.nextMmId,
        addressSpaces: [...ctx.spaces.values()].map((mm) => mm.save()),
        vmallocAreas: areas.map(copyArea),
        tlbs: cpus.map((cpu) => cpu.save()),
      };
    },
    load(state) {
      if (state.memorySize !== memorySize || state.tlbs.length !== nCpus) {
        throw new MmuError(
          'bad-checkpoint',
          `a checkpoint of ${state.memorySize} bytes and ${state.tlbs.length} CPU(s) does not fit this MMU (${memorySize} bytes, ${nCpus} CPU(s))`,
        );
      }
      state.tlbs.forEach((tlb, i) => {
        if (tlb.cpu !== i || tlb.size !== tlbEntries) {
          throw new MmuError(
            'bad-checkpoint',
            `the checkpoint's TLB ${i} is CPU ${tlb.cpu}'s with ${tlb.size} entries (this MMU: ${tlbEntries})`,
          );
        }
      });
      loading = true;
      try {
        phys.load(state.phys);
      } finally {
        loading = false;
      }
      buddy.load(state.buddy);
      refcount.fill(0);
      for (let k = 0; k < state.refcount.length; k += 2) refcount[state.refcount[k] as number] = state.refcount[k + 1] as number;
      const before = new Map(ctx.spaces);
      ctx.spaces.clear();
      for (const s of state.addressSpaces) {
        const kept = before.get(s.id);
        const mm = kept !== undefined && kept.pgd === s.pgd ? kept : new Mm(ctx, s.pgd, s.id);
        ctx.spaces.set(s.id, mm);
        mm.load(s);
      }
      for (const [id, mm] of before) if (ctx.spaces.get(id) !== mm) mm.destroyed = true;
      ctx.nextMmId = state.nextMmId;
      areas = state.vmallocAreas.map(copyArea);
      cpus.forEach((cpu, i) => {
        cpu.load(state.tlbs[i] as TlbState);
      });
    },
  };
}

function copyArea(a: VmallocArea): VmallocArea {
  return { ...a, pfns: [...a.pfns] };
}
