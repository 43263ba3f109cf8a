import { createBuddyAllocator, createMmu, parseProtection } from '@ossim/mmu';
import { type BenchModule, medianMs, opsPerSecond } from '../../../scripts/benchkit.ts';

/** Steady-state buddy traffic: a window of live blocks of mixed orders; each op frees the oldest and allocates one. */
async function buddyOps(): Promise<number> {
  const buddy = createBuddyAllocator({ frames: 16384 });
  const orders = [0, 0, 1, 0, 2, 0, 0, 3, 1, 0, 0, 2, 0, 4, 0, 1];
  const window = 256;
  const live = new Int32Array(window);
  const liveOrder = new Int32Array(window);
  for (let i = 0; i < window; i++) {
    liveOrder[i] = orders[i % orders.length] as number;
    live[i] = buddy.allocPages(liveOrder[i] as number) as number;
  }
  let slot = 0;
  let k = 0;
  const pairs = 10_000;
  return opsPerSecond(
    'mmu.buddy_ops',
    () => {
      for (let n = 0; n < pairs; n++) {
        buddy.freePages(live[slot] as number, liveOrder[slot] as number);
        const order = orders[k++ & 15] as number;
        live[slot] = buddy.allocPages(order) as number;
        liveOrder[slot] = order;
        slot = (slot + 1) & (window - 1);
      }
    },
    pairs,
  );
}

/** TLB-hit word reads through the bus, in user mode, over four pages. */
async function translations(): Promise<number> {
  const mmu = createMmu();
  const mm = mmu.createAddressSpace();
  mm.mmap({ start: 0x0804_8000, length: 4 * 4096, prot: parseProtection('rw-u'), populate: true });
  const bus = mmu.bus(0);
  bus.loadPageTableBase(mm.pgd);
  for (let a = 0x0804_8000; a < 0x0804_c000; a += 4) bus.write32(a, a, true);
  const reads = 16_384;
  let sink = 0;
  const rate = await opsPerSecond(
    'mmu.translate',
    () => {
      let sum = 0;
      for (let i = 0; i < reads; i++) sum = (sum + bus.read32(0x0804_8000 + ((i * 4) & 0x3ffc), true)) | 0;
      sink ^= sum;
    },
    reads,
  );
  if (sink === 0x7fffffff) console.log(sink);
  return rate;
}

/**
 * `mmu.checkpoint_ms`: `mmu.save()` of a 64 MiB machine with 2,000 touched frames (user pages
 * written through the bus, their page tables, the kernel's). `mmu.checkpoint_write100_ms`: the
 * same after writing 100 of those pages since the previous checkpoint (each write copies its
 * frame off the checkpoint first, then the save).
 */
async function checkpoints(): Promise<Record<string, number>> {
  const mmu = createMmu();
  const mm = mmu.createAddressSpace();
  const pages = 2000;
  mm.mmap({ start: 0x0804_8000, length: pages * 4096, prot: parseProtection('rw-u'), populate: true });
  const bus = mmu.bus(0);
  bus.loadPageTableBase(mm.pgd);
  for (let p = 0; p < pages; p++) bus.write32(0x0804_8000 + p * 4096, p, true);
  if (mmu.phys.backedFrames < pages) throw new Error(`only ${mmu.phys.backedFrames} frames touched`);
  let kept: unknown;
  const save = await medianMs('mmu.save (2,000 frames)', () => {
    kept = mmu.save();
  });
  let round = 0;
  const write100 = await medianMs('mmu.save after 100 page writes', () => {
    round++;
    for (let p = 0; p < 100; p++) bus.write32(0x0804_8000 + ((p * 19 + round) % pages) * 4096 + 8, round, true);
    kept = mmu.save();
  });
  if (kept === undefined) throw new Error('no checkpoint');
  return { 'mmu.checkpoint_ms': save, 'mmu.checkpoint_write100_ms': write100 };
}

export default {
  async run() {
    return {
      'mmu.buddy_ops_per_s': await buddyOps(),
      'mmu.translate_per_s': await translations(),
      ...(await checkpoints()),
    };
  },
  targets: {
    'mmu.buddy_ops_per_s': { min: 5_000_000 },
    'mmu.translate_per_s': { min: 50_000_000 },
    'mmu.checkpoint_ms': { max: 5 },
  },
} satisfies BenchModule;
