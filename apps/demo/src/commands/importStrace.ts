import { readFileSync } from 'node:fs';
import { CREATING_NRS, createKernel, defineOs, KernelError, mapTids, PRESETS, type StraceImport, workloadFromStrace } from '@ossim/kernel';
import { parseStrace, type StraceLog, TraceError } from '@ossim/trace';
import type { Command } from 'commander';
import { CliError, type CliIo } from '../io.ts';
import { loadOs, openRecording } from '../kernelRun.ts';

interface ImportFlags {
  os?: string;
  record?: string;
  snapshotEvery?: string;
  force?: boolean;
  json?: boolean;
}

/** `ossim import-strace <file> [--os <preset|variant.json>] [--record <trace> [--force]] [--json]` */
export function registerImportStrace(program: Command, io: CliIo): void {
  program
    .command('import-strace')
    .description('turn a real strace -f log into a workload (one task per tid, each call in order, the recorded timing) and run it')
    .argument('<file>', 'the strace log (strace -f, with -o or [pid N] prefixes; -t/-tt/-ttt and -T optional)')
    .option('--os <variant>', 'a preset (i386, x86_64, single-stack, xv6) or a variant JSON file (default x86_64)')
    .option('--record <file>', 'record the run to a trace (.ndjson, or .ndjson.gz for gzip)')
    .option('--force', 'with --record: replace the file if it exists')
    .option(
      '--snapshot-every <events>',
      'with --record: a checkpoint every so many events in <file>.snapshots, for seeking (default 100000; 0: none)',
    )
    .option('--json', 'print the summary as JSON')
    .action((path: string, flags: ImportFlags) => {
      let text: string;
      try {
        text = readFileSync(path, 'utf8');
      } catch (e) {
        throw new CliError(`${path}: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (e as Error).message}`);
      }
      const os = defineOs({ ...(flags.os === undefined ? PRESETS.x86_64 : loadOs(flags.os)) });
      let imported: StraceImport;
      let log: StraceLog;
      try {
        log = parseStrace(text, { source: path, parseArgs: false });
        const base = path.replace(/^.*\//, '').replace(/\.[^.]*$/, '') || 'strace';
        imported = workloadFromStrace(log, `strace:${base}`);
      } catch (e) {
        if (e instanceof TraceError || e instanceof KernelError) throw new CliError(e.message);
        throw e;
      }
      const workload = imported.workload;
      // Room for the recorded timeline several times over; the run ends when every task has exited.
      const untilNs = Math.max(10_000_000_000, 4 * imported.spanNs + 1_000_000_000);
      const seed = 1;
      const recorder = openRecording(flags.record, flags.force, { os, workload, seed, untilNs }, flags.snapshotEvery);
      let events = 0;
      const created = new Map<number, number[]>();
      let result: ReturnType<ReturnType<typeof createKernel>['run']>;
      try {
        const kernel = createKernel({
          os,
          workload,
          seed,
          attach: (l) => {
            l.listen(() => {
              events++;
            });
            l.on('syscall.exit', (e) => {
              if (!CREATING_NRS.has(e.nr) || e.ret <= 0) return;
              let list = created.get(e.tid);
              if (list === undefined) {
                list = [];
                created.set(e.tid, list);
              }
              list.push(e.ret);
            });
            recorder?.attach(l);
          },
        });
        result = recorder === undefined ? kernel.run({ until: untilNs }) : recorder.run(kernel, { until: untilNs });
      } catch (e) {
        if (e instanceof KernelError) throw new CliError(e.message);
        throw e;
      } finally {
        recorder?.close();
      }
      const tids = mapTids(imported, created);
      const summary = {
        source: path,
        lines: log.lines,
        tids: imported.tids,
        processes: imported.processes,
        threads: imported.threads,
        calls: imported.calls,
        os: os.name,
        outcome: result.outcome,
        cause: result.cause,
        finished: result.finished,
        simulatedNs: result.simulatedNs,
        events,
        tidMap: Object.fromEntries([...tids].map(([orig, sim]) => [String(orig), sim])),
      };
      if (flags.json === true) {
        io.out(`${JSON.stringify(summary)}\n`);
        return;
      }
      io.out(
        `${path}: ${summary.lines} lines, ${summary.tids} tids (${summary.processes} processes, ${summary.threads} threads), ${summary.calls} system calls\n`,
      );
      io.out(
        `${os.name}: ${result.outcome}${result.cause === null ? '' : ` (${result.cause})`} after ${result.simulatedNs} ns${result.finished ? '' : ' (not finished)'}, ${events} events\n`,
      );
      io.out(`tids (log -> run): ${[...tids].map(([o, s]) => `${o}->${s}`).join(' ')}\n`);
      if (flags.record !== undefined) io.out(`recorded to ${flags.record} (replay it: ossim replay ${flags.record} --verify)\n`);
    });
}
