import type { AddressRange, KstackStrategyName, OverflowReport } from './types.ts';

/** The stack a task was given (payload of `kstack.alloc` and `kstack.cache_hit`). */
export interface KstackAllocPayload {
  tid: number;
  cpu: number;
  strategy: KstackStrategyName;
  base: number;
  top: number;
  size: number;
  /** The on-stack thread_info address, or `null` when thread_info is in the task. */
  threadInfo: number | null;
  endOfStack: number;
  guardBelow: AddressRange | null;
  guardAbove: AddressRange | null;
}

declare module '@ossim/eventlog' {
  interface EventMap {
    /** A task got a fresh kernel stack: from the buddy allocator, from vmalloc, or (`single`) the shared stack. */
    'kstack.alloc': KstackAllocPayload & { source: 'pages' | 'vmalloc' | 'shared' };
    /** A task got a stack from its CPU's cache of freed stacks (zeroed before use). */
    'kstack.cache_hit': KstackAllocPayload & { slot: number };
    /** No memory for a kernel stack: fork fails with ENOMEM. */
    'kstack.alloc_failed': { tid: number; cpu: number; strategy: KstackStrategyName; size: number };
    /**
     * A task's stack was released: into the CPU's cache, back to memory, or `kept`
     * because other threads still share it (`single`).
     */
    'kstack.free': {
      tid: number;
      cpu: number;
      strategy: KstackStrategyName;
      base: number;
      top: number;
      size: number;
      to: 'cache' | 'memory' | 'kept';
      slot: number | null;
    };
    /** `account_kernel_stack()`: the KernelStack figure of /proc/meminfo changed. */
    'kstack.account': { tid: number; deltaKb: number; kernelStackKb: number };
    /** A per-CPU interrupt or exception stack was set up at boot. */
    'kstack.percpu_stack': {
      cpu: number;
      kind: 'irq' | 'exception';
      base: number;
      top: number;
      size: number;
      guardBelow: AddressRange | null;
      guardAbove: AddressRange | null;
    };
    /** Interrupt entry moved execution onto the CPU's IRQ stack. */
    'kstack.irq_stack_switch': { cpu: number; spBefore: number; spAfter: number; base: number; top: number };
    /** Exception entry (double fault) moved execution onto the CPU's exception stack. */
    'kstack.exception_stack_switch': { cpu: number; spBefore: number; spAfter: number; base: number; top: number };
    /** A stack overflow (or corruption) was detected, and how. */
    'kstack.overflow': OverflowReport;
    /** CONFIG_DEBUG_STACK_USAGE: a new global low-water mark at exit, with the kernel's message. */
    'kstack.greatest_depth': { tid: number; comm: string; bytesLeft: number; message: string };
  }
}
