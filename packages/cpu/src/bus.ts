import { CpuError } from './errors.ts';

/**
 * What the CPU needs from memory. `@ossim/mmu` implements it (per CPU, with that
 * CPU's TLB); {@link createFlatBus} is a plain-memory implementation for tests and
 * standalone use. Values are unsigned; memory is little-endian.
 *
 * `user` is true for accesses made by user-mode code: the bus refuses them on
 * kernel-only pages. On a translation failure every method **throws** a
 * {@link PageFault} (a plain object, not an Error); the CPU catches it and delivers a
 * page-fault exception.
 */
export interface MemoryBus {
  /** Reads an unsigned 32-bit word. */
  read32(vaddr: number, user: boolean): number;
  /** Writes a 32-bit word (the low 32 bits of `value`). */
  write32(vaddr: number, value: number, user: boolean): void;
  /** Reads a byte (0-255). */
  read8(vaddr: number, user: boolean): number;
  /** Writes a byte (the low 8 bits of `value`). */
  write8(vaddr: number, value: number, user: boolean): void;
  /** Reads a 32-bit instruction word (a page fault from here has the I bit set). */
  fetch32(vaddr: number, user: boolean): number;
  /** Loads the page-table base (x86 CR3); flushes non-global TLB entries. */
  loadPageTableBase(paddr: number): void;
  /** Drops the TLB entry of one page (x86 `invlpg`). */
  invalidatePage(vaddr: number): void;
  /**
   * Optional, for the CPU's block translator: the storage of the 4 KiB page that
   * `fetch32(vaddr, user)` reads from, as its 1,024 little-endian words (fewer for a
   * bus whose last page is short), checked and faulting exactly as `fetch32` would.
   * The same physical page must come back as the same array while its contents are
   * kept there. Without it the CPU interprets every instruction.
   */
  codePage?(vaddr: number, user: boolean): Uint32Array;
  /**
   * Optional, for the translator: the bus's software TLB, which translated code reads
   * directly for aligned 32-bit accesses. Whatever a hit allows must be exactly what
   * `read32`/`write32` would do for it (apart from counting the hit); everything else
   * goes through the methods.
   */
  readonly tlb?: SoftTlb;
}

/**
 * A direct-mapped software TLB ({@link MemoryBus.tlb}): slot `vpn & mask` caches virtual
 * page `vpn` when `tag[slot] === vpn`, with the accesses `allow[slot]` permits without a
 * walk and the page's storage `words[slot]` (1,024 words).
 */
export interface SoftTlb {
  readonly tag: Int32Array;
  /** Bits: {@link SoftTlbAllow}. */
  readonly allow: Uint8Array;
  readonly words: readonly Uint32Array[];
  readonly mask: number;
}

/** The access bits of {@link SoftTlb.allow}. */
export const SoftTlbAllow = { KERNEL_READ: 1, USER_READ: 2, KERNEL_WRITE: 4, USER_WRITE: 8 } as const;

/** What a {@link MemoryBus} throws when it cannot translate an address. */
export interface PageFault {
  readonly kind: 'page-fault';
  /** The faulting virtual address (becomes `cr2`). */
  readonly address: number;
  /** x86 page-fault error code: see {@link PageFaultError}. */
  readonly errorCode: number;
}

/** Bits of the page-fault error code (x86). */
export const PageFaultError = {
  /** 1: protection violation on a present page; 0: the page is not present. */
  P: 0x1,
  /** The access was a write. */
  W: 0x2,
  /** The access came from user mode. */
  U: 0x4,
  /** A reserved bit was set in a paging entry. */
  RSVD: 0x8,
  /** The access was an instruction fetch. */
  I: 0x10,
} as const;

/** True when `e` has the shape of a {@link PageFault}. */
export function isPageFault(e: unknown): e is PageFault {
  if (typeof e !== 'object' || e === null) return false;
  const f = e as { kind?: unknown; address?: unknown; errorCode?: unknown };
  return f.kind === 'page-fault' && typeof f.address === 'number' && typeof f.errorCode === 'number';
}

/** The kernel half of the address space starts here (Linux i386 PAGE_OFFSET). */
export const KERNEL_BASE = 0xc0000000;

/**
 * A memory bus over one flat array of physical memory, for tests and standalone use.
 * No page tables: a user address `a` is physical address `a`, and a kernel address
 * `0xC0000000 + a` is physical address `a` too (like Linux's direct map of low
 * memory). Kernel addresses are refused to user mode (page fault with P and U set);
 * addresses past the end of memory are not present (page fault with P clear).
 */
