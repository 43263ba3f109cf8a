import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type ChromeTraceBuilder, CPU_TRACK_PID, createChromeTrace, TraceError } from '../src/index.ts';

interface Ev {
  name: string;
  cat: string;
  ph: string;
  ts: number;
  pid: number;
  tid: number;
  args: Record<string, unknown>;
  dur?: number;
  s?: string;
}

function build(f: (t: ChromeTraceBuilder) => void): { text: string; events: Ev[] } {
  const chunks: string[] = [];
  const t = createChromeTrace((c) => chunks.push(c));
  f(t);
  const text = chunks.join('');
  const parsed = JSON.parse(text) as { traceEvents: Ev[]; displayTimeUnit: string };
  expect(parsed.displayTimeUnit).toBe('ns');
  return { text, events: parsed.traceEvents };
}

/** Checks what a viewer needs: every event has the fields, and per track B/E pair up like parentheses with matching names. */
function checkNesting(events: readonly Ev[]): void {
  const stacks = new Map<string, Ev[]>();
  for (const e of events) {
    for (const k of ['name', 'cat', 'ph', 'ts', 'pid', 'tid', 'args'] as const)
      expect(e, `${JSON.stringify(e)} lacks ${k}`).toHaveProperty(k);
    const key = `${e.pid}/${e.tid}`;
    const s = stacks.get(key) ?? [];
    stacks.set(key, s);
    if (e.ph === 'B') s.push(e);
    if (e.ph === 'E') {
      const b = s.pop();
      expect(b?.name).toBe(e.name);
      expect(e.ts).toBeGreaterThanOrEqual(b?.ts ?? Number.POSITIVE_INFINITY);
    }
  }
  for (const s of stacks.values()) expect(s).toEqual([]);
}

describe('Chrome Trace Event JSON', () => {
  it('writes metadata, per-CPU and per-thread tracks, nested B/E slices, X, instants and counters, ts in µs', () => {
    const { events } = build((t) => {
      const th = { pid: 42, tid: 43 };
      t.process(42, 'worker', 1);
      t.thread(th, 'worker-1', 2);
      const cpu0 = t.cpu(0);
      expect(t.cpu(0)).toEqual(cpu0);
      t.begin(cpu0, 'worker-1 (43)', 1000);
      t.begin(th, 'running', 1000);
      t.begin(th, 'read', 1500, { cat: 'syscall', args: { fd: 3 } });
      t.begin(th, 'irq 1 (timer)', 1600, { cat: 'irq' });
      expect(t.openSlices(th)).toEqual(['running', 'read', 'irq 1 (timer)']);
      t.end(th, 1601, 'irq 1 (timer)');
      t.complete(th, 'copy_to_user', 1700, 50);
      t.end(th, 2000, 'read');
      t.instant(th, 'sched_wakeup', 2000, { scope: 'g' });
      t.end(th, 2500);
      t.end(cpu0, 2500);
      t.counter(42, 'runnable', 2500, { cpu0: 1, cpu1: 0 });
      t.finish();
    });
    checkNesting(events);
    expect(events.filter((e) => e.ph === 'M').map((e) => [e.name, e.pid, e.tid, e.args])).toEqual([
      ['process_name', 42, 0, { name: 'worker' }],
      ['process_sort_index', 42, 0, { sort_index: 1 }],
      ['thread_name', 42, 43, { name: 'worker-1' }],
      ['thread_sort_index', 42, 43, { sort_index: 2 }],
      ['process_name', CPU_TRACK_PID, 0, { name: 'CPUs' }],
      ['process_sort_index', CPU_TRACK_PID, 0, { sort_index: -1 }],
      ['thread_name', CPU_TRACK_PID, 0, { name: 'CPU 0' }],
      ['thread_sort_index', CPU_TRACK_PID, 0, { sort_index: 0 }],
    ]);
    const read = events.find((e) => e.name === 'read' && e.ph === 'B');
    expect(read).toEqual({ name: 'read', cat: 'syscall', ph: 'B', ts: 1.5, pid: 42, tid: 43, args: { fd: 3 } });
    expect(events.find((e) => e.ph === 'X')).toMatchObject({ ts: 1.7, dur: 0.05 });
    expect(events.find((e) => e.ph === 'i')).toMatchObject({ s: 'g', ts: 2 });
    expect(events.find((e) => e.ph === 'C')).toMatchObject({ name: 'runnable', args: { cpu0: 1, cpu1: 0 }, ts: 2.5 });
  });

  it('an empty trace is valid JSON', () => {
    expect(build((t) => t.finish()).events).toEqual([]);
  });

  it('enforces nesting per track: closing out of order, closing nothing, and leaving slices open are errors', () => {
    const th = { pid: 1, tid: 1 };
    const t1 = createChromeTrace(() => {});
    t1.begin(th, 'syscall', 0);
    t1.begin(th, 'irq', 10);
    expect(() => t1.end(th, 20, 'syscall')).toThrow(
      expect.objectContaining({ code: 'nesting', message: expect.stringContaining('innermost open slice is irq') }),
    );
    expect(() => createChromeTrace(() => {}).end(th, 0)).toThrow(expect.objectContaining({ code: 'nesting' }));
    const t2 = createChromeTrace(() => {});
    t2.begin(th, 'running', 0);
    expect(() => t2.finish()).toThrow(/still open at the end \(1\/1: running\)/);
    const t3 = createChromeTrace(() => {});
    t3.begin(th, 'a', 5);
    expect(() => t3.begin(th, 'b', 4)).toThrow(expect.objectContaining({ code: 'out-of-order' }));
    expect(() => t3.complete(th, 'x', 6, -1)).toThrow(TraceError);
    // Another track is independent.
    t3.begin({ pid: 1, tid: 2 }, 'c', 1);
  });

  it('closes open slices innermost first when cut at a moment', () => {
    const { events } = build((t) => {
      const th = { pid: 1, tid: 1 };
      t.begin(th, 'running', 0);
      t.begin(th, 'write', 100);
      t.finish({ closeOpenAt: 500 });
    });
    checkNesting(events);
    expect(events.slice(2).map((e) => [e.ph, e.name, e.ts])).toEqual([
      ['E', 'write', 0.5],
      ['E', 'running', 0.5],
    ]);
  });

  it('any well-nested sequence gives valid JSON whose B/E pair up per track', () => {
    const op = fc.record({
      tid: fc.integer({ min: 1, max: 3 }),
      open: fc.boolean(),
      dt: fc.nat({ max: 5000 }),
      name: fc.constantFrom('read', 'irq', 'run'),
    });
    fc.assert(
      fc.property(fc.array(op, { maxLength: 60 }), (ops) => {
        const { events } = build((t) => {
          let ns = 0;
          for (const o of ops) {
            ns += o.dt;
            const track = { pid: 10, tid: o.tid };
            if (o.open || t.openSlices(track).length === 0) t.begin(track, o.name, ns);
            else t.end(track, ns);
          }
          t.finish({ closeOpenAt: ns });
        });
        checkNesting(events);
        expect(events.filter((e) => e.ph === 'B')).toHaveLength(events.filter((e) => e.ph === 'E').length);
      }),
    );
  });
});
