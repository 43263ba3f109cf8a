import { ERRNOS, parseStraceArgs, type StraceCall, type StraceLog, type StraceRecord, type StraceTask } from '@ossim/trace';
import { SYSCALLS } from './abi.ts';
import { buildWorkload, type CloneCall, type ProcessShape, type Step, type Workload, type WorkloadShape } from './workload.ts';

/** Without timestamps (or with -t, whose seconds are too coarse): the computation between two calls, in ns. */
export const DEFAULT_GAP_NS = 1_000;
/** Without -T or timestamps: how long a call that does not block runs in the kernel, in ns. */
export const DEFAULT_CALL_NS = 1_000;
/** Without -T or timestamps: how long a blocking call sleeps, in ns. */
export const DEFAULT_BLOCK_NS = 100_000;

/** Calls that put their caller to sleep (S) until something happens: they block for their recorded time. */
const SLEEPING = new Set([
  'read',
  'readv',
  'pread64',
  'preadv',
  'preadv2',
  'recvfrom',
  'recvmsg',
  'recvmmsg',
  'accept',
  'accept4',
  'connect',
  'wait4',
  'waitid',
  'waitpid',
  'nanosleep',
  'clock_nanosleep',
  'clock_nanosleep_time64',
  'pause',
  'sigsuspend',
  'rt_sigsuspend',
  'rt_sigtimedwait',
  'futex',
  'futex_waitv',
  'poll',
  'ppoll',
  'select',
  '_newselect',
  'pselect6',
  'epoll_wait',
  'epoll_pwait',
  'epoll_pwait2',
  'msgrcv',
  'semop',
  'semtimedop',
  'flock',
  'io_getevents',
  'io_uring_enter',
]);
/** Calls that wait for the disk: they block in D. */
const DISK = new Set(['fsync', 'fdatasync', 'sync', 'syncfs', 'sync_file_range', 'msync']);
const CREATING = new Set<string>(['clone', 'clone3', 'fork', 'vfork']);
/**
 * The system-call numbers whose successful returns create a task: watch `syscall.exit` for them
 * (with a positive `ret`) to collect what {@link mapTids} takes.
 */
export const CREATING_NRS: ReadonlySet<number> = new Set<number>([SYSCALLS.clone, SYSCALLS.clone3, SYSCALLS.fork, SYSCALLS.vfork]);

/** What {@link workloadFromStrace} makes of a log. */
export interface StraceImport {
  readonly workload: Workload;
  /** The log's tasks that become workload processes started by init, in order. */
  readonly roots: readonly number[];
  /** For each tid, the tids its clone/clone3/fork/vfork calls created, in order. */
  readonly creations: ReadonlyMap<number, readonly number[]>;
  readonly tids: number;
  readonly processes: number;
  readonly threads: number;
  readonly calls: number;
  /** The log's time span (0 without -tt or -ttt), in ns. */
  readonly spanNs: number;
}

const callsOf = (records: readonly StraceRecord[]): number => records.reduce((n, r) => n + (r.kind === 'call' ? 1 : 0), 0);

/** execve's path, decoded (the first argument). */
function execPath(call: StraceCall): string {
  const first = parseStraceArgs(call.args)[0];
  return first?.kind === 'string' ? first.value : 'a.out';
}

/** A path as a program name of the workload: 1-255 characters, no quotes, backslashes or control characters. */
const cleanPath = (path: string): string =>
  [...path.slice(0, 200)].map((c) => (c < ' ' || c === '"' || c === '\\' || c > '~' ? '_' : c)).join('') || '_';

/**
 * Turns a parsed `strace -f` log into a workload: one task per tid, each issuing its calls
 * in order. clone/clone3/fork/vfork that created a task of the log create it for real (a
 * thread with CLONE_THREAD, else a process; the child runs its own calls), execve
 * replaces the image with a program holding the calls after it, wait4 reaps, exit and
 * exit_group end the task, nanosleep sleeps, getpid and sched_yield are themselves;
 * every other call goes through the kernel's recorded-call path with its recorded result
 * and duration (blocking calls asleep in S, or D for the disk syncs). The gaps between a
 * task's calls become computation. A task the log saw being killed dies of a fault.
 */
