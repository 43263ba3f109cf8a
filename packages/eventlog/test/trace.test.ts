import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createTraceHeader, createTraceWriter, EventlogError, type OssimEvent, readTrace } from '../src/index.ts';
import { openTraceFile, recordTraceFile } from '../src/node.ts';
import { runModel } from './model.ts';

const params = { seed: 9, cpus: 2, tickNs: 4_000_000, durationNs: 400_000_000, irqs: [1_000_000, 7_500_000] };
const header = createTraceHeader('0.1.0', { os: 'test', workload: params, seed: params.seed });

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'ossim-trace-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const collect = async (path: string): Promise<OssimEvent[]> => {
  const out: OssimEvent[] = [];
  for await (const e of (await openTraceFile(path)).events) out.push(e);
  return out;
};

/** Writes a trace of `lines` (the header first) and returns the error reading it gives. */
const errorOf = async (lines: string[], options: { gzip?: boolean; raw?: string } = {}): Promise<EventlogError> => {
  const text = options.raw ?? lines.join('\n');
  const path = join(dir, options.gzip ? 'bad.ndjson.gz' : 'bad.ndjson');
  writeFileSync(path, options.gzip ? gzipSync(text) : text);
  try {
    await collect(path);
  } catch (error) {
    expect(error).toBeInstanceOf(EventlogError);
    return error as EventlogError;
  }
  throw new Error('the bad trace was accepted');
};

const H = JSON.stringify(header);
const ev = (seq: number, time = seq * 10, type = 'log.marker') => JSON.stringify({ seq, time, type, label: `e${seq}` });

