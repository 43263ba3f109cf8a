import { closeSync, existsSync, openSync, readSync, writeSync } from 'node:fs';
import { deserialize, serialize } from 'node:v8';
import { gunzipSync, gzipSync } from 'node:zlib';
import type { Kernel, KernelCheckpoint, RunResult } from '@ossim/kernel';
import { CliError } from './io.ts';

/**
 * Snapshots of a recording: `ossim run --record t.ndjson` also writes `t.ndjson.snapshots`,
 * a checkpoint of the whole machine every {@link SNAPSHOT_EVERY} events, so that showing a
 * moment of the recording (`ossim stack t.ndjson --at N`) re-executes from the nearest
 * checkpoint before N instead of from boot.
 *
 * The file: one JSON header line (`{"format":"ossim-snapshots","version":1,"every":N}`), then
 * per checkpoint a 4-byte big-endian length, a JSON line `{"seq","time","bytes"}` of that
 * length, and `bytes` bytes of gzip(v8.serialize(checkpoint)). Reading the index skips the bodies.
 */
export const SNAPSHOT_EVERY = 100_000;

const FORMAT = 'ossim-snapshots';

/** Where the snapshots of the recording at `trace` live. */
export const snapshotsPath = (trace: string): string => `${trace}.snapshots`;

/** A snapshot file being written beside a recording. */
export interface SnapshotWriter {
  readonly path: string;
  /** How many checkpoints were written. */
  readonly count: number;
  /** Runs `kernel` to the end of `options`, pausing every `every` events to write a checkpoint. */
  run(kernel: Kernel, options: { until?: number }): RunResult;
  close(): void;
}

/** Creates the snapshot file for a recording (replacing one only with `force`, as the recording itself). */
export function openSnapshots(trace: string, force: boolean | undefined, every = SNAPSHOT_EVERY): SnapshotWriter {
  const path = snapshotsPath(trace);
  if (existsSync(path) && force !== true) throw new CliError(`--record: ${path} exists (use --force to replace it)`, 1);
  const fd = openSync(path, 'w');
  writeSync(fd, `${JSON.stringify({ format: FORMAT, version: 1, every })}\n`);
  let count = 0;
  let open = true;
  const write = (cp: KernelCheckpoint): void => {
    const body = gzipSync(serialize(cp), { level: 1 });
    const meta = Buffer.from(JSON.stringify({ seq: cp.seq, time: cp.time, bytes: body.length }));
    const len = Buffer.alloc(4);
    len.writeUInt32BE(meta.length);
    writeSync(fd, len);
    writeSync(fd, meta);
    writeSync(fd, body);
    count++;
  };
  return {
    path,
    get count() {
      return count;
    },
    run(kernel, options) {
      let seen = 0;
      let next = every;
      const off = kernel.log.listen(() => {
        if (++seen === next) kernel.pause();
      });
      try {
        for (;;) {
          const r = kernel.run(options);
          if (seen < next || r.outcome !== 'ok' || r.finished) return r;
          write(kernel.checkpoint());
          next = seen + every;
        }
      } finally {
        off();
      }
    },
    close() {
      if (!open) return;
      open = false;
      closeSync(fd);
    },
  };
}

/** One entry of a snapshot file's index. */
interface Entry {
  readonly seq: number;
  readonly time: number;
  readonly offset: number;
  readonly bytes: number;
}

function readIndex(path: string): Entry[] {
  const fd = openSync(path, 'r');
  try {
    const head = Buffer.alloc(256);
    const n = readSync(fd, head, 0, head.length, 0);
    const nl = head.subarray(0, n).indexOf(10);
    let header: { format?: unknown; version?: unknown };
    try {
      header = JSON.parse(head.subarray(0, nl < 0 ? n : nl).toString('utf8')) as typeof header;
    } catch {
      throw new CliError(`${path}:1: not a snapshot file (its first line is not JSON)`, 1);
    }
    if (header.format !== FORMAT || header.version !== 1)
      throw new CliError(`${path}:1: not an ossim snapshot file of version 1 (format ${JSON.stringify(header.format)})`, 1);
    const entries: Entry[] = [];
    let at = nl + 1;
    const len = Buffer.alloc(4);
    for (;;) {
      const got = readSync(fd, len, 0, 4, at);
      if (got === 0) return entries;
      if (got < 4) throw new CliError(`${path}: truncated after ${entries.length} snapshot(s)`, 1);
      const size = len.readUInt32BE(0);
      const meta = Buffer.alloc(size);
      if (readSync(fd, meta, 0, size, at + 4) < size) throw new CliError(`${path}: truncated after ${entries.length} snapshot(s)`, 1);
      let m: { seq: number; time: number; bytes: number };
      try {
        m = JSON.parse(meta.toString('utf8')) as typeof m;
      } catch {
        throw new CliError(`${path}: snapshot ${entries.length + 1} has a malformed index entry`, 1);
      }
      entries.push({ seq: m.seq, time: m.time, offset: at + 4 + size, bytes: m.bytes });
      at += 4 + size + m.bytes;
    }
  } finally {
    closeSync(fd);
  }
}

/**
 * The latest checkpoint of the recording at `trace` taken at or before the moment (`seq`, or
 * `timeNs`), or undefined when the recording has no snapshot file or none is early enough.
 */
export function nearestSnapshot(trace: string, at: { seq: number } | { timeNs: number } | null): KernelCheckpoint | undefined {
  const path = snapshotsPath(trace);
  if (!existsSync(path)) return undefined;
  const entries = readIndex(path);
  let best: Entry | undefined;
  // At seq N the state is after event N: a checkpoint at seq <= N will do. By time, one strictly before it.
  for (const e of entries) if (at === null || ('seq' in at ? e.seq <= at.seq : e.time < at.timeNs)) best = e;
  if (best === undefined) return undefined;
  const fd = openSync(path, 'r');
  try {
    const body = Buffer.alloc(best.bytes);
    if (readSync(fd, body, 0, best.bytes, best.offset) < best.bytes)
      throw new CliError(`${path}: truncated snapshot at seq ${best.seq}`, 1);
    try {
      return deserialize(gunzipSync(body)) as KernelCheckpoint;
    } catch (e) {
      throw new CliError(`${path}: the snapshot at seq ${best.seq} is damaged (${(e as Error).message})`, 1);
    }
  } finally {
    closeSync(fd);
  }
}
