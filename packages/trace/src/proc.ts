import { TraceError } from './errors.ts';
import { STATE_WORDS, sortTasks } from './ps.ts';
import type { TaskInfo } from './types.ts';

/** MAX_STACK_TRACE_DEPTH of fs/proc/base.c: /proc/PID/stack shows at most 64 frames. */
export const MAX_STACK_TRACE_DEPTH = 64;

/**
 * The KernelStack line of `/proc/meminfo` (fs/proc/meminfo.c: `"KernelStack:    %8lu kB"`).
 *
 * @example
 * ```ts
 * formatKernelStackLine(1472); // 'KernelStack:        1472 kB'
 * ```
 */
export function formatKernelStackLine(kernelStackKb: number): string {
  if (!Number.isSafeInteger(kernelStackKb) || kernelStackKb < 0) {
    throw new TraceError('bad-input', `KernelStack must be a non-negative integer of kB (got ${kernelStackKb})`, {
      source: 'formatKernelStackLine',
    });
  }
  return `KernelStack:    ${String(kernelStackKb).padStart(8)} kB`;
}

/**
 * An excerpt of `/proc/PID/status` (or `/proc/PID/task/TID/status`) as fs/proc/array.c
 * prints it: `Name`, `State` with its word, `Tgid`, `Pid` (the thread's id), `PPid`,
 * `VmStk` when given (user tasks only), `Threads` and the context-switch counts; a tab
 * after each colon, `VmStk` right-aligned in 8 columns.
 *
 * @example
 * ```text
 * Name:	python3
 * State:	S (sleeping)
 * Tgid:	6571
 * Pid:	6571
 * PPid:	6568
 * VmStk:	     132 kB
 * Threads:	5
 * voluntary_ctxt_switches:	12
 * nonvoluntary_ctxt_switches:	3
 * ```
 */
export function formatProcStatus(task: TaskInfo, options: { readonly vmStkKb?: number } = {}): string {
  const [t] = sortTasks([task], 'formatProcStatus') as [TaskInfo];
  // proc_task_name() escapes like seq_escape(m, name, "\n\\").
  const name = t.comm.slice(0, 15).replaceAll('\\', '\\\\').replaceAll('\n', '\\n');
  const lines = [`Name:\t${name}`, `State:\t${t.state} (${STATE_WORDS[t.state]})`, `Tgid:\t${t.pid}`, `Pid:\t${t.tid}`, `PPid:\t${t.ppid}`];
  if (options.vmStkKb !== undefined && !t.kernelThread) lines.push(`VmStk:\t${String(options.vmStkKb).padStart(8)} kB`);
  lines.push(`Threads:\t${t.nlwp}`, `voluntary_ctxt_switches:\t${t.nvcsw ?? 0}`, `nonvoluntary_ctxt_switches:\t${t.nivcsw ?? 0}`);
  return `${lines.join('\n')}\n`;
}

/** A symbolized kernel frame: `symbol+0xoffset/0xsize`, or a bare address the kernel could not symbolize. */
export type KernelFrame = { readonly symbol: string; readonly offset: number; readonly size: number } | { readonly address: number };

/**
 * `/proc/PID/task/TID/stack`: one `[<0>] symbol+0xoff/0xsize` line per frame (`%pB`; the
 * address shows as 0 to non-root readers, as on any kernel with kptr_restrict), innermost
 * first, at most {@link MAX_STACK_TRACE_DEPTH} frames. Frames may be given already
 * formatted (`'do_wait+0x53/0x120'`).
 *
 * @example
 * ```ts
 * formatProcStack([{ symbol: 'do_wait', offset: 0x53, size: 0x120 }]); // '[<0>] do_wait+0x53/0x120\n'
 * ```
 */
export function formatProcStack(frames: ReadonlyArray<KernelFrame | string>): string {
  const source = 'formatProcStack';
  let out = '';
  for (const f of frames.slice(0, MAX_STACK_TRACE_DEPTH)) {
    let text: string;
    if (typeof f === 'string') text = f;
    else if ('symbol' in f) {
      for (const v of [f.offset, f.size]) {
        if (!Number.isSafeInteger(v) || v < 0) throw new TraceError('bad-input', `frame ${f.symbol}: bad offset or size ${v}`, { source });
      }
      if (f.offset > f.size) {
        throw new TraceError(
          'bad-input',
          `frame ${f.symbol}: offset 0x${f.offset.toString(16)} is outside its size 0x${f.size.toString(16)}`,
          { source },
        );
      }
      text = `${f.symbol}+0x${f.offset.toString(16)}/0x${f.size.toString(16)}`;
    } else {
      if (!Number.isSafeInteger(f.address) || f.address < 0)
        throw new TraceError('bad-input', `bad frame address ${f.address}`, { source });
      text = `0x${f.address.toString(16)}`;
    }
    out += `[<0>] ${text}\n`;
  }
  return out;
}

/** One frame of a user stack: its program counter and the function it is in, if known. */
export interface UserFrame {
  readonly pc: number;
  readonly symbol?: string;
}

/** One thread's user stack, innermost frame first. */
export interface UserStack {
  readonly tid: number;
  readonly frames: readonly UserFrame[];
}

/**
 * A gstack-like dump of a process's user stacks in eu-stack's layout: `PID n - process`,
 * then per thread `TID n:` and `#N  0x<pc> function` lines (`??` for an unknown function),
 * the pc zero-padded to the address width (8 hex digits for the simulator's 32-bit
 * machine, 16 for 64-bit).
 *
 * @example
 * ```text
 * PID 6571 - process
 * TID 6571:
 * #0  0x08048f20 sleep
 * #1  0x08048a10 main
 * ```
 */
export function formatUserStacks(pid: number, threads: readonly UserStack[], options: { readonly addressWidth?: 8 | 16 } = {}): string {
  const source = 'formatUserStacks';
  const width = options.addressWidth ?? 8;
  const lines = [`PID ${pid} - process`];
  for (const t of [...threads].sort((a, b) => a.tid - b.tid)) {
    lines.push(`TID ${t.tid}:`);
    t.frames.forEach((f, i) => {
      if (!Number.isSafeInteger(f.pc) || f.pc < 0 || f.pc >= 2 ** (width * 4)) {
        throw new TraceError('bad-input', `tid ${t.tid} frame #${i}: pc ${f.pc} does not fit ${width} hex digits`, { source });
      }
      lines.push(`#${String(i).padEnd(2)} 0x${f.pc.toString(16).padStart(width, '0')} ${f.symbol ?? '??'}`);
    });
  }
  return `${lines.join('\n')}\n`;
}
