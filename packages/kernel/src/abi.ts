/**
 * The kernel's ABI: system-call numbers (Linux i386's), errno values, interrupt vectors,
 * and the layout of the records the kernel keeps in simulated memory.
 */

/** System calls by name -> number (the Linux i386 numbers). */
export const SYSCALLS = {
  exit: 1,
  fork: 2,
  read: 3,
  write: 4,
  execve: 11,
  getpid: 20,
  pipe: 42,
  getppid: 64,
  setrlimit: 75,
  getrlimit: 76,
  munmap: 91,
  wait4: 114,
  clone: 120,
  sched_yield: 158,
  nanosleep: 162,
  mmap2: 192,
  gettid: 224,
  futex: 240,
  exit_group: 252,
} as const;

/** A system-call name. */
export type SyscallName = keyof typeof SYSCALLS;

/** Number -> name. */
export const SYSCALL_NAMES: ReadonlyMap<number, SyscallName> = new Map(
  (Object.entries(SYSCALLS) as [SyscallName, number][]).map(([name, nr]) => [nr, name]),
);

/** The size of the system-call table. */
export const NR_SYSCALLS = 256;

/** Linux errno values the kernel returns (negated, in r0). */
export const ERRNO = {
  EPERM: 1,
  ENOENT: 2,
  ESRCH: 3,
  EINTR: 4,
  EBADF: 9,
  ECHILD: 10,
  EAGAIN: 11,
  ENOMEM: 12,
  EFAULT: 14,
  EINVAL: 22,
  EMFILE: 24,
  EPIPE: 32,
  ENOSYS: 38,
} as const;

/** Errno name of a negative return value, e.g. -10 -> "ECHILD". */
export function errnoName(ret: number): string | undefined {
  const n = -(ret | 0);
  for (const [name, value] of Object.entries(ERRNO)) if (value === n) return name;
  return undefined;
}

/** clone() flags (include/uapi/linux/sched.h). */
export const CLONE = { VM: 0x100, FS: 0x200, FILES: 0x400, SIGHAND: 0x800, THREAD: 0x10000 } as const;

/** futex operations. */
export const FUTEX = { WAIT: 0, WAKE: 1 } as const;

/** wait4 options. */
export const WNOHANG = 1;

/** getrlimit/setrlimit resources. */
export const RLIMIT_STACK = 3;

/** Interrupt vectors (x86's: IRQ n is vector 0x20 + n; the local APIC timer and the reschedule IPI at the top). */
export const VECTORS = {
  NIC: 0x2b,
  DISK: 0x2e,
  TIMER: 0xec,
  RESCHEDULE: 0xfd,
} as const;

/** What a kernel wait loop's native returns to say "I put current to sleep: call schedule() and try again" (Linux's -ERESTARTSYS). */
export const SLEEP = -512;

/** The kernel image's addresses (in the reserved first MiB, direct-mapped). */
export const KERNEL_LAYOUT = {
  text: 0xc0010000,
  data: 0xc0070000,
  /** The interrupt descriptor table: 256 handler addresses. */
  idt: 0xc0070000,
  /** Per-CPU areas of {@link PERCPU_SIZE} bytes. */
  percpu: 0xc0070400,
  sysCallTable: 0xc0071400,
  /** The idle tasks' task_structs. */
  idleTasks: 0xc0072000,
  /** init_stack: each CPU's idle stack, 32 KiB apart. */
  idleStacks: 0xc0080000,
} as const;

/** Per-CPU area: the current task's task_struct address. */
export const PERCPU_CURRENT = 0;
/** Per-CPU area size. */
export const PERCPU_SIZE = 64;
/** At most this many CPUs (the idle stacks fit below 1 MiB). */
export const MAX_CPUS = 16;

/** task_struct fields in simulated memory (byte offsets). */
export const TASK = {
  TID: 0,
  /** thread.sp: the saved kernel SP while switched out. */
  SP: 4,
  /** The top of the kernel stack (what sp0 gets). */
  SP0: 8,
  /** mm->pgd, 0 for a kernel thread. */
  PGD: 12,
  /** task->stack: the lowest address of the kernel stack. */
  STACK: 16,
  /** The fork frame kept in the task until the first switch (single shared stack only). */
  FRAME: 32,
} as const;
/** Size of a task_struct record. */
export const TASK_STRUCT_SIZE = 160;

/** Words of a fork frame: the inactive_task_frame (r4-r11, return address), pt_regs (r0-r15), the trap frame (5 words). */
export const FORK_FRAME_WORDS = 30;
/** Bytes of pt_regs plus the hardware trap frame. */
export const PT_REGS_SIZE = 84;
