import type { KstackMemory } from '../src/index.ts';

/** i386's PAGE_OFFSET: the direct map of physical memory starts here. */
export const PAGE_OFFSET = 0xc0000000;
/** i386's VMALLOC_OFFSET: the gap between the end of the direct map and the vmalloc area. */
const VMALLOC_OFFSET = 8 * 1024 * 1024;
const VMALLOC_END = 0xff800000;
const PAGE = 4096;

/** An access to an address the fake does not map: a guard page, or nothing at all. */
export class FakeMemoryFault extends Error {
  override readonly name = 'FakeMemoryFault';
  readonly address: number;
  readonly guard: boolean;
  constructor(address: number, guard: boolean) {
    super(`${guard ? 'guard page hit' : 'unmapped access'} at 0x${address.toString(16)}`);
    this.address = address;
    this.guard = guard;
  }
}

interface VmArea {
  /** The first byte of the reservation (the lowest guard page). */
  readonly start: number;
  /** One past the last byte of the reservation (after the highest guard page). */
  readonly end: number;
  readonly base: number;
  readonly frames: number[];
  readonly guardPages: number;
}

/** The fake, with what tests need to look inside. */
export interface FakeMemory extends KstackMemory {
  readonly frames: number;
  readonly vmallocStart: number;
  write8(kvaddr: number, value: number): void;
  /** Frames currently free in the buddy allocator. */
  freeFrames(): number;
  /** Buddy blocks currently allocated, as [pfn, order], by pfn. */
  allocatedBlocks(): [number, number][];
  /** vmalloc runs currently mapped: base, pages and guard ranges. */
  vmallocAreas(): { base: number; end: number; guardBelow: [number, number]; guardAbove: [number, number] }[];
  /** A deep copy of everything (contents, free lists, mappings), for checkpoint tests. */
  save(): unknown;
  /** Puts back what {@link save} returned. */
  load(state: unknown): void;
}

/**
 * A flat memory built on the `KstackMemory` contract: `frames` page frames of
 * physical memory (filled with 0xA5 garbage, as free memory is never clean), a real
 * binary buddy allocator (splitting, coalescing, double-free checks), a direct map at
 * PAGE_OFFSET, and a vmalloc area whose runs are backed by single frames (so they are
 * physically scattered) and surrounded by guard pages that fault on access.
 */
