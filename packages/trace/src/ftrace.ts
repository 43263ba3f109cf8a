import { TraceError } from './errors.ts';
import { checkNs, pad6 } from './internal/time.ts';
import type { TaskState } from './types.ts';

/**
 * The latency-format flag columns of an ftrace line (kernel/trace/trace_output.c,
 * `trace_print_lat_fmt`), as the context of the event was when it was recorded.
 */
export interface LatencyFlags {
  /** Interrupts disabled (`d`; `D` with bottom halves off too). */
  readonly irqsOff?: boolean;
  /** Bottom halves (softirqs) disabled (`b`). */
  readonly bhOff?: boolean;
  /** TIF_NEED_RESCHED set. */
  readonly needResched?: boolean;
  /** TIF_NEED_RESCHED_LAZY set (PREEMPT_LAZY). */
  readonly needReschedLazy?: boolean;
  /** PREEMPT_NEED_RESCHED folded into the preempt count. With `needResched`, the usual `N`. */
  readonly preemptResched?: boolean;
  /** In a hard interrupt handler. */
  readonly hardirq?: boolean;
  /** In a softirq. */
  readonly softirq?: boolean;
  /** In an NMI. */
  readonly nmi?: boolean;
  /** preempt_count's preemption depth, 0-15 (`.` for 0). */
  readonly preemptDepth?: number;
  /** migrate_disable() depth, 0-15 (`.` for 0). */
  readonly migrateDisable?: number;
}

/** The five flag characters, e.g. `d..2.` (irqs-off, need-resched, hardirq/softirq, preempt depth, migrate-disable). */
export function formatLatencyFlags(f: LatencyFlags = {}): string {
  for (const [k, v] of [
    ['preemptDepth', f.preemptDepth ?? 0],
    ['migrateDisable', f.migrateDisable ?? 0],
  ] as const) {
    if (!Number.isInteger(v) || v < 0 || v > 15)
      throw new TraceError('bad-input', `${k} must be 0-15 (got ${v})`, { source: 'formatLatencyFlags' });
  }
  const irqs = f.irqsOff === true && f.bhOff === true ? 'D' : f.irqsOff === true ? 'd' : f.bhOff === true ? 'b' : '.';
  const nr = f.needResched === true;
  const lazy = f.needReschedLazy === true;
  const pr = f.preemptResched === true;
  const resched = nr && lazy && pr ? 'B' : nr && pr ? 'N' : lazy && pr ? 'L' : nr && lazy ? 'b' : nr ? 'n' : pr ? 'p' : lazy ? 'l' : '.';
  const hs =
    f.nmi === true && f.hardirq === true
      ? 'Z'
      : f.nmi === true
        ? 'z'
        : f.hardirq === true && f.softirq === true
          ? 'H'
          : f.hardirq === true
            ? 'h'
            : f.softirq === true
              ? 's'
              : '.';
  const digit = (n: number | undefined): string => (n === undefined || n === 0 ? '.' : n.toString(16));
  return `${irqs}${resched}${hs}${digit(f.preemptDepth)}${digit(f.migrateDisable)}`;
}

/**
 * The priority the scheduler events print (`p->prio`): 120 + nice for normal tasks
 * (100-139), 99 - rt_priority for real-time ones (0-98).
 *
 * @example
 * ```ts
 * ftracePrio({ nice: 0 }); // 120
 * ftracePrio({ rtPriority: 50 }); // 49
 * ```
 */
export function ftracePrio(p: { readonly nice: number } | { readonly rtPriority: number }): number {
  if ('nice' in p) {
    if (!Number.isInteger(p.nice) || p.nice < -20 || p.nice > 19)
      throw new TraceError('bad-input', `nice must be -20..19 (got ${p.nice})`, { source: 'ftracePrio' });
    return 120 + p.nice;
  }
  if (!Number.isInteger(p.rtPriority) || p.rtPriority < 1 || p.rtPriority > 99) {
    throw new TraceError('bad-input', `rtPriority must be 1..99 (got ${p.rtPriority})`, { source: 'ftracePrio' });
  }
  return 99 - p.rtPriority;
}

