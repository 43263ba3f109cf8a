import { createClock, createEventLog, type OssimEvent } from '@ossim/eventlog';
import {
  _PAGE_DIRTY,
  type AddressSpace,
  createMmu,
  isPageFaultSignal,
  type Mmu,
  MmuError,
  type MmuState,
  PAGE_SIZE,
  parseProtection,
} from '@ossim/mmu';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

const CPUS = 2;
const REGION = 0x0804_8000;
const REGION_PAGES = 3;

/** A small "kernel" over the MMU: it names address spaces by id only, and re-resolves them after a load. */
interface World {
  readonly mmu: Mmu;
  readonly events: OssimEvent[];
  /** Per CPU: the id of the address space in CR3, or null for swapper_pg_dir. */
  running: (number | null)[];
  vmallocs: number[];
  /** What every operation returned, in order. */
  readonly results: unknown[];
}

type Op =
  | { kind: 'create' }
  | { kind: 'fork'; pick: number }
  | { kind: 'destroy'; pick: number }
  | { kind: 'switch'; cpu: number; pick: number }
  | { kind: 'access'; cpu: number; page: number; offset: number; write: boolean; byte: boolean; value: number; user: boolean }
  | { kind: 'munmap'; pick: number; page: number }
  | { kind: 'clean'; pick: number; page: number }
  | { kind: 'invlpg'; cpu: number; page: number }
  | { kind: 'vmalloc'; pages: number }
  | { kind: 'vfree'; pick: number }
  | { kind: 'kwrite'; pick: number; value: number }
  | { kind: 'save' };

const cpuArb = fc.integer({ min: 0, max: CPUS - 1 });
const pageArb = fc.integer({ min: -1, max: REGION_PAGES - 1 });
const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 2, arbitrary: fc.constant({ kind: 'create' as const }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('fork' as const), pick: fc.nat() }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('destroy' as const), pick: fc.nat() }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('switch' as const), cpu: cpuArb, pick: fc.nat() }) },
  {
    weight: 12,
    arbitrary: fc.record({
      kind: fc.constant('access' as const),
      cpu: cpuArb,
      page: pageArb,
      offset: fc.oneof(fc.integer({ min: 0, max: 64 }), fc.integer({ min: 4090, max: 4095 })),
      write: fc.boolean(),
      byte: fc.boolean(),
      value: fc.nat(),
      user: fc.boolean(),
    }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('munmap' as const), pick: fc.nat(), page: pageArb }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('clean' as const), pick: fc.nat(), page: pageArb }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('invlpg' as const), cpu: cpuArb, page: pageArb }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('vmalloc' as const), pages: fc.integer({ min: 1, max: 3 }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('vfree' as const), pick: fc.nat() }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('kwrite' as const), pick: fc.nat(), value: fc.nat() }) },
  { weight: 2, arbitrary: fc.constant({ kind: 'save' as const }) },
);

function world(): World {
  const log = createEventLog({ clock: createClock() });
  const events: OssimEvent[] = [];
  log.listen((e) => events.push(e));
  const mmu = createMmu({ memorySize: 8 << 20, cpus: CPUS, tlbEntries: 16, log });
  return { mmu, events, running: Array.from({ length: CPUS }, () => null), vmallocs: [], results: [] };
}

const pick = <T>(list: readonly T[], n: number): T | undefined => (list.length === 0 ? undefined : list[n % list.length]);

function setup(mm: AddressSpace): void {
  mm.mmap({ start: REGION, length: REGION_PAGES * PAGE_SIZE, prot: parseProtection('rw-u') });
  mm.setupStack({ size: 2 * PAGE_SIZE });
}

/** The address of `page` of the test region (-1: just below the stack, to grow it). */
const addressOf = (page: number): number => (page < 0 ? 0xc000_0000 - 3 * PAGE_SIZE : REGION + page * PAGE_SIZE);

