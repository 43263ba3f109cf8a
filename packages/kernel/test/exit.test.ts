import { describe, expect, it } from 'vitest';
import { createKernel, ERRNO, PRESETS, SYSCALLS } from '../src/index.ts';

/**
 * The parent forks a child that runs `child`, waits for it with `wait` (the wait4 calls, r2
 * pointing at `status` unless they say otherwise), then reports the status word as getpid's
 * first argument (visible in syscall.enter) and exits.
 */
const program = (child: string, wait = '    mov r0, SYS_wait4\n    mov r1, -1\n    mov r2, status\n    mov r3, 0\n    syscall'): string => `
_start:
    mov r0, SYS_fork
    syscall
    cmp r0, 0
    je .Lchild
${wait}
    mov r0, SYS_getpid
    ld r1, [status]
    syscall
    mov r0, SYS_exit_group
    mov r1, 0
    syscall
.Lchild:
${child}
.section .data 0x0804c000
status:
    .word 0xdead
`;

/** A child whose main thread starts a thread running `thread` and then yields for ever. */
const withThread = (thread: string): string => `
    mov r0, SYS_clone
    mov r1, CLONE_THREADS
    mov r2, 0
    mov r3, .Lthread
    mov r4, 0
    syscall
.Lspin:
    mov r0, SYS_sched_yield
    syscall
    jmp .Lspin
.Lthread:
${thread}`;

function run(source: string) {
  const kernel = createKernel({ os: PRESETS.x86_64, workload: { name: 'exit', programs: { p: source }, processes: [{ program: 'p' }] } });
  const waits: number[] = [];
  const reported: number[] = [];
  const exits: { tid: number; code: number }[] = [];
  kernel.log.on('syscall.exit', (e) => {
    if (e.tid === 3 && e.nr === SYSCALLS.wait4) waits.push(e.ret);
  });
  kernel.log.on('syscall.enter', (e) => {
    if (e.tid === 3 && e.nr === SYSCALLS.getpid) reported.push(e.args[0] as number);
  });
  kernel.log.on('task.exit', (e) => exits.push({ tid: e.tid, code: e.code }));
  const r = kernel.run({ until: 500_000_000 });
  return { r, waits, status: reported[0], exits };
}

describe('exit statuses (wait4)', () => {
  it('exit_group from a thread ends the process with its code: every thread exits with it', () => {
    const { r, status, exits } = run(program(withThread('    mov r0, SYS_exit_group\n    mov r1, 7\n    syscall')));
    expect(r.outcome).toBe('ok');
    expect(status).toBe(7 << 8);
    expect(exits.filter((e) => e.tid === 4 || e.tid === 5)).toEqual([
      { tid: 5, code: 7 << 8 },
      { tid: 4, code: 7 << 8 },
    ]);
  });

  it('a segfault in one thread kills the whole process with SIGSEGV', () => {
    const { r, status } = run(program(withThread('    mov r1, 0\n    ld r2, [r1+0]')));
    expect(r.outcome).toBe('ok');
    expect(r.finished).toBe(true);
    expect(status).toBe(11);
  });

  it('a divide error is SIGFPE', () => {
    const { r, status } = run(program('    mov r1, 0\n    mov r2, 5\n    div r2, r1'));
    expect(r.outcome).toBe('ok');
    expect(status).toBe(8);
  });
});

describe('wait4 arguments', () => {
  it('refuses unknown options with EINVAL', () => {
    const { waits } = run(
      program(
        '    mov r0, SYS_exit\n    mov r1, 0\n    syscall',
        '    mov r0, SYS_wait4\n    mov r1, -1\n    mov r2, 0\n    mov r3, 0x40000\n    syscall',
      ),
    );
    expect(waits).toEqual([-ERRNO.EINVAL]);
  });

  it('takes pid 0 as any child of the process group', () => {
    const { waits, status } = run(
      program(
        '    mov r0, SYS_exit\n    mov r1, 3\n    syscall',
        '    mov r0, SYS_wait4\n    mov r1, 0\n    mov r2, status\n    mov r3, 0\n    syscall',
      ),
    );
    expect(waits).toEqual([4]);
    expect(status).toBe(3 << 8);
  });

  it('reaps the child even when the status cannot be stored, then says EFAULT', () => {
    const wait = [
      '    mov r0, SYS_wait4\n    mov r1, -1\n    mov r2, 0x10\n    mov r3, 0\n    syscall',
      '    mov r0, SYS_wait4\n    mov r1, -1\n    mov r2, 0\n    mov r3, WNOHANG\n    syscall',
    ].join('\n');
    const { waits } = run(program('    mov r0, SYS_exit\n    mov r1, 0\n    syscall', wait));
    expect(waits).toEqual([-ERRNO.EFAULT, -ERRNO.ECHILD]);
  });
});
