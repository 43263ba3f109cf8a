/**
 * A task's state letter as Linux reports it (`/proc/PID/status`, ps's STAT, ftrace's
 * `prev_state`): R running or runnable, S interruptible sleep, D uninterruptible (disk)
 * sleep, T stopped, t stopped by a tracer, X dead, Z zombie, P parked, I idle (kernel
 * threads waiting without counting toward load).
 */
export type TaskState = 'R' | 'S' | 'D' | 'T' | 't' | 'X' | 'Z' | 'P' | 'I';

/** Every {@link TaskState} letter. */
export const TASK_STATES: readonly TaskState[] = ['R', 'S', 'D', 'T', 't', 'X', 'Z', 'P', 'I'];

/**
 * The simulated wall clock: the Unix time (UTC seconds) at which the simulated machine
 * booted, i.e. what simulated time 0 ns reads as. Default 0: the machine boots at
 * 1970-01-01 00:00:00 UTC, so a task started 90 s after boot shows STIME `00:01` and
 * strace `-tt` prints `00:01:30.000000`. Every formatter that prints wall-clock time
 * (ps STIME, strace -t/-tt/-ttt) takes it; durations and CPU times do not need it.
 */
export interface SimClock {
  /** Unix seconds at simulated time 0. A non-negative integer. */
  readonly bootEpochSeconds?: number;
}

/**
 * One thread as `ps`, `/proc` and the process listing see it. All times are simulated
 * nanoseconds since boot.
 */
export interface TaskInfo {
  /** The thread-group id (what ps calls PID and the kernel calls tgid). */
  readonly pid: number;
  /** The thread id (ps's LWP; the kernel's pid). Equal to `pid` for a group leader. */
  readonly tid: number;
  /** The parent process's pid (0 for init and kthreadd). */
  readonly ppid: number;
  /** The task's comm (at most 15 characters are shown, as TASK_COMM_LEN allows). */
  readonly comm: string;
  /** The process's argv (what `ps -f` shows as CMD); absent for kernel threads. */
  readonly args?: readonly string[];
  readonly state: TaskState;
  /** The real user id (default 0, root). */
  readonly uid?: number;
  /** When the thread was created. */
  readonly startNs: number;
  /** CPU time the thread used (user + system). */
  readonly cpuNs: number;
  /** Threads in its thread group (ps's NLWP). */
  readonly nlwp: number;
  /** A kernel thread (no mm; ps -f prints its name in brackets). */
  readonly kernelThread: boolean;
  /** The id of its address space (mm), for user tasks. */
  readonly mm?: number;
  /** The controlling terminal (default `?`, none). */
  readonly tty?: string;
  /** Voluntary context switches (nvcsw). */
  readonly nvcsw?: number;
  /** Involuntary context switches, i.e. preemptions (nivcsw). */
  readonly nivcsw?: number;
}
