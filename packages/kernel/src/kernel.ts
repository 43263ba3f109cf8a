import {
  assemble,
  type Cpu,
  CpuError,
  createMachine,
  createSymbolTable,
  disassemble,
  type Image,
  loadImage,
  type Machine,
  type MachineState,
  PS,
  type SymbolTable,
  Vector,
} from '@ossim/cpu';
import { createSimulation, type EventLog, type Simulation, type Snapshot, stateHash } from '@ossim/eventlog';
import {
  createKstackAllocator,
  type KernelStack,
  type KstackAllocator,
  type KstackMemory,
  type KstackState,
  STACK_END_MAGIC,
  THREAD_INFO_OFFSETS,
} from '@ossim/kstack';
import { type AddressSpace, createMmu, type Mmu, type MmuState, PAGE_OFFSET, parseProtection } from '@ossim/mmu';
import { createPolicy, createRunQueues, HARDIRQ_OFFSET, type RunQueues, type RunQueuesState, type SchedTask } from '@ossim/scheduler';
import {
  CLONE,
  ERRNO,
  FORK_FRAME_WORDS,
  FUTEX,
  KERNEL_LAYOUT,
  MAX_CPUS,
  NR_SYSCALLS,
  PERCPU_CURRENT,
  PERCPU_SIZE,
  PT_REGS_SIZE,
  RECORDED_MODE,
  RECORDED_SYSCALL_BIT,
  RLIMIT_STACK,
  SLEEP,
  SYSCALL_NAMES,
  SYSCALLS,
  syscallName,
  TASK,
  TASK_STRUCT_SIZE,
  VECTORS,
  WAIT4_OPTIONS,
  WNOHANG,
} from './abi.ts';
import { KernelError } from './errors.ts';
import type { Outcome, TaskState } from './events.ts';
import { kernelSource } from './image.ts';
import type { OsExtensions, OsVariant } from './os.ts';
import { checkWorkload, type Workload } from './workload.ts';

/** A task as the kernel shows it (plain data). */
export interface TaskInfo {
  /** The process id (tgid), as ps prints PID. */
  readonly pid: number;
  /** The thread id (LWP). */
  readonly tid: number;
  readonly ppid: number;
  readonly comm: string;
  readonly state: TaskState;
  readonly kernelThread: boolean;
  /** The address-space id, or null for a kernel thread. */
  readonly mm: number | null;
  /** The address space it runs on (a kernel thread's borrowed one), or null. */
  readonly activeMm: number | null;
  /** The task_struct's address in kernel memory. */
  readonly taskStruct: number;
  readonly kernelStack: { readonly base: number; readonly top: number } | null;
  /** thread.sp: the saved kernel SP while switched out. */
  readonly threadSp: number;
  readonly userStack: { readonly base: number; readonly top: number } | null;
  readonly nvcsw: number;
  readonly nivcsw: number;
  readonly exitCode: number | null;
  readonly cpu: number;
}

/** A word of kernel memory as {@link Kernel.stackWords} reads it. */
export interface StackWord {
  readonly address: number;
  /** The word, or null when the address is not mapped. */
  readonly value: number | null;
  /** `symbol+0xoff/0xsize` when the word is a return address into kernel text, else null. */
  readonly returnAddress: string | null;
}

/** Options of {@link createKernel}: the run's inputs. */
/** The longest delay a kernel timer is set for (2^52 ns, some 52 simulated days): longer ones are cut to it. */
const MAX_SLEEP_NS = 2 ** 52;

export interface KernelOptions {
  readonly os: OsVariant;
  readonly workload: Workload;
  readonly seed?: number;
  readonly extensions?: OsExtensions;
  /**
   * Called with the event log before the kernel appends its first event (the MMU's
   * boot-time allocations come at creation): attach recorders and views here so they
   * see every event from seq 1.
   */
  readonly attach?: (log: EventLog) => void;
  /**
   * Run the kernel's and the programs' code through the CPU's translator (default true:
   * once the process has run 10 M instructions, code that ran 1,000 times). The events
   * are the same either way; `'eager'` translates from the first instruction, `false`
   * interprets every instruction (see `createMachine`'s `jit`).
   */
  readonly jit?: boolean | 'eager';
}

/** What {@link Kernel.run} returns. */
export interface RunResult {
  readonly outcome: Outcome;
  /** Why (the oops or panic message), or null when ok. */
  readonly cause: string | null;
  readonly simulatedNs: number;
  /** True when every workload process exited before `until`. */
  readonly finished: boolean;
}

/**
 * A booted kernel over a simulated machine. Create it, attach whatever follows the log
 * (a recorder, reducers), then {@link Kernel.run}: the same inputs give the same events.
 */
export interface Kernel {
  readonly os: OsVariant;
  readonly workload: Workload;
  readonly seed: number;
  readonly sim: Simulation;
  readonly log: EventLog;
  readonly machine: Machine;
  readonly mmu: Mmu;
  readonly kstack: KstackAllocator;
  readonly rq: RunQueues;
  /** The kernel image (its symbols name every kernel function). */
  readonly image: Image;
  /** Kernel and user symbols together. */
  readonly symbols: SymbolTable;
  /** Everything written to the console. */
  readonly console: string;
  /** Boots (idle, init, kthreadd and the workload) if not yet done; emits `kernel.boot` and the first tasks. */
  boot(): void;
  /**
   * Runs until every workload process has exited, a panic or an oops, or `until` ns; or,
   * with `instructions`, until that many more instructions have executed (all CPUs, in the
   * order they interleave): stepping, from which `run()` goes on exactly as the run would have.
   */
  run(options?: { until?: number; instructions?: number }): RunResult;
  /**
   * Makes {@link Kernel.run} return at the next instruction boundary: call it from an
   * event handler to look at the machine (memory, stacks, tasks) as it is at that event,
   * e.g. to show `/proc/PID/task/TID/stack` at a seq of a recording.
   */
  pause(): void;
  /** Every task alive or not yet reaped, by tid. */
  tasks(): TaskInfo[];
  /** The tid running on `cpu` now (`cpu_curr(cpu)`), 0 for its idle task. */
  current(cpu: number): number;
  task(tid: number): TaskInfo | undefined;
  /** The words of a kernel stack from `sp` to its top, symbolized where they are return addresses: `/proc/PID/stack`-like. */
  stackTrace(tid: number): string[];
  /**
   * `count` words of kernel memory from `address` up, as they are now: each word's value
   * (null when unmapped) and, when the unwinder takes it for a return address into kernel
   * text (the instruction before it is a call), that address symbolized (`vfs_write+0x24/0x4c`).
   */
  stackWords(address: number, count: number): StackWord[];
  /** The last outcome. */
  readonly outcome: Outcome;
  /** Reads a kernel-virtual word (through the kernel page tables). */
  readKernel32(vaddr: number): number;
  /**
   * A checkpoint of the whole run as it is now: take it between runs (after `run()` returned,
   * e.g. after {@link Kernel.pause}). Frames of memory are shared copy-on-write with the
   * running machine, so a checkpoint costs the frames written since the previous one.
   * What follows the log from outside (a recorder, a view) is not in it: save those beside it.
   */
  checkpoint(): KernelCheckpoint;
  /**
   * Puts the run back where `checkpoint` was taken, on a kernel created with the same inputs
   * (else a {@link KernelError} `bad-checkpoint`); `run()` then continues with the same events,
   * seq for seq, as the run that took it.
   */
  restore(checkpoint: KernelCheckpoint): void;
  /** Simulated instructions executed by all CPUs. */
  readonly instructions: number;
  /** Context switches so far. */
  readonly contextSwitches: number;
}

/**
 * A checkpoint of a whole run ({@link Kernel.checkpoint}): the simulation (clock, random,
 * timers, log position), the machine, memory, kernel stacks, run queues and the kernel's
 * own tables. Plain data and typed arrays: it survives `structuredClone` and `postMessage`.
 */
export interface KernelCheckpoint {
  readonly version: 1;
  /** A hash of the run's inputs (variant, workload, seed): a checkpoint restores only onto the same inputs. */
  readonly fingerprint: string;
  /** The seq of the last event before the checkpoint. */
  readonly seq: number;
  /** Simulated time, ns. */
  readonly time: number;
  readonly sim: Snapshot;
  readonly machine: MachineState;
  readonly mmu: MmuState;
  readonly kstack: KstackState;
  readonly rq: RunQueuesState;
  readonly kernel: KernelState;
}

/** The kernel's own tables in a checkpoint: tasks by key (tid, or -1 - cpu for idle), thread groups, pipes, disk requests. */
export interface KernelState {
  readonly tasks: readonly TaskState_[];
  /** Keys of the tasks in the task table, in its order. */
  readonly live: readonly number[];
  readonly running: readonly number[];
  readonly groups: readonly {
    tgid: number;
    live: number;
    files: ({ kind: File['kind']; pipe: number | null; end: File['end']; offset: number } | null)[];
    rlimStack: { cur: number; max: number };
    threads: number[];
    /** group_exit_code; absent in checkpoints made before it was kept: null. */
    exitCode?: number | null;
  }[];
  readonly pipes: readonly { id: number; data: number[]; readers: number; writers: number; readWait: number[]; writeWait: number[] }[];
  readonly diskReqs: readonly {
    id: number;
    task: number;
    op: 'read' | 'write';
    pages: { paddr: number; len: number }[];
    bytes: number;
    offset: number;
    done: boolean;
  }[];
  readonly diskPending: readonly number[];
  readonly diskDone: readonly number[];
  readonly disk: Uint8Array;
  readonly futexQueues: readonly (readonly [string, number[]])[];
  readonly kthreadRequests: readonly { name: string; cycles: number; period: number }[];
  readonly lastTick: readonly number[];
  readonly mms: readonly { id: number; refs: number; mmapNext: number }[];
  readonly freeTs: readonly number[];
  readonly pageCache: readonly (readonly [string, number[]])[];
  readonly lastNr: readonly (readonly [number, number])[];
  readonly scalars: {
    nextPid: number;
    consoleText: string;
    outcome: Outcome;
    cause: string | null;
    stopped: boolean;
    finishing: boolean;
    finished: boolean;
    booted: boolean;
    switches: number;
    nextPipe: number;
    nextReq: number;
    userTasksAlive: number;
    nicPackets: number;
  };
}

/** One task in a checkpoint: its fields, with objects it shares named by id. */
interface TaskState_ {
  key: number;
  tid: number;
  tgid: number;
  ppid: number;
  comm: string;
  state: TaskState;
  mm: number | null;
  activeMm: number | null;
  ts: number;
  kstack: KernelStack | null;
  idleStack: { base: number; top: number } | null;
  userStack: { base: number; top: number } | null;
  nvcsw: number;
  nivcsw: number;
  exitCode: number | null;
  cpu: number;
  kthread: boolean;
  idle: boolean;
  sched: SchedTask;
  group: number | null;
  wait:
    | { kind: 'disk'; req: number }
    | { kind: 'sleep'; expired: boolean; timer: number }
    | { kind: 'queue'; woken: boolean; done?: number }
    | { kind: 'wait4' }
    | null;
  killed: boolean;
  worker: { cycles: number; period: number; pending: boolean } | null;
  switchedOut: boolean;
  reaped: boolean;
  lastSwitchIn: number;
}

interface Mm {
  readonly as: AddressSpace;
  refs: number;
  mmapNext: number;
}

interface PipeObj {
  readonly id: number;
  data: number[];
  readers: number;
  writers: number;
  readonly readWait: Task[];
  readonly writeWait: Task[];
}

interface File {
  readonly kind: 'console' | 'pipe' | 'disk';
  readonly pipe: PipeObj | null;
  readonly end: 'r' | 'w' | null;
  offset: number;
}

interface Group {
  readonly tgid: number;
  live: number;
  files: (File | null)[];
  rlimStack: { cur: number; max: number };
  readonly threads: Task[];
  /**
   * group_exit_code: the wait status every thread exits with once exit_group or a fatal
   * signal ended the process (what wait4 reports then, whichever thread caused it), else null.
   */
  exitCode: number | null;
}

interface DiskReq {
  readonly id: number;
  readonly task: Task;
  readonly op: 'read' | 'write';
  readonly pages: readonly { paddr: number; len: number }[];
  readonly bytes: number;
  readonly offset: number;
  done: boolean;
}

type Wait =
  | { kind: 'disk'; req: DiskReq }
  | { kind: 'sleep'; expired: boolean; timer: number }
  /** `done`: the bytes a pipe write that sleeps for room already put in the pipe. */
  | { kind: 'queue'; woken: boolean; done?: number }
  | { kind: 'wait4' };

