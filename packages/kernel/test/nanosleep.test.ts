import { describe, expect, it } from 'vitest';
import { buildWorkload, createKernel, ERRNO, PRESETS } from '../src/index.ts';

/** A program that calls nanosleep on the timespec {sec, nsec} and exits with its result. */
const program = (sec: number, nsec: number): string => `
_start:
    mov r0, SYS_nanosleep
    mov r1, ts
    mov r2, 0
    syscall
    mov r1, r0
    mov r0, SYS_exit_group
    syscall
.section .data 0x0804c000
ts:
    .word ${sec >>> 0}, ${nsec >>> 0}
`;

function nanosleep(sec: number, nsec: number): { ret: number[]; outcome: string; state: string | undefined } {
  const kernel = createKernel({
    os: PRESETS.i386,
    workload: { name: 'nanosleep', programs: { p: program(sec, nsec) }, processes: [{ program: 'p' }] },
  });
  const ret: number[] = [];
  kernel.log.on('syscall.exit', (e) => {
    if (e.tid === 3 && e.nr === 162) ret.push(e.ret);
  });
  const r = kernel.run({ until: 50_000_000 });
  return { ret, outcome: r.outcome, state: kernel.tasks().find((t) => t.tid === 3)?.state };
}

describe('nanosleep', () => {
  it('sleeps for the timespec and returns 0', () => {
    expect(nanosleep(0, 1_000_000)).toMatchObject({ ret: [0], outcome: 'ok' });
  });

  it('refuses a negative tv_sec or tv_nsec, or tv_nsec of a second or more, with EINVAL (as Linux)', () => {
    for (const [sec, nsec] of [
      [-1, 0],
      [0, -5],
      [0, 1_000_000_000],
      [0xffffffff, 0],
    ] as const) {
      expect(nanosleep(sec, nsec), `${sec} ${nsec}`).toMatchObject({ ret: [-ERRNO.EINVAL], outcome: 'ok' });
    }
  });

  it('sleeps on for a tv_sec too long for the clock (cut to 2^52 ns) instead of failing the run', () => {
    expect(nanosleep(0x7fffffff, 999_999_999)).toMatchObject({ ret: [], outcome: 'ok', state: 'S' });
  });

  it('on the single shared stack, garbage delays from a corrupted stack end in an oops, not a crash of the run', () => {
    // Yielding threads and pipe ping-pong overwrite each other's frames; the stale frames
    // once handed a recorded-call path a delay of some 5.8e17 ns, which the timer queue refused.
    const workload = buildWorkload({
      name: 'single-stack-garbage',
      processes: [
        { comm: 'yielder', steps: [{ op: 'threads', count: 64, steps: [{ op: 'loop', times: 200, steps: [{ op: 'yield' }] }] }] },
        ...Array.from({ length: 8 }, (_, i) => ({ comm: `pingpong${i}`, steps: [{ op: 'pipe-pingpong' as const, rounds: 400 }] })),
      ],
    });
    const r = createKernel({ os: PRESETS['single-stack'], workload }).run({ until: 60_000_000_000 });
    expect(r.outcome).not.toBe('ok');
    expect(r.cause).toBeTruthy();
  });
});