export function workloadFromStrace(log: StraceLog, name: string): StraceImport {
  // Gaps come from -tt/-ttt; -t's whole seconds are too coarse (see DEFAULT_GAP_NS).
  const timed = log.timestamps === 'tt' || log.timestamps === 'ttt';
  const byTid = new Map<number, StraceRecord[]>();
  let firstUs: number | undefined;
  let lastUs: number | undefined;
  for (const r of log.records) {
    let list = byTid.get(r.tid);
    if (list === undefined) {
      list = [];
      byTid.set(r.tid, list);
    }
    list.push(r);
    if ('timeUs' in r && r.timeUs !== undefined) {
      firstUs = Math.min(firstUs ?? r.timeUs, r.timeUs);
      const end = r.kind === 'call' ? (r.endTimeUs ?? r.timeUs) : r.timeUs;
      lastUs = Math.max(lastUs ?? end, end);
    }
  }
  const tasks = new Map<number, StraceTask>(log.tasks.map((t) => [t.tid, t]));
  const creations = new Map<number, number[]>();
  const programs: { name: string; steps: Step[] }[] = [];
  let execs = 0;

  const startNs = (c: StraceCall): number | undefined => (timed && c.timeUs !== undefined ? c.timeUs * 1000 : undefined);
  const durationNs = (c: StraceCall): number | undefined => {
    if (c.durationUs !== undefined) return Math.round(c.durationUs * 1000);
    if (timed && c.endTimeUs !== undefined && c.timeUs !== undefined) return Math.round((c.endTimeUs - c.timeUs) * 1000);
    return undefined;
  };
  const retOf = (c: StraceCall): number => {
    const ret = c.ret;
    if (ret === undefined) return 0;
    if (ret.kind === 'value') return ret.value;
    const errno = ret.errno === undefined ? undefined : ERRNOS[ret.errno]?.[0];
    return errno === undefined ? 0 : -errno;
  };

  /** The steps of `tid` from its record `from` until it executes another program or ends; `clockNs` is when it got there. */
  const image = (tid: number, from: number, clockNs: number | undefined): Step[] => {
    const records = byTid.get(tid) ?? [];
    const steps: Step[] = [];
    let prev = clockNs;
    for (let i = from; i < records.length; i++) {
      const r = records[i] as StraceRecord;
      if (r.kind === 'killed') {
        steps.push({ op: 'fault' });
        return steps;
      }
      if (r.kind !== 'call') continue;
      const start = startNs(r);
      // A gap's recorded time already holds any preemption the task saw: it is spent in one atomic work.
      if (!timed) steps.push({ op: 'compute', cycles: DEFAULT_GAP_NS, atomic: true });
      else if (start !== undefined && prev !== undefined && start > prev)
        steps.push({ op: 'compute', cycles: Math.round(start - prev), atomic: true });
      const recorded = durationNs(r);
      if (start !== undefined) prev = start + (recorded ?? 0);
      const ret = r.ret;
      const child = ret?.kind === 'value' ? tasks.get(ret.value) : undefined;
      if (CREATING.has(r.name) && child !== undefined && child.creator === tid && child.tid !== tid) {
        let made = creations.get(tid);
        if (made === undefined) {
          made = [];
          creations.set(tid, made);
        }
        made.push(child.tid);
        steps.push({
          op: 'clone',
          call: r.name as CloneCall,
          ...(child.thread && (r.name === 'clone' || r.name === 'clone3') ? { thread: true } : {}),
          child: image(child.tid, 0, start),
        });
        continue;
      }
      switch (r.name) {
        case 'execve': {
          const path = cleanPath(execPath(r));
          if (ret?.kind === 'value' && ret.value === 0) {
            const program = `/ossim/${tid}-${++execs}${path.startsWith('/') ? '' : '/'}${path}`;
            programs.push({ name: program, steps: image(tid, i + 1, prev) });
            steps.push({ op: 'execve', program });
            return steps;
          }
          // A failed execve fails for real: no program of the workload has a path outside /ossim/.
          steps.push({ op: 'execve', program: path.startsWith('/ossim/') || !path.startsWith('/') ? `/missing/${path}` : path });
          continue;
        }
        case 'wait4':
          steps.push(/\bWNOHANG\b/.test(r.args) ? { op: 'wait', options: 1 } : { op: 'wait' });
          continue;
        case 'exit':
        case 'exit_group': {
          const code = Number(/^\s*(-?\d+)/.exec(r.args)?.[1] ?? 0) & 0xff;
          steps.push(r.name === 'exit' ? { op: 'exit', code, thread: true } : { op: 'exit', code });
          return steps;
        }
        case 'nanosleep':
          steps.push({ op: 'sleep', ns: recorded ?? (timed ? 0 : DEFAULT_BLOCK_NS) });
          continue;
        case 'getpid':
          steps.push({ op: 'getpid' });
          continue;
        case 'sched_yield':
          steps.push({ op: 'yield' });
          continue;
      }
      const blocking = DISK.has(r.name) ? 'D' : SLEEPING.has(r.name) || r.entryArgs !== undefined ? 'S' : undefined;
      steps.push({
        op: 'syscall',
        name: r.name,
        args: r.args,
        ret: retOf(r),
        durationNs: recorded ?? (timed ? 0 : blocking === undefined ? DEFAULT_CALL_NS : DEFAULT_BLOCK_NS),
        ...(blocking === undefined ? {} : { blocking }),
      });
    }
    return steps;
  };

  const processes: ProcessShape[] = [];
  const comms = new Set<string>();
  const roots: number[] = [];
  for (const t of log.tasks) {
    if (t.creator !== undefined && tasks.has(t.creator)) continue;
    roots.push(t.tid);
    const records = byTid.get(t.tid) ?? [];
    const at = records.findIndex((r) => r.kind === 'call');
    const first = records[at];
    // init starts each root with execve, as the log's first task was started: its first execve is that one.
    const launched = first?.kind === 'call' && first.name === 'execve' && first.ret?.kind === 'value' && first.ret.value === 0;
    const base = launched ? execPath(first) : (t.comm ?? 'task');
    let comm = (base.slice(base.lastIndexOf('/') + 1).replace(/[^A-Za-z0-9_.-]/g, '_') || 'task').slice(0, 15);
    for (let n = 2; comms.has(comm); n++) comm = `${comm.slice(0, 15 - String(n).length - 1)}-${n}`;
    comms.add(comm);
    let clock = timed && firstUs !== undefined ? firstUs * 1000 : undefined;
    if (launched && first.timeUs !== undefined && timed) clock = first.timeUs * 1000 + (durationNs(first) ?? 0);
    processes.push({ comm, steps: image(t.tid, launched ? at + 1 : 0, clock) });
  }
  const shape: WorkloadShape = { name, processes, programs };
  const threads = log.tasks.filter((t) => t.thread).length;
  return {
    workload: buildWorkload(shape),
    roots,
    creations,
    tids: log.tasks.length,
    processes: log.tasks.length - threads,
    threads,
    calls: callsOf(log.records),
    spanNs: timed && firstUs !== undefined && lastUs !== undefined ? Math.round((lastUs - firstUs) * 1000) : 0,
  };
}

/**
 * Maps the log's tids onto the run's: the run numbers its tasks itself, so a root is init's
 * n-th child (init forks the workload's processes in order) and every other task the k-th
 * task its creator's counterpart created, as in the log.
 */
export function mapTids(imported: StraceImport, created: ReadonlyMap<number, readonly number[]>): Map<number, number> {
  const map = new Map<number, number>();
  const walk = (orig: number, sim: number): void => {
    map.set(orig, sim);
    const kids = imported.creations.get(orig) ?? [];
    const simKids = created.get(sim) ?? [];
    kids.forEach((k, i) => {
      const s = simKids[i];
      if (s !== undefined) walk(k, s);
    });
  };
  const launched = created.get(1) ?? [];
  imported.roots.forEach((r, i) => {
    const s = launched[i];
    if (s !== undefined) walk(r, s);
  });
  return map;
}
