import type { KstackMemory } from '../memory.ts';
import type { KstackStrategyName, ThreadInfoPlacement } from '../types.ts';
import { allocDirect, allocVmalloc, type Region } from './backend.ts';

/** The part of a strategy the allocator delegates to: where stacks come from and what they look like. */
export interface Strategy {
  readonly name: KstackStrategyName;
  readonly threadInfo: ThreadInfoPlacement;
  /** Every thread is handed the same stack. */
  readonly shared: boolean;
  /** Freed stacks may go to the per-CPU cache. */
  readonly cacheable: boolean;
  /** Allocates one task stack of `threadSize` bytes, `threadSize`-aligned. */
  allocStack(memory: KstackMemory, threadSize: number): Region | null;
  /** Allocates a per-CPU IRQ or exception stack of `size` bytes. */
  allocPerCpu(memory: KstackMemory, size: number): Region | null;
}

/** `alloc_pages(THREAD_SIZE_ORDER)` in the direct map, thread_info at the lowest address (i386, pre-4.9). */
const contiguous: Strategy = {
  name: 'contiguous',
  threadInfo: 'stack',
  shared: false,
  cacheable: true,
  allocStack: (memory, threadSize) => allocDirect(memory, threadSize),
  allocPerCpu: (memory, size) => allocDirect(memory, size),
};

/**
 * CONFIG_VMAP_STACK: vmalloc'd with THREAD_ALIGN = THREAD_SIZE and an unmapped guard
 * page on each side; IRQ and exception stacks are mapped with guard pages too
 * (x86_64's `map_irq_stack()` and the IST stacks of `cpu_entry_area`).
 */
const vmap: Strategy = {
  name: 'vmap',
  threadInfo: 'task',
  shared: false,
  cacheable: true,
  allocStack: (memory, threadSize) => allocVmalloc(memory, threadSize, threadSize, 1),
  allocPerCpu: (memory, size) => allocVmalloc(memory, size, size, 1),
};

/** The seeds' thought experiment: one direct-mapped stack handed to every thread. */
const single: Strategy = {
  name: 'single',
  threadInfo: 'task',
  shared: true,
  cacheable: false,
  allocStack: (memory, threadSize) => allocDirect(memory, threadSize),
  allocPerCpu: (memory, size) => allocDirect(memory, size),
};

/** The built-in strategies by name, in a fixed order. */
export const STRATEGIES: Readonly<Record<KstackStrategyName, Strategy>> = { contiguous, vmap, single };
