import { createBuddyAllocator, createMmu, parseProtection } from '@ossim/mmu';
import { type BenchModule, opsPerSecond } from '../../../scripts/benchkit.ts';

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

export default {
  async run() {
    return { 'mmu.buddy_ops_per_s': await buddyOps(), 'mmu.translate_per_s': await translations() };
  },
  targets: {
    'mmu.buddy_ops_per_s': { min: 5_000_000 },
    'mmu.translate_per_s': { min: 50_000_000 },
  },
} satisfies BenchModule;