/** `sched_switch`: the CPU switches from `prev` to `next`. */
export interface SchedSwitch {
  readonly event: 'sched_switch';
  readonly prevComm: string;
  readonly prevPid: number;
  readonly prevPrio: number;
  /**
   * The state prev left in: `R` if it is still runnable, else the letters of its sleep
   * (`S`, `D`, `T`, `t`, `X`, `Z`, `P`, `I`; several are joined by `|`).
   */
  readonly prevState: TaskState | readonly TaskState[];
  /** prev was preempted while running: prints `R+`. */
  readonly preempted?: boolean;
  readonly nextComm: string;
  readonly nextPid: number;
  readonly nextPrio: number;
}

/** `sched_waking` (the wakeup starts), `sched_wakeup` (the task is on a run queue), `sched_wakeup_new` (a new task's first wakeup). */
export interface SchedWakeup {
  readonly event: 'sched_waking' | 'sched_wakeup' | 'sched_wakeup_new';
  readonly comm: string;
  readonly pid: number;
  readonly prio: number;
  readonly targetCpu: number;
}

/** A scheduler trace event's fields. */
export type FtraceEvent = SchedSwitch | SchedWakeup;

/** One line of the trace: which task was current on which CPU, when, and the event. */
export interface FtraceEntry {
  /** The current task's comm (shown as `<idle>` for pid 0, as trace_find_cmdline does). */
  readonly comm: string;
  readonly pid: number;
  readonly cpu: number;
  /** Simulated nanoseconds since boot (the trace clock). */
  readonly timeNs: number;
  readonly flags?: LatencyFlags;
  readonly fields: FtraceEvent;
}

const STATE_ORDER: readonly TaskState[] = ['S', 'D', 'T', 't', 'X', 'Z', 'P', 'I'];

function prevStateText(e: SchedSwitch): string {
  const source = 'formatFtraceLine';
  const letters = typeof e.prevState === 'string' ? [e.prevState] : [...e.prevState];
  if (letters.length === 0) throw new TraceError('bad-input', 'prevState is empty', { source });
  if (letters.includes('R')) {
    if (letters.length > 1) throw new TraceError('bad-input', `prevState R cannot be combined (${letters.join('|')})`, { source });
    return e.preempted === true ? 'R+' : 'R';
  }
  if (e.preempted === true) throw new TraceError('bad-input', `a preempted task's prevState is R (got ${letters.join('|')})`, { source });
  for (const l of letters) {
    if (!STATE_ORDER.includes(l)) throw new TraceError('bad-input', `unknown prevState ${JSON.stringify(l)}`, { source });
  }
  // __print_flags prints the set bits in the table's order.
  return STATE_ORDER.filter((l) => letters.includes(l)).join('|');
}

function checkInt(v: number, what: string, min: number, max: number): void {
  if (!Number.isInteger(v) || v < min || v > max)
    throw new TraceError('bad-input', `${what} must be ${min}..${max} (got ${v})`, { source: 'formatFtraceLine' });
}

/**
 * One line of `/sys/kernel/tracing/trace`, as trace_output.c prints it:
 * `%16s-%-7d [%03d] <flags> %5lu.%06lu: <event>: <fields>`.
 *
 * @example
 * ```ts
 * formatFtraceLine({ comm: 'swapper/0', pid: 0, cpu: 0, timeNs: 2076129000000, flags: { irqsOff: true, preemptDepth: 2 },
 *   fields: { event: 'sched_switch', prevComm: 'swapper/0', prevPid: 0, prevPrio: 120, prevState: 'R',
 *             nextComm: 'bash', nextPid: 812, nextPrio: 120 } });
 * // '          <idle>-0       [000] d..2.  2076.129000: sched_switch: prev_comm=swapper/0 prev_pid=0 prev_prio=120 prev_state=R ==> next_comm=bash next_pid=812 next_prio=120'
 * ```
 */
