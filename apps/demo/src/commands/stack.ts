import type { OssimEvent } from '@ossim/eventlog';
import { openTraceFile } from '@ossim/eventlog/node';
import { createKernel, defineOs, type Kernel, type OsVariant, type Workload } from '@ossim/kernel';
import { STACK_END_MAGIC, THREAD_INFO_OFFSETS } from '@ossim/kstack';
import { drawKernelStack, type StackMarker, type StackRegion, type StackWord } from '@ossim/trace';
import type { Command } from 'commander';
import { CliError, type CliIo } from '../io.ts';
import { formatNs } from '../units.ts';
import { parseMoment, viewAndEnd } from './views.ts';

/**
 * Re-executes a recording's inputs up to a moment and returns the machine there. The
 * state "at seq N" is the machine after event N and before event N+1: the kernel pauses
 * as event N+1 is appended (at the end of the recording, it runs to its end). Stacks are
 * memory, so showing one means running the machine to that point.
 */
export async function machineAt(
  path: string,
  atText: string | undefined,
  tid: number,
): Promise<{ kernel: Kernel; seq: number; time: number; onCpu: number | null }> {
  const { view, atEnd } = await viewAndEnd(path, parseMoment(atText));
  const seen = view.tasks[String(tid)];
  if (seen === undefined)
    throw new CliError(`no thread ${tid} at seq ${view.seq} (${formatNs(view.time)}) of ${path} (see ossim ps ${path})`, 1);
  const { inputs } = (await openTraceFile(path)).header;
  const target = view.seq;
  let reached: OssimEvent | undefined;
  let paused = false;
  const holder: { kernel?: Kernel } = {};
  const kernel = createKernel({
    os: defineOs(inputs.os as OsVariant),
    workload: inputs.workload as Workload,
    seed: inputs.seed,
    attach: (log) =>
      log.listen((e) => {
        if (e.seq === target) reached = e;
        else if (e.seq === target + 1) {
          paused = true;
          holder.kernel?.pause();
        }
      }),
  });
  holder.kernel = kernel;
  kernel.run(inputs.untilNs === undefined ? {} : { until: inputs.untilNs });
  if (reached === undefined || reached.time !== view.time || (!paused && !atEnd)) {
    throw new CliError(`${path}: re-executing the inputs did not reach seq ${target} as recorded (run ossim replay ${path} --verify)`, 1);
  }
  const cpu = view.current.indexOf(tid);
  return { kernel, seq: target, time: view.time, onCpu: cpu < 0 ? null : cpu };
}

const hex = (n: number): string => `0x${(n >>> 0).toString(16).padStart(8, '0')}`;

