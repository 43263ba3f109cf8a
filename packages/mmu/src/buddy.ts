import type { EventLog } from '@ossim/eventlog';
import { MAX_PAGE_ORDER, NR_PAGE_ORDERS } from './constants.ts';
import { MmuError } from './errors.ts';
import './events.ts';

/**
 * The binary buddy page-frame allocator (mm/page_alloc.c): free blocks of 2^order
 * frames, order 0 to {@link MAX_PAGE_ORDER}, each aligned to its size. An allocation
 * takes the first block of the smallest order that fits and splits it, putting the
 * upper halves back on the lower free lists; a free merges the block with its buddy
 * (`pfn ^ (1 << order)`) as long as the buddy is free and of the same order.
 * Free lists are LIFO, so allocation order is deterministic.
 */
export interface BuddyAllocator {
  /** Frames in the managed range, `[firstPfn, endPfn)`. */
  readonly managedPages: number;
  /** The first frame the allocator manages (frames below are reserved at boot). */
  readonly firstPfn: number;
  /** One past the last frame the allocator manages. */
  readonly endPfn: number;
  /** Free frames. */
  readonly nrFreePages: number;
  /**
   * Allocates a block of 2^`order` frames and returns its first pfn, or `null` when no
   * block is large enough (`alloc_pages`).
   */
  allocPages(order: number): number | null;
  /** Frees the block of 2^`order` frames at `pfn` (`__free_pages`); the order must be the allocated one. */
  freePages(pfn: number, order: number): void;
  /** The order of the allocated block starting at `pfn`, or -1 if none starts there. */
  allocatedOrder(pfn: number): number;
  /** True when frame `pfn` lies in a free block. */
  isFree(pfn: number): boolean;
  /** The number of free blocks of each order, 0 to 10 (`free_area[order].nr_free`). */
  freeCounts(): number[];
  /** Every free block as `[pfn, order]`, by pfn. */
  freeBlocks(): [pfn: number, order: number][];
  /** The allocator's line of `/proc/buddyinfo`: `Node 0, zone   Normal` and 11 counts. */
  buddyinfo(): string;
  /** A checkpoint: every free list in list order and every allocated block (plain data, copied). */
  save(): BuddyState;
  /** Puts back the free lists and allocations `save()` captured, on an allocator over the same frames. */
  load(state: BuddyState): void;
}

/**
 * A checkpoint of a {@link BuddyAllocator}. The free lists keep their order (LIFO
 * lists decide which block the next allocation takes).
 */
export interface BuddyState {
  readonly frames: number;
  readonly firstPfn: number;
  /** Per order 0 to {@link MAX_PAGE_ORDER}: the free blocks' first pfns, head of the list first. */
  readonly freeLists: readonly Int32Array[];
  /** The allocated blocks as `[pfn, order, pfn, order, ...]`, by pfn. */
  readonly allocated: Int32Array;
}

/** Options of {@link createBuddyAllocator}. */
export interface BuddyOptions {
  /** Frames of physical memory (`max_pfn`). */
  readonly frames: number;
  /** Frames below this pfn are reserved (boot memory) and never handed out. Default 0. */
  readonly firstPfn?: number;
  /** Where `mmu.frame_alloc` and `mmu.frame_free` go; without a log nothing is emitted. */
  readonly log?: EventLog | undefined;
  /** The zone name shown by {@link BuddyAllocator.buddyinfo}. Default `Normal`. */
  readonly zone?: string;
}

/**
 * Creates a buddy allocator over frames `[firstPfn, frames)`, initially all free,
 * carved into the largest aligned blocks that fit.
 *
 * @example
 * ```ts
 * const buddy = createBuddyAllocator({ frames: 2048 });
 * const pfn = buddy.allocPages(2); // 4 contiguous frames
 * buddy.buddyinfo(); // 'Node 0, zone   Normal      0      0      1      1 ...'
 * buddy.freePages(pfn!, 2);
 * ```
 */
