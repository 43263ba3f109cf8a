import { buildWorkload, defineOs, type OsVariant, PRESETS, SCENARIOS, type ScenarioName, type Workload } from '@ossim/kernel';

/** One run of a scenario: a variant and the workload it runs. */
export interface ScenarioRunInputs {
  /** The run's name, as `ossim run <scenario> --json` names it. */
  readonly label: string;
  readonly os: OsVariant;
  readonly workload: Workload;
}

/** How long a scenario's run may go, in simulated ns (the scenarios' own bound). */
export const SCENARIO_UNTIL_NS = 2_000_000_000;
/** The seed the scenarios run with (createKernel's default). */
export const SCENARIO_SEED = 1;

const MS = 1_000_000;

const ioWorkload = (): Workload =>
  buildWorkload({
    name: 'preempt-in-kernel',
    processes: [
      {
        comm: 'writer',
        steps: [
          { op: 'disk-write', bytes: 4096 },
          { op: 'write', text: 'writer: write() returned\n' },
        ],
      },
      {
        comm: 'other',
        steps: [
          { op: 'loop', times: 3, steps: [{ op: 'getpid' }, { op: 'write', text: 'Hello from other, making system calls meanwhile\n' }] },
          { op: 'loop', times: 10, steps: [{ op: 'compute', cycles: 500_000 }] },
        ],
      },
    ],
  });

const sleeper = (comm: string) => ({
  comm,
  steps: [
    {
      op: 'loop' as const,
      times: 6,
      steps: [
        { op: 'compute' as const, cycles: 1_000_000 },
        { op: 'sleep' as const, ns: 1 * MS },
      ],
    },
  ],
});

/**
 * The inputs of each seed scenario's runs: the same workloads and variants as
 * `runScenario` in @ossim/kernel builds (a test checks that both give the same runs).
 */
export function scenarioRuns(name: ScenarioName): ScenarioRunInputs[] {
  switch (name) {
    case 'two-stacks':
      return [
        {
          label: 'i386',
          os: PRESETS.i386,
          workload: buildWorkload({
            name: 'two-stacks',
            processes: [{ comm: 'app', steps: [{ op: 'threads', count: 2, steps: [{ op: 'getpid' }, { op: 'sleep', ns: 2 * MS }] }] }],
          }),
        },
      ];
    case 'preempt-in-kernel':
      return [PRESETS.i386, PRESETS.x86_64].map((os) => ({ label: os.name, os, workload: ioWorkload() }));
    case 'single-stack':
      return [
        { label: 'single-stack', os: PRESETS['single-stack'], workload: ioWorkload() },
        {
          label: 'single-stack (no blocking)',
          os: PRESETS['single-stack'],
          workload: buildWorkload({
            name: 'no-blocking',
            processes: [
              {
                comm: 'calm',
                steps: [{ op: 'getpid' }, { op: 'write', text: 'no preemption, no blocking: fine\n' }, { op: 'compute', cycles: 100_000 }],
              },
            ],
          }),
        },
      ];
    case 'irq-nesting': {
      const workload = buildWorkload({
        name: 'irq-nesting',
        processes: [
          {
            comm: 'raidwriter',
            steps: [
              { op: 'disk-write', bytes: 4096 },
              { op: 'write', text: 'write done\n' },
            ],
          },
        ],
        nic: Array.from({ length: 40 }, (_, i) => 2_000 + i * 1_500),
      });
      return [
        defineOs({ preset: 'i386', name: 'i386-4k', threadSize: 4096 }),
        defineOs({ preset: 'i386', name: 'i386-4k-irqstacks', threadSize: 4096, irqStacks: true }),
        defineOs({ preset: 'x86_64', name: 'vmap-4k', threadSize: 4096, irqStacks: false }),
      ].map((os) => ({ label: os.name, os, workload }));
    }
    case 'zombie':
      return [PRESETS.i386, PRESETS.x86_64].map((os) => ({
        label: os.name,
        os,
        workload: buildWorkload({
          name: 'zombie',
          processes: [
            {
              comm: 'parent',
              steps: [{ op: 'fork', child: [{ op: 'write', text: 'child exits\n' }] }, { op: 'sleep', ns: 2 * MS }, { op: 'wait' }],
            },
          ],
        }),
      }));
    case 'kernel-threads':
      return [
        {
          label: 'i386',
          os: PRESETS.i386,
          workload: buildWorkload({
            name: 'kernel-threads',
            processes: [sleeper('a'), sleeper('b')],
            kthreads: [
              { name: 'kworker/0:1', cycles: 50_000, period: 1_500_000 },
              { name: 'kworker/0:2', cycles: 30_000, period: 2_500_000 },
            ],
          }),
        },
      ];
    case 'thread-info-mask':
      return [
        {
          label: 'i386',
          os: PRESETS.i386,
          workload: buildWorkload({
            name: 'thread-info-mask',
            processes: [
              { comm: 'masked', steps: [{ op: 'threads', count: 3, steps: [{ op: 'getpid' }, { op: 'yield' }, { op: 'getpid' }] }] },
            ],
          }),
        },
      ];
  }
}

/** What each scenario shows, in a line. */
export const SCENARIO_TITLES: Record<ScenarioName, string> = {
  'two-stacks': 'every thread has two stacks: a user stack and a kernel stack',
  'preempt-in-kernel': 'a write() blocks in the kernel while another process runs',
  'single-stack': 'one kernel stack for everybody: the writer resumes on overwritten frames and oopses',
  'irq-nesting': 'a deep interrupt on a deep kernel path: overflow into thread_info, or the guard page',
  zombie: 'a zombie and its kernel stack',
  'kernel-threads': 'kernel threads run without an mm',
  'thread-info-mask': 'current found by masking SP',
};

export { SCENARIOS, type ScenarioName };
