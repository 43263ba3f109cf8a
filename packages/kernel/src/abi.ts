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
  vfork: 190,
  mmap2: 192,
  gettid: 224,
  futex: 240,
  exit_group: 252,
  clone3: 435,
} as const;

/** A system-call name. */
export type SyscallName = keyof typeof SYSCALLS;

/** Number -> name. */
export const SYSCALL_NAMES: ReadonlyMap<number, SyscallName> = new Map(
  (Object.entries(SYSCALLS) as [SyscallName, number][]).map(([name, nr]) => [nr, name]),
);

/** The size of the system-call table (i386 numbers go up to about 460). */
export const NR_SYSCALLS = 512;

/**
 * Linux i386's system-call numbers by name (arch/x86/entry/syscalls/syscall_32.tbl, the
 * names strace prints), for the calls real programs make: what `ossim import-strace` issues.
 * The kernel implements the ones in {@link SYSCALLS}; the others reach it through the
 * recorded-call path ({@link RECORDED_SYSCALL_BIT}). Since Linux 5.1 (424 and up) every
 * architecture shares one numbering, so those names are the same as on x86_64.
 */
export const I386_SYSCALLS: Readonly<Record<string, number>> = {
  restart_syscall: 0,
  exit: 1,
  fork: 2,
  read: 3,
  write: 4,
  open: 5,
  close: 6,
  waitpid: 7,
  creat: 8,
  link: 9,
  unlink: 10,
  execve: 11,
  chdir: 12,
  time: 13,
  mknod: 14,
  chmod: 15,
  lchown: 16,
  lseek: 19,
  getpid: 20,
  mount: 21,
  umount: 22,
  setuid: 23,
  getuid: 24,
  stime: 25,
  ptrace: 26,
  alarm: 27,
  pause: 29,
  utime: 30,
  access: 33,
  nice: 34,
  sync: 36,
  kill: 37,
  rename: 38,
  mkdir: 39,
  rmdir: 40,
  dup: 41,
  pipe: 42,
  times: 43,
  brk: 45,
  setgid: 46,
  getgid: 47,
  signal: 48,
  geteuid: 49,
  getegid: 50,
  acct: 51,
  umount2: 52,
  ioctl: 54,
  fcntl: 55,
  setpgid: 57,
  umask: 60,
  chroot: 61,
  ustat: 62,
  dup2: 63,
  getppid: 64,
  getpgrp: 65,
  setsid: 66,
  sigaction: 67,
  sgetmask: 68,
  ssetmask: 69,
  setreuid: 70,
  setregid: 71,
  sigsuspend: 72,
  sigpending: 73,
  sethostname: 74,
  setrlimit: 75,
  getrlimit: 76,
  getrusage: 77,
  gettimeofday: 78,
  settimeofday: 79,
  getgroups: 80,
  setgroups: 81,
  select: 82,
  symlink: 83,
  readlink: 85,
  uselib: 86,
  swapon: 87,
  reboot: 88,
  readdir: 89,
  mmap: 90,
  munmap: 91,
  truncate: 92,
  ftruncate: 93,
  fchmod: 94,
  fchown: 95,
  getpriority: 96,
  setpriority: 97,
  statfs: 99,
  fstatfs: 100,
  ioperm: 101,
  socketcall: 102,
  syslog: 103,
  setitimer: 104,
  getitimer: 105,
  stat: 106,
  lstat: 107,
  fstat: 108,
  vhangup: 111,
  wait4: 114,
  swapoff: 115,
  sysinfo: 116,
  ipc: 117,
  fsync: 118,
  sigreturn: 119,
  clone: 120,
  setdomainname: 121,
  uname: 122,
  modify_ldt: 123,
  adjtimex: 124,
  mprotect: 125,
  sigprocmask: 126,
  init_module: 128,
  delete_module: 129,
  quotactl: 131,
  getpgid: 132,
  fchdir: 133,
  sysfs: 135,
  personality: 136,
  setfsuid: 138,
  setfsgid: 139,
  _llseek: 140,
  getdents: 141,
  _newselect: 142,
  flock: 143,
  msync: 144,
  readv: 145,
  writev: 146,
  getsid: 147,
  fdatasync: 148,
  _sysctl: 149,
  mlock: 150,
  munlock: 151,
  mlockall: 152,
  munlockall: 153,
  sched_setparam: 154,
  sched_getparam: 155,
  sched_setscheduler: 156,
  sched_getscheduler: 157,
  sched_yield: 158,
  sched_get_priority_max: 159,
  sched_get_priority_min: 160,
  sched_rr_get_interval: 161,
  nanosleep: 162,
  mremap: 163,
  setresuid: 164,
  getresuid: 165,
  poll: 168,
  setresgid: 170,
  getresgid: 171,
  prctl: 172,
  rt_sigreturn: 173,
  rt_sigaction: 174,
  rt_sigprocmask: 175,
  rt_sigpending: 176,
  rt_sigtimedwait: 177,
  rt_sigqueueinfo: 178,
  rt_sigsuspend: 179,
  pread64: 180,
  pwrite64: 181,
  chown: 182,
  getcwd: 183,
  capget: 184,
  capset: 185,
  sigaltstack: 186,
  sendfile: 187,
  vfork: 190,
  ugetrlimit: 191,
  mmap2: 192,
  truncate64: 193,
  ftruncate64: 194,
  stat64: 195,
  lstat64: 196,
  fstat64: 197,
  lchown32: 198,
  getuid32: 199,
  getgid32: 200,
  geteuid32: 201,
  getegid32: 202,
  setreuid32: 203,
  setregid32: 204,
  getgroups32: 205,
  setgroups32: 206,
  fchown32: 207,
  setresuid32: 208,
  getresuid32: 209,
  setresgid32: 210,
  getresgid32: 211,
  chown32: 212,
  setuid32: 213,
  setgid32: 214,
  setfsuid32: 215,
  setfsgid32: 216,
  pivot_root: 217,
  mincore: 218,
  madvise: 219,
  getdents64: 220,
  fcntl64: 221,
  gettid: 224,
  readahead: 225,
  setxattr: 226,
  lsetxattr: 227,
  fsetxattr: 228,
  getxattr: 229,
  lgetxattr: 230,
  fgetxattr: 231,
  listxattr: 232,
  llistxattr: 233,
  flistxattr: 234,
  removexattr: 235,
  lremovexattr: 236,
  fremovexattr: 237,
  tkill: 238,
  sendfile64: 239,
  futex: 240,
  sched_setaffinity: 241,
  sched_getaffinity: 242,
  set_thread_area: 243,
  get_thread_area: 244,
  io_setup: 245,
  io_destroy: 246,
  io_getevents: 247,
  io_submit: 248,
  io_cancel: 249,
  fadvise64: 250,
  exit_group: 252,
  epoll_create: 254,
  epoll_ctl: 255,
  epoll_wait: 256,
  remap_file_pages: 257,
  set_tid_address: 258,
  timer_create: 259,
  timer_settime: 260,
  timer_gettime: 261,
  timer_getoverrun: 262,
  timer_delete: 263,
  clock_settime: 264,
  clock_gettime: 265,
  clock_getres: 266,
  clock_nanosleep: 267,
  statfs64: 268,
  fstatfs64: 269,
  tgkill: 270,
  utimes: 271,
  fadvise64_64: 272,
  mbind: 274,
  get_mempolicy: 275,
  set_mempolicy: 276,
  mq_open: 277,
  mq_unlink: 278,
  mq_timedsend: 279,
  mq_timedreceive: 280,
  mq_notify: 281,
  mq_getsetattr: 282,
  kexec_load: 283,
  waitid: 284,
  add_key: 286,
  request_key: 287,
  keyctl: 288,
  ioprio_set: 289,
  ioprio_get: 290,
  inotify_init: 291,
  inotify_add_watch: 292,
  inotify_rm_watch: 293,
  migrate_pages: 294,
  openat: 295,
  mkdirat: 296,
  mknodat: 297,
  fchownat: 298,
  futimesat: 299,
  fstatat64: 300,
  unlinkat: 301,
  renameat: 302,
  linkat: 303,
  symlinkat: 304,
  readlinkat: 305,
  fchmodat: 306,
  faccessat: 307,
  pselect6: 308,
  ppoll: 309,
  unshare: 310,
  set_robust_list: 311,
  get_robust_list: 312,
  splice: 313,
  sync_file_range: 314,
  tee: 315,
  vmsplice: 316,
  move_pages: 317,
  getcpu: 318,
  epoll_pwait: 319,
  utimensat: 320,
  signalfd: 321,
  timerfd_create: 322,
  eventfd: 323,
  fallocate: 324,
  timerfd_settime: 325,
  timerfd_gettime: 326,
  signalfd4: 327,
  eventfd2: 328,
  epoll_create1: 329,
  dup3: 330,
  pipe2: 331,
  inotify_init1: 332,
  preadv: 333,
  pwritev: 334,
  rt_tgsigqueueinfo: 335,
  perf_event_open: 336,
  recvmmsg: 337,
  fanotify_init: 338,
  fanotify_mark: 339,
  prlimit64: 340,
  name_to_handle_at: 341,
  open_by_handle_at: 342,
  clock_adjtime: 343,
  syncfs: 344,
  sendmmsg: 345,
  setns: 346,
  process_vm_readv: 347,
  process_vm_writev: 348,
  kcmp: 349,
  finit_module: 350,
  sched_setattr: 351,
  sched_getattr: 352,
  renameat2: 353,
  seccomp: 354,
  getrandom: 355,
  memfd_create: 356,
  bpf: 357,
  execveat: 358,
  socket: 359,
  socketpair: 360,
  bind: 361,
  connect: 362,
  listen: 363,
  accept4: 364,
  getsockopt: 365,
  setsockopt: 366,
  getsockname: 367,
  getpeername: 368,
  sendto: 369,
  sendmsg: 370,
  recvfrom: 371,
  recvmsg: 372,
  shutdown: 373,
  userfaultfd: 374,
  membarrier: 375,
  mlock2: 376,
  copy_file_range: 377,
  preadv2: 378,
  pwritev2: 379,
  pkey_mprotect: 380,
  pkey_alloc: 381,
  pkey_free: 382,
  statx: 383,
  arch_prctl: 384,
  io_pgetevents: 385,
  rseq: 386,
  pidfd_send_signal: 424,
  io_uring_setup: 425,
  io_uring_enter: 426,
  io_uring_register: 427,
  open_tree: 428,
  move_mount: 429,
  fsopen: 430,
  fsconfig: 431,
  fsmount: 432,
  fspick: 433,
  pidfd_open: 434,
  clone3: 435,
  close_range: 436,
  openat2: 437,
  pidfd_getfd: 438,
  faccessat2: 439,
  process_madvise: 440,
  epoll_pwait2: 441,
  mount_setattr: 442,
  quotactl_fd: 443,
  landlock_create_ruleset: 444,
  landlock_add_rule: 445,
  landlock_restrict_self: 446,
  memfd_secret: 447,
  process_mrelease: 448,
  futex_waitv: 449,
  set_mempolicy_home_node: 450,
  cachestat: 451,
  fchmodat2: 452,
};