function apply(w: World, op: Op, saves: MmuState[] | null): void {
  const { mmu } = w;
  const spaces = mmu.addressSpaces();
  const out = (r: unknown): void => {
    w.results.push(r);
  };
  switch (op.kind) {
    case 'create': {
      if (spaces.length >= 4) return;
      const mm = mmu.createAddressSpace();
      setup(mm);
      out(mm.id);
      return;
    }
    case 'fork': {
      const mm = pick(spaces, op.pick);
      if (mm === undefined || spaces.length >= 4) return;
      out(mm.fork()?.id ?? null);
      return;
    }
    case 'destroy': {
      const mm = pick(spaces, op.pick);
      if (mm === undefined || w.running.includes(mm.id)) return;
      mm.destroy();
      return;
    }
    case 'switch': {
      const mm = pick([null, ...spaces], op.pick);
      w.running[op.cpu] = mm === undefined || mm === null ? null : mm.id;
      mmu.bus(op.cpu).loadPageTableBase(mm === undefined || mm === null ? mmu.swapperPgDir : mm.pgd);
      return;
    }
    case 'access': {
      const id = w.running[op.cpu];
      const mm = id === null || id === undefined ? null : mmu.addressSpace(id);
      const bus = mmu.bus(op.cpu);
      const va = addressOf(op.page) + op.offset;
      for (let attempt = 0; attempt < 3; attempt++) {
        try {
          if (op.write) {
            if (op.byte) bus.write8(va, op.value, op.user);
            else bus.write32(va, op.value, op.user);
            out('ok');
          } else out(op.byte ? bus.read8(va, op.user) : bus.read32(va, op.user));
          return;
        } catch (signal) {
          if (!isPageFaultSignal(signal)) throw signal;
          const result = mmu.handleFault(mm, signal.address, signal.errorCode);
          out(result);
          if (!result.resolved) return;
        }
      }
      return;
    }
    case 'munmap': {
      const mm = pick(spaces, op.pick);
      if (mm !== undefined && op.page >= 0) mm.munmap(addressOf(op.page), PAGE_SIZE);
      return;
    }
    case 'clean': {
      // Clears a PTE's dirty bit behind the TLB's back (no flush): stale entries must stay exactly as stale.
      const mm = pick(spaces, op.pick);
      if (mm === undefined) return;
      const walk = mmu.walk(mm.pgd, addressOf(op.page));
      if (walk.pteAddress === null || walk.pte === null) return;
      mmu.phys.write32(walk.pteAddress, (walk.pte & ~_PAGE_DIRTY) >>> 0);
      return;
    }
    case 'invlpg':
      mmu.bus(op.cpu).invalidatePage(addressOf(op.page));
      return;
    case 'vmalloc': {
      const address = mmu.vmalloc(op.pages, { zero: true });
      if (address !== null) w.vmallocs.push(address);
      out(address);
      return;
    }
    case 'vfree': {
      const address = pick(w.vmallocs, op.pick);
      if (address === undefined) return;
      mmu.vfree(address);
      w.vmallocs = w.vmallocs.filter((a) => a !== address);
      return;
    }
    case 'kwrite': {
      // The kernel writes a vmalloc'd page through CPU 0 (kernel mode, global entries).
      const address = pick(w.vmallocs, op.pick);
      if (address !== undefined) mmu.bus(0).write32(address + 8, op.value, false);
      return;
    }
    case 'save':
      saves?.push(mmu.save());
      return;
  }
}

/** Everything observable about the MMU, as plain data. */
function observe(w: World): unknown {
  const { mmu } = w;
  const frames: string[] = [];
  for (let pfn = 0; pfn < mmu.phys.frames; pfn++) {
    const words = mmu.phys.readOnlyFrameWords(pfn);
    if (words === undefined) continue;
    let h = 0x811c9dc5;
    for (let i = 0; i < words.length; i++) h = Math.imul(h ^ (words[i] as number), 16777619);
    frames.push(`${pfn}:${(h >>> 0).toString(16)}`);
  }
  return {
    frames,
    free: mmu.buddy.freeBlocks(),
    tlbs: Array.from({ length: mmu.cpus }, (_, cpu) => {
      const t = mmu.tlb(cpu);
      return { cr3: t.cr3, hits: t.hits, misses: t.misses, flushes: t.flushes, entries: t.entries() };
    }),
    spaces: mmu.addressSpaces().map((mm) => ({ id: mm.id, pgd: mm.pgd, rss: mm.rss, vmas: mm.vmas() })),
    vmalloc: mmu.vmallocAreas(),
  };
}

const strip = (events: readonly OssimEvent[]): unknown[] => events.map(({ seq: _seq, ...rest }) => rest);

/** Runs `ops` from where `w` is and returns what they produced. */
function continueWith(w: World, ops: readonly Op[], saves: MmuState[] | null): { events: unknown[]; results: unknown[]; state: unknown } {
  const e0 = w.events.length;
  const r0 = w.results.length;
  for (const op of ops) apply(w, op, saves);
  return { events: strip(w.events.slice(e0)), results: w.results.slice(r0), state: observe(w) };
}

