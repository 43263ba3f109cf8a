import { TraceError } from './errors.ts';
import { checkNs } from './internal/time.ts';

/**
 * The pid under which {@link ChromeTraceBuilder.cpu} puts the CPU tracks: PID_MAX_LIMIT
 * (4194304, include/linux/threads.h), which no Linux task can have.
 */
export const CPU_TRACK_PID = 4194304;

/** A track of the trace viewer: a (pid, tid) pair whose slices nest. */
export interface ChromeTrack {
  readonly pid: number;
  readonly tid: number;
}

/** Optional fields of a slice or instant. */
export interface ChromeEventOptions {
  /** Category (default `ossim`). */
  readonly cat?: string;
  /** Shown in the viewer's details pane; must be JSON-serialisable. */
  readonly args?: Readonly<Record<string, unknown>>;
}

/** A streaming writer of Chrome Trace Event Format JSON (chrome://tracing, Perfetto). */
export interface ChromeTraceBuilder {
  /** Names a process (a `process_name` metadata event, plus `process_sort_index` when given). */
  process(pid: number, name: string, sortIndex?: number): void;
  /** Names a thread track (`thread_name`, plus `thread_sort_index` when given). */
  thread(track: ChromeTrack, name: string, sortIndex?: number): void;
  /** The track of CPU `cpu` (process {@link CPU_TRACK_PID} "CPUs", thread "CPU n"), named on first use. */
  cpu(cpu: number): ChromeTrack;
  /** Opens a slice (`B`). Slices on a track must close in reverse order of opening. */
  begin(track: ChromeTrack, name: string, timeNs: number, options?: ChromeEventOptions): void;
  /** Closes the innermost open slice of the track (`E`); `name`, when given, must be that slice's. */
  end(track: ChromeTrack, timeNs: number, name?: string): void;
  /** A complete slice (`X`), which must fit inside the track's open slices. */
  complete(track: ChromeTrack, name: string, timeNs: number, durationNs: number, options?: ChromeEventOptions): void;
  /** An instant (`i`) of thread (`t`), process (`p`) or global (`g`) scope. */
  instant(track: ChromeTrack, name: string, timeNs: number, options?: ChromeEventOptions & { readonly scope?: 't' | 'p' | 'g' }): void;
  /** A counter sample (`C`): each key of `values` is a series of the counter `name` of process `pid`. */
  counter(pid: number, name: string, timeNs: number, values: Readonly<Record<string, number>>): void;
  /** The slices still open on a track, outermost first. */
  openSlices(track: ChromeTrack): readonly string[];
  /**
   * Finishes the JSON. Open slices are an error, unless `closeOpenAt` is given: then
   * they are closed at that time, innermost first (a trace cut at some moment).
   */
  finish(options?: { readonly closeOpenAt?: number }): void;
}

const SOURCE = 'chrome trace';

/** Simulated nanoseconds as the format's microseconds (fractional). */
function us(ns: number): number {
  return ns / 1000;
}

/**
 * Creates a streaming Chrome Trace Event JSON writer: `sink` receives the text in pieces,
 * which together form `{"traceEvents":[...],"displayTimeUnit":"ns"}`. Every event has
 * `name`, `cat`, `ph`, `ts` (microseconds, fractional, from simulated ns), `pid`, `tid`
 * and `args`. Nesting is enforced per track: closing a slice that is not the innermost
 * open one, or one that was never opened, is a {@link TraceError}, as is time going
 * backwards on a track.
 *
 * @example
 * ```ts
 * let json = '';
 * const trace = createChromeTrace((s) => { json += s; });
 * const t = { pid: 1, tid: 1 };
 * trace.process(1, 'init');
 * trace.thread(t, 'init');
 * trace.begin(t, 'write', 1000);
 * trace.end(t, 2500, 'write');
 * trace.finish();
 * JSON.parse(json).traceEvents.length; // 3
 * ```
 */
