import type { KstackMemory } from '../memory.ts';
import type { AddressRange } from '../types.ts';

/** A run of kernel memory backing one stack. */
export interface Region {
  readonly base: number;
  readonly size: number;
  readonly guardBelow: AddressRange | null;
  readonly guardAbove: AddressRange | null;
  /** How to give it back: a buddy block (pfn, order) or a vmalloc run. */
  readonly release: { readonly kind: 'pages'; readonly pfn: number; readonly order: number } | { readonly kind: 'vmalloc' };
}

/** log2(size / page size) for a power-of-two size of at least one page. */
export function orderOf(size: number, pageSize: number): number {
  return Math.log2(size / pageSize);
}

/**
 * A physically contiguous, naturally aligned run in the direct map: a buddy block of
 * `2^order` frames is aligned to its own size, and the direct map keeps that
 * alignment (PAGE_OFFSET is 4 MiB aligned), so the virtual base is `size`-aligned.
 */
export function allocDirect(memory: KstackMemory, size: number): Region | null {
  const order = orderOf(size, memory.pageSize);
  const pfn = memory.allocPages(order);
  if (pfn === null) return null;
  return {
    base: memory.directMapAddress(pfn * memory.pageSize),
    size,
    guardBelow: null,
    guardAbove: null,
    release: { kind: 'pages', pfn, order },
  };
}

/** A virtually contiguous run in the vmalloc area, `align`-aligned, between unmapped guard pages. */
export function allocVmalloc(memory: KstackMemory, size: number, align: number, guardPages: number): Region | null {
  const base = memory.vmalloc(size / memory.pageSize, { guardPages, align });
  if (base === null) return null;
  const guard = guardPages * memory.pageSize;
  return {
    base,
    size,
    guardBelow: guard > 0 ? { start: base - guard, end: base } : null,
    guardAbove: guard > 0 ? { start: base + size, end: base + size + guard } : null,
    release: { kind: 'vmalloc' },
  };
}

/** Gives a region back to memory. */
export function freeRegion(memory: KstackMemory, region: Region): void {
  if (region.release.kind === 'pages') memory.freePages(region.release.pfn, region.release.order);
  else memory.vfree(region.base);
}

/** True if `address` is in `[range.start, range.end)`. */
export function inRange(range: AddressRange | null, address: number): range is AddressRange {
  return range !== null && address >= range.start && address < range.end;
}