/**
 * The first of the simulator's own system-call numbers: names Linux i386 does not have
 * (x86_64's `newfstatat`, `accept`, the System V IPC calls, ...) get a number from here up,
 * in {@link PRIVATE_SYSCALLS} or in a workload's `syscalls`. They exist only on the
 * recorded-call path; issued plainly they return `-ENOSYS`.
 */
export const PRIVATE_SYSCALL_BASE = 1000;

/** x86_64-only names seen in real logs, with fixed numbers in the simulator's private range. */
export const PRIVATE_SYSCALLS: Readonly<Record<string, number>> = {
  newfstatat: 1000,
  accept: 1001,
  shmget: 1002,
  shmat: 1003,
  shmctl: 1004,
  shmdt: 1005,
  semget: 1006,
  semop: 1007,
  semctl: 1008,
  semtimedop: 1009,
  msgget: 1010,
  msgsnd: 1011,
  msgrcv: 1012,
  msgctl: 1013,
  tuxcall: 1014,
  security: 1015,
};

/**
 * The recorded-call ABI bit, like x32's `__X32_SYSCALL_BIT` (0x40000000): a system-call
 * number with it set is the call of that number (i386's, or a private one) replayed from a
 * recording. `do_syscall` strips the bit, the tracepoint reports the plain number and its
 * name, and the call runs the kernel's generic recorded path instead of its implementation:
 * `r1` is the return value to give, `r2`/`r3` the duration in ns (low and high words), `r4`
 * how it is spent: 0 running in the kernel, 1 asleep in S, 2 asleep in D, on a kernel timer.
 */
