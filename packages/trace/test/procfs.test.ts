import { describe, expect, it } from 'vitest';
import {
  formatKernelStackLine,
  formatProcStack,
  formatProcStatus,
  formatPsELf,
  formatPsLA,
  formatTaskListing,
  formatUserStacks,
  MAX_STACK_TRACE_DEPTH,
  type TaskInfo,
  TraceError,
} from '../src/index.ts';
import { procSample } from './helpers.ts';

/** 2026-11-21 00:00:00 UTC: the day the samples were taken. */
const MIDNIGHT = 1795219200;
const S = 1e9;

/** The python3 process of the samples: five threads, started at 22:13. */
const python: TaskInfo[] = [6571, 6573, 6574, 6575, 6576].map((tid) => ({
  pid: 6571,
  tid,
  ppid: 6568,
  comm: 'python3',
  args: ['/usr/bin/python3', 'sleeper.py'],
  state: 'S',
  uid: 0,
  startNs: 80_000 * S,
  cpuNs: 20_000_000,
  nlwp: 5,
  kernelThread: false,
  mm: 3,
}));

const kthreadd: TaskInfo = { pid: 2, tid: 2, ppid: 0, comm: 'kthreadd', state: 'S', startNs: 0, cpuNs: 0, nlwp: 1, kernelThread: true };

describe('ps', () => {
  it('ps -LA reproduces the sample from the equivalent tasks (in any input order)', () => {
    const text = formatPsLA([...python].reverse());
    expect(text.split('\n').slice(0, -1)).toEqual(procSample('ps -LA'));
    expect(text.endsWith('\n')).toBe(true);
  });

  it('ps -eLf reproduces the sample, STIME from the simulated boot clock', () => {
    const text = formatPsELf(python, { nowNs: 80_009 * S, bootEpochSeconds: MIDNIGHT });
    expect(text.split('\n').slice(0, -1)).toEqual(procSample('ps -eLf'));
  });

  it('ps -eLf: kernel threads in brackets, zombies <defunct>, C, STIME of another day and year, TIME with days, unknown users as numbers', () => {
    const day = 86_400 * S;
    const tasks: TaskInfo[] = [
      kthreadd,
      {
        pid: 900,
        tid: 900,
        ppid: 1,
        comm: 'burn',
        args: ['./burn', '-n', '4'],
        state: 'R',
        uid: 1000,
        startNs: 10 * day,
        cpuNs: 2 * day + 3723 * S,
        nlwp: 1,
        kernelThread: false,
      },
      {
        pid: 901,
        tid: 901,
        ppid: 900,
        comm: 'child',
        args: ['child'],
        state: 'Z',
        startNs: 10 * day + 3600 * S,
        cpuNs: 0,
        nlwp: 1,
        kernelThread: false,
      },
    ];
    const lines = formatPsELf(tasks, {
      nowNs: 10 * day + 4 * 3600 * S,
      bootEpochSeconds: MIDNIGHT - 10 * 86400,
      users: { 0: 'root', 1000: 'averyverylongname' },
    }).split('\n');
    expect(lines[1]).toBe('root         2     0     2  0    1 Nov11 ?        00:00:00 [kthreadd]');
    // 2 days 1:02:03 of CPU in 4 hours: procps caps C at 99.
    expect(lines[2]).toBe('1000       900     1   900 99    1 00:00 ?        2-01:02:03 ./burn -n 4');
    expect(lines[3]).toBe('root       901   900   901  0    1 01:00 ?        00:00:00 [child] <defunct>');
    const c = formatPsELf([{ ...kthreadd, startNs: 0, cpuNs: 25 * S }], { nowNs: 100 * S }).split('\n')[1];
    expect(c?.slice(27, 29)).toBe('25');
    // Booted at 23:00 on 1970-12-31, listed two hours later: another year.
    expect(formatPsELf([kthreadd], { nowNs: 7200 * S, bootEpochSeconds: 365 * 86400 - 3600 }).split('\n')[1]).toContain(' 1970 ');
    expect(formatPsLA([{ ...python[0], state: 'Z' } as TaskInfo])).toContain('python3 <defunct>\n');
  });

  it('rejects bad tasks', () => {
    expect(() => formatPsLA([python[0] as TaskInfo, python[0] as TaskInfo])).toThrow(/tid 6571 is listed twice/);
    expect(() => formatPsLA([{ ...kthreadd, state: 'Q' as 'S' }])).toThrow(TraceError);
    expect(() => formatPsLA([{ ...kthreadd, cpuNs: -1 }])).toThrow(/cpuNs/);
    expect(() => formatPsELf([{ ...kthreadd, startNs: 10 }], { nowNs: 5 })).toThrow(/after nowNs/);
  });

  it('lists every process with its threads, mm or kernel thread', () => {
    expect(formatTaskListing([...python, kthreadd])).toBe(
      [
        'process 2 (kthreadd) ppid 0, kernel thread, 1 thread',
        '  thread 2 kthreadd S (sleeping)',
        'process 6571 (python3) ppid 6568, mm 3, 5 threads',
        ...[6571, 6573, 6574, 6575, 6576].map((t) => `  thread ${t} python3 S (sleeping)`),
        '',
      ].join('\n'),
    );
    expect(() => formatTaskListing([python[0] as TaskInfo, { ...(python[1] as TaskInfo), mm: 4 }])).toThrow(
      /does not share the address space/,
    );
  });
});

