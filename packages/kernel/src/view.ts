import type { OssimEvent, Reducer } from '@ossim/eventlog';
import { type StraceItem, type StraceReturn, signalName, errnoName as straceErrnoName, type TaskInfo } from '@ossim/trace';
import { errnoName, SYSCALL_NAMES } from './abi.ts';
import type { TaskState } from './events.ts';

/** One thread as the kernel's events describe it. Plain data: a view can be saved, hashed and produced by immer. */
export interface TaskView {
  readonly pid: number;
  readonly tid: number;
  ppid: number;
  comm: string;
  state: TaskState;
  readonly kernelThread: boolean;
  readonly startNs: number;
  cpuNs: number;
  nvcsw: number;
  nivcsw: number;
  exitCode: number | null;
  readonly kernelStack: { readonly base: number; readonly top: number } | null;
  readonly userStack: { readonly base: number; readonly top: number } | null;
  /** The CPU it last ran on. */
  cpu: number;
}

/** The kernel at one point of its log, rebuilt from events alone (re-fold). */
export interface KernelView {
  /** The seq of the last event folded in. */
  seq: number;
  /** Simulated time of that event, in ns. */
  time: number;
  os: string | null;
  cpus: number;
  /** Tasks by tid (keys are decimal tids). Reaped tasks are removed, as from /proc. */
  tasks: Record<string, TaskView>;
  /** The tid running on each CPU. */
  current: number[];
  /** When each CPU last switched, for CPU-time accounting. */
  switchedAt: number[];
  /** The KernelStack figure of /proc/meminfo, in kB. */
  kernelStackKb: number;
  /** Context switches so far. */
  switches: number;
}

/** An empty view, before `kernel.boot`. */
export function createKernelView(): KernelView {
  return { seq: 0, time: 0, os: null, cpus: 0, tasks: {}, current: [], switchedAt: [], kernelStackKb: 0, switches: 0 };
}

/**
 * The reducer of {@link KernelView}: tasks, their states and switch counts, per-CPU
 * current, CPU time and KernelStack, from the kernel's events. Runs in place or
 * through immer (see `refold` in @ossim/eventlog).
 */
export const kernelViewReducer: Reducer<KernelView, OssimEvent> = (view, e) => {
  view.seq = e.seq;
  view.time = e.time;
  switch (e.type) {
    case 'kernel.boot':
      view.os = e.os;
      view.cpus = e.cpus;
      view.current = Array.from({ length: e.cpus }, () => 0);
      view.switchedAt = Array.from({ length: e.cpus }, () => e.time);
      for (let cpu = 0; cpu < e.cpus; cpu++) {
        // The idle tasks (pid 0) exist from boot; the kernel announces only the others.
        view.tasks[idleKey(cpu)] = newTask({
          pid: 0,
          tid: 0,
          ppid: 0,
          comm: `swapper/${cpu}`,
          kernelThread: true,
          startNs: e.time,
          kernelStack: null,
          userStack: null,
          cpu,
        });
      }
      break;
    case 'task.new':
      view.tasks[String(e.tid)] = newTask({
        pid: e.pid,
        tid: e.tid,
        ppid: e.ppid,
        comm: e.comm,
        kernelThread: e.kernelThread,
        startNs: e.time,
        kernelStack: { base: e.kstackBase, top: e.kstackTop },
        userStack: e.userStackBase === null || e.userStackTop === null ? null : { base: e.userStackBase, top: e.userStackTop },
        cpu: e.cpu,
      });
      break;
    case 'task.exec': {
      const t = view.tasks[String(e.tid)];
      if (t) t.comm = e.comm;
      break;
    }
    case 'task.exit': {
      const t = view.tasks[String(e.tid)];
      if (t) {
        t.state = e.state;
        t.exitCode = e.code;
      }
      break;
    }
    case 'task.reap':
      delete view.tasks[String(e.tid)];
      break;
    case 'task.reparent': {
      const t = view.tasks[String(e.tid)];
      if (t) t.ppid = e.to;
      break;
    }
    case 'task.wake': {
      const t = view.tasks[String(e.tid)];
      if (t && t.state !== 'Z' && t.state !== 'X') t.state = 'R';
      break;
    }
    case 'sched.switch': {
      view.switches++;
      const prev = view.tasks[taskKey(e.prevTid, e.cpu)];
      const next = view.tasks[taskKey(e.nextTid, e.cpu)];
      if (prev) {
        prev.cpuNs += e.time - (view.switchedAt[e.cpu] ?? e.time);
        if (prev.state !== 'Z' && prev.state !== 'X') prev.state = e.prevState;
        // nvcsw when prev gave up the CPU itself (blocked), nivcsw when preempted.
        if (e.prevTid !== 0) {
          if (e.preempt || e.prevState === 'R') prev.nivcsw++;
          else prev.nvcsw++;
        }
      }
      if (next) {
        next.state = 'R';
        next.cpu = e.cpu;
      }
      view.current[e.cpu] = e.nextTid;
      view.switchedAt[e.cpu] = e.time;
      break;
    }
    case 'kstack.account':
      view.kernelStackKb = e.kernelStackKb;
      break;
  }
};

