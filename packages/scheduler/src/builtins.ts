import { SchedulerError } from './errors.ts';
import { createCfs } from './policies/cfs.ts';
import { createFifo } from './policies/fifo.ts';
import { createMlfq } from './policies/mlfq.ts';
import { createPriority } from './policies/priority.ts';
import { createRoundRobin } from './policies/roundRobin.ts';
import { createSjf, createStcf } from './policies/sjf.ts';
import type { PolicyFactory, SchedPolicy } from './policy.ts';

/** The built-in policies by name. */
export type PolicyName = 'FIFO' | 'SJF' | 'STCF' | 'RR' | 'PRIO' | 'MLFQ' | 'CFS';

/** Every built-in policy name, in the order of the textbook. */
export const POLICY_NAMES: readonly PolicyName[] = ['FIFO', 'SJF', 'STCF', 'RR', 'PRIO', 'MLFQ', 'CFS'];

/** Options of {@link createPolicy}; each policy reads the ones it has. */
export interface PolicyOptions {
  /** The time slice of RR and MLFQ (every level), and of PRIO among equal priorities. */
  readonly quantum?: number;
  /** MLFQ's boost period (Rule 5); 0 or absent: never. */
  readonly boostPeriod?: number;
  /** MLFQ's number of levels. */
  readonly levels?: number;
}

/** True when `name` is a built-in policy name. */
export function isPolicyName(name: string): name is PolicyName {
  return (POLICY_NAMES as readonly string[]).includes(name);
}

/**
 * Creates a built-in policy by name (one CPU's instance).
 *
 * @example
 * ```ts
 * const rr = createPolicy('RR', { quantum: 10 });
 * ```
 */
export function createPolicy(name: PolicyName, options: PolicyOptions = {}): SchedPolicy {
  switch (name) {
    case 'FIFO':
      return createFifo();
    case 'SJF':
      return createSjf();
    case 'STCF':
      return createStcf();
    case 'RR':
      return createRoundRobin(options.quantum === undefined ? {} : { quantum: options.quantum });
    case 'PRIO':
      return createPriority(options.quantum === undefined ? {} : { quantum: options.quantum });
    case 'MLFQ':
      return createMlfq({
        ...(options.quantum === undefined ? {} : { quantum: options.quantum }),
        ...(options.boostPeriod === undefined ? {} : { boostPeriod: options.boostPeriod }),
        ...(options.levels === undefined ? {} : { levels: options.levels }),
      });
    case 'CFS':
      return createCfs();
    default:
      throw new SchedulerError('unknown-policy', `unknown policy ${JSON.stringify(name)} (expected one of ${POLICY_NAMES.join(', ')})`);
  }
}

/** A {@link PolicyFactory} giving every CPU its own instance of a built-in policy. */
export function policyFactory(name: PolicyName, options: PolicyOptions = {}): PolicyFactory {
  createPolicy(name, options); // checks the name and the options once, up front
  return () => createPolicy(name, options);
}
