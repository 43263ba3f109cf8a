import type { FaultResult } from './fault.ts';
import type { Protection } from './protection.ts';

/** 4 KiB or 4 MiB. */
export type PageSize = 4096 | 4194304;

/**
 * A region of an address space (`vm_area_struct`): `[start, end)` with one protection.
 * `anon` regions are private anonymous memory (demand-zero, copy-on-write on fork);
 * `pfnmap` regions map fixed physical frames (`remap_pfn_range`), which the address
 * space neither frees nor copies on write.
 */
export interface Vma {
  readonly start: number;
  readonly end: number;
  readonly prot: Protection;
  readonly pageSize: PageSize;
  readonly kind: 'anon' | 'pfnmap';
  /** For `pfnmap`: the physical address mapped at `start`; else null. */
  readonly paddr: number | null;
  /** A stack (`VM_GROWSDOWN`): a fault just below it grows it down. */
  readonly growsDown: boolean;
}

/** A checkpoint of one address space (part of an `MmuState`); its page tables are in the frames. */
export interface AddressSpaceState {
  readonly id: number;
  readonly pgd: number;
  readonly rss: number;
  readonly rlimitStack: number;
  /** The regions, by address (copies). */
  readonly vmas: readonly Vma[];
}

/** Options of {@link AddressSpace.mmap}. */
export interface MmapOptions {
  /** First address, aligned to the page size; at least `mmap_min_addr` (0x10000). */
  readonly start: number;
  /** Bytes, a positive multiple of the page size; the region must end at or below PAGE_OFFSET. */
  readonly length: number;
  readonly prot: Protection;
  /** 4096 (default) or 4194304 (4 MiB pages mapped by PS page-directory entries). */
  readonly pageSize?: PageSize;
  /** Map these physical frames (a `pfnmap` region) instead of anonymous memory. */
  readonly paddr?: number;
  /** Fault every page in now (`MAP_POPULATE`; best effort: pages that find no frame fault later). */
  readonly populate?: boolean;
  /** A stack that grows down on faults below it. */
  readonly growsDown?: boolean;
}

/** Options of {@link AddressSpace.setupStack}. */
export interface StackOptions {
  /** The top of the stack (exclusive). Default `STACK_TOP` (0xC0000000). */
  readonly top?: number;
  /** The initial size of the region. Default 128 KiB, as exec sets up. */
  readonly size?: number;
}

/**
 * A user address space (`mm_struct`): a page directory in simulated memory whose
 * PDEs 768-1023 are the kernel's, and the regions of its user half. Its page tables
 * are real frames holding PDE and PTE words; load {@link pgd} into CR3 to run in it.
 */
export interface AddressSpace {
  /** A small integer naming the address space in events. */
  readonly id: number;
  /** The physical address of the page directory (what CR3 holds). */
  readonly pgd: number;
  /** True after {@link destroy}. */
  readonly destroyed: boolean;
  /** Resident anonymous memory, in 4 KiB pages (the zero page is not counted). */
  readonly rss: number;
  /** RLIMIT_STACK in bytes (default 8 MiB). */
  readonly rlimitStack: number;
  /** Sets RLIMIT_STACK (checked on the next stack growth, as setrlimit does). */
  setRlimitStack(bytes: number): void;
  /** The regions, by address. */
  vmas(): Vma[];
  /** The region containing `vaddr`, or null. */
  findVma(vaddr: number): Vma | null;
  /** Adds a region (fixed address, must not overlap another) and returns it. */
  mmap(options: MmapOptions): Vma;
  /** Removes `[start, start + length)` from every region, freeing its pages and emptied page tables. */
  munmap(start: number, length: number): void;
  /** Adds the user stack region: `rw-u`, growing down, below `top`. */
  setupStack(options?: StackOptions): Vma;
  /**
   * Handles a page fault at `vaddr` with the x86 `errorCode`, as Linux's fault handler
   * would: demand-zero or zero-page for anonymous memory, copy-on-write, stack growth,
   * or a refusal. Emits `mmu.page_fault`.
   */
  handleFault(vaddr: number, errorCode: number): FaultResult;
  /**
   * Copies the address space for fork: the same regions, private writable pages shared
   * copy-on-write (write-protected in both), fixed-frame regions shared. Null when there
   * are not enough free frames for the child's page tables.
   */
  fork(): AddressSpace | null;
  /** Frees every user page, page table and the page directory. No CPU may have it loaded in CR3. */
  destroy(): void;
}
