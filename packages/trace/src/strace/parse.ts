import { TraceError } from '../errors.ts';
import { parseStraceArgs } from './args.ts';
import { buildTasks } from './tree.ts';
import type { StraceCall, StraceLog, StraceRecord, StraceReturn, StraceTimestamps } from './types.ts';

/** Options of {@link parseStrace}. */
export interface StraceParseOptions {
  /** The log's name, used in errors (`run.strace:12: ...`). */
  readonly source: string;
  /**
   * The tid of lines without a pid column (a trace of one process, or strace -f to a
   * terminal while one process was traced). Default: the only task alive at that point,
   * else 0 (unknown).
   */
  readonly tid?: number;
  /** Parse each call's arguments into `parsed` (default true); false keeps only the raw text. */
  readonly parseArgs?: boolean;
}

/** An incremental strace log parser: feed it lines, then `end()`. */
export interface StraceParser {
  /** Parses the next line (with or without its line terminator). */
  push(line: string): void;
  /** Finishes: derives the tasks and returns the log. */
  end(): StraceLog;
}

const UNFINISHED = ' <unfinished ...>';
const EXITED = /^\+\+\+ exited with (\d+) \+\+\+$/;
const KILLED = /^\+\+\+ killed by (SIG[A-Z0-9_]+)( \(core dumped\))? \+\+\+$/;
const SUPERSEDED = /^\+\+\+ superseded by execve in pid (\d+) \+\+\+$/;
const SIGNAL = /^--- (SIG[A-Z0-9_]+) (\{.*\}) ---$/;
const STOPPED = /^--- stopped by (SIG[A-Z0-9_]+) ---$/;
const RESUMED = ' resumed>';

interface MutableCall {
  kind: 'call';
  tid: number;
  name: string;
  args: string;
  parsed: StraceCall['parsed'];
  entryArgs?: string;
  ret?: StraceReturn;
  timeUs?: number;
  endTimeUs?: number;
  durationUs?: number;
  line: number;
  endLine?: number;
}

function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}

/**
 * Creates an incremental parser of `strace -f` logs. See {@link parseStrace} for what it
 * accepts. Memory: the records (one object per call).
 */
