/**
 * What a scheduling policy sees of a task. The run queues and the standalone
 * simulator hand policies objects of this shape; a policy may keep them, but never
 * changes them.
 */
export interface SchedTask {
  /** Thread id (in standalone mode, the job's index in the job list). Unique among live tasks. */
  readonly tid: number;
  /** Nice value, -20 (most favoured) to 19; the fair policy turns it into a weight. */
  readonly nice: number;
  /** Static priority for the priority policy: a smaller number runs first (like the kernel's prio). */
  readonly priority: number;
  /** The total CPU time the task needs, when known (SJF's oracle); `undefined` in a kernel. */
  readonly length: number | undefined;
  /** The CPU time the task still needs, when known (STCF's oracle); `undefined` in a kernel. */
  readonly remaining: number | undefined;
}

/**
 * A scheduling policy: one run queue's worth of decisions (Linux's `sched_class`
 * operations on one CPU's `rq`). The run queues create one instance per CPU.
 *
 * The running task is *not* in the queue: {@link SchedPolicy.pickNext} removes the
 * task it returns, and a preempted task comes back through {@link SchedPolicy.enqueue}.
 * All times are integers in the caller's unit (nanoseconds inside a kernel).
 *
 * A policy is a few dozen lines; see the README for a lottery scheduler.
 */
export interface SchedPolicy {
  /** A short name for tables and events (`RR`, `CFS`, `lottery`, ...). */
  readonly name: string;
  /** How many tasks wait in this queue (the running task excluded). */
  readonly nrQueued: number;
  /** Adds a runnable task: new, woken, preempted or migrated here. */
  enqueue(task: SchedTask, now: number): void;
  /** Removes a waiting task (it is migrating away or leaving the run queue). Returns false if it was not queued. */
  dequeue(task: SchedTask, now: number): boolean;
  /** Chooses the next task to run, removes it from the queue and returns it; `undefined` when the queue is empty. */
  pickNext(now: number): SchedTask | undefined;
  /**
   * Charges `ran` units of CPU time to the running `task` (Linux's `update_curr`
   * plus `task_tick`) and returns true when the policy wants it preempted (its time
   * slice is used up).
   */
  tick(task: SchedTask, ran: number, now: number): boolean;
  /** Called before {@link SchedPolicy.enqueue} when a task becomes runnable after sleeping or is new. */
  onWake?(task: SchedTask, now: number): void;
  /** Whether the newly woken `woken` should preempt the running `curr` (Linux's `wakeup_preempt`). Default: never. */
  wakeupPreempt?(curr: SchedTask, woken: SchedTask, now: number): boolean;
  /**
   * How much longer the running `task` may run before {@link SchedPolicy.tick} would
   * return true; `undefined` when only an event can end its turn. The standalone
   * simulator jumps straight to that moment instead of ticking.
   */
  timeSlice?(task: SchedTask, now: number): number | undefined;
  /**
   * The running `task` calls sched_yield() (Linux's `sched_class->yield_task`); the host
   * then puts it back ({@link SchedPolicy.enqueue}) and picks. Without it a yielding task
   * is queued as a preempted one is: behind the others of its level in FIFO, RR, PRIO
   * and MLFQ, as Linux's `yield_task_rt` requeues it.
   */
  yieldTask?(task: SchedTask, now: number): void;
  /** Forget any per-task state: the task exited or now belongs to another CPU's queue (Linux's `task_dead`, `migrate_task_rq`). */
  detach?(task: SchedTask): void;
  /**
   * A checkpoint of everything the policy decides from (its queues in order, per-task
   * accounting, counters), as plain structured-cloneable data that names tasks by tid
   * and shares nothing with the policy. Built-in policies have it; without it (and
   * {@link SchedPolicy.load}) the run queues cannot be checkpointed.
   */
  save?(): unknown;
  /**
   * Puts back what {@link SchedPolicy.save} captured, into an instance created with the
   * same options, turning tids back into task objects with `taskByTid`.
   */
  load?(state: unknown, taskByTid: TaskResolver): void;
}

/**
 * Gives the task object of a tid when a checkpoint is loaded: the host's (the kernel's)
 * object for that task at the checkpoint, which it passes to every later call.
 */
export type TaskResolver = (tid: number) => SchedTask;

/** Creates the policy instance of one CPU's run queue. */
export type PolicyFactory = (cpu: number) => SchedPolicy;
