/** The kernel's events (see the README's table). */

/** A task's state letter, as ps prints it: running, sleeping, uninterruptible, zombie, dead. */
export type TaskState = 'R' | 'S' | 'D' | 'Z' | 'X';

/** What the simulation ended with. */
export type Outcome = 'ok' | 'oops' | 'panic' | 'overflow';

declare module '@ossim/eventlog' {
  interface EventMap {
    'kernel.boot': { os: string; cpus: number; threadSize: number; stackAllocator: string; preemption: string; policy: string; hz: number };
    'kernel.oops': {
      cpu: number;
      tid: number | null;
      comm: string;
      message: string;
      address: number | null;
      pc: number;
      pcSymbol: string;
      sp: number;
      registers: number[];
      stack: string[];
    };
    'kernel.panic': { cpu: number; message: string };
    'kernel.timer': { tid: number; kind: 'nanosleep' | 'worker' | 'syscall' };
    'timer.tick': { cpu: number };
    'task.new': {
      cpu: number;
      pid: number;
      tid: number;
      ppid: number;
      comm: string;
      kernelThread: boolean;
      kstackBase: number;
      kstackTop: number;
      threadSp: number;
      userStackBase: number | null;
      userStackTop: number | null;
    };
    'task.exec': { tid: number; comm: string; entry: number; sp: number };
    'task.exit': { tid: number; pid: number; code: number; state: TaskState };
    'task.reap': { tid: number; by: number };
    'task.reparent': { tid: number; from: number; to: number };
    'task.wake': { tid: number; cpu: number };
    /**
     * A fatal signal for a user fault: `address` is si_addr (the faulting address for SIGSEGV,
     * the faulting instruction for SIGFPE and SIGILL, null for a general protection fault) and
     * `code` si_code as strace names it (absent in recordings made before it was kept).
     */
    'task.signal': { tid: number; signal: number; address: number | null; code?: string };
    'sched.switch': {
      cpu: number;
      prevTid: number;
      prevComm: string;
      prevState: TaskState;
      nextTid: number;
      nextComm: string;
      prevSp: number;
      nextSp: number;
      mmSwitch: boolean;
      preempt: boolean;
    };
    'syscall.enter': {
      cpu: number;
      tid: number;
      nr: number;
      name: string;
      args: number[];
      /** For a call replayed from a recording: its arguments as the recording printed them. */
      argsText?: string;
      regs: number;
      sp: number;
      threadInfo: number | null;
    };
    'syscall.exit': { cpu: number; tid: number; nr: number; ret: number };
    'disk.submit': { req: number; tid: number; op: 'read' | 'write'; bytes: number; offset: number; completeAt: number };
    'disk.complete': { req: number };
    'console.write': { tid: number; text: string };
    'nic.rx': { cpu: number; packet: number };
    'input.nic_rx': { packet: number };
  }
}