export function createStraceParser(options: StraceParseOptions): StraceParser {
  const source = options.source;
  const parseArgs = options.parseArgs ?? true;
  const records: StraceRecord[] = [];
  /** The unfinished call of each tid. */
  const unfinished = new Map<number, MutableCall>();
  /** Tasks traced now, for lines without a pid column (strace omits it while one process is traced). */
  const live = new Set<number>();
  let timestamps: StraceTimestamps | undefined;
  let durations = false;
  let lineNo = 0;
  let ended = false;

  const fail = (code: 'bad-line' | 'orphan-resumed' | 'resumed-mismatch' | 'overlapping-call', reason: string): TraceError =>
    new TraceError(code, reason, { source, line: lineNo });

  // What `tail` read: the index of the `)` before ` = `, the result and the -T duration.
  let tailParen = 0;
  let tailRet: StraceReturn = { kind: 'unknown' };
  let tailDuration: number | undefined;
  /** Parses `= ret [<dur>]` ending `line` into tailParen, tailRet and tailDuration. */
  const tail = (line: string, from: number): void => {
    let end = line.length;
    let durationUs: number | undefined;
    if (line.charCodeAt(end - 1) === 62) {
      // -T: ` <0.000653>`
      const lt = line.lastIndexOf(' <', end);
      const d = lt === -1 ? undefined : decimalUs(line, lt + 2, end - 1);
      if (d !== undefined) {
        durationUs = d;
        end = lt;
        durations = true;
      }
    }
    const eq = line.lastIndexOf(' = ', end);
    if (eq < from) throw fail('bad-line', `no " = result" in ${JSON.stringify(line)}`);
    let paren = eq;
    while (paren > from && line.charCodeAt(paren - 1) === 32) paren--;
    paren--;
    if (paren < from || line.charCodeAt(paren) !== 41) throw fail('bad-line', `no ")" before " = " in ${JSON.stringify(line)}`);
    const ret = parseReturn(line.slice(eq + 3, end));
    if (ret === undefined) throw fail('bad-line', `cannot read the result ${JSON.stringify(line.slice(eq + 3, end))}`);
    tailParen = paren;
    tailRet = ret;
    tailDuration = durationUs;
  };

  const tidFor = (explicit: number | undefined): number => {
    if (explicit !== undefined) return explicit;
    if (options.tid !== undefined) return options.tid;
    if (live.size === 1) return live.values().next().value as number;
    if (live.size === 0) return 0;
    throw fail('bad-line', `a line without a pid column while ${live.size} tasks are traced (${[...live].join(', ')})`);
  };

  const push = (raw: string): void => {
    if (ended) throw new TraceError('bad-line', 'a line after end()', { source, line: lineNo + 1 });
    lineNo++;
    let line = raw;
    let n = line.length;
    while (n > 0 && (line.charCodeAt(n - 1) === 10 || line.charCodeAt(n - 1) === 13)) n--;
    if (n !== line.length) line = line.slice(0, n);
    if (line.trim() === '') return;

    if (line.startsWith('strace: Process ')) {
      const m = /^strace: Process (\d+) (attached|detached)$/.exec(line);
      if (m === null) throw fail('bad-line', `an unknown strace message ${JSON.stringify(line)}`);
      const tid = Number(m[1]);
      records.push({ kind: m[2] as 'attached' | 'detached', tid, line: lineNo });
      if (m[2] === 'attached') live.add(tid);
      else live.delete(tid);
      return;
    }

    // The pid column: `[pid  6161] ` (strace -f to a terminal) or `6161  ` (with -o).
    let p = 0;
    let tid: number | undefined;
    if (line.startsWith('[pid ')) {
      p = 5;
      while (line.charCodeAt(p) === 32) p++;
      const s = p;
      while (isDigit(line.charCodeAt(p))) p++;
      if (p === s || line.charCodeAt(p) !== 93 || line.charCodeAt(p + 1) !== 32) throw fail('bad-line', 'a malformed [pid N] prefix');
      tid = Number(line.slice(s, p));
      p += 2;
    } else if (isDigit(line.charCodeAt(0))) {
      while (isDigit(line.charCodeAt(p))) p++;
      if (line.charCodeAt(p) === 32) {
        tid = Number(line.slice(0, p));
        while (line.charCodeAt(p) === 32) p++;
      } else {
        p = 0;
      }
    }
    while (line.charCodeAt(p) === 32) p++;

    // The timestamp: -t `22:13:29`, -tt `22:13:29.789392`, -ttt `1795299209.789392`.
    let kind: StraceTimestamps = 'none';
    let timeUs: number | undefined;
    if (isDigit(line.charCodeAt(p))) {
      const s = p;
      while (isDigit(line.charCodeAt(p))) p++;
      if (line.charCodeAt(p) === 58) {
        const m = /^(\d+):(\d\d):(\d\d)(?:\.(\d+))? /.exec(line.slice(s, s + 32));
        if (m === null) throw fail('bad-line', 'a malformed HH:MM:SS timestamp');
        timeUs = (Number(m[1]) * 3600 + Number(m[2]) * 60 + Number(m[3])) * 1e6 + (m[4] === undefined ? 0 : fractionUs(m[4]));
        kind = m[4] === undefined ? 't' : 'tt';
        p = s + m[0].length;
      } else if (line.charCodeAt(p) === 46) {
        const dot = p;
        p++;
        while (isDigit(line.charCodeAt(p))) p++;
        if (line.charCodeAt(p) !== 32 || p === dot + 1) throw fail('bad-line', 'a malformed seconds.microseconds timestamp');
        timeUs = Number(line.slice(s, dot)) * 1e6 + fractionUs(line.slice(dot + 1, p));
        kind = 'ttt';
        p++;
      } else {
        throw fail('bad-line', `cannot read ${JSON.stringify(line)}`);
      }
    }
    if (timestamps === undefined) timestamps = kind;
    else if (kind !== timestamps) {
      throw fail(
        'bad-line',
        `a ${kind === 'none' ? 'line without a timestamp' : `-${kind} timestamp`} in a log timed ${timestamps === 'none' ? 'without timestamps' : `with -${timestamps}`}`,
      );
    }
    const c = line.charCodeAt(p);

    if (c === 60 && line.startsWith('<... ', p)) {
      // `<... name resumed>rest) = ret`
      const r = line.indexOf(RESUMED, p + 5);
      if (r === -1) throw fail('bad-line', `a malformed resumed line ${JSON.stringify(line)}`);
      const name = line.slice(p + 5, r);
      const t = tidFor(tid);
      const call = unfinished.get(t);
      if (call === undefined) throw fail('orphan-resumed', `\`<... ${name} resumed>\` with no unfinished ${name} on tid ${t}`);
      if (call.name !== name) {
        throw fail('resumed-mismatch', `\`<... ${name} resumed>\` on tid ${t}, whose unfinished call is ${call.name} (line ${call.line})`);
      }
      tail(line, r + RESUMED.length);
      const ret = tailRet;
      const durationUs = tailDuration;
      let rest = line.slice(r + RESUMED.length, tailParen);
      // A task killed inside the call: `<... futex resumed> <unfinished ...>) = ?`.
      if (rest === UNFINISHED) rest = '';
      unfinished.delete(t);
      call.args += rest;
      if (parseArgs) call.parsed = parseStraceArgs(call.args);
      call.ret = ret;
      call.endLine = lineNo;
      if (timeUs !== undefined) call.endTimeUs = timeUs;
      if (durationUs !== undefined) call.durationUs = durationUs;
      noteCreated(call);
      return;
    }
    if (c === 43 && line.startsWith('+++ ', p)) {
      const t = tidFor(tid);
      const body = line.slice(p);
      const at = timeUs === undefined ? {} : { timeUs };
      const exited = EXITED.exec(body);
      const killed = exited === null ? KILLED.exec(body) : null;
      const superseded = exited === null && killed === null ? SUPERSEDED.exec(body) : null;
      if (exited !== null) records.push({ kind: 'exited', tid: t, code: Number(exited[1]), ...at, line: lineNo });
      else if (killed !== null) {
        records.push({ kind: 'killed', tid: t, signal: killed[1] as string, coreDumped: killed[2] !== undefined, ...at, line: lineNo });
      } else if (superseded !== null) {
        records.push({ kind: 'superseded', tid: t, by: Number(superseded[1]), ...at, line: lineNo });
      } else {
        throw fail('bad-line', `an unknown +++ line ${JSON.stringify(body)}`);
      }
      // The task is gone: a call it left unfinished never returns.
      unfinished.delete(t);
      live.delete(t);
      return;
    }
    if (c === 45 && line.startsWith('--- ', p)) {
      const t = tidFor(tid);
      const body = line.slice(p);
      const at = timeUs === undefined ? {} : { timeUs };
      const signal = SIGNAL.exec(body);
      const stopped = signal === null ? STOPPED.exec(body) : null;
      if (signal !== null)
        records.push({ kind: 'signal', tid: t, signal: signal[1] as string, info: signal[2] as string, ...at, line: lineNo });
      else if (stopped !== null) records.push({ kind: 'signal', tid: t, signal: stopped[1] as string, stopped: true, ...at, line: lineNo });
      else throw fail('bad-line', `an unknown --- line ${JSON.stringify(body)}`);
      live.add(t);
      return;
    }

    // `name(args) = ret` or `name(args <unfinished ...>`
    let q = p;
    for (;;) {
      const d = line.charCodeAt(q);
      if ((d >= 97 && d <= 122) || isDigit(d) || d === 95 || (d >= 65 && d <= 90) || d === 63) q++;
      else break;
    }
    if (q === p || line.charCodeAt(q) !== 40) throw fail('bad-line', `cannot read ${JSON.stringify(line)}`);
    const t = tidFor(tid);
    live.add(t);
    const previous = unfinished.get(t);
    if (previous !== undefined) {
      throw fail(
        'overlapping-call',
        `tid ${t} starts ${line.slice(p, q)} while its ${previous.name} (line ${previous.line}) is unfinished`,
      );
    }
    const call: MutableCall = { kind: 'call', tid: t, name: line.slice(p, q), args: '', parsed: [], line: lineNo };
    if (timeUs !== undefined) call.timeUs = timeUs;
    if (line.endsWith(UNFINISHED)) {
      call.args = line.slice(q + 1, line.length - UNFINISHED.length);
      call.entryArgs = call.args;
      unfinished.set(t, call);
    } else {
      tail(line, q + 1);
      const durationUs = tailDuration;
      call.args = line.slice(q + 1, tailParen);
      call.ret = tailRet;
      if (durationUs !== undefined) {
        call.durationUs = durationUs;
        if (timeUs !== undefined) call.endTimeUs = timeUs + durationUs;
      }
      if (parseArgs) call.parsed = parseStraceArgs(call.args);
      noteCreated(call);
    }
    records.push(call as StraceCall);
  };

  /** A successful clone/fork/vfork makes its child a traced task. */
  const noteCreated = (call: MutableCall): void => {
    const n = call.name;
    if ((n === 'clone' || n === 'clone3' || n === 'fork' || n === 'vfork') && call.ret?.kind === 'value' && call.ret.value > 0) {
      live.add(call.ret.value);
    }
  };

  return {
    push,
    end() {
      if (!ended) ended = true;
      return {
        source,
        timestamps: timestamps ?? 'none',
        durations,
        records,
        tasks: buildTasks(records),
        lines: lineNo,
      };
    },
  };
}

