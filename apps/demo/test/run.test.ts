import { describe, expect, it } from 'vitest';
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
  it('rejects an unknown scenario or file in one line', async () => {
    const r = await cli('run', 'nope');
    expect(r.status).not.toBe(0);
    expect(r.err).toMatch(/no such scenario or file/);
  });
});
