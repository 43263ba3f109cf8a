import { EventlogError } from '@ossim/eventlog';
import { Command, CommanderError } from 'commander';
import { registerExport } from './commands/export.ts';
import { registerImportStrace } from './commands/importStrace.ts';
import { registerInfo } from './commands/info.ts';
import { registerMmu } from './commands/mmu.ts';
import { registerReplay } from './commands/replay.ts';
import { registerRun } from './commands/run.ts';
import { registerSched } from './commands/sched.ts';
import { registerStack } from './commands/stack.ts';
import { registerTour } from './commands/tour.ts';
import { registerViews } from './commands/views.ts';
import { CliError, type CliIo, processIo } from './io.ts';
import { OSSIM_VERSION } from './version.ts';

/** Builds the `ossim` command line, writing to `io`. */
export function createProgram(io: CliIo = processIo): Command {
  const program = new Command('ossim')
    .description('Simulate how a kernel runs threads: stacks, system calls, interrupts, context switches.')
    .version(OSSIM_VERSION, '-V, --version', 'print the version of ossim')
    .helpOption('-h, --help', 'show help for a command')
    .showHelpAfterError('(run with --help for usage)')
    .configureOutput({ writeOut: io.out, writeErr: io.err })
    .exitOverride();
  registerTour(program, io);
  registerInfo(program, io);
  registerSched(program, io);
  registerMmu(program, io);
  registerRun(program, io);
  registerReplay(program, io);
  registerViews(program, io);
  registerExport(program, io);
  registerImportStrace(program, io);
  registerStack(program, io);
  return program;
}

/**
 * Runs the command line with `argv` (without the node and script names) and
 * returns the exit status. User errors print one line and give a non-zero status;
 * nothing is thrown.
 */
export async function runCli(argv: readonly string[], io: CliIo = processIo): Promise<number> {
  const program = createProgram(io);
  try {
    await program.parseAsync([...argv], { from: 'user' });
    return 0;
  } catch (error) {
    if (error instanceof CommanderError) return error.exitCode;
    if (error instanceof CliError) {
      io.err(`ossim: ${error.message}\n`);
      return error.exitCode;
    }
    if (error instanceof EventlogError) {
      io.err(`ossim: ${error.message}\n`);
      return 1;
    }
    throw error;
  }
}
