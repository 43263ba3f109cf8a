import { EventlogError } from './errors.ts';
import type { OssimEvent } from './events.ts';

/** The trace format's name, in every header. */
export const TRACE_FORMAT = 'ossim-trace';
/** The version of the trace format this package writes and reads. */
export const TRACE_FORMAT_VERSION = 1;

/** What a run was made of: enough to run it again. */
export interface TraceInputs {
  /** The OS variant (a preset name or a full variant configuration). */
  readonly os: unknown;
  /** The workload (a scenario name, a program, a workload description). */
  readonly workload: unknown;
  /** The seed of the run's random generator. */
  readonly seed: number;
  /** Where the run was told to stop, in simulated ns (absent: it ran to its end). */
  readonly untilNs?: number;
}

/** The first line of every trace. */
export interface TraceHeader {
  readonly format: typeof TRACE_FORMAT;
  readonly version: number;
  /** Version of ossim that wrote the trace. */
  readonly ossim: string;
  readonly inputs: TraceInputs;
}

/** Builds a trace header for the given inputs. */
export function createTraceHeader(ossim: string, inputs: TraceInputs): TraceHeader {
  return { format: TRACE_FORMAT, version: TRACE_FORMAT_VERSION, ossim, inputs };
}

/** Where a trace writer puts its text: called with whole lines, in order. */
export type TextSink = (chunk: string) => void;

/** Writes a trace as NDJSON: the header line, then one event per line, in batches. */
export interface TraceWriter {
  /** Appends an event; events must come in seq order. */
  write(event: OssimEvent | { readonly seq: number; readonly time: number; readonly type: string }): void;
  /** Hands every buffered line to the sink. */
  flush(): void;
  /** Number of events written so far. */
  readonly count: number;
}

/**
 * Creates a trace writer. Lines are batched (every `batch` events, default 4096)
 * before they reach `sink`, so the cost per event is one `JSON.stringify`.
 */
export function createTraceWriter(header: TraceHeader, sink: TextSink, options: { batch?: number } = {}): TraceWriter {
  const batch = options.batch ?? 4096;
  // Lines are appended to one string (V8 keeps it as a rope until it is written).
  let text = `${JSON.stringify(header)}\n`;
  let pending = 1;
  let count = 0;
  const flush = (): void => {
    if (pending === 0) return;
    sink(text);
    text = '';
    pending = 0;
  };
  return {
    write(event) {
      text += `${JSON.stringify(event)}\n`;
      count++;
      if (++pending >= batch) flush();
    },
    flush,
    get count() {
      return count;
    },
  };
}

/**
 * Validates trace lines one at a time: the header first, then events whose seq
 * follow each other without gaps from 1 and whose time never goes back.
 */
export class TraceValidator {
  readonly source: string;
  header: TraceHeader | undefined;
  private lastSeq = 0;
  private lastTime = 0;
  /** 1-based number of the last line handed in. */
  line = 0;

  constructor(source: string) {
    this.source = source;
  }

  /** Checks and parses the next line; returns the event, or undefined for the header. */
  next(text: string): OssimEvent | undefined {
    this.line++;
    if (this.header === undefined) {
      this.header = this.parseHeader(text);
      return undefined;
    }
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (cause) {
      throw this.fail('bad-json', `bad JSON (${(cause as Error).message})`, cause);
    }
    const event = value as { seq?: unknown; time?: unknown; type?: unknown };
    if (typeof value !== 'object' || value === null || Array.isArray(value)) throw this.fail('bad-event', 'an event must be a JSON object');
    const { seq, time, type } = event;
    if (typeof seq !== 'number' || !Number.isSafeInteger(seq)) throw this.fail('bad-event', 'the event has no integer "seq"');
    if (typeof time !== 'number' || !Number.isSafeInteger(time) || time < 0)
      throw this.fail('bad-event', 'the event has no non-negative integer "time"');
    if (typeof type !== 'string' || type === '') throw this.fail('bad-event', 'the event has no "type"');
    if (seq !== this.lastSeq + 1) {
      throw seq > this.lastSeq
        ? this.fail(
            'seq-gap',
            `seq jumps from ${this.lastSeq} to ${seq} (${seq - this.lastSeq === 2 ? `event ${seq - 1} is` : `events ${this.lastSeq + 1}..${seq - 1} are`} missing)`,
          )
        : this.fail('seq-disorder', `seq ${seq} comes after seq ${this.lastSeq}`);
    }
    if (time < this.lastTime) throw this.fail('time-backwards', `time goes back from ${this.lastTime} ns to ${time} ns at seq ${seq}`);
    this.lastSeq = seq;
    this.lastTime = time;
    return value as OssimEvent;
  }

  /** Called at the end of the input with what followed the last newline. */
  end(rest: string): OssimEvent | undefined {
    if (rest.trim() === '') {
      if (this.header === undefined)
        throw new EventlogError('missing-header', 'the trace is empty: no header line', { source: this.source, line: 1 });
      return undefined;
    }
    try {
      JSON.parse(rest);
    } catch (cause) {
      this.line++;
      throw this.fail('truncated', 'the last line is cut short (the file is truncated)', cause);
    }
    return this.next(rest);
  }

