/**
 * Issue 6's figures, measured end to end through the CLI's own code:
 * - `trace.record_overhead_ratio`: a kernel run with `--record` (plain NDJSON) over the same run without;
 * - `trace.stack_at_seconds_1m`: `ossim stack <trace> <tid> --at <last seq>` on a recording of about 1,000,000 events.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '@ossim/demo';
import { createTraceHeader } from '@ossim/eventlog';
import { recordTraceFile } from '@ossim/eventlog/node';
import { buildWorkload, createKernel, PRESETS } from '@ossim/kernel';
import { medianMs } from '../../../scripts/benchkit.ts';
import type { CliIo } from '../src/io.ts';

const workload = (rounds: number) =>
  buildWorkload({
    name: 'pingpong-io',
    processes: [
      { comm: 'ping', steps: [{ op: 'pipe-pingpong', rounds }] },
      { comm: 'io', steps: [{ op: 'loop', times: Math.ceil(rounds / 10), steps: [{ op: 'getpid' }, { op: 'disk-write', bytes: 512 }] }] },
    ],
  });

function run(rounds: number, record?: string): number {
  const w = workload(rounds);
  const recorder =
    record === undefined
      ? undefined
      : recordTraceFile(record, createTraceHeader('bench', { os: PRESETS.x86_64, workload: w, seed: 1 }), { overwrite: true });
  let events = 0;
  const kernel = createKernel({
    os: PRESETS.x86_64,
    workload: w,
    seed: 1,
    attach: (log) => {
      log.listen(() => {
        events++;
      });
      recorder?.attach(log);
    },
  });
  kernel.run();
  recorder?.close();
  return events;
}

const quiet: CliIo = { out: () => {}, err: () => {}, isTty: false };

export default {
  targets: {
    'trace.record_overhead_ratio': { max: 1.3 },
    'trace.stack_at_seconds_1m': { max: 2 },
  },
  async run() {
    const dir = mkdtempSync(join(tmpdir(), 'ossim-trace-bench-'));
    try {
      const file = join(dir, 'run.ndjson');
      const plain = await medianMs('run', () => void run(4000), { timeMs: 3000 });
      const recorded = await medianMs('run --record', () => void run(4000, file), { timeMs: 3000 });

      const big = join(dir, 'big.ndjson');
      const events = run(42_000, big);
      const seconds =
        (await medianMs(
          'stack --at last',
          async () => {
            const status = await runCli(['stack', big, '1', '--at', String(events)], quiet);
            if (status !== 0) throw new Error(`ossim stack exited ${status}`);
          },
          { timeMs: 1 },
        )) / 1000;
      return {
        'trace.record_overhead_ratio': recorded / plain,
        'trace.stack_at_seconds_1m': seconds,
        'trace.stack_at_events': events,
      };
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  },
};
