import type { WorkloadShape } from '../src/index.ts';

/** Threads, fork and wait, pipes, disk I/O by DMA, sleeps, kernel threads and NIC interrupts: most of the kernel's state at once. */
export const MIX: WorkloadShape = {
  name: 'checkpoint-mix',
  processes: [
    {
      comm: 'mixer',
      steps: [
        {
          op: 'threads',
          count: 3,
          steps: [{ op: 'getpid' }, { op: 'call', depth: 4, cycles: 300 }, { op: 'sleep', ns: 400_000 }, { op: 'yield' }],
        },
        { op: 'disk-write', bytes: 3000 },
        {
          op: 'fork',
          child: [
            { op: 'write', text: 'child\n' },
            { op: 'disk-read', bytes: 512 },
            { op: 'exit', code: 3 },
          ],
        },
        { op: 'wait' },
      ],
    },
    { comm: 'pinger', steps: [{ op: 'pipe-pingpong', rounds: 6 }] },
  ],
  kthreads: [{ name: 'kworker/0:1', cycles: 2_000, period: 500_000 }],
  nic: [300_000, 900_000, 1_700_000],
};
