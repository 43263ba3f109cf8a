import { describe, expect, it } from 'vitest';
import { createKernel, PRESETS, SYSCALLS } from '../src/index.ts';

/**
 * The parent reads 0 bytes from the empty pipe, then writes `bytes` in one write(); the child
 * reads it back 4096 bytes at a time and exits with how many reads it took.
 */
const program = (bytes: number): string => `
_start:
    mov r0, SYS_pipe
    mov r1, fds
    syscall
    mov r0, SYS_read
    ld r1, [fds]
    mov r2, buf
    mov r3, 0
    syscall
    mov r0, SYS_fork
    syscall
    cmp r0, 0
    je .Lchild
    mov r0, SYS_write
    ld r1, [fds+4]
    mov r2, buf
    mov r3, ${bytes}
    syscall
    mov r0, SYS_wait4
    mov r1, -1
    mov r2, 0
    mov r3, 0
    syscall
    mov r1, 0
    mov r0, SYS_exit_group
    syscall
.Lchild:
    mov r6, ${bytes}
    mov r7, 0
.Lread:
    mov r0, SYS_read
    ld r1, [fds]
    mov r2, buf
    mov r3, 4096
    syscall
    add r7, 1
    sub r6, r0
    jnz .Lread
    mov r1, r7
    mov r0, SYS_exit_group
    syscall
.section .data 0x0804c000
fds:
    .word 0, 0
buf:
    .space ${bytes}
`;

function pipeRun(bytes: number) {
  const kernel = createKernel({
    os: PRESETS.x86_64,
    workload: { name: 'pipes', programs: { p: program(bytes) }, processes: [{ program: 'p' }] },
  });
  const calls: { tid: number; nr: number; ret: number }[] = [];
  kernel.log.on('syscall.exit', (e) => {
    if (e.nr === SYSCALLS.read || e.nr === SYSCALLS.write) calls.push({ tid: e.tid, nr: e.nr, ret: e.ret });
  });
  const exits: { tid: number; code: number }[] = [];
  kernel.log.on('task.exit', (e) => exits.push({ tid: e.tid, code: e.code }));
  const r = kernel.run({ until: 2_000_000_000 });
  return { r, calls, exits };
}

describe('pipes', () => {
  it('a read of 0 bytes returns 0 at once, even from an empty pipe with writers', () => {
    const { r, calls } = pipeRun(100);
    expect(r.outcome).toBe('ok');
    expect(calls[0]).toEqual({ tid: 3, nr: SYSCALLS.read, ret: 0 });
  });

  it('a blocking write() larger than the 64 KiB pipe writes every byte, sleeping while the pipe is full', () => {
    const { r, calls, exits } = pipeRun(100_000);
    expect(r.outcome).toBe('ok');
    expect(r.finished).toBe(true);
    expect(calls.filter((c) => c.tid === 3 && c.nr === SYSCALLS.write)).toEqual([{ tid: 3, nr: SYSCALLS.write, ret: 100_000 }]);
    const reads = calls.filter((c) => c.tid === 4).map((c) => c.ret);
    expect(reads.reduce((a, b) => a + b, 0)).toBe(100_000);
    expect(reads.every((n) => n > 0 && n <= 4096)).toBe(true);
    // 100,000 bytes in reads of at most 4,096: 25 of them (the exit status is code << 8).
    expect(exits.find((e) => e.tid === 4)?.code).toBe(reads.length << 8);
    expect(reads).toHaveLength(25);
  });
});
