import { PAGE_SHIFT, PAGE_SIZE } from './constants.ts';
import { hex32, MmuError } from './errors.ts';

/** Default physical memory: 64 MiB. */
export const DEFAULT_MEMORY_SIZE = 64 * 1024 * 1024;

/**
 * Simulated physical memory: `size` bytes in 4 KiB frames, backed lazily. A frame's
 * storage is created on its first write (or when a caller asks for it); reading an
 * untouched frame gives zeros, so a 1 GiB machine costs only the frames it touches.
 * Multi-byte values are little-endian.
 *
 * **Checkpoints are copy-on-write.** {@link PhysicalMemory.save} hands out the frames'
 * current storage and marks it shared; the next write to a shared frame (through any
 * method here) first gives the frame a private copy, so a checkpoint costs only the
 * frames written since the previous one. A frame's storage is therefore replaced
 * when a shared frame is written (and by {@link PhysicalMemory.load}): whoever caches
 * a frame's typed arrays (the TLB does) must listen to `onFrameReplaced`, and must get
 * storage it writes into from {@link PhysicalMemory.frameWords}, never from the
 * read-only accessors.
 */
export interface PhysicalMemory {
  /** Bytes of physical memory. */
  readonly size: number;
  /** Page frames (`max_pfn`). */
  readonly frames: number;
  /** Frames whose storage exists. */
  readonly backedFrames: number;
  /** True when frame `pfn` has storage (it was written). */
  isBacked(pfn: number): boolean;
  /** Reads the byte at `paddr`. */
  read8(paddr: number): number;
  /** Reads the unsigned little-endian 32-bit word at `paddr` (any alignment). */
  read32(paddr: number): number;
  /** Writes the low byte of `value` at `paddr`. */
  write8(paddr: number, value: number): void;
  /** Writes `value` as a little-endian 32-bit word at `paddr` (any alignment). */
  write32(paddr: number, value: number): void;
  /** Copies `length` bytes starting at `paddr`. */
  readBytes(paddr: number, length: number): Uint8Array;
  /** Copies `target.length` bytes starting at `paddr` into `target` (what {@link readBytes} returns, without allocating). */
  readInto(paddr: number, target: Uint8Array): void;
  /** Writes `bytes` starting at `paddr`. */
  writeBytes(paddr: number, bytes: Uint8Array): void;
  /** Fills frame `pfn` with zeros (free for a frame that has no storage yet). */
  zeroFrame(pfn: number): void;
  /** Copies frame `src` into frame `dst` (free when `src` has no storage and `dst` none either). */
  copyFrame(dst: number, src: number): void;
  /**
   * The storage of frame `pfn` as 1024 words, created if needed, to read and write: a
   * frame shared with a checkpoint gets its private copy first.
   */
  frameWords(pfn: number): Uint32Array;
  /** The storage of frame `pfn` as 4096 bytes (the same memory as {@link frameWords}), created if needed, to read and write. */
  frameBytes(pfn: number): Uint8Array;
  /**
   * The storage of frame `pfn` as 1024 words for reading only, or undefined when the frame
   * has none (it reads as zeros). It may be shared with a checkpoint: never write into it.
   * It stays the frame's storage until `onFrameReplaced` reports the frame.
   */
  readOnlyFrameWords(pfn: number): Uint32Array | undefined;
  /** {@link readOnlyFrameWords} as 4096 bytes. */
  readOnlyFrameBytes(pfn: number): Uint8Array | undefined;
  /** True when frame `pfn`'s storage is shared with a checkpoint (its next write copies it). */
  isShared(pfn: number): boolean;
  /**
   * A checkpoint of the memory: the storage of every backed frame, which is now shared
   * (nothing is copied; each frame is copied on its next write). Costs a scan of the
   * frame table and one reference per backed frame.
   */
  save(): PhysicalMemoryState;
  /**
   * Puts back the contents `save()` captured (of a memory of the same size). The
   * checkpoint's storage becomes the frames' storage, shared, so the checkpoint stays
   * valid and can be loaded again. Reports every frame whose storage changed through
   * `onFrameReplaced` (and none through `onFrameBacked`).
   */
  load(state: PhysicalMemoryState): void;
}

/**
 * A checkpoint of {@link PhysicalMemory}: the backed frames and their contents. The
 * arrays are shared with the memory and with other checkpoints: treat them as read-only.
 */
export interface PhysicalMemoryState {
  /** Bytes of memory. */
  readonly size: number;
  /** The backed frames, ascending. */
  readonly pfns: Int32Array;
  /** The contents of `pfns[k]`: 1024 words each. */
  readonly frames: readonly Uint32Array[];
}

