import { ERRNOS, isSignalName, strerror } from '../errno.ts';
import { TraceError } from '../errors.ts';
import { checkNs, clockOfDay, pad6, secondsAndMicros } from '../internal/time.ts';
import type { SimClock } from '../types.ts';
import type { StraceReturn, StraceTimestamps } from './types.ts';

/** A system call starts: strace prints `name(args` and waits to see what comes next. */
export interface StraceCallStart {
  readonly kind: 'call-start';
  readonly tid: number;
  /** Simulated nanoseconds since boot. */
  readonly timeNs: number;
  readonly name: string;
  /** The arguments known at entry, as strace would print them (e.g. `3, ` for a read whose buffer is printed at exit). */
  readonly args: string;
}

/** The system call of `tid` returns. */
export interface StraceCallEnd {
  readonly kind: 'call-end';
  readonly tid: number;
  readonly timeNs: number;
  /** The rest of the arguments, printed at exit (the buffer a read filled, a struct the kernel wrote). */
  readonly args?: string;
  readonly ret: StraceReturn;
  /** The -T figure, when it differs from `timeNs` minus the start's time. */
  readonly durationNs?: number;
}

/** A signal is delivered to `tid`: `--- SIGCHLD {si_signo=SIGCHLD, ...} ---`. */
export interface StraceSignalDelivery {
  readonly kind: 'signal';
  readonly tid: number;
  readonly timeNs: number;
  readonly signal: string;
  /** The siginfo as strace prints it, `{si_signo=..., ...}` (see {@link sigchldInfo}). */
  readonly info: string;
}

/** `tid` exited: `+++ exited with N +++`. */
export interface StraceTaskExited {
  readonly kind: 'exited';
  readonly tid: number;
  readonly timeNs: number;
  readonly code: number;
}

/** `tid` was killed by a signal: `+++ killed by SIGSEGV +++`. */
export interface StraceTaskKilled {
  readonly kind: 'killed';
  readonly tid: number;
  readonly timeNs: number;
  readonly signal: string;
  readonly coreDumped?: boolean;
}

/** What the streaming strace formatter is fed, in time order. */
export type StraceItem = StraceCallStart | StraceCallEnd | StraceSignalDelivery | StraceTaskExited | StraceTaskKilled;

/** How strace was run. */
export interface StraceFormatOptions extends SimClock {
  /**
   * The tid column: `tid` is `strace -f -o FILE` (`%-5d `, the default), `pid` is
   * `strace -f` to the terminal (`[pid %5u] `), `none` a single-process trace.
   */
  readonly prefix?: 'tid' | 'pid' | 'none';
  /** -t, -tt or -ttt (default none). Wall-clock times come from `bootEpochSeconds`. */
  readonly timestamps?: StraceTimestamps;
  /** -T: the time spent in each call, ` <0.000123>` at the line's end. */
  readonly durations?: boolean;
}

/** A streaming `strace -f` formatter. */
export interface StraceFormatter {
  /** Feeds the next record (in time order); complete lines go to the sink as soon as they are known. */
  push(item: StraceItem): void;
  /**
   * Ends the trace: a call still being printed gets ` <unfinished ...>`, as when strace
   * detaches. Further pushes are errors.
   */
  end(): void;
}

/** strace's alignment: the `= ` of a result starts at column 40 or one space after the `)`. */
const RESULT_COLUMN = 40;
const SOURCE = 'strace formatter';

/** The text after `= `: `0`, `0x7f00`, `-1 EAGAIN (Resource temporarily unavailable)`, `?`. */
export function formatStraceReturn(ret: StraceReturn): string {
  switch (ret.kind) {
    case 'value': {
      if (!Number.isSafeInteger(ret.value) || (ret.hex === true && ret.value < 0)) {
        throw new TraceError('bad-input', `bad return value ${ret.value}`, { source: SOURCE });
      }
      const n = ret.hex === true ? `0x${ret.value.toString(16)}` : String(ret.value);
      return `${n}${ret.annotation ?? ''}${ret.comment === undefined ? '' : ` (${ret.comment})`}`;
    }
    case 'error':
      return `-1 ${ret.errno} (${message(ret.errno, ret.message)})`;
    case 'unknown':
      return ret.errno === undefined ? '?' : `? ${ret.errno} (${message(ret.errno, ret.message)})`;
  }
}

