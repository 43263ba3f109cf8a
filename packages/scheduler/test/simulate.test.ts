import { createClock, createEventLog, type OssimEvent } from '@ossim/eventlog';
import { describe, expect, it } from 'vitest';
import { createFifo, type Job, type SchedPolicy, SchedulerError, simulate } from '../src/index.ts';
import { jobsOf } from './helpers.ts';

const spans = (r: ReturnType<typeof simulate>) => r.segments.map((s) => [s.id, s.start, s.end]);

describe('I/O', () => {
  it('a job runs ioEvery, blocks ioLength, and is runnable again; no I/O after its last burst', () => {
    const r = simulate({ jobs: [{ id: 'A', arrival: 0, length: 30, ioEvery: 10, ioLength: 5 }], policy: 'FIFO' });
    expect(spans(r)).toEqual([
      ['A', 0, 10],
      ['A', 15, 25],
      ['A', 30, 40],
    ]);
    expect(r.jobs[0]).toMatchObject({ completion: 40, turnaround: 40, blocked: 10, wait: 0, response: 0 });
  });

  it('another job runs while one is blocked (OSTEP ch. 7, overlap)', () => {
    const jobs: Job[] = [
      { id: 'A', arrival: 0, length: 20, ioEvery: 10, ioLength: 20 },
      { id: 'B', arrival: 0, length: 40 },
    ];
    // FIFO: A runs, blocks at 10; B runs 10-50 (A is back at 30 and waits); A runs 50-60
    const r = simulate({ jobs, policy: 'FIFO' });
    expect(spans(r)).toEqual([
      ['A', 0, 10],
      ['B', 10, 50],
      ['A', 50, 60],
    ]);
    expect(r.jobs[0]).toMatchObject({ wait: 20, blocked: 20, turnaround: 60 });
    // STCF: A (10 left) preempts B (20 left) when it comes back at 30
    const s = simulate({ jobs, policy: 'STCF' });
    expect(spans(s)).toEqual([
      ['A', 0, 10],
      ['B', 10, 30],
      ['A', 30, 40],
      ['B', 40, 60],
    ]);
    expect(s.jobs[0]).toMatchObject({ wait: 0, blocked: 20, turnaround: 40 });
  });
});

describe('several CPUs', () => {
  it('spreads jobs over per-CPU queues and balances them', () => {
    const r = simulate({ jobs: jobsOf([100, 100, 100, 100]), policy: 'FIFO', cpus: 2 });
    expect(r.makespan).toBe(200);
    expect(r.segments.map((s) => [s.id, s.cpu, s.start])).toEqual([
      [0, 0, 0],
      [1, 1, 0],
      [2, 0, 100],
      [3, 1, 100],
    ]);
  });

  it('an idle CPU takes work queued elsewhere at once', () => {
    // jobs 0 and 2 queue on CPU 0, 1 and 3 on CPU 1; job 1 is short, so CPU 1 pulls job 2 when it has nothing else
    const r = simulate({ jobs: jobsOf([100, 10, 100, 10]), policy: 'FIFO', cpus: 2 });
    expect(r.segments.map((s) => [s.id, s.cpu, s.start, s.end])).toEqual([
      [0, 0, 0, 100],
      [1, 1, 0, 10],
      [3, 1, 10, 20],
      [2, 1, 20, 120],
    ]);
  });
});

describe('events', () => {
  it('publishes sched.* events at simulated times, starting from the log clock', () => {
    const clock = createClock(1_000);
    const log = createEventLog({ clock });
    const events: OssimEvent[] = [];
    log.listen((e) => events.push(e));
    simulate({ jobs: jobsOf([10, 10]), policy: 'RR', log });
    expect(events.map((e) => [e.time, e.type])).toEqual([
      [1_000, 'sched.enqueue'],
      [1_000, 'sched.enqueue'],
      [1_000, 'sched.pick'],
      [1_010, 'sched.tick'],
      [1_010, 'sched.dequeue'],
      [1_010, 'sched.pick'],
      [1_020, 'sched.tick'],
      [1_020, 'sched.dequeue'],
      [1_020, 'sched.pick'],
    ]);
    expect(clock.now).toBe(1_020);
  });
});

describe('input errors', () => {
  const bad = (jobs: Job[], message: string) => {
    expect(() => simulate({ jobs, policy: 'FIFO' })).toThrow(message);
    try {
      simulate({ jobs, policy: 'FIFO' });
    } catch (e) {
      expect(e).toBeInstanceOf(SchedulerError);
      expect((e as SchedulerError).code).toBe('bad-job');
    }
  };

  it('names the job and the field', () => {
    bad([], 'jobs: give at least one job');
    bad([{ id: 'A', arrival: 0, length: 0 }], 'jobs[0].length: must be a positive integer, got 0');
    bad([{ id: 'A', arrival: 0, length: 1.5 }], 'jobs[0].length: must be a positive integer, got 1.5');
    bad(
      [
        { id: 'A', arrival: 0, length: 5 },
        { id: 'B', arrival: -1, length: 5 },
      ],
      'jobs[1].arrival: must be a non-negative integer, got -1',
    );
    bad(
      [
        { id: 'A', arrival: 0, length: 5 },
        { id: 'A', arrival: 0, length: 5 },
      ],
      'jobs[1].id: "A" is used by another job',
    );
    bad([{ id: 'A', arrival: 0, length: 5, ioEvery: 2 }], 'jobs[0]: give both ioEvery and ioLength, or neither');
    bad([{ id: 'A', arrival: 0, length: 5, ioEvery: 0, ioLength: 1 }], 'jobs[0].ioEvery: must be a positive integer, got 0');
    bad([{ id: 'A', arrival: 0, length: 5, nice: 20 }], 'jobs[0].nice: must be an integer in [-20, 19], got 20');
    bad([{ id: 'A', arrival: 0, length: 5, priority: 0.5 }], 'jobs[0].priority: must be an integer, got 0.5');
  });

  it('checks the options', () => {
    const jobs = jobsOf([5]);
    expect(() => simulate({ jobs, policy: 'FIFO', cpus: 0 })).toThrow('cpus: must be a positive integer, got 0');
    expect(() => simulate({ jobs, policy: 'FIFO', switchCost: -1 })).toThrow('switchCost: must be a non-negative integer, got -1');
    expect(() => simulate({ jobs, policy: 'LOTTERY' as 'FIFO' })).toThrow(
      'unknown policy "LOTTERY" (expected one of FIFO, SJF, STCF, RR, PRIO, MLFQ, CFS)',
    );
  });

  it('reports a policy that never finishes the work', () => {
    // a policy that forgets preempted tasks
    const leaky = (): SchedPolicy => {
      const fifo = createFifo();
      return {
        ...fifo,
        name: 'leaky',
        nrQueued: 0,
        enqueue: (t, now) => (t.tid === 0 ? fifo.enqueue(t, now) : undefined),
        dequeue: () => false,
      };
    };
    expect(() => simulate({ jobs: jobsOf([5, 5]), policy: leaky })).toThrow(SchedulerError);
  });
});
