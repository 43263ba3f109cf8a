import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { StraceCall, StraceItem, StraceLog } from '../src/index.ts';

/** A real sample from test/fixtures (copied from shared/reference). */
export function fixture(name: string): string {
  return readFileSync(join(import.meta.dirname, 'fixtures', name), 'utf8');
}

/** The lines of linux-proc-samples.txt between the `# title` line starting with `title` and the next `#` title line. */
export function procSample(title: string): string[] {
  const lines = fixture('linux-proc-samples.txt').split('\n');
  const start = lines.findIndex((l) => l.startsWith(`# ${title}`));
  if (start === -1) throw new Error(`no sample ${title}`);
  const out: string[] = [];
  for (let i = start + 1; i < lines.length && !(lines[i] as string).startsWith('# '); i++) {
    if (lines[i] !== '') out.push(lines[i] as string);
  }
  return out;
}

export function calls(log: StraceLog, tid?: number): StraceCall[] {
  return log.records.filter((r): r is StraceCall => r.kind === 'call' && (tid === undefined || r.tid === tid));
}

/**
 * Turns a parsed log back into what the streaming formatter is fed, in the order of the
 * log's lines (a split call's end at its resumed line), with times in ns since the
 * whole second `epoch`.
 */
export function itemsOf(log: StraceLog, epoch: number): StraceItem[] {
  const ns = (us: number | undefined): number => ((us as number) - epoch * 1e6) * 1000;
  const out: Array<[number, number, StraceItem]> = [];
  for (const r of log.records) {
    if (r.kind === 'call') {
      const split = r.endLine !== undefined;
      const entry = split ? (r.entryArgs as string) : r.args;
      out.push([r.line, 0, { kind: 'call-start', tid: r.tid, timeNs: ns(r.timeUs), name: r.name, args: entry }]);
      if (r.ret !== undefined) {
        out.push([
          r.endLine ?? r.line,
          1,
          {
            kind: 'call-end',
            tid: r.tid,
            timeNs: ns(split ? r.endTimeUs : r.timeUs),
            args: r.args.slice(entry.length),
            ret: r.ret,
            ...(r.durationUs === undefined ? {} : { durationNs: r.durationUs * 1000 }),
          },
        ]);
      }
    } else if (r.kind === 'exited') out.push([r.line, 0, { kind: 'exited', tid: r.tid, timeNs: ns(r.timeUs), code: r.code }]);
    else if (r.kind === 'killed')
      out.push([r.line, 0, { kind: 'killed', tid: r.tid, timeNs: ns(r.timeUs), signal: r.signal, coreDumped: r.coreDumped }]);
    else if (r.kind === 'signal')
      out.push([r.line, 0, { kind: 'signal', tid: r.tid, timeNs: ns(r.timeUs), signal: r.signal, info: r.info as string }]);
    else throw new Error(`no formatter item for ${r.kind}`);
  }
  return out.sort((a, b) => a[0] - b[0] || a[1] - b[1]).map((x) => x[2]);
}
