// MLFQ against the rules of OSTEP ch. 8 ("Scheduling: The Multi-Level Feedback Queue").
import { describe, expect, it } from 'vitest';
import { createMlfq, createRoundRobin, type Job, type SchedTask, SchedulerError, simulate } from '../src/index.ts';
import { cpuTimeIn, jobsOf } from './helpers.ts';

const task = (tid: number): SchedTask => ({ tid, nice: 0, priority: 0, length: undefined, remaining: undefined });

describe('MLFQ', () => {
  it('Rule 3 and 4: a new job enters at the top and moves down one level per used allotment', () => {
    const mlfq = createMlfq({ levels: 3, quantum: 10 });
    const a = task(1);
    mlfq.enqueue(a, 0);
    expect(mlfq.levelOf(1)).toBe(0);
    expect(mlfq.pickNext(0)).toBe(a);
    expect(mlfq.timeSlice?.(a, 0)).toBe(10);
    expect(mlfq.tick(a, 4, 4)).toBe(false);
    expect(mlfq.tick(a, 6, 10)).toBe(true);
    expect(mlfq.levelOf(1)).toBe(1);
    mlfq.enqueue(a, 10);
    mlfq.pickNext(10);
    expect(mlfq.tick(a, 10, 20)).toBe(true);
    expect(mlfq.levelOf(1)).toBe(2);
    mlfq.enqueue(a, 20);
    mlfq.pickNext(20);
    expect(mlfq.tick(a, 10, 30)).toBe(true); // the bottom level is round robin: the quantum ends its turn
    expect(mlfq.levelOf(1)).toBe(2); // and it stays there
  });

  it('Rule 4: the allotment counts every turn, however often the job gives up the CPU', () => {
    const mlfq = createMlfq({ levels: 3, quantum: 10 });
    const gamer = task(1);
    mlfq.enqueue(gamer, 0);
    mlfq.pickNext(0);
    expect(mlfq.tick(gamer, 9, 9)).toBe(false); // gives up the CPU for I/O just before its slice ends
    mlfq.onWake?.(gamer, 10);
    mlfq.enqueue(gamer, 10);
    mlfq.pickNext(10);
    expect(mlfq.levelOf(1)).toBe(0);
    expect(mlfq.tick(gamer, 1, 11)).toBe(true); // 9 + 1 = the allotment: down it goes
    expect(mlfq.levelOf(1)).toBe(1);
  });

  it('Rule 4 in a run: a job that games the slice with I/O cannot starve a CPU hog', () => {
    const jobs: Job[] = [
      { id: 'hog', arrival: 0, length: 1000 },
      { id: 'gamer', arrival: 0, length: 1000, ioEvery: 9, ioLength: 1 },
    ];
    const [hog = 0, gamer = 0] = cpuTimeIn(simulate({ jobs, policy: () => createMlfq({ quantum: 10 }) }), 0, 500);
    expect(hog).toBeGreaterThan(200); // with the old Rule 4 (slice reset on I/O) the hog would get ~1 in 10
    expect(gamer).toBeGreaterThan(200);
  });

  it('Rule 1 and 3: a short job arriving later preempts the long one at the bottom and finishes first', () => {
    const r = simulate({ jobs: jobsOf([200, 20], [0, 100]), policy: () => createMlfq({ levels: 3, quantum: 10 }) });
    expect(r.segments.map((s) => [s.id, s.start, s.end])).toEqual([
      [0, 0, 100],
      [1, 100, 120],
      [0, 120, 220],
    ]);
    expect(r.jobs[1]?.response).toBe(0);
    expect(r.jobs[1]?.turnaround).toBe(20);
  });

  it('Rule 2: jobs at the same level take turns with the quantum (one level is round robin)', () => {
    const jobs = jobsOf([100, 200, 300]);
    const mlfq = simulate({ jobs, policy: () => createMlfq({ levels: 1, quantum: 10 }) });
    const rr = simulate({ jobs, policy: () => createRoundRobin({ quantum: 10 }) });
    expect(mlfq.segments).toEqual(rr.segments);
  });

  it('Rule 5: a priority boost lets a starving job run once per period', () => {
    // A long job sinks to the bottom; then a new short job arrives every 10 units and keeps the top busy.
    const shorts: Job[] = Array.from({ length: 48 }, (_, i) => ({ id: `s${i}`, arrival: 20 + 10 * i, length: 10 }));
    const jobs: Job[] = [{ id: 'A', arrival: 0, length: 100 }, ...shorts];
    const starved = simulate({ jobs, policy: () => createMlfq({ quantum: 10 }) });
    expect(cpuTimeIn(starved, 20, 500)[0]).toBe(0);
    const boosted = simulate({ jobs, policy: () => createMlfq({ quantum: 10, boostPeriod: 100 }) });
    for (const from of [100, 200, 300, 400]) expect(cpuTimeIn(boosted, from, from + 100)[0]).toBe(10);
  });

  it('Rule 5 moves every job, queued or running or sleeping, to the top with a fresh allotment', () => {
    const mlfq = createMlfq({ levels: 3, quantum: 10, boostPeriod: 100 });
    const [a, b] = [task(1), task(2)];
    mlfq.enqueue(a, 0);
    mlfq.enqueue(b, 0);
    mlfq.pickNext(0);
    mlfq.tick(a, 10, 10);
    mlfq.enqueue(a, 10);
    mlfq.pickNext(10);
    mlfq.tick(b, 10, 20);
    mlfq.enqueue(b, 20);
    expect([mlfq.levelOf(1), mlfq.levelOf(2)]).toEqual([1, 1]);
    expect(mlfq.pickNext(20)).toBe(a);
    expect(mlfq.timeSlice?.(a, 95)).toBe(5); // the slice ends at the boost
    expect(mlfq.tick(a, 80, 100)).toBe(true);
    expect([mlfq.levelOf(1), mlfq.levelOf(2)]).toEqual([0, 0]);
    expect(mlfq.queues().map((q) => q.map((t) => t.tid))).toEqual([[2], [], []]);
  });

  it('checks its options', () => {
    expect(() => createMlfq({ levels: 0 })).toThrow(SchedulerError);
    expect(() => createMlfq({ levels: 2, quantum: [10] })).toThrow('quantum: 1 values for 2 levels');
    expect(() => createMlfq({ allotment: 0 })).toThrow('allotment: must be a positive integer, got 0');
  });
});