export function createChromeTrace(sink: (chunk: string) => void): ChromeTraceBuilder {
  const open = new Map<string, Array<{ name: string; ns: number }>>();
  const lastNs = new Map<string, number>();
  const cpus = new Set<number>();
  const counters = new Map<string, number>();
  let first = true;
  let finished = false;

  const emit = (event: Record<string, unknown>): void => {
    if (finished) throw new TraceError('bad-sequence', 'an event after finish()', { source: SOURCE });
    sink(`${first ? '{"traceEvents":[\n' : ',\n'}${JSON.stringify(event)}`);
    first = false;
  };
  const key = (t: ChromeTrack): string => {
    if (!Number.isSafeInteger(t.pid) || !Number.isSafeInteger(t.tid))
      throw new TraceError('bad-input', `bad track ${t.pid}/${t.tid}`, { source: SOURCE });
    return `${t.pid}/${t.tid}`;
  };
  const at = (t: ChromeTrack, ns: number, what: string): string => {
    const k = key(t);
    checkNs(ns, `${what} time`, SOURCE);
    const last = lastNs.get(k) ?? 0;
    if (ns < last)
      throw new TraceError('out-of-order', `${what} at ${ns} ns on track ${k} after an event at ${last} ns`, { source: SOURCE });
    lastNs.set(k, ns);
    return k;
  };
  const stack = (k: string): Array<{ name: string; ns: number }> => {
    let s = open.get(k);
    if (s === undefined) {
      s = [];
      open.set(k, s);
    }
    return s;
  };
  const meta = (name: string, pid: number, tid: number, args: Record<string, unknown>): void =>
    emit({ name, cat: '__metadata', ph: 'M', ts: 0, pid, tid, args });

  const builder: ChromeTraceBuilder = {
    process(pid, name, sortIndex) {
      key({ pid, tid: 0 });
      meta('process_name', pid, 0, { name });
      if (sortIndex !== undefined) meta('process_sort_index', pid, 0, { sort_index: sortIndex });
    },
    thread(track, name, sortIndex) {
      key(track);
      meta('thread_name', track.pid, track.tid, { name });
      if (sortIndex !== undefined) meta('thread_sort_index', track.pid, track.tid, { sort_index: sortIndex });
    },
    cpu(cpu) {
      if (!Number.isInteger(cpu) || cpu < 0) throw new TraceError('bad-input', `bad cpu ${cpu}`, { source: SOURCE });
      const track = { pid: CPU_TRACK_PID, tid: cpu };
      if (!cpus.has(cpu)) {
        if (cpus.size === 0) builder.process(CPU_TRACK_PID, 'CPUs', -1);
        cpus.add(cpu);
        builder.thread(track, `CPU ${cpu}`, cpu);
      }
      return track;
    },
    begin(track, name, timeNs, options = {}) {
      const k = at(track, timeNs, `begin of ${name}`);
      stack(k).push({ name, ns: timeNs });
      emit({ name, cat: options.cat ?? 'ossim', ph: 'B', ts: us(timeNs), pid: track.pid, tid: track.tid, args: options.args ?? {} });
    },
    end(track, timeNs, name) {
      const k = at(track, timeNs, `end of ${name ?? 'a slice'}`);
      const s = stack(k);
      const top = s[s.length - 1];
      if (top === undefined)
        throw new TraceError('nesting', `end of ${name ?? 'a slice'} on track ${k}, which has no open slice`, { source: SOURCE });
      if (name !== undefined && name !== top.name) {
        throw new TraceError(
          'nesting',
          `end of ${name} on track ${k}, whose innermost open slice is ${top.name} (open: ${s.map((x) => x.name).join(' > ')})`,
          {
            source: SOURCE,
          },
        );
      }
      s.pop();
      emit({ name: top.name, cat: 'ossim', ph: 'E', ts: us(timeNs), pid: track.pid, tid: track.tid, args: {} });
    },
    complete(track, name, timeNs, durationNs, options = {}) {
      checkNs(durationNs, `duration of ${name}`, SOURCE);
      const k = at(track, timeNs, `slice ${name}`);
      const top = stack(k).at(-1);
      if (top !== undefined && timeNs < top.ns) {
        throw new TraceError('nesting', `slice ${name} at ${timeNs} ns starts before its enclosing ${top.name} (${top.ns} ns)`, {
          source: SOURCE,
        });
      }
      // The track's clock moves to the slice's end: what follows must not overlap it.
      lastNs.set(k, timeNs + durationNs);
      emit({
        name,
        cat: options.cat ?? 'ossim',
        ph: 'X',
        ts: us(timeNs),
        dur: us(durationNs),
        pid: track.pid,
        tid: track.tid,
        args: options.args ?? {},
      });
    },
    instant(track, name, timeNs, options = {}) {
      at(track, timeNs, `instant ${name}`);
      emit({
        name,
        cat: options.cat ?? 'ossim',
        ph: 'i',
        s: options.scope ?? 't',
        ts: us(timeNs),
        pid: track.pid,
        tid: track.tid,
        args: options.args ?? {},
      });
    },
    counter(pid, name, timeNs, values) {
      key({ pid, tid: 0 });
      checkNs(timeNs, `counter ${name} time`, SOURCE);
      const ck = `${pid}:${name}`;
      const last = counters.get(ck) ?? 0;
      if (timeNs < last)
        throw new TraceError('out-of-order', `counter ${name} of ${pid} at ${timeNs} ns after a sample at ${last} ns`, { source: SOURCE });
      counters.set(ck, timeNs);
      for (const [series, v] of Object.entries(values)) {
        if (!Number.isFinite(v)) throw new TraceError('bad-input', `counter ${name}.${series} is not a finite number`, { source: SOURCE });
      }
      emit({ name, cat: 'ossim', ph: 'C', ts: us(timeNs), pid, tid: 0, args: values });
    },
    openSlices(track) {
      return (open.get(key(track)) ?? []).map((s) => s.name);
    },
    finish(options = {}) {
      if (finished) return;
      const still = [...open.entries()].filter(([, s]) => s.length > 0);
      if (still.length > 0) {
        if (options.closeOpenAt === undefined) {
          const list = still.map(([k, s]) => `${k}: ${s.map((x) => x.name).join(' > ')}`).join('; ');
          throw new TraceError('nesting', `slices still open at the end (${list})`, { source: SOURCE });
        }
        for (const [k, s] of still) {
          const [pid, tid] = k.split('/').map(Number) as [number, number];
          while (s.length > 0) builder.end({ pid, tid }, options.closeOpenAt);
        }
      }
      sink(`${first ? '{"traceEvents":[' : '\n'}],"displayTimeUnit":"ns"}\n`);
      finished = true;
    },
  };
  return builder;
}