describe('recording and loading', () => {
  it.each(['run.ndjson', 'run.ndjson.gz'])('record then load gives identical events (%s)', async (name) => {
    const events = runModel(params);
    expect(events.length).toBeGreaterThan(200);
    const path = join(dir, name);
    const rec = recordTraceFile(path, header, { batch: 64 });
    for (const e of events) rec.write(e);
    rec.close();
    const trace = await openTraceFile(path);
    expect(trace.header).toEqual(header);
    const loaded: OssimEvent[] = [];
    for await (const e of trace.events) loaded.push(e);
    expect(loaded).toEqual(events);
    const bytes = readFileSync(path);
    expect(bytes[0] === 0x1f && bytes[1] === 0x8b).toBe(name.endsWith('.gz'));
  });

  it('writes the header first, then one event per line', async () => {
    const chunks: string[] = [];
    const w = createTraceWriter(header, (c) => chunks.push(c), { batch: 2 });
    w.write({ seq: 1, time: 0, type: 'log.marker', label: 'a' } as OssimEvent);
    w.write({ seq: 2, time: 5, type: 'log.marker', label: 'b' } as OssimEvent);
    w.write({ seq: 3, time: 5, type: 'log.marker', label: 'c' } as OssimEvent);
    // Batches of two lines: the header with event 1, then events 2 and 3; flushing again adds nothing.
    expect(chunks.length).toBe(2);
    w.flush();
    expect(chunks.length).toBe(2);
    const lines = chunks.join('').split('\n');
    expect(lines).toEqual([
      H,
      '{"seq":1,"time":0,"type":"log.marker","label":"a"}',
      ev(2, 5).replace('e2', 'b'),
      ev(3, 5).replace('e3', 'c'),
      '',
    ]);
    expect(w.count).toBe(3);
  });

  it('streams from any async iterable, even when lines are split across chunks', async () => {
    const text = `${[H, ev(1), ev(2), ev(3)].join('\n')}\n`;
    async function* bytes() {
      const all = new TextEncoder().encode(text);
      for (let i = 0; i < all.length; i += 7) yield all.subarray(i, i + 7);
    }
    const trace = await readTrace(bytes(), 'chunks');
    const seqs: number[] = [];
    for await (const e of trace.events) seqs.push(e.seq);
    expect(seqs).toEqual([1, 2, 3]);
  });

  it('streams in batches too, and each trace can be iterated once', async () => {
    const events = runModel(params);
    const path = join(dir, 'batches.ndjson');
    const rec = recordTraceFile(path, header);
    for (const e of events) rec.write(e);
    rec.close();
    const trace = await openTraceFile(path);
    const flat: OssimEvent[] = [];
    for await (const batch of trace.batches) flat.push(...batch);
    expect(flat).toEqual(events);
    expect(() => trace.events[Symbol.asyncIterator]()).toThrow(/iterated once/);
  });

  it.each(['many.ndjson', 'many.ndjson.gz'])(
    'writes exactly the lines JSON.stringify gives, through many reused chunks and an event too big for one (%s)',
    (name) => {
      const path = join(dir, name);
      const events = Array.from({ length: 5000 }, (_, i) => ({
        seq: i + 1,
        time: i * 7,
        type: i % 3 === 0 ? 'log.marker' : 'x.other',
        label: `e${i}`,
        ...(i === 2500 ? { big: Array.from({ length: 100_000 }, (_, k) => k * 1.5), text: 'ü'.repeat(70_000) } : {}),
      }));
      const rec = recordTraceFile(path, header, { batch: 64 });
      for (const e of events) rec.write(e);
      rec.close();
      const raw = readFileSync(path);
      const text = name.endsWith('.gz') ? gunzipSync(raw).toString('utf8') : raw.toString('utf8');
      expect(text).toBe(`${[H, ...events.map((e) => JSON.stringify(e))].join('\n')}\n`);
    },
  );

  it('a file that cannot be written is an io error naming it', () => {
    expect(() => recordTraceFile('/dev/full', header, { overwrite: true })).toThrow(/cannot write the trace file \(ENOSPC/);
  });

  it('never overwrites an existing file unless asked', () => {
    const path = join(dir, 'keep.ndjson');
    writeFileSync(path, 'precious');
    expect(() => recordTraceFile(path, header)).toThrow(/already exists/);
    expect(readFileSync(path, 'utf8')).toBe('precious');
    recordTraceFile(path, header, { overwrite: true }).close();
    expect(readFileSync(path, 'utf8')).toBe(`${H}\n`);
  });
});

describe('bad trace files: one typed error each, naming the line', () => {
  it('bad JSON', async () => {
    const e = await errorOf([H, ev(1), '{"seq":2,"time":20,', ev(3), '']);
    expect([e.code, e.line]).toEqual(['bad-json', 3]);
    expect(e.message).toMatch(/bad\.ndjson:3: bad JSON/);
  });

  it('missing header', async () => {
    const e = await errorOf([ev(1), ev(2), '']);
    expect([e.code, e.line]).toEqual(['missing-header', 1]);
  });

  it('an empty file', async () => {
    const e = await errorOf([], { raw: '' });
    expect([e.code, e.line]).toEqual(['missing-header', 1]);
  });

  it('unknown format version', async () => {
    const e = await errorOf([JSON.stringify({ ...header, version: 99 }), ev(1), '']);
    expect([e.code, e.line]).toEqual(['unknown-version', 1]);
    expect(e.message).toMatch(/version 99/);
  });

  it('a seq gap', async () => {
    const e = await errorOf([H, ev(1), ev(2), ev(4), '']);
    expect([e.code, e.line]).toEqual(['seq-gap', 4]);
    expect(e.message).toMatch(/from 2 to 4/);
  });

  it('a seq out of order', async () => {
    const e = await errorOf([H, ev(1), ev(2), ev(3), ev(2), '']);
    expect([e.code, e.line]).toEqual(['seq-disorder', 5]);
  });

  it('time going backwards', async () => {
    const e = await errorOf([H, ev(1, 100), ev(2, 200), ev(3, 150), '']);
    expect([e.code, e.line]).toEqual(['time-backwards', 4]);
    expect(e.message).toMatch(/200 ns to 150 ns/);
  });

  it('an event without its envelope', async () => {
    const e = await errorOf([H, ev(1), '{"seq":2,"type":"x"}', '']);
    expect([e.code, e.line]).toEqual(['bad-event', 3]);
  });

  it('a truncated last line', async () => {
    const e = await errorOf([H, ev(1), ev(2), '{"seq":3,"time":30,"ty']);
    expect([e.code, e.line]).toEqual(['truncated', 4]);
  });

  it('a truncated gzip file', async () => {
    const lines = [H, ...Array.from({ length: 2000 }, (_, i) => ev(i + 1)), ''];
    const full = gzipSync(lines.join('\n'));
    const path = join(dir, 'cut.ndjson.gz');
    writeFileSync(path, full.subarray(0, Math.floor(full.length * 0.6)));
    await expect(collect(path)).rejects.toMatchObject({ code: 'truncated', source: path });
  });

  it('a file that does not exist', async () => {
    await expect(openTraceFile(join(dir, 'nope.ndjson'))).rejects.toMatchObject({ code: 'io' });
  });
});
