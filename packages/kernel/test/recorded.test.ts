import type { OssimEvent } from '@ossim/eventlog';
import { describe, expect, it } from 'vitest';
import {
  buildWorkload,
  createKernel,
  ERRNO,
  I386_SYSCALLS,
  KernelError,
  type OsVariant,
  PRESETS,
  PRIVATE_SYSCALL_BASE,
  programFor,
  type Step,
  SYSCALLS,
  syscallName,
  syscallNumber,
  type WorkloadShape,
} from '../src/index.ts';

/** Runs a workload, keeping every event. */
function run(shape: WorkloadShape, os: OsVariant = PRESETS.x86_64) {
  const workload = buildWorkload(shape);
  const kernel = createKernel({ os, workload });
  const events: OssimEvent[] = [];
  kernel.log.listen((e) => events.push(e));
  const result = kernel.run();
  const of = <T extends OssimEvent['type']>(type: T) => events.filter((e): e is Extract<OssimEvent, { type: T }> => e.type === type);
  return { kernel, workload, result, events, of };
}

const one = (steps: Step[], programs?: WorkloadShape['programs']): WorkloadShape => ({
  name: 'recorded',
  processes: [{ comm: 'rec', steps }],
  ...(programs === undefined ? {} : { programs }),
});

describe('the syscall tables', () => {
  it('holds Linux i386 numbers, and private ones from 1000 for names i386 lacks', () => {
    expect(I386_SYSCALLS.openat).toBe(295);
    expect(I386_SYSCALLS.clone3).toBe(435);
    expect(I386_SYSCALLS.rt_sigaction).toBe(174);
    expect(I386_SYSCALLS.set_robust_list).toBe(311);
    // The implemented calls keep their numbers in the full table.
    for (const [name, nr] of Object.entries(SYSCALLS)) expect(I386_SYSCALLS[name]).toBe(nr);
    expect(syscallNumber('newfstatat')).toBe(PRIVATE_SYSCALL_BASE);
    expect(syscallName(295)).toBe('openat');
    expect(syscallNumber('frobnicate')).toBeUndefined();
    // One name per number.
    const numbers = Object.values(I386_SYSCALLS);
    expect(new Set(numbers).size).toBe(numbers.length);
  });
});

describe('the recorded-call path', () => {
  it('gives the recorded result after the recorded time running in the kernel, named by the tracepoint', () => {
    const { result, of } = run(
      one([
        { op: 'syscall', name: 'openat', ret: 3, durationNs: 14_000 },
        { op: 'syscall', name: 'access', ret: -ERRNO.ENOENT, durationNs: 5_000 },
      ]),
    );
    expect(result.outcome).toBe('ok');
    expect(result.finished).toBe(true);
    const enters = of('syscall.enter').filter((e) => e.tid === 3);
    const exits = of('syscall.exit').filter((e) => e.tid === 3);
    expect(enters.map((e) => [e.name, e.nr])).toEqual([
      ['execve', 11],
      ['openat', 295],
      ['access', 33],
      ['exit_group', 252],
    ]);
    expect(exits.map((e) => [e.nr, e.ret])).toEqual([
      [11, 0],
      [295, 3],
      [33, -ERRNO.ENOENT],
    ]);
    const openat = (exits[1]?.time ?? 0) - (enters[1]?.time ?? 0);
    expect(openat).toBeGreaterThanOrEqual(14_000);
    expect(openat).toBeLessThan(15_000);
    // Not asleep: no switch away from it during the call.
    expect(of('sched.switch').some((s) => s.prevTid === 3 && s.time > (enters[1]?.time ?? 0) && s.time < (exits[1]?.time ?? 0))).toBe(
      false,
    );
  });

  it.each([
    ['S', 'futex'],
    ['D', 'fsync'],
  ] as const)('blocks in %s on a kernel timer for the recorded time (%s), on the real entry path', (state, name) => {
    const workload = buildWorkload(one([{ op: 'syscall', name, ret: 0, durationNs: 3_000_000, blocking: state }]));
    const kernel = createKernel({ os: PRESETS.i386, workload });
    let sp = 0;
    kernel.log.on('syscall.enter', (e) => {
      if (e.name === name) sp = e.sp;
    });
    let state0 = '';
    kernel.log.on('sched.switch', (e) => {
      if (e.prevTid === 3 && e.prevTid !== e.nextTid) state0 = e.prevState;
    });
    const timers: unknown[] = [];
    kernel.log.on('kernel.timer', (e) => {
      timers.push({ tid: e.tid, kind: e.kind });
      kernel.pause();
    });
    kernel.run();
    // Paused when the timer fires: the sleeper is switched out, its kernel stack unwound from memory.
    const task = kernel.task(3);
    expect(state0).toBe(state);
    expect(sp).toBeGreaterThan(task?.kernelStack?.base ?? 0);
    expect(sp).toBeLessThan(task?.kernelStack?.top ?? 0);
    const events: OssimEvent[] = [];
    kernel.log.listen((e) => events.push(e));
    const frames = kernel.stackTrace(3).map((l) => l.replace(/^\[<0>\] /, '').replace(/\+.*$/, ''));
    expect(frames).toEqual(expect.arrayContaining(['do_recorded_syscall', '__ia32_sys_recorded', 'do_syscall']));
    expect(timers).toEqual([{ tid: 3, kind: 'syscall' }]);
    const r = kernel.run();
    expect(r.finished).toBe(true);
    const exit = events.find((e) => e.type === 'syscall.exit' && e.tid === 3);
    expect(exit).toMatchObject({ nr: I386_SYSCALLS[name], ret: 0 });
    expect(exit?.time ?? 0).toBeGreaterThanOrEqual(3_000_000);
  });

  it('names calls in no table from the workload, and gives -EINTR for restart codes', () => {
    const { workload, of } = run(
      one([
        { op: 'syscall', name: 'frobnicate', ret: 7 },
        { op: 'syscall', name: 'newfstatat', ret: 0 },
        { op: 'syscall', name: 'wait4', ret: -512 },
      ]),
    );
    expect(workload.syscalls).toEqual({ frobnicate: PRIVATE_SYSCALL_BASE + 100 });
    const calls = of('syscall.exit')
      .filter((e) => e.tid === 3)
      .map((e) => e.ret);
    expect(of('syscall.enter').map((e) => e.name)).toEqual(expect.arrayContaining(['frobnicate', 'newfstatat']));
    expect(calls.slice(1)).toEqual([7, 0, -ERRNO.EINTR]);
  });

  it('is reached only with the recorded bit: a private number issued plainly is -ENOSYS', () => {
    const workload = {
      name: 'plain',
      programs: {
        plain: `_start:\n    mov r0, ${PRIVATE_SYSCALL_BASE}\n    syscall\n    mov r1, r0\n    mov r0, SYS_exit_group\n    syscall\n`,
      },
      processes: [{ program: 'plain' }],
    };
    const kernel = createKernel({ os: PRESETS.i386, workload });
    const exits: number[] = [];
    kernel.log.on('syscall.exit', (e) => {
      if (e.tid === 3 && e.nr === PRIVATE_SYSCALL_BASE) exits.push(e.ret);
    });
    kernel.run();
    expect(exits).toEqual([-ERRNO.ENOSYS]);
  });

  it('refuses a syscall step whose name has no number outside buildWorkload', () => {
    expect(() => programFor([{ op: 'syscall', name: 'frobnicate' }])).toThrow(KernelError);
    expect(programFor([{ op: 'syscall', name: 'frobnicate', nr: 1234 }])).toContain('0x400004d2');
  });
});

