// The worked examples of OSTEP ch. 7 ("Scheduling: Introduction"), figures worked out by hand.
import { describe, expect, it } from 'vitest';
import { createRoundRobin, type SimulationResult, simulate } from '../src/index.ts';
import { jobsOf } from './helpers.ts';

const figures = (r: SimulationResult): { response: number[]; turnaround: number[]; wait: number[] } => ({
  response: r.jobs.map((j) => j.response),
  turnaround: r.jobs.map((j) => j.turnaround),
  wait: r.jobs.map((j) => j.wait),
});
const rr = (quantum: number) => () => createRoundRobin({ quantum });

describe('FIFO', () => {
  it('200,200,200: each job waits for the ones before it', () => {
    const r = simulate({ jobs: jobsOf([200, 200, 200]), policy: 'FIFO' });
    // finishes at 200, 400, 600; starts at 0, 200, 400
    expect(figures(r)).toEqual({ response: [0, 200, 400], turnaround: [200, 400, 600], wait: [0, 200, 400] });
    expect(r.averages).toEqual({ response: 200, turnaround: 400, wait: 200 }); // (200+400+600)/3, (0+200+400)/3
  });

  it('100,200,300: turnaround 333.33, response 133.33', () => {
    const r = simulate({ jobs: jobsOf([100, 200, 300]), policy: 'FIFO' });
    expect(figures(r)).toEqual({ response: [0, 100, 300], turnaround: [100, 300, 600], wait: [0, 100, 300] });
    expect(r.averages.turnaround).toBeCloseTo(1000 / 3, 9); // (100+300+600)/3 = 333.33
    expect(r.averages.response).toBeCloseTo(400 / 3, 9); // (0+100+300)/3 = 133.33
    expect(r.averages.wait).toBeCloseTo(400 / 3, 9);
    expect(r.segments.map((s) => [s.id, s.start, s.end])).toEqual([
      [0, 0, 100],
      [1, 100, 300],
      [2, 300, 600],
    ]);
  });

  it('300,200,100: the convoy effect', () => {
    const r = simulate({ jobs: jobsOf([300, 200, 100]), policy: 'FIFO' });
    expect(r.averages.turnaround).toBeCloseTo((300 + 500 + 600) / 3, 9); // 466.67
  });
});

describe('SJF', () => {
  it('200,200,200: ties go by job order, so it is FIFO', () => {
    const r = simulate({ jobs: jobsOf([200, 200, 200]), policy: 'SJF' });
    expect(r.segments.map((s) => s.id)).toEqual([0, 1, 2]);
    expect(r.averages).toEqual({ response: 200, turnaround: 400, wait: 200 });
  });

  it('100,200,300: already shortest first', () => {
    const r = simulate({ jobs: jobsOf([100, 200, 300]), policy: 'SJF' });
    expect(figures(r)).toEqual({ response: [0, 100, 300], turnaround: [100, 300, 600], wait: [0, 100, 300] });
    expect(r.averages.turnaround).toBeCloseTo(333.333333, 5);
    expect(r.averages.response).toBeCloseTo(133.333333, 5);
  });

  it('300,200,100: runs them shortest first (100, then 200, then 300)', () => {
    const r = simulate({ jobs: jobsOf([300, 200, 100]), policy: 'SJF' });
    expect(r.segments.map((s) => s.id)).toEqual([2, 1, 0]);
    expect(figures(r)).toEqual({ response: [300, 100, 0], turnaround: [600, 300, 100], wait: [300, 100, 0] });
    expect(r.averages.turnaround).toBeCloseTo(1000 / 3, 9);
  });

  it('A=100 at 0, B=C=10 at 10: non-preemptive, average turnaround 103.33', () => {
    const r = simulate({ jobs: jobsOf([100, 10, 10], [0, 10, 10]), policy: 'SJF' });
    // A to 100, B to 110, C to 120: (100 + (110-10) + (120-10)) / 3
    expect(figures(r).turnaround).toEqual([100, 100, 110]);
    expect(r.averages.turnaround).toBeCloseTo(310 / 3, 9);
  });
});

