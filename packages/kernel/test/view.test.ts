import { type OssimEvent, refold } from '@ossim/eventlog';
import { formatStrace, type StraceItem } from '@ossim/trace';
import { describe, expect, it } from 'vitest';
import {
  buildWorkload,
  createKernel,
  createKernelView,
  createStraceFeed,
  kernelViewReducer,
  PRESETS,
  viewTaskInfos,
} from '../src/index.ts';

const workload = buildWorkload({
  name: 'view-test',
  processes: [
    {
      comm: 'app',
      steps: [{ op: 'threads', count: 2, steps: [{ op: 'getpid' }, { op: 'disk-write', bytes: 4096 }, { op: 'sleep', ns: 500_000 }] }],
    },
    {
      comm: 'shell',
      steps: [{ op: 'fork', child: [{ op: 'write', text: 'hi\n' }] }, { op: 'wait' }, { op: 'loop', times: 3, steps: [{ op: 'yield' }] }],
    },
  ],
});

function record(os = PRESETS.x86_64): { events: OssimEvent[]; kernel: ReturnType<typeof createKernel>; cuts: Map<number, string> } {
  const events: OssimEvent[] = [];
  // The kernel's own task table at a few moments, to compare with the view re-folded from the log.
  const cuts = new Map<number, string>();
  const kernel = createKernel({ os, workload, seed: 3, attach: (log) => log.listen((e) => events.push(e)) });
  kernel.log.on('sched.switch', (e) => {
    // A dead thread (X) is gone from /proc (and from the view) once reaped, even while the kernel still holds its task_struct.
    cuts.set(e.seq, snapshotOf(kernel.tasks().filter((t) => t.pid !== 0 && t.state !== 'X')));
  });
  kernel.run();
  return { events, kernel, cuts };
}

const snapshotOf = (tasks: readonly { pid: number; tid: number; ppid: number; state: string; nvcsw: number; nivcsw: number }[]): string =>
  JSON.stringify(tasks.map((t) => [t.pid, t.tid, t.ppid, t.state, t.nvcsw, t.nivcsw]).sort((a, b) => (a[1] as number) - (b[1] as number)));

describe('the kernel view re-folded from events', () => {
  it('agrees with the kernel’s own task table at every sampled moment', async () => {
    const { events, cuts } = record();
    expect(cuts.size).toBeGreaterThan(2);
    for (const [seq, expected] of cuts) {
      const { state } = await refold(events, kernelViewReducer, createKernelView(), { untilSeq: seq });
      // The kernel counts a switch only once __schedule has run it, which is where the event comes from.
      expect(JSON.parse(snapshotOf(viewTaskInfos(state).map((t) => ({ ...t, nvcsw: t.nvcsw ?? 0, nivcsw: t.nivcsw ?? 0 }))))).toEqual(
        JSON.parse(expected),
      );
    }
  });

  it('tracks KernelStack and removes reaped tasks', async () => {
    const { events, kernel } = record();
    const { state } = await refold(events, kernelViewReducer, createKernelView());
    const live = kernel
      .tasks()
      .filter((t) => t.pid !== 0 && t.state !== 'X')
      .map((t) => t.tid);
    expect(viewTaskInfos(state).map((t) => t.tid)).toEqual(live);
    const last = events.filter((e) => e.type === 'kstack.account').at(-1) as { kernelStackKb: number } | undefined;
    expect(state.kernelStackKb).toBe(last?.kernelStackKb);
    expect(state.switches).toBe(events.filter((e) => e.type === 'sched.switch').length);
  });

  it('feeds strace: every call started ends, in the kernel’s order, with Linux returns', () => {
    const { events } = record();
    const items: StraceItem[] = [];
    const feed = createStraceFeed((i) => items.push(i));
    for (const e of events) feed.event(e);
    feed.end();
    const enters = events.filter((e) => e.type === 'syscall.enter').length;
    expect(items.filter((i) => i.kind === 'call-start').length).toBe(enters);
    // A call still blocked when the run ends (init waiting for children that never come) has no end.
    const open = new Set<number>();
    for (const i of items) {
      if (i.kind === 'call-start') open.add(i.tid);
      else if (i.kind === 'call-end') open.delete(i.tid);
    }
    expect(items.filter((i) => i.kind === 'call-end').length).toBe(enters - open.size);
    expect([...open]).toEqual([1]);
    const text = formatStrace(items);
    expect(text).toMatch(/write\(1, "hi\\n", 3\)\s+= 3/);
    expect(text).toMatch(/wait4\(-1, /);
    expect(text).toMatch(/sched_yield\(\)\s+= 0/);
    expect(text).toMatch(/exit_group\(0\)\s+= \?/);
  });
});

describe('strace of how tasks end', () => {
  const straceOf = (steps: Parameters<typeof buildWorkload>[0]['processes'][number]['steps']): string => {
    const items: StraceItem[] = [];
    const feed = createStraceFeed((i) => items.push(i));
    const kernel = createKernel({
      os: PRESETS.x86_64,
      workload: buildWorkload({ name: 'ends', processes: [{ comm: 'app', steps }] }),
      attach: (log) => log.listen((e) => feed.event(e)),
    });
    kernel.run();
    feed.end();
    return formatStrace(items.filter((i) => i.tid === 3));
  };

  it('prints the exit code, not the wait status', () => {
    expect(straceOf([{ op: 'exit', code: 7 }])).toMatch(/^3 +exit_group\(7\) += \?\n3 +\+\+\+ exited with 7 \+\+\+$/m);
  });

  it('prints the signal and the kill for a task killed by a fault', () => {
    const text = straceOf([{ op: 'fault' }]);
    expect(text).toContain('3     --- SIGSEGV {si_signo=SIGSEGV, si_code=SEGV_MAPERR, si_addr=NULL} ---\n3     +++ killed by SIGSEGV +++');
    expect(text).not.toContain('exited with');
  });
});
