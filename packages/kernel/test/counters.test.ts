import type { OssimEvent } from '@ossim/eventlog';
import { describe, expect, it } from 'vitest';
import { buildWorkload, createKernel, createRunCounter, PRESETS, RUN_COUNTER_ROWS, showRunCounter } from '../src/index.ts';

const ev = (seq: number, time: number, type: string, payload: object): OssimEvent => ({ seq, time, type, ...payload }) as OssimEvent;

describe('createRunCounter', () => {
  it('counts switches, preemptions, system-call and wake-up latencies, stack figures', () => {
    const c = createRunCounter();
    for (const e of [
      ev(1, 0, 'task.new', { tid: 3, kstackTop: 0xc0102000 }),
      ev(2, 10, 'sched.switch', { cpu: 0, nextTid: 3, preempt: false }),
      ev(3, 20, 'syscall.enter', { tid: 3 }),
      ev(4, 50, 'syscall.exit', { tid: 3 }),
      ev(5, 60, 'syscall.enter', { tid: 3 }),
      ev(6, 160, 'syscall.exit', { tid: 3 }),
      ev(7, 170, 'task.wake', { tid: 4 }),
      ev(8, 200, 'sched.switch', { cpu: 0, nextTid: 4, preempt: true }),
      ev(9, 210, 'cpu.trap_enter', { cpu: 0, stack: 'current', spAfter: 0xc0101f00 }),
      ev(10, 220, 'sched.switch', { cpu: 0, nextTid: 3, preempt: false }),
      ev(11, 230, 'cpu.trap_enter', { cpu: 0, stack: 'current', spAfter: 0xc0101e00 }),
      ev(12, 240, 'kstack.account', { kernelStackKb: 24 }),
      ev(13, 250, 'kstack.greatest_depth', { bytesLeft: 7000 }),
      ev(14, 260, 'kstack.greatest_depth', { bytesLeft: 6000 }),
    ])
      c.add(e);
    expect(c.result('test', { outcome: 'ok', cause: null, simulatedNs: 300 })).toEqual({
      os: 'test',
      outcome: 'ok',
      cause: null,
      simulatedNs: 300,
      events: 14,
      contextSwitches: 3,
      preemptions: 1,
      syscalls: 2,
      syscallLatencyAvgNs: 65,
      syscallLatencyMaxNs: 100,
      wakeLatencyAvgNs: 30,
      wakeLatencyMaxNs: 30,
      peakKernelStackKb: 24,
      leastStackBytesLeft: 6000,
      // tid 4 has no known stack top; tid 3's trap left its SP 0x200 below its top.
      deepestStackBytes: 0x200,
    });
  });

  it('agrees with the kernel about a real run', () => {
    const c = createRunCounter();
    const workload = buildWorkload({
      name: 'c',
      processes: [{ comm: 'a', steps: [{ op: 'threads', count: 2, steps: [{ op: 'getpid' }, { op: 'yield' }] }] }],
    });
    const k = createKernel({ os: PRESETS.i386, workload, attach: (log) => log.listen((e) => c.add(e)) });
    const r = k.run();
    const counters = c.result('i386', r);
    expect(counters.contextSwitches).toBe(k.contextSwitches);
    expect(counters.syscalls).toBeGreaterThan(6);
    expect(counters.outcome).toBe('ok');
  });
});

describe('RUN_COUNTER_ROWS', () => {
  it('shows every counter of a comparison, with the caller formatting times', () => {
    const c = createRunCounter();
    c.add(ev(1, 0, 'kstack.account', { kernelStackKb: 16 }));
    const r = c.result('x', { outcome: 'oops', cause: 'bad', simulatedNs: 1500 });
    const shown = Object.fromEntries(RUN_COUNTER_ROWS.map((row) => [row.label, showRunCounter(row, r, (ns) => `<${ns}>`)]));
    expect(shown).toEqual({
      outcome: 'oops',
      'simulated time': '<1500>',
      events: '1',
      'context switches': '0',
      '  of them preemptions': '0',
      'system calls': '0',
      'syscall latency avg': '<0>',
      'syscall latency max': '<0>',
      'wake-up to run latency avg': '<0>',
      'wake-up to run latency max': '<0>',
      'KernelStack peak': '16 kB',
      'least stack left (greatest depth)': '-',
      'deepest kernel stack at a trap': '0 bytes',
    });
  });
});
