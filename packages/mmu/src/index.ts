import './events.ts';

export type { AddressSpace, AddressSpaceState, MmapOptions, PageSize, StackOptions, Vma } from './addressSpace.ts';
export { type BuddyAllocator, type BuddyOptions, type BuddyState, createBuddyAllocator } from './buddy.ts';
export type { MemoryBus, Tlb, TlbEntry, TlbState } from './bus.ts';
export {
  _KERNPG_TABLE,
  _PAGE_ACCESSED,
  _PAGE_DIRTY,
  _PAGE_GLOBAL,
  _PAGE_PCD,
  _PAGE_PRESENT,
  _PAGE_PSE,
  _PAGE_PWT,
  _PAGE_RW,
  _PAGE_TABLE,
  _PAGE_USER,
  _STK_LIM,
  KERNEL_PGD_BOUNDARY,
  MAX_PAGE_ORDER,
  MAXMEM,
  MMAP_MIN_ADDR,
  NR_PAGE_ORDERS,
  PAGE_KERNEL,
  PAGE_KERNEL_LARGE,
  PAGE_MASK,
  PAGE_OFFSET,
  PAGE_SHIFT,
  PAGE_SIZE,
  PGDIR_SHIFT,
  PGDIR_SIZE,
  PTRS_PER_PGD,
  PTRS_PER_PTE,
  STACK_GUARD_GAP,
  STACK_INITIAL_SIZE,
  STACK_TOP,
  VMALLOC_END,
  VMALLOC_OFFSET,
  X86_PF_INSTR,
  X86_PF_PROT,
  X86_PF_RSVD,
  X86_PF_USER,
  X86_PF_WRITE,
} from './constants.ts';
export { hex32, MmuError, type MmuErrorCode } from './errors.ts';
export type { MmuEvent, MmuEventType, TlbFlushReason } from './events.ts';
export {
  describeErrorCode,
  type FaultRefusal,
  type FaultResolution,
  type FaultResult,
  isPageFaultSignal,
  type PageFaultSignal,
} from './fault.ts';
export { createMmu, type MemoryLayout, type Mmu, type MmuOptions, type MmuState, type VmallocArea, type VmallocOptions } from './mmu.ts';
export {
  createPhysicalMemory,
  DEFAULT_MEMORY_SIZE,
  type PhysicalMemory,
  type PhysicalMemoryOptions,
  type PhysicalMemoryState,
} from './physmem.ts';
export { formatProtection, type Protection, parseProtection } from './protection.ts';
export { type Access, type Walk, type WalkFault, walkPageTables } from './walk.ts';
