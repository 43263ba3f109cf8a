import { PAGE_SHIFT, PAGE_SIZE } from './constants.ts';
import { hex32, MmuError } from './errors.ts';

/** Default physical memory: 64 MiB. */
export const DEFAULT_MEMORY_SIZE = 64 * 1024 * 1024;

/**
 * Simulated physical memory: `size` bytes in 4 KiB frames, backed lazily. A frame's
 * storage is created on its first write (or when a caller asks for it); reading an
 * untouched frame gives zeros, so a 1 GiB machine costs only the frames it touches.
 * Once created, a frame's storage is never replaced: its typed arrays may be cached
 * (the TLB does). Multi-byte values are little-endian.
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
  /** Writes `bytes` starting at `paddr`. */
  writeBytes(paddr: number, bytes: Uint8Array): void;
  /** Fills frame `pfn` with zeros (free for a frame that has no storage yet). */
  zeroFrame(pfn: number): void;
  /** Copies frame `src` into frame `dst` (free when `src` has no storage and `dst` none either). */
  copyFrame(dst: number, src: number): void;
  /** The storage of frame `pfn` as 1024 words, created if needed. */
  frameWords(pfn: number): Uint32Array;
  /** The storage of frame `pfn` as 4096 bytes (the same memory as {@link frameWords}), created if needed. */
  frameBytes(pfn: number): Uint8Array;
}

/** Options of {@link createPhysicalMemory}. */
export interface PhysicalMemoryOptions {
  /** Bytes of memory, a positive multiple of 4 KiB, at most 4 GiB. Default 64 MiB. */
  readonly size?: number;
  /** Called when a frame's storage is created (the MMU drops TLB entries that aliased the zero frame). */
  readonly onFrameBacked?: (pfn: number) => void;
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
  const words: (Uint32Array | undefined)[] = new Array<Uint32Array | undefined>(frames).fill(undefined);
  const bytes: (Uint8Array | undefined)[] = new Array<Uint8Array | undefined>(frames).fill(undefined);
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
  const checkPfn = (pfn: number): void => {
    if (!Number.isInteger(pfn) || pfn < 0 || pfn >= frames)
      throw new MmuError('bad-pfn', `page frame ${pfn} does not exist (${frames} frames)`);
  };
  const read8 = (p: number): number => bytes[p >>> PAGE_SHIFT]?.[p & 0xfff] ?? 0;
  const write8 = (p: number, value: number): void => {
    const pfn = p >>> PAGE_SHIFT;
    backFrame(pfn);
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
        backFrame(p >>> PAGE_SHIFT)[(p & 0xfff) >>> 2] = value;
        return;
      }
      for (let i = 0; i < 4; i++) write8(p + i, value >>> (8 * i));
    },
    readBytes(paddr, length) {
      const p = check(paddr, length);
      const out = new Uint8Array(length);
      for (let i = 0; i < length; i++) out[i] = read8(p + i);
      return out;
    },
    writeBytes(paddr, data) {
      const p = check(paddr, data.length);
      for (let i = 0; i < data.length; i++) write8(p + i, data[i] as number);
    },
    zeroFrame(pfn) {
      checkPfn(pfn);
      words[pfn]?.fill(0);
    },
    copyFrame(dst, src) {
      checkPfn(dst);
      checkPfn(src);
      const from = words[src];
      if (from === undefined) {
        words[dst]?.fill(0);
        return;
      }
      backFrame(dst).set(from);
    },
    frameWords(pfn) {
      checkPfn(pfn);
      return backFrame(pfn);
    },
    frameBytes(pfn) {
      checkPfn(pfn);
      backFrame(pfn);
      return bytes[pfn] as Uint8Array;
    },
  };
}