describe('/proc', () => {
  it('KernelStack reproduces the sample line', () => {
    expect(formatKernelStackLine(1472)).toBe(procSample('/proc/meminfo KernelStack')[0]);
    expect(formatKernelStackLine(16)).toBe('KernelStack:          16 kB');
    expect(() => formatKernelStackLine(-4)).toThrow(TraceError);
  });

  it('/proc/PID/status has the sample’s lines, tabs and VmStk padding, then the context-switch counts', () => {
    const text = formatProcStatus({ ...(python[0] as TaskInfo), nvcsw: 150, nivcsw: 3 }, { vmStkKb: 132 });
    const lines = text.split('\n').slice(0, -1);
    expect(lines.slice(0, 7)).toEqual(procSample('/proc/PID/status'));
    expect(lines.slice(7)).toEqual(['voluntary_ctxt_switches:\t150', 'nonvoluntary_ctxt_switches:\t3']);
    const thread = formatProcStatus({ ...(python[4] as TaskInfo), state: 'D', comm: 'a\\b\nc' });
    expect(thread).toContain('Name:\ta\\\\b\\nc\nState:\tD (disk sleep)\nTgid:\t6571\nPid:\t6576\n');
    expect(formatProcStatus(kthreadd, { vmStkKb: 8 })).not.toContain('VmStk');
  });

  it('/proc/PID/task/TID/stack reproduces the sample, innermost first', () => {
    const frames = [
      { symbol: 'anon_pipe_read', offset: 0x366, size: 0x410 },
      { symbol: 'vfs_read', offset: 0x32c, size: 0x360 },
      { symbol: 'ksys_read', offset: 0xba, size: 0xe0 },
      'do_syscall_64+0x71/0x280',
      { symbol: 'entry_SYSCALL_64_after_hwframe', offset: 0x76, size: 0x7e },
    ];
    const sample = procSample('cat /proc/PID/task/TID/stack  (tid=6576');
    expect(formatProcStack(frames)).toBe(`${sample.join('\n')}\n`);
  });

  it('/proc/PID/stack shows at most 64 frames, and unsymbolized addresses in hex', () => {
    const deep = Array.from({ length: 100 }, (_, i) => ({ symbol: `f${i}`, offset: 1, size: 16 }));
    const lines = formatProcStack(deep).split('\n').slice(0, -1);
    expect(lines).toHaveLength(MAX_STACK_TRACE_DEPTH);
    expect(lines.at(-1)).toBe('[<0>] f63+0x1/0x10');
    expect(formatProcStack([{ address: 0xc0101234 }])).toBe('[<0>] 0xc0101234\n');
    expect(() => formatProcStack([{ symbol: 'x', offset: 0x20, size: 0x10 }])).toThrow(/outside its size/);
  });

  it('user stacks in eu-stack’s layout', () => {
    expect(
      formatUserStacks(6571, [
        { tid: 6573, frames: [{ pc: 0x8048f20, symbol: 'clock_nanosleep' }] },
        {
          tid: 6571,
          frames: [{ pc: 0x8048f20, symbol: 'clock_nanosleep' }, ...Array.from({ length: 10 }, (_, i) => ({ pc: 0x8048a00 + i }))],
        },
      ]).split('\n'),
    ).toEqual([
      'PID 6571 - process',
      'TID 6571:',
      '#0  0x08048f20 clock_nanosleep',
      ...Array.from({ length: 10 }, (_, i) => `#${String(i + 1).padEnd(2)} 0x08048a0${i} ??`),
      'TID 6573:',
      '#0  0x08048f20 clock_nanosleep',
      '',
    ]);
    expect(formatUserStacks(1, [{ tid: 1, frames: [{ pc: 0x7f6d3a5ba8e1, symbol: '__nanosleep' }] }], { addressWidth: 16 })).toContain(
      '#0  0x00007f6d3a5ba8e1 __nanosleep\n',
    );
    expect(() => formatUserStacks(1, [{ tid: 1, frames: [{ pc: 2 ** 32 }] }])).toThrow(/does not fit 8 hex digits/);
  });
});
