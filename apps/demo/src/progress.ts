import { Writable } from 'node:stream';
import type { EventLog } from '@ossim/eventlog';
import cliProgress from 'cli-progress';
import type { CliIo } from './io.ts';
import { formatNs } from './units.ts';

/**
 * Shows a run's progress on the terminal (standard error), fed by the log as it runs:
 * a bar over simulated time when the run has an end (`--until`), otherwise the simulated
 * time and events so far. Nothing when output is not a terminal.
 */
export function showProgress(io: CliIo, log: EventLog, untilNs: number | undefined): { stop(): void } {
  if (!io.isTty) return { stop() {} };
  // The bar draws on the CLI's error output (a terminal), through a stream cli-progress can drive.
  const stream = Object.assign(
    new Writable({
      write(chunk: Buffer | string, _encoding, done) {
        io.err(chunk.toString());
        done();
      },
    }),
    { isTTY: true, columns: process.stderr.columns ?? 80 },
  );
  const bar = new cliProgress.SingleBar(
    {
      stream,
      format:
        untilNs === undefined
          ? 'running {sim} simulated | {events} events'
          : '{bar} {percentage}% | {sim} of {until} simulated | {events} events',
      hideCursor: true,
      clearOnComplete: true,
      fps: 10,
    },
    cliProgress.Presets.shades_classic,
  );
  const until = untilNs ?? 0;
  bar.start(until, 0, { sim: formatNs(0), until: formatNs(until), events: 0 });
  let events = 0;
  let nextUpdate = 0;
  const off = log.listen((e) => {
    events++;
    // The bar redraws at most 10 times a second; look at it only every 4096 events.
    if (events >= nextUpdate) {
      nextUpdate = events + 4096;
      bar.update(untilNs === undefined ? 0 : Math.min(e.time, until), { sim: formatNs(e.time), events });
    }
  });
  return {
    stop() {
      off();
      bar.stop();
    },
  };
}
