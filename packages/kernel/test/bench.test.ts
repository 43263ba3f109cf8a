import { describe, expect, it } from 'vitest';
import { WARM_UP, warmUpDone } from '../bench/kernel.bench.ts';

describe('the kernel bench warm-up (warmUpDone)', () => {
  it('goes on while the runs keep getting markedly faster', () => {
    // The I/O workload's runs, as measured: V8 was still compiling traces at run 6.
    const io = [1049, 1208, 546, 481, 382, 364, 275, 287, 292, 407];
    const doneAt = io.findIndex((_, i) => warmUpDone(io.slice(0, i + 1)));
    expect(doneAt).toBe(9); // three runs after the last 5% gain (275 ms, run 6)
    // The old rule (3 runs and 1.5 s) stopped after run 3, timing runs still twice as slow.
    expect(warmUpDone(io.slice(0, 4))).toBe(false);
  });

  it('needs its minimum runs and time even when the times are flat', () => {
    expect(warmUpDone([70, 70, 70])).toBe(false); // 210 ms < 1.5 s
    expect(warmUpDone(Array(22).fill(70))).toBe(true); // 1,540 ms, no gain for 21 runs
    expect(warmUpDone([600, 600])).toBe(false); // 2 runs < 3
    // The first run is the first best time: three more without a gain end it.
    expect(warmUpDone([600, 600, 600])).toBe(false);
    expect(warmUpDone([600, 600, 600, 600])).toBe(true);
  });

  it('counts a gain only when it is 5% or more', () => {
    expect(warmUpDone([600, 580, 560, 545])).toBe(true); // 1,745 ms // each under 5% better than the best before
    expect(warmUpDone([600, 580, 560, 500])).toBe(false); // 500 < 0.95 * 560
  });

  it('stops at its maximum whatever the times do', () => {
    const falling = Array.from({ length: WARM_UP.maxRuns }, (_, i) => 100 * 0.9 ** i);
    expect(warmUpDone(falling.slice(0, WARM_UP.maxRuns - 1))).toBe(false);
    expect(warmUpDone(falling)).toBe(true);
    expect(warmUpDone([25_000])).toBe(true);
  });
});