/** Microseconds from the digits after a decimal point (truncated to 6 digits). */
function fractionUs(digits: string): number {
  return digits.length >= 6 ? Number(digits.slice(0, 6)) : Number(digits) * 10 ** (6 - digits.length);
}

/** `0.000653` in `line[start, end)` as microseconds, or undefined if it is not `digits.digits`. */
function decimalUs(line: string, start: number, end: number): number | undefined {
  const dot = line.indexOf('.', start);
  if (dot === -1 || dot >= end || dot === start || dot === end - 1) return undefined;
  for (let i = start; i < end; i++) if (i !== dot && !isDigit(line.charCodeAt(i))) return undefined;
  return Number(line.slice(start, dot)) * 1e6 + fractionUs(line.slice(dot + 1, end));
}

const VALUE = /^(-?\d+|0x[0-9a-fA-F]+)(<.*>)?(?: \((.*)\))?$/;
const ERROR = /^(-1|\?) ([A-Z][A-Z0-9_]*) \((.*)\)$/;

/** Reads the text after `= `, or undefined. */
function parseReturn(text: string): StraceReturn | undefined {
  if (text === '?') return { kind: 'unknown' };
  // The common case, a plain decimal or hex number, without a regular expression.
  const c0 = text.charCodeAt(0);
  if (c0 >= 48 && c0 <= 57 && text.length < 16) {
    const hex = c0 === 48 && text.charCodeAt(1) === 120;
    let i = hex ? 2 : 0;
    for (; i < text.length; i++) {
      const c = text.charCodeAt(i);
      if (!((c >= 48 && c <= 57) || (hex && ((c >= 97 && c <= 102) || (c >= 65 && c <= 70))))) break;
    }
    if (i === text.length && i > (hex ? 2 : 0))
      return hex ? { kind: 'value', value: Number.parseInt(text.slice(2), 16), hex: true } : { kind: 'value', value: Number(text) };
  }
  const e = ERROR.exec(text);
  if (e !== null) {
    return e[1] === '?'
      ? { kind: 'unknown', errno: e[2] as string, message: e[3] as string }
      : { kind: 'error', errno: e[2] as string, message: e[3] as string };
  }
  const m = VALUE.exec(text);
  if (m === null) return undefined;
  const t = m[1] as string;
  const hex = t.startsWith('0x');
  const value = hex ? Number.parseInt(t.slice(2), 16) : Number(t);
  return {
    kind: 'value',
    value,
    ...(hex ? { hex: true } : {}),
    ...(m[2] === undefined ? {} : { annotation: m[2] }),
    ...(m[3] === undefined ? {} : { comment: m[3] }),
  };
}

