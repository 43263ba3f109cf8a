import type { EventLog } from '@ossim/eventlog';
import type { MemoryBus, Tlb, TlbEntry } from '../bus.ts';
import { _PAGE_DIRTY, PAGE_MASK, PAGE_SIZE, PGDIR_SIZE } from '../constants.ts';
import { hex32, MmuError } from '../errors.ts';
import type { PageFaultSignal } from '../fault.ts';
import type { PhysicalMemory } from '../physmem.ts';
import { createTranslation, translateInto } from './translate.ts';

// allow[i]: the accesses entry i permits without a walk.
const KERNEL_READ = 1;
const USER_READ = 2;
const KERNEL_WRITE = 4;
const USER_WRITE = 8;
// meta[i]
const GLOBAL = 1;
const LARGE = 2;
const ZERO_ALIAS = 4;

// Read-only stand-in for frames that have no storage yet: entries pointing here never allow writes.
const ZERO_BUFFER = new ArrayBuffer(PAGE_SIZE);
const ZERO_WORDS = new Uint32Array(ZERO_BUFFER);
const ZERO_BYTES = new Uint8Array(ZERO_BUFFER);

/**
 * One CPU's view of memory: CR3, a direct-mapped TLB in typed arrays caching each
 * page's frame storage, and the {@link MemoryBus} methods. A hit costs a tag compare,
 * a permission-bit test and a typed-array access; everything else takes the slow path,
 * which walks the page tables in simulated memory (setting A and D) and refills the slot.
 * An entry allows writes only once the leaf entry is dirty, so the first write to a
 * clean page always walks and sets D.
 */
export class Cpu implements MemoryBus {
  readonly id: number;
  readonly size: number;
  cr3 = 0;
  hits = 0;
  misses = 0;
  flushes = 0;
  private readonly mask: number;
  private readonly tag: Int32Array;
  private readonly allow: Uint8Array;
  private readonly meta: Uint8Array;
  private readonly pfn: Int32Array;
  private readonly words: Uint32Array[];
  private readonly bytes: Uint8Array[];
  private readonly phys: PhysicalMemory;
  private readonly log: EventLog | undefined;
  /** The TLB-fill walk's result, reused: a miss allocates nothing. */
  private readonly walk = createTranslation();
  private aliasEntries = 0;

  constructor(id: number, size: number, phys: PhysicalMemory, log: EventLog | undefined) {
    this.id = id;
    this.size = size;
    this.mask = size - 1;
    this.tag = new Int32Array(size).fill(-1);
    this.allow = new Uint8Array(size);
    this.meta = new Uint8Array(size);
    this.pfn = new Int32Array(size);
    this.words = new Array<Uint32Array>(size).fill(ZERO_WORDS);
    this.bytes = new Array<Uint8Array>(size).fill(ZERO_BYTES);
    this.phys = phys;
    this.log = log;
  }

  read32(vaddr: number, user: boolean): number {
    const vpn = vaddr >>> 12;
    const i = vpn & this.mask;
    if (this.tag[i] === vpn && (vaddr & 3) === 0 && ((this.allow[i] as number) & (user ? USER_READ : KERNEL_READ)) !== 0) {
      this.hits++;
      return (this.words[i] as Uint32Array)[(vaddr & 0xfff) >>> 2] as number;
    }
    return this.slowRead32(vaddr, user);
  }

  /** An instruction fetch is a read: 2-level i386 paging has no NX bit. */
  fetch32(vaddr: number, user: boolean): number {
    return this.read32(vaddr, user);
  }

  write32(vaddr: number, value: number, user: boolean): void {
    const vpn = vaddr >>> 12;
    const i = vpn & this.mask;
    if (this.tag[i] === vpn && (vaddr & 3) === 0 && ((this.allow[i] as number) & (user ? USER_WRITE : KERNEL_WRITE)) !== 0) {
      this.hits++;
      (this.words[i] as Uint32Array)[(vaddr & 0xfff) >>> 2] = value;
      return;
    }
    this.slowWrite32(vaddr, value, user);
  }

