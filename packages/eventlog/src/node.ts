/**
 * Node.js file I/O for traces: recording to `.ndjson` / `.ndjson.gz` and opening
 * them again. Import from `@ossim/eventlog/node`; the rest of the package runs in
 * browsers too.
 */
import { closeSync, createReadStream, existsSync, openSync, writeSync } from 'node:fs';
import { createGunzip, gzipSync } from 'node:zlib';
import { EventlogError } from './errors.ts';
import type { EventMapBase } from './events.ts';
import type { EventLog, Unsubscribe } from './log.ts';
import { createTraceWriter, readTrace, type TraceHeader, type TraceReader, type TraceWriter } from './trace.ts';

/** A trace being recorded to a file. */
export interface TraceFileRecorder extends TraceWriter {
  readonly path: string;
  /** Writes every event of `log` from now on; returns a function that stops. */
  attach<M extends EventMapBase>(log: EventLog<M>): Unsubscribe;
  /** Flushes and closes the file. */
  close(): void;
}

/**
 * Records a trace to `path`, gzip-compressed when the name ends in `.gz`. Lines are
 * written in batches as the run goes, so a long run never holds its trace in memory.
 * An existing file is never replaced unless `overwrite` is set.
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
  const writer = createTraceWriter(
    header,
    (chunk) => {
      if (gz) writeSync(fd, gzipSync(chunk));
      else writeSync(fd, chunk);
    },
    options.batch === undefined ? {} : { batch: options.batch },
  );
  let closed = false;
  const detach: Unsubscribe[] = [];
  return {
    path,
    write: writer.write,
    flush: writer.flush,
    get count() {
      return writer.count;
    },
    attach(log) {
      const off = log.listen((event) => writer.write(event));
      detach.push(off);
      return off;
    },
    close() {
      if (closed) return;
      closed = true;
      for (const off of detach) off();
      writer.flush();
      closeSync(fd);
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
