import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildWorkload } from '@ossim/kernel';
import { afterAll, describe, expect, it } from 'vitest';
import { cli } from './helpers.ts';

describe('ossim run', () => {
  it('narrates a scenario', async () => {
    const r = await cli('run', 'zombie');
    expect(r.status).toBe(0);
    expect(r.out).toMatch(/the zombie keeps its kernel stack/);
    expect(r.out).not.toMatch(/FAILED/);
  });
  it('prints the JSON shape', async () => {
    const r = await cli('run', 'irq-nesting', '--json');
    const j = JSON.parse(r.out) as { scenario: string; runs: { os: string; outcome: string; tasks: { pid: number; tid: number }[] }[] };
    expect(j.scenario).toBe('irq-nesting');
    expect(j.runs.map((x) => [x.os, x.outcome])).toEqual([
      ['i386-4k', 'overflow'],
      ['i386-4k-irqstacks', 'ok'],
      ['vmap-4k', 'overflow'],
    ]);
    expect(j.runs[0]?.tasks.some((t) => t.pid === 3 && t.tid === 3)).toBe(true);
  });
  it.each([
    ['--os', 'x86_64'],
    ['--until', '5ms'],
    ['--seed', '3'],
  ])('refuses %s with a scenario (it runs its own variants), exit 2', async (flag, value) => {
    const r = await cli('run', 'zombie', flag, value);
    expect(r.status).toBe(2);
    expect(r.out).toBe('');
    expect(r.err).toBe(`ossim: ${flag}: a scenario runs the variants and inputs it compares; ${flag} is for a program or workload\n`);
  });
  it('rejects an unknown scenario or file in one line', async () => {
    const r = await cli('run', 'nope');
    expect(r.status).not.toBe(0);
    expect(r.err).toMatch(/no such scenario or file/);
  });
});

describe('ossim run --until', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ossim-run-'));
  const workload = join(dir, 'sleeper.json');
  writeFileSync(
    workload,
    JSON.stringify(buildWorkload({ name: 'sleeper', processes: [{ comm: 'sleeper', steps: [{ op: 'sleep', ns: 50_000_000 }] }] })),
  );
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it.each([
    ['12ms', 12_000_000],
    ['3400us', 3_400_000],
    ['52000ns', 52_000],
    ['0.02s', 20_000_000],
  ])('takes a time with its unit: %s', async (text, ns) => {
    const r = await cli('run', workload, '--until', text, '--json');
    expect(r.err).toBe('');
    expect(r.status).toBe(0);
    const j = JSON.parse(r.out) as { runs: { outcome: string; simulatedNs: number }[] };
    expect(j.runs[0]?.outcome).toBe('ok');
    expect(j.runs[0]?.simulatedNs).toBeGreaterThanOrEqual(ns);
    expect(j.runs[0]?.simulatedNs).toBeLessThan(ns + 100_000);
  });

  it.each([['12'], ['12 parsecs'], ['-3ms'], ['ms']])('rejects %j with a clear error and exit 2', async (text) => {
    const r = await cli('run', workload, '--until', text);
    expect(r.status).toBe(2);
    expect(r.out).toBe('');
    expect(r.err).toMatch(/--until: .* is not a time with a unit \(for example 12ms, 3400us, 52000ns\)/);
  });

  it('rejects a zero time', async () => {
    const r = await cli('run', workload, '--until', '0ms');
    expect(r.status).toBe(2);
    expect(r.err).toMatch(/--until/);
  });
});

describe('ossim run <workload.json> that is not a workload', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ossim-run-bad-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const file = (name: string, value: unknown): string => {
    const path = join(dir, name);
    writeFileSync(path, JSON.stringify(value));
    return path;
  };

  it('names the file and the field, exits 1, and creates no recording', async () => {
    // buildWorkload's input written as JSON: the likeliest mistake.
    const shape = file('shape.json', { name: 'w', processes: [{ comm: 'app', steps: [{ op: 'yield' }] }] });
    const trace = join(dir, 'shape.ndjson');
    const r = await cli('run', shape, '--record', trace);
    expect(r.status).toBe(1);
    expect(r.out).toBe('');
    expect(r.err).toBe(
      `ossim: ${shape}: programs: missing (an object of program names to assembly sources; processes with "steps" are the input of buildWorkload, which makes a workload of them)\n`,
    );
    expect(existsSync(trace)).toBe(false);
  });

  it.each([
    ['array.json', [1], 'a workload is an object with name, programs and processes, not an array'],
    ['noprogram.json', { name: 'w', programs: {}, processes: [{}] }, 'processes[0].program: missing (a program name (a string))'],
    [
      'nic.json',
      { name: 'w', programs: { a: '_start:\n hlt\n' }, processes: [{ program: 'a' }], nic: [-1] },
      'nic[0]: a time in ns (an integer >= 0), not -1',
    ],
    [
      'asm.json',
      { name: 'w', programs: { a: '_start:\n    bogus r0\n' }, processes: [{ program: 'a' }] },
      'programs.a:2:5: unknown mnemonic "bogus"',
    ],
  ])('%s', async (name, value, message) => {
    const path = file(name, value);
    const r = await cli('run', path);
    expect(r.status).toBe(1);
    expect(r.err).toBe(`ossim: ${path}: ${message}\n`);
  });
});
