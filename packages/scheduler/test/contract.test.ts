import { createClock, createEventLog, type OssimEvent } from '@ossim/eventlog';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  createCfs,
  createFifo,
  createMlfq,
  createPriority,
  createRoundRobin,
  createSjf,
  createStcf,
  type Job,
  type PolicyFactory,
  simulate,
} from '../src/index.ts';
import { lottery } from './examples/lottery.ts';
import { checkInvariants, jobsOf } from './helpers.ts';

// Every policy, with time units small enough for the jobs below to exercise its slices.
const POLICIES: [string, PolicyFactory][] = [
  ['FIFO', () => createFifo()],
  ['SJF', () => createSjf()],
  ['STCF', () => createStcf()],
  ['RR', () => createRoundRobin({ quantum: 7 })],
  ['PRIO', () => createPriority()],
  ['PRIO with a quantum', () => createPriority({ quantum: 5 })],
  ['MLFQ', () => createMlfq({ quantum: [3, 6, 12], allotment: [6, 12, 24], boostPeriod: 50 })],
  ['CFS', () => createCfs({ schedLatency: 24, minGranularity: 3, wakeupGranularity: 4 })],
  ['lottery (the README example)', lottery(7, 5)],
];

const jobArb: fc.Arbitrary<Omit<Job, 'id'>> = fc
  .record(
    {
      arrival: fc.integer({ min: 0, max: 60 }),
      length: fc.integer({ min: 1, max: 60 }),
      io: fc.option(fc.tuple(fc.integer({ min: 1, max: 20 }), fc.integer({ min: 1, max: 20 })), { nil: undefined }),
      nice: fc.integer({ min: -20, max: 19 }),
      priority: fc.integer({ min: 0, max: 3 }),
    },
    { requiredKeys: ['arrival', 'length', 'nice', 'priority'] },
  )
  .map(({ io, ...rest }) => (io === undefined ? rest : { ...rest, ioEvery: io[0], ioLength: io[1] }));

const scenarioArb = fc.record({
  jobs: fc.array(jobArb, { minLength: 1, maxLength: 8 }).map((js) => js.map((j, i): Job => ({ id: `j${i}`, ...j }))),
  cpus: fc.integer({ min: 1, max: 3 }),
  switchCost: fc.integer({ min: 0, max: 3 }),
  balanceInterval: fc.integer({ min: 1, max: 40 }),
});

describe.each(POLICIES)('contract: %s', (_name, policy) => {
  it('runs every job to completion, one CPU per job and one job per CPU at a time, conserving time', () => {
    fc.assert(
      fc.property(scenarioArb, ({ jobs, cpus, switchCost, balanceInterval }) => {
        checkInvariants(jobs, simulate({ jobs, policy, cpus, switchCost, balanceInterval }));
      }),
      { numRuns: 150 },
    );
  });

  it('is deterministic: the same inputs give the same schedule and the same events', () => {
    fc.assert(
      fc.property(scenarioArb, ({ jobs, cpus, switchCost }) => {
        const run = (): { result: unknown; events: OssimEvent[] } => {
          const log = createEventLog({ clock: createClock() });
          const events: OssimEvent[] = [];
          log.listen((e) => events.push(e));
          return { result: simulate({ jobs, policy, cpus, switchCost, log }), events };
        };
        const a = run();
        const b = run();
        expect(b).toEqual(a);
        expect(a.events.length).toBeGreaterThan(0);
        // the log changes nothing
        expect(simulate({ jobs, policy, cpus, switchCost })).toEqual(a.result);
      }),
      { numRuns: 40 },
    );
  });

  it('never leaves the CPU idle while a job waits (one CPU, no I/O, no switch cost)', () => {
    fc.assert(
      fc.property(fc.array(jobArb, { minLength: 1, maxLength: 8 }), (specs) => {
        const jobs = specs.map(({ ioEvery: _every, ioLength: _length, ...rest }, i): Job => ({ id: i, ...rest }));
        const r = simulate({ jobs, policy });
        let t = 0;
        for (const s of r.segments) {
          if (s.start > t) {
            // idle in [t, s.start): no job may have arrived and not finished
            for (const [i, job] of jobs.entries()) {
              const done = r.jobs[i]?.completion as number;
              expect(job.arrival <= t && done > t, `job ${i} waited while the CPU idled at ${t}`).toBe(false);
            }
          }
          t = Math.max(t, s.end);
        }
      }),
      { numRuns: 100 },
    );
  });

  it('keeps several CPUs busy when there is work for them', () => {
    const r = simulate({ jobs: jobsOf([40, 40, 40, 40]), policy, cpus: 4 });
    expect(r.makespan).toBe(40);
    expect(new Set(r.segments.map((s) => s.cpu)).size).toBe(4);
  });
});
