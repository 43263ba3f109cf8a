/**
 * Issue 6's figures, measured end to end through the CLI (`runCli`, as `ossim` runs):
 * - `trace.record_overhead_ratio`: `ossim run w.json --os x86_64 --record t.ndjson` (plain NDJSON, with its
 *   snapshot file, a checkpoint every 100,000 events) over the same `ossim run` without `--record`, on a
 *   run of about 250,000 events (medians of fifteen runs of each, timed in turn);
 * - `trace.stack_at_seconds_1m`: `ossim stack <trace> <tid> --at <last seq>` on a recording of about
 *   1,000,000 events made by `ossim run --record` (so with its snapshots).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '@ossim/demo';
import { buildWorkload } from '@ossim/kernel';
import { medianMs } from '../../../scripts/benchkit.ts';
import type { CliIo } from '../src/io.ts';

/** A pipe ping-pong and disk writes: about 11 events a round on x86_64 (the web bench records it too). */
export const pingpongIo = (rounds: number) =>
  buildWorkload({
    name: 'pingpong-io',
    processes: [
      { comm: 'ping', steps: [{ op: 'pipe-pingpong', rounds }] },
      { comm: 'io', steps: [{ op: 'loop', times: Math.ceil(rounds / 10), steps: [{ op: 'getpid' }, { op: 'disk-write', bytes: 512 }] }] },
    ],
  });

/** Runs `ossim <args>` and returns what it printed; throws on a non-zero exit. */
async function ossim(...args: string[]): Promise<string> {
  let out = '';
  const io: CliIo = {
    out: (s) => {
      out += s;
    },
    err: () => {},
    isTty: false,
  };
  const status = await runCli(args, io);
  if (status !== 0) throw new Error(`ossim ${args.join(' ')} exited ${status}`);
  return out;
}

const eventsOf = (out: string): number => Number(/, (\d+) events\n/.exec(out)?.[1]);

export default {
  targets: {
    'trace.record_overhead_ratio': { max: 1.3 },
    'trace.stack_at_seconds_1m': { max: 2 },
  },
  async run() {
    const dir = mkdtempSync(join(tmpdir(), 'ossim-trace-bench-'));
    try {
      const small = join(dir, 'small.json');
      writeFileSync(small, JSON.stringify(pingpongIo(21_500)));
      const file = join(dir, 'run.ndjson');
      const recordEvents = eventsOf(await ossim('run', small, '--os', 'x86_64'));
      // The two are timed in turn, run after run, so that a machine whose speed drifts (a shared host) weighs on both alike.
      const plainMs: number[] = [];
      const recordedMs: number[] = [];
      const timed = async (into: number[], ...args: string[]): Promise<void> => {
        const t0 = performance.now();
        await ossim(...args);
        into.push(performance.now() - t0);
      };
      for (let round = 0; round < 2; round++) await timed([], 'run', small, '--os', 'x86_64'); // warm-up
      for (let round = 0; round < 15; round++) {
        await timed(plainMs, 'run', small, '--os', 'x86_64');
        await timed(recordedMs, 'run', small, '--os', 'x86_64', '--record', file, '--force');
      }
      const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;
      const plain = median(plainMs);
      const recorded = median(recordedMs);

      const bigWorkload = join(dir, 'big.json');
      writeFileSync(bigWorkload, JSON.stringify(pingpongIo(86_000)));
      const big = join(dir, 'big.ndjson');
      const events = eventsOf(await ossim('run', bigWorkload, '--os', 'x86_64', '--record', big));
      const seconds =
        (await medianMs('stack --at last', async () => void (await ossim('stack', big, '1', '--at', String(events))), { timeMs: 1 })) /
        1000;
      return {
        'trace.record_overhead_ratio': recorded / plain,
        'trace.record_overhead_events': recordEvents,
        'trace.stack_at_seconds_1m': seconds,
        'trace.stack_at_events': events,
      };
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  },
};