describe('STCF', () => {
  it('A=100 at 0, B=C=10 at 10: B and C preempt A, average turnaround 50', () => {
    const r = simulate({ jobs: jobsOf([100, 10, 10], [0, 10, 10]), policy: 'STCF' });
    // ((120-0) + (20-10) + (30-10)) / 3 = 50
    expect(figures(r).turnaround).toEqual([120, 10, 20]);
    expect(r.averages.turnaround).toBe(50);
    expect(r.segments.map((s) => [s.id, s.start, s.end])).toEqual([
      [0, 0, 10],
      [1, 10, 20],
      [2, 20, 30],
      [0, 30, 120],
    ]);
  });
});

describe('round robin', () => {
  it('5,5,5 with a 1-unit slice: response 1, turnaround 14 (OSTEP)', () => {
    const r = simulate({ jobs: jobsOf([5, 5, 5]), policy: rr(1) });
    expect(figures(r).response).toEqual([0, 1, 2]);
    expect(figures(r).turnaround).toEqual([13, 14, 15]);
    expect(r.averages.response).toBe(1);
    expect(r.averages.turnaround).toBe(14);
  });

  it('200,200,200 with quantum 10: response 10, turnaround 590, wait 390', () => {
    const r = simulate({ jobs: jobsOf([200, 200, 200]), policy: rr(10) });
    // rounds of 30; each job needs 20 turns: job 0 ends in round 20 at 19*30+10 = 580, then 590, 600
    expect(figures(r)).toEqual({ response: [0, 10, 20], turnaround: [580, 590, 600], wait: [380, 390, 400] });
    expect(r.averages).toEqual({ response: 10, turnaround: 590, wait: 390 });
  });

  it('100,200,300 with quantum 10: response 10, turnaround 456.67, wait 256.67', () => {
    const r = simulate({ jobs: jobsOf([100, 200, 300]), policy: rr(10) });
    // job 0: 10 turns in rounds of 30, ends at 9*30+10 = 280.
    // Then 1 and 2 each have 100 done at 300; rounds of 20: job 1 needs 10 more turns, ends at 300+9*20+10 = 490;
    // job 2 has 100 left at 500, ends at 600.
    expect(figures(r)).toEqual({ response: [0, 10, 20], turnaround: [280, 490, 600], wait: [180, 290, 300] });
    expect(r.averages.response).toBe(10);
    expect(r.averages.turnaround).toBeCloseTo(1370 / 3, 9); // 456.67
    expect(r.averages.wait).toBeCloseTo(770 / 3, 9); // 256.67
  });

  it('a job with at most one quantum left finishes in that turn, and the next starts at once', () => {
    const r = simulate({ jobs: jobsOf([15, 10, 4]), policy: rr(10) });
    expect(r.segments.map((s) => [s.id, s.start, s.end])).toEqual([
      [0, 0, 10],
      [1, 10, 20],
      [2, 20, 24],
      [0, 24, 29],
    ]);
  });

  it('the queue starts in job order; a job arriving when a slice ends goes before the preempted one', () => {
    const r = simulate({ jobs: jobsOf([30, 30], [0, 10]), policy: rr(10) });
    expect(r.segments.map((s) => [s.id, s.start, s.end])).toEqual([
      [0, 0, 10],
      [1, 10, 20],
      [0, 20, 30],
      [1, 30, 40],
      [0, 40, 50],
      [1, 50, 60],
    ]);
  });
});

describe('switch cost', () => {
  it('every switch to another job (from idle too) delays it and counts as waiting', () => {
    const r = simulate({ jobs: jobsOf([100, 200, 300]), policy: 'FIFO', switchCost: 1 });
    // starts at 1, 102, 303
    expect(figures(r)).toEqual({ response: [1, 102, 303], turnaround: [101, 302, 603], wait: [1, 102, 303] });
    expect(r.switches).toBe(3);
  });

  it('is not paid when the same job goes on running', () => {
    const r = simulate({ jobs: jobsOf([30]), policy: rr(10), switchCost: 5 });
    expect(r.jobs[0]?.completion).toBe(35);
    expect(r.decisions).toBe(3);
    expect(r.switches).toBe(1);
  });
});
