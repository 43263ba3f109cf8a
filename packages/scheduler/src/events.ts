/** Why a task was put on a run queue. */
export type EnqueueReason = 'new' | 'wakeup' | 'preempted' | 'migrated';

/** Why a task left a run queue (or its CPU) without running on. */
export type DequeueReason = 'block' | 'exit' | 'migrate';

/** Why a task moved to another CPU. */
export type MigrateReason = 'wakeup' | 'balance' | 'newidle';

declare module '@ossim/eventlog' {
  interface EventMap {
    /** A task became runnable on `cpu`'s queue. `nrRunning` counts the queue and the running task, after the change. */
    'sched.enqueue': { cpu: number; tid: number; reason: EnqueueReason; nrRunning: number };
    /** A task left `cpu`: a waiting task migrating away, or the running task blocking or exiting. */
    'sched.dequeue': { cpu: number; tid: number; reason: DequeueReason; nrRunning: number };
    /** `cpu` chose its next task (`tid` null: it goes idle); `prevTid` ran before (null: idle). */
    'sched.pick': { cpu: number; tid: number | null; prevTid: number | null; policy: string; nrRunning: number };
    /** The running task of `cpu` was taken off the CPU while still runnable. */
    'sched.preempt': { cpu: number; tid: number };
    /** A task moved from CPU `from` to CPU `to`. */
    'sched.migrate': { tid: number; from: number; to: number; reason: MigrateReason };
    /** `ran` units of CPU time were charged to the running task; `resched` if the policy asked to preempt it. */
    'sched.tick': { cpu: number; tid: number; ran: number; resched: boolean };
  }
}