function message(errno: string, given: string | undefined): string {
  if (given !== undefined) return given;
  const text = strerror(errno);
  if (text === undefined) {
    throw new TraceError('bad-input', `unknown errno name ${JSON.stringify(errno)} (known: ${Object.keys(ERRNOS).join(' ')})`, {
      source: SOURCE,
    });
  }
  return text;
}

/**
 * The siginfo strace prints for SIGCHLD: `{si_signo=SIGCHLD, si_code=CLD_EXITED,
 * si_pid=6166, si_uid=0, si_status=0, si_utime=0, si_stime=0}`.
 */
export function sigchldInfo(child: {
  readonly pid: number;
  readonly uid?: number;
  /** CLD_EXITED with the exit status, or CLD_KILLED / CLD_DUMPED with the signal name. */
  readonly code?: 'CLD_EXITED' | 'CLD_KILLED' | 'CLD_DUMPED';
  readonly status: number | string;
  /** User and system time in clock ticks. */
  readonly utime?: number;
  readonly stime?: number;
}): string {
  return `{si_signo=SIGCHLD, si_code=${child.code ?? 'CLD_EXITED'}, si_pid=${child.pid}, si_uid=${child.uid ?? 0}, si_status=${child.status}, si_utime=${child.utime ?? 0}, si_stime=${child.stime ?? 0}}`;
}

/**
 * Creates a streaming `strace -f` formatter, fed call starts and ends and task events in
 * time order, as strace sees them. Like strace it holds the line of a call that has
 * started: if the same call ends next, the line is completed (`name(args) = ret`);
 * if anything else is printed first, the line is closed with ` <unfinished ...>` and
 * the call's end later prints as `<... name resumed>rest) = ret`.
 *
 * @example
 * ```ts
 * const lines: string[] = [];
 * const f = createStraceFormatter((line) => lines.push(line), { prefix: 'pid' });
 * f.push({ kind: 'call-start', tid: 7, timeNs: 0, name: 'read', args: '3, ' });
 * f.push({ kind: 'call-start', tid: 8, timeNs: 5, name: 'getpid', args: '' });
 * f.push({ kind: 'call-end', tid: 8, timeNs: 6, ret: { kind: 'value', value: 8 } });
 * f.push({ kind: 'call-end', tid: 7, timeNs: 9, args: '"hi", 2', ret: { kind: 'value', value: 2 } });
 * f.end();
 * // [pid     7] read(3,  <unfinished ...>
 * // [pid     8] getpid()                    = 8
 * // [pid     7] <... read resumed>"hi", 2) = 2
 * ```
 */
