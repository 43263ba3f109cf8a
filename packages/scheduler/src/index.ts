import './events.ts';

export { createPolicy, isPolicyName, POLICY_NAMES, type PolicyName, type PolicyOptions, policyFactory } from './builtins.ts';
export { SchedulerError, type SchedulerErrorCode } from './errors.ts';
export type { DequeueReason, EnqueueReason, MigrateReason } from './events.ts';
export { type CfsOptions, type CfsPolicy, type CfsState, createCfs } from './policies/cfs.ts';
export { createFifo, type FifoState } from './policies/fifo.ts';
export { createMlfq, type MlfqOptions, type MlfqPolicy, type MlfqState } from './policies/mlfq.ts';
export { createPriority, type PriorityOptions, type PriorityState } from './policies/priority.ts';
export { createRoundRobin, DEFAULT_QUANTUM, type RoundRobinOptions, type RoundRobinState } from './policies/roundRobin.ts';
export { createSjf, createStcf, type ShortestFirstState } from './policies/sjf.ts';
export type { PolicyFactory, SchedPolicy, SchedTask, TaskResolver } from './policy.ts';
export {
  HARDIRQ_MASK,
  HARDIRQ_OFFSET,
  inAtomic,
  inHardirq,
  inInterrupt,
  inNmi,
  inServingSoftirq,
  NMI_MASK,
  NMI_OFFSET,
  PREEMPT_MASK,
  PREEMPT_OFFSET,
  PREEMPTION_MODELS,
  PREEMPTION_POINTS,
  type PreemptionModel,
  type PreemptionPoint,
  type ReschedState,
  SOFTIRQ_DISABLE_OFFSET,
  SOFTIRQ_MASK,
  SOFTIRQ_OFFSET,
  shouldReschedule,
} from './preempt.ts';
export {
  type CpuRunQueue,
  createRunQueues,
  type PrevState,
  type RunQueues,
  type RunQueuesOptions,
  type RunQueuesState,
  type TaskPlacement,
} from './runqueue.ts';
export {
  type Averages,
  type Job,
  type JobResult,
  type Segment,
  type SimulateOptions,
  type SimulationResult,
  simulate,
} from './simulate.ts';
export { isNice, MAX_NICE, MIN_NICE, NICE_0_LOAD, niceToPrio, niceToWeight, SCHED_PRIO_TO_WEIGHT } from './weights.ts';