describe('MMU checkpoints', () => {
  it('load(save()) then the same operations gives the same events, values, memory, TLBs and address spaces as never saving (fast-check)', () => {
    fc.assert(
      fc.property(
        fc.array(opArb, { minLength: 5, maxLength: 40, size: 'max' }),
        fc.array(opArb, { minLength: 1, maxLength: 40, size: 'max' }),
        (before, after) => {
          const start: Op[] = [{ kind: 'create' }, { kind: 'switch', cpu: 0, pick: 1 }, ...before];
          // Never saved.
          const never = world();
          for (const op of start) apply(never, op, null);
          const expected = continueWith(never, after, null);

          // Saved (and saving again along the way).
          const a = world();
          for (const op of start) apply(a, op, []);
          const checkpoint = a.mmu.save();
          const running = [...a.running];
          const vmallocs = [...a.vmallocs];
          const saves: MmuState[] = [];
          expect(continueWith(a, after, saves)).toEqual(expected);

          // A fresh MMU loaded from the checkpoint.
          const b = world();
          b.mmu.load(structuredClone(checkpoint));
          b.running = [...running];
          b.vmallocs = [...vmallocs];
          expect(continueWith(b, after, null)).toEqual(expected);

          // The same MMU sent back to the checkpoint (seeking backwards), twice.
          for (let round = 0; round < 2; round++) {
            a.mmu.load(checkpoint);
            a.running = [...running];
            a.vmallocs = [...vmallocs];
            expect(continueWith(a, after, null)).toEqual(expected);
          }
        },
      ),
      { numRuns: 300 },
    );
  });

  it('a checkpoint costs only the frames written since the previous one, and later writes never reach it', () => {
    const mmu = createMmu({ memorySize: 16 << 20 });
    const mm = mmu.createAddressSpace();
    mm.mmap({ start: REGION, length: 64 * PAGE_SIZE, prot: parseProtection('rw-u'), populate: true });
    const bus = mmu.bus(0);
    bus.loadPageTableBase(mm.pgd);
    for (let p = 0; p < 64; p++) bus.write32(REGION + p * PAGE_SIZE, p, true);
    const first = mmu.save();
    const frameOf = (state: MmuState, pfn: number): Uint32Array | undefined => state.phys.frames[state.phys.pfns.indexOf(pfn)];
    const pfn0 = mmu.walk(mm.pgd, REGION).paddr as number;
    const before = frameOf(first, pfn0 >>> 12)?.slice();
    bus.write32(REGION, 0xdead, true); // a TLB hit on a frame the checkpoint shares
    mmu.phys.write32(pfn0 + 4, 0xbeef); // a physical write
    expect(frameOf(first, pfn0 >>> 12)).toEqual(before);
    expect(bus.read32(REGION, true)).toBe(0xdead);
    expect(bus.read32(REGION + 4, true)).toBe(0xbeef);
    const second = mmu.save();
    let sharedWithFirst = 0;
    for (let k = 0; k < second.phys.pfns.length; k++) {
      if (frameOf(first, second.phys.pfns[k] as number) === second.phys.frames[k]) sharedWithFirst++;
    }
    // Only the data frame and the page table (whose A/D bits the TLB fill may touch) changed.
    expect(second.phys.pfns.length - sharedWithFirst).toBeLessThanOrEqual(2);
    expect(second.phys.pfns.length).toBeGreaterThan(64);
    mmu.load(first);
    expect(bus.read32(REGION, true)).toBe(0);
    expect(bus.read32(REGION + 4, true)).toBe(0);
  });

  it('a write through a TLB entry whose frame a checkpoint shares is still a TLB hit: no walk, no A/D update', () => {
    const run = (save: boolean): { pte: number; hits: number; misses: number; value: number } => {
      const mmu = createMmu({ memorySize: 8 << 20 });
      const mm = mmu.createAddressSpace();
      mm.mmap({ start: REGION, length: PAGE_SIZE, prot: parseProtection('rw-u'), populate: true });
      const bus = mmu.bus(0);
      bus.loadPageTableBase(mm.pgd);
      bus.write32(REGION, 1, true);
      if (save) mmu.save();
      // The kernel cleans the PTE without a flush: the stale entry still allows writes.
      const walk = mmu.walk(mm.pgd, REGION);
      mmu.phys.write32(walk.pteAddress as number, ((walk.pte as number) & ~_PAGE_DIRTY) >>> 0);
      bus.write32(REGION, 2, true);
      bus.write8(REGION + 5, 3, true);
      const t = mmu.tlb(0);
      return { pte: mmu.phys.read32(walk.pteAddress as number), hits: t.hits, misses: t.misses, value: bus.read32(REGION, true) };
    };
    const never = run(false);
    expect((never.pte & _PAGE_DIRTY) === 0).toBe(true);
    expect(run(true)).toEqual(never);
  });

  it('keeps the address-space objects live on both sides, marks the others destroyed, and refuses a checkpoint of another machine', () => {
    const mmu = createMmu({ memorySize: 8 << 20 });
    const kept = mmu.createAddressSpace();
    const state = mmu.save();
    const later = mmu.createAddressSpace();
    mmu.load(state);
    expect(mmu.addressSpace(kept.id)).toBe(kept);
    expect(mmu.addressSpace(later.id)).toBeNull();
    expect(later.destroyed).toBe(true);
    const fresh = createMmu({ memorySize: 8 << 20 });
    fresh.load(state);
    expect(fresh.addressSpace(kept.id)?.pgd).toBe(kept.pgd);
    expect(fresh.createAddressSpace().id).toBe(later.id);
    expect(() => createMmu({ memorySize: 12 << 20 }).load(state)).toThrow(MmuError);
    expect(() => createMmu({ memorySize: 8 << 20, cpus: 2 }).load(state)).toThrow(/does not fit/);
  });
});