/**
 * Parses a real `strace -f` log into records per tid, joining each call printed as
 * `<unfinished ...>` ... `<... name resumed>` into one record, and derives the tasks
 * (who created whom, threads vs processes, per-tid system call names).
 *
 * Accepts: no timestamps, -t, -tt or -ttt (one kind per log), with or without -T; a
 * tid column (`strace -o`, `%-5d `), a `[pid N]` prefix (strace -f to a terminal) or none;
 * `--- SIG... {...} ---`, `+++ exited with N +++`, `+++ killed by SIG... +++`,
 * `+++ superseded by execve in pid N +++`, `strace: Process N attached|detached`; results
 * `0`, `0x...`, `-1 ENOENT (...)`, `?`, `? ERESTARTSYS (...)`, `3</dev/null>`, `0 (Timeout)`.
 * Blank lines are allowed. Any other line is a {@link TraceError} naming the source and the
 * line, as is a `<... resumed>` with no unfinished start, or a second call started on a tid
 * whose call is unfinished. A call still unfinished at the end of the log keeps no `ret`.
 *
 * Give it the whole text, or an async iterable of lines (e.g. `readline`'s interface over a
 * file stream) to stream a long log.
 *
 * @example
 * ```ts
 * const log = parseStrace('6161  close(3) = 0\n6161  +++ exited with 0 +++\n', { source: 'run.strace' });
 * log.tasks[0]?.syscalls; // ['close']
 * ```
 */
export function parseStrace(text: string, options: StraceParseOptions): StraceLog;
export function parseStrace(lines: AsyncIterable<string>, options: StraceParseOptions): Promise<StraceLog>;
export function parseStrace(input: string | AsyncIterable<string>, options: StraceParseOptions): StraceLog | Promise<StraceLog> {
  const parser = createStraceParser(options);
  if (typeof input === 'string') {
    let start = 0;
    while (start < input.length) {
      let nl = input.indexOf('\n', start);
      if (nl === -1) nl = input.length;
      parser.push(input.slice(start, nl));
      start = nl + 1;
    }
    return parser.end();
  }
  return (async () => {
    for await (const line of input) parser.push(line);
    return parser.end();
  })();
}
