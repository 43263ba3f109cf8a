import { SchedulerError } from '../errors.ts';

/** Returns `state` as a checkpoint of the policy `name`, or throws `no-checkpoint`. */
export function checkState<S extends { readonly policy: string }>(state: unknown, name: string): S {
  const got = typeof state === 'object' && state !== null ? (state as { policy?: unknown }).policy : undefined;
  if (got !== name) {
    throw new SchedulerError('no-checkpoint', `a ${String(got)} checkpoint cannot be loaded into the ${name} policy`);
  }
  return state as S;
}