export function createStraceFormatter(sink: (line: string) => void, options: StraceFormatOptions = {}): StraceFormatter {
  const prefix = options.prefix ?? 'tid';
  const timestamps = options.timestamps ?? 'none';
  const durations = options.durations ?? false;
  const epoch = options.bootEpochSeconds ?? 0;
  if (!Number.isSafeInteger(epoch) || epoch < 0) {
    throw new TraceError('bad-input', `bootEpochSeconds must be a non-negative integer (got ${epoch})`, { source: SOURCE });
  }
  /** Calls in progress by tid: name and start time. */
  const open = new Map<number, { name: string; startNs: number }>();
  /** The line being printed (a call's start), not yet ended by a newline. */
  let pending: { tid: number; text: string } | undefined;
  let lastNs = 0;
  let ended = false;

  const head = (tid: number, timeNs: number): string => {
    let s = prefix === 'tid' ? `${String(tid).padEnd(5)} ` : prefix === 'pid' ? `[pid ${String(tid).padStart(5)}] ` : '';
    if (timestamps !== 'none') {
      const [sec, us] = secondsAndMicros(timeNs, epoch);
      if (timestamps === 'ttt') s += `${sec}.${pad6(us)} `;
      else s += timestamps === 'tt' ? `${clockOfDay(sec)}.${pad6(us)} ` : `${clockOfDay(sec)} `;
    }
    return s;
  };
  const flushPending = (): void => {
    if (pending !== undefined) {
      sink(`${pending.text} <unfinished ...>`);
      pending = undefined;
    }
  };
  const check = (item: StraceItem): void => {
    if (ended) throw new TraceError('bad-sequence', 'a record after end()', { source: SOURCE });
    if (!Number.isSafeInteger(item.tid) || item.tid < 0) {
      throw new TraceError('bad-input', `bad tid ${item.tid}`, { source: SOURCE });
    }
    checkNs(item.timeNs, 'timeNs', SOURCE);
    if (item.timeNs < lastNs) {
      throw new TraceError('out-of-order', `a ${item.kind} of tid ${item.tid} at ${item.timeNs} ns comes after ${lastNs} ns`, {
        source: SOURCE,
      });
    }
    lastNs = item.timeNs;
  };
  /** Completes the call of `tid` (on its pending line or as a resumed line). */
  const finish = (tid: number, timeNs: number, rest: string, ret: StraceReturn, durationNs: number | undefined): void => {
    const call = open.get(tid) as { name: string; startNs: number };
    open.delete(tid);
    let line: string;
    if (pending !== undefined && pending.tid === tid) {
      line = `${pending.text}${rest})`;
      pending = undefined;
    } else {
      flushPending();
      line = `${head(tid, timeNs)}<... ${call.name} resumed>${rest})`;
    }
    line = line.length < RESULT_COLUMN - 1 ? `${line.padEnd(RESULT_COLUMN)}= ` : `${line} = `;
    line += formatStraceReturn(ret);
    // A bare `?` is a call that never returned: strace prints no time for it.
    if (durations && !(ret.kind === 'unknown' && ret.errno === undefined)) {
      const d = durationNs ?? timeNs - call.startNs;
      checkNs(d, 'durationNs', SOURCE);
      const [sec, us] = secondsAndMicros(d, 0);
      line += ` <${sec}.${pad6(us)}>`;
    }
    sink(line);
  };

  return {
    push(item) {
      check(item);
      switch (item.kind) {
        case 'call-start': {
          if (open.has(item.tid)) {
            throw new TraceError('bad-sequence', `tid ${item.tid} starts ${item.name} inside ${open.get(item.tid)?.name}`, {
              source: SOURCE,
            });
          }
          if (!/^[A-Za-z0-9_?]+$/.test(item.name)) {
            throw new TraceError('bad-input', `bad system call name ${JSON.stringify(item.name)}`, { source: SOURCE });
          }
          flushPending();
          open.set(item.tid, { name: item.name, startNs: item.timeNs });
          pending = { tid: item.tid, text: `${head(item.tid, item.timeNs)}${item.name}(${item.args}` };
          return;
        }
        case 'call-end':
          if (!open.has(item.tid)) {
            throw new TraceError('bad-sequence', `tid ${item.tid} ends a system call it never started`, { source: SOURCE });
          }
          finish(item.tid, item.timeNs, item.args ?? '', item.ret, item.durationNs);
          return;
        case 'signal':
          checkSignal(item.signal);
          flushPending();
          sink(`${head(item.tid, item.timeNs)}--- ${item.signal} ${item.info} ---`);
          return;
        case 'exited':
        case 'killed': {
          if (item.kind === 'killed') checkSignal(item.signal);
          if (item.kind === 'exited' && (!Number.isInteger(item.code) || item.code < 0 || item.code > 255)) {
            throw new TraceError('bad-input', `exit code ${item.code} is not 0-255`, { source: SOURCE });
          }
          // A task that dies inside a call: strace closes the call with `= ?` first.
          if (open.has(item.tid)) finish(item.tid, item.timeNs, '', { kind: 'unknown' }, undefined);
          flushPending();
          const what =
            item.kind === 'exited'
              ? `exited with ${item.code}`
              : `killed by ${item.signal}${item.coreDumped === true ? ' (core dumped)' : ''}`;
          sink(`${head(item.tid, item.timeNs)}+++ ${what} +++`);
          return;
        }
      }
    },
    end() {
      if (ended) return;
      flushPending();
      ended = true;
    },
  };
}

function checkSignal(name: string): void {
  if (!isSignalName(name)) throw new TraceError('bad-input', `unknown signal name ${JSON.stringify(name)}`, { source: SOURCE });
}

/**
 * Formats a whole sequence of records (in time order) as `strace -f` text, one line per
 * `\n`-terminated line. See {@link createStraceFormatter}.
 */
export function formatStrace(items: Iterable<StraceItem>, options: StraceFormatOptions = {}): string {
  const lines: string[] = [];
  const f = createStraceFormatter((line) => lines.push(line), options);
  for (const item of items) f.push(item);
  f.end();
  return lines.length === 0 ? '' : `${lines.join('\n')}\n`;
}
