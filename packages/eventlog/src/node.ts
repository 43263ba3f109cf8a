/**
 * Node.js file I/O for traces: recording to `.ndjson` / `.ndjson.gz` and opening
 * them again. Import from `@ossim/eventlog/node`; the rest of the package runs in
 * browsers too.
 */
import { closeSync, createReadStream, existsSync, openSync, writeSync } from 'node:fs';
import { Worker } from 'node:worker_threads';
import { createGunzip, gzipSync } from 'node:zlib';
import { EventlogError } from './errors.ts';
import type { EventMapBase } from './events.ts';
import { CHUNK_SLOTS, createEventDecoder, createEventEncoder } from './internal/eventCodec.ts';
import type { EventLog, Unsubscribe } from './log.ts';
import { readTrace, type TraceHeader, type TraceReader, type TraceWriter } from './trace.ts';

/** A trace being recorded to a file. */
export interface TraceFileRecorder extends TraceWriter {
  readonly path: string;
  /** Writes every event of `log` from now on; returns a function that stops. */
  attach<M extends EventMapBase>(log: EventLog<M>): Unsubscribe;
  /** Flushes and closes the file. */
  close(): void;
}

/**
 * Chunk buffers shared with the writer thread, reused round and round: no buffer is allocated
 * per chunk (megabytes of ArrayBuffers a second would make the run's thread collect garbage).
 * When all are waiting to be written, the simulation waits for the writer.
 */
const SLOTS = 8;
const STATE = 0;
const PENDING = 1;
const RUNNING = 0;
const DONE = 1;
const FAILED = 2;

/** The writer thread: decodes chunks to NDJSON lines and appends them to the file (one gzip member each for .gz). */
const writerSource = (): string => `'use strict';
const { parentPort, workerData } = require('node:worker_threads');
const { writeSync } = require('node:fs');
const { gzipSync } = require('node:zlib');
const __name = (f) => f;
const decode = (${createEventDecoder.toString()})();
const { fd, gz, control, busy, error } = workerData;
const fail = (e) => {
  const text = new TextEncoder().encode(String(e && e.message ? e.message : e));
  error.set(text.subarray(0, error.length));
  Atomics.store(control, 0, ${FAILED});
  Atomics.notify(control, 0);
  Atomics.store(control, 1, 0);
  Atomics.notify(control, 1);
};
parentPort.on('message', (m) => {
  if (Atomics.load(control, 0) === ${FAILED}) return;
  try {
    if (m.chunk) {
      const text = decode(m.chunk);
      if (text.length > 0) writeSync(fd, gz ? gzipSync(text) : text);
      if (m.slot >= 0) {
        Atomics.store(busy, m.slot, 0);
        Atomics.sub(control, 1, 1);
        Atomics.notify(control, 1);
      }
    }
    if (m.close) {
      Atomics.store(control, 0, ${DONE});
      Atomics.notify(control, 0);
      parentPort.close();
    }
  } catch (e) {
    fail(e);
  }
});
`;

/**
 * Records a trace to `path`, gzip-compressed when the name ends in `.gz`. The simulation's
 * thread only copies each event's values into a compact binary chunk; a writer thread turns
 * the chunks into the NDJSON lines (`JSON.stringify` of each event, byte for byte what a
 * synchronous writer gives) and writes them as the run goes, so a long run never holds its
 * trace in memory and the run pays little for being recorded. `close()` waits until every
 * line is in the file. An existing file is never replaced unless `overwrite` is set.
 *
 * @example
 * ```ts
 * const rec = recordTraceFile('run.ndjson.gz', createTraceHeader('0.1.0', inputs));
 * rec.attach(log);
 * // ... run ...
 * rec.close();
 * ```
 */
