import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createClock, createEventLog, createTraceHeader, type OssimEvent, type Reducer, refold } from '@ossim/eventlog';
import { openTraceFile, recordTraceFile } from '@ossim/eventlog/node';
import { type BenchModule, medianMs, opsPerSecond } from '../../../scripts/benchkit.ts';

interface BenchMap {
  'task.switch': { cpu: number; prev: number; next: number };
  'task.exit': { tid: number; code: number };
}
type BenchEvent = { seq: number; time: number } & (
  | ({ type: 'task.switch' } & BenchMap['task.switch'])
  | ({ type: 'task.exit' } & BenchMap['task.exit'])
);

/** Events shaped like a kernel's: switches between 1,000 tasks, and exits. */
function makeEvents(n: number): BenchEvent[] {
  const out: BenchEvent[] = [];
  for (let i = 0; i < n; i++) {
    const seq = i + 1;
    const time = seq * 250;
    out.push(
      i % 50 === 49
        ? { seq, time, type: 'task.exit', tid: (i * 7) % 1000, code: 0 }
        : { seq, time, type: 'task.switch', cpu: i & 1, prev: (i * 13) % 1000, next: (i * 17) % 1000 },
    );
  }
  return out;
}

interface TaskRow {
  runs: number;
  lastCpu: number;
  exited: boolean;
}
type TaskTable = { tasks: TaskRow[]; switches: number };
const taskTable: Reducer<TaskTable, BenchEvent> = (draft, e) => {
  if (e.type === 'task.switch') {
    const t = draft.tasks[e.next] as TaskRow;
    t.runs++;
    t.lastCpu = e.cpu;
    draft.switches++;
  } else {
    (draft.tasks[e.tid] as TaskRow).exited = true;
  }
};
const freshTable = (): TaskTable => ({ tasks: Array.from({ length: 1000 }, () => ({ runs: 0, lastCpu: 0, exited: false })), switches: 0 });

const bench: BenchModule = {
  targets: {
    'eventlog.dispatch_per_s': { min: 5_000_000 },
    'eventlog.ndjson_write_per_s': { min: 1_000_000 },
    'eventlog.ndjson_read_per_s': { min: 1_000_000 },
    'eventlog.refold_per_s': { min: 3_000_000 },
  },
  async run() {
    const results: Record<string, number> = {};

    // Append + dispatch to 3 subscribers (plain handlers), and the same through rxjs.
    const N = 1_000_000;
    {
      const log = createEventLog<BenchMap>({ clock: createClock() });
      let a = 0;
      let b = 0;
      let c = 0;
      log.listen(() => a++);
      log.on('task.switch', (e) => {
        b += e.next;
      });
      log.listen((e) => {
        c ^= e.seq;
      });
      const payload = { cpu: 0, prev: 1, next: 2 };
      results['eventlog.dispatch_per_s'] = await opsPerSecond(
        'dispatch',
        () => {
          for (let i = 0; i < N; i++) log.emit('task.switch', payload);
        },
        N,
      );
      if (a + b + c === 0) throw new Error('unreachable');
    }
    {
      const log = createEventLog<BenchMap>({ clock: createClock() });
      let n = 0;
      for (let i = 0; i < 3; i++) log.events$.subscribe(() => n++);
      const payload = { cpu: 0, prev: 1, next: 2 };
      results['eventlog.dispatch_rx_per_s'] = await opsPerSecond(
        'dispatch-rx',
        () => {
          for (let i = 0; i < N; i++) log.emit('task.switch', payload);
        },
        N,
      );
      if (n === 0) throw new Error('unreachable');
    }

    const dir = mkdtempSync(join(tmpdir(), 'ossim-bench-'));
    try {
      const M = 500_000;
      const events = makeEvents(M) as unknown as OssimEvent[];
      const header = createTraceHeader('bench', { os: 'bench', workload: 'bench', seed: 0 });
      let k = 0;
      const path = join(dir, 'read.ndjson');
      results['eventlog.ndjson_write_per_s'] = await opsPerSecond(
        'ndjson-write',
        () => {
          const rec = recordTraceFile(join(dir, `w${k++}.ndjson`), header);
          for (const e of events) rec.write(e);
          rec.close();
        },
        M,
        { timeMs: 3000 },
      );
      const rec = recordTraceFile(path, header);
      for (const e of events) rec.write(e);
      rec.close();
      rmSync(join(dir, 'w0.ndjson'), { force: true });

      const readMs = await medianMs(
        'ndjson-read',
        async () => {
          let count = 0;
          for await (const _ of (await openTraceFile(path)).events) count++;
          if (count !== M) throw new Error(`read ${count} events`);
        },
        { timeMs: 3000 },
      );
      results['eventlog.ndjson_read_per_s'] = (M * 1000) / readMs;

      results['eventlog.refold_per_s'] = await opsPerSecond(
        'refold',
        () => {
          void refold(events as unknown as BenchEvent[], taskTable, freshTable());
        },
        M,
        { timeMs: 2000 },
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    return results;
  },
};

export default bench;
