import { PRIVATE_SYSCALL_BASE, RECORDED_MODE, RECORDED_SYSCALL_BIT, syscallNumber } from './abi.ts';
import { KernelError } from './errors.ts';

/** A kernel worker thread (kworker-like) that kthreadd creates at boot: runs `cycles`, sleeps `period` ns, again. */
export interface KthreadSpec {
  readonly name: string;
  readonly cycles: number;
  readonly period: number;
}

/**
 * A workload: plain, serialisable data (an input of a run). Programs are assembly
 * sources (entry `_start`, text at 0x08048000 unless a `.section` says otherwise);
 * init forks and execs each process in order at boot.
 */
export interface Workload {
  readonly name: string;
  readonly programs: Readonly<Record<string, string>>;
  readonly processes: readonly { readonly program: string }[];
  /** Times (ns) at which the NIC receives a packet and interrupts: `input.nic_rx` events. */
  readonly nic?: readonly number[];
  readonly kthreads?: readonly KthreadSpec[];
  /**
   * System calls the programs issue on the recorded-call path whose names are in neither
   * Linux i386's table nor the simulator's private one: name -> number (from
   * {@link PRIVATE_SYSCALL_BASE} up), so the tracepoint can name them.
   */
  readonly syscalls?: Readonly<Record<string, number>>;
}

/**
 * Checks that `value` (parsed JSON, say) is a {@link Workload} and returns it; anything else
 * is a `bad-workload` {@link KernelError} naming the field. {@link createKernel} checks its
 * workload with it.
 *
 * @example
 * ```ts
 * checkWorkload({ name: 'w', processes: [{ comm: 'app', steps: [] }] });
 * // KernelError: programs: missing (an object of program names to assembly sources; processes with "steps" are the input of buildWorkload, which makes a workload of them)
 * ```
 */
export function checkWorkload(value: unknown): Workload {
  const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
  const describe = (v: unknown): string =>
    v === null
      ? 'null'
      : Array.isArray(v)
        ? 'an array'
        : typeof v === 'object'
          ? 'an object'
          : typeof v === 'function'
            ? 'a function'
            : String(JSON.stringify(v));
  /** Throws: `field` should be `what`, and is `v`. */
  const bad = (field: string, what: string, v: unknown): never => {
    throw new KernelError(
      'bad-workload',
      `${field}${field === '' ? '' : ': '}${v === undefined ? `missing (${what})` : `${what}, not ${describe(v)}`}`,
    );
  };
  const count = (v: unknown, min: number): boolean => typeof v === 'number' && Number.isSafeInteger(v) && v >= min;
  if (!isObject(value)) return bad('', 'a workload is an object with name, programs and processes', value);
  const w = value;
  // A shape for buildWorkload (processes with steps) is the likeliest mistake: say so.
  const shaped = Array.isArray(w.processes) && w.processes.some((p) => isObject(p) && 'steps' in p);
  const hint = shaped ? '; processes with "steps" are the input of buildWorkload, which makes a workload of them' : '';
  if (typeof w.name !== 'string') bad('name', 'a string', w.name);
  if (!isObject(w.programs)) bad('programs', `an object of program names to assembly sources${hint}`, w.programs);
  for (const [name, source] of Object.entries(w.programs as Record<string, unknown>)) {
    if (typeof source !== 'string') bad(`programs.${name}`, 'an assembly source (a string)', source);
  }
  if (!Array.isArray(w.processes)) bad('processes', 'an array of { "program": name }', w.processes);
  for (const [i, p] of (w.processes as unknown[]).entries()) {
    if (!isObject(p)) bad(`processes[${i}]`, 'an object { "program": name }', p);
    const program = (p as Record<string, unknown>).program;
    if (typeof program !== 'string') bad(`processes[${i}].program`, `a program name (a string)${hint}`, program);
  }
  if (w.nic !== undefined) {
    if (!Array.isArray(w.nic)) bad('nic', 'an array of times in ns', w.nic);
    for (const [i, at] of (w.nic as unknown[]).entries()) if (!count(at, 0)) bad(`nic[${i}]`, 'a time in ns (an integer >= 0)', at);
  }
  if (w.kthreads !== undefined) {
    if (!Array.isArray(w.kthreads)) bad('kthreads', 'an array of { name, cycles, period }', w.kthreads);
    for (const [i, k] of (w.kthreads as unknown[]).entries()) {
      if (!isObject(k)) bad(`kthreads[${i}]`, 'an object { name, cycles, period }', k);
      const { name, cycles, period } = k as Record<string, unknown>;
      if (typeof name !== 'string' || name.length === 0) bad(`kthreads[${i}].name`, 'a non-empty string', name);
      if (!count(cycles, 1)) bad(`kthreads[${i}].cycles`, 'an integer > 0', cycles);
      if (!count(period, 1)) bad(`kthreads[${i}].period`, 'an integer > 0 (ns)', period);
    }
  }
  if (w.syscalls !== undefined) {
    if (!isObject(w.syscalls)) bad('syscalls', 'an object of names to system-call numbers', w.syscalls);
    for (const [name, nr] of Object.entries(w.syscalls as Record<string, unknown>)) {
      if (!count(nr, 0)) bad(`syscalls.${name}`, 'a system-call number', nr);
    }
  }
  return value as unknown as Workload;
}

