/** The kernel-stack allocation strategies. */
export type KstackStrategyName = 'contiguous' | 'vmap' | 'single';

/** Where `struct thread_info` lives: at the lowest address of the stack (old layout) or in the task (CONFIG_THREAD_INFO_IN_TASK). */
export type ThreadInfoPlacement = 'stack' | 'task';

/**
 * When a dead task's kernel stack is released:
 * - `at-reap`: the old layout (the seeds' description): `free_task()` on the last
 *   `put_task_struct()`, after the parent reaps the zombie; zombies keep their stack;
 * - `at-final-switch`: modern Linux (CONFIG_THREAD_INFO_IN_TASK): `put_task_stack()`
 *   in `finish_task_switch()` right after the dead task's final schedule.
 */
export type ReleasePolicy = 'at-reap' | 'at-final-switch';

/** A half-open range of addresses `[start, end)`. */
export interface AddressRange {
  readonly start: number;
  readonly end: number;
}

/** A task's kernel stack, as the allocator holds it. Plain data. */
export interface KernelStack {
  /** The thread that holds it. */
  readonly tid: number;
  /** The strategy that allocated it. */
  readonly strategy: KstackStrategyName;
  /** The lowest address (`task->stack`). */
  readonly base: number;
  /** One past the highest address: the initial SP, what `sp0` is loaded with. */
  readonly top: number;
  /** THREAD_SIZE in bytes. */
  readonly size: number;
  /** The address of the on-stack `thread_info` (= `base`), or `null` when thread_info is in the task. */
  readonly threadInfo: number | null;
  /** `end_of_stack()`: the address of the `STACK_END_MAGIC` word. */
  readonly endOfStack: number;
  /** The unmapped guard page(s) directly below `base`, or `null` (no guard: direct-mapped stacks). */
  readonly guardBelow: AddressRange | null;
  /** The unmapped guard page(s) directly above `top`, or `null`. */
  readonly guardAbove: AddressRange | null;
  /** The CPU it was allocated on. */
  readonly cpu: number;
  /** `taskExited()` was called (do_exit ran). */
  readonly exited: boolean;
  /** `finalSwitch()` was called (the dead task's final schedule). */
  readonly switchedOut: boolean;
  /** `reaped()` was called (the parent reaped the zombie). */
  readonly reaped: boolean;
}

/** A freed stack waiting in a CPU's cache (one of `nrCachedStacks` slots). */
export interface CachedStack {
  readonly cpu: number;
  readonly slot: number;
  readonly base: number;
  readonly top: number;
  readonly size: number;
  readonly guardBelow: AddressRange | null;
  readonly guardAbove: AddressRange | null;
}

/** A per-CPU interrupt stack or exception (IST-like, double fault) stack. */
export interface PerCpuStack {
  readonly kind: 'irq' | 'exception';
  readonly cpu: number;
  readonly base: number;
  readonly top: number;
  readonly size: number;
  /** On the contiguous layout an IRQ stack carries its own thread_info at `base` (i386's `irq_ctx`); else `null`. */
  readonly threadInfo: number | null;
  readonly guardBelow: AddressRange | null;
  readonly guardAbove: AddressRange | null;
}

/** Who owns a guard page. */
export type GuardOwner =
  | { readonly kind: 'task-stack'; readonly tids: readonly number[] }
  | { readonly kind: 'cached-stack'; readonly cpu: number; readonly slot: number }
  | { readonly kind: 'irq-stack' | 'exception-stack'; readonly cpu: number };

/**
 * Where an address falls (see `KstackAllocator.whereIs`).
 * `part` tells a task stack's `thread-info` words, its `stack-end` magic word, and
 * the rest (`stack`).
 */