  fail(code: ConstructorParameters<typeof EventlogError>[0], reason: string, cause?: unknown): EventlogError {
    return new EventlogError(code, reason, { source: this.source, line: this.line, cause });
  }

  private parseHeader(text: string): TraceHeader {
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      throw this.fail('missing-header', `the first line is not an ${TRACE_FORMAT} header (not JSON)`);
    }
    const header = value as Partial<TraceHeader> | null;
    if (typeof header !== 'object' || header === null || header.format !== TRACE_FORMAT) {
      throw this.fail('missing-header', `the first line is not an ${TRACE_FORMAT} header`);
    }
    if (header.version !== TRACE_FORMAT_VERSION) {
      throw this.fail(
        'unknown-version',
        `trace format version ${JSON.stringify(header.version)} is not supported (this ossim reads version ${TRACE_FORMAT_VERSION})`,
      );
    }
    const inputs = header.inputs as Partial<TraceInputs> | undefined;
    if (typeof inputs !== 'object' || inputs === null || typeof inputs.seed !== 'number' || !('os' in inputs) || !('workload' in inputs)) {
      throw this.fail('bad-header', 'the header has no "inputs" with "os", "workload" and a numeric "seed"');
    }
    if (typeof header.ossim !== 'string') throw this.fail('bad-header', 'the header has no "ossim" version string');
    return header as TraceHeader;
  }
}

/** A trace being read: its header, then its events, streamed once. */
export interface TraceReader {
  readonly source: string;
  readonly header: TraceHeader;
  /** The events in order, validated as they stream. Can be iterated once (this or `batches`). */
  readonly events: AsyncIterable<OssimEvent>;
  /** The same events in arrays, one per chunk read: the fastest way through a long trace. */
  readonly batches: AsyncIterable<readonly OssimEvent[]>;
}

/**
 * Reads a trace from chunks of text or bytes (UTF-8), streaming: only one chunk and
 * its lines are held at a time. Works on any async iterable, so a browser can feed
 * it a `File`'s stream and Node a file's. Resolves once the header is read.
 */
export async function readTrace(chunks: AsyncIterable<string | Uint8Array>, source: string): Promise<TraceReader> {
  const validator = new TraceValidator(source);
  const batches = traceBatches(chunks, validator)[Symbol.asyncIterator]();
  // Read up to the first batch holding an event, so the header is known.
  let head = await batches.next();
  while (!head.done && head.value.length === 0) head = await batches.next();
  let pending: IteratorResult<OssimEvent[]> | undefined = head;
  const header = validator.header as TraceHeader;
  let used = false;
  const claim = (): void => {
    if (used) throw new Error(`the events of ${source} can be iterated once`);
    used = true;
  };
  const nextBatch = (): Promise<IteratorResult<OssimEvent[]>> => {
    if (pending !== undefined) {
      const p = pending;
      pending = undefined;
      return Promise.resolve(p);
    }
    return batches.next();
  };
  return {
    source,
    header,
    batches: {
      [Symbol.asyncIterator]() {
        claim();
        return {
          next: nextBatch,
          return: (value?: unknown) => batches.return?.(value) ?? Promise.resolve({ done: true, value: undefined }),
        };
      },
    },
    events: {
      [Symbol.asyncIterator]() {
        claim();
        let batch: OssimEvent[] = [];
        let index = 0;
        // A hand-written iterator: one resolved promise per event, no generator resumption.
        const next = async (): Promise<IteratorResult<OssimEvent>> => {
          while (index >= batch.length) {
            const r = await nextBatch();
            if (r.done) return { done: true, value: undefined };
            batch = r.value;
            index = 0;
          }
          return { done: false, value: batch[index++] as OssimEvent };
        };
        return {
          next: () => (index < batch.length ? Promise.resolve({ done: false, value: batch[index++] as OssimEvent }) : next()),
          return: (value?: unknown) => batches.return?.(value) ?? Promise.resolve({ done: true, value: undefined }),
        } as AsyncIterator<OssimEvent>;
      },
    },
  };
}

async function* traceBatches(chunks: AsyncIterable<string | Uint8Array>, validator: TraceValidator): AsyncGenerator<OssimEvent[]> {
  const decoder = new TextDecoder('utf-8', { fatal: false });
  let rest = '';
  try {
    for await (const chunk of chunks) {
      const text = rest + (typeof chunk === 'string' ? chunk : decoder.decode(chunk, { stream: true }));
      const batch: OssimEvent[] = [];
      let start = 0;
      let nl = text.indexOf('\n');
      while (nl !== -1) {
        const event = validator.next(text.slice(start, nl));
        if (event !== undefined) batch.push(event);
        start = nl + 1;
        nl = text.indexOf('\n', start);
      }
      rest = text.slice(start);
      yield batch;
    }
  } catch (cause) {
    if (cause instanceof EventlogError) throw cause;
    // The byte source failed (a cut gzip stream, a read error): name the line it stopped at.
    const message = (cause as Error).message ?? String(cause);
    const truncated = /unexpected end|truncat|incomplete/i.test(message);
    throw new EventlogError(truncated ? 'truncated' : 'io', truncated ? `the file is truncated (${message})` : message, {
      source: validator.source,
      line: validator.line + 1,
      cause,
    });
  }
  const event = validator.end(rest + decoder.decode());
  if (event !== undefined) yield [event];
}