/** How a `clone` step creates its child. */
export type CloneCall = 'clone' | 'clone3' | 'fork' | 'vfork';

/** One step of a built program. */
export type Step =
  /**
   * `cycles` of computation, interruptible (the tick preempts it); with `atomic`, one
   * `work` the timer waits for, as an imported trace's gaps, whose recorded time already
   * includes any preemption.
   */
  | { readonly op: 'compute'; readonly cycles: number; readonly atomic?: boolean }
  | { readonly op: 'call'; readonly depth: number; readonly frame?: number; readonly cycles?: number }
  | { readonly op: 'write'; readonly text: string }
  | { readonly op: 'disk-write'; readonly bytes: number }
  | { readonly op: 'disk-read'; readonly bytes: number }
  | { readonly op: 'pipe-pingpong'; readonly rounds: number }
  | { readonly op: 'getpid' }
  | { readonly op: 'sleep'; readonly ns: number }
  | { readonly op: 'yield' }
  | { readonly op: 'fork'; readonly child: readonly Step[] }
  /** wait4(-1, &status, options): reaps any child, sleeping until one exits (unless `options` has WNOHANG, 1). */
  | { readonly op: 'wait'; readonly options?: number }
  | { readonly op: 'threads'; readonly count: number; readonly steps: readonly Step[] }
  | { readonly op: 'loop'; readonly times: number; readonly steps: readonly Step[] }
  /** exit_group(code), or exit(code) (this thread only) with `thread`. */
  | { readonly op: 'exit'; readonly code: number; readonly thread?: boolean }
  /**
   * Creates a task with `call` (default clone): a thread (CLONE_THREAD, clone or clone3 only)
   * or a process. The child runs `child` where the parent is (the call returns 0 in it), then
   * exit (a thread) or exit_group(0) unless its last step ends it; the parent goes on.
   */
  | { readonly op: 'clone'; readonly call?: CloneCall; readonly thread?: boolean; readonly child: readonly Step[] }
  /** execve(program): a program of the workload replaces the image (the steps after it run only if it fails: -ENOENT when there is no such program). */
  | { readonly op: 'execve'; readonly program: string }
  /**
   * Any system call, by name (number: `nr`, else i386's, else the simulator's private one),
   * issued on the recorded-call path: it returns `ret` (truncated to 32 bits, as on i386)
   * after `durationNs` (default 0) spent running in the kernel, or asleep on a kernel timer
   * in S or D with `blocking`. What `ossim import-strace` makes of a recorded call.
   */
  | {
      readonly op: 'syscall';
      readonly name: string;
      readonly nr?: number;
      readonly ret?: number;
      readonly durationNs?: number;
      readonly blocking?: 'S' | 'D';
      /** The arguments as the recording printed them, shown again by strace of the run. */
      readonly args?: string;
    }
  /** A load from address 0: the task dies of SIGSEGV without a system call (a recorded `+++ killed by ... +++`). */
  | { readonly op: 'fault' };

/** A process of a built workload. */
export interface ProcessShape {
  /** Its program's name (and comm). */
  readonly comm: string;
  readonly steps: readonly Step[];
}

/** Options of {@link buildWorkload}. */
export interface WorkloadShape {
  readonly name: string;
  readonly processes: readonly ProcessShape[];
  readonly nic?: readonly number[];
  readonly kthreads?: readonly KthreadSpec[];
  /** More programs, started only by an `execve` step naming them (a name may be a path: `/usr/bin/sleep`; comm is its base name). */
  readonly programs?: readonly { readonly name: string; readonly steps: readonly Step[] }[];
}

/** Options of {@link programFor}. */
export interface ProgramOptions {
  /** Numbers of `syscall` steps' names in no table (see {@link Workload.syscalls}). */
  readonly syscalls?: Readonly<Record<string, number>>;
}

const DATA = 0x08060000;

