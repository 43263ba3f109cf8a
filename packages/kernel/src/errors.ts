/** What went wrong with the caller's input. */
export type KernelErrorCode =
  | 'bad-variant'
  | 'bad-workload'
  | 'bad-program'
  | 'unknown-preset'
  | 'unknown-scenario'
  | 'bad-option'
  | 'no-memory'
  /** A checkpoint that does not belong to this kernel's inputs, or is malformed. */
  | 'bad-checkpoint';

/**
 * The error `@ossim/kernel` throws for bad input: a bad OS variant (the message names
 * the field), a bad workload or program, an unknown preset or scenario. What happens
 * inside the simulation (an oops, a panic, an overflow) is never thrown: it is an event.
 */
export class KernelError extends Error {
  override readonly name = 'KernelError';
  readonly code: KernelErrorCode;
  constructor(code: KernelErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }
}
