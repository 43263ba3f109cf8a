/**
 * A system call's result as strace prints it after `= `:
 * - `value`: a number, decimal or hex (`= 3`, `= 0x55e62c871000`), with strace's optional
 *   decoding of a file descriptor (`= 3</dev/null>` with -y) and comment (`= 0 (Timeout)`);
 * - `error`: `= -1 ENOENT (No such file or directory)`;
 * - `unknown`: `= ?`, a call that never returned (`exit_group`, a thread killed inside a call), or
 *   with a kernel restart code (`= ? ERESTARTNOHAND (To be restarted if no handler)`).
 *
 * `message` is the text in parentheses; a formatter looks it up ({@link strerror}) when absent.
 * Values beyond 2^53 lose precision (numbers are JavaScript numbers).
 */
export type StraceReturn =
  | {
      readonly kind: 'value';
      readonly value: number;
      /** Printed in hex (`0x...`), as strace does for addresses (brk, mmap). */
      readonly hex?: boolean;
      /** strace's decoding right after the number, e.g. `</dev/null>`. */
      readonly annotation?: string;
      /** The comment strace adds in parentheses, without them, e.g. `Timeout`. */
      readonly comment?: string;
    }
  | { readonly kind: 'error'; readonly errno: string; readonly message?: string }
  | { readonly kind: 'unknown'; readonly errno?: string; readonly message?: string };

/**
 * One argument of a system call, parsed best-effort from strace's text. Anything the
 * parser does not recognise is kept verbatim as `raw` (expressions like `8192*1024`,
 * macros like `makedev(0x1, 0x3)`, wait-status conditions), so parsing never fails.
 * A trailing C comment (`0x7ffd... /* 3 vars *\/`) goes to `comment`.
 */
export type StraceArg = (
  | {
      /** A C string, escapes decoded (bytes as char codes 0-255); `truncated` when strace printed `"..."...`. */
      readonly kind: 'string';
      readonly value: string;
      readonly truncated: boolean;
    }
  | { readonly kind: 'number'; readonly value: number; readonly text: string }
  /** Symbolic constants, one or `|`-joined: `NULL`, `AT_FDCWD`, `O_RDONLY|O_CLOEXEC`, `S_IFREG|0644`. */
  | { readonly kind: 'flags'; readonly names: readonly string[] }
  /** `[a, b]`, or a signal set `[HUP INT]`; `negated` for `~[...]`. */
  | { readonly kind: 'array'; readonly items: readonly StraceArg[]; readonly negated: boolean }
  /** `{st_mode=S_IFREG|0644, st_size=34547, ...}`: its items are mostly `named`. */
  | { readonly kind: 'struct'; readonly items: readonly StraceArg[] }
  /** `name=value`: a struct field, or a named argument (`flags=CLONE_VM|...`). */
  | { readonly kind: 'named'; readonly name: string; readonly value: StraceArg }
  /** `before => after`: an argument the kernel changed (clone3's `{...} => {parent_tid=[42]}`). */
  | { readonly kind: 'changed'; readonly before: StraceArg; readonly after: StraceArg }
  /** `...`: elided by strace. */
  | { readonly kind: 'ellipsis' }
  | { readonly kind: 'raw'; readonly text: string }
) & { readonly comment?: string };

/** How a strace line is timed: none, `-t` (HH:MM:SS), `-tt` (HH:MM:SS.uuuuuu), `-ttt` (seconds.uuuuuu since the epoch). */
export type StraceTimestamps = 'none' | 't' | 'tt' | 'ttt';

/**
 * A system call read from a strace log. A call printed in two pieces
 * (`name(args <unfinished ...>` and later `<... name resumed>rest) = ret`) is joined
 * into one record at the place of its start.
 *
 * Times are microseconds as the log prints them: since the Unix epoch with -ttt, since
 * midnight with -t and -tt (multiply by 1000 for nanoseconds).
 */
export interface StraceCall {
  readonly kind: 'call';
  readonly tid: number;
  readonly name: string;
  /** The arguments' text, as strace printed it (both pieces joined when the call was split). */
  readonly args: string;
  /** The arguments parsed best-effort (empty when parsing was turned off). */
  readonly parsed: readonly StraceArg[];
  /** For a split call: the text printed before `<unfinished ...>` (a prefix of `args`). */
  readonly entryArgs?: string;
  /** The result; absent when the log ends (or the task vanished) before the call returned. */
  readonly ret?: StraceReturn;
  /** When the call started (the time on its first line). */
  readonly timeUs?: number;
  /** When it returned: the time on its `<... resumed>` line, or `timeUs + durationUs` for a one-line call with -T. */
  readonly endTimeUs?: number;
  /** Time spent in the call (-T). */
  readonly durationUs?: number;
  /** The 1-based line of its start. */
  readonly line: number;
  /** The line of its `<... resumed>` end, for a split call. */
  readonly endLine?: number;
}