export type StackLocation =
  | {
      readonly kind: 'task-stack';
      /** The holders, ascending (several only with the `single` strategy). */
      readonly tids: readonly number[];
      readonly base: number;
      readonly top: number;
      readonly part: 'thread-info' | 'stack-end' | 'stack';
    }
  | { readonly kind: 'cached-stack'; readonly cpu: number; readonly slot: number; readonly base: number; readonly top: number }
  | {
      readonly kind: 'irq-stack';
      readonly cpu: number;
      readonly base: number;
      readonly top: number;
      readonly part: 'thread-info' | 'stack';
    }
  | { readonly kind: 'exception-stack'; readonly cpu: number; readonly base: number; readonly top: number }
  | {
      readonly kind: 'guard-page';
      /** Whether the page is below or above the owner's stack (an overflow of a downward-growing stack hits the one below). */
      readonly side: 'below' | 'above';
      /** The guard range. */
      readonly start: number;
      readonly end: number;
      readonly owner: GuardOwner;
    };

/**
 * How an overflow was detected:
 * - `guard-page`: an access faulted in the unmapped page below (or above) a vmapped stack;
 * - `stack-end-magic`: `*end_of_stack(t) != STACK_END_MAGIC`;
 * - `thread-info`: the on-stack thread_info was overwritten (its task word no longer
 *   names the task, so `current` by masking SP is wrong).
 */
export type OverflowHow = 'guard-page' | 'stack-end-magic' | 'thread-info';

/** Which stack overflowed. */
export type OverflowStack = 'task' | 'irq' | 'exception';

/** What `checkOverflow` and `taskStackEndCorrupted` found. Plain data; also the payload of `kstack.overflow`. */
export interface OverflowReport {
  readonly cpu: number;
  /** The task whose stack overflowed, or `null` for a per-CPU stack. */
  readonly tid: number | null;
  readonly stack: OverflowStack;
  readonly base: number;
  readonly top: number;
  /** The first evidence, in the order `guard-page`, `stack-end-magic`, `thread-info`. */
  readonly how: OverflowHow;
  /** Every piece of evidence found. */
  readonly evidence: readonly OverflowHow[];
  /** The faulting address, when a fault led here. */
  readonly faultAddress: number | null;
  /** The word found at `end_of_stack()` (task stacks), or `null`. */
  readonly endOfStackWord: number | null;
  /** Where it was detected: a page fault, the scheduler's `schedule_debug()`, or an explicit check. */
  readonly detectedIn: 'fault' | 'schedule' | 'check';
  /** The panic message the kernel prints, when the detection is a panic (`schedule`); else `null`. */
  readonly panic: string | null;
}

/**
 * A run of kernel memory backing a stack, in a checkpoint: where it is, its guards,
 * and how it goes back to memory (a buddy block, or a vmalloc area).
 */
export interface StackRegion {
  readonly base: number;
  readonly size: number;
  readonly guardBelow: AddressRange | null;
  readonly guardAbove: AddressRange | null;
  readonly release: { readonly kind: 'pages'; readonly pfn: number; readonly order: number } | { readonly kind: 'vmalloc' };
}

/**
 * A checkpoint of a kernel-stack allocator (`KstackAllocator.save`): plain data. The
 * stacks' contents are not in it: they are memory (with `@ossim/mmu`, in the MMU's checkpoint).
 */
export interface KstackState {
  /** The configuration it was taken with (checked on load). */
  readonly strategy: KstackStrategyName;
  readonly threadSize: number;
  readonly cpus: number;
  readonly nrCachedStacks: number;
  /** Every task stack held, once (with `single`, one for all holders): its region, holders and accounting count. */
  readonly held: readonly { readonly region: StackRegion; readonly holders: number; readonly accounted: number }[];
  /** Every task holding a stack, in the allocator's table order; `held` indexes the list above. */
  readonly tasks: readonly {
    readonly tid: number;
    readonly cpu: number;
    readonly held: number;
    readonly exited: boolean;
    readonly switchedOut: boolean;
    readonly reaped: boolean;
    readonly accounted: boolean;
  }[];
  /** Tids whose stack went back before the parent reaped them (`at-final-switch`). */
  readonly awaitingReap: readonly number[];
  /** Per CPU, per slot: the cached stack, or null. */
  readonly caches: readonly (readonly (StackRegion | null)[])[];
  /** With `single`: the index in `held` of the one shared stack, or null before it exists. */
  readonly sharedHeld: number | null;
  readonly kernelStackKb: number;
  readonly lowestToDate: number;
  readonly irqStacks: readonly (PerCpuStack | null)[];
  readonly exceptionStacks: readonly (PerCpuStack | null)[];
}
