import { createClock, createEventLog } from '@ossim/eventlog';
import { createMmu, describeErrorCode, hex32, isPageFaultSignal, parseProtection } from '@ossim/mmu';

const log = createEventLog({ clock: createClock() });
log.on('mmu.page_fault', (e) => console.log(`fault at ${hex32(e.address)}: ${describeErrorCode(e.errorCode)} -> ${e.outcome}`));

const mmu = createMmu({ memorySize: 64 * 1024 * 1024, log });
const mm = mmu.createAddressSpace(); // a fresh page directory; PDEs 768-1023 shared with the kernel
mm.mmap({ start: 0x0804_8000, length: 0x2000, prot: parseProtection('rw-u') });
mm.setupStack(); // rw-u, grows down from 0xc0000000 up to RLIMIT_STACK

const bus = mmu.bus(0); // what a CPU uses
bus.loadPageTableBase(mm.pgd); // CR3

// A tiny #PF handler loop: let the running address space resolve the fault, then retry.
let current = mm;
const access = <T>(fn: () => T): T => {
  for (;;) {
    try {
      return fn();
    } catch (signal) {
      if (!isPageFaultSignal(signal)) throw signal;
      const result = current.handleFault(signal.address, signal.errorCode);
      if (!result.resolved) throw new Error(`SIGSEGV (${result.reason})`);
    }
  }
};
access(() => bus.write32(0x0804_8000, 0xcafe, true)); // fault at 0x08048000: not-present, write, user -> demand-zero
access(() => bus.write32(0xbffe_0000 - 4, 1, true)); // below the stack: it grows (demand-zero, stackGrew)

const child = mm.fork(); // copy-on-write: the page is now read-only in both
if (child === null) throw new Error('out of memory');
current = child;
bus.loadPageTableBase(child.pgd);
access(() => bus.write32(0x0804_8000, 0xbeef, true)); // fault at 0x08048000: protection, write, user -> cow-copy
current = mm;
bus.loadPageTableBase(mm.pgd);
console.log(hex32(bus.read32(0x0804_8000, true))); // 0x0000cafe: the parent's page is untouched

const walk = mmu.walk(mm.pgd, 0x0804_8000, { user: true });
console.log(hex32(walk.pde), hex32(walk.pte ?? 0), hex32(walk.paddr ?? 0));
console.log(mmu.buddy.buddyinfo());
console.log(mmu.tlb(0).hits, mmu.tlb(0).misses);
