import { closeSync, existsSync, openSync, writeSync } from 'node:fs';
import { openTraceFile } from '@ossim/eventlog/node';
import { createChromeExport, createFtraceExport } from '@ossim/kernel';
import type { Command } from 'commander';
import { CliError, type CliIo } from '../io.ts';

/** `ossim export <trace> --format chrome|ftrace -o <file>` */
export function registerExport(program: Command, io: CliIo): void {
  program
    .command('export')
    .description('export a recording for trace viewers: Chrome Trace Event JSON (Perfetto, chrome://tracing) or ftrace text')
    .argument('<trace>', 'the recording (.ndjson or .ndjson.gz)')
    .requiredOption('--format <format>', 'chrome or ftrace')
    .requiredOption('-o, --output <file>', 'where to write it')
    .option('--force', 'replace the output file if it exists')
    .action(async (path: string, flags: { format: string; output: string; force?: boolean }) => {
      if (flags.format !== 'chrome' && flags.format !== 'ftrace')
        throw new CliError(`--format: ${JSON.stringify(flags.format)} is not chrome or ftrace`, 2);
      if (existsSync(flags.output) && flags.force !== true) throw new CliError(`${flags.output} exists (use --force to replace it)`, 1);
      const trace = await openTraceFile(path);
      let fd: number;
      try {
        fd = openSync(flags.output, 'w');
      } catch (e) {
        throw new CliError(`${flags.output}: cannot write (${(e as Error).message})`);
      }
      let events = 0;
      try {
        if (flags.format === 'chrome') {
          const out = createChromeExport((chunk) => writeSync(fd, chunk));
          for await (const e of trace.events) {
            out.event(e);
            events++;
          }
          out.finish();
        } else {
          const out = createFtraceExport();
          for await (const e of trace.events) {
            out.event(e);
            events++;
          }
          writeSync(fd, out.finish());
        }
      } finally {
        closeSync(fd);
      }
      io.out(
        `${flags.output}: ${flags.format === 'chrome' ? 'Chrome Trace Event JSON' : 'ftrace text'} from ${events} events of ${path}\n`,
      );
    });
}
