/** The page size of the simulated machine: 4 KiB. */
export const PAGE_SIZE = 4096;

/** The word size of the simulated machine (a 32-bit machine): 4 bytes. */
export const WORD_SIZE = 4;

/**
 * The value written at the end of every task's kernel stack by
 * `set_task_stack_end_magic()` (include/uapi/linux/magic.h). An overflow that runs
 * off the end of the stack overwrites it first.
 */
export const STACK_END_MAGIC = 0x57ac6e9d;

/** The kernel stack sizes this package supports (THREAD_SIZE, in bytes): 4, 8, 16 and 32 KiB. */
export const THREAD_SIZES = [4096, 8192, 16384, 32768] as const;

/** A supported THREAD_SIZE. */
export type ThreadSize = (typeof THREAD_SIZES)[number];

/** Freed stacks kept per CPU for reuse, as kernel/fork.c's `NR_CACHED_STACKS`. */
export const NR_CACHED_STACKS = 2;

/** The size of a per-CPU exception (IST-like) stack: x86_64's `EXCEPTION_STKSZ` without KASAN, 4 KiB. */
export const EXCEPTION_STACK_SIZE = 4096;

/**
 * The byte offsets of the words of `struct thread_info` when it sits at the lowest
 * address of the stack (the `contiguous` strategy). Each is one 32-bit word.
 *
 * | offset | word            | written by                                    |
 * | ------ | --------------- | --------------------------------------------- |
 * | 0x00   | `task`          | the allocator: the tid (the simulated task_struct is not in memory) |
 * | 0x04   | `flags`         | the kernel (TIF_* bits); 0 at allocation      |
 * | 0x08   | `status`        | the kernel (TS_* bits); 0 at allocation       |
 * | 0x0c   | `cpu`           | the allocator at allocation; the kernel on migration |
 * | 0x10   | `preempt_count` | the kernel; 0 at allocation                   |
 *
 * `STACK_END_MAGIC` is the next word, at {@link THREAD_INFO_SIZE}.
 */
export const THREAD_INFO_OFFSETS = {
  task: 0x00,
  flags: 0x04,
  status: 0x08,
  cpu: 0x0c,
  preemptCount: 0x10,
} as const;

/** The size of the on-stack `struct thread_info`: five words, 20 bytes. */
export const THREAD_INFO_SIZE = 20;

/** What `schedule_debug()` panics with when `task_stack_end_corrupted()` (kernel/sched/core.c). */
export const STACK_END_CORRUPTED_PANIC = 'corrupted stack end detected inside scheduler';