  read8(vaddr: number, user: boolean): number {
    const vpn = vaddr >>> 12;
    let i = vpn & this.mask;
    if (this.tag[i] === vpn && ((this.allow[i] as number) & (user ? USER_READ : KERNEL_READ)) !== 0) this.hits++;
    else i = this.fill(vaddr, false, user);
    return (this.bytes[i] as Uint8Array)[vaddr & 0xfff] as number;
  }

  write8(vaddr: number, value: number, user: boolean): void {
    const vpn = vaddr >>> 12;
    let i = vpn & this.mask;
    if (this.tag[i] === vpn && ((this.allow[i] as number) & (user ? USER_WRITE : KERNEL_WRITE)) !== 0) this.hits++;
    else i = this.fill(vaddr, true, user);
    (this.bytes[i] as Uint8Array)[vaddr & 0xfff] = value;
  }

  loadPageTableBase(paddr: number): void {
    this.cr3 = (paddr & PAGE_MASK) >>> 0;
    let dropped = 0;
    for (let i = 0; i < this.size; i++) {
      if ((this.tag[i] as number) >= 0 && ((this.meta[i] as number) & GLOBAL) === 0) {
        this.tag[i] = -1;
        dropped++;
      }
    }
    this.flushes++;
    this.log?.emit('mmu.tlb_flush', { cpu: this.id, reason: 'cr3-load', cr3: this.cr3, start: null, end: null, entries: dropped });
  }

  invalidatePage(vaddr: number): void {
    const page = (vaddr & PAGE_MASK) >>> 0;
    this.flushRange(page, page + PAGE_SIZE, 'invlpg');
  }

  /**
   * Drops every entry for a page in `[start, end)` (global ones too) and reports it.
   * A 4 MiB page cached as several 4 KiB entries is dropped whole, as `invlpg` does.
   */
  flushRange(start: number, end: number, reason: 'invlpg' | 'shootdown'): void {
    let dropped = 0;
    const first = start >>> 12;
    const last = Math.ceil(end / PAGE_SIZE);
    const largeFirst = Math.floor(start / PGDIR_SIZE);
    const largeLast = Math.ceil(end / PGDIR_SIZE);
    for (let i = 0; i < this.size; i++) {
      const vpn = this.tag[i] as number;
      if (vpn < 0) continue;
      const inRange =
        ((this.meta[i] as number) & LARGE) !== 0 ? vpn >>> 10 >= largeFirst && vpn >>> 10 < largeLast : vpn >= first && vpn < last;
      if (inRange) {
        this.tag[i] = -1;
        dropped++;
      }
    }
    this.flushes++;
    this.log?.emit('mmu.tlb_flush', { cpu: this.id, reason, cr3: this.cr3, start, end, entries: dropped });
  }

  /** Drops entries that stand in zeros for frame `pfn`, which has just been given storage. */
  frameBacked(pfn: number): void {
    if (this.aliasEntries === 0) return;
    let left = 0;
    for (let i = 0; i < this.size; i++) {
      if ((this.tag[i] as number) >= 0 && ((this.meta[i] as number) & ZERO_ALIAS) !== 0) {
        if (this.pfn[i] === pfn) this.tag[i] = -1;
        else left++;
      }
    }
    this.aliasEntries = left;
  }

  /** A {@link Tlb} view of this CPU. */
  view(): Tlb {
    const cpu = this;
    return {
      cpu: this.id,
      size: this.size,
      get cr3() {
        return cpu.cr3;
      },
      get hits() {
        return cpu.hits;
      },
      get misses() {
        return cpu.misses;
      },
      get flushes() {
        return cpu.flushes;
      },
      entries: () => this.entries(),
      resetCounters: () => {
        this.hits = 0;
        this.misses = 0;
        this.flushes = 0;
      },
    };
  }

