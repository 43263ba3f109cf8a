import { TraceError } from './errors.ts';
import { checkNs, psCpuTime, psStartTime } from './internal/time.ts';
import { type SimClock, TASK_STATES, type TaskInfo } from './types.ts';

/** TASK_COMM_LEN - 1: the kernel keeps at most 15 characters of a comm. */
const COMM_LEN = 15;

/** The words `/proc/PID/status` prints after each state letter (fs/proc/array.c, `task_state_array`). */
export const STATE_WORDS: Readonly<Record<TaskInfo['state'], string>> = {
  R: 'running',
  S: 'sleeping',
  D: 'disk sleep',
  T: 'stopped',
  t: 'tracing stop',
  X: 'dead',
  Z: 'zombie',
  P: 'parked',
  I: 'idle',
};

/** Options of {@link formatPsELf}. */
export interface PsOptions extends SimClock {
  /** The simulated time the listing is taken at (for STIME's day and the C column). */
  readonly nowNs: number;
  /** User names by uid (default `{ 0: 'root' }`); others print as numbers, as do names longer than 8 characters. */
  readonly users?: Readonly<Record<number, string>>;
}

/** Checks the tasks and returns them in ps's order: by pid, then by tid. */
export function sortTasks(tasks: readonly TaskInfo[], source: string): TaskInfo[] {
  const seen = new Set<number>();
  for (const t of tasks) {
    for (const [k, v] of [
      ['pid', t.pid],
      ['tid', t.tid],
      ['ppid', t.ppid],
      ['nlwp', t.nlwp],
    ] as const) {
      if (!Number.isSafeInteger(v) || v < 0)
        throw new TraceError('bad-input', `tid ${t.tid}: ${k} must be a non-negative integer (got ${v})`, { source });
    }
    if (!TASK_STATES.includes(t.state))
      throw new TraceError('bad-input', `tid ${t.tid}: unknown state ${JSON.stringify(t.state)}`, { source });
    checkNs(t.startNs, `tid ${t.tid} startNs`, source);
    checkNs(t.cpuNs, `tid ${t.tid} cpuNs`, source);
    if (seen.has(t.tid)) throw new TraceError('bad-input', `tid ${t.tid} is listed twice`, { source });
    seen.add(t.tid);
  }
  return [...tasks].sort((a, b) => a.pid - b.pid || a.tid - b.tid);
}

function comm(t: TaskInfo): string {
  return t.comm.slice(0, COMM_LEN);
}

/**
 * `ps -LA`: every thread of every process, one line each (`PID LWP TTY TIME CMD`), CMD
 * being the thread's comm (`<defunct>` appended for a zombie). Sorted by pid, then tid.
 *
 * @example
 * ```text
 *   PID   LWP TTY          TIME CMD
 *  6571  6571 ?        00:00:00 python3
 *  6571  6573 ?        00:00:00 python3
 * ```
 */
export function formatPsLA(tasks: readonly TaskInfo[]): string {
  const rows = sortTasks(tasks, 'formatPsLA').map(
    (t) =>
      `${String(t.pid).padStart(5)} ${String(t.tid).padStart(5)} ${(t.tty ?? '?').padEnd(8)} ${psCpuTime(t.cpuNs).padStart(8)} ${comm(t)}${
        t.state === 'Z' ? ' <defunct>' : ''
      }`,
  );
  return `${['  PID   LWP TTY          TIME CMD', ...rows].join('\n')}\n`;
}

/**
 * `ps -eLf`: `UID PID PPID LWP C NLWP STIME TTY TIME CMD`, CMD being the process's argv,
 * or its comm in brackets for a kernel thread (and a process without argv, such as a
 * zombie, which also gets `<defunct>`). C is procps's CPU use: CPU time over the
 * whole seconds since the thread started, in percent, at most 99. STIME is the start
 * on the simulated wall clock ({@link SimClock}): `HH:MM` today, `MonDD` on another day,
 * the year in another year.
 *
 * @example
 * ```text
 * UID        PID  PPID   LWP  C NLWP STIME TTY          TIME CMD
 * root         2     0     2  0    1 00:00 ?        00:00:00 [kthreadd]
 * ```
 */