/**
 * Builds a workload from common shapes: processes whose threads compute, call nested
 * functions, write to the console or the disk, sleep, yield, fork children and wait.
 *
 * @example
 * ```ts
 * const w = buildWorkload({
 *   name: 'demo',
 *   processes: [{ comm: 'app', steps: [{ op: 'threads', count: 3, steps: [{ op: 'getpid' }, { op: 'sleep', ns: 1_000_000 }] }] }],
 * });
 * ```
 */
export function buildWorkload(shape: WorkloadShape): Workload {
  const programs: Record<string, string> = {};
  // Names of `syscall` steps in no table get private numbers after the fixed ones, in order of first use.
  const syscalls: Record<string, number> = {};
  let nextPrivate = PRIVATE_SYSCALL_BASE + 100;
  const collect = (steps: readonly Step[]): void => {
    for (const s of steps) {
      if (s.op === 'syscall' && s.nr === undefined && syscallNumber(s.name) === undefined && !Object.hasOwn(syscalls, s.name))
        syscalls[s.name] = nextPrivate++;
      else if (s.op === 'clone' || s.op === 'fork') collect(s.child);
      else if (s.op === 'threads' || s.op === 'loop') collect(s.steps);
    }
  };
  for (const p of shape.processes) collect(p.steps);
  for (const p of shape.programs ?? []) collect(p.steps);
  const options = Object.keys(syscalls).length === 0 ? {} : { syscalls };
  for (const p of shape.processes) {
    if (!/^[A-Za-z0-9_.-]{1,15}$/.test(p.comm))
      throw new KernelError('bad-workload', `processes: comm ${JSON.stringify(p.comm)} must be 1-15 letters, digits, _ . -`);
    programs[p.comm] = programFor(p.steps, options);
  }
  for (const p of shape.programs ?? []) {
    if (p.name.length < 1 || p.name.length > 255 || [...p.name].some((c) => c < ' ' || c === '"' || c === '\\' || c > '~'))
      throw new KernelError(
        'bad-workload',
        `programs: name ${JSON.stringify(p.name)} must be 1-255 printable ASCII characters, without quotes or backslashes`,
      );
    if (Object.hasOwn(programs, p.name)) throw new KernelError('bad-workload', `programs: ${JSON.stringify(p.name)} is named twice`);
    programs[p.name] = programFor(p.steps, options);
  }
  return {
    name: shape.name,
    programs,
    processes: shape.processes.map((p) => ({ program: p.comm })),
    ...(shape.nic === undefined ? {} : { nic: shape.nic }),
    ...(shape.kthreads === undefined ? {} : { kthreads: shape.kthreads }),
    ...options,
  };
}

