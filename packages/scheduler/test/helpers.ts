import { expect } from 'vitest';
import type { Job, SimulationResult } from '../src/index.ts';

/** Jobs 0, 1, 2, ... of the given lengths, arriving at `arrivals` (default all at 0). */
export function jobsOf(lengths: readonly number[], arrivals: readonly number[] = []): Job[] {
  return lengths.map((length, i) => ({ id: i, arrival: arrivals[i] ?? 0, length }));
}

/** CPU time each job got in [from, to), by job index. */
export function cpuTimeIn(result: SimulationResult, from: number, to: number): number[] {
  const out = result.jobs.map(() => 0);
  for (const s of result.segments) {
    const start = Math.max(s.start, from);
    const end = Math.min(s.end, to);
    if (end > start) out[s.job] = (out[s.job] as number) + end - start;
  }
  return out;
}

/**
 * The invariants every policy must keep (the contract suite): every job runs to
 * completion, gets exactly its length of CPU, never runs on two CPUs at once, no CPU
 * runs two jobs at once, and its time adds up.
 */
export function checkInvariants(jobs: readonly Job[], result: SimulationResult): void {
  expect(result.jobs).toHaveLength(jobs.length);
  const byJob = jobs.map(() => [] as { start: number; end: number; cpu: number }[]);
  for (const s of result.segments) {
    expect(s.end).toBeGreaterThan(s.start);
    expect(s.cpu).toBeGreaterThanOrEqual(0);
    expect(s.cpu).toBeLessThan(result.cpus);
    expect(s.id).toBe(jobs[s.job]?.id);
    byJob[s.job]?.push(s);
  }
  jobs.forEach((job, i) => {
    const r = result.jobs[i];
    if (r === undefined) throw new Error(`no result for job ${i}`);
    const segs = (byJob[i] ?? []).sort((a, b) => a.start - b.start);
    // it ran, exactly its length, inside [arrival, completion]
    expect(segs.length).toBeGreaterThan(0);
    expect(segs.reduce((sum, s) => sum + s.end - s.start, 0)).toBe(job.length);
    expect(segs[0]?.start).toBe(r.firstRun);
    expect(segs.at(-1)?.end).toBe(r.completion);
    expect(r.firstRun).toBeGreaterThanOrEqual(job.arrival);
    // never on two CPUs at once
    for (let k = 1; k < segs.length; k++) expect(segs[k]?.start).toBeGreaterThanOrEqual(segs[k - 1]?.end as number);
    // the textbook definitions, and time conservation
    expect(r.response).toBe(r.firstRun - job.arrival);
    expect(r.turnaround).toBe(r.completion - job.arrival);
    expect(r.wait).toBeGreaterThanOrEqual(0);
    expect(r.wait + job.length + r.blocked).toBe(r.turnaround);
    const ios = job.ioEvery === undefined ? 0 : Math.floor((job.length - 1) / job.ioEvery);
    expect(r.blocked).toBe(ios * (job.ioLength ?? 0));
  });
  // no CPU runs two jobs at once
  for (let cpu = 0; cpu < result.cpus; cpu++) {
    const segs = result.segments.filter((s) => s.cpu === cpu);
    for (let k = 1; k < segs.length; k++) expect(segs[k]?.start).toBeGreaterThanOrEqual(segs[k - 1]?.end as number);
  }
  expect(result.makespan).toBe(Math.max(...result.jobs.map((r) => r.completion)));
  const mean = (f: (r: (typeof result.jobs)[number]) => number): number => result.jobs.reduce((s, r) => s + f(r), 0) / jobs.length;
  expect(result.averages.response).toBeCloseTo(
    mean((r) => r.response),
    9,
  );
  expect(result.averages.turnaround).toBeCloseTo(
    mean((r) => r.turnaround),
    9,
  );
  expect(result.averages.wait).toBeCloseTo(
    mean((r) => r.wait),
    9,
  );
}