/** The words of a thread's kernel stack, from the lowest address to the top, with what each one is. */
function stackPicture(
  kernel: Kernel,
  tid: number,
  onCpu: number | null,
): { regions: StackRegion[]; markers: StackMarker[]; title: string } | null {
  const task = kernel.task(tid);
  if (task === undefined || task.kernelStack === null) return null;
  const { base, top } = task.kernelStack;
  // On a CPU, SP is the register (on this stack when in the kernel; in user mode the kernel
  // stack is empty down from sp0); switched out, it is the saved thread.sp.
  const cpuSp = onCpu === null ? undefined : (kernel.machine.cpus[onCpu]?.sp ?? 0) >>> 0;
  const onStack = cpuSp !== undefined && cpuSp >= base && cpuSp <= top;
  const sp = cpuSp === undefined ? task.threadSp >>> 0 : onStack ? cpuSp : top;
  const stack = kernel.kstack.has(tid) ? kernel.kstack.stackOf(tid) : null;
  const text = kernel.image.sections.find((s) => s.name === '.text');
  const inText = (w: number): boolean => text !== undefined && w >= text.address && w < text.address + text.bytes.length;
  // The CPU's trap frame at the top, when the thread entered the kernel from user mode
  // (the saved PS has the USER bit): error code, vector, PC, PS, SP, lowest first.
  const TRAP = ['trap frame: error code', 'trap frame: vector', 'trap frame: pc (user)', 'trap frame: ps', 'trap frame: sp (user stack)'];
  let fromUser = false;
  try {
    fromUser = (kernel.readKernel32(top - 8) & 0x8000) !== 0;
  } catch {
    fromUser = false;
  }
  const words: StackWord[] = [];
  for (let a = base; a < top; a += 4) {
    let value: number;
    try {
      value = kernel.readKernel32(a) >>> 0;
    } catch {
      continue;
    }
    let note: string | undefined;
    if (stack?.threadInfo !== null && stack?.threadInfo !== undefined && a < stack.threadInfo + 20) {
      const field = Object.entries(THREAD_INFO_OFFSETS).find(([, off]) => (stack.threadInfo as number) + off === a)?.[0];
      note = `thread_info.${field ?? '?'}`;
    } else if (stack !== null && a === stack.endOfStack) {
      note = value === STACK_END_MAGIC ? 'STACK_END_MAGIC' : `STACK_END_MAGIC clobbered (was ${hex(STACK_END_MAGIC)})`;
    } else if (fromUser && a >= top - 20) {
      note = TRAP[(a - (top - 20)) / 4];
    } else if (a >= sp && inText(value)) {
      note = `-> ${kernel.symbols.symbolize(value)}`;
    }
    const section = fromUser && a === top - 4 ? 'pushed by the CPU at the trap' : undefined;
    words.push({ address: a, value, ...(note === undefined ? {} : { note }), ...(section === undefined ? {} : { section }) });
  }
  const regions: StackRegion[] = [];
  if (stack?.guardAbove) regions.push({ kind: 'guard', low: stack.guardAbove.start, high: stack.guardAbove.end, label: 'guard page' });
  regions.push({ kind: 'words', label: `kernel stack of tid ${tid} (${task.comm})`, words });
  if (stack?.guardBelow) regions.push({ kind: 'guard', low: stack.guardBelow.start, high: stack.guardBelow.end, label: 'guard page' });
  const markers: StackMarker[] = [
    { address: top, label: 'sp0 (stack top)' },
    ...(sp < top ? [{ address: sp, label: onCpu === null ? 'thread.sp (saved SP)' : 'SP' }] : []),
  ];
  return {
    regions,
    markers,
    title: `tid ${tid} ${task.comm}: ${stack?.strategy ?? 'kernel'} stack ${hex(base)}-${hex(top - 1)} (${(top - base) / 1024} KiB)`,
  };
}

/** `ossim stack` and `ossim stacks`: a thread's kernel stack at a moment, unwound from memory or drawn as memory. */
export function registerStack(program: Command, io: CliIo): void {
  const atHelp = 'the moment: a seq or a simulated time with its unit (12ms, 3400us); default: the end';
  const tidOf = (text: string): number => {
    if (!/^\d+$/.test(text)) throw new CliError(`tid: ${JSON.stringify(text)} is not a thread id`, 2);
    return Number(text);
  };
  program
    .command('stack')
    .description('/proc/PID/task/TID/stack at a moment of a recording, unwound from the stack memory')
    .argument('<trace>', 'the recording')
    .argument('<tid>', 'the thread id')
    .option('--at <seq|time>', atHelp)
    .action(async (path: string, tidText: string, options: { at?: string }) => {
      const tid = tidOf(tidText);
      const { kernel } = await machineAt(path, options.at, tid);
      const frames = kernel.stackTrace(tid);
      io.out(frames.length === 0 ? '' : `${frames.join('\n')}\n`);
    });
  program
    .command('stacks')
    .description(
      "a picture of a thread's kernel stack as memory at a moment of a recording: frames, saved registers, thread_info, guard pages, SP",
    )
    .argument('<trace>', 'the recording')
    .argument('<tid>', 'the thread id')
    .option('--at <seq|time>', atHelp)
    .action(async (path: string, tidText: string, options: { at?: string }) => {
      const tid = tidOf(tidText);
      const { kernel, seq, time, onCpu } = await machineAt(path, options.at, tid);
      const picture = stackPicture(kernel, tid, onCpu);
      if (picture === null)
        throw new CliError(`thread ${tid} has no kernel stack at seq ${seq} (it has exited and its stack was released)`, 1);
      io.out(`${drawKernelStack({ ...picture, title: `${picture.title}, at seq ${seq} (${formatNs(time)})` })}\n`);
    });
}
