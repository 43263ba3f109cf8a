import type { EventType, OssimEvent } from '@ossim/eventlog';
import type { FaultRefusal, FaultResolution } from './fault.ts';

/** Why a TLB was flushed: a CR3 load, an `invlpg`, or a shootdown after the MMU changed page tables. */
export type TlbFlushReason = 'cr3-load' | 'invlpg' | 'shootdown';

declare module '@ossim/eventlog' {
  /** The events of `@ossim/mmu`. Addresses are unsigned; `mm` is null for kernel mappings. */
  interface EventMap {
    /** The buddy allocator handed out 2^order frames at `pfn`. */
    'mmu.frame_alloc': { pfn: number; order: number };
    /** The buddy allocator took back 2^order frames at `pfn`. */
    'mmu.frame_free': { pfn: number; order: number };
    /** A page was mapped: `entry` is the PTE (or large-page PDE) written. */
    'mmu.page_map': { mm: number | null; address: number; pfn: number; entry: number; pageSize: number };
    /** A page was unmapped. */
    'mmu.page_unmap': { mm: number | null; address: number; pfn: number; pageSize: number };
    /** A page fault was handled: resolved (`outcome` says how) or refused (`outcome` says why). */
    'mmu.page_fault': { mm: number | null; address: number; errorCode: number; resolved: boolean; outcome: FaultResolution | FaultRefusal };
    /** A copy-on-write fault copied frame `fromPfn` into the new frame `toPfn`. */
    'mmu.cow_copy': { mm: number; address: number; fromPfn: number; toPfn: number };
    /** A stack region grew down to `start`. */
    'mmu.stack_expand': { mm: number; start: number; end: number };
    /** TLB entries of `cpu` were invalidated: every non-global one (`cr3-load`) or those in `[start, end)`. */
    'mmu.tlb_flush': { cpu: number; reason: TlbFlushReason; cr3: number; start: number | null; end: number | null; entries: number };
    /** An address space was created, empty or by fork of `parent`. */
    'mmu.mm_create': { mm: number; pgd: number; parent: number | null };
    /** An address space was destroyed: its pages, page tables and page directory freed. */
    'mmu.mm_destroy': { mm: number; pgd: number };
    /** `vmalloc` mapped `pages` pages at `address`, with `guardPages` unmapped pages on each side. */
    'mmu.vmalloc': { address: number; pages: number; guardPages: number; pfns: number[] };
    /** `vfree` released the area at `address`. */
    'mmu.vfree': { address: number; pages: number };
  }
}

/** The type names of the events `@ossim/mmu` publishes. */
export type MmuEventType = Extract<EventType, `mmu.${string}`>;

/** An event `@ossim/mmu` publishes. */
export type MmuEvent = Extract<OssimEvent, { type: MmuEventType }>;