export interface FlatBus extends MemoryBus {
  codePage(vaddr: number, user: boolean): Uint32Array;
  /** The physical memory. */
  readonly bytes: Uint8Array;
  /** Its size in bytes. */
  readonly size: number;
  /** The last value given to `loadPageTableBase` (0 before any). */
  readonly pageTableBase: number;
  /** How many times `loadPageTableBase` and `invalidatePage` were called. */
  readonly tlbFlushes: number;
  /** The last page given to `invalidatePage` (-1 before any). */
  readonly lastInvalidatedPage: number;
}

/**
 * Creates a {@link FlatBus} of `size` bytes (a multiple of 4), zero-filled.
 *
 * @example
 * ```ts
 * const bus = createFlatBus(1 << 20);
 * bus.write32(0xc0001000, 0x12345678, false); // kernel address: physical 0x1000
 * bus.read8(0x1000, false); // 0x78 (little-endian)
 * bus.read32(0xc0001000, true); // throws { kind: 'page-fault', address: 0xc0001000, errorCode: 5 }
 * ```
 */
export function createFlatBus(size: number): FlatBus {
  if (!Number.isSafeInteger(size) || size <= 0 || size % 4 !== 0 || size > KERNEL_BASE) {
    throw new CpuError('bad-config', `flat bus size must be a positive multiple of 4 up to 3 GiB, got ${size}`);
  }
  return new Flat(size);
}

const fault = (address: number, errorCode: number): PageFault => ({ kind: 'page-fault', address: address >>> 0, errorCode });

class Flat implements FlatBus {
  readonly bytes: Uint8Array;
  readonly size: number;
  pageTableBase = 0;
  tlbFlushes = 0;
  lastInvalidatedPage = -1;
  readonly #view: DataView;
  readonly #pages: (Uint32Array | undefined)[] = [];

  constructor(size: number) {
    this.size = size;
    this.bytes = new Uint8Array(size);
    this.#view = new DataView(this.bytes.buffer);
  }

  /** Physical address of an access of `len` bytes, or throws the page fault. */
  #translate(vaddr: number, len: number, user: boolean, access: number): number {
    const va = vaddr >>> 0;
    const last = (va + len - 1) >>> 0;
    if (user && (va >= KERNEL_BASE || last >= KERNEL_BASE)) {
      const bad = Math.max(va, KERNEL_BASE);
      throw fault(bad, PageFaultError.P | PageFaultError.U | access);
    }
    const pa = va >= KERNEL_BASE ? va - KERNEL_BASE : va;
    if (pa + len > this.size || last < va) {
      const bad = pa >= this.size ? va : (va + (this.size - pa)) >>> 0;
      throw fault(bad, (user ? PageFaultError.U : 0) | access);
    }
    return pa;
  }

  read32(vaddr: number, user: boolean): number {
    return this.#view.getUint32(this.#translate(vaddr, 4, user, 0), true);
  }
  write32(vaddr: number, value: number, user: boolean): void {
    this.#view.setUint32(this.#translate(vaddr, 4, user, PageFaultError.W), value >>> 0, true);
  }
  read8(vaddr: number, user: boolean): number {
    return this.bytes[this.#translate(vaddr, 1, user, 0)] as number;
  }
  write8(vaddr: number, value: number, user: boolean): void {
    this.bytes[this.#translate(vaddr, 1, user, PageFaultError.W)] = value;
  }
  fetch32(vaddr: number, user: boolean): number {
    return this.#view.getUint32(this.#translate(vaddr, 4, user, PageFaultError.I), true);
  }
  codePage(vaddr: number, user: boolean): Uint32Array {
    const pa = this.#translate(vaddr, 4, user, PageFaultError.I);
    const n = pa >>> 12;
    let page = this.#pages[n];
    if (page === undefined) {
      const base = n * 4096;
      page = new Uint32Array(this.bytes.buffer, base, Math.min(1024, (this.size - base) >>> 2));
      this.#pages[n] = page;
    }
    return page;
  }
  loadPageTableBase(paddr: number): void {
    this.pageTableBase = paddr >>> 0;
    this.tlbFlushes++;
  }
  invalidatePage(vaddr: number): void {
    this.lastInvalidatedPage = (vaddr & ~0xfff) >>> 0;
    this.tlbFlushes++;
  }
}