export const RECORDED_SYSCALL_BIT = 0x40000000;

/** How a recorded call spends its duration (`r4` of the recorded-call ABI). */
export const RECORDED_MODE = { RUN: 0, SLEEP: 1, DISK: 2 } as const;

const ALL_SYSCALL_NUMBERS = new Map<string, number>([...Object.entries(I386_SYSCALLS), ...Object.entries(PRIVATE_SYSCALLS)]);
const ALL_SYSCALL_NAMES = new Map<number, string>([...ALL_SYSCALL_NUMBERS].map(([name, nr]) => [nr, name]));

/** A system call's number: i386's, else the simulator's private one, else undefined. */
export function syscallNumber(name: string): number | undefined {
  return ALL_SYSCALL_NUMBERS.get(name);
}

/** A system call's name from its number (i386's table and the private one), else undefined. */
export function syscallName(nr: number): string | undefined {
  return ALL_SYSCALL_NAMES.get(nr);
}

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

/** futex operations, and the flags an op may carry (include/uapi/linux/futex.h): the command is `op & ~(PRIVATE | CLOCK_REALTIME)`. */
export const FUTEX = { WAIT: 0, WAKE: 1, PRIVATE_FLAG: 128, CLOCK_REALTIME: 256 } as const;

/** wait4 options. */
export const WNOHANG = 1;
/** Every wait4 option bit Linux accepts (WNOHANG, WUNTRACED, WCONTINUED, __WNOTHREAD, __WALL, __WCLONE); others are EINVAL. */
export const WAIT4_OPTIONS = 0x1 | 0x2 | 0x8 | 0x20000000 | 0x40000000 | 0x80000000;

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
