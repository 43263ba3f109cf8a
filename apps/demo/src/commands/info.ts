import { openTraceFile } from '@ossim/eventlog/node';
import type { Command } from 'commander';
import type { CliIo } from '../io.ts';
import { formatNs } from '../units.ts';

/** `ossim info <trace>`: validates a recording and summarises it. */
export function registerInfo(program: Command, io: CliIo): void {
  program
    .command('info')
    .description('check a recorded trace (.ndjson or .ndjson.gz) line by line and summarise it')
    .argument('<trace>', 'the recording')
    .option('--json', 'print the summary as JSON')
    .action(async (path: string, options: { json?: boolean }) => {
      const trace = await openTraceFile(path);
      const byType = new Map<string, number>();
      let events = 0;
      let first: number | undefined;
      let last = 0;
      for await (const e of trace.events) {
        events++;
        first ??= e.time;
        last = e.time;
        byType.set(e.type, (byType.get(e.type) ?? 0) + 1);
      }
      const types = [...byType.entries()].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1));
      if (options.json) {
        io.out(
          `${JSON.stringify({ header: trace.header, events, firstNs: first ?? null, lastNs: last, types: Object.fromEntries(types) })}\n`,
        );
        return;
      }
      const { inputs } = trace.header;
      io.out(`${path}: ossim trace format ${trace.header.version}, written by ossim ${trace.header.ossim}\n`);
      io.out(`  os:       ${JSON.stringify(inputs.os)}\n  workload: ${JSON.stringify(inputs.workload)}\n  seed:     ${inputs.seed}\n`);
      io.out(`  events:   ${events} (seq 1..${events}), simulated ${formatNs(first ?? 0)} .. ${formatNs(last)}\n`);
      const width = Math.max(4, ...types.map(([t]) => t.length));
      for (const [type, count] of types) io.out(`    ${type.padEnd(width)}  ${String(count).padStart(9)}\n`);
    });
}