interface Task {
  readonly tid: number;
  tgid: number;
  ppid: number;
  comm: string;
  state: TaskState;
  mm: Mm | null;
  activeMm: Mm | null;
  readonly ts: number;
  readonly kstack: KernelStack | null;
  readonly idleStack: { base: number; top: number } | null;
  userStack: { base: number; top: number } | null;
  nvcsw: number;
  nivcsw: number;
  exitCode: number | null;
  cpu: number;
  readonly kthread: boolean;
  readonly idle: boolean;
  readonly sched: SchedTask;
  group: Group | null;
  wait: Wait | null;
  killed: boolean;
  worker: { cycles: number; period: number; pending: boolean } | null;
  switchedOut: boolean;
  reaped: boolean;
  lastSwitchIn: number;
  /** The number of its last system call as in lastNr (-1: not known to this object yet): lastNr without a lookup. */
  nrSeen: number;
}

const USER_TEXT = 0x08048000;
const MMAP_BASE = 0xb0000000;
const RLIM_INFINITY = 0xffffffff;
const DEFAULT_RLIMIT_STACK = 8 << 20;
const RAID_CHECKSUM_CYCLES = 20_000;
const DISK_SIZE = 1 << 20;
/** A pipe's capacity (16 pages, Linux's default) and the size up to which a write is atomic (PIPE_BUF). */
const PIPE_SIZE = 65536;
const PIPE_BUF = 4096;
/** The signal and si_code of a user trap by vector (#DE, #UD); anything else (#GP) is SIGSEGV with SI_KERNEL. */
const TRAP_SIGNALS: Record<number, { signal: number; code: string }> = {
  0: { signal: 8, code: 'FPE_INTDIV' },
  6: { signal: 4, code: 'ILL_ILLOPN' },
};

const u32 = (n: number): number => n >>> 0;
const s32 = (n: number): number => n | 0;
const hex = (n: number): string => `0x${u32(n).toString(16).padStart(8, '0')}`;

/** Constants a user program can use: `SYS_<name>`, `CLONE_*`, `FUTEX_*`, `WNOHANG`, `RLIMIT_STACK`. */
export function userDefines(): Record<string, number> {
  const d: Record<string, number> = {};
  for (const [name, nr] of Object.entries(SYSCALLS)) d[`SYS_${name}`] = nr;
  d.CLONE_VM = CLONE.VM;
  d.CLONE_FS = CLONE.FS;
  d.CLONE_FILES = CLONE.FILES;
  d.CLONE_SIGHAND = CLONE.SIGHAND;
  d.CLONE_THREAD = CLONE.THREAD;
  d.CLONE_THREADS = CLONE.VM | CLONE.FS | CLONE.FILES | CLONE.SIGHAND | CLONE.THREAD;
  d.FUTEX_WAIT = FUTEX.WAIT;
  d.FUTEX_WAKE = FUTEX.WAKE;
  d.FUTEX_PRIVATE_FLAG = FUTEX.PRIVATE_FLAG;
  d.FUTEX_WAIT_PRIVATE = FUTEX.WAIT | FUTEX.PRIVATE_FLAG;
  d.FUTEX_WAKE_PRIVATE = FUTEX.WAKE | FUTEX.PRIVATE_FLAG;
  d.WNOHANG = WNOHANG;
  d.RLIMIT_STACK = RLIMIT_STACK;
  return d;
}

/**
 * Assembles a user program (text at 0x08048000 unless it says otherwise; entry `_start`).
 * A bad program is a {@link KernelError} (`bad-program`) naming the file, line and column.
 */
export function assembleProgram(name: string, source: string, sourceName: string = name): Image {
  const firstLine = source.split('\n').find((l) => l.trim() !== '' && !/^\s*(;|\/\/)/.test(l)) ?? '';
  const prepended = !/^\s*\.section\b/.test(firstLine);
  const text = prepended ? `.section .text 0x${USER_TEXT.toString(16)}\n${source}` : source;
  try {
    return assemble(text, { source: sourceName, defines: userDefines() });
  } catch (e) {
    // Errors name the user's lines: the .section line added above is not one of them.
    if (e instanceof CpuError && prepended && e.line !== undefined) {
      throw new KernelError('bad-program', `${sourceName}:${e.line - 1}:${e.column ?? 1}: ${e.reason}`, { cause: e });
    }
    throw new KernelError('bad-program', (e as Error).message, { cause: e });
  }
}

/**
 * Creates a kernel for an OS variant and a workload. Nothing runs until {@link Kernel.boot}
 * or {@link Kernel.run}: attach a recorder to `kernel.log` first to capture everything.
 *
 * @example
 * ```ts
 * const kernel = createKernel({ os: PRESETS.i386, workload: buildWorkload({ name: 'hello', processes: [{ comm: 'hello', steps: [{ op: 'write', text: 'hi\n' }] }] }) });
 * kernel.run();
 * kernel.console; // "hi\n"
 * ```
 */
