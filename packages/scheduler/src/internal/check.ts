import { SchedulerError, type SchedulerErrorCode } from '../errors.ts';

/** Throws unless `value` is a positive safe integer. */
export function checkPositiveInt(value: number, what: string, code: SchedulerErrorCode = 'bad-option'): number {
  if (!Number.isSafeInteger(value) || value <= 0) throw new SchedulerError(code, `${what}: must be a positive integer, got ${value}`);
  return value;
}

/** Throws unless `value` is a non-negative safe integer. */
export function checkNonNegativeInt(value: number, what: string, code: SchedulerErrorCode = 'bad-option'): number {
  if (!Number.isSafeInteger(value) || value < 0) throw new SchedulerError(code, `${what}: must be a non-negative integer, got ${value}`);
  return value;
}