export function recordTraceFile(
  path: string,
  header: TraceHeader,
  options: { overwrite?: boolean; batch?: number } = {},
): TraceFileRecorder {
  if (!options.overwrite && existsSync(path)) {
    throw new EventlogError('file-exists', 'the file already exists (not overwriting it)', { source: path });
  }
  let fd: number;
  try {
    fd = openSync(path, 'w');
  } catch (cause) {
    throw new EventlogError('io', `cannot create the trace file (${(cause as Error).message})`, { source: path, cause });
  }
  // Each batch becomes one gzip member; concatenated members are one valid gzip stream.
  const gz = path.endsWith('.gz');
  const headerLine = `${JSON.stringify(header)}\n`;
  try {
    if (gz) writeSync(fd, gzipSync(headerLine));
    else writeSync(fd, headerLine);
  } catch (cause) {
    closeSync(fd);
    throw new EventlogError('io', `cannot write the trace file (${(cause as Error).message})`, { source: path, cause });
  }
  const batch = options.batch ?? 16_384;
  const control = new Int32Array(new SharedArrayBuffer(8));
  const error = new Uint8Array(new SharedArrayBuffer(1024));
  const busy = new Int32Array(new SharedArrayBuffer(4 * SLOTS));
  const slots = Array.from({ length: SLOTS }, () => new Float64Array(new SharedArrayBuffer(8 * CHUNK_SLOTS)));
  const worker = new Worker(writerSource(), { eval: true, workerData: { fd, gz, control, busy, error } });
  worker.unref();
  const failure = (): EventlogError => {
    const end = error.indexOf(0);
    const message = new TextDecoder().decode(error.slice(0, end < 0 ? error.length : end));
    return new EventlogError('io', `cannot write the trace file (${message})`, { source: path });
  };
  /** The slot the encoder writes into now. */
  let lent = -1;
  const allocate = (): Float64Array => {
    // Backpressure: a writer that falls behind holds the simulation, not the memory.
    for (let p = Atomics.load(control, PENDING); p >= SLOTS; p = Atomics.load(control, PENDING)) {
      if (Atomics.load(control, STATE) === FAILED) throw failure();
      Atomics.wait(control, PENDING, p, 1000);
    }
    for (let k = 0; k < SLOTS; k++) {
      if (Atomics.load(busy, k) !== 0) continue;
      Atomics.store(busy, k, 1);
      Atomics.add(control, PENDING, 1);
      lent = k;
      return slots[k] as Float64Array;
    }
    throw new Error('recorder: no free chunk although fewer than all are pending');
  };
  const encoder = createEventEncoder({ allocate });
  let count = 0;
  let closed = false;
  const flush = (): void => {
    const slot = lent;
    const chunk = encoder.take();
    if (chunk === null) return;
    if (Atomics.load(control, STATE) === FAILED) throw failure();
    if (chunk.values === slots[slot]) {
      worker.postMessage({ chunk, slot });
      return;
    }
    // A value too big for a chunk moved its events to a buffer of their own: that one travels, the slot is free again.
    Atomics.store(busy, slot, 0);
    Atomics.sub(control, PENDING, 1);
    worker.postMessage({ chunk, slot: -1 }, [chunk.values.buffer as ArrayBuffer]);
  };
  const write = (event: { readonly seq: number; readonly time: number; readonly type: string }): void => {
    encoder.encode(event);
    count++;
    // A batch of events, or a chunk nearly full (an event rarely takes more than a few dozen values).
    if (encoder.pending >= batch || encoder.used > CHUNK_SLOTS - 4096) flush();
  };
  const detach: Unsubscribe[] = [];
  return {
    path,
    write,
    flush,
    get count() {
      return count;
    },
    attach(log) {
      const off = log.listen((event) => write(event));
      detach.push(off);
      return off;
    },
    close() {
      if (closed) return;
      closed = true;
      for (const off of detach) off();
      try {
        flush();
        worker.postMessage({ close: true });
        while (Atomics.load(control, STATE) === RUNNING) Atomics.wait(control, STATE, RUNNING, 1000);
        if (Atomics.load(control, STATE) === FAILED) throw failure();
      } finally {
        void worker.terminate();
        closeSync(fd);
      }
    },
  };
}

/**
 * Opens a trace file for streaming (gzip recognised by its magic bytes, whatever the
 * name). Resolves once the header is read; bad content rejects with an
 * {@link EventlogError} naming the file and line.
 */
export async function openTraceFile(path: string): Promise<TraceReader> {
  if (!existsSync(path)) throw new EventlogError('io', 'no such file', { source: path });
  return readTrace(fileChunks(path), path);
}

async function* fileChunks(path: string): AsyncGenerator<Uint8Array> {
  const raw = createReadStream(path, { highWaterMark: 1 << 20 });
  let gunzip: ReturnType<typeof createGunzip> | undefined;
  let first = true;
  for await (const chunk of raw as AsyncIterable<Buffer>) {
    if (first) {
      first = false;
      if (chunk.length >= 2 && chunk[0] === 0x1f && chunk[1] === 0x8b) {
        raw.destroy();
        gunzip = createGunzip();
        createReadStream(path, { highWaterMark: 1 << 20 })
          .on('error', (e) => gunzip?.destroy(e))
          .pipe(gunzip);
        break;
      }
    }
    yield chunk;
  }
  if (gunzip !== undefined) yield* gunzip as AsyncIterable<Buffer>;
}
