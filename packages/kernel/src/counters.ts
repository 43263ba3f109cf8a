import type { OssimEvent } from '@ossim/eventlog';
import type { RunResult } from './kernel.ts';

/**
 * What a run did, counted from its events: the figures a comparison of two variants on
 * the same inputs shows (`ossim replay --os`, the web app's Compare view).
 */
export interface RunCounters {
  readonly os: string;
  readonly outcome: string;
  readonly cause: string | null;
  readonly simulatedNs: number;
  readonly events: number;
  readonly contextSwitches: number;
  /** Switches away from a task that was still runnable. */
  readonly preemptions: number;
  /** System calls that returned (from `syscall.enter` to `syscall.exit` of the same thread). */
  readonly syscalls: number;
  readonly syscallLatencyAvgNs: number;
  readonly syscallLatencyMaxNs: number;
  /** From `task.wake` to the switch that runs the task. */
  readonly wakeLatencyAvgNs: number;
  readonly wakeLatencyMaxNs: number;
  /** The highest `/proc/meminfo` KernelStack seen. */
  readonly peakKernelStackKb: number;
  /** The fewest bytes a dead task left unused on its stack (`kstack.greatest_depth`), or null. */
  readonly leastStackBytesLeft: number | null;
  /** The deepest a trap found a task's kernel stack: its top minus the SP after the trap frame. */
  readonly deepestStackBytes: number;
}

/** Counts a run's events as they come (from a log listener, or a recording's events). */
export interface RunCounter {
  add(event: OssimEvent): void;
  /** The counters, with the run's end. */
  result(os: string, end: Pick<RunResult, 'outcome' | 'cause' | 'simulatedNs'>): RunCounters;
}

/**
 * Creates a {@link RunCounter}.
 *
 * @example
 * ```ts
 * const counter = createRunCounter();
 * const kernel = createKernel({ os: PRESETS.i386, workload, attach: (log) => log.listen((e) => counter.add(e)) });
 * const counters = counter.result('i386', kernel.run());
 * ```
 */
export function createRunCounter(): RunCounter {
  let events = 0;
  let switches = 0;
  let preemptions = 0;
  let syscalls = 0;
  let latSum = 0;
  let latMax = 0;
  let wakeN = 0;
  let wakeSum = 0;
  let wakeMax = 0;
  let peakKb = 0;
  let least: number | null = null;
  let deepest = 0;
  const entered = new Map<number, number>();
  const woken = new Map<number, number>();
  const tops = new Map<number, number>();
  const current: number[] = [];
  return {
    add(e) {
      events++;
      switch (e.type) {
        case 'task.new':
          tops.set(e.tid, e.kstackTop);
          break;
        case 'sched.switch': {
          switches++;
          if (e.preempt) preemptions++;
          current[e.cpu] = e.nextTid;
          const w = woken.get(e.nextTid);
          if (w !== undefined) {
            woken.delete(e.nextTid);
            wakeN++;
            wakeSum += e.time - w;
            wakeMax = Math.max(wakeMax, e.time - w);
          }
          break;
        }
        case 'task.wake':
          woken.set(e.tid, e.time);
          break;
        case 'syscall.enter':
          entered.set(e.tid, e.time);
          break;
        case 'syscall.exit': {
          const start = entered.get(e.tid);
          if (start !== undefined) {
            entered.delete(e.tid);
            syscalls++;
            latSum += e.time - start;
            latMax = Math.max(latMax, e.time - start);
          }
          break;
        }
        case 'cpu.trap_enter': {
          const top = tops.get(current[e.cpu] ?? 0);
          if (top !== undefined && (e.stack === 'sp0' || e.stack === 'current') && e.spAfter <= top)
            deepest = Math.max(deepest, top - e.spAfter);
          break;
        }
        case 'kstack.account':
          peakKb = Math.max(peakKb, e.kernelStackKb);
          break;
        case 'kstack.greatest_depth':
          least = least === null ? e.bytesLeft : Math.min(least, e.bytesLeft);
          break;
      }
    },
    result(os, end) {
      return {
        os,
        outcome: end.outcome,
        cause: end.cause,
        simulatedNs: end.simulatedNs,
        events,
        contextSwitches: switches,
        preemptions,
        syscalls,
        syscallLatencyAvgNs: syscalls === 0 ? 0 : Math.round(latSum / syscalls),
        syscallLatencyMaxNs: latMax,
        wakeLatencyAvgNs: wakeN === 0 ? 0 : Math.round(wakeSum / wakeN),
        wakeLatencyMaxNs: wakeMax,
        peakKernelStackKb: peakKb,
        leastStackBytesLeft: least,
        deepestStackBytes: deepest,
      };
    },
  };
}

/** One row of a side-by-side comparison of runs: what it shows and how to read it from the counters. */
export interface RunCounterRow {
  readonly label: string;
  readonly unit: 'text' | 'count' | 'ns' | 'bytes' | 'kB';
  /** The value, or null when the run has none (no dead task, so no greatest depth). */
  value(r: RunCounters): string | number | null;
}

/** The rows `ossim replay --os` and the web app's Compare show, in order (the cause is shown apart). */
export const RUN_COUNTER_ROWS: readonly RunCounterRow[] = [
  { label: 'outcome', unit: 'text', value: (r) => r.outcome },
  { label: 'simulated time', unit: 'ns', value: (r) => r.simulatedNs },
  { label: 'events', unit: 'count', value: (r) => r.events },
  { label: 'context switches', unit: 'count', value: (r) => r.contextSwitches },
  { label: '  of them preemptions', unit: 'count', value: (r) => r.preemptions },
  { label: 'system calls', unit: 'count', value: (r) => r.syscalls },
  { label: 'syscall latency avg', unit: 'ns', value: (r) => r.syscallLatencyAvgNs },
  { label: 'syscall latency max', unit: 'ns', value: (r) => r.syscallLatencyMaxNs },
  { label: 'wake-up to run latency avg', unit: 'ns', value: (r) => r.wakeLatencyAvgNs },
  { label: 'wake-up to run latency max', unit: 'ns', value: (r) => r.wakeLatencyMaxNs },
  { label: 'KernelStack peak', unit: 'kB', value: (r) => r.peakKernelStackKb },
  { label: 'least stack left (greatest depth)', unit: 'bytes', value: (r) => r.leastStackBytesLeft },
  { label: 'deepest kernel stack at a trap', unit: 'bytes', value: (r) => r.deepestStackBytes },
];

/** A row's value as text, with times in the caller's format (`formatNs`); `-` when there is none. */
export function showRunCounter(row: RunCounterRow, r: RunCounters, formatNs: (ns: number) => string): string {
  const v = row.value(r);
  if (v === null) return '-';
  switch (row.unit) {
    case 'ns':
      return formatNs(v as number);
    case 'bytes':
      return `${v} bytes`;
    case 'kB':
      return `${v} kB`;
    default:
      return String(v);
  }
}
