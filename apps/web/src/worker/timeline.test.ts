import { SCENARIOS } from '@ossim/kernel';
import { describe, expect, it } from 'vitest';
import { scenarioRuns } from '../scenarios.ts';
import { loadSession } from './session.ts';
import { SLICE_KINDS, type TimelineData } from './timeline.ts';

const slices = (t: TimelineData, lane: number) =>
  Array.from({ length: t.count }, (_, i) => i)
    .filter((i) => t.lane[i] === lane)
    .map((i) => ({
      depth: t.depth[i],
      kind: SLICE_KINDS[t.kind[i] as number],
      label: t.labels[t.label[i] as number],
      start: t.start[i],
      end: t.end[i],
    }));

describe('the timeline built from the events', () => {
  it('single-stack: the CPU runs the writer into write(), and the #UD of the oops nests in it; thread lanes follow the states', async () => {
    const s = await loadSession({ kind: 'scenario', scenario: 'single-stack', run: 0, os: null }, () => {});
    const t = s.timeline;
    expect(t.cpus).toBe(1);
    const cpu = slices(t, 0);
    expect(cpu.some((x) => x.depth === 1 && x.kind === 'syscall' && x.label === 'write()')).toBe(true);
    const ud = cpu.find((x) => x.kind === 'exception' && x.label === '#UD invalid opcode');
    expect(ud?.depth).toBe(2);
    expect(cpu.some((x) => x.depth === 0 && x.kind === 'task' && x.label === 'writer (3)')).toBe(true);
    // Slices of one lane and depth never overlap (the views rely on it).
    for (let lane = 0; lane < t.cpus + t.threads.length; lane++) {
      const byDepth = new Map<number, { start: number; end: number }[]>();
      for (const x of slices(t, lane))
        byDepth.set(x.depth as number, [...(byDepth.get(x.depth as number) ?? []), x as { start: number; end: number }]);
      for (const list of byDepth.values()) {
        list.sort((a, b) => a.start - b.start);
        for (let i = 1; i < list.length; i++) expect(list[i]?.start).toBeGreaterThanOrEqual(list[i - 1]?.end as number);
      }
    }
    const writer = t.cpus + t.threads.findIndex((x) => x.tid === 3);
    const states = slices(t, writer).map((x) => x.kind);
    expect(states).toEqual(expect.arrayContaining(['running', 'disk', 'runnable']));
  });
});

describe('timeline slices', () => {
  it('of one lane and depth never overlap, on every scenario run (the views find a slice by its start)', async () => {
    for (const name of SCENARIOS) {
      for (let run = 0; run < scenarioRuns(name).length; run++) {
        const t = (await loadSession({ kind: 'scenario', scenario: name, run, os: null }, () => {})).timeline;
        for (let lane = 0; lane < t.cpus + t.threads.length; lane++) {
          const byDepth = new Map<number, { start: number; end: number }[]>();
          for (const x of slices(t, lane))
            byDepth.set(x.depth as number, [...(byDepth.get(x.depth as number) ?? []), x as { start: number; end: number }]);
          for (const list of byDepth.values()) {
            list.sort((a, b) => a.start - b.start);
            for (let i = 1; i < list.length; i++)
              expect(list[i]?.start, `${name} run ${run} lane ${lane}`).toBeGreaterThanOrEqual(list[i - 1]?.end as number);
          }
        }
      }
    }
  });
});
