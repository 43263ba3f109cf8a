/** What was wrong with a request made to the MMU. */
export type MmuErrorCode =
  | 'bad-option'
  | 'bad-cpu'
  | 'bad-address'
  | 'misaligned'
  | 'overlap'
  | 'physical-range'
  | 'bad-pfn'
  | 'bad-order'
  | 'double-free'
  | 'not-allocated'
  | 'out-of-memory'
  | 'vmalloc-full'
  | 'bad-vfree'
  | 'bad-protection'
  | 'in-use'
  | 'destroyed'
  | 'unsupported-host'
  /** A checkpoint that does not fit this MMU (another memory size, CPU count or TLB size). */
  | 'bad-checkpoint';

/**
 * The one error class of `@ossim/mmu`: a request the caller should not have made
 * (a misaligned mapping, a double free, a physical address past the end of memory).
 * What happens *inside* the simulation, such as a page fault, is never an error: the
 * bus throws a {@link PageFaultSignal} and the fault handler returns a result.
 */
export class MmuError extends Error {
  override readonly name = 'MmuError';
  readonly code: MmuErrorCode;

  constructor(code: MmuErrorCode, reason: string, options: { cause?: unknown } = {}) {
    super(reason, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
  }
}

/** Formats a 32-bit value as `0x` and 8 hex digits. */
export function hex32(value: number): string {
  return `0x${(value >>> 0).toString(16).padStart(8, '0')}`;
}