export function createKernel(options: KernelOptions): Kernel {
  const os = options.os;
  const workload = checkWorkload(options.workload);
  const seed = options.seed ?? 1;
  if (os.cpus > MAX_CPUS) throw new KernelError('bad-variant', `cpus: at most ${MAX_CPUS}, got ${os.cpus}`);
  const programs = new Map<string, Image>();
  for (const [name, source] of Object.entries(workload.programs)) programs.set(name, assembleProgram(name, source));
  for (const [i, p] of workload.processes.entries()) {
    if (!programs.has(p.program))
      throw new KernelError('bad-workload', `processes[${i}].program: no program named ${JSON.stringify(p.program)}`);
  }

  const sim = createSimulation({ seed });
  const log = sim.log;
  options.attach?.(log);
  const mmu = createMmu({ memorySize: os.memory, cpus: os.cpus, log });
  const layout = mmu.layout;
  const phys = mmu.phys;

  // ---- kernel memory access ----
  const kphys = (va: number): number => {
    const a = u32(va);
    if (a >= PAGE_OFFSET && a < layout.highMemory) return a - PAGE_OFFSET;
    const paddr = mmu.translate(mmu.swapperPgDir, a);
    if (paddr < 0) throw { kind: 'page-fault', address: a, errorCode: 0 };
    return paddr;
  };
  const highMemory = layout.highMemory;
  const kread32 = (va: number): number => {
    const a = va >>> 0;
    return phys.read32(a >= PAGE_OFFSET && a < highMemory ? a - PAGE_OFFSET : kphys(a));
  };
  const kwrite32 = (va: number, v: number): void => {
    const a = va >>> 0;
    phys.write32(a >= PAGE_OFFSET && a < highMemory ? a - PAGE_OFFSET : kphys(a), v >>> 0);
  };

  const kmem: KstackMemory = {
    pageSize: 4096,
    allocPages(order) {
      const pfn = mmu.allocPages(order);
      if (pfn === null) return null;
      if ((pfn + (1 << order)) * 4096 > layout.lowmemSize) {
        mmu.freePages(pfn, order);
        return null;
      }
      return pfn;
    },
    freePages: (pfn, order) => mmu.freePages(pfn, order),
    directMapAddress: (paddr) => mmu.physToVirt(paddr),
    vmalloc: (pages, o) => mmu.vmalloc(pages, { guardPages: o.guardPages, align: o.align, zero: false }),
    vfree: (va) => mmu.vfree(va),
    read32: kread32,
    write32: kwrite32,
    read8: (va) => phys.read8(kphys(va)),
    firstNonZero32(from, to) {
      // Page by page through the frames' words: a frame with no storage reads as zeros.
      let a = u32(from);
      while (a < to) {
        const pageEnd = Math.min(to, (Math.floor(a / 4096) + 1) * 4096);
        const paddr = kphys(a);
        const w = phys.readOnlyFrameWords(Math.floor(paddr / 4096));
        if (w !== undefined) {
          const first = (paddr % 4096) >>> 2;
          const n = (pageEnd - a) >>> 2;
          for (let i = 0; i < n; i++) if (w[first + i] !== 0) return a + i * 4;
        }
        a = pageEnd;
      }
      return to;
    },
    fill(va, length, byte) {
      let a = u32(va);
      const end = a + length;
      while (a < end) {
        if (byte === 0 && a % 4096 === 0 && end - a >= 4096) {
          phys.zeroFrame(Math.floor(kphys(a) / 4096));
          a += 4096;
        } else {
          phys.write8(kphys(a), byte);
          a++;
        }
      }
    },
  };

  const builtinKstack = options.extensions?.stackAllocator === undefined;
  const kstack = (options.extensions?.stackAllocator ?? createKstackAllocator)({
    memory: kmem,
    log,
    strategy: os.stackAllocator,
    threadSize: os.threadSize,
    cpus: os.cpus,
    irqStacks: os.irqStacks,
    releasePolicy: os.stackRelease,
  });

  const rq = createRunQueues({
    policy:
      options.extensions?.policy ??
      (() => createPolicy(os.scheduler.policy, os.scheduler.quantum === undefined ? {} : { quantum: os.scheduler.quantum })),
    cpus: os.cpus,
    model: os.preemption,
    log,
    // The kernel publishes its own scheduling facts (sched.switch, task.wake), which imply the queues' enqueues and picks.
    events: 'host',
  });

  const machine = createMachine({
    cpus: Array.from({ length: os.cpus }, (_, i) => ({ bus: mmu.bus(i) })),
    log,
    // syscall.enter and syscall.exit say what the system call's trap entry and iret would.
    quietVectors: [Vector.SYSCALL],
    jit: options.jit ?? true,
  });
  const cpus = machine.cpus;
  const cpuOf = (n: number): Cpu => cpus[n] as Cpu;

  // ---- state ----
  const tasks = new Map<number, Task>();
  const byTs = new Map<number, Task>();
  const idle: Task[] = [];
  const running: Task[] = [];
  /** Per CPU: the task pick_next_task switched away from, until its finish_task_switch (r0 names it). */
  const switchedFrom: (Task | undefined)[] = [];
  let nextPid = 1;
  let consoleText = '';
  let outcome: Outcome = 'ok';
  let cause: string | null = null;
  let stopped = false;
  /** Set by pause(): run() returns at the next instruction boundary, and can be called again. */
  let paused = false;
  let finishing = false;
  let finished = false;
  let booted = false;
  let switches = 0;
  let nextPipe = 1;
  let nextReq = 1;
  const disk = new Uint8Array(DISK_SIZE);
  /** The disk's contents as the last checkpoint saved them, while unchanged since (checkpoints share it). */
  let diskSaved: Uint8Array | null = null;
  const diskDone: DiskReq[] = [];
  const diskPending = new Map<number, DiskReq>();
  const futexQueues = new Map<string, Task[]>();
  const kthreadRequests: { name: string; cycles: number; period: number }[] = [];
  const lastTick: number[] = cpus.map(() => 0);
  let userTasksAlive = 0;
  let nicPackets = 0;
  const mms = new Map<number, Mm>();

  // ---- task_struct slab ----
  const freeTs: number[] = [];
  const allocTs = (): number => {
    if (freeTs.length === 0) {
      const pfn = mmu.allocPages(0);
      if (pfn === null) return 0;
      const va = mmu.physToVirt(pfn * 4096);
      phys.zeroFrame(pfn);
      for (let i = Math.floor(4096 / TASK_STRUCT_SIZE) - 1; i >= 0; i--) freeTs.push(va + i * TASK_STRUCT_SIZE);
    }
    return freeTs.pop() as number;
  };

  // ---- the kernel image ----
  const native = (name: string, fn: (cpu: Cpu) => number | undefined): void => {
    machine.registerNative(name, fn);
  };
  const now = (): number => machine.clock.now;
  let planTarget = Number.POSITIVE_INFINITY;
  /**
   * Schedules a kernel timer `delay` ns from now (at least two CPU quanta ahead, so no CPU's
   * local time has passed it) and, when it falls before the time the CPUs are running to,
   * stops them there so the loop fires it on time.
   */
  const later = <K extends 'disk.complete' | 'kernel.timer'>(
    delay: number,
    type: K,
    payload: K extends 'disk.complete' ? { req: number } : { tid: number; kind: 'nanosleep' | 'worker' | 'syscall' },
  ): { id: number; at: number } => {
    // A delay past what a clock can hold (a garbage timespec, a corrupted register) is cut to MAX_SLEEP_NS.
    const at = now() + Math.max(Math.min(delay, MAX_SLEEP_NS), 2 * machine.quantum);
    const id = sim.timers.schedule(at, type, payload as never);
    if (at < planTarget) machine.stop();
    return { id, at };
  };

  const die = (cpu: Cpu, message: string, address: number | null, sp: number, pc: number, kind: Outcome): void => {
    if (stopped) return;
    const t = running[cpu.id];
    const trace = unwind(sp);
    log.emit('kernel.oops', {
      cpu: cpu.id,
      tid: t === undefined ? null : t.tid,
      comm: t?.comm ?? '?',
      message,
      address,
      pc: u32(pc),
      pcSymbol: symbols.symbolize(pc, 'exact'),
      sp: u32(sp),
      registers: cpu.registers().r.slice(),
      stack: trace,
    });
    if (kind !== 'oops') log.emit('kernel.panic', { cpu: cpu.id, message });
    outcome = kind;
    cause = message;
    stopped = true;
    machine.stop();
  };

  /** The stack holding `sp`: a task's kernel stack, an idle stack, an IRQ or exception stack. */
  const stackAround = (sp: number): { base: number; top: number } | null => {
    for (const t of idle) if (t.idleStack !== null && sp >= t.idleStack.base && sp <= t.idleStack.top) return t.idleStack;
    const where = kstack.whereIs(sp);
    if (where !== null && where.kind !== 'guard-page') return { base: where.base, top: where.top };
    return null;
  };

  /**
   * The "guess" unwinder: every word on the stack that is a return address into kernel text
   * (the word before it is a call). When SP is in the guard page below a stack (a vmapped
   * stack overflowed), it starts from the first mapped word above it, the stack's lowest,
   * as Linux's double-fault report does.
   */
  const unwind = (sp: number): string[] => {
    let from = (u32(sp) & ~3) >>> 0;
    let range = stackAround(from);
    if (range === null) {
      const where = kstack.whereIs(from);
      if (where?.kind !== 'guard-page' || where.side !== 'below') return [];
      from = where.end;
      range = stackAround(from);
      if (range === null) return [];
    }
    const out: string[] = [];
    for (let a = from; a < range.top && out.length < 64; a += 4) {
      let w: number;
      try {
        w = kread32(a);
      } catch {
        continue;
      }
      if (!isReturnAddress(w)) continue;
      out.push(`[<0>] ${symbols.symbolize(w)}`);
    }
    return out;
  };
  const textEnd = (): number => {
    const s = image.sections.find((x) => x.name === '.text');
    return s === undefined ? 0 : s.address + s.bytes.length;
  };
  let kernelTextEnd = 0;
  const isReturnAddress = (w: number): boolean => {
    if (w < KERNEL_LAYOUT.text + 4 || w >= kernelTextEnd || w % 4 !== 0) return false;
    try {
      const prev = kread32(w - 4);
      const text = disassemble(prev, { pc: w - 4 }).text;
      if (text.startsWith('call')) return true;
      const prev2 = kread32(w - 8);
      return disassemble(prev2, { ext: prev, pc: w - 8 }).text.startsWith('call');
    } catch {
      return false;
    }
  };

  // ---- current ----
  const mask = ~(os.threadSize - 1) >>> 0;
  const currentOf = (cpu: Cpu): Task | null => {
    if (os.threadInfo === 'stack') {
      const ti = (u32(cpu.sp) & mask) >>> 0;
      const word = kread32(ti + THREAD_INFO_OFFSETS.task);
      const me = running[cpu.id];
      // A running task is in the task table until it has switched out for good: its own tid names it.
      if (me !== undefined && word === me.tid && word !== 0) return me;
      if (word === 0) {
        const i = idle[cpu.id] as Task;
        if (me === i) return i;
      }
      const t = tasks.get(word);
      if (t === undefined || t !== me) {
        const report = me === undefined || me.idle ? null : kstack.checkOverflow({ cpu: cpu.id, tid: me.tid });
        die(
          cpu,
          `BUG: current is garbage: thread_info at ${hex(ti)} (sp ${hex(cpu.sp)} & ${hex(mask)}) names task ${hex(word)}`,
          ti,
          cpu.sp,
          cpu.pc,
          report === null ? 'oops' : 'overflow',
        );
        return null;
      }
      return t;
    }
    const base = KERNEL_LAYOUT.percpu + cpu.id * PERCPU_SIZE;
    return byTs.get(kread32(base + PERCPU_CURRENT)) ?? null;
  };

  // ---- user memory ----
  const USER_READ = { write: false, user: true } as const;
  const USER_WRITE = { write: true, user: true } as const;
  const UPDATE_BITS = { update: true } as const;
  const userPaddr = (mm: Mm, va: number, write: boolean): number | null => {
    const a = u32(va);
    if (a >= PAGE_OFFSET) return null;
    for (let tries = 0; tries < 3; tries++) {
      const paddr = mmu.translate(mm.as.pgd, a, write ? USER_WRITE : USER_READ, UPDATE_BITS);
      if (paddr >= 0) return paddr;
      const r = mm.as.handleFault(a, -1 - paddr);
      if (!r.resolved) return null;
    }
    return null;
  };
  /** A NUL-terminated UTF-8 string of user memory (at most 4 KiB), or undefined at address 0 or on a fault. */
  const utf8 = new TextDecoder();
  const userString = (mm: Mm, va: number): string | undefined => {
    if (va === 0) return undefined;
    const bytes: number[] = [];
    let a = va;
    while (bytes.length < 4096) {
      // Translate once per page, then read the page's bytes up to the NUL.
      const p = userPaddr(mm, a, false);
      if (p === null) return undefined;
      const inPage = 4096 - (a % 4096);
      for (let i = 0; i < inPage; i++) {
        const b = phys.read8(p + i);
        if (b === 0) return utf8.decode(new Uint8Array(bytes));
        bytes.push(b);
      }
      a += inPage;
    }
    return utf8.decode(new Uint8Array(bytes));
  };
  const readUser = (mm: Mm, va: number, len: number): Uint8Array | null => {
    const out = new Uint8Array(len);
    let i = 0;
    while (i < len) {
      const p = userPaddr(mm, va + i, false);
      if (p === null) return null;
      const n = Math.min(len - i, 4096 - ((va + i) % 4096));
      phys.readInto(p, n === len ? out : out.subarray(i, i + n));
      i += n;
    }
    return out;
  };
  const writeUser = (mm: Mm, va: number, bytes: Uint8Array): boolean => {
    let i = 0;
    while (i < bytes.length) {
      const p = userPaddr(mm, va + i, true);
      if (p === null) return false;
      const n = Math.min(bytes.length - i, 4096 - ((va + i) % 4096));
      phys.writeBytes(p, n === bytes.length ? bytes : bytes.subarray(i, i + n));
      i += n;
    }
    return true;
  };
  const words = (...ws: number[]): Uint8Array => {
    const b = new Uint8Array(ws.length * 4);
    const v = new DataView(b.buffer);
    for (const [i, w] of ws.entries()) v.setUint32(i * 4, u32(w), true);
    return b;
  };
  const wordsOf = (b: Uint8Array, i: number): number => new DataView(b.buffer, b.byteOffset).getUint32(i * 4, true);

  /** pt_regs word `n` (r0..r15), then the trap frame: 16 err, 17 vector, 18 pc, 19 ps, 20 sp. */
  const reg = (regs: number, n: number): number => kread32(regs + n * 4);

  // ---- mm ----
  const newMm = (as: AddressSpace): Mm => {
    const mm: Mm = { as, refs: 1, mmapNext: MMAP_BASE };
    mms.set(as.id, mm);
    return mm;
  };
  const mmput = (mm: Mm | null): void => {
    if (mm === null) return;
    mm.refs--;
    if (mm.refs === 0) {
      for (const c of cpus) if (c.cr3 === mm.as.pgd) c.setCr3(mmu.swapperPgDir);
      mm.as.destroy();
      mms.delete(mm.as.id);
    }
  };
  const mmapRegion = (mm: Mm, length: number, prot: string, addr = 0): number | null => {
    const len = Math.ceil(length / 4096) * 4096;
    if (len === 0) return null;
    let start = addr;
    if (start === 0) {
      start = mm.mmapNext - len;
      mm.mmapNext = start - 4096; // leave a guard page below
    }
    try {
      mm.as.mmap({ start, length: len, prot: parseProtection(prot) });
    } catch {
      return null;
    }
    return start;
  };
  /** Program text lives once in physical memory (the page cache) and is mapped read-only into every mm that runs it. */
  const pageCache = new Map<Image, number[]>();
  const textFrames = (img: Image): number[] => {
    let frames = pageCache.get(img);
    if (frames === undefined) {
      frames = img.sections.map((s) => {
        if (s.name !== '.text') return -1;
        const pages = Math.ceil(((s.address % 4096) + Math.max(s.bytes.length, 1)) / 4096);
        const order = Math.ceil(Math.log2(pages));
        const pfn = mmu.allocPages(order, { zero: true });
        if (pfn === null) throw new KernelError('no-memory', `${os.name}: no memory for the text of a program`);
        phys.writeBytes(pfn * 4096 + (s.address % 4096), s.bytes);
        return pfn * 4096;
      });
      pageCache.set(img, frames);
    }
    return frames;
  };
  const loadProgram = (mm: Mm, img: Image): { entry: number; sp: number; stack: { base: number; top: number } } => {
    const frames = textFrames(img);
    img.sections.forEach((s, i) => {
      const start = s.address & ~4095;
      const end = Math.ceil((s.address + Math.max(s.bytes.length, 1)) / 4096) * 4096;
      if (s.name === '.text') {
        mm.as.mmap({ start, length: end - start, prot: parseProtection('r-xu'), paddr: frames[i] as number });
        return;
      }
      mm.as.mmap({ start, length: end - start, prot: parseProtection('rw-u') });
      if (!writeUser(mm, s.address, s.bytes)) throw new KernelError('no-memory', `${os.name}: cannot load a program's data`);
    });
    const vma = mm.as.setupStack();
    const entry = img.symbols.get('_start')?.address ?? img.sections[0]?.address ?? USER_TEXT;
    return { entry, sp: vma.end, stack: { base: vma.start, top: vma.end } };
  };

  // ---- tasks ----
  const emptyFiles = (): (File | null)[] => [
    { kind: 'console', pipe: null, end: null, offset: 0 },
    { kind: 'console', pipe: null, end: null, offset: 0 },
    { kind: 'console', pipe: null, end: null, offset: 0 },
    { kind: 'disk', pipe: null, end: null, offset: 0 },
  ];

  interface NewTask {
    comm: string;
    parent: Task | null;
    ppid: number;
    group: Group | null;
    mm: Mm | null;
    kfn?: number;
    karg?: number;
    /** pt_regs (16) + trap frame (5) for the child. */
    regs?: number[];
    userStack?: { base: number; top: number } | null;
    cpu: number;
  }

  let retFromFork: number | undefined;
  const createTask = (n: NewTask): Task | null => {
    const tid = nextPid++;
    const ts = allocTs();
    if (ts === 0) return null;
    const ks = kstack.alloc({ tid, cpu: n.cpu });
    if (ks === null) {
      freeTs.push(ts);
      return null;
    }
    const kthread = n.mm === null;
    const t: Task = {
      tid,
      tgid: n.group?.tgid ?? tid,
      ppid: n.ppid,
      comm: n.comm,
      state: 'R',
      mm: n.mm,
      activeMm: n.mm,
      ts,
      kstack: ks,
      idleStack: null,
      userStack: n.userStack ?? null,
      nvcsw: 0,
      nivcsw: 0,
      exitCode: null,
      cpu: n.cpu,
      kthread,
      idle: false,
      sched: { tid, nice: 0, priority: 0, length: undefined, remaining: undefined },
      group: null,
      wait: null,
      killed: false,
      worker: null,
      switchedOut: false,
      reaped: false,
      lastSwitchIn: 0,
      nrSeen: -1,
    };
    const group: Group = n.group ?? {
      tgid: tid,
      live: 0,
      files: emptyFiles(),
      rlimStack: { cur: DEFAULT_RLIMIT_STACK, max: RLIM_INFINITY },
      threads: [],
      exitCode: null,
    };
    group.live++;
    group.threads.push(t);
    t.group = group;
    // copy_thread: the fork frame, lowest first: inactive_task_frame (r4-r11, ret_from_fork), pt_regs, trap frame.
    const regs = n.regs ?? [...new Array<number>(16).fill(0), 0, 0x80, 0, PS.USER | PS.IE, 0];
    retFromFork ??= image.address('ret_from_fork');
    const frame = [n.kfn ?? 0, n.karg ?? 0, 0, 0, 0, 0, 0, 0, retFromFork, ...regs];
    kwrite32(ts + TASK.TID, tid);
    kwrite32(ts + TASK.SP0, ks.top);
    kwrite32(ts + TASK.PGD, n.mm === null ? 0 : n.mm.as.pgd);
    kwrite32(ts + TASK.STACK, ks.base);
    if (os.stackAllocator === 'single') {
      for (let i = 0; i < frame.length; i++) kwrite32(ts + TASK.FRAME + i * 4, frame[i] as number);
      kwrite32(ts + TASK.SP, 0);
    } else {
      const sp = ks.top - FORK_FRAME_WORDS * 4;
      for (let i = 0; i < frame.length; i++) kwrite32(sp + i * 4, frame[i] as number);
      kwrite32(ts + TASK.SP, sp);
    }
    tasks.set(tid, t);
    byTs.set(ts, t);
    if (!kthread) userTasksAlive++;
    log.append({
      seq: 0,
      time: 0,
      type: 'task.new',
      cpu: n.cpu,
      pid: t.tgid,
      tid,
      ppid: t.ppid,
      comm: t.comm,
      kernelThread: kthread,
      kstackBase: ks.base,
      kstackTop: ks.top,
      threadSp: kread32(ts + TASK.SP),
      userStackBase: t.userStack?.base ?? null,
      userStackTop: t.userStack?.top ?? null,
    });
    return t;
  };

  const wake = (t: Task, fromCpu: number | null): void => {
    if (t.state !== 'S' && t.state !== 'D') return;
    t.state = 'R';
    if (running[t.cpu] === t) return; // not switched out yet: schedule() will see it runnable
    const target = rq.wakeUp(t.sched, now());
    t.cpu = target;
    log.append({ seq: 0, time: 0, type: 'task.wake', tid: t.tid, cpu: target });
    if (target !== fromCpu && rq.cpu(target).needResched) machine.raiseInterrupt(target, VECTORS.RESCHEDULE);
  };
  const sleep = (t: Task, state: 'S' | 'D', w: Wait): number => {
    t.state = state;
    t.wait = w;
    return SLEEP;
  };

  const reap = (child: Task, by: Task, cpu: number): void => {
    child.state = 'X';
    child.reaped = true;
    kstack.reaped(child.tid, cpu);
    log.append({ seq: 0, time: 0, type: 'task.reap', tid: child.tid, by: by.tid });
    release(child);
  };
  const release = (t: Task): void => {
    if (!t.reaped || !t.switchedOut) return;
    tasks.delete(t.tid);
    byTs.delete(t.ts);
    freeTs.push(t.ts);
  };

  const children = (parent: Task): Task[] => {
    const out: Task[] = [];
    for (const t of tasks.values()) if (t.ppid === parent.tgid && t.tid === t.tgid && !t.reaped && !t.idle) out.push(t);
    return out;
  };
  const reapable = (t: Task): boolean => t.state === 'Z' && (t.group?.live ?? 0) === 0;

  const closeFiles = (g: Group, cpu: number): void => {
    for (const f of g.files) {
      if (f === null || f.pipe === null) continue;
      if (f.end === 'r') f.pipe.readers--;
      else f.pipe.writers--;
      for (const w of f.pipe.readWait.splice(0)) wake(w, cpu);
      for (const w of f.pipe.writeWait.splice(0)) wake(w, cpu);
    }
    g.files = [];
  };

  // ---- natives: scheduling ----
  native('schedule_debug', (cpu) => {
    const t = running[cpu.id];
    if (t === undefined || t.idle || t.kstack === null) return undefined;
    // `*end_of_stack(task) != STACK_END_MAGIC`, read here for the built-in allocator (which makes the report
    // when it is wrong); a user's allocator is asked every time.
    if ((!builtinKstack || kread32(t.kstack.endOfStack) !== STACK_END_MAGIC) && kstack.taskStackEndCorrupted(t.tid, cpu.id))
      die(cpu, 'corrupted stack end detected inside scheduler', t.kstack.endOfStack, cpu.sp, cpu.pc, 'overflow');
    return undefined;
  });

  native('pick_next_task', (cpu) => {
    const id = cpu.id;
    const prev = running[id] as Task;
    const preempt = cpu.reg(0) === 1;
    const tnow = now();
    let next: SchedTask | undefined;
    if (prev.idle) next = rq.pickNext(id, tnow);
    else {
      const st = prev.state === 'R' ? 'runnable' : prev.state === 'S' || prev.state === 'D' ? 'blocked' : 'dead';
      next = rq.schedule(id, tnow, st);
    }
    const nt = next === undefined ? (idle[id] as Task) : (tasks.get(next.tid) as Task);
    if (nt === prev) {
      cpu.setReg(1, 0);
      return undefined;
    }
    if (prev.state === 'R' && !prev.idle) prev.nivcsw++;
    else if (!prev.idle) prev.nvcsw++;
    const mmSwitch = nt.mm !== null && nt.mm !== prev.activeMm;
    if (nt.mm === null) {
      nt.activeMm = prev.activeMm;
      if (nt.activeMm !== null) nt.activeMm.refs++;
    }
    running[id] = nt;
    nt.cpu = id;
    nt.lastSwitchIn = tnow;
    switches++;
    log.append({
      seq: 0,
      time: 0,
      type: 'sched.switch',
      cpu: id,
      prevTid: prev.idle ? 0 : prev.tid,
      prevComm: prev.comm,
      prevState: prev.state,
      nextTid: nt.idle ? 0 : nt.tid,
      nextComm: nt.comm,
      prevSp: u32(cpu.sp),
      nextSp: kread32(nt.ts + TASK.SP),
      mmSwitch,
      preempt,
    });
    switchedFrom[id] = prev;
    cpu.setReg(0, prev.ts);
    cpu.setReg(1, nt.ts);
    return undefined;
  });

  const finishTaskSwitch = (cpu: Cpu): number | undefined => {
    const ts = cpu.reg(0);
    // Normally the task this CPU just switched from (still in byTs: it is released only below); else look it up.
    const last = switchedFrom[cpu.id];
    switchedFrom[cpu.id] = undefined;
    const prev = last !== undefined && last.ts === ts ? last : byTs.get(ts);
    if (prev === undefined) return undefined;
    if (prev.kthread && !prev.idle && prev.activeMm !== null) {
      mmput(prev.activeMm);
      prev.activeMm = null;
    }
    if (prev.state === 'Z' || prev.state === 'X') {
      prev.switchedOut = true;
      kstack.finalSwitch(prev.tid, cpu.id);
      if (prev.mm !== null) {
        const mm = prev.mm;
        prev.mm = null;
        prev.activeMm = null;
        mmput(mm);
      }
      release(prev);
      if (finishing && userTasksAlive === 0) {
        finished = true;
        stopped = true;
        machine.stop();
      }
    }
    return undefined;
  };
  native('finish_task_switch', finishTaskSwitch);
  native('schedule_tail', finishTaskSwitch);

  native('idle_need_resched', (cpu) => {
    const r = rq.cpu(cpu.id);
    return r.needResched || r.nrQueued > 0 ? 1 : 0;
  });
  native('should_resched_voluntary', (cpu) => (rq.shouldReschedule(cpu.id, 'cond-resched') ? 1 : 0));
  native('do_sched_yield', (cpu) => {
    // The policy hears of it (CFS: update_curr and the skip buddy); schedule() follows.
    rq.schedYield(cpu.id, now());
    return undefined;
  });
  native('scheduler_ipi', () => undefined);
  native('spurious_interrupt', () => undefined);

  native('exit_to_user_mode', (cpu) => {
    const t = running[cpu.id] as Task;
    if (t.killed) return 2;
    return rq.shouldReschedule(cpu.id, 'return-to-user') ? 1 : 0;
  });
  native('irqentry_exit', (cpu) => {
    const regs = u32(cpu.reg(0));
    const ps = reg(regs, 19);
    const t = running[cpu.id] as Task;
    if ((ps & PS.USER) !== 0) {
      if (t.killed) return 3;
      return rq.shouldReschedule(cpu.id, 'return-to-user') ? 1 : 0;
    }
    if (t.idle) return 0;
    const point = reg(regs, 17) === VECTORS.TIMER ? 'tick' : 'irq-return-kernel';
    return rq.shouldReschedule(cpu.id, point) ? 2 : 0;
  });
  native('irq_enter', (cpu) => {
    rq.preemptCountAdd(cpu.id, HARDIRQ_OFFSET);
    return undefined;
  });
  native('irq_exit', (cpu) => {
    rq.preemptCountSub(cpu.id, HARDIRQ_OFFSET);
    return undefined;
  });
  native('scheduler_tick', (cpu) => {
    const t = now();
    const ran = t - (lastTick[cpu.id] as number);
    lastTick[cpu.id] = t;
    if (rq.cpu(cpu.id).curr !== undefined && ran > 0) rq.tick(cpu.id, ran, t);
    return undefined;
  });

  // ---- natives: system calls ----
  // Names of the workload's own private numbers (names in no table), for the tracepoint.
  const workloadSyscalls = new Map<number, string>(Object.entries(workload.syscalls ?? {}).map(([name, nr]) => [nr, name]));
  // The tracepoint's name of each number, as found the first time (an array for the table's numbers).
  const syscallNames: (string | undefined)[] = new Array<string | undefined>(NR_SYSCALLS).fill(undefined);
  const otherSyscallNames = new Map<number, string>();
  const findSyscallName = (nr: number): string => SYSCALL_NAMES.get(nr) ?? syscallName(nr) ?? workloadSyscalls.get(nr) ?? `syscall_${nr}`;
  const nameOfSyscall = (nr: number): string => {
    if (nr < NR_SYSCALLS) {
      const known = syscallNames[nr];
      if (known !== undefined) return known;
      const found = findSyscallName(nr);
      syscallNames[nr] = found;
      return found;
    }
    let name = otherSyscallNames.get(nr);
    if (name === undefined) {
      name = findSyscallName(nr);
      otherSyscallNames.set(nr, name);
    }
    return name;
  };
  const threadInfoOnStack = os.threadInfo === 'stack';
  // The syscall number is overwritten by the return value in regs->ax; remember it per task.
  const lastNr = new Map<number, number>();
  native('syscall_enter', (cpu) => {
    const regs = cpu.reg(0);
    const t = currentOf(cpu);
    if (t === null) return undefined;
    const raw = reg(regs, 0);
    const nr = (raw & ~RECORDED_SYSCALL_BIT) >>> 0;
    const argsText = (raw & RECORDED_SYSCALL_BIT) !== 0 && t.mm !== null ? userString(t.mm, reg(regs, 5)) : undefined;
    const sp = cpu.sp;
    const args = [reg(regs, 1), reg(regs, 2), reg(regs, 3), reg(regs, 4)];
    const threadInfo = threadInfoOnStack ? (sp & mask) >>> 0 : null;
    // lastNr changes only when the number does; idle tasks (all tid 0) always go through the map.
    if (t.tid === 0) lastNr.set(0, nr);
    else if (t.nrSeen !== nr) {
      t.nrSeen = nr;
      lastNr.set(t.tid, nr);
    }
    // Built whole, in the order of the payload's keys (argsText only for a recorded call).
    if (argsText === undefined)
      log.append({
        seq: 0,
        time: 0,
        type: 'syscall.enter',
        cpu: cpu.id,
        tid: t.tid,
        nr,
        name: nameOfSyscall(nr),
        args,
        regs,
        sp,
        threadInfo,
      });
    else
      log.append({
        seq: 0,
        time: 0,
        type: 'syscall.enter',
        cpu: cpu.id,
        tid: t.tid,
        nr,
        name: nameOfSyscall(nr),
        args,
        argsText,
        regs,
        sp,
        threadInfo,
      });
    return undefined;
  });
  native('syscall_exit', (cpu) => {
    const regs = cpu.reg(0);
    const t = running[cpu.id] as Task;
    log.append({
      seq: 0,
      time: 0,
      type: 'syscall.exit',
      cpu: cpu.id,
      tid: t.tid,
      nr: t.nrSeen >= 0 && t.tid !== 0 ? t.nrSeen : (lastNr.get(t.tid) ?? 0),
      ret: s32(reg(regs, 0)),
    });
    return undefined;
  });

  const cur = (cpu: Cpu): Task => {
    // After an oops on a garbage `current` the machine is stopping: carry on with the scheduler's idea of it.
    return currentOf(cpu) ?? (running[cpu.id] as Task);
  };
  const fileOf = (t: Task, fd: number): File | null => t.group?.files[fd] ?? null;

  native('fd_kind', (cpu) => {
    const regs = u32(cpu.reg(0));
    const t = currentOf(cpu);
    if (t === null) return 0;
    const f = fileOf(t, reg(regs, 1));
    if (f === null) return -ERRNO.EBADF;
    const nr = reg(regs, 0);
    if (f.kind === 'console') return 1;
    if (f.kind === 'pipe') {
      if ((nr === SYSCALLS.write) !== (f.end === 'w')) return -ERRNO.EBADF;
      return 2;
    }
    return 3;
  });
  native('tty_copy_from_user', (cpu) => {
    const regs = u32(cpu.reg(0));
    const buf = u32(cpu.reg(1));
    const t = cur(cpu);
    const n = Math.min(reg(regs, 3), 512);
    if (t.mm === null) return -ERRNO.EFAULT;
    const bytes = readUser(t.mm, reg(regs, 2), n);
    if (bytes === null) return -ERRNO.EFAULT;
    for (let i = 0; i < n; i++) cpu.bus.write8(buf + i, bytes[i] as number, false);
    return n;
  });
  native('tty_output', (cpu) => {
    const regs = u32(cpu.reg(0));
    const buf = u32(cpu.reg(1));
    const t = running[cpu.id] as Task;
    const n = Math.min(reg(regs, 3), 512);
    let text = '';
    for (let i = 0; i < n; i++) text += String.fromCharCode(cpu.bus.read8(buf + i, false));
    consoleText += text;
    log.append({ seq: 0, time: 0, type: 'console.write', tid: t.tid, text });
    return n;
  });

  // A blocking write() writes every byte: it sleeps while the pipe is full, and a write of at
  // most PIPE_BUF bytes waits for room for all of it (atomic). An error or a kill after some
  // bytes went in returns their count.
  native('pipe_write_native', (cpu) => {
    const regs = u32(cpu.reg(0));
    const t = cur(cpu);
    const done = t.wait !== null && t.wait.kind === 'queue' ? (t.wait.done ?? 0) : 0;
    if (t.killed) return done > 0 ? done : -ERRNO.EINTR;
    t.wait = null;
    const f = fileOf(t, reg(regs, 1));
    const p = f?.pipe;
    if (p === undefined || p === null || t.mm === null) return -ERRNO.EBADF;
    const count = reg(regs, 3);
    if (count === 0) return 0;
    if (p.readers === 0) return done > 0 ? done : -ERRNO.EPIPE;
    const left = count - done;
    const space = PIPE_SIZE - p.data.length;
    if (space === 0 || (count <= PIPE_BUF && space < left)) {
      p.writeWait.push(t);
      return sleep(t, 'S', { kind: 'queue', woken: false, done });
    }
    const n = Math.min(space, left);
    const bytes = readUser(t.mm, (reg(regs, 2) + done) >>> 0, n);
    if (bytes === null) return done > 0 ? done : -ERRNO.EFAULT;
    for (let i = 0; i < bytes.length; i++) p.data.push(bytes[i] as number);
    if (p.readWait.length !== 0) for (const w of p.readWait.splice(0)) wake(w, cpu.id);
    if (done + n < count) {
      p.writeWait.push(t);
      return sleep(t, 'S', { kind: 'queue', woken: false, done: done + n });
    }
    return count;
  });
  native('pipe_read_native', (cpu) => {
    const regs = u32(cpu.reg(0));
    const t = cur(cpu);
    if (t.killed) return -ERRNO.EINTR;
    t.wait = null;
    const f = fileOf(t, reg(regs, 1));
    const p = f?.pipe;
    if (p === undefined || p === null || t.mm === null) return -ERRNO.EBADF;
    if (reg(regs, 3) === 0) return 0;
    if (p.data.length === 0) {
      if (p.writers === 0) return 0;
      p.readWait.push(t);
      return sleep(t, 'S', { kind: 'queue', woken: false });
    }
    const n = Math.min(p.data.length, reg(regs, 3));
    const out = new Uint8Array(n);
    for (let i = 0; i < n; i++) out[i] = p.data[i] as number;
    if (!writeUser(t.mm, reg(regs, 2), out)) return -ERRNO.EFAULT;
    if (n === p.data.length) p.data.length = 0;
    else p.data.splice(0, n);
    if (p.writeWait.length !== 0) for (const w of p.writeWait.splice(0)) wake(w, cpu.id);
    return n;
  });

  native('raid_checksum_cycles', () => RAID_CHECKSUM_CYCLES);
  native('blk_rw', (cpu) => {
    const regs = u32(cpu.reg(0));
    const t = cur(cpu);
    const w = t.wait;
    if (w !== null && w.kind === 'disk') {
      if (!w.req.done) return sleep(t, 'D', w);
      t.wait = null;
      const f = fileOf(t, reg(regs, 1));
      if (f !== null) f.offset += w.req.bytes;
      return w.req.bytes;
    }
    const f = fileOf(t, reg(regs, 1));
    if (f === null || t.mm === null) return -ERRNO.EBADF;
    const op = reg(regs, 0) === SYSCALLS.write ? 'write' : 'read';
    const count = Math.min(reg(regs, 3), 64 * 1024, DISK_SIZE - f.offset);
    const buf = reg(regs, 2);
    const pages: { paddr: number; len: number }[] = [];
    for (let i = 0; i < count; ) {
      const p = userPaddr(t.mm, buf + i, op === 'read');
      if (p === null) return -ERRNO.EFAULT;
      const len = Math.min(count - i, 4096 - ((buf + i) % 4096));
      pages.push({ paddr: p, len });
      i += len;
    }
    const req: DiskReq = { id: nextReq++, task: t, op, pages, bytes: count, offset: f.offset, done: false };
    diskPending.set(req.id, req);
    const { at: completeAt } = later(os.diskLatency, 'disk.complete', { req: req.id });
    log.append({ seq: 0, time: 0, type: 'disk.submit', req: req.id, tid: t.tid, op, bytes: count, offset: f.offset, completeAt });
    return sleep(t, 'D', { kind: 'disk', req });
  });
  native('ata_complete', (cpu) => {
    for (const req of diskDone.splice(0)) {
      req.done = true;
      wake(req.task, cpu.id);
    }
    return undefined;
  });
  native('nic_receive', (cpu) => {
    nicPackets++;
    log.emit('nic.rx', { cpu: cpu.id, packet: nicPackets });
    return undefined;
  });

  const processExit = (t: Task, cpu: number): void => {
    const g = t.group as Group;
    closeFiles(g, cpu);
    const init = tasks.get(1);
    let zombieOrphan = false;
    for (const c of children(t)) {
      c.ppid = 1;
      log.emit('task.reparent', { tid: c.tid, from: t.tgid, to: 1 });
      for (const th of c.group?.threads ?? []) th.ppid = 1;
      if (reapable(c)) zombieOrphan = true;
    }
    if (zombieOrphan && init !== undefined) wakeWaiters(init, cpu);
    const leader = tasks.get(g.tgid);
    if (leader !== undefined) {
      const parent = tasks.get(leader.ppid);
      if (parent !== undefined) wakeWaiters(parent, cpu);
    }
  };
  const wakeWaiters = (parent: Task, cpu: number): void => {
    for (const th of parent.group?.threads ?? [parent]) if (th.wait?.kind === 'wait4') wake(th, cpu);
  };

  native('do_exit_native', (cpu) => {
    const t = running[cpu.id] as Task;
    // After exit_group or a fatal signal every thread exits with the group's status (do_group_exit).
    const code = t.group?.exitCode ?? u32(cpu.reg(0));
    if (t.idle) {
      die(cpu, 'Attempted to kill the idle task!', null, cpu.sp, cpu.pc, 'panic');
      return undefined;
    }
    if (t.tid === 1) {
      die(cpu, `Attempted to kill init! exitcode=${hex(code)}`, null, cpu.sp, cpu.pc, 'panic');
      return undefined;
    }
    t.exitCode = code;
    const g = t.group as Group;
    g.live--;
    const leader = t.tid === t.tgid;
    t.state = leader ? 'Z' : 'X';
    kstack.taskExited({ tid: t.tid, comm: t.comm });
    if (!t.kthread) userTasksAlive--;
    log.append({ seq: 0, time: 0, type: 'task.exit', tid: t.tid, pid: t.tgid, code, state: t.state });
    if (!leader) reap(t, t, cpu.id);
    if (g.live === 0) processExit(t, cpu.id);
    if (userTasksAlive === 0) finishing = true;
    return undefined;
  });
  native('bug_exit_returned', (cpu) => {
    die(cpu, 'BUG: do_exit() returned', null, cpu.sp, cpu.pc, 'oops');
    return undefined;
  });
  /** do_group_exit: the process ends with wait status `status` (unless it is already ending); the other threads are killed. */
  const groupExit = (t: Task, status: number, cpuId: number): void => {
    const g = t.group;
    if (g === null) return;
    if (g.exitCode === null) g.exitCode = status;
    for (const th of g.threads) {
      if (th === t || th.state === 'Z' || th.state === 'X') continue;
      th.killed = true;
      wake(th, cpuId);
    }
  };
  native('exit_group_native', (cpu) => {
    groupExit(cur(cpu), (reg(u32(cpu.reg(0)), 1) & 0xff) << 8, cpu.id);
    return undefined;
  });

  native('copy_process_native', (cpu) => {
    const regs = u32(cpu.reg(0));
    const parent = cur(cpu);
    if (parent.mm === null || parent.group === null) return -ERRNO.EINVAL;
    const nr = reg(regs, 0);
    let flags = 0;
    let clone3Stack: number | null = null;
    if (nr === SYSCALLS.clone) flags = reg(regs, 1);
    else if (nr === SYSCALLS.clone3) {
      // struct clone_args (u64 fields): flags at 0, stack at 40, stack_size at 48; the child starts where the parent is.
      if (reg(regs, 2) < 64) return -ERRNO.EINVAL;
      const args = readUser(parent.mm, reg(regs, 1), 64);
      if (args === null) return -ERRNO.EFAULT;
      flags = wordsOf(args, 0);
      const stack = wordsOf(args, 10);
      clone3Stack = stack === 0 ? 0 : stack + wordsOf(args, 12);
    }
    const frame: number[] = [];
    for (let i = 0; i < 21; i++) frame.push(reg(regs, i));
    frame[0] = 0; // the child's fork() returns 0
    const thread = (flags & CLONE.THREAD) !== 0 && (flags & CLONE.VM) !== 0;
    if (thread) {
      const g = parent.group;
      let stack = clone3Stack ?? reg(regs, 2);
      let userStack: { base: number; top: number };
      if (stack === 0) {
        // pthread_create's stack: the soft RLIMIT_STACK (2 MiB when unlimited), a guard page below.
        const size = g.rlimStack.cur === RLIM_INFINITY ? 2 << 20 : Math.min(g.rlimStack.cur, 64 << 20);
        const base = mmapRegion(parent.mm, size, 'rw-u');
        if (base === null) return -ERRNO.ENOMEM;
        stack = base + Math.ceil(size / 4096) * 4096;
        userStack = { base, top: stack };
      } else userStack = { base: stack - 4096, top: stack };
      if (nr === SYSCALLS.clone) frame[1] = reg(regs, 4);
      if (nr === SYSCALLS.clone && reg(regs, 3) !== 0) frame[18] = reg(regs, 3);
      frame[20] = stack;
      parent.mm.refs++;
      const child = createTask({
        comm: parent.comm,
        parent,
        ppid: parent.ppid,
        group: g,
        mm: parent.mm,
        regs: frame,
        userStack,
        cpu: cpu.id,
      });
      if (child === null) {
        parent.mm.refs--;
        return -ERRNO.ENOMEM;
      }
      rq.wakeUp(child.sched, now());
      return child.tid;
    }
    const as = parent.mm.as.fork();
    if (as === null) return -ERRNO.ENOMEM;
    const mm = newMm(as);
    mm.mmapNext = parent.mm.mmapNext;
    const pg = parent.group;
    const files = pg.files.map((f) => {
      if (f === null) return null;
      if (f.pipe !== null) {
        if (f.end === 'r') f.pipe.readers++;
        else f.pipe.writers++;
      }
      return { ...f };
    });
    const tid = nextPid;
    const group: Group = { tgid: tid, live: 0, files, rlimStack: { ...pg.rlimStack }, threads: [], exitCode: null };
    const child = createTask({
      comm: parent.comm,
      parent,
      ppid: parent.tgid,
      group,
      mm,
      regs: frame,
      userStack: parent.userStack,
      cpu: cpu.id,
    });
    if (child === null) {
      mmput(mm);
      return -ERRNO.ENOMEM;
    }
    rq.wakeUp(child.sched, now());
    return child.tid;
  });

  const readString = (mm: Mm, va: number, max = 256): string | null => {
    let s = '';
    for (let i = 0; i < max; i++) {
      const b = readUser(mm, va + i, 1);
      if (b === null) return null;
      if (b[0] === 0) return s;
      s += String.fromCharCode(b[0] as number);
    }
    return s;
  };

  const exec = (cpu: Cpu, t: Task, img: Image, comm: string, regs: number): void => {
    const as = mmu.createAddressSpace();
    as.setRlimitStack(t.group?.rlimStack.cur === RLIM_INFINITY ? DEFAULT_RLIMIT_STACK : (t.group?.rlimStack.cur ?? DEFAULT_RLIMIT_STACK));
    const mm = newMm(as);
    const { entry, sp, stack } = loadProgram(mm, img);
    for (let i = 0; i < 16; i++) kwrite32(regs + i * 4, 0);
    kwrite32(regs + 18 * 4, entry);
    kwrite32(regs + 19 * 4, PS.USER | PS.IE);
    kwrite32(regs + 20 * 4, sp);
    const old = t.mm;
    t.mm = mm;
    t.activeMm = mm;
    t.comm = comm;
    t.userStack = stack;
    kwrite32(t.ts + TASK.PGD, as.pgd);
    cpu.setCr3(as.pgd);
    mmput(old);
    log.emit('task.exec', { tid: t.tid, comm, entry, sp });
  };
  native('exec_binprm', (cpu) => {
    const regs = u32(cpu.reg(0));
    const t = cur(cpu);
    if (t.mm === null) return -ERRNO.EFAULT;
    const name = readString(t.mm, reg(regs, 1));
    if (name === null) return -ERRNO.EFAULT;
    const img = programs.get(name);
    if (img === undefined) return -ERRNO.ENOENT;
    if ((t.group?.live ?? 1) > 1) return -ERRNO.EAGAIN;
    // comm is the program's base name (a workload's programs may be named by paths: /usr/bin/sleep).
    exec(cpu, t, img, name.slice(name.lastIndexOf('/') + 1).slice(0, 15), regs);
    return 0;
  });

  native('do_wait_native', (cpu) => {
    const regs = u32(cpu.reg(0));
    const t = cur(cpu);
    if (t.killed) return -ERRNO.EINTR;
    t.wait = null;
    const pid = s32(reg(regs, 1));
    const statusPtr = reg(regs, 2);
    const opts = reg(regs, 3);
    if ((opts & ~WAIT4_OPTIONS) !== 0) return -ERRNO.EINVAL;
    // pid 0: any child in the caller's process group, which is every child (no task changes its group).
    const kids = children(t).filter((c) => pid === -1 || pid === 0 || c.tid === pid);
    if (kids.length === 0) return -ERRNO.ECHILD;
    const z = kids.find(reapable);
    if (z !== undefined) {
      // The child is reaped even when the status cannot be stored (kernel_wait4's put_user comes after).
      const status = z.group?.exitCode ?? z.exitCode ?? 0;
      reap(z, t, cpu.id);
      if (statusPtr !== 0 && t.mm !== null && !writeUser(t.mm, statusPtr, words(status))) return -ERRNO.EFAULT;
      return z.tid;
    }
    if ((opts & WNOHANG) !== 0) return 0;
    return sleep(t, 'S', { kind: 'wait4' });
  });

  native('nanosleep_native', (cpu) => {
    const regs = u32(cpu.reg(0));
    const t = cur(cpu);
    const w = t.wait;
    if (w !== null && w.kind === 'sleep') {
      if (w.expired) {
        t.wait = null;
        return 0;
      }
      if (t.killed) {
        sim.timers.cancel(w.timer);
        t.wait = null;
        return -ERRNO.EINTR;
      }
      return sleep(t, 'S', w);
    }
    if (t.mm === null) return -ERRNO.EFAULT;
    const ts = readUser(t.mm, reg(regs, 1), 8);
    if (ts === null) return -ERRNO.EFAULT;
    // i386's struct timespec: a signed 32-bit tv_sec and tv_nsec. Like Linux, a negative
    // field or tv_nsec past a second is EINVAL, and a sleep past what a clock can hold is
    // cut to that (KTIME_MAX there; here 2^52 ns, some 52 simulated days).
    const sec = wordsOf(ts, 0) | 0;
    const nsec = wordsOf(ts, 1) | 0;
    if (sec < 0 || nsec < 0 || nsec >= 1e9) return -ERRNO.EINVAL;
    const timer = later(sec * 1e9 + nsec, 'kernel.timer', { tid: t.tid, kind: 'nanosleep' }).id;
    return sleep(t, 'S', { kind: 'sleep', expired: false, timer });
  });
  // The recorded-call path: a call replayed from a recording (RECORDED_SYSCALL_BIT) gives
  // the recorded result after spending the recorded duration running in the kernel or
  // asleep on a kernel timer, in S or D (a D sleep is not cut short by exit_group).
  const recordedNs = (regs: number): number => reg(regs, 2) + reg(regs, 3) * 2 ** 32;
  // The restart codes (-ERESTARTSYS -512 to -ERESTART_RESTARTBLOCK -516) never reach user
  // space: an interrupted call that is not restarted returns -EINTR.
  const recordedRet = (regs: number): number => {
    const ret = s32(reg(regs, 1));
    return ret <= -512 && ret >= -516 ? -ERRNO.EINTR : ret;
  };
  native('recorded_syscall_cycles', (cpu) => {
    const regs = u32(cpu.reg(0));
    if (reg(regs, 4) !== RECORDED_MODE.RUN) return 0;
    return Math.min(Math.ceil((recordedNs(regs) * machine.frequencyHz) / 1e9), 0xffffffff);
  });
  native('recorded_syscall_native', (cpu) => {
    const regs = u32(cpu.reg(0));
    const t = cur(cpu);
    const mode = reg(regs, 4);
    const w = t.wait;
    if (w !== null && w.kind === 'sleep') {
      if (w.expired) {
        t.wait = null;
        return recordedRet(regs);
      }
      if (t.killed && mode !== RECORDED_MODE.DISK) {
        sim.timers.cancel(w.timer);
        t.wait = null;
        return -ERRNO.EINTR;
      }
      return sleep(t, mode === RECORDED_MODE.DISK ? 'D' : 'S', w);
    }
    if (mode === RECORDED_MODE.RUN) return recordedRet(regs);
    if (t.killed) return -ERRNO.EINTR;
    const timer = later(recordedNs(regs), 'kernel.timer', { tid: t.tid, kind: 'syscall' }).id;
    return sleep(t, mode === RECORDED_MODE.DISK ? 'D' : 'S', { kind: 'sleep', expired: false, timer });
  });

  log.on('kernel.timer', (e) => {
    const t = tasks.get(e.tid);
    if (t === undefined) return;
    if ((e.kind === 'nanosleep' || e.kind === 'syscall') && t.wait?.kind === 'sleep') {
      t.wait.expired = true;
      wake(t, null);
    } else if (e.kind === 'worker' && t.worker !== null) {
      t.worker.pending = true;
      wake(t, null);
    }
  });

  const futexKey = (t: Task, uaddr: number): string => `${t.mm?.as.id ?? 0}:${uaddr}`;
  native('futex_wait_native', (cpu) => {
    const regs = u32(cpu.reg(0));
    const t = cur(cpu);
    const w = t.wait;
    if (w !== null && w.kind === 'queue') {
      if (w.woken) {
        t.wait = null;
        return 0;
      }
      if (t.killed) {
        t.wait = null;
        const q = futexQueues.get(futexKey(t, reg(regs, 1)));
        if (q?.includes(t)) q.splice(q.indexOf(t), 1);
        return -ERRNO.EINTR;
      }
      return sleep(t, 'S', w);
    }
    if (t.mm === null) return -ERRNO.EFAULT;
    const uaddr = reg(regs, 1);
    const v = readUser(t.mm, uaddr, 4);
    if (v === null) return -ERRNO.EFAULT;
    if (wordsOf(v, 0) !== reg(regs, 3)) return -ERRNO.EAGAIN;
    const key = futexKey(t, uaddr);
    const q = futexQueues.get(key) ?? [];
    q.push(t);
    futexQueues.set(key, q);
    return sleep(t, 'S', { kind: 'queue', woken: false });
  });
  native('futex_wake_native', (cpu) => {
    const regs = u32(cpu.reg(0));
    const t = cur(cpu);
    const q = futexQueues.get(futexKey(t, reg(regs, 1)));
    let n = 0;
    const max = reg(regs, 3);
    while (q !== undefined && q.length > 0 && n < max) {
      const w = q.shift() as Task;
      if (w.wait?.kind === 'queue') w.wait.woken = true;
      wake(w, cpu.id);
      n++;
    }
    return n;
  });

  native('sys_getpid', (cpu) => cur(cpu).tgid);
  native('sys_gettid', (cpu) => cur(cpu).tid);
  native('sys_getppid', (cpu) => cur(cpu).ppid);
  native('sys_pipe', (cpu) => {
    const regs = u32(cpu.reg(0));
    const t = cur(cpu);
    const g = t.group;
    if (g === null || t.mm === null) return -ERRNO.EFAULT;
    const p: PipeObj = { id: nextPipe++, data: [], readers: 1, writers: 1, readWait: [], writeWait: [] };
    const rfd = g.files.length;
    const wfd = rfd + 1;
    if (!writeUser(t.mm, reg(regs, 1), words(rfd, wfd))) return -ERRNO.EFAULT;
    g.files.push({ kind: 'pipe', pipe: p, end: 'r', offset: 0 }, { kind: 'pipe', pipe: p, end: 'w', offset: 0 });
    return 0;
  });
  native('sys_getrlimit', (cpu) => {
    const regs = u32(cpu.reg(0));
    const t = cur(cpu);
    if (reg(regs, 1) !== RLIMIT_STACK) return -ERRNO.EINVAL;
    if (t.mm === null || t.group === null) return -ERRNO.EFAULT;
    return writeUser(t.mm, reg(regs, 2), words(t.group.rlimStack.cur, t.group.rlimStack.max)) ? 0 : -ERRNO.EFAULT;
  });
  native('sys_setrlimit', (cpu) => {
    const regs = u32(cpu.reg(0));
    const t = cur(cpu);
    if (reg(regs, 1) !== RLIMIT_STACK) return -ERRNO.EINVAL;
    if (t.mm === null || t.group === null) return -ERRNO.EFAULT;
    const b = readUser(t.mm, reg(regs, 2), 8);
    if (b === null) return -ERRNO.EFAULT;
    const cur2 = wordsOf(b, 0);
    const max = wordsOf(b, 1);
    if (cur2 > max) return -ERRNO.EINVAL;
    t.group.rlimStack = { cur: cur2, max };
    t.mm.as.setRlimitStack(cur2 === RLIM_INFINITY ? 0xffffffff : cur2);
    return 0;
  });
  native('do_mmap', (cpu) => {
    const regs = u32(cpu.reg(0));
    const t = cur(cpu);
    if (t.mm === null) return -ERRNO.EINVAL;
    const addr = reg(regs, 1);
    const len = reg(regs, 2);
    const prot = reg(regs, 3);
    if (len === 0 || len > 0x40000000 || addr % 4096 !== 0) return -ERRNO.EINVAL;
    const p = `${prot & 1 ? 'r' : '-'}${prot & 2 ? 'w' : '-'}${prot & 4 ? 'x' : '-'}u`;
    const a = mmapRegion(t.mm, len, p, addr);
    return a === null ? -ERRNO.ENOMEM : a;
  });
  native('do_munmap', (cpu) => {
    const regs = u32(cpu.reg(0));
    const t = cur(cpu);
    const addr = reg(regs, 1);
    const len = reg(regs, 2);
    if (t.mm === null || addr % 4096 !== 0 || len === 0) return -ERRNO.EINVAL;
    try {
      t.mm.as.munmap(addr, Math.ceil(len / 4096) * 4096);
    } catch {
      return -ERRNO.EINVAL;
    }
    return 0;
  });

  // ---- natives: faults ----
  native('do_page_fault', (cpu) => {
    const regs = u32(cpu.reg(0));
    const address = cpu.cr2;
    const err = reg(regs, 16);
    const ps = reg(regs, 19);
    const t = running[cpu.id] as Task;
    const user = (ps & PS.USER) !== 0;
    const mm = t.mm ?? t.activeMm;
    if (address < PAGE_OFFSET && mm !== null) {
      const r = mm.as.handleFault(address, err);
      if (r.resolved) return 0;
      if (user) {
        // SIGSEGV, fatal: the whole process dies of it (r0: the status do_exit gets).
        log.emit('task.signal', { tid: t.tid, signal: 11, address, code: (err & 1) !== 0 ? 'SEGV_ACCERR' : 'SEGV_MAPERR' });
        groupExit(t, 11, cpu.id);
        return 11;
      }
    }
    const sp = (ps & PS.USER) === 0 ? regs + PT_REGS_SIZE : regs;
    die(cpu, `BUG: unable to handle page fault for address: ${hex(address)}`, address, sp, reg(regs, 18), 'oops');
    return 0;
  });
  native('exc_double_fault', (cpu) => {
    const regs = u32(cpu.reg(0));
    const t = running[cpu.id] as Task;
    const fault = cpu.cr2;
    const report = kstack.checkOverflow(t.idle ? { cpu: cpu.id, faultAddress: fault } : { cpu: cpu.id, tid: t.tid, faultAddress: fault });
    const sp = reg(regs, 20);
    const msg =
      report?.how === 'guard-page'
        ? `BUG: stack guard page was hit at ${hex(fault)} (stack is ${hex(report.base)}..${hex(report.top - 1)}); kernel stack overflow (double-fault)`
        : `double fault at ${hex(reg(regs, 18))} (cr2 ${hex(fault)})`;
    die(cpu, msg, fault, sp, reg(regs, 18), report === null ? 'panic' : 'overflow');
    return undefined;
  });
  native('do_trap', (cpu) => {
    const regs = u32(cpu.reg(0));
    const ps = reg(regs, 19);
    const vector = reg(regs, 17);
    const t = running[cpu.id] as Task;
    if ((ps & PS.USER) !== 0) {
      // Fatal to the whole process (r0: the status do_exit gets). si_addr: the faulting instruction; none for #GP.
      const trap = TRAP_SIGNALS[vector];
      const signal = trap?.signal ?? 11;
      log.emit('task.signal', { tid: t.tid, signal, address: trap === undefined ? null : reg(regs, 18), code: trap?.code ?? 'SI_KERNEL' });
      groupExit(t, signal, cpu.id);
      return signal;
    }
    const names: Record<number, string> = { 0: 'divide error', 6: 'invalid opcode', 13: 'general protection fault' };
    die(
      cpu,
      `${names[vector] ?? `trap ${vector}`}: 0000 [#1] at ${symbols.symbolize(reg(regs, 18), 'exact')}`,
      null,
      regs + PT_REGS_SIZE,
      reg(regs, 18),
      'oops',
    );
    return 0;
  });

  // ---- natives: kernel threads ----
  native('kthreadd_work', (cpu) => {
    const t = cur(cpu);
    t.wait = null;
    const req = kthreadRequests.shift();
    if (req === undefined) return sleep(t, 'S', { kind: 'queue', woken: false });
    const w = createTask({
      comm: req.name,
      parent: t,
      ppid: 2,
      group: null,
      mm: null,
      kfn: image.address('worker_thread'),
      karg: 0,
      cpu: cpu.id,
    });
    if (w !== null) {
      w.worker = { cycles: req.cycles, period: req.period, pending: true };
      rq.wakeUp(w.sched, now());
    }
    return 0;
  });
  native('worker_next', (cpu) => {
    const t = cur(cpu);
    t.wait = null;
    const w = t.worker;
    if (w === null) return sleep(t, 'S', { kind: 'queue', woken: false });
    if (w.pending) {
      w.pending = false;
      return w.cycles;
    }
    return sleep(t, 'S', { kind: 'queue', woken: false });
  });
  native('worker_did_work', (cpu) => {
    const t = cur(cpu);
    if (t.worker !== null) later(t.worker.period, 'kernel.timer', { tid: t.tid, kind: 'worker' });
    return undefined;
  });

  // ---- assemble and load the kernel ----
  const source = kernelSource(os);
  let image: Image;
  try {
    image = assemble(source, { source: `kernel-${os.name}.s`, natives: machine.nativeNumbers() });
  } catch (e) {
    throw new KernelError('bad-variant', `the kernel image does not assemble for ${os.name}: ${(e as Error).message}`, { cause: e });
  }
  for (const s of image.sections) phys.writeBytes(s.address - PAGE_OFFSET, s.bytes);
  kernelTextEnd = textEnd();
  const symbols = createSymbolTable([...image.symbols.symbols, ...[...programs.values()].flatMap((p) => p.symbols.symbols)]);
  // Keep `loadImage` the way images reach memory for anyone reading the bus: both paths write the same bytes.
  void loadImage;

  // Devices and timers.
  log.on('timer.tick', (e) => {
    machine.raiseInterrupt(e.cpu, VECTORS.TIMER);
    sim.timers.schedule(e.time + Math.round(1e9 / os.hz), 'timer.tick', { cpu: e.cpu });
  });
  log.on('disk.complete', (e) => {
    const req = diskPending.get(e.req);
    if (req === undefined) return;
    diskPending.delete(e.req);
    let off = req.offset;
    for (const p of req.pages) {
      if (req.op === 'write') {
        phys.readInto(p.paddr, disk.subarray(off, off + p.len));
        diskSaved = null;
      } else phys.writeBytes(p.paddr, disk.subarray(off, off + p.len));
      off += p.len;
    }
    diskDone.push(req);
    machine.raiseInterrupt(0, VECTORS.DISK);
  });
  log.on('input.nic_rx', () => machine.raiseInterrupt(0, VECTORS.NIC));
  log.on('cpu.trap_enter', (e) => {
    kstack.noteTrapEntry({ cpu: e.cpu, spBefore: e.spBefore, spAfter: e.spAfter });
  });

  const boot = (): void => {
    if (booted) return;
    booted = true;
    log.emit('kernel.boot', {
      os: os.name,
      cpus: os.cpus,
      threadSize: os.threadSize,
      stackAllocator: os.stackAllocator,
      preemption: os.preemption,
      policy: os.scheduler.policy,
      hz: os.hz,
    });
    for (let i = 0; i < os.cpus; i++) {
      const c = cpuOf(i);
      const base = KERNEL_LAYOUT.idleStacks + i * 32768;
      const top = base + os.threadSize;
      const ts = KERNEL_LAYOUT.idleTasks + i * TASK_STRUCT_SIZE;
      kwrite32(base + (os.threadInfo === 'stack' ? THREAD_INFO_OFFSETS.task : 0), 0);
      if (os.threadInfo === 'stack') {
        kwrite32(base + THREAD_INFO_OFFSETS.cpu, i);
        kwrite32(base + 20, STACK_END_MAGIC);
      } else kwrite32(base, STACK_END_MAGIC);
      kwrite32(ts + TASK.TID, 0);
      kwrite32(ts + TASK.SP0, top);
      kwrite32(ts + TASK.STACK, base);
      kwrite32(KERNEL_LAYOUT.percpu + i * PERCPU_SIZE + PERCPU_CURRENT, ts);
      const t: Task = {
        tid: 0,
        tgid: 0,
        ppid: 0,
        comm: `swapper/${i}`,
        state: 'R',
        mm: null,
        activeMm: null,
        ts,
        kstack: null,
        idleStack: { base, top },
        userStack: null,
        nvcsw: 0,
        nivcsw: 0,
        exitCode: null,
        cpu: i,
        kthread: true,
        idle: true,
        sched: { tid: -1 - i, nice: 0, priority: 0, length: undefined, remaining: undefined },
        group: null,
        wait: null,
        killed: false,
        worker: null,
        switchedOut: false,
        reaped: false,
        lastSwitchIn: 0,
        nrSeen: -1,
      };
      idle.push(t);
      byTs.set(ts, t);
      running.push(t);
      c.idtr = KERNEL_LAYOUT.idt;
      c.sp0 = top;
      const irq = kstack.irqStack(i);
      if (irq !== null) {
        c.irqsp = irq.top;
        c.irqsize = irq.size;
      }
      const ex = kstack.exceptionStack(i);
      if (ex !== null) c.dfsp = ex.top;
      c.reset({ pc: image.address('start_kernel'), sp: top });
      sim.timers.schedule(Math.round(1e9 / os.hz), 'timer.tick', { cpu: i });
    }
    // pid 1: init, a user process that reaps (its program is generated from the workload); pid 2: kthreadd.
    const initImg = assembleProgram('init', initProgram());
    programs.set('init', initImg);
    const initAs = mmu.createAddressSpace();
    const initMm = newMm(initAs);
    const loaded = loadProgram(initMm, initImg);
    const initRegs = [...new Array<number>(16).fill(0), 0, 0x80, loaded.entry, PS.USER | PS.IE, loaded.sp];
    const init = createTask({
      comm: 'init',
      parent: null,
      ppid: 0,
      group: null,
      mm: initMm,
      regs: initRegs,
      userStack: loaded.stack,
      cpu: 0,
    });
    const kthreaddTask = createTask({
      comm: 'kthreadd',
      parent: null,
      ppid: 0,
      group: null,
      mm: null,
      kfn: image.address('kthreadd'),
      karg: 0,
      cpu: 0,
    });
    if (init === null || kthreaddTask === null) throw new KernelError('no-memory', `${os.name}: no memory for init and kthreadd`);
    userTasksAlive--; // init does not count as workload
    for (const k of workload.kthreads ?? []) kthreadRequests.push({ name: k.name, cycles: k.cycles, period: k.period });
    rq.wakeUp(init.sched, 0);
    rq.wakeUp(kthreaddTask.sched, 0);
    for (const [i, at] of (workload.nic ?? []).entries()) sim.timers.schedule(at, 'input.nic_rx', { packet: i + 1 });
  };

  /** init's program: fork and exec each workload process in order, then reap forever. */
  const initProgram = (): string => {
    const lines: string[] = ['_start:'];
    workload.processes.forEach((_p, i) => {
      lines.push(
        `    mov r0, SYS_fork`,
        '    syscall',
        '    cmp r0, 0',
        `    jne .Lspawned_${i}`,
        `    mov r0, SYS_execve`,
        `    mov r1, name_${i}`,
        '    syscall',
        `    mov r0, SYS_exit`,
        '    mov r1, 127',
        '    syscall',
        `.Lspawned_${i}:`,
      );
    });
    lines.push(
      '.Lreap:',
      '    mov r0, SYS_wait4',
      '    mov r1, -1',
      '    mov r2, 0',
      '    mov r3, 0',
      '    syscall',
      '    cmp r0, -10',
      '    jne .Lreap',
      '    mov r0, SYS_nanosleep',
      '    mov r1, forever',
      '    syscall',
      '    jmp .Lreap',
      '.section .data 0x0804c000',
      'forever:',
      '    .word 1000, 0',
    );
    for (const [i, p] of workload.processes.entries()) lines.push(`name_${i}:`, `    .asciz "${p.program}"`);
    return lines.join('\n');
  };

  // ---- checkpoints ----
  /** A task's key in a checkpoint: its tid, or -1 - cpu for an idle task (all have tid 0). */
  const keyOf = (t: Task): number => (t.idle ? -1 - t.cpu : t.tid);
  const saveState = (): KernelState => {
    // Every task reachable from the kernel's state, the released ones still named by a thread group,
    // a queue or a disk request included: a worklist until nothing new is found.
    const all = new Map<number, Task>();
    const groups = new Map<number, Group>();
    const pipes = new Map<number, PipeObj>();
    const reqs = new Map<number, DiskReq>();
    const todo: Task[] = [];
    const see = (t: Task): void => {
      if (all.has(keyOf(t))) return;
      all.set(keyOf(t), t);
      todo.push(t);
    };
    const seePipe = (p: PipeObj): void => {
      if (pipes.has(p.id)) return;
      pipes.set(p.id, p);
      for (const w of [...p.readWait, ...p.writeWait]) see(w);
    };
    const seeReq = (r: DiskReq): void => {
      if (reqs.has(r.id)) return;
      reqs.set(r.id, r);
      see(r.task);
    };
    for (const t of idle) see(t);
    for (const t of tasks.values()) see(t);
    for (const q of futexQueues.values()) for (const t of q) see(t);
    for (const r of [...diskPending.values(), ...diskDone]) seeReq(r);
    for (let t = todo.pop(); t !== undefined; t = todo.pop()) {
      if (t.wait?.kind === 'disk') seeReq(t.wait.req);
      const g = t.group;
      if (g === null || groups.has(g.tgid)) continue;
      groups.set(g.tgid, g);
      for (const th of g.threads) see(th);
      for (const f of g.files) if (f?.pipe) seePipe(f.pipe);
    }
    if (diskSaved === null) diskSaved = disk.slice();
    const savedDisk = diskSaved;
    return {
      tasks: [...all.values()].map((t) => ({
        key: keyOf(t),
        tid: t.tid,
        tgid: t.tgid,
        ppid: t.ppid,
        comm: t.comm,
        state: t.state,
        mm: t.mm?.as.id ?? null,
        activeMm: t.activeMm?.as.id ?? null,
        ts: t.ts,
        kstack: t.kstack === null ? null : { ...t.kstack },
        idleStack: t.idleStack,
        userStack: t.userStack,
        nvcsw: t.nvcsw,
        nivcsw: t.nivcsw,
        exitCode: t.exitCode,
        cpu: t.cpu,
        kthread: t.kthread,
        idle: t.idle,
        sched: { ...t.sched },
        group: t.group?.tgid ?? null,
        wait: t.wait === null ? null : t.wait.kind === 'disk' ? { kind: 'disk', req: t.wait.req.id } : { ...t.wait },
        killed: t.killed,
        worker: t.worker === null ? null : { ...t.worker },
        switchedOut: t.switchedOut,
        reaped: t.reaped,
        lastSwitchIn: t.lastSwitchIn,
      })),
      live: [...tasks.keys()],
      running: running.map(keyOf),
      groups: [...groups.values()].map((g) => ({
        tgid: g.tgid,
        live: g.live,
        files: g.files.map((f) => (f === null ? null : { kind: f.kind, pipe: f.pipe?.id ?? null, end: f.end, offset: f.offset })),
        rlimStack: { ...g.rlimStack },
        threads: g.threads.map(keyOf),
        exitCode: g.exitCode,
      })),
      pipes: [...pipes.values()].map((p) => ({
        id: p.id,
        data: p.data.slice(),
        readers: p.readers,
        writers: p.writers,
        readWait: p.readWait.map(keyOf),
        writeWait: p.writeWait.map(keyOf),
      })),
      diskReqs: [...reqs.values()].map((r) => ({
        id: r.id,
        task: keyOf(r.task),
        op: r.op,
        pages: r.pages.map((p) => ({ ...p })),
        bytes: r.bytes,
        offset: r.offset,
        done: r.done,
      })),
      diskPending: [...diskPending.keys()],
      diskDone: diskDone.map((r) => r.id),
      disk: savedDisk,
      futexQueues: [...futexQueues].map(([k, q]) => [k, q.map(keyOf)]),
      kthreadRequests: kthreadRequests.map((k) => ({ ...k })),
      lastTick: lastTick.slice(),
      mms: [...mms.values()].map((m) => ({ id: m.as.id, refs: m.refs, mmapNext: m.mmapNext })),
      freeTs: freeTs.slice(),
      pageCache: [...pageCache].map(([img, frames]) => [programName(img), frames.slice()]),
      lastNr: [...lastNr],
      scalars: {
        nextPid,
        consoleText,
        outcome,
        cause,
        stopped,
        finishing,
        finished,
        booted,
        switches,
        nextPipe,
        nextReq,
        userTasksAlive,
        nicPackets,
      },
    };
  };
  const programName = (img: Image): string => {
    for (const [name, p] of programs) if (p === img) return name;
    throw new KernelError('bad-checkpoint', 'a program in the page cache has no name');
  };
  const loadState = (st: KernelState): void => {
    if (st.scalars.booted && !programs.has('init')) programs.set('init', assembleProgram('init', initProgram()));
    const mmOf = new Map<number, Mm>();
    mms.clear();
    for (const m of st.mms) {
      const as = mmu.addressSpace(m.id);
      if (as === null)
        throw new KernelError('bad-checkpoint', `the kernel names address space ${m.id}, which the MMU's checkpoint does not hold`);
      const mm: Mm = { as, refs: m.refs, mmapNext: m.mmapNext };
      mms.set(m.id, mm);
      mmOf.set(m.id, mm);
    }
    const mmById = (id: number | null): Mm | null => {
      if (id === null) return null;
      const mm = mmOf.get(id);
      if (mm === undefined) throw new KernelError('bad-checkpoint', `a task names address space ${id}, which the checkpoint does not hold`);
      return mm;
    };
    const byKey = new Map<number, Task>();
    for (const d of st.tasks) {
      const t: Task = {
        tid: d.tid,
        tgid: d.tgid,
        ppid: d.ppid,
        comm: d.comm,
        state: d.state,
        mm: mmById(d.mm),
        activeMm: mmById(d.activeMm),
        ts: d.ts,
        kstack: d.kstack === null ? null : kstack.has(d.tid) ? kstack.stackOf(d.tid) : d.kstack,
        idleStack: d.idleStack,
        userStack: d.userStack,
        nvcsw: d.nvcsw,
        nivcsw: d.nivcsw,
        exitCode: d.exitCode,
        cpu: d.cpu,
        kthread: d.kthread,
        idle: d.idle,
        sched: { ...d.sched },
        group: null,
        wait: null,
        killed: d.killed,
        worker: d.worker === null ? null : { ...d.worker },
        switchedOut: d.switchedOut,
        reaped: d.reaped,
        lastSwitchIn: d.lastSwitchIn,
        nrSeen: -1,
      };
      byKey.set(d.key, t);
    }
    const task = (key: number): Task => {
      const t = byKey.get(key);
      if (t === undefined) throw new KernelError('bad-checkpoint', `the checkpoint names task ${key}, which it does not hold`);
      return t;
    };
    const pipeObjs = new Map<number, PipeObj>(
      st.pipes.map((p) => [
        p.id,
        {
          id: p.id,
          data: p.data.slice(),
          readers: p.readers,
          writers: p.writers,
          readWait: p.readWait.map(task),
          writeWait: p.writeWait.map(task),
        },
      ]),
    );
    const groupObjs = new Map<number, Group>(
      st.groups.map((g) => [
        g.tgid,
        {
          tgid: g.tgid,
          live: g.live,
          files: g.files.map((f) =>
            f === null
              ? null
              : { kind: f.kind, pipe: f.pipe === null ? null : (pipeObjs.get(f.pipe) ?? null), end: f.end, offset: f.offset },
          ),
          rlimStack: { ...g.rlimStack },
          threads: g.threads.map(task),
          exitCode: g.exitCode ?? null,
        },
      ]),
    );
    const reqObjs = new Map<number, DiskReq>(
      st.diskReqs.map((r) => [
        r.id,
        { id: r.id, task: task(r.task), op: r.op, pages: r.pages.map((p) => ({ ...p })), bytes: r.bytes, offset: r.offset, done: r.done },
      ]),
    );
    for (const d of st.tasks) {
      const t = task(d.key);
      t.group = d.group === null ? null : (groupObjs.get(d.group) ?? null);
      if (d.wait === null) t.wait = null;
      else if (d.wait.kind === 'disk') {
        const req = reqObjs.get(d.wait.req);
        if (req === undefined)
          throw new KernelError('bad-checkpoint', `task ${d.tid} waits on disk request ${d.wait.req}, which the checkpoint does not hold`);
        t.wait = { kind: 'disk', req };
      } else t.wait = { ...d.wait };
    }
    tasks.clear();
    byTs.clear();
    for (const key of st.live) {
      const t = task(key);
      tasks.set(t.tid, t);
      byTs.set(t.ts, t);
    }
    idle.length = 0;
    for (const d of st.tasks) {
      if (!d.idle) continue;
      const t = task(d.key);
      idle[t.cpu] = t;
      byTs.set(t.ts, t);
    }
    running.length = 0;
    for (const key of st.running) running.push(task(key));
    switchedFrom.length = 0;
    diskPending.clear();
    for (const id of st.diskPending) diskPending.set(id, reqObjs.get(id) as DiskReq);
    diskDone.length = 0;
    for (const id of st.diskDone) diskDone.push(reqObjs.get(id) as DiskReq);
    disk.set(st.disk);
    diskSaved = st.disk;
    futexQueues.clear();
    for (const [k, q] of st.futexQueues) futexQueues.set(k, q.map(task));
    kthreadRequests.length = 0;
    for (const k of st.kthreadRequests) kthreadRequests.push({ ...k });
    for (const [i, v] of st.lastTick.entries()) lastTick[i] = v;
    freeTs.length = 0;
    freeTs.push(...st.freeTs);
    pageCache.clear();
    for (const [name, frames] of st.pageCache) {
      const img = programs.get(name);
      if (img === undefined)
        throw new KernelError('bad-checkpoint', `the page cache names program ${JSON.stringify(name)}, which this workload does not have`);
      pageCache.set(img, frames.slice());
    }
    lastNr.clear();
    for (const [tid, nr] of st.lastNr) lastNr.set(tid, nr);
    ({
      nextPid,
      consoleText,
      outcome,
      cause,
      stopped,
      finishing,
      finished,
      booted,
      switches,
      nextPipe,
      nextReq,
      userTasksAlive,
      nicPackets,
    } = st.scalars);
    paused = false;
    planTarget = Number.POSITIVE_INFINITY;
  };
  /** Which inputs a checkpoint belongs to: restoring it on a kernel of other inputs is refused. */
  let inputsHash: string | undefined;
  const fingerprint = (): string => {
    inputsHash ??= stateHash({ os, workload, seed });
    return inputsHash;
  };
  const sched = (tid: number): SchedTask => {
    for (const t of tasks.values()) if (t.sched.tid === tid) return t.sched;
    for (const t of idle) if (t.sched.tid === tid) return t.sched;
    throw new KernelError('bad-checkpoint', `the run queues name task ${tid}, which the checkpoint does not hold`);
  };

  const info = (t: Task): TaskInfo => {
    let userStack = t.userStack;
    if (userStack !== null && t.mm !== null && t.tid === t.tgid) {
      const vma = t.mm.as.findVma(userStack.top - 4);
      if (vma !== null) userStack = { base: vma.start, top: vma.end };
    }
    return {
      pid: t.tgid,
      tid: t.tid,
      ppid: t.ppid,
      comm: t.comm,
      state: t.state,
      kernelThread: t.kthread,
      mm: t.mm?.as.id ?? null,
      activeMm: t.activeMm?.as.id ?? null,
      taskStruct: t.ts,
      kernelStack: t.kstack !== null ? { base: t.kstack.base, top: t.kstack.top } : t.idleStack,
      threadSp: kread32(t.ts + TASK.SP),
      userStack: t.kthread ? null : userStack,
      nvcsw: t.nvcsw,
      nivcsw: t.nivcsw,
      exitCode: t.exitCode,
      cpu: t.cpu,
    };
  };

  const kernel: Kernel = {
    os,
    workload,
    seed,
    sim,
    log,
    machine,
    mmu,
    kstack,
    rq,
    image,
    symbols,
    get console() {
      return consoleText;
    },
    get outcome() {
      return outcome;
    },
    get instructions() {
      return cpus.reduce((s, c) => s + c.instructions, 0);
    },
    get contextSwitches() {
      return switches;
    },
    boot,
    run(runOptions = {}) {
      const steps = runOptions.instructions;
      if (steps !== undefined && (!Number.isSafeInteger(steps) || steps < 1))
        throw new KernelError('bad-option', `run: instructions must be a positive integer, got ${steps}`);
      boot();
      const until = runOptions.until ?? 10_000_000_000;
      const executed = (): number => cpus.reduce((n, c) => n + c.instructions, 0);
      const stepTo = steps === undefined ? Number.POSITIVE_INFINITY : executed() + steps;
      paused = false;
      while (!stopped && !paused) {
        const next = sim.timers.nextTime();
        const target = next === undefined || next > until ? until : next;
        planTarget = Math.max(target, machine.clock.now);
        machine.runUntil(planTarget, steps === undefined ? {} : { instructions: stepTo - executed() });
        planTarget = Number.POSITIVE_INFINITY;
        if (stopped || paused) break;
        // Stepped far enough: stopped at an instruction boundary, as a pause does.
        if (executed() >= stepTo) break;
        for (const c of cpus) {
          if (c.shutdown && !stopped) die(c, 'triple fault: the CPU shut down', null, c.sp, c.pc, 'panic');
        }
        if (stopped) break;
        sim.timers.runUntil(machine.clock.now);
        if (machine.clock.now >= until) break;
      }
      return { outcome, cause, simulatedNs: machine.clock.now, finished };
    },
    pause() {
      paused = true;
      machine.stop();
    },
    checkpoint() {
      if (log.dispatching) {
        throw new KernelError(
          'bad-checkpoint',
          'a checkpoint is taken between runs (after run() returned, e.g. paused), not while an event is dispatched',
        );
      }
      return {
        version: 1,
        fingerprint: fingerprint(),
        seq: log.lastSeq,
        time: machine.clock.now,
        sim: sim.snapshot(),
        machine: machine.save(),
        mmu: mmu.save(),
        kstack: kstack.save(),
        rq: rq.save(),
        kernel: saveState(),
      };
    },
    restore(cp) {
      if (cp.version !== 1) throw new KernelError('bad-checkpoint', `checkpoint version ${String(cp.version)} is not supported`);
      if (cp.fingerprint !== fingerprint()) {
        throw new KernelError('bad-checkpoint', 'the checkpoint was taken on a run of other inputs (OS variant, workload or seed)');
      }
      if (log.dispatching) throw new KernelError('bad-checkpoint', 'restore() is called between runs, not while an event is dispatched');
      sim.restore(cp.sim);
      mmu.load(cp.mmu);
      machine.load(cp.machine);
      kstack.load(cp.kstack);
      loadState(cp.kernel);
      rq.load(cp.rq, sched);
    },
    tasks() {
      return [...idle, ...[...tasks.values()].sort((a, b) => a.tid - b.tid)].map(info);
    },
    task(tid) {
      const t = tasks.get(tid);
      return t === undefined ? undefined : info(t);
    },
    current(cpu) {
      const t = running[cpu];
      if (t === undefined || !Number.isInteger(cpu)) throw new KernelError('bad-option', `cpu ${cpu}: the machine has ${os.cpus} CPU(s)`);
      return t.idle ? 0 : t.tid;
    },
    stackTrace(tid) {
      const t = tasks.get(tid);
      if (t === undefined) return [];
      const running0 = running[t.cpu] === t;
      const sp = running0 ? cpuOf(t.cpu).sp : kread32(t.ts + TASK.SP);
      return unwind(sp);
    },
    stackWords(address, count) {
      const out: StackWord[] = [];
      for (let i = 0; i < count; i++) {
        const a = u32((address & ~3) + i * 4);
        let value: number | null;
        try {
          value = kread32(a);
        } catch {
          value = null;
        }
        out.push({ address: a, value, returnAddress: value !== null && isReturnAddress(value) ? symbols.symbolize(value) : null });
      }
      return out;
    },
    readKernel32: kread32,
  };
  return kernel;
}
