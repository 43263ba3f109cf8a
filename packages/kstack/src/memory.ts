/**
 * The memory `@ossim/kstack` needs: the narrow view of the machine's memory a
 * kernel-stack allocator uses. The kernel implements it over `@ossim/mmu` (the buddy
 * allocator, the direct map at `PAGE_OFFSET`, the vmalloc area); tests implement it
 * with a small flat memory. This package never imports an MMU.
 *
 * Addresses passed to the access methods are kernel virtual addresses. An access to
 * an unmapped address (a guard page) must fault the way the implementation's MMU
 * faults (the allocator never touches guard pages itself).
 */
export interface KstackMemory {
  /** The page size: 4 KiB. */
  readonly pageSize: 4096;
  /**
   * Allocates `2^order` physically contiguous page frames, aligned to `2^order`
   * frames (a buddy allocation); returns the first page frame number, or `null` when
   * no such block is free. The contents are not zeroed.
   */
  allocPages(order: number): number | null;
  /** Frees a block that {@link KstackMemory.allocPages} returned. */
  freePages(pfn: number, order: number): void;
  /** The kernel virtual address of a physical address in the direct map (`PAGE_OFFSET + paddr`). */
  directMapAddress(paddr: number): number;
  /**
   * Maps `pages` pages (backed by any frames) at a virtual base aligned to `align`
   * bytes in the vmalloc area, with `guardPages` unmapped pages directly below the
   * base and directly above the end that no other vmalloc area may use; returns the
   * base of the mapped run, or `null` when the area or the frames run out. The
   * contents are not zeroed.
   */
  vmalloc(pages: number, options: { guardPages: number; align: number }): number | null;
  /** Unmaps and frees a run that {@link KstackMemory.vmalloc} returned (its base). */
  vfree(vaddr: number): void;
  /** Reads a little-endian 32-bit word (unsigned). */
  read32(kvaddr: number): number;
  /** Writes a little-endian 32-bit word. */
  write32(kvaddr: number, value: number): void;
  /** Reads one byte. */
  read8(kvaddr: number): number;
  /** Sets `length` bytes from `kvaddr` to `byte`. */
  fill(kvaddr: number, length: number, byte: number): void;
  /**
   * Optional, for speed: the address of the first non-zero word in `[from, to)` (both
   * word-aligned), or `to` when they are all zero; what reading the words one by one with
   * {@link KstackMemory.read32} finds. `stack_not_used()` scans a stack with it.
   */
  firstNonZero32?(from: number, to: number): number;
}