/** `--- SIGCHLD {si_signo=SIGCHLD, ...} ---` (or `--- stopped by SIGSTOP ---`, with `stopped`). */
export interface StraceSignal {
  readonly kind: 'signal';
  readonly tid: number;
  readonly signal: string;
  /** The siginfo text, `{...}` (absent for `stopped by`). */
  readonly info?: string;
  readonly stopped?: boolean;
  readonly timeUs?: number;
  readonly line: number;
}

/** `+++ exited with N +++`. */
export interface StraceExited {
  readonly kind: 'exited';
  readonly tid: number;
  readonly code: number;
  readonly timeUs?: number;
  readonly line: number;
}

/** `+++ killed by SIGSEGV +++` (or `... (core dumped) +++`). */
export interface StraceKilled {
  readonly kind: 'killed';
  readonly tid: number;
  readonly signal: string;
  readonly coreDumped: boolean;
  readonly timeUs?: number;
  readonly line: number;
}

/** `+++ superseded by execve in pid N +++`: a thread that vanished because another thread of its process called execve. */
export interface StraceSuperseded {
  readonly kind: 'superseded';
  readonly tid: number;
  readonly by: number;
  readonly timeUs?: number;
  readonly line: number;
}

/** `strace: Process N attached` / `detached` (strace's own messages, present when stderr was captured). */
export interface StraceAttach {
  readonly kind: 'attached' | 'detached';
  readonly tid: number;
  readonly line: number;
}

/** One record of a parsed strace log. */
export type StraceRecord = StraceCall | StraceSignal | StraceExited | StraceKilled | StraceSuperseded | StraceAttach;

/** How a task ended, as the log says. */
export type StraceTaskEnd =
  | { readonly kind: 'exited'; readonly code: number }
  | { readonly kind: 'killed'; readonly signal: string; readonly coreDumped: boolean }
  | { readonly kind: 'superseded'; readonly by: number };

/**
 * One task (thread) of a strace log and where it came from: who created it, with which
 * call and flags, and whether that made a thread (CLONE_THREAD, which the kernel only
 * accepts with CLONE_SIGHAND and CLONE_VM: same thread group, same mm) or a process.
 */
export interface StraceTask {
  readonly tid: number;
  /** Its thread group (process) id: its own tid unless it was created as a thread. */
  readonly tgid: number;
  /** Its parent process (Linux's notion): the creator's process, or for a thread or CLONE_PARENT the creator's parent. Absent when unknown. */
  readonly ppid?: number;
  /** The tid whose clone/clone3/fork/vfork returned this tid. Absent for tasks the log does not show being created. */
  readonly creator?: number;
  readonly via?: 'clone' | 'clone3' | 'fork' | 'vfork';
  /** Created with CLONE_THREAD. */
  readonly thread: boolean;
  /** Created with CLONE_VM (threads, and vfork children until they exec). */
  readonly sharedVm: boolean;
  /** The CLONE_* flags (and exit signal) of its creation, as printed; vfork is CLONE_VM|CLONE_VFORK. */
  readonly cloneFlags: readonly string[];
  /** clone3's `stack_size=`. */
  readonly stackSize?: number;
  /** Programs it executed successfully, in order. */
  readonly execs: readonly string[];
  /** Its comm: the base name of its last successful execve (15 characters), else its creator's. */
  readonly comm?: string;
  /** The names of its system calls, in the order they started. */
  readonly syscalls: readonly string[];
  /** Tasks it created, in order. */
  readonly children: readonly number[];
  readonly end?: StraceTaskEnd;
  /** The lines of its first and last records. */
  readonly firstLine: number;
  readonly lastLine: number;
}

/** A parsed strace log. */
export interface StraceLog {
  readonly source: string;
  readonly timestamps: StraceTimestamps;
  /** Whether -T durations were present. */
  readonly durations: boolean;
  /** The records in log order (a split call at the line it started). */
  readonly records: readonly StraceRecord[];
  /** Every task, in order of first appearance. */
  readonly tasks: readonly StraceTask[];
  /** Lines read (including blank ones). */
  readonly lines: number;
}
