#!/usr/bin/env node
import { runCli } from './program.ts';

runCli(process.argv.slice(2)).then(
  (status) => {
    process.exitCode = status;
  },
  (error: unknown) => {
    // A bug in ossim, not a user error: say so plainly, with the stack for the report.
    process.stderr.write(`ossim: internal error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exitCode = 70;
  },
);
