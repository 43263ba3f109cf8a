import { closeSync, createReadStream, openSync, readSync } from 'node:fs';
import { createGunzip } from 'node:zlib';
import { compareEvents, type OssimEvent } from '@ossim/eventlog';
import { openTraceFile } from '@ossim/eventlog/node';
import { type Kernel, KernelError } from '@ossim/kernel';
import { STACK_END_MAGIC, THREAD_INFO_OFFSETS } from '@ossim/kstack';
import { drawKernelStack, type StackMarker, type StackRegion, type StackWord } from '@ossim/trace';
import type { Command } from 'commander';
import { CliError, type CliIo } from '../io.ts';
import { kernelFromInputs } from '../kernelRun.ts';
import { nearestSnapshot, snapshotsPath } from '../snapshots.ts';
import { formatNs } from '../units.ts';
import { parseMoment } from './views.ts';

/**
 * Re-executes a recording's inputs up to a moment and returns the machine there. The
 * state "at seq N" is the machine after event N and before event N+1: the kernel pauses
 * as event N+1 is appended (at the end of the recording, it runs to its end). Stacks are
 * memory, so showing one means running the machine to that point: from the nearest
 * snapshot before it when the recording has a snapshot file (`ossim run --record` writes
 * one), else from boot. The recording is read only to find its line for the last seq
 * re-executed, which must equal the re-executed event (else the re-run is not the
 * recording's, and `ossim replay --verify` says where they part).
 */
export async function machineAt(
  path: string,
  atText: string | undefined,
  tid: number,
): Promise<{ kernel: Kernel; seq: number; time: number; onCpu: number | null }> {
  const at = parseMoment(atText);
  const { inputs } = (await openTraceFile(path)).header;
  const from = nearestSnapshot(path, at);
  let last: OssimEvent | undefined;
  const holder: { kernel?: Kernel; paused: boolean } = { paused: false };
  const { kernel, run } = kernelFromInputs(inputs, {
    attach: (log) =>
      log.listen((e) => {
        if (holder.paused) return;
        if (at !== null && ('seq' in at ? e.seq > at.seq : e.time > at.timeNs)) {
          holder.paused = true;
          holder.kernel?.pause();
          return;
        }
        last = e;
      }),
  });
  holder.kernel = kernel;
  if (from !== undefined) {
    try {
      kernel.restore(from);
    } catch (e) {
      if (e instanceof KernelError)
        throw new CliError(`${snapshotsPath(path)}: ${e.message}; it does not belong to ${path} (remove it to re-execute from boot)`, 1);
      throw e;
    }
  }
  run();
  const seq = last?.seq ?? from?.seq ?? 0;
  const end = await lastSeq(path);
  if (last !== undefined) {
    const recorded = await recordedEvent(path, last.seq);
    if (recorded === undefined) {
      if (at !== null && 'seq' in at && end < at.seq) throw new CliError(`--at: ${path} ends at seq ${end}, before seq ${at.seq}`, 1);
      throw new CliError(
        `${path}: re-executing the inputs went past the recording's end at seq ${end} (run ossim replay ${path} --verify)`,
        1,
      );
    }
    if ((await compareEvents([recorded], [last])).divergence !== null) {
      throw new CliError(`${path}: re-executing the inputs does not reach seq ${seq} as recorded (run ossim replay ${path} --verify)`, 1);
    }
  }
  if (!holder.paused && end !== seq) {
    throw new CliError(`${path}: re-executing the inputs does not reach seq ${end} as recorded (run ossim replay ${path} --verify)`, 1);
  }
  if (at !== null && 'seq' in at && seq < at.seq) throw new CliError(`--at: ${path} ends at seq ${seq}, before seq ${at.seq}`, 1);
  const time = last?.time ?? from?.time ?? 0;
  if (kernel.task(tid) === undefined || tid === 0) {
    throw new CliError(`no thread ${tid} at seq ${seq} (${formatNs(time)}) of ${path} (see ossim ps ${path})`, 1);
  }
  const cpu = Array.from({ length: kernel.os.cpus }, (_, i) => kernel.current(i)).indexOf(tid);
  return { kernel, seq, time, onCpu: cpu < 0 ? null : cpu };
}

/** The recording's raw text, decompressed when it is gzip (by its magic bytes), in chunks. */
async function* rawChunks(path: string): AsyncGenerator<Buffer> {
  const head = Buffer.alloc(2);
  const fd = openSync(path, 'r');
  try {
    readSync(fd, head, 0, 2, 0);
  } finally {
    closeSync(fd);
  }
  const file = createReadStream(path, { highWaterMark: 1 << 20 });
  yield* (head[0] === 0x1f && head[1] === 0x8b ? file.pipe(createGunzip()) : file) as AsyncIterable<Buffer>;
}

/** The event on line `seq + 1` of a recording (line 1 is the header), found by counting newlines, without parsing the others. */
async function recordedEvent(path: string, seq: number): Promise<OssimEvent | undefined> {
  let line = 1;
  let pieces: Buffer[] = [];
  for await (const chunk of rawChunks(path)) {
    let from = 0;
    for (let nl = chunk.indexOf(10, from); nl !== -1; nl = chunk.indexOf(10, from)) {
      if (line === seq + 1) return JSON.parse(Buffer.concat([...pieces, chunk.subarray(from, nl)]).toString('utf8')) as OssimEvent;
      pieces = [];
      line++;
      from = nl + 1;
    }
    if (line === seq + 1) pieces.push(chunk.subarray(from));
  }
  return pieces.length > 0 ? (JSON.parse(Buffer.concat(pieces).toString('utf8')) as OssimEvent) : undefined;
}

/** The number of events of a recording (its lines but the header), by counting newlines. */
async function lastSeq(path: string): Promise<number> {
  let lines = 0;
  let tail = 0;
  for await (const chunk of rawChunks(path)) {
    for (let nl = chunk.indexOf(10); nl !== -1; nl = chunk.indexOf(10, nl + 1)) lines++;
    tail = chunk.length > 0 && chunk[chunk.length - 1] !== 10 ? 1 : 0;
  }
  return lines + tail - 1;
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
