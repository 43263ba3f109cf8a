import { compareEvents, type Divergence, type OssimEvent, type TraceInputs } from '@ossim/eventlog';
import { openTraceFile } from '@ossim/eventlog/node';
import {
  createRunCounter,
  KernelError,
  type OsVariant,
  RUN_COUNTER_ROWS,
  type RunCounters,
  type RunResult,
  showRunCounter,
} from '@ossim/kernel';
import type { Command } from 'commander';
import { CliError, type CliIo } from '../io.ts';
import { kernelFromInputs, loadOs } from '../kernelRun.ts';
import { formatNs } from '../units.ts';

/** Runs recorded inputs again on `os` (the recorded variant by default), keeping every event. */
export function rerun(inputs: TraceInputs, os?: OsVariant): { events: OssimEvent[]; result: RunResult; os: OsVariant } {
  const events: OssimEvent[] = [];
  const again = kernelFromInputs(inputs, { ...(os === undefined ? {} : { os }), attach: (log) => log.listen((e) => events.push(e)) });
  return { events, result: again.run(), os: again.os };
}

/** Summarises a run from its events (the counters of @ossim/kernel's `createRunCounter`). */
export function summarize(
  os: string,
  result: Pick<RunResult, 'outcome' | 'cause' | 'simulatedNs'>,
  events: Iterable<OssimEvent>,
): RunCounters {
  const counter = createRunCounter();
  for (const e of events) counter.add(e);
  return counter.result(os, result);
}

/** Prints summaries side by side. */
export function formatComparison(runs: readonly RunCounters[]): string {
  const table = [
    ['', ...runs.map((r) => r.os)],
    ...RUN_COUNTER_ROWS.map((row) => [row.label, ...runs.map((r) => showRunCounter(row, r, formatNs))]),
  ];
  const widths = table[0]?.map((_, i) => Math.max(...table.map((r) => (r[i] as string).length))) ?? [];
  const causes = runs.filter((r) => r.cause !== null).map((r) => `  ${r.os}: ${r.cause}`);
  return `${table.map((r) => r.map((c, i) => (i === 0 ? c.padEnd(widths[i] as number) : c.padStart(widths[i] as number))).join('  ')).join('\n')}\n${causes.length > 0 ? `${causes.join('\n')}\n` : ''}`;
}

function describeDivergence(d: Divergence): string {
  const lines = [
    `divergence at seq ${d.seq}: ${d.kind === 'mismatch' ? `field "${d.field}" differs` : d.kind === 'missing' ? 'the re-run ended before the recording' : 'the re-run went on past the recording'}`,
  ];
  if (d.expected !== undefined) lines.push(`  expected ${JSON.stringify(d.expected)}`);
  if (d.actual !== undefined) lines.push(`  actual   ${JSON.stringify(d.actual)}`);
  if (d.before.length > 0) {
    lines.push(`  the ${d.before.length} events before it:`);
    for (const e of d.before) lines.push(`    ${JSON.stringify(e)}`);
  }
  return `${lines.join('\n')}\n`;
}

/** `ossim replay <trace> --verify | --os <other>` */
export function registerReplay(program: Command, io: CliIo): void {
  program
    .command('replay')
    .description('re-execute a recording: --verify compares every event; --os runs the same inputs on another variant and compares')
    .argument('<trace>', 'the recording (.ndjson or .ndjson.gz)')
    .option('--verify', 're-execute the recorded inputs and report the first divergence (exit 1)')
    .option('--os <variant>', 'run the recorded inputs on this preset or variant file, side by side with the recording')
    .option('--json', 'print the result as JSON')
    .action(async (path: string, flags: { verify?: boolean; os?: string; json?: boolean }) => {
      if (flags.verify !== true && flags.os === undefined) throw new CliError('replay: say what to do: --verify, or --os <variant>', 2);
      const trace = await openTraceFile(path);
      const { inputs } = trace.header;
      if (flags.verify === true) {
        let again: ReturnType<typeof rerun>;
        try {
          again = rerun(inputs);
        } catch (e) {
          if (e instanceof KernelError) throw new CliError(`${path}: the recorded inputs cannot run: ${e.message}`);
          throw e;
        }
        const { matched, divergence } = await compareEvents(trace.events, again.events);
        if (flags.json === true) io.out(`${JSON.stringify({ trace: path, matched, divergence })}\n`);
        else if (divergence === null) io.out(`${path}: ${matched} events re-executed, no divergence\n`);
        else io.out(`${path}: ${matched} events matched, then\n${describeDivergence(divergence)}`);
        if (divergence !== null) throw new CliError(`${path}: diverged at seq ${divergence.seq}`, 1);
        return;
      }
      // The recorded variant is run again too (it is deterministic) for its outcome, which the log does not spell out.
      const original = rerun(inputs);
      const other = rerun(inputs, loadOs(flags.os as string));
      const runs = [summarize(original.os.name, original.result, original.events), summarize(other.os.name, other.result, other.events)];
      if (flags.json === true) io.out(`${JSON.stringify({ trace: path, runs })}\n`);
      else io.out(`${path}: the same inputs on ${runs[0]?.os} (recorded) and ${runs[1]?.os}\n\n${formatComparison(runs)}`);
    });
}