/** The assembly of a program running `steps`, then exit_group(0). */
export function programFor(steps: readonly Step[], options: ProgramOptions = {}): string {
  let n = 0;
  const id = (): number => ++n;
  const text: string[] = [];
  const funcs: string[] = [];
  const data: string[] = ['scratch:', '    .space 4096', 'status:', '    .word 0', 'pipefds:', '    .word 0, 0'];

  const emit = (list: readonly Step[], out: string[]): void => {
    for (const s of list) {
      switch (s.op) {
        case 'compute':
          // Interruptible work (r0 counts down the cycles still to do): the timer preempts it as it would a loop.
          for (let left = s.cycles; left > 0; left -= 0xffffffff) {
            const n = Math.min(left, 0xffffffff);
            if (s.atomic === true) out.push(`    work ${n}`);
            else out.push(`    mov r0, ${n}`, '    work r0');
          }
          break;
        case 'call': {
          const k = id();
          const frame = s.frame ?? 64;
          for (let d = s.depth; d >= 1; d--) {
            // The innermost function computes `cycles` (none: an empty body, `work` takes 1 or more).
            const cycles = s.cycles ?? 100;
            const body = d === 1 ? (cycles > 0 ? `    mov r0, ${cycles}\n    work r0` : '    nop') : `    call f${k}_${d - 1}`;
            funcs.push(
              `.func f${k}_${d}\n    push {r4-r5}\n    sub sp, ${frame}\n    st [sp+0], r0\n${body}\n    add sp, ${frame}\n    pop {r4-r5}\n    ret\n.endfunc`,
            );
          }
          out.push(`    call f${k}_${s.depth}`);
          break;
        }
        case 'write': {
          const k = id();
          data.push(`msg${k}:`, `    .ascii ${JSON.stringify(s.text)}`, '    .align 4');
          out.push('    mov r0, SYS_write', '    mov r1, 1', `    mov r2, msg${k}`, `    mov r3, ${s.text.length}`, '    syscall');
          break;
        }
        case 'disk-write':
        case 'disk-read':
          out.push(
            `    mov r0, SYS_${s.op === 'disk-write' ? 'write' : 'read'}`,
            '    mov r1, 3',
            '    mov r2, scratch',
            `    mov r3, ${Math.min(s.bytes, 4096)}`,
            '    syscall',
          );
          break;
        case 'pipe-pingpong': {
          const k = id();
          out.push(
            '    mov r0, SYS_pipe',
            '    mov r1, pipefds',
            '    syscall',
            '    mov r0, SYS_fork',
            '    syscall',
            '    cmp r0, 0',
            `    jne .Lpp_parent${k}`,
            `    mov r6, ${s.rounds}`,
            `.Lpp_child${k}:`,
            '    mov r0, SYS_read',
            '    ld r1, [pipefds]',
            '    mov r2, scratch',
            '    mov r3, 4',
            '    syscall',
            '    sub r6, 1',
            `    jnz .Lpp_child${k}`,
            '    mov r0, SYS_exit',
            '    mov r1, 0',
            '    syscall',
            `.Lpp_parent${k}:`,
            `    mov r6, ${s.rounds}`,
            `.Lpp_loop${k}:`,
            '    mov r0, SYS_write',
            '    mov r1, pipefds',
            '    ld r1, [r1+4]',
            '    mov r2, scratch',
            '    mov r3, 4',
            '    syscall',
            '    mov r0, SYS_sched_yield',
            '    syscall',
            '    sub r6, 1',
            `    jnz .Lpp_loop${k}`,
            '    mov r0, SYS_wait4',
            '    mov r1, -1',
            '    mov r2, status',
            '    mov r3, 0',
            '    syscall',
          );
          break;
        }
        case 'getpid':
          out.push('    mov r0, SYS_getpid', '    syscall');
          break;
        case 'sleep': {
          const k = id();
          data.push(`ts${k}:`, `    .word ${Math.floor(s.ns / 1e9)}, ${s.ns % 1e9}`);
          out.push('    mov r0, SYS_nanosleep', `    mov r1, ts${k}`, '    mov r2, 0', '    syscall');
          break;
        }
        case 'yield':
          out.push('    mov r0, SYS_sched_yield', '    syscall');
          break;
        case 'fork': {
          const k = id();
          out.push('    mov r0, SYS_fork', '    syscall', '    cmp r0, 0', `    jne .Lparent${k}`);
          emit(s.child, out);
          out.push('    mov r0, SYS_exit', '    mov r1, 0', '    syscall', `.Lparent${k}:`);
          break;
        }
        case 'wait':
          out.push('    mov r0, SYS_wait4', '    mov r1, -1', '    mov r2, status', `    mov r3, ${s.options ?? 0}`, '    syscall');
          break;
        case 'clone': {
          const k = id();
          const call = s.call ?? 'clone';
          if (s.thread === true && (call === 'fork' || call === 'vfork'))
            throw new KernelError('bad-workload', `steps: a thread is made by clone or clone3, not ${call}`);
          const flags = s.thread === true ? 'CLONE_THREADS' : '17'; // SIGCHLD: a process
          if (call === 'clone')
            out.push('    mov r0, SYS_clone', `    mov r1, ${flags}`, '    mov r2, 0', '    mov r3, 0', '    mov r4, 0');
          else if (call === 'clone3') {
            // struct clone_args: flags, pidfd, child_tid, parent_tid, exit_signal, stack, stack_size, tls (u64 each).
            data.push(`cargs${k}:`, `    .word ${flags}, 0, 0, 0, 0, 0, 0, 0, ${s.thread === true ? 0 : 17}, 0, 0, 0, 0, 0, 0, 0`);
            out.push('    mov r0, SYS_clone3', `    mov r1, cargs${k}`, '    mov r2, 64');
          } else out.push(`    mov r0, SYS_${call}`);
          out.push('    syscall', '    cmp r0, 0', `    jne .Lcloned${k}`);
          emit(s.child, out);
          const last = s.child.at(-1);
          if (last?.op !== 'exit' && last?.op !== 'fault')
            out.push(`    mov r0, SYS_${s.thread === true ? 'exit' : 'exit_group'}`, '    mov r1, 0', '    syscall');
          out.push(`.Lcloned${k}:`);
          break;
        }
        case 'execve': {
          const k = id();
          data.push(`path${k}:`, `    .asciz ${JSON.stringify(s.program)}`, '    .align 4');
          out.push('    mov r0, SYS_execve', `    mov r1, path${k}`, '    mov r2, 0', '    mov r3, 0', '    syscall');
          break;
        }
        case 'syscall': {
          const nr = s.nr ?? syscallNumber(s.name) ?? options.syscalls?.[s.name];
          if (nr === undefined)
            throw new KernelError(
              'bad-workload',
              `steps: system call ${JSON.stringify(s.name)} has no number (give nr, or build with buildWorkload)`,
            );
          const ns = Math.max(0, Math.round(s.durationNs ?? 0));
          const mode = s.blocking === 'D' ? RECORDED_MODE.DISK : s.blocking === 'S' ? RECORDED_MODE.SLEEP : RECORDED_MODE.RUN;
          // The recorded argument text rides in r5, a NUL-terminated string in the program's data.
          let argsLabel = '0';
          if (s.args !== undefined) {
            argsLabel = `args${id()}`;
            data.push(`${argsLabel}:`, `    .asciz "${asmString(s.args)}"`, '    .align 4');
          }
          out.push(`    mov r5, ${argsLabel}`);
          out.push(
            `    mov r0, 0x${((nr | RECORDED_SYSCALL_BIT) >>> 0).toString(16)} ; ${s.name}, recorded`,
            `    mov r1, ${(s.ret ?? 0) | 0}`,
            `    mov r2, ${ns % 2 ** 32}`,
            `    mov r3, ${Math.floor(ns / 2 ** 32)}`,
            `    mov r4, ${mode}`,
            '    syscall',
          );
          break;
        }
        case 'fault':
          out.push('    mov r1, 0', '    ld r0, [r1+0]');
          break;
        case 'threads': {
          const k = id();
          data.push(`done${k}:`, `    .space ${s.count * 4}`);
          const body: string[] = [];
          emit(s.steps, body);
          funcs.push(
            [
              `.func thread${k}`,
              '    mov r7, r1               ; the thread index',
              ...body,
              `    mov r1, done${k}`,
              '    mov r2, r7',
              '    shl r2, 2',
              '    add r1, r2',
              '    mov r2, 1',
              '    st [r1+0], r2',
              '    mov r0, SYS_futex',
              '    mov r2, FUTEX_WAKE',
              '    mov r3, 1',
              '    syscall',
              '    mov r0, SYS_exit',
              '    mov r1, 0',
              '    syscall',
              '.endfunc',
            ].join('\n'),
          );
          for (let i = 0; i < s.count; i++) {
            out.push(
              '    mov r0, SYS_clone',
              '    mov r1, CLONE_THREADS',
              '    mov r2, 0',
              `    mov r3, thread${k}`,
              `    mov r4, ${i}`,
              '    syscall',
            );
          }
          for (let i = 0; i < s.count; i++) {
            const j = id();
            out.push(
              `.Ljoin${j}:`,
              `    mov r1, done${k}+${i * 4}`,
              '    ld r2, [r1+0]',
              '    cmp r2, 0',
              `    jne .Ljoined${j}`,
              '    mov r0, SYS_futex',
              '    mov r2, FUTEX_WAIT',
              '    mov r3, 0',
              '    syscall',
              `    jmp .Ljoin${j}`,
              `.Ljoined${j}:`,
            );
          }
          break;
        }
        case 'loop': {
          const k = id();
          out.push(`    mov r0, ${s.times}`, '    push r0', `.Lloop${k}:`);
          emit(s.steps, out);
          out.push('    pop r0', '    sub r0, 1', '    push r0', `    jnz .Lloop${k}`, '    pop r0');
          break;
        }
        case 'exit':
          out.push(`    mov r0, SYS_${s.thread === true ? 'exit' : 'exit_group'}`, `    mov r1, ${s.code}`, '    syscall');
          break;
      }
    }
  };
  emit(steps, text);
  return [
    '.section .text 0x08048000',
    '.func _start',
    ...text,
    '    mov r0, SYS_exit_group',
    '    mov r1, 0',
    '    syscall',
    '.endfunc',
    ...funcs,
    `.section .data 0x${DATA.toString(16)}`,
    ...data,
    '',
  ].join('\n');
}

/** Text as an assembler string literal body: printable ASCII as is, `"` and `\\` escaped, every other byte (UTF-8) as `\\xHH`. */
function asmString(text: string): string {
  let out = '';
  for (const byte of new TextEncoder().encode(text)) {
    if (byte === 0x22) out += '\\"';
    else if (byte === 0x5c) out += '\\\\';
    else if (byte >= 0x20 && byte < 0x7f) out += String.fromCharCode(byte);
    else out += `\\x${byte.toString(16).padStart(2, '0')}`;
  }
  return out;
}