export function createFakeMemory(options: { frames: number; sharedGuards?: boolean }): FakeMemory {
  const { frames, sharedGuards = false } = options;
  const maxOrder = Math.floor(Math.log2(frames));
  const bytes = new Uint8Array(frames * PAGE).fill(0xa5);
  // Free blocks per order, each list kept sorted so the lowest block is taken first.
  const freeLists: number[][] = Array.from({ length: maxOrder + 1 }, () => []);
  const allocated = new Map<number, number>();
  for (let pfn = 0, order = maxOrder; pfn < frames; ) {
    while (pfn + (1 << order) > frames) order--;
    (freeLists[order] as number[]).push(pfn);
    pfn += 1 << order;
  }
  const directEnd = PAGE_OFFSET + frames * PAGE;
  const vmallocStart = directEnd + VMALLOC_OFFSET;
  const areas: VmArea[] = [];
  const ptes = new Map<number, number>();
  // Guard page -> how many runs it guards (with sharedGuards, one page can guard two runs).
  const guards = new Map<number, number>();
  const guard1 = (vpn: number, delta: 1 | -1): void => {
    const n = (guards.get(vpn) ?? 0) + delta;
    if (n === 0) guards.delete(vpn);
    else guards.set(vpn, n);
  };

  const insertSorted = (list: number[], value: number): void => {
    let i = 0;
    while (i < list.length && (list[i] as number) < value) i++;
    list.splice(i, 0, value);
  };

  const allocPages = (order: number): number | null => {
    if (!Number.isInteger(order) || order < 0) throw new RangeError(`allocPages: bad order ${order}`);
    let k = order;
    while (k <= maxOrder && (freeLists[k] as number[]).length === 0) k++;
    if (k > maxOrder) return null;
    const pfn = (freeLists[k] as number[]).shift() as number;
    while (k > order) {
      k--;
      insertSorted(freeLists[k] as number[], pfn + (1 << k));
    }
    allocated.set(pfn, order);
    return pfn;
  };

  const freePages = (pfn: number, order: number): void => {
    if (allocated.get(pfn) !== order) throw new Error(`freePages: pfn ${pfn} order ${order} is not an allocated block`);
    allocated.delete(pfn);
    let block = pfn;
    let k = order;
    while (k < maxOrder) {
      const buddy = block ^ (1 << k);
      const list = freeLists[k] as number[];
      const i = list.indexOf(buddy);
      if (i < 0) break;
      list.splice(i, 1);
      block = Math.min(block, buddy);
      k++;
    }
    insertSorted(freeLists[k] as number[], block);
  };

  const translate = (vaddr: number): number => {
    if (vaddr >= PAGE_OFFSET && vaddr < directEnd) return vaddr - PAGE_OFFSET;
    const vpn = Math.floor(vaddr / PAGE);
    const pfn = ptes.get(vpn);
    if (pfn === undefined) throw new FakeMemoryFault(vaddr, guards.has(vpn));
    return pfn * PAGE + (vaddr % PAGE);
  };

  const memory: FakeMemory = {
    pageSize: PAGE,
    frames,
    vmallocStart,
    allocPages,
    freePages,
    directMapAddress(paddr) {
      if (paddr < 0 || paddr >= frames * PAGE) throw new RangeError(`directMapAddress: 0x${paddr.toString(16)} is not in physical memory`);
      return PAGE_OFFSET + paddr;
    },
    vmalloc(pages, { guardPages, align }) {
      const guard = guardPages * PAGE;
      const sorted = [...areas].sort((a, b) => a.start - b.start);
      let candidate = vmallocStart;
      let base = -1;
      for (let i = 0; i <= sorted.length; i++) {
        const b = Math.ceil((candidate + guard) / align) * align;
        const next = sorted[i];
        if (b + pages * PAGE + guard <= (next === undefined ? VMALLOC_END : next.start)) {
          base = b;
          break;
        }
        // Linux's vmalloc puts one guard page after each area, and the next area may
        // start right above it: with sharedGuards the page between two runs guards both.
        if (next !== undefined) candidate = sharedGuards ? next.end - guard : next.end;
      }
      if (base < 0) return null;
      const got: number[] = [];
      for (let i = 0; i < pages; i++) {
        const pfn = allocPages(0);
        if (pfn === null) {
          for (const f of got) freePages(f, 0);
          return null;
        }
        got.push(pfn);
      }
      got.forEach((pfn, i) => {
        ptes.set(base / PAGE + i, pfn);
      });
      for (let i = 1; i <= guardPages; i++) {
        guard1(base / PAGE - i, 1);
        guard1(base / PAGE + pages - 1 + i, 1);
      }
      areas.push({ start: base - guard, end: base + pages * PAGE + guard, base, frames: got, guardPages });
      return base;
    },
    vfree(vaddr) {
      const i = areas.findIndex((a) => a.base === vaddr);
      if (i < 0) throw new Error(`vfree: 0x${vaddr.toString(16)} is not a vmalloc base`);
      const area = areas[i] as VmArea;
      areas.splice(i, 1);
      area.frames.forEach((pfn, k) => {
        ptes.delete(area.base / PAGE + k);
        freePages(pfn, 0);
      });
      for (let k = 1; k <= area.guardPages; k++) {
        guard1(area.base / PAGE - k, -1);
        guard1(area.base / PAGE + area.frames.length - 1 + k, -1);
      }
    },
    read8: (kvaddr) => bytes[translate(kvaddr)] as number,
    write8(kvaddr, value) {
      bytes[translate(kvaddr)] = value & 0xff;
    },
    read32(kvaddr) {
      let v = 0;
      for (let i = 3; i >= 0; i--) v = (v << 8) | (bytes[translate(kvaddr + i)] as number);
      return v >>> 0;
    },
    write32(kvaddr, value) {
      for (let i = 0; i < 4; i++) bytes[translate(kvaddr + i)] = (value >>> (8 * i)) & 0xff;
    },
    fill(kvaddr, length, byte) {
      let done = 0;
      while (done < length) {
        const chunk = Math.min(length - done, PAGE - ((kvaddr + done) % PAGE));
        const p = translate(kvaddr + done);
        bytes.fill(byte, p, p + chunk);
        done += chunk;
      }
    },
    freeFrames: () => freeLists.reduce((sum, list, order) => sum + list.length * (1 << order), 0),
    allocatedBlocks: () => [...allocated].sort((a, b) => a[0] - b[0]),
    vmallocAreas: () =>
      [...areas]
        .sort((a, b) => a.base - b.base)
        .map((a) => ({
          base: a.base,
          end: a.base + a.frames.length * PAGE,
          guardBelow: [a.start, a.base] as [number, number],
          guardAbove: [a.base + a.frames.length * PAGE, a.end] as [number, number],
        })),
    save: () => structuredClone({ bytes, freeLists, allocated: [...allocated], areas, ptes: [...ptes], guards: [...guards] }),
    load(state) {
      const s = structuredClone(state) as {
        bytes: Uint8Array;
        freeLists: number[][];
        allocated: [number, number][];
        areas: VmArea[];
        ptes: [number, number][];
        guards: [number, number][];
      };
      bytes.set(s.bytes);
      freeLists.forEach((list, order) => {
        list.splice(0, list.length, ...(s.freeLists[order] as number[]));
      });
      allocated.clear();
      for (const [k, v] of s.allocated) allocated.set(k, v);
      areas.splice(0, areas.length, ...s.areas);
      ptes.clear();
      for (const [k, v] of s.ptes) ptes.set(k, v);
      guards.clear();
      for (const [k, v] of s.guards) guards.set(k, v);
    },
  };
  return memory;
}
