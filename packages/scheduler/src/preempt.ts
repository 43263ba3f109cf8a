/*
 * preempt_count and the preemption models (include/linux/preempt.h,
 * kernel/Kconfig.preempt, kernel/entry/common.c, kernel/sched/core.c).
 */

/** Bits of preempt_count counting preempt_disable() nesting. */
export const PREEMPT_MASK = 0x000000ff;
/** Bits of preempt_count counting softirq processing and local_bh_disable(). */
export const SOFTIRQ_MASK = 0x0000ff00;
/** Bits of preempt_count counting nested hard interrupts. */
export const HARDIRQ_MASK = 0x000f0000;
/** Bits of preempt_count counting nested NMIs. */
export const NMI_MASK = 0x00f00000;

/** What preempt_disable() adds. */
export const PREEMPT_OFFSET = 0x1;
/** What serving a softirq adds (local_bh_disable() adds twice this: `SOFTIRQ_DISABLE_OFFSET`). */
export const SOFTIRQ_OFFSET = 0x100;
/** What local_bh_disable() adds. */
export const SOFTIRQ_DISABLE_OFFSET = 2 * SOFTIRQ_OFFSET;
/** What irq_enter() adds. */
export const HARDIRQ_OFFSET = 0x10000;
/** What nmi_enter() adds. */
export const NMI_OFFSET = 0x100000;

/** `in_atomic()`: any count at all; sleeping or preempting here is a bug. */
export function inAtomic(preemptCount: number): boolean {
  return preemptCount !== 0;
}

/** `in_hardirq()`: inside a hard interrupt handler. */
export function inHardirq(preemptCount: number): boolean {
  return (preemptCount & HARDIRQ_MASK) !== 0;
}

/** `in_serving_softirq()`: running a softirq handler (odd softirq count). */
export function inServingSoftirq(preemptCount: number): boolean {
  return (preemptCount & SOFTIRQ_OFFSET) !== 0;
}

/** `in_nmi()`: inside a non-maskable interrupt handler. */
export function inNmi(preemptCount: number): boolean {
  return (preemptCount & NMI_MASK) !== 0;
}

/** `in_interrupt()`: hard interrupt, softirq (or bh disabled) or NMI context. */
export function inInterrupt(preemptCount: number): boolean {
  return (preemptCount & (HARDIRQ_MASK | SOFTIRQ_MASK | NMI_MASK)) !== 0;
}

/**
 * The preemption models of kernel/Kconfig.preempt (and `preempt=` of PREEMPT_DYNAMIC):
 * - `none`: the kernel is never preempted; it reschedules when it blocks, returns to
 *   user mode or calls cond_resched();
 * - `voluntary`: as none, plus the might_sleep() points (might_resched());
 * - `full`: any kernel code outside a critical section (preempt_count 0);
 * - `lazy`: like full for urgent requests; a policy's (fair-class) request sets a lazy
 *   flag that is honoured at return to user mode, or upgraded at the next tick.
 */
export type PreemptionModel = 'none' | 'voluntary' | 'full' | 'lazy';

/** Every preemption model, in the order of kernel/Kconfig.preempt. */
export const PREEMPTION_MODELS: readonly PreemptionModel[] = ['none', 'voluntary', 'full', 'lazy'];

/**
 * The places where the kernel may honour a pending reschedule:
 * - `block`: the task sleeps and calls schedule() itself;
 * - `return-to-user`: exit to user mode from a system call, exception or interrupt;
 * - `irq-return-kernel`: an interrupt (not the timer tick) returns to kernel code;
 * - `tick`: the timer tick's interrupt returns to kernel code;
 * - `preempt-enable`: preempt_enable() drops preempt_count to 0;
 * - `cond-resched`: an explicit cond_resched() call;
 * - `might-resched`: a might_sleep() annotation (might_resched()).
 */
export type PreemptionPoint =
  | 'block'
  | 'return-to-user'
  | 'irq-return-kernel'
  | 'tick'
  | 'preempt-enable'
  | 'cond-resched'
  | 'might-resched';

/** Every preemption point. */
export const PREEMPTION_POINTS: readonly PreemptionPoint[] = [
  'block',
  'return-to-user',
  'irq-return-kernel',
  'tick',
  'preempt-enable',
  'cond-resched',
  'might-resched',
];

/** The per-CPU state a preemption decision looks at. */
export interface ReschedState {
  /** TIF_NEED_RESCHED: a reschedule is pending. */
  readonly needResched: boolean;
  /** TIF_NEED_RESCHED_LAZY: a lazy reschedule is pending (set only under the lazy model). */
  readonly needReschedLazy: boolean;
  /** preempt_count at the point (after the decrement, for preempt-enable). */
  readonly preemptCount: number;
}

/**
 * Whether the kernel calls schedule() at `point` under `model`: the one rule the
 * kernel consults at each of its preemption points.
 *
 * | point             | none | voluntary | full | lazy |
 * | ---               | ---  | ---       | ---  | ---  |
 * | block             | yes  | yes       | yes  | yes  |
 * | return-to-user    | N/L  | N/L       | N/L  | N/L  |
 * | irq-return-kernel | no   | no        | N,0  | N,0  |
 * | tick              | no   | no        | N,0  | N/L,0 |
 * | preempt-enable    | no   | no        | N,0  | N,0  |
 * | cond-resched      | N,0  | N,0       | no   | no   |
 * | might-resched     | no   | N,0       | no   | no   |
 *
 * N: needResched is set; N/L: needResched or needReschedLazy; 0: preemptCount is 0.
 * Blocking always schedules (sleeping with a non-zero count is the kernel's
 * "scheduling while atomic" bug, which the caller reports). With full and lazy,
 * cond_resched() and might_resched() are no-ops, as with PREEMPT_DYNAMIC.
 *
 * @example
 * ```ts
 * shouldReschedule('full', 'irq-return-kernel', { needResched: true, needReschedLazy: false, preemptCount: 0 }); // true
 * shouldReschedule('none', 'irq-return-kernel', { needResched: true, needReschedLazy: false, preemptCount: 0 }); // false
 * ```
 */
export function shouldReschedule(model: PreemptionModel, point: PreemptionPoint, state: ReschedState): boolean {
  const urgent = state.needResched;
  const any = urgent || state.needReschedLazy;
  const preemptible = state.preemptCount === 0;
  const fullish = model === 'full' || model === 'lazy';
  switch (point) {
    case 'block':
      return true;
    case 'return-to-user':
      return any;
    case 'irq-return-kernel':
    case 'preempt-enable':
      return fullish && urgent && preemptible;
    case 'tick':
      return preemptible && (model === 'lazy' ? any : model === 'full' && urgent);
    case 'cond-resched':
      return !fullish && urgent && preemptible;
    case 'might-resched':
      return model === 'voluntary' && urgent && preemptible;
  }
}
