import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createTraceHeader, type OssimEvent } from '@ossim/eventlog';
import { recordTraceFile } from '@ossim/eventlog/node';
import { afterAll, describe, expect, it } from 'vitest';
import { OSSIM_VERSION } from '../src/version.ts';
import { cli } from './helpers.ts';

const dir = mkdtempSync(join(tmpdir(), 'ossim-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('ossim', () => {
  it('--version prints the version', async () => {
    const r = await cli('--version');
    expect(r).toMatchObject({ status: 0, out: `${OSSIM_VERSION}\n` });
    expect(OSSIM_VERSION).toMatch(/^\d+\.\d+\.\d+/);
  });

  it('--help lists the commands', async () => {
    const r = await cli('--help');
    expect(r.status).toBe(0);
    expect(r.out).toMatch(/^Usage: ossim/);
    for (const command of ['tour', 'info']) expect(r.out).toMatch(new RegExp(`^  ${command}\\b`, 'm'));
  });

  it('rejects an unknown command or flag with a non-zero status', async () => {
    const r = await cli('frobnicate');
    expect(r.status).not.toBe(0);
    expect(r.err).toMatch(/unknown command 'frobnicate'/);
    const f = await cli('tour', '--bogus');
    expect(f.status).not.toBe(0);
    expect(f.err).toMatch(/unknown option '--bogus'/);
  });

  it('tour records, re-folds, re-executes, detects tampering and resumes a snapshot', async () => {
    const r = await cli('tour');
    expect(r.status).toBe(0);
    expect(r.out).toMatch(/identical to the live run/);
    expect(r.out).toMatch(/no divergence/);
    expect(r.out).toMatch(/divergence at seq \d+, field "latency"/);
    expect(r.out).toMatch(/identical to the uninterrupted run/);
    expect(r.out).not.toMatch(/DIFFERENT/);
    for (const name of ['two-stacks', 'preempt-in-kernel', 'single-stack', 'irq-nesting', 'zombie', 'kernel-threads', 'thread-info-mask']) {
      expect(r.out).toMatch(new RegExp(`^\\d/7 ${name}: `, 'm'));
    }
    expect(r.out).not.toMatch(/FAILED/);
    expect((await cli('tour')).out).toBe(r.out);
  });
});

describe('ossim info', () => {
  const header = createTraceHeader('0.1.0', { os: 'test', workload: 'w', seed: 3 });

  it('summarises a valid recording', async () => {
    const path = join(dir, 'ok.ndjson.gz');
    const rec = recordTraceFile(path, header);
    for (let seq = 1; seq <= 5; seq++) rec.write({ seq, time: seq * 1000, type: 'log.marker', label: String(seq) } as OssimEvent);
    rec.close();
    const r = await cli('info', path);
    expect(r.status).toBe(0);
    expect(r.out).toContain('events:   5 (seq 1..5), simulated 1.000 us .. 5.000 us');
    expect(r.out).toMatch(/log\.marker\s+5/);
    const j = await cli('info', path, '--json');
    expect(JSON.parse(j.out)).toMatchObject({ events: 5, firstNs: 1000, lastNs: 5000, types: { 'log.marker': 5 } });
  });

  it('names the file and line of a bad recording, in one line, with a non-zero status', async () => {
    const path = join(dir, 'bad.ndjson');
    writeFileSync(path, `${JSON.stringify(header)}\n{"seq":1,"time":0,"type":"a"}\n{"seq":3,"time":0,"type":"a"}\n`);
    const r = await cli('info', path);
    expect(r.status).toBe(1);
    expect(r.err).toBe(`ossim: ${path}:3: seq jumps from 1 to 3 (event 2 is missing)\n`);
  });

  it('reports a missing file', async () => {
    const r = await cli('info', join(dir, 'nope.ndjson'));
    expect(r.status).toBe(1);
    expect(r.err).toMatch(/nope\.ndjson: no such file/);
  });
});

describe('the ossim process', () => {
  it('stops quietly when its reader goes away (ossim ... | head)', async () => {
    const { spawnSync } = await import('node:child_process');
    const { resolve } = await import('node:path');
    const root = resolve(import.meta.dirname, '../../..');
    const r = spawnSync(
      'bash',
      [
        '-c',
        'set -o pipefail; node --conditions=@ossim/source --import tsx apps/demo/src/cli.ts sched --policy RR --random-jobs 3000 --max-len 100 --quantum 1 --segments | head -c 100 >/dev/null; echo "status=$?"',
      ],
      { cwd: root, encoding: 'utf8' },
    );
    expect(r.stderr).toBe('');
    expect(r.stdout.trim()).toBe('status=0');
  }, 60_000);
});
