/**
 * `trace.parse_strace_lines_per_s`: the strace parser alone (arguments parsed, tasks
 * derived) on a large synthetic `strace -f` log made of the two real samples
 * (gzip.strace, shell-jobs.strace) repeated with renumbered tids and later times.
 * `trace.parse_strace_raw_args_lines_per_s`: the same with `parseArgs: false` (arguments
 * kept as text only), for comparison.
 * The end-to-end `trace.import_strace_lines_per_s` (parse + replay into the kernel) must
 * reach 20,000/s, so the parser alone should be far above that.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseStrace } from '@ossim/trace';
import { opsPerSecond } from '../../../scripts/benchkit.ts';

const fixtures = join(import.meta.dirname, '..', 'test', 'fixtures');
const samples = ['gzip.strace', 'shell-jobs.strace'].map((f) => readFileSync(join(fixtures, f), 'utf8').trimEnd().split('\n'));

/** `copies` rounds of both samples; round k adds 100*k to every tid (6160-6171) and k seconds to every time. */
function syntheticLog(copies: number): { text: string; lines: number } {
  const out: string[] = [];
  for (let k = 0; k < copies; k++) {
    for (const lines of samples) {
      for (const line of lines) {
        out.push(
          line
            .replace(/\b(61[67]\d)\b/g, (tid) => String(Number(tid) + 100 * k))
            .replace(/^(\d+\s+)(\d+)\./, (_, tid: string, sec: string) => `${tid}${Number(sec) + k}.`),
        );
      }
    }
  }
  return { text: `${out.join('\n')}\n`, lines: out.length };
}

const { text, lines } = syntheticLog(100);

export default {
  async run() {
    // Sanity: the synthetic log parses completely, into the tasks it should have.
    const log = parseStrace(text, { source: 'synthetic.strace' });
    if (log.lines !== lines || log.tasks.length !== 9 * 100)
      throw new Error(`synthetic log: ${log.lines} lines, ${log.tasks.length} tasks`);
    const perSecond = await opsPerSecond('parse strace', () => void parseStrace(text, { source: 'synthetic.strace' }), lines, {
      timeMs: 3000,
    });
    const raw = await opsPerSecond(
      'parse strace, raw args',
      () => void parseStrace(text, { source: 'synthetic.strace', parseArgs: false }),
      lines,
      {
        timeMs: 2000,
      },
    );
    return { 'trace.parse_strace_lines_per_s': perSecond, 'trace.parse_strace_raw_args_lines_per_s': raw };
  },
  targets: {
    'trace.parse_strace_lines_per_s': { min: 200_000 },
  },
};