/** A task as it starts: runnable, no CPU time or switches yet. */
const newTask = (t: Omit<TaskView, 'state' | 'cpuNs' | 'nvcsw' | 'nivcsw' | 'exitCode'>): TaskView => ({
  ...t,
  state: 'R',
  cpuNs: 0,
  nvcsw: 0,
  nivcsw: 0,
  exitCode: null,
});

const idleKey = (cpu: number): string => `idle/${cpu}`;
const taskKey = (tid: number, cpu: number): string => (tid === 0 ? idleKey(cpu) : String(tid));

/**
 * The tasks of a view as `@ossim/trace` formats them (ps, /proc/PID/status, listings):
 * by pid, then tid; idle tasks left out, as ps leaves out pid 0.
 */
export function viewTaskInfos(view: KernelView): TaskInfo[] {
  const tasks = Object.values(view.tasks).filter((t) => t.pid !== 0);
  const nlwp = new Map<number, number>();
  for (const t of tasks) nlwp.set(t.pid, (nlwp.get(t.pid) ?? 0) + 1);
  return tasks
    .sort((a, b) => a.pid - b.pid || a.tid - b.tid)
    .map((t) => {
      const running = view.current.includes(t.tid) ? view.time - (view.switchedAt[t.cpu] ?? view.time) : 0;
      return {
        pid: t.pid,
        tid: t.tid,
        ppid: t.ppid,
        comm: t.comm,
        state: t.state,
        startNs: t.startNs,
        cpuNs: t.cpuNs + running,
        nlwp: nlwp.get(t.pid) ?? 1,
        kernelThread: t.kernelThread,
        nvcsw: t.nvcsw,
        nivcsw: t.nivcsw,
        // The simulator keeps no argv: a user task's command line is its comm.
        ...(t.kernelThread ? {} : { args: [t.comm] }),
      };
    });
}

/** How many arguments strace shows for each system call (Linux i386). */
const ARGC: Readonly<Record<string, number>> = {
  exit: 1,
  fork: 0,
  read: 3,
  write: 3,
  execve: 3,
  getpid: 0,
  pipe: 1,
  getppid: 0,
  setrlimit: 2,
  getrlimit: 2,
  munmap: 2,
  wait4: 4,
  clone: 4,
  vfork: 0,
  clone3: 2,
  sched_yield: 0,
  nanosleep: 2,
  mmap2: 6,
  gettid: 0,
  futex: 4,
  exit_group: 1,
};

/** Calls whose result is an address: strace prints it in hex. */
const HEX_RETURN = new Set(['mmap2', 'mmap', 'brk']);

/** Calls that never return to their caller: strace prints `= ?`. */
const NO_RETURN = new Set(['exit', 'exit_group']);

/** Small numbers and small negative ones (-1 for "any child") in decimal, addresses in hex. */
const argText = (n: number): string => {
  const s = n | 0;
  return s > -4096 && s < 0x10000 ? String(s) : `0x${(n >>> 0).toString(16)}`;
};

