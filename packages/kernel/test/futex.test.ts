import { describe, expect, it } from 'vitest';
import { createKernel, ERRNO, PRESETS, SYSCALLS } from '../src/index.ts';

/** futex(fx, op, val) for each [op, val], then exit. `fx` holds 0. */
const program = (calls: readonly (readonly [string, number])[]): string => `
_start:
${calls.map(([op, val]) => `    mov r0, SYS_futex\n    mov r1, fx\n    mov r2, ${op}\n    mov r3, ${val}\n    syscall`).join('\n')}
    mov r0, SYS_exit_group
    mov r1, 0
    syscall
.section .data 0x0804c000
fx:
    .word 0
`;

function futexReturns(calls: readonly (readonly [string, number])[]): number[] {
  const kernel = createKernel({
    os: PRESETS.x86_64,
    workload: { name: 'futex', programs: { p: program(calls) }, processes: [{ program: 'p' }] },
  });
  const ret: number[] = [];
  kernel.log.on('syscall.exit', (e) => {
    if (e.tid === 3 && e.nr === SYSCALLS.futex) ret.push(e.ret);
  });
  expect(kernel.run({ until: 100_000_000 }).outcome).toBe('ok');
  return ret;
}

describe('futex', () => {
  it('takes the private ops glibc uses as WAIT and WAKE (op & FUTEX_CMD_MASK)', () => {
    // WAIT on a word that does not hold val: EAGAIN (a WAKE would return 0 woken).
    expect(
      futexReturns([
        ['FUTEX_WAIT_PRIVATE', 1],
        ['FUTEX_WAIT', 1],
        ['FUTEX_WAKE_PRIVATE', 1],
        ['FUTEX_WAKE', 1],
      ]),
    ).toEqual([-ERRNO.EAGAIN, -ERRNO.EAGAIN, 0, 0]);
  });

  it('refuses an op it does not know with ENOSYS', () => {
    expect(
      futexReturns([
        ['99', 0],
        ['FUTEX_PRIVATE_FLAG | 5', 0],
      ]),
    ).toEqual([-ERRNO.ENOSYS, -ERRNO.ENOSYS]);
  });
});
