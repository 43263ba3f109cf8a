/**
 * `pnpm bench sched`: scheduling decisions per second of the standalone simulator,
 * and the cost of one CFS enqueue + pick as the run queue grows.
 */

import { createCfs, createRoundRobin, type Job, type SchedTask, simulate } from '@ossim/scheduler';
import type { BenchModule } from '../../../scripts/benchkit.ts';
import { nsPerOp, opsPerSecond } from '../../../scripts/benchkit.ts';

// 1,000 jobs of 100 units each, all at time 0: round robin with quantum 1 makes 100,000 decisions.
const rrJobs: Job[] = Array.from({ length: 1000 }, (_, i) => ({ id: i, arrival: 0, length: 100 }));
const rrDecisions = simulate({ jobs: rrJobs, policy: () => createRoundRobin({ quantum: 1 }) }).decisions;

/**
 * A CFS run queue holding `n` runnable tasks (nice values spread over -5..5); each
 * operation picks the leftmost task, charges it a 1 ms tick and enqueues it again,
 * so the tree keeps `n` tasks.
 */
function cfsPickLoop(n: number, opsPerCall: number): () => void {
  const cfs = createCfs();
  const tasks: SchedTask[] = Array.from({ length: n }, (_, tid) => ({
    tid,
    nice: (tid % 11) - 5,
    priority: 0,
    length: undefined,
    remaining: undefined,
  }));
  let now = 0;
  for (const t of tasks) cfs.enqueue(t, now);
  return () => {
    for (let i = 0; i < opsPerCall; i++) {
      const t = cfs.pickNext(now) as SchedTask;
      now += 1_000_000;
      cfs.tick(t, 1_000_000, now);
      cfs.enqueue(t, now);
    }
  };
}

const OPS = 10_000;

const bench: BenchModule = {
  targets: {
    'sched.decisions_per_s': { min: 1_000_000 },
  },
  async run() {
    const decisionsPerS = await opsPerSecond(
      'sched.decisions_per_s',
      () => {
        simulate({ jobs: rrJobs, policy: () => createRoundRobin({ quantum: 1 }) });
      },
      rrDecisions,
    );
    return {
      'sched.decisions_per_s': decisionsPerS,
      'sched.cfs_pick_ns_10': await nsPerOp('sched.cfs_pick_ns_10', cfsPickLoop(10, OPS), OPS),
      'sched.cfs_pick_ns_1000': await nsPerOp('sched.cfs_pick_ns_1000', cfsPickLoop(1000, OPS), OPS),
      'sched.cfs_pick_ns_100000': await nsPerOp('sched.cfs_pick_ns_100000', cfsPickLoop(100_000, OPS), OPS),
    };
  },
};

export default bench;