/** A C string literal as strace prints it: escapes, at most 32 characters then `...`. */
function cString(text: string): string {
  const shown = text.length > 32 ? text.slice(0, 32) : text;
  const body = shown.replace(/[\\"\n\t\r]|[^\x20-\x7e]/g, (c) =>
    c === '\n'
      ? '\\n'
      : c === '\t'
        ? '\\t'
        : c === '\r'
          ? '\\r'
          : c === '\\'
            ? '\\\\'
            : c === '"'
              ? '\\"'
              : `\\${c.charCodeAt(0).toString(8)}`,
  );
  return `"${body}"${text.length > 32 ? '...' : ''}`;
}

/**
 * Turns the kernel's events into what an `strace -f` formatter is fed: call starts
 * and ends (with Linux's return conventions: `-1 ENAME` for errors, `?` for calls that
 * do not return) and thread exits. Feed it every event in order; call `end` last.
 */
export function createStraceFeed(push: (item: StraceItem) => void): { event(e: OssimEvent): void; end(): void } {
  const open = new Map<number, { name: string; args: number[]; text: string | null }>();
  const argsOf = (call: { name: string; args: number[] }): string[] => call.args.slice(0, ARGC[call.name] ?? call.args.length).map(argText);
  // A console write's text is known once the kernel has copied it (console.write comes
  // inside the call): print `write(1, ` at entry and the buffer at exit, as strace splits
  // a read's arguments.
  const consoleWrite = (call: { name: string; args: number[] }): boolean =>
    call.name === 'write' && (call.args[0] === 1 || call.args[0] === 2);
  const restOf = (call: { name: string; args: number[]; text: string | null }): { args?: string } =>
    consoleWrite(call) ? { args: [cString(call.text ?? ''), ...argsOf(call).slice(2)].join(', ') } : {};
  return {
    event(e) {
      switch (e.type) {
        case 'syscall.enter': {
          const call = { name: e.name, args: e.args, text: null };
          open.set(e.tid, call);
          // A call replayed from a recording shows the arguments the recording printed.
          const args = e.argsText ?? (consoleWrite(call) ? `${e.args[0]}, ` : argsOf(call).join(', '));
          push({ kind: 'call-start', tid: e.tid, timeNs: e.time, name: e.name, args });
          break;
        }
        case 'console.write': {
          const call = open.get(e.tid);
          if (call !== undefined) call.text = (call.text ?? '') + e.text;
          break;
        }
        case 'syscall.exit': {
          const call = open.get(e.tid);
          if (call === undefined) break;
          open.delete(e.tid);
          const name = SYSCALL_NAMES.get(e.nr) ?? call.name;
          push({
            kind: 'call-end',
            tid: e.tid,
            timeNs: e.time,
            ...restOf(call),
            ret: returnOf(name, e.ret),
          });
          break;
        }
        case 'task.exit': {
          const call = open.get(e.tid);
          if (call !== undefined) {
            open.delete(e.tid);
            push({
              kind: 'call-end',
              tid: e.tid,
              timeNs: e.time,
              ...restOf(call),
              ret: { kind: 'unknown' },
            });
          }
          // code is the wait status: the exit code << 8, or the signal that killed it (| 0x80: core dumped).
          const signal = e.code & 0x7f;
          if (signal === 0) push({ kind: 'exited', tid: e.tid, timeNs: e.time, code: (e.code >> 8) & 0xff });
          else
            push({
              kind: 'killed',
              tid: e.tid,
              timeNs: e.time,
              signal: signalName(signal) ?? `SIG${signal}`,
              coreDumped: (e.code & 0x80) !== 0,
            });
          break;
        }
        case 'task.signal': {
          const name = signalName(e.signal) ?? `SIG${e.signal}`;
          const addr = e.address === null || e.address === 0 ? 'NULL' : `0x${(e.address >>> 0).toString(16)}`;
          const code = e.code ?? (e.signal === 11 ? 'SEGV_MAPERR' : e.signal === 8 ? 'FPE_INTDIV' : 'ILL_ILLOPN');
          push({ kind: 'signal', tid: e.tid, timeNs: e.time, signal: name, info: `{si_signo=${name}, si_code=${code}, si_addr=${addr}}` });
          break;
        }
      }
    },
    end() {
      open.clear();
    },
  };
}

function returnOf(name: string, ret: number): StraceReturn {
  if (NO_RETURN.has(name)) return { kind: 'unknown' };
  if (ret < 0 && ret > -4096) {
    const errno = errnoName(ret) ?? straceErrnoName(ret);
    if (errno !== undefined) return { kind: 'error', errno };
  }
  return HEX_RETURN.has(name) ? { kind: 'value', value: ret >>> 0, hex: true } : { kind: 'value', value: ret };
}