/** Options of {@link createPhysicalMemory}. */
export interface PhysicalMemoryOptions {
  /** Bytes of memory, a positive multiple of 4 KiB, at most 4 GiB. Default 64 MiB. */
  readonly size?: number;
  /** Called when a frame's storage is created (the MMU drops TLB entries that aliased the zero frame). */
  readonly onFrameBacked?: (pfn: number) => void;
  /**
   * Called when a backed frame's storage is replaced: the frame was shared with a
   * checkpoint and is being written, or a checkpoint was loaded. Typed arrays cached
   * for it are stale (the MMU repoints its TLB entries).
   */
  readonly onFrameReplaced?: (pfn: number) => void;
}

const FOUR_GIB = 2 ** 32;

/**
 * Creates lazily backed physical memory.
 *
 * @example
 * ```ts
 * const phys = createPhysicalMemory({ size: 1024 * 1024 * 1024 });
 * phys.read32(0x1000); // 0, and nothing allocated
 * phys.write32(0x1000, 0xdeadbeef);
 * phys.backedFrames; // 1
 * ```
 */
export function createPhysicalMemory(options: PhysicalMemoryOptions = {}): PhysicalMemory {
  if (new Uint8Array(new Uint32Array([1]).buffer)[0] !== 1) {
    throw new MmuError('unsupported-host', 'the simulated memory needs a little-endian host');
  }
  const size = options.size ?? DEFAULT_MEMORY_SIZE;
  if (!Number.isSafeInteger(size) || size <= 0 || size % PAGE_SIZE !== 0 || size > FOUR_GIB) {
    throw new MmuError('bad-option', `memory size ${size} must be a positive multiple of 4096 bytes, at most 4 GiB`);
  }
  const frames = size / PAGE_SIZE;
  const onFrameBacked = options.onFrameBacked;
  const onFrameReplaced = options.onFrameReplaced;
  const words: (Uint32Array | undefined)[] = new Array<Uint32Array | undefined>(frames).fill(undefined);
  const bytes: (Uint8Array | undefined)[] = new Array<Uint8Array | undefined>(frames).fill(undefined);
  // 1 when the frame's storage is shared with a checkpoint: copied before its next write.
  const shared = new Uint8Array(frames);
  let backed = 0;

  const check = (paddr: number, length: number): number => {
    const p = paddr >>> 0;
    if (!Number.isInteger(paddr) || p !== paddr || p + length > size) {
      throw new MmuError('physical-range', `physical address ${hex32(paddr)} (+${length}) is outside memory of ${size} bytes`);
    }
    return p;
  };
  const backFrame = (pfn: number): Uint32Array => {
    let w = words[pfn];
    if (w === undefined) {
      const buffer = new ArrayBuffer(PAGE_SIZE);
      w = new Uint32Array(buffer);
      words[pfn] = w;
      bytes[pfn] = new Uint8Array(buffer);
      backed++;
      onFrameBacked?.(pfn);
    }
    return w;
  };
  /** Gives frame `pfn` the storage `w` (private) and reports it. */
  const replace = (pfn: number, w: Uint32Array): Uint32Array => {
    words[pfn] = w;
    bytes[pfn] = new Uint8Array(w.buffer);
    shared[pfn] = 0;
    onFrameReplaced?.(pfn);
    return w;
  };
  /** The storage of `pfn` to write into: created, or copied when shared with a checkpoint. */
  const writable = (pfn: number): Uint32Array => {
    const w = words[pfn];
    if (w !== undefined && shared[pfn] === 0) return w;
    return w === undefined ? backFrame(pfn) : replace(pfn, new Uint32Array(w));
  };
  const checkPfn = (pfn: number): void => {
    if (!Number.isInteger(pfn) || pfn < 0 || pfn >= frames)
      throw new MmuError('bad-pfn', `page frame ${pfn} does not exist (${frames} frames)`);
  };
  const read8 = (p: number): number => bytes[p >>> PAGE_SHIFT]?.[p & 0xfff] ?? 0;
  // `target.length` bytes from `p` (checked) into `target`, frame by frame; frames without storage read as zeros.
  const readInto = (p: number, target: Uint8Array): void => {
    const n = target.length;
    let i = 0;
    let a = p;
    while (i < n) {
      const off = a & 0xfff;
      const len = Math.min(n - i, PAGE_SIZE - off);
      const b = bytes[a >>> PAGE_SHIFT];
      if (b === undefined) target.fill(0, i, i + len);
      else if (len < 32) for (let k = 0; k < len; k++) target[i + k] = b[off + k] as number;
      else target.set(b.subarray(off, off + len), i);
      i += len;
      a += len;
    }
  };
  const write8 = (p: number, value: number): void => {
    const pfn = p >>> PAGE_SHIFT;
    writable(pfn);
    (bytes[pfn] as Uint8Array)[p & 0xfff] = value;
  };

  return {
    size,
    frames,
    get backedFrames() {
      return backed;
    },
    isBacked(pfn) {
      return words[pfn] !== undefined;
    },
    read8(paddr) {
      return read8(check(paddr, 1));
    },
    read32(paddr) {
      const p = check(paddr, 4);
      if ((p & 3) === 0) return words[p >>> PAGE_SHIFT]?.[(p & 0xfff) >>> 2] ?? 0;
      return (read8(p) | (read8(p + 1) << 8) | (read8(p + 2) << 16) | (read8(p + 3) << 24)) >>> 0;
    },
    write8(paddr, value) {
      write8(check(paddr, 1), value);
    },
    write32(paddr, value) {
      const p = check(paddr, 4);
      if ((p & 3) === 0) {
        writable(p >>> PAGE_SHIFT)[(p & 0xfff) >>> 2] = value;
        return;
      }
      for (let i = 0; i < 4; i++) write8(p + i, value >>> (8 * i));
    },
    readBytes(paddr, length) {
      const p = check(paddr, length);
      const out = new Uint8Array(length);
      readInto(p, out);
      return out;
    },
    readInto(paddr, target) {
      readInto(check(paddr, target.length), target);
    },
    writeBytes(paddr, data) {
      // Frame by frame: each frame touched is made writable once (backed, or copied when shared), in address order.
      let p = check(paddr, data.length);
      const n = data.length;
      let i = 0;
      while (i < n) {
        const pfn = p >>> PAGE_SHIFT;
        const off = p & 0xfff;
        const len = Math.min(n - i, PAGE_SIZE - off);
        writable(pfn);
        const b = bytes[pfn] as Uint8Array;
        if (len < 32) for (let k = 0; k < len; k++) b[off + k] = data[i + k] as number;
        else b.set(data.subarray(i, i + len), off);
        i += len;
        p += len;
      }
    },
    zeroFrame(pfn) {
      checkPfn(pfn);
      const w = words[pfn];
      if (w === undefined) return;
      // A shared frame gets fresh zeroed storage rather than a copy to clear.
      if (shared[pfn] !== 0) replace(pfn, new Uint32Array(PAGE_SIZE / 4));
      else w.fill(0);
    },
    copyFrame(dst, src) {
      checkPfn(dst);
      checkPfn(src);
      const from = words[src];
      if (from === undefined) {
        const w = words[dst];
        if (w !== undefined && shared[dst] !== 0) replace(dst, new Uint32Array(PAGE_SIZE / 4));
        else w?.fill(0);
        return;
      }
      if (words[dst] !== undefined && shared[dst] !== 0) replace(dst, new Uint32Array(from));
      else backFrame(dst).set(from);
    },
    frameWords(pfn) {
      checkPfn(pfn);
      return writable(pfn);
    },
    frameBytes(pfn) {
      checkPfn(pfn);
      writable(pfn);
      return bytes[pfn] as Uint8Array;
    },
    readOnlyFrameWords(pfn) {
      checkPfn(pfn);
      return words[pfn];
    },
    readOnlyFrameBytes(pfn) {
      checkPfn(pfn);
      return bytes[pfn];
    },
    isShared(pfn) {
      return shared[pfn] === 1;
    },
    save() {
      const pfns = new Int32Array(backed);
      const out: Uint32Array[] = new Array<Uint32Array>(backed);
      let k = 0;
      for (let pfn = 0; pfn < frames; pfn++) {
        const w = words[pfn];
        if (w === undefined) continue;
        pfns[k] = pfn;
        out[k++] = w;
        shared[pfn] = 1;
      }
      return { size, pfns, frames: out };
    },
    load(state) {
      if (state.size !== size || state.pfns.length !== state.frames.length) {
        throw new MmuError('bad-checkpoint', `a checkpoint of ${state.size} bytes of memory does not fit ${size} bytes`);
      }
      for (let k = 0; k < state.pfns.length; k++) {
        const pfn = state.pfns[k] as number;
        if (!(pfn >= 0 && pfn < frames) || (state.frames[k] as Uint32Array).length !== PAGE_SIZE / 4) {
          throw new MmuError('bad-checkpoint', `checkpoint frame ${pfn} is not a 4 KiB frame of this memory`);
        }
      }
      const before = words.slice();
      words.fill(undefined);
      bytes.fill(undefined);
      shared.fill(0);
      for (let k = 0; k < state.pfns.length; k++) {
        const pfn = state.pfns[k] as number;
        const w = state.frames[k] as Uint32Array;
        words[pfn] = w;
        bytes[pfn] = new Uint8Array(w.buffer, w.byteOffset, PAGE_SIZE);
        shared[pfn] = 1;
      }
      backed = state.pfns.length;
      if (onFrameReplaced !== undefined) {
        for (let pfn = 0; pfn < frames; pfn++) if (before[pfn] !== words[pfn]) onFrameReplaced(pfn);
      }
    },
  };
}
