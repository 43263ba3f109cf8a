import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { compareEvents, createTraceHeader, eventsOf, type OssimEvent, reexecute, refold, stateHash } from '../src/index.ts';
import { openTraceFile, recordTraceFile } from '../src/node.ts';
import { createModel, type ModelParams, type ModelState, modelReducer, runModel, type TestEvent } from './model.ts';

const params: ModelParams = { seed: 21, cpus: 2, tickNs: 1_000_000, durationNs: 80_000_000, irqs: [2_500_000, 40_000_001] };
const dir = mkdtempSync(join(tmpdir(), 'ossim-replay-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const empty = (): ModelState => ({ ticks: 0, inflight: {}, completed: 0, irqs: 0 });
const asOssim = (events: TestEvent[]) => events as unknown as OssimEvent[];

const record = (name: string, events: TestEvent[]): string => {
  const path = join(dir, name);
  const rec = recordTraceFile(path, createTraceHeader('0.1.0', { os: 'test', workload: params, seed: params.seed }));
  for (const e of events) rec.write(e as unknown as OssimEvent);
  rec.close();
  return path;
};

/** Re-runs from the recorded inputs only: the seed and workload of the header. */
const rerun = (inputs: { workload: unknown }) => {
  const model = createModel(inputs.workload as ModelParams);
  return eventsOf(model.sim, model.start) as unknown as Iterable<OssimEvent>;
};

describe('determinism', () => {
  it('the same seed gives an identical event stream, byte for byte', () => {
    const a = runModel(params);
    const b = runModel(params);
    expect(a.length).toBeGreaterThan(100);
    expect(JSON.stringify(b)).toBe(JSON.stringify(a));
  });

  it('another seed gives another stream', () => {
    expect(JSON.stringify(runModel({ ...params, seed: 22 }))).not.toBe(JSON.stringify(runModel(params)));
  });
});

describe('re-fold', () => {
  it('rebuilds the live state from a recording, at the end and at any seq', async () => {
    const model = createModel(params);
    const events: TestEvent[] = [];
    const hashes = new Map<number, string>();
    model.sim.log.listen((e) => {
      events.push(e);
      hashes.set(e.seq, stateHash(model.state()));
    });
    model.start();
    model.sim.run();
    const path = record('fold.ndjson.gz', events);
    const end = await refold((await openTraceFile(path)).events, modelReducer as never, empty());
    expect(end.seq).toBe(events.length);
    expect(stateHash(end.state)).toBe(stateHash(model.state()));
    for (const at of [1, 17, Math.floor(events.length / 2), events.length - 3]) {
      const mid = await refold((await openTraceFile(path)).events, modelReducer as never, empty(), { untilSeq: at });
      expect(mid.seq).toBe(at);
      expect(stateHash(mid.state)).toBe(hashes.get(at));
    }
  });

  it('through immer gives the same state without touching the initial one', async () => {
    const events = runModel(params);
    const initial = Object.freeze(empty());
    const imm = await refold(events, modelReducer, initial, { immutable: true });
    const inPlace = await refold(events, modelReducer, empty());
    expect(imm.state).toEqual(inPlace.state);
    expect(initial).toEqual(empty());
  });
});

describe('re-execute', () => {
  it('finds no divergence when the inputs are run again', async () => {
    const events = runModel(params);
    const path = record('same.ndjson', events);
    const result = await reexecute(() => openTraceFile(path), rerun);
    expect(result).toEqual({ matched: events.length, divergence: null });
  });

  it('hands the recorded input events to the re-run', async () => {
    const events = runModel(params);
    const path = record('inputs.ndjson', events);
    let seen: readonly OssimEvent[] = [];
    await reexecute(
      () => openTraceFile(path),
      (inputs, inputEvents) => {
        seen = inputEvents;
        return rerun(inputs);
      },
    );
    expect(seen.map((e) => e.type)).toEqual(['input.irq', 'input.irq']);
    expect(seen.map((e) => e.time)).toEqual([2_500_000, 40_000_001]);
  });

  it('reports the first divergence at the right seq, with the 10 events before it', async () => {
    const events = runModel(params);
    const lines = readFileSync(record('good.ndjson', events), 'utf8').split('\n');
    const target = events.find((e) => e.seq > 60 && e.type === 'test.request');
    if (target === undefined) throw new Error('the model made no request after seq 60');
    lines[target.seq] = JSON.stringify({ ...target, latency: (target as { latency: number }).latency + 1 });
    const path = join(dir, 'tampered.ndjson');
    writeFileSync(path, lines.join('\n'));
    const { divergence, matched } = await reexecute(() => openTraceFile(path), rerun);
    expect(matched).toBe(target.seq - 1);
    expect(divergence?.kind).toBe('mismatch');
    expect(divergence?.seq).toBe(target.seq);
    expect(divergence?.field).toBe('latency');
    expect(divergence?.actual).toEqual(target);
    expect(divergence?.before.map((e) => e.seq)).toEqual(Array.from({ length: 10 }, (_, i) => target.seq - 10 + i));
  });

  it('reports a re-run that stops early, and one that goes on too long', async () => {
    const events = asOssim(runModel(params));
    const missing = await compareEvents(events, events.slice(0, 50));
    expect(missing.divergence).toMatchObject({ kind: 'missing', seq: 51 });
    const extra = await compareEvents(events.slice(0, 50), events);
    expect(extra.divergence).toMatchObject({ kind: 'extra', seq: 51, expected: undefined });
  });
});

describe('snapshots', () => {
  it('restore and continue yields exactly the events of an uninterrupted run (property)', () => {
    fc.assert(
      fc.property(
        fc.record({
          seed: fc.integer({ min: 0, max: 2 ** 31 - 1 }),
          cpus: fc.integer({ min: 1, max: 3 }),
          tickNs: fc.integer({ min: 1_000, max: 50_000 }),
          steps: fc.integer({ min: 0, max: 120 }),
          irqs: fc.array(fc.integer({ min: 1, max: 1_000_000 }), { maxLength: 5 }),
        }),
        ({ seed, cpus, tickNs, steps, irqs }) => {
          const p: ModelParams = { seed, cpus, tickNs, durationNs: tickNs * 40, irqs };
          const whole = runModel(p);

          const first = createModel(p);
          const before: TestEvent[] = [];
          first.sim.log.listen((e) => before.push(e));
          first.start();
          first.sim.run({ maxSteps: steps });
          const snapshot = JSON.parse(JSON.stringify(first.sim.snapshot()));

          const resumed = createModel(p);
          const after: TestEvent[] = [];
          resumed.sim.log.listen((e) => after.push(e));
          resumed.sim.restore(snapshot);
          resumed.sim.run();

          expect(JSON.stringify([...before, ...after])).toBe(JSON.stringify(whole));
          expect(stateHash(resumed.state())).toBe(stateHash(runModelState(p)));
        },
      ),
      { numRuns: 60, seed: 20261121 },
    );
  });

  it('restores a snapshot taken earlier in the same run: seeking back moves the clock back, and the run continues as before', () => {
    const m = createModel(params);
    const events: TestEvent[] = [];
    m.sim.log.listen((e) => events.push(e));
    m.start();
    m.sim.run({ maxSteps: 5 });
    const snap = m.sim.snapshot();
    const at = events.length;
    m.sim.run();
    const rest = events.slice(at);
    expect(m.sim.clock.now).toBeGreaterThan(snap.time);
    m.sim.restore(snap);
    expect(m.sim.clock.now).toBe(snap.time);
    events.length = 0;
    m.sim.run();
    expect(JSON.stringify(events)).toBe(JSON.stringify(rest));
  });

  it('refuses a snapshot taken during dispatch, or one of a different run', () => {
    const m = createModel(params);
    m.sim.log.on('test.tick', () => {
      expect(() => m.sim.snapshot()).toThrow(/dispatched/);
    });
    m.start();
    m.sim.step();
    const snap = m.sim.snapshot();
    const other = createModel(params);
    other.sim.register('extra', { save: () => 1, load: () => {} });
    expect(() => other.sim.restore(snap)).toThrow(/no state for "extra"/);
  });
});

function runModelState(p: ModelParams): ModelState {
  const m = createModel(p);
  m.start();
  m.sim.run();
  return m.state();
}
