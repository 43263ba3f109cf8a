/**
 * Issue 6's import figure, end to end through the CLI's own code (read, parse, build the
 * workload, assemble it, boot and run it): `trace.import_strace_lines_per_s` on a log made
 * by repeating both real samples, each copy with its tids renumbered and its times shifted
 * after the previous copy (so the copies run one after another, as separate process trees).
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '@ossim/demo';
import { medianMs } from '../../../scripts/benchkit.ts';
import type { CliIo } from '../src/io.ts';

const fixtures = join(import.meta.dirname, '../../../packages/trace/test/fixtures');
const COPIES = 40;

/** The samples repeated `copies` times: tids + 100000 * copy, times + 0.25 s * copy. */
export function repeatedLog(copies: number): { text: string; lines: number } {
  const samples = ['shell-jobs.strace', 'gzip.strace'].map((f) => readFileSync(join(fixtures, f), 'utf8').trimEnd().split('\n'));
  const tids = new Set<string>();
  for (const lines of samples) for (const l of lines) tids.add(/^(\d+)/.exec(l)?.[1] ?? '');
  tids.delete('');
  const tidPattern = new RegExp(`\\b(${[...tids].join('|')})\\b`, 'g');
  const out: string[] = [];
  for (let c = 0; c < copies; c++) {
    for (const lines of samples)
      for (const l of lines)
        out.push(
          l
            .replace(/^(\d+)(\s+)(\d+)\.(\d{6})/, (_m, tid: string, sp: string, s: string, us: string) => {
              const t = Number(s) * 1e6 + Number(us) + c * 250_000;
              return `${tid}${sp}${Math.floor(t / 1e6)}.${String(t % 1e6).padStart(6, '0')}`;
            })
            .replace(tidPattern, (tid) => String(Number(tid) + c * 100_000)),
        );
  }
  return { text: `${out.join('\n')}\n`, lines: out.length };
}

const quiet: CliIo = { out: () => {}, err: () => {}, isTty: false };

export default {
  targets: {
    'trace.import_strace_lines_per_s': { min: 20_000 },
  },
  async run() {
    const dir = mkdtempSync(join(tmpdir(), 'ossim-import-bench-'));
    try {
      const file = join(dir, 'repeated.strace');
      const { text, lines } = repeatedLog(COPIES);
      writeFileSync(file, text);
      const ms = await medianMs(
        'import-strace',
        async () => {
          const status = await runCli(['import-strace', file, '--json'], quiet);
          if (status !== 0) throw new Error(`ossim import-strace exited ${status}`);
        },
        { timeMs: 3000 },
      );
      return { 'trace.import_strace_lines_per_s': (lines * 1000) / ms, 'trace.import_strace_lines': lines };
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  },
};
