/**
 * The memory bus a CPU uses for every access: the only way `@ossim/cpu` reaches
 * memory. The MMU implements it per CPU (`mmu.bus(cpu)`); a CPU package needs only
 * this shape, never an import of `@ossim/mmu`.
 *
 * `user` is true when the CPU is in user mode. A failed translation throws a
 * {@link PageFaultSignal} (a plain object `{ kind: 'page-fault', address, errorCode }`).
 * Values are unsigned 32-bit, little-endian; unaligned accesses work and may fault on
 * either page they touch.
 */
export interface MemoryBus {
  /** Reads the 32-bit word at `vaddr` (unsigned). */
  read32(vaddr: number, user: boolean): number;
  /** Writes the 32-bit word `value` at `vaddr`. */
  write32(vaddr: number, value: number, user: boolean): void;
  /** Reads the byte at `vaddr`. */
  read8(vaddr: number, user: boolean): number;
  /** Writes the low byte of `value` at `vaddr`. */
  write8(vaddr: number, value: number, user: boolean): void;
  /** Fetches the instruction word at `vaddr` (checked as a read). */
  fetch32(vaddr: number, user: boolean): number;
  /** Loads CR3 with the physical address of a page directory: flushes every non-global TLB entry. */
  loadPageTableBase(paddr: number): void;
  /** `invlpg`: drops the TLB entry of the page holding `vaddr` (global or not). */
  invalidatePage(vaddr: number): void;
  /**
   * For a CPU's block translator: the storage of the page `fetch32(vaddr, user)` reads
   * from, as 1,024 words (checked, counted and faulting as that fetch). A frame keeps
   * returning the same array until its storage is replaced; a frame with no storage yet
   * returns a shared array of zeros.
   */
  codePage(vaddr: number, user: boolean): Uint32Array;
  /**
   * The TLB's arrays, for a CPU's translator to read aligned words directly on a hit:
   * slot `vpn & mask` holds page `vpn` when `tag[slot] === vpn`; `allow[slot]` bits are
   * 1 kernel read, 2 user read, 4 kernel write, 8 user write; `words[slot]` is the page's
   * storage. A hit read that way is not counted in `hits`.
   */
  readonly tlb: {
    readonly tag: Int32Array;
    readonly allow: Uint8Array;
    readonly words: readonly Uint32Array[];
    readonly mask: number;
  };
}

/** One valid TLB entry, for inspection. */
export interface TlbEntry {
  /** The slot in the direct-mapped TLB. */
  readonly index: number;
  /** The virtual address of the 4 KiB page cached. */
  readonly vaddr: number;
  /** The frame it translates to. */
  readonly pfn: number;
  /** Accesses the entry allows without a walk. */
  readonly kernelWrite: boolean;
  readonly userRead: boolean;
  readonly userWrite: boolean;
  /** Survives CR3 loads. */
  readonly global: boolean;
  /** Part of a 4 MiB page. */
  readonly largePage: boolean;
}

/** A CPU's TLB: its counters and contents. */
export interface Tlb {
  /** The CPU it belongs to. */
  readonly cpu: number;
  /** Entries (a power of two; direct-mapped by virtual page number). */
  readonly size: number;
  /** The page directory currently loaded (CR3). */
  readonly cr3: number;
  /** Accesses translated from the TLB. */
  readonly hits: number;
  /** Accesses that needed a page walk. */
  readonly misses: number;
  /** CR3 loads, invlpgs and shootdowns received. */
  readonly flushes: number;
  /** The valid entries, by slot. */
  entries(): TlbEntry[];
  /** Sets hits, misses and flushes back to 0. */
  resetCounters(): void;
}

/** A checkpoint of one CPU's TLB and CR3 (part of an `MmuState`). */
export interface TlbState {
  readonly cpu: number;
  readonly size: number;
  readonly cr3: number;
  readonly hits: number;
  readonly misses: number;
  readonly flushes: number;
  readonly aliasEntries: number;
  /** Per slot: the virtual page number cached, or -1. */
  readonly tag: Int32Array;
  /** Per slot: the accesses allowed without a walk. */
  readonly allow: Uint8Array;
  /** Per slot: write permissions withheld while the frame is shared with a checkpoint. */
  readonly held: Uint8Array;
  /** Per slot: global, large-page and zero-alias flags. */
  readonly meta: Uint8Array;
  /** Per slot: the frame. */
  readonly pfn: Int32Array;
}