  private entries(): TlbEntry[] {
    const out: TlbEntry[] = [];
    for (let i = 0; i < this.size; i++) {
      const vpn = this.tag[i] as number;
      if (vpn < 0) continue;
      const allow = this.allow[i] as number;
      const meta = this.meta[i] as number;
      out.push({
        index: i,
        vaddr: vpn * PAGE_SIZE,
        pfn: this.pfn[i] as number,
        kernelWrite: (allow & KERNEL_WRITE) !== 0,
        userRead: (allow & USER_READ) !== 0,
        userWrite: (allow & USER_WRITE) !== 0,
        global: (meta & GLOBAL) !== 0,
        largePage: (meta & LARGE) !== 0,
      });
    }
    return out;
  }

  private slowRead32(vaddr: number, user: boolean): number {
    const va = vaddr >>> 0;
    const off = va & 0xfff;
    if ((va & 3) === 0) return (this.words[this.fill(va, false, user)] as Uint32Array)[off >>> 2] as number;
    if (off <= PAGE_SIZE - 4) {
      const b = this.bytes[this.fill(va, false, user)] as Uint8Array;
      return ((b[off] as number) | ((b[off + 1] as number) << 8) | ((b[off + 2] as number) << 16) | ((b[off + 3] as number) << 24)) >>> 0;
    }
    let value = 0;
    for (let k = 0; k < 4; k++) value |= this.read8((va + k) >>> 0, user) << (8 * k);
    return value >>> 0;
  }

  private slowWrite32(vaddr: number, value: number, user: boolean): void {
    const va = vaddr >>> 0;
    const off = va & 0xfff;
    if ((va & 3) === 0) {
      (this.words[this.fill(va, true, user)] as Uint32Array)[off >>> 2] = value;
      return;
    }
    const first = this.bytes[this.fill(va, true, user)] as Uint8Array;
    if (off <= PAGE_SIZE - 4) {
      for (let k = 0; k < 4; k++) first[off + k] = value >>> (8 * k);
      return;
    }
    // Crosses into the next page: translate both before writing any byte, so a fault leaves memory untouched.
    const second = this.bytes[this.fill(((va + 4) & PAGE_MASK) >>> 0, true, user)] as Uint8Array;
    for (let k = 0; k < 4; k++) {
      const o = off + k;
      if (o < PAGE_SIZE) first[o] = value >>> (8 * k);
      else second[o - PAGE_SIZE] = value >>> (8 * k);
    }
  }

  /** Walks the page tables for `vaddr`, refills its slot and returns the slot, or throws the page fault. */
  private fill(vaddr: number, write: boolean, user: boolean): number {
    const va = vaddr >>> 0;
    const vpn = va >>> 12;
    const i = vpn & this.mask;
    if (this.tag[i] === vpn) this.hits++;
    else this.misses++;
    const walk = this.walk;
    if (!translateInto(this.phys, this.cr3, va, write, user, true, walk)) {
      // The CPU may have cached a more permissive translation; a fault means the walk says otherwise.
      this.tag[i] = -1;
      const signal: PageFaultSignal = { kind: 'page-fault', address: va, errorCode: walk.errorCode };
      throw signal;
    }
    const paddr = walk.paddr;
    const frame = paddr >>> 12;
    if (frame >= this.phys.frames) {
      throw new MmuError('physical-range', `${hex32(va)} translates to ${hex32(paddr)}, past the end of physical memory`);
    }
    const leaf = walk.leaf;
    const backed = write || this.phys.isBacked(frame);
    let allow = KERNEL_READ | (walk.userAccessible ? USER_READ : 0);
    if (walk.writable && (leaf & _PAGE_DIRTY) !== 0 && backed) allow |= KERNEL_WRITE | (walk.userAccessible ? USER_WRITE : 0);
    let meta = walk.global ? GLOBAL : 0;
    if (walk.large) meta |= LARGE;
    if (backed) {
      this.words[i] = this.phys.frameWords(frame);
      this.bytes[i] = this.phys.frameBytes(frame);
    } else {
      meta |= ZERO_ALIAS;
      this.aliasEntries++;
      this.words[i] = ZERO_WORDS;
      this.bytes[i] = ZERO_BYTES;
    }
    this.tag[i] = vpn;
    this.allow[i] = allow;
    this.meta[i] = meta;
    this.pfn[i] = frame;
    return i;
  }
}
