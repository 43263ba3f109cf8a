import type { OssimEvent } from '@ossim/eventlog';
import { openTraceFile } from '@ossim/eventlog/node';
import { createKernelView, createStraceFeed, type KernelView, kernelViewReducer, viewTaskInfos } from '@ossim/kernel';
import {
  createStraceFormatter,
  formatKernelStackLine,
  formatProcStatus,
  formatPsELf,
  formatPsLA,
  type StraceTimestamps,
} from '@ossim/trace';
import type { Command } from 'commander';
import { CliError, type CliIo } from '../io.ts';
import { formatNs, parseDuration } from '../units.ts';

/** A moment of a recording: after the event with this seq, or the last event at or before this time. */
export type Moment = { readonly seq: number } | { readonly timeNs: number } | null;

/** Parses `--at`: a plain number is a seq, a time carries its unit (`12ms`, `3400us`, `52000ns`). */
export function parseMoment(text: string | undefined): Moment {
  if (text === undefined) return null;
  if (/^\d+$/.test(text.trim())) {
    const seq = Number(text);
    if (!Number.isSafeInteger(seq) || seq < 1) throw new CliError(`--at: seq ${text} is out of range (seqs start at 1)`, 2);
    return { seq };
  }
  return { timeNs: parseDuration(text, '--at') };
}

const reached = (e: OssimEvent, at: Moment): boolean => at !== null && ('seq' in at ? e.seq > at.seq : e.time > at.timeNs);

/** Re-folds a recording up to a moment (the end without one) and returns the kernel's view there. */
export async function viewAt(path: string, at: Moment, each?: (e: OssimEvent) => void): Promise<KernelView> {
  return (await viewAndEnd(path, at, each)).view;
}

/** {@link viewAt}, also telling whether the moment is the recording's last event. */
export async function viewAndEnd(path: string, at: Moment, each?: (e: OssimEvent) => void): Promise<{ view: KernelView; atEnd: boolean }> {
  const trace = await openTraceFile(path);
  const view = createKernelView();
  let atEnd = true;
  for await (const e of trace.events) {
    if (reached(e, at)) {
      atEnd = false;
      break;
    }
    kernelViewReducer(view, e);
    each?.(e);
  }
  if (at !== null && 'seq' in at && view.seq < at.seq) {
    throw new CliError(`--at: ${path} ends at seq ${view.seq}, before seq ${at.seq}`, 1);
  }
  if (view.os === null) throw new CliError(`${path}: the recording holds no kernel run (no kernel.boot event before that moment)`, 1);
  return { view, atEnd };
}

const where = (view: KernelView): string => `seq ${view.seq}, ${formatNs(view.time)}`;

/** `ossim ps|strace|status|meminfo <trace>`: Linux's views of any moment of a recording. */
export function registerViews(program: Command, io: CliIo): void {
  const atOption = '--at <seq|time>';
  const atHelp = 'the moment: a seq (e.g. 1200) or a simulated time with its unit (12ms, 3400us, 52000ns); default: the end';

  program
    .command('ps')
    .description('ps -LA (or ps -eLf with -f) at a moment of a recording')
    .argument('<trace>', 'the recording (.ndjson or .ndjson.gz)')
    .option('-f, --full', 'the ps -eLf layout')
    .option(atOption, atHelp)
    .action(async (path: string, options: { full?: boolean; at?: string }) => {
      const view = await viewAt(path, parseMoment(options.at));
      const tasks = viewTaskInfos(view);
      const text = options.full ? formatPsELf(tasks, { nowNs: view.time }) : formatPsLA(tasks);
      io.out(text.endsWith('\n') ? text : `${text}\n`);
    });

  program
    .command('status')
    .description('the /proc/PID/status excerpt of a thread at a moment of a recording')
    .argument('<trace>', 'the recording')
    .argument('<tid>', 'the thread id')
    .option(atOption, atHelp)
    .action(async (path: string, tidText: string, options: { at?: string }) => {
      if (!/^\d+$/.test(tidText)) throw new CliError(`tid: ${JSON.stringify(tidText)} is not a thread id`, 2);
      const view = await viewAt(path, parseMoment(options.at));
      const task = viewTaskInfos(view).find((t) => t.tid === Number(tidText));
      if (task === undefined) throw new CliError(`no thread ${tidText} at ${where(view)} of ${path} (see ossim ps ${path})`, 1);
      const text = formatProcStatus(task);
      io.out(text.endsWith('\n') ? text : `${text}\n`);
    });

  program
    .command('meminfo')
    .description("/proc/meminfo's KernelStack line at a moment of a recording")
    .argument('<trace>', 'the recording')
    .option(atOption, atHelp)
    .action(async (path: string, options: { at?: string }) => {
      const view = await viewAt(path, parseMoment(options.at));
      io.out(`${formatKernelStackLine(view.kernelStackKb)}\n`);
    });

  program
    .command('strace')
    .description('strace -f of every thread of a recording, up to a moment')
    .argument('<trace>', 'the recording')
    .option('--timestamps <style>', 't, tt or ttt (strace -t, -tt, -ttt)')
    .option('-T, --durations', 'time spent in each call (strace -T)')
    .option(atOption, atHelp)
    .action(async (path: string, options: { timestamps?: string; durations?: boolean; at?: string }) => {
      const style = options.timestamps;
      if (style !== undefined && style !== 't' && style !== 'tt' && style !== 'ttt') {
        throw new CliError(`--timestamps: ${JSON.stringify(style)} is not one of t, tt, ttt`, 2);
      }
      const formatter = createStraceFormatter((line) => io.out(`${line}\n`), {
        ...(style === undefined ? {} : { timestamps: style as StraceTimestamps }),
        ...(options.durations ? { durations: true } : {}),
      });
      const feed = createStraceFeed((item) => formatter.push(item));
      await viewAt(path, parseMoment(options.at), (e) => feed.event(e));
      feed.end();
      formatter.end();
    });
}
