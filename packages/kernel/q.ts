import { buildWorkload, createKernel, PRESETS } from '/work/main/packages/kernel/src/index.ts';

const w = buildWorkload({
  name: 'x',
  processes: [
    {
      comm: 'writer',
      steps: [
        { op: 'disk-write', bytes: 4096 },
        { op: 'write', text: 'writer: write() returned\n' },
      ],
    },
    { comm: 'other', steps: [{ op: 'loop', times: 3, steps: [{ op: 'getpid' }, { op: 'write', text: 'Hello\n' }] }] },
  ],
});
const k = createKernel({ os: PRESETS.x86_64, workload: w });
let n = 0;
k.log.listen(() => {
  n++;
});
const t0 = process.hrtime.bigint();
const r = k.run({ until: 20_000_000 });
console.log(r, n, k.console, Number(process.hrtime.bigint() - t0) / 1e6, 'ms', k.instructions);