export function formatFtraceLine(entry: FtraceEntry): string {
  checkInt(entry.pid, 'pid', 0, 2 ** 31 - 1);
  checkInt(entry.cpu, 'cpu', 0, 4095);
  checkNs(entry.timeNs, 'timeNs', 'formatFtraceLine');
  const comm = entry.pid === 0 ? '<idle>' : entry.comm.slice(0, 15);
  const us = Math.floor(entry.timeNs / 1000);
  const time = `${String(Math.floor(us / 1e6)).padStart(5)}.${pad6(us % 1e6)}`;
  const head = `${comm.padStart(16)}-${String(entry.pid).padEnd(7)} [${String(entry.cpu).padStart(3, '0')}] ${formatLatencyFlags(entry.flags)} ${time}: `;
  const e = entry.fields;
  if (e.event === 'sched_switch') {
    checkInt(e.prevPid, 'prevPid', 0, 2 ** 31 - 1);
    checkInt(e.nextPid, 'nextPid', 0, 2 ** 31 - 1);
    checkInt(e.prevPrio, 'prevPrio', 0, 139);
    checkInt(e.nextPrio, 'nextPrio', 0, 139);
    return `${head}sched_switch: prev_comm=${e.prevComm.slice(0, 15)} prev_pid=${e.prevPid} prev_prio=${e.prevPrio} prev_state=${prevStateText(e)} ==> next_comm=${e.nextComm.slice(0, 15)} next_pid=${e.nextPid} next_prio=${e.nextPrio}`;
  }
  checkInt(e.pid, 'pid', 0, 2 ** 31 - 1);
  checkInt(e.prio, 'prio', 0, 139);
  checkInt(e.targetCpu, 'targetCpu', 0, 4095);
  return `${head}${e.event}: comm=${e.comm.slice(0, 15)} pid=${e.pid} prio=${e.prio} target_cpu=${String(e.targetCpu).padStart(3, '0')}`;
}

/**
 * The header of `/sys/kernel/tracing/trace` for the nop tracer with the default options
 * (irq-info on, no tgid): `# tracer: nop`, the entry counts and CPU count, and the
 * column legend (kernel/trace/trace.c, `print_func_help_header_irq`).
 */
export function formatFtraceHeader(options: { readonly entries: number; readonly written?: number; readonly cpus: number }): string {
  const written = options.written ?? options.entries;
  checkInt(options.entries, 'entries', 0, Number.MAX_SAFE_INTEGER);
  checkInt(written, 'written', options.entries, Number.MAX_SAFE_INTEGER);
  checkInt(options.cpus, 'cpus', 1, 4096);
  const sp = '  '; // "%.*s" of spaces with prec 2 (no tgid column)
  return [
    '# tracer: nop',
    '#',
    `# entries-in-buffer/entries-written: ${options.entries}/${written}   #P:${options.cpus}`,
    '#',
    `#                            ${sp}  _-----=> irqs-off/BH-disabled`,
    `#                            ${sp} / _----=> need-resched`,
    `#                            ${sp}| / _---=> hardirq/softirq`,
    `#                            ${sp}|| / _--=> preempt-depth`,
    `#                            ${sp}||| / _-=> migrate-disable`,
    `#                            ${sp}|||| /     delay`,
    `#           TASK-PID  ${sp} CPU#  |||||  TIMESTAMP  FUNCTION`,
    `#              | |    ${sp}   |   |||||     |         |`,
    '',
  ].join('\n');
}

/**
 * A whole trace file: the header (with as many entries as given, written = entries
 * unless said otherwise) and one line per entry, in the order given (the kernel merges
 * per-CPU buffers by timestamp; give them sorted).
 */
export function formatFtrace(entries: readonly FtraceEntry[], options: { readonly cpus: number; readonly written?: number }): string {
  let lastNs = 0;
  for (const e of entries) {
    if (e.timeNs < lastNs)
      throw new TraceError('out-of-order', `an entry at ${e.timeNs} ns after one at ${lastNs} ns`, { source: 'formatFtrace' });
    lastNs = e.timeNs;
    if (e.cpu >= options.cpus)
      throw new TraceError('bad-input', `cpu ${e.cpu} on a machine of ${options.cpus} CPUs`, { source: 'formatFtrace' });
  }
  const header = formatFtraceHeader({
    entries: entries.length,
    cpus: options.cpus,
    ...(options.written === undefined ? {} : { written: options.written }),
  });
  return header + entries.map((e) => `${formatFtraceLine(e)}\n`).join('');
}
