import type { EventLog } from '@ossim/eventlog';
import type { BuddyAllocator } from '../buddy.ts';
import type { FaultResult } from '../fault.ts';
import type { PhysicalMemory } from '../physmem.ts';
import type { Cpu } from './cpu.ts';
import type { Mm } from './mm.ts';

/** What address spaces share with the MMU that owns them. */
export interface MmuContext {
  readonly phys: PhysicalMemory;
  readonly buddy: BuddyAllocator;
  readonly log: EventLog | undefined;
  readonly cpus: readonly Cpu[];
  /** `page->_refcount` of anonymous frames (the head frame of a 4 MiB page). */
  readonly refcount: Int32Array;
  /** `empty_zero_page`: the shared frame read faults of anonymous memory map read-only. */
  readonly zeroPfn: number;
  /** The kernel's page directory, whose PDEs 768-1023 every address space copies. */
  readonly swapperPgDir: number;
  /** Next address-space id. */
  nextMmId: number;
  /** The live address spaces by id, in creation order (what checkpoints save). */
  readonly spaces: Map<number, Mm>;
  /** Allocates 2^order zeroed frames, or null. */
  allocZeroed(order: number): number | null;
  /** Drops a reference to an anonymous page and frees it at zero. */
  putPage(pfn: number, order: number): void;
  /** Invalidates `[start, end)` in the TLB of every CPU running `pgd` (every CPU when null). */
  shootdown(pgd: number | null, start: number, end: number): void;
  /** Handles a fault on a kernel address (or on a user address with no mm). */
  kernelFault(mm: number | null, vaddr: number, errorCode: number): FaultResult;
}
