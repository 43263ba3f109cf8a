import type { EventLog } from '@ossim/eventlog';
import type { MemoryBus, Tlb, TlbEntry, TlbState } from '../bus.ts';
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
const WRITE = KERNEL_WRITE | USER_WRITE;
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
 *
 * Frames shared with a checkpoint (see `PhysicalMemory.save`) are cached read-only: an
 * entry's write permissions wait in `held`, and the first write through it gives the
 * frame its private copy (every CPU's entries for the frame are repointed by
 * {@link Cpu.frameReplaced}), then proceeds as the TLB hit it is, without a walk.
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
  /** Write permissions withheld because the cached frame is shared with a checkpoint. */
  private readonly held: Uint8Array;
  private readonly pfn: Int32Array;
  private readonly words: Uint32Array[];
  private readonly bytes: Uint8Array[];
  private readonly phys: PhysicalMemory;
  private readonly log: EventLog | undefined;
  /** The TLB-fill walk's result, reused: a miss allocates nothing. */
  private readonly walk = createTranslation();
  private aliasEntries = 0;
  /** Slots that may hold a non-global entry (filled since the last CR3 load): all a CR3 load needs to look at. */
  private readonly local: Int32Array;
  private readonly listed: Uint8Array;
  private localCount = 0;
  readonly tlb: MemoryBus['tlb'];

  constructor(id: number, size: number, phys: PhysicalMemory, log: EventLog | undefined) {
    this.id = id;
    this.size = size;
    this.mask = size - 1;
    this.tag = new Int32Array(size).fill(-1);
    this.allow = new Uint8Array(size);
    this.meta = new Uint8Array(size);
    this.held = new Uint8Array(size);
    this.pfn = new Int32Array(size);
    this.words = new Array<Uint32Array>(size).fill(ZERO_WORDS);
    this.bytes = new Array<Uint8Array>(size).fill(ZERO_BYTES);
    this.phys = phys;
    this.log = log;
    this.tlb = { tag: this.tag, allow: this.allow, words: this.words, mask: this.mask };
    this.local = new Int32Array(size);
    this.listed = new Uint8Array(size);
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

  codePage(vaddr: number, user: boolean): Uint32Array {
    const vpn = vaddr >>> 12;
    const i = vpn & this.mask;
    if (this.tag[i] === vpn && (vaddr & 3) === 0 && ((this.allow[i] as number) & (user ? USER_READ : KERNEL_READ)) !== 0) {
      this.hits++;
      return this.words[i] as Uint32Array;
    }
    return this.words[this.fill(vaddr >>> 0, false, user)] as Uint32Array;
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
    const need = user ? USER_WRITE : KERNEL_WRITE;
    if (this.tag[i] === vpn && ((this.allow[i] as number) & need) !== 0) this.hits++;
    else if (this.tag[i] === vpn && ((this.held[i] as number) & need) !== 0) this.unshare(i);
    else i = this.fill(vaddr, true, user);
    (this.bytes[i] as Uint8Array)[vaddr & 0xfff] = value;
  }

  loadPageTableBase(paddr: number): void {
    this.cr3 = (paddr & PAGE_MASK) >>> 0;
    let dropped = 0;
    for (let k = 0; k < this.localCount; k++) {
      const i = this.local[k] as number;
      this.listed[i] = 0;
      if ((this.tag[i] as number) >= 0 && ((this.meta[i] as number) & GLOBAL) === 0) {
        this.tag[i] = -1;
        dropped++;
      }
    }
    this.localCount = 0;
    this.flushes++;
    // Built whole (append), in the order emit would give its keys.
    this.log?.append({
      seq: 0,
      time: 0,
      type: 'mmu.tlb_flush',
      cpu: this.id,
      reason: 'cr3-load',
      cr3: this.cr3,
      start: null,
      end: null,
      entries: dropped,
    });
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
    this.log?.append({ seq: 0, time: 0, type: 'mmu.tlb_flush', cpu: this.id, reason, cr3: this.cr3, start, end, entries: dropped });
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

  /** Frame `pfn` has new storage (copied off a checkpoint, or loaded): repoints the entries caching it. */
  frameReplaced(pfn: number): void {
    const phys = this.phys;
    for (let i = 0; i < this.size; i++) {
      if (this.pfn[i] !== pfn || (this.tag[i] as number) < 0 || ((this.meta[i] as number) & ZERO_ALIAS) !== 0) continue;
      this.words[i] = phys.readOnlyFrameWords(pfn) as Uint32Array;
      this.bytes[i] = phys.readOnlyFrameBytes(pfn) as Uint8Array;
      if (!phys.isShared(pfn)) {
        this.allow[i] = (this.allow[i] as number) | (this.held[i] as number);
        this.held[i] = 0;
      }
    }
  }

  /** Withholds write permissions from entries whose frame is shared with a checkpoint. */
  private holdShared(): void {
    const phys = this.phys;
    for (let i = 0; i < this.size; i++) {
      if ((this.tag[i] as number) < 0 || ((this.meta[i] as number) & ZERO_ALIAS) !== 0) continue;
      const allow = this.allow[i] as number;
      if ((allow & WRITE) !== 0 && phys.isShared(this.pfn[i] as number)) {
        this.held[i] = (this.held[i] as number) | (allow & WRITE);
        this.allow[i] = allow & ~WRITE;
      }
    }
  }

  /** A checkpoint of CR3, the counters and every entry. Call after the frames were saved (shared). */
  save(): TlbState {
    this.holdShared();
    return {
      cpu: this.id,
      size: this.size,
      cr3: this.cr3,
      hits: this.hits,
      misses: this.misses,
      flushes: this.flushes,
      aliasEntries: this.aliasEntries,
      tag: this.tag.slice(),
      allow: this.allow.slice(),
      held: this.held.slice(),
      meta: this.meta.slice(),
      pfn: this.pfn.slice(),
    };
  }

  /** Puts back what {@link save} captured. Call after the frames were loaded. */
  load(state: TlbState): void {
    if (state.cpu !== this.id || state.size !== this.size) {
      throw new MmuError(
        'bad-checkpoint',
        `CPU ${this.id}: a checkpoint of CPU ${state.cpu}'s ${state.size}-entry TLB does not fit its ${this.size} entries`,
      );
    }
    this.cr3 = state.cr3;
    this.hits = state.hits;
    this.misses = state.misses;
    this.flushes = state.flushes;
    this.aliasEntries = state.aliasEntries;
    this.tag.set(state.tag);
    this.allow.set(state.allow);
    this.held.set(state.held);
    this.meta.set(state.meta);
    this.pfn.set(state.pfn);
    this.listed.fill(0);
    this.localCount = 0;
    for (let i = 0; i < this.size; i++) {
      if ((this.tag[i] as number) >= 0 && ((this.meta[i] as number) & GLOBAL) === 0) {
        this.listed[i] = 1;
        this.local[this.localCount++] = i;
      }
    }
    const phys = this.phys;
    for (let i = 0; i < this.size; i++) {
      const pfn = this.pfn[i] as number;
      const words = (this.tag[i] as number) < 0 || ((this.meta[i] as number) & ZERO_ALIAS) !== 0 ? undefined : phys.readOnlyFrameWords(pfn);
      if (words === undefined) {
        this.words[i] = ZERO_WORDS;
        this.bytes[i] = ZERO_BYTES;
        if ((this.tag[i] as number) >= 0 && ((this.meta[i] as number) & ZERO_ALIAS) === 0) {
          throw new MmuError(
            'bad-checkpoint',
            `CPU ${this.id}: TLB slot ${i} caches frame ${pfn}, which the checkpoint's memory never wrote`,
          );
        }
        continue;
      }
      this.words[i] = words;
      this.bytes[i] = phys.readOnlyFrameBytes(pfn) as Uint8Array;
    }
    this.holdShared();
  }

  /** A write through slot `i`, whose write permission waits for its frame to be unshared: copies the frame, counts the hit. */
  private unshare(i: number): void {
    this.phys.frameWords(this.pfn[i] as number); // copies the frame; frameReplaced() repoints slot i and gives back its permissions
    if (this.held[i] !== 0) {
      this.allow[i] = (this.allow[i] as number) | (this.held[i] as number);
      this.held[i] = 0;
    }
    this.hits++;
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
      // Write permissions held back for a checkpoint-shared frame are still the entry's.
      const allow = (this.allow[i] as number) | (this.held[i] as number);
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
      const i = (va >>> 12) & this.mask;
      if (this.tag[i] === va >>> 12 && ((this.held[i] as number) & (user ? USER_WRITE : KERNEL_WRITE)) !== 0) {
        // What would have been a TLB hit but for a checkpoint sharing the frame.
        this.unshare(i);
        (this.words[i] as Uint32Array)[off >>> 2] = value;
        return;
      }
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
    let held = 0;
    if (backed && !write && this.phys.isShared(frame)) {
      // Read-only until the frame is written: its storage belongs to a checkpoint too.
      held = allow & WRITE;
      allow &= ~WRITE;
      this.words[i] = this.phys.readOnlyFrameWords(frame) as Uint32Array;
      this.bytes[i] = this.phys.readOnlyFrameBytes(frame) as Uint8Array;
    } else if (backed) {
      this.words[i] = this.phys.frameWords(frame);
      this.bytes[i] = this.phys.frameBytes(frame);
    } else {
      meta |= ZERO_ALIAS;
      this.aliasEntries++;
      this.words[i] = ZERO_WORDS;
      this.bytes[i] = ZERO_BYTES;
    }
    this.tag[i] = vpn;
    if ((meta & GLOBAL) === 0 && this.listed[i] === 0) {
      this.listed[i] = 1;
      this.local[this.localCount++] = i;
    }
    this.allow[i] = allow;
    this.held[i] = held;
    this.meta[i] = meta;
    this.pfn[i] = frame;
    return i;
  }
}
