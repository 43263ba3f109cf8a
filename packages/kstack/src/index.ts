export {
  createKstackAllocator,
  type KstackAllocator,
  type KstackOptions,
  type OverflowCheck,
  type TaskExit,
  type TrapEntry,
} from './allocator.ts';
export {
  EXCEPTION_STACK_SIZE,
  NR_CACHED_STACKS,
  PAGE_SIZE,
  STACK_END_CORRUPTED_PANIC,
  STACK_END_MAGIC,
  THREAD_INFO_OFFSETS,
  THREAD_INFO_SIZE,
  THREAD_SIZES,
  type ThreadSize,
  WORD_SIZE,
} from './constants.ts';
export { KstackError, type KstackErrorCode } from './errors.ts';
export type { KstackAllocPayload } from './events.ts';
export { formatGreatestDepth, formatKernelStackLine } from './format.ts';
export type { KstackMemory } from './memory.ts';
export type {
  AddressRange,
  CachedStack,
  GuardOwner,
  KernelStack,
  KstackState,
  KstackStrategyName,
  OverflowHow,
  OverflowReport,
  OverflowStack,
  PerCpuStack,
  ReleasePolicy,
  StackLocation,
  StackRegion,
  ThreadInfoPlacement,
} from './types.ts';