export function formatPsELf(tasks: readonly TaskInfo[], options: PsOptions): string {
  const source = 'formatPsELf';
  checkNs(options.nowNs, 'nowNs', source);
  const epoch = options.bootEpochSeconds ?? 0;
  const users = options.users ?? { 0: 'root' };
  const nowSeconds = epoch + Math.floor(options.nowNs / 1e9);
  const rows = sortTasks(tasks, source).map((t) => {
    if (t.startNs > options.nowNs) throw new TraceError('bad-input', `tid ${t.tid} starts after nowNs`, { source });
    const uid = t.uid ?? 0;
    const name = users[uid];
    const user = name !== undefined && name.length <= 8 ? name : String(uid);
    const seconds = Math.floor((options.nowNs - t.startNs) / 1e9);
    const c = seconds > 0 ? Math.min(99, Math.floor(Math.floor(t.cpuNs / 1e7) / seconds)) : 0;
    const args = t.args !== undefined && t.args.length > 0 && !t.kernelThread && t.state !== 'Z' ? t.args.join(' ') : `[${comm(t)}]`;
    const cmd = t.state === 'Z' ? `${args} <defunct>` : args;
    return [
      user.padEnd(8),
      String(t.pid).padStart(5),
      String(t.ppid).padStart(5),
      String(t.tid).padStart(5),
      String(c).padStart(2),
      String(t.nlwp).padStart(4),
      psStartTime(epoch + Math.floor(t.startNs / 1e9), nowSeconds).padStart(5),
      (t.tty ?? '?').padEnd(8),
      psCpuTime(t.cpuNs).padStart(8),
      cmd,
    ].join(' ');
  });
  return `${['UID        PID  PPID   LWP  C NLWP STIME TTY          TIME CMD', ...rows].join('\n')}\n`;
}

/**
 * Every process and its threads: the process line names its pid, comm, parent, address
 * space (`mm N`, or `kernel thread` for a task without one) and thread count; a line per
 * thread gives its tid, comm and state.
 *
 * @example
 * ```text
 * process 1 (init) ppid 0, mm 1, 1 thread
 *   thread 1 init S (sleeping)
 * process 2 (kthreadd) ppid 0, kernel thread, 1 thread
 *   thread 2 kthreadd S (sleeping)
 * ```
 */
export function formatTaskListing(tasks: readonly TaskInfo[]): string {
  const source = 'formatTaskListing';
  const sorted = sortTasks(tasks, source);
  const lines: string[] = [];
  let i = 0;
  while (i < sorted.length) {
    const pid = (sorted[i] as TaskInfo).pid;
    let j = i;
    while (j < sorted.length && (sorted[j] as TaskInfo).pid === pid) j++;
    const group = sorted.slice(i, j);
    const leader = group.find((t) => t.tid === pid) ?? (group[0] as TaskInfo);
    for (const t of group) {
      if (t.kernelThread !== leader.kernelThread || t.mm !== leader.mm) {
        throw new TraceError('bad-input', `tid ${t.tid} does not share the address space of its process ${pid}`, { source });
      }
    }
    const space = leader.kernelThread ? 'kernel thread' : leader.mm === undefined ? 'no mm' : `mm ${leader.mm}`;
    lines.push(`process ${pid} (${comm(leader)}) ppid ${leader.ppid}, ${space}, ${group.length} thread${group.length === 1 ? '' : 's'}`);
    for (const t of group) lines.push(`  thread ${t.tid} ${comm(t)} ${t.state} (${STATE_WORDS[t.state]})`);
    i = j;
  }
  return lines.length === 0 ? '' : `${lines.join('\n')}\n`;
}
