import type { CliIo } from '../src/io.ts';
import { runCli } from '../src/program.ts';

/** Runs the CLI in-process with buffered output. */
export async function cli(...argv: string[]): Promise<{ status: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const io: CliIo = {
    out: (t) => {
      out += t;
    },
    err: (t) => {
      err += t;
    },
    isTty: false,
  };
  const status = await runCli(argv, io);
  return { status, out, err };
}