describe('clone, clone3, vfork, execve and faults as steps', () => {
  it('makes threads with CLONE_THREAD, processes otherwise, runs programs named by paths and kills on a fault', () => {
    const { result, of } = run(
      one(
        [
          { op: 'clone', call: 'clone', thread: true, child: [{ op: 'getpid' }] },
          { op: 'clone', call: 'clone3', thread: true, child: [{ op: 'getpid' }, { op: 'exit', code: 0, thread: true }] },
          { op: 'clone', call: 'clone3', child: [{ op: 'getpid' }] },
          {
            op: 'clone',
            call: 'vfork',
            child: [
              { op: 'execve', program: '/nope' },
              { op: 'execve', program: '/usr/bin/sleep' },
            ],
          },
          { op: 'clone', call: 'fork', child: [{ op: 'fault' }] },
          { op: 'wait' },
          { op: 'wait' },
          { op: 'wait' },
          { op: 'wait', options: 1 },
        ],
        [{ name: '/usr/bin/sleep', steps: [{ op: 'syscall', name: 'clock_nanosleep', ret: 0, durationNs: 1_000_000, blocking: 'S' }] }],
      ),
    );
    expect(result.outcome).toBe('ok');
    expect(result.finished).toBe(true);
    const born = of('task.new').filter((e) => e.tid > 3);
    expect(born.map((e) => [e.tid, e.pid, e.ppid])).toEqual([
      [4, 3, 1],
      [5, 3, 1],
      [6, 6, 3],
      [7, 7, 3],
      [8, 8, 3],
    ]);
    const execs = of('syscall.exit').filter((e) => e.tid === 7 && e.nr === SYSCALLS.execve);
    expect(execs.map((e) => e.ret)).toEqual([-ERRNO.ENOENT, 0]);
    expect(of('task.exec').find((e) => e.tid === 7)?.comm).toBe('sleep');
    expect(of('task.signal')).toMatchObject([{ tid: 8, signal: 11 }]);
    expect(of('syscall.enter').filter((e) => e.tid === 8)).toEqual([]);
    const waits = of('syscall.exit').filter((e) => e.tid === 3 && e.nr === SYSCALLS.wait4);
    // Three children reaped, then WNOHANG finds none left.
    expect(waits.map((e) => e.ret).sort((a, b) => a - b)).toEqual([-ERRNO.ECHILD, 6, 7, 8]);
    // Threads end with exit, processes with exit_group.
    const ends = of('syscall.enter').filter((e) => e.name === 'exit' || e.name === 'exit_group');
    expect(ends.map((e) => [e.tid, e.name]).sort()).toEqual(
      [
        [4, 'exit'],
        [5, 'exit'],
        [6, 'exit_group'],
        [7, 'exit_group'],
        [3, 'exit_group'],
      ].sort(),
    );
  });

  it('refuses a thread made by fork', () => {
    expect(() => buildWorkload(one([{ op: 'clone', call: 'fork', thread: true, child: [] }]))).toThrow(/not fork/);
  });
});
