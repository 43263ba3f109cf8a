import { describe, expect, it } from 'vitest';
import { MmuError } from './errors.ts';
import { createPhysicalMemory } from './physmem.ts';

describe('physical memory', () => {
  it('backs a 1 GiB machine lazily: reads of untouched frames give zeros and allocate nothing', () => {
    const phys = createPhysicalMemory({ size: 1024 * 1024 * 1024 });
    expect(phys.frames).toBe(262144);
    expect(phys.read32(0x3fff_fffc)).toBe(0);
    expect(phys.read8(0x1234_5678)).toBe(0);
    expect(phys.backedFrames).toBe(0);
    phys.write32(0x0010_0000, 0xdeadbeef);
    phys.write8(0x3fff_ffff, 0xab);
    expect(phys.backedFrames).toBe(2);
    expect(phys.isBacked(0x100)).toBe(true);
    expect(phys.isBacked(0x101)).toBe(false);
    expect(phys.read32(0x0010_0000)).toBe(0xdeadbeef);
    expect(phys.read8(0x3fff_ffff)).toBe(0xab);
  });

  it('stores words little-endian and handles unaligned words across frames', () => {
    const phys = createPhysicalMemory({ size: 0x4000 });
    phys.write32(0x0ffe, 0x11223344);
    expect([phys.read8(0x0ffe), phys.read8(0x0fff), phys.read8(0x1000), phys.read8(0x1001)]).toEqual([0x44, 0x33, 0x22, 0x11]);
    expect(phys.read32(0x0ffe)).toBe(0x11223344);
    phys.write32(0x2000, 0x80000001);
    expect(phys.read32(0x2000)).toBe(0x80000001);
    expect(Array.from(phys.readBytes(0x2000, 4))).toEqual([0x01, 0x00, 0x00, 0x80]);
  });

  it('copies and zeroes frames, keeping each frame storage identity', () => {
    const phys = createPhysicalMemory({ size: 0x4000 });
    phys.writeBytes(0x1000, new Uint8Array([1, 2, 3]));
    const words = phys.frameWords(1);
    phys.copyFrame(2, 1);
    expect(phys.read8(0x2002)).toBe(3);
    phys.zeroFrame(1);
    expect(phys.read8(0x1002)).toBe(0);
    expect(phys.frameWords(1)).toBe(words);
    phys.copyFrame(2, 3); // copying an untouched frame zeroes the destination
    expect(phys.read8(0x2002)).toBe(0);
    expect(phys.isBacked(3)).toBe(false);
  });

  it('copies byte runs across frames both ways: untouched frames read as zeros, shared frames are copied before a write', () => {
    const replaced: number[] = [];
    const phys = createPhysicalMemory({ size: 0x5000, onFrameReplaced: (pfn) => replaced.push(pfn) });
    const data = Uint8Array.from({ length: 5000 }, (_, i) => (i * 7 + 1) & 0xff);
    phys.write8(0x1000, 0xee);
    const state = phys.save();
    phys.writeBytes(0x0ff0, data); // frames 0 (new), 1 (shared: copied), 2 (new)
    expect(phys.backedFrames).toBe(3);
    expect(replaced).toEqual([1]);
    expect(Array.from(state.frames[0]?.subarray(0, 1) ?? [])).toEqual([0xee]);
    const out = new Uint8Array(5000 + 32);
    phys.readInto(0x0ff0, out);
    expect(Array.from(out.subarray(0, 5000))).toEqual(Array.from(data));
    expect(Array.from(out.subarray(5000))).toEqual(new Array<number>(32).fill(0)); // past the run: frame 2's tail, still zero
    expect(Array.from(phys.readBytes(0x3ffe, 4))).toEqual([0, 0, 0, 0]); // frame 3 has no storage
    expect(phys.backedFrames).toBe(3);
    for (const a of [0x0ff0, 0x0fff, 0x1000, 0x1ffe, 0x2000, 0x2377]) expect(phys.read8(a)).toBe(data[a - 0x0ff0]);
    expect(() => phys.readInto(0x4ff0, new Uint8Array(17))).toThrow(/outside memory/);
  });

  it('rejects addresses past the end and bad sizes', () => {
    const phys = createPhysicalMemory({ size: 0x2000 });
    expect(() => phys.read32(0x1ffe)).toThrow(MmuError);
    expect(() => phys.write8(0x2000, 1)).toThrow(/outside memory/);
    expect(() => createPhysicalMemory({ size: 1000 })).toThrow(/multiple of 4096/);
  });

  it('save() shares the frames copy-on-write: later writes of every kind copy first, load() puts them back', () => {
    const replaced: number[] = [];
    const phys = createPhysicalMemory({ size: 64 * 4096, onFrameReplaced: (pfn) => replaced.push(pfn) });
    phys.write32(0x1000, 1);
    phys.write32(0x2000, 2);
    phys.write32(0x3000, 3);
    const words = phys.readOnlyFrameWords(1);
    const state = phys.save();
    expect(Array.from(state.pfns)).toEqual([1, 2, 3]);
    expect(state.frames[0]).toBe(words); // nothing copied
    expect(phys.isShared(1)).toBe(true);
    phys.write8(0x1001, 0xff);
    phys.zeroFrame(2);
    phys.copyFrame(3, 1);
    phys.write32(0x4000, 4); // a new frame: nothing to copy
    expect(replaced).toEqual([1, 2, 3]);
    expect(Array.from(state.frames[0]?.subarray(0, 1) ?? [])).toEqual([1]);
    expect(state.frames[1]?.[0]).toBe(2);
    expect(phys.read32(0x1000)).toBe(0xff01);
    expect(phys.read32(0x3000)).toBe(0xff01);
    expect(phys.frameWords(1)).not.toBe(words);
    phys.load(state);
    expect([phys.read32(0x1000), phys.read32(0x2000), phys.read32(0x3000), phys.read32(0x4000)]).toEqual([1, 2, 3, 0]);
    expect(phys.backedFrames).toBe(3);
    phys.write32(0x1000, 9); // the checkpoint stays intact for another load
    phys.load(state);
    expect(phys.read32(0x1000)).toBe(1);
    expect(() => createPhysicalMemory({ size: 32 * 4096 }).load(state)).toThrow(MmuError);
  });
});