export function createBuddyAllocator(options: BuddyOptions): BuddyAllocator {
  const { frames, log } = options;
  const firstPfn = options.firstPfn ?? 0;
  const zone = options.zone ?? 'Normal';
  if (!Number.isSafeInteger(frames) || frames <= 0 || frames > 2 ** 20) {
    throw new MmuError('bad-option', `buddy allocator: frames ${frames} must be an integer in 1..1048576`);
  }
  if (!Number.isSafeInteger(firstPfn) || firstPfn < 0 || firstPfn > frames) {
    throw new MmuError('bad-option', `buddy allocator: firstPfn ${firstPfn} must be an integer in 0..${frames}`);
  }
  const next = new Int32Array(frames);
  const prev = new Int32Array(frames);
  const head = new Int32Array(NR_PAGE_ORDERS).fill(-1);
  const count = new Int32Array(NR_PAGE_ORDERS);
  // freeOrder[pfn] = order when a free block starts at pfn, else -1; allocOrder alike for allocated blocks.
  const freeOrder = new Int8Array(frames).fill(-1);
  const allocOrder = new Int8Array(frames).fill(-1);
  let nrFree = 0;

  const push = (pfn: number, order: number): void => {
    const h = head[order] as number;
    next[pfn] = h;
    prev[pfn] = -1;
    if (h >= 0) prev[h] = pfn;
    head[order] = pfn;
    freeOrder[pfn] = order;
    count[order] = (count[order] as number) + 1;
  };
  const remove = (pfn: number, order: number): void => {
    const p = prev[pfn] as number;
    const n = next[pfn] as number;
    if (p >= 0) next[p] = n;
    else head[order] = n;
    if (n >= 0) prev[n] = p;
    freeOrder[pfn] = -1;
    count[order] = (count[order] as number) - 1;
  };
  const isFree = (pfn: number): boolean => {
    for (let order = 0; order <= MAX_PAGE_ORDER; order++) {
      const start = pfn & ~((1 << order) - 1);
      if (freeOrder[start] === order) return true;
    }
    return false;
  };
  const checkOrder = (order: number): void => {
    if (!Number.isInteger(order) || order < 0 || order > MAX_PAGE_ORDER) {
      throw new MmuError('bad-order', `order ${order} is not in 0..${MAX_PAGE_ORDER}`);
    }
  };

  // Carve [firstPfn, frames) into maximal aligned blocks; push in reverse so the lists run by ascending pfn.
  const initial: [number, number][] = [];
  for (let pfn = firstPfn; pfn < frames; ) {
    let order = MAX_PAGE_ORDER;
    while (order > 0 && (pfn % (1 << order) !== 0 || pfn + (1 << order) > frames)) order--;
    initial.push([pfn, order]);
    pfn += 1 << order;
  }
  for (let i = initial.length - 1; i >= 0; i--) {
    const [pfn, order] = initial[i] as [number, number];
    push(pfn, order);
    nrFree += 1 << order;
  }

  return {
    managedPages: frames - firstPfn,
    firstPfn,
    endPfn: frames,
    get nrFreePages() {
      return nrFree;
    },
    allocPages(order) {
      if (order >>> 0 !== order || order > MAX_PAGE_ORDER) checkOrder(order);
      let o = order;
      while (o <= MAX_PAGE_ORDER && (head[o] as number) < 0) o++;
      if (o > MAX_PAGE_ORDER) return null;
      const pfn = head[o] as number;
      remove(pfn, o);
      while (o > order) {
        o--;
        push(pfn + (1 << o), o);
      }
      allocOrder[pfn] = order;
      nrFree -= 1 << order;
      if (log !== undefined) log.emit('mmu.frame_alloc', { pfn, order });
      return pfn;
    },
    freePages(pfn, order) {
      if (!Number.isInteger(pfn) || pfn < firstPfn || pfn >= frames) {
        throw new MmuError('bad-pfn', `cannot free page frame ${pfn}: the allocator manages ${firstPfn}..${frames - 1}`);
      }
      checkOrder(order);
      const allocated = allocOrder[pfn] as number;
      if (allocated !== order) {
        if (allocated >= 0)
          throw new MmuError('bad-order', `page frame ${pfn} was allocated with order ${allocated}, freed with order ${order}`);
        if (isFree(pfn)) throw new MmuError('double-free', `page frame ${pfn} is already free (double free)`);
        throw new MmuError('not-allocated', `page frame ${pfn} does not start an allocated block`);
      }
      allocOrder[pfn] = -1;
      nrFree += 1 << order;
      if (log !== undefined) log.emit('mmu.frame_free', { pfn, order });
      let block = pfn;
      let o = order;
      while (o < MAX_PAGE_ORDER) {
        const buddy = block ^ (1 << o);
        if (buddy >= frames || freeOrder[buddy] !== o) break;
        remove(buddy, o);
        block &= buddy;
        o++;
      }
      push(block, o);
    },
    allocatedOrder(pfn) {
      return Number.isInteger(pfn) && pfn >= 0 && pfn < frames ? (allocOrder[pfn] as number) : -1;
    },
    isFree(pfn) {
      return Number.isInteger(pfn) && pfn >= firstPfn && pfn < frames && isFree(pfn);
    },
    freeCounts() {
      return Array.from(count);
    },
    freeBlocks() {
      const blocks: [number, number][] = [];
      for (let pfn = 0; pfn < frames; pfn++) {
        const order = freeOrder[pfn] as number;
        if (order >= 0) blocks.push([pfn, order]);
      }
      return blocks;
    },
    save() {
      const freeLists: Int32Array[] = [];
      for (let order = 0; order <= MAX_PAGE_ORDER; order++) {
        const list = new Int32Array(count[order] as number);
        let k = 0;
        for (let pfn = head[order] as number; pfn >= 0; pfn = next[pfn] as number) list[k++] = pfn;
        freeLists.push(list);
      }
      let n = 0;
      for (let pfn = firstPfn; pfn < frames; pfn++) if ((allocOrder[pfn] as number) >= 0) n++;
      const allocated = new Int32Array(2 * n);
      let k = 0;
      for (let pfn = firstPfn; pfn < frames; pfn++) {
        const order = allocOrder[pfn] as number;
        if (order < 0) continue;
        allocated[k++] = pfn;
        allocated[k++] = order;
      }
      return { frames, firstPfn, freeLists, allocated };
    },
    load(state) {
      if (state.frames !== frames || state.firstPfn !== firstPfn || state.freeLists.length !== NR_PAGE_ORDERS) {
        throw new MmuError(
          'bad-checkpoint',
          `a checkpoint of a buddy allocator over ${state.firstPfn}..${state.frames - 1} does not fit ${firstPfn}..${frames - 1}`,
        );
      }
      head.fill(-1);
      count.fill(0);
      freeOrder.fill(-1);
      allocOrder.fill(-1);
      nrFree = 0;
      for (let order = 0; order <= MAX_PAGE_ORDER; order++) {
        const list = state.freeLists[order] as Int32Array;
        // push() prepends: push from the tail so the head comes out first.
        for (let k = list.length - 1; k >= 0; k--) push(list[k] as number, order);
        nrFree += list.length << order;
      }
      for (let k = 0; k < state.allocated.length; k += 2) allocOrder[state.allocated[k] as number] = state.allocated[k + 1] as number;
    },
    buddyinfo() {
      // mm/vmstat.c frag_show_print: "Node %d, zone %8s " then "%6lu " per order.
      let line = `Node 0, zone ${zone.padStart(8)} `;
      for (let order = 0; order <= MAX_PAGE_ORDER; order++) line += `${String(count[order]).padStart(6)} `;
      return `${line}\n`;
    },
  };
}
